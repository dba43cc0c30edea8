/* The flow table's lazy timer wheels, the active-timeout queue, and the
 * eviction choice built on the wheels.
 *
 * One wheel per timeout class, holding idle deadlines (last_ns +
 * timeout[tclass]). Packets never touch the wheel: they only raise last_ns,
 * which can only move a deadline later. So an entry is never filed after its
 * real deadline, and when its slot comes due it is either expired or re-filed
 * at the deadline it has by then. A class change to a shorter timeout is the
 * one thing that moves a deadline earlier; weir_ft_set_class() re-files for it.
 *
 * A slot's entries are a list of chunks of twelve entry indices
 * (flowtable_int.h), in filing order, so a due slot's walk knows the
 * entries ahead of their visits and fetches them early.
 *
 * Slots are 2^27 ns (~134 ms) wide and the wheel has enough of them for the
 * longest idle timeout, so normally an entry is visited once per timeout
 * period. Expiry is exact: weir_ft_advance(now) expires everything whose
 * deadline is <= now, re-scanning the current, partly elapsed slot.
 *
 * The active timeout (first_ns + active) is kept apart, in a FIFO queue:
 * first_ns is set when a flow starts and when a slice starts, both from the
 * advancing clock, so appending keeps the queue in deadline order and
 * advance() only ever looks at its head.
 */
#include <string.h>
#include "flowtable_int.h"

_Static_assert(sizeof(struct weir_ft_chunk) == 64, "a wheel chunk is one line");
_Static_assert(sizeof(struct weir_ft_meta) == 32, "two metadata a line");

static unsigned valid_class(unsigned c)
{
	return c < WEIR_TO_MAX ? c : WEIR_TO_OTHER;
}

static uint64_t idle_deadline(const struct weir_flowtable *ft, const struct weir_flow *f)
{
	return weir_ft_sat_add(f->last_ns, ft->timeout_ns[valid_class(f->tclass)]);
}

static uint64_t active_deadline(const struct weir_flowtable *ft, const struct weir_flow *f)
{
	return ft->active_ns ? weir_ft_sat_add(f->first_ns, ft->active_ns) : UINT64_MAX;
}

static uint64_t slot_of(const struct weir_flowtable *ft, uint64_t ns)
{
	uint64_t s = ns >> WEIR_FT_SLOT_SHIFT;
	return s < ft->wcur ? ft->wcur : s;
}

uint64_t weir_ftw_want_slot(const struct weir_flowtable *ft, const struct weir_flow *f)
{
	return slot_of(ft, idle_deadline(ft, f));
}

static void bit_set(uint64_t *bits, uint32_t i)
{
	bits[i >> 6] |= 1ull << (i & 63);
}

static void bit_clear(uint64_t *bits, uint32_t i)
{
	bits[i >> 6] &= ~(1ull << (i & 63));
}

/* A fresh chunk at the end of class c's slot si, after chunk `prev`. The
 * pool never runs dry: a chunk on a list holds at least one filed entry,
 * and while a due slot is walked (run_slot) each of its chunks not yet
 * read holds one too, so at most capacity + 1 chunks are taken. */
static uint32_t chunk_append(struct weir_flowtable *ft, unsigned c, uint32_t si,
			     uint32_t prev)
{
	uint32_t n = ft->cfree[--ft->ncfree];
	struct weir_ft_chunk *k = &ft->chunks[n];

	k->next = WEIR_FT_NIL;
	k->prev = prev;
	k->si = si;
	k->wclass = (uint8_t)c;
	k->used = 0;
	k->live = 0;
	if (prev == WEIR_FT_NIL) {
		ft->whead[c][si] = n;
		bit_set(ft->wbits[c], si);
	} else {
		ft->chunks[prev].next = n;
	}
	ft->wtail[c][si] = n;
	return n;
}

static void chunk_release(struct weir_flowtable *ft, uint32_t n)
{
	ft->cfree[ft->ncfree++] = n;
}

