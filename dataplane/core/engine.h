/* The pipeline core: decode -> flow table -> features/content -> record.
 *
 * One engine per worker core (or one for the offline extractor). It owns a
 * flow table, a content context and a connection window, and hands each
 * finished flow record to the sink the caller gave. No DPDK here: the DPDK
 * workers, `weirctl extract` and the tests all run this same code.
 */
#ifndef WEIR_ENGINE_H
#define WEIR_ENGINE_H

#include <stdint.h>
#include <stddef.h>
#include "decode.h"
#include "flowtable.h"
#include "record.h"

/* Receives every finished record. Runs on the worker; must not block. */
typedef void (*weir_sink_fn)(void *ctx, struct weir_record *rec);

/* Optional early verdict on a still-open flow, called once when the flow
 * reaches `early_pkts` packets, with a provisional record (ct_* window
 * features are those the flow would get if it ended now, without entering
 * the window). Return 1 to block the flow: its later packets are marked
 * for dropping in weir_engine_burst()'s `drop` array. */
typedef int (*weir_early_fn)(void *ctx, const struct weir_record *rec);

struct weir_engine_config {
	struct weir_ft_config ft;
	uint32_t ct_window;          /* ct_* window, default 100 connections */
	uint32_t max_ftp_expect;     /* ftp-data expectations, default 1024 */
	uint16_t worker_id;
	uint8_t content;             /* 1 = run the Hyperscan content analysis */
	uint32_t early_pkts;         /* 0 = no early verdicts */
};

void weir_engine_config_defaults(struct weir_engine_config *cfg);

struct weir_engine_stats {
	uint64_t packets;            /* frames handed in */
	uint64_t bytes;              /* their wire bytes */
	uint64_t processed;          /* frames that updated a flow */
	uint64_t ip_short;           /* of those, cut short on the wire (kept) */
	uint64_t decode_err[WEIR_DEC_ERR_MAX];
	uint64_t records;            /* records handed to the sink */
	uint64_t records_by_end[WEIR_END_MAX];
	uint64_t flows_by_proto[4];  /* tcp, udp, icmp(v6), other (incl. arp) */
	uint64_t early_verdicts;     /* provisional records scored */
	uint64_t flows_blocked;
	uint64_t packets_blocked;    /* packets of blocked flows */
	struct weir_ft_stats ft;
};

struct weir_engine;
struct weir_content_db;

/* `db` may be NULL when cfg->content is 0; it is shared between engines. */
struct weir_engine *weir_engine_create(const struct weir_engine_config *cfg,
				       const struct weir_content_db *db,
				       weir_sink_fn sink, void *sink_ctx,
				       char *err, size_t errlen);
void weir_engine_free(struct weir_engine *eng);

/* One frame. Time is the caller's (capture timestamp): the engine never
 * reads a clock. Timers are advanced lazily from packet time. */
void weir_engine_packet(struct weir_engine *eng, int linktype,
			const uint8_t *data, uint32_t caplen, uint32_t wire_len,
			uint64_t ts_ns);

/* A burst of frames (the DPDK worker's unit of work): decodes them all,
 * prefetches their flow-table buckets, then updates the flows. `drop`
 * (may be NULL) gets 1 for each frame of a blocked flow. At most
 * WEIR_ENGINE_BURST frames. */
#define WEIR_ENGINE_BURST 64

struct weir_frame_ref {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wire_len;
	uint64_t ts_ns;
};

void weir_engine_burst(struct weir_engine *eng, int linktype,
		       const struct weir_frame_ref *frames, unsigned n,
		       uint8_t *drop);

/* Install the early-verdict hook (see weir_early_fn). */
void weir_engine_set_early(struct weir_engine *eng, weir_early_fn fn, void *ctx);

/* Advance timers without a packet (idle links, end of a replay burst). */
void weir_engine_advance(struct weir_engine *eng, uint64_t now_ns);

/* Emit every live flow: end of capture or shutdown. */
void weir_engine_flush(struct weir_engine *eng);

void weir_engine_get_stats(const struct weir_engine *eng,
			   struct weir_engine_stats *st);

/* The flow table's keyed hash, for the start-up log. */
const char *weir_engine_hash_name(const struct weir_engine *eng);

#endif
