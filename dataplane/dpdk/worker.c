/* The worker lcore: bursts of 32 frames from its RX queue(s) or from the
 * main lcore's dispatch ring, each through its own engine (decode -> flow
 * table -> features); finished records go to the flow-log ring, and
 * anomalies plus a deterministic sample to weir-control's shm rings.
 *
 * In the loop: no allocation, no locks, no syscalls, one TSC read per
 * burst. Everything is allocated in weir_workers_create(). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include "bundle.h"
#include "content.h"
#include "weir.h"

#define PREFETCH_AHEAD 3
#define TX_DRAIN_US 100        /* buffered TX is pushed out at least this often */
#define HOUSEKEEP_US 10000     /* timers of idle flows, stats snapshot */
#define SCRATCH_LEN 65536

int weir_meta_offset = -1;
int weir_pmd_ts_offset = -1;
uint64_t weir_pmd_ts_flag;

int weir_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "weir_meta",
		.size = sizeof(struct weir_mbuf_meta),
		.align = __alignof__(struct weir_mbuf_meta),
	};
	weir_meta_offset = rte_mbuf_dynfield_register(&desc);
	/* The timestamp field drivers fill (net_pcap registers it itself;
	 * registering here too is harmless and gives us the offset). */
	if (rte_mbuf_dyn_rx_timestamp_register(&weir_pmd_ts_offset, &weir_pmd_ts_flag) != 0)
		weir_pmd_ts_offset = -1;
	return weir_meta_offset < 0 ? -1 : 0;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* The flow log must not lose records in a replay or at shutdown: wait for
 * the writer then (it is draining). Live, a stalled writer costs records,
 * counted, never the worker's time. */
static void flowlog_put(struct weir_worker *w, struct weir_record *rec, int lossless)
{
	if (rte_ring_sp_enqueue_elem(w->flowlog, rec, sizeof(*rec)) == 0)
		return;
	if (lossless) {
		while (w->app->flowlog_running) {
			rte_pause();
			if (rte_ring_sp_enqueue_elem(w->flowlog, rec, sizeof(*rec)) == 0)
				return;
		}
	}
	w->st.flowlog_full++;
}

static int lossless_now(const struct weir_worker *w)
{
	return w->app->conf->replay || w->app->rx_done;
}

static void sink(void *ctx, struct weir_record *rec)
{
	struct weir_worker *w = ctx;
	struct weir_app *app = w->app;

	rec->worker = (uint16_t)w->id;
	/* Score with the model published now; it stays valid until this
	 * worker's next quiescent report (after the burst). */
	const struct weir_bundle *b = __atomic_load_n(&app->model, __ATOMIC_ACQUIRE);
	if (b) {
		float score = weir_bundle_score(b, rec);
		double th = app->threshold_set ? app->threshold : b->threshold;
		rec->score = score;
		rec->model_version = b->version;
		rec->verdict = score < th ? WEIR_VERDICT_ANOMALY : WEIR_VERDICT_NORMAL;
	}
	if (w->flowlog)
		flowlog_put(w, rec, lossless_now(w));
	if (app->shm) {
		if (rec->verdict == WEIR_VERDICT_ANOMALY) {
			w->st.anomalies++;
			if (!weir_shm_push(app->shm, w->id, WEIR_SHM_ANOMALY, rec, 1))
				w->st.ring_full[WEIR_SHM_ANOMALY]++;
		}
		/* Deterministic: the same flow is sampled on every run. */
		if (mix64(rec->flow_id * 0x9e3779b97f4a7c15ull ^ w->id) < w->sample_threshold) {
			w->st.sampled++;
			if (!weir_shm_push(app->shm, w->id, WEIR_SHM_SAMPLE, rec, 1))
				w->st.ring_full[WEIR_SHM_SAMPLE]++;
		}
	}
	/* The block hook: a flow under an anomaly verdict (from the scorer)
	 * has its later frames dropped in inline mode with block = on. */
	if (w->block && rec->verdict == WEIR_VERDICT_ANOMALY)
		weir_block_add(w->block, weir_block_key_record(rec));
}

/* Early verdict ([mode] early_pkts, inline with block = on): the engine
 * hands over a provisional record of a flow still open, once, at its
 * N-th packet; it is scored like a finished record (same RCU-protected
 * model: this runs inside the burst) and an anomaly blocks the flow in
 * the engine, which then marks its frames for dropping. The provisional
 * record goes nowhere else: the flow's real record comes at its end. */
