/* Flow table: canonical keys, the bucketised cuckoo index, entry lifecycle
 * (create, close, evict, flush) and the memory layout. The timer wheel is in
 * flowtable_wheel.c, fragment tracking in flowtable_frag.c; the design and
 * its measurements are in doc/flowtable.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "flowtable_int.h"

#define NS 1000000000ull
#define HUGEPAGE (2u << 20)

void weir_ft_config_defaults(struct weir_ft_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 1u << 16;
	cfg->timeout_ns[WEIR_TO_TCP] = 300 * NS;
	cfg->timeout_ns[WEIR_TO_TCP_CLOSED] = 5 * NS;
	cfg->timeout_ns[WEIR_TO_OTHER] = 60 * NS;
	cfg->active_timeout_ns = 1800 * NS;
	cfg->max_frags = 4096;
	cfg->frag_timeout_ns = 30 * NS;
	cfg->prefault = 1;
}

static uint32_t next_pow2(uint64_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* ---- canonical key ---------------------------------------------------- */

static int is_icmp(unsigned proto)
{
	return proto == 1 || proto == 58;
}

/* memcmp's order (big-endian words), without the call. Which of two
 * addresses is lower is a coin toss per packet: the result is computed,
 * not branched on (a branch mispredicted on half the packets). */
static int addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = weir_load_le64(a), y = weir_load_le64(b);

	if (x == y) {   /* IPv4 addresses differ in the first word */
		x = weir_load_le64(a + 8);
		y = weir_load_le64(b + 8);
	}
	x = __builtin_bswap64(x);
	y = __builtin_bswap64(y);
	return (x > y) - (x < y);
}

/* Sort the endpoints so both directions build the same key: A is the lower
 * (address, port). ICMP "ports" are type/code and id, not endpoint-bound,
 * so only the addresses are sorted and the ports stay as the packet has
 * them (engine.c's fill_identity relies on that). */
static void make_key(const struct weir_pkt *p, struct weir_flow_key *k, int *side)
{
	int c = addr_cmp(p->src, p->dst);
	int icmp = is_icmp(p->proto);

	memset(k->pad, 0, sizeof(k->pad));
	if (c == 0 && !icmp)
		c = (p->sport > p->dport) - (p->sport < p->dport);
	/* Selected by masks, not branched on: the side is as random as the
	 * packet's direction (a branch here mispredicted on ~43 % of the bench
	 * mix's packets, callgrind), and gcc turns plain conditionals back
	 * into one. */
	int swap = c > 0;
	uint32_t pm = -(uint32_t)(swap & !icmp);
	uint32_t ports = (uint32_t)p->sport | (uint32_t)p->dport << 16;
	uint32_t crossed = ports >> 16 | ports << 16;
	ports ^= (ports ^ crossed) & pm;
	memcpy(k->port, &ports, 4);
#if defined(__SSE2__)
	__m128i m = _mm_set1_epi32(-swap);
	__m128i s = _mm_loadu_si128((const __m128i *)p->src);
	__m128i d = _mm_loadu_si128((const __m128i *)p->dst);
	__m128i x = _mm_and_si128(_mm_xor_si128(s, d), m);
	_mm_storeu_si128((__m128i *)k->addr[0], _mm_xor_si128(s, x));
	_mm_storeu_si128((__m128i *)k->addr[1], _mm_xor_si128(d, x));
#else
	memcpy(k->addr[0], swap ? p->dst : p->src, 16);
	memcpy(k->addr[1], swap ? p->src : p->dst, 16);
#endif
	*side = swap;
	k->proto = p->proto;
	k->vlan = p->vlan_id;
	k->family = p->family;
}

_Static_assert(sizeof(struct weir_flow_key) == 44, "key_eq compares 44 bytes");

#if defined(__SSE2__)
/* 44 bytes as three 16-byte compares (the last overlapping the second):
 * 13 instructions against the word loop's ~35, and every packet's lookup
 * runs one (callgrind). */
