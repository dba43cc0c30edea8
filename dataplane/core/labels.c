/* Label join. Rows are kept in one array sorted by a hash of the unordered
 * 5-tuple, so a record finds its candidates with a binary search and then
 * picks the row whose time span overlaps its own. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "labels.h"

/* Records and rows are matched on time with this much slack: the generator
 * writes intended times, the capture carries the packets' own. */
#define LABEL_SLACK_NS 1000000000ull

struct label_row {
	uint64_t key;
	uint64_t stime_ns, ltime_ns;
	uint8_t label;
	char attack_cat[22];
	char attack[24];
};

struct weir_labels {
	struct label_row *rows;
	size_t n;
	struct weir_labels_stats st;
	const struct label_row *last;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t endpoint_hash(const uint8_t *a, uint16_t port)
{
	uint64_t h = port;
	for (int i = 0; i < 16; i += 8) {
		uint64_t w;
		memcpy(&w, a + i, 8);
		h = mix(h, w);
	}
	return h;
}

/* Direction-free: the sum of two endpoint hashes does not care which is src. */
static uint64_t tuple_key(const uint8_t *src, uint16_t sport, const uint8_t *dst,
			  uint16_t dport, unsigned proto)
{
	return mix(endpoint_hash(src, sport) + endpoint_hash(dst, dport), proto);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct label_row *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->stime_ns < y->stime_ns ? -1 : x->stime_ns > y->stime_ns;
}

enum lcol { L_SRCIP, L_SPORT, L_DSTIP, L_DPORT, L_PROTO, L_STIME, L_LTIME,
	    L_CAT, L_LABEL, L_ATTACK, L_NONE };

static enum lcol lcol_of(const char *name)
{
	static const char *const names[] = { "srcip", "sport", "dstip", "dsport",
		"proto", "stime", "ltime", "attack_cat", "label", "attack" };
	for (int i = 0; i < L_NONE; i++)
		if (!strcasecmp(name, names[i]))
			return (enum lcol)i;
	return L_NONE;
}

static int parse_ip(const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* One data line into a row; returns 0, or -1 naming the column in *bad. */
static int parse_row(char **f, const enum lcol *map, int n, struct label_row *row,
		     const char **bad)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	unsigned long sport = 0, dport = 0;
	int proto = -1;
	char *end;
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < n; i++) {
		char *v = trim(f[i]);
		*bad = v;
		switch (map[i]) {
		case L_SRCIP: if (parse_ip(v, src)) return -1; break;
		case L_DSTIP: if (parse_ip(v, dst)) return -1; break;
		case L_SPORT: sport = strtoul(v, &end, 0); if (*end || sport > 65535) return -1; break;
		case L_DPORT: dport = strtoul(v, &end, 0); if (*end || dport > 65535) return -1; break;
		case L_PROTO: proto = weir_proto_parse(v); if (proto < 0) return -1; break;
		case L_STIME: row->stime_ns = (uint64_t)(strtod(v, &end) * 1e9); if (*end) return -1; break;
		case L_LTIME: row->ltime_ns = (uint64_t)(strtod(v, &end) * 1e9); if (*end) return -1; break;
		case L_LABEL: row->label = strtoul(v, &end, 10) ? 1 : 0; if (*end) return -1; break;
		case L_CAT: snprintf(row->attack_cat, sizeof(row->attack_cat), "%s", v); break;
		case L_ATTACK: snprintf(row->attack, sizeof(row->attack), "%s", v); break;
		case L_NONE: break;
		}
	}
	row->key = tuple_key(src, (uint16_t)sport, dst, (uint16_t)dport, (unsigned)proto);
	return 0;
}

static int split_commas(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = '\0';
			break;
		}
		if (*p == ',') {
			if (n == max)
				return -1;
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n;
}

static int read_header(FILE *fp, const char *path, enum lcol *map, int *ncols,
		       char *err, size_t errlen)
{
	char line[4096];
	char *f[64];
	if (!fgets(line, sizeof(line), fp)) {
		snprintf(err, errlen, "%s: empty labels file", path);
		return -1;
	}
	int n = split_commas(line, f, 64);
	unsigned seen = 0;
	for (int i = 0; i < n; i++) {
		map[i] = lcol_of(trim(f[i]));
		if (map[i] != L_NONE)
			seen |= 1u << map[i];
	}
	if (n < 0 || (seen & 0x1ff) != 0x1ff) {
		snprintf(err, errlen, "%s:1: a labels file needs the columns srcip, sport, "
			 "dstip, dsport, proto, stime, ltime, attack_cat, Label", path);
		return -1;
	}
	*ncols = n;
	return 0;
}

static int grow(struct weir_labels *l, size_t *cap)
{
	if (l->n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4096;
	struct label_row *r = realloc(l->rows, ncap * sizeof(*r));
	if (!r)
		return -1;
	l->rows = r;
	*cap = ncap;
	return 0;
}

struct weir_labels *weir_labels_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct weir_labels *l = calloc(1, sizeof(*l));
	enum lcol map[64];
	int ncols;
	size_t cap = 0;
	unsigned long lineno = 1;
	char line[4096];
	if (!l || read_header(fp, path, map, &ncols, err, errlen) < 0)
		goto fail;
	while (fgets(line, sizeof(line), fp)) {
		char *f[64];
		const char *bad = "";
		lineno++;
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		int n = split_commas(line, f, 64);
		if (n != ncols) {
			snprintf(err, errlen, "%s:%lu: %d columns, the header has %d",
				 path, lineno, n, ncols);
			goto fail;
		}
		if (grow(l, &cap) < 0) {
			snprintf(err, errlen, "%s: out of memory at line %lu", path, lineno);
			goto fail;
		}
		if (parse_row(f, map, n, &l->rows[l->n], &bad) < 0) {
			snprintf(err, errlen, "%s:%lu: cannot read '%.40s'", path, lineno, bad);
			goto fail;
		}
		l->n++;
	}
	fclose(fp);
	qsort(l->rows, l->n, sizeof(*l->rows), cmp_rows);
	l->st.entries = l->n;
	return l;
fail:
	fclose(fp);
	weir_labels_free(l);
	return NULL;
}

void weir_labels_free(struct weir_labels *l)
{
	if (!l)
		return;
	free(l->rows);
	free(l);
}

static size_t lower_bound(const struct weir_labels *l, uint64_t key)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void weir_labels_apply(struct weir_labels *l, struct weir_record *rec)
{
	uint64_t key = tuple_key(rec->srcip, rec->sport, rec->dstip, rec->dsport, rec->proto);
	const struct label_row *best = NULL;
	for (size_t i = lower_bound(l, key); i < l->n && l->rows[i].key == key; i++) {
		const struct label_row *r = &l->rows[i];
		if (r->stime_ns <= rec->ltime_ns + LABEL_SLACK_NS &&
		    rec->stime_ns <= r->ltime_ns + LABEL_SLACK_NS) {
			best = r;
			break;
		}
	}
	rec->has_label = 1;
	l->last = best;
	if (best) {
		l->st.matched++;
		rec->label = best->label;
		memcpy(rec->attack_cat, best->attack_cat, sizeof(rec->attack_cat));
	} else {
		l->st.unmatched++;
		rec->label = 0;
		rec->attack_cat[0] = '\0';
	}
	if (rec->label)
		l->st.attack_records++;
}

const char *weir_labels_last_attack(const struct weir_labels *l)
{
	return l->last && l->last->label ? l->last->attack : "";
}

void weir_labels_get_stats(const struct weir_labels *l, struct weir_labels_stats *st)
{
	*st = l->st;
}
