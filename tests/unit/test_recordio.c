/* Record writer and flow-file reader: round trip, UNSW-NB15's own files,
 * and errors that name the file, line and column. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decode.h"
#include "labels.h"
#include "record_io.h"

static struct weir_record sample(void)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.family = WEIR_AF_INET;
	r.srcip[0] = 10; r.srcip[3] = 1;
	r.dstip[0] = 192; r.dstip[1] = 168; r.dstip[3] = 7;
	r.sport = 40000; r.dsport = 80; r.proto = 6;
	r.state = WEIR_ST_FIN; r.service = WEIR_SVC_HTTP;
	r.stime_ns = 1421927414123456000ull; r.ltime_ns = 1421927415000001000ull;
	r.dur = 0.876545; r.sbytes = 512; r.dbytes = 5379; r.spkts = 7; r.dpkts = 7;
	r.sttl = 64; r.dttl = 52; r.sloss = 1; r.swin = 65535; r.dwin = 5840;
	r.stcpb = 4000000000u; r.dtcpb = 12345; r.smeansz = 73; r.dmeansz = 768;
	r.sload = 4672.5; r.dload = 49093.125; r.trans_depth = 2; r.res_bdy_len = 4096;
	r.sjit = 1.5; r.djit = 0.25; r.sintpkt = 12.75; r.dintpkt = 13.5;
	r.tcprtt = 0.1, r.synack = 0.06; r.ackdat = 0.04; r.ct_state_ttl = 1;
	r.ct_flw_http_mthd = 2; r.ct_srv_src = 3; r.ct_srv_dst = 4; r.ct_dst_ltm = 5;
	r.ct_src_ltm = 6; r.ct_src_dport_ltm = 7; r.ct_dst_sport_ltm = 8; r.ct_dst_src_ltm = 9;
	r.flow_id = 42; r.vlan = 100; r.sbytes_ip = 414; r.dbytes_ip = 5281;
	r.end_reason = WEIR_END_CLOSED; r.score = NAN;
	r.has_label = 1; r.label = 1; strcpy(r.attack_cat, "Exploits");
	return r;
}

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/weir-test-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(csv_round_trip)
{
	char line[8192], hdr[4096], text[16384], err[256];
	struct weir_record r = sample(), back;
	unsigned cols = WEIR_COLS_LABELS | WEIR_COLS_EXTRA;
	ck_assert_uint_gt(weir_record_header(hdr, sizeof(hdr), WEIR_FMT_CSV, cols), 0);
	ck_assert_ptr_nonnull(strstr(hdr, "srcip,sport,dstip,dsport,proto,state,dur"));
	ck_assert_uint_gt(weir_record_format(line, sizeof(line), WEIR_FMT_CSV, cols, &r), 0);
	ck_assert_ptr_nonnull(strstr(line, "10.0.0.1,40000,192.168.0.7,80,tcp,FIN,0.876545,512,5379,64,52,1,0,http,"));
	ck_assert_ptr_nonnull(strstr(line, ",1421927414.123456,1421927415.000001,"));
	snprintf(text, sizeof(text), "%s%s", hdr, line);
	char *path = write_tmp(text);
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	ck_assert_msg(ff != NULL, "%s", err);
	ck_assert_str_eq(weir_flowfile_kind(ff), "weir");
	ck_assert(weir_flowfile_has_labels(ff));
	ck_assert_int_eq(weir_flowfile_next(ff, &back, err, sizeof(err)), 1);
	ck_assert_mem_eq(back.srcip, r.srcip, 16);
	ck_assert_mem_eq(back.dstip, r.dstip, 16);
	ck_assert_uint_eq(back.sport, 40000);
	ck_assert_uint_eq(back.proto, 6);
	ck_assert_uint_eq(back.state, WEIR_ST_FIN);
	ck_assert_uint_eq(back.service, WEIR_SVC_HTTP);
	ck_assert_uint_eq(back.stcpb, 4000000000u);
	ck_assert_uint_eq(back.dbytes_ip, 5281);
	ck_assert_uint_eq(back.stime_ns / 1000, r.stime_ns / 1000);
	ck_assert_double_eq_tol(back.dload, r.dload, 1e-6);
	ck_assert_uint_eq(back.ct_dst_src_ltm, 9);
	ck_assert_str_eq(back.attack_cat, "Exploits");
	ck_assert_uint_eq(back.label, 1);
	ck_assert_uint_eq(back.end_reason, WEIR_END_CLOSED);
	ck_assert_int_eq(weir_flowfile_next(ff, &back, err, sizeof(err)), 0);
	weir_flowfile_close(ff);
	unlink(path);
}
END_TEST

START_TEST(jsonl_is_one_object_per_line)
{
	char line[8192];
	struct weir_record r = sample();
	strcpy(r.attack_cat, "a\"b");
	size_t n = weir_record_format(line, sizeof(line), WEIR_FMT_JSONL, WEIR_COLS_LABELS, &r);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(line[0], '{');
	ck_assert_int_eq(line[n - 2], '}');
	ck_assert_int_eq(line[n - 1], '\n');
	ck_assert_ptr_nonnull(strstr(line, "\"srcip\":\"10.0.0.1\""));
	ck_assert_ptr_nonnull(strstr(line, "\"Spkts\":7"));
	ck_assert_ptr_nonnull(strstr(line, "\"attack_cat\":\"a\\\"b\""));
	ck_assert_ptr_eq(strchr(line, '\n'), line + n - 1);
}
END_TEST

START_TEST(small_buffer_is_refused_not_overrun)
{
	char line[64];
	struct weir_record r = sample();
	ck_assert_uint_eq(weir_record_format(line, sizeof(line), WEIR_FMT_CSV, 0, &r), 0);
}
END_TEST

START_TEST(unsw_raw_sample_reads_whole)
{
	const char *shared = getenv("WEIR_SHARED");
	char path[512], err[256];
	struct weir_record r;
	if (!shared) {
		fprintf(stderr, "WEIR_SHARED unset: the UNSW sample cannot be read\n");
		ck_abort_msg("WEIR_SHARED unset");
	}
	snprintf(path, sizeof(path), "%s/data/unsw/UNSW-NB15_1_first20000rows.csv", shared);
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	ck_assert_msg(ff != NULL, "%s", err);
	ck_assert_str_eq(weir_flowfile_kind(ff), "unsw-raw");
	unsigned long n = 0, attacks = 0, tcp = 0, fin = 0, dns = 0, exploits = 0;
	int rc;
	while ((rc = weir_flowfile_next(ff, &r, err, sizeof(err))) == 1) {
		n++;
		attacks += r.label;
		tcp += r.proto == 6;
		fin += r.state == WEIR_ST_FIN;
		dns += r.service == WEIR_SVC_DNS;
		exploits += !strcmp(r.attack_cat, "Exploits");
	}
	ck_assert_msg(rc == 0, "%s", err);
	weir_flowfile_close(ff);
	/* Figures from the data set's own description of this sample. */
	ck_assert_uint_eq(n, 20000);
	ck_assert_uint_eq(attacks, 1572);
	ck_assert_uint_eq(tcp, 15199);
	ck_assert_uint_eq(fin, 15135);
	ck_assert_uint_eq(dns, 3176);
	ck_assert_uint_eq(exploits, 510);
}
END_TEST

