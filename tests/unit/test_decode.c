/* Decoder: every link type and encapsulation, each header's fields, the
 * Argus ICMP flow key, every malformed case with its exact reason, prefix
 * and byte-flip sweeps (meant for the sanitize build: frames are decoded
 * from heap copies of exactly caplen bytes), and every frame of every
 * capture under $WEIR_SHARED/pcaps. */
#include <arpa/inet.h>
#include <check.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "decode.h"
#include "capture.h"
#include "pktbuild.h"

/* ---- helpers ------------------------------------------------------------ */

static uint8_t *heap;        /* exact-size copy of the frame being decoded */
static struct weir_pkt P;

static void free_heap(void)
{
	free(heap);
	heap = NULL;
}

/* The first field in which two decodes differ, or NULL. Field by field:
 * the fast path stores padding (as zero), the general path does not. */
static const char *pkt_diff(const struct weir_pkt *a, const struct weir_pkt *b)
{
#define DIFF(f) do { if (a->f != b->f) return #f; } while (0)
	DIFF(ts_ns); DIFF(wire_len); DIFF(cap_len);
	DIFF(family); DIFF(ip_ver); DIFF(proto);
	DIFF(vlan_id); DIFF(vlan_depth); DIFF(mpls_depth);
	if (memcmp(a->src, b->src, 16) != 0)
		return "src";
	if (memcmp(a->dst, b->dst, 16) != 0)
		return "dst";
	DIFF(sport); DIFF(dport); DIFF(ttl); DIFF(tos);
	DIFF(ip_len); DIFF(l2_len); DIFF(l3_hdr_len); DIFF(l4_hdr_len);
	DIFF(frag); DIFF(ip_short); DIFF(reply); DIFF(frag_id); DIFF(frag_off);
	DIFF(tcp_flags); DIFF(tcp_opts); DIFF(tcp_wscale); DIFF(tcp_win);
	DIFF(tcp_mss); DIFF(tcp_seq); DIFF(tcp_ack);
	DIFF(icmp_type); DIFF(icmp_code); DIFF(icmp_id); DIFF(icmp_seq);
	DIFF(l4_payload_len); DIFF(payload_caplen); DIFF(payload);
#undef DIFF
	return NULL;
}

/* weir_decode() has a fast path for plain Ethernet/IPv4/TCP-or-UDP frames;
 * weir_decode_slow() is the general decoder alone. For any input both must
 * give the same reason and leave the same weir_pkt, error or not (the fast
 * path touches nothing before it has decided to take the frame), starting
 * from the same poison. One assertion per frame: Check's are not free. */
static void ck_same_as_general(int lt, const uint8_t *d, uint32_t caplen,
			       uint32_t wire, uint64_t ts, enum weir_decode_err got,
			       const struct weir_pkt *p, uint8_t poison)
{
	struct weir_pkt q;
	memset(&q, poison, sizeof(q));
	enum weir_decode_err want = weir_decode_slow(lt, d, caplen, wire, ts, &q);
	const char *diff = got != want ? "the reason" : pkt_diff(p, &q);
	ck_assert_msg(diff == NULL, "fast path differs from the general path in %s "
		      "(lt %d caplen %u wire %u: %s vs %s)", diff, lt, caplen, wire,
		      weir_decode_err_name(got), weir_decode_err_name(want));
}

/* Decode from a heap buffer of exactly caplen bytes, with P poisoned first
 * so that a field the decoder forgets to set shows up as 0xa5.. garbage;
 * every decode is also checked against the general path alone. */
static enum weir_decode_err dec_lw(int lt, const uint8_t *d, uint32_t caplen,
				   uint32_t wire)
{
	free(heap);
	heap = malloc(caplen ? caplen : 1);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, d, caplen);
	memset(&P, 0xa5, sizeof(P));
	enum weir_decode_err e = weir_decode(lt, heap, caplen, wire, 777, &P);
	ck_same_as_general(lt, heap, caplen, wire, 777, e, &P, 0xa5);
	return e;
}

static enum weir_decode_err dec(const struct weir_pb *b)
{
	return dec_lw(b->linktype, b->buf, b->len, b->len);
}

#define EXPECT_ERR(call, want) do { \
	enum weir_decode_err e_ = (call); \
	ck_assert_msg(e_ == (want), "%s:%d: got %s, want %s", __FILE__, __LINE__, \
		      weir_decode_err_name(e_), weir_decode_err_name(want)); \
} while (0)

#define POFF ((uint32_t)(P.payload - heap))

static void ck_ip4(const uint8_t *a, const char *s)
{
	uint8_t want[16] = { 0 };
	ck_assert_int_eq(inet_pton(AF_INET, s, want), 1);
	ck_assert_msg(memcmp(a, want, 16) == 0, "address is not %s (or not zero-padded)", s);
}

static void ck_ip6(const uint8_t *a, const char *s)
{
	uint8_t want[16];
	ck_assert_int_eq(inet_pton(AF_INET6, s, want), 1);
	ck_assert_msg(memcmp(a, want, 16) == 0, "address is not %s", s);
}

/* The invariants every OK decode must satisfy, whatever the input. */
static void ck_sane(uint32_t caplen)
{
	ck_assert_uint_le((uint32_t)P.l2_len + P.l3_hdr_len + P.l4_hdr_len, caplen);
	ck_assert_ptr_nonnull(P.payload);
	ck_assert_msg(P.payload >= heap && P.payload + P.payload_caplen <= heap + caplen,
		      "payload outside the frame");
	ck_assert_uint_le(P.payload_caplen, P.l4_payload_len);
	ck_assert(P.family == WEIR_AF_INET || P.family == WEIR_AF_INET6 ||
		  P.family == WEIR_AF_ARP);
	ck_assert_uint_le(P.vlan_depth + P.mpls_depth, WEIR_DECODE_MAX_TAGS);
	ck_assert_uint_eq(P.frag & ~(WEIR_FRAG_IS | WEIR_FRAG_FIRST | WEIR_FRAG_MORE), 0);
	if (P.family != WEIR_AF_ARP)
		ck_assert_uint_ge(P.ip_len, P.l3_hdr_len);
}

static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,            /* MSS 1460 */
	4, 2,                        /* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0, /* timestamps */
	1,                           /* NOP */
	3, 3, 7,                     /* window scale 7 */
};

/* ---- the plain case, field by field ------------------------------------ */

START_TEST(eth_ipv4_tcp_fields)
{
	struct weir_pb b;
	struct weir_pb_ip4_opt io = { .ttl = 57, .tos = 0x28, .id = 0xbeef, .df = 1 };
	struct weir_pb_tcp_opt to = { .seq = 1000, .ack = 2000, .win = 4321 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "192.168.1.10", "10.1.2.3", &io);
	weir_pb_tcp(&b, 40000, 443, WEIR_TH_PSH | WEIR_TH_ACK, &to);
	uint32_t po = weir_pb_payload(&b, NULL, 100);
	weir_pb_finish(&b);
	ck_assert_uint_eq(b.linktype, WEIR_LINK_ETHERNET);

	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.ts_ns, 777);
	ck_assert_uint_eq(P.wire_len, b.len);
	ck_assert_uint_eq(P.cap_len, b.len);
	ck_assert_uint_eq(P.family, WEIR_AF_INET);
	ck_assert_uint_eq(P.ip_ver, 4);
	ck_assert_uint_eq(P.proto, 6);
	ck_assert_uint_eq(P.vlan_id, 0);
	ck_assert_uint_eq(P.vlan_depth, 0);
	ck_assert_uint_eq(P.mpls_depth, 0);
	ck_ip4(P.src, "192.168.1.10");
	ck_ip4(P.dst, "10.1.2.3");
	ck_assert_uint_eq(P.sport, 40000);
	ck_assert_uint_eq(P.dport, 443);
	ck_assert_uint_eq(P.ttl, 57);
	ck_assert_uint_eq(P.tos, 0x28);
	ck_assert_uint_eq(P.ip_len, 20 + 20 + 100);
	ck_assert_uint_eq(P.l2_len, 14);
	ck_assert_uint_eq(P.l3_hdr_len, 20);
	ck_assert_uint_eq(P.l4_hdr_len, 20);
	ck_assert_uint_eq(P.frag, 0);          /* DF alone is not a fragment */
	ck_assert_uint_eq(P.reply, 0);
	ck_assert_uint_eq(P.frag_id, 0xbeef);
	ck_assert_uint_eq(P.frag_off, 0);
	ck_assert_uint_eq(P.tcp_flags, WEIR_TH_PSH | WEIR_TH_ACK);
	ck_assert_uint_eq(P.tcp_opts, 0);
	ck_assert_uint_eq(P.tcp_win, 4321);
	ck_assert_uint_eq(P.tcp_seq, 1000);
	ck_assert_uint_eq(P.tcp_ack, 2000);
	ck_assert_uint_eq(P.tcp_mss, 0);
	ck_assert_uint_eq(P.tcp_wscale, 0);
	ck_assert_uint_eq(P.icmp_type, 0);
	ck_assert_uint_eq(P.icmp_id, 0);
	ck_assert_uint_eq(P.l4_payload_len, 100);
	ck_assert_uint_eq(P.payload_caplen, 100);
	ck_assert_uint_eq(POFF, po);
}
END_TEST

START_TEST(ethernet_padding_is_not_payload)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_udp(&b, 53, 5353);
	weir_pb_payload(&b, NULL, 2);
	weir_pb_trailer(&b, 60 - 14 - 20 - 8 - 2);
	weir_pb_finish(&b);
	ck_assert_uint_eq(b.len, 60);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_len, 30);
	ck_assert_uint_eq(P.l4_payload_len, 2);
	ck_assert_uint_eq(P.payload_caplen, 2);
	ck_assert_uint_eq(P.sport, 53);
	ck_assert_uint_eq(P.dport, 5353);
	ck_assert_uint_eq(P.l4_hdr_len, 8);
	ck_assert_uint_eq(P.tcp_flags, 0);
	ck_assert_uint_eq(P.tcp_seq, 0);
}
END_TEST

/* ---- link types --------------------------------------------------------- */

static void build_v4_udp(struct weir_pb *b)
{
	weir_pb_ipv4(b, "172.16.0.1", "172.16.0.2", NULL);
	weir_pb_udp(b, 1111, 2222);
	weir_pb_payload(b, NULL, 10);
	weir_pb_finish(b);
}

static void build_v6_tcp(struct weir_pb *b)
{
	weir_pb_ipv6(b, "2001:db8::1", "2001:db8::2", NULL);
	weir_pb_tcp(b, 3333, 80, WEIR_TH_SYN, NULL);
	weir_pb_finish(b);
}

static void ck_v4_udp(uint32_t l2)
{
	ck_sane(P.cap_len);
	ck_assert_uint_eq(P.family, WEIR_AF_INET);
	ck_assert_uint_eq(P.l2_len, l2);
	ck_ip4(P.src, "172.16.0.1");
	ck_assert_uint_eq(P.proto, 17);
	ck_assert_uint_eq(P.sport, 1111);
	ck_assert_uint_eq(P.dport, 2222);
	ck_assert_uint_eq(P.l4_payload_len, 10);
}

static void ck_v6_tcp(uint32_t l2)
{
	ck_sane(P.cap_len);
	ck_assert_uint_eq(P.family, WEIR_AF_INET6);
	ck_assert_uint_eq(P.ip_ver, 6);
	ck_assert_uint_eq(P.l2_len, l2);
	ck_ip6(P.src, "2001:db8::1");
	ck_ip6(P.dst, "2001:db8::2");
	ck_assert_uint_eq(P.proto, 6);
	ck_assert_uint_eq(P.sport, 3333);
	ck_assert_uint_eq(P.dport, 80);
	ck_assert_uint_eq(P.tcp_flags, WEIR_TH_SYN);
	ck_assert_uint_eq(P.ip_len, 60);
	ck_assert_uint_eq(P.l3_hdr_len, 40);
}

START_TEST(link_sll_and_sll2)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_sll(&b);
	build_v4_udp(&b);
	ck_assert_uint_eq(b.linktype, WEIR_LINK_SLL);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(16);

	weir_pb_init(&b);
	weir_pb_sll2(&b);
	build_v6_tcp(&b);
	ck_assert_uint_eq(b.linktype, WEIR_LINK_SLL2);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v6_tcp(20);

	/* SLL protocol 0x0004 = raw 802.2 LLC frames: not IP */
	weir_pb_init(&b);
	uint32_t s = weir_pb_sll(&b);
	build_v4_udp(&b);
	b.buf[s + 14] = 0x00;
	b.buf[s + 15] = 0x04;
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
}
END_TEST

START_TEST(link_null_and_loop)
{
	static const uint32_t v6_afs[] = { 10, 24, 28, 30 };
	struct weir_pb b;

	/* host order (little-endian) AF_INET */
	weir_pb_init(&b);
	weir_pb_null(&b, 0, 0);
	build_v4_udp(&b);
	ck_assert_uint_eq(b.linktype, WEIR_LINK_NULL);
	ck_assert_uint_eq(b.buf[0], 2);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(4);

	/* every AF_INET6 value, in both byte orders, on both link types */
	for (unsigned i = 0; i < 4; i++) {
		for (int net = 0; net < 2; net++) {
			weir_pb_init(&b);
			weir_pb_null(&b, v6_afs[i], net);
			build_v6_tcp(&b);
			EXPECT_ERR(dec(&b), WEIR_DEC_OK);
			ck_v6_tcp(4);
			/* a big-endian host's DLT_NULL capture */
			EXPECT_ERR(dec_lw(WEIR_LINK_NULL, b.buf, b.len, b.len), WEIR_DEC_OK);
			EXPECT_ERR(dec_lw(WEIR_LINK_LOOP, b.buf, b.len, b.len), WEIR_DEC_OK);
		}
	}

	/* network order AF_INET: DLT_LOOP */
	weir_pb_init(&b);
	weir_pb_null(&b, 2, 1);
	build_v4_udp(&b);
	ck_assert_uint_eq(b.linktype, WEIR_LINK_LOOP);
	ck_assert_uint_eq(b.buf[3], 2);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(4);

	/* AF_APPLETALK-ish value: not IP */
	weir_pb_init(&b);
	weir_pb_null(&b, 7, 0);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
}
END_TEST