static int early_verdict(void *ctx, const struct weir_record *rec)
{
	struct weir_worker *w = ctx;
	struct weir_app *app = w->app;
	const struct weir_bundle *b = __atomic_load_n(&app->model, __ATOMIC_ACQUIRE);

	if (!b)
		return 0;
	float score = weir_bundle_score(b, rec);
	double th = app->threshold_set ? app->threshold : b->threshold;
	return score < th;
}

/* ethdev port id -> our port index, for forwarding. Written before the
 * workers start, read-only afterwards. */
static int8_t port_index[RTE_MAX_ETHPORTS];

int weir_workers_create(struct weir_app *app)
{
	const struct weir_conf *c = app->conf;
	char err[512];
	unsigned lcore, i = 0;

	if (rte_lcore_count() < c->workers + 1)
		weir_die("[workers] count = %u needs %u lcores (main + workers), the EAL has %u; set [eal] lcores = auto or list %u lcores",
			 c->workers, c->workers + 1, rte_lcore_count(), c->workers + 1);
	app->nworkers = c->workers;
	app->worker = rte_zmalloc("weir_workers", sizeof(struct weir_worker) * c->workers,
				  RTE_CACHE_LINE_SIZE);
	if (!app->worker)
		weir_die("cannot allocate %u worker structures; more EAL memory needed", c->workers);

	double r = c->sample_rate;
	uint64_t thr = r >= 1.0 ? UINT64_MAX : (uint64_t)(r * 18446744073709551616.0);

	for (unsigned p = 0; p < RTE_MAX_ETHPORTS; p++)
		port_index[p] = -1;
	for (unsigned p = 0; p < app->nports; p++)
		if (app->port[p].type == WEIR_PORT_DPDK)
			port_index[app->port[p].port_id] = (int8_t)p;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == c->workers)
			break;
		struct weir_worker *w = &app->worker[i];
		struct weir_engine_config ec = c->eng;
		w->id = i;
		w->lcore = lcore;
		w->app = app;
		w->sample_threshold = thr;
		ec.worker_id = (uint16_t)i;
		if (getrandom(&ec.ft.hash_seed, sizeof(ec.ft.hash_seed), 0) < 0)
			ec.ft.hash_seed = 0x5eed5eed5eed5eedull + i;
		w->eng = weir_engine_create(&ec, app->db, sink, w, err, sizeof(err));
		if (!w->eng)
			weir_die("worker %u: %s; lower [flows] max_flows (%u per worker)", i, err,
				 c->eng.ft.max_flows);
		if (i == 0)
			weir_info("flow table hash: %s", weir_engine_hash_name(w->eng));
		w->scratch = rte_malloc_socket("weir_scratch", SCRATCH_LEN, RTE_CACHE_LINE_SIZE,
					       rte_lcore_to_socket_id(lcore));
		if (!w->scratch)
			weir_die("worker %u: cannot allocate scratch; more EAL memory needed", i);
		char name[RTE_RING_NAMESIZE];
		if (app->need_dispatch) {
			snprintf(name, sizeof(name), "weir_in_%u", i);
			w->in = rte_ring_create(name, 2048, rte_lcore_to_socket_id(lcore),
						RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!w->in)
				weir_die("worker %u: cannot create its dispatch ring; more EAL memory needed", i);
		}
		if (c->flow_log[0]) {
			snprintf(name, sizeof(name), "weir_log_%u", i);
			w->flowlog = rte_ring_create_elem(name, sizeof(struct weir_record), 4096,
							  rte_lcore_to_socket_id(lcore),
							  RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!w->flowlog)
				weir_die("worker %u: cannot create its flow-log ring (4096 x %zu bytes); more EAL memory needed",
					 i, sizeof(struct weir_record));
		}
		for (unsigned p = 0; p < app->nports; p++) {
			struct weir_port *pt = &app->port[p];
			if (pt->type == WEIR_PORT_DPDK && pt->hw_rss) {
				w->rxq[w->nrxq].port = pt->port_id;
				w->rxq[w->nrxq].queue = (uint16_t)i;
				w->rxq[w->nrxq].linktype = pt->linktype;
				w->rxq[w->nrxq].pmd_ts = pt->pmd_ts;
				w->nrxq++;
			}
			if (c->mode == WEIR_MODE_INLINE && pt->type == WEIR_PORT_DPDK) {
				w->txb[p] = rte_zmalloc_socket("weir_txb", RTE_ETH_TX_BUFFER_SIZE(WEIR_BURST), 0,
							       rte_lcore_to_socket_id(lcore));
				if (!w->txb[p])
					weir_die("worker %u: cannot allocate a TX buffer", i);
				rte_eth_tx_buffer_init(w->txb[p], WEIR_BURST);
				/* Failed sends: mbufs freed and counted. */
				rte_eth_tx_buffer_set_err_callback(w->txb[p], rte_eth_tx_buffer_count_callback,
								   &w->st.tx_dropped);
				w->txq[p] = (uint16_t)i;
			}
		}
		if (c->mode == WEIR_MODE_INLINE && c->block) {
			w->block = rte_zmalloc("weir_block", sizeof(*w->block), RTE_CACHE_LINE_SIZE);
			if (!w->block)
				weir_die("worker %u: cannot allocate the block set", i);
			if (c->eng.early_pkts) {
				weir_engine_set_early(w->eng, early_verdict, w);
				w->early = 1;
			}
		}
		i++;
	}
	return 0;
}

