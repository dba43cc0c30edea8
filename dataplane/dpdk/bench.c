/* weir --bench: the per-packet cost of decode + flow table + features
 * (+ content analysis unless --no-content) on one core, without NIC or
 * ring effects. Frames sit in mbufs before the clock starts; one engine
 * takes them in bursts of 32 with the worker's prefetch pattern.
 *
 *   --bench CAPTURE          the capture's frames, replayed --bench-rounds
 *                            times on a timeline shifted past the previous
 *                            round (so every round sees new flows)
 *   --bench-synthetic N      N UDP flows, two frames each (request, reply),
 *                            64-byte frames or IMIX (7:4:1 of 64/594/1518
 *                            bytes): the flow-churn worst case
 *   --bench-mix N            N concurrent TCP and UDP flows of 4..28 frames
 *                            (bench_mix.c), --bench-rounds x N frames;
 *                            --bench-lengths unsw: flow lengths as in the
 *                            UNSW-NB15 sample instead
 *
 * Synthetic frames are generated in batches outside the timed region. The
 * final flush (every flow still live is emitted) is timed: each record the
 * run creates is paid for inside the figures.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include "bench_mix.h"
#include "bundle.h"
#include "capture.h"
#include "weir.h"

/* Synthetic frames are generated (outside the timed region) in batches the
 * size of a NIC's RX ring: they are in the cache when the engine takes
 * them, as a NIC's DMA (DDIO) and the PMD leave received frames. */
#define SYN_BATCH 1024

static uint64_t bench_records, bench_anomalies;

/* What a worker's sink costs minus the rings: scoring when a model is
 * loaded (--model), so "scoring on" figures include the SVM kernel. */
static void bench_sink(void *ctx, struct weir_record *rec)
{
	const struct weir_app *app = ctx;
	const struct weir_bundle *b = app->model;
	bench_records++;
	if (b) {
		rec->score = weir_bundle_score(b, rec);
		rec->model_version = b->version;
		if (rec->score < b->threshold)
			bench_anomalies++;
	}
}

struct frames {
	struct rte_mbuf **m;
	uint64_t *ts;
	uint32_t *wire;
	uint64_t n;
	int linktype;
};

static uint64_t cpu_ns_total;   /* thread CPU time inside run_pass */

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Time one pass over `f`, timestamps shifted by `shift_ns`: TSC (wall,
 * includes time the core was lent to others on a shared machine) and
 * thread CPU time (only ours). */
static uint64_t run_pass(struct weir_engine *eng, const struct frames *f, uint64_t shift_ns)
{
	uint64_t c0 = thread_cpu_ns();
	uint64_t t0 = rte_rdtsc_precise();
	struct weir_frame_ref ref[WEIR_BURST];

	for (uint64_t b = 0; b < f->n; b += WEIR_BURST) {
		unsigned n = (unsigned)(f->n - b < WEIR_BURST ? f->n - b : WEIR_BURST);
		/* A PMD hands over mbufs and frames it has just written (into
		 * the cache, with DDIO); preloaded ones are cold, so fetch
		 * headers two bursts ahead and frames one burst ahead. */
		for (uint64_t i = b + 2 * WEIR_BURST; i < b + 3 * WEIR_BURST && i < f->n; i++)
			rte_prefetch0(f->m[i]);
		for (uint64_t i = b + WEIR_BURST; i < b + 2 * WEIR_BURST && i < f->n; i++)
			rte_prefetch0(rte_pktmbuf_mtod(f->m[i], void *));
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = f->m[b + i];
			ref[i].data = rte_pktmbuf_mtod(m, const uint8_t *);
			ref[i].caplen = rte_pktmbuf_data_len(m);
			ref[i].wire_len = f->wire[b + i];
			ref[i].ts_ns = f->ts[b + i] + shift_ns;
		}
		weir_engine_burst(eng, f->linktype, ref, n, NULL);
	}
	uint64_t dt = rte_rdtsc_precise() - t0;
	cpu_ns_total += thread_cpu_ns() - c0;
	return dt;
}

