/* Model bundles: feature vectorisation of a record, loading and validating
 * a bundle directory, scoring. See bundle.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "bundle.h"

/* ---- record fields -> transformed feature values ---- */

static const char *const field_names[WEIR_FLD_MAX] = {
	[WEIR_FLD_PROTO] = "proto", [WEIR_FLD_STATE] = "state",
	[WEIR_FLD_SERVICE] = "service", [WEIR_FLD_DUR] = "dur",
	[WEIR_FLD_SBYTES] = "sbytes", [WEIR_FLD_DBYTES] = "dbytes",
	[WEIR_FLD_STTL] = "sttl", [WEIR_FLD_DTTL] = "dttl",
	[WEIR_FLD_SLOSS] = "sloss", [WEIR_FLD_DLOSS] = "dloss",
	[WEIR_FLD_SLOAD] = "sload", [WEIR_FLD_DLOAD] = "dload",
	[WEIR_FLD_SPKTS] = "spkts", [WEIR_FLD_DPKTS] = "dpkts",
	[WEIR_FLD_SWIN] = "swin", [WEIR_FLD_DWIN] = "dwin",
	[WEIR_FLD_SMEANSZ] = "smeansz", [WEIR_FLD_DMEANSZ] = "dmeansz",
	[WEIR_FLD_TRANS_DEPTH] = "trans_depth",
	[WEIR_FLD_RES_BDY_LEN] = "res_bdy_len",
	[WEIR_FLD_SJIT] = "sjit", [WEIR_FLD_DJIT] = "djit",
	[WEIR_FLD_SINTPKT] = "sintpkt", [WEIR_FLD_DINTPKT] = "dintpkt",
	[WEIR_FLD_TCPRTT] = "tcprtt", [WEIR_FLD_SYNACK] = "synack",
	[WEIR_FLD_ACKDAT] = "ackdat",
	[WEIR_FLD_IS_SM_IPS_PORTS] = "is_sm_ips_ports",
	[WEIR_FLD_CT_STATE_TTL] = "ct_state_ttl",
	[WEIR_FLD_CT_FLW_HTTP_MTHD] = "ct_flw_http_mthd",
	[WEIR_FLD_IS_FTP_LOGIN] = "is_ftp_login",
	[WEIR_FLD_CT_FTP_CMD] = "ct_ftp_cmd",
	[WEIR_FLD_CT_SRV_SRC] = "ct_srv_src", [WEIR_FLD_CT_SRV_DST] = "ct_srv_dst",
	[WEIR_FLD_CT_DST_LTM] = "ct_dst_ltm", [WEIR_FLD_CT_SRC_LTM] = "ct_src_ltm",
	[WEIR_FLD_CT_SRC_DPORT_LTM] = "ct_src_dport_ltm",
	[WEIR_FLD_CT_DST_SPORT_LTM] = "ct_dst_sport_ltm",
	[WEIR_FLD_CT_DST_SRC_LTM] = "ct_dst_src_ltm",
};

static const char *const xform_names[WEIR_XF_MAX] = {
	[WEIR_XF_IDENTITY] = "identity", [WEIR_XF_LOG1P] = "log1p",
	[WEIR_XF_ONEHOT] = "onehot",
};

const char *weir_field_name(unsigned f)
{
	return f < WEIR_FLD_MAX ? field_names[f] : "?";
}

int weir_field_parse(const char *s)
{
	for (unsigned i = 0; i < WEIR_FLD_MAX; i++)
		if (strcmp(field_names[i], s) == 0)
			return (int)i;
	return -1;
}

int weir_field_is_categorical(unsigned f)
{
	return f == WEIR_FLD_PROTO || f == WEIR_FLD_STATE || f == WEIR_FLD_SERVICE;
}

const char *weir_xform_name(unsigned x)
{
	return x < WEIR_XF_MAX ? xform_names[x] : "?";
}

int weir_xform_parse(const char *s)
{
	for (unsigned i = 0; i < WEIR_XF_MAX; i++)
		if (strcmp(xform_names[i], s) == 0)
			return (int)i;
	return -1;
}

