/* Content features: service signatures and port rules, the streaming HTTP
 * parser (pipelining, keep-alive, bodies across segments, chunked, HEAD,
 * 1xx, close-delimited), the FTP parser (login, ftp.log command count,
 * PORT/PASV/EPRT/EPSV expectations) and robustness on garbage. Packets are
 * built by hand as struct weir_pkt with payload pointers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "content.h"
#include "content_ftp.h"
#include "content_http.h"
#include "content_sig.h"

static struct weir_content_db *db;
static struct weir_content_ctx *ctx;

static void setup(void)
{
	char err[256] = "";
	db = weir_content_db_create(err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ctx = weir_content_ctx_create(db, 64, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "%s", err);
}

static void teardown(void)
{
	weir_content_ctx_free(ctx);
	weir_content_db_free(db);
}

/* A connection under test: client = flow source. */
struct conn {
	struct weir_content_state cs;
	uint8_t family, proto;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t seq[2];
	uint64_t ts;
	int started;
};

static void conn_init(struct conn *c, uint8_t proto, const char *cli4,
		      uint16_t cport, const char *srv4, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->family = WEIR_AF_INET;
	c->proto = proto;
	unsigned a, b, x, y;
	sscanf(cli4, "%u.%u.%u.%u", &a, &b, &x, &y);
	c->cli[0] = (uint8_t)a; c->cli[1] = (uint8_t)b; c->cli[2] = (uint8_t)x; c->cli[3] = (uint8_t)y;
	sscanf(srv4, "%u.%u.%u.%u", &a, &b, &x, &y);
	c->srv[0] = (uint8_t)a; c->srv[1] = (uint8_t)b; c->srv[2] = (uint8_t)x; c->srv[3] = (uint8_t)y;
	c->cport = cport;
	c->sport = sport;
	c->seq[0] = 1000;
	c->seq[1] = 500000;
	c->ts = 1000000000ull;
}

static struct weir_pkt mkpkt(const struct conn *c, int dir, uint32_t seq,
			     const void *data, uint32_t len, uint32_t caplen)
{
	struct weir_pkt p;
	memset(&p, 0, sizeof(p));
	p.ts_ns = c->ts;
	p.family = c->family;
	p.ip_ver = c->family == WEIR_AF_INET6 ? 6 : 4;
	p.proto = c->proto;
	memcpy(p.src, dir == 0 ? c->cli : c->srv, 16);
	memcpy(p.dst, dir == 0 ? c->srv : c->cli, 16);
	p.sport = dir == 0 ? c->cport : c->sport;
	p.dport = dir == 0 ? c->sport : c->cport;
	p.tcp_seq = seq;
	p.tcp_flags = WEIR_TH_ACK | WEIR_TH_PSH;
	p.l4_hdr_len = c->proto == 6 ? 20 : 8;
	p.l4_payload_len = len;
	p.payload_caplen = caplen;
	p.payload = data;
	return p;
}

/* Send `len` bytes in direction `dir` (0 client, 1 server), in sequence. */
static void sendn(struct conn *c, int dir, const void *data, uint32_t len)
{
	struct weir_pkt p = mkpkt(c, dir, c->seq[dir], data, len, len);
	if (!c->started) {
		/* a TCP flow seen from its SYN (else it is "partial") */
		struct weir_pkt syn = mkpkt(c, 0, c->seq[0] - 1, NULL, 0, 0);
		syn.tcp_flags = WEIR_TH_SYN;
		weir_content_init(ctx, &c->cs, &syn);
		c->started = 1;
	}
	c->ts += 1000000;
	p.ts_ns = c->ts;
	if (len)
		weir_content_update(ctx, &c->cs, &p, dir == 0, c->ts);
	c->seq[dir] += len;
}

static void sends(struct conn *c, int dir, const char *s)
{
	sendn(c, dir, s, (uint32_t)strlen(s));
}

static struct weir_record fin(const struct conn *c)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.proto = c->proto;
	r.sport = c->cport;
	r.dsport = c->sport;
	weir_content_finalize(&c->cs, &r);
	return r;
}

/* ---------------------------------------------------------------- basics */

START_TEST(state_fits_a_cache_line)
{
	ck_assert_uint_le(sizeof(struct weir_content_state), 64);
	ck_assert_uint_eq(sizeof(struct weir_content_dir), 16);
}
END_TEST

START_TEST(bad_expect_size_is_refused)
{
	char err[256] = "";
	ck_assert_ptr_null(weir_content_ctx_create(db, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "expectation table"));
	ck_assert_ptr_null(weir_content_ctx_create(NULL, 8, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "database"));
}
END_TEST

START_TEST(any_method_token_counts)
{
	/* Zeek logs any method token it parses; a token with other bytes, or
	 * not followed by a space, is not a request */
	static const struct { const char *line; unsigned methods; } m[] = {
		{ "GET / HTTP/1.1", 1 }, { "PROPFIND /d HTTP/1.1", 1 },
		{ "CCM_POST / HTTP/1.1", 1 }, { "get / HTTP/1.0", 1 },
		{ "OPTIONS HTTP/1.1", 1 }, { "OPTIONSHTTP/1.1", 0 },
		{ "CCM_POST/ HTTP/1.1", 0 }, { "\xc3\x83 / HTTP/1.1", 0 },
	};
	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct conn c;
		char req[96];
		conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
		snprintf(req, sizeof(req), "%s\r\nHost: a\r\n\r\n", m[i].line);
		sends(&c, 0, req);
		sends(&c, 1, "HTTP/1.1 400 Bad\r\nContent-Length: 2\r\n\r\nno");
		struct weir_record r = fin(&c);
		ck_assert_msg(r.ct_flw_http_mthd == m[i].methods, "%s", m[i].line);
		ck_assert_uint_eq(r.trans_depth, 1);
		ck_assert_uint_eq(r.res_bdy_len, 2);
	}
}
END_TEST

START_TEST(http09_answer_is_all_body)
{
	/* "GET /HTTP/1.1" has no version token: HTTP/0.9, whose answer has no
	 * status line; Zeek counts every answer byte as body */
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "HEAD /HTTP/1.1\nHost: www\n\n");
	const char *ans = "HTTP/1.0 400 Bad Request\r\nContent-Length: 925\r\n\r\n";
	sends(&c, 1, ans);
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_HTTP);
	ck_assert_uint_eq(r.trans_depth, 1);
	ck_assert_uint_eq(r.ct_flw_http_mthd, 1);
	ck_assert_uint_eq(r.res_bdy_len, strlen(ans));
}
END_TEST

