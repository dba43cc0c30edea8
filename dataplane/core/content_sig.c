/* Service signatures: one Hyperscan database of anchored patterns, compiled
 * once and shared read-only by all workers; one scratch per worker.
 *
 * The patterns play the part of Zeek's DPD signatures and of the first parse
 * step of its analyzers (a request line, a greeting, a handshake record).
 * Every pattern is anchored at the start of a packet's payload: protocols
 * announce themselves in their first bytes, and an anchored pattern lets
 * Hyperscan give up on a packet after a few bytes. */
#include <stdio.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hs/hs.h>
#include "content_sig.h"

#define NEED_NONE UINT16_MAX
#define UPTO_ALL UINT16_MAX

struct weir_sig_scratch {
	hs_scratch_t *hs;
};

struct sig_pat {
	const char *re;
	unsigned flags;
	unsigned bit;   /* WEIR_EV_* */
	/* every byte a match of `re` can begin with, as a regex for one byte
	 * read with the same flags: the first atom of `re`, and `\s` where
	 * `re` starts with `\s*` (the prefilter, build_prefilter) */
	const char *lead;
};

/* `\s` is space/tab/CR/LF/FF/VT, as Zeek's [[:space:]]. Case-insensitive
 * where the protocol (or Zeek's signature) is. */
static const struct sig_pat pats[] = {
	/* request line: method token, then a target and the version, or a
	 * target that is a path, '*' or an absolute URI (HTTP/0.9 lines), or
	 * straight the version, as Zeek's request-line parser takes them */
	{ "^\\s*[A-Za-z][A-Za-z0-9_.-]{0,23} +([^\\r\\n]* HTTP/[0-9]|/|\\*|[A-Za-z][A-Za-z0-9+.-]*://|HTTP/[0-9])[^\\r\\n]*\\r?\\n",
	  0, WEIR_EV_HTTP_REQ, "\\s|[A-Za-z]" },
	{ "^HTTP/[0-9]\\.[0-9] [0-9]{3}", 0, WEIR_EV_HTTP_RESP, "H" },
	{ "^\\s*220[ -]", 0, WEIR_EV_220, "\\s|2" },
	{ "^\\s*user\\s", HS_FLAG_CASELESS, WEIR_EV_FTP_USER, "\\s|u" },
	{ "^\\s*(helo|ehlo)\\s", HS_FLAG_CASELESS, WEIR_EV_SMTP_HELO, "\\s|[he]" },
	{ "^\\+OK", 0, WEIR_EV_POP3_OK, "\\+" },
	{ "^\\s*(user|apop|auth|capa|stls)(\\s|$)", HS_FLAG_CASELESS, WEIR_EV_POP3_CMD,
	  "\\s|[uacs]" },
	{ "^\\s*(nick\\s+[^\\s]+|pass\\s+[^\\s]+\\s*\\r?\\n\\s*nick\\s|user\\s+[^\\s]+\\s+[^\\s]+\\s+[^\\s]+\\s+:)",
	  HS_FLAG_CASELESS, WEIR_EV_IRC_CLIENT, "\\s|[npu]" },
	{ "^:[^ \\r\\n]+ (NOTICE|[0-9]{3}) ", 0, WEIR_EV_IRC_SERVER, ":" },
	{ "^ssh-[12]\\.[0-9]+-", HS_FLAG_CASELESS, WEIR_EV_SSH, "s" },
	/* TLS record type 22 (handshake), version 3.0-3.4, length, then the
	 * handshake type: 1 ClientHello, 2 ServerHello */
	{ "^\\x16\\x03[\\x00-\\x04].{2}\\x01", HS_FLAG_DOTALL, WEIR_EV_TLS_CHELLO, "\\x16" },
	{ "^\\x16\\x03[\\x00-\\x04].{2}\\x02", HS_FLAG_DOTALL, WEIR_EV_TLS_SHELLO, "\\x16" },
	/* SSLv2-framed CLIENT-HELLO (2-byte header with the top bit set) */
	{ "^[\\x80-\\xff].\\x01(\\x00\\x02|\\x03[\\x00-\\x03])", HS_FLAG_DOTALL, WEIR_EV_SSL2_HELLO,
	  "[\\x80-\\xff]" },
	/* SNMP: SEQUENCE, BER length, INTEGER version 0..3, OCTET STRING community */
	{ "^\\x30([\\x00-\\x7f]|\\x81.|\\x82..)\\x02\\x01[\\x00-\\x03]\\x04", HS_FLAG_DOTALL, WEIR_EV_SNMP,
	  "\\x30" },
	/* BOOTP op 1/2, htype Ethernet/IEEE802, hlen 6, DHCP cookie at 236 */
	{ "^[\\x01\\x02][\\x01\\x06]\\x06.{233}\\x63\\x82\\x53\\x63", HS_FLAG_DOTALL, WEIR_EV_DHCP,
	  "[\\x01\\x02]" },
	{ "^\\s*(pass|syst|auth|feat|pwd|xpwd|cwd|cdup|type|pasv|epsv|port|eprt|list|nlst|mlsd|retr|stor|stou|appe|dele|quit|noop|opts|acct|mkd|rmd|size|mdtm|site|stat|rest|rnfr|rnto|abor|mode|stru)(\\s|$)",
	  HS_FLAG_CASELESS, WEIR_EV_FTP_CMD, "\\s|[acdeflmnopqrstx]" },
};

