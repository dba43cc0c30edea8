/* Flow table: keys, sides, timeouts per class, active slices, eviction,
 * close/reuse, flush order, fragments, invariants under 1M random flows,
 * and a lookup/hash micro-benchmark (printed, not asserted). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "flowtable.h"
#include "flowtable_int.h"   /* white-box: shrink the index */
#include "hash.h"
#include "hash_aes.h"

#define S 1000000000ull
#define MS 1000000ull
#define T0 (1700000000ull * S)   /* an epoch-like start: slot numbers are large */

/* ---- emit log ---------------------------------------------------------- */

struct ev {
	uint64_t flow_id;
	uint64_t last_ns, first_ns;
	enum weir_end_reason why;
	struct weir_flow_key key;
};

struct log {
	struct ev *ev;
	size_t n, cap;
	uint64_t now;            /* what the "engine" sets first_ns to on ACTIVE */
	uint64_t by_why[WEIR_END_MAX];
	struct weir_flowtable *ft;   /* for eviction accuracy checks */
	int check_evict_every;
	uint64_t evicts_seen, evict_checks, evict_err_max, evict_err_sum;
	uint64_t emit_not_live;      /* emitted entries not marked in use: must stay 0 */
};

static void on_emit(void *ctx, struct weir_flow *f, struct weir_content_state *cs,
		    enum weir_end_reason why)
{
	struct log *l = ctx;
	(void)cs;
	/* Counted, not asserted here: every Check assertion costs a syscall,
	 * which would swamp the benchmark's eviction figures. */
	if (!f->in_use)
		l->emit_not_live++;
	l->by_why[why]++;
	if (why == WEIR_END_EVICTED && l->ft && l->check_evict_every &&
	    l->evicts_seen++ % (uint64_t)l->check_evict_every == 0) {
		uint64_t min = weir_ft_min_last_ns(l->ft);
		ck_assert_uint_ge(f->last_ns, min);
		uint64_t err = f->last_ns - min;
		l->evict_checks++;
		l->evict_err_sum += err;
		if (err > l->evict_err_max)
			l->evict_err_max = err;
	}
	if (l->n < l->cap) {
		struct ev *e = &l->ev[l->n++];
		e->flow_id = f->flow_id;
		e->last_ns = f->last_ns;
		e->first_ns = f->first_ns;
		e->why = why;
		e->key = f->key;
	}
	if (why == WEIR_END_ACTIVE)
		f->first_ns = l->now;   /* as engine.c does */
}

static void log_init(struct log *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
	l->ev = calloc(cap ? cap : 1, sizeof(*l->ev));
}

static void log_free(struct log *l)
{
	ck_assert_uint_eq(l->emit_not_live, 0);
	free(l->ev);
}

/* ---- packets ----------------------------------------------------------- */

static struct weir_pkt pkt4(unsigned proto, uint32_t src, uint32_t dst,
			    uint16_t sport, uint16_t dport, uint64_t ts)
{
	struct weir_pkt p;
	memset(&p, 0, sizeof(p));
	p.family = WEIR_AF_INET;
	p.ip_ver = 4;
	p.proto = (uint16_t)proto;
	p.src[0] = (uint8_t)(src >> 24); p.src[1] = (uint8_t)(src >> 16);
	p.src[2] = (uint8_t)(src >> 8);  p.src[3] = (uint8_t)src;
	p.dst[0] = (uint8_t)(dst >> 24); p.dst[1] = (uint8_t)(dst >> 16);
	p.dst[2] = (uint8_t)(dst >> 8);  p.dst[3] = (uint8_t)dst;
	p.sport = sport;
	p.dport = dport;
	p.ts_ns = ts;
	return p;
}

#define A_IP 0x0a000001u  /* 10.0.0.1 */
#define B_IP 0x0a000002u  /* 10.0.0.2 */

static struct weir_flowtable *mk(struct log *l, uint32_t cap, uint64_t active_ns)
{
	struct weir_ft_config cfg;
	char err[160] = "";
	weir_ft_config_defaults(&cfg);
	cfg.max_flows = cap;
	cfg.active_timeout_ns = active_ns;
	cfg.hash_seed = 0x1234567890abcdefull;
	struct weir_flowtable *ft = weir_ft_create(&cfg, on_emit, l, err, sizeof(err));
	ck_assert_msg(ft != NULL, "create: %s", err);
	return ft;
}

static uint64_t next_id;

/* Lookup as the engine does: a new flow gets the next flow id. */
static struct weir_flow *see(struct weir_flowtable *ft, const struct weir_pkt *p,
			     int *side, int *is_new)
{
	int s, n;
	struct weir_flow *f = weir_ft_lookup(ft, p, &s, &n);
	ck_assert_ptr_nonnull(f);
	if (n)
		f->flow_id = ++next_id;
	weir_ft_touch(f, p->ts_ns);
	if (side)
		*side = s;
	if (is_new)
		*is_new = n;
	return f;
}

static uint32_t live(struct weir_flowtable *ft)
{
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	return st.flows_live;
}

/* White-box: the wheels' chunk lists agree with the entries' metadata,
 * every chunk on a list holds a filed entry (which is what bounds the
 * pool at one chunk per flow), and no chunk is lost or counted twice.
 * Returns the number of filed entries. */
