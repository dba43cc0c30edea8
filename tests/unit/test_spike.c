/* Spike detection against hand-computed z-scores (sample sd, n - 1). */
#include <check.h>
#include <math.h>
#include <string.h>
#include "spike.h"

static struct weir_spike_cfg cfg(unsigned window, double thr, unsigned minp, double minabs)
{
	struct weir_spike_cfg c = { window, thr, minp, minabs };
	return c;
}

START_TEST(alternating_baseline_then_jump)
{
	/* diffs 2,-2,2,-2,2,-2,2,-2,2 then 28: mean 2/9, ss = 5*(16/9)^2 +
	 * 4*(20/9)^2 = 2880/81, sd = sqrt(2880/81/8) = sqrt(40/9) = 2.108185,
	 * z = (28 - 2/9) / sd = 13.176157 */
	double x[] = { 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 40 };
	struct weir_spike_cfg c = cfg(31, 5, 8, 0);
	struct weir_spike_result r;
	weir_spike_eval(&c, x, 11, &r);
	ck_assert_int_eq(r.spike, 1);
	ck_assert_int_eq(r.why, WEIR_SPIKE_ZSCORE);
	ck_assert_uint_eq(r.baseline, 9);
	ck_assert_double_eq_tol(r.diff, 28, 1e-12);
	ck_assert_double_eq_tol(r.mean, 2.0 / 9, 1e-12);
	ck_assert_double_eq_tol(r.sd, sqrt(40.0 / 9), 1e-12);
	ck_assert_double_eq_tol(r.z, 13.176156917368246, 1e-9);
	/* the same with a threshold above z: evaluated, no spike */
	c.threshold = 13.2;
	weir_spike_eval(&c, x, 11, &r);
	ck_assert_int_eq(r.spike, 0);
	ck_assert_int_eq(r.why, WEIR_SPIKE_NO);
	ck_assert_double_eq_tol(r.z, 13.176156917368246, 1e-9);
}
END_TEST

START_TEST(window_drops_old_differences)
{
	/* diffs 100,-100,1,2,1,2,1 | 23 */
	double x[] = { 0, 100, 0, 1, 3, 4, 6, 7, 30 };
	struct weir_spike_result r;
	/* window 4: baseline 2,1,2,1: mean 1.5, sd sqrt(1/3), z 37.239093 */
	struct weir_spike_cfg c = cfg(4, 5, 2, 0);
	weir_spike_eval(&c, x, 9, &r);
	ck_assert_uint_eq(r.baseline, 4);
	ck_assert_double_eq_tol(r.mean, 1.5, 1e-12);
	ck_assert_double_eq_tol(r.sd, sqrt(1.0 / 3), 1e-12);
	ck_assert_double_eq_tol(r.z, 37.239092362730865, 1e-9);
	ck_assert_int_eq(r.spike, 1);
	/* window 5: baseline 1,2,1,2,1: mean 1.4, sd sqrt(0.3), z 39.436024 */
	c = cfg(5, 5, 2, 0);
	weir_spike_eval(&c, x, 9, &r);
	ck_assert_uint_eq(r.baseline, 5);
	ck_assert_double_eq_tol(r.z, 39.43602414037196, 1e-9);
	/* window 7: the +-100 swing is inside: mean 1, ss 20004, sd
	 * sqrt(20004/6), z = 22 / 57.7408 = 0.381013: no spike */
	c = cfg(7, 5, 2, 0);
	weir_spike_eval(&c, x, 9, &r);
	ck_assert_uint_eq(r.baseline, 7);
	ck_assert_double_eq_tol(r.sd, sqrt(20004.0 / 6), 1e-9);
	ck_assert_double_eq_tol(r.z, 22 / sqrt(20004.0 / 6), 1e-9);
	ck_assert_int_eq(r.spike, 0);
	/* window larger than the history: all 7 previous differences */
	c = cfg(31, 5, 2, 0);
	weir_spike_eval(&c, x, 9, &r);
	ck_assert_uint_eq(r.baseline, 7);
	ck_assert_double_eq_tol(r.z, 22 / sqrt(20004.0 / 6), 1e-9);
}
END_TEST

START_TEST(warming_below_min_points)
{
	double x[] = { 1, 2, 1, 2, 1, 2, 1000 };   /* 5 baseline diffs, then 998 */
	struct weir_spike_result r;
	struct weir_spike_cfg c = cfg(31, 5, 6, 0);
	weir_spike_eval(&c, x, 7, &r);
	ck_assert_int_eq(r.spike, 0);
	ck_assert_int_eq(r.why, WEIR_SPIKE_WARMING);
	ck_assert_uint_eq(r.baseline, 5);
	ck_assert(isnan(r.z));
	/* exactly min_points: evaluated. diffs 1,-1,1,-1,1: mean 0.2, sd sqrt(1.2) */
	c.min_points = 5;
	weir_spike_eval(&c, x, 7, &r);
	ck_assert_int_eq(r.why, WEIR_SPIKE_ZSCORE);
	ck_assert_double_eq_tol(r.z, (998 - 0.2) / sqrt(1.2), 1e-9);
	/* one or two points: no difference to judge */
	weir_spike_eval(&c, x, 1, &r);
	ck_assert_int_eq(r.why, WEIR_SPIKE_WARMING);
	ck_assert_uint_eq(r.baseline, 0);
	weir_spike_eval(&c, x, 2, &r);
	ck_assert_int_eq(r.why, WEIR_SPIKE_WARMING);
	ck_assert_double_eq(r.diff, 1);
	weir_spike_eval(&c, x, 0, &r);
	ck_assert_int_eq(r.spike, 0);
}
END_TEST