static int key_eq(const struct weir_flow_key *a, const struct weir_flow_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	__m128i e0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)x),
				    _mm_loadu_si128((const __m128i *)y));
	__m128i e1 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(x + 16)),
				    _mm_loadu_si128((const __m128i *)(y + 16)));
	__m128i e2 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(x + 28)),
				    _mm_loadu_si128((const __m128i *)(y + 28)));
	return _mm_movemask_epi8(_mm_and_si128(_mm_and_si128(e0, e1), e2)) == 0xffff;
}
#else
static int key_eq(const struct weir_flow_key *a, const struct weir_flow_key *b)
{
	/* 44 bytes: five 8-byte words and one 4-byte word, no memcmp call. */
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	uint64_t d = 0, u, v;
	uint32_t s, t;

	for (int i = 0; i < 5; i++) {
		memcpy(&u, x + 8 * i, 8);
		memcpy(&v, y + 8 * i, 8);
		d |= u ^ v;
	}
	memcpy(&s, x + 40, 4);
	memcpy(&t, y + 40, 4);
	return d == 0 && s == t;
}
#endif

/* An IPv4 key is 16 meaningful bytes of the 44: hashing only those is a
 * third of SipHash's cost, and fits one AES block where the CPU has AES-NI
 * (hash_aes.c: a tenth). The short form has its own length (SipHash) or
 * its own function (AES), so it cannot be confused with a full key's. */
static int v4_shaped(const struct weir_flow_key *k)
{
	uint64_t hi = 0;

	for (int a = 0; a < 2; a++)
		for (int i = 4; i < 16; i += 4) {
			uint32_t w;
			memcpy(&w, &k->addr[a][i], 4);
			hi |= w;
		}
	return hi == 0;
}

static uint64_t key_hash(const struct weir_flowtable *ft, const struct weir_flow_key *k)
{
	uint32_t a0, a1, ports;

	/* The decoder zeroes an IPv4 address's last 12 bytes. */
	if (k->family != WEIR_AF_INET && !v4_shaped(k))
		return weir_siphash13(&ft->sipkey, k, sizeof(*k));
	memcpy(&a0, k->addr[0], 4);
	memcpy(&a1, k->addr[1], 4);
	memcpy(&ports, k->port, 4);
	/* proto is < 256 on every key (IP protocol numbers). */
	uint64_t m0 = a0 | (uint64_t)a1 << 32;
	uint64_t m1 = ports | (uint64_t)(uint8_t)k->proto << 32 |
		      (uint64_t)k->family << 40 | (uint64_t)k->vlan << 48;
	if (ft->aes)
		return weir_aeshash16(&ft->aeskey, m0, m1);
	return weir_siphash13_16(&ft->sipkey, m0, m1);
}

const char *weir_ft_hash_name(const struct weir_flowtable *ft)
{
	return ft->aes ? "aes4 (IPv4), siphash-1-3 (IPv6)" : "siphash-1-3";
}

/* ---- index ------------------------------------------------------------ */

/* Never 0: an empty slot's tag is, so a tag match needs no emptiness
 * test. */
static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1u;
}

/* The alternative bucket depends only on the tag, so a slot can be moved
 * to its other bucket without reading the entry (or its stored hash). */
static uint32_t alt_bucket(const struct weir_flowtable *ft, uint32_t b, uint32_t tag)
{
	return (b ^ (((tag * 0x9e3779b1u) >> 7) | 1u)) & ft->bmask;
}

/* The slots of a bucket holding `tag`, as bit i for slot i; tag 0 gives
 * the empty slots. Where a flow sits in its bucket, and which slots are
 * free, is random, so a loop over the slots mispredicts its exit about
 * once a bucket; compared all at once there is one branch on the result,
 * nearly always the same way. */
#if defined(__SSE2__)
_Static_assert(sizeof(struct weir_ft_slot) == 8 && WEIR_FT_WAYS == 8,
	       "tag_mask: 8 slots of (tag, idx1)");
static inline unsigned tag_mask(const struct weir_ft_bucket *bk, uint32_t tag)
{
	const __m128 *v = (const __m128 *)bk->s;
	__m128i t = _mm_set1_epi32((int)tag);
	/* the tags are the even 32-bit lanes */
	__m128i lo = _mm_castps_si128(_mm_shuffle_ps(v[0], v[1], _MM_SHUFFLE(2, 0, 2, 0)));
	__m128i hi = _mm_castps_si128(_mm_shuffle_ps(v[2], v[3], _MM_SHUFFLE(2, 0, 2, 0)));
	__m128i eq = _mm_packs_epi32(_mm_cmpeq_epi32(lo, t), _mm_cmpeq_epi32(hi, t));
	return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
}
#else
static inline unsigned tag_mask(const struct weir_ft_bucket *bk, uint32_t tag)
{
	unsigned m = 0;
	for (int i = 0; i < WEIR_FT_WAYS; i++)
		m |= (unsigned)(bk->s[i].tag == tag) << i;
	return m;
}
#endif