static uint32_t check_wheels(const struct weir_flowtable *ft)
{
	uint32_t filed = 0, chunks = 0;

	for (unsigned c = 0; c < WEIR_TO_MAX; c++) {
		for (uint32_t si = 0; si < ft->wsize; si++) {
			uint32_t ch = ft->whead[c][si], prev = WEIR_FT_NIL;
			int bit = (ft->wbits[c][si >> 6] >> (si & 63)) & 1;
			ck_assert_int_eq(bit, ch != WEIR_FT_NIL);
			for (; ch != WEIR_FT_NIL; prev = ch, ch = ft->chunks[ch].next) {
				const struct weir_ft_chunk *k = &ft->chunks[ch];
				unsigned live = 0;
				ck_assert_uint_lt(ch, ft->nchunks);
				ck_assert_uint_eq(k->prev, prev);
				ck_assert_uint_eq(k->wclass, c);
				ck_assert_uint_eq(k->si, si);
				ck_assert_uint_le(k->used, WEIR_FT_CHUNK_IDX);
				for (unsigned i = 0; i < k->used; i++) {
					uint32_t e = k->idx[i];
					if (e == WEIR_FT_NIL)
						continue;
					const struct weir_ft_meta *m = &ft->meta[e];
					ck_assert(ft->flows[e].in_use);
					ck_assert_uint_eq(m->wclass, c);
					ck_assert_uint_eq(m->chunk, ch);
					ck_assert_uint_eq(m->pos, i);
					ck_assert_uint_eq((uint32_t)m->tslot & ft->wmask, si);
					live++;
				}
				ck_assert_uint_ge(live, 1);
				ck_assert_uint_eq(k->live, live);
				filed += live;
				chunks++;
			}
			ck_assert_uint_eq(ft->wtail[c][si], prev);
		}
	}
	ck_assert_uint_eq(chunks, ft->nchunks - ft->ncfree);
	ck_assert_uint_le(chunks, filed);
	uint32_t in_use = 0, marked = 0;
	for (uint32_t i = 0; i < ft->hiwater; i++) {
		in_use += ft->flows[i].in_use;
		marked += ft->flows[i].in_use && ft->meta[i].wclass < WEIR_TO_MAX;
	}
	ck_assert_uint_eq(marked, filed);
	ck_assert_uint_eq(in_use, filed);   /* every live flow is on a wheel */
	return filed;
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(siphash_reference_vectors)
{
	/* SipHash-2-4 reference vectors (key 00..0f, message 00..len-1):
	 * proves the shared implementation; the table runs it with 1-3. */
	struct weir_sipkey k;
	uint8_t kb[16], msg[64];
	for (int i = 0; i < 16; i++)
		kb[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	memcpy(&k.k0, kb, 8);
	memcpy(&k.k1, kb + 8, 8);
	ck_assert_uint_eq(weir_siphash(&k, msg, 0, 2, 4), 0x726fdb47dd0e0e31ull);
	ck_assert_uint_eq(weir_siphash(&k, msg, 15, 2, 4), 0xa129ca6149be45e5ull);
	/* Different seeds give different keyed hashes of the same data. */
	struct weir_sipkey a = weir_sipkey_from_seed(1), b = weir_sipkey_from_seed(2);
	ck_assert_uint_ne(weir_siphash13(&a, msg, 44), weir_siphash13(&b, msg, 44));
	/* The straight-line 16-byte form is the same function. */
	for (int off = 0; off < 48; off++)
		ck_assert_uint_eq(weir_siphash13_16(&a, weir_load_le64(msg + off), weir_load_le64(msg + off + 8)),
				  weir_siphash13(&a, msg + off, 16));
}
END_TEST

START_TEST(aeshash_spreads_and_depends_on_key)
{
	if (!weir_aeshash_available()) {
		printf("aeshash: this CPU has no AES-NI; tables use SipHash\n");
		return;
	}
	struct weir_aeskey a, b;
	weir_aeskey_from_seed(&a, 1);
	weir_aeskey_from_seed(&b, 2);
	uint64_t m0 = 0x0200000a0100000aull, m1 = 0x0000040650001f90ull;
	uint64_t h = weir_aeshash16(&a, m0, m1);
	ck_assert_uint_eq(h, weir_aeshash16(&a, m0, m1));
	ck_assert_uint_ne(h, weir_aeshash16(&b, m0, m1));
	/* Avalanche: each one-bit change of the 128 input bits flips about
	 * half of the 64 output bits. */
	unsigned sum = 0, min = 64;
	for (int bit = 0; bit < 128; bit++) {
		uint64_t x0 = m0 ^ (bit < 64 ? 1ull << bit : 0);
		uint64_t x1 = m1 ^ (bit >= 64 ? 1ull << (bit - 64) : 0);
		unsigned f = (unsigned)__builtin_popcountll(h ^ weir_aeshash16(&a, x0, x1));
		sum += f;
		if (f < min)
			min = f;
	}
	ck_assert_msg(sum >= 28 * 128 && sum <= 36 * 128 && min >= 12,
		      "avalanche: mean %.1f, min %u flipped bits of 64", sum / 128.0, min);
	/* Spread of the flooding-shaped input: 2^20 keys from one client to one
	 * server, consecutive ports and then addresses, over 2^16 buckets
	 * (Poisson, mean 16: a load of 45 has probability 1e-4 in all). */
	static uint32_t load[1 << 16];
	memset(load, 0, sizeof(load));
	for (uint32_t i = 0; i < (1u << 20); i++)
		load[weir_aeshash16(&a, m0 + ((uint64_t)(i >> 16) << 24), m1 + (i & 0xffff)) & 0xffff]++;
	double chi = 0;
	uint32_t max = 0;
	for (int i = 0; i < (1 << 16); i++) {
		chi += (load[i] - 16.0) * (load[i] - 16.0) / 16.0;
		if (load[i] > max)
			max = load[i];
	}
	ck_assert_msg(max < 45 && chi > 65535 - 2000 && chi < 65535 + 2000,
		      "bucket spread: max %u, chi-square %.0f (df 65535)", max, chi);
}
END_TEST

/* Which hash a table uses changes where flows sit, never which flows
 * there are: the same packets make the same flows in both. */
START_TEST(aes_and_siphash_tables_agree)
{
	struct log la, lb;
	log_init(&la, 16);
	log_init(&lb, 16);
	struct weir_ft_config cfg;
	char err[160] = "";
	weir_ft_config_defaults(&cfg);
	cfg.max_flows = 4096;
	cfg.hash_seed = 7;
	struct weir_flowtable *fa = weir_ft_create(&cfg, on_emit, &la, err, sizeof(err));
	cfg.no_aes = 1;
	struct weir_flowtable *fb = weir_ft_create(&cfg, on_emit, &lb, err, sizeof(err));
	ck_assert_ptr_nonnull(fa);
	ck_assert_ptr_nonnull(fb);
	ck_assert_str_eq(weir_ft_hash_name(fb), "siphash-1-3");
	printf("aes_and_siphash_tables_agree: %s against %s\n", weir_ft_hash_name(fa),
	       weir_ft_hash_name(fb));
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t c = A_IP + (i * 2654435761u) % 3000;
		struct weir_pkt p = pkt4(i % 3 ? 6 : 17, c, B_IP, (uint16_t)(1024 + i % 7),
					 80, T0 + i * MS);
		if (i % 2)
			p = pkt4(p.proto, B_IP, c, 80, (uint16_t)(1024 + i % 7), T0 + i * MS);
		int sa, sb, na, nb;
		see(fa, &p, &sa, &na);
		see(fb, &p, &sb, &nb);
		ck_assert_int_eq(sa, sb);
		ck_assert_int_eq(na, nb);
	}
	ck_assert_uint_eq(live(fa), live(fb));
	weir_ft_free(fa);
	weir_ft_free(fb);
	log_free(&la);
	log_free(&lb);
}
END_TEST

START_TEST(both_directions_one_flow_with_sides)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	int side, is_new;

	struct weir_pkt fwd = pkt4(6, B_IP, A_IP, 40000, 80, T0);   /* from the higher address */
	struct weir_flow *f = see(ft, &fwd, &side, &is_new);
	ck_assert_int_eq(is_new, 1);
	ck_assert_int_eq(side, 1);
	ck_assert_uint_eq(f->key.addr[0][3], 1);     /* A = 10.0.0.1, the lower */
	ck_assert_uint_eq(f->key.port[0], 80);
	ck_assert_uint_eq(f->key.port[1], 40000);
	ck_assert_uint_eq(f->key.proto, 6);
	ck_assert_uint_eq(f->key.family, WEIR_AF_INET);
	ck_assert_uint_eq(f->tclass, WEIR_TO_TCP);
	ck_assert_uint_eq(f->first_ns, T0);

	struct weir_pkt rev = pkt4(6, A_IP, B_IP, 80, 40000, T0 + MS);
	struct weir_flow *g = see(ft, &rev, &side, &is_new);
	ck_assert_ptr_eq(f, g);
	ck_assert_int_eq(is_new, 0);
	ck_assert_int_eq(side, 0);

	/* Same address both ends: the lower port is A. */
	struct weir_pkt self = pkt4(17, A_IP, A_IP, 5000, 53, T0);
	f = see(ft, &self, &side, &is_new);
	ck_assert_int_eq(side, 1);
	ck_assert_uint_eq(f->key.port[0], 53);
	struct weir_pkt self_r = pkt4(17, A_IP, A_IP, 53, 5000, T0);
	ck_assert_ptr_eq(see(ft, &self_r, &side, &is_new), f);
	ck_assert_int_eq(side, 0);

	/* A different port, protocol or VLAN is a different flow. */
	struct weir_pkt other = pkt4(6, A_IP, B_IP, 81, 40000, T0);
	ck_assert_ptr_ne(see(ft, &other, NULL, &is_new), g);
	ck_assert_int_eq(is_new, 1);
	struct weir_pkt udp = pkt4(17, A_IP, B_IP, 80, 40000, T0);
	ck_assert_ptr_ne(see(ft, &udp, NULL, &is_new), g);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_eq(live(ft), 4);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(vlan_and_family_separate_flows)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	int side, is_new;

	struct weir_pkt p = pkt4(6, A_IP, B_IP, 1234, 80, T0);
	struct weir_flow *f0 = see(ft, &p, &side, &is_new);
	p.vlan_id = 100;
	struct weir_flow *f100 = see(ft, &p, &side, &is_new);
	ck_assert_int_eq(is_new, 1);
	ck_assert_ptr_ne(f0, f100);
	ck_assert_uint_eq(f100->key.vlan, 100);
	struct weir_pkt r = pkt4(6, B_IP, A_IP, 80, 1234, T0);
	r.vlan_id = 100;
	ck_assert_ptr_eq(see(ft, &r, &side, &is_new), f100);
	ck_assert_int_eq(side, 1);

	/* ARP: its own family and pseudo protocol. */
	struct weir_pkt arp = pkt4(WEIR_PROTO_ARP, A_IP, B_IP, 0, 0, T0);
	arp.family = WEIR_AF_ARP;
	arp.ip_ver = 0;
	struct weir_flow *fa = see(ft, &arp, &side, &is_new);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_eq(fa->key.family, WEIR_AF_ARP);
	ck_assert_uint_eq(fa->key.proto, WEIR_PROTO_ARP);
	ck_assert_uint_eq(fa->tclass, WEIR_TO_OTHER);
	struct weir_pkt arp_r = pkt4(WEIR_PROTO_ARP, B_IP, A_IP, 0, 0, T0);
	arp_r.family = WEIR_AF_ARP;
	ck_assert_ptr_eq(see(ft, &arp_r, &side, &is_new), fa);
	ck_assert_int_eq(side, 1);

	/* IPv6 with the same leading bytes is yet another flow. */
	struct weir_pkt v6 = pkt4(6, A_IP, B_IP, 1234, 80, T0);
	v6.family = WEIR_AF_INET6;
	ck_assert_ptr_ne(see(ft, &v6, &side, &is_new), f0);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_eq(live(ft), 4);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(icmp_ports_not_endpoint_bound)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	int side, is_new;

	/* From the higher address: addresses are sorted, ports are not. */
	struct weir_pkt req = pkt4(1, B_IP, A_IP, 8, 0, T0);
	struct weir_flow *f = see(ft, &req, &side, &is_new);
	ck_assert_int_eq(side, 1);
	ck_assert_uint_eq(f->key.addr[0][3], 1);
	ck_assert_uint_eq(f->key.port[0], 8);
	ck_assert_uint_eq(f->key.port[1], 0);
	/* The same type/code the other way is the same flow. */
	struct weir_pkt back = pkt4(1, A_IP, B_IP, 8, 0, T0 + MS);
	ck_assert_ptr_eq(see(ft, &back, &side, &is_new), f);
	ck_assert_int_eq(side, 0);
	/* Swapped "ports" are NOT the same flow (they are type/code). */
	struct weir_pkt swapped = pkt4(1, A_IP, B_IP, 0, 8, T0 + MS);
	ck_assert_ptr_ne(see(ft, &swapped, &side, &is_new), f);
	ck_assert_int_eq(is_new, 1);
	/* ICMPv6 alike. */
	struct weir_pkt v6 = pkt4(58, B_IP, A_IP, 128, 0, T0);
	v6.family = WEIR_AF_INET6;
	struct weir_flow *g = see(ft, &v6, &side, &is_new);
	ck_assert_uint_eq(g->key.port[0], 128);
	ck_assert_uint_eq(g->key.port[1], 0);
	ck_assert_int_eq(side, 1);
	ck_assert_uint_eq(g->tclass, WEIR_TO_OTHER);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(idle_expiry_per_class_is_exact)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);

	struct weir_pkt tcp = pkt4(6, A_IP, B_IP, 1000, 80, T0);
	struct weir_pkt udp = pkt4(17, A_IP, B_IP, 1000, 53, T0);
	struct weir_pkt fin = pkt4(6, A_IP, B_IP, 1001, 80, T0);
	struct weir_flow *ft_tcp = see(ft, &tcp, NULL, NULL);
	uint64_t id_tcp = ft_tcp->flow_id;
	uint64_t id_udp = see(ft, &udp, NULL, NULL)->flow_id;
	struct weir_flow *fc = see(ft, &fin, NULL, NULL);
	uint64_t id_fin = fc->flow_id;
	weir_ft_set_class(ft, fc, WEIR_TO_TCP_CLOSED);
	ck_assert_uint_eq(fc->tclass, WEIR_TO_TCP_CLOSED);

	weir_ft_advance(ft, T0 + 5 * S - 1);
	ck_assert_uint_eq(l.n, 0);
	weir_ft_advance(ft, T0 + 5 * S);              /* closed grace: 5 s */
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.ev[0].flow_id, id_fin);
	ck_assert_int_eq(l.ev[0].why, WEIR_END_CLOSED);

	weir_ft_advance(ft, T0 + 60 * S - 1);
	ck_assert_uint_eq(l.n, 1);
	weir_ft_advance(ft, T0 + 60 * S);             /* UDP: 60 s */
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.ev[1].flow_id, id_udp);
	ck_assert_int_eq(l.ev[1].why, WEIR_END_IDLE);

	weir_ft_advance(ft, T0 + 300 * S - 1);
	ck_assert_uint_eq(l.n, 2);
	weir_ft_advance(ft, T0 + 300 * S);            /* TCP: 300 s */
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.ev[2].flow_id, id_tcp);
	ck_assert_int_eq(l.ev[2].why, WEIR_END_IDLE);

	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows_expired, 3);
	ck_assert_uint_eq(st.flows_live, 0);
	/* The tuple comes back as a fresh flow. */
	int is_new;
	see(ft, &tcp, NULL, &is_new);
	ck_assert_int_eq(is_new, 1);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(touch_refiles_the_deadline)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	struct weir_pkt p = pkt4(17, A_IP, B_IP, 1000, 53, T0);
	struct weir_flow *f = see(ft, &p, NULL, NULL);

	/* Advance in engine-like 100 ms steps, touching at 40 s: the entry is
	 * found touched at its first deadline and re-filed, not expired. */
	for (uint64_t t = T0; t < T0 + 100 * S - 1; t += 100 * MS) {
		if (t == T0 + 40 * S)
			weir_ft_touch(f, t);
		weir_ft_advance(ft, t);
	}
	ck_assert_uint_eq(l.n, 0);
	weir_ft_advance(ft, T0 + 100 * S - 1);
	ck_assert_uint_eq(l.n, 0);
	weir_ft_advance(ft, T0 + 100 * S);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.ev[0].last_ns, T0 + 40 * S);
	/* touch never moves time back */
	struct weir_flow g;
	g.last_ns = 10;
	weir_ft_touch(&g, 5);
	ck_assert_uint_eq(g.last_ns, 10);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(class_change_to_closed_expires_at_grace)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	struct weir_pkt p = pkt4(6, A_IP, B_IP, 1000, 80, T0);
	struct weir_flow *f = see(ft, &p, NULL, NULL);

	for (uint64_t t = T0; t <= T0 + 10 * S; t += 100 * MS)
		weir_ft_advance(ft, t);
	/* FIN both ways at 10 s: filed at 300 s before, must go at 15 s. */
	weir_ft_touch(f, T0 + 10 * S);
	weir_ft_set_class(ft, f, WEIR_TO_TCP_CLOSED);
	weir_ft_set_class(ft, f, WEIR_TO_TCP_CLOSED);  /* no-op */
	weir_ft_advance(ft, T0 + 15 * S - 1);
	ck_assert_uint_eq(l.n, 0);
	weir_ft_advance(ft, T0 + 15 * S);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.ev[0].why, WEIR_END_CLOSED);
	/* out-of-range class is ignored */
	struct weir_flow *g = see(ft, &p, NULL, NULL);
	weir_ft_set_class(ft, g, 7);
	ck_assert_uint_eq(g->tclass, WEIR_TO_TCP);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

