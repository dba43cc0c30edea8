/* Retraining policy: sustained elevation retrains, a short spike does not;
 * on-spike and manual; spacing in event time; the held-back split. */
#include <check.h>
#include <string.h>
#include "retrain.h"

#define MIN (60ull * 1000000000ull)

static struct weir_policy mk(enum weir_retrain_policy p)
{
	struct weir_ctl_conf c;
	weir_ctl_conf_default(&c);
	c.retrain.policy = p;
	struct weir_policy pol;
	weir_policy_init(&pol, &c.retrain);
	return pol;
}

/* feed rate r for n intervals of 10 s from *t; returns how many fired */
static int feed(struct weir_policy *p, uint64_t *t, double r, int n, int spike)
{
	int fired = 0;
	char why[200];
	for (int i = 0; i < n; i++) {
		*t += 10000000000ull;
		if (weir_policy_interval(p, *t, r, spike, why, sizeof(why))) {
			fired++;
			weir_policy_retrained(p, *t);
		}
	}
	return fired;
}

START_TEST(sustained_needs_k_elevated_intervals)
{
	struct weir_policy p = mk(WEIR_RETRAIN_SUSTAINED);   /* K 6, x3, min 0.1 */
	uint64_t t = 1000 * MIN;
	ck_assert_int_eq(feed(&p, &t, 0.04, 20, 0), 0);      /* baseline 0.04: a healthy model */
	ck_assert(weir_policy_elevated(&p, 0.121));          /* 3 x baseline */
	ck_assert(!weir_policy_elevated(&p, 0.119));
	/* a near-zero baseline: the floor decides, clear of a model's own rate */
	struct weir_policy q = mk(WEIR_RETRAIN_SUSTAINED);
	uint64_t tq = 1000 * MIN;
	ck_assert_int_eq(feed(&q, &tq, 0.01, 20, 0), 0);
	ck_assert(!weir_policy_elevated(&q, 0.04));
	ck_assert(!weir_policy_elevated(&q, 0.099));
	ck_assert(weir_policy_elevated(&q, 0.101));
	ck_assert_int_eq(feed(&p, &t, 0.5, 3, 1), 0);        /* a short burst: alert only */
	ck_assert_int_eq(feed(&p, &t, 0.01, 2, 0), 0);
	ck_assert_int_eq(feed(&p, &t, 0.2, 5, 0), 0);        /* 5 in a row: not yet */
	ck_assert_int_eq(feed(&p, &t, 0.2, 1, 0), 1);        /* the 6th */
	/* the baseline restarts after a retrain: the new level is learnt */
	ck_assert_int_eq(p.nbase, 0);
	ck_assert_int_eq(feed(&p, &t, 0.2, 100, 0), 0);
}
END_TEST

START_TEST(baseline_ignores_elevated_intervals)
{
	struct weir_policy p = mk(WEIR_RETRAIN_MANUAL);
	uint64_t t = 0;
	feed(&p, &t, 0.02, 10, 0);
	double b = p.baseline;
	feed(&p, &t, 0.9, 10, 0);
	ck_assert_double_eq(p.baseline, b);
	ck_assert_double_eq_tol(b, 0.02, 1e-12);
}
END_TEST

START_TEST(spacing_in_event_time)
{
	struct weir_policy p = mk(WEIR_RETRAIN_ON_SPIKE);   /* min 30 minutes */
	uint64_t t = 1000 * MIN;
	ck_assert_int_eq(feed(&p, &t, 0.01, 1, 1), 1);      /* first spike retrains */
	ck_assert_int_eq(feed(&p, &t, 0.01, 1, 1), 0);      /* 10 s later: too soon */
	t += 29 * MIN;
	ck_assert_int_eq(feed(&p, &t, 0.01, 1, 1), 0);      /* 29 min 20 s */
	t += 1 * MIN;
	ck_assert_int_eq(feed(&p, &t, 0.01, 1, 1), 1);      /* past 30 min */
	ck_assert_int_eq(feed(&p, &t, 0.01, 50, 0), 0);     /* no spike, no retrain */
}
END_TEST

START_TEST(manual_never_fires)
{
	struct weir_policy p = mk(WEIR_RETRAIN_MANUAL);
	uint64_t t = 0;
	feed(&p, &t, 0.01, 10, 0);
	ck_assert_int_eq(feed(&p, &t, 0.9, 100, 1), 0);
}
END_TEST

START_TEST(holdout_split_is_stable_and_sized)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	unsigned held = 0;
	for (uint64_t id = 0; id < 100000; id++) {
		r.flow_id = id;
		r.worker = (uint16_t)(id % 4);
		int a = weir_holdout_pick(&r, 0.2);
		ck_assert_int_eq(a, weir_holdout_pick(&r, 0.2));   /* deterministic */
		held += (unsigned)a;
	}
	ck_assert_uint_gt(held, 19000);
	ck_assert_uint_lt(held, 21000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("retrain");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sustained_needs_k_elevated_intervals);
	tcase_add_test(tc, baseline_ignores_elevated_intervals);
	tcase_add_test(tc, spacing_in_event_time);
	tcase_add_test(tc, manual_never_fires);
	tcase_add_test(tc, holdout_split_is_stable_and_sized);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
