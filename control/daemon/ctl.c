/* weir-control: consumption, intervals, spikes, alerts, retraining and the
 * control socket's commands. See ctl.h and doc/control.md. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bundle.h"
#include "ctl.h"
#include "dpcmd.h"
#include "output.h"
#include "record_io.h"

#define NS 1000000000ull

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* ---- outputs ---- */

static void emit(struct weir_ctl *c, struct weir_alog *a, int topic, const void *key,
		 size_t keylen, const char *line, size_t len)
{
	weir_alog_write(a, line, len, time(NULL));
#ifdef WEIR_HAVE_KAFKA
	if (c->kafka) /* Kafka gets the record without the newline */
		weir_kafka_send(c->kafka, (enum weir_kafka_topic)topic, key, keylen, line,
				len && line[len - 1] == '\n' ? len - 1 : len);
#else
	(void)c; (void)topic; (void)key; (void)keylen;
#endif
}

/* An events.jsonl line: {"time":..., "event":NAME, ...fields}. Takes
 * ownership of fields. Notable events also go to stderr. */
static void event(struct weir_ctl *c, const char *name, json_object *fields, int loud)
{
	json_object *o = json_object_new_object();
	char t[40];
	weir_iso_time(wall_ns(), t, sizeof(t));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "event", json_object_new_string(name));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(fields);
	}
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	char *line = malloc(l + 2);
	if (line) {
		memcpy(line, s, l);
		line[l] = '\n';
		line[l + 1] = 0;
		emit(c, c->a_ev, 2, NULL, 0, line, l + 1);
		if (loud)
			fprintf(stderr, "weir-control: %s", line);
		free(line);
	}
	json_object_put(o);
}

static json_object *jobj(void)
{
	return json_object_new_object();
}

static void jadd_s(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void jadd_u(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void jadd_d(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, isfinite(v) ? json_object_new_double(v) : NULL);
}

static json_object *top_json(const struct weir_ivl_top *t, unsigned n)
{
	json_object *a = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		json_object *e = jobj();
		char ip[64];
		weir_ip_format(t[i].ip, t[i].family, ip, sizeof(ip));
		jadd_s(e, "ip", ip);
		jadd_u(e, "anomalies", t[i].anomalies);
		json_object_array_add(a, e);
	}
	return a;
}

/* ---- models ---- */

static void set_model(struct weir_ctl *c, struct weir_bundle *b, const char *dir)
{
	if (c->bundle) {
		snprintf(c->prev_dir, sizeof(c->prev_dir), "%s", c->model_dir);
		c->prev_version = c->model_version;
		weir_bundle_free(c->bundle);
	}
	c->bundle = b;
	snprintf(c->model_dir, sizeof(c->model_dir), "%s", dir);
	c->model_version = b ? b->version : 0;
	c->learning = 0;
}

static int dp_load_model(struct weir_ctl *c, const char *dir, char *err, size_t errlen)
{
	if (!c->cf.dataplane_socket[0]) {
		snprintf(err, errlen, "no dataplane socket configured ([control] dataplane_socket)");
		return -1;
	}
	json_object *rq = jobj();
	jadd_s(rq, "cmd", "load_model");
	jadd_s(rq, "path", dir);
	char reply[4096];
	int r = weir_dpcmd(c->cf.dataplane_socket,
			   json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			   reply, sizeof(reply), 10000, err, errlen);
	json_object_put(rq);
	return r == 0 ? 0 : -1;
}

/* Which features made this flow stand out: the bundle's training
 * statistics when we know the model, else the recent sampled traffic. */
static unsigned why(struct weir_ctl *c, const struct weir_record *r, struct weir_why *w)
{
	unsigned k = c->cf.why_features, n = 0;
	if (!k)
		return 0;
	if (c->bundle && (r->model_version == 0 || r->model_version == c->bundle->version)) {
		struct weir_deviation d[47];
		if (k > 47)
			k = 47;
		n = weir_bundle_deviations(c->bundle, r, d, k);
		for (unsigned i = 0; i < n; i++) {
			snprintf(w[i].name, sizeof(w[i].name), "%s", c->bundle->fs.dim[d[i].dim].name);
			w[i].value = d[i].value;
			w[i].z = d[i].z;
		}
		return n;
	}
	/* refit the fallback now and then from the sample ring */
	if (c->scount >= 100 && (c->fallback_at == 0 || c->t.sampled >= c->fallback_at + c->scap / 2)) {
		size_t n0 = c->scount < c->scap ? c->scount : c->scap;
		weir_featstats_fit(&c->fallback, c->samples, n0);
		c->fallback_at = c->t.sampled ? c->t.sampled : 1;
	}
	if (!c->fallback_at)
		return 0;
	struct weir_featdev d[47];
	n = weir_featdev_top(&c->fallback, r, k, d);
	for (unsigned i = 0; i < n; i++) {
		snprintf(w[i].name, sizeof(w[i].name), "%s", weir_feature_names[d[i].feature]);
		w[i].value = d[i].value;
		w[i].z = d[i].z;
	}
	return n;
}

/* ---- retraining ---- */

