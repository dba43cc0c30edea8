/* weir-gen sources: hosts and their roles, the normal mix with its diurnal
 * rate and drift, and the scheduled attacks. Each source is a heap entry
 * whose visit starts one session and schedules the next. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gen_int.h"

/* ------------------------------------------------------------------ */
/* sources                                                             */

static double normal_rate(struct gen *g, uint64_t t)
{
	const struct weir_gen_scenario *sc = g->sc;
	double x = (double)(t - g->t0) / 1e9;
	double r = sc->flows_per_s * g->o.scale *
		   (1.0 + sc->diurnal_amplitude * sin(2 * M_PI * x / sc->diurnal_period));
	if (sc->drift_enabled && t >= g->drift_t)
		r *= sc->drift_rate_scale;
	return r;
}

static const uint8_t app_role[WEIR_GEN_NAPPS] = {
	[WEIR_GEN_HTTP] = ROLE_WEB, [WEIR_GEN_DNS] = ROLE_DNS, [WEIR_GEN_TLS] = ROLE_WEB,
	[WEIR_GEN_SSH] = ROLE_SSH, [WEIR_GEN_FTP] = ROLE_FTP, [WEIR_GEN_SMTP] = ROLE_MAIL,
	[WEIR_GEN_ICMP] = ROLE_WEB,
};
static const uint16_t app_port[WEIR_GEN_NAPPS] = { 80, 53, 443, 22, 21, 25, 0 };
static const uint8_t app_kind[WEIR_GEN_NAPPS] = { A_HTTP, A_DNS, A_TLS, A_SSH, A_FTP, A_SMTP, A_ICMP };

static void spawn_normal(struct gen *g, uint64_t t)
{
	const struct weir_gen_scenario *sc = g->sc;
	double u = gen_unif(&g->rng) * g->mix_cum[WEIR_GEN_NAPPS - 1];
	int app = 0;
	while (app < WEIR_GEN_NAPPS - 1 && u >= g->mix_cum[app])
		app++;
	struct gen_host *c = gen_pick_client(g, t >= g->drift_t);
	struct gen_host *sv;
	uint16_t port = app_port[app];
	int drift_svc = sc->drift_enabled && t >= g->drift_t &&
			gen_chance(&g->rng, sc->drift_port_share);
	if (drift_svc) {
		/* The drift's new service: an app on a port never seen before. */
		app = sc->drift_app;
		port = sc->drift_port;
		sv = gen_pick_server(g, ROLE_SSH);
	} else if ((app == WEIR_GEN_HTTP || app == WEIR_GEN_TLS || app == WEIR_GEN_ICMP) &&
		   gen_chance(&g->rng, sc->external_share)) {
		sv = gen_pick_external(g);
	} else {
		sv = gen_pick_server(g, app_role[app]);
	}
	uint8_t proto = app == WEIR_GEN_DNS ? 17 : app == WEIR_GEN_ICMP ? 1 : 6;
	struct gen_sess *s = gen_sess_new(g, t, proto, app_kind[app], V_NORMAL, -1, c, sv, port);
	if (!s)
		return;
	if (proto == 1) {
		/* ICMP echo has no ports; flows are keyed as Argus keys them:
		 * type << 8 | code as the source port, the echo id as the
		 * destination port (the id travels in ep[1].port). */
		gen_port_free(c, s->ep[0].port);
		s->ep[0].port_owned = 0;
		s->ep[0].port = 8 << 8;
		s->ep[1].port = (uint16_t)gen_next(&g->rng);
	}
	gen_sess_schedule_new(g, s);
}

static uint32_t scan_port(uint32_t i)
{
	/* 1..1024 in a scrambled order (397 is odd, so i*397 mod 1024 is a
	 * permutation), like nmap's randomised port list. */
	return ((i * 397u) & 1023u) + 1;
}

