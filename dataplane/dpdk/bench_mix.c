/* weir --bench-mix: a steady population of N concurrent flows, the load the
 * dataplane target is stated for (>= 1 M flows, 64-byte or IMIX frames).
 *
 * N slots each hold one flow at a time; frame k is the next packet of slot
 * k mod N, and a slot whose flow has sent its last packet starts a new one
 * (new client port) on its next turn. So the table holds N active flows
 * plus those closed or idle but not yet timed out, and every packet is a
 * random access into a table far larger than the caches.
 *
 * Flows: 3 in 4 are TCP (SYN, SYN/ACK, ACK, data both ways, FIN, FIN), the
 * rest UDP request/reply, as in the UNSW-NB15 sample (76 % TCP, 23 % UDP).
 * Packets per flow, two choices:
 *   short: uniform in 4..28 (mean 16), well below the sample's mean of 77,
 *          so flow set-up and record costs weigh five times more than in
 *          that data: the stress case, and the default;
 *   unsw:  drawn from the sample's own distribution, TCP and UDP apart
 *          (the tables below): mean 76 packets a flow.
 * Frames are 64 bytes on the wire,
 * or IMIX (7:4:1 of 64/594/1518) for data packets. The timeline runs at
 * 1 M frames/s of packet time, so each slot sends once per N us and closed
 * TCP flows time out (5 s) inside the run.
 *
 * Payloads are what those services send, cut to the frame: an HTTP request
 * and response on port 80, TLS handshake and application-data records on
 * 443, DNS queries and answers on 53. So content analysis does the work
 * real traffic asks of it: the first payloads of each direction pass the
 * signature prefilter and are scanned, port-80 flows are parsed as HTTP. */
#include <stdlib.h>
#include <string.h>
#include "bench_mix.h"

struct mix_slot {
	uint32_t gen;            /* flows this slot has started */
	uint16_t pkts, pos;      /* the current flow's length and next packet */
	uint32_t cseq, sseq;     /* next sequence number, client and server */
	uint8_t tcp;
};

struct weir_bench_mix {
	unsigned flows, size;
	enum weir_mix_lengths lengths;
	uint64_t base_ns;
	struct mix_slot slot[];
};

static const uint16_t imix[12] = { 64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518 };

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Packets (both directions) of the flows in the first 20,000 records of
 * UNSW-NB15_1.csv, sorted and cut into 32 groups of equal count: each
 * entry is its group's mean, so a draw of one entry at random keeps the
 * data's mean (TCP 99.7 over 15,199 flows, UDP 5.0 over 4,577) and its
 * shape (TCP median 34, a tail to 12,602; UDP DNS exchanges of 2-8). */
static const uint16_t unsw_tcp_pkts[32] = {
	13, 16, 18, 19, 20, 21, 23, 29, 31, 33, 34, 34, 34, 34, 36, 36,
	39, 52, 56, 64, 74, 79, 92, 97, 102, 120, 134, 139, 164, 212, 441, 893,
};
static const uint16_t unsw_udp_pkts[32] = {
	2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 7, 8, 8, 8, 8, 8, 8, 8, 8,
};

static void new_flow(struct mix_slot *s, uint64_t id, enum weir_mix_lengths lengths)
{
	uint64_t r = mix64(id * 0x9e3779b97f4a7c15ull + s->gen);
	s->gen++;
	s->pos = 0;
	s->tcp = (r >> 8) % 4 != 0;
	if (lengths == WEIR_MIX_UNSW)
		s->pkts = (s->tcp ? unsw_tcp_pkts : unsw_udp_pkts)[(r >> 56) % 32];
	else
		s->pkts = (uint16_t)(4 + r % 25);
	s->cseq = (uint32_t)(r >> 16);
	s->sseq = (uint32_t)(r >> 40) * 977u;
}

struct weir_bench_mix *weir_bench_mix_create(unsigned flows, unsigned size,
					     enum weir_mix_lengths lengths)
{
	struct weir_bench_mix *mx = calloc(1, sizeof(*mx) + (size_t)flows * sizeof(struct mix_slot));
	if (!mx)
		return NULL;
	mx->flows = flows;
	mx->size = size;
	mx->lengths = lengths;
	mx->base_ns = 1700000000ull * 1000000000ull;
	for (unsigned i = 0; i < flows; i++)
		new_flow(&mx->slot[i], i, lengths);
	return mx;
}

