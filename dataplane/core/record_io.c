/* Flow records as text: the UNSW-NB15 column layout in CSV or JSON lines,
 * and the reader that brings our CSVs and UNSW-NB15's own files back into
 * struct weir_record (for training, evaluation and the oracles).
 *
 * Formatting avoids printf for integers: extract writes one line per flow
 * and on large captures that line is a visible share of the run time. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "record_io.h"

const char *const weir_feature_names[47] = {
	"srcip", "sport", "dstip", "dsport", "proto", "state", "dur",
	"sbytes", "dbytes", "sttl", "dttl", "sloss", "dloss", "service",
	"Sload", "Dload", "Spkts", "Dpkts", "swin", "dwin", "stcpb", "dtcpb",
	"smeansz", "dmeansz", "trans_depth", "res_bdy_len", "Sjit", "Djit",
	"Stime", "Ltime", "Sintpkt", "Dintpkt", "tcprtt", "synack", "ackdat",
	"is_sm_ips_ports", "ct_state_ttl", "ct_flw_http_mthd", "is_ftp_login",
	"ct_ftp_cmd", "ct_srv_src", "ct_srv_dst", "ct_dst_ltm", "ct_src_ltm",
	"ct_src_dport_ltm", "ct_dst_sport_ltm", "ct_dst_src_ltm",
};

static const char *const label_names[] = { "attack_cat", "Label" };
static const char *const score_names[] = { "score", "verdict", "model_version" };
static const char *const extra_names[] = {
	"end_reason", "vlan", "worker", "flow_id", "sbytes_ip", "dbytes_ip",
};

int weir_fmt_parse(const char *s)
{
	if (!strcmp(s, "csv"))
		return WEIR_FMT_CSV;
	if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		return WEIR_FMT_JSONL;
	return -1;
}

/* ---- a bounded output buffer ------------------------------------------ */

