/* The offline pipeline: captures through one engine into a sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "capture.h"
#include "content.h"
#include "extract.h"

/* Progress is checked every this many packets, so the clock is read a few
 * hundred times a second at most, never per packet. */
#define PROGRESS_EVERY 65536

void weir_extract_opts_defaults(struct weir_extract_opts *o)
{
	memset(o, 0, sizeof(*o));
	weir_engine_config_defaults(&o->eng);
	o->eng.ft.max_flows = 1u << 20;
	/* A generous table whose pages come only as flows use them. */
	o->eng.ft.prefault = 0;
}

uint32_t weir_extract_auto_max_flows(const char *const *paths, int npaths)
{
	unsigned long long bytes = 0;
	for (int i = 0; i < npaths; i++) {
		struct stat sb;
		if (paths[i] && stat(paths[i], &sb) == 0)
			bytes += (unsigned long long)sb.st_size;
	}
	unsigned long long flows = bytes / 60 + 1;
	uint32_t cap = 4096;
	while (cap < flows && cap < (1u << 20))
		cap <<= 1;
	return cap;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct progress {
	FILE *out;
	double start, last;
	uint64_t last_packets;
};

static void progress_tick(struct progress *p, struct weir_engine *eng)
{
	double t = now_s();
	if (t - p->last < 1.0)
		return;
	struct weir_engine_stats st;
	weir_engine_get_stats(eng, &st);
	fprintf(p->out, "extract: %llu packets, %llu flows done, %u live, %.0f packets/s\n",
		(unsigned long long)st.packets, (unsigned long long)st.records,
		st.ft.flows_live, (st.packets - p->last_packets) / (t - p->last));
	p->last = t;
	p->last_packets = st.packets;
}

/* Feed one file; returns packets read, or -1 if it could not be opened. */
static long long feed_file(const char *path, struct weir_engine *eng,
			   const struct weir_extract_opts *o, struct progress *pr,
			   struct weir_extract_stats *st)
{
	char err[512];
	FILE *errs = o->errors ? o->errors : stderr;
	struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
	if (!cap) {
		fprintf(errs, "extract: %s\n", err);
		st->files_failed++;
		return -1;
	}
	int lt = weir_capture_linktype(cap);
	if (!weir_decode_linktype_supported(lt)) {
		fprintf(errs, "extract: %s: link type %d is not one Weir decodes "
			"(Ethernet, Linux cooked v1/v2, raw IP, null/loopback)\n", path, lt);
		st->bad_linktype++;
		st->files_failed++;
		weir_capture_close(cap);
		return -1;
	}
	long long n = 0;
	struct weir_frame fr;
	int rc;
	while ((rc = weir_capture_next(cap, &fr, err, sizeof(err))) == 1) {
		weir_engine_packet(eng, lt, fr.data, fr.caplen, fr.wire_len, fr.ts_ns);
		if ((++n % PROGRESS_EVERY) == 0 && pr->out)
			progress_tick(pr, eng);
	}
	if (rc < 0) {
		fprintf(errs, "extract: %s (after %lld packets; flows so far are kept)\n",
			err, n);
		st->files_failed++;
	} else {
		st->files_ok++;
	}
	weir_capture_close(cap);
	return n;
}

int weir_extract_run(const struct weir_extract_opts *o, char *const *paths,
		     int npaths, weir_sink_fn sink, void *sink_ctx,
		     struct weir_extract_stats *st)
{
	char err[512];
	struct weir_engine_config cfg = o->eng;
	struct weir_content_db *db = NULL;
	FILE *errs = o->errors ? o->errors : stderr;

	memset(st, 0, sizeof(*st));
	if (!cfg.ft.hash_seed && getrandom(&cfg.ft.hash_seed, sizeof(cfg.ft.hash_seed), 0) < 0)
		cfg.ft.hash_seed = 0x5eed5eed5eed5eedull;
	if (cfg.content) {
		db = weir_content_db_create(err, sizeof(err));
		if (!db) {
			fprintf(errs, "extract: %s\n", err);
			return -1;
		}
	}
	struct weir_engine *eng = weir_engine_create(&cfg, db, sink, sink_ctx, err, sizeof(err));
	if (!eng) {
		fprintf(errs, "extract: %s\n", err);
		weir_content_db_free(db);
		return -1;
	}
	struct progress pr = { o->progress, now_s(), now_s(), 0 };
	long long total = 0;
	for (int i = 0; i < npaths; i++) {
		long long n = feed_file(paths[i], eng, o, &pr, st);
		if (n > 0)
			total += n;
	}
	weir_engine_flush(eng);
	weir_engine_get_stats(eng, &st->eng);
	weir_engine_free(eng);
	weir_content_db_free(db);
	return total > 0 ? 0 : -1;
}

static void print_decode_errors(FILE *out, const struct weir_engine_stats *e)
{
	int any = 0;
	for (int i = 1; i < WEIR_DEC_ERR_MAX; i++) {
		if (!e->decode_err[i])
			continue;
		fprintf(out, "%s %s=%llu", any ? "," : "  not decoded:",
			weir_decode_err_name((enum weir_decode_err)i),
			(unsigned long long)e->decode_err[i]);
		any = 1;
	}
	if (any)
		fputc('\n', out);
}

void weir_extract_print_summary(FILE *out, const struct weir_extract_stats *st,
				double seconds)
{
	const struct weir_engine_stats *e = &st->eng;
	fprintf(out, "extract: %llu packets (%llu bytes) in %.2f s, %.0f packets/s; "
		"%llu file(s) read, %llu with problems\n",
		(unsigned long long)e->packets, (unsigned long long)e->bytes, seconds,
		seconds > 0 ? e->packets / seconds : 0.0,
		(unsigned long long)st->files_ok, (unsigned long long)st->files_failed);
	fprintf(out, "  flows: %llu records (tcp %llu, udp %llu, icmp %llu, other %llu); "
		"ended: idle %llu, closed %llu, active %llu, evicted %llu, end of capture %llu, "
		"port reuse %llu\n",
		(unsigned long long)e->records, (unsigned long long)e->flows_by_proto[0],
		(unsigned long long)e->flows_by_proto[1], (unsigned long long)e->flows_by_proto[2],
		(unsigned long long)e->flows_by_proto[3],
		(unsigned long long)e->records_by_end[WEIR_END_IDLE],
		(unsigned long long)e->records_by_end[WEIR_END_CLOSED],
		(unsigned long long)e->records_by_end[WEIR_END_ACTIVE],
		(unsigned long long)e->records_by_end[WEIR_END_EVICTED],
		(unsigned long long)e->records_by_end[WEIR_END_SHUTDOWN],
		(unsigned long long)e->records_by_end[WEIR_END_REUSE]);
	fprintf(out, "  packets in flows: %llu (%llu cut short on the wire, kept); flow table: "
		"capacity %u, full %llu times; fragments: %llu matched, %llu orphaned\n",
		(unsigned long long)e->processed, (unsigned long long)e->ip_short, e->ft.capacity,
		(unsigned long long)e->ft.table_full,
		(unsigned long long)e->ft.frag_matched, (unsigned long long)e->ft.frag_orphan);
	print_decode_errors(out, e);
}