START_TEST(link_raw_ip)
{
	static const int raw_lts[] = { WEIR_LINK_RAW, WEIR_LINK_RAW_DLT12, WEIR_LINK_RAW_DLT14 };
	struct weir_pb b4, b6;

	weir_pb_init(&b4);
	build_v4_udp(&b4);
	weir_pb_init(&b6);
	build_v6_tcp(&b6);
	ck_assert_uint_eq(b4.linktype, WEIR_LINK_RAW);

	for (unsigned i = 0; i < 3; i++) {
		EXPECT_ERR(dec_lw(raw_lts[i], b4.buf, b4.len, b4.len), WEIR_DEC_OK);
		ck_v4_udp(0);
		EXPECT_ERR(dec_lw(raw_lts[i], b6.buf, b6.len, b6.len), WEIR_DEC_OK);
		ck_v6_tcp(0);
	}
	EXPECT_ERR(dec_lw(WEIR_LINK_IPV4, b4.buf, b4.len, b4.len), WEIR_DEC_OK);
	ck_v4_udp(0);
	EXPECT_ERR(dec_lw(WEIR_LINK_IPV6, b6.buf, b6.len, b6.len), WEIR_DEC_OK);
	ck_v6_tcp(0);
	/* the fixed-version link types insist on their version */
	EXPECT_ERR(dec_lw(WEIR_LINK_IPV4, b6.buf, b6.len, b6.len), WEIR_DEC_BAD_IP_VERSION);
	EXPECT_ERR(dec_lw(WEIR_LINK_IPV6, b4.buf, b4.len, b4.len), WEIR_DEC_BAD_IP_VERSION);
	/* version 5 on a raw link */
	b4.buf[0] = 0x55;
	EXPECT_ERR(dec_lw(WEIR_LINK_RAW, b4.buf, b4.len, b4.len), WEIR_DEC_BAD_IP_VERSION);
	/* nothing at all */
	EXPECT_ERR(dec_lw(WEIR_LINK_RAW, b4.buf, 0, 0), WEIR_DEC_TRUNC_L3);
}
END_TEST

START_TEST(link_ppp)
{
	struct weir_pb b;
	for (int hdlc = 0; hdlc < 2; hdlc++) {
		weir_pb_init(&b);
		weir_pb_ppp(&b, hdlc);
		build_v4_udp(&b);
		ck_assert_uint_eq(b.linktype, WEIR_LINK_PPP);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_v4_udp(hdlc ? 4 : 2);
		EXPECT_ERR(dec_lw(WEIR_LINK_PPP_SERIAL, b.buf, b.len, b.len), WEIR_DEC_OK);

		weir_pb_init(&b);
		weir_pb_ppp(&b, hdlc);
		build_v6_tcp(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_v6_tcp(hdlc ? 4 : 2);
	}
	/* protocol-field compression: 1-byte protocol 0x21 */
	static const uint8_t pfc_hdr[] = { 0x21 };
	weir_pb_init(&b);
	weir_pb_ipv4(&b, "172.16.0.1", "172.16.0.2", NULL);
	weir_pb_udp(&b, 1111, 2222);
	weir_pb_payload(&b, NULL, 10);
	weir_pb_finish(&b);
	uint8_t f[WEIR_PB_MAX + 1];
	memcpy(f, pfc_hdr, 1);
	memcpy(f + 1, b.buf, b.len);
	EXPECT_ERR(dec_lw(WEIR_LINK_PPP, f, b.len + 1, b.len + 1), WEIR_DEC_OK);
	ck_v4_udp(1);
	/* LCP is not IP */
	f[0] = 0xc0;
	f[1] = 0x21;
	EXPECT_ERR(dec_lw(WEIR_LINK_PPP, f, 40, 40), WEIR_DEC_NOT_IP);
	EXPECT_ERR(dec_lw(WEIR_LINK_PPP, f, 1, 1), WEIR_DEC_TRUNC_L2);
	EXPECT_ERR(dec_lw(WEIR_LINK_PPP, f, 0, 0), WEIR_DEC_TRUNC_L2);
}
END_TEST

START_TEST(link_unknown_and_supported)
{
	static const uint8_t junk[64] = { 0 };
	EXPECT_ERR(dec_lw(147, junk, sizeof(junk), sizeof(junk)), WEIR_DEC_BAD_LINKTYPE);
	EXPECT_ERR(dec_lw(127, junk, sizeof(junk), sizeof(junk)), WEIR_DEC_BAD_LINKTYPE);
	static const int yes[] = { 0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276 };
	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(weir_decode_linktype_supported(yes[i]), "linktype %d", yes[i]);
	ck_assert(!weir_decode_linktype_supported(127));
	ck_assert(!weir_decode_linktype_supported(239));
	ck_assert(!weir_decode_linktype_supported(-1));
}
END_TEST

START_TEST(error_names_are_distinct)
{
	for (int i = 0; i < WEIR_DEC_ERR_MAX; i++) {
		const char *n = weir_decode_err_name((enum weir_decode_err)i);
		ck_assert_str_ne(n, "unknown");
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(n, weir_decode_err_name((enum weir_decode_err)j));
	}
	ck_assert_str_eq(weir_decode_err_name(WEIR_DEC_ERR_MAX), "unknown");
	ck_assert_str_eq(weir_decode_err_name((enum weir_decode_err)-1), "unknown");
	ck_assert_str_eq(weir_decode_err_name(WEIR_DEC_OK), "ok");
}
END_TEST

/* ---- VLAN, MPLS, PPPoE, LLC ------------------------------------------- */

START_TEST(vlan_tags)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_vlan(&b, 0x8100, 100);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(18);
	ck_assert_uint_eq(P.vlan_id, 100);
	ck_assert_uint_eq(P.vlan_depth, 1);

	/* QinQ: 802.1ad outer, 802.1Q inner; the inner id is kept */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_vlan(&b, 0x88a8, 200);
	weir_pb_vlan(&b, 0x8100, 300);
	build_v6_tcp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v6_tcp(22);
	ck_assert_uint_eq(P.vlan_id, 300);
	ck_assert_uint_eq(P.vlan_depth, 2);

	/* pre-standard 0x9100 QinQ; priority bits do not leak into the id */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t t = weir_pb_vlan(&b, 0x9100, 7);
	weir_pb_vlan(&b, 0x8100, 4095);
	build_v4_udp(&b);
	b.buf[t] |= 0xe0;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.vlan_id, 4095);
	ck_assert_uint_eq(P.vlan_depth, 2);

	/* Cisco VN-Tag (as zeek/Traces/vntag.pcap) before an 802.1Q tag */
	static const uint8_t vntag[6] = { 0, 0, 0, 0, 0x81, 0x00 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_l2raw(&b, 0x8926, vntag, sizeof(vntag));
	weir_pb_l2raw(&b, 0x8100, (const uint8_t[]){ 0x00, 0x0b, 0x08, 0x00 }, 4);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(24);
	ck_assert_uint_eq(P.vlan_id, 11);
	ck_assert_uint_eq(P.vlan_depth, 1);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 19, b.len), WEIR_DEC_TRUNC_L2);

	/* the most we follow, and one more */
	for (int n = WEIR_DECODE_MAX_TAGS; n <= WEIR_DECODE_MAX_TAGS + 1; n++) {
		weir_pb_init(&b);
		weir_pb_eth(&b);
		for (int i = 0; i < n; i++)
			weir_pb_vlan(&b, 0x8100, (uint16_t)(10 + i));
		build_v4_udp(&b);
		if (n == WEIR_DECODE_MAX_TAGS) {
			EXPECT_ERR(dec(&b), WEIR_DEC_OK);
			ck_assert_uint_eq(P.vlan_id, 10 + n - 1);
			ck_assert_uint_eq(P.vlan_depth, n);
		} else {
			EXPECT_ERR(dec(&b), WEIR_DEC_TOO_MANY_TAGS);
		}
	}
}
END_TEST

START_TEST(mpls_stacks)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_mpls(&b, 16);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(18);
	ck_assert_uint_eq(P.mpls_depth, 1);

	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_vlan(&b, 0x8100, 5);
	weir_pb_mpls(&b, 100);
	weir_pb_mpls(&b, 200);
	weir_pb_mpls(&b, 300);
	build_v6_tcp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v6_tcp(14 + 4 + 12);
	ck_assert_uint_eq(P.mpls_depth, 3);
	ck_assert_uint_eq(P.vlan_depth, 1);
	ck_assert_uint_eq(P.vlan_id, 5);

	/* VLAN tags and labels share the depth budget */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	for (int i = 0; i < 4; i++)
		weir_pb_vlan(&b, 0x8100, 1);
	for (int i = 0; i < WEIR_DECODE_MAX_TAGS - 4; i++)
		weir_pb_mpls(&b, 1000);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	weir_pb_init(&b);
	weir_pb_eth(&b);
	for (int i = 0; i < 4; i++)
		weir_pb_vlan(&b, 0x8100, 1);
	for (int i = 0; i < WEIR_DECODE_MAX_TAGS - 3; i++)
		weir_pb_mpls(&b, 1000);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_TOO_MANY_TAGS);
	weir_pb_init(&b);
	weir_pb_eth(&b);
	for (int i = 0; i < WEIR_DECODE_MAX_TAGS + 1; i++)
		weir_pb_mpls(&b, 1000);
	build_v4_udp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_TOO_MANY_TAGS);

	/* after the bottom of stack: version 5 is not IP, a pseudowire control
	 * word (nibble 0) is a valid non-IP frame, nothing at all is truncated */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t m = weir_pb_mpls(&b, 16);
	build_v4_udp(&b);
	b.buf[m + 4] = 0x55;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_IP_VERSION);
	b.buf[m + 4] = 0x00;
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, m + 4, b.len), WEIR_DEC_TRUNC_L3);
}
END_TEST

START_TEST(pppoe_session)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t s = weir_pb_pppoe(&b, 0x1234, 0);
	build_v4_udp(&b);
	ck_assert_uint_eq(b.buf[s + 6], 0x00);
	ck_assert_uint_eq(b.buf[s + 7], 0x21);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v4_udp(22);

	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_vlan(&b, 0x8100, 9);
	weir_pb_pppoe(&b, 1, 0);
	build_v6_tcp(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_v6_tcp(26);
	ck_assert_uint_eq(P.vlan_id, 9);

	/* PPP control protocols inside a session: not IP */
	static const uint16_t ctl[] = { 0xc021, 0x8021, 0x8057, 0xc023 };
	for (unsigned i = 0; i < 4; i++) {
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_pppoe(&b, 1, ctl[i]);
		weir_pb_payload(&b, NULL, 20);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
	}
	/* discovery stage (PADI) */
	static const uint8_t padi[] = { 0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_l2raw(&b, 0x8863, padi, sizeof(padi));
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
}
END_TEST

START_TEST(llc_snap_and_other_ethertypes)
{
	struct weir_pb b;
	uint8_t f[200];

	/* 802.3 + LLC (STP): not IP */
	static const uint8_t stp[] = { 0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 1,
				       0x00, 0x26, 0x42, 0x42, 0x03, 0, 0, 0, 0 };
	EXPECT_ERR(dec_lw(WEIR_LINK_ETHERNET, stp, sizeof(stp), 60), WEIR_DEC_NOT_IP);

	/* RFC 1042 SNAP carrying IPv4 */
	weir_pb_init(&b);
	build_v4_udp(&b);
	memset(f, 0, 14);
	f[12] = 0;
	f[13] = (uint8_t)(8 + b.len);
	static const uint8_t snap[] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	memcpy(f + 14, snap, 8);
	memcpy(f + 22, b.buf, b.len);
	EXPECT_ERR(dec_lw(WEIR_LINK_ETHERNET, f, 22 + b.len, 22 + b.len), WEIR_DEC_OK);
	ck_v4_udp(22);

	/* LLDP, RARP, IPX... */
	static const uint16_t others[] = { 0x88cc, 0x8035, 0x8137, 0x88e5, 0x0801 };
	for (unsigned i = 0; i < 5; i++) {
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_l2raw(&b, others[i], NULL, 46);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
	}
}
END_TEST

/* ---- ARP ------------------------------------------------------------------ */

START_TEST(arp_flows)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_arp(&b, 1, "10.0.0.1", "10.0.0.254");
	weir_pb_trailer(&b, 18);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.family, WEIR_AF_ARP);
	ck_assert_uint_eq(P.proto, WEIR_PROTO_ARP);
	ck_assert_uint_eq(P.ip_ver, 0);
	ck_ip4(P.src, "10.0.0.1");
	ck_ip4(P.dst, "10.0.0.254");
	ck_assert_uint_eq(P.sport, 0);
	ck_assert_uint_eq(P.dport, 0);
	ck_assert_uint_eq(P.l2_len, 14);
	ck_assert_uint_eq(P.l3_hdr_len, 28);
	ck_assert_uint_eq(P.l4_hdr_len, 0);
	ck_assert_uint_eq(P.l4_payload_len, 0);
	ck_assert_uint_eq(P.payload_caplen, 0);
	ck_assert_uint_eq(P.frag, 0);
	ck_assert_uint_eq(P.tcp_flags, 0);
	ck_assert_uint_eq(P.reply, 0);
	ck_assert_uint_eq(P.icmp_type, 1);      /* the opcode, for flowfeat */
	ck_assert_uint_eq(P.icmp_code, 0);

	/* the reply: sender and target swap, so the flow is the same pair */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_vlan(&b, 0x8100, 3);
	weir_pb_arp(&b, 2, "10.0.0.254", "10.0.0.1");
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_ip4(P.src, "10.0.0.254");
	ck_ip4(P.dst, "10.0.0.1");
	ck_assert_uint_eq(P.vlan_id, 3);
	ck_assert_uint_eq(P.reply, 1);
	ck_assert_uint_eq(P.icmp_type, 2);

	/* ARP for another protocol than IPv4: not ours */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t a = weir_pb_arp(&b, 1, "10.0.0.1", "10.0.0.2");
	weir_pb_finish(&b);
	b.buf[a + 2] = 0x86;
	b.buf[a + 3] = 0xdd;
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
	b.buf[a + 2] = 0x08;
	b.buf[a + 3] = 0x00;
	b.buf[a + 5] = 16;
	EXPECT_ERR(dec(&b), WEIR_DEC_NOT_IP);
	/* hardware length 255 reaches past the frame */
	b.buf[a + 5] = 4;
	b.buf[a + 4] = 255;
	EXPECT_ERR(dec(&b), WEIR_DEC_TRUNC_L3);
}
END_TEST