static void load_capture(struct weir_app *app, struct frames *f)
{
	char err[512];
	struct weir_capture *cap = weir_capture_open(app->conf->bench_file, err, sizeof(err));
	struct weir_frame fr;
	uint64_t n = 0, alloc = 0;
	int rc;

	if (!cap)
		weir_die("--bench: %s", err);
	f->linktype = weir_capture_linktype(cap);
	while ((rc = weir_capture_next(cap, &fr, err, sizeof(err))) == 1)
		n++;
	weir_capture_close(cap);
	if (n == 0)
		weir_die("--bench %s: no frames", app->conf->bench_file);
	struct rte_mempool *mp = rte_pktmbuf_pool_create("bench_pool", (unsigned)n + 64, 0, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!mp)
		weir_die("--bench: %llu mbufs: cannot allocate (%s); use a smaller capture or more hugepages",
			 (unsigned long long)n, rte_strerror(rte_errno));
	f->m = calloc(n, sizeof(*f->m));
	f->ts = calloc(n, sizeof(*f->ts));
	f->wire = calloc(n, sizeof(*f->wire));
	if (!f->m || !f->ts || !f->wire)
		weir_die("--bench: out of memory");
	cap = weir_capture_open(app->conf->bench_file, err, sizeof(err));
	while (alloc < n && weir_capture_next(cap, &fr, err, sizeof(err)) == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t len = fr.caplen < rte_pktmbuf_tailroom(m) ? fr.caplen : rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), fr.data, len);
		f->m[alloc] = m;
		f->ts[alloc] = fr.ts_ns;
		f->wire[alloc] = fr.wire_len;
		alloc++;
	}
	weir_capture_close(cap);
	f->n = alloc;
}

static const uint16_t imix_sizes[12] = { 64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518 };

/* Frame k of the synthetic stream: flow k mod N, request in the first
 * half of each 2N frames, reply in the second. */
static void synth_frame(uint8_t *d, uint32_t *caplen, uint32_t *wire, uint64_t k,
			unsigned flows, unsigned size)
{
	uint64_t fl = k % flows;
	int reply = (k / flows) & 1;
	unsigned sz = size ? size : imix_sizes[k % 12];
	uint32_t cli = 0x0a000000u | (uint32_t)(fl & 0xffffff);
	uint32_t srv = 0xc0a80000u | (uint32_t)(fl % 251);
	uint16_t cport = (uint16_t)(1024 + (fl >> 24) * 7 + (fl % 50000));
	uint16_t sport = 53;
	uint32_t src = reply ? srv : cli, dst = reply ? cli : srv;
	uint16_t sp = reply ? sport : cport, dp = reply ? cport : sport;
	unsigned len = sz - 4;   /* FCS not captured */
	unsigned iplen = len - 14;

	memset(d, 0, 14 + 28);
	d[0] = 0x02; d[5] = 0x01; d[6] = 0x02; d[11] = 0x02;
	d[12] = 0x08; d[13] = 0x00;
	uint8_t *ip = d + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8); ip[3] = (uint8_t)iplen;
	ip[8] = 64; ip[9] = 17;
	ip[12] = (uint8_t)(src >> 24); ip[13] = (uint8_t)(src >> 16); ip[14] = (uint8_t)(src >> 8); ip[15] = (uint8_t)src;
	ip[16] = (uint8_t)(dst >> 24); ip[17] = (uint8_t)(dst >> 16); ip[18] = (uint8_t)(dst >> 8); ip[19] = (uint8_t)dst;
	uint8_t *udp = ip + 20;
	udp[0] = (uint8_t)(sp >> 8); udp[1] = (uint8_t)sp;
	udp[2] = (uint8_t)(dp >> 8); udp[3] = (uint8_t)dp;
	udp[4] = (uint8_t)((iplen - 20) >> 8); udp[5] = (uint8_t)(iplen - 20);
	*caplen = len;
	*wire = sz;
}