/* A chunk whose last entry left: off its slot's list, back to the pool. */
static void chunk_drop(struct weir_flowtable *ft, uint32_t n)
{
	const struct weir_ft_chunk *k = &ft->chunks[n];
	unsigned c = k->wclass;
	uint32_t si = k->si;

	if (k->prev != WEIR_FT_NIL)
		ft->chunks[k->prev].next = k->next;
	else
		ft->whead[c][si] = k->next;
	if (k->next != WEIR_FT_NIL)
		ft->chunks[k->next].prev = k->prev;
	else
		ft->wtail[c][si] = k->prev;
	if (ft->whead[c][si] == WEIR_FT_NIL)
		bit_clear(ft->wbits[c], si);
	chunk_release(ft, n);
}

/* Append at the tail: within a slot, entries keep filing order, which makes
 * emission order a function of the input alone (not of the hash seed). */
void weir_ftw_file(struct weir_flowtable *ft, uint32_t idx, unsigned wclass,
		   uint64_t slot)
{
	struct weir_ft_meta *m = &ft->meta[idx];
	uint32_t si = (uint32_t)slot & ft->wmask;
	uint32_t t = ft->wtail[wclass][si];

	if (t == WEIR_FT_NIL || ft->chunks[t].used == WEIR_FT_CHUNK_IDX)
		t = chunk_append(ft, wclass, si, t);
	struct weir_ft_chunk *k = &ft->chunks[t];
	m->chunk = t;
	m->pos = k->used;
	k->idx[k->used++] = idx;
	k->live++;
	m->tslot = slot;
	m->wclass = (uint8_t)wclass;
}

/* Returns whether that emptied (and freed) the entry's chunk. */
static int unlink_entry(struct weir_flowtable *ft, uint32_t idx)
{
	struct weir_ft_meta *m = &ft->meta[idx];

	if (m->wclass >= WEIR_TO_MAX)
		return 0;
	m->wclass = WEIR_TO_MAX;
	struct weir_ft_chunk *k = &ft->chunks[m->chunk];
	k->idx[m->pos] = WEIR_FT_NIL;
	if (--k->live)
		return 0;
	chunk_drop(ft, m->chunk);
	return 1;
}

void weir_ftw_unlink(struct weir_flowtable *ft, uint32_t idx)
{
	(void)unlink_entry(ft, idx);
}

/* Small FIFOs of entry indices (the deferred removals and re-filings
 * below): push returns the oldest when it had to make room, pop the
 * oldest; WEIR_FT_NIL for none. */
static uint32_t fifo_push(uint32_t *q, uint32_t *head, uint32_t *n, uint32_t cap,
			  uint32_t idx)
{
	uint32_t out = WEIR_FT_NIL;

	if (*n == cap) {
		out = q[*head];
		q[*head] = idx;
		*head = (*head + 1) % cap;
	} else {
		q[(*head + (*n)++) % cap] = idx;
	}
	return out;
}

static uint32_t fifo_pop(uint32_t *q, uint32_t *head, uint32_t *n, uint32_t cap)
{
	if (!*n)
		return WEIR_FT_NIL;
	uint32_t out = q[*head];
	*head = (*head + 1) % cap;
	(*n)--;
	return out;
}

/* A class change (TCP to closed, on the FIN that closes the flow) moves
 * the deadline earlier, so the entry must be re-filed: unlinked from its
 * chunk and appended to another slot's. That touches its metadata and its
 * chunk, both cold on the packet that closes a flow (the chunk only known
 * once the metadata is in). Done at once (with the lists then linked
 * through the metadata) it cost the 1 M-flow bench mix ~30 cycles a
 * frame; so the re-filing waits in two stages of WEIR_FT_RECLASS class
 * changes each, a prefetch issued at each step.
 * Late re-filing is safe: the flow's class is already set, nothing but the
 * wheels reads the lists, advance and the eviction search drain or
 * re-check first, and re-filing an entry at its current deadline is always
 * right, even if it was removed and reused meanwhile; an entry on no list
 * (removed) is left alone. */
static void refile_now(struct weir_flowtable *ft, uint32_t idx)
{
	const struct weir_flow *f = &ft->flows[idx];

	if (ft->meta[idx].wclass >= WEIR_TO_MAX)
		return;
	weir_ftw_unlink(ft, idx);
	weir_ftw_file(ft, idx, valid_class(f->tclass), weir_ftw_want_slot(ft, f));
}

