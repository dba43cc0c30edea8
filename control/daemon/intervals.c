/* Event-time intervals: watermark, lateness, per-interval tallies. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "intervals.h"

#define NS 1000000000ull

struct ivl_key {
	uint8_t ip[16];
	uint8_t family;
	uint8_t used;
	uint64_t n;
};

struct ivl_slot {
	uint64_t sampled, anomalies, other;
	unsigned nsrc, ndst;
	struct ivl_key *src, *dst;    /* open-addressed, cap entries each */
};

struct weir_ivl {
	struct weir_ivl_cfg cfg;
	uint64_t len_ns, late_ns;
	unsigned nslots;
	unsigned cap;                 /* table size: power of two >= 2 * max_keys */
	struct ivl_slot *slot;
	int started;
	int leading;                  /* nothing published since the start */
	uint64_t base;                /* oldest open interval */
	uint64_t wm;                  /* watermark */
	uint64_t pending_skip;
	struct weir_ivl_stats st;
};

void weir_ivl_cfg_default(struct weir_ivl_cfg *c)
{
	c->length_s = 10;
	c->lateness_s = 30;
	c->max_keys = 4096;
	c->top_n = 5;
	c->max_gap = 360;
}

int weir_ivl_cfg_check(const struct weir_ivl_cfg *c, char *err, size_t errlen)
{
	if (c->length_s < 1 || c->length_s > 86400) {
		snprintf(err, errlen, "[intervals] length_s = %u: must be 1..86400", c->length_s);
		return -1;
	}
	if (c->lateness_s > 3600 || c->lateness_s / c->length_s > 1000) {
		snprintf(err, errlen, "[intervals] lateness_s = %u: must be 0..3600 and at most "
			 "1000 intervals", c->lateness_s);
		return -1;
	}
	if (c->max_keys < 16 || c->max_keys > (1u << 20)) {
		snprintf(err, errlen, "[intervals] max_keys = %u: must be 16..1048576", c->max_keys);
		return -1;
	}
	if (c->top_n < 1 || c->top_n > WEIR_IVL_MAX_TOP) {
		snprintf(err, errlen, "[intervals] top_n = %u: must be 1..%d", c->top_n,
			 WEIR_IVL_MAX_TOP);
		return -1;
	}
	if (c->max_gap > 1000000) {
		snprintf(err, errlen, "[intervals] max_gap = %u: must be 0..1000000", c->max_gap);
		return -1;
	}
	return 0;
}

struct weir_ivl *weir_ivl_create(const struct weir_ivl_cfg *c, char *err, size_t errlen)
{
	if (weir_ivl_cfg_check(c, err, errlen) < 0)
		return NULL;
	struct weir_ivl *iv = calloc(1, sizeof(*iv));
	if (!iv)
		goto oom;
	iv->cfg = *c;
	iv->len_ns = (uint64_t)c->length_s * NS;
	iv->late_ns = (uint64_t)c->lateness_s * NS;
	/* Open intervals: the watermark's own, those within the lateness,
	 * and one for the record that is just now moving the watermark. */
	iv->nslots = (c->lateness_s + c->length_s - 1) / c->length_s + 2;
	iv->cap = 32;
	while (iv->cap < 2 * c->max_keys)
		iv->cap <<= 1;
	iv->slot = calloc(iv->nslots, sizeof(*iv->slot));
	if (!iv->slot)
		goto oom;
	for (unsigned i = 0; i < iv->nslots; i++) {
		iv->slot[i].src = calloc(iv->cap, sizeof(struct ivl_key));
		iv->slot[i].dst = calloc(iv->cap, sizeof(struct ivl_key));
		if (!iv->slot[i].src || !iv->slot[i].dst)
			goto oom;
	}
	return iv;
oom:
	snprintf(err, errlen, "intervals: out of memory");
	weir_ivl_free(iv);
	return NULL;
}

