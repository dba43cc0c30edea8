/* Argus-style flow features on hand-made packet sequences. The expected
 * values of the "get.pcap" cases are what argus 3.0.8 + ra print for
 * zeek/Traces/http/get.pcap (doc/features.md), the packets being that
 * capture's 14 frames as tshark shows them. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "flowfeat.h"

#define A 0 /* key side A */
#define B 1 /* key side B */

static struct weir_pkt tcp(uint64_t ts_us, uint32_t wire, uint8_t ttl,
			   uint8_t flags, uint32_t seq, uint32_t ack,
			   uint16_t win, uint32_t len)
{
	struct weir_pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_ns = ts_us * 1000ull;
	p.wire_len = wire;
	p.cap_len = wire;
	p.family = WEIR_AF_INET;
	p.ip_ver = 4;
	p.proto = 6;
	p.ttl = ttl;
	p.l2_len = 14;
	p.l3_hdr_len = 20;
	p.l4_hdr_len = (uint16_t)(wire - 14 - 20 - len);
	p.ip_len = wire - 14;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_win = win;
	p.l4_payload_len = len;
	return p;
}

static struct weir_pkt udp(uint64_t ts_us, uint32_t wire, uint8_t ttl)
{
	struct weir_pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_ns = ts_us * 1000ull;
	p.wire_len = wire;
	p.family = WEIR_AF_INET;
	p.ip_ver = 4;
	p.proto = 17;
	p.ttl = ttl;
	p.ip_len = wire - 14;
	p.l4_hdr_len = 8;
	p.l4_payload_len = wire - 14 - 28;
	return p;
}

static struct weir_pkt icmp(uint64_t ts_us, uint8_t type, uint8_t code)
{
	struct weir_pkt p = udp(ts_us, 98, 64);
	p.proto = 1;
	p.icmp_type = type;
	p.icmp_code = code;
	return p;
}

/* Feed packets: the first one initialises the flow. */
struct step { struct weir_pkt p; int side; };

static void run(struct weir_feat *f, const struct step *s, int n)
{
	weir_feat_init(f, &s[0].p, s[0].side);
	for (int i = 0; i < n; i++)
		weir_feat_update(f, &s[i].p, s[i].side);
}

static void finalize(const struct weir_feat *f, unsigned proto,
		     struct weir_record *r, int *src)
{
	memset(r, 0, sizeof(*r));
	weir_feat_finalize(f, proto, r, src);
}

#define T0 1362692526869344ull
#define WS(p, s) ((p).tcp_opts |= WEIR_TCPOPT_WSCALE, (p).tcp_wscale = (s), (p))

/* zeek/Traces/http/get.pcap: client A (141.142.228.5, ttl 64), server B
 * (ttl 47); seqs as on the wire. */
static int get_pcap(struct step *s)
{
	const uint32_t c = 4263588410u, v = 2779762238u;
	struct weir_pkt syn = tcp(T0, 78, 64, WEIR_TH_SYN, c, 0, 65535, 0);
	struct weir_pkt sa = tcp(T0 + 69740, 74, 47, WEIR_TH_SYN | WEIR_TH_ACK, v, c + 1, 14480, 0);
	int i = 0;
	s[i++] = (struct step){ WS(syn, 4), A };
	s[i++] = (struct step){ WS(sa, 7), B };
	s[i++] = (struct step){ tcp(T0 + 70034, 66, 64, WEIR_TH_ACK, c + 1, v + 1, 8235, 0), A };
	s[i++] = (struct step){ tcp(T0 + 70183, 202, 64, WEIR_TH_ACK | WEIR_TH_PSH, c + 1, v + 1, 8235, 136), A };
	s[i++] = (struct step){ tcp(T0 + 139165, 66, 47, WEIR_TH_ACK, v + 1, c + 137, 122, 0), B };
	s[i++] = (struct step){ tcp(T0 + 140168, 1514, 47, WEIR_TH_ACK, v + 1, c + 137, 122, 1448), B };
	s[i++] = (struct step){ tcp(T0 + 140377, 1514, 47, WEIR_TH_ACK, v + 1449, c + 137, 122, 1448), B };
	s[i++] = (struct step){ tcp(T0 + 140421, 1514, 47, WEIR_TH_ACK, v + 2897, c + 137, 122, 1448), B };
	s[i++] = (struct step){ tcp(T0 + 140431, 729, 47, WEIR_TH_ACK | WEIR_TH_PSH, v + 4345, c + 137, 122, 663), B };
	s[i++] = (struct step){ tcp(T0 + 140511, 66, 64, WEIR_TH_ACK, c + 137, v + 2897, 8054, 0), A };
	s[i++] = (struct step){ tcp(T0 + 140543, 66, 64, WEIR_TH_ACK, c + 137, v + 5008, 7922, 0), A };
	s[i++] = (struct step){ tcp(T0 + 142502, 66, 64, WEIR_TH_ACK | WEIR_TH_FIN, c + 137, v + 5008, 8192, 0), A };
	s[i++] = (struct step){ tcp(T0 + 211484, 66, 47, WEIR_TH_ACK | WEIR_TH_FIN, v + 5008, c + 138, 122, 0), B };
	s[i++] = (struct step){ tcp(T0 + 211628, 66, 64, WEIR_TH_ACK, c + 138, v + 5009, 8192, 0), A };
	return i;
}