/* ---- IPv4 --------------------------------------------------------------- */

START_TEST(ipv4_options)
{
	static const uint8_t ra[] = { 0x94, 0x04, 0, 0 };        /* router alert */
	uint8_t rr[40];
	memset(rr, 1, sizeof(rr));                              /* 40 NOPs */
	const struct { const uint8_t *o; uint8_t n; uint32_t hl; } cases[] = {
		{ ra, 4, 24 }, { ra, 3, 24 }, { rr, 40, 60 }, { rr, 17, 40 },
	};
	for (unsigned i = 0; i < 4; i++) {
		struct weir_pb b;
		struct weir_pb_ip4_opt io = { .opts = cases[i].o, .opts_len = cases[i].n };
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_ipv4(&b, "1.2.3.4", "5.6.7.8", &io);
		weir_pb_tcp(&b, 10, 20, WEIR_TH_ACK, NULL);
		uint32_t po = weir_pb_payload(&b, NULL, 33);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_sane(b.len);
		ck_assert_uint_eq(P.l3_hdr_len, cases[i].hl);
		ck_assert_uint_eq(P.ip_len, cases[i].hl + 20 + 33);
		ck_assert_uint_eq(P.sport, 10);
		ck_assert_uint_eq(P.dport, 20);
		ck_assert_uint_eq(P.l4_payload_len, 33);
		ck_assert_uint_eq(POFF, po);
	}
}
END_TEST

START_TEST(ipv4_fragments)
{
	struct weir_pb b;
	/* first fragment: L4 header present, MF */
	struct weir_pb_ip4_opt first = { .id = 777, .mf = 1 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &first);
	weir_pb_udp(&b, 5000, 53);
	weir_pb_payload(&b, NULL, 1472);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS | WEIR_FRAG_FIRST | WEIR_FRAG_MORE);
	ck_assert_uint_eq(P.frag_id, 777);
	ck_assert_uint_eq(P.frag_off, 0);
	ck_assert_uint_eq(P.sport, 5000);
	ck_assert_uint_eq(P.dport, 53);
	ck_assert_uint_eq(P.l4_hdr_len, 8);

	/* a middle fragment: no L4 fields, the protocol is still known */
	struct weir_pb_ip4_opt mid = { .id = 777, .mf = 1, .frag_off = 1480, .proto = 17 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t ip = weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &mid);
	uint32_t po = weir_pb_payload(&b, NULL, 1480);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS | WEIR_FRAG_MORE);
	ck_assert_uint_eq(P.frag_off, 1480);
	ck_assert_uint_eq(P.proto, 17);
	ck_assert_uint_eq(P.sport, 0);
	ck_assert_uint_eq(P.dport, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 0);
	ck_assert_uint_eq(P.l4_payload_len, 1480);
	ck_assert_uint_eq(POFF, po);
	/* the same bytes read as a TCP fragment stay header-less too */
	b.buf[ip + 9] = 6;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_flags, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 0);

	/* the last fragment */
	struct weir_pb_ip4_opt last = { .id = 777, .frag_off = 2960, .proto = 17 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &last);
	weir_pb_payload(&b, NULL, 100);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS);
	ck_assert_uint_eq(P.frag_off, 2960);

	/* impossible: the datagram would end past 65535 */
	struct weir_pb_ip4_opt far = { .frag_off = 65528, .proto = 17 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &far);
	weir_pb_payload(&b, NULL, 16);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_FRAG);
	/* ... but exactly 65535 is fine */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &far);
	weir_pb_payload(&b, NULL, 7);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);

	/* impossible: "more fragments" with nothing in this one */
	struct weir_pb_ip4_opt empty = { .mf = 1, .frag_off = 8, .proto = 17 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &empty);
	weir_pb_trailer(&b, 26);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_FRAG);

	/* a first fragment too short for its TCP header (tiny-fragment
	 * evasion): Argus counts it in a flow with ports 0, so do we */
	struct weir_pb_ip4_opt tiny = { .mf = 1, .proto = 6, .id = 99 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &tiny);
	po = weir_pb_payload(&b, NULL, 8);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS | WEIR_FRAG_FIRST | WEIR_FRAG_MORE);
	ck_assert_uint_eq(P.proto, 6);
	ck_assert_uint_eq(P.sport, 0);
	ck_assert_uint_eq(P.dport, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 0);
	ck_assert_uint_eq(P.l4_payload_len, 8);
	ck_assert_uint_eq(POFF, po);
	/* ... the same for UDP and ICMP with fewer than 8 bytes */
	static const uint8_t l4short[] = { 17, 1, 58 };
	for (unsigned i = 0; i < 3; i++) {
		struct weir_pb_ip4_opt t4 = { .mf = 1, .proto = l4short[i] };
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &t4);
		weir_pb_payload(&b, NULL, 4);
		weir_pb_trailer(&b, 8);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_assert_uint_eq(P.proto, l4short[i]);
		ck_assert_uint_eq(P.sport, 0);
		ck_assert_uint_eq(P.l4_payload_len, 4);
		ck_assert_uint_eq(P.payload_caplen, 4);
	}
	/* an unfragmented TCP packet that short is truncated */
	struct weir_pb_ip4_opt whole = { .proto = 6 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &whole);
	weir_pb_payload(&b, NULL, 8);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_TRUNC_L4);

	/* a first fragment that ends inside the TCP options: the fixed header
	 * and the options it carries are used (Argus keys it normally) */
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 8, 10, 0, 0, 0,
					1, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct weir_pb_tcp_opt to = { .opts = opts, .opts_len = sizeof(opts) };
	struct weir_pb_ip4_opt f24 = { .mf = 1 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	ip = weir_pb_ipv4(&b, "10.9.9.1", "10.9.9.2", &f24);
	weir_pb_tcp(&b, 12345, 80, WEIR_TH_SYN, &to);
	weir_pb_finish(&b);
	b.buf[ip + 3] = 20 + 24;                    /* this fragment: 24 bytes of TCP */
	b.buf[ip + 10] = 0;
	b.buf[ip + 11] = 0;
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 14 + 44, 14 + 44), WEIR_DEC_OK);
	ck_sane(14 + 44);
	ck_assert_uint_eq(P.sport, 12345);
	ck_assert_uint_eq(P.dport, 80);
	ck_assert_uint_eq(P.tcp_flags, WEIR_TH_SYN);
	ck_assert_uint_eq(P.l4_hdr_len, 24);
	ck_assert_uint_eq(P.l4_payload_len, 0);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_MSS);   /* the rest is cut */
	/* not fragmented, the same header is broken */
	b.buf[ip + 6] = 0;
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 14 + 44, 14 + 44), WEIR_DEC_BAD_TCP_HDR);
}
END_TEST

START_TEST(ipv4_bad_headers)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t ip = weir_pb_ipv4(&b, "1.1.1.1", "2.2.2.2", NULL);
	weir_pb_tcp(&b, 1, 2, WEIR_TH_SYN, NULL);
	weir_pb_payload(&b, NULL, 40);
	weir_pb_finish(&b);
	uint8_t good[WEIR_PB_MAX];
	memcpy(good, b.buf, b.len);

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		b.buf[ip] = (uint8_t)(0x40 | ihl);
		EXPECT_ERR(dec(&b), WEIR_DEC_BAD_IHL);
	}
	/* IHL 15 (60 bytes) with only 59 bytes captured from the IP start */
	b.buf[ip] = 0x4f;
	EXPECT_ERR(dec_lw(b.linktype, b.buf, ip + 59, b.len), WEIR_DEC_TRUNC_L3);
	/* version 6 in an IPv4 ethertype */
	b.buf[ip] = 0x65;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_IP_VERSION);

	/* total length below the header, above the wire */
	memcpy(b.buf, good, b.len);
	b.buf[ip + 2] = 0;
	b.buf[ip + 3] = 19;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_IP_LEN);
	/* above the wire: cut short on the wire, kept (as Argus counts it)
	 * and flagged, with the lengths the frame actually holds */
	b.buf[ip + 3] = 20 + 20 + 40 + 1;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_short, 1);
	ck_assert_uint_eq(P.ip_len, b.len - ip);
	b.buf[ip + 2] = 0xff;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_short, 1);
	ck_assert_uint_le(P.l4_payload_len, b.len - ip - 40);
	memcpy(b.buf, good, b.len);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_short, 0);
	/* exactly the header: a TCP packet with no room for TCP */
	b.buf[ip + 2] = 0;
	b.buf[ip + 3] = 20;
	EXPECT_ERR(dec(&b), WEIR_DEC_TRUNC_L4);

	/* total length 0 (TSO capture): the wire length decides */
	memcpy(b.buf, good, b.len);
	b.buf[ip + 2] = 0;
	b.buf[ip + 3] = 0;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_len, b.len - 14);
	ck_assert_uint_eq(P.l4_payload_len, 40);
	/* ... also when the snaplen cut it: 9000-byte TSO frame, 100 captured */
	EXPECT_ERR(dec_lw(b.linktype, b.buf, b.len, 9014), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_len, 9000);
	ck_assert_uint_eq(P.l4_payload_len, 9000 - 40);
	ck_assert_uint_eq(P.payload_caplen, 40);
}
END_TEST

START_TEST(snaplen_truncated_frames_count)
{
	/* 54-byte snaplen, as zeek/Traces/tcp/retransmit-fast009.pcap */
	struct weir_pb b;
	struct weir_pb_tcp_opt to = { .seq = 5 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.88.85", "192.168.0.27", NULL);
	weir_pb_tcp(&b, 50368, 80, WEIR_TH_ACK | WEIR_TH_PSH, &to);
	weir_pb_payload(&b, NULL, 1448);
	weir_pb_finish(&b);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 54, b.len), WEIR_DEC_OK);
	ck_sane(54);
	ck_assert_uint_eq(P.ip_len, 1488);
	ck_assert_uint_eq(P.l4_payload_len, 1448);
	ck_assert_uint_eq(P.payload_caplen, 0);
	ck_assert_uint_eq(P.wire_len, b.len);
	ck_assert_uint_eq(P.cap_len, 54);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 60, b.len), WEIR_DEC_OK);
	ck_assert_uint_eq(P.payload_caplen, 6);
	/* one byte short of the TCP header is not enough */
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 53, b.len), WEIR_DEC_TRUNC_L4);
	/* a caller claiming a wire shorter than the capture: the capture wins */
	EXPECT_ERR(dec_lw(b.linktype, b.buf, b.len, 10), WEIR_DEC_OK);
	ck_assert_uint_eq(P.wire_len, 10);
	ck_assert_uint_eq(P.payload_caplen, 1448);
}
END_TEST

/* ---- IPv6 --------------------------------------------------------------- */

START_TEST(ipv6_fields)
{
	struct weir_pb b;
	struct weir_pb_ip6_opt o = { .hlim = 255, .tclass = 0xb8, .flow = 0x12345 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "fe80::1", "ff02::1:2", &o);
	weir_pb_udp(&b, 546, 547);
	uint32_t po = weir_pb_payload(&b, NULL, 50);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.ttl, 255);
	ck_assert_uint_eq(P.tos, 0xb8);
	ck_ip6(P.src, "fe80::1");
	ck_ip6(P.dst, "ff02::1:2");
	ck_assert_uint_eq(P.ip_len, 40 + 8 + 50);
	ck_assert_uint_eq(P.frag, 0);
	ck_assert_uint_eq(P.frag_id, 0);
	ck_assert_uint_eq(POFF, po);

	/* payload length beyond the wire; zero payload length = wire decides */
	uint32_t ip = weir_pb_find(&b, WEIR_PB_IPV6, 0);
	b.buf[ip + 5] = 59;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);   /* cut short on the wire: kept */
	ck_assert_uint_eq(P.ip_short, 1);
	ck_assert_uint_eq(P.ip_len, 98);
	b.buf[ip + 4] = 0;
	b.buf[ip + 5] = 0;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.ip_len, 98);
	ck_assert_uint_eq(P.l4_payload_len, 50);
	/* version 4 in an IPv6 ethertype */
	b.buf[ip] = 0x45;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_IP_VERSION);
}
END_TEST

START_TEST(ipv6_extension_chain)
{
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", NULL);
	weir_pb_ip6ext(&b, 0, 8);       /* hop-by-hop */
	weir_pb_ip6ext(&b, 60, 16);     /* destination options */
	weir_pb_ip6ext(&b, 43, 24);     /* routing */
	weir_pb_ah(&b, 12);             /* AH: 24 bytes */
	weir_pb_ip6ext(&b, 60, 8);
	weir_pb_tcp(&b, 4444, 22, WEIR_TH_SYN, NULL);
	uint32_t po = weir_pb_payload(&b, NULL, 5);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.l3_hdr_len, 40 + 8 + 16 + 24 + 24 + 8);
	ck_assert_uint_eq(P.proto, 6);
	ck_assert_uint_eq(P.sport, 4444);
	ck_assert_uint_eq(P.dport, 22);
	ck_assert_uint_eq(P.l4_payload_len, 5);
	ck_assert_uint_eq(POFF, po);
	ck_assert_uint_eq(P.frag, 0);

	/* ESP ends the chain: it is the protocol */
	static const uint8_t esp[24] = { 0, 0, 0x10, 0, 0, 0, 0, 1 };
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", NULL);
	weir_pb_ip6ext(&b, 60, 8);
	uint32_t eo = weir_pb_l4raw(&b, 50, esp, sizeof(esp));
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.proto, 50);
	ck_assert_uint_eq(P.sport, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 0);
	ck_assert_uint_eq(P.l4_payload_len, 24);
	ck_assert_uint_eq(POFF, eo);

	/* no next header */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", NULL);
	weir_pb_ip6ext(&b, 0, 8);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.proto, 59);
	ck_assert_uint_eq(P.l3_hdr_len, 48);
	ck_assert_uint_eq(P.l4_payload_len, 0);

	/* the most extension headers we follow, and one more */
	for (int n = WEIR_DECODE_MAX_EXT; n <= WEIR_DECODE_MAX_EXT + 1; n++) {
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", NULL);
		for (int i = 0; i < n; i++)
			weir_pb_ip6ext(&b, 60, 8);
		weir_pb_udp(&b, 1, 2);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), n == WEIR_DECODE_MAX_EXT ? WEIR_DEC_OK
							     : WEIR_DEC_BAD_EXT_HDR);
	}

	/* a header whose length runs past the payload length */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", NULL);
	uint32_t e1 = weir_pb_ip6ext(&b, 0, 8);
	weir_pb_udp(&b, 1, 2);
	weir_pb_payload(&b, NULL, 4);
	weir_pb_finish(&b);
	b.buf[e1 + 1] = 2;              /* 24 bytes > 8 + 12 available */
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_EXT_HDR);
	/* ... and the same cut by the snaplen instead: truncated */
	b.buf[e1 + 1] = 0;
	EXPECT_ERR(dec_lw(b.linktype, b.buf, e1 + 1, b.len), WEIR_DEC_TRUNC_L3);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, e1 + 7, b.len), WEIR_DEC_TRUNC_L3);
	/* a chain that claims a header where the payload has ended */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", (struct weir_pb_ip6_opt[]){{ .nh = 60 }});
	weir_pb_payload(&b, NULL, 4);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_EXT_HDR);
	/* the fragment header too */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::a", "2001:db8::b", (struct weir_pb_ip6_opt[]){{ .nh = 44 }});
	weir_pb_payload(&b, NULL, 4);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_EXT_HDR);
}
END_TEST

