/* weir-gen internals shared by the scheduler (engine.c), the packet model
 * (tcp.c), the traffic sources (sources.c), the application scripts
 * (apps.c, dgram.c) and the frame writer (wire.c). Not installed. */
#ifndef WEIR_GEN_INT_H
#define WEIR_GEN_INT_H

#include <stdint.h>
#include "gen_rng.h"
#include "weir_gen.h"
#include "wire.h"

#define GEN_NS 1000000000ull
#define GEN_MS 1000000ull
#define GEN_US 1000ull

#define GEN_TEXT_MAX 1280
#define GEN_MAX_PARTS 6
#define GEN_BLOCK 65536u            /* payload filler blocks, power of two */
#define GEN_NO_PARENT 0xffffffffu

enum gen_os { GEN_OS_LINUX = 0, GEN_OS_WINDOWS };

/* Server roles: which services (open ports) a server has. */
enum gen_role { ROLE_DNS = 0, ROLE_WEB, ROLE_MAIL, ROLE_FTP, ROLE_SSH, ROLE_NROLES };

struct gen_host {
	uint32_t ip;
	uint8_t mac[6];
	uint8_t os, ttl;          /* ttl as seen at the capture point */
	uint8_t role, external;
	uint16_t ipid;            /* Windows: one counter per host */
	uint32_t rtt_ns;          /* capture point <-> host, round trip */
	uint32_t ts_base;         /* TCP timestamp clock offset */
	uint16_t port_lo, port_hi, port_next;
	uint64_t *ports;          /* in-use bitmap (65536 bits), lazily allocated */
};

/* Body filler kinds. */
enum gen_body { BODY_RANDOM = 0, BODY_HTML, BODY_TLS };

struct gen_part {
	uint16_t text_off, text_len;   /* into the message's text buffer */
	uint32_t body_len;
	uint8_t body_kind;
};

/* One application message: what one side writes before waiting. */
struct gen_msg {
	uint8_t dir;          /* 0: initiator -> responder, 1: back */
	uint8_t nparts;
	uint8_t tb;           /* text buffer index */
	uint32_t len;
	uint64_t think_ns;    /* sender's delay before the first byte */
	struct gen_part parts[GEN_MAX_PARTS];
};

/* What the application does next. */
enum gen_act { ACT_MSG = 0, ACT_FIN, ACT_RST, ACT_SPAWN, ACT_END };

enum gen_app_kind {
	A_HTTP = 0, A_DNS, A_TLS, A_SSH, A_FTP, A_SMTP, A_ICMP,
	A_FTP_DATA, A_SLOWLORIS, A_SYN_PROBE, A_SYN_FLOOD, A_UDP_PROBE
};

/* Variants of an application used by attacks. */
#define V_NORMAL 0
#define V_FLOOD 1        /* http: bot request, one per connection */
#define V_BRUTE 2        /* ftp: failed logins only */
#define V_EXFIL 3        /* dns: long encoded names; tls: bulk upload */

struct gen_ep {
	struct gen_host *h;
	uint32_t ip;
	const uint8_t *mac;
	uint16_t port;
	uint8_t ttl, os;
	uint8_t wscale, cwnd;
	uint16_t win, mss;
	uint16_t ipid;
	uint32_t isn, nxt;        /* nxt: first byte of the message being sent */
	uint32_t ts_last;         /* last TSval sent */
	uint32_t rtt_ns;
	uint8_t port_owned;       /* release the port at the end */
};

#define GEN_MAX_CWND 64   /* segments per flight; power of two (ack ring) */

struct gen_ack {
	uint64_t t;
	uint8_t j, dup;   /* acks segment j of the flight; dup: a SACK dup ack */
};

struct gen_sess {
	uint64_t t, t_prev;
	uint64_t stime, ltime;
	uint64_t bytes[2], ipbytes[2];
	uint32_t pkts[2];
	uint32_t id;
	uint32_t parent;          /* FTP data: control session waiting on us */
	uint8_t proto, app, variant, ph;
	int8_t attack;            /* enum weir_gen_attack, -1 normal */
	uint8_t ts_ok, sack_ok, closer;
	uint8_t last_dir, pend_act, cur_tb, probe_state;
	uint16_t mss;             /* effective payload per segment */
	struct gen_ep ep[2];

	/* TCP transfer of the current message */
	struct gen_msg msg, pend;
	uint32_t fl_off0;
	uint16_t fl_n, fl_i, n_dup;
	int16_t fl_lost;
	uint8_t fl_acked, aq_head, aq_n;
	uint64_t hs_rtt;          /* SYN to handshake ACK at the capture point */
	uint64_t fl_tlast, fl_tlost, fl_tnext, t_ack1, t_lastdata, t_dup3;
	struct gen_ack aq[GEN_MAX_CWND];

