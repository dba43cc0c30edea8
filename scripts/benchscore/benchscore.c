/* weir-benchscore: nanoseconds per scored flow, our one-class SVM kernel
 * (svm.h) against libsvm's svm_predict_values, on the same models and the
 * same points. Not a test: scripts/bench-score runs it once.
 *
 * Models: libsvm one-class RBF models trained here on synthetic points
 * (48 dimensions; about 500 and about 2000 support vectors), plus the
 * model.svm of any bundle directory named on the command line. Each figure
 * is the best of 5 rounds over the same points (the machine is shared). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libsvm/svm.h>
#include "bundle.h"
#include "svm.h"

#define NPTS 2048
#define ROUNDS 5

static uint64_t rs = 12345;

static double ur(void)
{
	rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static void quiet(const char *s) { (void)s; }

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* points in [0,1]^dims with some structure: about 30% zeros (one-hot-like
 * sparsity, which libsvm's sparse format profits from) */
static void gen(float *x, int dims)
{
	for (int d = 0; d < dims; d++)
		x[d] = (d % 3 == 2) ? (ur() < 0.2 ? 1.0f : 0.0f)
			: (float)(0.3 + 0.4 * (ur() + ur()) / 2);
}

static void to_nodes(const float *x, int dims, struct svm_node *n)
{
	int k = 0;
	for (int d = 0; d < dims; d++)
		if (x[d] != 0) {
			n[k].index = d + 1;
			n[k].value = x[d];
			k++;
		}
	n[k].index = -1;
}

static struct svm_model *train(int dims, int l, double nu, struct svm_node **pool_out,
			       struct svm_problem *prob)
{
	struct svm_node *pool = malloc((size_t)l * (dims + 1) * sizeof(*pool));
	prob->l = l;
	prob->y = malloc((size_t)l * sizeof(double));
	prob->x = malloc((size_t)l * sizeof(*prob->x));
	float x[WEIR_SVM_MAX_DIMS];
	for (int i = 0; i < l; i++) {
		gen(x, dims);
		prob->x[i] = pool + (size_t)i * (dims + 1);
		to_nodes(x, dims, prob->x[i]);
		prob->y[i] = 1;
	}
	struct svm_parameter p;
	memset(&p, 0, sizeof(p));
	p.svm_type = ONE_CLASS;
	p.kernel_type = RBF;
	p.gamma = 1.0 / dims * 4;
	p.nu = nu;
	p.cache_size = 100;
	p.eps = 1e-3;
	p.shrinking = 1;
	*pool_out = pool;
	return svm_train(prob, &p);
}

static struct weir_svm *convert(const struct svm_model *mod, int dims)
{
	char err[128];
	struct weir_svm *m = weir_svm_create(mod->param.kernel_type == RBF ? WEIR_SVM_RBF
					     : WEIR_SVM_LINEAR, (uint32_t)dims,
					     (uint32_t)mod->l, mod->param.gamma, mod->rho[0],
					     err, sizeof(err));
	if (!m) {
		fprintf(stderr, "weir-benchscore: %s\n", err);
		exit(1);
	}
	float row[WEIR_SVM_MAX_DIMS];
	for (int i = 0; i < mod->l; i++) {
		memset(row, 0, sizeof(row));
		for (const struct svm_node *n = mod->SV[i]; n->index != -1; n++)
			row[n->index - 1] = (float)n->value;
		weir_svm_set_sv(m, (uint32_t)i, row, mod->sv_coef[0][i]);
	}
	weir_svm_finalize(m);
	return m;
}

