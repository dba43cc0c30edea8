/* Content features with Zeek's semantics: service, HTTP transactions and
 * body bytes, FTP login and commands, ftp-data by expectation.
 *
 * Per packet: at most SCAN_PKTS payload packets per direction are scanned by
 * the shared Hyperscan database (SCAN_BYTES each) until a service is named;
 * after that only the HTTP or FTP parser of the named service runs, in O(1)
 * state per direction. No allocation, lock, syscall or clock read here:
 * time comes from the packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "content.h"
#include "content_sig.h"
#include "content_http.h"
#include "content_ftp.h"

/* Zeek names a service after its analyzer parsed the protocol's first
 * message, which is in the first packet or two of a direction; 4 packets
 * leave room for a stray empty push or a banner split in two. */
#define SCAN_PKTS  4
#define SCAN_BYTES 1024

/* A packet that shows fewer payload bytes than this (snaplen) cannot
 * confirm anything: the flow may fall back to its port. */
#define MIN_JUDGE_BYTES 16

/* weir_content_state.flags */
#define CS_UNSEEN    0x01  /* payload was there but not captured enough to judge */
#define CS_HTTP_SPEC 0x02  /* the HTTP parser ran before the service was named */
#define CS_PARTIAL   0x04  /* TCP flow whose first packet had no SYN */

/* Zeek's HTTP and SSL analyzers ignore "partial" connections (first packet
 * seen without SYN): their evidence does not count there. */
#define EV_NOT_ON_PARTIAL (WEIR_EV_HTTP_REQ | WEIR_EV_HTTP_RESP | \
			   WEIR_EV_TLS_CHELLO | WEIR_EV_TLS_SHELLO | WEIR_EV_SSL2_HELLO)

_Static_assert(sizeof(struct weir_content_state) <= 64,
	       "content state must fit one cache line");

struct weir_content_db {
	struct weir_sig_db *sig;
};

struct weir_content_ctx {
	const struct weir_content_db *db;
	struct weir_sig_scratch *scratch;
	struct weir_expect_table *expect;
	struct weir_content_stats st;
};

struct weir_content_db *weir_content_db_create(char *err, size_t errlen)
{
	struct weir_content_db *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "content: out of memory");
		return NULL;
	}
	db->sig = weir_sig_db_create(err, errlen);
	if (!db->sig) {
		free(db);
		return NULL;
	}
	return db;
}

void weir_content_db_free(struct weir_content_db *db)
{
	if (!db)
		return;
	weir_sig_db_free(db->sig);
	free(db);
}

struct weir_content_ctx *weir_content_ctx_create(const struct weir_content_db *db,
						 unsigned max_expect,
						 char *err, size_t errlen)
{
	if (!db) {
		snprintf(err, errlen, "content: no signature database");
		return NULL;
	}
	struct weir_content_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errlen, "content: out of memory");
		return NULL;
	}
	ctx->db = db;
	ctx->scratch = weir_sig_scratch_create(db->sig, err, errlen);
	if (!ctx->scratch)
		goto fail;
	ctx->expect = weir_expect_create(max_expect, err, errlen);
	if (!ctx->expect)
		goto fail;
	return ctx;
fail:
	weir_content_ctx_free(ctx);
	return NULL;
}

void weir_content_ctx_free(struct weir_content_ctx *ctx)
{
	if (!ctx)
		return;
	weir_sig_scratch_free(ctx->scratch);
	weir_expect_free(ctx->expect);
	free(ctx);
}

void weir_content_get_stats(const struct weir_content_ctx *ctx,
			    struct weir_content_stats *st)
{
	*st = ctx->st;
}

void weir_content_init(struct weir_content_ctx *ctx,
		       struct weir_content_state *cs, const struct weir_pkt *pkt)
{
	memset(cs, 0, sizeof(*cs));
	/* the engine may hand over only packets with captured payload: a first
	 * packet whose payload the snaplen cut off is noted here */
	if (pkt->l4_payload_len > pkt->payload_caplen && pkt->payload_caplen < MIN_JUDGE_BYTES)
		cs->flags |= CS_UNSEEN;
	if (pkt->proto != 6 || (pkt->family != WEIR_AF_INET && pkt->family != WEIR_AF_INET6))
		return;
	if (!(pkt->tcp_flags & WEIR_TH_SYN))
		cs->flags |= CS_PARTIAL;
	if (weir_expect_match(ctx->expect, pkt->family, pkt->src, pkt->dst,
			      pkt->dport, pkt->ts_ns, &ctx->st) ||
	    weir_expect_match(ctx->expect, pkt->family, pkt->dst, pkt->src,
			      pkt->sport, pkt->ts_ns, &ctx->st)) {
		cs->service = WEIR_SVC_FTP_DATA;
		cs->svc_from_payload = 1;
	}
}