static uint32_t rc_push(struct weir_flowtable *ft, int s, uint32_t idx)
{
	return fifo_push(ft->rc[s], &ft->rc_head[s], &ft->nrc[s], WEIR_FT_RECLASS, idx);
}

static uint32_t rc_pop(struct weir_flowtable *ft, int s)
{
	return fifo_pop(ft->rc[s], &ft->rc_head[s], &ft->nrc[s], WEIR_FT_RECLASS);
}

static void stage1(struct weir_flowtable *ft, uint32_t idx)
{
	const struct weir_ft_meta *m = &ft->meta[idx];

	if (m->wclass < WEIR_TO_MAX)
		__builtin_prefetch(&ft->chunks[m->chunk], 1, 3);
	uint32_t out = rc_push(ft, 1, idx);
	if (out != WEIR_FT_NIL)
		refile_now(ft, out);
}

void weir_ftw_refile_later(struct weir_flowtable *ft, uint32_t idx)
{
	__builtin_prefetch(&ft->meta[idx], 1, 3);
	uint32_t out = rc_push(ft, 0, idx);
	if (out != WEIR_FT_NIL)
		stage1(ft, out);
}

void weir_ftw_refile_drain(struct weir_flowtable *ft)
{
	uint32_t e;

	while ((e = rc_pop(ft, 0)) != WEIR_FT_NIL)
		stage1(ft, e);
	while ((e = rc_pop(ft, 1)) != WEIR_FT_NIL)
		refile_now(ft, e);
}

void weir_ftw_reset(struct weir_flowtable *ft)
{
	ft->nrc[0] = ft->nrc[1] = 0;
	size_t words = (ft->wsize + 63) / 64;
	for (unsigned c = 0; c < WEIR_TO_MAX; c++) {
		memset(ft->whead[c], 0xff, (size_t)ft->wsize * sizeof(uint32_t));
		memset(ft->wtail[c], 0xff, (size_t)ft->wsize * sizeof(uint32_t));
		memset(ft->wbits[c], 0, words * sizeof(uint64_t));
	}
	for (uint32_t i = 0; i < ft->nchunks; i++)
		ft->cfree[i] = ft->nchunks - 1 - i;
	ft->ncfree = ft->nchunks;
	/* Entries past the high-water mark were never used; the insert that
	 * first uses one sets its metadata. */
	for (uint32_t i = 0; i < ft->hiwater; i++) {
		ft->meta[i].wclass = WEIR_TO_MAX;
		ft->meta[i].in_active = 0;
	}
	ft->a_head = ft->a_tail = WEIR_FT_NIL;
}

void weir_fta_append(struct weir_flowtable *ft, uint32_t idx)
{
	struct weir_ft_meta *m = &ft->meta[idx];
	m->aprev = ft->a_tail;
	m->anext = WEIR_FT_NIL;
	if (ft->a_tail != WEIR_FT_NIL)
		ft->meta[ft->a_tail].anext = idx;
	else
		ft->a_head = idx;
	ft->a_tail = idx;
	m->in_active = 1;
}

void weir_fta_unlink(struct weir_flowtable *ft, uint32_t idx)
{
	struct weir_ft_meta *m = &ft->meta[idx];
	if (!m->in_active)
		return;
	if (m->aprev != WEIR_FT_NIL)
		ft->meta[m->aprev].anext = m->anext;
	else
		ft->a_head = m->anext;
	if (m->anext != WEIR_FT_NIL)
		ft->meta[m->anext].aprev = m->aprev;
	else
		ft->a_tail = m->aprev;
	m->in_active = 0;
}

/* Removing an entry that expired touches its index bucket and its
 * active-queue neighbours, cold after the flow's idle time: the bucket's
 * miss was 96 % of weir_ft_remove's time in the two-frame churn case
 * (perf). So an expired entry is removed only WEIR_FT_DEFER expiries
 * later, those lines fetched meanwhile. Until then it is emitted but still
 * indexed and queued, which is safe while the wheels run: nothing looks
 * flows up, and each entry is visited once. drain_dead() before anything
 * else runs. */
