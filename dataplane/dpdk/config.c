/* weir's settings: defaults, the INI file (-c), command-line overrides.
 *
 * Every problem is one line on stderr that names the setting (and the
 * file:line, and the port) and says what to change; then exit 1. The
 * settings are documented in doc/dataplane.md and configs/weir-*.conf. */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "bench_mix.h"
#include "extract.h"
#include "weir.h"

int weir_quiet;

void weir_die(const char *fmt, ...)
{
	va_list ap;
	fputs("weir: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void weir_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("weir: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void weir_info(const char *fmt, ...)
{
	va_list ap;
	if (weir_quiet)
		return;
	fputs("weir: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage[] =
"usage: weir -c FILE [options]\n"
"       weir --pcap A[,B...] [--workers N] [--flow-log FILE] [options]\n"
"       weir --bench CAPTURE | --bench-synthetic FLOWS | --bench-mix FLOWS\n"
"            [--bench-size 64|imix] [--bench-rounds R] [--bench-lengths short|unsw]\n"
"\n"
"  -c, --config FILE     settings (INI: [eal] [port NAME] [workers] [mode]\n"
"                        [flows] [output] [control]); options below override it\n"
"      --pcap A[,B...]   replay captures through net_pcap ports (one timeline),\n"
"                        exit after the last frame\n"
"      --pace F          replay at F times the recorded speed (default: flat out)\n"
"  -w, --workers N       worker lcores\n"
"      --flow-log FILE   every flow record, as `weirctl extract` writes it\n"
"      --format csv|jsonl\n"
"      --extra           add end_reason, vlan, worker, flow_id columns\n"
"      --scores          add score, verdict, model_version columns\n"
"      --model DIR       score every record with this bundle (weirctl train)\n"
"      --shm NAME        records to weir-control through /dev/shm/weir-NAME\n"
"      --sample-rate R   fraction of flows sampled to control (default 0.01)\n"
"      --socket PATH     command socket\n"
"      --no-huge         run without hugepages (--no-huge --in-memory)\n"
"      --max-flows N     flow-table capacity per worker\n"
"      --no-content      skip the Hyperscan service/HTTP/FTP analysis\n"
"      --check           validate the settings, print them, exit\n"
"  -q, --quiet           no start-up log or exit summary\n";

/* ---- value parsers: 0 ok, -1 bad ---- */

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_secs(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 7 * 86400.0)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcasecmp(s, "off") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int copy_str(char *dst, size_t len, const char *s)
{
	if (strlen(s) >= len)
		return -1;
	strcpy(dst, s);
	return 0;
}

static void conf_defaults(struct weir_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->main_lcore = -1;
	c->hugepages = WEIR_HUGE_AUTO;
	c->workers = 1;
	c->mode = WEIR_MODE_SPAN;
	weir_engine_config_defaults(&c->eng);
	c->eng.ft.max_flows = 1u << 20;   /* as `weirctl extract` */
	c->flow_format = WEIR_FMT_CSV;
	c->sample_rate = 0.01;
	c->bench_rounds = 5;
}

/* ---- INI ---- */

struct ini_ctx {
	struct weir_conf *c;
	const char *file;
	int line;               /* of the line being handled: counted by the reader */
	FILE *f;
	char pairs[512];
};

/* libinih is built without INI_HANDLER_LINENO: count lines ourselves so an
 * error can name file:line. */
static char *conf_reader(char *str, int num, void *stream)
{
	struct ini_ctx *x = stream;
	char *r = fgets(str, num, x->f);
	if (r)
		x->line++;
	return r;
}

static struct weir_port_conf *port_get(struct weir_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->nports; i++)
		if (!strcmp(c->port[i].name, name))
			return &c->port[i];
	if (c->nports == WEIR_MAX_PORTS)
		return NULL;
	struct weir_port_conf *p = &c->port[c->nports++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

const struct weir_port_conf *weir_conf_port(const struct weir_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->nports; i++)
		if (!strcmp(c->port[i].name, name))
			return &c->port[i];
	return NULL;
}

#define BAD(fix) do { \
	weir_die("%s:%d: [%s] %s = '%s': %s", x->file, lineno, section, key, val, fix); \
} while (0)

static int conf_handler(void *user, const char *section, const char *key,
		       const char *val)
{
	struct ini_ctx *x = user;
	int lineno = x->line;
	struct weir_conf *c = x->c;
	unsigned long u;
	int b;

	if (!key)   /* section start (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (!strcmp(section, "eal")) {
		if (!strcmp(key, "lcores")) {
			if (strcmp(val, "auto") && copy_str(c->lcores, sizeof(c->lcores), val))
				BAD("too long; give an EAL lcore list like 0-2 or 0@0,1@0,2@1");
		} else if (!strcmp(key, "main_lcore")) {
			if (!strcmp(val, "auto"))
				c->main_lcore = -1;
			else if (parse_uint(val, 0, RTE_MAX_LCORE - 1, &u))
				BAD("expected auto or an lcore number");
			else
				c->main_lcore = (int)u;
		} else if (!strcmp(key, "args")) {
			if (copy_str(c->eal_args, sizeof(c->eal_args), val))
				BAD("longer than 1023 characters");
		} else if (!strcmp(key, "hugepages")) {
			if (!strcmp(val, "auto")) c->hugepages = WEIR_HUGE_AUTO;
			else if (!strcmp(val, "yes")) c->hugepages = WEIR_HUGE_YES;
			else if (!strcmp(val, "no")) c->hugepages = WEIR_HUGE_NO;
			else BAD("expected auto, yes or no");
		} else {
			BAD("unknown setting; [eal] has lcores, main_lcore, args, hugepages");
		}
	} else if (!strncmp(section, "port ", 5)) {
		const char *pname = section + 5;
		struct weir_port_conf *p;
		if (!*pname || strlen(pname) >= WEIR_NAME_MAX)
			BAD("port name must be 1-31 characters");
		p = port_get(c, pname);
		if (!p)
			BAD("too many ports (at most 16)");
		if (!strcmp(key, "dev")) {
			if (copy_str(p->dev, sizeof(p->dev), val))
				BAD("longer than 511 characters");
		} else if (!strcmp(key, "type")) {
			if (!strcmp(val, "dpdk")) p->type = WEIR_PORT_DPDK;
			else if (!strcmp(val, "pcap-live")) p->type = WEIR_PORT_PCAP_LIVE;
			else BAD("expected dpdk or pcap-live");
		} else if (!strcmp(key, "rx_desc") || !strcmp(key, "tx_desc")) {
			uint32_t *d = key[0] == 'r' ? &p->rx_desc : &p->tx_desc;
			if (!strcmp(val, "auto")) *d = 0;
			else if (parse_uint(val, 32, 32768, &u) || (u & (u - 1)))
				BAD("expected auto or a power of two from 32 to 32768");
			else *d = (uint32_t)u;
		} else if (!strcmp(key, "mempool")) {
			if (!strcmp(val, "auto")) p->mempool = 0;
			else if (parse_uint(val, 1024, 1u << 24, &u))
				BAD("expected auto or a number of mbufs from 1024 to 16777216");
			else p->mempool = (uint32_t)u;
		} else if (!strcmp(key, "mtu")) {
			if (!strcmp(val, "auto")) p->mtu = 0;
			else if (parse_uint(val, 68, 16128, &u))
				BAD("expected auto or an MTU from 68 to 16128 bytes (jumbo frames: 9000)");
			else p->mtu = (uint32_t)u;
		} else {
			BAD("unknown setting; [port NAME] has dev, type, rx_desc, tx_desc, mempool, mtu");
		}
	} else if (!strcmp(section, "workers")) {
		if (!strcmp(key, "count")) {
			if (parse_uint(val, 1, WEIR_MAX_WORKERS, &u))
				BAD("expected a number of worker lcores from 1 to 32");
			c->workers = (unsigned)u;
		} else {
			BAD("unknown setting; [workers] has count");
		}
	} else if (!strcmp(section, "mode")) {
		if (!strcmp(key, "mode")) {
			if (!strcmp(val, "span")) c->mode = WEIR_MODE_SPAN;
			else if (!strcmp(val, "inline")) c->mode = WEIR_MODE_INLINE;
			else BAD("expected span or inline");
		} else if (!strcmp(key, "pairs")) {
			if (copy_str(x->pairs, sizeof(x->pairs), val))
				BAD("too long");
		} else if (!strcmp(key, "block")) {
			if (parse_bool(val, &c->block))
				BAD("expected on or off");
		} else if (!strcmp(key, "early_pkts")) {
			if (parse_uint(val, 0, 1000000, &u))
				BAD("expected packets from 0 (off) to 1000000");
			c->eng.early_pkts = (uint32_t)u;
		} else {
			BAD("unknown setting; [mode] has mode, pairs, block, early_pkts");
		}
	} else if (!strcmp(section, "flows")) {
		struct weir_ft_config *ft = &c->eng.ft;
		if (!strcmp(key, "max_flows")) {
			if (parse_uint(val, 1024, 1ul << 28, &u))
				BAD("expected flows per worker from 1024 to 268435456");
			ft->max_flows = (uint32_t)u;
			c->max_flows_set = 1;
		} else if (!strcmp(key, "tcp_timeout")) {
			if (parse_secs(val, &ft->timeout_ns[WEIR_TO_TCP]) || !ft->timeout_ns[WEIR_TO_TCP])
				BAD("expected seconds above 0, at most 604800");
		} else if (!strcmp(key, "closed_timeout")) {
			if (parse_secs(val, &ft->timeout_ns[WEIR_TO_TCP_CLOSED]) || !ft->timeout_ns[WEIR_TO_TCP_CLOSED])
				BAD("expected seconds above 0, at most 604800");
		} else if (!strcmp(key, "udp_timeout")) {
			if (parse_secs(val, &ft->timeout_ns[WEIR_TO_OTHER]) || !ft->timeout_ns[WEIR_TO_OTHER])
				BAD("expected seconds above 0, at most 604800");
		} else if (!strcmp(key, "active_timeout")) {
			if (parse_secs(val, &ft->active_timeout_ns)) BAD("expected seconds, 0 = off");
		} else if (!strcmp(key, "ct_window")) {
			if (parse_uint(val, 1, 100000, &u)) BAD("expected connections from 1 to 100000");
			c->eng.ct_window = (uint32_t)u;
		} else if (!strcmp(key, "content")) {
			if (parse_bool(val, &b)) BAD("expected on or off");
			c->eng.content = (uint8_t)b;
		} else {
			BAD("unknown setting; [flows] has max_flows, tcp_timeout, closed_timeout, udp_timeout, active_timeout, ct_window, content");
		}
	} else if (!strcmp(section, "output")) {
		if (!strcmp(key, "flow_log")) {
			if (strcmp(val, "none") && copy_str(c->flow_log, sizeof(c->flow_log), val))
				BAD("path too long");
		} else if (!strcmp(key, "format")) {
			int f = weir_fmt_parse(val);
			if (f < 0) BAD("expected csv or jsonl");
			c->flow_format = (enum weir_fmt)f;
		} else if (!strcmp(key, "extra")) {
			if (parse_bool(val, &b)) BAD("expected on or off");
			c->flow_cols = b ? (c->flow_cols | WEIR_COLS_EXTRA) : (c->flow_cols & ~WEIR_COLS_EXTRA);
		} else if (!strcmp(key, "scores")) {
			if (parse_bool(val, &b)) BAD("expected on or off");
			c->flow_cols = b ? (c->flow_cols | WEIR_COLS_SCORE) : (c->flow_cols & ~WEIR_COLS_SCORE);
		} else if (!strcmp(key, "shm")) {
			if (!strcmp(val, "none")) c->shm_name[0] = 0;
			else if (copy_str(c->shm_name, sizeof(c->shm_name), val))
				BAD("at most 64 characters (letters, digits, - _ .)");
		} else if (!strcmp(key, "shm_slots")) {
			if (parse_uint(val, 64, 1u << 20, &u) || (u & (u - 1)))
				BAD("expected a power of two from 64 to 1048576");
			c->shm_slots = (unsigned)u;
		} else if (!strcmp(key, "sample_rate")) {
			char *end;
			double r = strtod(val, &end);
			if (end == val || *end || !(r >= 0 && r <= 1))
				BAD("expected a fraction from 0 to 1 (0.01 = one flow in a hundred)");
			c->sample_rate = r;
		} else {
			BAD("unknown setting; [output] has flow_log, format, extra, scores, shm, shm_slots, sample_rate");
		}
	} else if (!strcmp(section, "model")) {
		if (!strcmp(key, "path")) {
			if (strcmp(val, "none") && copy_str(c->model_path, sizeof(c->model_path), val))
				BAD("path too long");
		} else if (!strcmp(key, "threshold")) {
			char *end;
			if (!strcmp(val, "auto")) {
				c->threshold_set = 0;
			} else {
				c->threshold = strtod(val, &end);
				if (end == val || *end || !isfinite(c->threshold))
					BAD("expected auto (the bundle's) or a finite decision value");
				c->threshold_set = 1;
			}
		} else {
			BAD("unknown setting; [model] has path, threshold");
		}
	} else if (!strcmp(section, "control")) {
		if (!strcmp(key, "socket")) {
			if (strcmp(val, "none") && copy_str(c->ctl_socket, sizeof(c->ctl_socket), val))
				BAD("Unix socket paths are at most 107 characters");
		} else {
			BAD("unknown setting; [control] has socket");
		}
	} else {
		BAD("unknown section; sections are [eal] [port NAME] [workers] [mode] [flows] [output] [model] [control]");
	}
	return 1;
}

/* "a:b, c:d" -> peers both ways. */
static void apply_pairs(struct weir_conf *c, const char *file, const char *pairs)
{
	char buf[512], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", pairs);
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(tok, ':');
		if (!colon)
			weir_die("%s: [mode] pairs: '%s' is not NAME:NAME; write e.g. pairs = wan:lan", file, tok);
		*colon = 0;
		struct weir_port_conf *a = (struct weir_port_conf *)weir_conf_port(c, tok);
		struct weir_port_conf *b = (struct weir_port_conf *)weir_conf_port(c, colon + 1);
		if (!a || !b)
			weir_die("%s: [mode] pairs: unknown port '%s'; define it with a [port %s] section",
				 file, a ? colon + 1 : tok, a ? colon + 1 : tok);
		if (a == b)
			weir_die("%s: [mode] pairs: port '%s' paired with itself", file, tok);
		if (a->peer[0] || b->peer[0])
			weir_die("%s: [mode] pairs: port '%s' is in two pairs", file, a->peer[0] ? a->name : b->name);
		snprintf(a->peer, sizeof(a->peer), "%s", b->name);
		snprintf(b->peer, sizeof(b->peer), "%s", a->name);
	}
}

static void load_file(struct weir_conf *c, const char *path)
{
	struct ini_ctx x = { .c = c, .file = path };
	x.f = fopen(path, "r");
	if (!x.f)
		weir_die("%s: cannot read the configuration: %s", path, strerror(errno));
	int rc = ini_parse_stream(conf_reader, &x, conf_handler, &x);
	fclose(x.f);
	if (rc > 0)
		weir_die("%s:%d: syntax error; expected [section] or key = value", path, rc);
	if (rc < 0)
		weir_die("%s: cannot parse the configuration", path);
	if (x.pairs[0])
		apply_pairs(c, path, x.pairs);
}

enum {
	O_PCAP = 256, O_PACE, O_FLOWLOG, O_FORMAT, O_EXTRA, O_SHM, O_SAMPLE,
	O_SOCKET, O_NOHUGE, O_MAXFLOWS, O_NOCONTENT, O_BENCH, O_BENCHSYN,
	O_BENCHSIZE, O_BENCHROUNDS, O_BENCHLENGTHS, O_BENCHMIX, O_MODEL, O_SCORES, O_CHECK,
};

static const struct option opts[] = {
	{ "config", required_argument, 0, 'c' },
	{ "workers", required_argument, 0, 'w' },
	{ "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },
	{ "pcap", required_argument, 0, O_PCAP },
	{ "pace", required_argument, 0, O_PACE },
	{ "flow-log", required_argument, 0, O_FLOWLOG },
	{ "format", required_argument, 0, O_FORMAT },
	{ "extra", no_argument, 0, O_EXTRA },
	{ "shm", required_argument, 0, O_SHM },
	{ "sample-rate", required_argument, 0, O_SAMPLE },
	{ "socket", required_argument, 0, O_SOCKET },
	{ "no-huge", no_argument, 0, O_NOHUGE },
	{ "max-flows", required_argument, 0, O_MAXFLOWS },
	{ "no-content", no_argument, 0, O_NOCONTENT },
	{ "bench", required_argument, 0, O_BENCH },
	{ "bench-synthetic", required_argument, 0, O_BENCHSYN },
	{ "bench-mix", required_argument, 0, O_BENCHMIX },
	{ "bench-size", required_argument, 0, O_BENCHSIZE },
	{ "bench-rounds", required_argument, 0, O_BENCHROUNDS },
	{ "bench-lengths", required_argument, 0, O_BENCHLENGTHS },
	{ "model", required_argument, 0, O_MODEL },
	{ "scores", no_argument, 0, O_SCORES },
	{ "check", no_argument, 0, O_CHECK },
	{ 0, 0, 0, 0 },
};

/* Replay without max_flows: size the table from the captures, as `weirctl
 * extract` does, so a small replay does not pre-fault a table of a million
 * flows per worker. */
static uint32_t replay_max_flows(const struct weir_conf *c)
{
	const char *paths[WEIR_MAX_PORTS];
	int n = 0;
	for (unsigned i = 0; i < c->nports && n < WEIR_MAX_PORTS; i++)
		paths[n++] = c->port[i].replay_file;
	return weir_extract_auto_max_flows(paths, n);
}

static void add_pcap_ports(struct weir_conf *c, const char *list)
{
	char *dup = strdup(list), *save = NULL;
	if (!dup)
		weir_die("out of memory");
	for (char *f = strtok_r(dup, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char name[WEIR_NAME_MAX];
		snprintf(name, sizeof(name), "pcap%u", c->nports);
		if (strchr(f, ',') || strlen(f) > 400)
			weir_die("--pcap %s: path too long for a net_pcap vdev argument (400 characters)", f);
		struct weir_port_conf *p = port_get(c, name);
		if (!p)
			weir_die("--pcap: too many captures (at most 16 ports)");
		p->replay_file = strdup(f);
	}
	free(dup);
	c->replay = 1;
}

void weir_conf_load(struct weir_conf *c, int argv_c, char **argv)
{
	int ch;
	unsigned long u;

	conf_defaults(c);
	/* The file first, so that options override it whatever their order. */
	for (int i = 1; i < argv_c; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argv_c)
			snprintf(c->conf_file, sizeof(c->conf_file), "%s", argv[i + 1]);
		else if (!strncmp(a, "--config=", 9))
			snprintf(c->conf_file, sizeof(c->conf_file), "%s", a + 9);
	}
	if (c->conf_file[0])
		load_file(c, c->conf_file);

	optind = 1;
	while ((ch = getopt_long(argv_c, argv, "c:w:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': break;
		case 'w':
			if (parse_uint(optarg, 1, WEIR_MAX_WORKERS, &u))
				weir_die("--workers '%s': expected a number of worker lcores from 1 to 32", optarg);
			c->workers = (unsigned)u;
			break;
		case 'q': c->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case O_PCAP: add_pcap_ports(c, optarg); break;
		case O_PACE: {
			char *end;
			c->pace = strtod(optarg, &end);
			if (end == optarg || *end || !(c->pace > 0 && c->pace <= 1000))
				weir_die("--pace '%s': expected a speed factor above 0 (1.0 = recorded speed)", optarg);
			break;
		}
		case O_FLOWLOG:
			if (copy_str(c->flow_log, sizeof(c->flow_log), optarg))
				weir_die("--flow-log: path too long");
			break;
		case O_FORMAT: {
			int f = weir_fmt_parse(optarg);
			if (f < 0)
				weir_die("--format '%s': expected csv or jsonl", optarg);
			c->flow_format = (enum weir_fmt)f;
			break;
		}
		case O_EXTRA: c->flow_cols |= WEIR_COLS_EXTRA; break;
		case O_SCORES: c->flow_cols |= WEIR_COLS_SCORE; break;
		case O_CHECK: c->check = 1; break;
		case O_MODEL:
			if (copy_str(c->model_path, sizeof(c->model_path), optarg))
				weir_die("--model: path too long");
			break;
		case O_SHM:
			if (copy_str(c->shm_name, sizeof(c->shm_name), optarg))
				weir_die("--shm '%s': at most 64 characters", optarg);
			break;
		case O_SAMPLE: {
			char *end;
			double r = strtod(optarg, &end);
			if (end == optarg || *end || !(r >= 0 && r <= 1))
				weir_die("--sample-rate '%s': expected a fraction from 0 to 1", optarg);
			c->sample_rate = r;
			break;
		}
		case O_SOCKET:
			if (copy_str(c->ctl_socket, sizeof(c->ctl_socket), optarg))
				weir_die("--socket: Unix socket paths are at most 107 characters");
			break;
		case O_NOHUGE: c->hugepages = WEIR_HUGE_NO; break;
		case O_MAXFLOWS:
			if (parse_uint(optarg, 1024, 1ul << 28, &u))
				weir_die("--max-flows '%s': expected flows per worker from 1024 to 268435456", optarg);
			c->eng.ft.max_flows = (uint32_t)u;
			c->max_flows_set = 1;
			break;
		case O_NOCONTENT: c->eng.content = 0; break;
		case O_BENCH: c->bench_file = optarg; break;
		case O_BENCHSYN:
		case O_BENCHMIX:
			if (parse_uint(optarg, 1, 1ul << 24, &u))
				weir_die("--bench-%s '%s': expected a number of flows from 1 to 16777216",
					 ch == O_BENCHMIX ? "mix" : "synthetic", optarg);
			c->bench_flows = (unsigned)u;
			c->bench_mix = ch == O_BENCHMIX;
			break;
		case O_BENCHSIZE:
			if (!strcmp(optarg, "imix")) c->bench_size = 0;
			else if (!parse_uint(optarg, 64, 1514, &u)) c->bench_size = (unsigned)u;
			else weir_die("--bench-size '%s': expected imix or a frame size from 64 to 1514", optarg);
			break;
		case O_BENCHROUNDS:
			if (parse_uint(optarg, 1, 1000, &u))
				weir_die("--bench-rounds '%s': expected 1-1000", optarg);
			c->bench_rounds = (unsigned)u;
			break;
		case O_BENCHLENGTHS:
			if (!strcmp(optarg, "short")) c->bench_lengths = WEIR_MIX_SHORT;
			else if (!strcmp(optarg, "unsw")) c->bench_lengths = WEIR_MIX_UNSW;
			else weir_die("--bench-lengths '%s': expected short (4-28 packets a flow) "
				      "or unsw (the UNSW-NB15 sample's distribution)", optarg);
			break;
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (optind < argv_c)
		weir_die("unexpected argument '%s'; see weir --help", argv[optind]);
	weir_quiet = c->quiet;

	/* Cross-checks. */
	int bench = c->bench_file || c->bench_flows;
	for (unsigned i = 0; c->replay && i < c->nports; i++)
		if (!c->port[i].replay_file)
			weir_die("%s: [port %s]: --pcap replays captures only; remove the [port] sections or use a configuration without them (configs/weir-replay.conf)",
				 c->conf_file, c->port[i].name);
	if (c->bench_lengths != WEIR_MIX_SHORT && !c->bench_mix)
		weir_die("--bench-lengths shapes the flows of --bench-mix; add --bench-mix FLOWS or remove it");
	if (c->replay && c->mode == WEIR_MODE_INLINE)
		weir_die("--pcap replays in span mode; remove [mode] mode = inline or use [port] sections with rx_pcap/tx_pcap vdevs");
	if (!bench && c->nports == 0)
		weir_die("no ports: add a [port NAME] section with dev = <PCI address or vdev> to %s, or give --pcap FILE",
			 c->conf_file[0] ? c->conf_file : "a configuration file (-c)");
	for (unsigned i = 0; i < c->nports; i++) {
		struct weir_port_conf *p = &c->port[i];
		if (!p->replay_file && !p->dev[0])
			weir_die("%s: [port %s]: dev is missing; set dev = <PCI address, vdev string like net_pcap0,rx_pcap=x.pcap, or interface for type = pcap-live>",
				 c->conf_file, p->name);
		if (c->mode == WEIR_MODE_INLINE && !p->peer[0])
			weir_die("%s: [port %s]: inline mode forwards each port to a peer; add it to [mode] pairs = %s:OTHER",
				 c->conf_file, p->name, p->name);
		if (c->mode == WEIR_MODE_INLINE && p->type == WEIR_PORT_PCAP_LIVE)
			weir_die("%s: [port %s]: type = pcap-live is receive-only; inline mode needs DPDK ports (net_af_packet for veths)",
				 c->conf_file, p->name);
	}
	if (c->mode == WEIR_MODE_SPAN && c->block)
		weir_warn("[mode] block = on has no effect in span mode");
	/* An early verdict exists only to block a flow before it ends. */
	if (c->eng.early_pkts && !(c->mode == WEIR_MODE_INLINE && c->block))
		weir_warn("[mode] early_pkts = %u has no effect without mode = inline and block = on",
			  c->eng.early_pkts);
	if (c->eng.early_pkts && !c->model_path[0])
		weir_warn("[mode] early_pkts = %u: no [model] path yet, so no verdict until a load_model",
			  c->eng.early_pkts);
	if (c->replay && !c->max_flows_set)
		c->eng.ft.max_flows = replay_max_flows(c);
	if (!c->eng.ft.max_flows)
		c->eng.ft.max_flows = 1u << 20;
}

void weir_conf_print(FILE *out, const struct weir_conf *c)
{
	static const char *huge[] = { "auto", "yes", "no" };
	fprintf(out, "[eal] lcores = %s, main_lcore = %d, hugepages = %s, args = '%s'\n",
		c->lcores[0] ? c->lcores : "auto", c->main_lcore, huge[c->hugepages], c->eal_args);
	for (unsigned i = 0; i < c->nports; i++) {
		const struct weir_port_conf *p = &c->port[i];
		fprintf(out, "[port %s] type = %s, dev = %s, rx_desc = %u, tx_desc = %u, mempool = %u, mtu = %u%s%s\n",
			p->name, p->type == WEIR_PORT_PCAP_LIVE ? "pcap-live" : "dpdk",
			p->replay_file ? p->replay_file : p->dev, p->rx_desc, p->tx_desc, p->mempool,
			p->mtu, p->peer[0] ? ", peer = " : "", p->peer);
	}
	fprintf(out, "[workers] count = %u\n[mode] mode = %s, block = %s, early_pkts = %u\n", c->workers,
		c->mode == WEIR_MODE_INLINE ? "inline" : "span", c->block ? "on" : "off", c->eng.early_pkts);
	fprintf(out, "[flows] max_flows = %u, tcp_timeout = %.3f, closed_timeout = %.3f, udp_timeout = %.3f, "
		"active_timeout = %.3f, ct_window = %u, content = %s\n", c->eng.ft.max_flows,
		c->eng.ft.timeout_ns[WEIR_TO_TCP] / 1e9, c->eng.ft.timeout_ns[WEIR_TO_TCP_CLOSED] / 1e9,
		c->eng.ft.timeout_ns[WEIR_TO_OTHER] / 1e9, c->eng.ft.active_timeout_ns / 1e9,
		c->eng.ct_window, c->eng.content ? "on" : "off");
	fprintf(out, "[output] flow_log = %s, format = %s, extra = %s, scores = %s, shm = %s, shm_slots = %u, sample_rate = %g\n",
		c->flow_log[0] ? c->flow_log : "none", c->flow_format == WEIR_FMT_JSONL ? "jsonl" : "csv",
		c->flow_cols & WEIR_COLS_EXTRA ? "on" : "off", c->flow_cols & WEIR_COLS_SCORE ? "on" : "off",
		c->shm_name[0] ? c->shm_name : "none", c->shm_slots ? c->shm_slots : WEIR_SHM_DEFAULT_SLOTS,
		c->sample_rate);
	fprintf(out, "[model] path = %s, threshold = ", c->model_path[0] ? c->model_path : "none");
	if (c->threshold_set)
		fprintf(out, "%g\n", c->threshold);
	else
		fprintf(out, "auto\n");
	fprintf(out, "[control] socket = %s\n", c->ctl_socket[0] ? c->ctl_socket : "none");
}