START_TEST(ipv6_fragments)
{
	struct weir_pb b;
	/* first fragment after a hop-by-hop header */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::1", "2001:db8::2", NULL);
	weir_pb_ip6ext(&b, 0, 8);
	weir_pb_ip6frag(&b, 0xdeadbeef, 0, 1);
	weir_pb_udp(&b, 53, 33000);
	weir_pb_payload(&b, NULL, 1000);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS | WEIR_FRAG_FIRST | WEIR_FRAG_MORE);
	ck_assert_uint_eq(P.frag_id, 0xdeadbeef);
	ck_assert_uint_eq(P.frag_off, 0);
	ck_assert_uint_eq(P.l3_hdr_len, 56);
	ck_assert_uint_eq(P.proto, 17);
	ck_assert_uint_eq(P.sport, 53);
	ck_assert_uint_eq(P.dport, 33000);

	/* a later one: no L4 header, even if its bytes look like headers */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::1", "2001:db8::2", NULL);
	uint32_t fh = weir_pb_ip6frag(&b, 0xdeadbeef, 1008, 0);
	uint32_t po = weir_pb_payload(&b, NULL, 200);
	weir_pb_finish(&b);
	b.buf[fh] = 60;                 /* "next header" of the whole datagram */
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.frag, WEIR_FRAG_IS);
	ck_assert_uint_eq(P.frag_off, 1008);
	ck_assert_uint_eq(P.proto, 60);
	ck_assert_uint_eq(P.l3_hdr_len, 48);
	ck_assert_uint_eq(P.sport, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 0);
	ck_assert_uint_eq(P.l4_payload_len, 200);
	ck_assert_uint_eq(POFF, po);

	/* atomic fragment (offset 0, no M): a whole datagram */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::1", "2001:db8::2", NULL);
	weir_pb_ip6frag(&b, 5, 0, 0);
	weir_pb_tcp(&b, 8080, 9090, WEIR_TH_ACK, NULL);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.frag, 0);
	ck_assert_uint_eq(P.sport, 8080);
	ck_assert_uint_eq(P.l3_hdr_len, 48);

	/* impossible ones */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::1", "2001:db8::2", NULL);
	weir_pb_ip6frag(&b, 5, 65528, 0);
	weir_pb_payload(&b, NULL, 16);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_FRAG);
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv6(&b, "2001:db8::1", "2001:db8::2", NULL);
	weir_pb_ip6frag(&b, 5, 8, 1);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_FRAG);
}
END_TEST

/* ---- TCP options ---------------------------------------------------------- */

static void tcp_with_opts(struct weir_pb *b, const uint8_t *o, uint8_t n)
{
	struct weir_pb_tcp_opt to = { .opts = o, .opts_len = n };
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_ipv4(b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_tcp(b, 1000, 80, WEIR_TH_SYN, &to);
	weir_pb_payload(b, NULL, 3);
	weir_pb_finish(b);
}

START_TEST(tcp_options)
{
	struct weir_pb b;
	tcp_with_opts(&b, syn_opts, sizeof(syn_opts));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.l4_hdr_len, 40);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_MSS | WEIR_TCPOPT_SACK_OK |
					WEIR_TCPOPT_TIMESTAMP | WEIR_TCPOPT_WSCALE);
	ck_assert_uint_eq(P.tcp_mss, 1460);
	ck_assert_uint_eq(P.tcp_wscale, 7);
	ck_assert_uint_eq(P.l4_payload_len, 3);

	static const uint8_t sack[] = { 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2,
					0, 0, 0, 3, 0, 0, 0, 4 };
	tcp_with_opts(&b, sack, sizeof(sack));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_SACK);

	/* malformed: length 0 after a good MSS stops the walk, keeps the MSS */
	static const uint8_t zero_len[] = { 2, 4, 0x02, 0x18, 0x22, 0, 3, 3, 7 };
	tcp_with_opts(&b, zero_len, sizeof(zero_len));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_MSS);
	ck_assert_uint_eq(P.tcp_mss, 536);
	ck_assert_uint_eq(P.tcp_wscale, 0);
	/* an option running past the header */
	static const uint8_t overrun[] = { 4, 2, 8, 30, 0, 0, 0, 0 };
	tcp_with_opts(&b, overrun, sizeof(overrun));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_SACK_OK);
	/* a known option with the wrong length */
	static const uint8_t bad_mss[] = { 2, 3, 5, 3, 3, 7, 0, 0 };
	tcp_with_opts(&b, bad_mss, sizeof(bad_mss));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, 0);
	/* the kind byte alone at the very end */
	static const uint8_t lone_kind[] = { 1, 1, 1, 2 };
	tcp_with_opts(&b, lone_kind, sizeof(lone_kind));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, 0);
	/* unknown options are stepped over */
	static const uint8_t unknown[] = { 30, 6, 1, 2, 3, 4, 2, 4, 1, 0 };
	tcp_with_opts(&b, unknown, sizeof(unknown));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_MSS);
	ck_assert_uint_eq(P.tcp_mss, 256);
	/* EOL ends the list even if bytes follow */
	static const uint8_t eol[] = { 0, 2, 4, 5, 0 };
	tcp_with_opts(&b, eol, sizeof(eol));
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.tcp_opts, 0);
}
END_TEST

START_TEST(tcp_bad_data_offset)
{
	struct weir_pb b;
	tcp_with_opts(&b, NULL, 0);
	uint32_t th = weir_pb_find(&b, WEIR_PB_TCP, 0);
	for (uint8_t d = 0; d < 5; d++) {
		b.buf[th + 12] = (uint8_t)(d << 4);
		EXPECT_ERR(dec(&b), WEIR_DEC_BAD_TCP_HDR);
	}
	/* 15 words = 60 bytes, more than the 23 bytes of IP payload */
	b.buf[th + 12] = 0xf0;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_TCP_HDR);
	/* 5 words + the 3 payload bytes is still under 24: doff 6 is bad */
	b.buf[th + 12] = 0x60;
	EXPECT_ERR(dec(&b), WEIR_DEC_BAD_TCP_HDR);
	/* options cut by the snaplen: truncated, not bad */
	tcp_with_opts(&b, syn_opts, sizeof(syn_opts));
	th = weir_pb_find(&b, WEIR_PB_TCP, 0);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, th + 30, b.len), WEIR_DEC_TRUNC_L4);
}
END_TEST

/* ---- ICMP flow key -------------------------------------------------------- */

static void icmp4(struct weir_pb *b, const char *s, const char *d, uint8_t type,
		  uint8_t code, uint16_t id, uint16_t seq)
{
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_ipv4(b, s, d, NULL);
	weir_pb_icmp(b, type, code, id, seq);
	weir_pb_payload(b, NULL, 56);
	weir_pb_finish(b);
}

START_TEST(icmp_echo_request_and_reply_share_a_key)
{
	struct weir_pb b;
	icmp4(&b, "172.16.133.2", "172.217.11.78", 8, 0, 1226, 3);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.proto, 1);
	ck_assert_uint_eq(P.sport, 0x0800);    /* 2048, as UNSW-NB15 shows */
	ck_assert_uint_eq(P.dport, 1226);
	ck_assert_uint_eq(P.icmp_type, 8);
	ck_assert_uint_eq(P.icmp_code, 0);
	ck_assert_uint_eq(P.icmp_id, 1226);
	ck_assert_uint_eq(P.icmp_seq, 3);
	ck_assert_uint_eq(P.reply, 0);
	ck_assert_uint_eq(P.l4_hdr_len, 8);
	ck_assert_uint_eq(P.l4_payload_len, 56);
	ck_assert_uint_eq(P.tcp_flags, 0);

	icmp4(&b, "172.217.11.78", "172.16.133.2", 0, 0, 1226, 3);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0800);
	ck_assert_uint_eq(P.dport, 1226);
	ck_assert_uint_eq(P.icmp_type, 0);
	ck_assert_uint_eq(P.icmp_seq, 3);
	ck_assert_uint_eq(P.reply, 1);      /* Argus: a dst packet of the requester */

	/* a nonzero code does not split an echo exchange */
	icmp4(&b, "1.1.1.1", "2.2.2.2", 8, 9, 77, 1);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0800);
	ck_assert_uint_eq(P.icmp_code, 9);

	/* timestamp, information and mask pairs map to the request */
	static const uint8_t pairs[][2] = { { 13, 14 }, { 15, 16 }, { 17, 18 } };
	for (unsigned i = 0; i < 3; i++) {
		icmp4(&b, "1.1.1.1", "2.2.2.2", pairs[i][0], 0, 5, 6);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_assert_uint_eq(P.sport, pairs[i][0] << 8);
		ck_assert_uint_eq(P.dport, 0);
		ck_assert_uint_eq(P.icmp_id, 5);
		ck_assert_uint_eq(P.reply, 0);
		icmp4(&b, "2.2.2.2", "1.1.1.1", pairs[i][1], 0, 5, 6);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_assert_uint_eq(P.sport, pairs[i][0] << 8);
		ck_assert_uint_eq(P.reply, 1);
		ck_assert_uint_eq(P.dport, 0);
	}
	/* router advertisement/solicitation: type only */
	icmp4(&b, "1.1.1.1", "2.2.2.2", 10, 0, 0, 0);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 10 << 8);
	ck_assert_uint_eq(P.icmp_id, 0);
}
END_TEST

START_TEST(icmp_errors_key_on_the_quoted_datagram)
{
	struct weir_pb b;
	/* port unreachable quoting a UDP datagram: dport = its destination */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "192.168.1.1", "192.168.1.102", NULL);
	weir_pb_icmp(&b, 3, 3, 0, 0);
	weir_pb_ipv4(&b, "192.168.1.102", "192.168.1.1", NULL);
	weir_pb_udp(&b, 53, 59207);
	weir_pb_payload(&b, NULL, 20);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.sport, 0x0303);
	ck_assert_uint_eq(P.dport, 59207);
	ck_assert_uint_eq(P.icmp_type, 3);
	ck_assert_uint_eq(P.icmp_code, 3);
	ck_assert_uint_eq(P.icmp_id, 0);
	ck_assert_uint_eq(P.l4_payload_len, 20 + 8 + 20);
	/* quoted datagram cut after its IP header: no port to read */
	uint32_t ql = weir_pb_find(&b, WEIR_PB_UDP, 0);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, ql + 3, b.len), WEIR_DEC_OK);
	ck_assert_uint_eq(P.dport, 0);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, ql + 4, b.len), WEIR_DEC_OK);
	ck_assert_uint_eq(P.dport, 59207);

	/* host unreachable: the first 16 bits of the quoted destination */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_icmp(&b, 3, 1, 0, 0);
	weir_pb_ipv4(&b, "10.0.0.2", "192.168.241.9", NULL);
	weir_pb_udp(&b, 1, 2);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0301);
	ck_assert_uint_eq(P.dport, 0xc0a8);   /* 49320, as UNSW-NB15 shows */

	/* protocol unreachable: the quoted protocol */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_icmp(&b, 3, 2, 0, 0);
	weir_pb_ipv4(&b, "10.0.0.2", "10.0.0.1", NULL);
	weir_pb_l4raw(&b, 47, NULL, 8);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0302);
	ck_assert_uint_eq(P.dport, 47);

	/* net redirect: quoted destination too; TOS redirect: nothing */
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	uint32_t ic = weir_pb_icmp(&b, 5, 0, 0, 0);
	weir_pb_ipv4(&b, "10.0.0.2", "8.8.4.4", NULL);
	weir_pb_udp(&b, 1, 2);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0500);
	ck_assert_uint_eq(P.dport, 0x0808);
	b.buf[ic + 1] = 2;
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0502);
	ck_assert_uint_eq(P.dport, 0);

	/* time exceeded, and an unreachable with nothing quoted */
	icmp4(&b, "10.0.0.1", "10.0.0.2", 11, 0, 0, 0);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0b00);
	ck_assert_uint_eq(P.dport, 0);
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_icmp(&b, 3, 3, 0, 0);
	weir_pb_finish(&b);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 0x0303);
	ck_assert_uint_eq(P.dport, 0);

	/* ICMP header cut short */
	icmp4(&b, "10.0.0.1", "10.0.0.2", 8, 0, 1, 1);
	EXPECT_ERR(dec_lw(b.linktype, b.buf, 14 + 20 + 7, b.len), WEIR_DEC_TRUNC_L4);
}
END_TEST

static void icmp6(struct weir_pb *b, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_ipv6(b, "3ffe:507::1", "3ffe:501::2", NULL);
	weir_pb_icmp6(b, type, code, id, seq);
	weir_pb_payload(b, NULL, 16);
	weir_pb_finish(b);
}