START_TEST(get_pcap_counts_and_state)
{
	struct step s[16];
	struct weir_feat f;
	struct weir_record r;
	int src;
	run(&f, s, get_pcap(s));
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, A);
	ck_assert_uint_eq(r.state, WEIR_ST_FIN);
	ck_assert_uint_eq(r.spkts, 7);
	ck_assert_uint_eq(r.dpkts, 7);
	ck_assert_uint_eq(r.sbytes, 610);
	ck_assert_uint_eq(r.dbytes, 5477);
	ck_assert_uint_eq(r.sbytes_ip, 610 - 7 * 14);
	ck_assert_uint_eq(r.dbytes_ip, 5477 - 7 * 14);
	ck_assert_uint_eq(r.sttl, 64);
	ck_assert_uint_eq(r.dttl, 47);
	ck_assert_uint_eq(r.sloss, 0);
	ck_assert_uint_eq(r.dloss, 0);
	ck_assert_uint_eq(r.stcpb, 4263588410u);
	ck_assert_uint_eq(r.dtcpb, 2779762238u);
	ck_assert_uint_eq(r.swin, 131072);  /* 8192 << 4 */
	ck_assert_uint_eq(r.dwin, 15616);   /* 122 << 7 */
	ck_assert_uint_eq(r.smeansz, 87);
	ck_assert_uint_eq(r.dmeansz, 782);
	ck_assert_uint_eq(r.stime_ns, T0 * 1000);
	ck_assert_uint_eq(r.ltime_ns, (T0 + 211628) * 1000);
	ck_assert_double_eq_tol(r.dur, 0.211628, 1e-9);
	ck_assert_uint_eq(r.ct_state_ttl, 0);
}
END_TEST

START_TEST(get_pcap_handshake_times)
{
	struct step s[16];
	struct weir_feat f;
	struct weir_record r;
	int src;
	run(&f, s, get_pcap(s));
	finalize(&f, 6, &r, &src);
	ck_assert_double_eq_tol(r.synack, 0.069740, 1e-9);
	ck_assert_double_eq_tol(r.ackdat, 0.000294, 1e-9);
	ck_assert_double_eq_tol(r.tcprtt, 0.070034, 1e-9);
}
END_TEST

START_TEST(get_pcap_load_intpkt_jitter)
{
	struct step s[16];
	struct weir_feat f;
	struct weir_record r;
	int src;
	run(&f, s, get_pcap(s));
	finalize(&f, 6, &r, &src);
	/* ra: SrcLoad 19770.541016, DstLoad 264984.750000 */
	ck_assert_double_eq_tol(r.sload, 19770.541016, 0.01);
	ck_assert_double_eq_tol(r.dload, 264984.75, 0.05);
	/* ra: SIntPkt 35.271332 DIntPkt 23.624000 (ms) */
	ck_assert_double_eq_tol(r.sintpkt, 35.271332, 1e-5); /* ra prints floats */
	ck_assert_double_eq_tol(r.dintpkt, 23.624, 1e-6);
	/* ra: SrcJitter 34.565523 (idle only: plain deviation);
	 * DstJitter 1282.319705 (active and idle intervals: ra's combination) */
	ck_assert_double_eq_tol(r.sjit, 34.565523, 1e-5);
	ck_assert_double_eq_tol(r.djit, 1282.319705, 1e-3);
}
END_TEST

