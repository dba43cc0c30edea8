/* Retraining: when to retrain (a pure policy over published intervals) and
 * the trainer, a thread of its own so the ring consumer never waits on it.
 *
 * Policies (config.h):
 *   manual     only `weirctl retrain`;
 *   on-spike   every spike, from the last window_min minutes of samples;
 *   sustained  only when the anomaly rate stays elevated (above
 *              elevated_factor x the baseline rate and above
 *              elevated_min_rate) for sustained_intervals consecutive
 *              intervals: normal traffic has shifted. A short spike alerts.
 * Both automatic policies respect min_interval_min between retrains (event
 * time, so a replay decides the same at any speed).
 *
 * The trainer trains on the window minus a held-back part (flows chosen by
 * a hash of flow id and worker), validates the new bundle on the held-back
 * flows (it must flag at most max_holdout_anomaly_rate of them), and only
 * then asks weir to load it. The previous bundle is kept for rollback.
 */
#ifndef WEIR_RETRAIN_H
#define WEIR_RETRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "intervals.h"
#include "record.h"

struct weir_bundle;

/* ---- policy ---- */

struct weir_policy {
	struct weir_retrain_cfg cfg;
	double baseline;          /* EWMA of the non-elevated interval rates */
	unsigned nbase;           /* intervals in the baseline */
	unsigned consecutive;     /* elevated intervals in a row */
	uint64_t last_ns;         /* event time of the last retrain */
	int have_last;
};

void weir_policy_init(struct weir_policy *p, const struct weir_retrain_cfg *c);
/* One published interval. Returns 1 when a retrain is due, with a reason. */
int weir_policy_interval(struct weir_policy *p, uint64_t end_ns, double rate,
			 int spike, char *why, size_t whylen);
/* A retrain happened at event time t (any cause): restart the baseline. */
void weir_policy_retrained(struct weir_policy *p, uint64_t t_ns);
int weir_policy_elevated(const struct weir_policy *p, double rate);

/* ---- training-set rule ----
 * A retrain must not learn an attack as normal: a sampled flow is left out
 * of the training set when its Ltime falls in an interval that was a spike,
 * or its source is one of a spike's top sources. The last
 * WEIR_SPIKEMARKS spikes are remembered. */

#define WEIR_SPIKEMARKS 64

struct weir_spikemark {
	uint64_t start_ns, end_ns;
	unsigned nsrc;
	struct weir_ivl_top src[WEIR_IVL_MAX_TOP];
};

struct weir_spikemarks {
	struct weir_spikemark m[WEIR_SPIKEMARKS];
	unsigned n, next;          /* marks held; slot the next one goes to */
};

/* Remember a published interval that was a spike. */
void weir_spikemarks_add(struct weir_spikemarks *s, const struct weir_interval *iv);
/* 1 if the rule leaves this flow out of a training set. */
int weir_spikemarks_exclude(const struct weir_spikemarks *s, const struct weir_record *r);

/* ---- trainer thread ---- */

struct weir_train_job {
	struct weir_record *recs;  /* owned by the job (malloc'd) */
	size_t n;
	double holdout;            /* fraction held back */
	double max_holdout_rate;
	uint32_t version;
	char dir[WEIR_CTL_PATH + 32];   /* bundle directory to write */
	char dp_socket[108];       /* weir's socket: load_model on success; "" = don't */
	char reason[160];
	uint64_t event_ns;         /* watermark when it was asked for */
};

struct weir_train_outcome {
	int trained;               /* a bundle was written */
	int accepted;              /* it passed validation */
	int swapped;               /* weir loaded it */
	struct weir_bundle *bundle;   /* loaded, when accepted; caller owns */
	char dir[WEIR_CTL_PATH + 32];
	uint32_t version;
	size_t ntrain, nholdout;
	double holdout_rate;
	double seconds;
	char reason[160];
	char msg[768];             /* what went wrong, or a summary */
	uint64_t event_ns;
};

struct weir_trainer;

struct weir_trainer *weir_trainer_start(char *err, size_t errlen);
/* 0 queued; -1 busy (one job at a time; the job is left to the caller). */
int weir_trainer_submit(struct weir_trainer *t, struct weir_train_job *job);
int weir_trainer_busy(struct weir_trainer *t);
/* 1 and *out filled when a job finished. */
int weir_trainer_poll(struct weir_trainer *t, struct weir_train_outcome *out);
void weir_trainer_stop(struct weir_trainer *t);

/* Split by hash: 1 if the record belongs to the held-back part. */
int weir_holdout_pick(const struct weir_record *r, double fraction);

#endif
