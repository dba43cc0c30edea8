/* Scoring evaluation: AUC, rates, per category, ROC curve; flow input. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "extract.h"
#include "record_io.h"
#include "roc.h"

void weir_evalset_init(struct weir_evalset *e)
{
	memset(e, 0, sizeof(*e));
}

void weir_evalset_free(struct weir_evalset *e)
{
	free(e->score);
	free(e->label);
	free(e->flagged);
	free(e->cat);
	memset(e, 0, sizeof(*e));
}

static unsigned cat_index(struct weir_evalset *e, const char *raw)
{
	char name[24];
	while (isspace((unsigned char)*raw))
		raw++;
	snprintf(name, sizeof(name), "%s", *raw ? raw : "unknown");
	size_t n = strlen(name);
	while (n > 0 && isspace((unsigned char)name[n - 1]))
		name[--n] = '\0';
	for (unsigned i = 0; i < e->ncats; i++)
		if (!strcmp(e->cats[i], name))
			return i;
	if (e->ncats == WEIR_EVAL_MAX_CATS) {
		/* more than 64 categories: the rest share the last one */
		snprintf(e->cats[WEIR_EVAL_MAX_CATS - 1], sizeof(e->cats[0]), "other");
		return WEIR_EVAL_MAX_CATS - 1;
	}
	snprintf(e->cats[e->ncats], sizeof(e->cats[0]), "%s", name);
	return e->ncats++;
}

int weir_evalset_add(struct weir_evalset *e, float score, int label, int flagged,
		     const char *attack_cat)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4096;
		float *s = realloc(e->score, cap * sizeof(*s));
		if (s)
			e->score = s;
		uint8_t *l = realloc(e->label, cap), *f = realloc(e->flagged, cap),
			*c = realloc(e->cat, cap);
		if (l)
			e->label = l;
		if (f)
			e->flagged = f;
		if (c)
			e->cat = c;
		if (!s || !l || !f || !c)
			return -1;
		e->cap = cap;
	}
	e->score[e->n] = score;
	e->label[e->n] = label ? 1 : 0;
	e->flagged[e->n] = flagged ? 1 : 0;
	e->cat[e->n] = label ? (uint8_t)cat_index(e, attack_cat ? attack_cat : "") : 0;
	e->n++;
	return 0;
}

struct ranked { float score; uint8_t label; };

static int cmp_ranked(const void *a, const void *b)
{
	float x = ((const struct ranked *)a)->score, y = ((const struct ranked *)b)->score;
	return (x < y) - (x > y);   /* descending decision: least anomalous first */
}

double weir_eval_auc(const struct weir_evalset *e, size_t from, size_t to)
{
	size_t n = to - from;
	struct ranked *r = malloc((n ? n : 1) * sizeof(*r));
	if (!r)
		return NAN;
	uint64_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		r[i].score = e->score[from + i];
		r[i].label = e->label[from + i];
		pos += r[i].label;
	}
	uint64_t neg = n - pos;
	if (!pos || !neg) {
		free(r);
		return NAN;
	}
	/* Mann-Whitney: ranks by anomalousness (-score), ties get the mean rank. */
	qsort(r, n, sizeof(*r), cmp_ranked);
	double rank_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint64_t p = 0;
		while (j < n && r[j].score == r[i].score)
			p += r[j++].label;
		double mean_rank = (double)(i + 1 + j) / 2.0;   /* ranks i+1..j */
		rank_sum += mean_rank * (double)p;
		i = j;
	}
	free(r);
	return (rank_sum - (double)pos * (double)(pos + 1) / 2.0) / ((double)pos * (double)neg);
}

void weir_eval_summarise(const struct weir_evalset *e, struct weir_eval_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < e->n; i++) {
		if (e->label[i]) {
			s->attacks++;
			s->tp += e->flagged[i];
		} else {
			s->normal++;
			s->fp += e->flagged[i];
		}
	}
	s->auc = weir_eval_auc(e, 0, e->n);
	s->detection_rate = s->attacks ? (double)s->tp / (double)s->attacks : NAN;
	s->false_positive_rate = s->normal ? (double)s->fp / (double)s->normal : NAN;
}

