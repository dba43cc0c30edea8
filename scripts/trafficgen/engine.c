/* weir-gen engine: the time-ordered scheduler, the session pool, the
 * labels and the run loop.
 *
 * Every session and every source sits in one binary min-heap keyed by the
 * time of its next packet; popping the heap gives packets in time order.
 * A session emits exactly one packet per visit (tcp.c), so memory is bounded
 * by the sessions open at once (max_sessions), not by the capture length.
 * Sources (sources.c) start sessions: the normal mix and the attacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gen_int.h"

/* ------------------------------------------------------------------ */
/* services for apps.c                                                 */

struct gen_rng *gen_rngp(struct gen *g) { return &g->rng; }
const struct weir_gen_scenario *gen_scn(struct gen *g) { return g->sc; }

uint64_t gen_jitter(struct gen *g)
{
	return (uint64_t)gen_exp(&g->rng, g->sc->jitter_ms * 1e6);
}

double gen_size_scale(struct gen *g, uint64_t t)
{
	return g->sc->drift_enabled && t >= g->drift_t ? g->sc->drift_size_scale : 1.0;
}

struct gen_host *gen_pick_client(struct gen *g, int drift_ok)
{
	if (drift_ok && g->n_drift && g->sc->drift_enabled &&
	    gen_chance(&g->rng, g->sc->drift_client_share))
		return &g->hosts[g->drift_lo + gen_below(&g->rng, g->n_drift)];
	return &g->hosts[gen_below(&g->rng, g->n_clients)];
}

struct gen_host *gen_pick_server(struct gen *g, int role)
{
	return &g->hosts[g->role_idx[role][gen_below(&g->rng, g->role_n[role])]];
}

struct gen_host *gen_pick_external(struct gen *g)
{
	return &g->hosts[g->ext_lo + gen_below(&g->rng, g->n_ext)];
}

/* Ephemeral ports go round the host's range, skipping ports in use, so a
 * 5-tuple comes back only after the whole range has been used: labels stay
 * unambiguous and flow trackers do not merge two sessions. */
int gen_port_alloc(struct gen_host *h, uint16_t *port)
{
	uint32_t span = (uint32_t)h->port_hi - h->port_lo + 1;
	if (!h->ports)
		h->ports = calloc(1024, sizeof(uint64_t));
	for (uint32_t i = 0; i < span; i++) {
		uint16_t p = h->port_next;
		h->port_next = p >= h->port_hi ? h->port_lo : (uint16_t)(p + 1);
		if (!h->ports) {      /* out of memory: sequential only */
			*port = p;
			return 0;
		}
		if (!(h->ports[p >> 6] & (1ull << (p & 63)))) {
			h->ports[p >> 6] |= 1ull << (p & 63);
			*port = p;
			return 0;
		}
	}
	return -1;
}

void gen_port_free(struct gen_host *h, uint16_t port)
{
	if (h && h->ports)
		h->ports[port >> 6] &= ~(1ull << (port & 63));
}

/* ------------------------------------------------------------------ */
/* heap                                                                */

void gen_heap_push(struct gen *g, uint64_t t, uint32_t id)
{
	uint32_t i = g->heap_n++;
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (g->heap[p].t <= t)
			break;
		g->heap[i] = g->heap[p];
		i = p;
	}
	g->heap[i] = (struct heap_ent){ t, id };
}

static void heap_sift_down(struct gen *g, uint32_t i)
{
	struct heap_ent e = g->heap[i];
	uint32_t n = g->heap_n;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && g->heap[c + 1].t < g->heap[c].t)
			c++;
		if (g->heap[c].t >= e.t)
			break;
		g->heap[i] = g->heap[c];
		i = c;
	}
	g->heap[i] = e;
}

void gen_heap_replace_top(struct gen *g, uint64_t t)
{
	g->heap[0].t = t;
	heap_sift_down(g, 0);
}

void gen_heap_pop(struct gen *g)
{
	g->heap[0] = g->heap[--g->heap_n];
	if (g->heap_n)
		heap_sift_down(g, 0);
}

/* ------------------------------------------------------------------ */
/* labels                                                              */

static void lflush(struct gen *g)
{
	if (g->labels && g->llen && !g->lerr &&
	    fwrite(g->lbuf, 1, g->llen, g->labels) != g->llen)
		g->lerr = errno ? errno : EIO;
	g->llen = 0;
}