static int start_retrain(struct weir_ctl *c, const char *reason, char *err, size_t errlen)
{
	if (weir_trainer_busy(c->trainer)) {
		snprintf(err, errlen, "a training is already running");
		return -1;
	}
	struct weir_ivl_stats is;
	weir_ivl_get_stats(c->ivl, &is);
	uint64_t wm = is.watermark_ns ? is.watermark_ns : c->last_watermark;
	uint64_t span = (uint64_t)c->cf.retrain.window_min * 60ull * NS;
	uint64_t from = c->learning ? 0 : (wm > span ? wm - span : 0);
	size_t have = c->scount < c->scap ? c->scount : c->scap, n = 0, excluded = 0;
	for (size_t i = 0; i < have; i++)
		if (c->samples[i].ltime_ns >= from) {
			if (weir_spikemarks_exclude(&c->spikemarks, &c->samples[i]))
				excluded++;
			else
				n++;
		}
	if (n < c->cf.retrain.min_train_flows) {
		snprintf(err, errlen, "only %zu sampled flows in the last %u minutes (%zu more left out: "
			 "spike intervals and sources); [retrain] min_train_flows = %u", n,
			 c->cf.retrain.window_min, excluded, c->cf.retrain.min_train_flows);
		return -1;
	}
	struct weir_train_job job;
	memset(&job, 0, sizeof(job));
	job.recs = malloc(n * sizeof(*job.recs));
	if (!job.recs) {
		snprintf(err, errlen, "out of memory for %zu training flows", n);
		return -1;
	}
	/* oldest first, so the split and subsampling see arrival order */
	size_t start = c->scount < c->scap ? 0 : c->shead;
	for (size_t i = 0, k = 0; i < have; i++) {
		const struct weir_record *r = &c->samples[(start + i) % c->scap];
		if (r->ltime_ns >= from && !weir_spikemarks_exclude(&c->spikemarks, r))
			job.recs[k++] = *r;
	}
	job.n = n;
	job.holdout = c->cf.retrain.holdout;
	job.max_holdout_rate = c->cf.retrain.max_holdout_anomaly_rate;
	/* A replay in lockstep numbers its models in sequence, so its records
	 * carry the same model_version at any speed; live, the clock. */
	uint32_t v = c->cf.replay_lockstep ? 0 : (uint32_t)time(NULL);
	if (v <= c->model_version)
		v = c->model_version + 1;
	job.version = v;
	snprintf(job.dir, sizeof(job.dir), "%s/model-%u", c->cf.retrain.model_dir, v);
	snprintf(job.dp_socket, sizeof(job.dp_socket), "%s", c->cf.dataplane_socket);
	snprintf(job.reason, sizeof(job.reason), "%s", reason);
	job.event_ns = wm;
	if (weir_trainer_submit(c->trainer, &job) < 0) {
		free(job.recs);
		snprintf(err, errlen, "a training is already running");
		return -1;
	}
	weir_policy_retrained(&c->policy, wm);
	c->t.retrains++;
	json_object *f = jobj();
	char ts[40];
	weir_iso_time(wm, ts, sizeof(ts));
	jadd_s(f, "reason", reason);
	jadd_s(f, "event_time", ts);
	jadd_u(f, "flows", n);
	jadd_u(f, "excluded_spike_flows", excluded);
	jadd_u(f, "version", v);
	jadd_s(f, "dir", job.dir);
	event(c, "retrain_started", f, 1);
	return 0;
}

static void trainer_done(struct weir_ctl *c, struct weir_train_outcome *o)
{
	json_object *f = jobj();
	char ts[40];
	weir_iso_time(o->event_ns, ts, sizeof(ts));
	jadd_s(f, "reason", o->reason);
	jadd_s(f, "event_time", ts);
	jadd_u(f, "version", o->version);
	jadd_s(f, "dir", o->dir);
	jadd_u(f, "train_flows", o->ntrain);
	jadd_u(f, "holdout_flows", o->nholdout);
	jadd_d(f, "holdout_anomaly_rate", o->holdout_rate);
	jadd_d(f, "seconds", o->seconds);
	jadd_s(f, "message", o->msg);
	if (!o->accepted) {
		if (o->trained)
			c->t.retrain_rejected++;
		else
			c->t.retrain_failed++;
		event(c, o->trained ? "retrain_rejected" : "retrain_failed", f, 1);
		return;
	}
	if (!o->swapped && c->connected) {
		/* validated but the running weir did not take it: keep ours */
		weir_bundle_free(o->bundle);
		c->t.retrain_failed++;
		event(c, "retrain_not_swapped", f, 1);
		return;
	}
	if (!o->swapped) {
		/* No dataplane now (a replay ended, weir restarts): adopt it;
		 * it is given to weir when one connects. */
		set_model(c, o->bundle, o->dir);
		c->adopted_pending = 1;
		event(c, "model_adopted", f, 1);
		return;
	}
	if (c->model_version)
		jadd_u(f, "previous_version", c->model_version);
	if (c->cf.replay_lockstep && c->ls_swap_hold) {
		/* weir waited at this hold point for the swap: the new model
		 * scores every flow emitted from that capture time on */
		weir_iso_time(c->ls_swap_hold, ts, sizeof(ts));
		jadd_s(f, "replay_hold", ts);
		jadd_u(f, "replay_hold_ns", c->ls_swap_hold);
	}
	set_model(c, o->bundle, o->dir);
	c->t.swaps++;
	event(c, "model_swap", f, 1);
}

/* ---- intervals ---- */

