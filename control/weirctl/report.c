/* The replay report. Everything is computed from the directory's flows.csv
 * (scores, verdicts, ground truth when present) and events.jsonl (spikes,
 * retrains, swaps); gnuplot draws, we embed. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "decode.h"
#include "labels.h"
#include "record_io.h"
#include "report.h"

#define MAX_CATS 32
#define MAX_EVENTS 4096

struct flow_pt {
	float score;
	uint8_t label, anomaly, has_score;
	uint8_t cat;             /* index into cats[], 0 = normal */
	uint64_t ltime_ns;
	uint8_t src[16], dst[16];
	uint8_t family;
};

struct event_pt {
	double t;
	char kind[24];
};

struct cat_stat {
	char name[24];
	uint64_t flows, detected;
};

struct report {
	struct flow_pt *f;
	size_t n, cap;
	int has_labels, has_scores;
	struct cat_stat cats[MAX_CATS];
	unsigned ncats;
	struct event_pt ev[MAX_EVENTS];
	unsigned nev;
	uint64_t tmin, tmax;
	double auc;
};

/* ---- loading ---------------------------------------------------------- */

static unsigned cat_index(struct report *r, const char *name)
{
	if (!name[0])
		return 0;
	for (unsigned i = 1; i < r->ncats; i++)
		if (!strcmp(r->cats[i].name, name))
			return i;
	if (r->ncats == MAX_CATS)
		return MAX_CATS - 1; /* the last slot collects the rest */
	snprintf(r->cats[r->ncats].name, sizeof(r->cats[0].name), "%s", name);
	return r->ncats++;
}

/* `attack`: the precise attack name from the ground truth, when known;
 * the breakdown is per attack then, else per UNSW category. */
static int push_flow(struct report *r, const struct weir_record *rec, const char *attack)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 65536;
		struct flow_pt *f = realloc(r->f, cap * sizeof(*f));
		if (!f)
			return -1;
		r->f = f;
		r->cap = cap;
	}
	struct flow_pt *p = &r->f[r->n++];
	p->score = rec->score;
	p->has_score = !isnan(rec->score);
	p->anomaly = rec->verdict == WEIR_VERDICT_ANOMALY;
	p->label = rec->label;
	const char *cat = attack && attack[0] ? attack : rec->attack_cat[0] ? rec->attack_cat : "attack";
	p->cat = (uint8_t)(rec->label ? cat_index(r, cat) : 0);
	p->ltime_ns = rec->ltime_ns;
	memcpy(p->src, rec->srcip, 16);
	memcpy(p->dst, rec->dstip, 16);
	p->family = rec->family;
	r->has_scores |= p->has_score;
	if (!r->tmin || rec->ltime_ns < r->tmin)
		r->tmin = rec->ltime_ns;
	if (rec->ltime_ns > r->tmax)
		r->tmax = rec->ltime_ns;
	return 0;
}

static int load_flows(struct report *r, const char *dir, struct weir_labels *truth,
		      char *err, size_t errlen)
{
	char path[4096];
	struct weir_record rec;
	snprintf(path, sizeof(path), "%s/flows.csv", dir);
	struct weir_flowfile *ff = weir_flowfile_open(path, err, errlen);
	if (!ff)
		return -1;
	r->has_labels = weir_flowfile_has_labels(ff) || truth;
	r->ncats = 1;
	snprintf(r->cats[0].name, sizeof(r->cats[0].name), "normal");
	int rc;
	while ((rc = weir_flowfile_next(ff, &rec, err, errlen)) == 1) {
		if (truth)
			weir_labels_apply(truth, &rec);
		if (push_flow(r, &rec, truth ? weir_labels_last_attack(truth) : NULL) < 0) {
			snprintf(err, errlen, "%s: out of memory after %zu flows", path, r->n);
			rc = -1;
			break;
		}
	}
	weir_flowfile_close(ff);
	if (rc == 0 && r->n == 0) {
		snprintf(err, errlen, "%s: no flows", path);
		return -1;
	}
	return rc;
}

static const char *event_kind(json_object *o)
{
	json_object *v;
	if (json_object_object_get_ex(o, "event", &v) || json_object_object_get_ex(o, "type", &v))
		return json_object_get_string(v);
	return NULL;
}

