/* The main lcore's loop: receive for ports that cannot spread traffic over
 * per-worker queues (net_pcap, single-queue net_af_packet, pcap-live),
 * stamp each frame, hash it in software with the symmetric Toeplitz key and
 * hand it to its worker over an SP/SC ring; between bursts, serve the
 * command socket and watch for the end (signal, or the last replay frame).
 *
 * Replay is lossless: a full worker ring makes the main lcore wait (the
 * capture is not going anywhere). Live ports never wait: a full ring drops
 * the frame and counts it (dispatch_full). */
#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <stdlib.h>
#include "hold.h"
#include "weir.h"

#define CTL_EVERY_US 10000     /* command socket / quit check */
#define REPLAY_IDLE_S 5        /* replay port silent this long: give up on it */

/* Attach the metadata the worker needs; replay ports get the pre-pass
 * stamp and wire length of the frame with this index. */
static inline void stamp(struct weir_port *p, struct rte_mbuf *m, uint64_t now_ns)
{
	struct weir_mbuf_meta *md = weir_meta(m);
	if (p->replay_ts_ns && p->replay_next < p->replay_frames) {
		/* net_pcap's own stamp (µs, from the same file) must agree
		 * with the pre-pass at this index: a check that frame k here
		 * is frame k there. */
		uint64_t pmd = weir_pmd_ts_ns(m);
		if (pmd && pmd / 1000 != p->replay_ts_ns[p->replay_next] / 1000)
			p->replay_mismatch++;
		md->ts_ns = p->replay_ts_ns[p->replay_next];
		md->wire_len = p->replay_wire_len[p->replay_next];
		p->replay_next++;
	} else {
		uint64_t t = p->pmd_ts ? weir_pmd_ts_ns(m) : 0;
		md->ts_ns = t ? t : now_ns;
		md->wire_len = rte_pktmbuf_pkt_len(m);
	}
	md->linktype = (uint16_t)p->linktype;
	md->flags = WEIR_META_VALID;
}

static void ctl_tick(struct weir_app *app)
{
	weir_ctl_poll(app);
	weir_model_reclaim(app, 0);
	/* The command socket may have changed the sample rate. */
	double r = app->sample_rate;
	uint64_t thr = r >= 1.0 ? UINT64_MAX : (uint64_t)(r * 18446744073709551616.0);
	for (unsigned w = 0; w < app->nworkers; w++)
		app->worker[w].sample_threshold = thr;
}

/* Replay pacing: hold frame `m` until its recorded offset (scaled) has
 * passed since the replay started, serving the socket while waiting. */
static void pace_wait(struct weir_app *app, struct weir_port *p, uint64_t ts_ns,
		      uint64_t start_tsc, uint64_t *next_ctl)
{
	/* One timeline across the captures: offsets from the first one. */
	/* A stamp before the first one (captures are not always sorted) is
	 * due at once. */
	uint64_t first = app->port[0].replay_first_ns;
	(void)p;
	double off_s = ts_ns > first ? (double)(ts_ns - first) / 1e9 / app->conf->pace : 0.0;
	uint64_t due = start_tsc + (uint64_t)(off_s * (double)weir_clock.tsc_hz);
	uint64_t ctl_cycles = weir_clock.tsc_hz / (1000000 / CTL_EVERY_US);
	while (!app->force_quit) {
		uint64_t now = rte_rdtsc();
		if (now >= due)
			return;
		if (now >= *next_ctl) {
			ctl_tick(app);
			*next_ctl = now + ctl_cycles;
		}
		rte_pause();
	}
}

/* Replay hold (hold.h). Set by the command socket, which the main lcore
 * serves itself, so plain variables suffice. */
static uint64_t hold_until, hold_next, hold_count, dispatched;
static int holding;

void weir_hold_init(void)
{
	const char *e = getenv("WEIR_REPLAY_HOLD");
	if (e && !strcmp(e, "1"))
		hold_until = 1;   /* before any frame */
}

void weir_hold_set(uint64_t until_ns)
{
	hold_until = until_ns;
}

void weir_hold_get(const struct weir_app *app, struct weir_hold_state *st)
{
	uint64_t done = 0;
	for (unsigned w = 0; w < app->nworkers; w++)
		done += __atomic_load_n(&app->worker[w].st.rx, __ATOMIC_ACQUIRE);
	st->until_ns = hold_until;
	/* a worker counts a burst after its records are in the rings */
	st->held = holding && done == dispatched;
	st->next_ns = holding ? hold_next : 0;
	st->holds = hold_count;
}

/* Wait at the hold point, serving the socket; returns the cycles waited
 * (a paced replay shifts its schedule by them). Not the hot path: only
 * frames at or past the hold point get here, and the wait sleeps. */
static uint64_t hold_wait(struct weir_app *app, uint64_t ts_ns)
{
	uint64_t t0 = rte_rdtsc();
	holding = 1;
	hold_next = ts_ns;
	hold_count++;
	while (!app->force_quit && hold_until && ts_ns >= hold_until) {
		ctl_tick(app);
		rte_delay_us_sleep(100);
	}
	holding = 0;
	return rte_rdtsc() - t0;
}