/* ---- service decision -------------------------------------------------- */

/* Zeek's well-known ports for the analyzers behind UNSW's services
 * (likely_server_ports of each base/protocols script). Switches, not
 * loops over lists: an unnamed flow asks on every payload packet, and the
 * list loops cost 33 instructions a payload packet on the bench mix
 * (callgrind). */
static int http_port(uint16_t p)
{
	switch (p) {
	case 80: case 81: case 631: case 1080: case 3128: case 8000: case 8080: case 8888:
		return 1;
	}
	return 0;
}

static int ftp_port(uint16_t p) { return p == 21 || p == 2811; }
static int smtp_port(uint16_t p) { return p == 25 || p == 587; }
static int pop3_port(uint16_t p) { return p == 110; }
static int ssh_port(uint16_t p) { return p == 22; }
static int irc_port(uint16_t p) { return p >= 6666 && p <= 6669; }

static int ssl_port(uint16_t p)
{
	switch (p) {
	case 443: case 563: case 585: case 614: case 636: case 989: case 990:
	case 992: case 993: case 995: case 5223: case 5349: case 8443:
		return 1;
	}
	return 0;
}

static int dns_port(uint16_t p, int tcp)
{
	return p == 53 || (!tcp && (p == 137 || p == 5353 || p == 5355));
}

static int snmp_port(uint16_t p) { return p == 161 || p == 162; }
static int dhcp_port(uint16_t p) { return p == 67 || p == 68; }
static int radius_port(uint16_t p) { return p == 1812 || p == 1813; }

/* TCP: on its port an analyzer confirms on its own side's first message;
 * elsewhere Zeek's DPD signatures want both sides (client and server
 * pattern) before the analyzer is even attached. */
static unsigned decide_tcp(const uint16_t ev[2], uint16_t rport)
{
	unsigned c = ev[0], s = ev[1];

	/* Zeek names ssh only when both version banners went by: the
	 * half-duplex SSH traces (either side alone) stay '-' */
	if (c & s & WEIR_EV_SSH)
		return WEIR_SVC_SSH;
	if (c & WEIR_EV_HTTP_REQ && (http_port(rport) || s & WEIR_EV_HTTP_RESP))
		return WEIR_SVC_HTTP;
	if (s & WEIR_EV_HTTP_RESP && http_port(rport))
		return WEIR_SVC_HTTP;
	if (ftp_port(rport) && (s & WEIR_EV_220 || c & (WEIR_EV_FTP_USER | WEIR_EV_FTP_CMD)))
		return WEIR_SVC_FTP;
	if (smtp_port(rport) && (s & WEIR_EV_220 || c & WEIR_EV_SMTP_HELO))
		return WEIR_SVC_SMTP;
	if (pop3_port(rport) && (s & WEIR_EV_POP3_OK || c & WEIR_EV_POP3_CMD))
		return WEIR_SVC_POP3;
	if (irc_port(rport) && (c & WEIR_EV_IRC_CLIENT || s & WEIR_EV_IRC_SERVER))
		return WEIR_SVC_IRC;
	if (ssl_port(rport) && (c & (WEIR_EV_TLS_CHELLO | WEIR_EV_SSL2_HELLO) ||
				s & WEIR_EV_TLS_SHELLO))
		return WEIR_SVC_SSL;
	/* off their ports: both sides */
	if (c & WEIR_EV_FTP_USER && s & WEIR_EV_220 && !(c & WEIR_EV_SMTP_HELO))
		return WEIR_SVC_FTP;
	if (c & WEIR_EV_SMTP_HELO && s & WEIR_EV_220)
		return WEIR_SVC_SMTP;
	if (c & WEIR_EV_POP3_CMD && s & WEIR_EV_POP3_OK)
		return WEIR_SVC_POP3;
	if (c & WEIR_EV_IRC_CLIENT && s & WEIR_EV_IRC_SERVER)
		return WEIR_SVC_IRC;
	if (c & (WEIR_EV_TLS_CHELLO | WEIR_EV_SSL2_HELLO) && s & WEIR_EV_TLS_SHELLO)
		return WEIR_SVC_SSL;
	return WEIR_SVC_NONE;
}

static unsigned decide_udp(const struct weir_pkt *pkt, const uint8_t *p, size_t n,
			   unsigned ev)
{
	uint16_t a = pkt->sport, b = pkt->dport;

	/* UDP analyzers are attached by port only (Zeek has no UDP DPD
	 * signature for these); either end may hold the service port, since
	 * the first packet seen can be the answer */
	if ((dns_port(a, 0) || dns_port(b, 0)) && weir_sig_is_dns(p, n, 0))
		return WEIR_SVC_DNS;
	if (ev & WEIR_EV_SNMP && (snmp_port(a) || snmp_port(b)))
		return WEIR_SVC_SNMP;
	if (ev & WEIR_EV_DHCP && (dhcp_port(a) || dhcp_port(b)))
		return WEIR_SVC_DHCP;
	if ((radius_port(a) || radius_port(b)) && weir_sig_is_radius(p, n))
		return WEIR_SVC_RADIUS;
	return WEIR_SVC_NONE;
}

