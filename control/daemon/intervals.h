/* Event-time intervals over the record stream.
 *
 * Intervals are [k*L, (k+1)*L) of the records' Ltime (ltime_ns), so a replay
 * produces the same intervals at any speed. The watermark is the largest
 * Ltime seen; interval k closes once the watermark passes its end plus the
 * allowed lateness. A record for an interval that has already closed is
 * "late": it is counted (late_records) and still exported as an alert, but
 * no longer changes the interval's tallies, which have been published.
 *
 * Usage, per record:
 *     while (weir_ivl_advance(iv, rec->ltime_ns, &out)) publish(&out);
 *     weir_ivl_add(iv, rec, kind);
 * and at the end of the stream (dataplane finished), weir_ivl_flush in a loop.
 *
 * A jump of the watermark by more than max_gap empty intervals (a capture
 * with a long silence, a clock step) skips the empty intervals instead of
 * publishing each one; the next published interval says how many it skipped.
 * Memory is fixed at creation; nothing allocates per record.
 */
#ifndef WEIR_INTERVALS_H
#define WEIR_INTERVALS_H

#include <stddef.h>
#include <stdint.h>
#include "record.h"

#define WEIR_IVL_MAX_TOP 16

struct weir_ivl_cfg {
	unsigned length_s;        /* interval length L (default 10) */
	unsigned lateness_s;      /* allowed lateness (default 30) */
	unsigned max_keys;        /* distinct sources (and destinations) tallied per interval (4096) */
	unsigned top_n;           /* top sources/destinations reported (5) */
	unsigned max_gap;         /* empty intervals published before skipping (360) */
};

void weir_ivl_cfg_default(struct weir_ivl_cfg *c);
int weir_ivl_cfg_check(const struct weir_ivl_cfg *c, char *err, size_t errlen);

enum weir_ivl_kind { WEIR_IVL_SAMPLE = 0, WEIR_IVL_ANOMALY };

struct weir_ivl_top {
	uint8_t ip[16];
	uint8_t family;           /* 4 or 6 */
	uint64_t anomalies;
};

struct weir_interval {
	uint64_t index;           /* k */
	uint64_t start_ns, end_ns;
	uint64_t sampled;         /* sample-ring records */
	uint64_t anomalies;       /* anomaly-ring records */
	uint64_t other_keys;      /* anomalies whose source/destination overflowed max_keys */
	uint64_t skipped_before;  /* empty intervals skipped just before this one */
	unsigned ntop_src, ntop_dst;
	struct weir_ivl_top top_src[WEIR_IVL_MAX_TOP], top_dst[WEIR_IVL_MAX_TOP];
};

struct weir_ivl_stats {
	uint64_t late_records;    /* arrived after their interval closed */
	uint64_t published;       /* intervals published */
	uint64_t skipped;         /* empty intervals skipped over gaps */
	uint64_t watermark_ns;
};

struct weir_ivl;

struct weir_ivl *weir_ivl_create(const struct weir_ivl_cfg *c, char *err, size_t errlen);
void weir_ivl_free(struct weir_ivl *iv);

/* Move the watermark to max(watermark, ltime_ns); 1 and *out filled when an
 * interval closed (call again), 0 when none is due. */
int weir_ivl_advance(struct weir_ivl *iv, uint64_t ltime_ns, struct weir_interval *out);
/* 0: counted; 1: late (its interval already closed). */
int weir_ivl_add(struct weir_ivl *iv, const struct weir_record *r, enum weir_ivl_kind kind);
/* End of stream: close the open intervals up to the watermark's one, one
 * per call (1), then 0. Later records start afresh after the watermark. */
int weir_ivl_flush(struct weir_ivl *iv, struct weir_interval *out);
void weir_ivl_get_stats(const struct weir_ivl *iv, struct weir_ivl_stats *st);
/* Forget everything (dataplane restarted with another timeline). */
void weir_ivl_reset(struct weir_ivl *iv);

/* Address of a record's source or destination as text. */
void weir_ip_format(const uint8_t ip[16], unsigned family, char *buf, size_t len);

#endif
