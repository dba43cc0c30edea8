/* Event-time intervals: closing by watermark + lateness, late records,
 * order independence within the lateness, top sources, gaps, flush. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "intervals.h"

#define S 1000000000ull

static struct weir_record rec(double t, uint8_t src, uint8_t dst)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.ltime_ns = (uint64_t)(t * 1e9);
	r.family = 4;
	r.srcip[0] = 10; r.srcip[3] = src;
	r.dstip[0] = 192; r.dstip[1] = 168; r.dstip[3] = dst;
	return r;
}

static struct weir_ivl *mk(unsigned len, unsigned late)
{
	struct weir_ivl_cfg c;
	weir_ivl_cfg_default(&c);
	c.length_s = len;
	c.lateness_s = late;
	char err[128];
	struct weir_ivl *iv = weir_ivl_create(&c, err, sizeof(err));
	ck_assert_msg(iv != NULL, "%s", err);
	return iv;
}

/* feed one record; return how many intervals closed, copying them out */
static int feed(struct weir_ivl *iv, const struct weir_record *r, enum weir_ivl_kind k,
		struct weir_interval *out, int *nout)
{
	int n = 0;
	while (weir_ivl_advance(iv, r->ltime_ns, &out[*nout])) {
		(*nout)++;
		n++;
	}
	weir_ivl_add(iv, r, k);
	return n;
}

START_TEST(closes_after_end_plus_lateness)
{
	struct weir_ivl *iv = mk(10, 30);
	static struct weir_interval out[64];
	int n = 0;
	struct weir_record r = rec(1000.5, 1, 1);
	feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	r = rec(1003, 2, 1);
	feed(iv, &r, WEIR_IVL_SAMPLE, out, &n);
	r = rec(1015, 1, 1);
	feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	/* interval [1000,1010) closes when the watermark reaches 1040 */
	r = rec(1039.999, 3, 3);
	feed(iv, &r, WEIR_IVL_SAMPLE, out, &n);
	/* 970..999 were open for late records but stay unpublished: empty
	 * intervals before the first record's are never published */
	ck_assert_int_eq(n, 0);
	r = rec(1040, 3, 3);
	feed(iv, &r, WEIR_IVL_SAMPLE, out, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(out[0].start_ns, 1000 * S);
	ck_assert_uint_eq(out[0].anomalies, 1);
	ck_assert_uint_eq(out[0].sampled, 1);
	ck_assert_uint_eq(out[0].ntop_src, 1);
	ck_assert_uint_eq(out[0].top_src[0].ip[3], 1);
	/* a record for [1000,1010) is now late */
	r = rec(1009, 9, 9);
	ck_assert_int_eq(feed(iv, &r, WEIR_IVL_ANOMALY, out, &n), 0);
	struct weir_ivl_stats st;
	weir_ivl_get_stats(iv, &st);
	ck_assert_uint_eq(st.late_records, 1);
	/* but one for [1010,1020) still counts */
	r = rec(1011, 9, 9);
	feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	weir_ivl_get_stats(iv, &st);
	ck_assert_uint_eq(st.late_records, 1);
	/* flush publishes the rest up to the watermark's interval [1040,1050) */
	while (weir_ivl_flush(iv, &out[n]))
		n++;
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(out[1].start_ns, 1010 * S);
	ck_assert_uint_eq(out[1].anomalies, 2);
	ck_assert_uint_eq(out[2].anomalies + out[2].sampled, 0);   /* [1020,1030): empty, published */
	ck_assert_uint_eq(out[3].start_ns, 1030 * S);
	ck_assert_uint_eq(out[3].sampled, 1);
	ck_assert_uint_eq(out[4].start_ns, 1040 * S);
	ck_assert_uint_eq(out[4].sampled, 1);
	weir_ivl_free(iv);
}
END_TEST

/* the same records in two orders that differ by less than the lateness
 * give identical intervals: a replay at any speed */
START_TEST(order_within_lateness_does_not_matter)
{
	enum { N = 5000 };
	static struct item { struct weir_record r; int kind; double key; } a[N], b[N];
	unsigned seed = 7;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		a[i].r = rec(5000 + i * 0.1, (uint8_t)((seed >> 16) % 20), (uint8_t)((seed >> 8) % 7));
		a[i].kind = i % 3 ? WEIR_IVL_SAMPLE : WEIR_IVL_ANOMALY;
		/* b: arrival order i + U[0,200): no record moves by 20 s or more */
		seed = seed * 1103515245u + 12345u;
		a[i].key = i + (double)((seed >> 16) % 200);
	}
	memcpy(b, a, sizeof(a));
	for (int i = 1; i < N; i++) {   /* insertion sort by key */
		struct item t = b[i];
		int j = i;
		while (j > 0 && b[j - 1].key > t.key) {
			b[j] = b[j - 1];
			j--;
		}
		b[j] = t;
	}
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
	static struct weir_interval oa[200], ob[200];
	int na = 0, nb = 0;
	struct weir_ivl *ia = mk(10, 30), *ib = mk(10, 30);
	for (int i = 0; i < N; i++) {
		feed(ia, &a[i].r, (enum weir_ivl_kind)a[i].kind, oa, &na);
		feed(ib, &b[i].r, (enum weir_ivl_kind)b[i].kind, ob, &nb);
	}
	while (weir_ivl_flush(ia, &oa[na]))
		na++;
	while (weir_ivl_flush(ib, &ob[nb]))
		nb++;
	ck_assert_int_eq(na, nb);
	ck_assert_int_eq(na, 50);   /* 500 s of records */
	for (int i = 0; i < na; i++)
		ck_assert_msg(!memcmp(&oa[i], &ob[i], sizeof(oa[i])), "interval %d differs", i);
	struct weir_ivl_stats st;
	weir_ivl_get_stats(ib, &st);
	ck_assert_uint_eq(st.late_records, 0);
	uint64_t total = 0;
	for (int i = 0; i < na; i++)
		total += oa[i].anomalies + oa[i].sampled;
	ck_assert_uint_eq(total, N);
	weir_ivl_free(ia);
	weir_ivl_free(ib);
}
END_TEST