#define NPATS (sizeof(pats) / sizeof(pats[0]))

unsigned weir_sig_pattern_count(void)
{
	return NPATS;
}

/* ---- prefilter --------------------------------------------------------- */

struct lead_hits {
	const unsigned *min, *max;  /* shortest and longest match of each pattern */
	unsigned need, upto;        /* over the patterns whose lead matched */
	int any;
};

static int on_lead(unsigned int id, unsigned long long from,
		   unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from; (void)to; (void)flags;
	struct lead_hits *h = ctx;
	if (h->min[id] < h->need)
		h->need = h->min[id];
	if (h->max[id] > h->upto)
		h->upto = h->max[id];
	h->any = 1;
	return 0;
}

static int compile_error(char *err, size_t errlen, const char *what, unsigned i,
			 hs_compile_error_t *cerr)
{
	snprintf(err, errlen, "content: %s of signature %u (%s): %s", what, i, pats[i].re,
		 cerr ? cerr->message : "unknown error");
	hs_free_compile_error(cerr);
	return -1;
}

/* Every pattern is anchored at the payload's start, so a payload whose
 * first byte begins no pattern, or that is shorter than the shortest match
 * of the patterns its first byte can begin, matches nothing: weir_sig_scan
 * answers it with one table look-up instead of hs_scan (~280 instructions
 * even on a 6-byte payload). And where those patterns' matches are all
 * short (a TLS or SSLv2 record header), hs_scan need see only that many
 * bytes: on the IMIX bench mix's payloads (18 to 1,024 bytes scanned) it
 * cost ~1,360 instructions a scan, even where it found nothing.
 *
 * The table is built by Hyperscan itself: it reads each pattern's `lead`
 * with the pattern's flags (so `\s` and caseless mean exactly what they
 * mean in the pattern) against each of the 256 one-byte payloads, and
 * hs_expression_info gives each pattern's shortest and longest match
 * (bounds whatever the first byte). A pattern that can match at the end of
 * the data (`$`) or has a word-boundary assertion is not bounded: cutting
 * the payload could make or break its match. The unit test checks the
 * prefiltered scan against hs_scan alone. */
static int build_prefilter(struct weir_sig_db *db, char *err, size_t errlen)
{
	char lead[NPATS][64];
	const char *exprs[NPATS];
	unsigned flags[NPATS], ids[NPATS], min[NPATS], max[NPATS];
	hs_compile_error_t *cerr = NULL;
	hs_expr_info_t *info = NULL;
	hs_database_t *hs = NULL;
	hs_scratch_t *scratch = NULL;
	int rc = -1;

	for (unsigned i = 0; i < NPATS; i++) {
		flags[i] = pats[i].flags | HS_FLAG_SINGLEMATCH;
		if (hs_expression_info(pats[i].re, flags[i], &info, &cerr) != HS_SUCCESS)
			return compile_error(err, errlen, "no width", i, cerr);
		min[i] = info->min_width;
		max[i] = info->max_width;
		if (info->matches_at_eod || strstr(pats[i].re, "\\b") || strstr(pats[i].re, "\\B"))
			max[i] = UINT_MAX;
		free(info);
		snprintf(lead[i], sizeof(lead[i]), "^(?:%s)", pats[i].lead);
		if (hs_expression_info(lead[i], flags[i], &info, &cerr) != HS_SUCCESS)
			return compile_error(err, errlen, "bad lead", i, cerr);
		int one = info->min_width == 1 && info->max_width == 1;
		free(info);
		if (!one) {
			snprintf(err, errlen, "content: the lead of signature %u must match one byte", i);
			return -1;
		}
		exprs[i] = lead[i];
		ids[i] = i;
	}
	if (hs_compile_multi(exprs, flags, ids, NPATS, HS_MODE_BLOCK, NULL, &hs, &cerr) != HS_SUCCESS)
		return compile_error(err, errlen, "lead",
				     cerr && cerr->expression >= 0 ? (unsigned)cerr->expression : 0, cerr);
	if (hs_alloc_scratch(hs, &scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "content: hs_alloc_scratch failed for the prefilter");
		goto out;
	}
	for (unsigned b = 0; b < 256; b++) {
		char c = (char)b;
		struct lead_hits h = { .min = min, .max = max, .need = NEED_NONE - 1 };
		if (hs_scan(hs, &c, 1, 0, scratch, on_lead, &h) != HS_SUCCESS) {
			snprintf(err, errlen, "content: hs_scan failed building the prefilter");
			goto out;
		}
		db->lead[b].need = h.any ? (uint16_t)h.need : NEED_NONE;
		db->lead[b].upto = h.any && h.upto < UPTO_ALL ? (uint16_t)h.upto : UPTO_ALL;
	}
	rc = 0;
out:
	hs_free_scratch(scratch);
	hs_free_database(hs);
	return rc;
}