/* "2023-11-14T22:14:12.000000Z" -> epoch seconds; NaN if not that form. */
static double iso_seconds(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return NAN;
	double frac = 0;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

/* An event's place on the event-time axis: weir-control names it
 * interval_end (spikes) or watermark; "time" counts only when numeric
 * (weir-control's "time" string is the wall clock of the decision). */
static double event_time(json_object *o)
{
	static const char *const keys[] = { "interval_end", "watermark", "event_time", "time" };
	json_object *v;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(o, keys[i], &v))
			continue;
		if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
			return json_object_get_double(v);
		if (i < 3 && json_object_is_type(v, json_type_string))
			return iso_seconds(json_object_get_string(v));
	}
	return NAN;
}

/* events.jsonl is optional; lines that are not events are skipped. */
static void load_events(struct report *r, const char *dir)
{
	char path[4096], line[65536];
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	while (r->nev < MAX_EVENTS && fgets(line, sizeof(line), fp)) {
		json_object *o = json_tokener_parse(line);
		if (!o)
			continue;
		const char *kind = event_kind(o);
		double t = event_time(o);
		if (kind) {
			snprintf(r->ev[r->nev].kind, sizeof(r->ev[0].kind), "%s", kind);
			r->ev[r->nev++].t = t;
		}
		json_object_put(o);
	}
	fclose(fp);
}

/* ---- statistics -------------------------------------------------------- */

static int by_score(const void *a, const void *b)
{
	const struct flow_pt *x = a, *y = b;
	return (x->score > y->score) - (x->score < y->score);
}

/* Lower decision values are more anomalous. Writes the ROC points and
 * returns the AUC (trapezoids over the sweep; ties move together). */
static double roc(struct report *r, FILE *out)
{
	size_t n = 0, pos = 0, neg = 0;
	struct flow_pt *s = malloc(r->n * sizeof(*s));
	if (!s)
		return NAN;
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].has_score) {
			s[n++] = r->f[i];
			pos += r->f[i].label;
		}
	neg = n - pos;
	if (!pos || !neg) {
		free(s);
		return NAN;
	}
	qsort(s, n, sizeof(*s), by_score);
	double auc = 0, tp = 0, fp = 0, ptpr = 0, pfpr = 0;
	fprintf(out, "0 0\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j].score == s[i].score) {
			tp += s[j].label;
			fp += !s[j].label;
			j++;
		}
		double tpr = tp / pos, fpr = fp / neg;
		auc += (fpr - pfpr) * (tpr + ptpr) / 2;
		fprintf(out, "%.6f %.6f\n", fpr, tpr);
		ptpr = tpr;
		pfpr = fpr;
		i = j;
	}
	free(s);
	return auc;
}

static void per_category(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct cat_stat *c = &r->cats[r->f[i].cat];
		c->flows++;
		c->detected += r->f[i].anomaly;
	}
}

/* ---- top talkers --------------------------------------------------------- */

struct talker {
	uint8_t addr[16];
	uint8_t family;
	uint64_t count;
};

static int by_addr(const void *a, const void *b)
{
	return memcmp(((const struct talker *)a)->addr, ((const struct talker *)b)->addr, 16);
}

static int by_count(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;
	return (x->count < y->count) - (x->count > y->count);
}

/* Addresses of anomalous flows, most frequent first; returns how many. */
static size_t top_talkers(const struct report *r, int use_dst, struct talker **out)
{
	size_t n = 0;
	struct talker *t = malloc((r->n ? r->n : 1) * sizeof(*t));
	if (!t)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		if (!r->f[i].anomaly)
			continue;
		memcpy(t[n].addr, use_dst ? r->f[i].dst : r->f[i].src, 16);
		t[n].family = r->f[i].family;
		t[n++].count = 1;
	}
	qsort(t, n, sizeof(*t), by_addr);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && !memcmp(t[m - 1].addr, t[i].addr, 16))
			t[m - 1].count++;
		else
			t[m++] = t[i];
	}
	qsort(t, m, sizeof(*t), by_count);
	*out = t;
	return m;
}

static const char *addr_str(const struct talker *t, char *buf, size_t len)
{
	const char *s = inet_ntop(t->family == WEIR_AF_INET6 ? AF_INET6 : AF_INET,
				  t->addr, buf, (socklen_t)len);
	return s ? s : "?";
}

