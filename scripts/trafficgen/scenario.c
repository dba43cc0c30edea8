/* Scenario files: INI (libinih), every key has a default and a range.
 *
 * Errors name the file, the section, the key, what was wrong and what to
 * change; the first one wins (inih keeps going, we keep the first message).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include "weir_gen.h"

static const char *const app_names[WEIR_GEN_NAPPS] = {
	"http", "dns", "tls", "ssh", "ftp", "smtp", "icmp"
};

static const char *const attack_names[WEIR_GEN_NATTACKS] = {
	"syn_scan", "udp_scan", "syn_flood", "ftp_brute", "http_flood",
	"dns_exfil", "bulk_exfil", "slowloris"
};

/* UNSW-NB15's categories where one fits: scans are Reconnaissance, floods
 * and slow-rate exhaustion DoS, password guessing Exploits, covert and bulk
 * exfiltration Backdoors (a channel out of a compromised host; the
 * spelling is that of the raw UNSW-NB15 CSVs). */
static const char *const attack_cats[WEIR_GEN_NATTACKS] = {
	"Reconnaissance", "Reconnaissance", "DoS", "Exploits", "DoS",
	"Backdoors", "Backdoors", "DoS"
};

const char *weir_gen_app_name(int app)
{
	return app >= 0 && app < WEIR_GEN_NAPPS ? app_names[app] : "?";
}

const char *weir_gen_attack_name(int kind)
{
	return kind >= 0 && kind < WEIR_GEN_NATTACKS ? attack_names[kind] : "?";
}

const char *weir_gen_attack_cat(int kind)
{
	return kind >= 0 && kind < WEIR_GEN_NATTACKS ? attack_cats[kind] : "";
}

void weir_gen_scenario_defaults(struct weir_gen_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->path, sizeof(sc->path), "(defaults)");
	sc->start_time = 1700000000.0;
	sc->duration = 60;
	sc->seed = 1;
	sc->max_sessions = 65536;

	sc->client_nets[0] = (struct weir_gen_net){ 0x0a010000, 24 };  /* 10.1.0.0/24 */
	sc->client_nets[1] = (struct weir_gen_net){ 0x0a020000, 24 };  /* 10.2.0.0/24 */
	sc->n_client_nets = 2;
	sc->clients_per_net = 40;
	sc->server_net = (struct weir_gen_net){ 0x0a000000, 24 };      /* 10.0.0.0/24 */
	sc->servers = 10;
	sc->external_net = (struct weir_gen_net){ 0xcb007100, 24 };    /* 203.0.113.0/24 */
	sc->external_servers = 20;
	sc->lan_rtt_min_ms = 0.2;
	sc->lan_rtt_max_ms = 2;
	sc->wan_rtt_min_ms = 10;
	sc->wan_rtt_max_ms = 120;
	sc->loss = 0.002;
	sc->jitter_ms = 0.3;
	sc->windows_share = 0.4;
	sc->bandwidth_mbps = 1000;

	sc->flows_per_s = 50;
	const double mix[WEIR_GEN_NAPPS] = { 35, 35, 20, 3, 2, 3, 2 };
	memcpy(sc->mix, mix, sizeof(mix));
	sc->diurnal_amplitude = 0.3;
	sc->diurnal_period = 60;
	sc->external_share = 0.5;
	sc->http_body_kb = 6;
	sc->http_requests = 3;
	sc->pipelining = 0.1;
	sc->ftp_fail_share = 0.1;

	sc->drift_enabled = 0;
	sc->drift_start = 30;
	sc->drift_client_net = (struct weir_gen_net){ 0x0a030000, 24 };  /* 10.3.0.0/24 */
	sc->drift_client_share = 0.3;
	sc->drift_app = WEIR_GEN_TLS;
	sc->drift_port = 8443;
	sc->drift_port_share = 0.2;
	sc->drift_size_scale = 3;
	sc->drift_rate_scale = 1.3;
}

/* ---- value parsers: each returns NULL or what is wrong with the value ---- */