static inline void forward(struct weir_worker *w, struct rte_mbuf *m,
			   const uint8_t *data, uint32_t len, int linktype, int drop)
{
	struct weir_app *app = w->app;
	int in = m->port < RTE_MAX_ETHPORTS ? port_index[m->port] : -1;
	int out = in >= 0 ? app->port[in].peer : -1;

	if (out < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (drop) {   /* the engine's early verdict blocked this flow */
		w->st.blocked++;
		rte_pktmbuf_free(m);
		return;
	}
	if (w->block && w->block->count &&
	    weir_block_has(w->block, weir_block_key_frame(data, len, linktype))) {
		w->st.blocked++;
		rte_pktmbuf_free(m);
		return;
	}
	w->st.tx_sent += rte_eth_tx_buffer(app->port[out].port_id, w->txq[out], w->txb[out], m);
}

static void tx_drain(struct weir_worker *w)
{
	for (unsigned p = 0; p < w->app->nports; p++)
		if (w->txb[p])
			w->st.tx_sent += rte_eth_tx_buffer_flush(w->app->port[p].port_id,
								 w->txq[p], w->txb[p]);
}

/* Frames [from, to) through the engine, in runs of one link type (always
 * the whole range unless a dispatcher mixes captures of different types),
 * then forwarded in inline mode. */
static void analyse(struct weir_worker *w, struct rte_mbuf **m, const struct weir_frame_ref *ref,
		    const int *lts, unsigned from, unsigned to, int inl)
{
	uint8_t drop[WEIR_BURST];

	if (inl && w->block) {
		/* Blocking: a record's verdict must stop the frames after it
		 * and none before it, so each frame is forwarded or dropped
		 * right after its own analysis. */
		for (unsigned i = from; i < to; i++) {
			weir_engine_burst(w->eng, lts[i], &ref[i], 1, &drop[i]);
			forward(w, m[i], ref[i].data, ref[i].caplen, lts[i], w->early ? drop[i] : 0);
		}
		return;
	}
	for (unsigned i = from; i < to;) {
		unsigned j = i + 1;
		while (j < to && lts[j] == lts[i])
			j++;
		weir_engine_burst(w->eng, lts[i], &ref[i], j - i, w->early ? &drop[i] : NULL);
		i = j;
	}
	if (inl)
		for (unsigned i = from; i < to; i++)
			forward(w, m[i], ref[i].data, ref[i].caplen, lts[i], w->early ? drop[i] : 0);
}

/* Returns the burst's last frame time. */
static inline uint64_t process_burst(struct weir_worker *w, struct rte_mbuf **m, unsigned n,
				     int from_ring, int linktype, int pmd_ts, uint64_t now_ns)
{
	uint64_t ts = 0;
	int inl = w->app->conf->mode == WEIR_MODE_INLINE;
	struct weir_frame_ref ref[WEIR_BURST];
	int lts[WEIR_BURST];
	unsigned from = 0;
	int scratch_busy = 0;

	for (unsigned i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *mb = m[i];
		const uint8_t *data;
		uint32_t caplen, wire;
		int lt = linktype;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + PREFETCH_AHEAD], void *));
		if (likely(mb->nb_segs == 1)) {
			data = rte_pktmbuf_mtod(mb, const uint8_t *);
			caplen = rte_pktmbuf_data_len(mb);
		} else {
			/* One scratch buffer: a second multi-segment frame
			 * first sends the frames before it through. */
			if (scratch_busy) {
				analyse(w, m, ref, lts, from, i, inl);
				from = i;
			}
			scratch_busy = 1;
			caplen = rte_pktmbuf_pkt_len(mb) < SCRATCH_LEN ? rte_pktmbuf_pkt_len(mb) : SCRATCH_LEN;
			data = rte_pktmbuf_read(mb, 0, caplen, w->scratch);
			w->st.linearized++;
		}
		if (from_ring) {
			const struct weir_mbuf_meta *md = weir_meta(mb);
			ts = md->ts_ns;
			wire = md->wire_len;
			lt = md->linktype;
		} else {
			uint64_t t = pmd_ts ? weir_pmd_ts_ns(mb) : 0;
			ts = t ? t : now_ns;
			wire = rte_pktmbuf_pkt_len(mb);
		}
		ref[i].data = data;
		ref[i].caplen = caplen;
		ref[i].wire_len = wire;
		ref[i].ts_ns = ts;
		lts[i] = lt;
	}
	analyse(w, m, ref, lts, from, n, inl);
	if (!inl)
		rte_pktmbuf_free_bulk(m, n);
	return ts;
}