START_TEST(syn_ack_first_makes_receiver_the_source)
{
	/* zeek/Traces/tcp/missing-syn.pcap: the server's SYN/ACK is first. */
	struct step s[3];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(1000, 74, 44, WEIR_TH_SYN | WEIR_TH_ACK, 2697137987u, 1512382794u, 57344, 0), B };
	s[1] = (struct step){ tcp(1649, 66, 58, WEIR_TH_ACK, 1512382794u, 2697137988u, 1460, 0), A };
	s[2] = (struct step){ tcp(1781, 164, 58, WEIR_TH_ACK | WEIR_TH_PSH, 1512382794u, 2697137988u, 1460, 98), A };
	run(&f, s, 3);
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, A);
	ck_assert_uint_eq(r.spkts, 2);
	ck_assert_uint_eq(r.dpkts, 1);
	ck_assert_uint_eq(r.stcpb, 1512382794u); /* first seq seen, as ra */
	ck_assert_uint_eq(r.dtcpb, 2697137987u);
	ck_assert_uint_eq(r.state, WEIR_ST_CLO); /* turned round, no FIN/RST */
	ck_assert_double_eq(r.synack, 0.0);     /* no SYN: not measured */
	ck_assert_uint_eq(r.sttl, 58);
	ck_assert_uint_eq(r.dttl, 44);
}
END_TEST

START_TEST(midstream_ack_first_sender_is_source)
{
	struct step s[2];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(1000, 66, 50, WEIR_TH_ACK, 5000, 9000, 100, 0), B };
	s[1] = (struct step){ tcp(2000, 66, 60, WEIR_TH_ACK, 9000, 5000, 100, 0), A };
	run(&f, s, 2);
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, B);
	ck_assert_uint_eq(r.stcpb, 4999);  /* Argus: seq - 1 on a starting ACK */
	ck_assert_uint_eq(r.dtcpb, 9000);
	ck_assert_uint_eq(r.state, WEIR_ST_CON);
}
END_TEST

START_TEST(syn_then_rst)
{
	/* zeek/Traces/tcp/syn-then-rst.pcap: SYN and RST both seq 0. */
	struct step s[2];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(1000000, 54, 64, WEIR_TH_SYN, 0, 0, 8192, 0), A };
	s[1] = (struct step){ tcp(1000309, 54, 64, WEIR_TH_RST, 0, 0, 8192, 0), A };
	run(&f, s, 2);
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_RST);
	ck_assert_uint_eq(r.spkts, 2);
	ck_assert_uint_eq(r.dpkts, 0);
	ck_assert_uint_eq(r.stcpb, 0);
	ck_assert_uint_eq(r.swin, 8192);
	ck_assert_uint_eq(r.dttl, 0);
	ck_assert_double_eq_tol(r.sload, 1398058.25, 0.5); /* (108-54)*8/0.000309 */
	ck_assert_double_eq_tol(r.sintpkt, 0.309, 1e-9);
	ck_assert_double_eq(r.sjit, 0.0);
	/* a RST answering a SYN leaves the attempt open (Argus: SYN_SENT) */
	ck_assert(!weir_feat_tcp_closed(&f));
}
END_TEST

START_TEST(rejected_syn_retried_is_one_flow)
{
	/* zeek/Traces/pop3/pop3.pcap 192.168.0.4:26242: SYN, RST/ACK, three
	 * times. Argus: one flow, 3/3 packets, sloss 2, RST. */
	struct step s[6];
	struct weir_feat f;
	struct weir_record r;
	int src, i = 0;
	for (int k = 0; k < 3; k++) {
		s[i++] = (struct step){ tcp(1000 + k * 550000, 66, 128, WEIR_TH_SYN, 3145310914u, 0, 8192, 0), A };
		s[i++] = (struct step){ tcp(51000 + k * 550000, 54, 57, WEIR_TH_RST | WEIR_TH_ACK, 0, 3145310915u, 0, 0), B };
	}
	weir_feat_init(&f, &s[0].p, A);
	for (int k = 0; k < i; k++) {
		if (k > 0 && s[k].p.tcp_flags == WEIR_TH_SYN)
			ck_assert(!weir_feat_tcp_closed(&f)); /* the engine keeps the flow */
		weir_feat_update(&f, &s[k].p, s[k].side);
	}
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.spkts, 3);
	ck_assert_uint_eq(r.dpkts, 3);
	ck_assert_uint_eq(r.sloss, 2);
	ck_assert_uint_eq(r.state, WEIR_ST_RST);
}
END_TEST