static int first_tag_match(const struct weir_ft_bucket *bk, uint32_t tag)
{
	unsigned m = tag_mask(bk, tag);
	return m ? __builtin_ctz(m) : -1;
}

static int bucket_free_slot(const struct weir_ft_bucket *bk)
{
	return first_tag_match(bk, 0);
}

static uint32_t index_find(const struct weir_flowtable *ft,
			   const struct weir_flow_key *k, uint64_t h)
{
	uint32_t tag = tag_of(h);
	uint32_t b = (uint32_t)h & ft->bmask;

	for (int pass = 0; pass < 2; pass++) {
		const struct weir_ft_bucket *bk = &ft->buckets[b];
		for (unsigned m = tag_mask(bk, tag); m; m &= m - 1) {
			uint32_t e = bk->s[__builtin_ctz(m)].idx1;
			if (key_eq(&ft->flows[e - 1].key, k))
				return e - 1;
		}
		b = alt_bucket(ft, b, tag);
	}
	for (uint32_t i = 0; i < ft->nstash; i++) {
		uint32_t e = ft->stash[i].idx1;
		if (ft->stash[i].tag == tag && key_eq(&ft->flows[e - 1].key, k))
			return e - 1;
	}
	return WEIR_FT_NIL;
}

static int place_in(struct weir_flowtable *ft, uint32_t b, struct weir_ft_slot s)
{
	int i = bucket_free_slot(&ft->buckets[b]);
	if (i < 0)
		return 0;
	ft->buckets[b].s[i] = s;
	return 1;
}

/* Returns the slot that could not be placed (idx1 == 0 when all went in). */
static struct weir_ft_slot index_insert(struct weir_flowtable *ft, uint32_t idx, uint64_t h)
{
	struct weir_ft_slot cur = { tag_of(h), idx + 1 };
	uint32_t b = (uint32_t)h & ft->bmask;

	if (place_in(ft, b, cur) || place_in(ft, alt_bucket(ft, b, cur.tag), cur))
		return (struct weir_ft_slot){ 0, 0 };
	for (int kick = 0; kick < WEIR_FT_MAX_KICKS; kick++) {
		struct weir_ft_bucket *bk = &ft->buckets[b];
		/* One step of look-ahead: a resident whose other bucket has room. */
		for (int i = 0; i < WEIR_FT_WAYS; i++) {
			uint32_t ab = alt_bucket(ft, b, bk->s[i].tag);
			if (place_in(ft, ab, bk->s[i])) {
				bk->s[i] = cur;
				return (struct weir_ft_slot){ 0, 0 };
			}
		}
		/* Otherwise displace a resident (rotating choice) and carry it on. */
		int v = (int)(ft->kick++ % WEIR_FT_WAYS);
		struct weir_ft_slot victim = bk->s[v];
		bk->s[v] = cur;
		cur = victim;
		b = alt_bucket(ft, b, cur.tag);
		if (place_in(ft, b, cur))
			return (struct weir_ft_slot){ 0, 0 };
	}
	if (ft->nstash < WEIR_FT_STASH) {
		ft->stash[ft->nstash++] = cur;
		ft->st.index_stash++;
		return (struct weir_ft_slot){ 0, 0 };
	}
	return cur;
}

/* A freed slot may let a stashed entry move back into its buckets. */
static void stash_drain(struct weir_flowtable *ft)
{
	for (uint32_t i = 0; i < ft->nstash;) {
		struct weir_ft_slot s = ft->stash[i];
		uint32_t b = (uint32_t)ft->meta[s.idx1 - 1].hash & ft->bmask;
		if (place_in(ft, b, s) || place_in(ft, alt_bucket(ft, b, s.tag), s))
			ft->stash[i] = ft->stash[--ft->nstash];
		else
			i++;
	}
}

