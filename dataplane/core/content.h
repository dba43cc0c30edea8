/* Content features: service identification and the HTTP/FTP features of
 * UNSW-NB15 (service, trans_depth, res_bdy_len, ct_flw_http_mthd,
 * is_ftp_login, ct_ftp_cmd), with Zeek's semantics.
 *
 * Matching uses one Hyperscan database compiled once at start (shared,
 * read-only) and one scratch per worker. ftp-data connections are recognised
 * from the PORT/PASV/EPRT/EPSV exchange of their control connection through a
 * small per-worker expectation table.
 */
#ifndef WEIR_CONTENT_H
#define WEIR_CONTENT_H

#include <stdint.h>
#include <stddef.h>
#include "decode.h"
#include "record.h"

/* One direction of a TCP byte stream as the line/message parsers see it.
 * 16 bytes. `left` counts body or chunk bytes still to skip (HTTP) and holds
 * the number being accumulated while a header value or status code is read;
 * `next_seq` drops retransmitted bytes and measures gaps. */
struct weir_content_dir {
	uint64_t left;
	uint32_t next_seq;
	uint8_t phase;            /* parser phase (content_http.c / content_ftp.c) */
	uint8_t match;            /* progress in a token being matched */
	uint8_t flags;            /* per-direction parser bits */
	uint8_t aux;              /* small per-phase scratch (chunked match, reply code) */
};

/* Per-flow content state, kept in the flow table's cold area. Contents are
 * the content module's own; 64 bytes at most (one cache line). */
struct weir_content_state {
	uint64_t res_bdy_len;     /* HTTP response body bytes (de-chunked) */
	struct weir_content_dir dir[2]; /* [0] = client (flow source), [1] = server */
	uint16_t http_reqs;       /* HTTP requests seen */
	uint16_t http_resps;      /* HTTP final (non-1xx) responses seen */
	uint16_t http_methods;    /* requests with a method token (ct_flw_http_mthd) */
	uint16_t ftp_cmds;        /* FTP commands Zeek's ftp.log records (ct_ftp_cmd) */
	uint16_t evidence[2];     /* signature hits per direction (content_sig.h) */
	uint8_t service;          /* enum weir_service, decided so far */
	uint8_t svc_from_payload; /* 1 once payload (or an ftp-data expectation) decided it */
	uint8_t scanned[2];       /* payload packets scanned per direction */
	uint8_t is_ftp_login;     /* successful USER+PASS logins (230 after PASS) */
	uint8_t ftp_state;        /* FTP login progress bits */
	uint8_t head_bits;        /* per outstanding request (mod 8): HEAD */
	uint8_t connect_bits;     /* ... CONNECT (a 2xx answer opens a tunnel) */
	uint8_t v09_bits;         /* ... HTTP/0.9 request (answer = raw body to close) */
	uint8_t resp_slot;        /* responses started (mod 256), indexes the bits */
	uint8_t flags;            /* CS_* (content.c) */
};

/* Shared, read-only after creation: the compiled Hyperscan database. */
struct weir_content_db;

/* Per-worker: scratch space and the ftp-data expectation table. */
struct weir_content_ctx;

struct weir_content_db *weir_content_db_create(char *err, size_t errlen);
void weir_content_db_free(struct weir_content_db *db);

/* `max_expect` bounds the ftp-data expectation table (oldest replaced). */
struct weir_content_ctx *weir_content_ctx_create(const struct weir_content_db *db,
						 unsigned max_expect,
						 char *err, size_t errlen);
void weir_content_ctx_free(struct weir_content_ctx *ctx);

/* First packet of a flow: clears the state and matches the flow against the
 * ftp-data expectations (in both orientations, since the first packet seen
 * need not come from the initiator). */
void weir_content_init(struct weir_content_ctx *ctx,
		       struct weir_content_state *cs, const struct weir_pkt *pkt);

/* Every packet with payload. `from_src`: sent by the flow's source (client). */
void weir_content_update(struct weir_content_ctx *ctx,
			 struct weir_content_state *cs,
			 const struct weir_pkt *pkt, int from_src, uint64_t now_ns);

/* Nothing a later packet carries can change this flow's content features:
 * the service is named from payload and is neither HTTP nor FTP, whose
 * parsers follow the whole stream. The engine stops calling
 * weir_content_update() then (so the per-worker retransmission and gap
 * counts cover the streams still followed). */
int weir_content_finished(const struct weir_content_state *cs);

/* Fill service, trans_depth, res_bdy_len, ct_flw_http_mthd, is_ftp_login,
 * ct_ftp_cmd of `rec`. */
void weir_content_finalize(const struct weir_content_state *cs,
			   struct weir_record *rec);

/* Per-worker counters: what the content analysis did and what it had to
 * give up on, by reason. */
struct weir_content_stats {
	uint64_t scans;            /* payloads scanned (prefilter or Hyperscan) */
	uint64_t scan_errors;      /* hs_scan failures (flow left undecided) */
	uint64_t retrans_bytes;    /* payload bytes skipped as already seen */
	uint64_t gap_bytes;        /* payload bytes never seen (loss, snaplen) */
	uint64_t http_desync;      /* HTTP streams given up (gap in headers, garbage) */
	uint64_t ftp_bad_port;     /* PORT/EPRT/227/229 that did not parse */
	uint64_t expect_added;
	uint64_t expect_matched;
	uint64_t expect_replaced;  /* evicted by a newer one (table set full) */
	uint64_t expect_expired;
};

void weir_content_get_stats(const struct weir_content_ctx *ctx,
			    struct weir_content_stats *st);

#endif