static int port_open(const struct gen *g, const struct gen_host *h, uint8_t proto, uint32_t port)
{
	if (proto == 17)
		return h->role == ROLE_DNS && port == 53;
	if (port == 22)
		return 1;
	switch (h->role) {
	case ROLE_WEB: return port == 80 || port == 443;
	case ROLE_MAIL: return port == 25;
	case ROLE_FTP: return port == 21;
	case ROLE_DNS: return port == 53;
	case ROLE_SSH: return g->sc->drift_enabled && port == g->sc->drift_port;
	}
	return 0;
}

static void spawn_attack(struct gen *g, struct gen_src *src, uint64_t t)
{
	struct gen_sess *s = NULL;
	const struct weir_gen_attack_cfg *a = src->cfg;
	int k = src->attack;
	switch (k) {
	case WEIR_GEN_SYN_SCAN:
	case WEIR_GEN_UDP_SCAN: {
		if (src->port_i >= 1024) {
			src->port_i = 0;
			src->target_i = (src->target_i + 1) % g->n_srv;
		}
		struct gen_host *tg = &g->hosts[g->srv_lo + src->target_i];
		uint32_t port = scan_port(src->port_i++);
		uint8_t proto = k == WEIR_GEN_SYN_SCAN ? 6 : 17;
		s = gen_sess_alloc(g);
		if (!s)
			return;
		s->t = t;
		s->proto = proto;
		s->attack = (int8_t)k;
		gen_ep_from_host(g, &s->ep[0], src->attacker, src->scan_sport);
		gen_ep_from_host(g, &s->ep[1], tg, (uint16_t)port);
		s->mss = 1460;
		s->probe_state = (uint8_t)port_open(g, tg, proto, port);
		if (k == WEIR_GEN_SYN_SCAN) {
			s->app = A_SYN_PROBE;
			s->ph = PH_SYN;
		} else {
			s->app = A_UDP_PROBE;
			s->ph = PH_DGRAM;
		}
		break;
	}
	case WEIR_GEN_SYN_FLOOD: {
		/* Spoofed sources: counter -> address and port, a bijection, so no
		 * two flood flows share a 5-tuple. */
		uint32_t cidx = src->counter++;
		s = gen_sess_alloc(g);
		if (!s)
			return;
		s->t = t;
		s->proto = 6;
		s->app = A_SYN_FLOOD;
		s->attack = (int8_t)k;
		gen_ep_from_host(g, &s->ep[1], src->victim, 80);
		struct gen_ep *e = &s->ep[0];
		memset(e, 0, sizeof(*e));
		e->ip = 0xc6120000u | ((cidx * 40503u) & 0x1ffffu);   /* 198.18.0.0/15 */
		e->port = (uint16_t)(1024 + (cidx >> 17) % 64000 + ((cidx * 7919u) & 0x3ff));
		e->mac = gen_router_mac;
		e->ttl = (uint8_t)(40 + gen_below(&g->rng, 200));
		e->isn = (uint32_t)gen_next(&g->rng);
		e->ipid = (uint16_t)gen_next(&g->rng);
		e->win = (uint16_t)(512 + gen_below(&g->rng, 64000));
		e->rtt_ns = 0;
		s->mss = 1460;
		s->ph = PH_SYN;
		break;
	}
	case WEIR_GEN_FTP_BRUTE:
		s = gen_sess_new(g, t, 6, A_FTP, V_BRUTE, k, src->attacker, src->victim, 21);
		break;
	case WEIR_GEN_HTTP_FLOOD: {
		struct gen_host *bot = &g->hosts[src->bot_lo + gen_below(&g->rng, src->bot_n)];
		s = gen_sess_new(g, t, 6, A_HTTP, V_FLOOD, k, bot, src->victim, 80);
		break;
	}
	case WEIR_GEN_DNS_EXFIL:
		s = gen_sess_new(g, t, 17, A_DNS, V_EXFIL, k, src->attacker, src->victim, 53);
		if (s)
			s->aux3 = src->counter++;
		break;
	case WEIR_GEN_BULK_EXFIL:
		s = gen_sess_new(g, t, 6, A_TLS, V_EXFIL, k, src->attacker, src->victim, 443);
		if (s)
			s->data_len = (uint32_t)(a->size_mb * 1e6 > 4e9 ? 4e9 : a->size_mb * 1e6);
		break;
	case WEIR_GEN_SLOWLORIS:
		s = gen_sess_new(g, t, 6, A_SLOWLORIS, V_NORMAL, k, src->attacker, src->victim, 80);
		if (s) {
			s->until = src->t_stop;
			s->aux2 = (uint32_t)(a->interval * 1e3);   /* ms */
		}
		break;
	}
	if (!s)
		return;
	if (s->ph == PH_DGRAM || s->app == A_SYN_PROBE || s->app == A_SYN_FLOOD) {
		if (s->app == A_UDP_PROBE || s->app == A_DNS)
			gen_app_init(g, s);
		gen_heap_push(g, s->t, s->id);
	} else {
		gen_sess_schedule_new(g, s);
	}
}

