/* argus_compare: the Argus oracle's judge. Reads a manifest of captures,
 * each with ra's CSV (Argus 3.0.8) and our `weirctl extract -x` CSV, matches
 * flows and prints a per-feature match table.
 *
 *   argus_compare MANIFEST
 *
 * MANIFEST: one capture per line, tab separated:
 *   name  argus.csv  weir.csv  exceptions
 * where exceptions is "-" or a comma list of features not asserted for that
 * capture (they are still compared and reported, in their own column); the
 * reason is written beside the capture in argus_captures.txt.
 *
 * "nonzero" counts the compared flows where Argus's value is not 0, to show
 * a feature was exercised and not only matched at zero.
 *
 * Acceptance (exit 0): every IP/ARP flow Argus reports is found; the exact
 * features equal and the toleranced ones within 1% (or 1 us) on every
 * compared flow; the "95%" features equal on at least 95% of flows.
 * See doc/features.md for the rules and the current table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "record_io.h"
#include "decode.h"

enum kind { K_EXACT, K_TOL, K_P95 };
enum unit { U_COUNT, U_SEC, U_MS, U_RATE, U_MEANSZ };

enum feat {
	F_SPKTS, F_DPKTS, F_SBYTES, F_DBYTES, F_STTL, F_DTTL, F_STATE,
	F_STCPB, F_DTCPB,
	F_DUR, F_SLOAD, F_DLOAD, F_SMEANSZ, F_DMEANSZ, F_SINTPKT, F_DINTPKT,
	F_SYNACK, F_ACKDAT, F_TCPRTT,
	F_SLOSS, F_DLOSS, F_SWIN, F_DWIN, F_SJIT, F_DJIT,
	F_MAX
};

static const struct {
	const char *name;   /* our column name (as in exceptions) */
	enum kind kind;
	enum unit unit;
	int tcp_only;
} feats[F_MAX] = {
	[F_SPKTS] = { "Spkts", K_EXACT, U_COUNT, 0 },
	[F_DPKTS] = { "Dpkts", K_EXACT, U_COUNT, 0 },
	[F_SBYTES] = { "sbytes", K_EXACT, U_COUNT, 0 },
	[F_DBYTES] = { "dbytes", K_EXACT, U_COUNT, 0 },
	[F_STTL] = { "sttl", K_EXACT, U_COUNT, 0 },
	[F_DTTL] = { "dttl", K_EXACT, U_COUNT, 0 },
	[F_STATE] = { "state", K_EXACT, U_COUNT, 0 },
	[F_STCPB] = { "stcpb", K_EXACT, U_COUNT, 1 },
	[F_DTCPB] = { "dtcpb", K_EXACT, U_COUNT, 1 },
	[F_DUR] = { "dur", K_TOL, U_SEC, 0 },
	[F_SLOAD] = { "Sload", K_TOL, U_RATE, 0 },
	[F_DLOAD] = { "Dload", K_TOL, U_RATE, 0 },
	[F_SMEANSZ] = { "smeansz", K_TOL, U_MEANSZ, 0 },
	[F_DMEANSZ] = { "dmeansz", K_TOL, U_MEANSZ, 0 },
	[F_SINTPKT] = { "Sintpkt", K_TOL, U_MS, 0 },
	[F_DINTPKT] = { "Dintpkt", K_TOL, U_MS, 0 },
	[F_SYNACK] = { "synack", K_TOL, U_SEC, 1 },
	[F_ACKDAT] = { "ackdat", K_TOL, U_SEC, 1 },
	[F_TCPRTT] = { "tcprtt", K_TOL, U_SEC, 1 },
	[F_SLOSS] = { "sloss", K_P95, U_COUNT, 1 },
	[F_DLOSS] = { "dloss", K_P95, U_COUNT, 1 },
	[F_SWIN] = { "swin", K_P95, U_COUNT, 1 },
	[F_DWIN] = { "dwin", K_P95, U_COUNT, 1 },
	[F_SJIT] = { "Sjit", K_P95, U_MS, 0 },
	[F_DJIT] = { "Djit", K_P95, U_MS, 0 },
};

