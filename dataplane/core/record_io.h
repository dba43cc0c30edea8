/* Writing flow records as CSV or JSON lines, and reading flow CSVs back
 * (ours, and UNSW-NB15's raw 49-column and partitioned 45-column files). */
#ifndef WEIR_RECORD_IO_H
#define WEIR_RECORD_IO_H

#include <stdio.h>
#include <stddef.h>
#include "record.h"

enum weir_fmt { WEIR_FMT_CSV = 0, WEIR_FMT_JSONL };

/* Optional column groups after the 47 features. */
#define WEIR_COLS_LABELS 0x01   /* attack_cat, Label */
#define WEIR_COLS_SCORE  0x02   /* score, verdict, model_version */
#define WEIR_COLS_EXTRA  0x04   /* end_reason, vlan, worker, flow_id */

/* The 47 UNSW-NB15 feature names, in raw column order. */
extern const char *const weir_feature_names[47];

int weir_fmt_parse(const char *s);  /* -1 if unknown */

/* Format one record (no trailing newline for CSV? yes: with newline) into
 * buf; returns the length, or 0 if it did not fit. */
size_t weir_record_format(char *buf, size_t len, enum weir_fmt fmt,
			  unsigned cols, const struct weir_record *r);
size_t weir_record_header(char *buf, size_t len, enum weir_fmt fmt, unsigned cols);

/* Reading flow files back. */
struct weir_flowfile;

struct weir_flowfile *weir_flowfile_open(const char *path, char *err, size_t errlen);
/* 1: a record, 0: end of file, -1: error (message in err, naming file:line). */
int weir_flowfile_next(struct weir_flowfile *ff, struct weir_record *rec,
		       char *err, size_t errlen);
int weir_flowfile_has_labels(const struct weir_flowfile *ff);
const char *weir_flowfile_kind(const struct weir_flowfile *ff); /* "weir", "unsw-raw", "unsw-part" */
void weir_flowfile_close(struct weir_flowfile *ff);

#endif