START_TEST(midstream_packet_from_lower_port_makes_receiver_source)
{
	/* zeek/Traces/http/get.pcap frame 5 alone: the server's ACK, port 80
	 * to 59856. Argus: client is the source, 0/1 packets. */
	struct weir_pkt p = tcp(1000, 66, 47, WEIR_TH_ACK, 2779762239u, 4263588547u, 122, 0);
	struct weir_feat f;
	struct weir_record r;
	int src;
	p.sport = 80;
	p.dport = 59856;
	weir_feat_init(&f, &p, B);
	weir_feat_update(&f, &p, B);
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, A);
	ck_assert_uint_eq(r.spkts, 0);
	ck_assert_uint_eq(r.dpkts, 1);
	ck_assert_uint_eq(r.dttl, 47);
	/* the same from the higher port keeps its sender */
	p.sport = 59856;
	p.dport = 80;
	weir_feat_init(&f, &p, B);
	weir_feat_update(&f, &p, B);
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, B);
}
END_TEST

START_TEST(window_shift_as_argus)
{
	/* zeek/Traces/tcp/window-scale-range.pcap: shift 255 asked for;
	 * Argus shifts the 32-bit window by 255 mod 32. */
	struct step s[2];
	struct weir_feat f;
	struct weir_record r;
	int src;
	struct weir_pkt syn = tcp(1000, 74, 64, WEIR_TH_SYN, 1000, 0, 8192, 0);
	s[0] = (struct step){ WS(syn, 255), A };
	s[1] = (struct step){ tcp(2000, 66, 64, WEIR_TH_ACK | WEIR_TH_PSH, 1001, 5001, 65535, 5), A };
	run(&f, s, 2);
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.swin, 2147483648u);
}
END_TEST

START_TEST(syn_only_is_req_and_retransmitted_syn_is_loss)
{
	struct step s[3];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(0 + 10, 74, 64, WEIR_TH_SYN, 100, 0, 29200, 0), A };
	s[1] = (struct step){ tcp(1000010, 74, 64, WEIR_TH_SYN, 100, 0, 29200, 0), A };
	s[2] = (struct step){ tcp(3000010, 74, 64, WEIR_TH_SYN, 100, 0, 29200, 0), A };
	run(&f, s, 3);
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_REQ);
	ck_assert_uint_eq(r.sloss, 2);
	ck_assert_uint_eq(r.stcpb, 100);
	ck_assert(!weir_feat_tcp_closed(&f));
}
END_TEST

START_TEST(syn_synack_is_acc)
{
	struct step s[2];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(1000, 78, 64, WEIR_TH_SYN, 10, 0, 65535, 0), A };
	s[1] = (struct step){ tcp(70740, 74, 47, WEIR_TH_SYN | WEIR_TH_ACK, 50, 11, 14480, 0), B };
	run(&f, s, 2);
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_ACC);
	ck_assert_double_eq_tol(r.synack, 0.069740, 1e-9);
	ck_assert_double_eq(r.ackdat, 0.0);
	ck_assert_double_eq(r.sload, 0.0); /* one packet: no rate */
}
END_TEST

START_TEST(retransmitted_data_is_loss)
{
	/* Established flow; B sends 1000 bytes, A acks them, B sends the
	 * same segment again: one dloss. */
	struct step s[8];
	struct weir_feat f;
	struct weir_record r;
	int src, i = 0;
	s[i++] = (struct step){ tcp(1000, 74, 64, WEIR_TH_SYN, 100, 0, 1000, 0), A };
	s[i++] = (struct step){ tcp(2000, 74, 64, WEIR_TH_SYN | WEIR_TH_ACK, 500, 101, 60000, 0), B };
	s[i++] = (struct step){ tcp(3000, 66, 64, WEIR_TH_ACK, 101, 501, 60000, 0), A };
	s[i++] = (struct step){ tcp(4000, 1066, 64, WEIR_TH_ACK, 501, 101, 60000, 1000), B };
	s[i++] = (struct step){ tcp(5000, 66, 64, WEIR_TH_ACK, 101, 1501, 60000, 0), A };
	s[i++] = (struct step){ tcp(6000, 1066, 64, WEIR_TH_ACK, 501, 101, 60000, 1000), B };
	run(&f, s, i);
	finalize(&f, 6, &r, &src);
	ck_assert_uint_eq(r.sloss, 0);
	ck_assert_uint_eq(r.dloss, 1);
	ck_assert_uint_eq(r.state, WEIR_ST_CON);
	ck_assert_double_eq_tol(r.synack, 0.001, 1e-9);
	ck_assert_double_eq_tol(r.ackdat, 0.001, 1e-9);
}
END_TEST