static void drain_dead(struct weir_flowtable *ft)
{
	uint32_t e;

	while ((e = fifo_pop(ft->dead, &ft->dead_head, &ft->ndead, WEIR_FT_DEFER)) != WEIR_FT_NIL)
		weir_ft_remove(ft, e);
}

static void remove_later(struct weir_flowtable *ft, uint32_t e)
{
	const struct weir_ft_meta *m = &ft->meta[e];

	__builtin_prefetch(&ft->buckets[(uint32_t)m->hash & ft->bmask], 1, 3);
	if (m->in_active) {
		if (m->aprev != WEIR_FT_NIL)
			__builtin_prefetch(&ft->meta[m->aprev], 1, 3);
		if (m->anext != WEIR_FT_NIL)
			__builtin_prefetch(&ft->meta[m->anext], 1, 3);
	}
	uint32_t out = fifo_push(ft->dead, &ft->dead_head, &ft->ndead, WEIR_FT_DEFER, e);
	if (out != WEIR_FT_NIL)
		weir_ft_remove(ft, out);
}

static void expire(struct weir_flowtable *ft, uint32_t e)
{
	struct weir_flow *f = &ft->flows[e];
	ft->st.flows_expired++;
	ft->emit(ft->emit_ctx, f, &ft->flows[e].content,
		 valid_class(f->tclass) == WEIR_TO_TCP_CLOSED ? WEIR_END_CLOSED : WEIR_END_IDLE);
	remove_later(ft, e);
}

/* An entry whose slot came due: expire it or re-file it. It has already
 * been taken off its chunk. */
static void visit(struct weir_flowtable *ft, uint32_t e, unsigned wclass,
		  uint64_t target, uint64_t now)
{
	struct weir_flow *f = &ft->flows[e];

	if (ft->meta[e].tslot > target) {
		/* Filed a wheel turn (or more) ahead: not due yet. */
		weir_ftw_file(ft, e, wclass, ft->meta[e].tslot);
		return;
	}
	if (idle_deadline(ft, f) <= now) {
		expire(ft, e);
		return;
	}
	weir_ftw_file(ft, e, valid_class(f->tclass), weir_ftw_want_slot(ft, f));
}

/* How far the walk of a due slot reads ahead of its visits: an entry's
 * metadata and first line (deadline, class) WALK_AHEAD visits before its
 * own, its other lines WALK_WHOLE_AHEAD before when it is going to
 * expire (the record reads all of it). With the slot's list linked through
 * the entries, each visit began with a dependent miss for the next one:
 * 70 % of advance's time on the 1 M-flow bench mix (perf). */
#define WALK_AHEAD 8
#define WALK_WHOLE_AHEAD 4

struct slot_walk {
	uint32_t ch, pos;        /* reading place in the detached chunk list */
	uint32_t q[WALK_AHEAD];  /* entries read, not yet visited */
	unsigned head, n;
};

static void prefetch_chunk_after(const struct weir_flowtable *ft, uint32_t ch)
{
	uint32_t next = ft->chunks[ch].next;
	if (next != WEIR_FT_NIL)
		__builtin_prefetch(&ft->chunks[next], 0, 3);
}

/* The detached list's next entry, WEIR_FT_NIL at its end. A chunk read to
 * its end goes back to the pool: its entries are all taken. */
static uint32_t walk_read(struct weir_flowtable *ft, struct slot_walk *w)
{
	while (w->ch != WEIR_FT_NIL) {
		const struct weir_ft_chunk *k = &ft->chunks[w->ch];
		if (w->pos < k->used) {
			uint32_t e = k->idx[w->pos++];
			if (e != WEIR_FT_NIL)
				return e;
			continue;
		}
		uint32_t next = k->next;
		chunk_release(ft, w->ch);
		w->ch = next;
		w->pos = 0;
		if (next != WEIR_FT_NIL)
			prefetch_chunk_after(ft, next);
	}
	return WEIR_FT_NIL;
}

static void walk_fill(struct weir_flowtable *ft, struct slot_walk *w)
{
	while (w->n < WALK_AHEAD) {
		uint32_t e = walk_read(ft, w);
		if (e == WEIR_FT_NIL)
			return;
		/* on no list from here until its visit (which re-files it or
		 * not); the store fetches the metadata line */
		ft->meta[e].wclass = WEIR_TO_MAX;
		__builtin_prefetch(&ft->flows[e], 1, 3);
		w->q[(w->head + w->n++) % WALK_AHEAD] = e;
	}
}