START_TEST(unsw_partitioned_layout)
{
	char err[256];
	struct weir_record r;
	char *path = write_tmp(
		"id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,"
		"sloss,dloss,sinpkt,dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,"
		"smean,dmean,trans_depth,response_body_len,ct_srv_src,ct_state_ttl,ct_dst_ltm,"
		"ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,is_ftp_login,ct_ftp_cmd,"
		"ct_flw_http_mthd,ct_src_ltm,ct_srv_dst,is_sm_ips_ports,attack_cat,label\n"
		"1,0.121478,tcp,-,FIN,6,4,258,172,74.08749,252,254,14158.94,8495.365,0,0,24.2956,"
		"8.375,30.177547,11.830604,255,621772692,2202533631,255,0,0,0,43,43,0,0,1,0,1,1,1,1,"
		"0,0,0,1,1,0,Normal,0\n");
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	ck_assert_msg(ff != NULL, "%s", err);
	ck_assert_str_eq(weir_flowfile_kind(ff), "unsw-part");
	ck_assert_int_eq(weir_flowfile_next(ff, &r, err, sizeof(err)), 1);
	ck_assert_uint_eq(r.spkts, 6);
	ck_assert_uint_eq(r.smeansz, 43);
	ck_assert_double_eq_tol(r.sintpkt, 24.2956, 1e-9);
	ck_assert_uint_eq(r.dtcpb, 2202533631u);
	ck_assert_uint_eq(r.sttl, 252);
	weir_flowfile_close(ff);
	unlink(path);
}
END_TEST

