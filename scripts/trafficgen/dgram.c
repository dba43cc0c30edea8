/* Datagram sessions: DNS (real wire format), ICMP echo, UDP scan probes
 * and the ICMP port unreachables they draw. */
#include <stdio.h>
#include <string.h>
#include "gen_int.h"

static const char *const dns_names[] = {
	"www.example.com", "api.weather-now.net", "cdn.newsportal.org", "www.shop-online.com",
	"img.cdn-static.net", "edge.videostream.io", "imap.mail-service.com", "www.social-hub.net",
	"www.search-engine.com", "docs.docs-cloud.io", "login.bank-secure.com",
	"lib.univ-research.edu", "tiles.maps-geo.net", "stream.music-box.fm", "ntp.ubuntu.com",
	"update.microsoft.com", "time.windows.com", "connectivity-check.ubuntu.com",
	"mail.example.com", "static.game-arena.gg", "www.travel-deals.com",
};

static uint32_t dns_name(uint8_t *p, const char *name)
{
	uint32_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		uint32_t l = dot ? (uint32_t)(dot - name) : (uint32_t)strlen(name);
		if (l > 63)
			l = 63;
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[n++] = 0;
	return n;
}

/* Query: header + one question. Returns its length. */
static uint32_t dns_query(uint8_t *q, uint16_t id, const char *name, uint16_t qtype,
			  uint16_t qclass)
{
	gen_put16(q, id);
	gen_put16(q + 2, 0x0100);        /* RD */
	gen_put16(q + 4, 1);
	memset(q + 6, 0, 6);
	uint32_t n = 12 + dns_name(q + 12, name);
	gen_put16(q + n, qtype);
	gen_put16(q + n + 2, qclass);
	return n + 4;
}

static uint32_t dns_response(struct gen *g, uint8_t *p, const uint8_t *q, uint32_t qlen,
			     int nx)
{
	struct gen_rng *r = gen_rngp(g);
	memcpy(p, q, qlen);
	gen_put16(p + 2, nx ? 0x8183 : 0x8180);
	uint16_t qtype = (uint16_t)(q[qlen - 4] << 8 | q[qlen - 3]);
	if (nx)
		return qlen;
	unsigned an = qtype == 1 ? 1 + gen_below(r, 3) : 1;
	uint32_t n = qlen;
	for (unsigned i = 0; i < an; i++) {
		p[n] = 0xc0; p[n + 1] = 12;            /* name: pointer to the question */
		gen_put16(p + n + 2, qtype);
		gen_put16(p + n + 4, 1);
		gen_put32(p + n + 6, 60 + gen_below(r, 3540));
		n += 10;
		switch (qtype) {
		case 28:
			gen_put16(p + n, 16);
			gen_put32(p + n + 2, 0x20010db8);
			for (int k = 6; k < 18; k++)
				p[n + k] = (uint8_t)gen_next(r);
			n += 18;
			break;
		case 16:
			gen_put16(p + n, 17);
			p[n + 2] = 16;
			memcpy(p + n + 3, "v=spf1 -all ok  ", 16);
			n += 19;
			break;
		case 15:
			gen_put16(p + n, 9);
			gen_put16(p + n + 2, 10);
			p[n + 4] = 4;
			memcpy(p + n + 5, "mail", 4);
			p[n + 9] = 0xc0; p[n + 10] = 12;
			n += 11;
			break;
		default:
			gen_put16(p + n, 4);
			gen_put32(p + n + 2, 0xcb007100u | (1 + gen_below(r, 250)));
			n += 6;
			break;
		}
	}
	gen_put16(p + 6, (uint16_t)an);
	return n;
}

