/* The offline pipeline: captures through one engine into a sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "capture.h"
#include "content.h"
#include "extract.h"
#include "frameq.h"

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

/* Open a capture whose link type we decode; NULL (said and counted) if not. */
static struct weir_capture *open_checked(const char *path, FILE *errs,
					 struct weir_extract_stats *st)
{
	char err[512];
	struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
	if (!cap) {
		fprintf(errs, "extract: %s\n", err);
		st->files_failed++;
		return NULL;
	}
	int lt = weir_capture_linktype(cap);
	if (!weir_decode_linktype_supported(lt)) {
		fprintf(errs, "extract: %s: link type %d is not one Weir decodes "
			"(Ethernet, Linux cooked v1/v2, raw IP, null/loopback)\n", path, lt);
		st->bad_linktype++;
		st->files_failed++;
		weir_capture_close(cap);
		return NULL;
	}
	return cap;
}

typedef void (*frame_fn)(void *ctx, int linktype, const struct weir_frame *fr);

/* Every frame of one capture to `fn`, in order; a capture that breaks off
 * is said and counted, its frames so far kept. Returns frames read, or -1
 * if the file could not be opened. */
static long long read_capture(const char *path, FILE *errs, struct weir_extract_stats *st,
			      frame_fn fn, void *ctx)
{
	char err[512];
	struct weir_capture *cap = open_checked(path, errs, st);
	if (!cap)
		return -1;
	int lt = weir_capture_linktype(cap);
	long long n = 0;
	struct weir_frame fr;
	int rc;
	while ((rc = weir_capture_next(cap, &fr, err, sizeof(err))) == 1) {
		fn(ctx, lt, &fr);
		n++;
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

/* One thread: each frame analysed where libpcap put it. */
struct direct {
	struct weir_engine *eng;
	struct progress *pr;
	uint64_t n;
};

static void analyse_frame(void *ctx, int lt, const struct weir_frame *fr)
{
	struct direct *d = ctx;
	weir_engine_packet(d->eng, lt, fr->data, fr->caplen, fr->wire_len, fr->ts_ns);
	if ((++d->n % PROGRESS_EVERY) == 0 && d->pr->out)
		progress_tick(d->pr, d->eng);
}

static void queue_frame(void *ctx, int lt, const struct weir_frame *fr)
{
	weir_frameq_push(ctx, lt, fr);
}

struct reader {
	struct weir_frameq *q;
	char *const *paths;
	int npaths;
	FILE *errs;
	struct weir_extract_stats fst;   /* file counts, merged after join */
	long long total;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	for (int i = 0; i < r->npaths; i++) {
		long long n = read_capture(r->paths[i], r->errs, &r->fst, queue_frame, r->q);
		if (n > 0)
			r->total += n;
	}
	weir_frameq_close(r->q);
	return NULL;
}

/* Frames go to the engine in bursts, the DPDK worker's unit of work, so
 * that the flow table's memory latency overlaps across frames. */
#define EXTRACT_BURST 32

/* Two threads: libpcap reading and copying on one, analysis on the other.
 * Returns packets read, or -1 if the reader could not be started. */
static long long feed_threaded(char *const *paths, int npaths, struct weir_engine *eng,
			       const struct weir_extract_opts *o, struct progress *pr,
			       struct weir_extract_stats *st)
{
	struct reader r = { .paths = paths, .npaths = npaths,
			    .errs = o->errors ? o->errors : stderr };
	pthread_t th;

	r.q = weir_frameq_create();
	if (!r.q)
		return -1;
	if (pthread_create(&th, NULL, reader_main, &r) != 0) {
		weir_frameq_free(r.q);
		return -1;
	}
	struct weir_frame_ref ref[EXTRACT_BURST];
	unsigned n;
	int lt;
	uint64_t seen = 0;
	while ((n = weir_frameq_pop(r.q, ref, &lt, EXTRACT_BURST)) > 0) {
		weir_engine_burst(eng, lt, ref, n, NULL);
		if ((seen & ~(uint64_t)(PROGRESS_EVERY - 1)) !=
		    ((seen + n) & ~(uint64_t)(PROGRESS_EVERY - 1)) && pr->out)
			progress_tick(pr, eng);
		seen += n;
	}
	pthread_join(th, NULL);
	weir_frameq_free(r.q);
	st->files_ok += r.fst.files_ok;
	st->files_failed += r.fst.files_failed;
	st->bad_linktype += r.fst.bad_linktype;
	return r.total;
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
	long long total = -1;
	if (o->threads != 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		total = feed_threaded(paths, npaths, eng, o, &pr, st);
	if (total < 0) {   /* one thread wanted, one CPU, or no thread to be had */
		struct direct d = { eng, &pr, 0 };
		total = 0;
		for (int i = 0; i < npaths; i++) {
			long long n = read_capture(paths[i], errs, st, analyse_frame, &d);
			if (n > 0)
				total += n;
		}
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