/* One Argus flow as ra printed it. */
struct aflow {
	uint8_t saddr[16], daddr[16];
	unsigned sport, dport, proto;
	int state;              /* enum weir_state, -1 if ra's name is not ours */
	char state_name[12];
	double stime, v[F_MAX];
};

struct stats {
	unsigned long compared[F_MAX], matched[F_MAX], nonzero[F_MAX];
	unsigned long exc_compared[F_MAX], exc_matched[F_MAX];
	unsigned long argus_nan[F_MAX];  /* Argus printed nan: nothing to compare */
	unsigned long flows, found, missing, missing_excepted;
	unsigned long direction_ok, direction_cmp;
	unsigned long skipped_nonip, weir_extra;
};

static unsigned long printed;
#define MAX_PRINT 400

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "argus_compare: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(2);
}

/* ---- ra CSV -------------------------------------------------------------- */

static const char *const ra_cols[] = {
	"StartTime", "SrcAddr", "Sport", "DstAddr", "Dport", "Proto", "State",
	"Dur", "SrcPkts", "DstPkts", "SrcBytes", "DstBytes", "sTtl", "dTtl",
	"SrcLoss", "DstLoss", "SrcLoad", "DstLoad", "SrcWin", "DstWin",
	"SrcTCPBase", "DstTCPBase", "sMeanPktSz", "dMeanPktSz", "SrcJitter",
	"DstJitter", "SIntPkt", "DIntPkt", "TcpRtt", "SynAck", "AckDat",
};
enum {
	RA_STIME, RA_SADDR, RA_SPORT, RA_DADDR, RA_DPORT, RA_PROTO, RA_STATE,
	RA_DUR, RA_SPKTS, RA_DPKTS, RA_SBYTES, RA_DBYTES, RA_STTL, RA_DTTL,
	RA_SLOSS, RA_DLOSS, RA_SLOAD, RA_DLOAD, RA_SWIN, RA_DWIN, RA_STCPB,
	RA_DTCPB, RA_SMEANSZ, RA_DMEANSZ, RA_SJIT, RA_DJIT, RA_SINTPKT,
	RA_DINTPKT, RA_TCPRTT, RA_SYNACK, RA_ACKDAT, RA_NCOLS
};
/* ra column -> feature + 1 (0: not a compared feature) */
static const int ra_feat[RA_NCOLS] = {
	[RA_DUR] = F_DUR + 1, [RA_SPKTS] = F_SPKTS + 1, [RA_DPKTS] = F_DPKTS + 1,
	[RA_SBYTES] = F_SBYTES + 1, [RA_DBYTES] = F_DBYTES + 1, [RA_STTL] = F_STTL + 1,
	[RA_DTTL] = F_DTTL + 1, [RA_SLOSS] = F_SLOSS + 1, [RA_DLOSS] = F_DLOSS + 1,
	[RA_SLOAD] = F_SLOAD + 1, [RA_DLOAD] = F_DLOAD + 1, [RA_SWIN] = F_SWIN + 1,
	[RA_DWIN] = F_DWIN + 1, [RA_STCPB] = F_STCPB + 1, [RA_DTCPB] = F_DTCPB + 1,
	[RA_SMEANSZ] = F_SMEANSZ + 1, [RA_DMEANSZ] = F_DMEANSZ + 1, [RA_SJIT] = F_SJIT + 1,
	[RA_DJIT] = F_DJIT + 1, [RA_SINTPKT] = F_SINTPKT + 1, [RA_DINTPKT] = F_DINTPKT + 1,
	[RA_TCPRTT] = F_TCPRTT + 1, [RA_SYNACK] = F_SYNACK + 1, [RA_ACKDAT] = F_ACKDAT + 1,
};

static int split_csv(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ',') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

