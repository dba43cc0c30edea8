/* weir-gen: determinism, every frame decodes with valid checksums, TCP
 * sequence/ack bookkeeping, labels that cover every packet with the counts
 * they announce, and the scenario validator's messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "decode.h"
#include "weir_gen.h"

/* A short run with every kind of traffic: normal mix, drift and all
 * eight attacks, sized to finish in well under a second. */
static const char *const busy_ini =
	"[general]\nduration = 12\nseed = 5\n"
	"[network]\nloss = 0.01\n"
	"[normal]\nflows_per_s = 40\nhttp = 30\ndns = 25\ntls = 15\nssh = 8\nftp = 10\nsmtp = 6\nicmp = 6\n"
	"http_body_kb = 3\n"
	"[drift]\nenabled = yes\nstart = 6\n"
	"[attack.syn_scan]\nstart = 1\nend = 2\nrate = 300\n"
	"[attack.udp_scan]\nstart = 2\nend = 3\nrate = 200\n"
	"[attack.syn_flood]\nstart = 3\nend = 3.5\nrate = 1000\n"
	"[attack.ftp_brute]\nstart = 1\nend = 9\nrate = 1\n"
	"[attack.http_flood]\nstart = 4\nend = 5\nrate = 100\nsources = 20\n"
	"[attack.dns_exfil]\nstart = 5\nend = 7\nrate = 20\n"
	"[attack.bulk_exfil]\nstart = 7\nend = 8\nrate = 2\nsize_mb = 0.5\n"
	"[attack.slowloris]\nstart = 8\nend = 11.5\nrate = 5\ninterval = 1\n";

struct run {
	char *pcap, *labels;
	size_t pcap_len, labels_len;
	struct weir_gen_stats st;
};

static void gen(const char *ini, uint64_t seed, uint64_t max_packets, struct run *r)
{
	struct weir_gen_scenario sc;
	char err[600];
	ck_assert_msg(weir_gen_scenario_load_string("busy.ini", ini, &sc, err, sizeof(err)) == 0,
		      "%s", err);
	struct weir_gen_opts o = { .seed = seed, .seed_set = 1, .scale = 1.0,
				   .extra_columns = 1, .max_packets = max_packets };
	FILE *p = open_memstream(&r->pcap, &r->pcap_len);
	FILE *l = open_memstream(&r->labels, &r->labels_len);
	ck_assert_int_eq(weir_gen_run(&sc, &o, p, l, &r->st, err, sizeof(err)), 0);
	fclose(p);
	fclose(l);
}

static void run_free(struct run *r)
{
	free(r->pcap);
	free(r->labels);
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

START_TEST(same_seed_same_bytes)
{
	struct run a, b;
	gen(busy_ini, 11, 0, &a);
	gen(busy_ini, 11, 0, &b);
	ck_assert_uint_gt(a.st.packets, 10000);
	ck_assert_uint_eq(a.pcap_len, b.pcap_len);
	ck_assert_uint_eq(fnv(a.pcap, a.pcap_len), fnv(b.pcap, b.pcap_len));
	ck_assert_uint_eq(fnv(a.labels, a.labels_len), fnv(b.labels, b.labels_len));
	run_free(&a);
	run_free(&b);
}
END_TEST

START_TEST(other_seed_other_bytes)
{
	struct run a, b;
	gen(busy_ini, 11, 0, &a);
	gen(busy_ini, 12, 0, &b);
	ck_assert_uint_ne(fnv(a.pcap, a.pcap_len), fnv(b.pcap, b.pcap_len));
	ck_assert_uint_ne(fnv(a.labels, a.labels_len), fnv(b.labels, b.labels_len));
	run_free(&a);
	run_free(&b);
}
END_TEST

START_TEST(packet_limit_is_exact)
{
	struct run a;
	gen(busy_ini, 3, 12345, &a);
	ck_assert_uint_eq(a.st.packets, 12345);
	/* pcap header + records: count them */
	size_t off = 24, n = 0;
	while (off + 16 <= a.pcap_len) {
		uint32_t incl;
		memcpy(&incl, a.pcap + off + 8, 4);
		off += 16 + incl;
		n++;
	}
	ck_assert_uint_eq(off, a.pcap_len);
	ck_assert_uint_eq(n, 12345);
	run_free(&a);
}
END_TEST

/* ---- checksums, recomputed the plain RFC 1071 way ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static int csum_ok(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* ---- labels ---- */

struct lrow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint64_t st_us, lt_us;
	uint32_t want_pkts[2];
	uint64_t want_bytes[2];
	uint32_t got_pkts[2];
	uint64_t got_bytes[2];
	int attack;
	/* TCP stream check */
	int have_isn[2];
	uint32_t next[2];
};