static void dispatch(struct weir_app *app, struct weir_port *p, struct rte_mbuf **m,
		     unsigned n, int lossless)
{
	for (unsigned i = 0; i < n; i++) {
		struct weir_mbuf_meta *md = weir_meta(m[i]);
		const uint8_t *d = rte_pktmbuf_mtod(m[i], const uint8_t *);
		uint32_t h = weir_soft_rss(d, rte_pktmbuf_data_len(m[i]), md->linktype);
		unsigned w = weir_rss_worker(h, app->nworkers);
		m[i]->hash.rss = h;
		struct rte_ring *r = app->worker[w].in;
		if (lossless) {
			while (rte_ring_sp_enqueue(r, m[i]) != 0) {
				if (app->force_quit && app->worker[w].done)
					goto drop;
				rte_pause();
			}
			continue;
		}
		if (rte_ring_sp_enqueue(r, m[i]) == 0)
			continue;
drop:
		p->dispatch_full++;
		rte_pktmbuf_free(m[i]);
	}
}

static unsigned pcap_live_burst(struct weir_port *p, struct rte_mbuf **m, unsigned max)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned n = 0;

	while (n < max) {
		int rc = pcap_next_ex(p->pcap_live, &h, &data);
		if (rc != 1)
			break;
		struct rte_mbuf *mb = rte_pktmbuf_alloc(p->pool);
		if (!mb) {
			p->live_nombuf++;
			continue;
		}
		uint32_t len = h->caplen;
		if (len > rte_pktmbuf_tailroom(mb))
			len = rte_pktmbuf_tailroom(mb);
		memcpy(rte_pktmbuf_append(mb, (uint16_t)len), data, len);
		struct weir_mbuf_meta *md = weir_meta(mb);
		/* libpcap was opened with nanosecond stamps. */
		md->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		md->wire_len = h->len;
		md->linktype = (uint16_t)p->linktype;
		md->flags = WEIR_META_VALID;
		m[n++] = mb;
	}
	p->rx_sw += n;
	return n;
}

void weir_rx_loop(struct weir_app *app)
{
	const struct weir_conf *c = app->conf;
	struct rte_mbuf *m[WEIR_BURST];
	uint64_t ctl_cycles = weir_clock.tsc_hz / (1000000 / CTL_EVERY_US);
	uint64_t next_ctl = 0, start_tsc = rte_rdtsc();
	unsigned cur = 0;            /* replay: the port being read */
	uint64_t idle_since = 0;

	if (c->replay)
		weir_hold_init();
	while (!app->rx_done) {
		uint64_t now = rte_rdtsc();
		int got = 0;

		if (now >= next_ctl) {
			ctl_tick(app);
			next_ctl = now + ctl_cycles;
			if (app->force_quit)
				break;
		}
		if (c->replay) {
			/* Captures are one timeline: port by port, in order. */
			while (cur < app->nports && app->port[cur].replay_next >= app->port[cur].replay_frames)
				cur++;
			if (cur == app->nports)
				break;
			struct weir_port *p = &app->port[cur];
			uint16_t want = WEIR_BURST;
			if (p->replay_frames - p->replay_next < want)
				want = (uint16_t)(p->replay_frames - p->replay_next);
			uint16_t n = rte_eth_rx_burst(p->port_id, 0, m, want);
			if (n == 0) {
				if (!idle_since)
					idle_since = now;
				else if (now - idle_since > REPLAY_IDLE_S * weir_clock.tsc_hz) {
					weir_warn("replay %s: the driver stopped after %llu of %llu frames; moving on",
						  c->port[cur].replay_file, (unsigned long long)p->replay_next,
						  (unsigned long long)p->replay_frames);
					p->replay_frames = p->replay_next;
				}
				continue;
			}
			idle_since = 0;
			p->rx_sw += n;
			for (uint16_t i = 0; i < n; i++) {
				stamp(p, m[i], 0);
				if (hold_until && weir_meta(m[i])->ts_ns >= hold_until)
					start_tsc += hold_wait(app, weir_meta(m[i])->ts_ns);
				if (c->pace > 0)
					pace_wait(app, p, weir_meta(m[i])->ts_ns, start_tsc, &next_ctl);
				dispatch(app, p, &m[i], 1, 1);
				dispatched++;
			}
			continue;
		}
		uint64_t now_ns = weir_tsc_to_ns(now);
		for (unsigned i = 0; i < app->nports; i++) {
			struct weir_port *p = &app->port[i];
			unsigned n;
			if (p->type == WEIR_PORT_PCAP_LIVE) {
				n = pcap_live_burst(p, m, WEIR_BURST);
			} else {
				if (p->hw_rss)
					continue;
				n = rte_eth_rx_burst(p->port_id, 0, m, WEIR_BURST);
				p->rx_sw += n;
				/* Driver stamps (net_pcap rx_iface: µs since
				 * the epoch) beat our TSC: see stamp(). */
				for (unsigned k = 0; k < n; k++)
					stamp(p, m[k], now_ns);
			}
			if (n) {
				got = 1;
				dispatch(app, p, m, n, 0);
			}
		}
		if (!got && !app->need_dispatch)
			rte_delay_us_sleep(1000);   /* nothing to receive here: the workers read the NICs */
	}
	for (unsigned i = 0; i < app->nports; i++)
		if (app->port[i].replay_mismatch)
			weir_warn("replay %s: %llu frames whose net_pcap timestamp disagrees with the pre-pass "
				  "(frames lost by the driver?): results may differ from weirctl extract",
				  c->port[i].replay_file, (unsigned long long)app->port[i].replay_mismatch);
	__atomic_store_n(&app->rx_done, 1, __ATOMIC_RELEASE);
}