START_TEST(http_connect)
{
	struct conn c;
	/* refused: the 400 has a body like any other answer */
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 400 Bad\r\nContent-Length: 5\r\n\r\nerror");
	ck_assert_uint_eq(fin(&c).res_bdy_len, 5);
	/* accepted: a tunnel, nothing after it is HTTP */
	conn_init(&c, 6, "10.0.0.1", 40001, "10.0.0.2", 3128);
	sends(&c, 0, "CONNECT a:443 HTTP/1.1\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 Connection established\r\n\r\n");
	sends(&c, 0, "GET / HTTP/1.1\r\n\r\n");
	sends(&c, 1, "\x16\x03\x01 tls bytes");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.trans_depth, 1);
	ck_assert_uint_eq(r.res_bdy_len, 0);
}
END_TEST

START_TEST(request_before_confirmation_is_kept)
{
	/* on port 80 the request line is odd enough not to confirm HTTP by
	 * itself; the answer confirms, and the request still counts */
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "GET foo\n");     /* HTTP/0.9, odd target */
	ck_assert_uint_eq(c.cs.svc_from_payload, 0);
	const char *ans = "HTTP/1.1 405 No\r\nContent-Length: 3\r\n\r\nabc";
	sends(&c, 1, ans);
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_HTTP);
	ck_assert_uint_eq(r.ct_flw_http_mthd, 1);
	ck_assert_uint_eq(r.res_bdy_len, strlen(ans));
	/* a guess that turns out wrong counts nothing */
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "HELLO there\r\n");
	sends(&c, 1, "SSH-2.0-OpenSSH\r\n");
	sends(&c, 0, "SSH-2.0-client\r\n");
	r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_SSH);
	ck_assert_uint_eq(r.trans_depth, 0);
	ck_assert_uint_eq(r.ct_flw_http_mthd, 0);
}
END_TEST

/* ------------------------------------------------------------- services */

