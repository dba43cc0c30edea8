/* weir, the DPDK dataplane: shared declarations of its parts.
 *
 *   config.c    settings: defaults, INI file, command line, validation
 *   eal.c       hugepage detection and the EAL argument vector
 *   port.c      port bring-up: queues, RSS (symmetric Toeplitz), RETA
 *   replay.c    --pcap: the libpcap pre-pass (counts, ns stamps, wire length)
 *   rx.c        the main lcore's receive side for single-queue ports:
 *               software RSS dispatch to the workers, pcap-live ports
 *   worker.c    the per-lcore analysis loop and its record sink
 *   flowlog.c   the flow-log writer thread fed by per-worker rings
 *   stats.c     counters, DPDK telemetry, the exit summary
 *   ctlsock.c   the Unix command socket (served by the main lcore)
 *   model.c     the scoring model: load, publish, RCU-deferred free
 *   bench.c     --bench: preloaded mbufs through one worker at full speed
 *   clock.c     TSC -> wall-clock nanoseconds
 */
#ifndef WEIR_DPDK_H
#define WEIR_DPDK_H

#include <stdint.h>
#include <stdio.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "engine.h"
#include "record_io.h"
#include "weir_shm.h"

#define WEIR_MAX_PORTS    16
#define WEIR_MAX_WORKERS  32
#define WEIR_BURST        32
#define WEIR_NAME_MAX     32
#define WEIR_PATH_MAX     4096

/* ---------------- configuration ---------------- */

enum weir_hugepages { WEIR_HUGE_AUTO = 0, WEIR_HUGE_YES, WEIR_HUGE_NO };
enum weir_mode { WEIR_MODE_SPAN = 0, WEIR_MODE_INLINE };
enum weir_port_type { WEIR_PORT_DPDK = 0, WEIR_PORT_PCAP_LIVE };

struct weir_port_conf {
	char name[WEIR_NAME_MAX];
	enum weir_port_type type;
	char dev[512];          /* PCI address, vdev string, or interface (pcap-live) */
	uint32_t rx_desc, tx_desc;   /* 0 = auto */
	uint32_t mempool;            /* mbufs; 0 = auto */
	uint32_t mtu;                /* 0 = auto (the device's default) */
	char peer[WEIR_NAME_MAX];    /* inline: the port packets are forwarded to */
	/* filled in by replay.c for --pcap ports */
	const char *replay_file;
};

struct weir_conf {
	/* [eal] */
	char lcores[256];            /* "" = auto: main lcore + one per worker */
	int main_lcore;              /* -1 = auto */
	char eal_args[1024];         /* raw EAL arguments, appended last */
	enum weir_hugepages hugepages;
	/* [port NAME] */
	struct weir_port_conf port[WEIR_MAX_PORTS];
	unsigned nports;
	/* [workers] */
	unsigned workers;
	/* [mode] */
	enum weir_mode mode;
	int block;                   /* inline: drop flows under a block verdict */
	/* [flows] */
	struct weir_engine_config eng;
	/* [output] */
	char flow_log[WEIR_PATH_MAX];   /* "" = none */
	enum weir_fmt flow_format;
	unsigned flow_cols;
	char shm_name[65];              /* "" = no shm rings */
	unsigned shm_slots;
	double sample_rate;             /* fraction of all flows sent to control */
	/* [model] */
	char model_path[WEIR_PATH_MAX]; /* bundle directory scored with; "" = none */
	double threshold;               /* overrides the bundle's */
	int threshold_set;
	/* [control] */
	char ctl_socket[108];           /* "" = none */
	/* command line only */
	double pace;                    /* replay: 0 = as fast as possible */
	int replay;                     /* built from --pcap */
	int max_flows_set;              /* [flows] max_flows or --max-flows given */
	const char *bench_file;         /* --bench CAPTURE */
	unsigned bench_flows;           /* --bench-synthetic: flows (0 = off) */
	int bench_mix;                  /* --bench-mix: bench_flows concurrent flows */
	unsigned bench_size;            /* --bench-synthetic: 64 or 0 = IMIX */
	unsigned bench_rounds;
	int bench_lengths;              /* --bench-mix: enum weir_mix_lengths */
	int quiet;
	int check;                      /* --check: validate, print, exit */
	char conf_file[WEIR_PATH_MAX];
};

/* Parse argv (and the -c file it names); exits the process with a one-line
 * error on anything invalid. EAL arguments are not in argv: weir builds
 * them (eal.c). */
void weir_conf_load(struct weir_conf *c, int argc, char **argv);
const struct weir_port_conf *weir_conf_port(const struct weir_conf *c, const char *name);
/* The effective settings, one line per section (--check). */
void weir_conf_print(FILE *out, const struct weir_conf *c);

/* Print "weir: <msg>\n" on stderr and exit(1). */
void weir_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void weir_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void weir_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int weir_quiet;

/* ---------------- EAL ---------------- */