static void publish(struct weir_ctl *c, const struct weir_interval *iv)
{
	c->t.intervals++;
	double flows = (double)iv->sampled / c->sample_rate;
	if (flows < (double)iv->anomalies)
		flows = (double)iv->anomalies;   /* sampling noise on tiny intervals */
	double rate = flows > 0 ? (double)iv->anomalies / flows : 0;
	char line[4096];
	size_t n = weir_fmt_summary(line, sizeof(line), iv, flows, rate);
	if (n)
		emit(c, c->a_sum, 1, NULL, 0, line, n);
	if (iv->skipped_before) {
		/* a gap breaks the differenced series: start it again */
		weir_spike_series_reset(&c->series);
		json_object *f = jobj();
		jadd_u(f, "skipped_intervals", iv->skipped_before);
		event(c, "interval_gap", f, 0);
	}
	struct weir_spike_result sr;
	weir_spike_series_push(&c->series, &c->cf.spike, (double)iv->anomalies, &sr);
	if (sr.spike) {
		c->t.spikes++;
		weir_spikemarks_add(&c->spikemarks, iv);   /* training-set rule */
		json_object *f = jobj();
		char ts[40];
		weir_iso_time(iv->start_ns, ts, sizeof(ts));
		jadd_s(f, "interval_start", ts);
		weir_iso_time(iv->end_ns, ts, sizeof(ts));
		jadd_s(f, "interval_end", ts);
		jadd_u(f, "anomalies", iv->anomalies);
		jadd_d(f, "diff", sr.diff);
		jadd_d(f, "mean", sr.mean);
		jadd_d(f, "sd", sr.sd);
		jadd_d(f, "z", sr.z);
		jadd_s(f, "rule", weir_spike_why_name(sr.why));
		json_object_object_add(f, "top_sources", top_json(iv->top_src, iv->ntop_src));
		json_object_object_add(f, "top_destinations", top_json(iv->top_dst, iv->ntop_dst));
		/* keep a copy for `weirctl spikes` */
		json_object *copy = NULL;
		json_object_deep_copy(f, &copy, NULL);
		unsigned slot = (c->spike_head + c->nspikes) % WEIR_CTL_SPIKE_HISTORY;
		if (c->nspikes == WEIR_CTL_SPIKE_HISTORY) {
			slot = c->spike_head;
			c->spike_head = (c->spike_head + 1) % WEIR_CTL_SPIKE_HISTORY;
		} else {
			c->nspikes++;
		}
		free(c->spike_json[slot]);
		c->spike_json[slot] = copy ? strdup(json_object_to_json_string_ext(copy,
						   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) : NULL;
		json_object_put(copy);
		event(c, "spike", f, 1);
	}
	char reason[200];
	if (!c->learning &&
	    weir_policy_interval(&c->policy, iv->end_ns, rate, sr.spike, reason, sizeof(reason))) {
		char err[300];
		if (start_retrain(c, reason, err, sizeof(err)) < 0) {
			json_object *f = jobj();
			jadd_s(f, "reason", reason);
			jadd_s(f, "message", err);
			event(c, "retrain_skipped", f, 1);
			weir_policy_retrained(&c->policy, iv->end_ns);   /* spacing applies */
		}
	}
}

static void ivl_feed(struct weir_ctl *c, const struct weir_record *r, enum weir_ivl_kind k)
{
	struct weir_interval iv;
	while (weir_ivl_advance(c->ivl, r->ltime_ns, &iv))
		publish(c, &iv);
	weir_ivl_add(c->ivl, r, k);
}

static void end_of_stream(struct weir_ctl *c)
{
	struct weir_interval iv;
	while (weir_ivl_flush(c->ivl, &iv))
		publish(c, &iv);
	struct weir_ivl_stats is;
	weir_ivl_get_stats(c->ivl, &is);
	if (is.watermark_ns)
		c->last_watermark = is.watermark_ns;
	weir_ivl_reset(c->ivl);
	weir_spike_series_reset(&c->series);
}

/* ---- records ---- */

static void on_anomaly(struct weir_ctl *c, const struct weir_record *r)
{
	c->t.anomalies++;
	c->seen_version = r->model_version;
	ivl_feed(c, r, WEIR_IVL_ANOMALY);
	struct weir_why w[47];
	unsigned nw = why(c, r, w);
	char line[8192];
	size_t n = weir_fmt_anomaly(line, sizeof(line), r, w, nw);
	if (!n) {
		c->t.anomaly_format_errors++;
		return;
	}
	emit(c, c->a_anom, 0, r->srcip, r->family == 6 ? 16 : 4, line, n);
}

static void on_sample(struct weir_ctl *c, const struct weir_record *r)
{
	c->t.sampled++;
	if (r->model_version)
		c->seen_version = r->model_version;
	ivl_feed(c, r, WEIR_IVL_SAMPLE);
	if (c->learning && c->cf.retrain.learn_window_s) {
		/* Learning from a known-clean stretch: flows that start after
		 * the window are not what "normal" is learned from. */
		if (!c->learn_start_ns || r->stime_ns < c->learn_start_ns)
			c->learn_start_ns = r->stime_ns;
		if (r->stime_ns >= c->learn_start_ns +
				   (uint64_t)c->cf.retrain.learn_window_s * NS)
			return;
	}
	c->samples[c->shead] = *r;
	c->shead = (c->shead + 1) % c->scap;
	c->scount++;
}

/* ---- dataplane ---- */

static void dp_stats(struct weir_ctl *c)
{
	if (!c->cf.dataplane_socket[0])
		return;
	char reply[65536], err[300];
	if (weir_dpcmd(c->cf.dataplane_socket, "{\"cmd\":\"stats\"}", reply, sizeof(reply),
		       500, err, sizeof(err)) != 0)
		return;
	json_object *o = json_tokener_parse(reply), *st, *tot, *v;
	if (o && json_object_object_get_ex(o, "stats", &st) &&
	    json_object_object_get_ex(st, "totals", &tot)) {
		if (json_object_object_get_ex(tot, "sample_rate", &v)) {
			double r = json_object_get_double(v);
			if (r > 0 && r <= 1)
				c->sample_rate = r;
		}
		if (json_object_object_get_ex(tot, "threshold", &v))
			c->threshold = json_object_get_double(v);
	}
	json_object_put(o);
}

static void note_connect(struct weir_ctl *c, int restart, uint64_t old_gen)
{
	const struct weir_shm_hdr *h = weir_shm_consumer_hdr(c->shm);
	c->connected = 1;
	c->ended = 0;
	c->ls_free = 0;
	c->ls_answered = 0;
	c->generation = h->generation;
	c->producer_pid = h->producer_pid;
	c->workers = h->workers;
	uint64_t before = 0;
	for (unsigned i = 0; i < h->ring_count && i < WEIR_SHM_MAX_RINGS; i++) {
		c->drops_seen[i] = __atomic_load_n(&h->rings[i].dropped, __ATOMIC_RELAXED);
		before += c->drops_seen[i];
	}
	c->t.connects++;
	json_object *f = jobj();
	jadd_s(f, "instance", c->cf.instance);
	jadd_u(f, "generation", c->generation);
	jadd_u(f, "producer_pid", (uint64_t)c->producer_pid);
	jadd_u(f, "workers", c->workers);
	jadd_u(f, "ring_dropped_before_connect", before);
	if (restart)
		jadd_u(f, "previous_generation", old_gen);
	event(c, restart ? "dataplane_restart" : "dataplane_connect", f, 1);
	if (restart)
		c->t.restarts++;
	c->last_dpstats = 0;
	/* A restarted weir starts with its configured model: give it ours.
	 * On a first connect only if weir scores with nothing yet (a model
	 * adopted or configured while no dataplane ran). */
	if (c->model_dir[0] && c->bundle && (restart || c->adopted_pending)) {
		c->adopted_pending = 0;
		char err[512];
		json_object *g = jobj();
		jadd_s(g, "dir", c->model_dir);
		jadd_u(g, "version", c->model_version);
		if (dp_load_model(c, c->model_dir, err, sizeof(err)) < 0) {
			jadd_s(g, "message", err);
			event(c, "model_reapply_failed", g, 1);
		} else {
			event(c, "model_reapplied", g, 0);
		}
	}
}

/* Each new reason the segment cannot be mapped is said once (event and
 * stderr), so an operator waiting on a dataplane sees why: not started
 * yet, a permission problem, a segment of another version. */
static void try_connect(struct weir_ctl *c)
{
	char err[300];
	c->shm = weir_shm_consumer_open(c->cf.instance, err, sizeof(err));
	if (c->shm) {
		c->shm_wait[0] = 0;
		note_connect(c, 0, 0);
		return;
	}
	if (strcmp(err, c->shm_wait) == 0)
		return;
	snprintf(c->shm_wait, sizeof(c->shm_wait), "%s", err);
	json_object *f = jobj();
	jadd_s(f, "instance", c->cf.instance);
	jadd_s(f, "reason", err);
	event(c, "waiting_for_dataplane", f, 1);
}

static void check_drops(struct weir_ctl *c)
{
	const struct weir_shm_hdr *h = weir_shm_consumer_hdr(c->shm);
	uint64_t newly = 0;
	json_object *rings = NULL;
	for (unsigned i = 0; i < h->ring_count && i < WEIR_SHM_MAX_RINGS; i++) {
		uint64_t d = __atomic_load_n(&h->rings[i].dropped, __ATOMIC_RELAXED);
		if (d > c->drops_seen[i]) {
			if (!rings)
				rings = json_object_new_array();
			json_object *e = jobj();
			jadd_u(e, "worker", h->rings[i].worker);
			jadd_s(e, "ring", h->rings[i].kind == WEIR_SHM_ANOMALY ? "anomaly" : "sample");
			jadd_u(e, "dropped", d - c->drops_seen[i]);
			jadd_u(e, "dropped_total", d);
			json_object_array_add(rings, e);
			newly += d - c->drops_seen[i];
			c->drops_seen[i] = d;
		}
	}
	if (newly) {
		c->drops_total += newly;
		json_object *f = jobj();
		jadd_u(f, "dropped", newly);
		json_object_object_add(f, "rings", rings);
		event(c, "ring_drops", f, 1);
	}
}

static void check_segment(struct weir_ctl *c)
{
	uint64_t old = c->generation;
	switch (weir_shm_consumer_check(c->shm)) {
	case WEIR_SHM_SAME:
		return;
	case WEIR_SHM_REMAPPED:
		if (c->connected)
			end_of_stream(c);   /* the old producer's timeline ended */
		note_connect(c, 1, old);
		return;
	case WEIR_SHM_GONE:
		if (!c->connected)
			return;
		check_drops(c);
		end_of_stream(c);
		c->connected = 0;
		c->ended = 1;
		c->t.disconnects++;
		json_object *f = jobj();
		jadd_u(f, "generation", c->generation);
		jadd_u(f, "anomalies", c->t.anomalies);
		jadd_u(f, "sampled", c->t.sampled);
		event(c, "dataplane_disconnect", f, 1);
		return;
	}
}

/* ---- the once-a-second work ---- */

static void alog_watch(struct weir_ctl *c, struct weir_alog *a, int *was_full)
{
	weir_alog_tick(a, time(NULL));
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	if (st.full != *was_full) {
		*was_full = st.full;
		json_object *f = jobj();
		jadd_s(f, "file", weir_alog_path(a));
		jadd_u(f, "backlog", st.backlog_now);
		jadd_u(f, "full_errors", st.full_errors);
		/* written through the backlog once there is space again */
		event(c, st.full ? "disk_full" : "disk_space_back", f, 0);
	}
}

static void tick(struct weir_ctl *c, double now)
{
	static int full[3];
	alog_watch(c, c->a_anom, &full[0]);
	alog_watch(c, c->a_sum, &full[1]);
	alog_watch(c, c->a_ev, &full[2]);
#ifdef WEIR_HAVE_KAFKA
	if (c->kafka)
		weir_kafka_poll(c->kafka, 0);
#endif
	if (c->shm && c->connected)
		check_drops(c);
	if (c->connected && now - c->last_dpstats >= 5) {
		c->last_dpstats = now;
		dp_stats(c);
	}
	/* Learning mode: no model yet, and weir is not scoring with one of its own. */
	if (c->learning && c->seen_version)
		c->learning = 0;
	if (c->learning && !weir_trainer_busy(c->trainer)) {
		size_t have = c->scount < c->scap ? c->scount : c->scap;
		uint64_t span = have ? c->samples[(c->shead + c->scap - 1) % c->scap].ltime_ns -
				       c->samples[c->scount < c->scap ? 0 : c->shead].ltime_ns : 0;
		int enough = have >= c->cf.retrain.learn_flows ||
			     (c->cf.retrain.learn_minutes &&
			      span >= (uint64_t)c->cf.retrain.learn_minutes * 60ull * NS &&
			      have >= c->cf.retrain.min_train_flows) ||
			     (c->ended && have >= c->cf.retrain.min_train_flows);
		/* after a failed attempt, wait for twice the samples (or the
		 * end of the stream) before the next one */
		if (enough && (!c->learn_tried_at || c->t.sampled >= 2 * c->learn_tried_at ||
			       (c->ended && !c->learn_tried_at_end))) {
			c->learn_tried_at = c->t.sampled;
			c->learn_tried_at_end = c->ended;
			char err[300];
			if (start_retrain(c, "learning: first model", err, sizeof(err)) < 0) {
				json_object *f = jobj();
				jadd_s(f, "message", err);
				event(c, "learning_deferred", f, 0);
			}
		}
	}
}

/* ---- control socket commands ---- */

static char *reply_obj(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	char *r = malloc(l + 2);
	if (r) {
		memcpy(r, s, l);
		r[l] = '\n';
		r[l + 1] = 0;
	}
	json_object_put(o);
	return r;
}

static char *fail(const char *msg)
{
	json_object *o = jobj();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	jadd_s(o, "error", msg);
	return reply_obj(o);
}

static json_object *okobj(void)
{
	json_object *o = jobj();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static json_object *alog_json(struct weir_alog *a)
{
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	json_object *f = jobj();
	jadd_s(f, "path", weir_alog_path(a));
	jadd_u(f, "written", st.written);
	jadd_u(f, "bytes", st.bytes);
	jadd_u(f, "rotations", st.rotations);
	jadd_u(f, "full_errors", st.full_errors);
	jadd_u(f, "backlog", st.backlog_now);
	jadd_u(f, "backlog_peak", st.backlog_peak);
	json_object_object_add(f, "full", json_object_new_boolean(st.full));
	json_object *d = jobj();
	for (unsigned k = 0; k < WEIR_ALOG_DROP_MAX; k++)
		jadd_u(d, weir_alog_drop_name(k), st.dropped[k]);
	json_object_object_add(f, "dropped", d);
	return f;
}

static char *cmd_status(struct weir_ctl *c)
{
	json_object *o = okobj();
	jadd_u(o, "pid", (uint64_t)getpid());
	jadd_u(o, "uptime_s", (uint64_t)(time(NULL) - c->started));
	json_object *dp = jobj();
	jadd_s(dp, "instance", c->cf.instance);
	json_object_object_add(dp, "connected", json_object_new_boolean(c->connected));
	if (!c->shm && c->shm_wait[0])
		jadd_s(dp, "waiting", c->shm_wait);
	json_object_object_add(dp, "ended", json_object_new_boolean(c->ended));
	jadd_u(dp, "generation", c->generation);
	jadd_u(dp, "producer_pid", (uint64_t)(c->producer_pid > 0 ? c->producer_pid : 0));
	jadd_u(dp, "workers", c->workers);
	jadd_d(dp, "sample_rate", c->sample_rate);
	jadd_d(dp, "threshold", c->threshold);
	jadd_u(dp, "ring_dropped", c->drops_total);
	uint64_t pending = 0;
	if (c->shm && c->connected) {
		const struct weir_shm_hdr *h = weir_shm_consumer_hdr(c->shm);
		for (unsigned i = 0; i < h->ring_count; i++)
			pending += weir_shm_pending(c->shm, i);
	}
	jadd_u(dp, "pending", pending);
	json_object_object_add(o, "dataplane", dp);
	json_object *m = jobj();
	jadd_u(m, "version", c->model_version);
	jadd_s(m, "dir", c->model_dir);
	jadd_u(m, "previous_version", c->prev_version);
	jadd_s(m, "previous_dir", c->prev_dir);
	jadd_u(m, "seen_version", c->seen_version);
	json_object_object_add(m, "learning", json_object_new_boolean(c->learning));
	json_object_object_add(m, "training", json_object_new_boolean(weir_trainer_busy(c->trainer)));
	jadd_s(m, "policy", weir_retrain_policy_name(c->cf.retrain.policy));
	json_object_object_add(o, "model", m);
	struct weir_ivl_stats is;
	weir_ivl_get_stats(c->ivl, &is);
	char t[40] = "";
	if (is.watermark_ns || c->last_watermark)
		weir_iso_time(is.watermark_ns ? is.watermark_ns : c->last_watermark, t, sizeof(t));
	jadd_s(o, "watermark", t);
	jadd_u(o, "interval_s", c->cf.ivl.length_s);
	jadd_u(o, "anomalies", c->t.anomalies);
	jadd_u(o, "sampled", c->t.sampled);
	jadd_u(o, "intervals", c->t.intervals);
	jadd_u(o, "spikes", c->t.spikes);
	jadd_u(o, "retrains", c->t.retrains);
	jadd_s(o, "alerts_dir", c->cf.alert_dir);
	return reply_obj(o);
}

static char *cmd_stats(struct weir_ctl *c)
{
	json_object *o = okobj();
	json_object *t = jobj();
	jadd_u(t, "anomalies", c->t.anomalies);
	jadd_u(t, "sampled", c->t.sampled);
	jadd_u(t, "intervals", c->t.intervals);
	jadd_u(t, "spikes", c->t.spikes);
	jadd_u(t, "retrains", c->t.retrains);
	jadd_u(t, "retrain_failed", c->t.retrain_failed);
	jadd_u(t, "retrain_rejected", c->t.retrain_rejected);
	jadd_u(t, "swaps", c->t.swaps);
	jadd_u(t, "rollbacks", c->t.rollbacks);
	jadd_u(t, "connects", c->t.connects);
	jadd_u(t, "disconnects", c->t.disconnects);
	jadd_u(t, "restarts", c->t.restarts);
	jadd_u(t, "ring_dropped", c->drops_total);
	jadd_u(t, "anomaly_format_errors", c->t.anomaly_format_errors);
	json_object_object_add(o, "totals", t);
	struct weir_ivl_stats is;
	weir_ivl_get_stats(c->ivl, &is);
	json_object *iv = jobj();
	jadd_u(iv, "published", is.published);
	jadd_u(iv, "late_records", is.late_records);
	jadd_u(iv, "skipped", is.skipped);
	jadd_u(iv, "watermark_ns", is.watermark_ns);
	json_object_object_add(o, "intervals", iv);
	json_object *rings = json_object_new_array();
	if (c->shm && c->connected) {
		const struct weir_shm_hdr *h = weir_shm_consumer_hdr(c->shm);
		for (unsigned i = 0; i < h->ring_count; i++) {
			json_object *e = jobj();
			jadd_u(e, "worker", h->rings[i].worker);
			jadd_s(e, "kind", h->rings[i].kind == WEIR_SHM_ANOMALY ? "anomaly" : "sample");
			jadd_u(e, "enqueued", __atomic_load_n(&h->rings[i].enqueued, __ATOMIC_RELAXED));
			jadd_u(e, "dropped", __atomic_load_n(&h->rings[i].dropped, __ATOMIC_RELAXED));
			jadd_u(e, "dequeued", __atomic_load_n(&h->rings[i].dequeued, __ATOMIC_RELAXED));
			jadd_u(e, "pending", weir_shm_pending(c->shm, i));
			json_object_array_add(rings, e);
		}
	}
	json_object_object_add(o, "rings", rings);
	json_object *al = jobj();
	json_object_object_add(al, "anomalies", alog_json(c->a_anom));
	json_object_object_add(al, "summary", alog_json(c->a_sum));
	json_object_object_add(al, "events", alog_json(c->a_ev));
	json_object_object_add(o, "alerts", al);
#ifdef WEIR_HAVE_KAFKA
	if (c->kafka) {
		struct weir_kafka_stats ks;
		weir_kafka_get_stats(c->kafka, &ks);
		json_object *k = jobj();
		jadd_u(k, "produced", ks.produced);
		jadd_u(k, "delivered", ks.delivered);
		jadd_u(k, "delivery_errors", ks.delivery_errors);
		jadd_u(k, "requeued", ks.requeued);
		jadd_u(k, "lost", ks.lost);
		jadd_u(k, "queue_full", ks.queue_full);
		jadd_u(k, "other_errors", ks.other_errors);
		jadd_u(k, "in_flight", ks.in_flight);
		json_object_object_add(o, "kafka", k);
	}
#endif
	struct weir_ctlsrv_stats ss;
	weir_ctlsrv_get_stats(c->srv, &ss);
	json_object *s = jobj();
	jadd_u(s, "accepted", ss.accepted);
	jadd_u(s, "refused", ss.refused);
	jadd_u(s, "requests", ss.requests);
	jadd_u(s, "bad_requests", ss.bad_requests);
	jadd_u(s, "too_long", ss.too_long);
	json_object_object_add(o, "socket", s);
	return reply_obj(o);
}

static char *cmd_model_list(struct weir_ctl *c)
{
	json_object *o = okobj();
	json_object *a = json_object_new_array();
	DIR *d = opendir(c->cf.retrain.model_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char p[WEIR_CTL_PATH + 300];
			snprintf(p, sizeof(p), "%s/%s/bundle.json", c->cf.retrain.model_dir, e->d_name);
			json_object *bj = json_object_from_file(p), *v;
			if (!bj)
				continue;
			json_object *m = jobj();
			snprintf(p, sizeof(p), "%s/%s", c->cf.retrain.model_dir, e->d_name);
			jadd_s(m, "dir", p);
			if (json_object_object_get_ex(bj, "version", &v))
				jadd_u(m, "version", (uint64_t)json_object_get_int64(v));
			if (json_object_object_get_ex(bj, "date", &v))
				jadd_s(m, "date", json_object_get_string(v));
			json_object_object_add(m, "current", json_object_new_boolean(!strcmp(p, c->model_dir)));
			json_object_object_add(m, "previous", json_object_new_boolean(!strcmp(p, c->prev_dir)));
			json_object_array_add(a, m);
			json_object_put(bj);
		}
		closedir(d);
	}
	/* the running model may live outside model_dir */
	json_object_object_add(o, "models", a);
	jadd_s(o, "model_dir", c->cf.retrain.model_dir);
	jadd_u(o, "current_version", c->model_version);
	jadd_s(o, "current_dir", c->model_dir);
	jadd_u(o, "previous_version", c->prev_version);
	jadd_s(o, "previous_dir", c->prev_dir);
	return reply_obj(o);
}

static char *cmd_model_load(struct weir_ctl *c, const char *dir, int rollback)
{
	char err[600];
	struct weir_bundle *b = weir_bundle_load(dir, err, sizeof(err));
	if (!b)
		return fail(err);
	if (dp_load_model(c, dir, err, sizeof(err)) < 0) {
		weir_bundle_free(b);
		return fail(err);
	}
	uint32_t old = c->model_version;
	char olddir[WEIR_CTL_PATH];
	snprintf(olddir, sizeof(olddir), "%s", c->model_dir);
	set_model(c, b, dir);
	json_object *f = jobj();
	jadd_s(f, "dir", dir);
	jadd_u(f, "version", c->model_version);
	jadd_u(f, "previous_version", old);
	jadd_s(f, "previous_dir", olddir);
	jadd_s(f, "by", "weirctl");
	if (rollback)
		c->t.rollbacks++;
	else
		c->t.swaps++;
	event(c, rollback ? "model_rollback" : "model_swap", f, 1);
	json_object *o = okobj();
	jadd_u(o, "version", c->model_version);
	jadd_s(o, "dir", dir);
	jadd_u(o, "previous_version", old);
	return reply_obj(o);
}

static char *cmd_threshold(struct weir_ctl *c, int set, double v)
{
	char req[128], reply[65536], err[512];
	if (!c->cf.dataplane_socket[0])
		return fail("no dataplane socket configured ([control] dataplane_socket)");
	if (set)
		snprintf(req, sizeof(req), "{\"cmd\":\"set\",\"threshold\":%.17g}", v);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"stats\"}");
	if (weir_dpcmd(c->cf.dataplane_socket, req, reply, sizeof(reply), 2000, err, sizeof(err)))
		return fail(err);
	json_object *r = json_tokener_parse(reply), *st, *tot, *x;
	double th = NAN;
	if (r && json_object_object_get_ex(r, "threshold", &x))
		th = json_object_get_double(x);
	else if (r && json_object_object_get_ex(r, "stats", &st) &&
		 json_object_object_get_ex(st, "totals", &tot) &&
		 json_object_object_get_ex(tot, "threshold", &x))
		th = json_object_get_double(x);
	json_object_put(r);
	c->threshold = th;
	if (set) {
		json_object *f = jobj();
		jadd_d(f, "threshold", th);
		event(c, "threshold_set", f, 1);
	}
	json_object *o = okobj();
	jadd_d(o, "threshold", th);
	return reply_obj(o);
}