double weir_field_value(const struct weir_record *r, unsigned f)
{
	switch (f) {
	case WEIR_FLD_PROTO: return r->proto;
	case WEIR_FLD_STATE: return r->state;
	case WEIR_FLD_SERVICE: return r->service;
	case WEIR_FLD_DUR: return r->dur;
	case WEIR_FLD_SBYTES: return (double)r->sbytes;
	case WEIR_FLD_DBYTES: return (double)r->dbytes;
	case WEIR_FLD_STTL: return r->sttl;
	case WEIR_FLD_DTTL: return r->dttl;
	case WEIR_FLD_SLOSS: return r->sloss;
	case WEIR_FLD_DLOSS: return r->dloss;
	case WEIR_FLD_SLOAD: return r->sload;
	case WEIR_FLD_DLOAD: return r->dload;
	case WEIR_FLD_SPKTS: return r->spkts;
	case WEIR_FLD_DPKTS: return r->dpkts;
	case WEIR_FLD_SWIN: return r->swin;
	case WEIR_FLD_DWIN: return r->dwin;
	case WEIR_FLD_SMEANSZ: return r->smeansz;
	case WEIR_FLD_DMEANSZ: return r->dmeansz;
	case WEIR_FLD_TRANS_DEPTH: return r->trans_depth;
	case WEIR_FLD_RES_BDY_LEN: return (double)r->res_bdy_len;
	case WEIR_FLD_SJIT: return r->sjit;
	case WEIR_FLD_DJIT: return r->djit;
	case WEIR_FLD_SINTPKT: return r->sintpkt;
	case WEIR_FLD_DINTPKT: return r->dintpkt;
	case WEIR_FLD_TCPRTT: return r->tcprtt;
	case WEIR_FLD_SYNACK: return r->synack;
	case WEIR_FLD_ACKDAT: return r->ackdat;
	case WEIR_FLD_IS_SM_IPS_PORTS: return r->is_sm_ips_ports;
	case WEIR_FLD_CT_STATE_TTL: return r->ct_state_ttl;
	case WEIR_FLD_CT_FLW_HTTP_MTHD: return r->ct_flw_http_mthd;
	case WEIR_FLD_IS_FTP_LOGIN: return r->is_ftp_login;
	case WEIR_FLD_CT_FTP_CMD: return r->ct_ftp_cmd;
	case WEIR_FLD_CT_SRV_SRC: return r->ct_srv_src;
	case WEIR_FLD_CT_SRV_DST: return r->ct_srv_dst;
	case WEIR_FLD_CT_DST_LTM: return r->ct_dst_ltm;
	case WEIR_FLD_CT_SRC_LTM: return r->ct_src_ltm;
	case WEIR_FLD_CT_SRC_DPORT_LTM: return r->ct_src_dport_ltm;
	case WEIR_FLD_CT_DST_SPORT_LTM: return r->ct_dst_sport_ltm;
	case WEIR_FLD_CT_DST_SRC_LTM: return r->ct_dst_src_ltm;
	default: return 0;
	}
}

void weir_featspec_raw(const struct weir_featspec *fs,
		       const struct weir_record *r, float *out)
{
	for (uint32_t d = 0; d < fs->ndims; d++) {
		const struct weir_dim *dm = &fs->dim[d];
		double v = weir_field_value(r, dm->field);
		switch (dm->xform) {
		case WEIR_XF_ONEHOT:
			v = (int32_t)v == dm->category ? 1.0 : 0.0;
			break;
		case WEIR_XF_LOG1P:
			/* counts, bytes, rates and times are non-negative; a
			 * negative value is damage, and log1p(<= -1) is not a
			 * number */
			v = v > 0 ? log1p((double)dm->mul * v) : 0.0;
			break;
		default:
			break;
		}
		out[d] = isfinite(v) ? (float)v : 0.0f;
	}
}

/* ---- loading ---- */

#define LINE_MAX_LEN 16384     /* 256 dims x ~30 chars fits with room */
#define JSON_MAX_LEN (4u << 20)

