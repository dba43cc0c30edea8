/* weir-control settings: defaults, INI parsing, validation. */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

static const char *const policy_names[] = { "manual", "on-spike", "sustained" };

const char *weir_retrain_policy_name(unsigned p)
{
	return p < 3 ? policy_names[p] : "?";
}

int weir_retrain_policy_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, policy_names[i]))
			return i;
	return -1;
}

void weir_ctl_conf_default(struct weir_ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "/run/weir/control.sock");
	snprintf(c->instance, sizeof(c->instance), "default");
	snprintf(c->dataplane_socket, sizeof(c->dataplane_socket), "/run/weir/weir.sock");
	c->poll_us = 1000;
	c->sample_rate = 0.01;
	weir_ivl_cfg_default(&c->ivl);
	weir_spike_cfg_default(&c->spike);
	struct weir_retrain_cfg *r = &c->retrain;
	r->policy = WEIR_RETRAIN_SUSTAINED;
	r->window_min = 5;
	r->min_interval_min = 30;
	r->sustained_intervals = 6;
	r->elevated_factor = 3;
	/* Clear of a healthy model's own flag rate: bundles set their threshold
	 * at the 4 % quantile of the training scores (doc/models.md). */
	r->elevated_min_rate = 0.1;
	r->holdout = 0.2;
	r->max_holdout_anomaly_rate = 0.05;
	r->min_train_flows = 500;
	r->learn_flows = 20000;
	r->learn_minutes = 10;
	r->learn_window_s = 0;
	r->sample_capacity = 200000;   /* 312 bytes each: 62 MB */
	snprintf(r->model_dir, sizeof(r->model_dir), "/var/lib/weir/models");
	snprintf(c->alert_dir, sizeof(c->alert_dir), "/var/lib/weir/alerts");
	weir_alog_cfg_default(&c->alog);
	c->why_features = 3;
	struct weir_kafka_cfg *k = &c->kafka;
	snprintf(k->brokers, sizeof(k->brokers), "localhost:9092");
	snprintf(k->topic_anomalies, sizeof(k->topic_anomalies), "weir.anomalies");
	snprintf(k->topic_summary, sizeof(k->topic_summary), "weir.summary");
	snprintf(k->topic_events, sizeof(k->topic_events), "weir.events");
	k->queue_max = 100000;
	k->retries = 10;
}

/* Parsers: each returns 0 or -1 with the problem in err. */
static int p_uint(const char *v, unsigned long long lo, unsigned long long hi,
		  unsigned long long *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	if (*v == '-') {
		snprintf(err, errlen, "'%s' is negative; expected %llu..%llu", v, lo, hi);
		return -1;
	}
	unsigned long long x = strtoull(v, &end, 10);
	/* size suffixes for byte settings */
	unsigned long long mult = 1;
	if (end != v && *end && !end[1]) {
		if (*end == 'k' || *end == 'K') mult = 1ull << 10;
		else if (*end == 'M') mult = 1ull << 20;
		else if (*end == 'G') mult = 1ull << 30;
		if (mult > 1)
			end++;
	}
	if (end == v || *end || errno) {
		snprintf(err, errlen, "'%s' is not a whole number (%llu..%llu)", v, lo, hi);
		return -1;
	}
	if (x > ULLONG_MAX / mult || x * mult < lo || x * mult > hi) {
		snprintf(err, errlen, "'%s' is out of range %llu..%llu", v, lo, hi);
		return -1;
	}
	*out = x * mult;
	return 0;
}

static int p_double(const char *v, double lo, double hi, double *out, char *err, size_t errlen)
{
	char *end;
	double x = strtod(v, &end);
	if (end == v || *end || !isfinite(x)) {
		snprintf(err, errlen, "'%s' is not a number (%g..%g)", v, lo, hi);
		return -1;
	}
	if (x < lo || x > hi) {
		snprintf(err, errlen, "'%s' is out of range %g..%g", v, lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

static int p_bool(const char *v, int *out, char *err, size_t errlen)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = 0;
	else {
		snprintf(err, errlen, "'%s' is not a boolean (true/false)", v);
		return -1;
	}
	return 0;
}

static int p_str(const char *v, char *dst, size_t cap, char *err, size_t errlen)
{
	size_t l = strlen(v);
	if (l >= cap) {
		snprintf(err, errlen, "value is %zu characters, at most %zu allowed", l, cap - 1);
		return -1;
	}
	memcpy(dst, v, l + 1);
	return 0;
}

#define UINT(field, lo, hi) do { unsigned long long _x; \
	if (p_uint(val, lo, hi, &_x, e, sizeof(e))) { goto bad; } \
	(field) = (unsigned)_x; } while (0)
#define U64(field, lo, hi) do { unsigned long long _x; \
	if (p_uint(val, lo, hi, &_x, e, sizeof(e))) { goto bad; } \
	(field) = _x; } while (0)
