/* Application scripts: what each side says, message by message (TCP) or
 * datagram by datagram (DNS, ICMP, UDP probes), with real protocol text
 * and wire formats. The engine turns messages into segments. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gen_int.h"

/* ------------------------------------------------------------------ */
/* message building                                                    */

struct mb {
	struct gen_msg *m;
	char *buf;
	uint32_t pos;
	struct gen_sess *s;
};

static void mb_init(struct mb *b, struct gen_sess *s, struct gen_msg *m, int dir, uint64_t think)
{
	memset(m, 0, sizeof(*m));
	m->dir = (uint8_t)dir;
	m->tb = (uint8_t)!s->cur_tb;
	m->think_ns = think;
	b->m = m;
	b->buf = s->text[m->tb];
	b->pos = 0;
	b->s = s;
}

static struct gen_part *mb_part_for_text(struct mb *b)
{
	struct gen_msg *m = b->m;
	if (!m->nparts || m->parts[m->nparts - 1].body_len) {
		if (m->nparts == GEN_MAX_PARTS)
			return NULL;
		struct gen_part *p = &m->parts[m->nparts++];
		p->text_off = (uint16_t)b->pos;
		p->text_len = 0;
		p->body_len = 0;
	}
	return &m->parts[m->nparts - 1];
}

static void mb_bin(struct mb *b, const void *data, uint32_t n)
{
	struct gen_part *p = mb_part_for_text(b);
	if (!p || b->pos + n > GEN_TEXT_MAX)
		return;
	memcpy(b->buf + b->pos, data, n);
	b->pos += n;
	p->text_len = (uint16_t)(p->text_len + n);
	b->m->len += n;
}