START_TEST(zero_variance_needs_absolute_rise)
{
	double x[] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 12 };   /* diffs all 0, then 9 */
	struct weir_spike_result r;
	struct weir_spike_cfg c = cfg(31, 5, 8, 10);
	weir_spike_eval(&c, x, 11, &r);
	ck_assert_int_eq(r.spike, 0);
	ck_assert_int_eq(r.why, WEIR_SPIKE_NO);
	ck_assert_double_eq(r.sd, 0);
	ck_assert(isnan(r.z));
	x[10] = 13;                                  /* rise of exactly 10 */
	weir_spike_eval(&c, x, 11, &r);
	ck_assert_int_eq(r.spike, 1);
	ck_assert_int_eq(r.why, WEIR_SPIKE_FLAT);
	/* a constant slope is zero variance too: diffs 2,2,...,2 then 12 */
	double y[] = { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 30 };
	weir_spike_eval(&c, y, 11, &r);
	ck_assert_double_eq_tol(r.mean, 2, 1e-12);
	ck_assert_int_eq(r.spike, 1);                /* 12 - 2 = 10 */
	y[10] = 29;
	weir_spike_eval(&c, y, 11, &r);
	ck_assert_int_eq(r.spike, 0);
	/* min_abs_diff 0 with a flat baseline: a rise still has to be > 0 */
	c.min_abs_diff = 0;
	weir_spike_eval(&c, (double[]){ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 }, 11, &r);
	ck_assert_int_eq(r.spike, 0);
}
END_TEST

START_TEST(falls_are_never_spikes)
{
	double x[] = { 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 0 };
	struct weir_spike_result r;
	struct weir_spike_cfg c = cfg(31, 5, 8, 0);
	weir_spike_eval(&c, x, 11, &r);
	ck_assert_int_eq(r.spike, 0);
	ck_assert(r.z < -5);
}
END_TEST

START_TEST(absolute_floor_applies_to_zscores)
{
	/* diffs 0,0,0,0,0,0,0,1 then 2: tiny sd, big z, but only 2 anomalies */
	double x[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 3 };
	struct weir_spike_result r;
	struct weir_spike_cfg c = cfg(31, 5, 8, 10);
	weir_spike_eval(&c, x, 10, &r);
	/* mean 1/8, sd sqrt((7/64 + 49/64)/7) = sqrt(1/8), z = 1.875/0.353553 */
	ck_assert_double_eq_tol(r.z, 1.875 / sqrt(0.125), 1e-9);
	ck_assert_int_eq(r.spike, 0);
	c.min_abs_diff = 1;
	weir_spike_eval(&c, x, 10, &r);
	ck_assert_int_eq(r.spike, 1);
}
END_TEST

START_TEST(series_matches_eval_over_long_runs)
{
	struct weir_spike_cfg c = cfg(31, 5, 8, 0);
	static struct weir_spike_series s;
	weir_spike_series_reset(&s);
	double all[500];
	unsigned seed = 12345;
	for (int i = 0; i < 500; i++) {
		seed = seed * 1103515245u + 12345u;
		all[i] = (double)((seed >> 16) % 50) + (i % 97 == 96 ? 400 : 0);
		struct weir_spike_result a, b;
		weir_spike_series_push(&s, &c, all[i], &a);
		weir_spike_eval(&c, all, (size_t)i + 1, &b);
		ck_assert_int_eq(a.spike, b.spike);
		ck_assert_uint_eq(a.baseline, b.baseline);
		ck_assert_uint_le(a.baseline, 31);
		if (!isnan(b.z))
			ck_assert_double_eq_tol(a.z, b.z, 1e-9);
		if (i % 97 == 96)
			ck_assert_int_eq(a.spike, 1);   /* +400 on a 0..49 noise */
	}
}
END_TEST

START_TEST(config_errors_name_the_setting)
{
	char err[160];
	struct weir_spike_cfg c;
	weir_spike_cfg_default(&c);
	ck_assert_int_eq(weir_spike_cfg_check(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.window, 31);
	ck_assert_double_eq(c.threshold, 5);
	c.window = 1;
	ck_assert_int_eq(weir_spike_cfg_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "window"));
	weir_spike_cfg_default(&c);
	c.threshold = -1;
	ck_assert_int_eq(weir_spike_cfg_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "threshold"));
	weir_spike_cfg_default(&c);
	c.min_points = 40;
	ck_assert_int_eq(weir_spike_cfg_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "min_points"));
	weir_spike_cfg_default(&c);
	c.min_abs_diff = NAN;
	ck_assert_int_eq(weir_spike_cfg_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "min_abs_diff"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spike");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, alternating_baseline_then_jump);
	tcase_add_test(tc, window_drops_old_differences);
	tcase_add_test(tc, warming_below_min_points);
	tcase_add_test(tc, zero_variance_needs_absolute_rise);
	tcase_add_test(tc, falls_are_never_spikes);
	tcase_add_test(tc, absolute_floor_applies_to_zscores);
	tcase_add_test(tc, series_matches_eval_over_long_runs);
	tcase_add_test(tc, config_errors_name_the_setting);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
