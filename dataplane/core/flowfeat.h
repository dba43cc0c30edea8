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

/* One direction's accumulators, emulating Argus 3.0.8's per-direction TCP
 * object and time statistics (doc/features.md has the rules and the byte
 * budget: 80 bytes here, 176 for struct weir_feat). The features module is
 * the only reader and writer. */
struct weir_feat_dir {
	uint64_t bytes;          /* wire bytes (pcap len, L2 included): sbytes */
	uint64_t ip_bytes;       /* IP total length sum: Zeek's *_ip_bytes */
	uint64_t first_ns;       /* first packet of this direction (pkts > 0) */
	uint64_t last_ns;        /* latest timestamp; intervals run off it */
	double ipt_sumsq;        /* sum of squared inter-arrival times, us^2 */
	uint32_t pkts;
	uint32_t ipt_n;          /* intervals counted (timestamp moved forward) */
	uint32_t loss;           /* Argus "retrans" count: sloss/dloss */
	uint32_t isn;            /* Argus seqbase (stcpb/dtcpb); 0 = unset */
	uint32_t seq;            /* Argus "seq": highest seq+len sent */
	uint32_t ack;            /* last ack sent by this side, minus one */
	uint32_t winbytes;       /* Argus "winbytes": unacked bytes in flight */
	uint16_t win;            /* last raw window (not from FIN/RST/zero) */
	uint8_t ttl;             /* TTL/hop limit of the latest packet */
	uint8_t wscale;          /* window shift from this side's option */
	uint8_t flags;           /* OR of TCP flags sent */
	uint8_t bits;            /* FD_* in flowfeat.c */
};

struct weir_feat {
	struct weir_feat_dir dir[2]; /* indexed by key side */
	uint32_t synack_us;      /* SYN -> SYN/ACK, us (0 = not measured) */
	uint32_t ackdat_us;      /* SYN/ACK -> ACK, us */
	uint8_t src_side;        /* key side (0/1) that is the Argus source */
	uint8_t tcp_state;       /* Argus TCP state machine (TCPS_* numbering) */
	uint8_t tcp_status;      /* FS_* in flowfeat.c: Argus status bits */
	uint8_t icmp_type, icmp_code; /* first ICMP type/code: ICMP state */
	uint8_t proto_class;     /* FC_* in flowfeat.c, set at init */
	uint8_t fflags;          /* FF_* in flowfeat.c */
	uint8_t pad;
};

/* First packet of a flow. `side` is the key side the packet came from. */
void weir_feat_init(struct weir_feat *f, const struct weir_pkt *pkt, int side);

/* Every packet (the first one too, after init). Returns
 * weir_feat_tcp_closed() as the packet leaves it, computed without a
 * branch: the engine tests it on every packet. */
int weir_feat_update(struct weir_feat *f, const struct weir_pkt *pkt, int side);

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
