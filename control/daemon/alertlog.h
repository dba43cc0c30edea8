/* One alert output file (anomalies.jsonl, summary.csv, events.jsonl).
 *
 * Every record goes out with one write(2) on an O_APPEND descriptor, so a
 * crash of weir-control never leaves half a line. When the filesystem is full
 * (ENOSPC/EDQUOT) a short write is cut back with ftruncate and the record is
 * kept in a bounded in-memory backlog, written in order once space returns.
 * Files rotate by size and by age: NAME -> NAME.1 -> ... -> NAME.<retention>.
 */
#ifndef WEIR_ALERTLOG_H
#define WEIR_ALERTLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct weir_alog_cfg {
	uint64_t max_bytes;        /* rotate when a record would pass this; 0: never */
	unsigned max_age_s;        /* rotate a non-empty file this old; 0: never */
	unsigned retention;        /* rotated files kept (NAME.1 .. NAME.N) */
	uint64_t backlog_bytes;    /* in-memory backlog bound, bytes */
	unsigned backlog_records;  /* and records */
};

void weir_alog_cfg_default(struct weir_alog_cfg *c);

enum weir_alog_drop {
	WEIR_ALOG_DROP_BACKLOG_BYTES = 0,   /* backlog byte bound reached */
	WEIR_ALOG_DROP_BACKLOG_RECORDS,     /* backlog record bound reached */
	WEIR_ALOG_DROP_IO_ERROR,            /* a write error other than a full disk */
	WEIR_ALOG_DROP_MAX
};
const char *weir_alog_drop_name(unsigned d);

struct weir_alog_stats {
	uint64_t written;          /* records written to disk */
	uint64_t bytes;            /* bytes written */
	uint64_t rotations;
	uint64_t full_errors;      /* writes refused with ENOSPC or EDQUOT */
	uint64_t partial_cut;      /* short writes cut back with ftruncate */
	uint64_t full_episodes;    /* times the file went from ok to full */
	uint64_t backlogged;       /* records that went through the backlog */
	uint64_t backlog_now, backlog_bytes_now, backlog_peak;
	uint64_t dropped[WEIR_ALOG_DROP_MAX];
	int full;                  /* 1 while the disk is full for this file */
	int last_errno;
};

struct weir_alog;

/* header: written at the top of each new file (CSV), or NULL. */
struct weir_alog *weir_alog_open(const char *dir, const char *name,
				 const char *header,
				 const struct weir_alog_cfg *cfg,
				 char *err, size_t errlen);
/* line: one whole record including its '\n'.
 * 0: written; 1: kept in the backlog; -1: dropped (counted by reason). */
int weir_alog_write(struct weir_alog *a, const char *line, size_t len, time_t now);
/* Retry the backlog and apply age rotation. Returns records still waiting. */
uint64_t weir_alog_tick(struct weir_alog *a, time_t now);
/* Force a rotation now (weirctl alerts rotate). 0 ok, -1 err. */
int weir_alog_rotate(struct weir_alog *a, time_t now, char *err, size_t errlen);
void weir_alog_get_stats(const struct weir_alog *a, struct weir_alog_stats *st);
const char *weir_alog_path(const struct weir_alog *a);
/* Writes what it can of the backlog, then frees everything. */
void weir_alog_close(struct weir_alog *a);

#endif