	/* application state */
	uint16_t step, count, count2, fails;
	uint32_t aux, aux2, aux3;
	uint32_t body_seed;
	uint64_t until;           /* slowloris: last header line no later than this */
	uint16_t data_port;       /* FTP: announced data port */
	uint8_t data_active, data_dir;
	uint32_t data_len;
	uint16_t dns_qlen;        /* DNS: bytes of the query in text[0] */
	char text[2][GEN_TEXT_MAX];
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define SRC_BASE 0x80000000u   /* heap ids at or above this are sources */
#define NO_TIME UINT64_MAX

enum ph {
	PH_SYN = 0, PH_SYNACK, PH_HSACK, PH_SEG, PH_ACK, PH_DUPACK, PH_RETX,
	PH_FINAL_ACK, PH_FIN_A, PH_FIN_B, PH_FIN_C, PH_RST, PH_PROBE_RSTACK,
	PH_PROBE_RST, PH_DGRAM, PH_WAIT, PH_DONE
};

enum { OPT_NONE = 0, OPT_SYN, OPT_DATA, OPT_SACK, OPT_SCAN };

extern const uint8_t gen_router_mac[6];   /* the border router */

struct heap_ent { uint64_t t; uint32_t id; };

struct gen_src {
	int attack;                     /* -1: the normal mix */
	const struct weir_gen_attack_cfg *cfg;
	uint64_t t_stop;
	double rate;
	struct gen_host *attacker, *victim;
	uint32_t bot_lo, bot_n;
	uint32_t counter, target_i, port_i;
	uint16_t scan_sport;
};

struct gen {
	const struct weir_gen_scenario *sc;
	struct weir_gen_opts o;
	struct gen_rng rng;
	struct gen_out out;
	FILE *labels;
	char *lbuf;
	size_t llen;
	int lerr;
	uint64_t t0, t_end, drift_t, first_t, last_t;

	struct gen_host *hosts;
	uint32_t n_hosts, n_clients, drift_lo, n_drift, srv_lo, n_srv, ext_lo, n_ext;
	uint32_t role_idx[ROLE_NROLES][64];
	uint32_t role_n[ROLE_NROLES];

	struct gen_sess *sess;
	uint32_t *free_ids;
	uint32_t n_free, max_sess;

	struct heap_ent *heap;
	uint32_t heap_n;

	struct gen_src *srcs;
	uint32_t n_srcs;

	double mix_cum[WEIR_GEN_NAPPS];
	uint8_t *blk_rand, *blk_html;
	uint32_t *q[2][2];          /* prefix sums: [html][odd] */
	uint8_t dgram_buf[2048];
	struct weir_gen_stats st;
};

/* engine.c */
void gen_heap_push(struct gen *g, uint64_t t, uint32_t id);
void gen_heap_pop(struct gen *g);
void gen_heap_replace_top(struct gen *g, uint64_t t);
void gen_label_row(struct gen *g, uint32_t src, uint16_t sport, uint32_t dst,
		   uint16_t dport, uint8_t proto, uint64_t stime, uint64_t ltime,
		   int attack, const uint32_t pkts[2], const uint64_t bytes[2],
		   const uint64_t ipbytes[2]);
struct gen_sess *gen_sess_alloc(struct gen *g);
struct gen_sess *gen_sess_new(struct gen *g, uint64_t t, uint8_t proto, uint8_t app,
			      uint8_t variant, int attack, struct gen_host *c,
			      struct gen_host *sv, uint16_t dport);
void gen_sess_schedule_new(struct gen *g, struct gen_sess *s);
void gen_sess_finish(struct gen *g, struct gen_sess *s);

/* tcp.c */
void gen_ep_from_host(struct gen *g, struct gen_ep *e, struct gen_host *h, uint16_t port);
void gen_do_act(struct gen *g, struct gen_sess *s, int act, const struct gen_msg *m);
void gen_step_tcp(struct gen *g, struct gen_sess *s);
void gen_step_dgram(struct gen *g, struct gen_sess *s);

/* sources.c */
int gen_setup(struct gen *g, char *err, size_t errlen);
uint64_t gen_src_next(struct gen *g, struct gen_src *src, uint64_t t);
void gen_step_src(struct gen *g, struct gen_src *src, uint64_t t);

/* engine.c: services for apps.c and dgram.c */
/* drift_ok: the drift has begun, its new clients may be picked */
struct gen_host *gen_pick_client(struct gen *g, int drift_ok);
struct gen_host *gen_pick_server(struct gen *g, int role);
struct gen_host *gen_pick_external(struct gen *g);
int gen_port_alloc(struct gen_host *h, uint16_t *port);
void gen_port_free(struct gen_host *h, uint16_t port);
struct gen_rng *gen_rngp(struct gen *g);
const struct weir_gen_scenario *gen_scn(struct gen *g);
double gen_size_scale(struct gen *g, uint64_t t);
uint64_t gen_jitter(struct gen *g);

/* filler block (GEN_BLOCK + 2048 bytes) and its prefix sums of the bytes at
 * even and odd offsets: qe[i] = sum of block[j] for even j < i */
const uint8_t *gen_block_sums(struct gen *g, int kind, const uint32_t **qe, const uint32_t **qo);

/* apps.c */
void gen_app_init(struct gen *g, struct gen_sess *s);
int gen_app_next(struct gen *g, struct gen_sess *s, struct gen_msg *m);
/* UDP/ICMP sessions: one datagram per call, built into buf (L4 header
 * and payload). */
struct gen_dgram {
	uint32_t len;        /* L4 bytes in buf */
	uint8_t dir, proto;
	uint8_t last;        /* no datagram follows */
	uint8_t own_flow;    /* an ICMP error: labelled as a flow of its own */
	uint64_t gap_ns;     /* to the next datagram */
};
void gen_dgram(struct gen *g, struct gen_sess *s, uint8_t *buf, struct gen_dgram *d);

/* payload bytes of a TCP message, [off, off+len), written to dst (at an
 * even offset of the segment); returns their checksum sum */
uint64_t gen_msg_bytes(struct gen *g, const struct gen_sess *s, const struct gen_msg *m,
		   uint32_t off, uint32_t len, uint8_t *dst);

#endif
