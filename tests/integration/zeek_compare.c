/* zeek_compare: our flow records (weirctl extract -x CSV) against Zeek's
 * logs for the same capture: conn.log (packets, IP bytes, duration,
 * service), http.log (trans_depth, response_body_len, methods) and ftp.log
 * (ct_ftp_cmd as ftp.log lines, is_ftp_login).
 *
 *   zeek_compare --name NAME --flows FLOWS.csv [--conn conn.log]
 *                [--http http.log] [--ftp ftp.log] [--allow N] [-v]
 *
 * Connections are paired by protocol and endpoint pair (either orientation;
 * ICMP by addresses only, its "ports" being type/code); Zeek's timestamps
 * are masked in the baselines, so repeated 5-tuples pair in log order.
 * Prints a match table and every difference; exits 1 when there are more
 * differences than --allow (the number documented in doc/content.md), 2 on
 * bad input. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "record.h"
#include "record_io.h"

#define MAXF 64

struct zrow {
	uint8_t o[16], r[16];
	int fam;
	unsigned op, rp;
	char proto[24];
	char service[64];
	double dur;
	int has_dur;
	long long opk, rpk, oipb, ripb;
	int matched;        /* index of our record + 1 */
	/* from http.log / ftp.log */
	int http_rows, http_depth, http_methods;
	long long http_body;
	int ftp_rows, ftp_login;
};

struct table {
	struct zrow *v;
	size_t n, cap;
};

static struct zrow *push(struct table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v) {
			fprintf(stderr, "zeek_compare: out of memory\n");
			exit(2);
		}
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return &t->v[t->n++];
}

static int parse_addr(const char *s, uint8_t out[16], int *fam)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*fam = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*fam = 6;
		return 0;
	}
	return -1;
}

/* A Zeek ASCII log: the #fields line names the columns. Calls `row` with
 * the split fields for every data line. */
typedef int (*row_fn)(void *ctx, char **names, char **f, int nf,
		      const char *path, unsigned line);