static void index_delete(struct weir_flowtable *ft, uint32_t idx)
{
	uint64_t h = ft->meta[idx].hash;
	uint32_t b = (uint32_t)h & ft->bmask;

	for (int pass = 0; pass < 2; pass++) {
		struct weir_ft_bucket *bk = &ft->buckets[b];
		for (int i = 0; i < WEIR_FT_WAYS; i++) {
			if (bk->s[i].idx1 == idx + 1) {
				bk->s[i].idx1 = 0;
				bk->s[i].tag = 0;
				if (ft->nstash)
					stash_drain(ft);
				return;
			}
		}
		b = alt_bucket(ft, b, tag_of(h));
	}
	for (uint32_t i = 0; i < ft->nstash; i++) {
		if (ft->stash[i].idx1 == idx + 1) {
			ft->stash[i] = ft->stash[--ft->nstash];
			return;
		}
	}
}

/* ---- entries ---------------------------------------------------------- */

void weir_ft_remove(struct weir_flowtable *ft, uint32_t idx)
{
	index_delete(ft, idx);
	weir_ftw_unlink(ft, idx);
	weir_fta_unlink(ft, idx);
	ft->flows[idx].in_use = 0;
	ft->freestk[ft->nfree++] = idx;
}

static void emit_and_remove(struct weir_flowtable *ft, uint32_t idx,
			    enum weir_end_reason why)
{
	ft->emit(ft->emit_ctx, &ft->flows[idx], &ft->flows[idx].content, why);
	weir_ft_remove(ft, idx);
}

static void evict_one(struct weir_flowtable *ft)
{
	uint32_t v = weir_ftw_evict_choice(ft);

	if (v == WEIR_FT_NIL) {
		/* Cannot happen while entries are live (every live entry is on
		 * a wheel); scan rather than fail if it ever does. */
		for (v = 0; v < ft->capacity && !ft->flows[v].in_use; v++)
			;
		if (v == ft->capacity)
			return;
	}
	ft->st.flows_evicted++;
	emit_and_remove(ft, v, WEIR_END_EVICTED);
}

void weir_ft_hash(const struct weir_flowtable *ft, const struct weir_pkt *pkt,
		  struct weir_ft_hkey *hk)
{
	make_key(pkt, &hk->key, &hk->side);
	hk->hash = key_hash(ft, &hk->key);
	hk->hint = WEIR_FT_NIL;
}

struct weir_flow *weir_ft_lookup(struct weir_flowtable *ft,
				 const struct weir_pkt *pkt, int *side,
				 int *is_new)
{
	struct weir_ft_hkey hk;

	weir_ft_hash(ft, pkt, &hk);
	*side = hk.side;
	return weir_ft_lookup_hkey(ft, &hk, pkt->proto, pkt->ts_ns, is_new);
}

/* A flow set-up, out of line: inlined into the lookup, its register saves
 * cost every packet's lookup ~20 instructions (callgrind). */
static __attribute__((noinline)) struct weir_flow *
new_flow(struct weir_flowtable *ft, const struct weir_ft_hkey *hk,
	 unsigned proto, uint64_t ts_ns, int *is_new)
{
	const struct weir_flow_key *k = &hk->key;
	uint64_t h = hk->hash;
	uint32_t idx;
	struct weir_flow *f;

	weir_ftw_start(ft, ts_ns);
	if (!ft->nfree) {
		ft->st.table_full++;
		evict_one(ft);
	}
	idx = ft->freestk[--ft->nfree];
	if (idx >= ft->hiwater) {
		/* First use of this entry: its wheel metadata was never set. */
		ft->meta[idx].wclass = WEIR_TO_MAX;
		ft->meta[idx].in_active = 0;
		ft->hiwater = idx + 1;
	}
	f = &ft->flows[idx];
	f->key = *k;
	f->tclass = proto == 6 ? WEIR_TO_TCP : WEIR_TO_OTHER;
	f->in_use = 1;
	f->blocked = 0;      /* a reused entry starts clean */
	f->marks = 0;
	f->last_ns = ts_ns;
	f->first_ns = ts_ns;
	f->flow_id = 0;
	ft->meta[idx].hash = h;

	struct weir_ft_slot lost = index_insert(ft, idx, h);
	if (lost.idx1) {
		/* Index overflow (stash full too): practically impossible at
		 * <= 50% slot load; the flow that found no place is pushed out
		 * like any evicted flow, never silently dropped. */
		uint32_t v = lost.idx1 - 1;
		ft->st.flows_evicted++;
		if (v != idx) {
			ft->emit(ft->emit_ctx, &ft->flows[v], &ft->flows[v].content, WEIR_END_EVICTED);
			weir_ftw_unlink(ft, v);
			weir_fta_unlink(ft, v);
			ft->flows[v].in_use = 0;
			ft->freestk[ft->nfree++] = v;
		} else {
			/* The new flow itself: it has no state yet, so there is
			 * nothing to emit; give the caller a flow anyway by
			 * evicting the longest idle and retrying. */
			ft->flows[idx].in_use = 0;
			ft->freestk[ft->nfree++] = idx;
			evict_one(ft);
			return weir_ft_lookup_hkey(ft, hk, proto, ts_ns, is_new);
		}
	}
	weir_ftw_file(ft, idx, f->tclass, weir_ftw_want_slot(ft, f));
	if (ft->active_ns)
		weir_fta_append(ft, idx);
	ft->st.flows_created++;
	*is_new = 1;
	return f;
}