void weir_ivl_free(struct weir_ivl *iv)
{
	if (!iv)
		return;
	if (iv->slot)
		for (unsigned i = 0; i < iv->nslots; i++) {
			free(iv->slot[i].src);
			free(iv->slot[i].dst);
		}
	free(iv->slot);
	free(iv);
}

static void slot_clear(struct weir_ivl *iv, struct ivl_slot *s)
{
	if (s->nsrc)
		memset(s->src, 0, iv->cap * sizeof(struct ivl_key));
	if (s->ndst)
		memset(s->dst, 0, iv->cap * sizeof(struct ivl_key));
	s->sampled = s->anomalies = s->other = 0;
	s->nsrc = s->ndst = 0;
}

void weir_ivl_reset(struct weir_ivl *iv)
{
	for (unsigned i = 0; i < iv->nslots; i++)
		slot_clear(iv, &iv->slot[i]);
	iv->started = 0;
	iv->base = iv->wm = iv->pending_skip = 0;
	iv->st.watermark_ns = 0;
}

static uint64_t fnv(const uint8_t *ip, uint8_t fam)
{
	uint64_t h = 1469598103934665603ull ^ fam;
	for (int i = 0; i < 16; i++) {
		h ^= ip[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* 0 counted; -1 the table holds max_keys already. */
static int tally(struct weir_ivl *iv, struct ivl_key *t, unsigned *used,
		 const uint8_t *ip, uint8_t fam)
{
	uint64_t h = fnv(ip, fam);
	for (unsigned probe = 0; probe < iv->cap; probe++) {
		struct ivl_key *k = &t[(h + probe) & (iv->cap - 1)];
		if (!k->used) {
			if (*used >= iv->cfg.max_keys)
				return -1;
			k->used = 1;
			k->family = fam;
			memcpy(k->ip, ip, 16);
			k->n = 1;
			(*used)++;
			return 0;
		}
		if (k->family == fam && !memcmp(k->ip, ip, 16)) {
			k->n++;
			return 0;
		}
	}
	return -1;
}

static int top_before(const struct ivl_key *a, const struct ivl_key *b)
{
	if (a->n != b->n)
		return a->n > b->n;
	if (a->family != b->family)
		return a->family < b->family;
	return memcmp(a->ip, b->ip, 16) < 0;   /* ties: lower address first */
}

static unsigned top(const struct weir_ivl *iv, const struct ivl_key *t,
		    struct weir_ivl_top *out)
{
	unsigned n = 0, want = iv->cfg.top_n;
	const struct ivl_key *best[WEIR_IVL_MAX_TOP];
	for (unsigned i = 0; i < iv->cap; i++) {
		const struct ivl_key *k = &t[i];
		if (!k->used)
			continue;
		if (n == want && !top_before(k, best[n - 1]))
			continue;
		unsigned j = n < want ? n++ : n - 1;
		while (j > 0 && top_before(k, best[j - 1])) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = k;
	}
	for (unsigned i = 0; i < n; i++) {
		memcpy(out[i].ip, best[i]->ip, 16);
		out[i].family = best[i]->family;
		out[i].anomalies = best[i]->n;
	}
	return n;
}

/* Publish interval `base` into out and open the next one. */
static void close_base(struct weir_ivl *iv, struct weir_interval *out)
{
	struct ivl_slot *s = &iv->slot[iv->base % iv->nslots];
	memset(out, 0, sizeof(*out));
	out->index = iv->base;
	out->start_ns = iv->base * iv->len_ns;
	out->end_ns = out->start_ns + iv->len_ns;
	out->sampled = s->sampled;
	out->anomalies = s->anomalies;
	out->other_keys = s->other;
	out->skipped_before = iv->pending_skip;
	iv->pending_skip = 0;
	out->ntop_src = top(iv, s->src, out->top_src);
	out->ntop_dst = top(iv, s->dst, out->top_dst);
	slot_clear(iv, s);
	iv->base++;
	iv->st.published++;
}

static int slots_empty(const struct weir_ivl *iv)
{
	for (unsigned i = 0; i < iv->nslots; i++)
		if (iv->slot[i].sampled || iv->slot[i].anomalies)
			return 0;
	return 1;
}

int weir_ivl_advance(struct weir_ivl *iv, uint64_t ltime_ns, struct weir_interval *out)
{
	if (!iv->started) {
		iv->started = 1;
		iv->leading = 1;
		iv->wm = ltime_ns;
		/* The first record may not be the earliest: keep the intervals
		 * the lateness still allows open. */
		uint64_t lo = ltime_ns > iv->late_ns ? ltime_ns - iv->late_ns : 0;
		iv->base = lo / iv->len_ns;
		iv->st.watermark_ns = iv->wm;
		return 0;
	}
	if (ltime_ns > iv->wm) {
		iv->wm = ltime_ns;
		iv->st.watermark_ns = ltime_ns;
	}
	uint64_t wm_idx = iv->wm / iv->len_ns;
	/* A long silence: nothing is open, so skip the empty intervals
	 * beyond max_gap instead of publishing each. */
	uint64_t closable_to = iv->wm >= iv->late_ns ? (iv->wm - iv->late_ns) / iv->len_ns : 0;
	if (closable_to > iv->base + iv->cfg.max_gap && slots_empty(iv)) {
		uint64_t to = closable_to - iv->cfg.max_gap;
		iv->pending_skip += to - iv->base;
		iv->st.skipped += to - iv->base;
		iv->base = to;
	}
	for (;;) {
		uint64_t end = (iv->base + 1) * iv->len_ns;
		if (!(end + iv->late_ns <= iv->wm || wm_idx >= iv->base + iv->nslots))
			return 0;
		struct ivl_slot *s = &iv->slot[iv->base % iv->nslots];
		if (iv->leading && !s->sampled && !s->anomalies) {
			/* Empty intervals before the first record's are not
			 * published: where the stream "starts" must not depend
			 * on which record happened to arrive first. */
			iv->base++;
			continue;
		}
		iv->leading = 0;
		close_base(iv, out);
		return 1;
	}
}

int weir_ivl_add(struct weir_ivl *iv, const struct weir_record *r, enum weir_ivl_kind kind)
{
	if (!iv->started) {
		struct weir_interval dummy;
		weir_ivl_advance(iv, r->ltime_ns, &dummy);   /* only starts it */
	}
	uint64_t idx = r->ltime_ns / iv->len_ns;
	if (idx < iv->base || idx >= iv->base + iv->nslots) {
		/* Before base: its interval was published. Past the slots can
		 * only happen if the caller skipped weir_ivl_advance. */
		iv->st.late_records++;
		return 1;
	}
	struct ivl_slot *s = &iv->slot[idx % iv->nslots];
	if (kind == WEIR_IVL_SAMPLE) {
		s->sampled++;
		return 0;
	}
	s->anomalies++;
	uint8_t fam = r->family == 6 ? 6 : 4;
	int o1 = tally(iv, s->src, &s->nsrc, r->srcip, fam);
	int o2 = tally(iv, s->dst, &s->ndst, r->dstip, fam);
	if (o1 < 0 || o2 < 0)
		s->other++;
	return 0;
}

int weir_ivl_flush(struct weir_ivl *iv, struct weir_interval *out)
{
	if (!iv->started)
		return 0;
	while (iv->leading && iv->base <= iv->wm / iv->len_ns) {
		struct ivl_slot *s = &iv->slot[iv->base % iv->nslots];
		if (s->sampled || s->anomalies)
			break;
		iv->base++;
	}
	if (iv->base > iv->wm / iv->len_ns)
		return 0;
	iv->leading = 0;
	close_base(iv, out);
	return 1;
}

void weir_ivl_get_stats(const struct weir_ivl *iv, struct weir_ivl_stats *st)
{
	*st = iv->st;
}

void weir_ip_format(const uint8_t ip[16], unsigned family, char *buf, size_t len)
{
	if (family == 6) {
		if (!inet_ntop(AF_INET6, ip, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (!inet_ntop(AF_INET, ip, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
}