START_TEST(errors_name_file_line_and_column)
{
	char err[256];
	struct weir_record r;
	char *path = write_tmp("srcip,sport,dstip,dsport,proto,dur,sbytes\n"
			       "10.0.0.1,1,10.0.0.2,2,tcp,0.5,100\n"
			       "10.0.0.1,1,10.0.0.2,2,tcp,zero,100\n");
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	ck_assert_msg(ff != NULL, "%s", err);
	ck_assert_int_eq(weir_flowfile_next(ff, &r, err, sizeof(err)), 1);
	ck_assert_int_eq(weir_flowfile_next(ff, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, ":3: column 6 (dur): cannot read 'zero'"));
	weir_flowfile_close(ff);
	unlink(path);

	path = write_tmp("a,b,c\n1,2,3\n");
	ck_assert_ptr_null(weir_flowfile_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a flow file"));
	unlink(path);

	ck_assert_ptr_null(weir_flowfile_open("/nonexistent/flows.csv", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/flows.csv: No such file"));
}
END_TEST

START_TEST(labels_join_by_tuple_and_time)
{
	char err[256];
	char *path = write_tmp(
		"srcip,sport,dstip,dsport,proto,stime,ltime,attack_cat,Label,attack\n"
		"10.0.0.1,40000,192.168.0.7,80,tcp,1421927414.0,1421927415.0,Exploits,1,http_flood\n"
		"10.0.0.1,40000,192.168.0.7,80,tcp,1421927500.0,1421927501.0,,0,\n");
	struct weir_labels *l = weir_labels_load(path, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	struct weir_record r = sample();
	r.label = 0; r.attack_cat[0] = 0;
	/* reversed direction finds the same row */
	struct weir_record rev = r;
	memcpy(rev.srcip, r.dstip, 16); memcpy(rev.dstip, r.srcip, 16);
	rev.sport = r.dsport; rev.dsport = r.sport;
	weir_labels_apply(l, &rev);
	ck_assert_uint_eq(rev.label, 1);
	ck_assert_str_eq(rev.attack_cat, "Exploits");
	ck_assert_str_eq(weir_labels_last_attack(l), "http_flood");
	/* same tuple later in time: the second, normal row */
	r.stime_ns = 1421927500200000000ull; r.ltime_ns = 1421927500900000000ull;
	weir_labels_apply(l, &r);
	ck_assert_uint_eq(r.label, 0);
	ck_assert_uint_eq(r.has_label, 1);
	ck_assert_str_eq(weir_labels_last_attack(l), "");
	struct weir_labels_stats st;
	weir_labels_get_stats(l, &st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.matched, 2);
	weir_labels_free(l);
	unlink(path);

	path = write_tmp("srcip,dstip\n1.2.3.4,5.6.7.8\n");
	ck_assert_ptr_null(weir_labels_load(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "needs the columns"));
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recordio");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, csv_round_trip);
	tcase_add_test(tc, jsonl_is_one_object_per_line);
	tcase_add_test(tc, small_buffer_is_refused_not_overrun);
	tcase_add_test(tc, unsw_raw_sample_reads_whole);
	tcase_add_test(tc, unsw_partitioned_layout);
	tcase_add_test(tc, errors_name_file_line_and_column);
	tcase_add_test(tc, labels_join_by_tuple_and_time);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