START_TEST(icmp6_key)
{
	struct weir_pb b;
	icmp6(&b, 128, 0, 0x7620, 256);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_sane(b.len);
	ck_assert_uint_eq(P.proto, 58);
	ck_assert_uint_eq(P.sport, 128);
	ck_assert_uint_eq(P.dport, 0);
	ck_assert_uint_eq(P.icmp_id, 0x7620);
	ck_assert_uint_eq(P.icmp_seq, 256);
	icmp6(&b, 129, 0, 0x7620, 256);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 128);
	ck_assert_uint_eq(P.dport, 0);
	ck_assert_uint_eq(P.icmp_type, 129);
	ck_assert_uint_eq(P.icmp_id, 0x7620);
	ck_assert_uint_eq(P.reply, 0);      /* Argus keeps ICMPv6 senders as src */

	static const uint8_t map[][2] = {
		{ 131, 130 }, { 132, 130 }, { 130, 130 }, { 134, 133 }, { 133, 133 },
		{ 136, 135 }, { 135, 135 }, { 145, 144 }, { 143, 143 }, { 137, 137 },
		{ 2, 2 }, { 3, 3 }, { 4, 4 },
	};
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		icmp6(&b, map[i][0], 0, 9, 9);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_assert_msg(P.sport == map[i][1], "type %u keyed %u", map[i][0], P.sport);
		ck_assert_uint_eq(P.icmp_id, 0);
	}
	/* destination unreachable, port: dport carries the code */
	icmp6(&b, 1, 4, 0, 0);
	EXPECT_ERR(dec(&b), WEIR_DEC_OK);
	ck_assert_uint_eq(P.sport, 1);
	ck_assert_uint_eq(P.dport, 4);
}
END_TEST

START_TEST(other_protocols_key_by_number)
{
	static const uint8_t protos[] = { 47, 132, 89, 2, 103, 41 };
	for (unsigned i = 0; i < sizeof(protos); i++) {
		struct weir_pb b;
		weir_pb_init(&b);
		weir_pb_eth(&b);
		weir_pb_ipv4(&b, "10.1.1.1", "10.2.2.2", NULL);
		uint32_t o = weir_pb_l4raw(&b, protos[i], NULL, 36);
		weir_pb_finish(&b);
		EXPECT_ERR(dec(&b), WEIR_DEC_OK);
		ck_sane(b.len);
		ck_assert_uint_eq(P.proto, protos[i]);
		ck_assert_uint_eq(P.sport, 0);
		ck_assert_uint_eq(P.dport, 0);
		ck_assert_uint_eq(P.l4_hdr_len, 0);
		ck_assert_uint_eq(P.l4_payload_len, 36);
		ck_assert_uint_eq(POFF, o);
		ck_assert_uint_eq(P.icmp_type, 0);
		ck_assert_uint_eq(P.tcp_seq, 0);
	}
}
END_TEST

/* ---- truncation at every point ------------------------------------------ */

/* A frame and the offsets at which each header ends; every caplen below
 * the end of the L4 header must give the error of the header it cuts. */
struct cut_case {
	const char *name;
	struct weir_pb b;
	uint32_t l2_end, l3_end, l4_end;
};

static void cut_sweep(struct cut_case *c)
{
	for (uint32_t cap = 0; cap <= c->b.len; cap++) {
		enum weir_decode_err want = cap < c->l2_end ? WEIR_DEC_TRUNC_L2 :
					    cap < c->l3_end ? WEIR_DEC_TRUNC_L3 :
					    cap < c->l4_end ? WEIR_DEC_TRUNC_L4 :
					    WEIR_DEC_OK;
		enum weir_decode_err got = dec_lw(c->b.linktype, c->b.buf, cap, c->b.len);
		ck_assert_msg(got == want, "%s cut at %u: got %s, want %s", c->name, cap,
			      weir_decode_err_name(got), weir_decode_err_name(want));
		if (got == WEIR_DEC_OK) {
			ck_sane(cap);
			ck_assert_uint_eq(P.payload_caplen, cap - c->l4_end <
					  P.l4_payload_len ? cap - c->l4_end : P.l4_payload_len);
		}
	}
}

