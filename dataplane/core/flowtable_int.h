/* Flow table internals, shared by flowtable.c (index, entries, lifecycle),
 * flowtable_wheel.c (timer wheel, eviction choice) and flowtable_frag.c
 * (fragment tracking). Not a public interface. See doc/flowtable.md. */
#ifndef WEIR_FLOWTABLE_INT_H
#define WEIR_FLOWTABLE_INT_H

#include <stdint.h>
#include "flowtable.h"
#include "hash.h"
#include "hash_aes.h"

#define WEIR_FT_NIL UINT32_MAX

/* Index: buckets of 8 (tag, entry) slots, one cache line each. A key may
 * live in either of two buckets (bucketised cuckoo hashing). */
#define WEIR_FT_WAYS 8
#define WEIR_FT_STASH 32       /* overflow for the (improbable) failed insert */
#define WEIR_FT_MAX_KICKS 128  /* cuckoo displacements before using the stash */

struct weir_ft_slot {
	uint32_t tag;            /* high 32 bits of the hash */
	uint32_t idx1;           /* entry index + 1; 0 = empty slot */
};

struct weir_ft_bucket {
	struct weir_ft_slot s[WEIR_FT_WAYS];
} __attribute__((aligned(64)));

/* Cold per-entry metadata: only the wheel and deletion touch it. 32 bytes,
 * two entries a line. */
struct weir_ft_meta {
	uint64_t hash;           /* keyed hash of the canonical key */
	uint64_t tslot;          /* absolute wheel slot the entry is filed in */
	uint32_t chunk;          /* wheel chunk holding its filing (when filed) */
	uint32_t anext, aprev;   /* active-timeout queue (by first_ns) */
	uint8_t pos;             /* its place in that chunk */
	uint8_t wclass;          /* wheel (timeout class) it is filed in, or WEIR_TO_MAX */
	uint8_t in_active;       /* on the active-timeout queue */
	uint8_t pad;
};

/* A wheel slot's entries, in filing order, as a list of chunks of entry
 * indices rather than a list through the entries: walking a due slot
 * reads a chunk line for twelve entries and knows them all, so their
 * metadata and entries are fetched ahead of the visits instead of one
 * dependent miss each (flowtable_wheel.c). Unlinking leaves a hole
 * (WEIR_FT_NIL), so the order of the rest never changes; a chunk whose
 * entries have all left is freed at once. */
#define WEIR_FT_CHUNK_IDX 12
struct weir_ft_chunk {
	uint32_t next, prev;     /* the slot's chunk list; WEIR_FT_NIL at its ends */
	uint32_t si;             /* the wheel slot it belongs to */
	uint8_t wclass;          /* ... in this class's wheel */
	uint8_t used;            /* places taken, in filing order */
	uint8_t live;            /* entries still filed here */
	uint8_t pad;
	uint32_t idx[WEIR_FT_CHUNK_IDX]; /* entry, or WEIR_FT_NIL once unlinked */
} __attribute__((aligned(64)));

/* Timer wheel: one per timeout class, holding idle deadlines only, so that
 * within a wheel the order of deadlines is the order of last activity (what
 * eviction needs). Slot width is 2^WEIR_FT_SLOT_SHIFT ns (~134 ms). The
 * active timeout runs from first_ns, which only grows and is set from the
 * advancing clock, so it needs no wheel: a FIFO queue is already in
 * deadline order. */
#define WEIR_FT_SLOT_SHIFT 27
#define WEIR_FT_WHEEL_MIN 256u
#define WEIR_FT_WHEEL_MAX (1u << 20)

/* Expired entries a wheel run keeps before removing them. */
#define WEIR_FT_DEFER 8
/* Class changes kept at each of the two stages before their re-filing. */
#define WEIR_FT_RECLASS 8

/* Eviction search bounds (entries examined per timeout class). */
#define WEIR_FT_EVICT_BUDGET 256
#define WEIR_FT_EVICT_AFTER_FIRST 8

/* Fragment tracking. */
struct weir_frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint16_t proto, vlan;
	uint8_t family;
	uint8_t pad[3];
};

struct weir_frag_ent {
	struct weir_frag_key key;
	uint64_t ts_ns;          /* first fragment's time: expiry runs from here */
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint8_t in_use;
	uint32_t hnext;          /* hash chain */
	uint32_t older, newer;   /* age list, oldest first */
};

