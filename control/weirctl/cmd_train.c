/* weirctl train: fit a one-class SVM bundle on the normal flows of flow CSVs
 * or captures, and (--cv K) measure it by K-fold cross-validation. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bundle.h"
#include "cmd.h"
#include "roc.h"
#include "train.h"

static const char train_usage[] =
"usage: weirctl train DATA... -o BUNDLE [options]\n"
"       weirctl train DATA... --cv K [-o BUNDLE] [--json] [options]\n"
"\n"
"Trains a one-class SVM (libsvm, RBF kernel) on the normal flows of DATA and\n"
"writes the bundle directory BUNDLE (model.svm, scale.range, bundle.json).\n"
"DATA: flow CSVs (weir's own, UNSW-NB15 raw 49-column or partitioned\n"
"45-column, recognised by the header) or pcap/pcapng captures (features\n"
"extracted on the fly). With a label column, only flows labelled normal are\n"
"trained on; without one, every flow is taken as normal.\n"
"\n"
"  -o, --output DIR              bundle directory to write\n"
"      --gamma G                 RBF gamma (default: 1 / median squared\n"
"                                distance between training pairs)\n"
"      --nu NU                   one-class nu (default 0.2)\n"
"      --max-train N             train on at most N flows, a uniform random\n"
"                                sample (default 8000)\n"
"      --threshold-quantile Q    threshold = Q-quantile of the training\n"
"                                decision values (default 0.04)\n"
"      --cv K                    K-fold cross-validation (2..20): train on\n"
"                                the normal flows of K-1 folds, score the\n"
"                                held-out fold with its attacks; prints AUC,\n"
"                                detection rate, FPR, per category\n"
"      --json                    --cv results as one JSON object\n"
"      --exclude F,F...          leave these fields out of the features\n"
"                                (e.g. sttl,dttl,ct_state_ttl)\n"
"      --seed S                  sampling and fold seed (default 1)\n"
"      --version V               bundle version id (default: Unix time)\n"
"  -q, --quiet                   no progress on stderr\n"
"  -h, --help\n";

#define CV_MAX_FLOWS 4000000u

struct collect {
	struct weir_record *v;
	size_t n, cap;
	size_t limit;           /* reservoir size; 0: keep every flow */
	int normal_only;
	uint64_t total, normal, labelled;
	uint64_t seed;
	int full;               /* --cv over CV_MAX_FLOWS */
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int is_normal(const struct weir_record *r)
{
	return !r->has_label || r->label == 0;
}