static uint32_t udp_hdr(uint8_t *b, const struct gen_sess *s, int dir, uint32_t plen)
{
	gen_put16(b, s->ep[dir].port);
	gen_put16(b + 2, s->ep[!dir].port);
	gen_put16(b + 4, (uint16_t)(8 + plen));
	b[6] = b[7] = 0;
	return 8 + plen;
}

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void dns_plan(struct gen *g, struct gen_sess *s)
{
	struct gen_rng *r = gen_rngp(g);
	uint8_t *q0 = (uint8_t *)s->text[0], *q1 = (uint8_t *)s->text[1];
	char name[256];
	uint16_t id = (uint16_t)gen_next(r);
	uint16_t qtype = 1;
	if (s->variant == V_EXFIL) {
		/* Data encoded in base32 labels under one domain. */
		unsigned l1 = 50 + gen_below(r, 14), l2 = 20 + gen_below(r, 21), n = 0;
		for (unsigned i = 0; i < l1; i++)
			name[n++] = b32[gen_below(r, 32)];
		name[n++] = '.';
		for (unsigned i = 0; i < l2; i++)
			name[n++] = b32[gen_below(r, 32)];
		snprintf(name + n, sizeof(name) - n, ".%06x.cdn-sync-update.net", s->aux3 & 0xffffff);
		qtype = gen_chance(r, 0.7) ? 16 : 1;
	} else if (s->app == A_UDP_PROBE) {
		snprintf(name, sizeof(name), "version.bind");
		s->dns_qlen = (uint16_t)dns_query(q0, id, name, 16, 3);
		return;
	} else {
		snprintf(name, sizeof(name), "%s", dns_names[gen_below(r, sizeof(dns_names) / sizeof(dns_names[0]))]);
		double u = gen_unif(r);
		qtype = u < 0.7 ? 1 : u < 0.9 ? 28 : u < 0.95 ? 15 : 16;
	}
	s->dns_qlen = (uint16_t)dns_query(q0, id, name, qtype, 1);
	/* glibc asks A and AAAA back to back from one socket */
	s->aux = s->variant == V_NORMAL && qtype == 1 && s->ep[0].os == GEN_OS_LINUX &&
		 gen_chance(r, 0.4);
	if (s->aux) {
		dns_query(q1, (uint16_t)(id + 1), name, 28, 1);
	}
	s->aux2 = s->variant == V_EXFIL ? gen_chance(r, 0.5) : gen_chance(r, 0.03);   /* NXDOMAIN */
}

static uint64_t resolver_delay(struct gen *g)
{
	struct gen_rng *r = gen_rngp(g);
	return gen_chance(r, 0.7) ? 100 * GEN_US + gen_below(r, 900) * GEN_US
				  : 5 * GEN_MS + (uint64_t)gen_exp(r, 30e6);
}

static void dns_step(struct gen *g, struct gen_sess *s, uint8_t *buf, struct gen_dgram *d)
{
	uint8_t *pl = buf + 8;
	const uint8_t *q0 = (const uint8_t *)s->text[0], *q1 = (const uint8_t *)s->text[1];
	uint32_t ql = s->dns_qlen;
	d->proto = 17;
	if (s->step == 0)
		dns_plan(g, s), ql = s->dns_qlen;
	int pair = (int)s->aux;
	unsigned st = s->step++;
	if (!pair) {
		if (st == 0) {
			memcpy(pl, q0, ql);
			d->dir = 0;
			d->len = udp_hdr(buf, s, 0, ql);
			d->gap_ns = s->ep[1].rtt_ns + resolver_delay(g);
		} else {
			d->dir = 1;
			d->len = udp_hdr(buf, s, 1, dns_response(g, pl, q0, ql, (int)s->aux2));
			d->last = 1;
		}
		return;
	}
	switch (st) {
	case 0: case 1:
		memcpy(pl, st ? q1 : q0, ql);
		d->dir = 0;
		d->len = udp_hdr(buf, s, 0, ql);
		d->gap_ns = st ? s->ep[1].rtt_ns + resolver_delay(g) : 30 * GEN_US;
		break;
	default:
		d->dir = 1;
		d->len = udp_hdr(buf, s, 1, dns_response(g, pl, st == 2 ? q0 : q1, ql, (int)s->aux2));
		d->gap_ns = 40 * GEN_US;
		d->last = st == 3;
		break;
	}
}