START_TEST(fin_closes)
{
	/* Argus treats a SYN after any FIN as a new connection. */
	struct step s[2];
	struct weir_feat f;
	s[0] = (struct step){ tcp(1000, 66, 64, WEIR_TH_ACK, 1, 1, 100, 0), A };
	run(&f, s, 1);
	ck_assert(!weir_feat_tcp_closed(&f));
	struct weir_pkt fin = tcp(2000, 66, 64, WEIR_TH_ACK | WEIR_TH_FIN, 1, 1, 100, 0);
	weir_feat_update(&f, &fin, A);
	ck_assert(weir_feat_tcp_closed(&f));
}
END_TEST

START_TEST(udp_int_and_con)
{
	/* UNSW-NB15's first row: a DNS query and answer, 66 + 82 bytes twice */
	struct step s[4];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ udp(1000, 66, 31), A };
	run(&f, s, 1);
	finalize(&f, 17, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_INT);
	ck_assert_uint_eq(r.ct_state_ttl, 0);
	s[1] = (struct step){ udp(1400, 82, 29), B };
	s[2] = (struct step){ udp(2055, 66, 31), A };
	s[3] = (struct step){ udp(2100, 82, 29), B };
	run(&f, s, 4);
	finalize(&f, 17, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_CON);
	ck_assert_uint_eq(r.sbytes, 132);
	ck_assert_uint_eq(r.dbytes, 164);
	ck_assert_uint_eq(r.smeansz, 66);
	ck_assert_uint_eq(r.dmeansz, 82);
	ck_assert_double_eq_tol(r.dur, 0.0011, 1e-12);
	ck_assert_double_eq_tol(r.sload, 66 * 8 / 0.001055, 1e-6);
	ck_assert_double_eq_tol(r.sintpkt, 1.055, 1e-9);
	ck_assert_double_eq_tol(r.dintpkt, 0.700, 1e-9);
	ck_assert_uint_eq(r.stcpb, 0);
	ck_assert_uint_eq(r.swin, 0);
}
END_TEST

START_TEST(icmp_states_and_no_timing)
{
	struct step s[2];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ icmp(1000, 8, 0), A };
	s[1] = (struct step){ icmp(2000, 0, 0), B };
	run(&f, s, 2);
	finalize(&f, 1, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_ECO);
	ck_assert_double_eq(r.sintpkt, 0.0);
	s[0] = (struct step){ icmp(1000, 3, 1), A };
	run(&f, s, 1);
	finalize(&f, 1, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_URH);
	s[0] = (struct step){ icmp(1000, 3, 3), A };
	run(&f, s, 1);
	finalize(&f, 1, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_URP);
	/* the rest of the unreachable codes, as ra names them */
	static const struct { uint8_t code; unsigned st; } ur[] = {
		{ 0, WEIR_ST_URN }, { 2, WEIR_ST_URO }, { 4, WEIR_ST_URF },
		{ 5, WEIR_ST_URS }, { 10, WEIR_ST_URHPRO }, { 13, WEIR_ST_URO },
	};
	for (unsigned i = 0; i < sizeof(ur) / sizeof(ur[0]); i++) {
		s[0] = (struct step){ icmp(1000, 3, ur[i].code), A };
		run(&f, s, 1);
		finalize(&f, 1, &r, &src);
		ck_assert_uint_eq(r.state, ur[i].st);
	}
	static const struct { uint8_t type; unsigned st; } ty[] = {
		{ 4, WEIR_ST_SRC }, { 5, WEIR_ST_RED }, { 9, WEIR_ST_RTA },
		{ 10, WEIR_ST_RTS }, { 12, WEIR_ST_PAR }, { 13, WEIR_ST_TST },
		{ 14, WEIR_ST_TSR }, { 15, WEIR_ST_IRQ }, { 16, WEIR_ST_IRR },
		{ 17, WEIR_ST_MAS }, { 18, WEIR_ST_MSR }, { 30, WEIR_ST_UNK },
	};
	for (unsigned i = 0; i < sizeof(ty) / sizeof(ty[0]); i++) {
		s[0] = (struct step){ icmp(1000, ty[i].type, 0), A };
		run(&f, s, 1);
		finalize(&f, 1, &r, &src);
		ck_assert_uint_eq(r.state, ty[i].st);
	}
	s[0] = (struct step){ icmp(1000, 11, 0), A };
	run(&f, s, 1);
	finalize(&f, 1, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_TXD);
	s[0] = (struct step){ icmp(1000, 0, 0), A };
	s[0].p.reply = 1; /* the decoder marks replies */
	run(&f, s, 1);
	finalize(&f, 1, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_ECR);
	ck_assert_int_eq(src, B); /* a reply first: the asker is the source */
	ck_assert_uint_eq(r.dpkts, 1);
}
END_TEST