static unsigned svc_of(uint8_t proto, uint16_t port, const void *cdata, size_t cn,
		       const void *sdata, size_t sn)
{
	struct conn c;
	conn_init(&c, proto, "10.0.0.1", 40000, "10.0.0.2", port);
	if (cn)
		sendn(&c, 0, cdata, (uint32_t)cn);
	if (sn)
		sendn(&c, 1, sdata, (uint32_t)sn);
	return fin(&c).service;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

#define SVC_TXT(proto, port, c, s) svc_of(proto, port, c, slen(c), s, slen(s))

START_TEST(each_service_signature)
{
	ck_assert_uint_eq(SVC_TXT(6, 80, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", NULL), WEIR_SVC_HTTP);
	ck_assert_uint_eq(SVC_TXT(6, 80, NULL, "HTTP/1.1 200 OK\r\n\r\n"), WEIR_SVC_HTTP);
	ck_assert_uint_eq(SVC_TXT(6, 21, NULL, "220 ProFTPD ready\r\n"), WEIR_SVC_FTP);
	ck_assert_uint_eq(SVC_TXT(6, 21, "USER anonymous\r\n", NULL), WEIR_SVC_FTP);
	ck_assert_uint_eq(SVC_TXT(6, 25, NULL, "220 mail ESMTP Postfix\r\n"), WEIR_SVC_SMTP);
	ck_assert_uint_eq(SVC_TXT(6, 587, "EHLO client\r\n", NULL), WEIR_SVC_SMTP);
	ck_assert_uint_eq(SVC_TXT(6, 22, "SSH-2.0-OpenSSH_8.4\r\n", "SSH-2.0-x\r\n"), WEIR_SVC_SSH);
	ck_assert_uint_eq(SVC_TXT(6, 2222, "SSH-1.5-a\r\n", "SSH-1.99-Cisco\r\n"), WEIR_SVC_SSH);
	/* one banner alone (half-duplex capture) is not enough for Zeek */
	ck_assert_uint_eq(SVC_TXT(6, 22, NULL, "SSH-1.99-Cisco\r\n"), WEIR_SVC_NONE);
	ck_assert_uint_eq(SVC_TXT(6, 22, "SSH-2.0-OpenSSH_8.4\r\n", NULL), WEIR_SVC_NONE);
	ck_assert_uint_eq(SVC_TXT(6, 110, NULL, "+OK POP3 ready\r\n"), WEIR_SVC_POP3);
	ck_assert_uint_eq(SVC_TXT(6, 6667, "NICK bob\r\nUSER bob 0 * :Bob\r\n", NULL), WEIR_SVC_IRC);
	ck_assert_uint_eq(SVC_TXT(6, 6667, NULL, ":irc.example.net NOTICE * :hi\r\n"), WEIR_SVC_IRC);

	static const uint8_t chello[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03 };
	static const uint8_t shello[] = { 0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3c, 0x03, 0x03 };
	ck_assert_uint_eq(svc_of(6, 443, chello, sizeof(chello), NULL, 0), WEIR_SVC_SSL);
	ck_assert_uint_eq(svc_of(6, 9999, chello, sizeof(chello), NULL, 0), WEIR_SVC_NONE);
	ck_assert_uint_eq(svc_of(6, 9999, chello, sizeof(chello), shello, sizeof(shello)), WEIR_SVC_SSL);

	/* DNS query for example.com A */
	static const uint8_t dnsq[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	ck_assert_uint_eq(svc_of(17, 53, dnsq, sizeof(dnsq), NULL, 0), WEIR_SVC_DNS);
	ck_assert_uint_eq(svc_of(17, 5353, dnsq, sizeof(dnsq), NULL, 0), WEIR_SVC_DNS);
	ck_assert_uint_eq(svc_of(17, 9999, dnsq, sizeof(dnsq), NULL, 0), WEIR_SVC_NONE);
	/* DNS over TCP: 2-byte length first */
	uint8_t tq[2 + sizeof(dnsq)];
	tq[0] = 0; tq[1] = sizeof(dnsq);
	memcpy(tq + 2, dnsq, sizeof(dnsq));
	ck_assert_uint_eq(svc_of(6, 53, tq, sizeof(tq), NULL, 0), WEIR_SVC_DNS);

	/* SNMPv2c get-request, community "public" */
	static const uint8_t snmp[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06,
		'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x19 };
	ck_assert_uint_eq(svc_of(17, 161, snmp, sizeof(snmp), NULL, 0), WEIR_SVC_SNMP);

	uint8_t dhcp[300];
	memset(dhcp, 0, sizeof(dhcp));
	dhcp[0] = 1; dhcp[1] = 1; dhcp[2] = 6;
	dhcp[236] = 0x63; dhcp[237] = 0x82; dhcp[238] = 0x53; dhcp[239] = 0x63;
	ck_assert_uint_eq(svc_of(17, 67, dhcp, sizeof(dhcp), NULL, 0), WEIR_SVC_DHCP);
	dhcp[238] = 0;   /* no magic cookie: plain BOOTP is not dhcp */
	ck_assert_uint_eq(svc_of(17, 67, dhcp, sizeof(dhcp), NULL, 0), WEIR_SVC_NONE);

	uint8_t rad[38];
	memset(rad, 0, sizeof(rad));
	rad[0] = 1; rad[1] = 7; rad[2] = 0; rad[3] = sizeof(rad);
	ck_assert_uint_eq(svc_of(17, 1812, rad, sizeof(rad), NULL, 0), WEIR_SVC_RADIUS);
	rad[3] = 200;    /* length field beyond the packet */
	ck_assert_uint_eq(svc_of(17, 1812, rad, sizeof(rad), NULL, 0), WEIR_SVC_NONE);
}
END_TEST

START_TEST(udp_signatures_only_on_their_ports)
{
	/* UDP payload is run through the signatures only where an SNMP or
	 * DHCP port is at either end: those names need their port, whichever
	 * side sends first, and never come from the payload alone */
	static const uint8_t snmp[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06,
		'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x19 };
	ck_assert_uint_eq(svc_of(17, 162, snmp, sizeof(snmp), NULL, 0), WEIR_SVC_SNMP);
	ck_assert_uint_eq(svc_of(17, 161, NULL, 0, snmp, sizeof(snmp)), WEIR_SVC_SNMP);
	ck_assert_uint_eq(svc_of(17, 1161, snmp, sizeof(snmp), snmp, sizeof(snmp)), WEIR_SVC_NONE);
	ck_assert_uint_eq(svc_of(6, 161, snmp, sizeof(snmp), snmp, sizeof(snmp)), WEIR_SVC_NONE);
	uint8_t dhcp[300];
	memset(dhcp, 0, sizeof(dhcp));
	dhcp[0] = 2; dhcp[1] = 1; dhcp[2] = 6;
	dhcp[236] = 0x63; dhcp[237] = 0x82; dhcp[238] = 0x53; dhcp[239] = 0x63;
	ck_assert_uint_eq(svc_of(17, 68, NULL, 0, dhcp, sizeof(dhcp)), WEIR_SVC_DHCP);
	ck_assert_uint_eq(svc_of(17, 6767, dhcp, sizeof(dhcp), dhcp, sizeof(dhcp)), WEIR_SVC_NONE);
	/* text signatures name nothing on UDP */
	ck_assert_uint_eq(SVC_TXT(17, 80, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n"),
			  WEIR_SVC_NONE);
	ck_assert_uint_eq(SVC_TXT(17, 21, "USER a\r\n", "220 hi\r\n"), WEIR_SVC_NONE);
}
END_TEST

START_TEST(off_port_needs_both_sides)
{
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	ck_assert_uint_eq(SVC_TXT(6, 8081, req, NULL), WEIR_SVC_NONE);
	ck_assert_uint_eq(SVC_TXT(6, 8081, req, resp), WEIR_SVC_HTTP);
	ck_assert_uint_eq(SVC_TXT(6, 2121, "USER a\r\n", NULL), WEIR_SVC_NONE);
	ck_assert_uint_eq(SVC_TXT(6, 2121, "USER a\r\n", "220 hi\r\n"), WEIR_SVC_FTP);
	ck_assert_uint_eq(SVC_TXT(6, 2525, "EHLO x\r\n", "220 hi\r\n"), WEIR_SVC_SMTP);
	/* the 220 alone on the FTP port names FTP, on the SMTP port SMTP */
	ck_assert_uint_eq(SVC_TXT(6, 21, NULL, "220 hi\r\n"), WEIR_SVC_FTP);
	ck_assert_uint_eq(SVC_TXT(6, 25, NULL, "220 hi\r\n"), WEIR_SVC_SMTP);
}
END_TEST

START_TEST(port_fallback_only_for_unseen_payload)
{
	struct conn c;
	/* no payload at all: '-' as in Zeek */
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sendn(&c, 0, NULL, 0);
	ck_assert_uint_eq(fin(&c).service, WEIR_SVC_NONE);

	/* payload there but cut by the snaplen: the port names it */
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	struct weir_pkt p = mkpkt(&c, 0, 1, "GE", 300, 2);
	weir_content_init(ctx, &c.cs, &p);
	weir_content_update(ctx, &c.cs, &p, 1, 1);
	ck_assert_uint_eq(fin(&c).service, WEIR_SVC_HTTP);

	conn_init(&c, 17, "10.0.0.1", 40000, "10.0.0.2", 53);
	p = mkpkt(&c, 0, 0, "\x12", 40, 1);
	weir_content_init(ctx, &c.cs, &p);
	weir_content_update(ctx, &c.cs, &p, 1, 1);
	ck_assert_uint_eq(fin(&c).service, WEIR_SVC_DNS);

	/* fully captured payload that is not the protocol: '-' */
	ck_assert_uint_eq(SVC_TXT(6, 80, "\x01\x02 hello there\r\n", "junk\r\n"), WEIR_SVC_NONE);
}
END_TEST

static unsigned fallback_service(uint8_t proto, uint16_t port)
{
	struct conn c;
	conn_init(&c, proto, "10.0.0.1", 40000, "10.0.0.2", port);
	struct weir_pkt p = mkpkt(&c, 0, 1, "\xee", 300, 1);
	p.tcp_flags |= WEIR_TH_SYN;
	weir_content_init(ctx, &c.cs, &p);
	weir_content_update(ctx, &c.cs, &p, 1, 1);
	return fin(&c).service;
}

START_TEST(port_lists_as_documented)
{
	/* every port of doc/content.md's table names its service when the
	 * payload was cut, and its neighbours do not */
	static const struct { uint8_t proto; uint16_t port; unsigned svc; } ports[] = {
		{ 6, 80, WEIR_SVC_HTTP }, { 6, 81, WEIR_SVC_HTTP }, { 6, 631, WEIR_SVC_HTTP },
		{ 6, 1080, WEIR_SVC_HTTP }, { 6, 3128, WEIR_SVC_HTTP }, { 6, 8000, WEIR_SVC_HTTP },
		{ 6, 8080, WEIR_SVC_HTTP }, { 6, 8888, WEIR_SVC_HTTP },
		{ 6, 21, WEIR_SVC_FTP }, { 6, 2811, WEIR_SVC_FTP },
		{ 6, 25, WEIR_SVC_SMTP }, { 6, 587, WEIR_SVC_SMTP },
		{ 6, 110, WEIR_SVC_POP3 }, { 6, 22, WEIR_SVC_SSH },
		{ 6, 6666, WEIR_SVC_IRC }, { 6, 6667, WEIR_SVC_IRC }, { 6, 6668, WEIR_SVC_IRC },
		{ 6, 6669, WEIR_SVC_IRC },
		{ 6, 443, WEIR_SVC_SSL }, { 6, 563, WEIR_SVC_SSL }, { 6, 585, WEIR_SVC_SSL },
		{ 6, 614, WEIR_SVC_SSL }, { 6, 636, WEIR_SVC_SSL }, { 6, 989, WEIR_SVC_SSL },
		{ 6, 990, WEIR_SVC_SSL }, { 6, 992, WEIR_SVC_SSL }, { 6, 993, WEIR_SVC_SSL },
		{ 6, 995, WEIR_SVC_SSL }, { 6, 5223, WEIR_SVC_SSL }, { 6, 5349, WEIR_SVC_SSL },
		{ 6, 8443, WEIR_SVC_SSL },
		{ 6, 53, WEIR_SVC_DNS },
		{ 17, 53, WEIR_SVC_DNS }, { 17, 137, WEIR_SVC_DNS }, { 17, 5353, WEIR_SVC_DNS },
		{ 17, 5355, WEIR_SVC_DNS },
		{ 17, 161, WEIR_SVC_SNMP }, { 17, 162, WEIR_SVC_SNMP },
		{ 17, 67, WEIR_SVC_DHCP }, { 17, 68, WEIR_SVC_DHCP },
		{ 17, 1812, WEIR_SVC_RADIUS }, { 17, 1813, WEIR_SVC_RADIUS },
	};
	const size_t n = sizeof(ports) / sizeof(ports[0]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(fallback_service(ports[i].proto, ports[i].port) == ports[i].svc,
			      "proto %u port %u", ports[i].proto, ports[i].port);
		for (int delta = -1; delta <= 1; delta += 2) {
			uint16_t q = (uint16_t)(ports[i].port + delta);
			int listed = 0;
			for (size_t k = 0; k < n; k++)
				listed |= ports[k].proto == ports[i].proto && ports[k].port == q;
			if (!listed)
				ck_assert_msg(fallback_service(ports[i].proto, q) == WEIR_SVC_NONE,
					      "proto %u port %u", ports[i].proto, q);
		}
	}
	/* the UDP-only DNS ports are not TCP's */
	ck_assert_uint_eq(fallback_service(6, 5353), WEIR_SVC_NONE);
	ck_assert_uint_eq(fallback_service(6, 137), WEIR_SVC_NONE);
}
END_TEST

START_TEST(partial_connection_is_not_http)
{
	/* first packet without SYN: Zeek's HTTP and SSL analyzers skip the
	 * connection (wikipedia.pcap 35634 has a GET and no service) */
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	const char *req = "GET / HTTP/1.1\r\n\r\n";
	struct weir_pkt p = mkpkt(&c, 0, 1, req, (uint32_t)strlen(req), (uint32_t)strlen(req));
	weir_content_init(ctx, &c.cs, &p);
	weir_content_update(ctx, &c.cs, &p, 1, 1);
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_NONE);
	ck_assert_uint_eq(r.trans_depth, 0);
	/* other analyzers still name theirs */
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 22);
	p = mkpkt(&c, 1, 1, "SSH-2.0-x\r\n", 11, 11);
	weir_content_init(ctx, &c.cs, &p);
	weir_content_update(ctx, &c.cs, &p, 0, 1);
	p = mkpkt(&c, 0, 1, "SSH-2.0-y\r\n", 11, 11);
	weir_content_update(ctx, &c.cs, &p, 1, 2);
	ck_assert_uint_eq(fin(&c).service, WEIR_SVC_SSH);
}
END_TEST

START_TEST(scanning_is_bounded)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	for (int i = 0; i < 10; i++)
		sends(&c, 0, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
	/* a request after the scan window is not looked at any more */
	sends(&c, 0, "GET / HTTP/1.1\r\n\r\n");
	ck_assert_uint_eq(fin(&c).service, WEIR_SVC_NONE);
	ck_assert_uint_eq(c.cs.scanned[0], 4);
}
END_TEST

/* ----------------------------------------------------------------- HTTP */

START_TEST(http_keepalive_content_length)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
	sends(&c, 0, "POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd");
	sends(&c, 1, "HTTP/1.1 200 OK\r\ncontent-length:3\r\n\r\nabc");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_HTTP);
	ck_assert_uint_eq(r.trans_depth, 2);
	ck_assert_uint_eq(r.ct_flw_http_mthd, 2);
	ck_assert_uint_eq(r.res_bdy_len, 8);
}
END_TEST

START_TEST(http_pipelining)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	/* three requests in one segment, the second one with a body that
	 * looks like a request line */
	sends(&c, 0, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
		     "PUT /2 HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET /no HTTP/1.1\r\n"
		     "HEAD /3 HTTP/1.1\r\n\r\n");
	/* responses in one segment, split mid-way into the next */
	sends(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
		     "HTTP/1.1 201 Created\r\nContent-Le");
	sends(&c, 1, "ngth: 2\r\n\r\nok"
		     "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	sends(&c, 0, "GET /4 HTTP/1.1\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.trans_depth, 4);
	ck_assert_uint_eq(r.ct_flw_http_mthd, 4);
	/* the HEAD response announces 1000 bytes but has no body: the next
	 * response is a response, not body */
	ck_assert_uint_eq(r.res_bdy_len, 14);
	ck_assert_uint_eq(c.cs.http_resps, 4);
}
END_TEST

START_TEST(http_body_across_segments_and_gap)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 8080);
	sends(&c, 0, "GET /big HTTP/1.0\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nConte");
	sends(&c, 1, "nt-Length: 3000\r");
	sends(&c, 1, "\n\r\n");
	char body[1000];
	memset(body, 'b', sizeof(body));
	sendn(&c, 1, body, 1000);
	/* a lost segment inside the body: still body bytes */
	c.seq[1] += 1000;
	sendn(&c, 1, body, 1000);
	/* a retransmission of the last segment is not counted twice */
	c.seq[1] -= 1000;
	sendn(&c, 1, body, 1000);
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_HTTP);
	ck_assert_uint_eq(r.res_bdy_len, 3000);
	ck_assert_uint_eq(r.trans_depth, 1);
	struct weir_content_stats st;
	weir_content_get_stats(ctx, &st);
	ck_assert_uint_eq(st.gap_bytes, 1000);
	ck_assert_uint_eq(st.retrans_bytes, 1000);
}
END_TEST