static char *cmd_alerts_list(struct weir_ctl *c)
{
	json_object *o = okobj();
	jadd_s(o, "dir", c->cf.alert_dir);
	json_object *files = json_object_new_array();
	DIR *d = opendir(c->cf.alert_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strncmp(e->d_name, "anomalies.jsonl", 15) &&
			    strncmp(e->d_name, "summary.csv", 11) &&
			    strncmp(e->d_name, "events.jsonl", 12))
				continue;
			char p[WEIR_CTL_PATH + 300];
			snprintf(p, sizeof(p), "%s/%s", c->cf.alert_dir, e->d_name);
			struct stat sb;
			if (stat(p, &sb) < 0)
				continue;
			json_object *f = jobj();
			jadd_s(f, "name", e->d_name);
			jadd_s(f, "path", p);
			jadd_u(f, "bytes", (uint64_t)sb.st_size);
			jadd_u(f, "mtime", (uint64_t)sb.st_mtime);
			json_object_array_add(files, f);
		}
		closedir(d);
	}
	json_object_object_add(o, "files", files);
	json_object *st = jobj();
	json_object_object_add(st, "anomalies", alog_json(c->a_anom));
	json_object_object_add(st, "summary", alog_json(c->a_sum));
	json_object_object_add(st, "events", alog_json(c->a_ev));
	json_object_object_add(o, "writers", st);
	return reply_obj(o);
}