int weir_bench_run(struct weir_app *app)
{
	const struct weir_conf *c = app->conf;
	struct weir_engine_config ec = c->eng;
	char err[512];
	struct frames f = { .linktype = WEIR_LINK_ETHERNET };
	uint64_t cycles = 0, packets = 0;

	ec.ft.hash_seed = 0x5eed;
	/* The mix keeps closed and idle flows until they time out: room for
	 * four times the concurrent ones. */
	uint64_t want = (uint64_t)c->bench_flows * (c->bench_mix ? 4 : 1);
	if (want > (1u << 30))
		want = 1u << 30;
	if (want && ec.ft.max_flows < want)
		ec.ft.max_flows = (uint32_t)want;
	struct weir_engine *eng = weir_engine_create(&ec, app->db, bench_sink, app, err, sizeof(err));
	if (!eng)
		weir_die("--bench: %s", err);

	if (c->bench_file) {
		load_capture(app, &f);
		uint64_t span = f.ts[f.n - 1] > f.ts[0] ? f.ts[f.n - 1] - f.ts[0] : 0;
		for (unsigned r = 0; r < c->bench_rounds; r++) {
			/* Each round an hour after the previous one ends: fresh flows. */
			uint64_t cy = run_pass(eng, &f, r * (span + 3600ull * 1000000000ull));
			cycles += cy;
			packets += f.n;
		}
	} else {
		unsigned flows = c->bench_flows;
		struct rte_mempool *mp = rte_pktmbuf_pool_create("bench_pool", SYN_BATCH + 64, 0, 0,
								 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
		if (!mp)
			weir_die("--bench-synthetic: mbuf pool: %s", rte_strerror(rte_errno));
		f.m = calloc(SYN_BATCH, sizeof(*f.m));
		f.ts = calloc(SYN_BATCH, sizeof(*f.ts));
		f.wire = calloc(SYN_BATCH, sizeof(*f.wire));
		if (!f.m || !f.ts || !f.wire)
			weir_die("--bench: out of memory");
		for (unsigned i = 0; i < SYN_BATCH; i++) {
			f.m[i] = rte_pktmbuf_alloc(mp);
			if (!f.m[i])
				weir_die("--bench-synthetic: mbuf allocation failed");
		}
		struct weir_bench_mix *mx = NULL;
		if (c->bench_mix && !(mx = weir_bench_mix_create(flows, c->bench_size, c->bench_lengths)))
			weir_die("--bench-mix: out of memory for %u flows", flows);
		uint64_t total = (uint64_t)flows * (mx ? 1 : 2) * c->bench_rounds;
		uint64_t base = 1700000000ull * 1000000000ull;
		for (uint64_t k = 0; k < total; k += SYN_BATCH) {
			f.n = total - k < SYN_BATCH ? total - k : SYN_BATCH;
			for (uint64_t i = 0; i < f.n; i++) {
				struct rte_mbuf *m = f.m[i];
				uint32_t caplen, wire;
				rte_pktmbuf_reset(m);
				if (mx) {
					weir_bench_mix_frame(mx, k + i, rte_pktmbuf_mtod(m, uint8_t *),
							     &caplen, &wire, &f.ts[i]);
				} else {
					synth_frame(rte_pktmbuf_mtod(m, uint8_t *), &caplen, &wire, k + i,
						    flows, c->bench_size);
					/* A 10 Mpps timeline; each round starts 120 s
					 * after the previous one, so its flows have
					 * idled out and their records are emitted
					 * inside the timed region. */
					uint64_t kk = k + i, per = (uint64_t)flows * 2;
					f.ts[i] = base + (kk / per) * 120000000000ull + (kk % per) * 100;
				}
				m->data_len = (uint16_t)caplen;
				m->pkt_len = caplen;
				f.wire[i] = wire;
			}
			cycles += run_pass(eng, &f, 0);
			packets += f.n;
		}
		weir_bench_mix_free(mx);
	}
	struct weir_engine_stats st;
	weir_engine_get_stats(eng, &st);
	uint64_t live = st.ft.flows_live;
	uint64_t c0 = thread_cpu_ns(), t0 = rte_rdtsc_precise();
	weir_engine_flush(eng);
	uint64_t flush_cycles = rte_rdtsc_precise() - t0;
	cycles += flush_cycles;
	cpu_ns_total += thread_cpu_ns() - c0;
	weir_engine_get_stats(eng, &st);
	double cpp = (double)cycles / (double)packets;
	double secs = (double)cycles / (double)weir_clock.tsc_hz;
	double cpu_ns = (double)cpu_ns_total / (double)packets;
	char what[96];
	if (c->bench_file)
		snprintf(what, sizeof(what), "capture");
	else
		snprintf(what, sizeof(what), "%s %u flows, %s", !c->bench_mix ? "synthetic UDP" :
			 c->bench_lengths == WEIR_MIX_UNSW ? "mix TCP/UDP (UNSW lengths)" : "mix TCP/UDP",
			 c->bench_flows, c->bench_size ? "64-byte" : "IMIX");
	printf("bench: %s %s, content %s, scoring %s: %llu frames, %llu flows created, %llu records (%llu anomalies), "
	       "%.1f ns/frame CPU (%.0f cycles at %.3f GHz, %.3f Mpps); wall: %.1f cycles/frame, %.3f Mpps\n",
	       what, c->bench_file ? c->bench_file : "",
	       c->eng.content ? "on" : "off", app->model ? "on" : "off",
	       (unsigned long long)packets, (unsigned long long)st.ft.flows_created,
	       (unsigned long long)bench_records, (unsigned long long)bench_anomalies,
	       cpu_ns, cpu_ns * (double)weir_clock.tsc_hz / 1e9, (double)weir_clock.tsc_hz / 1e9,
	       1e3 / cpu_ns, cpp, (double)packets / secs / 1e6);
	/* The final flush's share: at shutdown every live flow becomes a
	 * record at once, out of cache. */
	printf("bench: final flush: %llu live flows, %.0f cycles a record, %.1f cycles a frame of the above\n",
	       (unsigned long long)live, live ? (double)flush_cycles / (double)live : 0.0,
	       (double)flush_cycles / (double)packets);
	weir_engine_free(eng);
	return 0;
}