/* A line reader that numbers lines and refuses overlong ones. */
struct lines {
	FILE *f;
	const char *path;
	unsigned no;
	int had_newline;
	char buf[LINE_MAX_LEN];
};

static int lines_open(struct lines *l, const char *path, char *err, size_t errlen)
{
	l->path = path;
	l->no = 0;
	l->f = fopen(path, "r");
	if (!l->f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1: a line in l->buf (newline stripped), 0: end of file, -1: error. */
static int lines_next(struct lines *l, char *err, size_t errlen)
{
	if (!fgets(l->buf, sizeof(l->buf), l->f)) {
		if (ferror(l->f)) {
			snprintf(err, errlen, "%s:%u: read error", l->path, l->no + 1);
			return -1;
		}
		return 0;
	}
	l->no++;
	size_t n = strlen(l->buf);
	l->had_newline = n > 0 && l->buf[n - 1] == '\n';
	if (!l->had_newline && !feof(l->f)) {
		snprintf(err, errlen, "%s:%u: line longer than %d bytes", l->path,
			 l->no, LINE_MAX_LEN - 2);
		return -1;
	}
	while (n > 0 && (l->buf[n - 1] == '\n' || l->buf[n - 1] == '\r'))
		l->buf[--n] = '\0';
	return 1;
}

static int is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

/* A finite double filling the whole token. */
static int parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int join(char *out, size_t outlen, const char *dir, const char *file,
		char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "%s: bundle path too long", dir);
		return -1;
	}
	return 0;
}

/* -- bundle.json -- */