START_TEST(sequence_wrap_and_wild_jumps)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	c.seq[1] = 0xfffffff0u;          /* server stream wraps mid-body */
	sends(&c, 0, "GET / HTTP/1.0\r\n\r\n");
	sends(&c, 1, "HTTP/1.0 200 OK\r\n\r\n");
	char body[100];
	memset(body, 'x', sizeof(body));
	sendn(&c, 1, body, 100);
	/* a segment 2^31 behind (or ahead) is neither a retransmission
	 * nor 2 GB of body */
	c.seq[1] += 0x80000000u;
	sendn(&c, 1, body, 100);
	c.seq[1] += 0x80000000u;         /* back in line */
	c.seq[1] += 0x40000000u;         /* then 1 GB ahead */
	sendn(&c, 1, body, 100);
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.res_bdy_len, 100);
}
END_TEST

START_TEST(http_chunked)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "GET / HTTP/1.1\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
		     "a;ext=1\r\n0123456789\r\n1");
	sends(&c, 1, "0\r\n0123456789ABCDEF\r\n0\r\nX-Trailer: 1\r\n\r\n");
	/* next response on the same connection still parses */
	sends(&c, 0, "GET /2 HTTP/1.1\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.trans_depth, 2);
	ck_assert_uint_eq(r.res_bdy_len, 10 + 16 + 4);
}
END_TEST

