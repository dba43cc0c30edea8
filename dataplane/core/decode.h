/* Packet decoder: turns one captured frame into a weir_pkt.
 *
 * The decoder never allocates and never reads outside [data, data+caplen).
 * A frame it cannot use is not an error of the program: it is counted by
 * reason (enum weir_decode_err) and the caller moves on.
 */
#ifndef WEIR_DECODE_H
#define WEIR_DECODE_H

#include <stdint.h>
#include <stddef.h>

/* Link types we accept, numbered as libpcap's DLT_/LINKTYPE_ values so a
 * pcap header's linktype can be passed straight through. */
enum weir_link {
	WEIR_LINK_NULL = 0,       /* BSD loopback, host-order AF_ word */
	WEIR_LINK_ETHERNET = 1,
	WEIR_LINK_RAW = 101,      /* raw IPv4 or IPv6, version nibble decides */
	WEIR_LINK_LOOP = 108,     /* OpenBSD loopback, network-order AF_ word */
	WEIR_LINK_SLL = 113,      /* Linux cooked v1 */
	WEIR_LINK_IPV4 = 228,
	WEIR_LINK_IPV6 = 229,
	WEIR_LINK_SLL2 = 276,     /* Linux cooked v2 */
	WEIR_LINK_RAW_DLT12 = 12, /* DLT_RAW as some BSDs number it */
	WEIR_LINK_RAW_DLT14 = 14,
	WEIR_LINK_PPP = 9,        /* PPP, 2-byte protocol, optional ff 03 */
	WEIR_LINK_PPP_SERIAL = 50,/* PPP in HDLC-like framing */
};

/* Why a frame was not turned into a flow update. WEIR_DEC_OK is success;
 * the others index the per-reason drop counters. Keep weir_decode_err_name()
 * in step. */
enum weir_decode_err {
	WEIR_DEC_OK = 0,
	WEIR_DEC_TRUNC_L2,        /* frame shorter than its link header(s) */
	WEIR_DEC_TRUNC_L3,        /* shorter than the IP header it announces */
	WEIR_DEC_TRUNC_L4,        /* shorter than the L4 header (captured, or an
				   * unfragmented packet's IP payload); a first
				   * fragment shorter than its L4 header decodes
				   * with ports 0, as Argus counts it */
	WEIR_DEC_BAD_LINKTYPE,    /* link type we do not decode */
	WEIR_DEC_BAD_IP_VERSION,  /* version nibble not 4/6 where IP expected */
	WEIR_DEC_BAD_IHL,         /* IPv4 IHL < 5 */
	WEIR_DEC_BAD_IP_LEN,      /* IP total/payload length inconsistent */
	WEIR_DEC_BAD_FRAG,        /* impossible fragment offset/length */
	WEIR_DEC_BAD_TCP_HDR,     /* TCP data offset < 5 */
	WEIR_DEC_BAD_EXT_HDR,     /* IPv6 extension header chain broken/too long */
	WEIR_DEC_TOO_MANY_TAGS,   /* VLAN/MPLS stack deeper than we follow */
	WEIR_DEC_NOT_IP,          /* valid frame, but not IP/ARP (STP, LLC, LLDP, PPPoE discovery...) */
	WEIR_DEC_ERR_MAX
};

const char *weir_decode_err_name(enum weir_decode_err e);

/* Address family of a decoded packet. ARP packets are carried as flows of
 * their own (UNSW-NB15 has "arp" records): addresses are the IPv4 sender
 * and target protocol addresses. */
enum weir_family { WEIR_AF_NONE = 0, WEIR_AF_INET = 4, WEIR_AF_INET6 = 6, WEIR_AF_ARP = 1 };

/* Pseudo protocol number used for ARP flows (not an IP protocol). */
#define WEIR_PROTO_ARP 256

/* TCP option presence bits (weir_pkt.tcp_opts). */
#define WEIR_TCPOPT_MSS       0x01
#define WEIR_TCPOPT_WSCALE    0x02
#define WEIR_TCPOPT_SACK_OK   0x04
#define WEIR_TCPOPT_TIMESTAMP 0x08
#define WEIR_TCPOPT_SACK      0x10

/* TCP flag bits as on the wire. */
#define WEIR_TH_FIN 0x01
#define WEIR_TH_SYN 0x02
#define WEIR_TH_RST 0x04
#define WEIR_TH_PSH 0x08
#define WEIR_TH_ACK 0x10
#define WEIR_TH_URG 0x20
#define WEIR_TH_ECE 0x40
#define WEIR_TH_CWR 0x80

/* Fragment flags (weir_pkt.frag). */
#define WEIR_FRAG_IS      0x01  /* this packet is a fragment */
#define WEIR_FRAG_FIRST   0x02  /* offset 0: carries the L4 header */
#define WEIR_FRAG_MORE    0x04  /* more fragments follow */

