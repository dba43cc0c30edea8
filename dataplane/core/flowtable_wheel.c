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

/* Append at the tail: within a slot, entries keep filing order, which makes
 * emission order a function of the input alone (not of the hash seed). */
void weir_ftw_file(struct weir_flowtable *ft, uint32_t idx, unsigned wclass,
		   uint64_t slot)
{
	struct weir_ft_meta *m = &ft->meta[idx];
	uint32_t si = (uint32_t)slot & ft->wmask;
	uint32_t *head = &ft->whead[wclass][si];

	m->tslot = slot;
	m->wclass = (uint8_t)wclass;
	if (*head == WEIR_FT_NIL) {
		*head = idx;
		m->next = m->prev = idx;
		bit_set(ft->wbits[wclass], si);
	} else {
		uint32_t h = *head, t = ft->meta[h].prev;
		m->prev = t;
		m->next = h;
		ft->meta[t].next = idx;
		ft->meta[h].prev = idx;
	}
}

void weir_ftw_unlink(struct weir_flowtable *ft, uint32_t idx)
{
	struct weir_ft_meta *m = &ft->meta[idx];
	uint32_t si, *head;

	if (m->wclass >= WEIR_TO_MAX)
		return;
	si = (uint32_t)m->tslot & ft->wmask;
	head = &ft->whead[m->wclass][si];
	if (m->next == idx) {
		*head = WEIR_FT_NIL;
		bit_clear(ft->wbits[m->wclass], si);
	} else {
		ft->meta[m->prev].next = m->next;
		ft->meta[m->next].prev = m->prev;
		if (*head == idx)
			*head = m->next;
	}
	m->wclass = WEIR_TO_MAX;
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
 * list and appended to another. That touches its metadata and its two list
 * neighbours', all cold on the packet that closes a flow (the neighbours
 * only known once the metadata is in). Done at once it cost the 1 M-flow
 * bench mix ~30 cycles a frame; so the re-filing waits in two stages of
 * WEIR_FT_RECLASS class changes each, a prefetch issued at each step.
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

	if (m->wclass < WEIR_TO_MAX) {
		__builtin_prefetch(&ft->meta[m->prev], 1, 3);
		__builtin_prefetch(&ft->meta[m->next], 1, 3);
	}
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
		memset(ft->wbits[c], 0, words * sizeof(uint64_t));
	}
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
 * been taken off its list. */
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

static void run_slot(struct weir_flowtable *ft, unsigned c, uint32_t si,
		     uint64_t target, uint64_t now)
{
	uint32_t first = ft->whead[c][si];
	uint32_t last, e;

	if (first == WEIR_FT_NIL)
		return;
	/* Detach the whole list; entries re-filed into this slot go onto a
	 * fresh list and are not seen twice in this pass. */
	ft->whead[c][si] = WEIR_FT_NIL;
	bit_clear(ft->wbits[c], si);
	last = ft->meta[first].prev;
	e = first;
	for (;;) {
		uint32_t next = ft->meta[e].next;
		int was_last = e == last;
		ft->meta[e].wclass = WEIR_TO_MAX;  /* on no list while visited */
		visit(ft, e, c, target, now);
		if (was_last)
			break;
		e = next;
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

/* Walk class c's wheel from the current slot. Within one class the order
 * of idle deadlines is the order of last_ns, so the first slot holding an
 * entry filed at its own deadline holds that class's longest-idle flow (to
 * within one slot width; a few more entries of that slot are compared).
 * Entries found filed too early (touched since) are re-filed on the way,
 * work advance() would do anyway when their slot came due. */
static void scan_class(struct weir_flowtable *ft, unsigned c, struct evict_best *best)
{
	unsigned examined = 0, after = 0;
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
		uint32_t e = ft->whead[c][si];
		uint32_t last = ft->meta[e].prev;
		for (;;) {
			uint32_t next = ft->meta[e].next;
			int was_last = e == last;
			struct weir_flow *f = &ft->flows[e];
			examined++;
			consider(ft, best, e);
			if (ft->meta[e].tslot == s) {
				unsigned cls = valid_class(f->tclass);
				uint64_t want = weir_ftw_want_slot(ft, f);
				if (cls != c || want != s) {
					weir_ftw_unlink(ft, e);
					weir_ftw_file(ft, e, cls, want);
				} else {
					found = 1;
				}
			}
			if (found && ++after > WEIR_FT_EVICT_AFTER_FIRST)
				break;
			if (was_last || examined >= WEIR_FT_EVICT_BUDGET)
				break;
			e = next;
		}
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
