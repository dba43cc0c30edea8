/* Printable names for the enums of record.h, in the spellings UNSW-NB15 and
 * Argus use, and their inverse for reading flow CSVs back. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include "record.h"
#include "decode.h"

static const char *const state_names[WEIR_ST_MAX] = {
	"-", "FIN", "CON", "INT", "REQ", "RST", "CLO", "ACC", "RSP", "ECO",
	"ECR", "URH", "URN", "URP", "URF", "URS", "URO", "URHPRO", "TXD", "TST",
	"TSR", "MAS", "MSR", "RTA", "RTS", "SRC", "SRQ", "IRQ", "IRR", "PAR",
	"TIM", "RED", "UNK", "NRS", "NRA",
};

static const char *const service_names[WEIR_SVC_MAX] = {
	"-", "dns", "http", "ftp", "ftp-data", "smtp", "ssh", "pop3", "ssl",
	"snmp", "dhcp", "radius", "irc",
};

static const char *const end_names[WEIR_END_MAX] = {
	"idle", "closed", "active", "evicted", "shutdown", "reuse",
};

static int lookup(const char *const *tab, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (tab[i] && strcasecmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

const char *weir_state_name(unsigned st)
{
	return st < WEIR_ST_MAX ? state_names[st] : "-";
}

int weir_state_parse(const char *s)
{
	return lookup(state_names, WEIR_ST_MAX, s);
}

const char *weir_service_name(unsigned svc)
{
	return svc < WEIR_SVC_MAX ? service_names[svc] : "-";
}

int weir_service_parse(const char *s)
{
	return lookup(service_names, WEIR_SVC_MAX, s);
}

const char *weir_end_reason_name(unsigned r)
{
	return r < WEIR_END_MAX ? end_names[r] : "?";
}

/* IP protocol names as Argus 3.0.8's ra prints them (IANA keywords, lower
 * case). Numbers without a name print as the decimal number. */
static const char *const proto_names[256] = {
	[0] = "ip", [1] = "icmp", [2] = "igmp", [3] = "ggp", [4] = "ipnip",
	[5] = "st2", [6] = "tcp", [7] = "cbt", [8] = "egp", [9] = "igp",
	[10] = "bbn-rcc", [11] = "nvp", [12] = "pup", [13] = "argus",
	[14] = "emcon", [15] = "xnet", [16] = "chaos", [17] = "udp",
	[18] = "mux", [19] = "dcn", [20] = "hmp", [21] = "prm",
	[22] = "xns-idp", [23] = "trunk-1", [24] = "trunk-2", [25] = "leaf-1",
	[26] = "leaf-2", [27] = "rdp", [28] = "irtp", [29] = "iso-tp4",
	[30] = "netblt", [31] = "mfe-nsp", [32] = "merit-inp", [33] = "sep",
	[34] = "3pc", [35] = "idpr", [36] = "xtp", [37] = "ddp",
	[38] = "idpr-cmtp", [39] = "tp++", [40] = "il", [41] = "ipv6",
	[42] = "sdrp", [43] = "ipv6-route", [44] = "ipv6-frag", [45] = "idrp",
	[46] = "rsvp", [47] = "gre", [48] = "mhrp", [49] = "bna", [50] = "esp",
	[51] = "ah", [52] = "i-nlsp", [53] = "swipe", [54] = "narp",
	[55] = "mobile", [56] = "tlsp", [57] = "skip", [58] = "ipv6-icmp",
	[59] = "ipv6-no", [60] = "ipv6-opts", [61] = "any", [62] = "cftp",
	[63] = "any", [64] = "sat-expak", [65] = "kryptolan", [66] = "rvd",
	[67] = "ippc", [68] = "any", [69] = "sat-mon", [70] = "visa",
	[71] = "ipcv", [72] = "cpnx", [73] = "cphb", [74] = "wsn",
	[75] = "pvp", [76] = "br-sat-mon", [77] = "sun-nd", [78] = "wb-mon",
	[79] = "wb-expak", [80] = "iso-ip", [81] = "vmtp", [82] = "secure-vmtp",
	[83] = "vines", [84] = "ttp", [85] = "nsfnet-igp", [86] = "dgp",
	[87] = "tcf", [88] = "eigrp", [89] = "ospf", [90] = "sprite-rpc",
	[91] = "larp", [92] = "mtp", [93] = "ax.25", [94] = "ipip",
	[95] = "micp", [96] = "aes-sp3-d", [97] = "etherip", [98] = "encap",
	[99] = "any", [100] = "gmtp", [101] = "ifmp", [102] = "pnni",
	[103] = "pim", [104] = "aris", [105] = "scps", [106] = "qnx",
	[107] = "a/n", [108] = "ipcomp", [109] = "snp", [110] = "compaq-peer",
	[111] = "ipx-n-ip", [112] = "vrrp", [113] = "pgm", [114] = "any",
	[115] = "l2tp", [116] = "ddx", [117] = "iatp", [118] = "stp",
	[119] = "srp", [120] = "uti", [121] = "smp", [122] = "sm",
	[123] = "ptp", [124] = "isis", [125] = "fire", [126] = "crtp",
	[127] = "crudp", [128] = "sccopmce", [129] = "iplt", [130] = "sps",
	[131] = "pipe", [132] = "sctp", [133] = "fc", [135] = "mobility",
	[136] = "udplite", [137] = "mpls-in-ip", [138] = "manet",
	[139] = "hip", [140] = "shim6", [141] = "wesp", [142] = "rohc",
};

/* Decimal strings for unnamed numbers, filled before main() so workers only
 * ever read them. */
static char proto_numbers[256][4];

__attribute__((constructor)) static void proto_numbers_init(void)
{
	for (unsigned i = 0; i < 256; i++)
		snprintf(proto_numbers[i], sizeof(proto_numbers[i]), "%u", i);
}

const char *weir_proto_name(unsigned proto)
{
	if (proto == WEIR_PROTO_ARP)
		return "arp";
	if (proto > 255)
		return "?";
	if (proto_names[proto])
		return proto_names[proto];
	return proto_numbers[proto];
}

int weir_proto_parse(const char *s)
{
	if (strcasecmp(s, "arp") == 0)
		return WEIR_PROTO_ARP;
	for (unsigned i = 0; i < 256; i++)
		if (proto_names[i] && strcasecmp(proto_names[i], s) == 0)
			return (int)i;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v < 256)
		return (int)v;
	return -1;
}
