/* weir-control's state and main-loop step (the daemon is main.c + this). */
#ifndef WEIR_CTL_H
#define WEIR_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "alertlog.h"
#include "config.h"
#include "ctlsrv.h"
#include "featdev.h"
#include "intervals.h"
#include "retrain.h"
#include "spike.h"
#include "weir_shm.h"
#ifdef WEIR_HAVE_KAFKA
#include "kafka.h"
#endif

#define WEIR_CTL_SPIKE_HISTORY 1000
#define WEIR_CTL_BATCH 256

struct weir_bundle;

struct weir_ctl_totals {
	uint64_t anomalies, sampled, intervals, spikes;
	uint64_t retrains, retrain_failed, retrain_rejected, swaps, rollbacks;
	uint64_t connects, disconnects, restarts;
	uint64_t anomaly_format_errors;
};

struct weir_ctl {
	struct weir_ctl_conf cf;
	time_t started;
	/* outputs */
	struct weir_alog *a_anom, *a_sum, *a_ev;
#ifdef WEIR_HAVE_KAFKA
	struct weir_kafka *kafka;
#endif
	/* dataplane */
	struct weir_shm_consumer *shm;
	int connected;             /* a live producer is mapped */
	int ended;                 /* it went away and everything was consumed */
	char shm_wait[320];        /* why the segment cannot be mapped yet ("" = it can) */
	uint64_t generation;
	int32_t producer_pid;
	unsigned workers;
	uint64_t drops_seen[WEIR_SHM_MAX_RINGS];
	uint64_t drops_total;
	double sample_rate;        /* from weir's stats, else the setting */
	double threshold;          /* from weir's stats; NaN unknown */
	double last_connect_try, last_check, last_tick, last_dpstats;
	unsigned rounds;
	/* event time */
	struct weir_ivl *ivl;
	struct weir_spike_series series;
	struct weir_policy policy;
	/* sampled flows for training (a ring) */
	struct weir_record *samples;
	size_t scap, shead, scount;
	/* models */
	struct weir_bundle *bundle;       /* what weir runs, when we know it */
	char model_dir[WEIR_CTL_PATH], prev_dir[WEIR_CTL_PATH];
	uint32_t model_version, prev_version, seen_version;
	int learning;
	int adopted_pending;              /* a model to give weir when it connects */
	uint64_t learn_tried_at;          /* samples at the last learning attempt */
	uint64_t learn_start_ns;          /* Stime of the first flow seen learning */
	int learn_tried_at_end;
	uint64_t last_watermark;          /* of the stream that ended last */
	struct weir_trainer *trainer;
	struct weir_featstats fallback;   /* when no bundle: recent samples */
	uint64_t fallback_at;             /* sampled count when fitted */
	/* spikes, newest last */
	char *spike_json[WEIR_CTL_SPIKE_HISTORY];
	unsigned nspikes, spike_head;
	struct weir_ctl_totals t;
	/* replay lockstep ([control] replay_lockstep): weir waits at hold
	 * points; the rings are read only while it does */
	double ls_last_query;
	int ls_free;                      /* weir's replay is over: drain freely */
	int ls_answered;                  /* weir answered a hold query since connect */
	uint64_t ls_holds;
	uint64_t ls_until;                /* the hold point weir was last given */
	uint64_t ls_swap_hold;            /* the one it waited at for a retrain */
	struct weir_spikemarks spikemarks;   /* the training-set rule (retrain.h) */
	struct weir_ctlsrv *srv;
	struct weir_record batch[WEIR_CTL_BATCH];
};

int weir_ctl_init(struct weir_ctl *c, char *err, size_t errlen);
/* One round: consume, tick, serve the socket (sleeps up to poll_us when idle). */
void weir_ctl_step(struct weir_ctl *c);
/* Drain, publish the open intervals, close everything. */
void weir_ctl_fini(struct weir_ctl *c);

#endif
