/* Reading flow CSVs back into struct weir_record: our own files, and
 * UNSW-NB15's raw (49 columns, with or without a header line) and
 * partitioned (45 columns, training/testing sets) files.
 *
 * Columns are found by header name (case-insensitive, spaces ignored, with
 * the partitioned set's aliases), so column order and extra columns do not
 * matter. Every error names the file, the line and the column. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "record_io.h"

#define FF_MAX_COLS 128
#define FF_MAX_LINE 65536

enum col {
	C_SRCIP, C_SPORT, C_DSTIP, C_DSPORT, C_PROTO, C_STATE, C_DUR, C_SBYTES,
	C_DBYTES, C_STTL, C_DTTL, C_SLOSS, C_DLOSS, C_SERVICE, C_SLOAD, C_DLOAD,
	C_SPKTS, C_DPKTS, C_SWIN, C_DWIN, C_STCPB, C_DTCPB, C_SMEANSZ,
	C_DMEANSZ, C_TRANS_DEPTH, C_RES_BDY_LEN, C_SJIT, C_DJIT, C_STIME,
	C_LTIME, C_SINTPKT, C_DINTPKT, C_TCPRTT, C_SYNACK, C_ACKDAT,
	C_IS_SM_IPS_PORTS, C_CT_STATE_TTL, C_CT_FLW_HTTP_MTHD, C_IS_FTP_LOGIN,
	C_CT_FTP_CMD, C_CT_SRV_SRC, C_CT_SRV_DST, C_CT_DST_LTM, C_CT_SRC_LTM,
	C_CT_SRC_DPORT_LTM, C_CT_DST_SPORT_LTM, C_CT_DST_SRC_LTM,
	C_ATTACK_CAT, C_LABEL, C_SCORE, C_VERDICT, C_MODEL_VERSION,
	C_END_REASON, C_VLAN, C_WORKER, C_FLOW_ID, C_SBYTES_IP, C_DBYTES_IP,
	C_IGNORE, C_MAX
};

/* Names after normalisation (lower case, no spaces); aliases from the
 * partitioned UNSW-NB15 files map onto the raw names. */
static const struct { const char *name; enum col c; } col_names[] = {
	{ "attack_cat", C_ATTACK_CAT }, { "label", C_LABEL },
	{ "score", C_SCORE }, { "verdict", C_VERDICT },
	{ "model_version", C_MODEL_VERSION }, { "end_reason", C_END_REASON },
	{ "vlan", C_VLAN }, { "worker", C_WORKER }, { "flow_id", C_FLOW_ID },
	{ "sbytes_ip", C_SBYTES_IP }, { "dbytes_ip", C_DBYTES_IP },
	/* partitioned-set spellings */
	{ "sinpkt", C_SINTPKT }, { "dinpkt", C_DINTPKT },
	{ "smean", C_SMEANSZ }, { "dmean", C_DMEANSZ },
	{ "response_body_len", C_RES_BDY_LEN },
	{ "id", C_IGNORE }, { "rate", C_IGNORE },
};

struct weir_flowfile {
	FILE *f;
	char path[256];
	unsigned long line;
	int ncols;
	enum col map[FF_MAX_COLS];
	int has[C_MAX];
	const char *kind;
	char buf[FF_MAX_LINE];
};

static void normalise(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	for (; *in && n + 1 < outlen; in++)
		if (!isspace((unsigned char)*in) && *in != '"')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
}

static enum col column_of(const char *raw)
{
	char name[64], feat[64];
	normalise(raw, name, sizeof(name));
	for (int i = 0; i < 47; i++) {
		normalise(weir_feature_names[i], feat, sizeof(feat));
		if (!strcmp(name, feat))
			return (enum col)i;
	}
	for (size_t i = 0; i < sizeof(col_names) / sizeof(col_names[0]); i++)
		if (!strcmp(name, col_names[i].name))
			return col_names[i].c;
	return C_IGNORE;
}