/* The wheel's chunks at their sparsest: flows filed together (twelve to a
 * chunk), all but one of each twelve closed and expired, so each chunk
 * keeps a single entry; the free places filled the same way round after
 * round until the survivors fill the table, nearly one to a chunk. The
 * pool must hold (one chunk per flow at most), the lists stay
 * consistent, and expiry still finds every flow. */
START_TEST(wheel_chunks_at_their_sparsest)
{
	struct log l;
	log_init(&l, 0);
	const uint32_t cap = 1200;
	struct weir_flowtable *ft = mk(&l, cap, 0);
	uint64_t t = T0;
	uint32_t n = 0, most = 0;

	for (int round = 0; round < 40; round++, t += 6 * S) {
		for (uint32_t i = live(ft); i < cap; i++, n++) {
			struct weir_pkt p = pkt4(6, 0x0a000000u | n, B_IP, (uint16_t)(1024 + n % 50000), 80, t);
			struct weir_flow *f = see(ft, &p, NULL, NULL);
			if (n % 12)
				weir_ft_set_class(ft, f, WEIR_TO_TCP_CLOSED);
		}
		weir_ft_advance(ft, t + 10 * MS);
		check_wheels(ft);
		weir_ft_advance(ft, t + 5 * S + 200 * MS);   /* the closed ones go */
		check_wheels(ft);
		uint32_t used = ft->nchunks - ft->ncfree;
		if (used > most)
			most = used;
	}
	printf("wheel_chunks_at_their_sparsest: at most %u chunks for %u flows\n", most, cap);
	ck_assert_uint_ge(most, cap - cap / 8);   /* the pattern did make them sparse */
	weir_ft_advance(ft, t + 400 * S);
	ck_assert_uint_eq(live(ft), 0);
	ck_assert_uint_eq(check_wheels(ft), 0);
	ck_assert_uint_eq(ft->ncfree, ft->nchunks);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(active_timeout_slices_and_keeps_the_flow)
{
	struct log l;
	log_init(&l, 64);
	struct weir_flowtable *ft = mk(&l, 64, 120 * S);  /* active 120 s */
	struct weir_pkt p = pkt4(6, A_IP, B_IP, 1000, 80, T0);
	struct weir_flow *f = see(ft, &p, NULL, NULL);
	uint64_t id = f->flow_id;

	/* A packet every 10 s for 300 s: never idle, sliced at 120 and 240. */
	for (uint64_t t = T0; t <= T0 + 300 * S; t += 100 * MS) {
		l.now = t;
		p.ts_ns = t;
		if ((t - T0) % (10 * S) == 0)
			ck_assert_ptr_eq(see(ft, &p, NULL, NULL), f);
		weir_ft_advance(ft, t);
	}
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.ev[0].why, WEIR_END_ACTIVE);
	ck_assert_uint_eq(l.ev[0].flow_id, id);
	ck_assert_uint_eq(l.ev[0].first_ns, T0);
	ck_assert_int_eq(l.ev[1].why, WEIR_END_ACTIVE);
	ck_assert_uint_eq(l.ev[1].first_ns, T0 + 120 * S);
	ck_assert_uint_eq(f->first_ns, T0 + 240 * S);
	int is_new;
	see(ft, &p, NULL, &is_new);
	ck_assert_int_eq(is_new, 0);
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.active_slices, 2);
	ck_assert_uint_eq(st.flows_live, 1);
	/* Idle beats active when both are due: one IDLE record. */
	weir_ft_advance(ft, T0 + 2000 * S);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.ev[2].why, WEIR_END_IDLE);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(full_table_evicts_longest_idle)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 4, 0);
	struct weir_pkt a = pkt4(6, A_IP, B_IP, 1, 80, T0 + 1 * S);
	struct weir_pkt b = pkt4(17, A_IP, B_IP, 2, 53, T0 + 2 * S);
	struct weir_pkt c = pkt4(6, A_IP, B_IP, 3, 80, T0 + 3 * S);
	struct weir_pkt d = pkt4(17, A_IP, B_IP, 4, 53, T0 + 4 * S);
	struct weir_flow *fa = see(ft, &a, NULL, NULL);
	struct weir_flow *fb = see(ft, &b, NULL, NULL);
	struct weir_flow *fc = see(ft, &c, NULL, NULL);
	see(ft, &d, NULL, NULL);
	uint64_t id_c = fc->flow_id;
	weir_ft_advance(ft, T0 + 5 * S);
	weir_ft_touch(fa, T0 + 10 * S);   /* created first, but busy */
	weir_ft_touch(fb, T0 + 9 * S);
	/* Longest idle now: c (tcp, last seen at 3 s), not a (oldest filed)
	 * nor d (udp: nearer deadline than c). */
	struct weir_pkt e = pkt4(6, A_IP, B_IP, 5, 80, T0 + 11 * S);
	int is_new;
	see(ft, &e, NULL, &is_new);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.ev[0].why, WEIR_END_EVICTED);
	ck_assert_uint_eq(l.ev[0].flow_id, id_c);
	/* Next one out: d (4 s). */
	struct weir_pkt g = pkt4(6, A_IP, B_IP, 6, 80, T0 + 12 * S);
	see(ft, &g, NULL, NULL);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.ev[1].last_ns, T0 + 4 * S);
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.table_full, 2);
	ck_assert_uint_eq(st.flows_evicted, 2);
	ck_assert_uint_eq(st.flows_live, 4);
	ck_assert_uint_eq(st.capacity, 4);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(close_then_lookup_gives_fresh_entry)
{
	struct log l;
	log_init(&l, 16);
	struct weir_flowtable *ft = mk(&l, 8, 0);
	struct weir_pkt p = pkt4(6, A_IP, B_IP, 1000, 80, T0);
	int is_new;
	struct weir_flow *f = see(ft, &p, NULL, &is_new);
	uint64_t old = f->flow_id;
	weir_ft_close(ft, f, WEIR_END_REUSE);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.ev[0].why, WEIR_END_REUSE);
	ck_assert_uint_eq(l.ev[0].flow_id, old);
	ck_assert_uint_eq(live(ft), 0);
	struct weir_flow *g = see(ft, &p, NULL, &is_new);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_ne(g->flow_id, old);
	/* The closed entry left no wheel timer behind: one expiry only. */
	weir_ft_advance(ft, T0 + 1000 * S);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.ev[1].flow_id, g->flow_id);
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows_closed, 1);
	ck_assert_uint_eq(st.flows_created, 2);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(flush_by_flow_id_and_empties)
{
	struct log l;
	log_init(&l, 64);
	struct weir_flowtable *ft = mk(&l, 32, 0);
	static const uint64_t ids[] = { 50, 7, 33, 2, 41, 19, 8, 1, 25, 3 };
	for (unsigned i = 0; i < 10; i++) {
		struct weir_pkt p = pkt4(17, A_IP, B_IP, (uint16_t)(100 + i), 53, T0 + i);
		int s, n;
		struct weir_flow *f = weir_ft_lookup(ft, &p, &s, &n);
		f->flow_id = ids[i];
	}
	/* a hole in the middle, like a closed flow */
	struct weir_pkt p3 = pkt4(17, A_IP, B_IP, 103, 53, T0);
	int s, n;
	weir_ft_close(ft, weir_ft_lookup(ft, &p3, &s, &n), WEIR_END_REUSE);
	weir_ft_flush(ft);
	ck_assert_uint_eq(l.n, 10);
	static const uint64_t want[] = { 1, 3, 7, 8, 19, 25, 33, 41, 50 };
	for (unsigned i = 0; i < 9; i++) {
		ck_assert_uint_eq(l.ev[1 + i].flow_id, want[i]);
		ck_assert_int_eq(l.ev[1 + i].why, WEIR_END_SHUTDOWN);
	}
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows_live, 0);
	ck_assert_uint_eq(st.flows_flushed, 9);
	/* Nothing left on the wheels, and the table is usable again. */
	weir_ft_advance(ft, T0 + 10000 * S);
	ck_assert_uint_eq(l.n, 10);
	struct weir_pkt q = pkt4(17, A_IP, B_IP, 100, 53, T0 + 10001 * S);
	weir_ft_lookup(ft, &q, &s, &n);
	ck_assert_int_eq(n, 1);
	weir_ft_flush(ft);
	ck_assert_uint_eq(l.n, 11);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