struct obuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void put(struct obuf *o, const char *s, size_t n)
{
	if (o->len + n >= o->cap) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct obuf *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Two digits per division: a record has ~40 numbers. */
static const char digits2[] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static unsigned ndigits(uint64_t v)
{
	unsigned n = 1;
	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* Written in place, last digit first: no temporary, no memcpy call. */
static void putu(struct obuf *o, uint64_t v)
{
	unsigned n = ndigits(v);
	if (o->len + n >= o->cap) {
		o->overflow = 1;
		return;
	}
	char *p = o->p + o->len + n;
	o->len += n;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
}

/* ".dddddd": six digits, zero-padded */
static void put_micros(struct obuf *o, uint32_t us)
{
	if (o->len + 7 >= o->cap) {
		o->overflow = 1;
		return;
	}
	char *p = o->p + o->len;
	p[0] = '.';
	memcpy(p + 1, digits2 + 2 * (us / 10000), 2);
	memcpy(p + 3, digits2 + 2 * (us / 100 % 100), 2);
	memcpy(p + 5, digits2 + 2 * (us % 100), 2);
	o->len += 7;
}

/* Fixed six decimals, like Argus's default precision. Values below 9e9
 * (all times, rates and jitters in practice) are printed from an integer
 * count of millionths: printf's float path was a tenth of extract's time. */
static void putf(struct obuf *o, double v)
{
	char tmp[64];
	if (!isfinite(v))
		v = 0;
	double a = fabs(v);
	if (a < 9e9) {
		uint64_t m = (uint64_t)llround(a * 1e6);
		if (v < 0 && m)
			put(o, "-", 1);
		putu(o, m / 1000000);
		put_micros(o, (uint32_t)(m % 1000000));
		return;
	}
	int n = snprintf(tmp, sizeof(tmp), "%.6f", v);
	put(o, tmp, (size_t)n);
}

static void put_time(struct obuf *o, uint64_t ns)
{
	putu(o, ns / 1000000000ull);
	put_micros(o, (uint32_t)((ns % 1000000000ull) / 1000));
}

static void put_addr(struct obuf *o, unsigned family, const uint8_t *a)
{
	char tmp[INET6_ADDRSTRLEN];
	if (family != WEIR_AF_INET6) {
		/* inet_ntop prints IPv4 through sprintf: two per record */
		for (int i = 0; i < 4; i++) {
			if (i)
				put(o, ".", 1);
			putu(o, a[i]);
		}
		return;
	}
	const char *s = inet_ntop(family == WEIR_AF_INET6 ? AF_INET6 : AF_INET,
				  a, tmp, sizeof(tmp));
	puts_(o, s ? s : "?");
}

/* ---- one value per column, shared by CSV and JSON ---------------------- */

enum vkind { V_NUM, V_STR };

/* Writes column `i` of the full column list; returns whether it is a string
 * (JSON quotes those). Column order: 47 features, labels, score, extra. */
static enum vkind put_feature(struct obuf *o, int i, const struct weir_record *r)
{
	switch (i) {
	case 0: put_addr(o, r->family, r->srcip); return V_STR;
	case 1: putu(o, r->sport); break;
	case 2: put_addr(o, r->family, r->dstip); return V_STR;
	case 3: putu(o, r->dsport); break;
	case 4: puts_(o, weir_proto_name(r->proto)); return V_STR;
	case 5: puts_(o, weir_state_name(r->state)); return V_STR;
	case 6: putf(o, r->dur); break;
	case 7: putu(o, r->sbytes); break;
	case 8: putu(o, r->dbytes); break;
	case 9: putu(o, r->sttl); break;
	case 10: putu(o, r->dttl); break;
	case 11: putu(o, r->sloss); break;
	case 12: putu(o, r->dloss); break;
	case 13: puts_(o, weir_service_name(r->service)); return V_STR;
	case 14: putf(o, r->sload); break;
	case 15: putf(o, r->dload); break;
	case 16: putu(o, r->spkts); break;
	case 17: putu(o, r->dpkts); break;
	case 18: putu(o, r->swin); break;
	case 19: putu(o, r->dwin); break;
	case 20: putu(o, r->stcpb); break;
	case 21: putu(o, r->dtcpb); break;
	case 22: putu(o, r->smeansz); break;
	case 23: putu(o, r->dmeansz); break;
	case 24: putu(o, r->trans_depth); break;
	case 25: putu(o, r->res_bdy_len); break;
	case 26: putf(o, r->sjit); break;
	case 27: putf(o, r->djit); break;
	case 28: put_time(o, r->stime_ns); break;
	case 29: put_time(o, r->ltime_ns); break;
	case 30: putf(o, r->sintpkt); break;
	case 31: putf(o, r->dintpkt); break;
	case 32: putf(o, r->tcprtt); break;
	case 33: putf(o, r->synack); break;
	case 34: putf(o, r->ackdat); break;
	case 35: putu(o, r->is_sm_ips_ports); break;
	case 36: putu(o, r->ct_state_ttl); break;
	case 37: putu(o, r->ct_flw_http_mthd); break;
	case 38: putu(o, r->is_ftp_login); break;
	case 39: putu(o, r->ct_ftp_cmd); break;
	case 40: putu(o, r->ct_srv_src); break;
	case 41: putu(o, r->ct_srv_dst); break;
	case 42: putu(o, r->ct_dst_ltm); break;
	case 43: putu(o, r->ct_src_ltm); break;
	case 44: putu(o, r->ct_src_dport_ltm); break;
	case 45: putu(o, r->ct_dst_sport_ltm); break;
	case 46: putu(o, r->ct_dst_src_ltm); break;
	}
	return V_NUM;
}

static const char *verdict_name(unsigned v)
{
	return v == WEIR_VERDICT_ANOMALY ? "anomaly" : v == WEIR_VERDICT_NORMAL ? "normal" : "-";
}

static enum vkind put_optional(struct obuf *o, const char *name,
			       const struct weir_record *r)
{
	if (!strcmp(name, "attack_cat")) {
		puts_(o, r->attack_cat);
		return V_STR;
	}
	if (!strcmp(name, "Label"))
		putu(o, r->label);
	else if (!strcmp(name, "score")) {
		if (isnan(r->score)) {
			puts_(o, "-");
			return V_STR;
		}
		putf(o, r->score);
	} else if (!strcmp(name, "verdict")) {
		puts_(o, verdict_name(r->verdict));
		return V_STR;
	} else if (!strcmp(name, "model_version"))
		putu(o, r->model_version);
	else if (!strcmp(name, "end_reason")) {
		puts_(o, weir_end_reason_name(r->end_reason));
		return V_STR;
	} else if (!strcmp(name, "vlan"))
		putu(o, r->vlan);
	else if (!strcmp(name, "worker"))
		putu(o, r->worker);
	else if (!strcmp(name, "flow_id"))
		putu(o, r->flow_id);
	else if (!strcmp(name, "sbytes_ip"))
		putu(o, r->sbytes_ip);
	else if (!strcmp(name, "dbytes_ip"))
		putu(o, r->dbytes_ip);
	return V_NUM;
}

/* The optional column names selected by `cols`, in output order. */
static int optional_columns(unsigned cols, const char **names)
{
	int n = 0;
	if (cols & WEIR_COLS_LABELS)
		for (size_t i = 0; i < 2; i++)
			names[n++] = label_names[i];
	if (cols & WEIR_COLS_SCORE)
		for (size_t i = 0; i < 3; i++)
			names[n++] = score_names[i];
	if (cols & WEIR_COLS_EXTRA)
		for (size_t i = 0; i < sizeof(extra_names) / sizeof(extra_names[0]); i++)
			names[n++] = extra_names[i];
	return n;
}

/* JSON strings here are addresses, enum names and attack categories; only
 * the last comes from outside, so escape what JSON requires. */
static void put_json_str(struct obuf *o, const char *s, size_t n)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			put(o, "\\", 1);
			put(o, s + i, 1);
		} else if (c < 0x20) {
			char tmp[8];
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(o, tmp, 6);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
}

/* Write one value to a scratch buffer, then place it as CSV or JSON. */
static void emit_value(struct obuf *o, enum weir_fmt fmt, const char *name,
		       int first, int feature, const struct weir_record *r)
{
	char tmp[128];
	struct obuf v = { tmp, 0, sizeof(tmp), 0 };
	if (fmt == WEIR_FMT_CSV) {
		/* CSV needs no quoting (no value has a comma): write in place */
		if (!first)
			put(o, ",", 1);
		if (feature >= 0)
			put_feature(o, feature, r);
		else
			put_optional(o, name, r);
		return;
	}
	enum vkind k = feature >= 0 ? put_feature(&v, feature, r)
				    : put_optional(&v, name, r);
	put(o, first ? "{" : ",", 1);
	put_json_str(o, name, strlen(name));
	put(o, ":", 1);
	if (k == V_STR)
		put_json_str(o, tmp, v.len);
	else
		put(o, tmp, v.len);
}

size_t weir_record_format(char *buf, size_t len, enum weir_fmt fmt,
			  unsigned cols, const struct weir_record *r)
{
	struct obuf o = { buf, 0, len, 0 };
	const char *opt[16];
	int nopt = optional_columns(cols, opt);

	for (int i = 0; i < 47; i++)
		emit_value(&o, fmt, weir_feature_names[i], i == 0, i, r);
	for (int i = 0; i < nopt; i++)
		emit_value(&o, fmt, opt[i], 0, -1, r);
	if (fmt == WEIR_FMT_JSONL)
		put(&o, "}", 1);
	put(&o, "\n", 1);
	if (o.overflow)
		return 0;
	buf[o.len] = '\0';
	return o.len;
}

size_t weir_record_header(char *buf, size_t len, enum weir_fmt fmt, unsigned cols)
{
	struct obuf o = { buf, 0, len, 0 };
	const char *opt[16];
	int nopt = optional_columns(cols, opt);

	if (fmt == WEIR_FMT_JSONL) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	for (int i = 0; i < 47; i++) {
		if (i)
			put(&o, ",", 1);
		puts_(&o, weir_feature_names[i]);
	}
	for (int i = 0; i < nopt; i++) {
		put(&o, ",", 1);
		puts_(&o, opt[i]);
	}
	put(&o, "\n", 1);
	if (o.overflow)
		return 0;
	buf[o.len] = '\0';
	return o.len;
}