static char *cmd_alerts_rotate(struct weir_ctl *c)
{
	char err[600];
	time_t now = time(NULL);
	if (weir_alog_rotate(c->a_anom, now, err, sizeof(err)) < 0 ||
	    weir_alog_rotate(c->a_sum, now, err, sizeof(err)) < 0 ||
	    weir_alog_rotate(c->a_ev, now, err, sizeof(err)) < 0)
		return fail(err);
	event(c, "alerts_rotated", NULL, 0);
	return reply_obj(okobj());
}

static char *cmd_spikes(struct weir_ctl *c, unsigned n)
{
	json_object *o = okobj();
	json_object *a = json_object_new_array();
	unsigned k = n < c->nspikes ? n : c->nspikes;
	for (unsigned i = c->nspikes - k; i < c->nspikes; i++) {
		const char *s = c->spike_json[(c->spike_head + i) % WEIR_CTL_SPIKE_HISTORY];
		json_object *e = s ? json_tokener_parse(s) : NULL;
		if (e)
			json_object_array_add(a, e);
	}
	json_object_object_add(o, "spikes", a);
	jadd_u(o, "total", c->t.spikes);
	return reply_obj(o);
}

static char *handle(void *ctx, const struct weir_ctl_req *req)
{
	struct weir_ctl *c = ctx;
	char err[400];
	switch (req->cmd) {
	case WEIR_CTL_STATUS: return cmd_status(c);
	case WEIR_CTL_STATS: return cmd_stats(c);
	case WEIR_CTL_MODEL_LIST: return cmd_model_list(c);
	case WEIR_CTL_MODEL_LOAD: return cmd_model_load(c, req->path, 0);
	case WEIR_CTL_MODEL_ROLLBACK:
		if (!c->prev_dir[0])
			return fail("no previous model to roll back to");
		{
			char prev[WEIR_CTL_PATH];
			snprintf(prev, sizeof(prev), "%s", c->prev_dir);
			return cmd_model_load(c, prev, 1);
		}
	case WEIR_CTL_RETRAIN:
		if (start_retrain(c, "manual: weirctl retrain", err, sizeof(err)) < 0)
			return fail(err);
		{
			json_object *o = okobj();
			jadd_s(o, "message", "training started; see events.jsonl or `weirctl status`");
			return reply_obj(o);
		}
	case WEIR_CTL_THRESHOLD_GET: return cmd_threshold(c, 0, 0);
	case WEIR_CTL_THRESHOLD_SET: return cmd_threshold(c, 1, req->value);
	case WEIR_CTL_ALERTS_LIST: return cmd_alerts_list(c);
	case WEIR_CTL_ALERTS_ROTATE: return cmd_alerts_rotate(c);
	case WEIR_CTL_SPIKES: return cmd_spikes(c, req->n);
	case WEIR_CTL_CMD_MAX: break;
	}
	return fail("unhandled command");
}