static struct weir_pkt frag(uint32_t id, uint8_t flags, uint16_t sport, uint16_t dport,
			    uint64_t ts)
{
	struct weir_pkt p = pkt4(17, A_IP, B_IP, sport, dport, ts);
	p.frag = (uint8_t)(WEIR_FRAG_IS | flags);
	p.frag_id = id;
	return p;
}

START_TEST(fragments_first_later_last_orphan)
{
	struct log l;
	log_init(&l, 4);
	struct weir_flowtable *ft = mk(&l, 64, 0);
	struct weir_ft_stats st;

	/* not a fragment: untouched */
	struct weir_pkt whole = pkt4(17, A_IP, B_IP, 1, 2, T0);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &whole), 0);
	ck_assert_uint_eq(whole.sport, 1);

	struct weir_pkt f1 = frag(77, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 5353, 53, T0);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &f1), 0);
	struct weir_pkt f2 = frag(77, WEIR_FRAG_MORE, 0, 0, T0 + MS);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &f2), 0);
	ck_assert_uint_eq(f2.sport, 5353);
	ck_assert_uint_eq(f2.dport, 53);
	/* another id, another VLAN: not matched */
	struct weir_pkt other = frag(78, WEIR_FRAG_MORE, 0, 0, T0 + MS);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &other), -1);
	struct weir_pkt vl = frag(77, WEIR_FRAG_MORE, 0, 0, T0 + MS);
	vl.vlan_id = 9;
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &vl), -1);
	/* last fragment resolves and ends the entry */
	struct weir_pkt f3 = frag(77, 0, 0, 0, T0 + 2 * MS);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &f3), 0);
	ck_assert_uint_eq(f3.sport, 5353);
	struct weir_pkt f4 = frag(77, WEIR_FRAG_MORE, 0, 0, T0 + 3 * MS);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &f4), -1);
	/* later fragment before its first: orphan, even when the first follows */
	struct weir_pkt g2 = frag(90, WEIR_FRAG_MORE, 0, 0, T0 + 4 * MS);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &g2), -1);

	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.frag_tracked, 1);
	ck_assert_uint_eq(st.frag_matched, 2);
	ck_assert_uint_eq(st.frag_orphan, 4);

	/* The resolved fragment joins the first fragment's flow. */
	int side, n;
	struct weir_flow *fl = weir_ft_lookup(ft, &f1, &side, &n);
	ck_assert_ptr_eq(weir_ft_lookup(ft, &f2, &side, &n), fl);
	ck_assert_int_eq(n, 0);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(fragments_timeout_and_full_table)
{
	struct log l;
	log_init(&l, 4);
	struct weir_ft_config cfg;
	char err[160];
	weir_ft_config_defaults(&cfg);
	cfg.max_frags = 2;
	cfg.frag_timeout_ns = 30 * S;
	struct weir_flowtable *ft = weir_ft_create(&cfg, on_emit, &l, err, sizeof(err));
	ck_assert_ptr_nonnull(ft);
	struct weir_ft_stats st;

	struct weir_pkt a = frag(1, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 11, 1, T0);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &a), 0);
	struct weir_pkt late = frag(1, WEIR_FRAG_MORE, 0, 0, T0 + 30 * S - 1);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &late), 0);
	struct weir_pkt too_late = frag(1, 0, 0, 0, T0 + 30 * S);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &too_late), -1);

	/* Full: three firsts in a two-entry table; the oldest is replaced. */
	struct weir_pkt b = frag(2, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 22, 2, T0 + 40 * S);
	struct weir_pkt c = frag(3, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 33, 3, T0 + 41 * S);
	struct weir_pkt d = frag(4, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 44, 4, T0 + 42 * S);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &b), 0);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &c), 0);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &d), 0);
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.frag_table_full, 1);
	struct weir_pkt b2 = frag(2, 0, 0, 0, T0 + 43 * S);
	struct weir_pkt c2 = frag(3, 0, 0, 0, T0 + 43 * S);
	struct weir_pkt d2 = frag(4, 0, 0, 0, T0 + 43 * S);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &b2), -1);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &c2), 0);
	ck_assert_uint_eq(c2.sport, 33);
	ck_assert_int_eq(weir_ft_frag_resolve(ft, &d2), 0);
	ck_assert_uint_eq(d2.sport, 44);
	/* Expired entries free their places without counting "full". */
	struct weir_pkt e = frag(5, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 55, 5, T0 + 100 * S);
	struct weir_pkt f = frag(6, WEIR_FRAG_FIRST | WEIR_FRAG_MORE, 66, 6, T0 + 100 * S);
	weir_ft_frag_resolve(ft, &e);
	weir_ft_frag_resolve(ft, &f);
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.frag_table_full, 1);
	ck_assert_uint_eq(st.frag_orphan, 2);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

