/* ct_* window: counts over the last N records, current one included. */
#include <check.h>
#include <string.h>
#include <stdlib.h>
#include "ctwindow.h"

static struct weir_record rec(uint8_t src, uint8_t dst, uint16_t sport,
			      uint16_t dport, uint8_t svc)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.srcip[0] = 10; r.srcip[3] = src;
	r.dstip[0] = 10; r.dstip[3] = dst;
	r.sport = sport;
	r.dsport = dport;
	r.service = svc;
	return r;
}

START_TEST(first_record_counts_itself)
{
	char err[128];
	struct weir_ctwin *w = weir_ctwin_create(100, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	struct weir_record r = rec(1, 2, 1000, 80, WEIR_SVC_HTTP);
	weir_ctwin_apply(w, &r);
	ck_assert_uint_eq(r.ct_srv_src, 1);
	ck_assert_uint_eq(r.ct_srv_dst, 1);
	ck_assert_uint_eq(r.ct_dst_ltm, 1);
	ck_assert_uint_eq(r.ct_src_ltm, 1);
	ck_assert_uint_eq(r.ct_src_dport_ltm, 1);
	ck_assert_uint_eq(r.ct_dst_sport_ltm, 1);
	ck_assert_uint_eq(r.ct_dst_src_ltm, 1);
	weir_ctwin_free(w);
}
END_TEST

START_TEST(each_count_by_its_own_key)
{
	char err[128];
	struct weir_ctwin *w = weir_ctwin_create(100, err, sizeof(err));
	struct weir_record a = rec(1, 2, 1000, 80, WEIR_SVC_HTTP);
	struct weir_record b = rec(1, 3, 1001, 80, WEIR_SVC_HTTP); /* same src, svc, dport */
	struct weir_record c = rec(4, 2, 1000, 53, WEIR_SVC_DNS);  /* same dst, sport */
	weir_ctwin_apply(w, &a);
	weir_ctwin_apply(w, &b);
	weir_ctwin_apply(w, &c);
	struct weir_record d = rec(1, 2, 1000, 80, WEIR_SVC_HTTP);
	weir_ctwin_apply(w, &d);
	ck_assert_uint_eq(d.ct_src_ltm, 3);        /* a, b, d */
	ck_assert_uint_eq(d.ct_srv_src, 3);        /* a, b, d: http from .1 */
	ck_assert_uint_eq(d.ct_dst_ltm, 3);        /* a, c, d */
	ck_assert_uint_eq(d.ct_srv_dst, 2);        /* a, d: http to .2 */
	ck_assert_uint_eq(d.ct_src_dport_ltm, 3);  /* a, b, d */
	ck_assert_uint_eq(d.ct_dst_sport_ltm, 3);  /* a, c, d */
	ck_assert_uint_eq(d.ct_dst_src_ltm, 2);    /* a, d */
	weir_ctwin_free(w);
}
END_TEST

START_TEST(window_forgets_the_oldest)
{
	char err[128];
	struct weir_ctwin *w = weir_ctwin_create(3, err, sizeof(err));
	for (int i = 0; i < 10; i++) {
		struct weir_record r = rec(1, 2, 1000, 80, WEIR_SVC_HTTP);
		weir_ctwin_apply(w, &r);
		ck_assert_uint_eq(r.ct_src_ltm, i < 2 ? i + 1 : 3);
	}
	struct weir_record other = rec(9, 9, 1, 1, WEIR_SVC_NONE);
	weir_ctwin_apply(w, &other);
	weir_ctwin_apply(w, &other);
	struct weir_record r = rec(1, 2, 1000, 80, WEIR_SVC_HTTP);
	weir_ctwin_apply(w, &r);
	ck_assert_uint_eq(r.ct_src_ltm, 1);   /* window: other, other, r */
	weir_ctwin_free(w);
}
END_TEST

START_TEST(bad_window_size_is_refused)
{
	char err[128] = "";
	ck_assert_ptr_null(weir_ctwin_create(0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "ct window"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctwindow");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_record_counts_itself);
	tcase_add_test(tc, each_count_by_its_own_key);
	tcase_add_test(tc, window_forgets_the_oldest);
	tcase_add_test(tc, bad_window_size_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