static int parse_labels(char *text, struct lrow **out)
{
	size_t cap = 1024, n = 0;
	struct lrow *v = calloc(cap, sizeof(*v));
	char *save;
	char *line = strtok_r(text, "\n", &save);
	ck_assert_str_eq(line, "srcip,sport,dstip,dsport,proto,stime,ltime,attack_cat,Label,attack,"
			       "spkts,dpkts,sbytes,dbytes,sbytes_ip,dbytes_ip");
	while ((line = strtok_r(NULL, "\n", &save))) {
		char src[32], dst[32], proto[8], cat[32], att[32];
		unsigned sport, dport, label, sp, dp;
		unsigned long ss, su, ls, lu;
		unsigned long long sb, db, sbi, dbi;
		/* attack_cat and attack are empty for normal rows */
		char *f[16];
		int k = 0;
		for (char *p = line, *q; k < 16; p = q + 1) {
			f[k++] = p;
			q = strchr(p, ',');
			if (!q)
				break;
			*q = '\0';
		}
		ck_assert_int_eq(k, 16);
		ck_assert_int_eq(sscanf(f[0], "%31s", src), 1);
		sport = (unsigned)atoi(f[1]);
		ck_assert_int_eq(sscanf(f[2], "%31s", dst), 1);
		dport = (unsigned)atoi(f[3]);
		snprintf(proto, sizeof(proto), "%s", f[4]);
		ck_assert_int_eq(sscanf(f[5], "%lu.%lu", &ss, &su), 2);
		ck_assert_int_eq(sscanf(f[6], "%lu.%lu", &ls, &lu), 2);
		snprintf(cat, sizeof(cat), "%s", f[7]);
		label = (unsigned)atoi(f[8]);
		snprintf(att, sizeof(att), "%s", f[9]);
		sp = (unsigned)atoi(f[10]);
		dp = (unsigned)atoi(f[11]);
		sb = strtoull(f[12], NULL, 10);
		db = strtoull(f[13], NULL, 10);
		sbi = strtoull(f[14], NULL, 10);
		dbi = strtoull(f[15], NULL, 10);
		/* normal rows: no category; attack rows: both names */
		ck_assert_uint_eq(label, cat[0] != '\0');
		ck_assert_uint_eq(label, att[0] != '\0');
		ck_assert_uint_eq(sb - sbi, 14ull * sp);
		ck_assert_uint_eq(db - dbi, 14ull * dp);
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		struct lrow *r = &v[n++];
		memset(r, 0, sizeof(*r));
		struct in_addr a;
		ck_assert_int_eq(inet_pton(AF_INET, src, &a), 1);
		r->src = ntohl(a.s_addr);
		ck_assert_int_eq(inet_pton(AF_INET, dst, &a), 1);
		r->dst = ntohl(a.s_addr);
		r->sport = (uint16_t)sport;
		r->dport = (uint16_t)dport;
		r->proto = !strcmp(proto, "tcp") ? 6 : !strcmp(proto, "udp") ? 17 : !strcmp(proto, "icmp") ? 1 : 0;
		ck_assert_uint_ne(r->proto, 0);
		r->st_us = ss * 1000000ull + su;
		r->lt_us = ls * 1000000ull + lu;
		ck_assert_uint_le(r->st_us, r->lt_us);
		r->want_pkts[0] = sp;
		r->want_pkts[1] = dp;
		r->want_bytes[0] = sb;
		r->want_bytes[1] = db;
		r->attack = (int)label;
	}
	*out = v;
	return (int)n;
}

/* The row a packet belongs to, and its direction; NULL if none. Rows are
 * few enough (a few thousand) for a linear scan per packet in a test. */