START_TEST(bad_config_is_refused)
{
	struct weir_ft_config cfg;
	char err[160] = "";
	struct log l;
	log_init(&l, 1);
	weir_ft_config_defaults(&cfg);
	cfg.max_flows = 0;
	ck_assert_ptr_null(weir_ft_create(&cfg, on_emit, &l, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "max_flows"));
	weir_ft_config_defaults(&cfg);
	cfg.timeout_ns[WEIR_TO_TCP_CLOSED] = 0;
	ck_assert_ptr_null(weir_ft_create(&cfg, on_emit, &l, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "tcp-closed timeout"));
	weir_ft_config_defaults(&cfg);
	ck_assert_ptr_null(weir_ft_create(&cfg, NULL, &l, err, sizeof(err)));
	log_free(&l);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;
	/* CPU time of this thread: the build machine is shared, and wall
	 * time would count the time other processes had the core. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* White-box: squeeze the index to 1 or 2 buckets (8/16 slots + the 32-entry
 * stash) under 64 flows, so cuckoo displacement, the stash and the
 * index-overflow eviction all run; every live flow must stay findable and
 * every flow that leaves must be emitted exactly once. */
START_TEST(index_overflow_paths)
{
	for (uint32_t bm = 0; bm < 2; bm++) {
		struct log l;
		log_init(&l, 4096);
		struct weir_flowtable *ft = mk(&l, 64, 0);
		ft->bmask = bm;
		uint64_t t = T0;
		for (uint32_t round = 0; round < 20; round++) {
			for (uint32_t i = 0; i < 64; i++) {
				struct weir_pkt p = pkt4(17, A_IP, B_IP, (uint16_t)(round * 64 + i), 53, t);
				see(ft, &p, NULL, NULL);
				t += MS;
			}
			/* every live flow is found again, not re-created */
			struct weir_ft_stats st;
			weir_ft_get_stats(ft, &st);
			uint64_t created = st.flows_created;
			for (uint32_t i = 0; i < 64; i++) {
				struct weir_pkt p = pkt4(17, A_IP, B_IP, (uint16_t)(round * 64 + i), 53, t);
				int s, n;
				struct weir_flow *f = weir_ft_lookup(ft, &p, &s, &n);
				if (n) {   /* was pushed out: comes back as a new flow */
					f->flow_id = ++next_id;
					created++;
				}
				ck_assert_uint_eq(f->key.port[0], round * 64 + i);
				ck_assert_uint_eq(f->key.port[1], 53);
			}
			weir_ft_get_stats(ft, &st);
			ck_assert_uint_eq(st.flows_created, created);
			ck_assert_uint_le(st.flows_live, 64);
			ck_assert_uint_eq(st.flows_created, st.flows_expired + st.flows_evicted +
					  st.flows_live);
			ck_assert_uint_eq(st.flows_evicted, l.by_why[WEIR_END_EVICTED]);
		}
		struct weir_ft_stats st;
		weir_ft_get_stats(ft, &st);
		ck_assert_uint_gt(st.index_stash, 0);
		weir_ft_flush(ft);
		weir_ft_get_stats(ft, &st);
		ck_assert_uint_eq(st.flows_created, st.flows_evicted + st.flows_flushed);
		printf("index squeezed to %u bucket(s): %llu flows, %llu stash inserts, %llu evicted\n",
		       bm + 1, (unsigned long long)st.flows_created,
		       (unsigned long long)st.index_stash, (unsigned long long)st.flows_evicted);
		weir_ft_free(ft);
		log_free(&l);
	}
}
END_TEST

/* ---- random traffic: invariants, determinism, eviction accuracy ------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13; x ^= x >> 7; x ^= x << 17;
	return rng_state = x;
}

struct run_result {
	uint64_t created, emitted_final, live_max, advances;
	double advance_s;    /* CPU time spent in weir_ft_advance */
	uint64_t digest;     /* over the emitted (flow_id, reason) sequence */
};