START_TEST(arp_bytes_and_rsp)
{
	struct weir_pkt p;
	struct weir_feat f;
	struct weir_record r;
	int src;
	memset(&p, 0, sizeof(p));
	p.ts_ns = 5;
	p.wire_len = 60;
	p.family = WEIR_AF_ARP;
	p.proto = WEIR_PROTO_ARP;
	p.ip_len = 28;
	weir_feat_init(&f, &p, A);
	weir_feat_update(&f, &p, A);
	finalize(&f, WEIR_PROTO_ARP, &r, &src);
	ck_assert_uint_eq(r.state, WEIR_ST_INT);
	ck_assert_uint_eq(r.sbytes, 60);
	ck_assert_uint_eq(r.sbytes_ip, 0);
	ck_assert_uint_eq(r.ct_state_ttl, 2); /* INT, 0, 0 */
	/* a reply first (opcode 2, marked by the decoder): the receiver's
	 * flow, RSP */
	p.icmp_type = 2;
	p.reply = 1;
	weir_feat_init(&f, &p, A);
	weir_feat_update(&f, &p, A);
	finalize(&f, WEIR_PROTO_ARP, &r, &src);
	ck_assert_int_eq(src, B);
	ck_assert_uint_eq(r.state, WEIR_ST_RSP);
	ck_assert_uint_eq(r.spkts, 0);
	ck_assert_uint_eq(r.dpkts, 1);
}
END_TEST

START_TEST(syn_sent_twice_makes_active_and_idle)
{
	/* m57-long-49583-80.pcap: SYN duplicated 1 us later (filed active),
	 * then the handshake ACK (idle): ra combines the two classes. */
	struct step s[4];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ tcp(1000, 66, 128, WEIR_TH_SYN, 7, 0, 8192, 0), A };
	s[1] = (struct step){ tcp(1001, 66, 128, WEIR_TH_SYN, 7, 0, 8192, 0), A };
	s[2] = (struct step){ tcp(97000, 66, 50, WEIR_TH_SYN | WEIR_TH_ACK, 90, 8, 5840, 0), B };
	s[3] = (struct step){ tcp(97451, 60, 128, WEIR_TH_ACK, 8, 91, 16560, 0), A };
	run(&f, s, 4);
	finalize(&f, 6, &r, &src);
	double n = 2, x1 = 1, x2 = 96450, mean = (x1 + x2) / n;
	double expect = sqrt((x1 * x1 + x2 * x2) / n / 1000 - (mean / 1000) * (mean / 1000));
	ck_assert_double_eq_tol(r.sjit, expect, 1e-9);
	ck_assert_uint_eq(r.sloss, 1); /* the second SYN */
}
END_TEST

START_TEST(jitter_combination_when_active_and_idle)
{
	/* The server side of get.pcap alone: intervals 69425 (idle), 1003
	 * (idle), 209, 44, 10 (active), 71053 (idle) us. */
	struct step s[16];
	struct weir_feat f;
	struct weir_record r;
	int src;
	run(&f, s, get_pcap(s));
	finalize(&f, 6, &r, &src);
	double n = 6, sum = 69425 + 1003 + 209 + 44 + 10 + 71053;
	double sq = 69425.0 * 69425 + 1003.0 * 1003 + 209.0 * 209 + 44.0 * 44 +
		    10.0 * 10 + 71053.0 * 71053;
	double expect = sqrt(sq / n / 1000 - (sum / n / 1000) * (sum / n / 1000));
	ck_assert_double_eq_tol(r.djit, expect, 1e-9);
}
END_TEST