static int parse_addr(const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

/* Returns the flows read; non-IP records (llc, man, ...) are counted in
 * *nonip and left out. */
static size_t read_argus(const char *path, struct aflow **out, unsigned long *nonip)
{
	FILE *fp = fopen(path, "r");
	char line[4096], *f[64];
	int idx[RA_NCOLS];
	size_t n = 0, cap = 0;
	struct aflow *v = NULL;

	if (!fp)
		die("%s: %s", path, strerror(errno));
	if (!fgets(line, sizeof(line), fp)) {
		fclose(fp); /* ra writes nothing at all for a capture without flows */
		*out = NULL;
		return 0;
	}
	chomp(line);
	int nf = split_csv(line, f, 64);
	for (int c = 0; c < RA_NCOLS; c++) {
		idx[c] = -1;
		for (int i = 0; i < nf; i++)
			if (strcmp(f[i], ra_cols[c]) == 0)
				idx[c] = i;
		if (idx[c] < 0)
			die("%s: ra column %s missing", path, ra_cols[c]);
	}
	while (fgets(line, sizeof(line), fp)) {
		chomp(line);
		if (!*line)
			continue;
		nf = split_csv(line, f, 64);
		if (nf < RA_NCOLS)
			die("%s: short line: %s", path, line);
		struct aflow a;
		memset(&a, 0, sizeof(a));
		int pr = weir_proto_parse(f[idx[RA_PROTO]]);
		if (pr < 0 || !parse_addr(f[idx[RA_SADDR]], a.saddr) ||
		    !parse_addr(f[idx[RA_DADDR]], a.daddr)) {
			(*nonip)++;
			continue;
		}
		a.proto = (unsigned)pr;
		a.sport = (unsigned)strtoul(f[idx[RA_SPORT]], NULL, 0);
		a.dport = (unsigned)strtoul(f[idx[RA_DPORT]], NULL, 0);
		snprintf(a.state_name, sizeof(a.state_name), "%s", f[idx[RA_STATE]]);
		a.state = weir_state_parse(a.state_name);
		a.stime = strtod(f[idx[RA_STIME]], NULL);
		for (int c = 0; c < RA_NCOLS; c++)
			if (ra_feat[c])
				a.v[ra_feat[c] - 1] = strtod(f[idx[c]], NULL); /* "" -> 0 */
		a.v[F_STATE] = a.state;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("%s: %s", path, "out of memory");
		}
		v[n++] = a;
	}
	fclose(fp);
	*out = v;
	return n;
}

/* ---- ours ------------------------------------------------------------------ */

static size_t read_weir(const char *path, struct weir_record **out)
{
	char err[512];
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	size_t n = 0, cap = 0;
	struct weir_record *v = NULL, r;
	int rc;

	if (!ff)
		die("%s%s", err, "");
	while ((rc = weir_flowfile_next(ff, &r, err, sizeof(err))) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("%s: %s", path, "out of memory");
		}
		v[n++] = r;
	}
	if (rc < 0)
		die("%s%s", err, "");
	weir_flowfile_close(ff);
	*out = v;
	return n;
}

static double weir_value(const struct weir_record *r, enum feat f, int swap)
{
#define SD(s, d) (swap ? (double)(d) : (double)(s))
	switch (f) {
	case F_SPKTS: return SD(r->spkts, r->dpkts);
	case F_DPKTS: return SD(r->dpkts, r->spkts);
	case F_SBYTES: return SD(r->sbytes, r->dbytes);
	case F_DBYTES: return SD(r->dbytes, r->sbytes);
	case F_STTL: return SD(r->sttl, r->dttl);
	case F_DTTL: return SD(r->dttl, r->sttl);
	case F_STATE: return r->state;
	case F_STCPB: return SD(r->stcpb, r->dtcpb);
	case F_DTCPB: return SD(r->dtcpb, r->stcpb);
	case F_DUR: return r->dur;
	case F_SLOAD: return SD(r->sload, r->dload);
	case F_DLOAD: return SD(r->dload, r->sload);
	case F_SMEANSZ: return SD(r->smeansz, r->dmeansz);
	case F_DMEANSZ: return SD(r->dmeansz, r->smeansz);
	case F_SINTPKT: return SD(r->sintpkt, r->dintpkt);
	case F_DINTPKT: return SD(r->dintpkt, r->sintpkt);
	case F_SYNACK: return r->synack;
	case F_ACKDAT: return r->ackdat;
	case F_TCPRTT: return r->tcprtt;
	case F_SLOSS: return SD(r->sloss, r->dloss);
	case F_DLOSS: return SD(r->dloss, r->sloss);
	case F_SWIN: return SD(r->swin, r->dwin);
	case F_DWIN: return SD(r->dwin, r->swin);
	case F_SJIT: return SD(r->sjit, r->djit);
	case F_DJIT: return SD(r->djit, r->sjit);
	default: return NAN;
	}
#undef SD
}