static const char *parse_double(const char *v, double lo, double hi, double *out)
{
	static char why[128];
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == v || *end || errno || !isfinite(d)) {
		snprintf(why, sizeof(why), "'%s' is not a number", v);
		return why;
	}
	if (d < lo || d > hi) {
		snprintf(why, sizeof(why), "%s is out of range; use a value from %g to %g", v, lo, hi);
		return why;
	}
	*out = d;
	return NULL;
}

static const char *parse_net(const char *v, struct weir_gen_net *n)
{
	static char why[160];
	unsigned a, b, c, d, len;
	char tail;
	if (sscanf(v, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &len, &tail) != 5 ||
	    a > 255 || b > 255 || c > 255 || d > 255 || len < 8 || len > 30) {
		snprintf(why, sizeof(why), "'%s' is not an IPv4 subnet like 10.1.0.0/24 "
			 "(prefix length 8 to 30)", v);
		return why;
	}
	uint32_t ip = a << 24 | b << 16 | c << 8 | d;
	uint32_t mask = 0xffffffffu << (32 - len);
	n->base = ip & mask;
	n->len = (uint8_t)len;
	return NULL;
}

static const char *parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = 0;
	else
		return "expected yes or no";
	return NULL;
}

/* ---- key tables ---- */

enum ktype { K_DOUBLE, K_U32, K_U64, K_NET, K_BOOL, K_NETLIST, K_APP, K_PORT };

struct key {
	const char *section, *name;
	enum ktype type;
	size_t off;
	double lo, hi;
	const char *help;   /* unit or meaning, quoted in errors */
};