/* No usable hint: the index decides (the hinted path stays free of its
 * register saves). */
static __attribute__((noinline)) struct weir_flow *
lookup_unhinted(struct weir_flowtable *ft, const struct weir_ft_hkey *hk,
		unsigned proto, uint64_t ts_ns, int *is_new)
{
	uint32_t idx = index_find(ft, &hk->key, hk->hash);
	if (idx == WEIR_FT_NIL)
		return new_flow(ft, hk, proto, ts_ns, is_new);
	*is_new = 0;
	return &ft->flows[idx];
}

struct weir_flow *weir_ft_lookup_hkey(struct weir_flowtable *ft,
				      const struct weir_ft_hkey *hk,
				      unsigned proto, uint64_t ts_ns, int *is_new)
{
	/* Flows created, closed or evicted since the prefetch may have
	 * reused the hinted entry: only a live entry with this very key is
	 * this packet's flow (a key has at most one). */
	uint32_t idx = hk->hint;
	if (idx != WEIR_FT_NIL && ft->flows[idx].in_use && key_eq(&ft->flows[idx].key, &hk->key)) {
		*is_new = 0;
		return &ft->flows[idx];
	}
	return lookup_unhinted(ft, hk, proto, ts_ns, is_new);
}

/* Only the primary bucket: most keys live there, and the alternative one
 * is fetched in the next step only when the primary shows no tag match
 * (a new flow, or one cuckoo moved). One line a packet saved. */
void weir_ft_prefetch_index(const struct weir_flowtable *ft,
			    const struct weir_ft_hkey *hk)
{
	__builtin_prefetch(&ft->buckets[(uint32_t)hk->hash & ft->bmask], 0, 3);
}

/* The entry's four hot lines, written out: as a loop gcc kept the loop,
 * 18 instructions a packet (callgrind). */
_Static_assert(offsetof(struct weir_flow, content) == 256, "hot part is 4 lines");
static inline void prefetch_hot(const struct weir_flow *flow)
{
	const char *f = (const char *)flow;

	__builtin_prefetch(f, 1, 3);
	__builtin_prefetch(f + 64, 1, 3);
	__builtin_prefetch(f + 128, 1, 3);
	__builtin_prefetch(f + 192, 1, 3);
}

/* The whole entry, content line too: a flow set-up writes it all, a
 * record reads it all. */
static inline void prefetch_entry(const struct weir_flow *flow)
{
	prefetch_hot(flow);
	__builtin_prefetch(&flow->content, 1, 3);
}

/* The entry a tag match in the primary bucket points at: only a guess (the
 * key is compared at lookup), which is all a prefetch needs. Its feature
 * lines, and its content state when the packet carries payload, are what
 * the update writes. No match: the alternative bucket instead. */
void weir_ft_prefetch_flow(const struct weir_flowtable *ft,
			   struct weir_ft_hkey *hk, int with_content)
{
	uint32_t tag = tag_of(hk->hash);
	uint32_t b = (uint32_t)hk->hash & ft->bmask;
	const struct weir_ft_bucket *bk = &ft->buckets[b];
	int i = first_tag_match(bk, tag);

	if (i >= 0) {
		const struct weir_flow *f = &ft->flows[bk->s[i].idx1 - 1];
		prefetch_hot(f);
		/* without payload, line 0 again: a select, where a branch
		 * would follow the random payload-or-not */
		__builtin_prefetch(with_content ? (const void *)&f->content : (const void *)f, 1, 3);
		hk->hint = bk->s[i].idx1 - 1;
		return;
	}
	__builtin_prefetch(&ft->buckets[alt_bucket(ft, b, tag)], 0, 3);
}

