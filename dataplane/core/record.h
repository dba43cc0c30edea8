/* The flow record: what a finished (or actively timed-out) flow becomes.
 *
 * Fixed size, no pointers: the same bytes go to the CSV/JSONL writers, into
 * the shared-memory rings to weir-control, and into the scorer. Units follow
 * UNSW-NB15's feature descriptions (doc/features.md is the definition).
 */
#ifndef WEIR_RECORD_H
#define WEIR_RECORD_H

#include <stdint.h>

/* Argus-style flow states, in the spelling of UNSW-NB15's `state` column. */
enum weir_state {
	WEIR_ST_NONE = 0,   /* "-" */
	WEIR_ST_FIN, WEIR_ST_CON, WEIR_ST_INT, WEIR_ST_REQ, WEIR_ST_RST,
	WEIR_ST_CLO, WEIR_ST_ACC, WEIR_ST_RSP, WEIR_ST_ECO, WEIR_ST_ECR,
	WEIR_ST_URH, WEIR_ST_URN, WEIR_ST_URP, WEIR_ST_URF, WEIR_ST_URS,
	WEIR_ST_URO, WEIR_ST_URHPRO, WEIR_ST_TXD, WEIR_ST_TST, WEIR_ST_TSR,
	WEIR_ST_MAS, WEIR_ST_MSR, WEIR_ST_RTA, WEIR_ST_RTS, WEIR_ST_SRC,
	WEIR_ST_SRQ, WEIR_ST_IRQ, WEIR_ST_IRR, WEIR_ST_PAR, WEIR_ST_TIM,
	WEIR_ST_RED, WEIR_ST_UNK, WEIR_ST_NRS, WEIR_ST_NRA, WEIR_ST_MAX
};
const char *weir_state_name(unsigned st);
int weir_state_parse(const char *s);   /* -1 if unknown */

/* Services named by UNSW-NB15 (Zeek's names). */
enum weir_service {
	WEIR_SVC_NONE = 0,  /* "-" */
	WEIR_SVC_DNS, WEIR_SVC_HTTP, WEIR_SVC_FTP, WEIR_SVC_FTP_DATA,
	WEIR_SVC_SMTP, WEIR_SVC_SSH, WEIR_SVC_POP3, WEIR_SVC_SSL,
	WEIR_SVC_SNMP, WEIR_SVC_DHCP, WEIR_SVC_RADIUS, WEIR_SVC_IRC,
	WEIR_SVC_MAX
};
const char *weir_service_name(unsigned svc);
int weir_service_parse(const char *s); /* -1 if unknown */

/* Why a record was emitted. */
enum weir_end_reason {
	WEIR_END_IDLE = 0,    /* idle timeout */
	WEIR_END_CLOSED,      /* FIN/RST seen, grace elapsed */
	WEIR_END_ACTIVE,      /* active timeout: flow goes on, this is a slice */
	WEIR_END_EVICTED,     /* table full, longest-idle flow pushed out */
	WEIR_END_SHUTDOWN,    /* end of capture / process stop */
	WEIR_END_REUSE,       /* new SYN on a closed 5-tuple */
	WEIR_END_MAX
};
const char *weir_end_reason_name(unsigned r);

/* Verdict of the scorer. */
enum weir_verdict { WEIR_VERDICT_NONE = 0, WEIR_VERDICT_NORMAL, WEIR_VERDICT_ANOMALY };

struct weir_record {
	/* identity */
	uint64_t flow_id;        /* per-worker sequence, unique with worker */
	uint8_t srcip[16];       /* IPv4 in the first 4 bytes */
	uint8_t dstip[16];
	uint16_t sport, dsport;
	uint16_t proto;          /* IP protocol, or WEIR_PROTO_ARP */
	uint8_t family;          /* enum weir_family */
	uint8_t state;           /* enum weir_state */
	uint8_t service;         /* enum weir_service */
	uint8_t end_reason;      /* enum weir_end_reason */
	uint16_t vlan;

	/* Argus flow features */
	uint64_t stime_ns, ltime_ns;
	double dur;              /* s */
	uint64_t sbytes, dbytes;
	uint64_t sbytes_ip, dbytes_ip; /* IP-level bytes (Zeek's *_ip_bytes) */
	uint32_t spkts, dpkts;
	uint8_t sttl, dttl;
	uint32_t sloss, dloss;
	double sload, dload;     /* bits/s */
	uint32_t swin, dwin;
	uint32_t stcpb, dtcpb;
	uint32_t smeansz, dmeansz;
	double sjit, djit;       /* ms */
	double sintpkt, dintpkt; /* ms */
	double tcprtt, synack, ackdat; /* s */

	/* content features (Zeek semantics) */
	uint32_t trans_depth;
	uint64_t res_bdy_len;
	uint32_t ct_flw_http_mthd;
	uint8_t is_ftp_login;
	uint32_t ct_ftp_cmd;

	/* derived and connection-window features */
	uint8_t is_sm_ips_ports;
	uint8_t ct_state_ttl;
	uint16_t ct_srv_src, ct_srv_dst, ct_dst_ltm, ct_src_ltm;
	uint16_t ct_src_dport_ltm, ct_dst_sport_ltm, ct_dst_src_ltm;

	/* scoring */
	float score;             /* SVM decision value; NaN when not scored */
	uint8_t verdict;         /* enum weir_verdict */
	uint16_t worker;
	uint32_t model_version;  /* 0 when not scored */

	/* ground truth, when a label source is given */
	uint8_t label;           /* 0 normal, 1 attack */
	uint8_t has_label;
	char attack_cat[22];     /* NUL-terminated, "" for normal */
};

/* Protocol name as Argus prints it ("tcp", "udp", "arp", "ospf", ...). */
const char *weir_proto_name(unsigned proto);
int weir_proto_parse(const char *s);   /* -1 if unknown */

#endif