#define SC(f) offsetof(struct weir_gen_scenario, f)
static const struct key keys[] = {
	{ "general", "start_time", K_DOUBLE, SC(start_time), 0, 4e9, "epoch seconds of the first packet" },
	{ "general", "duration", K_DOUBLE, SC(duration), 0.1, 86400 * 7, "seconds of traffic" },
	{ "general", "seed", K_U64, SC(seed), 0, 1.8e19, "random seed" },
	{ "general", "max_sessions", K_U32, SC(max_sessions), 16, 4194304, "flows open at once" },
	{ "network", "client_subnets", K_NETLIST, SC(client_nets), 0, 0, "comma-separated subnets, at most 4" },
	{ "network", "clients_per_subnet", K_U32, SC(clients_per_net), 1, 10000, "hosts" },
	{ "network", "server_subnet", K_NET, SC(server_net), 0, 0, "subnet" },
	{ "network", "servers", K_U32, SC(servers), 5, 1000, "internal servers (roles dns/web/mail/ftp/ssh in turn)" },
	{ "network", "external_subnet", K_NET, SC(external_net), 0, 0, "subnet" },
	{ "network", "external_servers", K_U32, SC(external_servers), 1, 10000, "external web servers" },
	{ "network", "lan_rtt_min_ms", K_DOUBLE, SC(lan_rtt_min_ms), 0.01, 1000, "ms" },
	{ "network", "lan_rtt_max_ms", K_DOUBLE, SC(lan_rtt_max_ms), 0.01, 1000, "ms" },
	{ "network", "wan_rtt_min_ms", K_DOUBLE, SC(wan_rtt_min_ms), 0.01, 5000, "ms" },
	{ "network", "wan_rtt_max_ms", K_DOUBLE, SC(wan_rtt_max_ms), 0.01, 5000, "ms" },
	{ "network", "loss", K_DOUBLE, SC(loss), 0, 0.2, "fraction of data segments lost" },
	{ "network", "jitter_ms", K_DOUBLE, SC(jitter_ms), 0, 1000, "ms" },
	{ "network", "windows_share", K_DOUBLE, SC(windows_share), 0, 1, "fraction" },
	{ "network", "bandwidth_mbps", K_DOUBLE, SC(bandwidth_mbps), 1, 100000, "Mbit/s" },
	{ "normal", "flows_per_s", K_DOUBLE, SC(flows_per_s), 0, 1e6, "new sessions per second" },
	{ "normal", "http", K_DOUBLE, SC(mix[WEIR_GEN_HTTP]), 0, 1e6, "mix weight" },
	{ "normal", "dns", K_DOUBLE, SC(mix[WEIR_GEN_DNS]), 0, 1e6, "mix weight" },
	{ "normal", "tls", K_DOUBLE, SC(mix[WEIR_GEN_TLS]), 0, 1e6, "mix weight" },
	{ "normal", "ssh", K_DOUBLE, SC(mix[WEIR_GEN_SSH]), 0, 1e6, "mix weight" },
	{ "normal", "ftp", K_DOUBLE, SC(mix[WEIR_GEN_FTP]), 0, 1e6, "mix weight" },
	{ "normal", "smtp", K_DOUBLE, SC(mix[WEIR_GEN_SMTP]), 0, 1e6, "mix weight" },
	{ "normal", "icmp", K_DOUBLE, SC(mix[WEIR_GEN_ICMP]), 0, 1e6, "mix weight" },
	{ "normal", "diurnal_amplitude", K_DOUBLE, SC(diurnal_amplitude), 0, 0.95, "fraction" },
	{ "normal", "diurnal_period", K_DOUBLE, SC(diurnal_period), 1, 86400 * 7, "seconds" },
	{ "normal", "external_share", K_DOUBLE, SC(external_share), 0, 1, "fraction" },
	{ "normal", "http_body_kb", K_DOUBLE, SC(http_body_kb), 0.01, 100000, "median KB" },
	{ "normal", "http_requests", K_DOUBLE, SC(http_requests), 1, 100, "mean per connection" },
	{ "normal", "pipelining", K_DOUBLE, SC(pipelining), 0, 1, "fraction" },
	{ "normal", "ftp_fail_share", K_DOUBLE, SC(ftp_fail_share), 0, 1, "fraction" },
	{ "drift", "enabled", K_BOOL, SC(drift_enabled), 0, 0, "yes or no" },
	{ "drift", "start", K_DOUBLE, SC(drift_start), 0, 86400 * 7, "seconds from the start" },
	{ "drift", "client_subnet", K_NET, SC(drift_client_net), 0, 0, "subnet" },
	{ "drift", "client_share", K_DOUBLE, SC(drift_client_share), 0, 1, "fraction" },
	{ "drift", "service", K_APP, SC(drift_app), 0, 0, "http, tls or ssh" },
	{ "drift", "port", K_PORT, SC(drift_port), 1, 65535, "port" },
	{ "drift", "port_share", K_DOUBLE, SC(drift_port_share), 0, 1, "fraction" },
	{ "drift", "size_scale", K_DOUBLE, SC(drift_size_scale), 0.01, 1000, "factor" },
	{ "drift", "rate_scale", K_DOUBLE, SC(drift_rate_scale), 0.01, 1000, "factor" },
};
#undef SC

#define AC(f) offsetof(struct weir_gen_attack_cfg, f)
static const struct key attack_keys[] = {
	{ "attack", "enabled", K_BOOL, AC(enabled), 0, 0, "yes or no" },
	{ "attack", "start", K_DOUBLE, AC(start), 0, 86400 * 7, "seconds from the start" },
	{ "attack", "end", K_DOUBLE, AC(end), 0, 86400 * 7, "seconds from the start" },
	{ "attack", "rate", K_DOUBLE, AC(rate), 0.001, 1e6, "events per second" },
	{ "attack", "size_mb", K_DOUBLE, AC(size_mb), 0.001, 100000, "MB per connection" },
	{ "attack", "sources", K_U32, AC(sources), 1, 60000, "hosts" },
	{ "attack", "interval", K_DOUBLE, AC(interval), 0.01, 3600, "seconds" },
};
#undef AC

/* Defaults per attack: rate unit and size chosen so each is visible but
 * does not swamp a demo. */
