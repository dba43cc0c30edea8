/* Training a one-class SVM bundle with libsvm. The procedure (why these
 * defaults) is in doc/models.md. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <json-c/json.h>
#include <libsvm/svm.h>
#include "bundle.h"
#include "decode.h"
#include "train.h"

/* Scaled range, as svm-scale -l 0 -u 1: one-hot dimensions stay 0/1. */
#define SCALE_LOWER 0.0
#define SCALE_UPPER 1.0
#define GAMMA_PAIRS 4000

/* The numeric features and their transforms. log1p compresses the heavy
 * tails of byte counts, rates and times (a 1 MB flow is not 1000x more
 * different than a 1 kB one); mul puts seconds into milliseconds before
 * the log so the sub-second range is not flattened. Small bounded values
 * (TTLs, window 0/255, flags) stay as they are. */
static const struct { unsigned field, xform; float mul; } numeric[] = {
	{ WEIR_FLD_DUR, WEIR_XF_LOG1P, 1000 },
	{ WEIR_FLD_SBYTES, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DBYTES, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SLOSS, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DLOSS, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SLOAD, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DLOAD, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SPKTS, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DPKTS, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SWIN, WEIR_XF_IDENTITY, 1 },
	{ WEIR_FLD_DWIN, WEIR_XF_IDENTITY, 1 },
	{ WEIR_FLD_SMEANSZ, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DMEANSZ, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_TRANS_DEPTH, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_RES_BDY_LEN, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SJIT, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DJIT, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_SINTPKT, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_DINTPKT, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_TCPRTT, WEIR_XF_LOG1P, 1000 },
	{ WEIR_FLD_SYNACK, WEIR_XF_LOG1P, 1000 },
	{ WEIR_FLD_ACKDAT, WEIR_XF_LOG1P, 1000 },
	{ WEIR_FLD_IS_SM_IPS_PORTS, WEIR_XF_IDENTITY, 1 },
	{ WEIR_FLD_CT_STATE_TTL, WEIR_XF_IDENTITY, 1 },
	{ WEIR_FLD_CT_FLW_HTTP_MTHD, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_IS_FTP_LOGIN, WEIR_XF_IDENTITY, 1 },
	{ WEIR_FLD_CT_FTP_CMD, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_SRV_SRC, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_SRV_DST, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_DST_LTM, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_SRC_LTM, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_SRC_DPORT_LTM, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_DST_SPORT_LTM, WEIR_XF_LOG1P, 1 },
	{ WEIR_FLD_CT_DST_SRC_LTM, WEIR_XF_LOG1P, 1 },
};

/* One-hot fields. The TTLs are here rather than among the numbers: a TTL
 * is an initial-TTL signature minus a hop count, so 62 is not "near" 64 in
 * any useful sense, and a TTL pair never seen in normal traffic should stand
 * out as strongly as an unseen protocol. (They are strong features on
 * UNSW-NB15, whose attack hosts sit behind their own TTLs; see
 * doc/models.md.) */
static const unsigned categorical[] = { WEIR_FLD_PROTO, WEIR_FLD_STATE, WEIR_FLD_SERVICE,
					WEIR_FLD_STTL, WEIR_FLD_DTTL };

void weir_train_opts_defaults(struct weir_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold_quantile = -1;
	o->seed = 1;
}

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void quiet(const char *s) { (void)s; }

/* Categories of a field seen in the training flows, most frequent first. */
static void add_onehot(struct weir_featspec *fs, const struct weir_record *const *recs,
		       size_t n, unsigned field)
{
	uint32_t count[WEIR_PROTO_ARP + 1];   /* covers every code of the 3 fields */
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		int code = (int)weir_field_value(recs[i], field);
		if (code >= 0 && code < (int)(sizeof(count) / sizeof(count[0])))
			count[code]++;
	}
	for (unsigned k = 0; k < WEIR_TRAIN_MAX_CATEGORIES; k++) {
		unsigned best = 0;
		for (unsigned c = 1; c < sizeof(count) / sizeof(count[0]); c++)
			if (count[c] > count[best])
				best = c;
		if (count[best] == 0 || fs->ndims >= WEIR_BUNDLE_MAX_DIMS)
			break;
		struct weir_dim *d = &fs->dim[fs->ndims++];
		d->field = (uint8_t)field;
		d->xform = WEIR_XF_ONEHOT;
		d->category = (int32_t)best;
		d->mul = 1;
		count[best] = 0;
	}
}