struct weir_flowtable {
	/* hot */
	struct weir_ft_bucket *buckets;
	struct weir_flow *flows;
	uint32_t bmask;          /* buckets - 1 */
	uint32_t capacity;
	uint32_t nfree;
	uint32_t hiwater;        /* entries [0, hiwater) have ever been used:
				  * scans stop there, so untouched pages stay
				  * untouched */
	uint32_t nstash;
	struct weir_sipkey sipkey;
	int aes;                 /* IPv4 keys hashed by weir_aeshash16 */
	struct weir_aeskey aeskey;
	uint32_t *freestk;       /* free entry indices; pop gives the lowest first */

	/* cold */
	struct weir_ft_meta *meta;
	struct weir_ft_slot stash[WEIR_FT_STASH];
	uint32_t kick;           /* rotates the cuckoo victim choice */
	/* Expired entries whose removal waits for their cold index bucket
	 * and queue neighbours (flowtable_wheel.c), oldest at dead_head. */
	uint32_t dead[WEIR_FT_DEFER];
	uint32_t dead_head, ndead;
	/* Entries whose class changed, waiting to be re-filed
	 * (weir_ftw_refile_later): stage 0 waits for the entry's metadata,
	 * stage 1 for its wheel chunk. Oldest at rc_head. */
	uint32_t rc[2][WEIR_FT_RECLASS];
	uint32_t rc_head[2], nrc[2];

	/* wheel */
	uint32_t *whead[WEIR_TO_MAX];   /* first chunk per slot, WEIR_FT_NIL = empty */
	uint32_t *wtail[WEIR_TO_MAX];   /* last chunk per slot: filing appends there */
	struct weir_ft_chunk *chunks;
	uint32_t *cfree;         /* free chunks; pop gives the lowest first */
	uint32_t nchunks, ncfree;
	uint64_t *wbits[WEIR_TO_MAX];   /* non-empty slot bitmap */
	uint32_t wsize, wmask;
	uint64_t wcur;           /* absolute slot: all earlier slots are processed */
	int wstarted;            /* wcur set from the first time seen */
	uint64_t now_ns;         /* latest time given to weir_ft_advance() */
	uint64_t timeout_ns[WEIR_TO_MAX];
	uint64_t active_ns;
	uint32_t a_head, a_tail; /* active queue: oldest slice start first */

	/* fragments */
	struct weir_frag_ent *frags;
	uint32_t *fhead;
	uint32_t *ffree;
	uint32_t nfrags, nffree, fmask;
	uint32_t f_oldest, f_newest;
	uint64_t frag_timeout_ns;

	weir_ft_emit_fn emit;
	void *emit_ctx;
	struct weir_ft_stats st;
	void *mem;
	size_t mem_bytes;
};

static inline uint32_t weir_ft_index_of(const struct weir_flowtable *ft,
					const struct weir_flow *flow)
{
	return (uint32_t)(flow - ft->flows);
}

static inline uint64_t weir_ft_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* Slot the entry should be filed in now: its idle deadline's, never before
 * the wheel's current slot. */
uint64_t weir_ftw_want_slot(const struct weir_flowtable *ft,
			    const struct weir_flow *f);
void weir_ftw_file(struct weir_flowtable *ft, uint32_t idx, unsigned wclass,
		   uint64_t slot);
void weir_ftw_unlink(struct weir_flowtable *ft, uint32_t idx);
/* Re-file entry idx at its (class changed) deadline, soon: before the
 * next weir_ft_advance(), and before weir_ftw_refile_drain() returns. */
void weir_ftw_refile_later(struct weir_flowtable *ft, uint32_t idx);
void weir_ftw_refile_drain(struct weir_flowtable *ft);
void weir_ftw_reset(struct weir_flowtable *ft);
/* Before the first advance(), start the wheel at the first time seen, so
 * that slot numbers near "now" are where the scans begin. */
static inline void weir_ftw_start(struct weir_flowtable *ft, uint64_t ns)
{
	if (!ft->wstarted) {
		ft->wcur = ns >> WEIR_FT_SLOT_SHIFT;
		ft->wstarted = 1;
	}
}
/* Active-timeout queue: append at the tail (new flow, new slice), unlink. */
void weir_fta_append(struct weir_flowtable *ft, uint32_t idx);
void weir_fta_unlink(struct weir_flowtable *ft, uint32_t idx);
/* Live entry with the smallest last_ns (within a slot's width, see doc);
 * WEIR_FT_NIL only when the table is empty. */
uint32_t weir_ftw_evict_choice(struct weir_flowtable *ft);

/* Remove an entry from index, wheel and table (no emit). */
void weir_ft_remove(struct weir_flowtable *ft, uint32_t idx);

size_t weir_ftf_bytes(uint32_t max_frags);
void weir_ftf_init(struct weir_flowtable *ft, void *area, uint32_t max_frags,
		   uint64_t timeout_ns);

#endif