static void attack_defaults(struct weir_gen_attack_cfg *a, int kind)
{
	static const double rates[WEIR_GEN_NATTACKS] = {
		200,   /* syn_scan: probes/s */
		100,   /* udp_scan: probes/s */
		2000,  /* syn_flood: spoofed SYNs/s */
		5,     /* ftp_brute: password attempts/s */
		200,   /* http_flood: requests (connections)/s */
		20,    /* dns_exfil: queries/s */
		0.2,   /* bulk_exfil: connections/s */
		20,    /* slowloris: new connections/s */
	};
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->enabled = 1;
	a->start = 10;
	a->end = 20;
	a->rate = rates[kind];
	a->size_mb = 20;
	a->sources = 200;
	a->interval = 10;
}

struct parse_ctx {
	struct weir_gen_scenario *sc;
	const char *file;
	char err[512];
	int failed;
	unsigned attack_idx_plus1;   /* attack of the current section */
	char cur_section[64];
};

static void fail(struct parse_ctx *c, const char *section, const char *name,
		 const char *what)
{
	if (c->failed)
		return;
	c->failed = 1;
	snprintf(c->err, sizeof(c->err), "%s: [%s] %s: %s", c->file, section, name, what);
}

static const char *set_value(const struct key *k, void *base, const char *v)
{
	static char why[200];
	char *p = (char *)base + k->off;
	const char *e;
	double d;
	switch (k->type) {
	case K_DOUBLE:
		return parse_double(v, k->lo, k->hi, (double *)p);
	case K_U32:
		if ((e = parse_double(v, k->lo, k->hi, &d)))
			return e;
		if (d != floor(d))
			return "expected a whole number";
		*(uint32_t *)p = (uint32_t)d;
		return NULL;
	case K_PORT:
		if ((e = parse_double(v, k->lo, k->hi, &d)))
			return e;
		if (d != floor(d))
			return "expected a whole number";
		*(uint16_t *)p = (uint16_t)d;
		return NULL;
	case K_U64: {
		char *end;
		errno = 0;
		unsigned long long u = strtoull(v, &end, 0);
		if (end == v || *end || errno || v[0] == '-')
			return "expected a whole number from 0 to 18446744073709551615";
		*(uint64_t *)p = u;
		return NULL;
	}
	case K_NET:
		return parse_net(v, (struct weir_gen_net *)p);
	case K_BOOL:
		return parse_bool(v, (int *)p);
	case K_APP:
		for (int i = 0; i < WEIR_GEN_NAPPS; i++)
			if (!strcasecmp(v, app_names[i]) &&
			    (i == WEIR_GEN_HTTP || i == WEIR_GEN_TLS || i == WEIR_GEN_SSH)) {
				*(int *)p = i;
				return NULL;
			}
		snprintf(why, sizeof(why), "'%s' is not a service the drift can add; use http, tls or ssh", v);
		return why;
	case K_NETLIST: {
		struct weir_gen_scenario *sc = base;
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", v);
		unsigned n = 0;
		for (char *save, *tok = strtok_r(buf, ", \t", &save); tok;
		     tok = strtok_r(NULL, ", \t", &save)) {
			if (n == WEIR_GEN_MAX_NETS)
				return "more than 4 subnets; list at most 4";
			if ((e = parse_net(tok, &sc->client_nets[n])))
				return e;
			n++;
		}
		if (!n)
			return "empty; list at least one subnet like 10.1.0.0/24";
		sc->n_client_nets = n;
		return NULL;
	}
	}
	return "internal: unknown key type";
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	char what[400];
	if (c->failed)
		return 1;
	if (!strncasecmp(section, "attack.", 7)) {
		/* [attack.KIND] or [attack.KIND.anything]: one scheduled instance. */
		if (strcmp(c->cur_section, section)) {
			char kindname[48];
			snprintf(kindname, sizeof(kindname), "%s", section + 7);
			char *dot = strchr(kindname, '.');
			if (dot)
				*dot = '\0';
			int kind = -1;
			for (int i = 0; i < WEIR_GEN_NATTACKS; i++)
				if (!strcasecmp(kindname, attack_names[i]))
					kind = i;
			if (kind < 0) {
				fail(c, section, name, "unknown attack; the section must be "
				     "[attack.KIND] with KIND one of syn_scan, udp_scan, syn_flood, "
				     "ftp_brute, http_flood, dns_exfil, bulk_exfil, slowloris");
				return 0;
			}
			unsigned idx = c->sc->n_attacks;
			for (unsigned i = 0; i < c->sc->n_attacks; i++)
				if (!strcasecmp(c->sc->attacks[i].section, section))
					idx = i;
			if (idx == c->sc->n_attacks) {
				if (idx == WEIR_GEN_MAX_ATTACKS) {
					fail(c, section, name, "more than 32 attack sections; merge some");
					return 0;
				}
				attack_defaults(&c->sc->attacks[idx], kind);
				snprintf(c->sc->attacks[idx].section, sizeof(c->sc->attacks[idx].section),
					 "%s", section);
				c->sc->n_attacks++;
			}
			c->attack_idx_plus1 = idx + 1;
			snprintf(c->cur_section, sizeof(c->cur_section), "%s", section);
		}
		struct weir_gen_attack_cfg *a = &c->sc->attacks[c->attack_idx_plus1 - 1];
		for (size_t i = 0; i < sizeof(attack_keys) / sizeof(attack_keys[0]); i++) {
			if (strcasecmp(name, attack_keys[i].name))
				continue;
			const char *e = set_value(&attack_keys[i], a, value);
			if (e) {
				snprintf(what, sizeof(what), "%s (%s)", e, attack_keys[i].help);
				fail(c, section, name, what);
				return 0;
			}
			return 1;
		}
		fail(c, section, name, "unknown key; attack sections take enabled, start, "
		     "end, rate, size_mb, sources, interval");
		return 0;
	}
	int section_known = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(section, keys[i].section))
			continue;
		section_known = 1;
		if (strcasecmp(name, keys[i].name))
			continue;
		const char *e = set_value(&keys[i], c->sc, value);
		if (e) {
			snprintf(what, sizeof(what), "%s (%s)", e, keys[i].help);
			fail(c, section, name, what);
			return 0;
		}
		return 1;
	}
	if (!section_known)
		fail(c, section, name, "unknown section; use [general], [network], [normal], "
		     "[drift] or [attack.KIND]");
	else {
		char list[400] = "";
		size_t n = 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcasecmp(section, keys[i].section) && n < sizeof(list) - 40)
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
						      n ? ", " : "", keys[i].name);
		snprintf(what, sizeof(what), "unknown key; this section takes %s", list);
		fail(c, section, name, what);
	}
	return 0;
}