START_TEST(http_interim_and_close_delimited)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 100 Continue\r\n\r\n");
	sends(&c, 0, "abc");
	sends(&c, 1, "HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n");
	sends(&c, 0, "GET /old HTTP/1.0\r\n\r\n");
	sends(&c, 1, "HTTP/1.0 200 OK\r\n\r\nuntil ");
	sends(&c, 1, "close");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.trans_depth, 2);     /* 100 is not a transaction */
	ck_assert_uint_eq(r.ct_flw_http_mthd, 2);
	ck_assert_uint_eq(r.res_bdy_len, 11);    /* 204 has no body */
}
END_TEST

START_TEST(http_garbage_stops_cleanly)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 80);
	sends(&c, 0, "GET / HTTP/1.1\r\n\r\n");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n");
	sends(&c, 1, "\x00\x01\x02 binary");
	sends(&c, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nXYZ\r\n");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_HTTP);
	ck_assert_uint_le(r.trans_depth, 2);
}
END_TEST

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

START_TEST(random_bytes_never_crash)
{
	/* arbitrary bytes into confirmed HTTP and FTP parsers, every length
	 * and split: under the sanitizer build any out-of-bounds read fails */
	static const char *tokens[] = { "GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n",
		"Content-Length: 7\r\n", "Transfer-Encoding: chunked\r\n", "\r\n",
		"5\r\n", "PORT 1,2,3,4,5,6\r\n", "227 (1,2,3,4,5,6)\r\n",
		"229 (|||7|)\r\n", "EPRT |2|::1|9|\r\n", "230-x\r\n", "230 ok\r\n",
		"USER a\r\n", "PASS b\r\n" };
	for (int round = 0; round < 400; round++) {
		struct conn c;
		uint16_t port = (round & 1) ? 21 : 80;
		conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", port);
		sends(&c, 0, port == 80 ? "GET / HTTP/1.1\r\n\r\n" : "USER x\r\n");
		for (int k = 0; k < 20; k++) {
			uint8_t buf[256];
			uint32_t n = rnd() % sizeof(buf);
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rnd();
			if (rnd() % 2) {
				const char *t = tokens[rnd() % (sizeof(tokens) / sizeof(tokens[0]))];
				size_t tl = strlen(t);
				if (tl <= n)
					memcpy(buf + rnd() % (n - tl + 1), t, tl);
			}
			/* exact-size heap copy so ASan sees any overread */
			uint8_t *h = malloc(n ? n : 1);
			memcpy(h, buf, n);
			sendn(&c, (int)(rnd() % 2), h, n);
			free(h);
		}
		struct weir_record r = fin(&c);
		ck_assert_uint_le(r.is_ftp_login, 255);
	}
}
END_TEST

/* ------------------------------------------------------------ prefilter */

/* weir_sig_scan skips hs_scan when the first byte and the length rule out
 * every pattern; it must return exactly what hs_scan alone returns. */
static struct weir_sig_db *sdb;
static struct weir_sig_scratch *sscr;
static unsigned agreed, found;

static void same_scan(const uint8_t *p, size_t n)
{
	/* exact-size heap copy: under ASan the prefilter may not read past */
	uint8_t *h = malloc(n ? n : 1);
	memcpy(h, p, n);
	int hs = weir_sig_scan_hs(sdb, sscr, h, n);
	int pf = weir_sig_scan(sdb, sscr, h, n);
	free(h);
	ck_assert_int_ge(hs, 0);
	if (pf != hs) {
		char hex[3 * 48 + 1] = "";
		for (size_t i = 0; i < n && i < 48; i++)
			snprintf(hex + 3 * i, 4, "%02x ", p[i]);
		ck_abort_msg("prefilter %d, hs_scan %d on %zu bytes: %s", pf, hs, n, hex);
	}
	agreed++;
	found += hs != 0;
}

struct sample {
	const uint8_t *p;
	size_t n;
	unsigned bit;
};

#define STR_SAMPLE(s, bit) { (const uint8_t *)(s), sizeof(s) - 1, bit }