/* A source's next event; NO_TIME when it is over. */
uint64_t gen_src_next(struct gen *g, struct gen_src *src, uint64_t t)
{
	double rate = src->attack < 0 ? normal_rate(g, t) : src->rate;
	if (rate <= 0)
		return NO_TIME;
	uint64_t gap;
	if (src->attack == WEIR_GEN_SYN_SCAN || src->attack == WEIR_GEN_UDP_SCAN)
		gap = (uint64_t)(1e9 / rate * (0.9 + 0.2 * gen_unif(&g->rng)));   /* paced */
	else
		gap = (uint64_t)gen_exp(&g->rng, 1e9 / rate);
	uint64_t n = t + (gap ? gap : 1);
	return n < src->t_stop ? n : NO_TIME;
}

void gen_step_src(struct gen *g, struct gen_src *src, uint64_t t)
{
	if (src->attack < 0)
		spawn_normal(g, t);
	else
		spawn_attack(g, src, t);
	uint64_t n = gen_src_next(g, src, t);
	/* spawning may have pushed sessions; the source is still the top */
	if (n == NO_TIME)
		gen_heap_pop(g);
	else
		gen_heap_replace_top(g, n);
}

/* ------------------------------------------------------------------ */
/* gen_setup                                                               */

static void host_init(struct gen *g, struct gen_host *h, uint32_t ip, int external,
		      int os, int role)
{
	const struct weir_gen_scenario *sc = g->sc;
	memset(h, 0, sizeof(*h));
	h->ip = ip;
	h->mac[0] = 0x02;
	h->mac[1] = 0x57;
	gen_put32(h->mac + 2, ip);
	h->os = (uint8_t)os;
	h->external = (uint8_t)external;
	h->role = (uint8_t)role;
	unsigned hops = external ? 8 + gen_below(&g->rng, 14) : 1 + gen_below(&g->rng, 2);
	/* initial TTL by stack: Windows 128, Linux 64; some outside servers
	 * sit behind appliances that start at 255 */
	unsigned ttl0 = os == GEN_OS_WINDOWS ? 128 : 64;
	if (external && role == ROLE_WEB && gen_chance(&g->rng, 0.1))
		ttl0 = 255;
	h->ttl = (uint8_t)(ttl0 - hops);
	double rtt = external ? gen_range(&g->rng, sc->wan_rtt_min_ms, sc->wan_rtt_max_ms)
			      : gen_range(&g->rng, sc->lan_rtt_min_ms, sc->lan_rtt_max_ms);
	h->rtt_ns = (uint32_t)(rtt * 1e6);
	h->ts_base = (uint32_t)gen_next(&g->rng);
	h->ipid = (uint16_t)gen_next(&g->rng);
	if (os == GEN_OS_WINDOWS) {
		h->port_lo = 49152;
		h->port_hi = 65535;
	} else {
		h->port_lo = 32768;
		h->port_hi = 60999;
	}
	if (role != ROLE_NROLES && !external) {
		/* servers: passive FTP data ports */
		h->port_lo = 30000;
		h->port_hi = 30999;
	}
	h->port_next = (uint16_t)(h->port_lo + gen_below(&g->rng, h->port_hi - h->port_lo + 1u));
}