static json_object *jnum_or_null(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

void weir_eval_print(FILE *out, const struct weir_evalset *e,
		     const struct weir_eval_summary *s, int json,
		     struct json_object *extra)
{
	uint64_t flows[WEIR_EVAL_MAX_CATS] = { 0 }, det[WEIR_EVAL_MAX_CATS] = { 0 };
	for (size_t i = 0; i < e->n; i++)
		if (e->label[i]) {
			flows[e->cat[i]]++;
			det[e->cat[i]] += e->flagged[i];
		}
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "auc", jnum_or_null(s->auc));
		json_object_object_add(o, "detection_rate", jnum_or_null(s->detection_rate));
		json_object_object_add(o, "false_positive_rate", jnum_or_null(s->false_positive_rate));
		json_object_object_add(o, "flows", json_object_new_int64((int64_t)e->n));
		json_object_object_add(o, "normal", json_object_new_int64((int64_t)s->normal));
		json_object_object_add(o, "attacks", json_object_new_int64((int64_t)s->attacks));
		json_object_object_add(o, "true_positives", json_object_new_int64((int64_t)s->tp));
		json_object_object_add(o, "false_positives", json_object_new_int64((int64_t)s->fp));
		json_object *pc = json_object_new_object();
		for (unsigned c = 0; c < e->ncats; c++) {
			json_object *co = json_object_new_object();
			json_object_object_add(co, "flows", json_object_new_int64((int64_t)flows[c]));
			json_object_object_add(co, "detected", json_object_new_int64((int64_t)det[c]));
			json_object_object_add(co, "detection_rate", flows[c]
				? json_object_new_double((double)det[c] / (double)flows[c]) : NULL);
			json_object_object_add(pc, e->cats[c], co);
		}
		json_object_object_add(o, "per_category", pc);
		if (extra) {
			json_object_object_foreach(extra, k, v)
				json_object_object_add(o, k, json_object_get(v));
		}
		fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return;
	}
	fprintf(out, "flows               %zu (%llu normal, %llu attack)\n", e->n,
		(unsigned long long)s->normal, (unsigned long long)s->attacks);
	fprintf(out, "AUC                 %.4f\n", s->auc);
	fprintf(out, "detection rate      %.4f (%llu / %llu)\n", s->detection_rate,
		(unsigned long long)s->tp, (unsigned long long)s->attacks);
	fprintf(out, "false positive rate %.4f (%llu / %llu)\n", s->false_positive_rate,
		(unsigned long long)s->fp, (unsigned long long)s->normal);
	if (e->ncats) {
		fprintf(out, "per category:\n");
		for (unsigned c = 0; c < e->ncats; c++)
			fprintf(out, "  %-16s %7llu flows %7llu detected  %5.1f%%\n", e->cats[c],
				(unsigned long long)flows[c], (unsigned long long)det[c],
				flows[c] ? 100.0 * (double)det[c] / (double)flows[c] : 0.0);
	}
}

/* ---- ROC curve ---- */

#define ROC_MAX_POINTS 2000

