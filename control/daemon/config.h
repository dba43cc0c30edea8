/* weir-control's settings: INI file (libinih), every setting with a
 * default and a validator whose error names the section, key and problem.
 * configs/weir-control.conf lists them all with their defaults. */
#ifndef WEIR_CTL_CONFIG_H
#define WEIR_CTL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "alertlog.h"
#include "intervals.h"
#include "spike.h"

#define WEIR_CTL_PATH 1024

enum weir_retrain_policy {
	WEIR_RETRAIN_MANUAL = 0,
	WEIR_RETRAIN_ON_SPIKE,
	WEIR_RETRAIN_SUSTAINED,
};
const char *weir_retrain_policy_name(unsigned p);
int weir_retrain_policy_parse(const char *s);   /* -1 if unknown */

struct weir_retrain_cfg {
	enum weir_retrain_policy policy;   /* default sustained */
	unsigned window_min;          /* train on the last T minutes of samples (5) */
	unsigned min_interval_min;    /* minimum time between retrains (30) */
	unsigned sustained_intervals; /* K consecutive elevated intervals (6) */
	double elevated_factor;       /* elevated: rate > factor x baseline rate (3) */
	double elevated_min_rate;     /* ... and above this absolute rate (0.1) */
	double holdout;               /* fraction of the window held back (0.2) */
	double max_holdout_anomaly_rate; /* new model must flag at most this (0.05) */
	unsigned min_train_flows;     /* refuse to train on fewer (500) */
	unsigned learn_flows;         /* learning mode: first model after N (20000) */
	unsigned learn_minutes;       /* ... or T minutes of samples (10) */
	unsigned learn_window_s;      /* learn only from flows starting in the
				       * first S s of event time; 0 = all (0) */
	unsigned sample_capacity;     /* sampled records kept for training (200000) */
	char model_dir[WEIR_CTL_PATH];   /* new bundles are written here */
};

struct weir_kafka_cfg {
	int enabled;
	char brokers[512];
	char topic_anomalies[128], topic_summary[128], topic_events[128];
	unsigned queue_max;           /* records queued in librdkafka (100000) */
	unsigned retries;             /* delivery retries before an error counts (10) */
	int mock_brokers;             /* tests: librdkafka's mock cluster (0 = off) */
};

struct weir_ctl_conf {
	/* [control] */
	char socket[108];             /* /run/weir/control.sock */
	char socket_group[64];        /* "" = the daemon's group */
	char instance[65];            /* shm name: /dev/shm/weir-<instance> */
	char dataplane_socket[108];   /* weir's command socket; "" = none */
	unsigned poll_us;             /* sleep when the rings are empty (1000) */
	double sample_rate;           /* fallback when weir's socket cannot say (0.01) */
	char model[WEIR_CTL_PATH];    /* bundle weir runs at start; "" = learning mode */
	unsigned replay_lockstep;     /* 1: weir replays held at hold points (doc/control.md) */
	/* [intervals] */
	struct weir_ivl_cfg ivl;
	/* [spike] */
	struct weir_spike_cfg spike;
	/* [retrain] */
	struct weir_retrain_cfg retrain;
	/* [alerts] */
	char alert_dir[WEIR_CTL_PATH];  /* /var/lib/weir/alerts */
	struct weir_alog_cfg alog;
	unsigned why_features;        /* deviating features per anomaly (3) */
	/* [kafka] */
	struct weir_kafka_cfg kafka;
};

void weir_ctl_conf_default(struct weir_ctl_conf *c);
/* Load an INI file over the defaults (path NULL: defaults only), then
 * validate. 0 ok; -1 with "FILE:LINE: [section] key: problem". */
int weir_ctl_conf_load(struct weir_ctl_conf *c, const char *path, char *err, size_t errlen);
int weir_ctl_conf_check(const struct weir_ctl_conf *c, char *err, size_t errlen);
/* One setting by section/key (also used for command-line overrides). */
int weir_ctl_conf_set(struct weir_ctl_conf *c, const char *section, const char *key,
		      const char *val, char *err, size_t errlen);

#endif