/* Whose payload the signatures can name anything for: TCP's (decide_tcp
 * reads every evidence bit, on any port), UDP's only where an SNMP or DHCP
 * port is at either end (decide_udp reads those two bits there and no
 * other; DNS and RADIUS are checked by structure), no other protocol's.
 * The rest, DNS above all, paid a Hyperscan call for nothing: ~330
 * instructions a UDP payload on the 64-byte bench mix, ~680 on IMIX. */
static int signatures_matter(const struct weir_pkt *pkt)
{
	if (pkt->proto == 6)
		return 1;
	return pkt->proto == 17 &&
	       (snmp_port(pkt->sport) || snmp_port(pkt->dport) ||
		dhcp_port(pkt->sport) || dhcp_port(pkt->dport));
}

static void scan(struct weir_content_ctx *ctx, struct weir_content_state *cs,
		 const struct weir_pkt *pkt, int d, uint16_t rport,
		 const uint8_t *p, size_t n)
{
	if (cs->svc_from_payload || cs->scanned[d] >= SCAN_PKTS || n == 0)
		return;
	cs->scanned[d]++;
	size_t len = n < SCAN_BYTES ? n : SCAN_BYTES;
	int ev = 0;
	if (signatures_matter(pkt)) {
		ev = weir_sig_scan(ctx->db->sig, ctx->scratch, p, len);
		ctx->st.scans++;
		if (ev < 0) {
			ctx->st.scan_errors++;
			return;
		}
	}
	if (cs->flags & CS_PARTIAL)
		ev &= ~EV_NOT_ON_PARTIAL;
	unsigned had = cs->evidence[d];
	cs->evidence[d] |= (uint16_t)ev;

	unsigned svc;
	if (pkt->proto == 6) {
		/* Evidence only grows, and only here; rport is the flow's
		 * responder port on every packet. So with no new bit the
		 * answer is the one the last change got, which was none (or
		 * scanning would have stopped), and no evidence at all names
		 * nothing: most scans skip the rules (49 instructions a TCP
		 * scan on the bench mix, callgrind). */
		svc = cs->evidence[d] != had ? decide_tcp(cs->evidence, rport) : WEIR_SVC_NONE;
		/* DNS over TCP: port-attached, confirmed by a parsable message */
		if (svc == WEIR_SVC_NONE && dns_port(rport, 1) && weir_sig_is_dns(p, len, 1))
			svc = WEIR_SVC_DNS;
	} else if (pkt->proto == 17) {
		svc = decide_udp(pkt, p, len, (unsigned)ev);
	} else {
		return;
	}
	if (svc != WEIR_SVC_NONE) {
		cs->service = (uint8_t)svc;
		cs->svc_from_payload = 1;
		if (svc != WEIR_SVC_HTTP && (cs->flags & CS_HTTP_SPEC))
			weir_http_reset(cs);
	}
}

/* Until the service is named, a flow that may be HTTP is parsed as HTTP
 * anyway: the request usually comes before the answer that confirms it, and
 * there is no going back to it. What a wrong guess counted is dropped. */
static int http_speculative(const struct weir_content_state *cs, uint16_t rport)
{
	return !cs->svc_from_payload && !(cs->flags & CS_PARTIAL) &&
	       (http_port(rport) || (cs->evidence[0] & WEIR_EV_HTTP_REQ));
}

static void gap(struct weir_content_ctx *ctx, struct weir_content_state *cs,
		int d, uint64_t n)
{
	ctx->st.gap_bytes += n;
	if (cs->service == WEIR_SVC_HTTP || (cs->flags & CS_HTTP_SPEC))
		weir_http_gap(cs, d, n, &ctx->st);
	else if (cs->service == WEIR_SVC_FTP)
		weir_ftp_gap(cs, d);
}

