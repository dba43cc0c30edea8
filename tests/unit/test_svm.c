/* Our SVM kernel against libsvm's svm_predict_values on models libsvm
 * trained here, and the AVX2 path against the scalar one.
 *
 * Tolerance: |ours - libsvm| <= 1e-3 * S, where S = |rho| + sum |coef_i K_i|
 * is the size of the terms summed (the decision-value scale of that point);
 * decisions (sign) must agree wherever |libsvm| > 1e-3 * S (the guard band).
 * The scalar and AVX2 paths must agree to 1e-5 * S. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libsvm/svm.h>
#include "svm.h"

#define TOL 1e-3
#define PATH_TOL 1e-5

static uint64_t rng_state;

static double urand(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void quiet(const char *s) { (void)s; }

/* Points from a few Gaussian-ish blobs, rounded to float so both sides see
 * the same inputs. */
static void gen_point(float *x, int dims, int blob)
{
	for (int d = 0; d < dims; d++) {
		double c = ((blob * 7 + d * 3) % 5) * 0.25;
		double n = (urand() + urand() + urand() - 1.5) * 0.4;
		x[d] = (float)(c + n);
	}
}

static void to_nodes(const float *x, int dims, struct svm_node *n)
{
	int k = 0;
	for (int d = 0; d < dims; d++) {
		if (x[d] == 0.0f)
			continue;
		n[k].index = d + 1;
		n[k].value = x[d];
		k++;
	}
	n[k].index = -1;
}

struct trained {
	struct svm_model *model;
	struct svm_problem prob;
	struct svm_node *pool;
	float *pts;
};

static struct trained train(int kernel, int dims, int l, double nu, double gamma)
{
	struct trained t;
	memset(&t, 0, sizeof(t));
	t.pts = calloc((size_t)l * dims, sizeof(float));
	t.pool = calloc((size_t)l * (dims + 1), sizeof(struct svm_node));
	t.prob.l = l;
	t.prob.y = calloc((size_t)l, sizeof(double));
	t.prob.x = calloc((size_t)l, sizeof(struct svm_node *));
	for (int i = 0; i < l; i++) {
		gen_point(t.pts + (size_t)i * dims, dims, i % 3);
		t.prob.x[i] = t.pool + (size_t)i * (dims + 1);
		to_nodes(t.pts + (size_t)i * dims, dims, t.prob.x[i]);
		t.prob.y[i] = 1;
	}
	struct svm_parameter p;
	memset(&p, 0, sizeof(p));
	p.svm_type = ONE_CLASS;
	p.kernel_type = kernel;
	p.gamma = gamma;
	p.nu = nu;
	p.cache_size = 100;
	p.eps = 1e-3;
	p.shrinking = 1;
	ck_assert_ptr_null(svm_check_parameter(&t.prob, &p));
	t.model = svm_train(&t.prob, &p);
	ck_assert_ptr_nonnull(t.model);
	return t;
}

static void untrain(struct trained *t)
{
	svm_free_and_destroy_model(&t->model);
	free(t->prob.x);
	free(t->prob.y);
	free(t->pool);
	free(t->pts);
}