static struct lrow *find_row(struct lrow *v, int n, uint32_t s, uint16_t sp, uint32_t d,
			     uint16_t dp, uint8_t proto, uint64_t ts_us, int *dir)
{
	struct lrow *hit = NULL;
	for (int i = 0; i < n; i++) {
		struct lrow *r = &v[i];
		if (r->proto != proto || ts_us < r->st_us || ts_us > r->lt_us)
			continue;
		int d0 = r->src == s && r->dst == d && r->sport == sp && r->dport == dp;
		int d1 = r->src == d && r->dst == s && r->sport == dp && r->dport == sp;
		if (!d0 && !d1)
			continue;
		/* at most one row per 5-tuple at any time */
		ck_assert_msg(hit == NULL, "two label rows overlap for one 5-tuple");
		hit = r;
		*dir = d1;
	}
	return hit;
}

static struct lrow *find_icmp_row(struct lrow *v, int n, uint32_t s, uint32_t d, uint16_t sp,
				  uint16_t dp, uint64_t ts_us, int *dir)
{
	struct lrow *hit = NULL;
	for (int i = 0; i < n; i++) {
		struct lrow *r = &v[i];
		if (r->proto != 1 || ts_us < r->st_us || ts_us > r->lt_us ||
		    r->sport != sp || r->dport != dp)
			continue;
		if (!(r->src == s && r->dst == d) && !(r->src == d && r->dst == s))
			continue;
		ck_assert_msg(hit == NULL, "two ICMP label rows overlap");
		hit = r;
		*dir = r->src != s;
	}
	return hit;
}

static int32_t sdiff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