void weir_content_update(struct weir_content_ctx *ctx,
			 struct weir_content_state *cs,
			 const struct weir_pkt *pkt, int from_src, uint64_t now_ns)
{
	int d = from_src ? 0 : 1;
	uint16_t rport = from_src ? pkt->dport : pkt->sport;
	uint32_t plen = pkt->l4_payload_len;
	size_t cap = pkt->payload_caplen < plen ? pkt->payload_caplen : plen;
	const uint8_t *p = pkt->payload;
	size_t off = 0;

	if (plen == 0)
		return;
	if (cap < plen && cap < MIN_JUDGE_BYTES && !cs->svc_from_payload)
		cs->flags |= CS_UNSEEN;

	if (pkt->proto == 6) {
		/* in-order stream bytes only: a retransmission would count a
		 * request or a body twice */
		struct weir_content_dir *dir = &cs->dir[d];
		uint32_t seq = pkt->tcp_seq + ((pkt->tcp_flags & WEIR_TH_SYN) ? 1 : 0);
		if (!(dir->flags & WEIR_DIR_HAS_SEQ)) {
			dir->flags |= WEIR_DIR_HAS_SEQ;
			dir->next_seq = seq;
		}
		/* sequence space wraps: "behind" is the half below next_seq */
		uint32_t ahead = seq - dir->next_seq;
		if (ahead & 0x80000000u) {
			uint32_t overlap = dir->next_seq - seq;
			if (overlap >= plen) {
				ctx->st.retrans_bytes += plen;
				return;
			}
			ctx->st.retrans_bytes += overlap;
			off = overlap;
		} else if (ahead) {
			gap(ctx, cs, d, ahead);
		}
		dir->next_seq = seq + plen;
	}

	const uint8_t *data = p + off;
	size_t n = cap > off ? cap - off : 0;

	scan(ctx, cs, pkt, d, rport, data, n);

	if (pkt->proto == 6 && n) {
		if (cs->service == WEIR_SVC_HTTP || http_speculative(cs, rport)) {
			if (!cs->svc_from_payload)
				cs->flags |= CS_HTTP_SPEC;
			weir_http_parse(cs, d, data, n, &ctx->st);
		} else if (cs->service == WEIR_SVC_FTP) {
			struct weir_ftp_peers peers = {
				.family = pkt->family,
				.client = from_src ? pkt->src : pkt->dst,
				.server = from_src ? pkt->dst : pkt->src,
			};
			weir_ftp_parse(cs, d, data, n, &peers, ctx->expect, now_ns, &ctx->st);
		}
	}
	if (pkt->proto == 6 && off + n < plen)
		gap(ctx, cs, d, plen - (off + n));   /* cut by the snaplen */
}

int weir_content_finished(const struct weir_content_state *cs)
{
	return cs->svc_from_payload && cs->service != WEIR_SVC_HTTP &&
	       cs->service != WEIR_SVC_FTP;
}

/* The port alone names the service only when payload went by that we could
 * not read (snaplen): Zeek would have had the bytes, and on its port the
 * analyzer confirms in the vast majority of flows (doc/content.md). A flow
 * without payload gets '-', as in Zeek. */
static unsigned port_service(unsigned proto, uint16_t p)
{
	if (proto == 6) {
		if (http_port(p)) return WEIR_SVC_HTTP;
		if (ftp_port(p)) return WEIR_SVC_FTP;
		if (smtp_port(p)) return WEIR_SVC_SMTP;
		if (ssh_port(p)) return WEIR_SVC_SSH;
		if (pop3_port(p)) return WEIR_SVC_POP3;
		if (irc_port(p)) return WEIR_SVC_IRC;
		if (ssl_port(p)) return WEIR_SVC_SSL;
		if (p == 53) return WEIR_SVC_DNS;
	} else if (proto == 17) {
		if (dns_port(p, 0)) return WEIR_SVC_DNS;
		if (snmp_port(p)) return WEIR_SVC_SNMP;
		if (dhcp_port(p)) return WEIR_SVC_DHCP;
		if (radius_port(p)) return WEIR_SVC_RADIUS;
	}
	return WEIR_SVC_NONE;
}

void weir_content_finalize(const struct weir_content_state *cs,
			   struct weir_record *rec)
{
	unsigned svc = WEIR_SVC_NONE;

	if (cs->svc_from_payload)
		svc = cs->service;
	else if (cs->flags & CS_UNSEEN)
		svc = port_service(rec->proto, rec->dsport);
	rec->service = (uint8_t)svc;
	/* the HTTP and FTP features belong to a flow with that service (a
	 * speculative HTTP parse of a flow never confirmed counts nothing) */
	if (cs->service == WEIR_SVC_HTTP && cs->svc_from_payload) {
		rec->trans_depth = cs->http_reqs > cs->http_resps ? cs->http_reqs : cs->http_resps;
		rec->res_bdy_len = cs->res_bdy_len;
		rec->ct_flw_http_mthd = cs->http_methods;
	}
	if (cs->service == WEIR_SVC_FTP && cs->svc_from_payload) {
		rec->is_ftp_login = cs->is_ftp_login;
		rec->ct_ftp_cmd = cs->ftp_cmds;
	}
}