/* Split a line in place on commas; a field may be "quoted". */
static int split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		if (*p == '"') {
			fields[n++] = ++p;
			while (*p && *p != '"')
				p++;
			if (*p)
				*p++ = '\0';
			while (*p && *p != ',')
				p++;
		} else {
			fields[n++] = p;
			while (*p && *p != ',')
				p++;
		}
		if (!*p)
			return n;
		*p++ = '\0';
	}
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int looks_like_ip(const char *s)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* Headerless raw UNSW-NB15 files: the 49 columns in the published order. */
static void map_raw_order(struct weir_flowfile *ff)
{
	ff->ncols = 49;
	for (int i = 0; i < 47; i++)
		ff->map[i] = (enum col)i;
	ff->map[47] = C_ATTACK_CAT;
	ff->map[48] = C_LABEL;
}

static int read_header(struct weir_flowfile *ff, char *err, size_t errlen)
{
	char *fields[FF_MAX_COLS];
	if (!fgets(ff->buf, sizeof(ff->buf), ff->f)) {
		snprintf(err, errlen, "%s: empty file", ff->path);
		return -1;
	}
	ff->line = 1;
	chomp(ff->buf);
	int n = split(ff->buf, fields, FF_MAX_COLS);
	if (n < 0) {
		snprintf(err, errlen, "%s:1: more than %d columns", ff->path, FF_MAX_COLS);
		return -1;
	}
	if (n >= 1 && looks_like_ip(fields[0])) {
		if (n != 49) {
			snprintf(err, errlen, "%s:1: no header line, and %d columns is "
				 "not the raw UNSW-NB15 layout (49)", ff->path, n);
			return -1;
		}
		map_raw_order(ff);
		ff->kind = "unsw-raw";
		rewind(ff->f);
		ff->line = 0;
	} else {
		ff->ncols = n;
		for (int i = 0; i < n; i++)
			ff->map[i] = column_of(fields[i]);
	}
	for (int i = 0; i < ff->ncols; i++)
		ff->has[ff->map[i]] = 1;
	if (!ff->kind) {
		if (ff->has[C_SRCIP] && ff->has[C_FLOW_ID])
			ff->kind = "weir";
		else if (ff->has[C_SRCIP])
			ff->kind = ff->has[C_END_REASON] || ff->has[C_SCORE] ? "weir" : "unsw-raw";
		else
			ff->kind = "unsw-part";
	}
	if (!ff->has[C_PROTO] || !ff->has[C_SBYTES] || !ff->has[C_DUR]) {
		snprintf(err, errlen, "%s:1: not a flow file: the header lacks "
			 "proto, dur or sbytes", ff->path);
		return -1;
	}
	return 0;
}

struct weir_flowfile *weir_flowfile_open(const char *path, char *err, size_t errlen)
{
	struct weir_flowfile *ff = calloc(1, sizeof(*ff));
	if (!ff) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(ff->path, sizeof(ff->path), "%s", path);
	ff->f = fopen(path, "r");
	if (!ff->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(ff);
		return NULL;
	}
	if (read_header(ff, err, errlen) < 0) {
		weir_flowfile_close(ff);
		return NULL;
	}
	return ff;
}

int weir_flowfile_has_labels(const struct weir_flowfile *ff)
{
	return ff->has[C_LABEL];
}

const char *weir_flowfile_kind(const struct weir_flowfile *ff)
{
	return ff->kind;
}

void weir_flowfile_close(struct weir_flowfile *ff)
{
	if (!ff)
		return;
	if (ff->f)
		fclose(ff->f);
	free(ff);
}

/* ---- field parsers: 0 ok, -1 bad ------------------------------------- */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || !strcmp(s, "-")) {
		*v = 0;
		return 0;
	}
	errno = 0;
	/* UNSW-NB15 writes some ports in hex (0x000b). */
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || *s == '-')
		return -1;
	*v = x;
	return 0;
}

static int parse_double(const char *s, double *v)
{
	char *end;
	if (!*s || !strcmp(s, "-")) {
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	return errno || *end ? -1 : 0;
}

static int parse_addr(const char *s, uint8_t *a, uint8_t *family)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = WEIR_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*family = WEIR_AF_INET6;
		return 0;
	}
	return -1;
}

static int set_enum(int v, uint8_t *out)
{
	*out = v < 0 ? 0 : (uint8_t)v;
	return 0;
}

static void set_attack(struct weir_record *r, const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= sizeof(r->attack_cat))
		n = sizeof(r->attack_cat) - 1;
	memcpy(r->attack_cat, s, n);
	r->attack_cat[n] = '\0';
}