START_TEST(truncation_at_every_header_boundary)
{
	static struct cut_case c;
	struct weir_pb *b = &c.b;
	static const uint8_t ipopt[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	struct weir_pb_ip4_opt io = { .opts = ipopt, .opts_len = 8 };
	struct weir_pb_tcp_opt to = { .opts = syn_opts, .opts_len = sizeof(syn_opts) };

	c.name = "eth/qinq/ipv4+opts/tcp+opts";
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_vlan(b, 0x88a8, 1);
	weir_pb_vlan(b, 0x8100, 2);
	weir_pb_ipv4(b, "1.2.3.4", "5.6.7.8", &io);
	weir_pb_tcp(b, 1, 2, WEIR_TH_SYN, &to);
	weir_pb_payload(b, NULL, 10);
	weir_pb_finish(b);
	c.l2_end = 22; c.l3_end = 22 + 28; c.l4_end = 50 + 40;
	cut_sweep(&c);

	c.name = "eth/pppoe/ipv6/hbh/frag/udp";
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_pppoe(b, 7, 0);
	weir_pb_ipv6(b, "::1", "::2", NULL);
	weir_pb_ip6ext(b, 0, 16);
	weir_pb_ip6frag(b, 1, 0, 1);
	weir_pb_udp(b, 1, 2);
	weir_pb_payload(b, NULL, 16);
	weir_pb_finish(b);
	c.l2_end = 22; c.l3_end = 22 + 64; c.l4_end = 86 + 8;
	cut_sweep(&c);

	c.name = "sll/ipv4/icmp";
	weir_pb_init(b);
	weir_pb_sll(b);
	weir_pb_ipv4(b, "1.2.3.4", "5.6.7.8", NULL);
	weir_pb_icmp(b, 8, 0, 1, 1);
	weir_pb_payload(b, NULL, 4);
	weir_pb_finish(b);
	c.l2_end = 16; c.l3_end = 36; c.l4_end = 44;
	cut_sweep(&c);

	c.name = "sll2/mpls/mpls/ipv6/icmp6";
	weir_pb_init(b);
	weir_pb_sll2(b);
	weir_pb_mpls(b, 1);
	weir_pb_mpls(b, 2);
	weir_pb_ipv6(b, "::1", "::2", NULL);
	weir_pb_icmp6(b, 128, 0, 1, 1);
	weir_pb_finish(b);
	c.l2_end = 28; c.l3_end = 68; c.l4_end = 76;
	cut_sweep(&c);

	c.name = "null/ipv6/dst/ah/tcp";
	weir_pb_init(b);
	weir_pb_null(b, 30, 0);
	weir_pb_ipv6(b, "::1", "::2", NULL);
	weir_pb_ip6ext(b, 60, 8);
	weir_pb_ah(b, 4);
	weir_pb_tcp(b, 1, 2, WEIR_TH_ACK, NULL);
	weir_pb_payload(b, NULL, 1);
	weir_pb_finish(b);
	c.l2_end = 4; c.l3_end = 4 + 40 + 8 + 16; c.l4_end = 68 + 20;
	cut_sweep(&c);

	c.name = "eth/arp";
	weir_pb_init(b);
	weir_pb_eth(b);
	weir_pb_arp(b, 1, "1.1.1.1", "2.2.2.2");
	weir_pb_finish(b);
	c.l2_end = 14; c.l3_end = 42; c.l4_end = 42;
	cut_sweep(&c);

	c.name = "raw/ipv4/gre";
	weir_pb_init(b);
	weir_pb_raw(b, WEIR_LINK_RAW);
	weir_pb_ipv4(b, "1.2.3.4", "5.6.7.8", NULL);
	weir_pb_l4raw(b, 47, NULL, 12);
	weir_pb_finish(b);
	c.l2_end = 0; c.l3_end = 20; c.l4_end = 20;
	cut_sweep(&c);

	c.name = "ppp/ipv4/udp";
	weir_pb_init(b);
	weir_pb_ppp(b, 1);
	weir_pb_ipv4(b, "1.2.3.4", "5.6.7.8", NULL);
	weir_pb_udp(b, 1, 2);
	weir_pb_finish(b);
	c.l2_end = 4; c.l3_end = 24; c.l4_end = 32;
	cut_sweep(&c);
}
END_TEST

/* ---- robustness sweeps (run these under the sanitize setup) ------------ */

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static int sample_frames(struct weir_pb *out, int max)
{
	int n = 0;
	struct weir_pb_tcp_opt to = { .opts = syn_opts, .opts_len = sizeof(syn_opts) };
	struct weir_pb_ip4_opt fr = { .mf = 1 };

	weir_pb_init(&out[n]);
	weir_pb_eth(&out[n]);
	weir_pb_vlan(&out[n], 0x8100, 1);
	weir_pb_ipv4(&out[n], "1.2.3.4", "5.6.7.8", &fr);
	weir_pb_tcp(&out[n], 1, 2, WEIR_TH_SYN, &to);
	weir_pb_payload(&out[n], NULL, 30);
	weir_pb_finish(&out[n++]);

	weir_pb_init(&out[n]);
	weir_pb_eth(&out[n]);
	weir_pb_mpls(&out[n], 5);
	weir_pb_ipv6(&out[n], "::1", "::2", NULL);
	weir_pb_ip6ext(&out[n], 0, 8);
	weir_pb_ip6ext(&out[n], 43, 16);
	weir_pb_ip6frag(&out[n], 9, 0, 1);
	weir_pb_ah(&out[n], 8);
	weir_pb_udp(&out[n], 1, 2);
	weir_pb_payload(&out[n], NULL, 12);
	weir_pb_finish(&out[n++]);

	weir_pb_init(&out[n]);
	weir_pb_eth(&out[n]);
	weir_pb_pppoe(&out[n], 1, 0);
	weir_pb_ipv4(&out[n], "1.2.3.4", "5.6.7.8", NULL);
	weir_pb_icmp(&out[n], 3, 3, 0, 0);
	weir_pb_ipv4(&out[n], "5.6.7.8", "1.2.3.4", NULL);
	weir_pb_udp(&out[n], 3, 4);
	weir_pb_finish(&out[n++]);

	weir_pb_init(&out[n]);
	weir_pb_sll2(&out[n]);
	weir_pb_ipv6(&out[n], "::1", "::2", NULL);
	weir_pb_icmp6(&out[n], 135, 0, 0, 0);
	weir_pb_payload(&out[n], NULL, 24);
	weir_pb_finish(&out[n++]);

	weir_pb_init(&out[n]);
	weir_pb_eth(&out[n]);
	weir_pb_arp(&out[n], 1, "1.1.1.1", "2.2.2.2");
	weir_pb_finish(&out[n++]);

	weir_pb_init(&out[n]);
	weir_pb_null(&out[n], 0, 0);
	weir_pb_ipv4(&out[n], "1.2.3.4", "5.6.7.8", NULL);
	weir_pb_udp(&out[n], 1, 2);
	weir_pb_finish(&out[n++]);
	ck_assert_int_le(n, max);
	return n;
}

START_TEST(every_prefix_of_valid_frames)
{
	static struct weir_pb fr[8];
	int n = sample_frames(fr, 8);
	for (int i = 0; i < n; i++) {
		EXPECT_ERR(dec(&fr[i]), WEIR_DEC_OK);
		for (uint32_t cap = 0; cap <= fr[i].len; cap++) {
			/* cut by the snaplen, and cut on the wire too */
			enum weir_decode_err e = dec_lw(fr[i].linktype, fr[i].buf, cap, fr[i].len);
			ck_assert_int_lt(e, WEIR_DEC_ERR_MAX);
			if (e == WEIR_DEC_OK)
				ck_sane(cap);
			e = dec_lw(fr[i].linktype, fr[i].buf, cap, cap);
			ck_assert_int_lt(e, WEIR_DEC_ERR_MAX);
			if (e == WEIR_DEC_OK)
				ck_sane(cap);
		}
	}
}
END_TEST

START_TEST(random_byte_flips)
{
	static struct weir_pb fr[8];
	static const int lts[] = { 0, 1, 9, 101, 108, 113, 228, 229, 276 };
	int n = sample_frames(fr, 8);
	unsigned by_err[WEIR_DEC_ERR_MAX] = { 0 };
	uint8_t f[WEIR_PB_MAX];

	rng_state = 0x9e3779b97f4a7c15ull;   /* fixed seed: reproducible */
	for (int it = 0; it < 200000; it++) {
		const struct weir_pb *s = &fr[rng() % (unsigned)n];
		memcpy(f, s->buf, s->len);
		int flips = 1 + (int)(rng() % 4);
		for (int k = 0; k < flips; k++) {
			/* bias towards the headers, where the decisions are */
			uint32_t at = rng() % (s->len < 96 ? s->len : 96);
			f[at] ^= (uint8_t)(1u << (rng() % 8));
			if (rng() % 4 == 0)
				f[at] = (uint8_t)rng();
		}
		uint32_t cap = rng() % 3 ? s->len : rng() % (s->len + 1);
		uint32_t wire = rng() % 4 ? s->len : cap + rng() % 100;
		int lt = rng() % 8 ? s->linktype : lts[rng() % 9];
		enum weir_decode_err e = dec_lw(lt, f, cap, wire);
		ck_assert_int_lt(e, WEIR_DEC_ERR_MAX);
		by_err[e]++;
		if (e == WEIR_DEC_OK)
			ck_sane(cap);
	}
	printf("byte flips, 200000 frames:");
	for (int i = 0; i < WEIR_DEC_ERR_MAX; i++)
		printf(" %s=%u", weir_decode_err_name((enum weir_decode_err)i), by_err[i]);
	printf("\n");
	/* the sweep must actually reach both the good and the broken paths */
	ck_assert_uint_gt(by_err[WEIR_DEC_OK], 10000);
	ck_assert_uint_gt(by_err[WEIR_DEC_TRUNC_L3], 0);
	ck_assert_uint_gt(by_err[WEIR_DEC_BAD_IHL], 0);
	ck_assert_uint_gt(by_err[WEIR_DEC_BAD_IP_LEN], 0);
}
END_TEST

START_TEST(pktbuild_frames_are_valid_on_the_wire)
{
	/* The builder's checksums, checked the receiver's way: a correct
	 * ones'-complement sum over the header (and pseudo-header) is 0. */
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	uint32_t ip = weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	uint32_t uh = weir_pb_udp(&b, 1234, 53);
	weir_pb_payload(&b, "abcde", 5);
	weir_pb_finish(&b);
	uint32_t s = 0;
	for (uint32_t i = 0; i < 20; i += 2)
		s += (uint32_t)b.buf[ip + i] << 8 | b.buf[ip + i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ck_assert_uint_eq(s, 0xffff);
	ck_assert_uint_eq(b.buf[uh + 5], 13);   /* UDP length */
	ck_assert_uint_eq(weir_pb_find(&b, WEIR_PB_UDP, 0), uh);
	ck_assert_uint_eq(weir_pb_find(&b, WEIR_PB_UDP, 1), UINT32_MAX);
	ck_assert_uint_eq(weir_pb_find(&b, WEIR_PB_IPV4, 0), 14);
}
END_TEST

START_TEST(pktbuild_pcap_round_trip)
{
	/* Frames written with the builder's pcap writer come back through
	 * weir_capture with their link type, lengths and nanosecond stamps. */
	char path[] = "/tmp/weir-pktbuild-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct weir_pb b;
	weir_pb_init(&b);
	weir_pb_eth(&b);
	weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_tcp(&b, 1234, 80, WEIR_TH_SYN, NULL);
	weir_pb_finish(&b);
	FILE *f = weir_pb_pcap_open(path, b.linktype);
	ck_assert_ptr_nonnull(f);
	weir_pb_pcap_write(f, b.buf, b.len, b.len, 1500000000123456789ull);
	weir_pb_pcap_write(f, b.buf, 40, b.len, 1500000001000000000ull);
	ck_assert_int_eq(weir_pb_pcap_close(f), 0);

	char err[256];
	struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
	ck_assert_msg(cap != NULL, "%s", err);
	ck_assert_int_eq(weir_capture_linktype(cap), WEIR_LINK_ETHERNET);
	struct weir_frame fr;
	ck_assert_int_eq(weir_capture_next(cap, &fr, err, sizeof(err)), 1);
	ck_assert_uint_eq(fr.ts_ns, 1500000000123456789ull);
	ck_assert_uint_eq(fr.caplen, b.len);
	EXPECT_ERR(dec_lw(WEIR_LINK_ETHERNET, fr.data, fr.caplen, fr.wire_len), WEIR_DEC_OK);
	ck_assert_uint_eq(P.dport, 80);
	ck_assert_int_eq(weir_capture_next(cap, &fr, err, sizeof(err)), 1);
	ck_assert_uint_eq(fr.caplen, 40);
	ck_assert_uint_eq(fr.wire_len, b.len);
	EXPECT_ERR(dec_lw(WEIR_LINK_ETHERNET, fr.data, fr.caplen, fr.wire_len), WEIR_DEC_TRUNC_L4);
	ck_assert_int_eq(weir_capture_next(cap, &fr, err, sizeof(err)), 0);
	weir_capture_close(cap);
	unlink(path);
}
END_TEST

/* ---- the fast path against the general path ----------------------------- */

/* Which path decoded p. The fast path stores whole 8-byte words, padding
 * included (as zero); the general path leaves padding alone. So after a
 * non-zero poison, the padding byte after tos says which path it was. */
static int took_fast_path(const struct weir_pkt *p)
{
	return ((const uint8_t *)p)[offsetof(struct weir_pkt, tos) + 1] == 0;
}

/* Frames the fast path is for (each must take it), to be broken below. */
enum { FP_TCP, FP_TCP_TS, FP_UDP_PAD, FP_TCP_PAD, FP_TCP_SYN, FP_N };

static void fast_path_frames(struct weir_pb *out)
{
	static const uint8_t nop_nop_ts[] = { 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 };
	struct weir_pb_ip4_opt df = { .df = 1, .ttl = 33, .tos = 0xb8, .id = 0x1234 };
	struct weir_pb_tcp_opt to = { .seq = 0x01020304, .ack = 0xa0b0c0d0, .win = 0x8001 };
	struct weir_pb_tcp_opt ts = { .seq = 7, .ack = 9, .opts = nop_nop_ts,
				      .opts_len = sizeof(nop_nop_ts) };
	struct weir_pb_tcp_opt syn = { .seq = 99, .opts = syn_opts, .opts_len = sizeof(syn_opts) };

	weir_pb_init(&out[FP_TCP]);
	weir_pb_eth(&out[FP_TCP]);
	weir_pb_ipv4(&out[FP_TCP], "192.0.2.1", "198.51.100.2", &df);
	weir_pb_tcp(&out[FP_TCP], 50123, 443, WEIR_TH_PSH | WEIR_TH_ACK, &to);
	weir_pb_payload(&out[FP_TCP], NULL, 10);
	weir_pb_finish(&out[FP_TCP]);

	weir_pb_init(&out[FP_TCP_TS]);
	weir_pb_eth(&out[FP_TCP_TS]);
	weir_pb_ipv4(&out[FP_TCP_TS], "10.0.0.1", "10.0.0.2", NULL);
	weir_pb_tcp(&out[FP_TCP_TS], 22, 40000, WEIR_TH_ACK, &ts);
	weir_pb_payload(&out[FP_TCP_TS], NULL, 5);
	weir_pb_finish(&out[FP_TCP_TS]);

	/* 60 bytes with Ethernet padding after the datagram */
	weir_pb_init(&out[FP_UDP_PAD]);
	weir_pb_eth(&out[FP_UDP_PAD]);
	weir_pb_ipv4(&out[FP_UDP_PAD], "10.9.8.7", "10.1.2.3", NULL);
	weir_pb_udp(&out[FP_UDP_PAD], 5353, 53);
	weir_pb_payload(&out[FP_UDP_PAD], NULL, 3);
	weir_pb_trailer(&out[FP_UDP_PAD], 60 - 14 - 20 - 8 - 3);
	weir_pb_finish(&out[FP_UDP_PAD]);

	/* the benchmark's 64-byte frame: a bare ACK, padded */
	weir_pb_init(&out[FP_TCP_PAD]);
	weir_pb_eth(&out[FP_TCP_PAD]);
	weir_pb_ipv4(&out[FP_TCP_PAD], "10.0.0.5", "192.168.0.1", NULL);
	weir_pb_tcp(&out[FP_TCP_PAD], 1024, 80, WEIR_TH_ACK, NULL);
	weir_pb_trailer(&out[FP_TCP_PAD], 6);
	weir_pb_finish(&out[FP_TCP_PAD]);

	/* a SYN with the option list the walk is for (syn_opts, 20 bytes) */
	weir_pb_init(&out[FP_TCP_SYN]);
	weir_pb_eth(&out[FP_TCP_SYN]);
	weir_pb_ipv4(&out[FP_TCP_SYN], "10.0.0.7", "10.0.0.8", NULL);
	weir_pb_tcp(&out[FP_TCP_SYN], 40001, 80, WEIR_TH_SYN, &syn);
	weir_pb_finish(&out[FP_TCP_SYN]);
}

/* One way to break a fast-path frame: `len` (1 or 2) bytes at `off` bytes
 * into the Ethernet (E), IPv4 (I) or L4 (L) header become `val`; `fast`
 * says whether the full frame must still take the fast path (1), must not
 * (0), or either (-1); `frames` is the set of frames it applies to. */
struct fp_patch {
	const char *what;
	char layer;
	uint8_t off, len;
	uint16_t val;
	int fast;
	unsigned frames;
};

#define FP(i) (1u << (i))
#define FP_ALL (FP(FP_N) - 1)
#define FP_TCPS (FP(FP_TCP) | FP(FP_TCP_TS) | FP(FP_TCP_PAD) | FP(FP_TCP_SYN))

static const struct fp_patch fp_patches[] = {
	{ "unchanged", 'E', 0, 1, 0x00, 1, FP_ALL },
	{ "IPv6 ethertype", 'E', 12, 2, 0x86dd, 0, FP_ALL },
	{ "VLAN ethertype", 'E', 12, 2, 0x8100, 0, FP_ALL },
	{ "802.3 length", 'E', 12, 2, 0x0040, 0, FP_ALL },
	{ "ARP ethertype", 'E', 12, 2, 0x0806, 0, FP_ALL },
	{ "IHL 6, no options there", 'I', 0, 1, 0x46, 0, FP_ALL },
	{ "IHL 15", 'I', 0, 1, 0x4f, 0, FP_ALL },
	{ "IHL 4", 'I', 0, 1, 0x44, 0, FP_ALL },
	{ "IHL 0", 'I', 0, 1, 0x40, 0, FP_ALL },
	{ "version 6", 'I', 0, 1, 0x65, 0, FP_ALL },
	{ "version 5", 'I', 0, 1, 0x55, 0, FP_ALL },
	{ "total length 0 (TSO)", 'I', 2, 2, 0, 0, FP_ALL },
	{ "total length 1", 'I', 2, 2, 1, 0, FP_ALL },
	{ "total length 19", 'I', 2, 2, 19, 0, FP_ALL },
	{ "total length 20", 'I', 2, 2, 20, 0, FP_ALL },
	{ "total length 27", 'I', 2, 2, 27, 0, FP_ALL },
	{ "total length 28", 'I', 2, 2, 28, -1, FP_ALL },
	{ "total length 39", 'I', 2, 2, 39, 0, FP(FP_TCP) },
	{ "total length 40", 'I', 2, 2, 40, 1, FP(FP_TCP) },
	{ "total length 41", 'I', 2, 2, 41, 1, FP(FP_TCP) },
	{ "total length 51", 'I', 2, 2, 51, 0, FP(FP_TCP_TS) },
	{ "total length 52", 'I', 2, 2, 52, 1, FP(FP_TCP_TS) },
	{ "total length 46 (to the padding's end)", 'I', 2, 2, 46, 1, FP(FP_UDP_PAD) },
	{ "total length 47 (past the wire)", 'I', 2, 2, 47, 0, FP(FP_UDP_PAD) },
	{ "total length 1500", 'I', 2, 2, 1500, 0, FP_ALL },
	{ "total length 65535", 'I', 2, 2, 65535, 0, FP_ALL },
	{ "DF", 'I', 6, 2, 0x4000, 1, FP_ALL },
	{ "reserved flag", 'I', 6, 2, 0x8000, 1, FP_ALL },
	{ "MF", 'I', 6, 2, 0x2000, 0, FP_ALL },
	{ "DF and MF", 'I', 6, 2, 0x6000, 0, FP_ALL },
	{ "offset 8", 'I', 6, 2, 0x0001, 0, FP_ALL },
	{ "offset 8, MF", 'I', 6, 2, 0x2001, 0, FP_ALL },
	{ "last offset", 'I', 6, 2, 0x1fff, 0, FP_ALL },
	{ "id 0", 'I', 4, 2, 0, 1, FP_ALL },
	{ "id 65535", 'I', 4, 2, 0xffff, 1, FP_ALL },
	{ "ttl 0", 'I', 8, 1, 0, 1, FP_ALL },
	{ "tos 255", 'I', 1, 1, 0xff, 1, FP_ALL },
	{ "ICMP", 'I', 9, 1, 1, 0, FP_ALL },
	{ "ICMPv6", 'I', 9, 1, 58, 0, FP_ALL },
	{ "protocol 0", 'I', 9, 1, 0, 0, FP_ALL },
	{ "GRE", 'I', 9, 1, 47, 0, FP_ALL },
	{ "protocol 255", 'I', 9, 1, 255, 0, FP_ALL },
	{ "TCP header as UDP", 'I', 9, 1, 17, 1, FP(FP_TCP) },
	{ "UDP header as TCP", 'I', 9, 1, 6, -1, FP(FP_UDP_PAD) },
	{ "data offset 0", 'L', 12, 1, 0x00, 0, FP_TCPS },
	{ "data offset 4", 'L', 12, 1, 0x40, 0, FP_TCPS },
	{ "data offset 5", 'L', 12, 1, 0x50, 1, FP(FP_TCP) },
	{ "data offset 6", 'L', 12, 1, 0x60, -1, FP_TCPS },
	{ "data offset 7", 'L', 12, 1, 0x70, -1, FP_TCPS },
	{ "data offset 8, no timestamp there", 'L', 12, 1, 0x80, 0, FP(FP_TCP) },
	{ "data offset 8", 'L', 12, 1, 0x80, 1, FP(FP_TCP_TS) },
	{ "data offset 9", 'L', 12, 1, 0x90, -1, FP_TCPS },
	{ "data offset 15", 'L', 12, 1, 0xf0, 0, FP_TCPS },
	{ "data offset 5, low nibble set", 'L', 12, 1, 0x5f, 1, FP(FP_TCP) },
	{ "data offset 5 on options", 'L', 12, 1, 0x50, 1, FP(FP_TCP_SYN) },
	{ "data offset 6 in options", 'L', 12, 1, 0x60, 1, FP(FP_TCP_SYN) },
	{ "data offset 11, beyond the segment", 'L', 12, 1, 0xb0, 0, FP(FP_TCP_SYN) },
	{ "timestamp length 11", 'L', 23, 1, 11, 1, FP(FP_TCP_TS) },
	{ "timestamp length 2", 'L', 23, 1, 2, 1, FP(FP_TCP_TS) },
	{ "EOL first", 'L', 20, 1, 0, 1, FP(FP_TCP_TS) | FP(FP_TCP_SYN) },
	{ "MSS, not NOP NOP", 'L', 20, 2, 0x0204, 1, FP(FP_TCP_TS) },
	{ "SACK-permitted before TS", 'L', 20, 2, 0x0402, 1, FP(FP_TCP_TS) },
	{ "window scale kind", 'L', 22, 1, 3, 1, FP(FP_TCP_TS) },
	{ "NOP NOP timestamp first", 'L', 20, 2, 0x0101, 1, FP(FP_TCP_SYN) },
	{ "MSS length 5", 'L', 21, 1, 5, 1, FP(FP_TCP_SYN) },
	{ "MSS length 40", 'L', 21, 1, 40, 1, FP(FP_TCP_SYN) },
	{ "MSS length 0", 'L', 21, 1, 0, 1, FP(FP_TCP_SYN) },
	{ "window scale 14", 'L', 39, 1, 14, 1, FP(FP_TCP_SYN) },
	{ "window scale length 4", 'L', 38, 1, 4, 1, FP(FP_TCP_SYN) },
	{ "SACK block", 'L', 24, 2, 0x050a, 1, FP(FP_TCP_SYN) },
	{ "all flags", 'L', 13, 1, 0xff, 1, FP(FP_TCP) },
	{ "UDP length 0", 'L', 4, 2, 0, 1, FP(FP_UDP_PAD) },
	{ "UDP length 7", 'L', 4, 2, 7, 1, FP(FP_UDP_PAD) },
	{ "UDP length 65535", 'L', 4, 2, 0xffff, 1, FP(FP_UDP_PAD) },
	{ "port 0", 'L', 0, 2, 0, 1, FP_ALL },
	{ "port 65535", 'L', 2, 2, 0xffff, 1, FP_ALL },
};

/* Each fast-path frame, each patch, every capture length from 0 and wire
 * lengths below, at and beyond the capture: dec_lw compares every decode
 * with the general path's. The full frames must take the path the table
 * says, so the comparisons are known to cover both. */
START_TEST(fast_path_equals_general_on_edge_cases)
{
	static struct weir_pb fr[FP_N];
	unsigned n_fast = 0, n_slow = 0;

	fast_path_frames(fr);
	for (int i = 0; i < FP_N; i++) {
		for (unsigned k = 0; k < sizeof(fp_patches) / sizeof(fp_patches[0]); k++) {
			const struct fp_patch *pt = &fp_patches[k];
			if (!(pt->frames & FP(i)))
				continue;
			uint8_t f[WEIR_PB_MAX];
			uint32_t len = fr[i].len;
			memcpy(f, fr[i].buf, len);
			uint32_t at = pt->off + (pt->layer == 'I' ? 14 : pt->layer == 'L' ? 34 : 0);
			if (pt->len == 2) {
				f[at] = (uint8_t)(pt->val >> 8);
				f[at + 1] = (uint8_t)pt->val;
			} else {
				f[at] = (uint8_t)pt->val;
			}

			enum weir_decode_err e = dec_lw(WEIR_LINK_ETHERNET, f, len, len);
			int fast = took_fast_path(&P);
			if (pt->fast >= 0)
				ck_assert_msg(fast == pt->fast, "frame %d, %s: fast path %s",
					      i, pt->what, fast ? "taken" : "not taken");
			if (fast)
				ck_assert_int_eq(e, WEIR_DEC_OK);
			n_fast += fast;
			n_slow += !fast;

			for (uint32_t cap = 0; cap <= len; cap++) {
				const uint32_t wires[] = { cap, len, len + 100, cap ? cap - 1 : 0, 0 };
				for (unsigned w = 0; w < sizeof(wires) / sizeof(wires[0]); w++)
					dec_lw(WEIR_LINK_ETHERNET, f, cap, wires[w]);
			}
			/* and on every other link type, where it must not apply */
			dec_lw(WEIR_LINK_SLL, f, len, len);
			dec_lw(WEIR_LINK_RAW, f + 14, len - 14, len - 14);
			dec_lw(WEIR_LINK_IPV4, f + 14, len - 14, len - 14);
		}
	}
	printf("fast path edge cases: %u full frames took it, %u did not\n", n_fast, n_slow);
}
END_TEST

/* What the fast path stores, against hand-written values rather than the
 * general path: a bug shared by both would pass the comparisons. */
START_TEST(fast_path_fields)
{
	static struct weir_pb fr[FP_N];
	fast_path_frames(fr);

	EXPECT_ERR(dec(&fr[FP_TCP]), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_sane(fr[FP_TCP].len);
	ck_assert_uint_eq(P.ts_ns, 777);
	ck_assert_uint_eq(P.wire_len, fr[FP_TCP].len);
	ck_assert_uint_eq(P.cap_len, fr[FP_TCP].len);
	ck_assert_uint_eq(P.family, WEIR_AF_INET);
	ck_assert_uint_eq(P.ip_ver, 4);
	ck_assert_uint_eq(P.proto, 6);
	ck_assert_uint_eq(P.vlan_id, 0);
	ck_assert_uint_eq(P.vlan_depth, 0);
	ck_assert_uint_eq(P.mpls_depth, 0);
	ck_ip4(P.src, "192.0.2.1");
	ck_ip4(P.dst, "198.51.100.2");
	ck_assert_uint_eq(P.sport, 50123);
	ck_assert_uint_eq(P.dport, 443);
	ck_assert_uint_eq(P.ttl, 33);
	ck_assert_uint_eq(P.tos, 0xb8);
	ck_assert_uint_eq(P.ip_len, 20 + 20 + 10);
	ck_assert_uint_eq(P.l2_len, 14);
	ck_assert_uint_eq(P.l3_hdr_len, 20);
	ck_assert_uint_eq(P.l4_hdr_len, 20);
	ck_assert_uint_eq(P.frag, 0);
	ck_assert_uint_eq(P.ip_short, 0);
	ck_assert_uint_eq(P.reply, 0);
	ck_assert_uint_eq(P.frag_id, 0x1234);
	ck_assert_uint_eq(P.frag_off, 0);
	ck_assert_uint_eq(P.tcp_flags, WEIR_TH_PSH | WEIR_TH_ACK);
	ck_assert_uint_eq(P.tcp_opts, 0);
	ck_assert_uint_eq(P.tcp_wscale, 0);
	ck_assert_uint_eq(P.tcp_win, 0x8001);
	ck_assert_uint_eq(P.tcp_mss, 0);
	ck_assert_uint_eq(P.tcp_seq, 0x01020304);
	ck_assert_uint_eq(P.tcp_ack, 0xa0b0c0d0);
	ck_assert_uint_eq(P.icmp_type, 0);
	ck_assert_uint_eq(P.icmp_code, 0);
	ck_assert_uint_eq(P.icmp_id, 0);
	ck_assert_uint_eq(P.icmp_seq, 0);
	ck_assert_uint_eq(P.l4_payload_len, 10);
	ck_assert_uint_eq(P.payload_caplen, 10);
	ck_assert_uint_eq(POFF, 54);

	EXPECT_ERR(dec(&fr[FP_TCP_TS]), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_assert_uint_eq(P.l4_hdr_len, 32);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_TIMESTAMP);
	ck_assert_uint_eq(P.tcp_seq, 7);
	ck_assert_uint_eq(P.tcp_ack, 9);
	ck_assert_uint_eq(P.l4_payload_len, 5);
	ck_assert_uint_eq(P.payload_caplen, 5);
	ck_assert_uint_eq(POFF, 66);

	/* padding is not payload; a short snaplen leaves less of it */
	EXPECT_ERR(dec(&fr[FP_UDP_PAD]), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_assert_uint_eq(P.proto, 17);
	ck_ip4(P.src, "10.9.8.7");
	ck_assert_uint_eq(P.sport, 5353);
	ck_assert_uint_eq(P.dport, 53);
	ck_assert_uint_eq(P.ip_len, 31);
	ck_assert_uint_eq(P.l4_hdr_len, 8);
	ck_assert_uint_eq(P.tcp_flags, 0);
	ck_assert_uint_eq(P.tcp_win, 0);
	ck_assert_uint_eq(P.tcp_seq, 0);
	ck_assert_uint_eq(P.tcp_ack, 0);
	ck_assert_uint_eq(P.l4_payload_len, 3);
	ck_assert_uint_eq(P.payload_caplen, 3);
	ck_assert_uint_eq(POFF, 42);
	EXPECT_ERR(dec_lw(WEIR_LINK_ETHERNET, fr[FP_UDP_PAD].buf, 43, 60), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_assert_uint_eq(P.cap_len, 43);
	ck_assert_uint_eq(P.wire_len, 60);
	ck_assert_uint_eq(P.payload_caplen, 1);
	ck_assert_uint_eq(P.l4_payload_len, 3);

	EXPECT_ERR(dec(&fr[FP_TCP_PAD]), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_assert_uint_eq(P.ip_len, 40);
	ck_assert_uint_eq(P.l4_payload_len, 0);
	ck_assert_uint_eq(P.payload_caplen, 0);
	ck_assert_uint_eq(POFF, 54);

	/* the option walk after the fast path */
	EXPECT_ERR(dec(&fr[FP_TCP_SYN]), WEIR_DEC_OK);
	ck_assert(took_fast_path(&P));
	ck_assert_uint_eq(P.l4_hdr_len, 40);
	ck_assert_uint_eq(P.tcp_flags, WEIR_TH_SYN);
	ck_assert_uint_eq(P.tcp_opts, WEIR_TCPOPT_MSS | WEIR_TCPOPT_SACK_OK |
			  WEIR_TCPOPT_TIMESTAMP | WEIR_TCPOPT_WSCALE);
	ck_assert_uint_eq(P.tcp_mss, 1460);
	ck_assert_uint_eq(P.tcp_wscale, 7);
	ck_assert_uint_eq(P.tcp_seq, 99);
	ck_assert_uint_eq(P.tcp_ack, 0);
	ck_assert_uint_eq(P.icmp_type, 0);
	ck_assert_uint_eq(P.l4_payload_len, 0);
	ck_assert_uint_eq(POFF, 74);
}
END_TEST

/* Random byte flips in the headers of the fast-path frames, cut and
 * mislabelled now and then: every decode compared with the general path. */
START_TEST(fast_path_equals_general_on_byte_flips)
{
	static struct weir_pb fr[FP_N];
	uint8_t f[WEIR_PB_MAX];
	unsigned n_fast = 0, n_ok = 0;

	fast_path_frames(fr);
	rng_state = 0x2545f4914f6cdd1dull;   /* fixed seed: reproducible */
	for (int it = 0; it < 200000; it++) {
		const struct weir_pb *s = &fr[rng() % FP_N];
		memcpy(f, s->buf, s->len);
		int flips = 1 + (int)(rng() % 3);
		for (int k = 0; k < flips; k++) {
			uint32_t at = 12 + rng() % (s->len - 12 < 60 ? s->len - 12 : 60);
			f[at] ^= (uint8_t)(1u << (rng() % 8));
			if (rng() % 4 == 0)
				f[at] = (uint8_t)rng();
		}
		uint32_t cap = rng() % 3 ? s->len : rng() % (s->len + 1);
		uint32_t wire = rng() % 4 ? s->len : cap + rng() % 100;
		enum weir_decode_err e = dec_lw(WEIR_LINK_ETHERNET, f, cap, wire);
		n_ok += e == WEIR_DEC_OK;
		n_fast += e == WEIR_DEC_OK && took_fast_path(&P);
	}
	printf("fast path byte flips, 200000 frames: %u ok, %u of them by the fast path\n",
	       n_ok, n_fast);
	ck_assert_uint_gt(n_fast, 20000);
	ck_assert_uint_gt(n_ok - n_fast, 10000);
}
END_TEST

/* Real captures (plain IPv4 TCP/UDP, a 54-byte snaplen, VLAN and QinQ,
 * MPLS, PPPoE, IPv6, fragments, cut headers, fuzzed frames): every frame
 * decoded both ways, and the fast path must have been taken where the
 * traffic is plain Ethernet/IPv4. (every_shared_capture compares every
 * frame of every capture too; this test says which ones matter.) */
static const struct { const char *path; int fast; } fp_captures[] = {
	{ "pcaps/zeek/Traces/wikipedia.pcap", 1 },
	{ "pcaps/zeek/Traces/http/bro.org.pcap", 1 },
	{ "pcaps/zeek/Traces/http/get.pcap", 1 },
	{ "pcaps/zeek/Traces/http/100-continue.pcap", 1 },
	{ "pcaps/zeek/Traces/tcp/retransmit-fast009.pcap", 1 },
	{ "pcaps/zeek/Traces/ssh/ssh.pcap", 1 },
	{ "pcaps/zeek/Traces/modbus/modbusBig.pcap", 1 },
	{ "pcaps/zeek/Traces/ftp/cwd-navigation.pcap", 1 },
	{ "pcaps/zeek/Traces/q-in-q.pcap", 0 },
	{ "pcaps/zeek/Traces/mixed-vlan-mpls.pcap", 0 },
	{ "pcaps/zeek/Traces/pppoe.pcap", 0 },
	{ "pcaps/zeek/Traces/vntag.pcap", 0 },
	{ "pcaps/zeek/Traces/ftp/ipv6.pcap", 0 },
	{ "pcaps/zeek/Traces/ipv6-fragmented-dns.pcap", 0 },
	{ "pcaps/suricata-verify/tests/http-ipv6/input.pcap", 0 },
	{ "pcaps/zeek/Traces/ipv4/fragmented-1.pcap", 0 },
	{ "pcaps/zeek/Traces/ipv4/fragmented-3.pcap", 0 },
	{ "pcaps/zeek/Traces/ipv4/fragmented-syn.pcap", 0 },
	{ "pcaps/suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/frag-eth-vlan-ip-tcp-syn.pcap", 0 },
	{ "pcaps/zeek/Traces/trunc/ip4-trunc.pcap", 0 },
	{ "pcaps/zeek/Traces/trunc/ipv4-internally-truncated-header.pcap", 0 },
	{ "pcaps/zeek/Traces/trunc/ipv4-truncated-broken-header.pcap", 0 },
	{ "pcaps/zeek/Traces/trunc/icmp-header-trunc.pcap", 0 },
	{ "pcaps/zeek/Traces/tcp/truncated-header.pcap", 0 },
	{ "pcaps/zeek/Traces/tcp/reassembly.pcap", 0 },
};

START_TEST(fast_path_equals_general_on_captures)
{
	const char *shared = getenv("WEIR_SHARED");
	if (!shared) {
		printf("fast_path_equals_general_on_captures: SKIPPED: WEIR_SHARED unset\n");
		return;
	}
	uint64_t all = 0, all_fast = 0;
	for (unsigned i = 0; i < sizeof(fp_captures) / sizeof(fp_captures[0]); i++) {
		char path[1200], err[512];
		snprintf(path, sizeof(path), "%s/%s", shared, fp_captures[i].path);
		struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
		ck_assert_msg(cap != NULL, "%s", err);
		int lt = weir_capture_linktype(cap);
		struct weir_frame fr;
		struct weir_pkt p;
		uint64_t frames = 0, fast = 0;
		while (weir_capture_next(cap, &fr, err, sizeof(err)) == 1) {
			memset(&p, 0xa5, sizeof(p));
			enum weir_decode_err e = weir_decode(lt, fr.data, fr.caplen,
							     fr.wire_len, fr.ts_ns, &p);
			ck_same_as_general(lt, fr.data, fr.caplen, fr.wire_len, fr.ts_ns,
					   e, &p, 0xa5);
			frames++;
			fast += e == WEIR_DEC_OK && took_fast_path(&p);
		}
		weir_capture_close(cap);
		printf("  %-100s frames=%-6llu fast path=%llu\n", fp_captures[i].path,
		       (unsigned long long)frames, (unsigned long long)fast);
		ck_assert_msg(frames > 0, "%s: no frames", fp_captures[i].path);
		if (fp_captures[i].fast)
			ck_assert_msg(fast > frames / 2, "%s: fast path on %llu of %llu frames",
				      fp_captures[i].path, (unsigned long long)fast,
				      (unsigned long long)frames);
		all += frames;
		all_fast += fast;
	}
	printf("fast path on real captures: %llu of %llu frames, all equal to the "
	       "general path\n", (unsigned long long)all_fast, (unsigned long long)all);
}
END_TEST

/* ---- every capture under $WEIR_SHARED/pcaps ---------------------------- */

struct cap_totals {
	uint64_t by_err[WEIR_DEC_ERR_MAX];
	uint64_t frames, files, unreadable, bad_linktype_files;
	uint64_t cap_errors;
};

static struct cap_totals T;

/* Per-file counts, or -1 when the file cannot be opened. */
static int decode_file(const char *path, uint64_t by_err[WEIR_DEC_ERR_MAX],
		       uint64_t *frames, int *linktype)
{
	char err[512];
	struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
	if (!cap)
		return -1;
	*linktype = weir_capture_linktype(cap);
	struct weir_frame fr;
	struct weir_pkt p;
	int rc;
	while ((rc = weir_capture_next(cap, &fr, err, sizeof(err))) == 1) {
		memset(&p, 0x5a, sizeof(p));
		enum weir_decode_err e = weir_decode(*linktype, fr.data, fr.caplen,
						     fr.wire_len, fr.ts_ns, &p);
		ck_assert_int_lt(e, WEIR_DEC_ERR_MAX);
		ck_same_as_general(*linktype, fr.data, fr.caplen, fr.wire_len,
				   fr.ts_ns, e, &p, 0x5a);
		if (e == WEIR_DEC_OK) {
			ck_assert_uint_le((uint32_t)p.l2_len + p.l3_hdr_len + p.l4_hdr_len,
					  fr.caplen);
			ck_assert(p.payload + p.payload_caplen <= fr.data + fr.caplen);
		}
		by_err[e]++;
		(*frames)++;
	}
	if (rc < 0)
		T.cap_errors++;     /* e.g. a capture cut mid-record: counted */
	weir_capture_close(cap);
	return 0;
}

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	size_t n = strlen(path);
	if (!((n > 5 && strcmp(path + n - 5, ".pcap") == 0) ||
	      (n > 7 && strcmp(path + n - 7, ".pcapng") == 0) ||
	      (n > 4 && strcmp(path + n - 4, ".cap") == 0) ||
	      (n > 5 && strcmp(path + n - 5, ".trace") == 0)))
		return 0;
	uint64_t by[WEIR_DEC_ERR_MAX] = { 0 }, frames = 0;
	int lt = -1;
	if (decode_file(path, by, &frames, &lt) < 0) {
		T.unreadable++;
		return 0;
	}
	T.files++;
	T.frames += frames;
	if (!weir_decode_linktype_supported(lt))
		T.bad_linktype_files++;
	uint64_t bad = 0;
	for (int i = 0; i < WEIR_DEC_ERR_MAX; i++) {
		T.by_err[i] += by[i];
		if (i != WEIR_DEC_OK && i != WEIR_DEC_NOT_IP && i != WEIR_DEC_BAD_LINKTYPE)
			bad += by[i];
	}
	if (bad) {
		printf("  %-90s lt=%3d frames=%-6llu", path + strlen(getenv("WEIR_SHARED")),
		       lt, (unsigned long long)frames);
		for (int i = 1; i < WEIR_DEC_ERR_MAX; i++)
			if (by[i])
				printf(" %s=%llu", weir_decode_err_name((enum weir_decode_err)i),
				       (unsigned long long)by[i]);
		printf("\n");
	}
	return 0;
}

/* Captures that are plain, well-formed traffic: nearly every frame must
 * decode, and nothing may be reported broken. NOT_IP is allowed for the
 * LLC/LCP/discovery frames some of them carry. */
static const struct { const char *path; double min_ok; } known_good[] = {
	{ "pcaps/zeek/Traces/http/get.pcap", 1.0 },
	{ "pcaps/zeek/Traces/wikipedia.pcap", 0.95 },
	{ "pcaps/zeek/Traces/tcp/retransmit-fast009.pcap", 1.0 },
	{ "pcaps/zeek/Traces/q-in-q.pcap", 1.0 },
	{ "pcaps/zeek/Traces/mixed-vlan-mpls.pcap", 0.95 },
	{ "pcaps/zeek/Traces/pppoe.pcap", 0.38 },    /* 25 IPv6 of 65: LCP, PAP, IPCP, PADx */
	{ "pcaps/zeek/Traces/icmp/5-pings.pcap", 1.0 },
	{ "pcaps/zeek/Traces/communityid/icmp6.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ipv6-fragmented-dns.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ipv4/fragmented-3.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ftp/ipv6.pcap", 1.0 },
	{ "pcaps/zeek/Traces/linux_dlt_sll2.pcap", 0.8 },  /* 1 RARP of 6 */
	{ "pcaps/zeek/Traces/linuxsll-arp.pcap", 0.99 },
	{ "pcaps/zeek/Traces/tcp-syslog.pcap", 1.0 },
	{ "pcaps/zeek/Traces/rotation.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ppp/quic-interop-retry.pcap", 1.0 },
	{ "pcaps/suricata-verify/tests/http-ipv6/input.pcap", 1.0 },
	{ "pcaps/zeek/Traces/tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap", 1.0 },
	{ "pcaps/zeek/Traces/modbus/modbusBig.pcap", 0.99 },
	{ "pcaps/zeek/Traces/ssh/ssh.pcap", 1.0 },
	{ "pcaps/zeek/Traces/vntag.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ipv4/fragmented-syn.pcap", 1.0 },
	{ "pcaps/suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/frag-eth-vlan-ip-tcp-syn.pcap", 1.0 },
	{ "pcaps/suricata-verify/tests/defrag/bug-6887-defrag-ppp-ipv4-tcp-syn/frag-ppp-ip-tcp-syn.pcap", 1.0 },
	{ "pcaps/zeek/Traces/ftp/cwd-navigation.pcap", 0.99 },
};

START_TEST(every_shared_capture)
{
	const char *shared = getenv("WEIR_SHARED");
	char root[1024];
	if (!shared || snprintf(root, sizeof(root), "%s/pcaps", shared) >= (int)sizeof(root) ||
	    access(root, R_OK) != 0) {
		printf("every_shared_capture: SKIPPED: WEIR_SHARED/pcaps not readable "
		       "(WEIR_SHARED=%s)\n", shared ? shared : "(unset)");
		return;
	}

	memset(&T, 0, sizeof(T));
	printf("captures with frames reported broken (not counting not_ip/bad_linktype):\n");
	ck_assert_int_eq(nftw(root, walk_one, 16, FTW_PHYS), 0);
	printf("all captures: files=%llu unreadable=%llu unsupported-linktype files=%llu "
	       "read errors=%llu frames=%llu\n",
	       (unsigned long long)T.files, (unsigned long long)T.unreadable,
	       (unsigned long long)T.bad_linktype_files, (unsigned long long)T.cap_errors,
	       (unsigned long long)T.frames);
	for (int i = 0; i < WEIR_DEC_ERR_MAX; i++)
		printf("  %-16s %10llu (%.3f%%)\n",
		       weir_decode_err_name((enum weir_decode_err)i),
		       (unsigned long long)T.by_err[i],
		       T.frames ? 100.0 * (double)T.by_err[i] / (double)T.frames : 0.0);
	ck_assert_uint_gt(T.files, 500);
	ck_assert_msg((double)T.by_err[WEIR_DEC_OK] > 0.97 * (double)T.frames,
		      "only %llu of %llu frames decoded",
		      (unsigned long long)T.by_err[WEIR_DEC_OK], (unsigned long long)T.frames);

	for (unsigned i = 0; i < sizeof(known_good) / sizeof(known_good[0]); i++) {
		char path[1200];
		uint64_t by[WEIR_DEC_ERR_MAX] = { 0 }, frames = 0;
		int lt;
		snprintf(path, sizeof(path), "%s/%s", shared, known_good[i].path);
		ck_assert_msg(decode_file(path, by, &frames, &lt) == 0, "%s: cannot open", path);
		ck_assert_msg(frames > 0, "%s: no frames", path);
		ck_assert_msg(by[WEIR_DEC_OK] + by[WEIR_DEC_NOT_IP] == frames,
			      "%s: %llu of %llu frames reported broken", known_good[i].path,
			      (unsigned long long)(frames - by[WEIR_DEC_OK] - by[WEIR_DEC_NOT_IP]),
			      (unsigned long long)frames);
		ck_assert_msg((double)by[WEIR_DEC_OK] >= known_good[i].min_ok * (double)frames,
			      "%s: %llu of %llu frames decoded", known_good[i].path,
			      (unsigned long long)by[WEIR_DEC_OK], (unsigned long long)frames);
	}
}
END_TEST

/* Not a pass/fail test: how fast the decoder runs on real frames, printed
 * for the record (timing assertions would only make CI flaky). */
START_TEST(decode_rate)
{
	const char *shared = getenv("WEIR_SHARED");
	if (!shared) {
		printf("decode_rate: SKIPPED: WEIR_SHARED unset\n");
		return;
	}
	static uint8_t store[4 << 20];
	static struct weir_frame frames[20000];
	static const char *files[] = {
		"pcaps/zeek/Traces/modbus/modbusBig.pcap",
		"pcaps/zeek/Traces/ftp/cwd-navigation.pcap",
		"pcaps/zeek/Traces/wikipedia.pcap",
	};
	uint32_t used = 0, n = 0;
	int lt = 1;
	for (unsigned f = 0; f < 3; f++) {
		char path[1200], err[512];
		snprintf(path, sizeof(path), "%s/%s", shared, files[f]);
		struct weir_capture *cap = weir_capture_open(path, err, sizeof(err));
		if (!cap) {
			printf("decode_rate: SKIPPED: %s\n", err);
			return;
		}
		lt = weir_capture_linktype(cap);
		struct weir_frame fr;
		while (n < 20000 && weir_capture_next(cap, &fr, err, sizeof(err)) == 1 &&
		       used + fr.caplen <= sizeof(store)) {
			memcpy(store + used, fr.data, fr.caplen);
			frames[n] = fr;
			frames[n].data = store + used;
			used += fr.caplen;
			n++;
		}
		weir_capture_close(cap);
	}
	struct weir_pkt p;
	uint64_t ok = 0, total = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int rep = 0; rep < 200; rep++)
		for (uint32_t i = 0; i < n; i++) {
			ok += weir_decode(lt, frames[i].data, frames[i].caplen,
					  frames[i].wire_len, frames[i].ts_ns, &p) == WEIR_DEC_OK;
			total++;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("decode_rate: %llu frames (%u distinct, Ethernet) in %.3f s: %.1f ns/frame, "
	       "%.1f Mframes/s on one core, %llu ok\n", (unsigned long long)total, n, s,
	       s * 1e9 / (double)total, (double)total / s / 1e6, (unsigned long long)ok);
	ck_assert_uint_gt(ok, 0);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("frames");
	tcase_add_checked_fixture(tc, NULL, free_heap);
	tcase_add_test(tc, eth_ipv4_tcp_fields);
	tcase_add_test(tc, ethernet_padding_is_not_payload);
	tcase_add_test(tc, link_sll_and_sll2);
	tcase_add_test(tc, link_null_and_loop);
	tcase_add_test(tc, link_raw_ip);
	tcase_add_test(tc, link_ppp);
	tcase_add_test(tc, link_unknown_and_supported);
	tcase_add_test(tc, error_names_are_distinct);
	tcase_add_test(tc, vlan_tags);
	tcase_add_test(tc, mpls_stacks);
	tcase_add_test(tc, pppoe_session);
	tcase_add_test(tc, llc_snap_and_other_ethertypes);
	tcase_add_test(tc, arp_flows);
	tcase_add_test(tc, ipv4_options);
	tcase_add_test(tc, ipv4_fragments);
	tcase_add_test(tc, ipv4_bad_headers);
	tcase_add_test(tc, snaplen_truncated_frames_count);
	tcase_add_test(tc, ipv6_fields);
	tcase_add_test(tc, ipv6_extension_chain);
	tcase_add_test(tc, ipv6_fragments);
	tcase_add_test(tc, tcp_options);
	tcase_add_test(tc, tcp_bad_data_offset);
	tcase_add_test(tc, icmp_echo_request_and_reply_share_a_key);
	tcase_add_test(tc, icmp_errors_key_on_the_quoted_datagram);
	tcase_add_test(tc, icmp6_key);
	tcase_add_test(tc, other_protocols_key_by_number);
	tcase_add_test(tc, truncation_at_every_header_boundary);
	tcase_add_test(tc, pktbuild_frames_are_valid_on_the_wire);
	tcase_add_test(tc, pktbuild_pcap_round_trip);
	tcase_add_test(tc, fast_path_fields);
	tcase_add_test(tc, fast_path_equals_general_on_edge_cases);
	suite_add_tcase(s, tc);

	TCase *sweep = tcase_create("sweeps");
	tcase_add_checked_fixture(sweep, NULL, free_heap);
	tcase_set_timeout(sweep, 600);
	tcase_add_test(sweep, every_prefix_of_valid_frames);
	tcase_add_test(sweep, random_byte_flips);
	tcase_add_test(sweep, fast_path_equals_general_on_byte_flips);
	suite_add_tcase(s, sweep);

	TCase *caps = tcase_create("captures");
	tcase_set_timeout(caps, 600);
	tcase_add_test(caps, every_shared_capture);
	tcase_add_test(caps, fast_path_equals_general_on_captures);
	tcase_add_test(caps, decode_rate);
	suite_add_tcase(s, caps);
	return s;
}

int main(void)
{
	/* Check forks per test; unbuffered-by-line output survives a failing
	 * child, so the per-reason counts are always in the log. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	SRunner *sr = srunner_create(decode_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