static uint32_t net_host(const struct weir_gen_net *n, uint32_t i)
{
	return n->base + 10 + i;
}

int gen_setup(struct gen *g, char *err, size_t errlen)
{
	const struct weir_gen_scenario *sc = g->sc;
	uint32_t n_bots = 0;
	for (unsigned i = 0; i < sc->n_attacks; i++)
		if (sc->attacks[i].enabled && sc->attacks[i].kind == WEIR_GEN_HTTP_FLOOD)
			n_bots += sc->attacks[i].sources;
	g->n_clients = sc->n_client_nets * sc->clients_per_net;
	g->n_drift = sc->drift_enabled ? (sc->clients_per_net < 50 ? sc->clients_per_net : 50) : 0;
	g->n_srv = sc->servers;
	g->n_ext = sc->external_servers;
	g->n_hosts = g->n_clients + g->n_drift + g->n_srv + g->n_ext + sc->n_attacks + n_bots;
	g->hosts = calloc(g->n_hosts, sizeof(*g->hosts));
	g->max_sess = sc->max_sessions;
	g->sess = calloc(g->max_sess, sizeof(*g->sess));
	g->free_ids = malloc(g->max_sess * sizeof(uint32_t));
	g->heap = malloc((g->max_sess + sc->n_attacks + 2) * sizeof(*g->heap));
	g->srcs = calloc(sc->n_attacks + 1, sizeof(*g->srcs));
	g->blk_rand = malloc(GEN_BLOCK + 2048);
	g->blk_html = malloc(GEN_BLOCK + 2048);
	g->lbuf = malloc(1u << 20);
	if (!g->hosts || !g->sess || !g->free_ids || !g->heap || !g->srcs || !g->blk_rand ||
	    !g->blk_html || !g->lbuf || gen_out_init(&g->out, NULL, 8u << 20, g->o.snaplen) < 0) {
		snprintf(err, errlen, "out of memory (max_sessions %u); lower [general] max_sessions",
			 sc->max_sessions);
		return -1;
	}
	for (uint32_t i = 0; i < g->max_sess; i++)
		g->free_ids[i] = g->max_sess - 1 - i;
	g->n_free = g->max_sess;

	uint32_t k = 0;
	for (unsigned n = 0; n < sc->n_client_nets; n++)
		for (uint32_t i = 0; i < sc->clients_per_net; i++)
			host_init(g, &g->hosts[k++], net_host(&sc->client_nets[n], i), 0,
				  gen_chance(&g->rng, sc->windows_share), ROLE_NROLES);
	g->drift_lo = k;
	for (uint32_t i = 0; i < g->n_drift; i++)
		host_init(g, &g->hosts[k++], net_host(&sc->drift_client_net, i), 0,
			  gen_chance(&g->rng, sc->windows_share), ROLE_NROLES);
	g->srv_lo = k;
	for (uint32_t i = 0; i < g->n_srv; i++) {
		int role = (int)(i % ROLE_NROLES);
		host_init(g, &g->hosts[k], net_host(&sc->server_net, i), 0, GEN_OS_LINUX, role);
		if (g->role_n[role] < 64)
			g->role_idx[role][g->role_n[role]++] = k;
		k++;
	}
	g->ext_lo = k;
	for (uint32_t i = 0; i < g->n_ext; i++) {
		host_init(g, &g->hosts[k++], net_host(&sc->external_net, i), 1, GEN_OS_LINUX, ROLE_WEB);
	}

	/* sources: the normal mix first, then one per enabled attack */
	g->srcs[0].attack = -1;
	g->srcs[0].t_stop = g->t_end;
	g->n_srcs = 1;
	uint32_t att_host = 0, bot_next = 0;
	uint32_t bot_base = k + sc->n_attacks;
	for (unsigned i = 0; i < sc->n_attacks; i++) {
		const struct weir_gen_attack_cfg *a = &sc->attacks[i];
		struct gen_host *ah = &g->hosts[k + i];
		/* Attackers from outside, after the external servers; exfiltration
		 * runs from a compromised inside host. */
		host_init(g, ah, net_host(&sc->external_net, sc->external_servers + 1 + att_host++), 1,
			  GEN_OS_LINUX, ROLE_NROLES);
		if (!a->enabled)
			continue;
		struct gen_src *src = &g->srcs[g->n_srcs++];
		src->attack = a->kind;
		src->cfg = a;
		src->rate = a->rate * g->o.scale;
		src->t_stop = g->t0 + (uint64_t)(a->end * 1e9);
		if (src->t_stop > g->t_end)
			src->t_stop = g->t_end;
		src->attacker = ah;
		src->scan_sport = (uint16_t)(33000 + gen_below(&g->rng, 30000));
		src->target_i = gen_below(&g->rng, g->n_srv);
		switch (a->kind) {
		case WEIR_GEN_SYN_FLOOD:
		case WEIR_GEN_HTTP_FLOOD:
		case WEIR_GEN_SLOWLORIS:
			src->victim = gen_pick_server(g, ROLE_WEB);
			break;
		case WEIR_GEN_FTP_BRUTE:
			src->victim = gen_pick_server(g, ROLE_FTP);
			break;
		case WEIR_GEN_DNS_EXFIL:
			src->attacker = gen_pick_client(g, 0);
			src->victim = gen_pick_server(g, ROLE_DNS);
			break;
		case WEIR_GEN_BULK_EXFIL:
			src->attacker = gen_pick_client(g, 0);
			src->victim = ah;
			ah->role = ROLE_WEB;
			break;
		default:
			src->victim = &g->hosts[g->srv_lo + src->target_i];
			break;
		}
		if (a->kind == WEIR_GEN_HTTP_FLOOD) {
			src->bot_lo = bot_base + bot_next;
			src->bot_n = a->sources;
			for (uint32_t b = 0; b < a->sources; b++) {
				/* bots: 100.64.0.0/10, spread out */
				uint32_t ip = 0x64400000u | ((bot_next + b) * 2654435761u & 0x3fffffu);
				if ((ip & 0xff) == 0 || (ip & 0xff) == 255)
					ip ^= 1;
				host_init(g, &g->hosts[src->bot_lo + b], ip, 1,
					  gen_chance(&g->rng, 0.7), ROLE_NROLES);
			}
			bot_next += a->sources;
		}
	}

	double cum = 0;
	for (int i = 0; i < WEIR_GEN_NAPPS; i++)
		g->mix_cum[i] = cum += sc->mix[i];

	/* Filler blocks: random bytes for compressed/encrypted bodies, HTML-ish
	 * text for text/html. Doubled tail so a segment never wraps. */
	for (uint32_t i = 0; i < GEN_BLOCK + 2048; i += 8) {
		uint64_t r = gen_next(&g->rng);
		memcpy(g->blk_rand + i, &r, 8);
	}
	static const char *const words[] = {
		"<div class=\"item\">", "</div>\n", "<p>", "</p>\n", "network ", "flow ",
		"analysis ", "the ", "of ", "and ", "traffic ", "<a href=\"/news/",
		"\">read more</a>", "<span>", "</span>", "data ", "service ", "report ",
		"<li>", "</li>\n", "security ", "update ", "weir ", "packet ",
	};
	uint32_t pos = 0;
	while (pos < GEN_BLOCK + 2048) {
		const char *w = words[gen_below(&g->rng, sizeof(words) / sizeof(words[0]))];
		for (; *w && pos < GEN_BLOCK + 2048; w++)
			g->blk_html[pos++] = (uint8_t)*w;
	}
	for (int h = 0; h < 2; h++) {
		const uint8_t *b = h ? g->blk_html : g->blk_rand;
		for (int odd = 0; odd < 2; odd++) {
			uint32_t *q = g->q[h][odd] = malloc((GEN_BLOCK + 2049) * sizeof(uint32_t));
			if (!q) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			q[0] = 0;
			for (uint32_t i = 0; i < GEN_BLOCK + 2048; i++)
				q[i + 1] = q[i] + ((i & 1) == (uint32_t)odd ? b[i] : 0);
		}
	}
	return 0;
}
