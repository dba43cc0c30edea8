/* Per-worker flow table: fixed capacity, single writer, no locks, no
 * allocation after creation.
 *
 * Flows are keyed by the canonical (sorted) endpoint pair + protocol + VLAN,
 * so both directions find the same entry; the lookup reports which key side
 * a packet came from. Expiry uses a lazy timer wheel: a packet only stores
 * its timestamp in the entry; the wheel re-files an entry when its slot comes
 * due and the entry turns out to have been touched since.
 */
#ifndef WEIR_FLOWTABLE_H
#define WEIR_FLOWTABLE_H

#include <stdint.h>
#include <stddef.h>
#include "decode.h"
#include "flowfeat.h"
#include "content.h"
#include "record.h"

struct weir_flow_key {
	uint8_t addr[2][16];     /* [0] = A side (the lower endpoint), [1] = B */
	uint16_t port[2];
	uint16_t proto;
	uint16_t vlan;
	uint8_t family;
	uint8_t pad[3];
};

/* Timeout classes; the engine picks one per flow from protocol and state. */
enum weir_timeout_class {
	WEIR_TO_TCP = 0,     /* established / in progress TCP */
	WEIR_TO_TCP_CLOSED,  /* FIN both ways or RST seen: short grace */
	WEIR_TO_OTHER,       /* UDP, ICMP, other IP, ARP */
	WEIR_TO_MAX
};

/* A flow-table entry. Hot part first: what every packet touches. */
/* Layout: the 44-byte key, then the four flag bytes fill its tail so the
 * three u64s start at 48; struct weir_feat follows. The entry is aligned to
 * a cache line so that none straddles one more line than it needs (256
 * bytes = 4 lines while weir_feat is <= 184 bytes); the content state is
 * the fifth line, in the entry rather than in an array of its own, so a
 * payload packet touches one page less (on the shared test host, where a
 * random DRAM access costs ~280 ns, the separate array cost ~50 cycles a
 * frame). The hash is kept in the flow table's cold per-entry metadata,
 * not here. Set tclass through weir_ft_set_class(). */
struct weir_flow {
	struct weir_flow_key key;
	uint8_t tclass;          /* enum weir_timeout_class */
	uint8_t in_use;
	uint8_t blocked;         /* inline mode: drop this flow's packets */
	uint8_t marks;           /* the engine's own per-flow bits (engine.c), 0 when new */
	uint64_t last_ns;        /* the one store a packet makes for timekeeping */
	uint64_t first_ns;       /* start of the flow (or of the current slice) */
	uint64_t flow_id;
	struct weir_feat feat;
	struct weir_content_state content __attribute__((aligned(64)));
} __attribute__((aligned(64)));

struct weir_ft_config {
	uint32_t max_flows;          /* capacity; rounded up internally as needed */
	uint64_t timeout_ns[WEIR_TO_MAX];
	uint64_t active_timeout_ns;  /* 0 = off */
	uint64_t hash_seed;          /* random per run: defeats hash flooding */
	uint8_t no_aes;              /* 1: SipHash even where AES-NI is there
				      * (tests compare the two) */
	uint32_t max_frags;          /* fragment-tracking entries */
	uint64_t frag_timeout_ns;
	uint8_t prefault;            /* 1: touch all memory at create, so no
				      * page fault ever happens on the packet
				      * path (dataplane; default); 0: pages
				      * come as flows use them (offline tools
				      * with a generous capacity) */
};

/* Defaults: TCP 300 s, closed 5 s, other 60 s, active 1800 s. */
void weir_ft_config_defaults(struct weir_ft_config *cfg);

struct weir_flowtable;

struct weir_ft_stats {
	uint64_t flows_created;
	uint64_t flows_expired;      /* idle + closed timeouts */
	uint64_t flows_evicted;      /* pushed out by a full table */
	uint64_t active_slices;      /* active-timeout records */
	uint64_t table_full;         /* inserts that had to evict */
	uint64_t frag_tracked;       /* first fragments remembered */
	uint64_t frag_matched;       /* later fragments attributed to a flow */
	uint64_t frag_orphan;        /* later fragments with no known first */
	uint64_t frag_table_full;
	uint64_t flows_closed;       /* weir_ft_close() (e.g. 5-tuple reuse) */
	uint64_t flows_flushed;      /* emitted by weir_ft_flush() */
	uint64_t index_stash;        /* inserts that overflowed into the stash */
	uint32_t flows_live;
	uint32_t capacity;
};

/* Called for every flow leaving the table (or sliced by the active timeout).
 * The entry is valid for the duration of the call; for WEIR_END_ACTIVE the
 * flow stays in the table after the callback returns. The callback must not
 * call back into the flow table. */
typedef void (*weir_ft_emit_fn)(void *ctx, struct weir_flow *flow,
				struct weir_content_state *content,
				enum weir_end_reason why);