int weir_roc_write(const struct weir_evalset *e, const char *png, char *err, size_t errlen)
{
	char csv[1024];
	size_t len = strlen(png);
	if (len < 5 || strcmp(png + len - 4, ".png") || len + 1 > sizeof(csv)) {
		snprintf(err, errlen, "%s: the ROC file must be named *.png", png);
		return -1;
	}
	snprintf(csv, sizeof(csv), "%.*s.csv", (int)(len - 4), png);
	struct ranked *r = malloc((e->n ? e->n : 1) * sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "roc: no memory");
		return -1;
	}
	uint64_t pos = 0;
	for (size_t i = 0; i < e->n; i++) {
		r[i].score = e->score[i];
		r[i].label = e->label[i];
		pos += e->label[i];
	}
	uint64_t neg = e->n - pos;
	if (!pos || !neg) {
		free(r);
		snprintf(err, errlen, "roc: needs both normal and attack flows");
		return -1;
	}
	/* Ascending decision: lowering the threshold flags these first. */
	qsort(r, e->n, sizeof(*r), cmp_ranked);
	FILE *f = fopen(csv, "w");
	if (!f) {
		free(r);
		snprintf(err, errlen, "%s: cannot create: %s", csv, strerror(errno));
		return -1;
	}
	/* One point per distinct decision value d: the flows with decision <= d
	 * flagged; thinned to about ROC_MAX_POINTS points. */
	fprintf(f, "decision_at_most,false_positive_rate,true_positive_rate\n");
	fprintf(f, "-inf,0,0\n");
	uint64_t tp = 0, fp = 0;
	size_t step = e->n / ROC_MAX_POINTS + 1, since = 0;
	for (size_t i = e->n; i-- > 0;) {
		tp += r[i].label;
		fp += !r[i].label;
		since++;
		if (i > 0 && r[i - 1].score == r[i].score)
			continue;
		if (i > 0 && since < step)
			continue;
		since = 0;
		fprintf(f, "%.9g,%.6f,%.6f\n", r[i].score, (double)fp / (double)neg,
			(double)tp / (double)pos);
	}
	free(r);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write error", csv);
		return -1;
	}
	double auc = weir_eval_auc(e, 0, e->n);
	FILE *g = popen("gnuplot", "w");
	if (!g) {
		snprintf(err, errlen, "roc: cannot run gnuplot: %s", strerror(errno));
		return -1;
	}
	fprintf(g, "set terminal pngcairo size 800,600\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set key bottom right\n"
		"set xlabel 'false positive rate'\nset ylabel 'detection rate'\n"
		"set xrange [0:1]\nset yrange [0:1]\nset grid\n"
		"set title 'ROC (AUC %.4f)'\n"
		"plot '%s' using 2:3 every ::1 with lines lw 2 title 'one-class SVM', "
		"x with lines dt 2 lc rgb 'gray' title 'chance'\n", png, auc, csv);
	int rc = pclose(g);
	if (rc != 0) {
		snprintf(err, errlen, "%s: gnuplot failed (status %d)", png, rc);
		return -1;
	}
	return 0;
}

/* ---- reading flows ---- */

static int is_capture(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	unsigned char m[4];
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	if (n != 4)
		return 0;
	uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	return be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || be == 0xa1b23c4d ||
	       be == 0x4d3cb2a1 || be == 0x0a0d0d0a;
}

struct cap_ctx {
	weir_flow_fn fn;
	void *ctx;
	int stop;
};

static void cap_sink(void *ctx, struct weir_record *rec)
{
	struct cap_ctx *c = ctx;
	if (!c->stop)
		c->stop = c->fn(c->ctx, rec);
}

int weir_read_flows(char *const *paths, int npaths, weir_flow_fn fn, void *ctx,
		    FILE *progress, char *err, size_t errlen)
{
	for (int i = 0; i < npaths; i++) {
		if (is_capture(paths[i])) {
			struct weir_extract_opts o;
			weir_extract_opts_defaults(&o);
			struct weir_extract_stats st;
			struct cap_ctx c = { fn, ctx, 0 };
			if (weir_extract_run(&o, &paths[i], 1, cap_sink, &c, &st)) {
				snprintf(err, errlen, "%s: no packets could be read", paths[i]);
				return -1;
			}
			if (progress)
				fprintf(progress, "read %llu flows from %s (capture)\n",
					(unsigned long long)st.eng.records, paths[i]);
			if (c.stop)
				return 0;
			continue;
		}
		struct weir_flowfile *ff = weir_flowfile_open(paths[i], err, errlen);
		if (!ff)
			return -1;
		struct weir_record rec;
		int r;
		uint64_t n = 0;
		while ((r = weir_flowfile_next(ff, &rec, err, errlen)) == 1) {
			n++;
			if (fn(ctx, &rec)) {
				weir_flowfile_close(ff);
				return 0;
			}
		}
		if (progress && r == 0)
			fprintf(progress, "read %llu flows from %s (%s%s)\n",
				(unsigned long long)n, paths[i], weir_flowfile_kind(ff),
				weir_flowfile_has_labels(ff) ? ", labelled" : "");
		weir_flowfile_close(ff);
		if (r < 0)
			return -1;
	}
	return 0;
}