START_TEST(active_slice_restarts_counters_keeps_tcp)
{
	struct step s[16];
	struct weir_feat f;
	struct weir_record r;
	int src, n = get_pcap(s);
	weir_feat_init(&f, &s[0].p, s[0].side);
	for (int i = 0; i < 9; i++)
		weir_feat_update(&f, &s[i].p, s[i].side);
	weir_feat_new_slice(&f, s[8].p.ts_ns);
	for (int i = 9; i < n; i++)
		weir_feat_update(&f, &s[i].p, s[i].side);
	finalize(&f, 6, &r, &src);
	ck_assert_int_eq(src, A);
	ck_assert_uint_eq(r.spkts, 4);
	ck_assert_uint_eq(r.dpkts, 1);
	ck_assert_uint_eq(r.sbytes, 4 * 66);
	ck_assert_uint_eq(r.stcpb, 4263588410u);  /* sequence base survives */
	ck_assert_uint_eq(r.state, WEIR_ST_FIN);
	ck_assert_uint_eq(r.stime_ns, (T0 + 140511) * 1000);
	ck_assert_double_eq(r.synack, 0.0);       /* handshake was last slice's */
	ck_assert_double_eq(r.dintpkt, 0.0);      /* one packet this slice */
}
END_TEST

START_TEST(ct_state_ttl_table)
{
	/* cells seen in UNSW-NB15_1 (first 20000 rows) */
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_FIN, 254, 252), 1);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_FIN, 62, 252), 1);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_FIN, 31, 29), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_INT, 254, 0), 2);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_INT, 0, 0), 2);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_INT, 255, 0), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_INT, 60, 0), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_CON, 254, 60), 3);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_CON, 62, 252), 3);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_CON, 31, 29), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_RST, 254, 60), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_REQ, 1, 0), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_ECO, 254, 0), 0);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_URH, 64, 0), 0);
	/* cells from the full data set's documentation */
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_ACC, 254, 252), 4);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_CLO, 254, 252), 5);
	ck_assert_uint_eq(weir_feat_ct_state_ttl(WEIR_ST_REQ, 254, 0), 6);
}
END_TEST

START_TEST(capture_starting_at_time_zero)
{
	/* crafted captures may start at the epoch: times are still measured */
	struct step s[3];
	struct weir_feat f;
	struct weir_record r;
	int src;
	s[0] = (struct step){ udp(0, 60, 64), A };
	s[1] = (struct step){ udp(0, 60, 64), A };
	s[2] = (struct step){ udp(2000, 60, 64), A };
	run(&f, s, 3);
	finalize(&f, 17, &r, &src);
	ck_assert_uint_eq(r.stime_ns, 0);
	ck_assert_uint_eq(r.ltime_ns, 2000000);
	ck_assert_double_eq_tol(r.dur, 0.002, 1e-12);
	ck_assert_double_eq_tol(r.sintpkt, 2.0, 1e-9); /* one interval: equal stamps make none */
}
END_TEST

START_TEST(state_fits_hot_entry)
{
	ck_assert_uint_le(sizeof(struct weir_feat), 180);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flowfeat");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, get_pcap_counts_and_state);
	tcase_add_test(tc, get_pcap_handshake_times);
	tcase_add_test(tc, get_pcap_load_intpkt_jitter);
	tcase_add_test(tc, syn_ack_first_makes_receiver_the_source);
	tcase_add_test(tc, midstream_ack_first_sender_is_source);
	tcase_add_test(tc, syn_then_rst);
	tcase_add_test(tc, rejected_syn_retried_is_one_flow);
	tcase_add_test(tc, midstream_packet_from_lower_port_makes_receiver_source);
	tcase_add_test(tc, window_shift_as_argus);
	tcase_add_test(tc, syn_only_is_req_and_retransmitted_syn_is_loss);
	tcase_add_test(tc, syn_synack_is_acc);
	tcase_add_test(tc, retransmitted_data_is_loss);
	tcase_add_test(tc, fin_closes);
	tcase_add_test(tc, udp_int_and_con);
	tcase_add_test(tc, icmp_states_and_no_timing);
	tcase_add_test(tc, arp_bytes_and_rsp);
	tcase_add_test(tc, jitter_combination_when_active_and_idle);
	tcase_add_test(tc, syn_sent_twice_makes_active_and_idle);
	tcase_add_test(tc, active_slice_restarts_counters_keeps_tcp);
	tcase_add_test(tc, ct_state_ttl_table);
	tcase_add_test(tc, capture_starting_at_time_zero);
	tcase_add_test(tc, state_fits_hot_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