static int net_contains(const struct weir_gen_net *a, const struct weir_gen_net *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;
	uint32_t mask = 0xffffffffu << (32 - len);
	return (a->base & mask) == (b->base & mask);
}

/* Checks that involve more than one key. */
static int validate(struct parse_ctx *c)
{
	struct weir_gen_scenario *sc = c->sc;
	char what[300];
	if (sc->lan_rtt_min_ms > sc->lan_rtt_max_ms) {
		fail(c, "network", "lan_rtt_min_ms", "is larger than lan_rtt_max_ms; lower it or raise the maximum");
		return -1;
	}
	if (sc->wan_rtt_min_ms > sc->wan_rtt_max_ms) {
		fail(c, "network", "wan_rtt_min_ms", "is larger than wan_rtt_max_ms; lower it or raise the maximum");
		return -1;
	}
	for (unsigned i = 0; i < sc->n_client_nets; i++) {
		uint64_t hosts = (1ull << (32 - sc->client_nets[i].len)) - 2;
		if (sc->clients_per_net + 10 > hosts) {
			snprintf(what, sizeof(what), "%u clients (+10 reserved) do not fit in a /%u; "
				 "use a larger subnet or fewer clients", sc->clients_per_net,
				 sc->client_nets[i].len);
			fail(c, "network", "clients_per_subnet", what);
			return -1;
		}
		if (net_contains(&sc->client_nets[i], &sc->server_net) ||
		    net_contains(&sc->client_nets[i], &sc->external_net)) {
			fail(c, "network", "client_subnets", "overlaps server_subnet or external_subnet; "
			     "use separate subnets");
			return -1;
		}
	}
	if (sc->servers + 10 > (1ull << (32 - sc->server_net.len)) - 2) {
		fail(c, "network", "servers", "do not fit in server_subnet; use a larger subnet or fewer servers");
		return -1;
	}
	/* External hosts also hold the attackers and bots: leave room for them. */
	if (sc->external_servers + 100 > (1ull << (32 - sc->external_net.len)) - 2) {
		fail(c, "network", "external_servers", "do not fit in external_subnet (100 addresses "
		     "are kept for attackers); use a larger subnet or fewer servers");
		return -1;
	}
	if (net_contains(&sc->server_net, &sc->external_net)) {
		fail(c, "network", "external_subnet", "overlaps server_subnet; use separate subnets");
		return -1;
	}
	double w = 0;
	for (int i = 0; i < WEIR_GEN_NAPPS; i++)
		w += sc->mix[i];
	if (w <= 0 && sc->flows_per_s > 0) {
		fail(c, "normal", "http", "every mix weight is 0; give at least one of http, dns, "
		     "tls, ssh, ftp, smtp, icmp a positive weight");
		return -1;
	}
	if (sc->drift_enabled) {
		if (sc->drift_start >= sc->duration) {
			fail(c, "drift", "start", "is at or after [general] duration, so the drift "
			     "never happens; make it smaller or set enabled = no");
			return -1;
		}
		if (sc->drift_client_net.len > 32 - 6) {
			fail(c, "drift", "client_subnet", "is too small for the new clients; use /26 or larger");
			return -1;
		}
	}
	for (unsigned i = 0; i < sc->n_attacks; i++) {
		struct weir_gen_attack_cfg *a = &sc->attacks[i];
		if (a->start >= a->end) {
			fail(c, a->section, "end", "is not after start; an attack needs a time "
			     "window start < end");
			return -1;
		}
		if (a->enabled && a->start >= sc->duration) {
			fail(c, a->section, "start", "is at or after [general] duration, so the attack "
			     "never happens; move it earlier or set enabled = no");
			return -1;
		}
	}
	return 0;
}