START_TEST(frames_decode_checksum_and_match_labels)
{
	struct run a;
	gen(busy_ini, 21, 0, &a);
	struct lrow *rows;
	int n = parse_labels(a.labels, &rows);
	ck_assert_int_eq((uint64_t)n, a.st.flows);
	ck_assert_int_gt(n, 1000);

	uint32_t magic, link;
	memcpy(&magic, a.pcap, 4);
	memcpy(&link, a.pcap + 20, 4);
	ck_assert_uint_eq(magic, 0xa1b2c3d4);
	ck_assert_uint_eq(link, 1);
	size_t off = 24;
	uint64_t prev_us = 0, frames = 0, retrans = 0;
	unsigned seen_proto[3] = { 0 };
	while (off < a.pcap_len) {
		uint32_t sec, usec, incl, orig;
		const uint8_t *h = (const uint8_t *)a.pcap + off;
		memcpy(&sec, h, 4);
		memcpy(&usec, h + 4, 4);
		memcpy(&incl, h + 8, 4);
		memcpy(&orig, h + 12, 4);
		ck_assert_uint_eq(incl, orig);
		ck_assert_uint_le(incl, 1514);
		const uint8_t *f = h + 16;
		uint64_t ts_us = sec * 1000000ull + usec;
		ck_assert_uint_ge(ts_us, prev_us);     /* time order */
		prev_us = ts_us;

		struct weir_pkt pk;
		ck_assert_int_eq(weir_decode(WEIR_LINK_ETHERNET, f, incl, orig, ts_us * 1000, &pk),
				 WEIR_DEC_OK);
		ck_assert_uint_eq(pk.ip_len + 14, incl);
		const uint8_t *ip = f + 14, *l4 = ip + 20;
		uint32_t l4len = incl - 34;
		ck_assert_msg(csum_ok(sum16(ip, 20, 0)), "IPv4 checksum, frame %lu", (unsigned long)frames + 1);
		uint32_t ps = 0;
		if (pk.proto != 1) {
			ps = sum16(ip + 12, 8, 0) + pk.proto + l4len;
		}
		ck_assert_msg(csum_ok(sum16(l4, l4len, ps)), "L4 checksum, frame %lu proto %u",
			      (unsigned long)frames + 1, pk.proto);

		uint32_t s, d;
		memcpy(&s, pk.src, 4);
		memcpy(&d, pk.dst, 4);
		s = ntohl(s);
		d = ntohl(d);
		uint16_t sp = pk.sport, dp = pk.dport;
		int dir = 0;
		struct lrow *r;
		if (pk.proto == 1) {
			seen_proto[2]++;
			/* ICMP flows are keyed as Argus (and our decoder) key them:
			 * type << 8 | code and the echo id or quoted port, whatever
			 * the direction */
			r = find_icmp_row(rows, n, s, d, sp, dp, ts_us, &dir);
		} else {
			seen_proto[pk.proto == 6 ? 0 : 1]++;
			r = find_row(rows, n, s, sp, d, dp, (uint8_t)pk.proto, ts_us, &dir);
		}
		ck_assert_msg(r != NULL, "frame %lu has no label row", (unsigned long)frames + 1);
		r->got_pkts[dir]++;
		r->got_bytes[dir] += incl;

		if (pk.proto == 6) {
			/* Each direction's bytes arrive in order: new data starts at
			 * the next expected sequence number, anything earlier is a
			 * retransmission of bytes already sent; acks never run ahead
			 * of what the other side sent. */
			uint32_t seq = pk.tcp_seq, len = pk.l4_payload_len;
			if (pk.tcp_flags & WEIR_TH_SYN) {
				r->have_isn[dir] = 1;
				r->next[dir] = seq + 1;
			} else if (r->have_isn[dir] && !(pk.tcp_flags & WEIR_TH_RST)) {
				ck_assert_msg(sdiff(seq, r->next[dir]) <= 0, "gap in a TCP stream, frame %lu",
					      (unsigned long)frames + 1);
				if (seq == r->next[dir])
					r->next[dir] = seq + len + ((pk.tcp_flags & WEIR_TH_FIN) ? 1 : 0);
				else if (len) {
					ck_assert(sdiff(seq + len, r->next[dir]) <= 0);
					retrans++;
				}
			}
			if ((pk.tcp_flags & WEIR_TH_ACK) && r->have_isn[!dir])
				ck_assert_msg(sdiff(pk.tcp_ack, r->next[!dir]) <= 0,
					      "ack beyond the data sent, frame %lu", (unsigned long)frames + 1);
		}
		off += 16 + incl;
		frames++;
	}
	ck_assert_uint_eq(off, a.pcap_len);
	ck_assert_uint_eq(frames, a.st.packets);
	ck_assert_uint_gt(seen_proto[0], 1000);
	ck_assert_uint_gt(seen_proto[1], 100);
	ck_assert_uint_gt(seen_proto[2], 100);
	ck_assert_uint_gt(retrans, 0);          /* loss = 1%: some retransmissions */
	ck_assert_uint_eq(a.st.order_fixes, 0);

	/* Every row's announced counts are what the capture holds. */
	int attacks = 0;
	for (int i = 0; i < n; i++) {
		struct lrow *r = &rows[i];
		ck_assert_msg(r->got_pkts[0] == r->want_pkts[0] && r->got_pkts[1] == r->want_pkts[1] &&
			      r->got_bytes[0] == r->want_bytes[0] && r->got_bytes[1] == r->want_bytes[1],
			      "row %d: labels say %u/%u pkts %llu/%llu bytes, capture has %u/%u %llu/%llu",
			      i + 2, r->want_pkts[0], r->want_pkts[1],
			      (unsigned long long)r->want_bytes[0], (unsigned long long)r->want_bytes[1],
			      r->got_pkts[0], r->got_pkts[1],
			      (unsigned long long)r->got_bytes[0], (unsigned long long)r->got_bytes[1]);
		ck_assert_uint_gt(r->got_pkts[0] + r->got_pkts[1], 0);
		attacks += r->attack;
	}
	ck_assert_int_eq((uint64_t)attacks, a.st.attack_flows);
	free(rows);
	run_free(&a);
}
END_TEST