/* The entries the next new flows will take, the free stack's top: cold
 * memory that a flow set-up writes whole (entry, content state, wheel
 * metadata). */
void weir_ft_prefetch_free(const struct weir_flowtable *ft, unsigned n)
{
	for (unsigned i = 0; i < n && i < ft->nfree; i++) {
		uint32_t e = ft->freestk[ft->nfree - 1 - i];
		prefetch_entry(&ft->flows[e]);
		__builtin_prefetch(&ft->meta[e], 1, 3);
	}
}

void weir_ft_set_class(struct weir_flowtable *ft, struct weir_flow *flow,
		       unsigned tclass)
{
	uint32_t idx = weir_ft_index_of(ft, flow);

	if (tclass >= WEIR_TO_MAX || flow->tclass == tclass)
		return;
	flow->tclass = (uint8_t)tclass;
	weir_ftw_refile_later(ft, idx);
}

void weir_ft_close(struct weir_flowtable *ft, struct weir_flow *flow,
		   enum weir_end_reason why)
{
	uint32_t idx = weir_ft_index_of(ft, flow);

	if (!flow->in_use)
		return;
	ft->st.flows_closed++;
	emit_and_remove(ft, idx, why);
}

/* ---- flush: every live flow, by flow_id ascending --------------------- */

static int flow_before(const struct weir_flowtable *ft, uint32_t a, uint32_t b)
{
	uint64_t fa = ft->flows[a].flow_id, fb = ft->flows[b].flow_id;
	return fa < fb || (fa == fb && a < b);
}

/* Heapsort: in place, no allocation (qsort may malloc). */
static void sift_down(const struct weir_flowtable *ft, uint32_t *v, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && flow_before(ft, v[c], v[c + 1]))
			c++;
		if (!flow_before(ft, v[i], v[c]))
			return;
		uint32_t t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

static void sort_by_flow_id(const struct weir_flowtable *ft, uint32_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(ft, v, n, i);
	for (size_t end = n; end > 1; end--) {
		uint32_t t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(ft, v, end - 1, 0);
	}
}

/* `fresh`: the memory is straight from mmap, hence zero, and the index
 * needs no clearing. Entries are cleared only below the high-water mark:
 * those above it were never used, so their pages are never touched and
 * come only as flows use them (cfg.prefault = 0). */
static void reset_entries(struct weir_flowtable *ft, int fresh)
{
	if (!fresh)
		memset(ft->buckets, 0, (size_t)(ft->bmask + 1) * sizeof(*ft->buckets));
	ft->nstash = 0;
	for (uint32_t i = 0; i < ft->hiwater; i++)
		ft->flows[i].in_use = 0;
	for (uint32_t i = 0; i < ft->capacity; i++)
		ft->freestk[i] = ft->capacity - 1 - i;  /* pop yields 0, 1, 2... */
	ft->nfree = ft->capacity;
	weir_ftw_reset(ft);
	ft->hiwater = 0;
}

struct id_idx {
	uint64_t id;
	uint32_t idx;
};

/* LSD radix sort on flow_id, 16 bits a pass, passes where every key has
 * the same digit skipped (ids are dense, so two passes in practice): a few
 * linear passes over a compact array, where the heapsort compares entries
 * scattered over the table (7 % of a 1 M-flow bench run went to it).
 * -1 if its memory is not there. */
static int radix_by_flow_id(const struct weir_flowtable *ft, uint32_t *v, size_t n)
{
	struct id_idx *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	uint32_t *count = malloc(65536 * sizeof(*count));

	if (!a || !b || !count) {
		free(a);
		free(b);
		free(count);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct id_idx){ ft->flows[v[i]].flow_id, v[i] };
	for (int shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(a[i].id >> shift) & 0xffff]++;
		if (n && count[(a[0].id >> shift) & 0xffff] == n)
			continue;
		uint32_t sum = 0;
		for (int d = 0; d < 65536; d++) {
			uint32_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].id >> shift) & 0xffff]++] = a[i];
		struct id_idx *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = a[i].idx;
	free(a);
	free(b);
	free(count);
	return 0;
}