static void ip_str(char *b, uint32_t ip)
{
	sprintf(b, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "?";
}

void gen_label_row(struct gen *g, uint32_t src, uint16_t sport, uint32_t dst,
		      uint16_t dport, uint8_t proto, uint64_t stime, uint64_t ltime,
		      int attack, const uint32_t pkts[2], const uint64_t bytes[2],
		      const uint64_t ipbytes[2])
{
	g->st.flows++;
	if (attack >= 0)
		g->st.attack_flows++;
	if (!g->labels)
		return;
	if (g->llen > (1u << 20) - 512)
		lflush(g);
	char a[16], b[16];
	ip_str(a, src);
	ip_str(b, dst);
	/* Times at the pcap's microsecond resolution, printed exactly. */
	uint64_t su = stime / 1000, lu = ltime / 1000;
	int n = snprintf(g->lbuf + g->llen, 512, "%s,%u,%s,%u,%s,%" PRIu64 ".%06" PRIu64
			 ",%" PRIu64 ".%06" PRIu64 ",%s,%d,%s",
			 a, sport, b, dport, proto_name(proto), su / 1000000, su % 1000000,
			 lu / 1000000, lu % 1000000,
			 attack >= 0 ? weir_gen_attack_cat(attack) : "", attack >= 0,
			 attack >= 0 ? weir_gen_attack_name(attack) : "");
	g->llen += (size_t)n;
	if (g->o.extra_columns)
		g->llen += (size_t)snprintf(g->lbuf + g->llen, 200,
			",%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
			pkts[0], pkts[1], bytes[0], bytes[1], ipbytes[0], ipbytes[1]);
	g->lbuf[g->llen++] = '\n';
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

struct gen_sess *gen_sess_alloc(struct gen *g)
{
	if (!g->n_free) {
		g->st.refused_sessions++;
		return NULL;
	}
	uint32_t id = g->free_ids[--g->n_free];
	struct gen_sess *s = &g->sess[id];
	/* Clear the fixed part; the text buffers are rewritten before use. */
	memset(s, 0, offsetof(struct gen_sess, text));
	s->id = id;
	s->parent = GEN_NO_PARENT;
	s->attack = -1;
	return s;
}

/* A TCP/UDP session from client host c (new ephemeral port) to server
 * host sv:dport. Returns NULL when the pool or the port range is full. */
struct gen_sess *gen_sess_new(struct gen *g, uint64_t t, uint8_t proto, uint8_t app,
				 uint8_t variant, int attack, struct gen_host *c,
				 struct gen_host *sv, uint16_t dport)
{
	uint16_t sport;
	if (gen_port_alloc(c, &sport) < 0) {
		g->st.refused_ports++;
		return NULL;
	}
	struct gen_sess *s = gen_sess_alloc(g);
	if (!s) {
		gen_port_free(c, sport);
		return NULL;
	}
	s->t = t;
	s->proto = proto;
	s->app = app;
	s->variant = variant;
	s->attack = (int8_t)attack;
	gen_ep_from_host(g, &s->ep[0], c, sport);
	gen_ep_from_host(g, &s->ep[1], sv, dport);
	s->ep[0].port_owned = 1;
	s->ts_ok = s->ep[0].os == GEN_OS_LINUX && s->ep[1].os == GEN_OS_LINUX;
	s->sack_ok = 1;
	uint16_t mss = s->ep[0].mss < s->ep[1].mss ? s->ep[0].mss : s->ep[1].mss;
	s->mss = (uint16_t)(mss - (s->ts_ok ? 12 : 0));
	s->body_seed = (uint32_t)gen_next(&g->rng);
	s->ph = proto == 6 ? PH_SYN : PH_DGRAM;
	s->last_dir = 1;
	return s;
}

void gen_sess_schedule_new(struct gen *g, struct gen_sess *s)
{
	gen_app_init(g, s);
	gen_heap_push(g, s->t, s->id);
}

void gen_sess_finish(struct gen *g, struct gen_sess *s)
{
	if (s->pkts[0] || s->pkts[1])
		gen_label_row(g, s->ep[0].ip, s->ep[0].port, s->ep[1].ip, s->ep[1].port,
			  s->proto, s->stime, s->ltime, s->attack, s->pkts, s->bytes,
			  s->ipbytes);
	for (int i = 0; i < 2; i++)
		if (s->ep[i].port_owned)
			gen_port_free(s->ep[i].h, s->ep[i].port);
	s->ph = PH_DONE;
	g->free_ids[g->n_free++] = s->id;
	if (s->parent != GEN_NO_PARENT) {
		/* FTP control resumes once its data connection is over. */
		struct gen_sess *p = &g->sess[s->parent];
		if (p->t_prev < s->t)
			p->t_prev = s->t;
		p->t_lastdata = p->t_prev;
		struct gen_msg m;
		int act = gen_app_next(g, p, &m);
		gen_do_act(g, p, act, &m);
		gen_heap_push(g, p->t, p->id);
	}
}

const uint8_t *gen_block_sums(struct gen *g, int kind, const uint32_t **qe, const uint32_t **qo)
{
	int h = kind == BODY_HTML;
	*qe = g->q[h][0];
	*qo = g->q[h][1];
	return h ? g->blk_html : g->blk_rand;
}

static void cleanup(struct gen *g)
{
	if (g->hosts)
		for (uint32_t i = 0; i < g->n_hosts; i++)
			free(g->hosts[i].ports);
	free(g->hosts);
	free(g->sess);
	free(g->free_ids);
	free(g->heap);
	free(g->srcs);
	free(g->blk_rand);
	free(g->blk_html);
	for (int h = 0; h < 2; h++)
		for (int k = 0; k < 2; k++)
			free(g->q[h][k]);
	free(g->lbuf);
	gen_out_free(&g->out);
}

int weir_gen_run(const struct weir_gen_scenario *sc, const struct weir_gen_opts *o,
		 FILE *pcap, FILE *labels, struct weir_gen_stats *st,
		 char *err, size_t errlen)
{
	struct gen *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->sc = sc;
	g->o = *o;
	if (g->o.scale <= 0)
		g->o.scale = 1;
	double dur = o->duration > 0 ? o->duration : sc->duration;
	gen_rng_seed(&g->rng, o->seed_set ? o->seed : sc->seed);
	g->t0 = (uint64_t)(sc->start_time * 1e6) * 1000;
	g->t_end = g->t0 + (uint64_t)(dur * 1e9);
	g->drift_t = g->t0 + (uint64_t)(sc->drift_start * 1e9);
	g->labels = labels;
	int rc = -1;
	if (gen_setup(g, err, errlen) < 0)
		goto out;
	g->out.fp = pcap;
	if (labels) {
		int n = snprintf(g->lbuf, 1u << 20, "srcip,sport,dstip,dsport,proto,stime,ltime,"
				 "attack_cat,Label,attack%s\n", o->extra_columns ?
				 ",spkts,dpkts,sbytes,dbytes,sbytes_ip,dbytes_ip" : "");
		g->llen = (size_t)n;
	}

	for (uint32_t i = 0; i < g->n_srcs; i++) {
		struct gen_src *src = &g->srcs[i];
		uint64_t t = src->attack < 0 ? g->t0 :
			     g->t0 + (uint64_t)(src->cfg->start * 1e9);
		if (src->attack < 0)
			t = gen_src_next(g, src, t);
		if (t < src->t_stop && t != NO_TIME)
			gen_heap_push(g, t, SRC_BASE + i);
	}

	uint64_t maxp = o->max_packets;
	while (g->heap_n) {
		uint64_t t = g->heap[0].t;
		uint32_t id = g->heap[0].id;
		if (t >= g->t_end || (maxp && g->out.packets >= maxp))
			break;
		if (id >= SRC_BASE) {
			gen_step_src(g, &g->srcs[id - SRC_BASE], t);
			continue;
		}
		struct gen_sess *s = &g->sess[id];
		if (!g->first_t)
			g->first_t = t;
		g->last_t = t;
		if (s->proto == 6)
			gen_step_tcp(g, s);
		else
			gen_step_dgram(g, s);
		if (s->ph != PH_DONE && s->ph != PH_WAIT && s->t < t) {
			/* a model bug would put a packet in the past: keep the
			 * capture in order and count it (tests expect 0) */
			g->st.order_fixes++;
			s->t = t + GEN_US;
		}
		if (s->ph == PH_DONE) {
			gen_heap_pop(g);
			gen_sess_finish(g, s);
		} else if (s->ph == PH_WAIT) {
			gen_heap_pop(g);
		} else {
			gen_heap_replace_top(g, s->t);
		}
		if (g->out.err)
			break;
	}
	/* Flows cut by the end of the run: label what was written. */
	for (uint32_t i = 0; i < g->max_sess; i++) {
		struct gen_sess *s = &g->sess[i];
		if (s->ph != PH_DONE && (s->pkts[0] || s->pkts[1])) {
				gen_label_row(g, s->ep[0].ip, s->ep[0].port, s->ep[1].ip, s->ep[1].port,
					  s->proto, s->stime, s->ltime, s->attack, s->pkts, s->bytes,
					  s->ipbytes);
		}
	}
	gen_out_flush(&g->out);
	lflush(g);
	if (g->out.err) {
		snprintf(err, errlen, "writing the capture: %s", strerror(g->out.err));
		goto out;
	}
	if (g->lerr) {
		snprintf(err, errlen, "writing the labels: %s", strerror(g->lerr));
		goto out;
	}
	g->st.packets = g->out.packets;
	g->st.traffic_seconds = g->out.packets ? (double)(g->last_t - g->first_t) / 1e9 : 0;
	g->st.bytes = g->out.bytes;
	*st = g->st;
	rc = 0;
out:
	cleanup(g);
	free(g);
	return rc;
}
