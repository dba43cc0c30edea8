/* Retraining policy and the trainer thread (see retrain.h). */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bundle.h"
#include "dpcmd.h"
#include "retrain.h"
#include "train.h"

/* ---- training-set rule ---- */

void weir_spikemarks_add(struct weir_spikemarks *s, const struct weir_interval *iv)
{
	struct weir_spikemark *m = &s->m[s->next];
	s->next = (s->next + 1) % WEIR_SPIKEMARKS;
	if (s->n < WEIR_SPIKEMARKS)
		s->n++;
	m->start_ns = iv->start_ns;
	m->end_ns = iv->end_ns;
	m->nsrc = iv->ntop_src < WEIR_IVL_MAX_TOP ? iv->ntop_src : WEIR_IVL_MAX_TOP;
	memcpy(m->src, iv->top_src, sizeof(m->src));
}

int weir_spikemarks_exclude(const struct weir_spikemarks *s, const struct weir_record *r)
{
	for (unsigned i = 0; i < s->n; i++) {
		const struct weir_spikemark *m = &s->m[i];
		if (r->ltime_ns >= m->start_ns && r->ltime_ns < m->end_ns)
			return 1;
		for (unsigned k = 0; k < m->nsrc; k++)
			if (m->src[k].family == r->family &&
			    !memcmp(m->src[k].ip, r->srcip, r->family == 6 ? 16 : 4))
				return 1;
	}
	return 0;
}

/* ---- policy ---- */

void weir_policy_init(struct weir_policy *p, const struct weir_retrain_cfg *c)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *c;
}

#define BASELINE_MIN 3        /* intervals before "elevated" means anything */
#define BASELINE_ALPHA 0.1    /* EWMA weight: about the last 10 intervals */

int weir_policy_elevated(const struct weir_policy *p, double rate)
{
	if (p->nbase < BASELINE_MIN)
		return 0;
	double lim = p->cfg.elevated_factor * p->baseline;
	if (lim < p->cfg.elevated_min_rate)
		lim = p->cfg.elevated_min_rate;
	return rate > lim;
}

static int spaced(const struct weir_policy *p, uint64_t t)
{
	uint64_t gap = (uint64_t)p->cfg.min_interval_min * 60ull * 1000000000ull;
	return !p->have_last || t >= p->last_ns + gap;
}

int weir_policy_interval(struct weir_policy *p, uint64_t end_ns, double rate,
			 int spike, char *why, size_t whylen)
{
	int elevated = weir_policy_elevated(p, rate);
	if (elevated) {
		p->consecutive++;
	} else {
		p->consecutive = 0;
		/* the baseline learns only from ordinary intervals */
		p->baseline = p->nbase ? p->baseline + BASELINE_ALPHA * (rate - p->baseline) : rate;
		p->nbase++;
	}
	switch (p->cfg.policy) {
	case WEIR_RETRAIN_MANUAL:
		return 0;
	case WEIR_RETRAIN_ON_SPIKE:
		if (spike && spaced(p, end_ns)) {
			snprintf(why, whylen, "on-spike: anomaly spike");
			return 1;
		}
		return 0;
	case WEIR_RETRAIN_SUSTAINED:
		if (p->consecutive >= p->cfg.sustained_intervals && spaced(p, end_ns)) {
			snprintf(why, whylen, "sustained: anomaly rate %.4f above %.4f for %u intervals",
				 rate, p->cfg.elevated_factor * p->baseline > p->cfg.elevated_min_rate ?
				 p->cfg.elevated_factor * p->baseline : p->cfg.elevated_min_rate,
				 p->consecutive);
			return 1;
		}
		return 0;
	}
	return 0;
}

void weir_policy_retrained(struct weir_policy *p, uint64_t t_ns)
{
	p->have_last = 1;
	p->last_ns = t_ns;
	p->consecutive = 0;
	p->nbase = 0;
	p->baseline = 0;
}

int weir_holdout_pick(const struct weir_record *r, double fraction)
{
	uint64_t h = (r->flow_id + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)r->worker << 48);
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 29;
	return (double)(h % 1000000) < fraction * 1e6;
}

/* ---- trainer ---- */