/* Records a flush fetches an entry ahead of emitting it. The bench's final
 * flush of 1.58 M live flows (scripts/bench-dataplane): 897 cycles a record
 * without, 418-474 with 4, 16 or 32. */
#define FLUSH_AHEAD 16

void weir_ft_flush(struct weir_flowtable *ft)
{
	/* The free stack's unused tail has exactly one place per live entry:
	 * collect them there, sort, emit, then reset the whole table. */
	uint32_t live = ft->capacity - ft->nfree;
	uint32_t *v = ft->freestk + ft->nfree;
	uint32_t n = 0;

	for (uint32_t i = 0; i < ft->hiwater && n < live; i++)
		if (ft->flows[i].in_use)
			v[n++] = i;
	/* Both sorts keep equal ids (0: entries nobody numbered) in index
	 * order, the radix sort by being stable over an index-ordered input,
	 * so the order is the same either way; the heapsort needs no memory,
	 * for when there is none. */
	if (n < 1024 || radix_by_flow_id(ft, v, n) < 0)
		sort_by_flow_id(ft, v, n);
	/* Creation order is no memory order: each record's entry is a cold
	 * line set, fetched FLUSH_AHEAD records before it is emitted. */
	for (uint32_t i = 0; i < n; i++) {
		if (i + FLUSH_AHEAD < n)
			prefetch_entry(&ft->flows[v[i + FLUSH_AHEAD]]);
		ft->st.flows_flushed++;
		ft->emit(ft->emit_ctx, &ft->flows[v[i]], &ft->flows[v[i]].content,
			 WEIR_END_SHUTDOWN);
	}
	reset_entries(ft, 0);
}

/* ---- create / free / stats -------------------------------------------- */

static const char *class_name(unsigned c)
{
	static const char *const names[WEIR_TO_MAX] = { "tcp", "tcp-closed", "other" };
	return c < WEIR_TO_MAX ? names[c] : "?";
}