/* `nflows` new flows over a table of `cap`; roughly one packet in two
 * starts a flow, the rest revisit one of the last `pool` flows. Time moves
 * 1 ms per packet and the wheel is run every 100 ms, like the engine. */
static void random_run(struct log *l, uint32_t cap, uint64_t nflows, uint32_t pool,
		       uint64_t seed, uint64_t hash_seed, struct run_result *rr)
{
	struct weir_ft_config cfg;
	char err[160];
	weir_ft_config_defaults(&cfg);
	cfg.max_flows = cap;
	cfg.hash_seed = hash_seed;
	cfg.active_timeout_ns = 90 * S;
	struct weir_flowtable *ft = weir_ft_create(&cfg, on_emit, l, err, sizeof(err));
	ck_assert_msg(ft != NULL, "%s", err);
	l->ft = ft;
	uint32_t *recent = calloc(pool, sizeof(uint32_t));
	ck_assert_ptr_nonnull(recent);
	uint64_t t = T0, created = 0, ids = 0, next_tick = T0;
	memset(rr, 0, sizeof(*rr));
	rng_state = seed;
	while (created < nflows) {
		struct weir_pkt p;
		uint32_t n;
		int fresh = created < pool || (rnd() & 1);
		if (fresh)
			n = (uint32_t)created;
		else
			n = recent[rnd() % pool];
		/* flow n: deterministic 5-tuple, class from n */
		unsigned proto = (n % 5 == 0) ? 17 : 6;
		p = pkt4(proto, 0x0a000000u | (n & 0xffffff), 0xc0a80000u | ((n * 7919u) & 0xffff),
			 (uint16_t)(1024 + (n >> 8)), (uint16_t)(n % 3 ? 80 : 443), t);
		if (rnd() & 1) {  /* either direction */
			struct weir_pkt r = p;
			memcpy(r.src, p.dst, 16); memcpy(r.dst, p.src, 16);
			r.sport = p.dport; r.dport = p.sport;
			p = r;
		}
		int side, is_new;
		struct weir_flow *f = weir_ft_lookup(ft, &p, &side, &is_new);
		if (is_new) {
			f->flow_id = ++ids;
			created++;
		} else {
			ck_assert_uint_eq(f->key.proto, proto);
		}
		if (fresh)
			recent[created % pool] = n;
		weir_ft_touch(f, t);
		if (proto == 6 && !is_new && (rnd() % 16) == 0)
			weir_ft_set_class(ft, f, WEIR_TO_TCP_CLOSED);
		t += MS;
		l->now = t;
		if (t >= next_tick) {
			double a0 = now_s();
			weir_ft_advance(ft, t);
			rr->advance_s += now_s() - a0;
			rr->advances++;
			next_tick = t + 100 * MS;
		}
		if ((created & 0xffff) == 0 || created == nflows) {
			struct weir_ft_stats st;
			weir_ft_get_stats(ft, &st);
			uint64_t gone = st.flows_expired + st.flows_evicted + st.flows_closed +
					st.flows_flushed;
			ck_assert_uint_eq(st.flows_created, created);
			ck_assert_uint_eq(st.flows_created, gone + st.flows_live);
			ck_assert_uint_le(st.flows_live, cap);
			ck_assert_uint_eq(gone, l->by_why[WEIR_END_IDLE] + l->by_why[WEIR_END_CLOSED] +
					  l->by_why[WEIR_END_EVICTED]);
			if (st.flows_live > rr->live_max)
				rr->live_max = st.flows_live;
			if (cap <= 65536)
				check_wheels(ft);
		}
	}
	weir_ft_flush(ft);
	struct weir_ft_stats st;
	weir_ft_get_stats(ft, &st);
	ck_assert_uint_eq(st.flows_live, 0);
	ck_assert_uint_eq(st.flows_created, st.flows_expired + st.flows_evicted + st.flows_flushed);
	/* At <= 50% slot load the cuckoo index never needed its stash. */
	ck_assert_uint_eq(st.index_stash, 0);
	rr->created = st.flows_created;
	rr->emitted_final = st.flows_expired + st.flows_evicted + st.flows_flushed;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < l->n; i++)
		h = (h ^ (l->ev[i].flow_id * 8 + l->ev[i].why)) * 1099511628211ull;
	rr->digest = h;
	free(recent);
	l->ft = NULL;
	weir_ft_free(ft);
}