/* ---- plots ---------------------------------------------------------------- */

static int write_series(const struct report *r, double width, const char *path)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	uint64_t w = (uint64_t)(width * 1e9);
	size_t nb = (size_t)((r->tmax - r->tmin) / w) + 1;
	uint64_t *flows = calloc(nb, sizeof(uint64_t)), *anom = calloc(nb, sizeof(uint64_t));
	uint64_t *attack = calloc(nb, sizeof(uint64_t));
	if (!flows || !anom || !attack) {
		free(flows); free(anom); free(attack);
		fclose(fp);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t b = (size_t)((r->f[i].ltime_ns - r->tmin) / w);
		flows[b]++;
		anom[b] += r->f[i].anomaly;
		attack[b] += r->f[i].label;
	}
	for (size_t b = 0; b < nb; b++)
		fprintf(fp, "%.3f %llu %llu %llu\n", (double)b * width + width,
			(unsigned long long)flows[b], (unsigned long long)anom[b],
			(unsigned long long)attack[b]);
	free(flows); free(anom); free(attack);
	return fclose(fp);
}

static int write_scores(const struct report *r, const char *path)
{
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].has_score)
			fprintf(fp, "%.6f %u\n", r->f[i].score, r->f[i].label);
	return fclose(fp);
}

static void event_arrows(const struct report *r, FILE *gp)
{
	double t0 = r->tmin / 1e9;
	for (unsigned i = 0; i < r->nev; i++) {
		if (!isfinite(r->ev[i].t))
			continue;
		const char *color = !strcmp(r->ev[i].kind, "spike") ? "#d62728" :
				    strstr(r->ev[i].kind, "retrain") ? "#2ca02c" : "#9467bd";
		if (strcmp(r->ev[i].kind, "spike") && !strstr(r->ev[i].kind, "retrain") &&
		    !strstr(r->ev[i].kind, "swap") && !strstr(r->ev[i].kind, "rollback"))
			continue;
		fprintf(gp, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead lc rgb '%s' dt 2\n",
			r->ev[i].t - t0, r->ev[i].t - t0, color);
	}
}

/* Histogram bin width: about 80 bins over the scores' range, whatever
 * scale the model's decision values have. */
static double score_bin(const struct report *r)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < r->n; i++) {
		if (!r->f[i].has_score)
			continue;
		if (r->f[i].score < lo)
			lo = r->f[i].score;
		if (r->f[i].score > hi)
			hi = r->f[i].score;
	}
	return hi > lo ? (hi - lo) / 80 : 0.05;
}

static int run_gnuplot(const struct report *r, const char *tmp, double width)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot > gnuplot.log 2>&1", tmp);
	FILE *gp = popen(cmd, "w");
	if (!gp)
		return -1;
	fprintf(gp, "set terminal pngcairo size 960,360 font 'sans,10'\nset grid\nset key top left\n");
	fprintf(gp, "set output 'series.png'\nset title 'Flows and anomalies per %.0f s interval "
		"(dashed: red spike, green retrain, purple swap)'\nset xlabel 'seconds since first flow end'\n",
		width);
	event_arrows(r, gp);
	fprintf(gp, "plot 'series.dat' using 1:2 with steps lw 2 title 'flows', "
		"'' using 1:3 with steps lw 2 title 'anomalies'%s\n",
		r->has_labels ? ", '' using 1:4 with steps lw 1 dt 3 title 'attack flows (ground truth)'" : "");
	fprintf(gp, "unset arrow\n");
	if (r->has_scores) {
		fprintf(gp, "set output 'scores.png'\nset title 'Decision values (lower = more anomalous)'\n"
			"set xlabel 'decision value'\nset ylabel 'flows'\nset style fill transparent solid 0.5\n"
			"binw = %.9g\nbin(x) = binw * floor(x / binw) + binw / 2\nset boxwidth binw\n"
			"set logscale y\nset yrange [0.8:*]\n"
			"plot 'scores.dat' using (bin($1)):($2 == 0 ? 1 : 1/0) smooth freq with boxes title '%s'%s\n"
			"unset logscale y\nset autoscale y\nunset ylabel\n",
			score_bin(r), r->has_labels ? "normal" : "all flows",
			r->has_labels ? ", '' using (bin($1)):($2 == 1 ? 1 : 1/0) smooth freq with boxes title 'attack'" : "");
	}
	if (r->has_labels && isfinite(r->auc)) {
		fprintf(gp, "set output 'roc.png'\nset terminal pngcairo size 480,440\nset title 'ROC (AUC %.4f)'\n"
			"set xlabel 'false-positive rate'\nset ylabel 'detection rate'\nset xrange [0:1]\nset yrange [0:1]\n"
			"plot 'roc.dat' using 1:2 with lines lw 2 title 'Weir', x with lines dt 2 title 'chance'\n",
			r->auc);
	}
	int rc = pclose(gp);
	return rc == 0 ? 0 : -1;
}