START_TEST(every_attack_is_labelled)
{
	struct run a;
	gen(busy_ini, 8, 0, &a);
	static const char *const want[] = {
		",Reconnaissance,1,syn_scan", ",Reconnaissance,1,udp_scan", ",DoS,1,syn_flood",
		",Exploits,1,ftp_brute", ",DoS,1,http_flood", ",Backdoors,1,dns_exfil",
		",Backdoors,1,bulk_exfil", ",DoS,1,slowloris",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(a.labels, want[i]) != NULL, "no %s rows", want[i]);
	/* the drift (from 6 s) adds a service on 8443 and clients from
	 * 10.3.0.0/24, and neither is seen before it */
	ck_assert_ptr_nonnull(strstr(a.labels, ",8443,tcp,"));
	ck_assert_ptr_nonnull(strstr(a.labels, "\n10.3.0."));
	unsigned before = 0, after = 0;
	for (const char *l = strchr(a.labels, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		unsigned sport, dport;
		double stime;
		char src[32];
		ck_assert_int_eq(sscanf(l + 1, "%31[^,],%u,%*[^,],%u,%*[^,],%lf", src, &sport,
					&dport, &stime), 4);
		int drift = !strncmp(src, "10.3.0.", 7) || dport == 8443;
		if (stime < 1700000006.0)
			before += drift;
		else
			after += drift;
	}
	ck_assert_uint_eq(before, 0);
	ck_assert_uint_gt(after, 20);
	run_free(&a);
}
END_TEST

/* ---- scenario validation ---- */

static void bad(const char *ini, const char *const *needles)
{
	struct weir_gen_scenario sc;
	char err[600] = "";
	ck_assert_int_eq(weir_gen_scenario_load_string("s.ini", ini, &sc, err, sizeof(err)), -1);
	for (; *needles; needles++)
		ck_assert_msg(strstr(err, *needles) != NULL, "'%s' not in: %s", *needles, err);
}

START_TEST(scenario_errors_name_file_section_key)
{
	bad("[normal]\nflows_per_sec = 3\n",
	    (const char *const[]){ "s.ini: [normal] flows_per_sec: unknown key", "flows_per_s", NULL });
	bad("[network]\nloss = 0.5\n",
	    (const char *const[]){ "s.ini: [network] loss:", "out of range", "from 0 to 0.2", NULL });
	bad("[general]\nduration = ten\n",
	    (const char *const[]){ "[general] duration: 'ten' is not a number", NULL });
	bad("[network]\nserver_subnet = 10.0.0.0/33\n",
	    (const char *const[]){ "[network] server_subnet:", "10.1.0.0/24", NULL });
	bad("[attack.syn_scan]\nstart = 30\nend = 20\n",
	    (const char *const[]){ "[attack.syn_scan] end:", "start < end", NULL });
	bad("[attack.ping_of_death]\nrate = 3\n",
	    (const char *const[]){ "[attack.ping_of_death] rate: unknown attack", "syn_scan", NULL });
	bad("[traffic]\nrate = 3\n",
	    (const char *const[]){ "[traffic] rate: unknown section", "[general]", NULL });
	bad("[general]\nduration = 10\n[drift]\nenabled = yes\nstart = 20\n",
	    (const char *const[]){ "[drift] start:", "set enabled = no", NULL });
	bad("[network]\nlan_rtt_min_ms = 5\nlan_rtt_max_ms = 1\n",
	    (const char *const[]){ "[network] lan_rtt_min_ms:", "larger than lan_rtt_max_ms", NULL });
	bad("this is not ini\n", (const char *const[]){ "s.ini:1:", "[section]", NULL });

	struct weir_gen_scenario sc;
	char err[600];
	ck_assert_int_eq(weir_gen_scenario_load("/nonexistent/x.ini", &sc, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.ini: cannot open the scenario file"));
}
END_TEST

START_TEST(defaults_and_shipped_scenarios_load)
{
	struct weir_gen_scenario sc;
	char err[600];
	ck_assert_int_eq(weir_gen_scenario_load_string("empty.ini", "", &sc, err, sizeof(err)), 0);
	ck_assert(sc.duration > 0 && sc.flows_per_s > 0);
	const char *src = getenv("WEIR_SRC");
	if (!src)
		return;
	static const char *const files[] = { "demo.ini", "normal.ini", "bench.ini" };
	for (size_t i = 0; i < 3; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/scripts/scenarios/%s", src, files[i]);
		ck_assert_msg(weir_gen_scenario_load(path, &sc, err, sizeof(err)) == 0, "%s", err);
	}
}
END_TEST

START_TEST(small_session_pool_refuses_and_counts)
{
	struct run a;
	gen("[general]\nduration = 3\nmax_sessions = 16\n[normal]\nflows_per_s = 400\n", 1, 0, &a);
	ck_assert_uint_gt(a.st.refused_sessions, 0);
	ck_assert_uint_gt(a.st.packets, 0);
	run_free(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trafficgen");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, same_seed_same_bytes);
	tcase_add_test(tc, other_seed_other_bytes);
	tcase_add_test(tc, packet_limit_is_exact);
	tcase_add_test(tc, frames_decode_checksum_and_match_labels);
	tcase_add_test(tc, every_attack_is_labelled);
	tcase_add_test(tc, scenario_errors_name_file_section_key);
	tcase_add_test(tc, defaults_and_shipped_scenarios_load);
	tcase_add_test(tc, small_session_pool_refuses_and_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
