/* weir --bench-mix's load (dataplane/dpdk/bench_mix.c), read back through
 * the engine: the flows it generates must be the ones doc/dataplane.md
 * says the figures are for. Every frame decodes; TCP flows run from SYN to
 * both FINs; packets per flow follow the chosen distribution (uniform
 * 4..28, or the UNSW-NB15 sample's, mean ~76); 3 in 4 flows are TCP; the
 * services are the ones the payloads name (none on port 80, where 64-byte
 * frames never complete a request line). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bench_mix.h"
#include "content.h"
#include "engine.h"

#define SLOTS 1000

struct tally {
	uint64_t done;           /* records of flows that ended on their own */
	uint64_t done_pkts;      /* their packets */
	uint64_t tcp, udp, fin;
	/* flows named as their port says: DNS, TLS, and none on port 80 */
	uint64_t dns, ssl, web_unnamed, other_svc;
	uint32_t min_pkts, max_pkts;
};

static void sink(void *ctx, struct weir_record *rec)
{
	struct tally *t = ctx;
	uint32_t pkts = rec->spkts + rec->dpkts;

	if (rec->end_reason == WEIR_END_SHUTDOWN)
		return;   /* cut by the end of the run: its length is not its own */
	t->done++;
	t->done_pkts += pkts;
	if (pkts < t->min_pkts)
		t->min_pkts = pkts;
	if (pkts > t->max_pkts)
		t->max_pkts = pkts;
	if (rec->proto == 6) {
		t->tcp++;
		t->fin += rec->state == WEIR_ST_FIN;
	} else if (rec->proto == 17) {
		t->udp++;
	}
	/* the service the payloads name: DNS on 53, TLS on 443 once both
	 * hellos went by (flows of 6 packets or more carry data), none on 80:
	 * a 64-byte frame carries 6 bytes of the request line, which never
	 * completes, so the HTTP analyzer never confirms it */
	if (rec->dsport == 53)
		t->dns += rec->service == WEIR_SVC_DNS;
	else if (rec->dsport == 443)
		t->ssl += rec->service == (pkts >= 6 ? WEIR_SVC_SSL : WEIR_SVC_NONE);
	else if (rec->dsport == 80)
		t->web_unnamed += rec->service == WEIR_SVC_NONE;
	else
		t->other_svc++;
}

/* Runs `rounds` x SLOTS frames of the mix through an engine with content
 * analysis on, in bursts as the bench does. */
static void run_mix(enum weir_mix_lengths lengths, unsigned rounds, struct tally *t)
{
	char err[256];
	struct weir_content_db *db = weir_content_db_create(err, sizeof(err));
	ck_assert_msg(db, "%s", err);
	struct weir_engine_config ec;
	weir_engine_config_defaults(&ec);
	ec.content = 1;
	ec.ft.max_flows = 4 * SLOTS;
	ec.ft.prefault = 0;
	memset(t, 0, sizeof(*t));
	t->min_pkts = UINT32_MAX;
	struct weir_engine *eng = weir_engine_create(&ec, db, sink, t, err, sizeof(err));
	ck_assert_msg(eng, "%s", err);
	struct weir_bench_mix *mx = weir_bench_mix_create(SLOTS, 64, lengths);
	ck_assert(mx);

	static uint8_t buf[32][1600];
	struct weir_frame_ref fr[32];
	uint64_t total = (uint64_t)SLOTS * rounds;
	for (uint64_t k = 0; k < total; k += 32) {
		unsigned n = total - k < 32 ? (unsigned)(total - k) : 32;
		for (unsigned i = 0; i < n; i++) {
			uint32_t caplen, wire;
			uint64_t ts;
			weir_bench_mix_frame(mx, k + i, buf[i], &caplen, &wire, &ts);
			ck_assert_uint_eq(wire, 64);
			fr[i] = (struct weir_frame_ref){ buf[i], caplen, wire, ts };
		}
		weir_engine_burst(eng, WEIR_LINK_ETHERNET, fr, n, NULL);
	}
	weir_engine_flush(eng);
	struct weir_engine_stats st;
	weir_engine_get_stats(eng, &st);
	ck_assert_uint_eq(st.packets, total);
	ck_assert_uint_eq(st.processed, total);   /* every frame decoded */
	weir_bench_mix_free(mx);
	weir_engine_free(eng);
	weir_content_db_free(db);
}

/* Runs the mix and checks what both mixes share, then its lengths: the
 * mean of the flows that ended on their own, within [lo, hi], and the
 * shortest and longest flow. */
static void check_mix(enum weir_mix_lengths lengths, unsigned rounds, double lo, double hi,
		      uint32_t shortest, uint32_t longest)
{
	struct tally t;
	run_mix(lengths, rounds, &t);
	double tcp_share = (double)t.tcp / (double)t.done;
	ck_assert_msg(tcp_share > 0.72 && tcp_share < 0.78, "TCP share %.3f, want ~0.75", tcp_share);
	ck_assert_uint_eq(t.tcp + t.udp, t.done);
	/* every TCP flow ends with a FIN each way */
	ck_assert_uint_eq(t.fin, t.tcp);
	/* every flow on its service's port, named as its payloads allow */
	ck_assert_uint_eq(t.other_svc, 0);
	ck_assert_uint_eq(t.dns, t.udp);
	ck_assert_uint_eq(t.ssl + t.web_unnamed, t.tcp);
	ck_assert_uint_gt(t.web_unnamed, 0);
	ck_assert_uint_gt(t.ssl, t.web_unnamed);       /* 2 in 3 TCP flows are on 443 */
	double mean = (double)t.done_pkts / (double)t.done;
	ck_assert_msg(mean > lo && mean < hi, "mean %.2f packets a flow, want %.0f-%.0f", mean, lo, hi);
	ck_assert_uint_eq(t.min_pkts, shortest);
	ck_assert_uint_eq(t.max_pkts, longest);
}

START_TEST(short_lengths_are_4_to_28)
{
	check_mix(WEIR_MIX_SHORT, 200, 15.0, 17.0, 4, 28);
}
END_TEST

/* The UNSW-NB15 sample: TCP mean 99.7 (13..893 in the table), UDP mean
 * 5.0 (2..8); over flows 3:1 that is ~76. Flows still open at the end
 * are left out, which takes the longest ones more often: a window of
 * 3,000 rounds keeps that bias to a few per cent. */
START_TEST(unsw_lengths_follow_the_sample)
{
	check_mix(WEIR_MIX_UNSW, 3000, 68.0, 80.0, 2, 893);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("benchmix");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, short_lengths_are_4_to_28);
	tcase_add_test(tc, unsw_lengths_follow_the_sample);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
