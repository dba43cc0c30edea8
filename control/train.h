/* Training one-class SVM bundles with libsvm (see doc/models.md).
 *
 * Used by `weirctl train` and by weir-control's retraining. The caller
 * hands in the flows to learn from (normal traffic only: filtering by label
 * is the caller's business); this module subsamples, picks the feature
 * categories, scales, chooses gamma and nu when not given, trains, sets the
 * threshold from the training decision values and writes a bundle directory
 * that weir_bundle_load accepts (it is loaded back as a check). */
#ifndef WEIR_TRAIN_H
#define WEIR_TRAIN_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include "record.h"

#define WEIR_TRAIN_DEFAULT_NU 0.2
#define WEIR_TRAIN_DEFAULT_MAX 8000
#define WEIR_TRAIN_DEFAULT_QUANTILE 0.04
#define WEIR_TRAIN_MAX_CATEGORIES 24   /* per one-hot field, most frequent */

struct weir_train_opts {
	double gamma;               /* <= 0: 1 / median pairwise squared distance */
	double nu;                  /* <= 0: WEIR_TRAIN_DEFAULT_NU */
	uint32_t max_train;         /* 0: WEIR_TRAIN_DEFAULT_MAX */
	double threshold_quantile;  /* < 0: WEIR_TRAIN_DEFAULT_QUANTILE */
	uint32_t version;           /* 0: the current Unix time */
	uint64_t seed;              /* subsampling and the gamma heuristic */
	uint64_t exclude;           /* bit (1 << enum weir_field): leave out */
	FILE *progress;             /* progress lines; NULL: quiet */
	/* provenance, written into bundle.json */
	const char *source;         /* data source description */
	uint64_t flows_read;        /* flows in the input (before filtering) */
};

void weir_train_opts_defaults(struct weir_train_opts *o);

struct weir_train_result {
	double gamma, nu, threshold, quantile;
	uint32_t ntrain;            /* flows trained on after subsampling */
	uint32_t ndims;
	uint32_t nsv;
	double time_span_s;
	double seconds;             /* wall time of the libsvm training */
};

/* Train on recs[0..n) and write the bundle into dir (created if missing;
 * existing files are replaced). 0 on success, -1 with a message. */
int weir_train_bundle(const struct weir_record *recs, size_t n,
		      const struct weir_train_opts *o, const char *dir,
		      struct weir_train_result *res, char *err, size_t errlen);

#endif