static struct weir_svm *convert(const struct svm_model *mod, int dims)
{
	char err[128];
	struct weir_svm *m = weir_svm_create(
		mod->param.kernel_type == RBF ? WEIR_SVM_RBF : WEIR_SVM_LINEAR,
		(uint32_t)dims, (uint32_t)mod->l, mod->param.gamma, mod->rho[0],
		err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
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

/* |rho| + sum |coef_i K(x, sv_i)| in double: the scale of the decision. */
static double decision_scale(const struct svm_model *mod, const float *x, int dims)
{
	double s = fabs(mod->rho[0]);
	for (int i = 0; i < mod->l; i++) {
		double dense[WEIR_SVM_MAX_DIMS] = { 0 };
		for (const struct svm_node *n = mod->SV[i]; n->index != -1; n++)
			dense[n->index - 1] = n->value;
		double k = 0;
		for (int d = 0; d < dims; d++)
			k += mod->param.kernel_type == RBF
				? (x[d] - dense[d]) * (x[d] - dense[d])
				: x[d] * dense[d];
		if (mod->param.kernel_type == RBF)
			k = exp(-mod->param.gamma * k);
		s += fabs(mod->sv_coef[0][i] * k);
	}
	return s;
}

struct stats { double worst_rel; int points, guarded; };

static void compare(int kernel, int dims, int l, double nu, double gamma,
		    int min_sv, int max_sv, struct stats *st)
{
	struct trained t = train(kernel, dims, l, nu, gamma);
	ck_assert_int_ge(t.model->l, min_sv);
	ck_assert_int_le(t.model->l, max_sv);
	struct weir_svm *m = convert(t.model, dims);
	ck_assert_uint_eq(m->stride % WEIR_SVM_LANES, 0);
	ck_assert_uint_eq(m->rows % WEIR_SVM_BLOCK, 0);
	ck_assert_uint_eq((uintptr_t)m->sv % 64, 0);

	float x[WEIR_SVM_MAX_DIMS] __attribute__((aligned(64)));
	struct svm_node nodes[WEIR_SVM_MAX_DIMS + 1];
	for (int p = 0; p < 60; p++) {
		memset(x, 0, sizeof(x));
		if (p < 5) {
			/* a training point: the dist-clamping case */
			memcpy(x, t.pts + (size_t)(p * 7 % l) * dims, dims * sizeof(float));
		} else {
			gen_point(x, dims, p % 4);  /* blob 3 is not in training */
			if (p % 6 == 0)
				for (int d = 0; d < dims; d++)
					x[d] *= 3.0f;  /* far out */
		}
		to_nodes(x, dims, nodes);
		double ref;
		svm_predict_values(t.model, nodes, &ref);
		double scale = decision_scale(t.model, x, dims);
		double ours = weir_svm_decision(m, x);
		double sc = weir_svm_decision_path(m, x, WEIR_SVM_PATH_SCALAR);
		double av = weir_svm_decision_path(m, x, WEIR_SVM_PATH_AVX2);
		double rel = fabs(ours - ref) / scale;
		if (rel > st->worst_rel)
			st->worst_rel = rel;
		ck_assert_msg(rel <= TOL,
			      "kernel %d dims %d nsv %d: ours %.9g libsvm %.9g scale %g",
			      kernel, dims, t.model->l, ours, ref, scale);
		if (fabs(ref) > TOL * scale)
			ck_assert_msg((ours < 0) == (ref < 0),
				      "decision differs outside the guard band: %.9g vs %.9g",
				      ours, ref);
		else
			st->guarded++;
		ck_assert_msg(fabs(sc - av) <= PATH_TOL * scale,
			      "scalar %.9g vs avx2 %.9g (scale %g)", sc, av, scale);
		if (fabs(sc) > PATH_TOL * scale)
			ck_assert((sc < 0) == (av < 0));
		st->points++;
	}
	weir_svm_free(m);
	untrain(&t);
}

START_TEST(rbf_matches_libsvm)
{
	rng_state = 1;
	svm_set_print_string_function(quiet);
	struct stats st = { 0, 0, 0 };
	/* dims 8..64, odd sizes to exercise the padding; SV counts 1..2000 */
	compare(RBF, 8, 1, 0.5, 0.5, 1, 1, &st);
	compare(RBF, 11, 12, 0.05, 0.5, 1, 12, &st);
	compare(RBF, 13, 300, 0.1, 0.2, 30, 300, &st);
	compare(RBF, 37, 800, 0.3, 0.05, 240, 800, &st);
	compare(RBF, 48, 2000, 0.5, 0.02, 1000, 2000, &st);
	compare(RBF, 64, 2400, 0.8, 0.1, 1900, 2400, &st);
	fprintf(stderr, "rbf: %d points, worst |delta|/scale %.3g, %d in guard band\n",
		st.points, st.worst_rel, st.guarded);
}
END_TEST

START_TEST(linear_matches_libsvm)
{
	rng_state = 2;
	svm_set_print_string_function(quiet);
	struct stats st = { 0, 0, 0 };
	compare(LINEAR, 8, 40, 0.1, 0, 1, 40, &st);
	compare(LINEAR, 29, 500, 0.2, 0, 100, 500, &st);
	compare(LINEAR, 64, 2000, 0.5, 0, 1000, 2000, &st);
	fprintf(stderr, "linear: %d points, worst |delta|/scale %.3g, %d in guard band\n",
		st.points, st.worst_rel, st.guarded);
}
END_TEST

START_TEST(exp_error_is_bounded)
{
	double worst = 0;
	for (int i = 0; i <= 870000; i++) {
		float x = -87.0f + (float)i * 1e-4f;
		if (x > 0)
			x = 0;
		double want = exp((double)x);
		double rel = fabs(weir_svm_exp(x) - want) / want;
		if (rel > worst)
			worst = rel;
	}
	fprintf(stderr, "exp: worst relative error %.3g on [-87, 0]\n", worst);
	ck_assert_double_le(worst, WEIR_SVM_EXP_MAX_REL_ERR);
	ck_assert_float_eq(weir_svm_exp(-100.0f), 0.0f);
	ck_assert_float_eq(weir_svm_exp(-INFINITY), 0.0f);
	ck_assert_float_eq(weir_svm_exp(NAN), 0.0f);
	ck_assert_float_eq(weir_svm_exp(0.0f), 1.0f);
}
END_TEST

START_TEST(bad_sizes_are_refused)
{
	char err[128] = "";
	ck_assert_ptr_null(weir_svm_create(WEIR_SVM_RBF, 0, 10, 1, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "dimensions"));
	ck_assert_ptr_null(weir_svm_create(WEIR_SVM_RBF, WEIR_SVM_MAX_DIMS + 1, 10, 1, 0,
					   err, sizeof(err)));
	ck_assert_ptr_null(weir_svm_create(WEIR_SVM_RBF, 8, WEIR_SVM_MAX_SV + 1, 1, 0,
					   err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "support vectors"));
	ck_assert_ptr_null(weir_svm_create(WEIR_SVM_RBF, 8, 10, NAN, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "gamma"));
	ck_assert_ptr_null(weir_svm_create(WEIR_SVM_RBF, 8, 10, 1, INFINITY, err, sizeof(err)));
}
END_TEST

START_TEST(path_reported)
{
	enum weir_svm_path p = weir_svm_active_path();
	fprintf(stderr, "active path: %s\n", weir_svm_path_name(p));
	ck_assert(p == WEIR_SVM_PATH_SCALAR || p == WEIR_SVM_PATH_AVX2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("svm");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, exp_error_is_bounded);
	tcase_add_test(tc, bad_sizes_are_refused);
	tcase_add_test(tc, path_reported);
	tcase_add_test(tc, rbf_matches_libsvm);
	tcase_add_test(tc, linear_matches_libsvm);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
