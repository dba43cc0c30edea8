/* Streaming HTTP/1.x message parser for the content features: counts
 * requests and responses (trans_depth, ct_flw_http_mthd) and response body
 * bytes (res_bdy_len) one packet at a time, with O(1) state per direction
 * (struct weir_content_dir) and no reassembly buffer. Private to the content
 * module. */
#ifndef WEIR_CONTENT_HTTP_H
#define WEIR_CONTENT_HTTP_H

#include <stdint.h>
#include <stddef.h>
#include "content.h"

/* `dir`: 0 = client bytes, 1 = server bytes, in stream order. */
void weir_http_parse(struct weir_content_state *cs, int dir,
		     const uint8_t *p, size_t n, struct weir_content_stats *st);

/* `n` stream bytes of `dir` were never seen (loss, snaplen, capture start). */
void weir_http_gap(struct weir_content_state *cs, int dir, uint64_t n,
		   struct weir_content_stats *st);

/* Forget what a speculative parse counted (the flow turned out not to be
 * HTTP); keeps the sequence tracking. */
void weir_http_reset(struct weir_content_state *cs);

#endif