/* One decoded packet. All offsets are into the caller's frame buffer;
 * `payload` points into it too and is valid only while the frame is. */
struct weir_pkt {
	uint64_t ts_ns;          /* capture timestamp, ns since the epoch */
	uint32_t wire_len;       /* frame length on the wire (pcap len) */
	uint32_t cap_len;        /* bytes captured */

	uint8_t family;          /* enum weir_family */
	uint8_t ip_ver;          /* 4 or 6 (0 for ARP) */
	uint16_t proto;          /* IP protocol, or WEIR_PROTO_ARP */
	uint16_t vlan_id;        /* innermost 802.1Q/ad VLAN id, 0 if none */
	uint8_t vlan_depth;      /* number of VLAN tags seen */
	uint8_t mpls_depth;      /* number of MPLS labels seen */

	uint8_t src[16];         /* IPv4 uses the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport, dport;   /* host order; ICMP/ICMPv6: Argus's flow key
				  * (ICMPv4 type<<8|code and echo id / quoted
				  * value, ICMPv6 type and code), replies mapped
				  * to their request: doc/decoding.md */

	uint8_t ttl;             /* IPv4 TTL / IPv6 hop limit */
	uint8_t tos;             /* IPv4 TOS / IPv6 traffic class */
	uint32_t ip_len;         /* IPv4 total length / IPv6 40+payload length, from the header */
	uint16_t l2_len;         /* bytes before the IP header */
	uint16_t l3_hdr_len;     /* IPv4 IHL*4 / IPv6 40 + extension headers */
	uint16_t l4_hdr_len;     /* TCP doff*4, UDP 8, ICMP 8; 0 if not present */

	uint8_t frag;            /* WEIR_FRAG_* */
	uint8_t ip_short;        /* 1: the IP header claims more bytes than the
				  * frame had on the wire (sender/tap bug). Kept,
				  * as Argus keeps it, with L4 lengths from the
				  * frame; the engine counts these. */
	uint8_t reply;           /* 1: answers a request sent by dst (ICMPv4 echo,
				  * timestamp, information, mask reply; ARP reply).
				  * Argus orients a flow first seen through its
				  * reply towards the requester: src = this dst,
				  * and the reply is a destination packet. Not set
				  * for ICMPv6, where Argus keeps the sender as src
				  * (measured, doc/decoding.md). */
	uint32_t frag_id;        /* IPv4 id / IPv6 fragment identification */
	uint32_t frag_off;       /* byte offset of this fragment */

	/* TCP (valid when proto == 6 and the L4 header is present) */
	uint8_t tcp_flags;
	uint8_t tcp_opts;        /* WEIR_TCPOPT_* seen */
	uint8_t tcp_wscale;      /* window scale shift if WEIR_TCPOPT_WSCALE */
	uint16_t tcp_win;        /* raw (unscaled) window */
	uint16_t tcp_mss;
	uint32_t tcp_seq, tcp_ack;

	/* ICMP/ICMPv6 (sport/dport carry Argus's ICMP flow-key convention) */
	uint8_t icmp_type, icmp_code;  /* ARP: icmp_type = opcode low byte (1 request,
					* 2 reply), icmp_code 0 */
	uint16_t icmp_id, icmp_seq;  /* echo/timestamp/info/mask; else 0 */

	uint32_t l4_payload_len; /* payload length from header lengths (not capture) */
	uint32_t payload_caplen; /* payload bytes actually captured */
	const uint8_t *payload;  /* first captured payload byte */
};

/* Decode one frame. On WEIR_DEC_OK *pkt is filled in; on any other value the
 * frame is to be dropped and counted by that reason. `ts_ns`, `wire_len`
 * are copied in as given. The decoder follows at most WEIR_DECODE_MAX_TAGS
 * VLAN/MPLS labels and WEIR_DECODE_MAX_EXT IPv6 extension headers. */
#define WEIR_DECODE_MAX_TAGS 8
#define WEIR_DECODE_MAX_EXT  8

enum weir_decode_err weir_decode(int linktype, const uint8_t *data,
				 uint32_t caplen, uint32_t wire_len,
				 uint64_t ts_ns, struct weir_pkt *pkt);

/* weir_decode() without its fast path for plain Ethernet/IPv4/TCP-or-UDP
 * frames: the general decoder alone. Same contract and, for every input, the
 * same result and the same *pkt; it exists so that the tests can prove that
 * (tests/unit/test_decode.c, fast_path_*). */
enum weir_decode_err weir_decode_slow(int linktype, const uint8_t *data,
				      uint32_t caplen, uint32_t wire_len,
				      uint64_t ts_ns, struct weir_pkt *pkt);

/* Is this libpcap link type one we decode? */
int weir_decode_linktype_supported(int linktype);

#endif