/* ---- lifecycle ---- */

static int mkdirs(const char *path, char *err, size_t errlen, const char *setting)
{
	char p[WEIR_CTL_PATH];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || !*s) {
			char save = *s;
			*s = 0;
			if (mkdir(p, 0750) < 0 && errno != EEXIST) {
				snprintf(err, errlen, "%s = %s: cannot create %s: %s", setting, path, p,
					 strerror(errno));
				return -1;
			}
			*s = save;
			if (!save)
				break;
		}
	}
	return 0;
}

int weir_ctl_init(struct weir_ctl *c, char *err, size_t errlen)
{
	struct weir_ctl_conf *cf = &c->cf;
	c->started = time(NULL);
	c->sample_rate = cf->sample_rate;
	c->threshold = NAN;
	if (mkdirs(cf->alert_dir, err, errlen, "[alerts] dir") < 0 ||
	    mkdirs(cf->retrain.model_dir, err, errlen, "[retrain] model_dir") < 0)
		return -1;
	char e[600];
	if (!(c->a_anom = weir_alog_open(cf->alert_dir, "anomalies.jsonl", NULL, &cf->alog, e, sizeof(e))) ||
	    !(c->a_sum = weir_alog_open(cf->alert_dir, "summary.csv", WEIR_SUMMARY_HEADER, &cf->alog, e, sizeof(e))) ||
	    !(c->a_ev = weir_alog_open(cf->alert_dir, "events.jsonl", NULL, &cf->alog, e, sizeof(e)))) {
		snprintf(err, errlen, "[alerts] dir: %s", e);
		return -1;
	}
	if (cf->kafka.enabled) {
#ifdef WEIR_HAVE_KAFKA
		if (!(c->kafka = weir_kafka_open(&cf->kafka, err, errlen)))
			return -1;
#else
		snprintf(err, errlen, "[kafka] enabled: this build has no Kafka support "
			 "(meson -Dkafka=enabled)");
		return -1;
#endif
	}
	if (!(c->ivl = weir_ivl_create(&cf->ivl, err, errlen)))
		return -1;
	weir_policy_init(&c->policy, &cf->retrain);
	c->scap = cf->retrain.sample_capacity;
	/* calloc: pages are touched only as samples arrive */
	c->samples = calloc(c->scap, sizeof(*c->samples));
	if (!c->samples) {
		snprintf(err, errlen, "[retrain] sample_capacity = %zu: cannot allocate %zu MiB",
			 c->scap, c->scap * sizeof(*c->samples) >> 20);
		return -1;
	}
	if (!(c->trainer = weir_trainer_start(err, errlen)))
		return -1;
	c->learning = 1;
	if (cf->model[0]) {
		struct weir_bundle *b = weir_bundle_load(cf->model, e, sizeof(e));
		if (!b) {
			snprintf(err, errlen, "[control] model: %s", e);
			return -1;
		}
		set_model(c, b, cf->model);
	}
	if (!(c->srv = weir_ctlsrv_open(cf->socket, cf->socket_group, handle, c, err, errlen)))
		return -1;
	json_object *f = jobj();
	jadd_u(f, "pid", (uint64_t)getpid());
	jadd_s(f, "instance", cf->instance);
	jadd_s(f, "policy", weir_retrain_policy_name(cf->retrain.policy));
	jadd_u(f, "model_version", c->model_version);
	json_object_object_add(f, "learning", json_object_new_boolean(c->learning));
	event(c, "control_start", f, 0);
	try_connect(c);
	c->last_connect_try = c->last_check = c->last_tick = mono();
	return 0;
}