START_TEST(prefilter_agrees_with_hs_scan)
{
	char err[256] = "";
	sdb = weir_sig_db_create(err, sizeof(err));
	ck_assert_msg(sdb != NULL, "%s", err);
	sscr = weir_sig_scratch_create(sdb, err, sizeof(err));
	ck_assert_msg(sscr != NULL, "%s", err);

	static const uint8_t chello[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00 };
	static const uint8_t shello[] = { 0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00 };
	static const uint8_t ssl2[] = { 0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15 };
	static const uint8_t snmp[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p' };
	static const uint8_t snmp2[] = { 0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x04 };
	static uint8_t dhcp[244];
	memset(dhcp, 0, sizeof(dhcp));
	dhcp[0] = 2; dhcp[1] = 1; dhcp[2] = 6;
	dhcp[236] = 0x63; dhcp[237] = 0x82; dhcp[238] = 0x53; dhcp[239] = 0x63;
	/* a match for every pattern, the shortest ones among them */
	const struct sample samples[] = {
		STR_SAMPLE("GET / HTTP/1.1\r\n", WEIR_EV_HTTP_REQ),
		STR_SAMPLE("a /\n", WEIR_EV_HTTP_REQ),
		STR_SAMPLE("\r\n\tx *\r\n", WEIR_EV_HTTP_REQ),
		STR_SAMPLE("HTTP/1.0 404", WEIR_EV_HTTP_RESP),
		STR_SAMPLE("220-", WEIR_EV_220),
		STR_SAMPLE("\n220 ready\r\n", WEIR_EV_220),
		STR_SAMPLE("uSeR bob\r\n", WEIR_EV_FTP_USER),
		STR_SAMPLE("\vhelo x\r\n", WEIR_EV_SMTP_HELO),
		STR_SAMPLE("EHLO x\r\n", WEIR_EV_SMTP_HELO),
		STR_SAMPLE("+OK", WEIR_EV_POP3_OK),
		STR_SAMPLE("capa", WEIR_EV_POP3_CMD),
		STR_SAMPLE("\fStls\r\n", WEIR_EV_POP3_CMD),
		STR_SAMPLE("nick b", WEIR_EV_IRC_CLIENT),
		STR_SAMPLE("PASS x\r\nNICK y\r\n", WEIR_EV_IRC_CLIENT),
		STR_SAMPLE("USER a b c :d\r\n", WEIR_EV_IRC_CLIENT),
		STR_SAMPLE(":s 001 x :hi\r\n", WEIR_EV_IRC_SERVER),
		STR_SAMPLE(":irc.example.net NOTICE * :hi\r\n", WEIR_EV_IRC_SERVER),
		STR_SAMPLE("ssh-2.0-", WEIR_EV_SSH),
		STR_SAMPLE("SSH-1.99-Cisco\r\n", WEIR_EV_SSH),
		{ chello, sizeof(chello), WEIR_EV_TLS_CHELLO },
		{ shello, sizeof(shello), WEIR_EV_TLS_SHELLO },
		{ ssl2, sizeof(ssl2), WEIR_EV_SSL2_HELLO },
		{ snmp, sizeof(snmp), WEIR_EV_SNMP },
		{ snmp2, sizeof(snmp2), WEIR_EV_SNMP },
		{ dhcp, sizeof(dhcp), WEIR_EV_DHCP },
		STR_SAMPLE("pwd", WEIR_EV_FTP_CMD),
		STR_SAMPLE(" \t xPwD\r\n", WEIR_EV_FTP_CMD),
		STR_SAMPLE("QUIT\r\n", WEIR_EV_FTP_CMD),
	};
	const size_t nsamples = sizeof(samples) / sizeof(samples[0]);
	uint8_t buf[1024];

	/* each sample matches its pattern, and each of its prefixes gets the
	 * same answer both ways (the shortest-match rule) */
	for (size_t k = 0; k < nsamples; k++) {
		ck_assert_msg(weir_sig_scan_hs(sdb, sscr, samples[k].p, samples[k].n) &
			      (int)samples[k].bit, "sample %zu does not match", k);
		for (size_t n = 0; n <= samples[k].n; n++)
			same_scan(samples[k].p, n);
	}
	/* the whitespace that `\s*` allows may lead */
	static const char ws[] = " \t\n\v\f\r";
	for (const char *w = ws; *w; w++) {
		buf[0] = (uint8_t)*w;
		memcpy(buf + 1, "USER x\r\n", 8);
		ck_assert_int_ne(weir_sig_scan(sdb, sscr, buf, 9) & WEIR_EV_FTP_USER, 0);
	}

	/* every first byte, at many lengths: followed by random bytes, put in
	 * front of a sample, or in place of a sample's first byte */
	static const size_t lens[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 17, 18, 20, 24, 31, 32, 33, 48, 64, 100, 238, 239, 240, 241,
		242, 243, 244, 245, 256, 300, 320, 1024 };
	for (unsigned b = 0; b < 256; b++) {
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			size_t n = lens[li];
			for (int r = 0; r < 2; r++) {
				buf[0] = (uint8_t)b;
				for (size_t i = 1; i < n; i++)
					buf[i] = (uint8_t)rnd();
				same_scan(buf, n);
			}
			for (size_t k = 0; k < nsamples; k++) {
				size_t sn = samples[k].n;
				memset(buf, 0, n);
				buf[0] = (uint8_t)b;
				memcpy(buf + 1, samples[k].p, sn + 1 < n ? sn : n - 1);
				same_scan(buf, n);
				memcpy(buf, samples[k].p, sn < n ? sn : n);
				buf[0] = (uint8_t)b;
				same_scan(buf, n);
			}
		}
	}

	/* random payloads over the bytes the patterns are made of */
	static const uint8_t alpha[] = " \t\n\v\f\r+-.:/*0123456789HTTPhttpGETNICKnickPASS"
		"USERuserHELOehloSsSHhHpwdPWDxXcapaCAPA\x00\x01\x02\x03\x04\x06\x16\x30"
		"\x63\x80\x81\x82\x53\xff";
	for (int r = 0; r < 200000; r++) {
		size_t n = 1 + rnd() % 40;
		for (size_t i = 0; i < n; i++)
			buf[i] = alpha[rnd() % (sizeof(alpha) - 1)];
		same_scan(buf, n);
	}
	/* not vacuous: many of those payloads do match something */
	ck_assert_uint_gt(found, 10000);
	weir_sig_scratch_free(sscr);
	weir_sig_db_free(sdb);
}
END_TEST

/* ------------------------------------------------------------------ FTP */

static unsigned new_flow_service(uint8_t family, const uint8_t src[16], uint16_t sport,
				 const uint8_t dst[16], uint16_t dport, uint64_t ts);

START_TEST(ftp_login_success_and_commands)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220-Welcome\r\n220-to the\r\n220 server\r\n");
	sends(&c, 0, "USER anonymous\r\n");
	sends(&c, 1, "331 Guest login ok, send your email.\r\n");
	sends(&c, 0, "PASS test@\r\n");
	sends(&c, 1, "230-Guest login ok.\r\n230-Read the rules\r\n230 OK\r\n");
	sends(&c, 0, "SYST\r\n");
	sends(&c, 1, "215 UNIX Type: L8\r\n");
	sends(&c, 0, "PASV\r\n");
	sends(&c, 1, "227 Entering Passive Mode (10,0,0,2,200,10).\r\n");
	sends(&c, 0, "retr robots.txt\r\n");
	sends(&c, 1, "150 Opening\r\n226 Transfer complete.\r\n");
	sends(&c, 0, "QUIT\r\n");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_FTP);
	ck_assert_uint_eq(r.is_ftp_login, 1);
	ck_assert_uint_eq(r.ct_ftp_cmd, 2);  /* PASV, RETR: the ftp.log lines */
}
END_TEST

START_TEST(ftp_command_words)
{
	/* the ten commands of FTP::logged_commands in any case count; words
	 * that only start or end like one, or are not followed by a space or
	 * the line end, do not */
	static const char *const counted[] = { "APPE a", "dele a", "Retr a", "sTOR a",
		"stou", "ACCT x", "port 10,0,0,1,4,1", "Pasv", "EPRT |1|10.0.0.1|1025|",
		"epsv" };
	static const char *const not_counted[] = { "APP a", "APPEND a", "RETRX",
		"XRETR a", "STOR\ta", "PASV2", "2PASV", "STO", "USER a", "PASS b",
		"SYST", "QUIT", "NOOP", "R\xc3\xa9TR a", "ACC" };
	struct conn c;
	char line[64];
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220 hi\r\n");
	for (size_t k = 0; k < sizeof(counted) / sizeof(counted[0]); k++) {
		snprintf(line, sizeof(line), "%s\r\n", counted[k]);
		sends(&c, 0, line);
	}
	for (size_t k = 0; k < sizeof(not_counted) / sizeof(not_counted[0]); k++) {
		snprintf(line, sizeof(line), "%s\r\n", not_counted[k]);
		sends(&c, 0, line);
	}
	/* lower-case login */
	sends(&c, 0, "user bob\r\n");
	sends(&c, 1, "331 pw\r\n");
	sends(&c, 0, "pAsS x\r\n");
	sends(&c, 1, "230 in\r\n");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.service, WEIR_SVC_FTP);
	ck_assert_uint_eq(r.ct_ftp_cmd, 10);
	ck_assert_uint_eq(r.is_ftp_login, 1);
}
END_TEST

