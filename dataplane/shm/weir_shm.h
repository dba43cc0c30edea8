/* Shared-memory record rings between the dataplane (weir, the producer) and
 * weir-control (the consumer).
 *
 * One named POSIX shm segment, "/weir-<instance>", holds a header and one
 * single-producer/single-consumer rte_ring per worker per kind:
 *
 *   offset 0      struct weir_shm_hdr (magic, version, record size, ring
 *                 table with per-ring offsets and counters, producer pid,
 *                 generation)
 *   ring[i].off   an rte_ring initialised in place with rte_ring_init(),
 *                 sized with rte_ring_get_memsize_elem(sizeof record, slots)
 *
 * Elements are whole struct weir_record values (no pointers, so they mean
 * the same in both processes). The worker that owns a ring is its only
 * producer; one consumer thread drains it.
 *
 * The producer never blocks: a full ring drops the record and counts it in
 * the ring's `dropped` counter in the header, which the consumer (and
 * operators, via `weirctl`) can read.
 *
 * The consumer never calls rte_eal_init(): the ring enqueue/dequeue paths
 * are inline functions over the shared memory and need no EAL state. It maps
 * the segment read-write (dequeue moves the consumer index).
 *
 * Restarts: each producer incarnation stamps a new `generation`. On start the
 * producer marks any old segment of the same name WEIR_SHM_STALE, unlinks it
 * and creates a fresh one; on clean exit it marks its segment
 * WEIR_SHM_CLOSED and unlinks it. A consumer calls weir_shm_consumer_check()
 * now and then: when the segment it maps is stale/closed (after draining
 * it) or its producer died, it re-opens the name and remaps if a new
 * generation is there.
 */
#ifndef WEIR_SHM_H
#define WEIR_SHM_H

#include <stdint.h>
#include <stddef.h>
#include "record.h"

#define WEIR_SHM_MAGIC   0x314d485352494557ull   /* "WEIRSHM1" little-endian */
#define WEIR_SHM_VERSION 1
#define WEIR_SHM_MAX_RINGS 128
#define WEIR_SHM_DEFAULT_SLOTS 4096             /* per ring; power of two */

/* What a ring carries. */
enum weir_shm_kind {
	WEIR_SHM_ANOMALY = 0,   /* records with verdict anomaly */
	WEIR_SHM_SAMPLE,        /* deterministic sample of all records */
	WEIR_SHM_KINDS
};

/* Segment states. */
enum weir_shm_state {
	WEIR_SHM_INIT = 0,      /* producer still building it */
	WEIR_SHM_READY,         /* producer running */
	WEIR_SHM_CLOSED,        /* producer exited cleanly; drain then re-check */
	WEIR_SHM_STALE,         /* a newer producer replaced it */
};

/* One ring's entry in the header. Counters are written by one side each
 * (producer: enqueued/dropped; consumer: dequeued) with relaxed atomics. */
struct weir_shm_ring_info {
	uint64_t offset;        /* of the rte_ring from the segment start */
	uint32_t worker;
	uint32_t kind;          /* enum weir_shm_kind */
	uint64_t enqueued;      /* records handed to the consumer */
	uint64_t dropped;       /* records lost because the ring was full */
	uint64_t dequeued;      /* records the consumer took */
	uint64_t pad[3];
};

struct weir_shm_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t record_size;   /* sizeof(struct weir_record) of the producer */
	uint32_t ring_count;
	uint32_t ring_slots;    /* capacity of each ring (slots - 1 usable) */
	uint32_t workers;
	int32_t producer_pid;
	uint64_t generation;    /* unique per producer incarnation, increasing */
	uint64_t seg_size;
	uint32_t state;         /* enum weir_shm_state */
	uint32_t pad0;
	uint64_t pad1[6];
	struct weir_shm_ring_info rings[WEIR_SHM_MAX_RINGS];
};

/* Ring index of (worker, kind). */
static inline unsigned weir_shm_ring_index(unsigned worker, enum weir_shm_kind kind)
{
	return worker * WEIR_SHM_KINDS + (unsigned)kind;
}

/* ---- producer (weir) ---- */

struct weir_shm_producer;

/* Create "/weir-<instance>" with `workers` x WEIR_SHM_KINDS rings of `slots`
 * records each (power of two; 0 = default). Replaces a stale segment of the
 * same name. NULL with a message naming the segment and the problem. */
struct weir_shm_producer *weir_shm_producer_create(const char *instance,
						   unsigned workers, unsigned slots,
						   char *err, size_t errlen);

/* Enqueue `n` records onto (worker, kind); never blocks. Returns how many
 * went in; the rest are counted as dropped. Only the worker that owns the
 * ring may call this. */
unsigned weir_shm_push(struct weir_shm_producer *p, unsigned worker,
		       enum weir_shm_kind kind, const struct weir_record *recs,
		       unsigned n);

const struct weir_shm_hdr *weir_shm_producer_hdr(const struct weir_shm_producer *p);
const char *weir_shm_producer_name(const struct weir_shm_producer *p);

/* Mark the segment closed, unmap and unlink it. Records not yet dequeued
 * stay readable by a consumer that has it mapped. */
void weir_shm_producer_close(struct weir_shm_producer *p);

/* ---- consumer (weir-control) ---- */

struct weir_shm_consumer;

/* Map "/weir-<instance>". NULL with a message when it does not exist yet,
 * is not a weir segment, or was built with another record layout. */
struct weir_shm_consumer *weir_shm_consumer_open(const char *instance,
						 char *err, size_t errlen);

/* Dequeue up to `max` records from ring `ring` (0 .. ring_count-1). */
unsigned weir_shm_pop(struct weir_shm_consumer *c, unsigned ring,
		      struct weir_record *recs, unsigned max);

/* Dequeue up to `max` records of one kind, round-robin over the workers. */
unsigned weir_shm_pop_kind(struct weir_shm_consumer *c, enum weir_shm_kind kind,
			   struct weir_record *recs, unsigned max);

/* Records waiting in ring `ring`. */
unsigned weir_shm_pending(const struct weir_shm_consumer *c, unsigned ring);

enum weir_shm_check {
	WEIR_SHM_SAME = 0,      /* mapping is current */
	WEIR_SHM_REMAPPED,      /* producer restarted: now mapping the new segment */
	WEIR_SHM_GONE,          /* producer exited/died and no new segment yet */
};

/* Call every poll round or so (costs a few loads unless the producer's
 * state changed). Remapping only happens once the old rings are empty, so
 * no record is lost across a clean restart; records left in the rings of a
 * dead producer are drained first too. */
enum weir_shm_check weir_shm_consumer_check(struct weir_shm_consumer *c);

const struct weir_shm_hdr *weir_shm_consumer_hdr(const struct weir_shm_consumer *c);
void weir_shm_consumer_close(struct weir_shm_consumer *c);

#endif