static void icmp_echo_step(struct gen *g, struct gen_sess *s, uint8_t *buf, struct gen_dgram *d)
{
	struct gen_rng *r = gen_rngp(g);
	if (s->step == 0) {
		s->count = (uint16_t)(s->ep[0].os == GEN_OS_WINDOWS ? 4 : 1 + gen_below(r, 5));
	}
	unsigned st = s->step++;
	int reply = st & 1;
	uint16_t seq = (uint16_t)(st / 2 + 1);
	buf[0] = reply ? 0 : 8;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	gen_put16(buf + 4, s->ep[1].port);   /* the echo id */
	gen_put16(buf + 6, seq);
	uint32_t plen;
	if (s->ep[0].os == GEN_OS_WINDOWS) {
		memcpy(buf + 8, "abcdefghijklmnopqrstuvwabcdefghi", 32);
		plen = 32;
	} else {
		/* Linux ping: struct timeval then 0x10, 0x11, ... */
		uint64_t tt = s->t - (reply ? s->ep[1].rtt_ns : 0);
		uint64_t sec = tt / GEN_NS, usec = tt % GEN_NS / 1000;
		memcpy(buf + 8, &sec, 8);
		memcpy(buf + 16, &usec, 8);
		for (int i = 0; i < 40; i++)
			buf[24 + i] = (uint8_t)(0x10 + 8 + i);
		plen = 56;
	}
	d->proto = 1;
	d->dir = (uint8_t)reply;
	d->len = 8 + plen;
	if (!reply)
		d->gap_ns = s->ep[1].rtt_ns + 30 * GEN_US;
	else
		d->gap_ns = GEN_NS - s->ep[1].rtt_ns - 30 * GEN_US + gen_below(r, 200) * GEN_US;
	d->last = reply && seq >= s->count;
}

static void probe_step(struct gen *g, struct gen_sess *s, uint8_t *buf, struct gen_dgram *d)
{
	unsigned st = s->step++;
	d->proto = 17;
	if (st == 0) {
		uint32_t pl = 0;
		if (s->ep[1].port == 53) {
			dns_plan(g, s);
			memcpy(buf + 8, s->text[0], s->dns_qlen);
			pl = s->dns_qlen;
		}
		d->dir = 0;
		d->len = udp_hdr(buf, s, 0, pl);
		d->gap_ns = s->ep[1].rtt_ns + 50 * GEN_US;
		/* open but silent ports would end here; ours answer or refuse */
		d->last = 0;
		return;
	}
	d->dir = 1;
	d->last = 1;
	if (s->probe_state) {
		d->len = udp_hdr(buf, s, 1, dns_response(g, buf + 8, (const uint8_t *)s->text[0],
							 s->dns_qlen, 0));
		return;
	}
	/* ICMP port unreachable quoting the probe's IP header and 8 bytes */
	uint32_t plen = s->ep[1].port == 53 ? s->dns_qlen : 0;
	uint8_t *ip = buf + 8;
	buf[0] = 3; buf[1] = 3;
	memset(buf + 2, 0, 6);
	ip[0] = 0x45; ip[1] = 0;
	gen_put16(ip + 2, (uint16_t)(28 + plen));
	gen_put16(ip + 4, (uint16_t)(s->ep[0].ipid - 1));
	ip[6] = 0x40; ip[7] = 0;
	ip[8] = (uint8_t)(s->ep[0].ttl - 1);
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	gen_put32(ip + 12, s->ep[0].ip);
	gen_put32(ip + 16, s->ep[1].ip);
	uint16_t c = gen_csum_fold(gen_csum_add(0, ip, 20));
	memcpy(ip + 10, &c, 2);
	uint8_t *u = ip + 20;
	gen_put16(u, s->ep[0].port);
	gen_put16(u + 2, s->ep[1].port);
	gen_put16(u + 4, (uint16_t)(8 + plen));
	u[6] = u[7] = 0;   /* the probe's checksum is not needed to match */
	d->proto = 1;
	d->len = 8 + 28;
	d->own_flow = 1;
}

void gen_dgram(struct gen *g, struct gen_sess *s, uint8_t *buf, struct gen_dgram *d)
{
	memset(d, 0, sizeof(*d));
	switch (s->app) {
	case A_DNS: dns_step(g, s, buf, d); break;
	case A_ICMP: icmp_echo_step(g, s, buf, d); break;
	case A_UDP_PROBE: probe_step(g, s, buf, d); break;
	default: d->last = 1; d->len = udp_hdr(buf, s, 0, 0); d->proto = 17; break;
	}
}
