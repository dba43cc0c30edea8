/* weir-gen engine: hosts, the time-ordered scheduler, the TCP model, the
 * traffic sources (normal mix, drift, attacks) and the labels.
 *
 * Every session and every source sits in one binary min-heap keyed by the
 * time of its next packet; popping the heap gives packets in time order.
 * A session emits exactly one packet per visit, so memory is bounded by the
 * sessions open at once (max_sessions), not by the capture length.
 *
 * The capture point sits between the two hosts: each host has a round trip
 * to the capture point (rtt_ns). A reply to a packet seen at t is seen at
 * t + the replier's round trip + its processing time. A lost segment is
 * lost after the capture point, so it is seen twice: once, then again as
 * the retransmission.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gen_int.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define SRC_BASE 0x80000000u   /* heap ids at or above this are sources */
#define NO_TIME UINT64_MAX

enum ph {
	PH_SYN = 0, PH_SYNACK, PH_HSACK, PH_SEG, PH_ACK, PH_DUPACK, PH_RETX,
	PH_FINAL_ACK, PH_FIN_A, PH_FIN_B, PH_FIN_C, PH_RST, PH_PROBE_RSTACK,
	PH_PROBE_RST, PH_DGRAM, PH_WAIT, PH_DONE
};

enum { OPT_NONE = 0, OPT_SYN, OPT_DATA, OPT_SACK, OPT_SCAN };

static const uint8_t router_mac[6] = { 0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01 };

struct heap_ent { uint64_t t; uint32_t id; };

struct gen_src {
	int attack;                     /* -1: the normal mix */
	const struct weir_gen_attack_cfg *cfg;
	uint64_t t_stop;
	double rate;
	struct gen_host *attacker, *victim;
	uint32_t bot_lo, bot_n;
	uint32_t counter, target_i, port_i;
	uint16_t scan_sport;
};

struct gen {
	const struct weir_gen_scenario *sc;
	struct weir_gen_opts o;
	struct gen_rng rng;
	struct gen_out out;
	FILE *labels;
	char *lbuf;
	size_t llen;
	int lerr;
	uint64_t t0, t_end, drift_t, first_t, last_t;

	struct gen_host *hosts;
	uint32_t n_hosts, n_clients, drift_lo, n_drift, srv_lo, n_srv, ext_lo, n_ext;
	uint32_t role_idx[ROLE_NROLES][64];
	uint32_t role_n[ROLE_NROLES];

	struct gen_sess *sess;
	uint32_t *free_ids;
	uint32_t n_free, max_sess;

	struct heap_ent *heap;
	uint32_t heap_n;

	struct gen_src *srcs;
	uint32_t n_srcs;

	double mix_cum[WEIR_GEN_NAPPS];
	uint8_t *blk_rand, *blk_html;
	uint32_t *q[2][2];          /* prefix sums: [html][odd] */
	uint8_t dgram_buf[2048];
	struct weir_gen_stats st;
};

/* ------------------------------------------------------------------ */
/* services for apps.c                                                 */

struct gen_rng *gen_rngp(struct gen *g) { return &g->rng; }
const struct weir_gen_scenario *gen_scn(struct gen *g) { return g->sc; }
uint32_t gen_host_index(struct gen *g, const struct gen_host *h) { return (uint32_t)(h - g->hosts); }

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

static void heap_push(struct gen *g, uint64_t t, uint32_t id)
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

static void heap_replace_top(struct gen *g, uint64_t t)
{
	g->heap[0].t = t;
	heap_sift_down(g, 0);
}

static void heap_pop(struct gen *g)
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

