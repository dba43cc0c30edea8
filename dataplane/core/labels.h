/* Ground truth: per-flow labels (attack_cat, Label) joined onto records by
 * 5-tuple (either direction) and time overlap. The format is the traffic
 * generator's labels CSV (doc/trafficgen.md); columns are found by name:
 * srcip, sport, dstip, dsport, proto, stime, ltime, attack_cat, Label. */
#ifndef WEIR_LABELS_H
#define WEIR_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include "record.h"

struct weir_labels;

struct weir_labels_stats {
	uint64_t entries;        /* label rows loaded */
	uint64_t matched;        /* records that found their row */
	uint64_t unmatched;      /* records with no row: labelled normal */
	uint64_t attack_records; /* records labelled as attacks */
};

struct weir_labels *weir_labels_load(const char *path, char *err, size_t errlen);
void weir_labels_free(struct weir_labels *l);

/* Set rec->has_label, label and attack_cat. A record that matches no row
 * is normal (Label 0): the generator labels every flow it makes, so only
 * traffic it did not make (none, in its captures) lands there. */
void weir_labels_apply(struct weir_labels *l, struct weir_record *rec);

void weir_labels_get_stats(const struct weir_labels *l, struct weir_labels_stats *st);

/* The precise attack name (the optional `attack` column, e.g. syn_scan) of
 * the row the last weir_labels_apply() matched; "" when it matched none,
 * the row is normal, or the file has no such column. */
const char *weir_labels_last_attack(const struct weir_labels *l);

#endif