static int jnum(json_object *o, double *out)
{
	if (!o || !(json_object_is_type(o, json_type_double) ||
		    json_object_is_type(o, json_type_int)))
		return -1;
	double v = json_object_get_double(o);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static char *read_all(const char *path, size_t max, size_t *len, char *err,
		      size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: no memory", path);
		return NULL;
	}
	size_t n = fread(buf, 1, max + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > max) {
		snprintf(err, errlen, bad ? "%s: read error" : "%s: larger than %zu bytes",
			 path, max);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static unsigned line_of(const char *buf, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

static int category_parse(unsigned field, const char *s)
{
	switch (field) {
	case WEIR_FLD_PROTO: return weir_proto_parse(s);
	case WEIR_FLD_STATE: return weir_state_parse(s);
	case WEIR_FLD_SERVICE: return weir_service_parse(s);
	default: {
		/* a numeric field one-hot encoded: its integer values */
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		return end != s && !*end && !errno && v >= 0 && v <= INT32_MAX ? (int)v : -1;
	}
	}
}

/* One entry of "features": one dimension, or one per category. */
static int load_feature(struct weir_bundle *b, json_object *f, unsigned i,
			const char *path, char *err, size_t errlen)
{
	struct weir_featspec *fs = &b->fs;
	if (!json_object_is_type(f, json_type_object)) {
		snprintf(err, errlen, "%s: features[%u] is not an object", path, i);
		return -1;
	}
	json_object *jf = jget(f, "field"), *jx = jget(f, "transform");
	if (!jf || !json_object_is_type(jf, json_type_string) ||
	    !jx || !json_object_is_type(jx, json_type_string)) {
		snprintf(err, errlen, "%s: features[%u] needs string \"field\" and \"transform\"",
			 path, i);
		return -1;
	}
	int field = weir_field_parse(json_object_get_string(jf));
	if (field < 0) {
		snprintf(err, errlen, "%s: features[%u]: unknown field \"%s\"", path, i,
			 json_object_get_string(jf));
		return -1;
	}
	int xf = weir_xform_parse(json_object_get_string(jx));
	if (xf < 0) {
		snprintf(err, errlen, "%s: features[%u]: unknown transform \"%s\"", path, i,
			 json_object_get_string(jx));
		return -1;
	}
	/* Categorical fields must be one-hot; numeric ones may be, over their
	 * integer values (TTLs: a few discrete OS and path signatures). */
	if (xf != WEIR_XF_ONEHOT && weir_field_is_categorical((unsigned)field)) {
		snprintf(err, errlen, "%s: features[%u]: %s is categorical and must be one-hot encoded",
			 path, i, weir_field_name((unsigned)field));
		return -1;
	}
	json_object *jmean = jget(f, "mean"), *jstd = jget(f, "std");
	if (xf != WEIR_XF_ONEHOT) {
		if (fs->ndims >= WEIR_BUNDLE_MAX_DIMS)
			goto too_many;
		double mul = 1, mean, sd;
		json_object *jm = jget(f, "mul");
		if (jm && (jnum(jm, &mul) || !(mul > 0))) {
			snprintf(err, errlen, "%s: features[%u]: \"mul\" must be a positive number",
				 path, i);
			return -1;
		}
		if (jnum(jmean, &mean) || jnum(jstd, &sd) || sd < 0) {
			snprintf(err, errlen, "%s: features[%u]: \"mean\" and \"std\" must be finite numbers (std >= 0)",
				 path, i);
			return -1;
		}
		struct weir_dim *d = &fs->dim[fs->ndims];
		d->field = (uint8_t)field;
		d->xform = (uint8_t)xf;
		d->mul = (float)mul;
		snprintf(d->name, sizeof(d->name), "%s", weir_field_name((unsigned)field));
		b->mean[fs->ndims] = (float)mean;
		b->std[fs->ndims] = (float)sd;
		fs->ndims++;
		return 0;
	}
	json_object *jc = jget(f, "categories");
	if (!jc || !json_object_is_type(jc, json_type_array) ||
	    json_object_array_length(jc) == 0) {
		snprintf(err, errlen, "%s: features[%u]: one-hot needs a non-empty \"categories\" array",
			 path, i);
		return -1;
	}
	size_t nc = json_object_array_length(jc);
	if (!jmean || !jstd || !json_object_is_type(jmean, json_type_array) ||
	    !json_object_is_type(jstd, json_type_array) ||
	    json_object_array_length(jmean) != nc || json_object_array_length(jstd) != nc) {
		snprintf(err, errlen, "%s: features[%u]: \"mean\" and \"std\" must be arrays of %zu numbers",
			 path, i, nc);
		return -1;
	}
	for (size_t c = 0; c < nc; c++) {
		if (fs->ndims >= WEIR_BUNDLE_MAX_DIMS)
			goto too_many;
		json_object *jn = json_object_array_get_idx(jc, c);
		const char *cat = json_object_is_type(jn, json_type_string)
			? json_object_get_string(jn) : NULL;
		int code = cat ? category_parse((unsigned)field, cat) : -1;
		if (code < 0) {
			snprintf(err, errlen, "%s: features[%u]: categories[%zu] is not a %s value",
				 path, i, c, weir_field_name((unsigned)field));
			return -1;
		}
		double mean, sd;
		if (jnum(json_object_array_get_idx(jmean, c), &mean) ||
		    jnum(json_object_array_get_idx(jstd, c), &sd) || sd < 0) {
			snprintf(err, errlen, "%s: features[%u]: mean/std[%zu] must be finite numbers (std >= 0)",
				 path, i, c);
			return -1;
		}
		struct weir_dim *d = &fs->dim[fs->ndims];
		d->field = (uint8_t)field;
		d->xform = WEIR_XF_ONEHOT;
		d->category = code;
		d->mul = 1;
		snprintf(d->name, sizeof(d->name), "%s=%s",
			 weir_field_name((unsigned)field), cat);
		b->mean[fs->ndims] = (float)mean;
		b->std[fs->ndims] = (float)sd;
		fs->ndims++;
	}
	return 0;
too_many:
	snprintf(err, errlen, "%s: features[%u]: more than %u feature dimensions",
		 path, i, WEIR_BUNDLE_MAX_DIMS);
	return -1;
}

static void load_provenance(struct weir_bundle *b, json_object *p)
{
	if (!p || !json_object_is_type(p, json_type_object))
		return;
	json_object *o;
	double v;
	if ((o = jget(p, "source"))) {
		if (json_object_is_type(o, json_type_array)) {
			size_t off = 0;
			for (size_t i = 0; i < json_object_array_length(o); i++) {
				const char *s = json_object_get_string(json_object_array_get_idx(o, i));
				int n = snprintf(b->source + off, sizeof(b->source) - off, "%s%s",
						 i ? " " : "", s ? s : "");
				if (n < 0 || (size_t)n >= sizeof(b->source) - off)
					break;
				off += (size_t)n;
			}
		} else {
			snprintf(b->source, sizeof(b->source), "%s", json_object_get_string(o));
		}
	}
	if ((o = jget(p, "date")))
		snprintf(b->date, sizeof(b->date), "%s", json_object_get_string(o));
	if (!jnum(jget(p, "flows"), &v) && v >= 0)
		b->flows = (uint64_t)v;
	if (!jnum(jget(p, "train_flows"), &v) && v >= 0)
		b->train_flows = (uint64_t)v;
	if (!jnum(jget(p, "time_span_s"), &v))
		b->time_span_s = v;
	if (!jnum(jget(p, "gamma"), &v))
		b->gamma = v;
	if (!jnum(jget(p, "nu"), &v))
		b->nu = v;
	if (!jnum(jget(p, "threshold_quantile"), &v))
		b->threshold_quantile = v;
}

static int load_json(struct weir_bundle *b, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *buf = read_all(path, JSON_MAX_LEN, &len, err, errlen);
	if (!buf)
		return -1;
	int rc = -1;
	struct json_tokener *tok = json_tokener_new();
	json_object *root = tok ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
	if (!tok) {
		snprintf(err, errlen, "%s: no memory", path);
		goto out;
	}
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			snprintf(err, errlen, "%s:%u: malformed JSON: unexpected end of file",
				 path, line_of(buf, len));
		else
			snprintf(err, errlen, "%s:%u: malformed JSON: %s", path,
				 line_of(buf, end), json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = end; i < len; i++)
		if (!isspace((unsigned char)buf[i])) {
			snprintf(err, errlen, "%s:%u: malformed JSON: text after the object",
				 path, line_of(buf, i));
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s:1: not a JSON object", path);
		goto out;
	}
	double v;
	if (jnum(jget(root, "format_version"), &v) || v != WEIR_BUNDLE_FORMAT) {
		snprintf(err, errlen, "%s: \"format_version\" must be %d", path, WEIR_BUNDLE_FORMAT);
		goto out;
	}
	if (jnum(jget(root, "version"), &v) || v < 1 || v > UINT32_MAX || v != floor(v)) {
		snprintf(err, errlen, "%s: \"version\" must be an integer 1..%u", path, UINT32_MAX);
		goto out;
	}
	b->version = (uint32_t)v;
	if (jnum(jget(root, "threshold"), &v) || fabs(v) > 1e30) {
		snprintf(err, errlen, "%s: \"threshold\" must be a finite number", path);
		goto out;
	}
	b->threshold = (float)v;
	json_object *feats = jget(root, "features");
	if (!feats || !json_object_is_type(feats, json_type_array) ||
	    json_object_array_length(feats) == 0) {
		snprintf(err, errlen, "%s: \"features\" must be a non-empty array", path);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(feats); i++)
		if (load_feature(b, json_object_array_get_idx(feats, i), (unsigned)i,
				 path, err, errlen))
			goto out;
	load_provenance(b, jget(root, "provenance"));
	rc = 0;
out:
	if (root)
		json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return rc;
}

/* -- scale.range (svm-scale -s) -- */

static int load_range(struct weir_bundle *b, const char *path, char *err, size_t errlen)
{
	struct lines *l = malloc(sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: no memory", path);
		return -1;
	}
	if (lines_open(l, path, err, errlen)) {
		free(l);
		return -1;
	}
	int rc = -1, r, section = 0;   /* 0: expect x/y, 1: y bounds, 2: y range, 3: x bounds, 4: x lines */
	double lower = 0, upper = 0;
	uint8_t seen[WEIR_BUNDLE_MAX_DIMS] = { 0 };
	while ((r = lines_next(l, err, errlen)) == 1) {
		char *s = l->buf;
		if (section == 0) {
			if (!strcmp(s, "y")) {
				section = 1;   /* label scaling: irrelevant to one-class */
			} else if (!strcmp(s, "x")) {
				section = 3;
			} else {
				snprintf(err, errlen, "%s:%u: expected \"x\", found \"%.40s\"",
					 path, l->no, s);
				goto out;
			}
			continue;
		}
		if (section == 1 || section == 2) {
			section++;
			if (section == 3)
				section = 0;
			continue;
		}
		char a[64], c[64], d[64], extra[2];
		if (section == 3) {
			if (sscanf(s, "%63s %63s %1s", a, c, extra) != 2 ||
			    parse_num(a, &lower) || parse_num(c, &upper) || !(lower < upper)) {
				snprintf(err, errlen, "%s:%u: expected \"lower upper\" with lower < upper",
					 path, l->no);
				goto out;
			}
			section = 4;
			continue;
		}
		if (is_blank(s))
			continue;
		double idx, mn, mx;
		if (sscanf(s, "%63s %63s %63s %1s", a, c, d, extra) != 3 ||
		    parse_num(a, &idx) || parse_num(c, &mn) || parse_num(d, &mx) ||
		    idx != floor(idx)) {
			snprintf(err, errlen, "%s:%u: expected \"index min max\"", path, l->no);
			goto out;
		}
		if (idx < 1 || idx > b->fs.ndims) {
			snprintf(err, errlen, "%s:%u: index %.0f exceeds the %u features of bundle.json",
				 path, l->no, idx, b->fs.ndims);
			goto out;
		}
		unsigned k = (unsigned)idx - 1;
		if (seen[k]) {
			snprintf(err, errlen, "%s:%u: index %u listed twice", path, l->no, k + 1);
			goto out;
		}
		seen[k] = 1;
		if (mn > mx) {
			snprintf(err, errlen, "%s:%u: min %g above max %g", path, l->no, mn, mx);
			goto out;
		}
		if (mn < mx) {
			double mul = (upper - lower) / (mx - mn);
			b->scale_mul[k] = (float)mul;
			b->scale_add[k] = (float)(lower - mn * mul);
		}
	}
	if (r < 0)
		goto out;
	if (section != 4) {
		snprintf(err, errlen, "%s:%u: truncated: no \"x\" section with its bounds",
			 path, l->no + 1);
		goto out;
	}
	rc = 0;
out:
	fclose(l->f);
	free(l);
	return rc;
}

/* -- model.svm (svm_save_model's text format) -- */

static int load_model(struct weir_bundle *b, const char *path, char *err, size_t errlen)
{
	struct lines *l = malloc(sizeof(*l));
	float *row = malloc(WEIR_BUNDLE_MAX_DIMS * sizeof(float));
	struct weir_svm *m = NULL;
	int rc = -1, r;
	if (!l || !row) {
		snprintf(err, errlen, "%s: no memory", path);
		free(l);
		free(row);
		return -1;
	}
	if (lines_open(l, path, err, errlen)) {
		free(l);
		free(row);
		return -1;
	}
	int have_type = 0, kernel = -1;
	double gamma = 0, rho = 0, v;
	int have_rho = 0;
	long total = -1;
	char key[32], a[64], extra[2];
	/* header */
	for (;;) {
		if ((r = lines_next(l, err, errlen)) < 0)
			goto out;
		if (r == 0) {
			snprintf(err, errlen, "%s:%u: truncated: no \"SV\" line", path, l->no + 1);
			goto out;
		}
		char *s = l->buf;
		if (!strcmp(s, "SV"))
			break;
		int n = sscanf(s, "%31s %63s %1s", key, a, extra);
		if (n < 1)
			continue;
		if (n != 2) {
			snprintf(err, errlen, "%s:%u: expected \"key value\"", path, l->no);
			goto out;
		}
		if (!strcmp(key, "svm_type")) {
			if (strcmp(a, "one_class")) {
				snprintf(err, errlen, "%s:%u: svm_type %s is not one_class",
					 path, l->no, a);
				goto out;
			}
			have_type = 1;
		} else if (!strcmp(key, "kernel_type")) {
			if (!strcmp(a, "rbf")) {
				kernel = WEIR_SVM_RBF;
			} else if (!strcmp(a, "linear")) {
				kernel = WEIR_SVM_LINEAR;
			} else {
				snprintf(err, errlen, "%s:%u: kernel_type %s is not rbf or linear",
					 path, l->no, a);
				goto out;
			}
		} else if (!strcmp(key, "gamma")) {
			if (parse_num(a, &gamma) || !(gamma > 0)) {
				snprintf(err, errlen, "%s:%u: gamma %s is not a positive number",
					 path, l->no, a);
				goto out;
			}
		} else if (!strcmp(key, "degree") || !strcmp(key, "coef0")) {
			/* written for every kernel; unused by rbf and linear */
		} else if (!strcmp(key, "nr_class")) {
			if (strcmp(a, "2")) {
				snprintf(err, errlen, "%s:%u: nr_class %s, one-class models have 2",
					 path, l->no, a);
				goto out;
			}
		} else if (!strcmp(key, "total_sv")) {
			if (parse_num(a, &v) || v != floor(v) || v < 1) {
				snprintf(err, errlen, "%s:%u: total_sv %s is not a positive integer",
					 path, l->no, a);
				goto out;
			}
			if (v > WEIR_BUNDLE_MAX_SV) {
				snprintf(err, errlen, "%s:%u: total_sv %s exceeds the maximum %u",
					 path, l->no, a, WEIR_BUNDLE_MAX_SV);
				goto out;
			}
			total = (long)v;
		} else if (!strcmp(key, "rho")) {
			if (parse_num(a, &rho)) {
				snprintf(err, errlen, "%s:%u: rho %s is not a finite number",
					 path, l->no, a);
				goto out;
			}
			have_rho = 1;
		} else {
			snprintf(err, errlen, "%s:%u: unexpected \"%s\" in a one-class model",
				 path, l->no, key);
			goto out;
		}
	}
	const char *missing = !have_type ? "svm_type" : kernel < 0 ? "kernel_type"
		: total < 0 ? "total_sv" : !have_rho ? "rho"
		: (kernel == WEIR_SVM_RBF && gamma == 0) ? "gamma" : NULL;
	if (missing) {
		snprintf(err, errlen, "%s:%u: header has no %s", path, l->no, missing);
		goto out;
	}
	char merr[128];
	m = weir_svm_create((enum weir_svm_kernel)kernel, b->fs.ndims, (uint32_t)total,
			    gamma, rho, merr, sizeof(merr));
	if (!m) {
		snprintf(err, errlen, "%s: %s", path, merr);
		goto out;
	}
	uint32_t nsv = 0;
	while ((r = lines_next(l, err, errlen)) == 1) {
		char *s = l->buf;
		if (is_blank(s))
			continue;
		if (nsv == (uint32_t)total) {
			snprintf(err, errlen, "%s:%u: more support vectors than total_sv %ld",
				 path, l->no, total);
			goto out;
		}
		if (!l->had_newline) {
			snprintf(err, errlen, "%s:%u: last line has no end of line (truncated file?)",
				 path, l->no);
			goto out;
		}
		char *save = NULL, *tokn = strtok_r(s, " \t", &save);
		double coef;
		if (!tokn || parse_num(tokn, &coef)) {
			snprintf(err, errlen, "%s:%u: coefficient \"%.40s\" is not a finite number",
				 path, l->no, tokn ? tokn : "");
			goto out;
		}
		memset(row, 0, WEIR_BUNDLE_MAX_DIMS * sizeof(float));
		long prev = 0;
		while ((tokn = strtok_r(NULL, " \t", &save))) {
			char *colon = strchr(tokn, ':'), *end;
			if (!colon) {
				snprintf(err, errlen, "%s:%u: \"%.40s\" is not index:value",
					 path, l->no, tokn);
				goto out;
			}
			*colon = '\0';
			errno = 0;
			long idx = strtol(tokn, &end, 10);
			if (end == tokn || *end || errno) {
				snprintf(err, errlen, "%s:%u: SV index \"%.20s\" is not a number",
					 path, l->no, tokn);
				goto out;
			}
			if (idx > (long)b->fs.ndims) {
				snprintf(err, errlen, "%s:%u: SV index %ld exceeds the %u features of bundle.json",
					 path, l->no, idx, b->fs.ndims);
				goto out;
			}
			if (idx <= prev) {
				snprintf(err, errlen, "%s:%u: SV index %ld out of order (indices are 1-based and ascending)",
					 path, l->no, idx);
				goto out;
			}
			if (parse_num(colon + 1, &v) || fabs(v) > 1e30) {
				snprintf(err, errlen, "%s:%u: value of SV index %ld is not a finite number",
					 path, l->no, idx);
				goto out;
			}
			row[idx - 1] = (float)v;
			prev = idx;
		}
		weir_svm_set_sv(m, nsv, row, coef);
		nsv++;
	}
	if (r < 0)
		goto out;
	if (nsv != (uint32_t)total) {
		snprintf(err, errlen, "%s:%u: file ends after %u of %ld support vectors",
			 path, l->no + 1, nsv, total);
		goto out;
	}
	weir_svm_finalize(m);
	b->svm = m;
	m = NULL;
	rc = 0;
out:
	weir_svm_free(m);
	fclose(l->f);
	free(l);
	free(row);
	return rc;
}

struct weir_bundle *weir_bundle_load(const char *dir, char *err, size_t errlen)
{
	char path[1024];
	struct weir_bundle *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "%s: no memory", dir);
		return NULL;
	}
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	if (join(path, sizeof(path), dir, "bundle.json", err, errlen) ||
	    load_json(b, path, err, errlen) ||
	    join(path, sizeof(path), dir, "scale.range", err, errlen) ||
	    load_range(b, path, err, errlen) ||
	    join(path, sizeof(path), dir, "model.svm", err, errlen) ||
	    load_model(b, path, err, errlen)) {
		weir_bundle_free(b);
		return NULL;
	}
	return b;
}

void weir_bundle_free(struct weir_bundle *b)
{
	if (!b)
		return;
	weir_svm_free(b->svm);
	free(b);
}

/* ---- scoring ---- */

void weir_bundle_vector(const struct weir_bundle *b,
			const struct weir_record *r, float *out)
{
	uint32_t n = b->fs.ndims;
	weir_featspec_raw(&b->fs, r, out);
	for (uint32_t d = 0; d < n; d++)
		out[d] = out[d] * b->scale_mul[d] + b->scale_add[d];
	for (uint32_t d = n; d < b->svm->stride; d++)
		out[d] = 0.0f;
}

float weir_bundle_score(const struct weir_bundle *b, const struct weir_record *r)
{
	float x[WEIR_BUNDLE_MAX_DIMS] __attribute__((aligned(64)));
	weir_bundle_vector(b, r, x);
	return (float)weir_svm_decision(b->svm, x);
}

/* A dimension constant in training (std 0) that now differs is as far off
 * as anything can be: report it as 1000 standard deviations. */
#define CONSTANT_DIM_Z 1000.0f

unsigned weir_bundle_deviations(const struct weir_bundle *b,
				const struct weir_record *r,
				struct weir_deviation *out, unsigned k)
{
	float raw[WEIR_BUNDLE_MAX_DIMS];
	weir_featspec_raw(&b->fs, r, raw);
	unsigned n = 0;
	for (uint32_t d = 0; d < b->fs.ndims; d++) {
		float diff = raw[d] - b->mean[d];
		float z = b->std[d] > 0 ? diff / b->std[d]
			: diff > 0 ? CONSTANT_DIM_Z : diff < 0 ? -CONSTANT_DIM_Z : 0.0f;
		struct weir_deviation dv = { d, raw[d], z };
		/* insertion into the top k by |z| */
		unsigned pos = n < k ? n : k;
		while (pos > 0 && fabsf(out[pos - 1].z) < fabsf(z)) {
			if (pos < k)
				out[pos] = out[pos - 1];
			pos--;
		}
		if (pos < k) {
			out[pos] = dv;
			if (n < k)
				n++;
		}
	}
	return n;
}