/* Initialise the EAL from the configuration (vdevs, lcores, hugepages). */
void weir_eal_start(struct weir_conf *c, const char *argv0);
/* rte_eal_cleanup() and removal of our runtime directory (weir-<pid>). */
void weir_eal_stop(void);
/* For the hugepages check and `scripts/hugepages --status`. */
int weir_hugepages_available(char *why, size_t len);

/* ---------------- clock ---------------- */

struct weir_clock {
	uint64_t tsc_hz;
	uint64_t base_tsc;
	uint64_t base_ns;
	/* ns = base_ns + ((tsc - base_tsc) * mult) >> 32 */
	uint64_t mult;
};
extern struct weir_clock weir_clock;
void weir_clock_calibrate(void);
static inline uint64_t weir_tsc_to_ns(uint64_t tsc)
{
	uint64_t d = tsc - weir_clock.base_tsc;
	/* 128-bit product: exact for days of uptime. */
	return weir_clock.base_ns + (uint64_t)(((__uint128_t)d * weir_clock.mult) >> 32);
}

/* ---------------- mbuf metadata ---------------- */

/* What the receive side attaches to every mbuf for the worker: wall-clock
 * (or capture) time in ns and the frame's length on the wire. In a
 * dynamic field so no driver field is overloaded. */
struct weir_mbuf_meta {
	uint64_t ts_ns;
	uint32_t wire_len;
	uint16_t linktype;
	uint16_t flags;
};
#define WEIR_META_VALID 0x1
extern int weir_meta_offset;
static inline struct weir_mbuf_meta *weir_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, weir_meta_offset, struct weir_mbuf_meta *);
}
int weir_meta_register(void);

/* Driver timestamp (rte_mbuf_dyn_rx_timestamp_register): net_pcap puts the
 * capture time there in microseconds since the epoch. 0 when absent. */
extern int weir_pmd_ts_offset;
extern uint64_t weir_pmd_ts_flag;
static inline uint64_t weir_pmd_ts_ns(const struct rte_mbuf *m)
{
	if (weir_pmd_ts_offset < 0 || !(m->ol_flags & weir_pmd_ts_flag))
		return 0;
	return *RTE_MBUF_DYNFIELD(m, weir_pmd_ts_offset, const uint64_t *) * 1000ull;
}

/* ---------------- ports ---------------- */

struct weir_port {
	char name[WEIR_NAME_MAX];
	uint16_t port_id;            /* DPDK port, or UINT16_MAX for pcap-live */
	enum weir_port_type type;
	int linktype;                /* what its frames are (Ethernet, or the capture's) */
	int peer;                    /* inline: index of the peer port, -1 = none */
	uint16_t nb_rxq, nb_txq;
	int hw_rss;                  /* 1: workers read their own RX queue */
	int pmd_ts;                  /* PMD stamps mbufs (dynfield, µs since epoch) */
	struct rte_mempool *pool;
	void *pcap_live;             /* pcap_t * for pcap-live ports */
	/* replay (--pcap): known frame count and the pre-pass' per-frame data */
	uint64_t replay_frames;
	uint64_t *replay_ts_ns;
	uint32_t *replay_wire_len;
	uint64_t replay_next;        /* frames received so far */
	uint64_t replay_mismatch;    /* driver stamp disagreed with the pre-pass */
	uint64_t replay_first_ns;
	/* counters of the receive side (main lcore) */
	uint64_t rx_sw;              /* pcap-live / dispatcher frames received */
	uint64_t dispatch_full;      /* frames dropped: worker input ring full */
	uint64_t live_nombuf;
};

struct weir_app;
int weir_ports_init(struct weir_app *app);
void weir_ports_stop(struct weir_app *app);

/* Symmetric Toeplitz: the 40-byte key of 0x6D5A repeated. */
extern uint8_t weir_rss_key[40];
/* Software RSS over the IP src/dst of an Ethernet frame (through VLAN
 * tags); same value a NIC programmed with weir_rss_key and ETH_RSS_IP would
 * compute. Non-IP frames hash to 0. */
uint32_t weir_soft_rss(const uint8_t *frame, uint32_t len, int linktype);
/* Worker for a hash: RETA entry (hash mod 512) filled entry % workers. */
unsigned weir_rss_worker(uint32_t hash, unsigned workers);

/* ---------------- workers ---------------- */

/* Per-worker counters, read by the main lcore without locks (64-bit
 * aligned stores are atomic on x86-64; a reader may see a slightly stale
 * value, never a torn one). */
struct weir_worker_stats {
	uint64_t rx;                 /* frames taken from the NIC queue / dispatcher */
	uint64_t bursts;
	uint64_t ring_full[WEIR_SHM_KINDS]; /* records not delivered to control */
	uint64_t flowlog_full;       /* records not written to the flow log (live) */
	uint64_t tx_sent, tx_dropped;
	uint64_t blocked;            /* inline: frames dropped under a block verdict */
	uint64_t sampled, anomalies;
	uint64_t linearized;         /* multi-segment frames copied to scratch */
	struct weir_engine_stats eng;  /* copied by the worker every ~10 ms */
};

