/* The ct_* window. It runs once per finished flow, never per packet, but a
 * flow can be two packets long, so the scan is built for width: each field
 * the seven counts compare is its own array of 32-bit words (addresses as
 * four), and the counts are sums of comparison results with no branches,
 * which the compiler turns into vector code (AVX2 where the CPU has it).
 * The counts do not depend on the order of the window, so the scan runs
 * straight over the ring's storage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctwindow.h"

enum { F_S0, F_S1, F_S2, F_S3, F_D0, F_D1, F_D2, F_D3, F_SPORT, F_DPORT, F_SVC, F_MAX };

struct weir_ctwin {
	uint32_t size;    /* window length, current record included */
	uint32_t used;
	uint32_t next;    /* slot the next record overwrites */
	uint32_t wide;    /* slots whose addresses use more than word 0 */
	uint32_t *f[F_MAX];
	uint8_t *slot_wide;      /* ... which slots */
};

struct ct_counts {
	uint32_t src, dst, srv_src, srv_dst, src_dport, dst_sport, dst_src;
};

struct weir_ctwin *weir_ctwin_create(uint32_t window, char *err, size_t errlen)
{
	if (window < 1 || window > 100000) {
		snprintf(err, errlen, "ct window %u out of range (1..100000)", window);
		return NULL;
	}
	struct weir_ctwin *w = calloc(1, sizeof(*w));
	uint32_t *mem = calloc((size_t)window * F_MAX, sizeof(uint32_t));
	uint8_t *wide = calloc(window, 1);
	if (!w || !mem || !wide) {
		free(w);
		free(mem);
		free(wide);
		snprintf(err, errlen, "ct window: out of memory for %u slots", window);
		return NULL;
	}
	for (int i = 0; i < F_MAX; i++)
		w->f[i] = mem + (size_t)i * window;
	w->slot_wide = wide;
	w->size = window;
	return w;
}

void weir_ctwin_free(struct weir_ctwin *w)
{
	if (!w)
		return;
	free(w->f[0]);
	free(w->slot_wide);
	free(w);
}

static void slot_of(uint32_t me[F_MAX], const struct weir_record *r)
{
	memcpy(&me[F_S0], r->srcip, 16);
	memcpy(&me[F_D0], r->dstip, 16);
	me[F_SPORT] = r->sport;
	me[F_DPORT] = r->dsport;
	me[F_SVC] = r->service;
}

/* The counts over slots [lo, hi). `narrow`: no address in the window or
 * in `me` uses more than its first word (IPv4 only, the common case: the
 * decoder zeroes the rest), so words 1-3 are equal everywhere and 5 fields
 * decide instead of 11 (~1,090 to ~600 instructions a record, callgrind).
 * A constant in each caller below, so each gets its own vector loop. */
static inline __attribute__((always_inline))
void count_span(const struct weir_ctwin *w, const uint32_t me[F_MAX],
		uint32_t lo, uint32_t hi, struct ct_counts *c, int narrow)
{
	const uint32_t *s0 = w->f[F_S0], *s1 = w->f[F_S1], *s2 = w->f[F_S2], *s3 = w->f[F_S3];
	const uint32_t *d0 = w->f[F_D0], *d1 = w->f[F_D1], *d2 = w->f[F_D2], *d3 = w->f[F_D3];
	const uint32_t *sp = w->f[F_SPORT], *dp = w->f[F_DPORT], *sv = w->f[F_SVC];
	uint32_t src = 0, dst = 0, srv_src = 0, srv_dst = 0, src_dport = 0, dst_sport = 0, dst_src = 0;

	for (uint32_t i = lo; i < hi; i++) {
		uint32_t ss = s0[i] == me[F_S0], sd = d0[i] == me[F_D0];
		if (!narrow) {
			ss &= (s1[i] == me[F_S1]) & (s2[i] == me[F_S2]) & (s3[i] == me[F_S3]);
			sd &= (d1[i] == me[F_D1]) & (d2[i] == me[F_D2]) & (d3[i] == me[F_D3]);
		}
		uint32_t same_svc = sv[i] == me[F_SVC];
		src += ss;
		dst += sd;
		srv_src += ss & same_svc;
		srv_dst += sd & same_svc;
		src_dport += ss & (dp[i] == me[F_DPORT]);
		dst_sport += sd & (sp[i] == me[F_SPORT]);
		dst_src += ss & sd;
	}
	c->src += src;
	c->dst += dst;
	c->srv_src += srv_src;
	c->srv_dst += srv_dst;
	c->src_dport += src_dport;
	c->dst_sport += dst_sport;
	c->dst_src += dst_src;
}