#define DBL(field, lo, hi) do { if (p_double(val, lo, hi, &(field), e, sizeof(e))) goto bad; } while (0)
#define STR(field) do { if (p_str(val, field, sizeof(field), e, sizeof(e))) goto bad; } while (0)
#define KEY(k) (!strcmp(key, k))

int weir_ctl_conf_set(struct weir_ctl_conf *c, const char *sec, const char *key,
		      const char *val, char *err, size_t errlen)
{
	char e[256];
	if (!strcmp(sec, "control")) {
		if (KEY("socket")) STR(c->socket);
		else if (KEY("socket_group")) STR(c->socket_group);
		else if (KEY("instance")) STR(c->instance);
		else if (KEY("dataplane_socket")) STR(c->dataplane_socket);
		else if (KEY("poll_us")) UINT(c->poll_us, 10, 1000000);
		else if (KEY("sample_rate")) DBL(c->sample_rate, 1e-6, 1);
		else if (KEY("model")) STR(c->model);
		else if (KEY("replay_lockstep")) UINT(c->replay_lockstep, 0, 1);
		else goto unknown;
	} else if (!strcmp(sec, "intervals")) {
		if (KEY("length_s")) UINT(c->ivl.length_s, 1, 86400);
		else if (KEY("lateness_s")) UINT(c->ivl.lateness_s, 0, 3600);
		else if (KEY("max_keys")) UINT(c->ivl.max_keys, 16, 1u << 20);
		else if (KEY("top_n")) UINT(c->ivl.top_n, 1, WEIR_IVL_MAX_TOP);
		else if (KEY("max_gap")) UINT(c->ivl.max_gap, 0, 1000000);
		else goto unknown;
	} else if (!strcmp(sec, "spike")) {
		if (KEY("window")) UINT(c->spike.window, 2, WEIR_SPIKE_MAX_WINDOW);
		else if (KEY("threshold")) DBL(c->spike.threshold, 1e-6, 1e6);
		else if (KEY("min_points")) UINT(c->spike.min_points, 2, WEIR_SPIKE_MAX_WINDOW);
		else if (KEY("min_abs_diff")) DBL(c->spike.min_abs_diff, 0, 1e12);
		else goto unknown;
	} else if (!strcmp(sec, "retrain")) {
		struct weir_retrain_cfg *r = &c->retrain;
		if (KEY("policy")) {
			int p = weir_retrain_policy_parse(val);
			if (p < 0) {
				snprintf(e, sizeof(e), "'%s' is not a policy (manual, on-spike, sustained)", val);
				goto bad;
			}
			r->policy = (enum weir_retrain_policy)p;
		}
		else if (KEY("window_min")) UINT(r->window_min, 1, 1440);
		else if (KEY("min_interval_min")) UINT(r->min_interval_min, 0, 10080);
		else if (KEY("sustained_intervals")) UINT(r->sustained_intervals, 1, 10000);
		else if (KEY("elevated_factor")) DBL(r->elevated_factor, 1, 1e6);
		else if (KEY("elevated_min_rate")) DBL(r->elevated_min_rate, 0, 1);
		else if (KEY("holdout")) DBL(r->holdout, 0.05, 0.5);
		else if (KEY("max_holdout_anomaly_rate")) DBL(r->max_holdout_anomaly_rate, 0, 1);
		else if (KEY("min_train_flows")) UINT(r->min_train_flows, 10, 10000000);
		else if (KEY("learn_flows")) UINT(r->learn_flows, 10, 10000000);
		else if (KEY("learn_minutes")) UINT(r->learn_minutes, 0, 10080);
		else if (KEY("learn_window_s")) UINT(r->learn_window_s, 0, 604800);
		else if (KEY("sample_capacity")) UINT(r->sample_capacity, 100, 50000000);
		else if (KEY("model_dir")) STR(r->model_dir);
		else goto unknown;
	} else if (!strcmp(sec, "alerts")) {
		if (KEY("dir")) STR(c->alert_dir);
		else if (KEY("max_bytes")) U64(c->alog.max_bytes, 0, 1ull << 40);
		else if (KEY("max_age_s")) UINT(c->alog.max_age_s, 0, 365u * 86400);
		else if (KEY("retention")) UINT(c->alog.retention, 0, 1000);
		else if (KEY("backlog_bytes")) U64(c->alog.backlog_bytes, 4096, 1ull << 34);
		else if (KEY("backlog_records")) UINT(c->alog.backlog_records, 1, 100000000);
		else if (KEY("why_features")) UINT(c->why_features, 0, 47);
		else goto unknown;
	} else if (!strcmp(sec, "kafka")) {
		struct weir_kafka_cfg *k = &c->kafka;
		if (KEY("enabled")) { if (p_bool(val, &k->enabled, e, sizeof(e))) goto bad; }
		else if (KEY("brokers")) STR(k->brokers);
		else if (KEY("topic_anomalies")) STR(k->topic_anomalies);
		else if (KEY("topic_summary")) STR(k->topic_summary);
		else if (KEY("topic_events")) STR(k->topic_events);
		else if (KEY("queue_max")) UINT(k->queue_max, 100, 10000000);
		else if (KEY("retries")) UINT(k->retries, 0, 1000000);
		else if (KEY("mock_brokers")) UINT(k->mock_brokers, 0, 16);
		else goto unknown;
	} else {
		snprintf(err, errlen, "[%s]: unknown section (control, intervals, spike, "
			 "retrain, alerts, kafka)", sec);
		return -1;
	}
	return 0;
unknown:
	snprintf(err, errlen, "[%s] %s: unknown setting (see configs/weir-control.conf)", sec, key);
	return -1;
bad:
	snprintf(err, errlen, "[%s] %s: %s", sec, key, e);
	return -1;
}