void weir_bench_mix_free(struct weir_bench_mix *mx)
{
	free(mx);
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

static const char http_req[] =
	"GET /index.html HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: weir-bench\r\n"
	"Accept: */*\r\n\r\n";
static const char http_resp[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000000\r\n\r\n";
/* ClientHello and ServerHello record headers, then application data */
static const uint8_t tls_chello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
static const uint8_t tls_shello[] = { 0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03 };
static const uint8_t tls_data[] = { 0x17, 0x03, 0x03, 0x05, 0xb4 };
/* id, flags, 1 question (and 1 answer), bench.example A IN */
static const uint8_t dns_query[] = { 0x4a, 0x17, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x05, 'b', 'e', 'n', 'c', 'h', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	0x00, 0x00, 0x01, 0x00, 0x01 };
static const uint8_t dns_answer[] = { 0x4a, 0x17, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x05, 'b', 'e', 'n', 'c', 'h', 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e,
	0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01 };

/* `n` payload bytes of the service on `port`; `first`: the direction's
 * first payload (a request, a greeting, a handshake). */
static void fill_payload(uint8_t *p, unsigned n, uint16_t port, int cli, int first)
{
	const uint8_t *head;
	size_t hlen;
	uint8_t fill;

	if (port == 80) {
		/* the client pipelines requests; the server sends body */
		head = (const uint8_t *)(cli ? http_req : http_resp);
		hlen = cli ? sizeof(http_req) - 1 : (first ? sizeof(http_resp) - 1 : 0);
		fill = 'a';
	} else if (port == 443) {
		head = first ? (cli ? tls_chello : tls_shello) : tls_data;
		hlen = first ? sizeof(tls_chello) : sizeof(tls_data);
		fill = 0x5c;
	} else {
		head = cli ? dns_query : dns_answer;
		hlen = cli ? sizeof(dns_query) : sizeof(dns_answer);
		fill = 0;
	}
	if (hlen > n)
		hlen = n;
	memcpy(p, head, hlen);
	memset(p + hlen, fill, n - hlen);
}

/* TCP flags of packet `pos` of `pkts`, and whether the client sends it. */
static uint8_t tcp_step(unsigned pos, unsigned pkts, int *from_client)
{
	if (pos == 0) { *from_client = 1; return 0x02; }          /* SYN */
	if (pos == 1) { *from_client = 0; return 0x12; }          /* SYN/ACK */
	if (pos == 2) { *from_client = 1; return 0x10; }          /* ACK */
	if (pos == pkts - 2) { *from_client = 1; return 0x11; }   /* FIN/ACK */
	if (pos == pkts - 1) { *from_client = 0; return 0x11; }
	*from_client = pos & 1;
	return 0x18;                                              /* PSH/ACK */
}

void weir_bench_mix_frame(struct weir_bench_mix *mx, uint64_t k, uint8_t *d,
			  uint32_t *caplen, uint32_t *wire, uint64_t *ts_ns)
{
	unsigned id = (unsigned)(k % mx->flows);
	struct mix_slot *s = &mx->slot[id];
	if (s->pos == s->pkts)
		new_flow(s, id, mx->lengths);
	unsigned pos = s->pos++;
	int cli;
	uint8_t flags = 0;
	unsigned l4 = s->tcp ? 20 : 8, payload;

	if (s->tcp) {
		flags = tcp_step(pos, s->pkts, &cli);
		payload = flags == 0x18 ? 1 : 0;
	} else {
		cli = !(pos & 1);
		payload = 1;
	}
	unsigned sz = mx->size ? mx->size : (payload ? imix[k % 12] : 64);
	unsigned len = sz - 4;                     /* FCS not captured */
	if (payload)
		payload = len - 14 - 20 - l4;
	unsigned iplen = 20 + l4 + payload;

	uint32_t cip = 0x0a000000u | (id & 0xffffffu);
	uint32_t sip = 0xc0a80000u | (id % 509u);
	uint16_t cport = (uint16_t)(1024 + (s->gen * 7919u + id) % 64000u);
	uint16_t sport = s->tcp ? (id % 3 ? 443 : 80) : 53;

	memset(d, 0, 14 + 20 + l4);
	d[0] = 0x02; d[5] = cli ? 1 : 2; d[6] = 0x02; d[11] = cli ? 2 : 1;
	d[12] = 0x08;
	uint8_t *ip = d + 14;
	ip[0] = 0x45;
	put16(ip + 2, iplen);
	put16(ip + 4, (uint16_t)pos);
	ip[8] = cli ? 64 : 128;
	ip[9] = s->tcp ? 6 : 17;
	put32(ip + 12, cli ? cip : sip);
	put32(ip + 16, cli ? sip : cip);
	uint8_t *l = ip + 20;
	put16(l, cli ? cport : sport);
	put16(l + 2, cli ? sport : cport);
	if (s->tcp) {
		uint32_t *mine = cli ? &s->cseq : &s->sseq;
		uint32_t peer = cli ? s->sseq : s->cseq;
		put32(l + 4, *mine);
		put32(l + 8, flags & 0x10 ? peer : 0);
		l[12] = 0x50;
		l[13] = flags;
		put16(l + 14, 65535);
		*mine += payload + ((flags & 0x03) ? 1 : 0);
	} else {
		put16(l + 4, 8 + payload);
	}
	if (payload)
		fill_payload(l + l4, payload, sport, cli, s->tcp ? pos <= 4 : pos < 2);
	*caplen = len;
	*wire = sz;
	*ts_ns = mx->base_ns + k * 1000;
}