START_TEST(stress_one_million_flows)
{
	struct log l;
	log_init(&l, 0);
	struct run_result rr;
	clock_t c0 = clock();
	random_run(&l, 1u << 17, 1000000, 50000, 42, 7, &rr);
	double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	ck_assert_uint_eq(rr.created, 1000000);
	ck_assert_uint_eq(rr.emitted_final, rr.created);
	ck_assert_uint_eq(l.by_why[WEIR_END_IDLE] + l.by_why[WEIR_END_CLOSED] +
			  l.by_why[WEIR_END_EVICTED] + l.by_why[WEIR_END_SHUTDOWN], rr.created);
	ck_assert_uint_gt(l.by_why[WEIR_END_EVICTED], 0);   /* the table did fill */
	ck_assert_uint_gt(l.by_why[WEIR_END_IDLE], 0);
	ck_assert_uint_gt(l.by_why[WEIR_END_CLOSED], 0);
	printf("stress: 1M flows through a %u-entry table in %.2f s cpu (%llu advance calls, "
	       "%.1f us each): idle %llu closed %llu "
	       "active %llu evicted %llu shutdown %llu, max live %llu\n", 1u << 17, secs,
	       (unsigned long long)rr.advances, rr.advance_s / (double)rr.advances * 1e6,
	       (unsigned long long)l.by_why[WEIR_END_IDLE], (unsigned long long)l.by_why[WEIR_END_CLOSED],
	       (unsigned long long)l.by_why[WEIR_END_ACTIVE], (unsigned long long)l.by_why[WEIR_END_EVICTED],
	       (unsigned long long)l.by_why[WEIR_END_SHUTDOWN], (unsigned long long)rr.live_max);
	log_free(&l);
}
END_TEST

START_TEST(output_independent_of_hash_seed)
{
	/* Same input, different per-run hash seeds: identical emit sequence,
	 * evictions included (the victim choice must not depend on the hash). */
	struct log l1, l2;
	struct run_result r1, r2;
	log_init(&l1, 400000);
	log_init(&l2, 400000);
	random_run(&l1, 4096, 100000, 8000, 99, 1, &r1);
	random_run(&l2, 4096, 100000, 8000, 99, 0xfeedfacecafebeefull, &r2);
	ck_assert_uint_gt(l1.by_why[WEIR_END_EVICTED], 0);
	ck_assert_uint_eq(l1.n, l2.n);
	ck_assert_uint_eq(r1.digest, r2.digest);
	for (size_t i = 0; i < l1.n; i++) {
		ck_assert_uint_eq(l1.ev[i].flow_id, l2.ev[i].flow_id);
		ck_assert_int_eq(l1.ev[i].why, l2.ev[i].why);
	}
	log_free(&l1);
	log_free(&l2);
}
END_TEST

START_TEST(eviction_accuracy)
{
	/* Every 16th eviction is compared with the exact longest-idle flow
	 * (a full scan). Documented bound: one wheel slot (2^27 ns). */
	struct log l;
	struct run_result rr;
	log_init(&l, 0);
	l.check_evict_every = 16;
	random_run(&l, 8192, 200000, 20000, 5, 3, &rr);
	ck_assert_uint_gt(l.evict_checks, 100);
	printf("eviction accuracy: %llu checks of %llu evictions, error max %.3f ms, mean %.3f ms\n",
	       (unsigned long long)l.evict_checks, (unsigned long long)l.evicts_seen,
	       (double)l.evict_err_max / 1e6, (double)l.evict_err_sum / 1e6 / (double)l.evict_checks);
	ck_assert_uint_le(l.evict_err_max, 1ull << 27);
	log_free(&l);
}
END_TEST

/* ---- micro-benchmark (printed only) ------------------------------------ */

static struct weir_pkt bench_pkt(uint32_t i)
{
	return pkt4(6, 0x0a000000u | (i & 0xffffff), 0xc0a80001u | (i >> 24 << 8),
		    (uint16_t)(1024 + (i & 0x7fff)), 443, T0);
}

/* The burst path's prefetch names each packet's entry from the tags of its
 * primary bucket (a hint the lookup checks, so a wrong one would only cost
 * time): every flow of a 38 %-loaded table gets a hint from both
 * directions, the same one, no two flows the same, and a key not in the
 * table none. */
START_TEST(prefetch_hints_name_the_flow)
{
	struct log l;
	log_init(&l, 0);
	const uint32_t nfl = 50000;
	struct weir_flowtable *ft = mk(&l, 65536, 0);
	uint32_t *owner = malloc(65536 * sizeof(uint32_t));
	ck_assert_ptr_nonnull(owner);
	memset(owner, 0xff, 65536 * sizeof(uint32_t));
	struct weir_flow *base = NULL;
	for (uint32_t i = 0; i < nfl; i++) {
		struct weir_pkt p = bench_pkt(i);
		struct weir_flow *f = see(ft, &p, NULL, NULL);
		if (i == 0)
			base = f;   /* a fresh table hands out entries 0, 1, 2... */
	}
	uint32_t hinted = 0, absent_hinted = 0;
	for (uint32_t i = 0; i < nfl; i++) {
		struct weir_pkt p = bench_pkt(i), r = p;
		memcpy(r.src, p.dst, 16); memcpy(r.dst, p.src, 16);
		r.sport = p.dport; r.dport = p.sport;
		struct weir_ft_hkey a, b;
		weir_ft_hash(ft, &p, &a);
		weir_ft_prefetch_flow(ft, &a, 0);
		weir_ft_hash(ft, &r, &b);
		weir_ft_prefetch_flow(ft, &b, 0);
		ck_assert_uint_eq(a.hint, b.hint);
		if (a.hint == UINT32_MAX)
			continue;
		ck_assert_uint_lt(a.hint, 65536);
		ck_assert_msg(owner[a.hint] == UINT32_MAX, "flows %u and %u share hint %u",
			      owner[a.hint], i, a.hint);
		owner[a.hint] = i;
		hinted++;
		int is_new;
		struct weir_flow *f = weir_ft_lookup_hkey(ft, &a, 6, T0, &is_new);
		ck_assert_int_eq(is_new, 0);
		ck_assert_uint_eq(f->key.port[0], p.sport);
		ck_assert_uint_eq((uint32_t)(f - base), a.hint);
		struct weir_pkt q = bench_pkt(nfl + i);
		weir_ft_hash(ft, &q, &a);
		weir_ft_prefetch_flow(ft, &a, 0);
		absent_hinted += a.hint != UINT32_MAX;
	}
	printf("prefetch_hints_name_the_flow: %u of %u flows hinted\n", hinted, nfl);
	ck_assert_uint_ge(hinted, nfl - nfl / 100);
	ck_assert_uint_eq(absent_hinted, 0);
	free(owner);
	weir_ft_free(ft);
	log_free(&l);
}
END_TEST

