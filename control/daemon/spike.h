/* Spike detection over the per-interval anomaly-count series.
 *
 * Pure functions, no allocation beyond the caller's struct. The series is
 * differenced (d[i] = x[i] - x[i-1]) so a slow rise in the anomaly level does
 * not read as a spike; the newest difference is z-scored against the previous
 * differences in a sliding window.
 *
 * Edge cases (documented in doc/control.md):
 *  - fewer than min_points previous differences: never a spike ("warming");
 *  - zero (or < 1e-9) standard deviation in the window: z is undefined, so the
 *    newest difference is a spike only if it exceeds the window mean by at
 *    least min_abs_diff anomalies;
 *  - only rises are spikes (z >= threshold); a fall is never reported.
 * The standard deviation is the sample one (n - 1 in the denominator).
 */
#ifndef WEIR_SPIKE_H
#define WEIR_SPIKE_H

#include <stddef.h>
#include <stdint.h>

#define WEIR_SPIKE_MAX_WINDOW 1024

struct weir_spike_cfg {
	unsigned window;      /* previous differences in the baseline (default 31) */
	double threshold;     /* z-score threshold (default 5) */
	unsigned min_points;  /* baseline differences needed before any spike (default 8) */
	double min_abs_diff;  /* zero-variance rule, and a floor for every spike (default 10) */
};

void weir_spike_cfg_default(struct weir_spike_cfg *c);
/* 0 ok; -1 with a message naming the setting. */
int weir_spike_cfg_check(const struct weir_spike_cfg *c, char *err, size_t errlen);

enum weir_spike_why {
	WEIR_SPIKE_NO = 0,        /* evaluated, below threshold */
	WEIR_SPIKE_WARMING,       /* fewer than min_points baseline differences */
	WEIR_SPIKE_ZSCORE,        /* spike: z >= threshold */
	WEIR_SPIKE_FLAT,          /* spike: zero variance, rise >= min_abs_diff */
};

struct weir_spike_result {
	int spike;                /* 1 if a spike */
	enum weir_spike_why why;
	double diff;              /* newest difference */
	double mean, sd;          /* of the baseline differences */
	double z;                 /* NaN when sd is zero or warming */
	unsigned baseline;        /* number of baseline differences used */
};

/* Evaluate the newest point of counts[0..n-1] (oldest first). Uses at most
 * the last window + 2 counts. */
void weir_spike_eval(const struct weir_spike_cfg *c, const double *counts,
		     size_t n, struct weir_spike_result *out);

/* A bounded history of counts, for the daemon: push one count per closed
 * interval and get the evaluation of that newest point. */
struct weir_spike_series {
	double x[WEIR_SPIKE_MAX_WINDOW + 2];
	size_t n;                 /* valid counts, at most window + 2 */
};

void weir_spike_series_reset(struct weir_spike_series *s);
void weir_spike_series_push(struct weir_spike_series *s,
			    const struct weir_spike_cfg *c, double count,
			    struct weir_spike_result *out);

const char *weir_spike_why_name(enum weir_spike_why w);

#endif