__attribute__((format(printf, 2, 3)))
static void mb_text(struct mb *b, const char *fmt, ...)
{
	char tmp[GEN_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((uint32_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1;
	mb_bin(b, tmp, (uint32_t)n);
}

static void mb_body(struct mb *b, uint32_t len, int kind)
{
	struct gen_msg *m = b->m;
	if (!len)
		return;
	if (!m->nparts || m->parts[m->nparts - 1].body_len) {
		if (m->nparts == GEN_MAX_PARTS)
			return;
		struct gen_part *p = &m->parts[m->nparts++];
		p->text_off = (uint16_t)b->pos;
		p->text_len = 0;
	}
	struct gen_part *p = &m->parts[m->nparts - 1];
	p->body_len = len;
	p->body_kind = (uint8_t)kind;
	m->len += len;
}

/* TLS application data as records of at most 16408 bytes (16384 + AEAD
 * overhead), each with its 5-byte header. */
#define TLS_REC_MAX 16408u
#define TLS_REC_FULL (TLS_REC_MAX + 5u)

static uint32_t tls_stream_len(uint32_t payload)
{
	uint32_t recs = (payload + TLS_REC_MAX - 1) / TLS_REC_MAX;
	return payload + 5 * (recs ? recs : 1);
}

/* Checksum bookkeeping: payload bytes are summed as they are placed, in
 * the same little-endian 16-bit word sum the frame checksum uses. A byte at
 * an even offset of the segment is a word's low half, at an odd offset its
 * high half. */
static uint64_t swap_sum(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ((s & 0xff) << 8) | (s >> 8);
}

/* n filler bytes from block offset a to dst, whose offset in the segment
 * has parity pos_odd; returns their sum from the block's prefix sums. */
static uint64_t block_copy(struct gen *g, int kind, uint32_t a, uint32_t n, uint8_t *dst,
			   unsigned pos_odd)
{
	const uint32_t *qe, *qo;
	const uint8_t *blk = gen_block_sums(g, kind, &qe, &qo);
	memcpy(dst, blk + a, n);
	uint64_t e = qe[a + n] - qe[a], o = qo[a + n] - qo[a];
	return ((a ^ pos_odd) & 1) == 0 ? e + (o << 8) : (e << 8) + o;
}

static uint64_t body_bytes(struct gen *g, int kind, uint32_t seed, uint32_t body_len,
			   uint32_t b0, uint32_t n, uint8_t *dst, uint32_t dpos)
{
	uint64_t sum = 0;
	if (kind != BODY_TLS) {
		while (n) {
			uint32_t at = (seed + b0) & (GEN_BLOCK - 1);
			uint32_t k = n < 2048 ? n : 2048;
			sum += block_copy(g, kind, at, k, dst, dpos & 1);
			dst += k;
			dpos += k;
			b0 += k;
			n -= k;
		}
		return sum;
	}
	while (n) {
		uint32_t rec = b0 / TLS_REC_FULL, in = b0 % TLS_REC_FULL;
		uint32_t rec_start = rec * TLS_REC_FULL;
		uint32_t rlen = body_len - rec_start - 5;
		if (rlen > TLS_REC_MAX)
			rlen = TLS_REC_MAX;
		if (in < 5) {
			uint8_t h[5] = { 0x17, 0x03, 0x03, (uint8_t)(rlen >> 8), (uint8_t)rlen };
			*dst++ = h[in];
			sum += (dpos & 1) ? (uint64_t)h[in] << 8 : h[in];
			dpos++;
			b0++;
			n--;
			continue;
		}
		uint32_t k = 5 + rlen - in;
		if (k > n)
			k = n;
		if (k > 2048)
			k = 2048;
		sum += block_copy(g, BODY_RANDOM, (seed + b0) & (GEN_BLOCK - 1), k, dst, dpos & 1);
		dst += k;
		dpos += k;
		b0 += k;
		n -= k;
	}
	return sum;
}

uint64_t gen_msg_bytes(struct gen *g, const struct gen_sess *s, const struct gen_msg *m,
		       uint32_t off, uint32_t len, uint8_t *dst)
{
	uint32_t pos = 0, end = off + len;
	uint64_t sum = 0;
	const char *text = s->text[m->tb];
	for (unsigned i = 0; i < m->nparts && pos < end; i++) {
		const struct gen_part *p = &m->parts[i];
		uint32_t te = pos + p->text_len;
		if (off < te && end > pos) {
			uint32_t a = off > pos ? off : pos, z = end < te ? end : te;
			uint8_t *d = dst + (a - off);
			memcpy(d, text + p->text_off + (a - pos), z - a);
			uint64_t ts = gen_csum_add(0, d, z - a);
			sum += ((a - off) & 1) ? swap_sum(ts) : ts;
		}
		pos = te;
		uint32_t be = pos + p->body_len;
		if (off < be && end > pos) {
			uint32_t a = off > pos ? off : pos, z = end < be ? end : be;
			sum += body_bytes(g, p->body_kind, s->body_seed + i * 7919u, p->body_len,
					  a - pos, z - a, dst + (a - off), a - off);
		}
		pos = be;
	}
	return sum;
}

/* ------------------------------------------------------------------ */
/* vocabulary                                                          */

static const char *const domains[] = {
	"example.com", "weather-now.net", "newsportal.org", "shop-online.com",
	"cdn-static.net", "videostream.io", "mail-service.com", "social-hub.net",
	"search-engine.com", "docs-cloud.io", "bank-secure.com", "univ-research.edu",
	"maps-geo.net", "music-box.fm", "game-arena.gg", "travel-deals.com",
};
static const char *const hostpfx[] = { "www", "api", "cdn", "img", "static", "m", "mail", "login" };
static const char *const agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
	"curl/7.88.1",
	"python-requests/2.31.0",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *pick(struct gen *g, const char *const *v, size_t n)
{
	return v[gen_below(gen_rngp(g), (uint32_t)n)];
}

static uint64_t think_ms(struct gen *g, double mean_ms)
{
	return (uint64_t)(gen_exp(gen_rngp(g), mean_ms * 1e6));
}

static uint32_t size_ln(struct gen *g, const struct gen_sess *s, double median, double sigma,
			uint32_t lo, uint32_t hi)
{
	double v = gen_lognormal(gen_rngp(g), median * gen_size_scale(g, s->t), sigma);
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (uint32_t)v;
}

/* ------------------------------------------------------------------ */
/* HTTP/1.1                                                            */

enum { PT_HTML = 0, PT_JS, PT_CSS, PT_IMG, PT_API, PT_ICO, PT_NTYPES };
static const char *const ctypes[PT_NTYPES] = {
	"text/html; charset=utf-8", "application/javascript", "text/css", "image/webp",
	"application/json", "image/vnd.microsoft.icon"
};
static const double type_kb[PT_NTYPES] = { 1.0, 3.0, 1.0, 5.0, 0.15, 0.1 };

static void http_request(struct gen *g, struct gen_sess *s, struct mb *b, int type, int close)
{
	struct gen_rng *r = gen_rngp(g);
	char path[96];
	switch (type) {
	case PT_HTML:
		if (gen_chance(r, 0.3))
			snprintf(path, sizeof(path), "/");
		else
			snprintf(path, sizeof(path), "/news/%u/story-%u.html", 2020 + gen_below(r, 4),
				 gen_below(r, 100000));
		break;
	case PT_JS: snprintf(path, sizeof(path), "/static/js/app.%08x.js", (unsigned)gen_next(r)); break;
	case PT_CSS: snprintf(path, sizeof(path), "/static/css/site.%06x.css", gen_below(r, 1u << 24)); break;
	case PT_IMG: snprintf(path, sizeof(path), "/images/photo_%u.webp", gen_below(r, 50000)); break;
	case PT_API: snprintf(path, sizeof(path), "/api/v1/items?id=%u&page=%u", gen_below(r, 1000000),
			      1 + gen_below(r, 20)); break;
	default: snprintf(path, sizeof(path), "/favicon.ico"); break;
	}
	if (type == PT_API && gen_chance(r, 0.3)) {
		/* an API call that sends a JSON body */
		uint32_t n = 40 + gen_below(r, 900);
		mb_text(b, "POST /api/v1/items HTTP/1.1\r\nHost: %s.%s\r\nUser-Agent: %s\r\n"
			"Accept: application/json\r\nContent-Type: application/json\r\n"
			"Content-Length: %u\r\nConnection: %s\r\n\r\n",
			hostpfx[s->aux3 % NELEM(hostpfx)], domains[(s->aux3 >> 8) % NELEM(domains)],
			agents[(s->aux3 >> 16) % NELEM(agents)], n, close ? "close" : "keep-alive");
		mb_body(b, n, BODY_HTML);
		return;
	}
	mb_text(b, "GET %s HTTP/1.1\r\nHost: %s.%s\r\nUser-Agent: %s\r\nAccept: %s\r\n"
		"Accept-Encoding: gzip, deflate\r\nConnection: %s\r\n\r\n",
		path, hostpfx[s->aux3 % NELEM(hostpfx)], domains[(s->aux3 >> 8) % NELEM(domains)],
		agents[(s->aux3 >> 16) % NELEM(agents)],
		type == PT_HTML ? "text/html,application/xhtml+xml,*/*;q=0.8" : "*/*",
		close ? "close" : "keep-alive");
}

static void http_response(struct gen *g, struct gen_sess *s, struct mb *b, int type, int close)
{
	struct gen_rng *r = gen_rngp(g);
	const struct weir_gen_scenario *sc = gen_scn(g);
	uint64_t secs = s->t / GEN_NS;
	double u = gen_unif(r);
	char date[64];
	snprintf(date, sizeof(date), "Date: Tue, 14 Nov 2023 %02u:%02u:%02u GMT\r\n",
		 (unsigned)(secs / 3600 % 24), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	const char *conn = close ? "close" : "keep-alive";
	if (type != PT_HTML && u < 0.1) {
		mb_text(b, "HTTP/1.1 304 Not Modified\r\n%sServer: nginx/1.22.1\r\nETag: \"%08x\"\r\n"
			"Connection: %s\r\n\r\n", date, (unsigned)gen_next(r), conn);
		return;
	}
	if (u > 0.97) {
		uint32_t n = 150 + gen_below(r, 300);
		mb_text(b, "HTTP/1.1 404 Not Found\r\n%sServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
			"Content-Length: %u\r\nConnection: %s\r\n\r\n", date, n, conn);
		mb_body(b, n, BODY_HTML);
		return;
	}
	/* a flood fetches the same dynamic page over and over */
	uint32_t n = s->variant == V_FLOOD ? 6000 + gen_below(r, 600)
		   : size_ln(g, s, sc->http_body_kb * 1024 * type_kb[type], 1.0, 20, 50u << 20);
	mb_text(b, "HTTP/1.1 200 OK\r\n%sServer: nginx/1.22.1\r\nContent-Type: %s\r\n"
		"Content-Length: %u\r\nConnection: %s\r\n\r\n", date, ctypes[type], n, conn);
	mb_body(b, n, type == PT_HTML || type == PT_CSS || type == PT_API || type == PT_JS
		? BODY_HTML : BODY_RANDOM);
}

static int http_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	struct mb b;
	switch (s->step) {
	case 0: {
		unsigned k = 1;
		if (s->aux & 1)
			k = s->count < 3 ? s->count : 2 + gen_below(r, 2);
		if (k > s->count)
			k = s->count;
		uint64_t think = s->count2 == 0xffff ? think_ms(g, 5) : think_ms(g, 400);
		if (s->variant == V_FLOOD)
			think = think_ms(g, 1);
		mb_init(&b, s, m, 0, think);
		s->count2 = 0;
		for (unsigned i = 0; i < k; i++) {
			int type = s->variant == V_FLOOD ? PT_HTML
				 : (s->step == 0 && s->aux2 == 0 && i == 0) ? PT_HTML
				 : (int)gen_below(r, PT_NTYPES);
			int close = (s->aux & 2) && i + 1 == s->count;
			s->count2 = (uint16_t)(s->count2 | type << (4 * i));
			if (s->variant == V_FLOOD)
				mb_text(&b, "GET /?q=%u HTTP/1.1\r\nHost: %s.%s\r\nUser-Agent: %s\r\n"
					"Accept: */*\r\nConnection: close\r\n\r\n", gen_below(r, 1u << 30),
					hostpfx[0], domains[(s->aux3 >> 8) % NELEM(domains)], agents[0]);
			else
				http_request(g, s, &b, type, close);
		}
		s->aux2 = k;
		s->step = 1;
		return ACT_MSG;
	}
	case 1: {
		unsigned k = s->aux2;
		mb_init(&b, s, m, 1, (uint64_t)(0.3e6) + think_ms(g, 3));
		for (unsigned i = 0; i < k; i++)
			http_response(g, s, &b, (s->count2 >> (4 * i)) & 15,
				      (s->aux & 2) && i + 1 == s->count);
		s->count = (uint16_t)(s->count - k);
		s->step = s->count ? 0 : (s->aux & 2) ? 3 : 2;
		return ACT_MSG;
	}
	case 2:
		mb_init(&b, s, m, 0, think_ms(g, 1500));
		s->step = 4;
		return s->ep[0].os == GEN_OS_WINDOWS && gen_chance(r, 0.3) ? ACT_RST : ACT_FIN;
	case 3:
		mb_init(&b, s, m, 1, 100 * GEN_US);
		s->step = 4;
		return ACT_FIN;
	}
	return ACT_END;
}

/* ------------------------------------------------------------------ */
/* TLS 1.3 (record layer real, contents opaque)                        */

static void tls_client_hello(struct gen *g, struct gen_sess *s, struct mb *b)
{
	struct gen_rng *r = gen_rngp(g);
	uint8_t h[600];
	char sni[64];
	snprintf(sni, sizeof(sni), "%s.%s", hostpfx[s->aux3 % NELEM(hostpfx)],
		 domains[(s->aux3 >> 8) % NELEM(domains)]);
	size_t sl = strlen(sni);
	static const uint8_t suites[] = { 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f,
		0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c,
		0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35 };
	static const uint8_t ext_fixed[] = {
		0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,  /* groups */
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                                      /* ec points */
		0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
		0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01,              /* sig algs */
		0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,                    /* versions */
		0x00, 0x2d, 0x00, 0x02, 0x01, 0x01,                                      /* psk modes */
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/',
		'1', '.', '1',                                                           /* ALPN */
	};
	size_t p = 0;
	h[p++] = 0x16; h[p++] = 0x03; h[p++] = 0x01; p += 2;       /* record */
	h[p++] = 0x01; p += 3;                                      /* ClientHello */
	h[p++] = 0x03; h[p++] = 0x03;
	for (int i = 0; i < 64; i++) {                              /* random + session id */
		if (i == 32)
			h[p++] = 32;
		h[p++] = (uint8_t)gen_next(r);
	}
	h[p++] = 0; h[p++] = sizeof(suites);
	memcpy(h + p, suites, sizeof(suites)); p += sizeof(suites);
	h[p++] = 1; h[p++] = 0;                                     /* compression: null */
	size_t ext_len_at = p;
	p += 2;
	size_t e0 = p;
	gen_put16(h + p, 0); gen_put16(h + p + 2, (uint16_t)(sl + 5));
	gen_put16(h + p + 4, (uint16_t)(sl + 3)); h[p + 6] = 0; gen_put16(h + p + 7, (uint16_t)sl);
	p += 9;
	memcpy(h + p, sni, sl); p += sl;
	memcpy(h + p, ext_fixed, sizeof(ext_fixed)); p += sizeof(ext_fixed);
	static const uint8_t ks[] = { 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20 };
	memcpy(h + p, ks, sizeof(ks)); p += sizeof(ks);
	for (int i = 0; i < 32; i++)
		h[p++] = (uint8_t)gen_next(r);
	gen_put16(h + ext_len_at, (uint16_t)(p - e0));
	gen_put16(h + 3, (uint16_t)(p - 5));
	h[6] = 0; gen_put16(h + 7, (uint16_t)(p - 9));
	mb_bin(b, h, (uint32_t)p);
}

static void tls_server_hello(struct gen *g, struct mb *b, uint32_t enc_len)
{
	struct gen_rng *r = gen_rngp(g);
	uint8_t h[160];
	size_t p = 0;
	h[p++] = 0x16; h[p++] = 0x03; h[p++] = 0x03; p += 2;
	h[p++] = 0x02; p += 3;
	h[p++] = 0x03; h[p++] = 0x03;
	for (int i = 0; i < 64; i++) {
		if (i == 32)
			h[p++] = 32;
		h[p++] = (uint8_t)gen_next(r);
	}
	h[p++] = 0x13; h[p++] = 0x01; h[p++] = 0;                  /* suite, compression */
	static const uint8_t ext[] = { 0x00, 0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
				       0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20 };
	memcpy(h + p, ext, sizeof(ext)); p += sizeof(ext);
	for (int i = 0; i < 32; i++)
		h[p++] = (uint8_t)gen_next(r);
	gen_put16(h + 3, (uint16_t)(p - 5));
	h[6] = 0; gen_put16(h + 7, (uint16_t)(p - 9));
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
	memcpy(h + p, ccs, sizeof(ccs)); p += sizeof(ccs);
	/* encrypted extensions, certificate, verify, finished: one record */
	h[p++] = 0x17; h[p++] = 0x03; h[p++] = 0x03;
	gen_put16(h + p, (uint16_t)enc_len); p += 2;
	mb_bin(b, h, (uint32_t)p);
	mb_body(b, enc_len, BODY_RANDOM);
}

static int tls_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	struct mb b;
	static const uint8_t ccs_fin[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03, 0x00, 0x35 };
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x1a };
	switch (s->step) {
	case 0:
		mb_init(&b, s, m, 0, think_ms(g, 2));
		tls_client_hello(g, s, &b);
		s->step = 1;
		return ACT_MSG;
	case 1:
		mb_init(&b, s, m, 1, 200 * GEN_US + think_ms(g, 1));
		tls_server_hello(g, &b, 2500 + gen_below(r, 2500));
		s->step = 2;
		return ACT_MSG;
	case 2:
		mb_init(&b, s, m, 0, 300 * GEN_US);
		mb_bin(&b, ccs_fin, sizeof(ccs_fin));
		mb_body(&b, 0x35, BODY_RANDOM);
		s->step = 3;
		return ACT_MSG;
	case 3:
		if (s->variant == V_EXFIL) {
			mb_init(&b, s, m, 0, think_ms(g, 20));
			mb_body(&b, tls_stream_len(s->data_len), BODY_TLS);
			s->count = 0;
			s->step = 4;
			return ACT_MSG;
		}
		if (!s->count) {
			mb_init(&b, s, m, 0, think_ms(g, 800));
			mb_bin(&b, alert, sizeof(alert));
			mb_body(&b, 26, BODY_RANDOM);
			s->step = 5;
			return ACT_MSG;
		}
		mb_init(&b, s, m, 0, think_ms(g, s->count2 ? 500 : 3));
		mb_body(&b, tls_stream_len(200 + gen_below(r, 500)), BODY_TLS);
		s->count2 = 1;
		s->step = 4;
		return ACT_MSG;
	case 4: {
		const struct weir_gen_scenario *sc = gen_scn(g);
		mb_init(&b, s, m, 1, 300 * GEN_US + think_ms(g, 5));
		uint32_t n = s->variant == V_EXFIL ? 150 + gen_below(r, 200)
			     : size_ln(g, s, sc->http_body_kb * 1024, 1.3, 40, 50u << 20);
		mb_body(&b, tls_stream_len(n), BODY_TLS);
		if (s->count)
			s->count--;
		s->step = 3;
		if (s->variant == V_EXFIL)
			s->step = 6;
		return ACT_MSG;
	}
	case 5:
		mb_init(&b, s, m, 0, 100 * GEN_US);
		s->step = 7;
		return ACT_FIN;
	case 6:
		mb_init(&b, s, m, 0, think_ms(g, 10));
		s->step = 7;
		return ACT_FIN;
	}
	return ACT_END;
}

/* ------------------------------------------------------------------ */
/* SSH                                                                 */

static int ssh_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	struct mb b;
	switch (s->step) {
	case 0:
		mb_init(&b, s, m, 1, 2 * GEN_MS + think_ms(g, 3));
		mb_text(&b, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n");
		break;
	case 1:
		mb_init(&b, s, m, 0, 200 * GEN_US);
		mb_text(&b, "%s\r\n", s->ep[0].os == GEN_OS_WINDOWS ? "SSH-2.0-PuTTY_Release_0.79"
			: "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.4");
		break;
	case 2: mb_init(&b, s, m, 0, 300 * GEN_US); mb_body(&b, 1400 + gen_below(r, 200), BODY_RANDOM); break;
	case 3: mb_init(&b, s, m, 1, 300 * GEN_US); mb_body(&b, 1000 + gen_below(r, 100), BODY_RANDOM); break;
	case 4: mb_init(&b, s, m, 0, 500 * GEN_US); mb_body(&b, 48, BODY_RANDOM); break;
	case 5: mb_init(&b, s, m, 1, 2 * GEN_MS); mb_body(&b, 500 + gen_below(r, 600), BODY_RANDOM); break;
	case 6: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_body(&b, 60 + 16 * gen_below(r, 3), BODY_RANDOM); break;
	case 7: mb_init(&b, s, m, 1, 300 * GEN_US); mb_body(&b, 44 + 16 * gen_below(r, 2), BODY_RANDOM); break;
	case 8: mb_init(&b, s, m, 0, think_ms(g, 1500)); mb_body(&b, 100 + 16 * gen_below(r, 10), BODY_RANDOM); break;
	case 9: mb_init(&b, s, m, 1, 20 * GEN_MS + think_ms(g, 30)); mb_body(&b, 36 + 16 * gen_below(r, 3), BODY_RANDOM); break;
	case 10:
		if (!s->count) {
			mb_init(&b, s, m, 0, think_ms(g, 500));
			mb_body(&b, 36 + 16 * gen_below(r, 2), BODY_RANDOM);
			s->step = 12;
			return ACT_MSG;
		}
		if (s->aux & 1) {   /* scp upload */
			mb_init(&b, s, m, 0, think_ms(g, 100));
			mb_body(&b, size_ln(g, s, 100000, 1.2, 2000, 200u << 20), BODY_RANDOM);
			s->count = 1;
		} else {            /* a keystroke */
			mb_init(&b, s, m, 0, think_ms(g, 400));
			mb_body(&b, 36, BODY_RANDOM);
		}
		break;
	case 11:
		mb_init(&b, s, m, 1, 100 * GEN_US + think_ms(g, 2));
		mb_body(&b, (s->aux & 1) ? 36u : 36 + 16 * gen_below(r, 12), BODY_RANDOM);
		s->count--;
		s->step = 10;
		return ACT_MSG;
	case 12:
		mb_init(&b, s, m, 0, 500 * GEN_US);
		s->step = 13;
		return ACT_FIN;
	default:
		return ACT_END;
	}
	s->step++;
	return ACT_MSG;
}

/* ------------------------------------------------------------------ */
/* FTP control and data                                                */

static const char *const ftp_users[] = { "alice", "bob", "backup", "deploy", "carol", "webadmin" };
static const char *const brute_users[] = { "admin", "root", "ftp", "test", "user", "administrator" };
static const char *const brute_pw[] = { "123456", "password", "admin", "12345678", "qwerty",
					"letmein", "root", "ftp", "test123", "welcome1", "P@ssw0rd" };

static int ftp_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	const struct weir_gen_scenario *sc = gen_scn(g);
	struct mb b;
	int brute = s->variant == V_BRUTE;
	uint64_t human = brute ? think_ms(g, 30) : 200 * GEN_MS + think_ms(g, 800);
	switch (s->step) {
	case 0:
		mb_init(&b, s, m, 1, 1 * GEN_MS);
		mb_text(&b, "220 (vsFTPd 3.0.3)\r\n");
		s->step = 1;
		return ACT_MSG;
	case 1:
		mb_init(&b, s, m, 0, human);
		mb_text(&b, "USER %s\r\n", brute ? pick(g, brute_users, NELEM(brute_users))
			: ftp_users[s->aux3 % NELEM(ftp_users)]);
		s->step = 2;
		return ACT_MSG;
	case 2:
		mb_init(&b, s, m, 1, 300 * GEN_US);
		mb_text(&b, "331 Please specify the password.\r\n");
		s->step = 3;
		return ACT_MSG;
	case 3:
		mb_init(&b, s, m, 0, human);
		if (brute)
			mb_text(&b, "PASS %s\r\n", pick(g, brute_pw, NELEM(brute_pw)));
		else
			mb_text(&b, "PASS %c%c%c%c%u\r\n", 'a' + (int)gen_below(r, 26), 'a' + (int)gen_below(r, 26),
				'A' + (int)gen_below(r, 26), 'a' + (int)gen_below(r, 26), gen_below(r, 10000));
		s->step = 4;
		return ACT_MSG;
	case 4:
		/* vsftpd answers a bad password after a delay (delay_failed_login) */
		if (brute || s->aux & 4) {
			mb_init(&b, s, m, 1, 1000 * GEN_MS + think_ms(g, 5));
			mb_text(&b, "530 Login incorrect.\r\n");
			s->fails++;
			s->aux &= ~4u;
			if (brute)
				s->step = s->fails >= 3 ? 30 : 1;
			else
				s->step = s->fails >= 2 || gen_chance(r, 0.5) ? 20 : 1;
			return ACT_MSG;
		}
		mb_init(&b, s, m, 1, 5 * GEN_MS + think_ms(g, 3));
		mb_text(&b, "230 Login successful.\r\n");
		s->step = 5;
		return ACT_MSG;
	case 5: mb_init(&b, s, m, 0, 2 * GEN_MS); mb_text(&b, "SYST\r\n"); s->step = 6; return ACT_MSG;
	case 6: mb_init(&b, s, m, 1, 200 * GEN_US); mb_text(&b, "215 UNIX Type: L8\r\n"); s->step = 7; return ACT_MSG;
	case 7: mb_init(&b, s, m, 0, human); mb_text(&b, "TYPE I\r\n"); s->step = 8; return ACT_MSG;
	case 8: mb_init(&b, s, m, 1, 200 * GEN_US); mb_text(&b, "200 Switching to Binary mode.\r\n"); s->step = 9; return ACT_MSG;
	case 9: {
		struct gen_host *ch = s->ep[0].h, *sh = s->ep[1].h;
		s->data_active = (uint8_t)gen_chance(r, 0.3);
		mb_init(&b, s, m, 0, human);
		if (s->data_active) {
			if (gen_port_alloc(ch, &s->data_port) < 0) {
				s->step = 20;
				return ftp_next(g, s, m);
			}
			uint32_t ip = ch->ip;
			mb_text(&b, "PORT %u,%u,%u,%u,%u,%u\r\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
				ip & 255, s->data_port >> 8, s->data_port & 255);
		} else {
			if (gen_port_alloc(sh, &s->data_port) < 0) {
				s->step = 20;
				return ftp_next(g, s, m);
			}
			mb_text(&b, "PASV\r\n");
		}
		s->step = 10;
		return ACT_MSG;
	}
	case 10:
		mb_init(&b, s, m, 1, 300 * GEN_US);
		if (s->data_active) {
			mb_text(&b, "200 PORT command successful. Consider using PASV.\r\n");
		} else {
			uint32_t ip = s->ep[1].ip;
			mb_text(&b, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n", ip >> 24,
				(ip >> 16) & 255, (ip >> 8) & 255, ip & 255, s->data_port >> 8,
				s->data_port & 255);
		}
		s->step = 11;
		return ACT_MSG;
	case 11: {
		mb_init(&b, s, m, 0, 2 * GEN_MS + think_ms(g, 100));
		double u = gen_unif(r);
		s->aux2 = u < 0.25 ? 0 : u < 0.85 ? 1 : 2;    /* LIST, RETR, STOR */
		uint32_t n = gen_below(r, 10000);
		if (s->aux2 == 0) {
			mb_text(&b, "LIST\r\n");
			s->data_len = 200 + gen_below(r, 3000);
			s->data_dir = 1;
		} else if (s->aux2 == 1) {
			mb_text(&b, "RETR report-%u.tar.gz\r\n", n);
			s->data_len = size_ln(g, s, 60000, 1.3, 100, 500u << 20);
			s->data_dir = 1;
		} else {
			mb_text(&b, "STOR upload-%u.dat\r\n", n);
			s->data_len = size_ln(g, s, 40000, 1.3, 100, 500u << 20);
			s->data_dir = 0;
		}
		(void)sc;
		s->step = 12;
		return ACT_MSG;
	}
	case 12:
		mb_init(&b, s, m, 1, 1 * GEN_MS);
		if (s->aux2 == 0)
			mb_text(&b, "150 Here comes the directory listing.\r\n");
		else if (s->aux2 == 1)
			mb_text(&b, "150 Opening BINARY mode data connection for report.tar.gz (%u bytes).\r\n",
				s->data_len);
		else
			mb_text(&b, "150 Ok to send data.\r\n");
		s->step = 13;
		return ACT_MSG;
	case 13:
		s->step = 14;
		memset(m, 0, sizeof(*m));
		return ACT_SPAWN;
	case 14:
		mb_init(&b, s, m, 1, 500 * GEN_US);
		if (s->data_len == UINT32_MAX) {
			mb_text(&b, "425 Failed to establish connection.\r\n");
			/* the engine never made the connection: give the port back */
			gen_port_free(s->data_active ? s->ep[0].h : s->ep[1].h, s->data_port);
		} else {
			mb_text(&b, "226 %s\r\n", s->aux2 == 0 ? "Directory send OK." : "Transfer complete.");
		}
		s->step = s->count > 1 ? 9 : 20;
		if (s->count)
			s->count--;
		return ACT_MSG;
	case 20: mb_init(&b, s, m, 0, human); mb_text(&b, "QUIT\r\n"); s->step = 21; return ACT_MSG;
	case 21: mb_init(&b, s, m, 1, 200 * GEN_US); mb_text(&b, "221 Goodbye.\r\n"); s->step = 22; return ACT_MSG;
	case 22: mb_init(&b, s, m, 1, 100 * GEN_US); s->step = 23; return ACT_FIN;
	case 30: mb_init(&b, s, m, 1, 200 * GEN_US); s->step = 23; return ACT_FIN;
	}
	return ACT_END;
}

