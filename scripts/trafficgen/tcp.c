/* weir-gen packet model: building frames for a session, the TCP
 * handshake/flight/ack/loss/close machine and datagram emission.
 *
 * The capture point sits between the two hosts: each host has a round trip
 * to the capture point (rtt_ns). A reply to a packet seen at t is seen at
 * t + the replier's round trip + its processing time. A lost segment is
 * lost after the capture point, so it is seen twice: once, then again as
 * the retransmission.
 */
#include <stdlib.h>
#include <string.h>
#include "gen_int.h"

const uint8_t gen_router_mac[6] = { 0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01 };

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
		gen_label_row(g, s->ep[1].ip, 3 << 8 | 3, s->ep[0].ip, s->ep[1].port, 1, t, t,
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

void gen_ep_from_host(struct gen *g, struct gen_ep *e, struct gen_host *h, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->ip = h->ip;
	e->mac = h->external ? gen_router_mac : h->mac;
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
	struct gen_sess *d = gen_sess_alloc(g);
	if (!d)
		return 0;
	uint64_t t = s->t_prev + s->ep[s->data_active ? 1 : 0].rtt_ns + 100 * GEN_US;
	int from = s->data_active ? 1 : 0;   /* initiator of the data connection */
	d->t = t;
	d->proto = 6;
	d->app = A_FTP_DATA;
	d->attack = s->attack;
	d->parent = s->id;
	gen_ep_from_host(g, &d->ep[0], s->ep[from].h, s->data_active ? 20 : 0);
	gen_ep_from_host(g, &d->ep[1], s->ep[!from].h, s->data_port);
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
	gen_heap_push(g, d->t, d->id);
	return 1;
}

/* Start what the application asked for, from the current time. */
void gen_do_act(struct gen *g, struct gen_sess *s, int act, const struct gen_msg *m)
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
		gen_do_act(g, s, a2, &m2);
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
	gen_do_act(g, s, s->pend_act, &m);
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

void gen_step_tcp(struct gen *g, struct gen_sess *s)
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
			gen_do_act(g, s, act, &m);
		}
		return;
	case PH_SEG: {
		uint32_t jx = s->fl_i;
		uint32_t off = s->fl_off0 + jx * s->mss;
		uint32_t end = seg_end(s, jx);
		int last = end == s->msg.len;
		if (jx == 0) {
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

void gen_step_dgram(struct gen *g, struct gen_sess *s)
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