static int finish(struct parse_ctx *c, int rc, char *err, size_t errlen)
{
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open the scenario file: %s", c->file, strerror(errno));
		return -1;
	}
	if (rc == -2) {
		snprintf(err, errlen, "%s: out of memory while reading", c->file);
		return -1;
	}
	if (!c->failed && rc > 0)
		snprintf(c->err, sizeof(c->err), "%s:%d: not an INI line (expected "
			 "[section] or key = value)", c->file, rc), c->failed = 1;
	if (!c->failed)
		validate(c);
	if (c->failed) {
		snprintf(err, errlen, "%s", c->err);
		return -1;
	}
	return 0;
}

int weir_gen_scenario_load(const char *path, struct weir_gen_scenario *sc,
			   char *err, size_t errlen)
{
	struct parse_ctx c = { .sc = sc, .file = path };
	weir_gen_scenario_defaults(sc);
	snprintf(sc->path, sizeof(sc->path), "%s", path);
	errno = 0;
	int rc = ini_parse(path, handler, &c);
	return finish(&c, rc, err, errlen);
}

int weir_gen_scenario_load_string(const char *name, const char *text,
				  struct weir_gen_scenario *sc, char *err, size_t errlen)
{
	struct parse_ctx c = { .sc = sc, .file = name };
	weir_gen_scenario_defaults(sc);
	snprintf(sc->path, sizeof(sc->path), "%s", name);
	int rc = ini_parse_string(text, handler, &c);
	return finish(&c, rc, err, errlen);
}