static int ftp_data_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct mb b;
	switch (s->step) {
	case 0:
		mb_init(&b, s, m, s->data_dir, 500 * GEN_US);
		mb_body(&b, s->data_len ? s->data_len : 1, BODY_RANDOM);
		s->step = 1;
		return ACT_MSG;
	case 1:
		mb_init(&b, s, m, s->data_dir, 100 * GEN_US + think_ms(g, 0.2));
		s->step = 2;
		return ACT_FIN;
	}
	return ACT_END;
}

/* ------------------------------------------------------------------ */
/* SMTP                                                                */

static int smtp_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	struct mb b;
	const char *dom = domains[(s->aux3 >> 8) % NELEM(domains)];
	switch (s->step) {
	case 0: mb_init(&b, s, m, 1, 2 * GEN_MS); mb_text(&b, "220 mail.%s ESMTP Postfix (Debian/GNU)\r\n", domains[0]); break;
	case 1: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_text(&b, "EHLO client-%u.%s\r\n", s->aux3 & 255, dom); break;
	case 2:
		mb_init(&b, s, m, 1, 500 * GEN_US);
		mb_text(&b, "250-mail.%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
			"250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
			"250-DSN\r\n250 CHUNKING\r\n", domains[0]);
		break;
	case 3: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_text(&b, "MAIL FROM:<user%u@%s>\r\n", s->aux3 & 1023, dom); break;
	case 4: mb_init(&b, s, m, 1, 500 * GEN_US); mb_text(&b, "250 2.1.0 Ok\r\n"); break;
	case 5: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_text(&b, "RCPT TO:<staff%u@%s>\r\n", gen_below(r, 500), domains[0]); break;
	case 6: mb_init(&b, s, m, 1, 2 * GEN_MS); mb_text(&b, "250 2.1.5 Ok\r\n"); break;
	case 7: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_text(&b, "DATA\r\n"); break;
	case 8: mb_init(&b, s, m, 1, 500 * GEN_US); mb_text(&b, "354 End data with <CR><LF>.<CR><LF>\r\n"); break;
	case 9:
		mb_init(&b, s, m, 0, 1 * GEN_MS);
		mb_text(&b, "From: <user%u@%s>\r\nTo: <staff@%s>\r\nSubject: Report %u\r\n"
			"Message-ID: <%08x@%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n",
			s->aux3 & 1023, dom, domains[0], gen_below(r, 1000), (unsigned)gen_next(r), dom);
		mb_body(&b, size_ln(g, s, 6000, 1.3, 100, 20u << 20), BODY_HTML);
		mb_text(&b, "\r\n.\r\n");
		break;
	case 10: mb_init(&b, s, m, 1, 5 * GEN_MS); mb_text(&b, "250 2.0.0 Ok: queued as %08X\r\n", (unsigned)gen_next(r)); break;
	case 11: mb_init(&b, s, m, 0, 1 * GEN_MS); mb_text(&b, "QUIT\r\n"); break;
	case 12: mb_init(&b, s, m, 1, 300 * GEN_US); mb_text(&b, "221 2.0.0 Bye\r\n"); break;
	case 13: mb_init(&b, s, m, 1, 100 * GEN_US); s->step++; return ACT_FIN;
	default: return ACT_END;
	}
	s->step++;
	return ACT_MSG;
}