/* Everything in the rings: anomalies first, then samples. At a hold point
 * the rings' contents are fixed, so this order makes the record sequence,
 * and with it every decision, the same at any replay speed. */
static unsigned drain_all(struct weir_ctl *c)
{
	unsigned got = 0, n;
	while ((n = weir_shm_pop_kind(c->shm, WEIR_SHM_ANOMALY, c->batch, WEIR_CTL_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++)
			on_anomaly(c, &c->batch[i]);
		got += n;
	}
	while ((n = weir_shm_pop_kind(c->shm, WEIR_SHM_SAMPLE, c->batch, WEIR_CTL_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++)
			on_sample(c, &c->batch[i]);
		got += n;
	}
	return got;
}

/* Replay lockstep: weir (WEIR_REPLAY_HOLD) waits before the first frame at
 * or after its hold point. Only then are the rings read, whole; a retrain
 * decided while reading them is trained, validated and swapped in before
 * weir is let go to the next interval boundary, so the new model scores
 * exactly the frames after the hold point. */
static unsigned lockstep(struct weir_ctl *c, double now)
{
	if (c->ls_free)
		return drain_all(c);
	if (weir_trainer_busy(c->trainer) || now - c->ls_last_query < 0.0005)
		return 0;
	c->ls_last_query = now;
	char reply[512], err[300];
	int r = weir_dpcmd(c->cf.dataplane_socket, "{\"cmd\":\"hold\"}", reply, sizeof(reply),
			   2000, err, sizeof(err));
	if (r < 0) {
		/* weir closes its socket after its workers flushed every
		 * flow: what is in the rings now is all there will be (the
		 * socket appears after the segment: not there yet at start) */
		if ((c->ls_answered && access(c->cf.dataplane_socket, F_OK) < 0) ||
		    (c->producer_pid > 0 && kill(c->producer_pid, 0) < 0 && errno == ESRCH)) {
			c->ls_free = 1;
			return drain_all(c);
		}
		return 0;
	}
	c->ls_answered = 1;
	json_object *o = json_tokener_parse(reply), *v;
	int held = o && json_object_object_get_ex(o, "held", &v) && json_object_get_boolean(v);
	uint64_t next = o && json_object_object_get_ex(o, "next_ns", &v) ? (uint64_t)json_object_get_int64(v) : 0;
	json_object_put(o);
	if (!held)
		return 0;
	unsigned got = drain_all(c);
	if (weir_trainer_busy(c->trainer)) {
		c->ls_swap_hold = c->ls_until;
		return got;   /* let go once the new model is in */
	}
	uint64_t len = (uint64_t)c->cf.ivl.length_s * NS;
	char rq[128];
	snprintf(rq, sizeof(rq), "{\"cmd\":\"hold\",\"until_ns\":%llu}",
		 (unsigned long long)((next / len + 1) * len));
	if (weir_dpcmd(c->cf.dataplane_socket, rq, reply, sizeof(reply), 2000, err, sizeof(err)) != 0) {
		json_object *f = jobj();
		jadd_s(f, "message", err);
		event(c, "hold_failed", f, 1);
	} else {
		c->ls_holds++;
		c->ls_until = (next / len + 1) * len;
	}
	return got;
}

void weir_ctl_step(struct weir_ctl *c)
{
	unsigned got = 0;
	if (c->shm && c->connected && c->cf.replay_lockstep) {
		got = lockstep(c, mono());
	} else if (c->shm && c->connected) {
		unsigned n = weir_shm_pop_kind(c->shm, WEIR_SHM_ANOMALY, c->batch, WEIR_CTL_BATCH);
		for (unsigned i = 0; i < n; i++)
			on_anomaly(c, &c->batch[i]);
		unsigned m = weir_shm_pop_kind(c->shm, WEIR_SHM_SAMPLE, c->batch, WEIR_CTL_BATCH);
		for (unsigned i = 0; i < m; i++)
			on_sample(c, &c->batch[i]);
		got = n + m;
	}
	double now = mono();
	/* shm_open of a missing name costs a microsecond: look often, so a
	 * short replay is not over before we attach */
	if (!c->shm && now - c->last_connect_try >= 0.01) {
		c->last_connect_try = now;
		try_connect(c);
	}
	/* Producer liveness: often while connected (cheap); every 50 ms while
	 * waiting for a new one (it re-opens the segment), so a short replay
	 * by a restarted weir is not missed. */
	if (c->shm && (!got || ++c->rounds % 64 == 0) &&
	    now - c->last_check >= (c->connected ? 0.1 : 0.05)) {
		c->last_check = now;
		check_segment(c);
	}
	/* every round: a swapped-in model should explain the very next
	 * anomalies scored with it */
	struct weir_train_outcome o;
	if (weir_trainer_poll(c->trainer, &o))
		trainer_done(c, &o);
	if (now - c->last_tick >= 1) {
		c->last_tick = now;
		tick(c, now);
	}
	struct pollfd pfd[1 + WEIR_CTLSRV_MAX_CLIENTS];
	unsigned np = weir_ctlsrv_pollfds(c->srv, pfd);
	int timeout = got ? 0 : (int)((c->cf.poll_us + 999) / 1000);
	if (poll(pfd, np, timeout) > 0 || got == 0)
		weir_ctlsrv_serve(c->srv);
}

void weir_ctl_fini(struct weir_ctl *c)
{
	/* what is left in the rings, then the open intervals */
	if (c->shm && c->connected && c->ivl) {
		for (;;) {
			unsigned n = weir_shm_pop_kind(c->shm, WEIR_SHM_ANOMALY, c->batch, WEIR_CTL_BATCH);
			for (unsigned i = 0; i < n; i++)
				on_anomaly(c, &c->batch[i]);
			unsigned m = weir_shm_pop_kind(c->shm, WEIR_SHM_SAMPLE, c->batch, WEIR_CTL_BATCH);
			for (unsigned i = 0; i < m; i++)
				on_sample(c, &c->batch[i]);
			if (!n && !m)
				break;
		}
	}
	if (c->ivl)
		end_of_stream(c);
	/* a training in progress: wait for it (bounded) so its outcome is
	 * recorded rather than lost */
	if (c->trainer && c->a_ev) {
		struct weir_train_outcome o;
		for (int i = 0; i < 300 && weir_trainer_busy(c->trainer); i++)
			poll(NULL, 0, 100);
		if (weir_trainer_poll(c->trainer, &o))
			trainer_done(c, &o);
	}
	if (c->a_ev) {
		json_object *f = jobj();
		jadd_u(f, "anomalies", c->t.anomalies);
		jadd_u(f, "sampled", c->t.sampled);
		jadd_u(f, "intervals", c->t.intervals);
		jadd_u(f, "spikes", c->t.spikes);
		event(c, "control_stop", f, 0);
	}
	weir_trainer_stop(c->trainer);
	weir_ctlsrv_close(c->srv);
	weir_alog_close(c->a_anom);
	weir_alog_close(c->a_sum);
	weir_alog_close(c->a_ev);
#ifdef WEIR_HAVE_KAFKA
	weir_kafka_close(c->kafka, 5000);
#endif
	weir_shm_consumer_close(c->shm);
	weir_ivl_free(c->ivl);
	free(c->samples);
	if (c->bundle)
		weir_bundle_free(c->bundle);
	for (unsigned i = 0; i < WEIR_CTL_SPIKE_HISTORY; i++)
		free(c->spike_json[i]);
}