/* The rest of an entry about to expire; for one that is not, its first
 * line again (a select, not a branch on a coin toss). */
static void prefetch_if_expiring(const struct weir_flowtable *ft, uint32_t e,
				 uint64_t now)
{
	const struct weir_flow *f = &ft->flows[e];
	const char *p = (const char *)f;
	size_t step = idle_deadline(ft, f) <= now ? 64 : 0;

	_Static_assert(offsetof(struct weir_flow, content) == 4 * 64,
		       "the entry is five lines, the content state the last");
	__builtin_prefetch(p + step, 1, 3);
	__builtin_prefetch(p + 2 * step, 1, 3);
	__builtin_prefetch(p + 3 * step, 1, 3);
	__builtin_prefetch(p + 4 * step, 1, 3);
}

static void run_slot(struct weir_flowtable *ft, unsigned c, uint32_t si,
		     uint64_t target, uint64_t now)
{
	struct slot_walk w = { .ch = ft->whead[c][si] };

	if (w.ch == WEIR_FT_NIL)
		return;
	/* Detach the whole list; entries re-filed into this slot go onto a
	 * fresh list and are not seen twice in this pass. */
	ft->whead[c][si] = ft->wtail[c][si] = WEIR_FT_NIL;
	bit_clear(ft->wbits[c], si);
	prefetch_chunk_after(ft, w.ch);
	walk_fill(ft, &w);
	while (w.n) {
		uint32_t e = w.q[w.head];
		w.head = (w.head + 1) % WALK_AHEAD;
		w.n--;
		if (w.n >= WALK_WHOLE_AHEAD)
			prefetch_if_expiring(ft, w.q[(w.head + WALK_WHOLE_AHEAD - 1) % WALK_AHEAD], now);
		visit(ft, e, c, target, now);
		walk_fill(ft, &w);
	}
}

/* Active timeouts: slice every flow whose slice started >= active ago. The
 * wheels ran first, so a flow that is also idle has already ended. */
static void run_active(struct weir_flowtable *ft, uint64_t now)
{
	while (ft->a_head != WEIR_FT_NIL) {
		uint32_t e = ft->a_head;
		struct weir_flow *f = &ft->flows[e];
		if (active_deadline(ft, f) > now)
			break;
		weir_fta_unlink(ft, e);
		if (idle_deadline(ft, f) <= now) {
			/* only when tclass was shortened behind the wheel's back */
			expire(ft, e);
			continue;
		}
		ft->st.active_slices++;
		ft->emit(ft->emit_ctx, f, &ft->flows[e].content, WEIR_END_ACTIVE);
		/* The callback starts the new slice (first_ns = now); if it did
		 * not, do it here so the flow is not sliced again at once. */
		if (active_deadline(ft, f) <= now)
			f->first_ns = now;
		weir_fta_append(ft, e);
	}
}

void weir_ft_advance(struct weir_flowtable *ft, uint64_t now_ns)
{
	uint64_t target, span, i = 0;

	if (now_ns > ft->now_ns)
		ft->now_ns = now_ns;
	now_ns = ft->now_ns;
	weir_ftw_start(ft, now_ns);
	weir_ftw_refile_drain(ft);
	target = now_ns >> WEIR_FT_SLOT_SHIFT;
	if (target < ft->wcur)
		target = ft->wcur;
	span = target - ft->wcur + 1;
	if (span > ft->wsize)
		span = ft->wsize;  /* one full turn visits every list */

	while (i < span) {
		uint64_t s = ft->wcur + i;
		uint32_t si = (uint32_t)s & ft->wmask, w = si >> 6, b = si & 63;
		uint64_t any = (ft->wbits[0][w] | ft->wbits[1][w] | ft->wbits[2][w]) >> b;
		if (!any) {
			i += 64 - b;
			continue;
		}
		if (any & 1) {
			/* Classes in a fixed order within the slot. */
			for (unsigned c = 0; c < WEIR_TO_MAX; c++)
				run_slot(ft, c, si, target, now_ns);
			i++;
		} else {
			i += (uint64_t)__builtin_ctzll(any);
		}
	}
	ft->wcur = target;
	drain_dead(ft);
	if (ft->active_ns) {
		run_active(ft, now_ns);
		drain_dead(ft);
	}
}

