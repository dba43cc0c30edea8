/* Service signatures: the one Hyperscan database, and the structural checks
 * for the binary UDP protocols that no byte pattern pins down (DNS, RADIUS).
 *
 * A scan only collects evidence bits per direction; content.c turns evidence
 * plus the responder port into a service the way Zeek does: an analyzer is
 * attached by well-known port or by a DPD signature, and the service is
 * named only once the analyzer has parsed real protocol data. Private to the
 * content module.
 */
#ifndef WEIR_CONTENT_SIG_H
#define WEIR_CONTENT_SIG_H

#include <stdint.h>
#include <stddef.h>

/* Evidence bits (struct weir_content_state.evidence[dir]). */
enum {
	WEIR_EV_HTTP_REQ   = 1u << 0,  /* METHOD SP URI SP HTTP/d.d */
	WEIR_EV_HTTP_RESP  = 1u << 1,  /* HTTP/d.d SP ddd */
	WEIR_EV_220        = 1u << 2,  /* 220 greeting (FTP, SMTP) */
	WEIR_EV_FTP_USER   = 1u << 3,  /* USER name */
	WEIR_EV_SMTP_HELO  = 1u << 4,  /* HELO / EHLO */
	WEIR_EV_POP3_OK    = 1u << 5,  /* +OK */
	WEIR_EV_POP3_CMD   = 1u << 6,  /* USER/APOP/AUTH/CAPA/STLS */
	WEIR_EV_IRC_CLIENT = 1u << 7,  /* NICK / USER a b c :d / PASS */
	WEIR_EV_IRC_SERVER = 1u << 8,  /* :prefix NOTICE|ddd */
	WEIR_EV_SSH        = 1u << 9,  /* SSH-1.x / SSH-2.0 banner */
	WEIR_EV_TLS_CHELLO = 1u << 10, /* TLS record, ClientHello */
	WEIR_EV_TLS_SHELLO = 1u << 11, /* TLS record, ServerHello */
	WEIR_EV_SSL2_HELLO = 1u << 12, /* SSLv2 CLIENT-HELLO */
	WEIR_EV_SNMP       = 1u << 13, /* BER SEQUENCE, version 0-3, community */
	WEIR_EV_DHCP       = 1u << 14, /* BOOTP op/htype + DHCP magic cookie */
	WEIR_EV_FTP_CMD    = 1u << 15, /* other FTP client commands (PASS, SYST, AUTH...) */
};

/* What the patterns that can begin with a given byte allow (content_sig.c,
 * build_prefilter). */
struct weir_sig_lead {
	uint16_t need;   /* no match is shorter; UINT16_MAX: no pattern begins so */
	uint16_t upto;   /* no match is longer, nor depends on the bytes after it;
			  * UINT16_MAX: not bounded */
};

/* Here and not in content_sig.c so that weir_sig_scan's table look-up is
 * inlined into the caller. */
struct weir_sig_db {
	struct weir_sig_lead lead[256];   /* by the payload's first byte */
	struct hs_database *hs;
};

struct weir_sig_scratch;

struct weir_sig_db *weir_sig_db_create(char *err, size_t errlen);
void weir_sig_db_free(struct weir_sig_db *db);

struct weir_sig_scratch *weir_sig_scratch_create(const struct weir_sig_db *db,
						 char *err, size_t errlen);
void weir_sig_scratch_free(struct weir_sig_scratch *s);

/* The scan without the prefilter: hs_scan on the whole payload. */
int weir_sig_scan_hs(const struct weir_sig_db *db, struct weir_sig_scratch *s,
		     const uint8_t *data, size_t len);

/* Scan one payload (block mode). Returns the evidence bits found, or -1 on a
 * Hyperscan error. No allocation. A payload that no pattern can match by its
 * first byte and length is answered without Hyperscan, and Hyperscan sees no
 * more bytes than the longest match that first byte allows (content_sig.c). */
static inline int weir_sig_scan(const struct weir_sig_db *db, struct weir_sig_scratch *s,
				const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	const struct weir_sig_lead *l = &db->lead[data[0]];
	if (len < l->need)
		return 0;
	return weir_sig_scan_hs(db, s, data, len < l->upto ? len : l->upto);
}

/* Is this a plausible DNS message? `tcp`: it starts with the 2-byte length
 * prefix. Checks the header and the first question name, bounded by `len`. */
int weir_sig_is_dns(const uint8_t *p, size_t len, int tcp);

/* Is this a plausible RADIUS packet (RFC 2865 code, length field)? */
int weir_sig_is_radius(const uint8_t *p, size_t len);

/* Number of patterns in the database (for the documentation/tests). */
unsigned weir_sig_pattern_count(void);

#endif