/* ---- HTML --------------------------------------------------------------- */

static void embed_png(FILE *out, const char *path, const char *alt)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return;
	fprintf(out, "<figure><img class=\"plot\" alt=\"%s\" src=\"data:image/png;base64,", alt);
	unsigned char in[3];
	size_t n;
	while ((n = fread(in, 1, 3, fp)) > 0) {
		char o[4];
		o[0] = b64[in[0] >> 2];
		o[1] = b64[((in[0] & 3) << 4) | (n > 1 ? in[1] >> 4 : 0)];
		o[2] = n > 1 ? b64[((in[1] & 15) << 2) | (n > 2 ? in[2] >> 6 : 0)] : '=';
		o[3] = n > 2 ? b64[in[2] & 63] : '=';
		fwrite(o, 1, 4, out);
		memset(in, 0, sizeof(in));
	}
	fclose(fp);
	fprintf(out, "\"><figcaption>%s</figcaption></figure>\n", alt);
}

static void talker_table(FILE *out, const struct report *r, int use_dst, unsigned top)
{
	struct talker *t = NULL;
	char buf[INET6_ADDRSTRLEN];
	size_t m = top_talkers(r, use_dst, &t);
	fprintf(out, "<table><caption>Top anomalous %s</caption><tr><th>address</th><th>anomalous flows</th></tr>\n",
		use_dst ? "destinations" : "sources");
	for (size_t i = 0; i < m && i < top; i++)
		fprintf(out, "<tr><td>%s</td><td>%llu</td></tr>\n", addr_str(&t[i], buf, sizeof(buf)),
			(unsigned long long)t[i].count);
	if (!m)
		fprintf(out, "<tr><td colspan=2>no anomalies</td></tr>\n");
	fprintf(out, "</table>\n");
	free(t);
}

static void quality_table(FILE *out, const struct report *r)
{
	fprintf(out, "<table><caption>Detection against ground truth (at the model's threshold)</caption>"
		"<tr><th>category</th><th>flows</th><th>flagged</th><th>rate</th></tr>\n");
	for (unsigned i = 0; i < r->ncats; i++) {
		const struct cat_stat *c = &r->cats[i];
		if (!c->flows)
			continue;
		fprintf(out, "<tr><td>%s</td><td>%llu</td><td>%llu</td><td>%.2f%% %s</td></tr>\n",
			c->name, (unsigned long long)c->flows, (unsigned long long)c->detected,
			100.0 * c->detected / c->flows, i == 0 ? "(false-positive rate)" : "(detection rate)");
	}
	fprintf(out, "</table>\n");
}

static int write_html(const struct report *r, const struct report_opts *o,
		      const char *tmp, const char *path)
{
	char png[4200];
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	uint64_t anomalies = 0;
	for (size_t i = 0; i < r->n; i++)
		anomalies += r->f[i].anomaly;
	unsigned spikes = 0, retrains = 0;
	for (unsigned i = 0; i < r->nev; i++) {
		spikes += !strcmp(r->ev[i].kind, "spike");
		retrains += !strcmp(r->ev[i].kind, "retrain_started") ||
			    !strcmp(r->ev[i].kind, "retrain");
	}
	fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Weir report: %s</title>\n"
		"<style>body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;"
		"margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
		"caption{font-weight:bold;text-align:left}figure{margin:1em 0}</style></head>\n"
		"<body onload=\"document.body.dataset.plotsLoaded=[...document.images]"
		".filter(i=>i.complete&&i.naturalWidth>0).length\">\n", o->dir);
	fprintf(out, "<h1>Weir report</h1>\n<p>%s: %zu flows over %.1f s, %llu anomalous; "
		"%u spikes, %u retrains.</p>\n", o->dir, r->n, (r->tmax - r->tmin) / 1e9,
		(unsigned long long)anomalies, spikes, retrains);
	snprintf(png, sizeof(png), "%s/series.png", tmp);
	embed_png(out, png, "flows and anomalies per interval");
	snprintf(png, sizeof(png), "%s/scores.png", tmp);
	embed_png(out, png, "score distribution");
	talker_table(out, r, 0, o->top);
	talker_table(out, r, 1, o->top);
	if (r->has_labels) {
		quality_table(out, r);
		snprintf(png, sizeof(png), "%s/roc.png", tmp);
		embed_png(out, png, "ROC curve");
	}
	fprintf(out, "</body></html>\n");
	return fclose(out);
}