static void bench(const char *name, const struct svm_model *mod, int dims)
{
	struct weir_svm *m = convert(mod, dims);
	uint32_t st = weir_svm_stride((uint32_t)dims);
	float *pts = aligned_alloc(64, (size_t)NPTS * st * sizeof(float));
	struct svm_node *nodes = malloc((size_t)NPTS * (dims + 1) * sizeof(*nodes));
	memset(pts, 0, (size_t)NPTS * st * sizeof(float));
	for (int i = 0; i < NPTS; i++) {
		gen(pts + (size_t)i * st, dims);
		to_nodes(pts + (size_t)i * st, dims, nodes + (size_t)i * (dims + 1));
	}
	/* libsvm: as many points as fit in about 0.2 s (a round) */
	double sink = 0, worst = 0, t0 = now();
	int nl = 0;
	while (now() - t0 < 0.2 && nl < NPTS) {
		double v;
		svm_predict_values(mod, nodes + (size_t)nl * (dims + 1), &v);
		sink += v;
		double ours = weir_svm_decision(m, pts + (size_t)nl * st);
		double scale = fabs(mod->rho[0]) + 1;
		if (fabs(ours - v) / scale > worst)
			worst = fabs(ours - v) / scale;
		nl++;
	}
	/* Best of ROUNDS rounds each: the machine is shared, and the fastest
	 * round is the one least disturbed by other processes. */
	double ns_lib = INFINITY;
	for (int r = 0; r < ROUNDS; r++) {
		t0 = now();
		for (int i = 0; i < nl; i++) {
			double v;
			svm_predict_values(mod, nodes + (size_t)i * (dims + 1), &v);
			sink += v;
		}
		ns_lib = fmin(ns_lib, (now() - t0) / nl * 1e9);
	}
	double ns_path[3] = { 0, INFINITY, INFINITY };
	for (int r = 0; r < ROUNDS; r++)
		for (int p = WEIR_SVM_PATH_SCALAR; p <= WEIR_SVM_PATH_AVX2; p++) {
			int n = p == WEIR_SVM_PATH_SCALAR ? nl : NPTS;
			t0 = now();
			for (int i = 0; i < n; i++)
				sink += weir_svm_decision_path(m, pts + (size_t)i * st,
							       (enum weir_svm_path)p);
			ns_path[p] = fmin(ns_path[p], (now() - t0) / n * 1e9);
		}
	enum weir_svm_path act = weir_svm_active_path();
	printf("%-22s %6d SVs %3d dims | libsvm %9.0f ns | ours %s %7.0f ns (%.1fx) | "
	       "scalar %7.0f ns (%.1fx) | max |delta|/(|rho|+1) %.2g\n",
	       name, mod->l, dims, ns_lib, weir_svm_path_name(act), ns_path[act],
	       ns_lib / ns_path[act], ns_path[WEIR_SVM_PATH_SCALAR],
	       ns_lib / ns_path[WEIR_SVM_PATH_SCALAR], worst);
	if (sink == 12345.678)
		printf("\n");   /* keeps the sums alive */
	free(nodes);
	free(pts);
	weir_svm_free(m);
}

int main(int argc, char **argv)
{
	svm_set_print_string_function(quiet);
	printf("one-class RBF decision value per flow, %s; one run\n",
	       weir_svm_path_name(weir_svm_active_path()));
	static const struct { int l; double nu; } synth[] = { { 1000, 0.5 }, { 4000, 0.5 } };
	for (size_t i = 0; i < 2; i++) {
		struct svm_problem prob;
		struct svm_node *pool;
		struct svm_model *mod = train(48, synth[i].l, synth[i].nu, &pool, &prob);
		char name[64];
		snprintf(name, sizeof(name), "synthetic-%d", synth[i].l);
		bench(name, mod, 48);
		svm_free_and_destroy_model(&mod);
		free(pool);
		free(prob.x);
		free(prob.y);
	}
	for (int a = 1; a < argc; a++) {
		char err[512], path[1024];
		struct weir_bundle *b = weir_bundle_load(argv[a], err, sizeof(err));
		if (!b) {
			fprintf(stderr, "weir-benchscore: %s\n", err);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/model.svm", argv[a]);
		struct svm_model *mod = svm_load_model(path);
		if (!mod) {
			fprintf(stderr, "weir-benchscore: libsvm cannot load %s\n", path);
			return 1;
		}
		const char *base = strrchr(argv[a], '/');
		bench(base && base[1] ? base + 1 : argv[a], mod, (int)b->fs.ndims);
		svm_free_and_destroy_model(&mod);
		weir_bundle_free(b);
	}
	return 0;
}