int weir_worker_main(void *arg)
{
	struct weir_worker *w = arg;
	struct weir_app *app = w->app;
	const struct weir_conf *c = app->conf;
	struct rte_mbuf *m[WEIR_BURST];
	uint64_t drain_cycles = weir_clock.tsc_hz / (1000000 / TX_DRAIN_US);
	uint64_t hk_cycles = weir_clock.tsc_hz / (1000000 / HOUSEKEEP_US);
	uint64_t next_drain = 0, next_hk = 0;
	uint64_t last_ts = 0, last_tsc = 0;   /* newest frame time, and when it came */
	unsigned q = 0;
	int inl = c->mode == WEIR_MODE_INLINE;

	if (app->qsbr) {
		rte_rcu_qsbr_thread_register(app->qsbr, w->id);
		rte_rcu_qsbr_thread_online(app->qsbr, w->id);
	}

	for (;;) {
		uint64_t tsc = rte_rdtsc();
		uint64_t now_ns = weir_tsc_to_ns(tsc);
		int stopping = __atomic_load_n(&app->rx_done, __ATOMIC_ACQUIRE);
		unsigned n = 0;

		if (w->in) {
			n = rte_ring_sc_dequeue_burst(w->in, (void **)m, WEIR_BURST, NULL);
			if (n) {
				last_ts = process_burst(w, m, n, 1, 0, 0, now_ns);
				last_tsc = tsc;
			}
		}
		if (w->nrxq && !stopping) {
			/* One queue per round: each gets its turn. */
			q = q + 1 < w->nrxq ? q + 1 : 0;
			unsigned k = rte_eth_rx_burst(w->rxq[q].port, w->rxq[q].queue, m, WEIR_BURST);
			if (k) {
				last_ts = process_burst(w, m, k, 0, w->rxq[q].linktype, w->rxq[q].pmd_ts, now_ns);
				last_tsc = tsc;
			}
			n += k;
		}
		if (n) {
			w->st.rx += n;
			w->st.bursts++;
		}
		if (app->qsbr)
			rte_rcu_qsbr_quiescent(app->qsbr, w->id);
		if (inl && tsc >= next_drain) {
			tx_drain(w);
			next_drain = tsc + drain_cycles;
		}
		if (tsc >= next_hk) {
			/* Live: idle flows expire while no packet comes, on
			 * the packets' clock moved on by the time elapsed
			 * since the last one (frame stamps may be the driver's
			 * capture time, not ours). A replay runs on capture
			 * time only: the engine advances from packets. */
			if (!c->replay && last_tsc)
				weir_engine_advance(w->eng, last_ts + (weir_tsc_to_ns(tsc) - weir_tsc_to_ns(last_tsc)));
			weir_engine_get_stats(w->eng, &w->st.eng);
			next_hk = tsc + hk_cycles;
		}
		/* Stop receiving once the main lcore says so; it enqueues
		 * before it sets rx_done, so an empty ring seen after that
		 * means every dispatched frame was processed. */
		if (stopping && (!w->in || rte_ring_empty(w->in)))
			break;
	}
	if (inl)
		tx_drain(w);
	/* Shutdown: every live flow becomes a record (end_reason shutdown). */
	weir_engine_flush(w->eng);
	weir_engine_get_stats(w->eng, &w->st.eng);
	if (app->qsbr)
		rte_rcu_qsbr_thread_offline(app->qsbr, w->id);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return 0;
}