/* ------------------------------------------------------------------ */
/* slow-rate: slowloris keeps connections open with partial headers    */

static int slow_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	struct gen_rng *r = gen_rngp(g);
	struct mb b;
	if (s->step == 0) {
		mb_init(&b, s, m, 0, 1 * GEN_MS);
		mb_text(&b, "GET /?%u HTTP/1.1\r\nHost: www.%s\r\nUser-Agent: %s\r\n"
			"Accept-language: en-US,en,q=0.5\r\n", gen_below(r, 2000),
			domains[0], agents[0]);
		s->step = 1;
		return ACT_MSG;
	}
	uint64_t gap = (uint64_t)s->aux2 * GEN_MS;
	gap = gap * (80 + gen_below(r, 40)) / 100;
	if (s->t_prev + gap >= s->until) {
		mb_init(&b, s, m, 0, s->until > s->t_prev ? s->until - s->t_prev : GEN_MS);
		return ACT_RST;
	}
	mb_init(&b, s, m, 0, gap);
	mb_text(&b, "X-a: %u\r\n", 1 + gen_below(r, 5000));
	return ACT_MSG;
}

/* ------------------------------------------------------------------ */

void gen_app_init(struct gen *g, struct gen_sess *s)
{
	struct gen_rng *r = gen_rngp(g);
	const struct weir_gen_scenario *sc = gen_scn(g);
	s->step = 0;
	s->aux3 = (uint32_t)gen_next(r);
	switch (s->app) {
	case A_HTTP:
		if (s->variant == V_FLOOD) {
			s->count = 1;
			s->aux = 2;
		} else {
			s->count = (uint16_t)(1 + gen_exp(r, sc->http_requests - 1 + 1e-9));
			if (s->count > 100)
				s->count = 100;
			s->aux = (gen_chance(r, sc->pipelining) ? 1u : 0) | (gen_chance(r, 0.3) ? 2u : 0);
		}
		s->count2 = 0xffff;   /* first request follows the handshake */
		s->aux2 = 0;
		break;
	case A_TLS:
		s->count = (uint16_t)(1 + gen_exp(r, 3));
		if (s->count > 100)
			s->count = 100;
		break;
	case A_SSH:
		s->aux = gen_chance(r, 0.3);
		s->count = s->aux ? 1 : (uint16_t)(5 + gen_below(r, 60));
		break;
	case A_FTP:
		s->count = (uint16_t)(1 + gen_below(r, 3));
		if (s->variant != V_BRUTE && gen_chance(r, sc->ftp_fail_share))
			s->aux |= 4;   /* this user mistypes the password */
		break;
	case A_DNS:
	case A_UDP_PROBE:
	case A_ICMP:
		break;
	}
}

int gen_app_next(struct gen *g, struct gen_sess *s, struct gen_msg *m)
{
	switch (s->app) {
	case A_HTTP: return http_next(g, s, m);
	case A_TLS: return tls_next(g, s, m);
	case A_SSH: return ssh_next(g, s, m);
	case A_FTP: return ftp_next(g, s, m);
	case A_FTP_DATA: return ftp_data_next(g, s, m);
	case A_SMTP: return smtp_next(g, s, m);
	case A_SLOWLORIS: return slow_next(g, s, m);
	}
	memset(m, 0, sizeof(*m));
	return ACT_END;
}