static int collect_flow(void *ctx, const struct weir_record *r)
{
	struct collect *c = ctx;
	c->total++;
	c->labelled += r->has_label ? 1 : 0;
	if (is_normal(r))
		c->normal++;
	else if (c->normal_only)
		return 0;
	/* Reservoir sampling keeps a uniform sample of the normal flows
	 * without holding them all. */
	uint64_t seen = c->normal_only ? c->normal : c->total;
	if (c->limit && c->n == c->limit) {
		uint64_t j = rnd(&c->seed) % seen;
		if (j < c->limit)
			c->v[j] = *r;
		return 0;
	}
	if (!c->limit && c->n == CV_MAX_FLOWS) {
		c->full = 1;
		return 1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16384;
		struct weir_record *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return 1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *r;
	return 0;
}

static void remove_bundle(const char *dir)
{
	static const char *const files[] = { "model.svm", "scale.range", "bundle.json" };
	char p[1024];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int cross_validate(struct collect *c, unsigned k, const struct weir_train_opts *base,
			  int json, FILE *progress)
{
	if (!c->labelled) {
		fprintf(stderr, "weirctl train: --cv needs labelled flows (no label column in DATA)\n");
		return WEIRCTL_ERR;
	}
	size_t n = c->n;
	uint8_t *fold = malloc(n);
	size_t *perm = malloc(n * sizeof(*perm));
	struct weir_record *tr = malloc(n * sizeof(*tr));
	if (!fold || !perm || !tr) {
		free(fold);
		free(perm);
		free(tr);
		fprintf(stderr, "weirctl train: no memory for %zu flows\n", n);
		return WEIRCTL_ERR;
	}
	/* Folds: a seeded shuffle dealt round-robin, so each fold is a uniform
	 * random sample of the flows, attacks included. */
	uint64_t seed = base->seed ^ 0x5eedf01dULL;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd(&seed) % i), t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		fold[perm[i]] = (uint8_t)(i % k);

	struct weir_evalset e;
	weir_evalset_init(&e);
	json_object *fold_auc = json_object_new_array();
	double auc_sum = 0;
	unsigned auc_n = 0;
	int rc = WEIRCTL_ERR;
	for (unsigned f = 0; f < k; f++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (fold[i] != f && is_normal(&c->v[i]))
				tr[m++] = c->v[i];
		char dir[] = "/tmp/weir-cv-XXXXXX";
		if (!mkdtemp(dir)) {
			fprintf(stderr, "weirctl train: cannot create a temporary directory: %s\n",
				strerror(errno));
			goto out;
		}
		struct weir_train_opts o = *base;
		o.progress = NULL;
		o.version = f + 1;
		o.flows_read = m;
		struct weir_train_result res;
		char err[512];
		struct weir_bundle *b = NULL;
		if (weir_train_bundle(tr, m, &o, dir, &res, err, sizeof(err)) ||
		    !(b = weir_bundle_load(dir, err, sizeof(err)))) {
			remove_bundle(dir);
			fprintf(stderr, "weirctl train: fold %u: %s\n", f + 1, err);
			goto out;
		}
		size_t from = e.n;
		for (size_t i = 0; i < n; i++) {
			if (fold[i] != f)
				continue;
			const struct weir_record *r = &c->v[i];
			float s = weir_bundle_score(b, r);
			if (weir_evalset_add(&e, s, !is_normal(r), weir_bundle_is_anomaly(b, s),
					     r->attack_cat)) {
				fprintf(stderr, "weirctl train: no memory\n");
				weir_bundle_free(b);
				remove_bundle(dir);
				goto out;
			}
		}
		weir_bundle_free(b);
		remove_bundle(dir);
		double auc = weir_eval_auc(&e, from, e.n);
		uint64_t tp = 0, pos = 0, fp = 0, neg = 0;
		for (size_t i = from; i < e.n; i++) {
			if (e.label[i]) {
				pos++;
				tp += e.flagged[i];
			} else {
				neg++;
				fp += e.flagged[i];
			}
		}
		if (isfinite(auc)) {
			auc_sum += auc;
			auc_n++;
		}
		json_object_array_add(fold_auc, isfinite(auc) ? json_object_new_double(auc) : NULL);
		if (progress)
			fprintf(progress, "fold %u/%u: trained on %u of %zu normal flows, %u SVs, "
				"gamma %.4g, %.1f s; held out %zu flows: AUC %.4f, DR %.4f, FPR %.4f\n",
				f + 1, k, res.ntrain, m, res.nsv, res.gamma, res.seconds, e.n - from,
				auc, pos ? (double)tp / (double)pos : NAN,
				neg ? (double)fp / (double)neg : NAN);
	}
	struct weir_eval_summary s;
	weir_eval_summarise(&e, &s);
	double pooled = s.auc;
	s.auc = auc_n ? auc_sum / auc_n : NAN;   /* the mean of the folds' AUCs */
	json_object *extra = json_object_new_object();
	json_object_object_add(extra, "folds", json_object_new_int((int)k));
	json_object_object_add(extra, "fold_auc", json_object_get(fold_auc));
	json_object_object_add(extra, "auc_pooled", isfinite(pooled) ? json_object_new_double(pooled) : NULL);
	if (!json)
		printf("%u-fold cross-validation (AUC: mean of the folds; pooled %.4f)\n", k, pooled);
	weir_eval_print(stdout, &e, &s, json, extra);
	json_object_put(extra);
	rc = WEIRCTL_OK;
out:
	json_object_put(fold_auc);
	weir_evalset_free(&e);
	free(fold);
	free(perm);
	free(tr);
	return rc;
}

enum { O_GAMMA = 256, O_NU, O_MAXTRAIN, O_QUANT, O_CV, O_JSON, O_SEED, O_VERSION, O_EXCLUDE };

static const struct option train_opts[] = {
	{ "output", required_argument, 0, 'o' },
	{ "gamma", required_argument, 0, O_GAMMA },
	{ "nu", required_argument, 0, O_NU },
	{ "max-train", required_argument, 0, O_MAXTRAIN },
	{ "threshold-quantile", required_argument, 0, O_QUANT },
	{ "cv", required_argument, 0, O_CV },
	{ "json", no_argument, 0, O_JSON },
	{ "seed", required_argument, 0, O_SEED },
	{ "exclude", required_argument, 0, O_EXCLUDE },
	{ "version", required_argument, 0, O_VERSION },
	{ "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 }
};

static int num_arg(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "weirctl train: %s '%s': expected a number in [%g, %g]\n",
			name, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_exclude(const char *list, uint64_t *mask)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int f = weir_field_parse(t);
		if (f < 0) {
			fprintf(stderr, "weirctl train: --exclude: '%s' is not a feature field\n", t);
			return -1;
		}
		*mask |= 1ULL << f;
	}
	return 0;
}

int weirctl_train(int argc, char **argv)
{
	struct weir_train_opts o;
	weir_train_opts_defaults(&o);
	const char *out = NULL;
	unsigned cv = 0;
	int json = 0, quiet = 0, c;
	double v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", train_opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(train_usage, stdout); return WEIRCTL_OK;
		case O_GAMMA:
			if (num_arg("--gamma", optarg, 1e-9, 1e9, &o.gamma)) return WEIRCTL_USAGE;
			break;
		case O_NU:
			if (num_arg("--nu", optarg, 1e-6, 1, &o.nu)) return WEIRCTL_USAGE;
			break;
		case O_MAXTRAIN:
			if (num_arg("--max-train", optarg, 2, 1e7, &v)) return WEIRCTL_USAGE;
			o.max_train = (uint32_t)v;
			break;
		case O_QUANT:
			if (num_arg("--threshold-quantile", optarg, 0, 0.5, &o.threshold_quantile))
				return WEIRCTL_USAGE;
			break;
		case O_CV:
			if (num_arg("--cv", optarg, 2, 20, &v)) return WEIRCTL_USAGE;
			cv = (unsigned)v;
			break;
		case O_JSON: json = 1; break;
		case O_EXCLUDE:
			if (parse_exclude(optarg, &o.exclude)) return WEIRCTL_USAGE;
			break;
		case O_SEED:
			if (num_arg("--seed", optarg, 0, 1e18, &v)) return WEIRCTL_USAGE;
			o.seed = (uint64_t)v;
			break;
		case O_VERSION:
			if (num_arg("--version", optarg, 1, 4294967295.0, &v)) return WEIRCTL_USAGE;
			o.version = (uint32_t)v;
			break;
		default: fputs(train_usage, stderr); return WEIRCTL_USAGE;
		}
	}
	if (optind >= argc || (!out && !cv)) {
		fprintf(stderr, "weirctl train: %s\n", optind >= argc ? "no DATA given"
			: "-o BUNDLE (or --cv K) is required");
		fputs(train_usage, stderr);
		return WEIRCTL_USAGE;
	}
	FILE *progress = quiet ? NULL : stderr;
	o.progress = progress;

	/* Provenance: the inputs, space separated. */
	char source[512] = "";
	size_t off = 0;
	for (int i = optind; i < argc && off < sizeof(source); i++) {
		int w = snprintf(source + off, sizeof(source) - off, "%s%s",
				 off ? " " : "", argv[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	o.source = source;

	struct collect col;
	memset(&col, 0, sizeof(col));
	col.seed = o.seed;
	col.normal_only = !cv;
	col.limit = cv ? 0 : (o.max_train ? o.max_train : WEIR_TRAIN_DEFAULT_MAX);
	char err[512];
	int rc = WEIRCTL_ERR;
	if (weir_read_flows(argv + optind, argc - optind, collect_flow, &col, progress,
			    err, sizeof(err))) {
		fprintf(stderr, "weirctl train: %s\n", err);
		goto out;
	}
	if (col.full) {
		fprintf(stderr, "weirctl train: --cv holds at most %u flows in memory\n", CV_MAX_FLOWS);
		goto out;
	}
	if (progress)
		fprintf(progress, "train: %llu flows read, %llu normal%s\n",
			(unsigned long long)col.total, (unsigned long long)col.normal,
			col.labelled ? "" : " (no labels: all taken as normal)");
	o.flows_read = col.total;
	if (cv) {
		rc = cross_validate(&col, cv, &o, json, progress);
		if (rc != WEIRCTL_OK || !out)
			goto out;
		/* the final bundle: every normal flow, not only K-1 folds */
		size_t m = 0;
		for (size_t i = 0; i < col.n; i++)
			if (is_normal(&col.v[i]))
				col.v[m++] = col.v[i];
		col.n = m;
	}
	struct weir_train_result res;
	if (weir_train_bundle(col.v, col.n, &o, out, &res, err, sizeof(err))) {
		fprintf(stderr, "weirctl train: %s\n", err);
		rc = WEIRCTL_ERR;
		goto out;
	}
	if (progress)
		fprintf(progress, "train: wrote %s (%u dims, %u SVs, gamma %.4g, nu %.4g, "
			"threshold %.6g)\n", out, res.ndims, res.nsv, res.gamma, res.nu,
			res.threshold);
	rc = WEIRCTL_OK;
out:
	free(col.v);
	return rc;
}