struct load_ctx {
	struct weir_ctl_conf *c;
	const char *path;
	char err[512];
	int failed;
};

static int on_kv(void *user, const char *sec, const char *key, const char *val)
{
	struct load_ctx *lc = user;
	if (lc->failed)
		return 1;
	char e[400];
	if (weir_ctl_conf_set(lc->c, sec, key, val, e, sizeof(e)) < 0) {
		snprintf(lc->err, sizeof(lc->err), "%s", e);
		lc->failed = 1;
		return 0;    /* inih reports the line */
	}
	return 1;
}

int weir_ctl_conf_load(struct weir_ctl_conf *c, const char *path, char *err, size_t errlen)
{
	if (path) {
		struct load_ctx lc = { .c = c, .path = path };
		int r = ini_parse(path, on_kv, &lc);
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			return -1;
		}
		if (r > 0) {
			if (lc.failed)
				snprintf(err, errlen, "%s:%d: %s", path, r, lc.err);
			else
				snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
					 path, r);
			return -1;
		}
		char e[600];
		if (weir_ctl_conf_check(c, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: %s", path, e);
			return -1;
		}
		return 0;
	}
	return weir_ctl_conf_check(c, err, errlen);
}

int weir_ctl_conf_check(const struct weir_ctl_conf *c, char *err, size_t errlen)
{
	char e[300];
	if (!c->socket[0] || c->socket[0] != '/') {
		snprintf(err, errlen, "[control] socket: must be an absolute path");
		return -1;
	}
	if (!c->instance[0] || strchr(c->instance, '/')) {
		snprintf(err, errlen, "[control] instance: must be a non-empty name without '/'");
		return -1;
	}
	if (weir_ivl_cfg_check(&c->ivl, e, sizeof(e)) < 0 ||
	    weir_spike_cfg_check(&c->spike, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	if (!c->alert_dir[0]) {
		snprintf(err, errlen, "[alerts] dir: must be set");
		return -1;
	}
	if (!c->retrain.model_dir[0]) {
		snprintf(err, errlen, "[retrain] model_dir: must be set");
		return -1;
	}
	if (c->retrain.min_train_flows > c->retrain.sample_capacity) {
		snprintf(err, errlen, "[retrain] min_train_flows = %u: more than sample_capacity = %u",
			 c->retrain.min_train_flows, c->retrain.sample_capacity);
		return -1;
	}
	if (c->kafka.enabled && !c->kafka.brokers[0] && !c->kafka.mock_brokers) {
		snprintf(err, errlen, "[kafka] brokers: must be set when enabled = true");
		return -1;
	}
	return 0;
}