/* ---- eviction choice -------------------------------------------------- */

struct evict_best {
	uint32_t idx;
	uint64_t last_ns, flow_id;
};

static void consider(const struct weir_flowtable *ft, struct evict_best *b, uint32_t e)
{
	const struct weir_flow *f = &ft->flows[e];
	if (b->idx == WEIR_FT_NIL || f->last_ns < b->last_ns ||
	    (f->last_ns == b->last_ns && f->flow_id < b->flow_id)) {
		b->idx = e;
		b->last_ns = f->last_ns;
		b->flow_id = f->flow_id;
	}
}

/* One slot of scan_class(): its entries in filing order, up to the
 * budget, or a few past the first one filed at its own deadline. An entry
 * re-filed leaves a hole in its chunk; one that empties its chunk frees it
 * (the rest of it is holes), and a free chunk may be taken at once by the
 * next filing: so the walk moves on, by the link read beforehand, and ends
 * with the chunk that was last when it began. */
static void examine_slot(struct weir_flowtable *ft, unsigned c, uint32_t si,
			 uint64_t s, struct evict_best *best, unsigned *examined,
			 int *found)
{
	uint32_t ch = ft->whead[c][si], last = ft->wtail[c][si];
	unsigned end = ft->chunks[last].used, after = 0;

	for (;;) {
		const struct weir_ft_chunk *k = &ft->chunks[ch];
		uint32_t next = k->next;
		int was_last = ch == last;
		unsigned used = was_last ? end : k->used;
		for (unsigned p = 0; p < used; p++) {
			uint32_t e = k->idx[p];
			if (e == WEIR_FT_NIL)
				continue;
			const struct weir_flow *f = &ft->flows[e];
			(*examined)++;
			consider(ft, best, e);
			if (ft->meta[e].tslot == s) {
				unsigned cls = valid_class(f->tclass);
				uint64_t want = weir_ftw_want_slot(ft, f);
				if (cls != c || want != s) {
					int freed = unlink_entry(ft, e);
					weir_ftw_file(ft, e, cls, want);
					if (freed)
						break;
				} else {
					*found = 1;
				}
			}
			if ((*found && ++after > WEIR_FT_EVICT_AFTER_FIRST) ||
			    *examined >= WEIR_FT_EVICT_BUDGET)
				return;
		}
		if (was_last)
			return;
		ch = next;
	}
}

/* Walk class c's wheel from the current slot. Within one class the order
 * of idle deadlines is the order of last_ns, so the first slot holding an
 * entry filed at its own deadline holds that class's longest-idle flow (to
 * within one slot width; a few more entries of that slot are compared).
 * Entries found filed too early (touched since) are re-filed on the way,
 * work advance() would do anyway when their slot came due. */
static void scan_class(struct weir_flowtable *ft, unsigned c, struct evict_best *best)
{
	unsigned examined = 0;
	int found = 0;

	for (uint64_t i = 0; i < ft->wsize && !found && examined < WEIR_FT_EVICT_BUDGET;) {
		uint64_t s = ft->wcur + i;
		uint32_t si = (uint32_t)s & ft->wmask, w = si >> 6, b = si & 63;
		uint64_t any = ft->wbits[c][w] >> b;
		if (!any) {
			i += 64 - b;
			continue;
		}
		if (!(any & 1)) {
			i += (uint64_t)__builtin_ctzll(any);
			continue;
		}
		i++;
		examine_slot(ft, c, si, s, best, &examined, &found);
	}
}

uint32_t weir_ftw_evict_choice(struct weir_flowtable *ft)
{
	struct evict_best best = { WEIR_FT_NIL, 0, 0 };

	weir_ftw_refile_drain(ft);   /* every entry on its class's wheel */
	for (unsigned c = 0; c < WEIR_TO_MAX; c++)
		scan_class(ft, c, &best);
	return best.idx;
}