/* Block verdicts: a small open-addressed set of flow hashes per worker,
 * written by the worker's own sink, read by the worker's forwarding path. */
#define WEIR_BLOCK_SLOTS 4096
struct weir_block_set {
	uint64_t key[WEIR_BLOCK_SLOTS];
	uint32_t count;
};
uint64_t weir_block_key_record(const struct weir_record *r);
uint64_t weir_block_key_frame(const uint8_t *frame, uint32_t len, int linktype);
void weir_block_add(struct weir_block_set *b, uint64_t key);
int weir_block_has(const struct weir_block_set *b, uint64_t key);

struct weir_worker {
	unsigned id;
	unsigned lcore;
	struct weir_app *app;
	struct weir_engine *eng;
	/* inputs: hardware queues (port, queue) or the dispatcher's ring */
	struct { uint16_t port, queue; int linktype; int pmd_ts; } rxq[WEIR_MAX_PORTS];
	unsigned nrxq;
	struct rte_ring *in;         /* mbufs from the dispatcher, or NULL */
	/* outputs */
	struct rte_ring *flowlog;    /* records to the writer thread, or NULL */
	struct rte_eth_dev_tx_buffer *txb[WEIR_MAX_PORTS];
	uint16_t txq[WEIR_MAX_PORTS];
	struct weir_block_set *block;
	int early;                   /* inline, block = on, [mode] early_pkts > 0 */
	uint8_t *scratch;            /* 64 KiB: linearised multi-segment frames */
	uint64_t sample_threshold;   /* flow sampled when hash < threshold */
	volatile int done;           /* worker has flushed and left its loop */
	struct weir_worker_stats st;
} __rte_cache_aligned;

int weir_worker_main(void *arg);
int weir_workers_create(struct weir_app *app);

/* ---------------- the application ---------------- */

struct weir_app {
	struct weir_conf *conf;
	struct weir_port port[WEIR_MAX_PORTS];
	unsigned nports;
	struct weir_worker *worker;  /* [conf->workers], rte_zmalloc'd */
	unsigned nworkers;
	int need_dispatch;           /* some port is single-queue */
	struct weir_content_db *db;
	struct weir_shm_producer *shm;
	struct rte_rcu_qsbr *qsbr;
	/* flow log */
	FILE *flow_out;
	int flowlog_running;
	uint64_t flowlog_written;
	int flowlog_errno;
	/* The model the workers score with: published with a release store,
	 * read once per record with an acquire load. A replaced bundle is
	 * freed only after every worker reported a quiescent state (once
	 * per burst) since the swap: rte_rcu_qsbr. */
	struct weir_bundle *model;
	/* Replaced bundles waiting for their grace period, oldest first
	 * (tokens increase, so they expire in order). A swap waits only when
	 * all slots are taken, so load_model costs the bundle parse, not a
	 * grace period that a descheduled worker can stretch. */
#define WEIR_MODEL_RETIRED_MAX 8
	struct { struct weir_bundle *b; uint64_t token; } retired[WEIR_MODEL_RETIRED_MAX];
	unsigned nretired;
	/* Swaps (a bundle replaced another) and replaced bundles freed after
	 * their grace period (shutdown included): equal once weir has
	 * stopped, which the swap test checks. Main lcore only. */
	uint64_t model_swaps;
	uint64_t models_freed;
	/* live settings changed by the command socket */
	volatile double threshold;      /* used when threshold_set */
	volatile int threshold_set;
	volatile double sample_rate;
	/* lifecycle */
	volatile int force_quit;     /* signal / command: stop receiving */
	volatile int rx_done;        /* receive side finished (replay end / quit) */
	uint64_t start_ns;
};

extern struct weir_app *weir_app_g;

/* flowlog.c */
int weir_flowlog_start(struct weir_app *app);
void weir_flowlog_stop(struct weir_app *app);

/* rx.c: receive side on the main lcore; returns when rx_done. */
void weir_rx_loop(struct weir_app *app);
int weir_replay_prepare(struct weir_conf *c, struct weir_app *app);
int weir_replay_load(struct weir_app *app);

/* stats.c */
void weir_stats_register_telemetry(struct weir_app *app);
void weir_stats_print(FILE *out, struct weir_app *app);
/* One JSON object (no newline) with every counter; returns its length. */
size_t weir_stats_json(struct weir_app *app, char *buf, size_t len);

/* model.c: load a bundle and publish it (main lcore only). */
/* Load a bundle and swap it in. `dropped` (NULL at start-up, where the
 * configured threshold is meant for this model): a run-time swap ends any
 * threshold override, whose value it gets (NaN when there was none). */
int weir_model_load(struct weir_app *app, const char *dir, double *dropped,
		    char *err, size_t errlen);
void weir_model_reclaim(struct weir_app *app, int wait);
double weir_model_threshold(const struct weir_app *app);

/* ctlsock.c */
int weir_ctl_open(struct weir_app *app);
void weir_ctl_poll(struct weir_app *app);
void weir_ctl_close(struct weir_app *app);

/* bench.c */
int weir_bench_run(struct weir_app *app);

#endif
