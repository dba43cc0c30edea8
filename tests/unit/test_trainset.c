/* The retraining training-set rule (control/daemon/retrain.h): flows that
 * ended in a spike interval, or come from a spike's top sources, are left
 * out; everything else stays; the last WEIR_SPIKEMARKS spikes count. */
#include <check.h>
#include <string.h>
#include "retrain.h"

#define S 1000000000ull

static struct weir_record rec4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint64_t ltime_ns)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.srcip[0] = a; r.srcip[1] = b; r.srcip[2] = c; r.srcip[3] = d;
	r.ltime_ns = ltime_ns;
	r.stime_ns = ltime_ns - S;
	return r;
}

static struct weir_interval spike(uint64_t start_s, uint8_t top_last_octet)
{
	struct weir_interval iv;
	memset(&iv, 0, sizeof(iv));
	iv.start_ns = start_s * S;
	iv.end_ns = (start_s + 2) * S;
	iv.ntop_src = 1;
	iv.top_src[0].family = 4;
	iv.top_src[0].ip[0] = 203; iv.top_src[0].ip[1] = 0; iv.top_src[0].ip[2] = 113;
	iv.top_src[0].ip[3] = top_last_octet;
	iv.top_src[0].anomalies = 70;
	return iv;
}

START_TEST(no_spikes_keeps_everything)
{
	struct weir_spikemarks s;
	memset(&s, 0, sizeof(s));
	struct weir_record r = rec4(10, 1, 0, 5, 100 * S);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &r), 0);
}
END_TEST

START_TEST(spike_interval_and_source)
{
	struct weir_spikemarks s;
	memset(&s, 0, sizeof(s));
	struct weir_interval iv = spike(36, 31);
	weir_spikemarks_add(&s, &iv);
	/* a normal client inside the spike interval: out; at its edges: end exclusive */
	struct weir_record in = rec4(10, 1, 0, 5, 36 * S), last = rec4(10, 1, 0, 5, 38 * S - 1),
			   after = rec4(10, 1, 0, 5, 38 * S), before = rec4(10, 1, 0, 5, 36 * S - 1);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &in), 1);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &last), 1);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &after), 0);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &before), 0);
	/* the attacker at any other time: out; its neighbour: in */
	struct weir_record atk = rec4(203, 0, 113, 31, 90 * S), nb = rec4(203, 0, 113, 32, 90 * S);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &atk), 1);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &nb), 0);
	/* same 4 bytes as IPv6 prefix: another family, kept */
	struct weir_record v6 = atk;
	v6.family = 6;
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &v6), 0);
}
END_TEST

START_TEST(remembers_the_last_64)
{
	struct weir_spikemarks s;
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < WEIR_SPIKEMARKS + 1; i++) {
		struct weir_interval iv = spike(100 + 2 * i, (uint8_t)(i + 1));
		weir_spikemarks_add(&s, &iv);
	}
	ck_assert_uint_eq(s.n, WEIR_SPIKEMARKS);
	/* the first spike (source .1, interval 100-102) was pushed out */
	struct weir_record first = rec4(203, 0, 113, 1, 5 * S), first_ivl = rec4(10, 1, 0, 5, 101 * S);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &first), 0);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &first_ivl), 0);
	struct weir_record second = rec4(203, 0, 113, 2, 5 * S), newest = rec4(203, 0, 113, 65, 5 * S);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &second), 1);
	ck_assert_int_eq(weir_spikemarks_exclude(&s, &newest), 1);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("trainset");
	TCase *tc = tcase_create("rule");
	tcase_add_test(tc, no_spikes_keeps_everything);
	tcase_add_test(tc, spike_interval_and_source);
	tcase_add_test(tc, remembers_the_last_64);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