struct weir_flowtable *weir_ft_create(const struct weir_ft_config *cfg,
				      weir_ft_emit_fn emit, void *emit_ctx,
				      char *err, size_t errlen)
{
	struct weir_flowtable *ft;
	uint64_t longest = 0;

	if (!cfg || !emit) {
		snprintf(err, errlen, "flow table: no configuration or emit callback");
		return NULL;
	}
	if (cfg->max_flows == 0 || cfg->max_flows > (1u << 30)) {
		snprintf(err, errlen, "flow table: max_flows %u out of range (1..%u)",
			 cfg->max_flows, 1u << 30);
		return NULL;
	}
	for (unsigned c = 0; c < WEIR_TO_MAX; c++) {
		if (!cfg->timeout_ns[c]) {
			snprintf(err, errlen, "flow table: %s timeout is 0", class_name(c));
			return NULL;
		}
		if (cfg->timeout_ns[c] > longest)
			longest = cfg->timeout_ns[c];
	}
	if (cfg->max_frags > (1u << 24)) {
		snprintf(err, errlen, "flow table: max_frags %u out of range (0..%u)",
			 cfg->max_frags, 1u << 24);
		return NULL;
	}
	if (cfg->max_frags && !cfg->frag_timeout_ns) {
		snprintf(err, errlen, "flow table: fragment timeout is 0");
		return NULL;
	}

	ft = calloc(1, sizeof(*ft));
	if (!ft) {
		snprintf(err, errlen, "flow table: out of memory");
		return NULL;
	}
	ft->capacity = cfg->max_flows;
	/* Two slots per flow: the index stays at <= 50% load, where bucketised
	 * cuckoo insertion virtually never needs the stash. */
	uint32_t nb = next_pow2((2ull * cfg->max_flows + WEIR_FT_WAYS - 1) / WEIR_FT_WAYS);
	ft->bmask = nb - 1;
	/* Wheel: enough slots that the longest timeout fits in one turn. */
	uint64_t need = (longest >> WEIR_FT_SLOT_SHIFT) + 2;
	ft->wsize = next_pow2(need < WEIR_FT_WHEEL_MIN ? WEIR_FT_WHEEL_MIN :
			      need > WEIR_FT_WHEEL_MAX ? WEIR_FT_WHEEL_MAX : need);
	ft->wmask = ft->wsize - 1;

	size_t cap = ft->capacity;
	size_t off_b = 0;
	size_t off_f = off_b + align64((size_t)nb * sizeof(struct weir_ft_bucket));
	size_t off_m = off_f + align64(cap * sizeof(struct weir_flow));
	size_t off_s = off_m + align64(cap * sizeof(struct weir_ft_meta));
	/* One chunk per flow is the most the wheels can hold (each chunk on a
	 * list holds a filed entry), one more for the slot being walked
	 * (flowtable_wheel.c, chunk_append), and one spare. */
	ft->nchunks = ft->capacity + 2;
	size_t off_c = off_s + align64(cap * sizeof(uint32_t));
	size_t off_cf = off_c + (size_t)ft->nchunks * sizeof(struct weir_ft_chunk);
	size_t off_w = off_cf + align64((size_t)ft->nchunks * sizeof(uint32_t));
	size_t wheel_heads = align64((size_t)ft->wsize * sizeof(uint32_t));
	size_t wheel_bits = align64((size_t)ft->wsize / 64 * sizeof(uint64_t) + 8);
	size_t wheel = 2 * wheel_heads + wheel_bits;
	size_t off_fr = off_w + WEIR_TO_MAX * wheel;
	size_t total = off_fr + weir_ftf_bytes(cfg->max_frags);
	size_t align = total >= HUGEPAGE ? HUGEPAGE : 64;
	total = (total + align - 1) & ~(align - 1);

	/* Anonymous memory comes zeroed: pre-touching it is only about when
	 * the page faults happen, not about its contents. */
	ft->mem = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ft->mem == MAP_FAILED) {
		ft->mem = NULL;
		snprintf(err, errlen, "flow table: cannot allocate %zu bytes for %u flows",
			 total, cfg->max_flows);
		free(ft);
		return NULL;
	}
	if (align == HUGEPAGE)
		(void)madvise(ft->mem, total, MADV_HUGEPAGE); /* best effort */
	/* Touch everything now: no page faults once packets flow. */
	if (cfg->prefault)
		memset(ft->mem, 0, total);
	ft->mem_bytes = total;

	char *m = ft->mem;
	ft->buckets = (struct weir_ft_bucket *)(m + off_b);
	ft->flows = (struct weir_flow *)(m + off_f);
	ft->meta = (struct weir_ft_meta *)(m + off_m);
	ft->freestk = (uint32_t *)(m + off_s);
	ft->chunks = (struct weir_ft_chunk *)(m + off_c);
	ft->cfree = (uint32_t *)(m + off_cf);
	for (unsigned c = 0; c < WEIR_TO_MAX; c++) {
		char *wm = m + off_w + c * wheel;
		ft->whead[c] = (uint32_t *)wm;
		ft->wtail[c] = (uint32_t *)(wm + wheel_heads);
		ft->wbits[c] = (uint64_t *)(wm + 2 * wheel_heads);
		ft->timeout_ns[c] = cfg->timeout_ns[c];
	}
	ft->active_ns = cfg->active_timeout_ns;
	ft->sipkey = weir_sipkey_from_seed(cfg->hash_seed);
	ft->aes = !cfg->no_aes && weir_aeshash_available();
	weir_aeskey_from_seed(&ft->aeskey, cfg->hash_seed);
	ft->emit = emit;
	ft->emit_ctx = emit_ctx;
	ft->wcur = 0;
	ft->now_ns = 0;
	reset_entries(ft, 1);
	weir_ftf_init(ft, m + off_fr, cfg->max_frags, cfg->frag_timeout_ns);
	ft->st.capacity = ft->capacity;
	return ft;
}

void weir_ft_free(struct weir_flowtable *ft)
{
	if (!ft)
		return;
	if (ft->mem)
		munmap(ft->mem, ft->mem_bytes);
	free(ft);
}

void weir_ft_get_stats(const struct weir_flowtable *ft, struct weir_ft_stats *st)
{
	*st = ft->st;
	st->flows_live = ft->capacity - ft->nfree;
	st->capacity = ft->capacity;
}

uint64_t weir_ft_min_last_ns(const struct weir_flowtable *ft)
{
	uint64_t m = UINT64_MAX;
	for (uint32_t i = 0; i < ft->capacity; i++)
		if (ft->flows[i].in_use && ft->flows[i].last_ns < m)
			m = ft->flows[i].last_ns;
	return m;
}

size_t weir_ft_mem_bytes(const struct weir_flowtable *ft)
{
	return ft->mem_bytes + sizeof(*ft);
}