START_TEST(ftp_login_failure)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220 ready\r\n");
	sends(&c, 0, "USER root\r\n");
	sends(&c, 1, "331 Password required\r\n");
	sends(&c, 0, "PASS wrong\r\n");
	sends(&c, 1, "530 Login incorrect.\r\n");
	/* a 230 that answers something else is not a login */
	sends(&c, 0, "NOOP\r\n");
	sends(&c, 1, "230 whatever\r\n");
	/* PASS without USER */
	sends(&c, 0, "PASS again\r\n");
	sends(&c, 1, "230 odd\r\n");
	ck_assert_uint_eq(fin(&c).is_ftp_login, 0);

	/* USER and PASS in one segment (pipelined), then the two replies */
	conn_init(&c, 6, "10.0.0.1", 40001, "10.0.0.2", 21);
	sends(&c, 1, "220 ready\r\n");
	sends(&c, 0, "USER a\r\nPASS b\r\n");
	sends(&c, 1, "331 Password required\r\n230 Logged in\r\n");
	ck_assert_uint_eq(fin(&c).is_ftp_login, 1);
}
END_TEST

START_TEST(ftp_truncated_and_split_lines)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220 ready\r\n");
	/* the continuation of a split line is not a new command */
	sends(&c, 0, "STOR a-file-named-");
	sends(&c, 0, "RETR\r\n");
	sends(&c, 0, "PORT 10,0,0");       /* cut in the middle */
	sends(&c, 0, ",1,4,1\r\n");
	sends(&c, 0, "PORT 300,0,0,1,4,1\r\n");
	sends(&c, 0, "PORT\r\n");
	sends(&c, 0, "X\r\n\r\n\n");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.ct_ftp_cmd, 4);  /* STOR, PORT, PORT, PORT */
	struct weir_content_stats st;
	weir_content_get_stats(ctx, &st);
	ck_assert_uint_eq(st.ftp_bad_port, 3);
	ck_assert_uint_eq(st.expect_added, 0);
}
END_TEST

START_TEST(ftp_several_lines_per_segment)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220 ready\r\n");
	/* pipelined commands, lower case, LF-only line ends */
	sends(&c, 0, "USER a\nPASS b\ntype i\nepsv\nretr x\nstor y\n");
	sends(&c, 1, "331 pw\r\n230-hello\r\n 230 not the end\r\n230 in\r\n200 ok\r\n"
		     "229 Entering Extended Passive Mode (!!!4242!)\r\n150 go\r\n");
	struct weir_record r = fin(&c);
	ck_assert_uint_eq(r.is_ftp_login, 1);
	ck_assert_uint_eq(r.ct_ftp_cmd, 3);   /* EPSV RETR STOR */
	ck_assert_uint_eq(new_flow_service(4, c.cli, 50000, c.srv, 4242, c.ts),
			  WEIR_SVC_FTP_DATA);
	/* an IPv4 PORT on an IPv6 control connection is refused */
	struct weir_content_stats before, after;
	weir_content_get_stats(ctx, &before);
	conn_init(&c, 6, "10.0.0.1", 40001, "10.0.0.2", 21);
	c.family = WEIR_AF_INET6;
	sends(&c, 1, "220 ready\r\n");
	sends(&c, 0, "PORT 10,0,0,1,4,1\r\n");
	weir_content_get_stats(ctx, &after);
	ck_assert_uint_eq(after.ftp_bad_port, before.ftp_bad_port + 1);
	ck_assert_uint_eq(after.expect_added, before.expect_added);
	ck_assert_uint_eq(after.scan_errors, 0);
}
END_TEST

START_TEST(argument_parsers)
{
	uint8_t ip[4], a[16], fam;
	uint16_t port;
#define U(s) (const uint8_t *)(s), strlen(s)
	ck_assert_int_eq(weir_ftp_parse_port(U("141,142,220,235,131,46\r"), ip, &port), 0);
	ck_assert_uint_eq(ip[0], 141);
	ck_assert_uint_eq(port, 131 * 256 + 46);
	ck_assert_int_eq(weir_ftp_parse_port(U("1,2,3,4,5"), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_port(U("1,2,3,4,5,6,7"), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_port(U("1,2,3,4,256,6"), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_port(U(""), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_pasv(U("227 Entering Passive Mode (199,233,217,249,221,90)"), ip, &port), 0);
	ck_assert_uint_eq(port, 221 * 256 + 90);
	ck_assert_int_eq(weir_ftp_parse_pasv(U("227 =10,0,0,1,0,21"), ip, &port), 0);
	ck_assert_uint_eq(port, 21);
	ck_assert_int_eq(weir_ftp_parse_pasv(U("227 Entering Passive Mode (1,2,3,4,5"), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_pasv(U("227"), ip, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("|2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|"), &fam, a, &port), 0);
	ck_assert_uint_eq(fam, 6);
	ck_assert_uint_eq(a[0], 0x20);
	ck_assert_uint_eq(port, 49189);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("!1!10.1.2.3!80!"), &fam, a, &port), 0);
	ck_assert_uint_eq(fam, 4);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("|1|10.1.2.3|80"), &fam, a, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("|3|10.1.2.3|80|"), &fam, a, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("|2|not-an-address|80|"), &fam, a, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_eprt(U("|2|"), &fam, a, &port), -1);
	ck_assert_int_eq(weir_ftp_parse_epsv(U("229 Entering Extended Passive Mode (|||57086|)"), &port), 0);
	ck_assert_uint_eq(port, 57086);
	ck_assert_int_eq(weir_ftp_parse_epsv(U("229 (|||57086"), &port), -1);
	ck_assert_int_eq(weir_ftp_parse_epsv(U("229 (||"), &port), -1);
	ck_assert_int_eq(weir_ftp_parse_epsv(U("229 (|||99999|)"), &port), -1);
#undef U
}
END_TEST

static unsigned new_flow_service(uint8_t family, const uint8_t src[16], uint16_t sport,
				 const uint8_t dst[16], uint16_t dport, uint64_t ts)
{
	struct weir_pkt p;
	struct weir_content_state cs;
	memset(&p, 0, sizeof(p));
	p.family = family;
	p.proto = 6;
	p.ts_ns = ts;
	memcpy(p.src, src, 16);
	memcpy(p.dst, dst, 16);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = WEIR_TH_SYN;
	weir_content_init(ctx, &cs, &p);
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.proto = 6;
	weir_content_finalize(&cs, &r);
	return r.service;
}

START_TEST(ftp_data_expectations_v4)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	sends(&c, 1, "220 ready\r\n");
	sends(&c, 0, "PASV\r\n");
	sends(&c, 1, "227 Entering Passive Mode (10,0,0,2,200,10).\r\n");
	sends(&c, 0, "PORT 10,0,0,1,4,1\r\n");
	sends(&c, 1, "200 PORT command successful.\r\n");

	/* passive: client -> server:51210 */
	ck_assert_uint_eq(new_flow_service(4, c.cli, 50000, c.srv, 200 * 256 + 10, c.ts),
			  WEIR_SVC_FTP_DATA);
	/* consumed: a second connection to the same port is not ftp-data */
	ck_assert_uint_eq(new_flow_service(4, c.cli, 50001, c.srv, 200 * 256 + 10, c.ts),
			  WEIR_SVC_NONE);
	/* active: server (any port) -> client:1025; first packet seen may
	 * be the client's SYN-ACK */
	ck_assert_uint_eq(new_flow_service(4, c.cli, 1025, c.srv, 20, c.ts),
			  WEIR_SVC_FTP_DATA);
	/* wrong originator */
	sends(&c, 0, "PORT 10,0,0,1,4,2\r\n");
	uint8_t other[16] = { 10, 0, 0, 99 };
	ck_assert_uint_eq(new_flow_service(4, other, 20, c.cli, 1026, c.ts), WEIR_SVC_NONE);
	/* expired after 5 minutes */
	ck_assert_uint_eq(new_flow_service(4, c.srv, 20, c.cli, 1026,
					   c.ts + WEIR_FTP_EXPECT_NS + 1), WEIR_SVC_NONE);
}
END_TEST

START_TEST(ftp_data_expectations_v6)
{
	struct conn c;
	conn_init(&c, 6, "10.0.0.1", 40000, "10.0.0.2", 21);
	c.family = WEIR_AF_INET6;
	memset(c.cli, 0, 16); memset(c.srv, 0, 16);
	c.cli[0] = 0x20; c.cli[1] = 0x01; c.cli[15] = 1;
	c.srv[0] = 0x20; c.srv[1] = 0x01; c.srv[15] = 2;
	sends(&c, 1, "220 ready\r\n");
	sends(&c, 0, "EPSV\r\n");
	sends(&c, 1, "229 Entering Extended Passive Mode (|||57086|)\r\n");
	sends(&c, 0, "EPRT |2|2001::1|49189|\r\n");
	ck_assert_uint_eq(new_flow_service(6, c.cli, 49186, c.srv, 57086, c.ts), WEIR_SVC_FTP_DATA);
	ck_assert_uint_eq(new_flow_service(6, c.srv, 55785, c.cli, 49189, c.ts), WEIR_SVC_FTP_DATA);
	ck_assert_uint_eq(fin(&c).ct_ftp_cmd, 2);
}
END_TEST

START_TEST(expectation_table_is_bounded)
{
	char err[128];
	struct weir_expect_table *t = weir_expect_create(8, err, sizeof(err));
	struct weir_content_stats st;
	memset(&st, 0, sizeof(st));
	ck_assert_uint_eq(weir_expect_capacity(t), 8);
	uint8_t o[16] = { 1 }, r[16] = { 2 };
	for (unsigned i = 0; i < 100; i++)
		weir_expect_add(t, 4, o, r, (uint16_t)(1000 + i), i, 1000000, &st);
	ck_assert_uint_eq(st.expect_added, 100);
	ck_assert_uint_ge(st.expect_replaced, 92);
	/* the newest survive */
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1099, 200, &st), 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1000, 200, &st), 0);
	weir_expect_free(t);
}
END_TEST