static const char *category_name(unsigned field, int32_t code, char *buf, size_t len)
{
	switch (field) {
	case WEIR_FLD_PROTO: return weir_proto_name((unsigned)code);
	case WEIR_FLD_STATE: return weir_state_name((unsigned)code);
	case WEIR_FLD_SERVICE: return weir_service_name((unsigned)code);
	default:
		snprintf(buf, len, "%d", (int)code);
		return buf;
	}
}

static int write_range(const char *path, const struct weir_featspec *fs,
		       const double *mn, const double *mx, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	/* svm-scale's own layout: constant dimensions are not listed. */
	fprintf(f, "x\n%.17g %.17g\n", SCALE_LOWER, SCALE_UPPER);
	for (uint32_t d = 0; d < fs->ndims; d++)
		if (mn[d] < mx[d])
			fprintf(f, "%u %.17g %.17g\n", d + 1, mn[d], mx[d]);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static json_object *jdouble(double v)
{
	return json_object_new_double(v);
}

static int write_json(const char *path, const struct weir_featspec *fs,
		      const double *mean, const double *sd,
		      const struct weir_train_opts *o, const struct weir_train_result *res,
		      uint32_t version, char *err, size_t errlen)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "format", json_object_new_string("weir-svm-bundle"));
	json_object_object_add(root, "format_version", json_object_new_int(WEIR_BUNDLE_FORMAT));
	json_object_object_add(root, "version", json_object_new_int64(version));
	json_object_object_add(root, "threshold", jdouble(res->threshold));
	json_object *feats = json_object_new_array();
	for (uint32_t d = 0; d < fs->ndims;) {
		const struct weir_dim *dm = &fs->dim[d];
		json_object *f = json_object_new_object();
		json_object_object_add(f, "field", json_object_new_string(weir_field_name(dm->field)));
		json_object_object_add(f, "transform", json_object_new_string(weir_xform_name(dm->xform)));
		if (dm->xform != WEIR_XF_ONEHOT) {
			if (dm->xform == WEIR_XF_LOG1P)
				json_object_object_add(f, "mul", jdouble(dm->mul));
			json_object_object_add(f, "mean", jdouble(mean[d]));
			json_object_object_add(f, "std", jdouble(sd[d]));
			d++;
		} else {
			json_object *cats = json_object_new_array(), *jm = json_object_new_array(),
				    *js = json_object_new_array();
			unsigned field = dm->field;
			char buf[16];
			for (; d < fs->ndims && fs->dim[d].field == field; d++) {
				json_object_array_add(cats, json_object_new_string(
					category_name(field, fs->dim[d].category, buf, sizeof(buf))));
				json_object_array_add(jm, jdouble(mean[d]));
				json_object_array_add(js, jdouble(sd[d]));
			}
			json_object_object_add(f, "categories", cats);
			json_object_object_add(f, "mean", jm);
			json_object_object_add(f, "std", js);
		}
		json_object_array_add(feats, f);
	}
	json_object_object_add(root, "features", feats);

	json_object *p = json_object_new_object();
	json_object_object_add(p, "source", json_object_new_string(o->source ? o->source : ""));
	json_object_object_add(p, "flows", json_object_new_int64((int64_t)o->flows_read));
	json_object_object_add(p, "train_flows", json_object_new_int64(res->ntrain));
	json_object_object_add(p, "time_span_s", jdouble(res->time_span_s));
	json_object_object_add(p, "gamma", jdouble(res->gamma));
	json_object_object_add(p, "nu", jdouble(res->nu));
	json_object_object_add(p, "threshold_quantile", jdouble(res->quantile));
	json_object_object_add(p, "support_vectors", json_object_new_int64(res->nsv));
	char date[40];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	json_object_object_add(p, "date", json_object_new_string(date));
	json_object_object_add(p, "trainer", json_object_new_string("weir train (libsvm one-class, rbf)"));
	json_object_object_add(root, "provenance", p);

	int rc = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY |
					 JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(root);
	if (rc) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int weir_train_bundle(const struct weir_record *recs, size_t n,
		      const struct weir_train_opts *o, const char *dir,
		      struct weir_train_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	uint32_t max_train = o->max_train ? o->max_train : WEIR_TRAIN_DEFAULT_MAX;
	double nu = o->nu > 0 ? o->nu : WEIR_TRAIN_DEFAULT_NU;
	double q = o->threshold_quantile >= 0 ? o->threshold_quantile : WEIR_TRAIN_DEFAULT_QUANTILE;
	if (n < 2) {
		snprintf(err, errlen, "train: %zu normal flows, need at least 2", n);
		return -1;
	}
	if (nu > 1 || q >= 1) {
		snprintf(err, errlen, "train: nu %g and threshold quantile %g must be below 1", nu, q);
		return -1;
	}
	int rc = -1;
	size_t m = n < max_train ? n : max_train;
	const struct weir_record **pick = malloc(n * sizeof(*pick));
	struct weir_featspec *fs = calloc(1, sizeof(*fs));
	float *raw = NULL;
	double *mn = NULL, *mx = NULL, *mean = NULL, *sd = NULL, *dist = NULL, *dec = NULL;
	struct svm_node *pool = NULL;
	struct svm_problem prob = { 0, NULL, NULL };
	struct svm_model *model = NULL;
	if (!pick || !fs)
		goto oom;

	/* Subsample without replacement: a partial Fisher-Yates shuffle. */
	uint64_t seed = o->seed;
	for (size_t i = 0; i < n; i++)
		pick[i] = &recs[i];
	for (size_t i = 0; i < m && m < n; i++) {
		size_t j = i + (size_t)(rnd(&seed) % (n - i));
		const struct weir_record *t = pick[i];
		pick[i] = pick[j];
		pick[j] = t;
	}
	uint64_t tmin = UINT64_MAX, tmax = 0;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].stime_ns && recs[i].stime_ns < tmin)
			tmin = recs[i].stime_ns;
		if (recs[i].ltime_ns > tmax)
			tmax = recs[i].ltime_ns;
	}
	res->time_span_s = tmax > tmin ? (double)(tmax - tmin) / 1e9 : 0;

	/* Feature list: numeric ones, then the categories seen. */
	for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
		if (o->exclude & (1ULL << numeric[i].field))
			continue;
		struct weir_dim *d = &fs->dim[fs->ndims++];
		d->field = (uint8_t)numeric[i].field;
		d->xform = (uint8_t)numeric[i].xform;
		d->mul = numeric[i].mul;
	}
	for (size_t i = 0; i < sizeof(categorical) / sizeof(categorical[0]); i++)
		if (!(o->exclude & (1ULL << categorical[i])))
			add_onehot(fs, pick, m, categorical[i]);
	if (fs->ndims == 0) {
		snprintf(err, errlen, "train: every feature excluded");
		goto out;
	}
	uint32_t nd = fs->ndims;

	raw = malloc(m * nd * sizeof(float));
	mn = malloc(nd * sizeof(double));
	mx = malloc(nd * sizeof(double));
	mean = calloc(nd, sizeof(double));
	sd = calloc(nd, sizeof(double));
	if (!raw || !mn || !mx || !mean || !sd)
		goto oom;
	for (uint32_t d = 0; d < nd; d++) {
		mn[d] = INFINITY;
		mx[d] = -INFINITY;
	}
	for (size_t i = 0; i < m; i++) {
		float *x = raw + i * nd;
		weir_featspec_raw(fs, pick[i], x);
		for (uint32_t d = 0; d < nd; d++) {
			mn[d] = fmin(mn[d], x[d]);
			mx[d] = fmax(mx[d], x[d]);
			mean[d] += x[d];
		}
	}
	for (uint32_t d = 0; d < nd; d++)
		mean[d] /= (double)m;
	for (size_t i = 0; i < m; i++)
		for (uint32_t d = 0; d < nd; d++) {
			double dv = raw[i * nd + d] - mean[d];
			sd[d] += dv * dv;
		}
	for (uint32_t d = 0; d < nd; d++)
		sd[d] = sqrt(sd[d] / (double)m);
	/* Scale in place exactly as the loaded bundle will (float mul/add). */
	for (size_t i = 0; i < m; i++)
		for (uint32_t d = 0; d < nd; d++) {
			float *v = &raw[i * nd + d];
			if (mn[d] < mx[d]) {
				double mul = (SCALE_UPPER - SCALE_LOWER) / (mx[d] - mn[d]);
				*v = *v * (float)mul + (float)(SCALE_LOWER - mn[d] * mul);
			} else {
				*v = 0;
			}
		}

	/* gamma: 1 / median squared distance between random training pairs,
	 * so a typical pair has a kernel value of 1/e. */
	double gamma = o->gamma;
	if (!(gamma > 0)) {
		dist = malloc(GAMMA_PAIRS * sizeof(double));
		if (!dist)
			goto oom;
		size_t np = 0;
		for (size_t k = 0; k < GAMMA_PAIRS; k++) {
			size_t a = (size_t)(rnd(&seed) % m), b = (size_t)(rnd(&seed) % m);
			if (a == b)
				continue;
			double s = 0;
			for (uint32_t d = 0; d < nd; d++) {
				double t = raw[a * nd + d] - raw[b * nd + d];
				s += t * t;
			}
			dist[np++] = s;
		}
		qsort(dist, np, sizeof(double), cmp_double);
		double med = np ? dist[np / 2] : 0;
		gamma = med > 0 ? 1.0 / med : 1.0 / nd;
	}
	res->gamma = gamma;
	res->nu = nu;
	res->ndims = nd;
	res->ntrain = (uint32_t)m;
	if (o->progress)
		fprintf(o->progress, "train: %zu flows given, training on %zu, %u dimensions, "
			"gamma %.4g%s, nu %.4g\n", n, m, nd, gamma,
			o->gamma > 0 ? "" : " (median heuristic)", nu);

	/* libsvm problem: sparse rows, zeros left out as svm-scale does. */
	pool = malloc(m * (nd + 1) * sizeof(*pool));
	prob.l = (int)m;
	prob.y = malloc(m * sizeof(double));
	prob.x = malloc(m * sizeof(*prob.x));
	if (!pool || !prob.y || !prob.x)
		goto oom;
	for (size_t i = 0; i < m; i++) {
		struct svm_node *row = pool + i * (nd + 1);
		prob.x[i] = row;
		prob.y[i] = 1;
		int k = 0;
		for (uint32_t d = 0; d < nd; d++)
			if (raw[i * nd + d] != 0) {
				row[k].index = (int)d + 1;
				row[k].value = raw[i * nd + d];
				k++;
			}
		row[k].index = -1;
	}
	struct svm_parameter par;
	memset(&par, 0, sizeof(par));
	par.svm_type = ONE_CLASS;
	par.kernel_type = RBF;
	par.gamma = gamma;
	par.nu = nu;
	par.cache_size = 200;
	par.eps = 1e-3;
	par.shrinking = 1;
	const char *perr = svm_check_parameter(&prob, &par);
	if (perr) {
		snprintf(err, errlen, "train: libsvm refuses the parameters: %s", perr);
		goto out;
	}
	svm_set_print_string_function(quiet);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	model = svm_train(&prob, &par);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!model) {
		snprintf(err, errlen, "train: libsvm training failed");
		goto out;
	}
	res->nsv = (uint32_t)model->l;

	/* Threshold: the q-quantile of the training decision values, so about
	 * a fraction q of flows like the training ones are flagged. */
	dec = malloc(m * sizeof(double));
	if (!dec)
		goto oom;
	for (size_t i = 0; i < m; i++)
		svm_predict_values(model, prob.x[i], &dec[i]);
	qsort(dec, m, sizeof(double), cmp_double);
	res->threshold = dec[(size_t)(q * (double)(m - 1))];
	res->quantile = q;
	if (o->progress)
		fprintf(o->progress, "train: %u support vectors in %.1f s, threshold %.6g "
			"(%.3g quantile of training decisions)\n", res->nsv, res->seconds,
			res->threshold, q);

	char path[1024];
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
		goto out;
	}
	if (snprintf(path, sizeof(path), "%s/model.svm", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (svm_save_model(path, model)) {
		snprintf(err, errlen, "%s: cannot write", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/scale.range", dir);
	if (write_range(path, fs, mn, mx, err, errlen))
		goto out;
	snprintf(path, sizeof(path), "%s/bundle.json", dir);
	uint32_t version = o->version ? o->version : (uint32_t)time(NULL);
	if (write_json(path, fs, mean, sd, o, res, version, err, errlen))
		goto out;

	/* Load it back: a bundle we cannot load must not be reported as written. */
	char lerr[512];
	struct weir_bundle *b = weir_bundle_load(dir, lerr, sizeof(lerr));
	if (!b) {
		snprintf(err, errlen, "train: the bundle written does not load: %s", lerr);
		goto out;
	}
	weir_bundle_free(b);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "train: no memory for %zu flows", n);
out:
	svm_free_and_destroy_model(&model);
	free(pool);
	free(prob.x);
	free(prob.y);
	free(dec);
	free(dist);
	free(sd);
	free(mean);
	free(mx);
	free(mn);
	free(raw);
	free(fs);
	free(pick);
	return rc;
}