struct weir_flowtable *weir_ft_create(const struct weir_ft_config *cfg,
				      weir_ft_emit_fn emit, void *emit_ctx,
				      char *err, size_t errlen);
void weir_ft_free(struct weir_flowtable *ft);

/* Resolve a fragment: for a first fragment remember its ports; for a later
 * one fill pkt->sport/dport (and proto-specific fields it can) from the
 * first. Returns 0 if the packet can be attributed to a flow, -1 if not
 * (orphan: counted). Non-fragments return 0 untouched. */
int weir_ft_frag_resolve(struct weir_flowtable *ft, struct weir_pkt *pkt);

/* Find the packet's flow or create it. `*side` gets the key side the packet
 * was sent from (0/1); `*is_new` is set when the entry was just created (its
 * feature and content state must then be initialised by the caller). When the
 * table is full the longest-idle flow is evicted (emitted) first. Never
 * returns NULL. The pointer is valid until the next lookup, advance, close
 * or flush (a lookup into a full table may evict any other flow). */
struct weir_flow *weir_ft_lookup(struct weir_flowtable *ft,
				 const struct weir_pkt *pkt, int *side,
				 int *is_new);

/* Burst processing: a packet's canonical key and keyed hash, computed once
 * and used to prefetch its index buckets, then (once those have arrived)
 * its flow entry, then to look it up. weir_ft_lookup() is hash + lookup. */
struct weir_ft_hkey {
	struct weir_flow_key key;
	uint64_t hash;
	int side;                /* key side the packet was sent from */
	uint32_t hint;           /* entry the prefetch found by tag, checked
				  * (in use, same key) before it is trusted */
};

void weir_ft_hash(const struct weir_flowtable *ft, const struct weir_pkt *pkt,
		  struct weir_ft_hkey *hk);
void weir_ft_prefetch_index(const struct weir_flowtable *ft,
			    const struct weir_ft_hkey *hk);
void weir_ft_prefetch_flow(const struct weir_flowtable *ft,
			   struct weir_ft_hkey *hk, int with_content);
void weir_ft_prefetch_free(const struct weir_flowtable *ft, unsigned n);
/* weir_ft_lookup() with the key already hashed; `proto` and `ts_ns` are
 * the packet's (a new entry's timeout class and times). */
struct weir_flow *weir_ft_lookup_hkey(struct weir_flowtable *ft,
				      const struct weir_ft_hkey *hk,
				      unsigned proto, uint64_t ts_ns, int *is_new);

/* Content state of a flow: the entry's fifth line. Inline, because the
 * engine asks for it on every payload packet. */
static inline struct weir_content_state *weir_ft_content(struct weir_flowtable *ft,
							 struct weir_flow *flow)
{
	(void)ft;
	return &flow->content;
}

/* Record activity: the per-packet timekeeping cost. Never moves last_ns
 * back (a capture stamp that jumps back must not shorten a deadline the
 * wheel has already filed). */
static inline void weir_ft_touch(struct weir_flow *flow, uint64_t now_ns)
{
	if (now_ns > flow->last_ns)
		flow->last_ns = now_ns;
}

/* Change a flow's timeout class (e.g. TCP -> TCP_CLOSED when FIN/RST is
 * seen). Re-files the flow in the timer wheel so a shorter timeout fires on
 * time; writing flow->tclass directly would only take effect at the old,
 * later deadline. Cheap no-op when the class does not change. */
void weir_ft_set_class(struct weir_flowtable *ft, struct weir_flow *flow,
		       unsigned tclass);

/* Emit and remove a flow now (e.g. 5-tuple reuse by a new SYN). */
void weir_ft_close(struct weir_flowtable *ft, struct weir_flow *flow,
		   enum weir_end_reason why);

/* Run the timer wheel up to `now_ns`: emits idle, closed and active-timeout
 * records. Cheap when nothing is due; call once per burst or so. */
void weir_ft_advance(struct weir_flowtable *ft, uint64_t now_ns);

/* Emit every live flow (WEIR_END_SHUTDOWN) and empty the table. */
void weir_ft_flush(struct weir_flowtable *ft);

void weir_ft_get_stats(const struct weir_flowtable *ft, struct weir_ft_stats *st);

/* Which keyed hash the table uses (hash_aes.c, hash.h), for start-up logs. */
const char *weir_ft_hash_name(const struct weir_flowtable *ft);

/* Diagnostics (tests, benchmarks; O(capacity), never on the hot path):
 * smallest last_ns over live flows (UINT64_MAX when empty), and the bytes
 * allocated for the table. */
uint64_t weir_ft_min_last_ns(const struct weir_flowtable *ft);
size_t weir_ft_mem_bytes(const struct weir_flowtable *ft);

#endif