/* The same figures as the page, as text for a terminal. */
static void print_summary(const struct report *r, FILE *out)
{
	uint64_t anomalies = 0;
	for (size_t i = 0; i < r->n; i++)
		anomalies += r->f[i].anomaly;
	fprintf(out, "flows %zu, anomalous %llu (%.2f%%)\n", r->n,
		(unsigned long long)anomalies, r->n ? 100.0 * anomalies / r->n : 0.0);
	if (!r->has_labels)
		return;
	fprintf(out, "detection against ground truth (at the model's threshold):\n");
	for (unsigned i = 0; i < r->ncats; i++) {
		const struct cat_stat *c = &r->cats[i];
		if (!c->flows)
			continue;
		fprintf(out, "  %-22s %8llu flows %8llu flagged  %6.2f%% %s\n", c->name,
			(unsigned long long)c->flows, (unsigned long long)c->detected,
			100.0 * c->detected / c->flows,
			i == 0 ? "false-positive rate" : "detection rate");
	}
	if (isfinite(r->auc))
		fprintf(out, "  AUC %.4f (decision values against ground truth)\n", r->auc);
}

static void remove_tmp(const char *tmp)
{
	static const char *const files[] = { "series.dat", "scores.dat", "roc.dat", "series.png",
		"scores.png", "roc.png", "gnuplot.log" };
	char p[4200];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, files[i]);
		unlink(p);
	}
	rmdir(tmp);
}

static int prepare_data(struct report *r, const char *tmp, double width)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/series.dat", tmp);
	if (write_series(r, width, p))
		return -1;
	snprintf(p, sizeof(p), "%s/scores.dat", tmp);
	if (write_scores(r, p))
		return -1;
	r->auc = NAN;
	if (r->has_labels) {
		snprintf(p, sizeof(p), "%s/roc.dat", tmp);
		FILE *fp = fopen(p, "w");
		if (!fp)
			return -1;
		r->auc = roc(r, fp);
		fclose(fp);
		per_category(r);
	}
	return 0;
}

int report_write(const struct report_opts *o, char *err, size_t errlen)
{
	struct report *r = calloc(1, sizeof(*r));
	struct weir_labels *truth = NULL;
	char tmp[4096], out[4096];
	int rc = -1;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o->labels) {
		truth = weir_labels_load(o->labels, err, errlen);
		if (!truth)
			goto done;
	}
	if (load_flows(r, o->dir, truth, err, errlen) < 0)
		goto done;
	load_events(r, o->dir);
	snprintf(tmp, sizeof(tmp), "%s/.report-XXXXXX", o->dir);
	if (!mkdtemp(tmp)) {
		snprintf(err, errlen, "%s: cannot create a work directory: %s", o->dir, strerror(errno));
		goto done;
	}
	if (prepare_data(r, tmp, o->interval_s) < 0) {
		snprintf(err, errlen, "%s: cannot write plot data: %s", tmp, strerror(errno));
	} else if (run_gnuplot(r, tmp, o->interval_s) < 0) {
		snprintf(err, errlen, "gnuplot failed (is gnuplot installed? see scripts/install-deps)");
	} else {
		if (o->output)
			snprintf(out, sizeof(out), "%s", o->output);
		else
			snprintf(out, sizeof(out), "%s/report.html", o->dir);
		rc = write_html(r, o, tmp, out);
		if (rc)
			snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
		else if (o->print_summary)
			print_summary(r, stdout);
	}
	remove_tmp(tmp);
done:
	weir_labels_free(truth);
	free(r->f);
	free(r);
	return rc;
}