START_TEST(expectation_table_empties_and_refills)
{
	/* one 4-way set: every path that sets or clears an entry (refresh,
	 * replace, expire on add, consume, expire on match) leaves the live
	 * ones matchable, and a drained table matches nothing */
	char err[128];
	struct weir_expect_table *t = weir_expect_create(4, err, sizeof(err));
	struct weir_content_stats st;
	memset(&st, 0, sizeof(st));
	ck_assert_uint_eq(weir_expect_capacity(t), 4);
	uint8_t o[16] = { 1 }, r[16] = { 2 };

	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1, 0, &st), 0);
	weir_expect_add(t, 4, o, r, 1, 0, 100, &st);
	weir_expect_add(t, 4, o, r, 1, 1, 100, &st);          /* refresh */
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1, 2, &st), 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1, 2, &st), 0);

	for (uint16_t p = 1; p <= 5; p++)                     /* 5 replaces 1 */
		weir_expect_add(t, 4, o, r, p, p, 100, &st);
	ck_assert_uint_eq(st.expect_replaced, 1);
	for (uint16_t p = 2; p <= 5; p++)
		ck_assert_int_eq(weir_expect_match(t, 4, o, r, p, 6, &st), 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1, 6, &st), 0);

	weir_expect_add(t, 4, o, r, 1, 10, 20, &st);
	weir_expect_add(t, 4, o, r, 2, 11, 1000, &st);
	weir_expect_add(t, 4, o, r, 3, 30, 1000, &st);         /* 1 expires */
	ck_assert_uint_eq(st.expect_expired, 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 2, 31, &st), 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 3, 31, &st), 1);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 1, 31, &st), 0);

	weir_expect_add(t, 4, o, r, 4, 40, 50, &st);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 4, 60, &st), 0);  /* expired */
	ck_assert_uint_eq(st.expect_expired, 2);
	weir_expect_add(t, 4, o, r, 5, 61, 100, &st);
	ck_assert_int_eq(weir_expect_match(t, 4, o, r, 5, 62, &st), 1);
	ck_assert_uint_eq(st.expect_matched, 8);
	weir_expect_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("content");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_fits_a_cache_line);
	tcase_add_test(tc, bad_expect_size_is_refused);
	tcase_add_test(tc, any_method_token_counts);
	tcase_add_test(tc, http09_answer_is_all_body);
	tcase_add_test(tc, http_connect);
	tcase_add_test(tc, request_before_confirmation_is_kept);
	tcase_add_test(tc, each_service_signature);
	tcase_add_test(tc, udp_signatures_only_on_their_ports);
	tcase_add_test(tc, off_port_needs_both_sides);
	tcase_add_test(tc, port_fallback_only_for_unseen_payload);
	tcase_add_test(tc, port_lists_as_documented);
	tcase_add_test(tc, partial_connection_is_not_http);
	tcase_add_test(tc, scanning_is_bounded);
	tcase_add_test(tc, http_keepalive_content_length);
	tcase_add_test(tc, http_pipelining);
	tcase_add_test(tc, http_body_across_segments_and_gap);
	tcase_add_test(tc, sequence_wrap_and_wild_jumps);
	tcase_add_test(tc, http_chunked);
	tcase_add_test(tc, http_interim_and_close_delimited);
	tcase_add_test(tc, http_garbage_stops_cleanly);
	tcase_add_test(tc, random_bytes_never_crash);
	tcase_add_test(tc, prefilter_agrees_with_hs_scan);
	tcase_add_test(tc, ftp_login_success_and_commands);
	tcase_add_test(tc, ftp_command_words);
	tcase_add_test(tc, ftp_login_failure);
	tcase_add_test(tc, ftp_truncated_and_split_lines);
	tcase_add_test(tc, ftp_several_lines_per_segment);
	tcase_add_test(tc, argument_parsers);
	tcase_add_test(tc, ftp_data_expectations_v4);
	tcase_add_test(tc, ftp_data_expectations_v6);
	tcase_add_test(tc, expectation_table_is_bounded);
	tcase_add_test(tc, expectation_table_empties_and_refills);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