START_TEST(top_sources_and_destinations)
{
	struct weir_ivl_cfg c;
	weir_ivl_cfg_default(&c);
	c.top_n = 3;
	c.lateness_s = 0;
	char err[128];
	struct weir_ivl *iv = weir_ivl_create(&c, err, sizeof(err));
	static struct weir_interval out[8];
	int n = 0;
	/* sources: .5 x4, .2 x3, .7 x3, .1 x1; dests: .9 x10, .8 x1 */
	uint8_t srcs[] = { 5, 2, 7, 5, 1, 7, 2, 5, 7, 2, 5 };
	for (unsigned i = 0; i < sizeof(srcs); i++) {
		struct weir_record r = rec(20 + i * 0.1, srcs[i], i == 4 ? 8 : 9);
		feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	}
	struct weir_record r = rec(30, 1, 1);
	feed(iv, &r, WEIR_IVL_SAMPLE, out, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(out[0].anomalies, 11);
	ck_assert_uint_eq(out[0].ntop_src, 3);
	ck_assert_uint_eq(out[0].top_src[0].ip[3], 5);
	ck_assert_uint_eq(out[0].top_src[0].anomalies, 4);
	ck_assert_uint_eq(out[0].top_src[1].ip[3], 2);   /* tie 3-3: lower address first */
	ck_assert_uint_eq(out[0].top_src[2].ip[3], 7);
	ck_assert_uint_eq(out[0].ntop_dst, 2);
	ck_assert_uint_eq(out[0].top_dst[0].anomalies, 10);
	char buf[64];
	weir_ip_format(out[0].top_dst[0].ip, 4, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.168.0.9");
	weir_ivl_free(iv);
}
END_TEST

START_TEST(key_overflow_is_counted)
{
	struct weir_ivl_cfg c;
	weir_ivl_cfg_default(&c);
	c.max_keys = 16;
	char err[128];
	struct weir_ivl *iv = weir_ivl_create(&c, err, sizeof(err));
	static struct weir_interval out[8];
	int n = 0;
	for (int i = 0; i < 40; i++) {
		struct weir_record r = rec(100 + i * 0.1, (uint8_t)i, 1);
		feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	}
	while (weir_ivl_flush(iv, &out[n]))
		n++;
	uint64_t other = 0, anom = 0;
	for (int i = 0; i < n; i++) {
		other += out[i].other_keys;
		anom += out[i].anomalies;
	}
	ck_assert_uint_eq(anom, 40);
	ck_assert_uint_eq(other, 40 - 16);
	weir_ivl_free(iv);
}
END_TEST

START_TEST(long_gap_is_skipped)
{
	struct weir_ivl *iv = mk(10, 30);
	static struct weir_interval out[1000];
	int n = 0;
	struct weir_record r = rec(100, 1, 1);
	feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	r = rec(100 + 86400, 1, 1);        /* a day later: 8640 intervals */
	feed(iv, &r, WEIR_IVL_ANOMALY, out, &n);
	ck_assert_int_le(n, 400);
	struct weir_ivl_stats st;
	weir_ivl_get_stats(iv, &st);
	ck_assert_uint_gt(st.skipped, 8000);
	uint64_t skipped = 0, anom = 0;
	while (weir_ivl_flush(iv, &out[n]))
		n++;
	for (int i = 0; i < n; i++) {
		skipped += out[i].skipped_before;
		anom += out[i].anomalies;
		if (i)
			ck_assert_uint_eq(out[i].index,
					  out[i - 1].index + 1 + out[i].skipped_before);
	}
	ck_assert_uint_eq(skipped, st.skipped);
	ck_assert_uint_eq(anom, 2);
	weir_ivl_free(iv);
}
END_TEST

START_TEST(bad_config_names_setting)
{
	struct weir_ivl_cfg c;
	char err[128];
	weir_ivl_cfg_default(&c);
	c.length_s = 0;
	ck_assert_ptr_null(weir_ivl_create(&c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "length_s"));
	weir_ivl_cfg_default(&c);
	c.top_n = 99;
	ck_assert_ptr_null(weir_ivl_create(&c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "top_n"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("intervals");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, closes_after_end_plus_lateness);
	tcase_add_test(tc, order_within_lateness_does_not_matter);
	tcase_add_test(tc, top_sources_and_destinations);
	tcase_add_test(tc, key_overflow_is_counted);
	tcase_add_test(tc, long_gap_is_skipped);
	tcase_add_test(tc, bad_config_names_setting);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