static void label_row(struct gen *g, uint32_t src, uint16_t sport, uint32_t dst,
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
/* emitting                                                            */

static void account(struct gen *g, struct gen_sess *s, int dir, uint32_t flen, int own_flow)
{
	uint64_t t = s->t;
	if (own_flow) {
		/* An ICMP error is a flow of its own, keyed as Argus keys it:
		 * type << 8 | code, and the quoted destination port. */
		const uint32_t pk[2] = { 1, 0 };
		const uint64_t by[2] = { flen, 0 }, ib[2] = { flen - GEN_ETH_LEN, 0 };
		label_row(g, s->ep[1].ip, 3 << 8 | 3, s->ep[0].ip, s->ep[1].port, 1, t, t,
			  s->attack, pk, by, ib);
		return;
	}
	if (!s->pkts[0] && !s->pkts[1])
		s->stime = t;
	s->ltime = t;
	s->pkts[dir]++;
	s->bytes[dir] += flen;
	s->ipbytes[dir] += flen - GEN_ETH_LEN;
}

static uint16_t next_ipid(struct gen_ep *e)
{
	/* Windows numbers IPv4 ids per host; Linux per connection. */
	if (e->os == GEN_OS_WINDOWS && e->h)
		return e->h->ipid++;
	return e->ipid++;
}

static uint8_t *begin(struct gen *g, struct gen_sess *s, int dir, uint8_t proto, int df)
{
	struct gen_ep *a = &s->ep[dir], *b = &s->ep[!dir];
	struct gen_l3 l3 = {
		.src = a->ip, .dst = b->ip, .smac = a->mac, .dmac = b->mac,
		.ttl = a->ttl, .proto = proto, .ipid = next_ipid(a), .df = (uint8_t)df,
	};
	return gen_frame_begin(&g->out, s->t, &l3);
}

static uint32_t tsval(struct gen *g, const struct gen_sess *s, int dir)
{
	const struct gen_ep *e = &s->ep[dir];
	uint32_t base = e->h ? e->h->ts_base : 0;
	return base + (uint32_t)((s->t - g->t0) / GEN_MS);
}

static void emit_tcp(struct gen *g, struct gen_sess *s, int dir, uint8_t flags,
		     uint32_t seq, uint32_t ack, int opt, const struct gen_msg *m,
		     uint32_t off, uint32_t len, uint32_t sack_l, uint32_t sack_r)
{
	struct gen_ep *e = &s->ep[dir];
	uint8_t *th = begin(g, s, dir, 6, opt != OPT_SCAN);
	uint8_t *o = th + 20;
	gen_put16(th, e->port);
	gen_put16(th + 2, s->ep[!dir].port);
	gen_put32(th + 4, seq);
	gen_put32(th + 8, (flags & TH_ACK) ? ack : 0);
	uint16_t win = e->win;
	switch (opt) {
	case OPT_SYN: {
		uint32_t tv = tsval(g, s, dir);
		int ts = dir == 0 ? e->os == GEN_OS_LINUX : s->ts_ok;
		win = 64240;
		if (ts) {
			/* Linux order: MSS, SACK_PERM, TS, NOP, WS */
			o[0] = 2; o[1] = 4; gen_put16(o + 2, e->mss);
			o[4] = 4; o[5] = 2;
			o[6] = 8; o[7] = 10; gen_put32(o + 8, tv);
			gen_put32(o + 12, dir ? s->ep[0].ts_last : 0);
			o[16] = 1; o[17] = 3; o[18] = 3; o[19] = e->wscale;
			o += 20;
			e->ts_last = tv;
		} else if (dir == 0) {
			/* Windows order: MSS, NOP, WS, NOP, NOP, SACK_PERM */
			o[0] = 2; o[1] = 4; gen_put16(o + 2, e->mss);
			o[4] = 1; o[5] = 3; o[6] = 3; o[7] = e->wscale;
			o[8] = 1; o[9] = 1; o[10] = 4; o[11] = 2;
			o += 12;
		} else {
			/* Linux answering a peer without timestamps */
			o[0] = 2; o[1] = 4; gen_put16(o + 2, e->mss);
			o[4] = 1; o[5] = 1; o[6] = 4; o[7] = 2;
			o[8] = 1; o[9] = 3; o[10] = 3; o[11] = e->wscale;
			o += 12;
		}
		break;
	}
	case OPT_SCAN:
		/* nmap's SYN probe: MSS only, small window */
		o[0] = 2; o[1] = 4; gen_put16(o + 2, 1460);
		o += 4;
		win = 1024;
		break;
	case OPT_DATA:
	case OPT_SACK:
		if (s->ts_ok && !(flags & TH_RST)) {
			uint32_t tv = tsval(g, s, dir);
			o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
			gen_put32(o + 4, tv);
			gen_put32(o + 8, s->ep[!dir].ts_last);
			e->ts_last = tv;
			o += 12;
		}
		if (opt == OPT_SACK && s->sack_ok) {
			o[0] = 1; o[1] = 1; o[2] = 5; o[3] = 10;
			gen_put32(o + 4, sack_l);
			gen_put32(o + 8, sack_r);
			o += 12;
		}
		break;
	default:
		break;
	}
	if (flags & TH_RST)
		win = 0;
	else if ((flags & TH_SYN) && opt != OPT_SCAN)
		win = 64240;
	uint32_t hl = (uint32_t)(o - th);
	th[12] = (uint8_t)((hl / 4) << 4);
	th[13] = flags;
	gen_put16(th + 14, win);
	th[18] = th[19] = 0;
	uint64_t psum = len ? gen_msg_bytes(g, s, m, off, len, o) : 0;
	uint32_t flen = gen_frame_end_sum(&g->out, hl + len, hl, psum);
	account(g, s, dir, flen, 0);
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

static struct gen_sess *sess_alloc(struct gen *g)
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

static void ep_from_host(struct gen *g, struct gen_ep *e, struct gen_host *h, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->ip = h->ip;
	e->mac = h->external ? router_mac : h->mac;
	e->port = port;
	e->ttl = h->ttl;
	e->os = h->os;
	e->rtt_ns = h->rtt_ns;
	e->mss = h->external ? (gen_chance(&g->rng, 0.3) ? 1452 : 1460) : 1460;
	e->wscale = h->os == GEN_OS_WINDOWS ? 8 : 7;
	e->win = (uint16_t)(h->os == GEN_OS_WINDOWS ? 1026 + gen_below(&g->rng, 4)
						     : 501 + gen_below(&g->rng, 12));
	e->ipid = (uint16_t)gen_next(&g->rng);
	e->isn = (uint32_t)gen_next(&g->rng);
	e->cwnd = 10;
}

/* A TCP/UDP session from client host c (new ephemeral port) to server
 * host sv:dport. Returns NULL when the pool or the port range is full. */
static struct gen_sess *sess_new(struct gen *g, uint64_t t, uint8_t proto, uint8_t app,
				 uint8_t variant, int attack, struct gen_host *c,
				 struct gen_host *sv, uint16_t dport)
{
	uint16_t sport;
	if (gen_port_alloc(c, &sport) < 0) {
		g->st.refused_sessions++;
		return NULL;
	}
	struct gen_sess *s = sess_alloc(g);
	if (!s) {
		gen_port_free(c, sport);
		return NULL;
	}
	s->t = t;
	s->proto = proto;
	s->app = app;
	s->variant = variant;
	s->attack = (int8_t)attack;
	ep_from_host(g, &s->ep[0], c, sport);
	ep_from_host(g, &s->ep[1], sv, dport);
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

static void sess_schedule_new(struct gen *g, struct gen_sess *s)
{
	gen_app_init(g, s);
	heap_push(g, s->t, s->id);
}

static void do_act(struct gen *g, struct gen_sess *s, int act, const struct gen_msg *m);

static void sess_finish(struct gen *g, struct gen_sess *s)
{
	if (s->pkts[0] || s->pkts[1])
		label_row(g, s->ep[0].ip, s->ep[0].port, s->ep[1].ip, s->ep[1].port,
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
		do_act(g, p, act, &m);
		heap_push(g, p->t, p->id);
	}
}

static uint64_t at_least(uint64_t t, uint64_t floor_t)
{
	return t > floor_t ? t : floor_t;
}

static uint64_t ser_ns(struct gen *g, uint32_t bytes)
{
	return (uint64_t)((double)bytes * 8000.0 / g->sc->bandwidth_mbps) + 200 +
	       gen_below(&g->rng, 2000);
}

/* Segments still to send of the current message, capped by cwnd. */
static void flight_setup(struct gen *g, struct gen_sess *s)
{
	uint32_t left = s->msg.len - s->fl_off0;
	uint32_t segs = (left + s->mss - 1) / s->mss;
	uint8_t cw = s->ep[s->msg.dir].cwnd;
	s->fl_n = (uint16_t)(segs < cw ? segs : cw);
	s->fl_i = 0;
	s->fl_lost = -1;
	if (g->sc->loss > 0)
		for (uint16_t i = 0; i < s->fl_n; i++)
			if (gen_chance(&g->rng, g->sc->loss)) {
				s->fl_lost = (int16_t)i;
				break;
			}
}

/* FTP data connection announced by the control session s (PASV: client to
 * the server's data port; PORT: server from port 20 to the client's port).
 * The control session waits until it is over. */
static int spawn_data(struct gen *g, struct gen_sess *s)
{
	struct gen_sess *d = sess_alloc(g);
	if (!d)
		return 0;
	uint64_t t = s->t_prev + s->ep[s->data_active ? 1 : 0].rtt_ns + 100 * GEN_US;
	int from = s->data_active ? 1 : 0;   /* initiator of the data connection */
	d->t = t;
	d->proto = 6;
	d->app = A_FTP_DATA;
	d->attack = s->attack;
	d->parent = s->id;
	ep_from_host(g, &d->ep[0], s->ep[from].h, s->data_active ? 20 : 0);
	ep_from_host(g, &d->ep[1], s->ep[!from].h, s->data_port);
	if (!s->data_active) {
		if (gen_port_alloc(s->ep[0].h, &d->ep[0].port) < 0) {
			g->free_ids[g->n_free++] = d->id;
			return 0;
		}
		d->ep[0].port_owned = 1;
	}
	d->ep[1].port_owned = 1;   /* the announced port (PASV or PORT) */
	d->ts_ok = d->ep[0].os == GEN_OS_LINUX && d->ep[1].os == GEN_OS_LINUX;
	d->sack_ok = 1;
	uint16_t mss = d->ep[0].mss < d->ep[1].mss ? d->ep[0].mss : d->ep[1].mss;
	d->mss = (uint16_t)(mss - (d->ts_ok ? 12 : 0));
	d->body_seed = (uint32_t)gen_next(&g->rng);
	d->ph = PH_SYN;
	d->last_dir = 1;
	/* data_dir: 0 from the data connection's initiator */
	d->data_dir = (uint8_t)(s->data_dir ^ (uint8_t)from);
	d->data_len = s->data_len;
	gen_app_init(g, d);
	heap_push(g, d->t, d->id);
	return 1;
}

/* Start what the application asked for, from the current time. */
static void do_act(struct gen *g, struct gen_sess *s, int act, const struct gen_msg *m)
{
	uint64_t base;
	int dir = m->dir;
	if (act == ACT_END) {
		s->ph = PH_DONE;
		return;
	}
	if (act == ACT_SPAWN) {
		if (spawn_data(g, s)) {
			s->ph = PH_WAIT;
			s->t = NO_TIME;
			return;
		}
		/* No room for the data connection: the server says so. */
		s->data_len = UINT32_MAX;
		struct gen_msg m2;
		int a2 = gen_app_next(g, s, &m2);
		do_act(g, s, a2, &m2);
		return;
	}
	/* A reply starts after the last data reached its sender and the
	 * sender thought; a follow-up from the same side after its think. */
	if (dir != s->last_dir)
		base = s->t_lastdata + s->ep[dir].rtt_ns + m->think_ns;
	else
		base = s->t_prev + m->think_ns;
	s->t = at_least(base, s->t_prev + GEN_US);
	switch (act) {
	case ACT_MSG:
		s->msg = *m;
		s->cur_tb = m->tb;
		s->fl_off0 = 0;
		flight_setup(g, s);
		s->fl_tnext = s->t;
		s->ph = PH_SEG;
		break;
	case ACT_FIN:
		s->closer = (uint8_t)dir;
		s->ph = PH_FIN_A;
		break;
	case ACT_RST:
		s->closer = (uint8_t)dir;
		s->ph = PH_RST;
		break;
	}
}

static uint32_t seg_end(const struct gen_sess *s, uint32_t idx)
{
	uint32_t e = s->fl_off0 + (idx + 1) * (uint32_t)s->mss;
	return e < s->msg.len ? e : s->msg.len;
}

/* After a flight, its acks and any retransmission: the next flight (the
 * first ack reached the sender), or the next message. */
static void after_flight(struct gen *g, struct gen_sess *s)
{
	int dir = s->msg.dir;
	struct gen_ep *snd = &s->ep[dir];
	s->fl_off0 = seg_end(s, s->fl_n - 1);
	if (s->fl_lost >= 0)
		snd->cwnd = snd->cwnd > 4 ? snd->cwnd / 2 : 2;
	else if (snd->cwnd < GEN_MAX_CWND)
		snd->cwnd = (uint8_t)(snd->cwnd * 2 > GEN_MAX_CWND ? GEN_MAX_CWND : snd->cwnd * 2);
	if (s->fl_off0 < s->msg.len) {
		uint64_t ack_seen = s->fl_acked && s->fl_lost < 0 ? s->t_ack1 : s->t_prev;
		s->t = at_least(ack_seen + snd->rtt_ns + gen_jitter(g), s->t_prev + GEN_US);
		flight_setup(g, s);
		s->fl_tnext = s->t;
		s->ph = PH_SEG;
		return;
	}
	snd->nxt += s->msg.len;
	s->last_dir = (uint8_t)dir;
	struct gen_msg m = s->pend;
	do_act(g, s, s->pend_act, &m);
}

/* The receiver's acks are queued as segments pass the capture point and
 * merged with the sender's next segments by time, so data and acks
 * interleave as they do on a real link. */
static void aq_push(struct gen_sess *s, uint64_t t, uint8_t j, uint8_t dup)
{
	if (s->aq_n) {
		uint64_t last = s->aq[(s->aq_head + s->aq_n - 1) & (GEN_MAX_CWND - 1)].t;
		if (t < last)
			t = last;
	}
	struct gen_ack *a = &s->aq[(s->aq_head + s->aq_n) & (GEN_MAX_CWND - 1)];
	a->t = t;
	a->j = j;
	a->dup = dup;
	s->aq_n++;
}

static uint64_t rto_ns(const struct gen_sess *s)
{
	uint64_t rto = 2 * (uint64_t)(s->ep[0].rtt_ns + s->ep[1].rtt_ns);
	return rto < 200 * GEN_MS ? 200 * GEN_MS : rto;
}

/* Next packet of the flight in progress: an ack that is due, the next
 * segment, or what follows the flight. */
static void flight_next(struct gen *g, struct gen_sess *s)
{
	uint64_t now = s->t_prev;
	int segs_left = s->fl_i < s->fl_n;
	if (s->aq_n && (!segs_left || s->aq[s->aq_head].t <= s->fl_tnext)) {
		s->ph = PH_ACK;
		s->t = at_least(s->aq[s->aq_head].t, now);
		return;
	}
	if (segs_left) {
		s->ph = PH_SEG;
		s->t = at_least(s->fl_tnext, now);
		return;
	}
	if (s->fl_lost < 0) {
		after_flight(g, s);
		return;
	}
	s->ph = PH_RETX;
	if (s->n_dup >= 3) {
		/* fast retransmit: the third dup ack reached the sender; it is at
		 * least a round trip after the flight's last segment, which also
		 * keeps tshark from calling it out-of-order */
		s->t = at_least(s->t_dup3 + s->ep[s->msg.dir].rtt_ns + gen_jitter(g),
				s->fl_tlast + s->hs_rtt + 500 * GEN_US);
	} else {
		s->t = at_least(s->fl_tlost + rto_ns(s), now + GEN_US);
	}
}

static void step_tcp(struct gen *g, struct gen_sess *s)
{
	struct gen_msg m;
	uint64_t t = s->t;
	int dir = s->msg.dir, rcv = !dir;
	struct gen_ep *c = &s->ep[0], *sv = &s->ep[1];
	uint32_t seq0 = s->ep[dir].nxt;

	/* every visit emits one packet, at s->t */
	s->t_prev = t;
	switch (s->ph) {
	case PH_SYN:
		if (s->app == A_SYN_PROBE) {
			emit_tcp(g, s, 0, TH_SYN, c->isn, 0, OPT_SCAN, NULL, 0, 0, 0, 0);
			/* probe_state: 0 closed (RST), 1 open (SYN-ACK), 2 filtered */
			s->ph = s->probe_state == 1 ? PH_SYNACK : s->probe_state == 0 ? PH_PROBE_RSTACK : PH_DONE;
		} else {
			emit_tcp(g, s, 0, TH_SYN, c->isn, 0,
				 s->app == A_SYN_FLOOD ? OPT_SCAN : OPT_SYN, NULL, 0, 0, 0, 0);
			s->ph = PH_SYNACK;
		}
		s->t = t + sv->rtt_ns + 20 * GEN_US + gen_jitter(g);
		c->nxt = c->isn + 1;
		return;
	case PH_SYNACK:
		emit_tcp(g, s, 1, TH_SYN | TH_ACK, sv->isn, c->isn + 1,
			 s->app == A_SYN_PROBE || s->app == A_SYN_FLOOD ? OPT_NONE : OPT_SYN,
			 NULL, 0, 0, 0, 0);
		sv->nxt = sv->isn + 1;
		if (s->app == A_SYN_FLOOD) {
			s->ph = PH_DONE;
			return;
		}
		s->ph = s->app == A_SYN_PROBE ? PH_PROBE_RST : PH_HSACK;
		s->t = t + c->rtt_ns + 30 * GEN_US + gen_jitter(g);
		return;
	case PH_PROBE_RSTACK:
		emit_tcp(g, s, 1, TH_RST | TH_ACK, 0, c->isn + 1, OPT_NONE, NULL, 0, 0, 0, 0);
		s->ph = PH_DONE;
		return;
	case PH_PROBE_RST:
		emit_tcp(g, s, 0, TH_RST, c->isn + 1, 0, OPT_NONE, NULL, 0, 0, 0, 0);
		s->ph = PH_DONE;
		return;
	case PH_HSACK:
		emit_tcp(g, s, 0, TH_ACK, c->nxt, sv->nxt, OPT_DATA, NULL, 0, 0, 0, 0);
		s->hs_rtt = t - s->stime;
		s->t_prev = t;
		s->t_lastdata = t;
		s->last_dir = 0;
		{
			int act = gen_app_next(g, s, &m);
			do_act(g, s, act, &m);
		}
		return;
	case PH_SEG: {
		uint32_t jx = s->fl_i;
		uint32_t off = s->fl_off0 + jx * s->mss;
		uint32_t end = seg_end(s, jx);
		int last = end == s->msg.len;
		if (jx == 0) {
			s->fl_t0 = t;
			s->fl_acked = 0;
			s->n_dup = 0;
			s->aq_n = 0;
		}
		s->fl_tlast = t;
		emit_tcp(g, s, dir, TH_ACK | (last ? TH_PSH : 0), seq0 + off,
			 s->ep[rcv].nxt, OPT_DATA, &s->msg, off, end - off, 0, 0);
		if (last) {
			s->t_lastdata = t;
			/* The reply is decided now: it decides the delayed ACK. */
			s->pend_act = (uint8_t)gen_app_next(g, s, &s->pend);
		}
		uint64_t ta = t + s->ep[rcv].rtt_ns + 10 * GEN_US + gen_below(&g->rng, 20000);
		if ((int)jx == s->fl_lost) {
			s->fl_tlost = t;          /* lost after the capture point: no ack */
		} else if (s->fl_lost >= 0 && (int)jx > s->fl_lost) {
			aq_push(s, ta, (uint8_t)jx, 1);
		} else if ((jx & 1) || jx + 1 == s->fl_n) {
			/* every second segment is acked at once; a lone last one
			 * waits for the delayed ack, unless a quick reply carries it */
			int piggy = last && !(jx & 1) && s->pend_act == ACT_MSG &&
				    s->pend.dir != dir && s->pend.think_ns < 40 * GEN_MS;
			if (!piggy)
				aq_push(s, (jx & 1) ? ta : ta + (last ? 0 : 40 * GEN_MS), (uint8_t)jx, 0);
		}
		s->fl_i++;
		s->fl_tnext = t + ser_ns(g, end - off + 66);
		flight_next(g, s);
		return;
	}
	case PH_ACK: {
		struct gen_ack a = s->aq[s->aq_head];
		s->aq_head = (uint8_t)((s->aq_head + 1) & (GEN_MAX_CWND - 1));
		s->aq_n--;
		if (!a.dup) {
			emit_tcp(g, s, rcv, TH_ACK, s->ep[rcv].nxt, seq0 + seg_end(s, a.j),
				 OPT_DATA, NULL, 0, 0, 0, 0);
		} else {
			uint32_t lost = (uint32_t)s->fl_lost;
			uint32_t lost_off = lost ? seg_end(s, lost - 1) : s->fl_off0;
			emit_tcp(g, s, rcv, TH_ACK, s->ep[rcv].nxt, seq0 + lost_off, OPT_SACK, NULL, 0, 0,
				 seq0 + seg_end(s, lost), seq0 + seg_end(s, a.j));
			if (++s->n_dup == 3)
				s->t_dup3 = t;
		}
		if (!s->fl_acked) {
			s->fl_acked = 1;
			s->t_ack1 = t;
		}
		flight_next(g, s);
		return;
	}
	case PH_RETX: {
		uint32_t lost = (uint32_t)s->fl_lost;
		uint32_t off = lost ? seg_end(s, lost - 1) : s->fl_off0;
		uint32_t end = seg_end(s, lost);
		int last = end == s->msg.len;
		emit_tcp(g, s, dir, TH_ACK | (last ? TH_PSH : 0), seq0 + off, s->ep[rcv].nxt,
			 OPT_DATA, &s->msg, off, end - off, 0, 0);
		s->t_retx = t;
		if (seg_end(s, s->fl_n - 1) == s->msg.len)
			s->t_lastdata = t;
		s->t_prev = t;
		s->ph = PH_FINAL_ACK;
		s->t = t + s->ep[rcv].rtt_ns + gen_jitter(g) + GEN_US;
		return;
	}
	case PH_FINAL_ACK:
		emit_tcp(g, s, rcv, TH_ACK, s->ep[rcv].nxt, seq0 + seg_end(s, s->fl_n - 1),
			 OPT_DATA, NULL, 0, 0, 0, 0);
		after_flight(g, s);
		return;
	case PH_FIN_A: {
		struct gen_ep *x = &s->ep[s->closer], *y = &s->ep[!s->closer];
		emit_tcp(g, s, s->closer, TH_FIN | TH_ACK, x->nxt, y->nxt, OPT_DATA, NULL, 0, 0, 0, 0);
		x->nxt++;
		s->t_prev = t;
		s->ph = PH_FIN_B;
		s->t = t + y->rtt_ns + 50 * GEN_US + gen_jitter(g);
		return;
	}
	case PH_FIN_B: {
		struct gen_ep *x = &s->ep[s->closer], *y = &s->ep[!s->closer];
		emit_tcp(g, s, !s->closer, TH_FIN | TH_ACK, y->nxt, x->nxt, OPT_DATA, NULL, 0, 0, 0, 0);
		y->nxt++;
		s->t_prev = t;
		s->ph = PH_FIN_C;
		s->t = t + x->rtt_ns + 20 * GEN_US + gen_jitter(g);
		return;
	}
	case PH_FIN_C: {
		struct gen_ep *x = &s->ep[s->closer], *y = &s->ep[!s->closer];
		emit_tcp(g, s, s->closer, TH_ACK, x->nxt, y->nxt, OPT_DATA, NULL, 0, 0, 0, 0);
		s->ph = PH_DONE;
		return;
	}
	case PH_RST: {
		struct gen_ep *x = &s->ep[s->closer], *y = &s->ep[!s->closer];
		emit_tcp(g, s, s->closer, TH_RST | TH_ACK, x->nxt, y->nxt, OPT_DATA, NULL, 0, 0, 0, 0);
		s->ph = PH_DONE;
		return;
	}
	default:
		s->ph = PH_DONE;
		return;
	}
}

static void step_dgram(struct gen *g, struct gen_sess *s)
{
	struct gen_dgram d = { 0 };
	gen_dgram(g, s, g->dgram_buf, &d);
	uint8_t *l4 = begin(g, s, d.dir, d.proto, 1);
	memcpy(l4, g->dgram_buf, d.len);
	uint32_t flen = gen_frame_end(&g->out, d.len);
	account(g, s, d.dir, flen, d.own_flow);
	s->t_prev = s->t;
	if (d.last)
		s->ph = PH_DONE;
	else
		s->t += d.gap_ns;
}

/* ------------------------------------------------------------------ */
/* sources                                                             */

static double normal_rate(struct gen *g, uint64_t t)
{
	const struct weir_gen_scenario *sc = g->sc;
	double x = (double)(t - g->t0) / 1e9;
	double r = sc->flows_per_s * g->o.scale *
		   (1.0 + sc->diurnal_amplitude * sin(2 * M_PI * x / sc->diurnal_period));
	if (sc->drift_enabled && t >= g->drift_t)
		r *= sc->drift_rate_scale;
	return r;
}

static const uint8_t app_role[WEIR_GEN_NAPPS] = {
	[WEIR_GEN_HTTP] = ROLE_WEB, [WEIR_GEN_DNS] = ROLE_DNS, [WEIR_GEN_TLS] = ROLE_WEB,
	[WEIR_GEN_SSH] = ROLE_SSH, [WEIR_GEN_FTP] = ROLE_FTP, [WEIR_GEN_SMTP] = ROLE_MAIL,
	[WEIR_GEN_ICMP] = ROLE_WEB,
};
static const uint16_t app_port[WEIR_GEN_NAPPS] = { 80, 53, 443, 22, 21, 25, 0 };
static const uint8_t app_kind[WEIR_GEN_NAPPS] = { A_HTTP, A_DNS, A_TLS, A_SSH, A_FTP, A_SMTP, A_ICMP };

static void spawn_normal(struct gen *g, uint64_t t)
{
	const struct weir_gen_scenario *sc = g->sc;
	double u = gen_unif(&g->rng) * g->mix_cum[WEIR_GEN_NAPPS - 1];
	int app = 0;
	while (app < WEIR_GEN_NAPPS - 1 && u >= g->mix_cum[app])
		app++;
	struct gen_host *c = gen_pick_client(g, 1);
	struct gen_host *sv;
	uint16_t port = app_port[app];
	int drift_svc = sc->drift_enabled && t >= g->drift_t &&
			gen_chance(&g->rng, sc->drift_port_share);
	if (drift_svc) {
		/* The drift's new service: an app on a port never seen before. */
		app = sc->drift_app;
		port = sc->drift_port;
		sv = gen_pick_server(g, ROLE_SSH);
	} else if ((app == WEIR_GEN_HTTP || app == WEIR_GEN_TLS || app == WEIR_GEN_ICMP) &&
		   gen_chance(&g->rng, sc->external_share)) {
		sv = gen_pick_external(g);
	} else {
		sv = gen_pick_server(g, app_role[app]);
	}
	uint8_t proto = app == WEIR_GEN_DNS ? 17 : app == WEIR_GEN_ICMP ? 1 : 6;
	struct gen_sess *s = sess_new(g, t, proto, app_kind[app], V_NORMAL, -1, c, sv, port);
	if (!s)
		return;
	if (proto == 1) {
		/* ICMP echo has no ports; flows are keyed as Argus keys them:
		 * type << 8 | code as the source port, the echo id as the
		 * destination port (the id travels in ep[1].port). */
		gen_port_free(c, s->ep[0].port);
		s->ep[0].port_owned = 0;
		s->ep[0].port = 8 << 8;
		s->ep[1].port = (uint16_t)gen_next(&g->rng);
	}
	sess_schedule_new(g, s);
}

static uint32_t scan_port(uint32_t i)
{
	/* 1..1024 in a scrambled order (397 is odd, so i*397 mod 1024 is a
	 * permutation), like nmap's randomised port list. */
	return ((i * 397u) & 1023u) + 1;
}

static int port_open(const struct gen *g, const struct gen_host *h, uint8_t proto, uint32_t port)
{
	if (proto == 17)
		return h->role == ROLE_DNS && port == 53;
	if (port == 22)
		return 1;
	switch (h->role) {
	case ROLE_WEB: return port == 80 || port == 443;
	case ROLE_MAIL: return port == 25;
	case ROLE_FTP: return port == 21;
	case ROLE_DNS: return port == 53;
	case ROLE_SSH: return g->sc->drift_enabled && port == g->sc->drift_port;
	}
	return 0;
}

static void spawn_attack(struct gen *g, struct gen_src *src, uint64_t t)
{
	struct gen_sess *s = NULL;
	const struct weir_gen_attack_cfg *a = src->cfg;
	int k = src->attack;
	switch (k) {
	case WEIR_GEN_SYN_SCAN:
	case WEIR_GEN_UDP_SCAN: {
		if (src->port_i >= 1024) {
			src->port_i = 0;
			src->target_i = (src->target_i + 1) % g->n_srv;
		}
		struct gen_host *tg = &g->hosts[g->srv_lo + src->target_i];
		uint32_t port = scan_port(src->port_i++);
		uint8_t proto = k == WEIR_GEN_SYN_SCAN ? 6 : 17;
		s = sess_alloc(g);
		if (!s)
			return;
		s->t = t;
		s->proto = proto;
		s->attack = (int8_t)k;
		ep_from_host(g, &s->ep[0], src->attacker, src->scan_sport);
		ep_from_host(g, &s->ep[1], tg, (uint16_t)port);
		s->mss = 1460;
		s->probe_state = (uint8_t)port_open(g, tg, proto, port);
		if (k == WEIR_GEN_SYN_SCAN) {
			s->app = A_SYN_PROBE;
			s->ph = PH_SYN;
		} else {
			s->app = A_UDP_PROBE;
			s->ph = PH_DGRAM;
		}
		break;
	}
	case WEIR_GEN_SYN_FLOOD: {
		/* Spoofed sources: counter -> address and port, a bijection, so no
		 * two flood flows share a 5-tuple. */
		uint32_t cidx = src->counter++;
		s = sess_alloc(g);
		if (!s)
			return;
		s->t = t;
		s->proto = 6;
		s->app = A_SYN_FLOOD;
		s->attack = (int8_t)k;
		ep_from_host(g, &s->ep[1], src->victim, 80);
		struct gen_ep *e = &s->ep[0];
		memset(e, 0, sizeof(*e));
		e->ip = 0xc6120000u | ((cidx * 40503u) & 0x1ffffu);   /* 198.18.0.0/15 */
		e->port = (uint16_t)(1024 + (cidx >> 17) % 64000 + ((cidx * 7919u) & 0x3ff));
		e->mac = router_mac;
		e->ttl = (uint8_t)(40 + gen_below(&g->rng, 200));
		e->isn = (uint32_t)gen_next(&g->rng);
		e->ipid = (uint16_t)gen_next(&g->rng);
		e->win = (uint16_t)(512 + gen_below(&g->rng, 64000));
		e->rtt_ns = 0;
		s->mss = 1460;
		s->ph = PH_SYN;
		break;
	}
	case WEIR_GEN_FTP_BRUTE:
		s = sess_new(g, t, 6, A_FTP, V_BRUTE, k, src->attacker, src->victim, 21);
		break;
	case WEIR_GEN_HTTP_FLOOD: {
		struct gen_host *bot = &g->hosts[src->bot_lo + gen_below(&g->rng, src->bot_n)];
		s = sess_new(g, t, 6, A_HTTP, V_FLOOD, k, bot, src->victim, 80);
		break;
	}
	case WEIR_GEN_DNS_EXFIL:
		s = sess_new(g, t, 17, A_DNS, V_EXFIL, k, src->attacker, src->victim, 53);
		if (s)
			s->aux3 = src->counter++;
		break;
	case WEIR_GEN_BULK_EXFIL:
		s = sess_new(g, t, 6, A_TLS, V_EXFIL, k, src->attacker, src->victim, 443);
		if (s)
			s->data_len = (uint32_t)(a->size_mb * 1e6 > 4e9 ? 4e9 : a->size_mb * 1e6);
		break;
	case WEIR_GEN_SLOWLORIS:
		s = sess_new(g, t, 6, A_SLOWLORIS, V_NORMAL, k, src->attacker, src->victim, 80);
		if (s) {
			s->until = src->t_stop;
			s->aux2 = (uint32_t)(a->interval * 1e3);   /* ms */
		}
		break;
	}
	if (!s)
		return;
	if (s->ph == PH_DGRAM || s->app == A_SYN_PROBE || s->app == A_SYN_FLOOD) {
		if (s->app == A_UDP_PROBE || s->app == A_DNS)
			gen_app_init(g, s);
		heap_push(g, s->t, s->id);
	} else {
		sess_schedule_new(g, s);
	}
}

/* A source's next event; NO_TIME when it is over. */
static uint64_t src_next(struct gen *g, struct gen_src *src, uint64_t t)
{
	double rate = src->attack < 0 ? normal_rate(g, t) : src->rate;
	if (rate <= 0)
		return NO_TIME;
	uint64_t gap;
	if (src->attack == WEIR_GEN_SYN_SCAN || src->attack == WEIR_GEN_UDP_SCAN)
		gap = (uint64_t)(1e9 / rate * (0.9 + 0.2 * gen_unif(&g->rng)));   /* paced */
	else
		gap = (uint64_t)gen_exp(&g->rng, 1e9 / rate);
	uint64_t n = t + (gap ? gap : 1);
	return n < src->t_stop ? n : NO_TIME;
}

static void step_src(struct gen *g, struct gen_src *src, uint64_t t)
{
	if (src->attack < 0)
		spawn_normal(g, t);
	else
		spawn_attack(g, src, t);
	uint64_t n = src_next(g, src, t);
	/* spawning may have pushed sessions; the source is still the top */
	if (n == NO_TIME)
		heap_pop(g);
	else
		heap_replace_top(g, n);
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

static void host_init(struct gen *g, struct gen_host *h, uint32_t ip, int external,
		      int os, int role)
{
	const struct weir_gen_scenario *sc = g->sc;
	memset(h, 0, sizeof(*h));
	h->ip = ip;
	h->mac[0] = 0x02;
	h->mac[1] = 0x57;
	gen_put32(h->mac + 2, ip);
	h->os = (uint8_t)os;
	h->external = (uint8_t)external;
	h->role = (uint8_t)role;
	unsigned hops = external ? 8 + gen_below(&g->rng, 14) : 1 + gen_below(&g->rng, 2);
	h->ttl = (uint8_t)((os == GEN_OS_WINDOWS ? 128 : 64) - hops);
	double rtt = external ? gen_range(&g->rng, sc->wan_rtt_min_ms, sc->wan_rtt_max_ms)
			      : gen_range(&g->rng, sc->lan_rtt_min_ms, sc->lan_rtt_max_ms);
	h->rtt_ns = (uint32_t)(rtt * 1e6);
	h->ts_base = (uint32_t)gen_next(&g->rng);
	h->ipid = (uint16_t)gen_next(&g->rng);
	if (os == GEN_OS_WINDOWS) {
		h->port_lo = 49152;
		h->port_hi = 65535;
	} else {
		h->port_lo = 32768;
		h->port_hi = 60999;
	}
	if (role != ROLE_NROLES && !external) {
		/* servers: passive FTP data ports */
		h->port_lo = 30000;
		h->port_hi = 30999;
	}
	h->port_next = (uint16_t)(h->port_lo + gen_below(&g->rng, h->port_hi - h->port_lo + 1u));
}

static uint32_t net_host(const struct weir_gen_net *n, uint32_t i)
{
	return n->base + 10 + i;
}

static int setup(struct gen *g, char *err, size_t errlen)
{
	const struct weir_gen_scenario *sc = g->sc;
	uint32_t n_bots = 0;
	for (unsigned i = 0; i < sc->n_attacks; i++)
		if (sc->attacks[i].enabled && sc->attacks[i].kind == WEIR_GEN_HTTP_FLOOD)
			n_bots += sc->attacks[i].sources;
	g->n_clients = sc->n_client_nets * sc->clients_per_net;
	g->n_drift = sc->drift_enabled ? (sc->clients_per_net < 50 ? sc->clients_per_net : 50) : 0;
	g->n_srv = sc->servers;
	g->n_ext = sc->external_servers;
	g->n_hosts = g->n_clients + g->n_drift + g->n_srv + g->n_ext + sc->n_attacks + n_bots;
	g->hosts = calloc(g->n_hosts, sizeof(*g->hosts));
	g->max_sess = sc->max_sessions;
	g->sess = calloc(g->max_sess, sizeof(*g->sess));
	g->free_ids = malloc(g->max_sess * sizeof(uint32_t));
	g->heap = malloc((g->max_sess + sc->n_attacks + 2) * sizeof(*g->heap));
	g->srcs = calloc(sc->n_attacks + 1, sizeof(*g->srcs));
	g->blk_rand = malloc(GEN_BLOCK + 2048);
	g->blk_html = malloc(GEN_BLOCK + 2048);
	g->lbuf = malloc(1u << 20);
	if (!g->hosts || !g->sess || !g->free_ids || !g->heap || !g->srcs || !g->blk_rand ||
	    !g->blk_html || !g->lbuf || gen_out_init(&g->out, NULL, 8u << 20, g->o.snaplen) < 0) {
		snprintf(err, errlen, "out of memory (max_sessions %u); lower [general] max_sessions",
			 sc->max_sessions);
		return -1;
	}
	for (uint32_t i = 0; i < g->max_sess; i++)
		g->free_ids[i] = g->max_sess - 1 - i;
	g->n_free = g->max_sess;

	uint32_t k = 0;
	for (unsigned n = 0; n < sc->n_client_nets; n++)
		for (uint32_t i = 0; i < sc->clients_per_net; i++)
			host_init(g, &g->hosts[k++], net_host(&sc->client_nets[n], i), 0,
				  gen_chance(&g->rng, sc->windows_share), ROLE_NROLES);
	g->drift_lo = k;
	for (uint32_t i = 0; i < g->n_drift; i++)
		host_init(g, &g->hosts[k++], net_host(&sc->drift_client_net, i), 0,
			  gen_chance(&g->rng, sc->windows_share), ROLE_NROLES);
	g->srv_lo = k;
	for (uint32_t i = 0; i < g->n_srv; i++) {
		int role = (int)(i % ROLE_NROLES);
		host_init(g, &g->hosts[k], net_host(&sc->server_net, i), 0, GEN_OS_LINUX, role);
		if (g->role_n[role] < 64)
			g->role_idx[role][g->role_n[role]++] = k;
		k++;
	}
	g->ext_lo = k;
	for (uint32_t i = 0; i < g->n_ext; i++) {
		host_init(g, &g->hosts[k++], net_host(&sc->external_net, i), 1, GEN_OS_LINUX, ROLE_WEB);
	}

	/* sources: the normal mix first, then one per enabled attack */
	g->srcs[0].attack = -1;
	g->srcs[0].t_stop = g->t_end;
	g->n_srcs = 1;
	uint32_t att_host = 0, bot_next = 0;
	uint32_t bot_base = k + sc->n_attacks;
	for (unsigned i = 0; i < sc->n_attacks; i++) {
		const struct weir_gen_attack_cfg *a = &sc->attacks[i];
		struct gen_host *ah = &g->hosts[k + i];
		/* Attackers from outside, after the external servers; exfiltration
		 * runs from a compromised inside host. */
		host_init(g, ah, net_host(&sc->external_net, sc->external_servers + 1 + att_host++), 1,
			  GEN_OS_LINUX, ROLE_NROLES);
		if (!a->enabled)
			continue;
		struct gen_src *src = &g->srcs[g->n_srcs++];
		src->attack = a->kind;
		src->cfg = a;
		src->rate = a->rate * g->o.scale;
		src->t_stop = g->t0 + (uint64_t)(a->end * 1e9);
		if (src->t_stop > g->t_end)
			src->t_stop = g->t_end;
		src->attacker = ah;
		src->scan_sport = (uint16_t)(33000 + gen_below(&g->rng, 30000));
		src->target_i = gen_below(&g->rng, g->n_srv);
		switch (a->kind) {
		case WEIR_GEN_SYN_FLOOD:
		case WEIR_GEN_HTTP_FLOOD:
		case WEIR_GEN_SLOWLORIS:
			src->victim = gen_pick_server(g, ROLE_WEB);
			break;
		case WEIR_GEN_FTP_BRUTE:
			src->victim = gen_pick_server(g, ROLE_FTP);
			break;
		case WEIR_GEN_DNS_EXFIL:
			src->attacker = gen_pick_client(g, 0);
			src->victim = gen_pick_server(g, ROLE_DNS);
			break;
		case WEIR_GEN_BULK_EXFIL:
			src->attacker = gen_pick_client(g, 0);
			src->victim = ah;
			ah->role = ROLE_WEB;
			break;
		default:
			src->victim = &g->hosts[g->srv_lo + src->target_i];
			break;
		}
		if (a->kind == WEIR_GEN_HTTP_FLOOD) {
			src->bot_lo = bot_base + bot_next;
			src->bot_n = a->sources;
			for (uint32_t b = 0; b < a->sources; b++) {
				/* bots: 100.64.0.0/10, spread out */
				uint32_t ip = 0x64400000u | ((bot_next + b) * 2654435761u & 0x3fffffu);
				if ((ip & 0xff) == 0 || (ip & 0xff) == 255)
					ip ^= 1;
				host_init(g, &g->hosts[src->bot_lo + b], ip, 1,
					  gen_chance(&g->rng, 0.7), ROLE_NROLES);
			}
			bot_next += a->sources;
		}
	}

	double cum = 0;
	for (int i = 0; i < WEIR_GEN_NAPPS; i++)
		g->mix_cum[i] = cum += sc->mix[i];

	/* Filler blocks: random bytes for compressed/encrypted bodies, HTML-ish
	 * text for text/html. Doubled tail so a segment never wraps. */
	for (uint32_t i = 0; i < GEN_BLOCK + 2048; i += 8) {
		uint64_t r = gen_next(&g->rng);
		memcpy(g->blk_rand + i, &r, 8);
	}
	static const char *const words[] = {
		"<div class=\"item\">", "</div>\n", "<p>", "</p>\n", "network ", "flow ",
		"analysis ", "the ", "of ", "and ", "traffic ", "<a href=\"/news/",
		"\">read more</a>", "<span>", "</span>", "data ", "service ", "report ",
		"<li>", "</li>\n", "security ", "update ", "weir ", "packet ",
	};
	uint32_t pos = 0;
	while (pos < GEN_BLOCK + 2048) {
		const char *w = words[gen_below(&g->rng, sizeof(words) / sizeof(words[0]))];
		for (; *w && pos < GEN_BLOCK + 2048; w++)
			g->blk_html[pos++] = (uint8_t)*w;
	}
	for (int h = 0; h < 2; h++) {
		const uint8_t *b = h ? g->blk_html : g->blk_rand;
		for (int odd = 0; odd < 2; odd++) {
			uint32_t *q = g->q[h][odd] = malloc((GEN_BLOCK + 2049) * sizeof(uint32_t));
			if (!q) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			q[0] = 0;
			for (uint32_t i = 0; i < GEN_BLOCK + 2048; i++)
				q[i + 1] = q[i] + ((i & 1) == (uint32_t)odd ? b[i] : 0);
		}
	}
	return 0;
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
	if (setup(g, err, errlen) < 0)
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
			t = src_next(g, src, t);
		if (t < src->t_stop && t != NO_TIME)
			heap_push(g, t, SRC_BASE + i);
	}

	uint64_t maxp = o->max_packets;
	while (g->heap_n) {
		uint64_t t = g->heap[0].t;
		uint32_t id = g->heap[0].id;
		if (t >= g->t_end || (maxp && g->out.packets >= maxp))
			break;
		if (id >= SRC_BASE) {
			step_src(g, &g->srcs[id - SRC_BASE], t);
			continue;
		}
		struct gen_sess *s = &g->sess[id];
		if (!g->first_t)
			g->first_t = t;
		g->last_t = t;
		if (s->proto == 6)
			step_tcp(g, s);
		else
			step_dgram(g, s);
		if (s->ph != PH_DONE && s->ph != PH_WAIT && s->t < t) {
			/* a model bug would put a packet in the past: keep the
			 * capture in order and count it (tests expect 0) */
			g->st.order_fixes++;
			s->t = t + GEN_US;
		}
		if (s->ph == PH_DONE) {
			heap_pop(g);
			sess_finish(g, s);
		} else if (s->ph == PH_WAIT) {
			heap_pop(g);
		} else {
			heap_replace_top(g, s->t);
		}
		if (g->out.err)
			break;
	}
	/* Flows cut by the end of the run: label what was written. */
	for (uint32_t i = 0; i < g->max_sess; i++) {
		struct gen_sess *s = &g->sess[i];
		if (s->ph != PH_DONE && (s->pkts[0] || s->pkts[1])) {
				label_row(g, s->ep[0].ip, s->ep[0].port, s->ep[1].ip, s->ep[1].port,
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