static int read_zeek(const char *path, row_fn fn, void *ctx)
{
	FILE *fp = fopen(path, "r");
	static char buf[65536], namebuf[65536];
	char *names[MAXF], *f[MAXF];
	int nn = 0;
	unsigned line = 0;

	if (!fp) {
		fprintf(stderr, "zeek_compare: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		line++;
		buf[strcspn(buf, "\r\n")] = 0;
		if (!strncmp(buf, "#fields\t", 8)) {
			snprintf(namebuf, sizeof(namebuf), "%s", buf + 8);
			nn = 0;
			for (char *s = strtok(namebuf, "\t"); s && nn < MAXF; s = strtok(NULL, "\t"))
				names[nn++] = s;
			continue;
		}
		if (buf[0] == '#' || !buf[0])
			continue;
		if (!nn && (strstr(buf, "id.orig_h\t") || !strncmp(buf, "uid\t", 4))) {
			/* zeek-cut output (*.log.cut): the first line names
			 * the columns */
			snprintf(namebuf, sizeof(namebuf), "%s", buf);
			for (char *s = strtok(namebuf, "\t"); s && nn < MAXF; s = strtok(NULL, "\t"))
				names[nn++] = s;
			continue;
		}
		if (!nn) {
			fprintf(stderr, "zeek_compare: %s:%u: data before the #fields line\n", path, line);
			fclose(fp);
			return -1;
		}
		int nf = 0;
		char *s = buf;
		while (nf < MAXF) {
			f[nf++] = s;
			char *tab = strchr(s, '\t');
			if (!tab)
				break;
			*tab = 0;
			s = tab + 1;
		}
		if (nf != nn) {
			fprintf(stderr, "zeek_compare: %s:%u: %d fields, the header names %d\n",
				path, line, nf, nn);
			fclose(fp);
			return -1;
		}
		if (fn(ctx, names, f, nf, path, line) < 0) {
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return 0;
}

static const char *get(char **names, char **f, int nf, const char *name)
{
	for (int i = 0; i < nf; i++)
		if (!strcmp(names[i], name))
			return f[i];
	return NULL;
}

static int endpoints(struct zrow *z, char **names, char **f, int nf,
		     const char *path, unsigned line)
{
	const char *oh = get(names, f, nf, "id.orig_h"), *op = get(names, f, nf, "id.orig_p");
	const char *rh = get(names, f, nf, "id.resp_h"), *rp = get(names, f, nf, "id.resp_p");
	int f2;
	if (!oh || !op || !rh || !rp || parse_addr(oh, z->o, &z->fam) < 0 ||
	    parse_addr(rh, z->r, &f2) < 0) {
		fprintf(stderr, "zeek_compare: %s:%u: no usable connection endpoints\n", path, line);
		return -1;
	}
	z->op = (unsigned)strtoul(op, NULL, 10);
	z->rp = (unsigned)strtoul(rp, NULL, 10);
	return 0;
}

static long long num(char **names, char **f, int nf, const char *name)
{
	const char *s = get(names, f, nf, name);
	if (!s || !strcmp(s, "-"))
		return -1;
	return strtoll(s, NULL, 10);
}

static int conn_row(void *ctx, char **names, char **f, int nf, const char *path,
		    unsigned line)
{
	struct table *t = ctx;
	struct zrow *z = push(t);
	if (endpoints(z, names, f, nf, path, line) < 0)
		return -1;
	const char *p = get(names, f, nf, "proto"), *svc = get(names, f, nf, "service");
	const char *d = get(names, f, nf, "duration");
	snprintf(z->proto, sizeof(z->proto), "%s", p ? p : "?");
	snprintf(z->service, sizeof(z->service), "%s", svc ? svc : "?");
	if (d) {
		z->has_dur = 1;
		z->dur = strcmp(d, "-") ? strtod(d, NULL) : 0;
	}
	z->opk = num(names, f, nf, "orig_pkts");
	z->rpk = num(names, f, nf, "resp_pkts");
	z->oipb = num(names, f, nf, "orig_ip_bytes");
	z->ripb = num(names, f, nf, "resp_ip_bytes");
	return 0;
}

static struct zrow *find_conn(struct table *t, const struct zrow *k)
{
	for (size_t i = 0; i < t->n; i++) {
		struct zrow *z = &t->v[i];
		if (z->fam == k->fam && z->op == k->op && z->rp == k->rp &&
		    !memcmp(z->o, k->o, 16) && !memcmp(z->r, k->r, 16) &&
		    strcmp(z->proto, "tcp") == 0)
			return z;
	}
	return NULL;
}

/* http.log / ftp.log rows attach to the (TCP) connection by endpoints;
 * without a conn.log the connection is created from them. */
static struct zrow *attach(struct table *t, char **names, char **f, int nf,
			   const char *path, unsigned line)
{
	struct zrow k;
	memset(&k, 0, sizeof(k));
	if (endpoints(&k, names, f, nf, path, line) < 0)
		return NULL;
	snprintf(k.proto, sizeof(k.proto), "tcp");
	struct zrow *z = find_conn(t, &k);
	if (!z) {
		z = push(t);
		*z = k;
		z->opk = z->rpk = z->oipb = z->ripb = -1;
		snprintf(z->service, sizeof(z->service), "?");
	}
	return z;
}

static int http_row(void *ctx, char **names, char **f, int nf, const char *path,
		    unsigned line)
{
	struct zrow *z = attach(ctx, names, f, nf, path, line);
	if (!z)
		return -1;
	long long depth = num(names, f, nf, "trans_depth");
	long long body = num(names, f, nf, "response_body_len");
	const char *m = get(names, f, nf, "method");
	z->http_rows++;
	if (depth > z->http_depth)
		z->http_depth = (int)depth;
	if (body > 0)
		z->http_body += body;
	if (m && strcmp(m, "-"))
		z->http_methods++;
	return 0;
}

static int ftp_row(void *ctx, char **names, char **f, int nf, const char *path,
		   unsigned line)
{
	struct zrow *z = attach(ctx, names, f, nf, path, line);
	if (!z)
		return -1;
	const char *u = get(names, f, nf, "user"), *pw = get(names, f, nf, "password");
	z->ftp_rows++;
	if (u && pw && strcmp(u, "-") && strcmp(u, "<unknown>") && strcmp(pw, "-"))
		z->ftp_login = 1;
	return 0;
}

/* ------------------------------------------------------------------ */

struct ours {
	struct weir_record *v;
	int *used;
	size_t n;
};

static int load_ours(const char *path, struct ours *o)
{
	char err[512];
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	size_t cap = 0;
	int rc;
	if (!ff) {
		fprintf(stderr, "zeek_compare: %s\n", err);
		return -1;
	}
	memset(o, 0, sizeof(*o));
	for (;;) {
		if (o->n == cap) {
			cap = cap ? cap * 2 : 256;
			o->v = realloc(o->v, cap * sizeof(*o->v));
			if (!o->v) {
				fprintf(stderr, "zeek_compare: out of memory\n");
				exit(2);
			}
		}
		rc = weir_flowfile_next(ff, &o->v[o->n], err, sizeof(err));
		if (rc <= 0)
			break;
		o->n++;
	}
	weir_flowfile_close(ff);
	if (rc < 0) {
		fprintf(stderr, "zeek_compare: %s\n", err);
		return -1;
	}
	o->used = calloc(o->n ? o->n : 1, sizeof(int));
	return 0;
}

static int zeek_proto_is(const struct zrow *z, unsigned proto)
{
	if (!strcmp(z->proto, "?"))     /* zeek-cut logs without a proto column */
		return proto != WEIR_PROTO_ARP;
	if (!strcmp(z->proto, "tcp")) return proto == 6;
	if (!strcmp(z->proto, "udp")) return proto == 17;
	if (!strcmp(z->proto, "icmp")) return proto == 1 || proto == 58;
	return proto != 6 && proto != 17 && proto != 1 && proto != 58 &&
	       proto != WEIR_PROTO_ARP;
}

static int addr_eq(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 16);
}

/* 1: same orientation, -1: flipped, 0: no match */
static int pairs(const struct zrow *z, const struct weir_record *r)
{
	if (!zeek_proto_is(z, r->proto))
		return 0;
	int icmp = r->proto == 1 || r->proto == 58;
	if (addr_eq(z->o, r->srcip) && addr_eq(z->r, r->dstip) &&
	    (icmp || (z->op == r->sport && z->rp == r->dsport)))
		return 1;
	if (addr_eq(z->o, r->dstip) && addr_eq(z->r, r->srcip) &&
	    (icmp || (z->op == r->dsport && z->rp == r->sport)))
		return -1;
	return 0;
}

/* First UNSW service Zeek names ("ssl,http" style lists), or -1. */
static int zeek_unsw_service(const char *s)
{
	char buf[64], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int v = weir_service_parse(t);
		if (v > 0)
			return v;
	}
	return -1;
}

struct check {
	const char *name;
	unsigned compared, agree;
};

enum { K_PKTS, K_IPB, K_DUR, K_SVC, K_SVC_NONE, K_TD, K_BODY, K_MTHD, K_FTPCMD, K_LOGIN, K_MAX };

static void endpoint_str(const struct zrow *z, char *buf, size_t len)
{
	char a[64], b[64];
	inet_ntop(z->fam == 6 ? AF_INET6 : AF_INET, z->o, a, sizeof(a));
	inet_ntop(z->fam == 6 ? AF_INET6 : AF_INET, z->r, b, sizeof(b));
	snprintf(buf, len, "%s %s:%u > %s:%u", z->proto, a, z->op, b, z->rp);
}

int main(int argc, char **argv)
{
	const char *name = "?", *flows = NULL, *conn = NULL, *http = NULL, *ftp = NULL;
	long allow = 0;
	int verbose = 0;
	struct table t = { 0 };
	struct ours o;
	struct check k[K_MAX] = {
		{ "packets (orig/resp)", 0, 0 }, { "IP bytes (orig/resp)", 0, 0 },
		{ "duration (1us or 1%)", 0, 0 }, { "service (Zeek names UNSW svc)", 0, 0 },
		{ "service '-' (Zeek names none)", 0, 0 },
		{ "trans_depth", 0, 0 }, { "res_bdy_len", 0, 0 },
		{ "ct_flw_http_mthd", 0, 0 }, { "ct_ftp_cmd (ftp.log lines)", 0, 0 },
		{ "is_ftp_login", 0, 0 },
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-v")) { verbose = 1; continue; }
		if (!v) {
			fprintf(stderr, "zeek_compare: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--name")) name = v;
		else if (!strcmp(a, "--flows")) flows = v;
		else if (!strcmp(a, "--conn")) conn = v;
		else if (!strcmp(a, "--http")) http = v;
		else if (!strcmp(a, "--ftp")) ftp = v;
		else if (!strcmp(a, "--allow")) allow = strtol(v, NULL, 10);
		else {
			fprintf(stderr, "zeek_compare: unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (!flows || (!conn && !http && !ftp)) {
		fprintf(stderr, "usage: zeek_compare --name NAME --flows FLOWS.csv [--conn LOG] [--http LOG] [--ftp LOG] [--allow N] [-v]\n");
		return 2;
	}
	if (conn && read_zeek(conn, conn_row, &t) < 0)
		return 2;
	if (http && read_zeek(http, http_row, &t) < 0)
		return 2;
	if (ftp && read_zeek(ftp, ftp_row, &t) < 0)
		return 2;
	if (load_ours(flows, &o) < 0)
		return 2;

	unsigned diffs = 0, unmatched = 0, extra_svc = 0, flipped = 0;
	char ep[256];
	printf("== %s: %zu Zeek connections, %zu of our records\n", name, t.n, o.n);
	for (size_t i = 0; i < t.n; i++) {
		struct zrow *z = &t.v[i];
		struct weir_record *r = NULL;
		int orient = 0;
		for (size_t j = 0; j < o.n && !r; j++) {
			if (o.used[j])
				continue;
			orient = pairs(z, &o.v[j]);
			if (orient) {
				r = &o.v[j];
				o.used[j] = 1;
			}
		}
		endpoint_str(z, ep, sizeof(ep));
		if (!r) {
			unmatched++;
			diffs++;
			printf("  DIFF %s: no record of ours\n", ep);
			continue;
		}
		if (orient < 0)
			flipped++;
		long long sp = orient > 0 ? r->spkts : r->dpkts, dp = orient > 0 ? r->dpkts : r->spkts;
		long long sb = orient > 0 ? (long long)r->sbytes_ip : (long long)r->dbytes_ip;
		long long db = orient > 0 ? (long long)r->dbytes_ip : (long long)r->sbytes_ip;
#define CHECK(K, ok, ...) do { k[K].compared++; if (ok) k[K].agree++; else { diffs++; \
		printf("  DIFF %s: %s: ", ep, k[K].name); printf(__VA_ARGS__); printf("\n"); } } while (0)
		if (z->opk >= 0 && z->rpk >= 0)
			CHECK(K_PKTS, z->opk == sp && z->rpk == dp,
			      "zeek %lld/%lld ours %lld/%lld", z->opk, z->rpk, sp, dp);
		if (z->oipb >= 0 && z->ripb >= 0)
			CHECK(K_IPB, z->oipb == sb && z->ripb == db,
			      "zeek %lld/%lld ours %lld/%lld", z->oipb, z->ripb, sb, db);
		if (z->has_dur) {
			double dd = fabs(z->dur - r->dur);
			CHECK(K_DUR, dd <= 1.0000001e-6 || dd <= 0.01 * z->dur,
			      "zeek %.6f ours %.6f", z->dur, r->dur);
		}
		if (strcmp(z->service, "?")) {
			int zs = zeek_unsw_service(z->service);
			if (zs > 0)
				CHECK(K_SVC, r->service == zs, "zeek %s ours %s",
				      z->service, weir_service_name(r->service));
			else {
				/* Zeek names no UNSW service: ours must be '-' */
				if (r->service != WEIR_SVC_NONE)
					extra_svc++;
				CHECK(K_SVC_NONE, r->service == WEIR_SVC_NONE, "zeek %s ours %s",
				      z->service, weir_service_name(r->service));
			}
		}
		if (http) {
			CHECK(K_TD, (int)r->trans_depth == z->http_depth,
			      "zeek %d ours %u", z->http_depth, r->trans_depth);
			CHECK(K_BODY, (long long)r->res_bdy_len == z->http_body,
			      "zeek %lld ours %llu", z->http_body,
			      (unsigned long long)r->res_bdy_len);
			CHECK(K_MTHD, (int)r->ct_flw_http_mthd == z->http_methods,
			      "zeek %d ours %u", z->http_methods, r->ct_flw_http_mthd);
		}
		if (ftp && (z->ftp_rows || r->service == WEIR_SVC_FTP)) {
			CHECK(K_FTPCMD, (int)r->ct_ftp_cmd == z->ftp_rows,
			      "zeek %d ours %u", z->ftp_rows, r->ct_ftp_cmd);
			CHECK(K_LOGIN, (r->is_ftp_login > 0) == z->ftp_login,
			      "zeek %d ours %u", z->ftp_login, r->is_ftp_login);
		}
		if (verbose)
			printf("  ok   %s (%s)\n", ep, weir_service_name(r->service));
	}
	unsigned ours_only = 0, ours_arp = 0;
	for (size_t j = 0; j < o.n; j++)
		if (!o.used[j]) {
			if (o.v[j].proto == WEIR_PROTO_ARP)
				ours_arp++;
			else
				ours_only++;
		}

	printf("  %-32s %8s %8s %8s\n", "check", "compared", "agree", "differ");
	printf("  %-32s %8zu %8zu %8u\n", "connections paired", t.n, t.n - unmatched, unmatched);
	for (int i = 0; i < K_MAX; i++)
		if (k[i].compared)
			printf("  %-32s %8u %8u %8u\n", k[i].name, k[i].compared, k[i].agree,
			       k[i].compared - k[i].agree);
	printf("  (orientation flipped vs Zeek: %u; ours named a service Zeek left '-': %u;"
	       " our records without a Zeek connection: %u, ARP %u)\n",
	       flipped, extra_svc, ours_only, ours_arp);
	int fail = diffs > (unsigned)allow;
	printf("RESULT %s differences=%u allowed=%ld %s%s\n", name, diffs, allow,
	       fail ? "FAIL" : "PASS",
	       !fail && diffs < (unsigned)allow ? " (fewer than documented: tighten the allowance)" : "");
	free(t.v);
	free(o.v);
	free(o.used);
	return fail ? 1 : 0;
}