/* Equal under the feature's rule. Argus prints 6 decimals of a float, so
 * "equal" for a real number is "within 1% or 1 us". Our meansz is UNSW's
 * integer: it must equal the integer part of ra's value. */
static int agrees(enum feat f, double a, double w)
{
	switch (feats[f].unit) {
	case U_COUNT:
		return a == w;
	case U_MEANSZ:
		return floor(a + 1e-6) == w || fabs(a - w) <= 0.01 * fabs(a);
	case U_SEC:
		return fabs(a - w) <= fmax(0.01 * fabs(a), 1e-6);
	case U_MS:
		return fabs(a - w) <= fmax(0.01 * fabs(a), 1e-3);
	case U_RATE:
		return fabs(a - w) <= fmax(0.01 * fabs(a), 1e-3);
	}
	return 0;
}

static int same_addr(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 16) == 0;
}

static int is_icmp_like(unsigned proto)
{
	return proto == 1 || proto == 58 || proto == WEIR_PROTO_ARP;
}

/* Does record r carry flow a's endpoints? 1: same direction, 2: reversed,
 * 0: no. ICMP and ARP match on addresses (their "ports" are conventions). */
static int endpoints(const struct aflow *a, const struct weir_record *r, int loose)
{
	if (r->proto != a->proto)
		return 0;
	int fwd = same_addr(a->saddr, r->srcip) && same_addr(a->daddr, r->dstip);
	int rev = same_addr(a->saddr, r->dstip) && same_addr(a->daddr, r->srcip);
	if (!loose) {
		fwd = fwd && a->sport == r->sport && a->dport == r->dsport;
		rev = rev && a->sport == r->dsport && a->dport == r->sport;
	}
	return fwd ? 1 : rev ? 2 : 0;
}