struct weir_trainer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int have_job, running, have_out;
	struct weir_train_job job;
	struct weir_train_outcome out;
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_job(struct weir_train_job *j, struct weir_train_outcome *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->dir, sizeof(o->dir), "%s", j->dir);
	snprintf(o->reason, sizeof(o->reason), "%s", j->reason);
	o->version = j->version;
	o->event_ns = j->event_ns;
	double t0 = mono_s();
	/* Split in place: training flows first, held-back ones after. */
	size_t a = 0, b = j->n;
	while (a < b) {
		if (weir_holdout_pick(&j->recs[a], j->holdout)) {
			b--;
			struct weir_record t = j->recs[a];
			j->recs[a] = j->recs[b];
			j->recs[b] = t;
		} else {
			a++;
		}
	}
	o->ntrain = a;
	o->nholdout = j->n - a;
	if (o->ntrain < 10 || o->nholdout < 1) {
		snprintf(o->msg, sizeof(o->msg), "too few flows to train and validate "
			 "(%zu training, %zu held back)", o->ntrain, o->nholdout);
		return;
	}
	struct weir_train_opts opts;
	weir_train_opts_defaults(&opts);
	opts.version = j->version;
	opts.source = "weir-control retraining";
	opts.flows_read = j->n;
	struct weir_train_result res;
	char err[512];
	if (weir_train_bundle(j->recs, o->ntrain, &opts, j->dir, &res, err, sizeof(err)) < 0) {
		snprintf(o->msg, sizeof(o->msg), "training failed: %s", err);
		return;
	}
	o->trained = 1;
	struct weir_bundle *bd = weir_bundle_load(j->dir, err, sizeof(err));
	if (!bd) {
		snprintf(o->msg, sizeof(o->msg), "new bundle does not load: %s", err);
		return;
	}
	size_t flagged = 0;
	for (size_t i = o->ntrain; i < j->n; i++)
		if (weir_bundle_is_anomaly(bd, weir_bundle_score(bd, &j->recs[i])))
			flagged++;
	o->holdout_rate = (double)flagged / (double)o->nholdout;
	o->seconds = mono_s() - t0;
	if (o->holdout_rate > j->max_holdout_rate) {
		snprintf(o->msg, sizeof(o->msg), "rejected: flags %.4f of the held-back flows "
			 "(at most %.4f allowed)", o->holdout_rate, j->max_holdout_rate);
		weir_bundle_free(bd);
		return;
	}
	o->accepted = 1;
	o->bundle = bd;
	if (!j->dp_socket[0]) {
		snprintf(o->msg, sizeof(o->msg), "accepted; not swapped: no dataplane socket");
		return;
	}
	json_object *rq = json_object_new_object();
	json_object_object_add(rq, "cmd", json_object_new_string("load_model"));
	json_object_object_add(rq, "path", json_object_new_string(j->dir));
	char reply[4096];
	int r = weir_dpcmd(j->dp_socket, json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			   reply, sizeof(reply), 10000, err, sizeof(err));
	json_object_put(rq);
	if (r != 0) {
		snprintf(o->msg, sizeof(o->msg), "accepted; weir did not load it: %s", err);
		return;
	}
	o->swapped = 1;
	o->seconds = mono_s() - t0;
	snprintf(o->msg, sizeof(o->msg), "swapped in: %zu flows trained, %zu held back, "
		 "%.4f of them flagged", o->ntrain, o->nholdout, o->holdout_rate);
}

static void *trainer_main(void *arg)
{
	struct weir_trainer *t = arg;
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->have_job && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->stop)
			break;
		struct weir_train_job job = t->job;
		t->have_job = 0;
		t->running = 1;
		pthread_mutex_unlock(&t->mu);
		struct weir_train_outcome out;
		run_job(&job, &out);
		free(job.recs);
		pthread_mutex_lock(&t->mu);
		t->out = out;
		t->have_out = 1;
		t->running = 0;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct weir_trainer *weir_trainer_start(char *err, size_t errlen)
{
	struct weir_trainer *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "trainer: out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, trainer_main, t)) {
		snprintf(err, errlen, "trainer: cannot start its thread");
		free(t);
		return NULL;
	}
	return t;
}

int weir_trainer_submit(struct weir_trainer *t, struct weir_train_job *job)
{
	pthread_mutex_lock(&t->mu);
	if (t->have_job || t->running || t->have_out) {
		pthread_mutex_unlock(&t->mu);
		return -1;
	}
	t->job = *job;
	t->have_job = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

int weir_trainer_busy(struct weir_trainer *t)
{
	pthread_mutex_lock(&t->mu);
	int b = t->have_job || t->running;
	pthread_mutex_unlock(&t->mu);
	return b;
}

int weir_trainer_poll(struct weir_trainer *t, struct weir_train_outcome *out)
{
	pthread_mutex_lock(&t->mu);
	int have = t->have_out;
	if (have) {
		*out = t->out;
		t->have_out = 0;
	}
	pthread_mutex_unlock(&t->mu);
	return have;
}

void weir_trainer_stop(struct weir_trainer *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	/* A training in progress finishes first (libsvm cannot be interrupted). */
	pthread_join(t->th, NULL);
	if (t->have_job)
		free(t->job.recs);
	if (t->have_out && t->out.bundle)
		weir_bundle_free(t->out.bundle);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
