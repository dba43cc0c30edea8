/* Spike detection: z-score of the newest difference (see spike.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "spike.h"

void weir_spike_cfg_default(struct weir_spike_cfg *c)
{
	c->window = 31;
	c->threshold = 5.0;
	c->min_points = 8;
	c->min_abs_diff = 10.0;
}

int weir_spike_cfg_check(const struct weir_spike_cfg *c, char *err, size_t errlen)
{
	if (c->window < 2 || c->window > WEIR_SPIKE_MAX_WINDOW) {
		snprintf(err, errlen, "[spike] window = %u: must be 2..%u", c->window,
			 WEIR_SPIKE_MAX_WINDOW);
		return -1;
	}
	if (!(c->threshold > 0) || !isfinite(c->threshold)) {
		snprintf(err, errlen, "[spike] threshold = %g: must be a positive number",
			 c->threshold);
		return -1;
	}
	if (c->min_points < 2 || c->min_points > c->window) {
		snprintf(err, errlen, "[spike] min_points = %u: must be 2..window (%u)",
			 c->min_points, c->window);
		return -1;
	}
	if (!(c->min_abs_diff >= 0) || !isfinite(c->min_abs_diff)) {
		snprintf(err, errlen, "[spike] min_abs_diff = %g: must be >= 0", c->min_abs_diff);
		return -1;
	}
	return 0;
}

const char *weir_spike_why_name(enum weir_spike_why w)
{
	switch (w) {
	case WEIR_SPIKE_NO: return "none";
	case WEIR_SPIKE_WARMING: return "warming";
	case WEIR_SPIKE_ZSCORE: return "zscore";
	case WEIR_SPIKE_FLAT: return "flat";
	}
	return "?";
}

void weir_spike_eval(const struct weir_spike_cfg *c, const double *counts,
		     size_t n, struct weir_spike_result *out)
{
	memset(out, 0, sizeof(*out));
	out->z = NAN;
	out->why = WEIR_SPIKE_WARMING;
	if (n < 2)
		return;
	out->diff = counts[n - 1] - counts[n - 2];
	/* Baseline: the differences before the newest, at most window of them.
	 * With n counts there are n - 2 previous differences. */
	size_t nb = n - 2;
	if (nb > c->window)
		nb = c->window;
	out->baseline = (unsigned)nb;
	if (nb < c->min_points || nb < 2)
		return;
	/* d[j] = counts[k] - counts[k-1] for k in [n-1-nb, n-2]. Two passes:
	 * the window is small, and this avoids the cancellation of sum-of-squares. */
	double sum = 0;
	for (size_t k = n - 1 - nb; k <= n - 2; k++)
		sum += counts[k] - counts[k - 1];
	double mean = sum / (double)nb;
	double ss = 0;
	for (size_t k = n - 1 - nb; k <= n - 2; k++) {
		double e = (counts[k] - counts[k - 1]) - mean;
		ss += e * e;
	}
	double sd = sqrt(ss / (double)(nb - 1));
	out->mean = mean;
	out->sd = sd;
	double rise = out->diff - mean;
	if (sd < 1e-9) {
		/* Flat baseline: any rise would have an infinite z; demand an
		 * absolute rise instead so a 0,0,0,1 series is not a spike. */
		out->spike = rise >= c->min_abs_diff && rise > 0;
		out->why = out->spike ? WEIR_SPIKE_FLAT : WEIR_SPIKE_NO;
		return;
	}
	out->z = rise / sd;
	/* The absolute floor also applies here: with a tiny sd, one extra
	 * anomaly can give a large z that means nothing to an operator. */
	out->spike = out->z >= c->threshold && rise >= c->min_abs_diff;
	out->why = out->spike ? WEIR_SPIKE_ZSCORE : WEIR_SPIKE_NO;
}

void weir_spike_series_reset(struct weir_spike_series *s)
{
	s->n = 0;
}

void weir_spike_series_push(struct weir_spike_series *s,
			    const struct weir_spike_cfg *c, double count,
			    struct weir_spike_result *out)
{
	size_t keep = (size_t)c->window + 2;
	if (keep > WEIR_SPIKE_MAX_WINDOW + 2)
		keep = WEIR_SPIKE_MAX_WINDOW + 2;
	if (s->n >= keep) {
		memmove(s->x, s->x + (s->n - keep + 1), (keep - 1) * sizeof(double));
		s->n = keep - 1;
	}
	s->x[s->n++] = count;
	weir_spike_eval(c, s->x, s->n, out);
}
