/* Evaluating a detector on labelled flows (`weirctl eval`, `weirctl train
 * --cv`): the scored set, AUC / detection rate / FPR, per attack category,
 * the ROC curve (CSV + PNG through gnuplot); and reading the flows
 * themselves from flow CSVs or captures. */
#ifndef WEIRCTL_ROC_H
#define WEIRCTL_ROC_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <json-c/json.h>
#include "record.h"

#define WEIR_EVAL_MAX_CATS 64

struct weir_evalset {
	size_t n, cap;
	float *score;          /* decision value: lower = more anomalous */
	uint8_t *label;        /* 0 normal, 1 attack */
	uint8_t *flagged;      /* the verdict at the bundle's threshold */
	uint8_t *cat;          /* index into cats (attacks only) */
	unsigned ncats;
	char cats[WEIR_EVAL_MAX_CATS][24];
};

void weir_evalset_init(struct weir_evalset *e);
void weir_evalset_free(struct weir_evalset *e);
/* attack_cat is trimmed of the stray spaces UNSW-NB15 has; "" -> "unknown". */
int weir_evalset_add(struct weir_evalset *e, float score, int label, int flagged,
		     const char *attack_cat);

/* Area under the ROC curve, ranking by -score, ties counted half.
 * NaN when one class is absent. Over entries [from, to). */
double weir_eval_auc(const struct weir_evalset *e, size_t from, size_t to);

struct weir_eval_summary {
	double auc;
	uint64_t normal, attacks, tp, fp;
	double detection_rate, false_positive_rate;
};
void weir_eval_summarise(const struct weir_evalset *e, struct weir_eval_summary *s);

/* Text or one JSON object on out; `extra` (may be NULL) is a JSON object
 * whose keys are added (bundle version, folds, ...). */
void weir_eval_print(FILE *out, const struct weir_evalset *e,
		     const struct weir_eval_summary *s, int json,
		     struct json_object *extra);

/* FILE.csv beside FILE.png, and the PNG via gnuplot. */
int weir_roc_write(const struct weir_evalset *e, const char *png,
		   char *err, size_t errlen);

/* Reading flows: each DATA path is a flow CSV (ours, UNSW-NB15 raw or
 * partitioned, recognised by its header) or a capture (pcap/pcapng, by its
 * magic number), run through the engine. fn gets every record; returning
 * non-zero stops. Returns 0, or -1 with a message naming the file. */
typedef int (*weir_flow_fn)(void *ctx, const struct weir_record *r);
int weir_read_flows(char *const *paths, int npaths, weir_flow_fn fn, void *ctx,
		    FILE *progress, char *err, size_t errlen);

#endif
