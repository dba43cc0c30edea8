/* Per-flow accumulation of the Argus-style flow features.
 *
 * The state lives inside each flow-table entry, so it is sized for the hot
 * path (see doc/features.md for the byte budget). Per-direction state is kept
 * by *key side* (0 = the key's A endpoint, 1 = its B endpoint); which side is
 * the source (initiator) is decided here, because only the feature logic
 * knows whether a SYN was seen, and finalisation maps sides to s/d columns.
 */
#ifndef WEIR_FLOWFEAT_H
#define WEIR_FLOWFEAT_H

#include <stdint.h>
#include "decode.h"
#include "record.h"

/* One direction's accumulators. Implementation-defined contents; the
 * features module is the only reader and writer. */
struct weir_feat_dir {
	uint64_t bytes;
	uint64_t first_ns, last_ns;
	uint32_t pkts;
	uint32_t loss;
	uint32_t isn;            /* first sequence number seen (stcpb/dtcpb) */
	uint32_t next_seq;       /* highest seq+len seen, for loss/retransmit */
	uint32_t win;            /* last advertised window (as Argus reports) */
	uint8_t ttl;
	uint8_t wscale;
	uint8_t flags_seen;      /* OR of TCP flags */
	uint8_t has_isn;
	/* inter-packet time statistics (µs), Argus-style active/idle split */
	uint32_t ipt_n;
	double ipt_sum;
	double ipt_sumsq;
};

struct weir_feat {
	struct weir_feat_dir dir[2];
	uint64_t syn_ns, synack_ns, ack_ns; /* handshake times, 0 = unseen */
	uint64_t slice_start_ns;  /* start of the current active-timeout slice */
	uint8_t src_side;         /* key side (0/1) that initiated */
	uint8_t src_fixed;        /* initiator decided by a SYN, no more flips */
	uint8_t tcp_state;        /* implementation-defined TCP progress bits */
	uint8_t icmp_type, icmp_code; /* first ICMP type/code, for ICMP states */
	uint8_t proto_class;      /* tcp / udp / icmp / other, set at init */
};

/* First packet of a flow. `side` is the key side the packet came from. */
void weir_feat_init(struct weir_feat *f, const struct weir_pkt *pkt, int side);

/* Every packet (the first one too, after init). */
void weir_feat_update(struct weir_feat *f, const struct weir_pkt *pkt, int side);

/* TCP: has the connection closed (FIN both ways, or RST)? Drives the short
 * grace timeout and reuse of the 5-tuple by a new SYN. */
int weir_feat_tcp_closed(const struct weir_feat *f);

/* Fill the flow-feature fields of `rec` (dur, bytes, pkts, ttl, loss, load,
 * sbytes_ip/dbytes_ip, win, tcpb, meansz, jit, intpkt, tcprtt/synack/ackdat, stime/ltime, state,
 * ct_state_ttl). Identity (and is_sm_ips_ports, which needs it), content
 * and ct_* window fields are the engine's. `*src_side` tells the caller which key side is the source. */
void weir_feat_finalize(const struct weir_feat *f, unsigned proto,
			struct weir_record *rec, int *src_side);

/* After an active-timeout record: start a new slice, keeping what the next
 * slice needs (sequence tracking, initiator) and zeroing counters. */
void weir_feat_new_slice(struct weir_feat *f, uint64_t now_ns);

/* The UNSW-NB15 ct_state_ttl lookup on (state, sttl, dttl). */
uint8_t weir_feat_ct_state_ttl(unsigned state, unsigned sttl, unsigned dttl);

#endif