/* Random-order hits on a full table of nfl flows, in bursts of 32 with and
 * without prefetching 8 ahead (as a DPDK worker would); then new flows into
 * the full table, each evicting one. Best of three runs each. */
static void bench_table(uint32_t nfl)
{
	struct log l;
	log_init(&l, 0);
	struct weir_ft_config cfg;
	char err[160];
	weir_ft_config_defaults(&cfg);
	cfg.max_flows = nfl;
	cfg.hash_seed = 12345;
	struct weir_flowtable *ft = weir_ft_create(&cfg, on_emit, &l, err, sizeof(err));
	ck_assert_msg(ft != NULL, "%s", err);
	struct weir_pkt pk[32];
	uint32_t *order = malloc(sizeof(uint32_t) * nfl);
	ck_assert_ptr_nonnull(order);
	rng_state = 77;
	for (uint32_t i = 0; i < nfl; i++) {
		struct weir_pkt p = bench_pkt(i);
		int s, n;
		weir_ft_lookup(ft, &p, &s, &n);
		order[i] = i;
	}
	for (uint32_t i = nfl - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd() % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	const uint64_t nlook = 2u << 20;
	uint64_t sink = 0, k0 = 0;
	double best[2] = { 0, 0 };
	for (int rep = 0; rep < 6; rep++) {
		int pf = rep & 1;
		double t0 = now_s();
		for (uint64_t k = k0; k < k0 + nlook; k += 32) {
			for (int b = 0; b < 32; b++)
				pk[b] = bench_pkt(order[(k + (uint64_t)b) % nfl]);
			for (int b = 0; b < 32; b++) {
				if (pf && b + 8 < 32) {
					struct weir_ft_hkey hk;
					weir_ft_hash(ft, &pk[b + 8], &hk);
					weir_ft_prefetch_index(ft, &hk);
				}
				int s, n;
				struct weir_flow *f = weir_ft_lookup(ft, &pk[b], &s, &n);
				sink += f->key.port[0] + (uint64_t)n;
			}
		}
		k0 += nlook;
		double rate = (double)nlook / (now_s() - t0);
		if (rate > best[pf])
			best[pf] = rate;
	}
	/* Full table: every new flow evicts the longest idle one. Time moves
	 * 1 us per flow so the victims are found across the wheel. */
	double ins_best = 0;
	uint32_t next = nfl;
	for (int rep = 0; rep < 3; rep++) {
		const uint32_t nins = 1u << 18;
		double t0 = now_s();
		for (uint32_t i = 0; i < nins; i++, next++) {
			struct weir_pkt p = bench_pkt(next);
			p.ts_ns = T0 + (uint64_t)next * 1000;
			int s, n;
			struct weir_flow *f = weir_ft_lookup(ft, &p, &s, &n);
			weir_ft_touch(f, p.ts_ns);
			if ((next & 0xffff) == 0)   /* every ~65 ms, like the engine */
				weir_ft_advance(ft, p.ts_ns);
		}
		double rate = (double)nins / (now_s() - t0);
		if (rate > ins_best)
			ins_best = rate;
	}
	ck_assert_uint_gt(l.by_why[WEIR_END_EVICTED], 0);
	printf("bench: %u flows (%.1f MiB table): random hits %.2f M lookups/s, %.2f M/s with "
	       "prefetch; new flows into the full table (each evicting) %.2f M/s (sink %llu)\n",
	       nfl, (double)weir_ft_mem_bytes(ft) / 1048576.0, best[0] / 1e6, best[1] / 1e6,
	       ins_best / 1e6, (unsigned long long)(sink & 1));
	free(order);
	weir_ft_free(ft);
	log_free(&l);
}

START_TEST(benchmark_lookups)
{
	bench_table(1u << 16);
	bench_table(getenv("WEIR_FT_BENCH_FLOWS") ?
		    (uint32_t)strtoul(getenv("WEIR_FT_BENCH_FLOWS"), NULL, 0) : (1u << 20));

	/* Hash cost on the 44-byte key, best of five. */
	struct weir_sipkey key = weir_sipkey_from_seed(1);
	struct weir_flow_key fk;
	uint64_t sink = 0;
	memset(&fk, 0, sizeof(fk));
	const int nh = 1 << 22;
	double hs[3] = { 1e9, 1e9, 1e9 };
	for (int rep = 0; rep < 15; rep++) {
		int which = rep % 3;
		double t0 = now_s();
		for (int i = 0; i < nh; i++) {
			fk.port[0] = (uint16_t)i;
			fk.addr[0][3] = (uint8_t)(i >> 16);
			uint64_t h = which == 0 ? weir_siphash(&key, &fk, sizeof(fk), 1, 3) :
				     which == 1 ? weir_siphash(&key, &fk, sizeof(fk), 2, 4) :
						  weir_hash_mx(&key, &fk, sizeof(fk));
			sink += h;
		}
		double ns = (now_s() - t0) / nh * 1e9;
		if (ns < hs[which])
			hs[which] = ns;
	}
	printf("bench: hash of the 44-byte key: siphash-1-3 %.1f ns, siphash-2-4 %.1f ns, "
	       "keyed multiply-xor %.1f ns (sink %llu)\n", hs[0], hs[1], hs[2],
	       (unsigned long long)(sink & 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowtable");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, aeshash_spreads_and_depends_on_key);
	tcase_add_test(tc, aes_and_siphash_tables_agree);
	tcase_add_test(tc, both_directions_one_flow_with_sides);
	tcase_add_test(tc, vlan_and_family_separate_flows);
	tcase_add_test(tc, icmp_ports_not_endpoint_bound);
	tcase_add_test(tc, idle_expiry_per_class_is_exact);
	tcase_add_test(tc, touch_refiles_the_deadline);
	tcase_add_test(tc, class_change_to_closed_expires_at_grace);
	tcase_add_test(tc, wheel_chunks_at_their_sparsest);
	tcase_add_test(tc, active_timeout_slices_and_keeps_the_flow);
	tcase_add_test(tc, full_table_evicts_longest_idle);
	tcase_add_test(tc, close_then_lookup_gives_fresh_entry);
	tcase_add_test(tc, flush_by_flow_id_and_empties);
	tcase_add_test(tc, fragments_first_later_last_orphan);
	tcase_add_test(tc, fragments_timeout_and_full_table);
	tcase_add_test(tc, bad_config_is_refused);
	tcase_add_test(tc, index_overflow_paths);
	tcase_add_test(tc, stress_one_million_flows);
	tcase_add_test(tc, prefetch_hints_name_the_flow);
	tcase_add_test(tc, output_independent_of_hash_seed);
	tcase_add_test(tc, eviction_accuracy);
	tcase_add_test(tc, benchmark_lookups);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