/* ---- database and scratch ---------------------------------------------- */

struct weir_sig_db *weir_sig_db_create(char *err, size_t errlen)
{
	const char *exprs[NPATS];
	unsigned flags[NPATS], ids[NPATS];
	hs_compile_error_t *cerr = NULL;
	struct weir_sig_db *db = calloc(1, sizeof(*db));

	if (!db) {
		snprintf(err, errlen, "content: out of memory for the signature database");
		return NULL;
	}
	for (unsigned i = 0; i < NPATS; i++) {
		exprs[i] = pats[i].re;
		flags[i] = pats[i].flags | HS_FLAG_SINGLEMATCH;
		ids[i] = i;
	}
	if (hs_compile_multi(exprs, flags, ids, NPATS, HS_MODE_BLOCK, NULL,
			     &db->hs, &cerr) != HS_SUCCESS) {
		snprintf(err, errlen, "content: Hyperscan could not compile signature %d (%s): %s",
			 cerr ? cerr->expression : -1,
			 cerr && cerr->expression >= 0 ? pats[cerr->expression].re : "?",
			 cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		free(db);
		return NULL;
	}
	if (build_prefilter(db, err, errlen) < 0) {
		weir_sig_db_free(db);
		return NULL;
	}
	return db;
}

void weir_sig_db_free(struct weir_sig_db *db)
{
	if (!db)
		return;
	hs_free_database(db->hs);
	free(db);
}

struct weir_sig_scratch *weir_sig_scratch_create(const struct weir_sig_db *db,
						 char *err, size_t errlen)
{
	struct weir_sig_scratch *s = calloc(1, sizeof(*s));
	hs_error_t rc;

	if (!s) {
		snprintf(err, errlen, "content: out of memory for Hyperscan scratch");
		return NULL;
	}
	rc = hs_alloc_scratch(db->hs, &s->hs);
	if (rc != HS_SUCCESS) {
		snprintf(err, errlen, "content: hs_alloc_scratch failed (error %d)", rc);
		free(s);
		return NULL;
	}
	return s;
}

void weir_sig_scratch_free(struct weir_sig_scratch *s)
{
	if (!s)
		return;
	hs_free_scratch(s->hs);
	free(s);
}

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from; (void)to; (void)flags;
	unsigned *ev = ctx;
	if (id < NPATS)
		*ev |= pats[id].bit;
	return 0;
}

int weir_sig_scan_hs(const struct weir_sig_db *db, struct weir_sig_scratch *s,
		     const uint8_t *data, size_t len)
{
	unsigned ev = 0;
	if (len == 0)
		return 0;
	if (hs_scan(db->hs, (const char *)data, (unsigned)len, 0, s->hs,
		    on_match, &ev) != HS_SUCCESS)
		return -1;
	return (int)ev;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int weir_sig_is_dns(const uint8_t *p, size_t len, int tcp)
{
	if (tcp) {
		if (len < 2)
			return 0;
		unsigned mlen = be16(p);
		if (mlen < 12)
			return 0;
		p += 2;
		len -= 2;
	}
	if (len < 12)
		return 0;
	unsigned flags = be16(p + 2);
	unsigned opcode = (flags >> 11) & 0xf;
	unsigned qd = be16(p + 4), an = be16(p + 6), ns = be16(p + 8), ar = be16(p + 10);
	int is_resp = (flags & 0x8000) != 0;

	/* QUERY, IQUERY, STATUS, NOTIFY, UPDATE */
	if (opcode == 3 || opcode > 5)
		return 0;
	if (qd > 64 || an + ns + ar > 1024)
		return 0;
	if (qd + an + ns + ar == 0)
		return 0;
	if (!is_resp && qd == 0 && opcode == 0)
		return 0;
	if (qd == 0)
		return 1;
	/* first question name: labels of <= 63 bytes or a compression
	 * pointer, at most 255 bytes; running out of captured bytes is not
	 * evidence against */
	size_t off = 12, name = 0;
	while (off < len) {
		unsigned l = p[off];
		if (l == 0) {
			off++;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			off += 2;
			break;
		}
		if (l & 0xc0)
			return 0;
		name += l + 1;
		if (name > 255)
			return 0;
		off += l + 1;
	}
	return 1;
}

int weir_sig_is_radius(const uint8_t *p, size_t len)
{
	if (len < 20)
		return 0;
	unsigned code = p[0], plen = be16(p + 2);
	int code_ok = (code >= 1 && code <= 5) || (code >= 11 && code <= 13) ||
		      (code >= 40 && code <= 45);
	/* the length field covers the whole packet; more captured bytes
	 * than it says is padding, fewer is truncation only if we were cut */
	return code_ok && plen >= 20 && plen <= 4096 && plen <= len;
}
