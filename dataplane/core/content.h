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

/* Per-flow content state, kept in the flow table's cold area. Contents are
 * the content module's own. */
struct weir_content_state {
	uint8_t service;          /* enum weir_service, decided so far */
	uint8_t svc_from_payload; /* 1 once payload confirmed the service */
	uint8_t http_state;
	uint8_t ftp_state;
	uint8_t is_ftp_login;
	uint8_t pad[3];
	uint32_t trans_depth;
	uint32_t http_methods;    /* request methods seen (ct_flw_http_mthd) */
	uint32_t ftp_cmds;        /* FTP commands seen (ct_ftp_cmd) */
	uint64_t res_bdy_len;
	uint64_t body_left;       /* bytes of the current response body still expected */
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

/* First packet of a flow: port-based guess and ftp-data expectations.
 * `src_is_pkt_src` says whether the packet's sender is the flow's source. */
void weir_content_init(struct weir_content_ctx *ctx,
		       struct weir_content_state *cs, const struct weir_pkt *pkt);

/* Every packet with payload. `from_src`: sent by the flow's source (client). */
void weir_content_update(struct weir_content_ctx *ctx,
			 struct weir_content_state *cs,
			 const struct weir_pkt *pkt, int from_src, uint64_t now_ns);

/* Fill service, trans_depth, res_bdy_len, ct_flw_http_mthd, is_ftp_login,
 * ct_ftp_cmd of `rec`. */
void weir_content_finalize(const struct weir_content_state *cs,
			   struct weir_record *rec);

#endif
