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

/* The window's counts against their definition, computed the slow way over
 * a kept history, on random records from small alphabets (so that every
 * count is often above 1), including IPv6 addresses differing only in their
 * last word, for windows shorter and longer than the run. */
static unsigned naive_count(const struct weir_record *hist, unsigned n, unsigned window,
			    const struct weir_record *me, int which)
{
	unsigned c = 1, from = n >= window - 1 ? n - (window - 1) : 0;
	for (unsigned i = from; i < n; i++) {
		const struct weir_record *h = &hist[i];
		int ss = !memcmp(h->srcip, me->srcip, 16), sd = !memcmp(h->dstip, me->dstip, 16);
		int sv = h->service == me->service;
		switch (which) {
		case 0: c += ss && sv; break;
		case 1: c += sd && sv; break;
		case 2: c += sd; break;
		case 3: c += ss; break;
		case 4: c += ss && h->dsport == me->dsport; break;
		case 5: c += sd && h->sport == me->sport; break;
		default: c += ss && sd; break;
		}
	}
	return c;
}

START_TEST(counts_match_their_definition)
{
	static const unsigned windows[] = { 1, 2, 7, 100, 333 };
	enum { N = 3000 };
	struct weir_record *hist = calloc(N, sizeof(*hist));
	char err[128];
	uint64_t rng = 12345;
	ck_assert_ptr_nonnull(hist);
	for (unsigned wi = 0; wi < sizeof(windows) / sizeof(windows[0]); wi++) {
		struct weir_ctwin *w = weir_ctwin_create(windows[wi], err, sizeof(err));
		ck_assert_ptr_nonnull(w);
		for (unsigned i = 0; i < N; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			unsigned r = (unsigned)(rng >> 33);
			struct weir_record x = rec((uint8_t)(r % 5), (uint8_t)((r >> 3) % 4),
						   (uint16_t)((r >> 6) % 3), (uint16_t)((r >> 8) % 3),
						   (uint8_t)((r >> 10) % 3));
			/* Addresses beyond word 0 (IPv6-like) only in every other
			 * stretch of 500, so the IPv4-only scan runs too, and
			 * windows pass in and out of holding one. */
			if ((r >> 12) & 1 && (i / 500) % 2) {
				x.srcip[0] = 0x20; x.srcip[15] = (uint8_t)((r >> 13) % 2);
			}
			struct weir_record y = x;
			weir_ctwin_apply(w, &y);
			const uint16_t got[7] = { y.ct_srv_src, y.ct_srv_dst, y.ct_dst_ltm, y.ct_src_ltm,
						  y.ct_src_dport_ltm, y.ct_dst_sport_ltm, y.ct_dst_src_ltm };
			for (int k = 0; k < 7; k++)
				ck_assert_msg(got[k] == naive_count(hist, i, windows[wi], &x, k),
					      "window %u record %u count %d: %u", windows[wi], i, k, got[k]);
			hist[i] = x;
		}
		weir_ctwin_free(w);
	}
	free(hist);
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
	tcase_add_test(tc, counts_match_their_definition);
	tcase_add_test(tc, bad_window_size_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
