/* "Why it was flagged": the features of an anomalous flow that deviate most
 * from the training distribution, as z-scores against the model bundle's
 * per-feature mean and standard deviation.
 *
 * Features are named as in UNSW-NB15 (weir_feature_names). A bundle's
 * statistics are copied in by name, so this module does not depend on the
 * bundle's feature order; features the bundle does not describe, and
 * non-numeric ones (addresses, proto/state/service, Stime/Ltime), are skipped.
 */
#ifndef WEIR_FEATDEV_H
#define WEIR_FEATDEV_H

#include <stddef.h>
#include "record.h"

#define WEIR_FEATDEV_N 47

struct weir_featstats {
	unsigned char have[WEIR_FEATDEV_N];   /* 1 when mean/std are known */
	double mean[WEIR_FEATDEV_N];
	double std[WEIR_FEATDEV_N];
};

struct weir_featdev {
	unsigned feature;        /* index into weir_feature_names */
	double value;
	double z;                /* (value - mean) / std */
};

void weir_featstats_clear(struct weir_featstats *fs);
/* 0 ok; -1 if the name is not one of the 47 features. */
int weir_featstats_set(struct weir_featstats *fs, const char *name, double mean, double std);
/* Fit mean/std from records (the training set), every numeric feature. */
void weir_featstats_fit(struct weir_featstats *fs, const struct weir_record *recs, size_t n);

/* Numeric value of feature i of the record; 0 and *out set, -1 if the
 * feature is not numeric. */
int weir_feature_value(const struct weir_record *r, unsigned i, double *out);

/* The k features with the largest |z| (k <= WEIR_FEATDEV_N), most deviant
 * first; a zero std counts as 1e-9 so a constant-in-training feature that
 * moved stands out. Returns how many were filled. */
unsigned weir_featdev_top(const struct weir_featstats *fs, const struct weir_record *r,
			  unsigned k, struct weir_featdev *out);

#endif