__attribute__((target_clones("avx2", "default"), optimize("O3")))
static void count_range(const struct weir_ctwin *w, const uint32_t me[F_MAX],
			uint32_t lo, uint32_t hi, struct ct_counts *c)
{
	count_span(w, me, lo, hi, c, 0);
}

__attribute__((target_clones("avx2", "default"), optimize("O3")))
static void count_range4(const struct weir_ctwin *w, const uint32_t me[F_MAX],
			 uint32_t lo, uint32_t hi, struct ct_counts *c)
{
	count_span(w, me, lo, hi, c, 1);
}

static int is_wide(const uint32_t me[F_MAX])
{
	return (me[F_S1] | me[F_S2] | me[F_S3] | me[F_D1] | me[F_D2] | me[F_D3]) != 0;
}

/* The same counts for the one slot `i`: the oldest record, which leaves
 * the window as this one enters. Scalar, because the vector loop's set-up
 * cost 176 instructions for this single slot (callgrind). */
static void count_one(const struct weir_ctwin *w, const uint32_t me[F_MAX],
		      uint32_t i, struct ct_counts *c)
{
	uint32_t ss = 1, sd = 1;

	for (int a = 0; a < 4; a++) {
		ss &= w->f[F_S0 + a][i] == me[F_S0 + a];
		sd &= w->f[F_D0 + a][i] == me[F_D0 + a];
	}
	uint32_t same_svc = w->f[F_SVC][i] == me[F_SVC];
	c->src = ss;
	c->dst = sd;
	c->srv_src = ss & same_svc;
	c->srv_dst = sd & same_svc;
	c->src_dport = ss & (w->f[F_DPORT][i] == me[F_DPORT]);
	c->dst_sport = sd & (w->f[F_SPORT][i] == me[F_SPORT]);
	c->dst_src = ss & sd;
}

static uint16_t sat16(uint32_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* The counts for `me` over the window (this record plus the size-1 before
 * it: every used slot but, once the ring is full, the oldest, the one at
 * `next`). */
static void count_window(const struct weir_ctwin *w, const uint32_t me[F_MAX],
			 struct weir_record *r)
{
	struct ct_counts c = { 0 }, oldest = { 0 };

	if (w->wide || is_wide(me))
		count_range(w, me, 0, w->used, &c);
	else
		count_range4(w, me, 0, w->used, &c);
	if (w->used == w->size)
		count_one(w, me, w->next, &oldest);
	r->ct_srv_src = sat16(1 + c.srv_src - oldest.srv_src);
	r->ct_srv_dst = sat16(1 + c.srv_dst - oldest.srv_dst);
	r->ct_dst_ltm = sat16(1 + c.dst - oldest.dst);
	r->ct_src_ltm = sat16(1 + c.src - oldest.src);
	r->ct_src_dport_ltm = sat16(1 + c.src_dport - oldest.src_dport);
	r->ct_dst_sport_ltm = sat16(1 + c.dst_sport - oldest.dst_sport);
	r->ct_dst_src_ltm = sat16(1 + c.dst_src - oldest.dst_src);
}

void weir_ctwin_peek(const struct weir_ctwin *w, struct weir_record *r)
{
	uint32_t me[F_MAX];

	slot_of(me, r);
	count_window(w, me, r);
}

void weir_ctwin_apply(struct weir_ctwin *w, struct weir_record *r)
{
	uint32_t me[F_MAX];
	uint8_t wide;

	slot_of(me, r);
	count_window(w, me, r);
	wide = (uint8_t)is_wide(me);
	if (w->used == w->size)
		w->wide -= w->slot_wide[w->next];
	else
		w->used++;
	w->wide += wide;
	w->slot_wide[w->next] = wide;
	for (int i = 0; i < F_MAX; i++)
		w->f[i][w->next] = me[i];
	if (++w->next == w->size)
		w->next = 0;
}