static uint32_t u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t u16(uint64_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static uint8_t u8(uint64_t v)
{
	return v > UINT8_MAX ? UINT8_MAX : (uint8_t)v;
}

/* Integer-valued columns: where each one goes. */
static int set_int(struct weir_record *r, enum col c, uint64_t v)
{
	switch (c) {
	case C_SPORT: r->sport = u16(v); break;
	case C_DSPORT: r->dsport = u16(v); break;
	case C_SBYTES: r->sbytes = v; break;
	case C_DBYTES: r->dbytes = v; break;
	case C_STTL: r->sttl = u8(v); break;
	case C_DTTL: r->dttl = u8(v); break;
	case C_SLOSS: r->sloss = u32(v); break;
	case C_DLOSS: r->dloss = u32(v); break;
	case C_SPKTS: r->spkts = u32(v); break;
	case C_DPKTS: r->dpkts = u32(v); break;
	case C_SWIN: r->swin = u32(v); break;
	case C_DWIN: r->dwin = u32(v); break;
	case C_STCPB: r->stcpb = u32(v); break;
	case C_DTCPB: r->dtcpb = u32(v); break;
	case C_SMEANSZ: r->smeansz = u32(v); break;
	case C_DMEANSZ: r->dmeansz = u32(v); break;
	case C_TRANS_DEPTH: r->trans_depth = u32(v); break;
	case C_RES_BDY_LEN: r->res_bdy_len = v; break;
	case C_IS_SM_IPS_PORTS: r->is_sm_ips_ports = u8(v); break;
	case C_CT_STATE_TTL: r->ct_state_ttl = u8(v); break;
	case C_CT_FLW_HTTP_MTHD: r->ct_flw_http_mthd = u32(v); break;
	case C_IS_FTP_LOGIN: r->is_ftp_login = u8(v); break;
	case C_CT_FTP_CMD: r->ct_ftp_cmd = u32(v); break;
	case C_CT_SRV_SRC: r->ct_srv_src = u16(v); break;
	case C_CT_SRV_DST: r->ct_srv_dst = u16(v); break;
	case C_CT_DST_LTM: r->ct_dst_ltm = u16(v); break;
	case C_CT_SRC_LTM: r->ct_src_ltm = u16(v); break;
	case C_CT_SRC_DPORT_LTM: r->ct_src_dport_ltm = u16(v); break;
	case C_CT_DST_SPORT_LTM: r->ct_dst_sport_ltm = u16(v); break;
	case C_CT_DST_SRC_LTM: r->ct_dst_src_ltm = u16(v); break;
	case C_LABEL: r->label = v ? 1 : 0; r->has_label = 1; break;
	case C_MODEL_VERSION: r->model_version = u32(v); break;
	case C_VLAN: r->vlan = u16(v); break;
	case C_WORKER: r->worker = u16(v); break;
	case C_FLOW_ID: r->flow_id = v; break;
	case C_SBYTES_IP: r->sbytes_ip = v; break;
	case C_DBYTES_IP: r->dbytes_ip = v; break;
	default: return -1;
	}
	return 0;
}

static int set_real(struct weir_record *r, enum col c, double v)
{
	switch (c) {
	case C_DUR: r->dur = v; break;
	case C_SLOAD: r->sload = v; break;
	case C_DLOAD: r->dload = v; break;
	case C_SJIT: r->sjit = v; break;
	case C_DJIT: r->djit = v; break;
	case C_SINTPKT: r->sintpkt = v; break;
	case C_DINTPKT: r->dintpkt = v; break;
	case C_TCPRTT: r->tcprtt = v; break;
	case C_SYNACK: r->synack = v; break;
	case C_ACKDAT: r->ackdat = v; break;
	case C_SCORE: r->score = (float)v; break;
	case C_STIME: r->stime_ns = v > 0 ? (uint64_t)(v * 1e9 + 0.5) : 0; break;
	case C_LTIME: r->ltime_ns = v > 0 ? (uint64_t)(v * 1e9 + 0.5) : 0; break;
	default: return -1;
	}
	return 0;
}

static int set_text(struct weir_record *r, enum col c, const char *s)
{
	uint8_t fam = 0;
	switch (c) {
	case C_SRCIP:
		if (parse_addr(s, r->srcip, &fam) < 0)
			return -1;
		r->family = fam;
		return 0;
	case C_DSTIP:
		return parse_addr(s, r->dstip, &fam);
	case C_PROTO: {
		int p = weir_proto_parse(s);
		if (p < 0)
			return -1;
		r->proto = (uint16_t)p;
		if (p == WEIR_PROTO_ARP)
			r->family = WEIR_AF_ARP;
		return 0;
	}
	case C_STATE: return set_enum(weir_state_parse(s), &r->state);
	case C_SERVICE: return set_enum(weir_service_parse(s), &r->service);
	case C_ATTACK_CAT: set_attack(r, s); return 0;
	case C_VERDICT:
		r->verdict = !strcmp(s, "anomaly") ? WEIR_VERDICT_ANOMALY :
			     !strcmp(s, "normal") ? WEIR_VERDICT_NORMAL : WEIR_VERDICT_NONE;
		return 0;
	case C_END_REASON:
		for (unsigned i = 0; i < WEIR_END_MAX; i++)
			if (!strcmp(s, weir_end_reason_name(i)))
				r->end_reason = (uint8_t)i;
		return 0;
	default:
		return 1; /* not a text column */
	}
}

static int set_field(struct weir_record *r, enum col c, const char *s)
{
	if (c == C_IGNORE)
		return 0;
	int rc = set_text(r, c, s);
	if (rc <= 0)
		return rc;
	uint64_t u;
	double d;
	switch (c) {
	case C_DUR: case C_SLOAD: case C_DLOAD: case C_SJIT: case C_DJIT:
	case C_SINTPKT: case C_DINTPKT: case C_TCPRTT: case C_SYNACK:
	case C_ACKDAT: case C_SCORE: case C_STIME: case C_LTIME:
		if (parse_double(s, &d) < 0)
			return -1;
		return set_real(r, c, d);
	default:
		/* Some UNSW exports write integer columns as floats ("0.0"). */
		if (parse_u64(s, &u) == 0)
			return set_int(r, c, u);
		if (parse_double(s, &d) < 0 || d < 0)
			return -1;
		return set_int(r, c, (uint64_t)d);
	}
}

static const char *col_label(enum col c)
{
	if (c < 47)
		return weir_feature_names[c];
	static const char *const rest[] = {
		"attack_cat", "Label", "score", "verdict", "model_version",
		"end_reason", "vlan", "worker", "flow_id", "sbytes_ip",
		"dbytes_ip", "?",
	};
	return rest[c - 47];
}

int weir_flowfile_next(struct weir_flowfile *ff, struct weir_record *rec,
		       char *err, size_t errlen)
{
	char *fields[FF_MAX_COLS];
	for (;;) {
		if (!fgets(ff->buf, sizeof(ff->buf), ff->f)) {
			if (ferror(ff->f)) {
				snprintf(err, errlen, "%s:%lu: read error: %s",
					 ff->path, ff->line + 1, strerror(errno));
				return -1;
			}
			return 0;
		}
		ff->line++;
		size_t len = strlen(ff->buf);
		if (len == sizeof(ff->buf) - 1 && ff->buf[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%lu: line longer than %d bytes",
				 ff->path, ff->line, FF_MAX_LINE);
			return -1;
		}
		chomp(ff->buf);
		if (ff->buf[0])
			break;
	}
	int n = split(ff->buf, fields, FF_MAX_COLS);
	if (n != ff->ncols) {
		snprintf(err, errlen, "%s:%lu: %d columns, the header has %d",
			 ff->path, ff->line, n < 0 ? FF_MAX_COLS : n, ff->ncols);
		return -1;
	}
	memset(rec, 0, sizeof(*rec));
	rec->score = __builtin_nanf("");
	rec->family = WEIR_AF_INET;
	for (int i = 0; i < n; i++) {
		if (set_field(rec, ff->map[i], fields[i]) < 0) {
			snprintf(err, errlen, "%s:%lu: column %d (%s): cannot read '%.40s'",
				 ff->path, ff->line, i + 1, col_label(ff->map[i]), fields[i]);
			return -1;
		}
	}
	return 1;
}
