/* weir-gen: deterministic synthetic traffic with ground truth.
 *
 * A scenario (INI file) describes hosts, normal traffic, a drift phase and
 * scheduled attacks; weir_gen_run() turns it into a pcap (Ethernet, IPv4)
 * and a labels CSV with one row per generated flow. Same scenario + seed
 * gives byte-identical output. The format is in doc/trafficgen.md.
 */
#ifndef WEIR_GEN_H
#define WEIR_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Normal application mix. */
enum weir_gen_app {
	WEIR_GEN_HTTP = 0, WEIR_GEN_DNS, WEIR_GEN_TLS, WEIR_GEN_SSH,
	WEIR_GEN_FTP, WEIR_GEN_SMTP, WEIR_GEN_ICMP, WEIR_GEN_NAPPS
};

/* Attacks; names in weir_gen_attack_name(). */
enum weir_gen_attack {
	WEIR_GEN_SYN_SCAN = 0, WEIR_GEN_UDP_SCAN, WEIR_GEN_SYN_FLOOD,
	WEIR_GEN_FTP_BRUTE, WEIR_GEN_HTTP_FLOOD, WEIR_GEN_DNS_EXFIL,
	WEIR_GEN_BULK_EXFIL, WEIR_GEN_SLOWLORIS, WEIR_GEN_NATTACKS
};

#define WEIR_GEN_MAX_NETS 4
#define WEIR_GEN_MAX_ATTACKS 32

struct weir_gen_net {
	uint32_t base;   /* host order, host bits zero */
	uint8_t len;     /* prefix length */
};

struct weir_gen_attack_cfg {
	int kind;            /* enum weir_gen_attack */
	int enabled;
	double start, end;   /* seconds from the capture start */
	double rate;         /* events per second; the unit depends on the kind */
	double size_mb;      /* bulk_exfil: bytes per connection, MB */
	uint32_t sources;    /* http_flood: bots; syn_flood: unused */
	double interval;     /* slowloris: seconds between header lines */
	char section[48];    /* for messages */
};

struct weir_gen_scenario {
	char path[256];

	/* [general] */
	double start_time;       /* epoch seconds of the first packet */
	double duration;         /* seconds of traffic */
	uint64_t seed;
	uint32_t max_sessions;   /* concurrently open flows; more are refused and counted */

	/* [network] */
	struct weir_gen_net client_nets[WEIR_GEN_MAX_NETS];
	unsigned n_client_nets;
	uint32_t clients_per_net;
	struct weir_gen_net server_net;
	uint32_t servers;
	struct weir_gen_net external_net;
	uint32_t external_servers;
	double lan_rtt_min_ms, lan_rtt_max_ms;   /* capture point <-> internal host, round trip */
	double wan_rtt_min_ms, wan_rtt_max_ms;   /* capture point <-> external host */
	double loss;             /* per data segment, lost after the capture point */
	double jitter_ms;        /* mean of the exponential jitter added to delays */
	double windows_share;    /* fraction of hosts with Windows TCP/IP behaviour */
	double bandwidth_mbps;   /* paces segments within a flight */

	/* [normal] */
	double flows_per_s;
	double mix[WEIR_GEN_NAPPS];
	double diurnal_amplitude;  /* 0..0.95: rate * (1 + a sin(2 pi t / period)) */
	double diurnal_period;
	double external_share;     /* web/tls sessions to external servers */
	double http_body_kb;       /* median response body */
	double http_requests;      /* mean requests per connection */
	double pipelining;         /* share of connections that pipeline */
	double ftp_fail_share;     /* FTP logins that fail */

	/* [drift] */
	int drift_enabled;
	double drift_start;
	struct weir_gen_net drift_client_net;
	double drift_client_share;
	int drift_app;            /* enum weir_gen_app of the new service */
	uint16_t drift_port;
	double drift_port_share;
	double drift_size_scale;
	double drift_rate_scale;

	struct weir_gen_attack_cfg attacks[WEIR_GEN_MAX_ATTACKS];
	unsigned n_attacks;
};

struct weir_gen_opts {
	uint64_t seed;          /* used when seed_set */
	int seed_set;
	uint64_t max_packets;   /* 0: no limit */
	double duration;        /* > 0: overrides the scenario */
	double scale;           /* multiplies every rate; 1.0 normally */
	int extra_columns;      /* intended pkts/bytes per direction in the labels */
	uint32_t snaplen;       /* 0: whole frames; else keep this many bytes of each */
};

struct weir_gen_stats {
	uint64_t packets, bytes, flows, attack_flows;
	uint64_t refused_sessions;   /* arrivals dropped: max_sessions flows open */
	uint64_t refused_ports;      /* arrivals dropped: the client's port range in use */
	double traffic_seconds;      /* last packet time - first packet time */
	uint64_t order_fixes;        /* packets the model put in the past (a bug if > 0) */
};

const char *weir_gen_app_name(int app);
const char *weir_gen_attack_name(int kind);
const char *weir_gen_attack_cat(int kind);   /* UNSW-NB15 attack_cat */

/* Defaults for every setting (a scenario file only needs what it changes). */
void weir_gen_scenario_defaults(struct weir_gen_scenario *sc);

/* Load and validate. Returns 0, or -1 with a message naming the file,
 * section, key and what to change. */
int weir_gen_scenario_load(const char *path, struct weir_gen_scenario *sc,
			   char *err, size_t errlen);
/* Same, from a string (tests); `name` stands for the file in messages. */
int weir_gen_scenario_load_string(const char *name, const char *text,
				  struct weir_gen_scenario *sc, char *err, size_t errlen);

/* Generate. `labels` may be NULL. Returns 0, or -1 with a message. */
int weir_gen_run(const struct weir_gen_scenario *sc, const struct weir_gen_opts *o,
		 FILE *pcap, FILE *labels, struct weir_gen_stats *st,
		 char *err, size_t errlen);

#endif