static void fmt_addr(const uint8_t *a, char *buf, size_t len)
{
	static const uint8_t zero12[12];
	if (memcmp(a + 4, zero12, 12) == 0)
		inet_ntop(AF_INET, a, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static void flow_label(const struct aflow *a, char *buf, size_t len)
{
	char s[64], d[64];
	fmt_addr(a->saddr, s, sizeof(s));
	fmt_addr(a->daddr, d, sizeof(d));
	snprintf(buf, len, "%s %s:%u > %s:%u @%.6f", weir_proto_name(a->proto),
		 s, a->sport, d, a->dport, a->stime);
}

/* Is `tok` in the capture's comma list? "all" excepts every feature and
 * the missing flows. */
static int excepted_token(const char *exc, const char *tok)
{
	if (!exc || strcmp(exc, "-") == 0)
		return 0;
	size_t n = strlen(tok);
	for (const char *p = exc; (p = strstr(p, tok)) != NULL; p += n)
		if ((p == exc || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return strcmp(tok, "all") != 0 && excepted_token(exc, "all");
}

static int excepted(const char *exc, enum feat f)
{
	return excepted_token(exc, feats[f].name);
}

static void compare_capture(const char *name, const char *apath,
			    const char *wpath, const char *exc, struct stats *st)
{
	struct aflow *af = NULL;
	struct weir_record *wr = NULL;
	size_t na = read_argus(apath, &af, &st->skipped_nonip);
	size_t nw = read_weir(wpath, &wr);
	char *used = calloc(nw ? nw : 1, 1);
	char label[256];

	for (size_t i = 0; i < na; i++) {
		const struct aflow *a = &af[i];
		long best = -1;
		int dir = 0;
		double bestdt = 1e300;
		st->flows++;
		for (int loose = 0; loose < 2 && best < 0; loose++) {
			if (loose && !is_icmp_like(a->proto))
				break;
			for (size_t j = 0; j < nw; j++) {
				int d;
				if (used[j] || !(d = endpoints(a, &wr[j], loose)))
					continue;
				double dt = fabs((double)wr[j].stime_ns * 1e-9 - a->stime);
				if (dt < bestdt && dt <= 1.0) {
					bestdt = dt;
					best = (long)j;
					dir = d;
				}
			}
		}
		flow_label(a, label, sizeof(label));
		if (best < 0) {
			int ex = excepted_token(exc, "missing");
			if (ex)
				st->missing_excepted++;
			else
				st->missing++;
			if (printed++ < MAX_PRINT)
				printf("  MISSING  %s: %s (argus %s, %.0f/%.0f pkts)%s\n", name,
				       label, a->state_name, a->v[F_SPKTS], a->v[F_DPKTS],
				       ex ? " (excepted)" : "");
			continue;
		}
		used[best] = 1;
		st->found++;
		const struct weir_record *r = &wr[best];
		int swap = dir == 2;
		/* A flow whose two sides are one endpoint has no direction. */
		if (!(same_addr(a->saddr, a->daddr) && a->sport == a->dport)) {
			st->direction_cmp++;
			if (!swap)
				st->direction_ok++;
			else if (printed++ < MAX_PRINT)
				printf("  DIR      %s: %s: argus src is our dst\n", name, label);
		}
		for (int f = 0; f < F_MAX; f++) {
			if (feats[f].tcp_only && a->proto != 6)
				continue;
			if (f == F_STATE && a->state < 0)
				continue; /* ra's ICMPv6 names: see doc/features.md */
			/* Argus cuts a DNS exchange into one flow per query/answer
			 * (nmap-vsn.pcap: six 1/1 flows on one 5-tuple, within
			 * 10 ms) and racluster merges them back without the
			 * intervals between them: no interval statistics to compare. */
			if (a->proto == 17 && (a->sport == 53 || a->dport == 53) &&
			    (f == F_SINTPKT || f == F_DINTPKT || f == F_SJIT || f == F_DJIT))
				continue;
			/* A TCP flow of one packet is an Argus TCP_INIT record, whose
			 * window ra prints from memory it never set (the same nmap
			 * SYN prints 0, 96 or 131070): not comparable. */
			if ((f == F_SWIN || f == F_DWIN) &&
			    a->v[F_SPKTS] + a->v[F_DPKTS] < 2)
				continue;
			/* ra prints "-nan" where its own arithmetic failed (the
			 * active-interval jitter of perfectly regular packets:
			 * a variance that rounds below zero, then sqrt). */
			if (isnan(a->v[f])) {
				st->argus_nan[f]++;
				continue;
			}
			double w = weir_value(r, (enum feat)f, swap);
			int ok = agrees((enum feat)f, a->v[f], w);
			int ex = excepted(exc, (enum feat)f);
			if (ex) {
				st->exc_compared[f]++;
				st->exc_matched[f] += ok;
			} else {
				st->compared[f]++;
				st->matched[f] += ok;
				st->nonzero[f] += a->v[f] != 0;
			}
			if (!ok && printed++ < MAX_PRINT) {
				if (f == F_STATE)
					printf("  %-8s %s: %s: argus %s, weir %s%s\n", feats[f].name,
					       name, label, a->state_name, weir_state_name(r->state),
					       ex ? " (excepted)" : "");
				else
					printf("  %-8s %s: %s: argus %.6f, weir %.6f%s\n",
					       feats[f].name, name, label, a->v[f], w,
					       ex ? " (excepted)" : "");
			}
		}
	}
	for (size_t j = 0; j < nw; j++) {
		if (used[j])
			continue;
		st->weir_extra++;
		if (printed++ < MAX_PRINT) {
			char s[64], d[64];
			fmt_addr(wr[j].srcip, s, sizeof(s));
			fmt_addr(wr[j].dstip, d, sizeof(d));
			printf("  EXTRA    %s: %s %s:%u > %s:%u @%.6f (ours %s, %u/%u pkts; "
			       "not in Argus's output)\n", name, weir_proto_name(wr[j].proto),
			       s, wr[j].sport, d, wr[j].dsport, (double)wr[j].stime_ns * 1e-9,
			       weir_state_name(wr[j].state), wr[j].spkts, wr[j].dpkts);
		}
	}
	free(used);
	free(af);
	free(wr);
}

/* ---- crafted scenarios ------------------------------------------------------
 * `argus_compare --write-scenarios FILE` writes a small capture of corner
 * cases the shared captures lack: TCP flag combinations and sequences, and
 * one ICMP packet per type/code. The oracle runs it like any capture. */

static FILE *scen_fp;
static const char *scen_path;

static uint16_t csum16(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* One Ethernet/IPv4 frame with the given L4 header+payload. */
static void scen_frame(double t, const uint8_t src[4], const uint8_t dst[4],
		       uint8_t proto, uint8_t ttl, const uint8_t *l4, size_t l4len)
{
	uint8_t f[1600];
	size_t n = 14 + 20 + l4len;
	memset(f, 0, 34);
	memcpy(f, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00", 14);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + l4len));
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum16(ip, 20));
	memcpy(ip + 20, l4, l4len);
	uint32_t hdr[4] = { (uint32_t)t, (uint32_t)((t - (uint32_t)t) * 1e6 + 0.5),
			    (uint32_t)n, (uint32_t)n };
	if (fwrite(hdr, sizeof(hdr), 1, scen_fp) != 1 || fwrite(f, n, 1, scen_fp) != 1)
		die("%s: %s", scen_path, strerror(errno));
}

struct tstep { double dt; int c2s; uint8_t flags; uint32_t seq, ack; uint16_t win; uint16_t len; };

/* Flow `id`: client 10.1.0.id:40000+id, server 10.2.0.id:80. */
static void scen_tcp(unsigned id, const struct tstep *st, size_t n)
{
	uint8_t c[4] = { 10, 1, 0, (uint8_t)id }, s[4] = { 10, 2, 0, (uint8_t)id };
	double t = 1000.0 + id * 10.0;
	for (size_t i = 0; i < n; i++) {
		uint8_t th[20 + 400];
		t += st[i].dt;
		memset(th, 0, sizeof(th));
		put16(th, st[i].c2s ? 40000 + id : 80);
		put16(th + 2, st[i].c2s ? 80 : 40000 + id);
		put32(th + 4, st[i].seq);
		put32(th + 8, st[i].ack);
		th[12] = 5 << 4;
		th[13] = st[i].flags;
		put16(th + 14, st[i].win);
		memset(th + 20, 'x', st[i].len);
		scen_frame(t, st[i].c2s ? c : s, st[i].c2s ? s : c, 6,
			   st[i].c2s ? 64 : 50, th, 20u + st[i].len);
	}
}

#define S_ WEIR_TH_SYN
#define A_ WEIR_TH_ACK
#define F_ WEIR_TH_FIN
#define R_ WEIR_TH_RST
#define P_ WEIR_TH_PSH
#define U_ WEIR_TH_URG
#define SCEN(id, ...) do { const struct tstep st_[] = { __VA_ARGS__ }; \
	scen_tcp(id, st_, sizeof(st_) / sizeof(st_[0])); } while (0)

static int write_scenarios(const char *path)
{
	static const uint32_t pcap_hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	scen_path = path;
	if (!(scen_fp = fopen(path, "wb")))
		die("%s: %s", path, strerror(errno));
	if (fwrite(pcap_hdr, sizeof(pcap_hdr), 1, scen_fp) != 1)
		die("%s: %s", path, strerror(errno));
	/* frames must be in time order: flows are 10 s apart, each < 10 s */
	SCEN(1, { 0, 1, S_, 100, 0, 1000, 0 });                       /* REQ */
	SCEN(2, { 0, 1, A_ | F_, 100, 500, 1000, 0 });                /* FIN */
	SCEN(3, { 0, 1, R_, 100, 0, 1000, 0 });                       /* RST */
	SCEN(4, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 1000, 0 },
	     { .01, 1, R_, 101, 0, 1000, 0 });
	SCEN(5, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 1000, 0 },
	     { .01, 1, A_, 101, 501, 1000, 0 }, { .01, 1, A_ | P_, 101, 501, 1000, 50 },
	     { .01, 0, A_, 501, 151, 1000, 0 }, { .01, 0, A_ | P_, 501, 151, 1000, 300 },
	     { .01, 1, A_ | F_, 151, 801, 1000, 0 }, { .01, 0, A_ | F_, 801, 152, 1000, 0 },
	     { .01, 1, A_, 152, 802, 1000, 0 });
	SCEN(6, { 0, 1, A_, 100, 500, 1000, 0 });                     /* CON */
	SCEN(7, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, R_ | A_, 0, 101, 0, 0 });
	SCEN(8, { 0, 1, S_, 100, 0, 1000, 10 });                      /* SYN + data */
	SCEN(9, { 0, 1, P_, 100, 0, 1000, 0 });
	SCEN(10, { 0, 1, U_, 100, 0, 1000, 0 });
	SCEN(11, { 0, 1, S_ | F_, 100, 0, 1000, 0 });
	SCEN(12, { 0, 1, 0, 100, 0, 1000, 0 });                       /* null */
	SCEN(13, { 0, 1, F_ | P_ | U_, 100, 0, 1000, 0 });            /* Xmas */
	SCEN(14, { 0, 1, S_, 100, 0, 1000, 0 }, { 1, 1, S_, 100, 0, 1000, 0 },
	     { 2, 1, S_, 100, 0, 1000, 0 });                          /* sloss 2 */
	SCEN(15, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 1000, 0 },
	     { .01, 1, A_, 101, 501, 1000, 0 }, { .01, 1, A_ | P_, 101, 501, 1000, 100 },
	     { .2, 1, A_ | P_, 101, 501, 1000, 100 }, { .01, 0, A_, 501, 201, 1000, 0 },
	     { .01, 1, A_ | P_, 201, 501, 1000, 100 }, { .01, 1, A_ | P_, 301, 501, 1000, 100 },
	     { .01, 0, A_, 501, 401, 1000, 0 }, { .05, 1, A_ | P_, 301, 501, 1000, 100 });
	SCEN(16, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 2000, 0 },
	     { .01, 1, A_, 101, 501, 0, 0 }, { .01, 0, A_ | P_, 501, 101, 2000, 20 },
	     { .01, 1, A_, 101, 521, 0, 0 }, { .01, 1, A_, 101, 521, 300, 0 });
	SCEN(17, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 1000, 0 },
	     { .01, 1, A_, 101, 501, 1000, 0 }, { .01, 0, R_, 501, 0, 1000, 0 });
	SCEN(18, { 0, 1, S_, 100, 0, 1000, 0 }, { .01, 0, S_ | A_, 500, 101, 1000, 0 },
	     { .01, 1, A_ | F_, 101, 501, 1000, 0 }, { .01, 0, A_, 501, 102, 1000, 0 });
	SCEN(19, { 0, 0, S_ | A_, 500, 101, 1000, 0 }, { .01, 1, A_, 101, 501, 1000, 0 },
	     { .01, 1, A_ | P_, 101, 501, 1000, 40 }, { .01, 0, A_ | F_, 501, 141, 1000, 0 },
	     { .01, 1, A_ | F_, 141, 502, 1000, 0 });                 /* SYN/ACK first */
	SCEN(20, { 0, 0, A_, 501, 101, 1000, 0 });                    /* from port 80 */
	/* ICMP: one packet per unreachable code, then per type */
	for (unsigned i = 0; i < 31; i++) {
		uint8_t m[36], src[4] = { 10, 3, 0, (uint8_t)(i + 1) }, dst[4] = { 10, 4, 0, (uint8_t)(i + 1) };
		static const uint8_t types[15] = { 0, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 30 };
		memset(m, 0, sizeof(m));
		m[0] = i < 16 ? 3 : types[i - 16];
		m[1] = i < 16 ? (uint8_t)i : 0;
		put16(m + 2, csum16(m, sizeof(m)));
		scen_frame(1300.0 + i, src, dst, 1, 64, m, sizeof(m));
	}
	if (fclose(scen_fp) != 0)
		die("%s: %s", path, strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-scenarios") == 0)
		return write_scenarios(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: argus_compare MANIFEST\n"
			"       argus_compare --write-scenarios FILE.pcap\n"
			"  MANIFEST lines: name<TAB>ra.csv<TAB>weir.csv<TAB>exceptions|-\n");
		return 2;
	}
	FILE *mf = fopen(argv[1], "r");
	if (!mf)
		die("%s: %s", argv[1], strerror(errno));
	struct stats st;
	memset(&st, 0, sizeof(st));
	char line[4096];
	unsigned captures = 0;
	while (fgets(line, sizeof(line), mf)) {
		chomp(line);
		if (!*line || *line == '#')
			continue;
		char *name = strtok(line, "\t"), *ap = strtok(NULL, "\t");
		char *wp = strtok(NULL, "\t"), *ex = strtok(NULL, "\t");
		if (!name || !ap || !wp)
			die("%s: bad manifest line: %s", argv[1], name ? name : "");
		compare_capture(name, ap, wp, ex, &st);
		captures++;
	}
	fclose(mf);
	if (printed > MAX_PRINT)
		printf("  ... %lu more differences not shown\n", printed - MAX_PRINT);

	int pass = st.missing == 0 && st.flows > 0;
	printf("\nArgus oracle: %u captures, %lu Argus IP/ARP flows, %lu found, "
	       "%lu missing (+%lu excepted); %lu non-IP Argus records left out; "
	       "%lu of our flows unmatched\n", captures, st.flows, st.found,
	       st.missing, st.missing_excepted, st.skipped_nonip, st.weir_extra);
	printf("\n%-9s %-6s %9s %9s %8s %8s   %s\n", "feature", "rule", "compared",
	       "matched", "%", "nonzero", "excepted (matched/compared)");
	printf("%-9s %-6s %9lu %9lu %7.2f%% %8s   (reported, not asserted)\n", "direction",
	       "info", st.direction_cmp, st.direction_ok,
	       st.direction_cmp ? 100.0 * st.direction_ok / st.direction_cmp : 100.0, "");
	for (int f = 0; f < F_MAX; f++) {
		double pct = st.compared[f] ? 100.0 * st.matched[f] / st.compared[f] : 100.0;
		const char *rule = feats[f].kind == K_EXACT ? "equal" :
				   feats[f].kind == K_TOL ? "1%" : ">=95%";
		int ok = feats[f].kind == K_P95 ? pct >= 95.0 : st.matched[f] == st.compared[f];
		printf("%-9s %-6s %9lu %9lu %7.2f%% %8lu   %lu/%lu%s\n", feats[f].name,
		       rule, st.compared[f], st.matched[f], pct, st.nonzero[f],
		       st.exc_matched[f], st.exc_compared[f], ok ? "" : "   FAIL");
		pass = pass && ok;
	}
	for (int f = 0; f < F_MAX; f++)
		if (st.argus_nan[f])
			printf("%-9s Argus printed nan for %lu flows: not compared\n",
			       feats[f].name, st.argus_nan[f]);
	printf("\n%s\n", pass ? "PASS" : "FAIL");
	return pass ? 0 : 1;
}
