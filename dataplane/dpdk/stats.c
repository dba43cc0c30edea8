/* Counters as an operator reads them: per port (ingress, missed, no-mbuf,
 * tx) and per worker (processed, decode errors by reason, flows, table
 * full, records not delivered). Shown by DPDK telemetry under /weir/...
 * (dpdk-telemetry.py -f weir-<pid>), the command socket's "stats", and
 * printed at exit. Worker counters are read without locks: each is a
 * single aligned 64-bit word written by one lcore. */
#include <stdarg.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include "bundle.h"
#include "weir.h"

struct port_view {
	uint64_t ingress, missed, nombuf, errors, tx, tx_err;
};

static void port_view(struct weir_app *app, unsigned i, struct port_view *v)
{
	struct weir_port *p = &app->port[i];
	struct rte_eth_stats es;
	memset(v, 0, sizeof(*v));
	if (p->type == WEIR_PORT_PCAP_LIVE) {
		v->ingress = p->rx_sw;
		v->nombuf = p->live_nombuf;
		return;
	}
	if (rte_eth_stats_get(p->port_id, &es) == 0) {
		v->ingress = es.ipackets;
		v->missed = es.imissed;
		v->nombuf = es.rx_nombuf;
		v->errors = es.ierrors;
		v->tx = es.opackets;
		v->tx_err = es.oerrors;
	}
}

struct totals {
	uint64_t rx, processed, decode_err[WEIR_DEC_ERR_MAX], created, expired, evicted,
		 table_full, records, ring_full[WEIR_SHM_KINDS], flowlog_full, tx_sent,
		 tx_dropped, blocked, sampled, anomalies, frag_orphan, early_verdicts, early_blocked;
};

static void totals(struct weir_app *app, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned w = 0; w < app->nworkers; w++) {
		const struct weir_worker_stats *s = &app->worker[w].st;
		t->rx += s->rx;
		t->processed += s->eng.processed;
		for (int e = 1; e < WEIR_DEC_ERR_MAX; e++)
			t->decode_err[e] += s->eng.decode_err[e];
		t->created += s->eng.ft.flows_created;
		t->expired += s->eng.ft.flows_expired;
		t->evicted += s->eng.ft.flows_evicted;
		t->table_full += s->eng.ft.table_full;
		t->records += s->eng.records;
		t->frag_orphan += s->eng.ft.frag_orphan;
		for (int k = 0; k < WEIR_SHM_KINDS; k++)
			t->ring_full[k] += s->ring_full[k];
		t->flowlog_full += s->flowlog_full;
		t->tx_sent += s->tx_sent;
		t->tx_dropped += s->tx_dropped;
		t->blocked += s->blocked;
		t->sampled += s->sampled;
		t->anomalies += s->anomalies;
		t->early_verdicts += s->eng.early_verdicts;
		t->early_blocked += s->eng.flows_blocked;
	}
}

/* ---- JSON (command socket) ---- */

struct jbuf { char *b; size_t len, n; };

static void jp(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jp(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	if (j->n >= j->len)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(j->b + j->n, j->len - j->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		j->n += (size_t)k;
}

#define U(x) ((unsigned long long)(x))

size_t weir_stats_json(struct weir_app *app, char *buf, size_t len)
{
	struct jbuf j = { buf, len, 0 };
	struct totals t;
	totals(app, &t);
	jp(&j, "{\"ports\":[");
	for (unsigned i = 0; i < app->nports; i++) {
		struct port_view v;
		port_view(app, i, &v);
		jp(&j, "%s{\"name\":\"%s\",\"rx_packets\":%llu,\"rx_missed\":%llu,\"rx_nombuf\":%llu,"
		   "\"rx_errors\":%llu,\"dispatch_full\":%llu,\"tx_packets\":%llu,\"tx_errors\":%llu}",
		   i ? "," : "", app->port[i].name, U(v.ingress), U(v.missed), U(v.nombuf), U(v.errors),
		   U(app->port[i].dispatch_full), U(v.tx), U(v.tx_err));
	}
	jp(&j, "],\"workers\":[");
	for (unsigned w = 0; w < app->nworkers; w++) {
		const struct weir_worker_stats *s = &app->worker[w].st;
		jp(&j, "%s{\"id\":%u,\"lcore\":%u,\"rx\":%llu,\"processed\":%llu,\"flows_created\":%llu,"
		   "\"flows_expired\":%llu,\"flows_evicted\":%llu,\"table_full\":%llu,\"flows_live\":%u,"
		   "\"records\":%llu,\"ring_full_anomaly\":%llu,\"ring_full_sample\":%llu,"
		   "\"flowlog_full\":%llu,\"tx_sent\":%llu,\"tx_dropped\":%llu,\"blocked\":%llu,"
		   "\"early_verdicts\":%llu,\"early_blocked\":%llu,\"linearized\":%llu,\"frag_orphan\":%llu,\"decode_errors\":{",
		   w ? "," : "", w, app->worker[w].lcore, U(s->rx), U(s->eng.processed),
		   U(s->eng.ft.flows_created), U(s->eng.ft.flows_expired), U(s->eng.ft.flows_evicted),
		   U(s->eng.ft.table_full), s->eng.ft.flows_live, U(s->eng.records),
		   U(s->ring_full[WEIR_SHM_ANOMALY]), U(s->ring_full[WEIR_SHM_SAMPLE]),
		   U(s->flowlog_full), U(s->tx_sent), U(s->tx_dropped), U(s->blocked),
		   U(s->eng.early_verdicts), U(s->eng.flows_blocked), U(s->linearized),
		   U(s->eng.ft.frag_orphan));
		int first = 1;
		for (int e = 1; e < WEIR_DEC_ERR_MAX; e++) {
			jp(&j, "%s\"%s\":%llu", first ? "" : ",", weir_decode_err_name((enum weir_decode_err)e),
			   U(s->eng.decode_err[e]));
			first = 0;
		}
		jp(&j, "}}");
	}
	const struct weir_bundle *b = __atomic_load_n(&app->model, __ATOMIC_ACQUIRE);
	jp(&j, "],\"totals\":{\"rx\":%llu,\"processed\":%llu,\"flows_created\":%llu,\"records\":%llu,"
	   "\"table_full\":%llu,\"ring_full\":%llu,\"flowlog_written\":%llu,\"anomalies\":%llu,"
	   "\"sample_rate\":%.17g,\"threshold\":%.17g,\"model_version\":%u,"
	   "\"model_swaps\":%llu,\"models_freed\":%llu,\"early_verdicts\":%llu,\"early_blocked\":%llu}}",
	   U(t.rx), U(t.processed), U(t.created), U(t.records), U(t.table_full),
	   U(t.ring_full[0] + t.ring_full[1]), U(app->flowlog_written), U(t.anomalies),
	   app->sample_rate, weir_model_threshold(app), b ? b->version : 0,
	   U(app->model_swaps), U(app->models_freed), U(t.early_verdicts), U(t.early_blocked));
	return j.n < len ? j.n : 0;
}

/* ---- telemetry ---- */

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct weir_app *app = weir_app_g;
	(void)cmd; (void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < app->nports; i++) {
		struct port_view v;
		struct rte_tel_data *pd = rte_tel_data_alloc();
		if (!pd)
			return -1;
		port_view(app, i, &v);
		rte_tel_data_start_dict(pd);
		rte_tel_data_add_dict_u64(pd, "rx_packets", v.ingress);
		rte_tel_data_add_dict_u64(pd, "rx_missed", v.missed);
		rte_tel_data_add_dict_u64(pd, "rx_nombuf", v.nombuf);
		rte_tel_data_add_dict_u64(pd, "rx_errors", v.errors);
		rte_tel_data_add_dict_u64(pd, "dispatch_full", app->port[i].dispatch_full);
		rte_tel_data_add_dict_u64(pd, "tx_packets", v.tx);
		rte_tel_data_add_dict_u64(pd, "tx_errors", v.tx_err);
		rte_tel_data_add_dict_container(d, app->port[i].name, pd, 0);
	}
	return 0;
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct weir_app *app = weir_app_g;
	(void)cmd; (void)params;
	rte_tel_data_start_dict(d);
	for (unsigned w = 0; w < app->nworkers; w++) {
		const struct weir_worker_stats *s = &app->worker[w].st;
		struct rte_tel_data *wd = rte_tel_data_alloc();
		char name[32];
		if (!wd)
			return -1;
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "rx", s->rx);
		rte_tel_data_add_dict_u64(wd, "processed", s->eng.processed);
		for (int e = 1; e < WEIR_DEC_ERR_MAX; e++) {
			char key[64];
			snprintf(key, sizeof(key), "decode_%s", weir_decode_err_name((enum weir_decode_err)e));
			rte_tel_data_add_dict_u64(wd, key, s->eng.decode_err[e]);
		}
		rte_tel_data_add_dict_u64(wd, "flows_created", s->eng.ft.flows_created);
		rte_tel_data_add_dict_u64(wd, "flows_expired", s->eng.ft.flows_expired);
		rte_tel_data_add_dict_u64(wd, "flows_evicted", s->eng.ft.flows_evicted);
		rte_tel_data_add_dict_u64(wd, "flows_live", s->eng.ft.flows_live);
		rte_tel_data_add_dict_u64(wd, "table_full", s->eng.ft.table_full);
		rte_tel_data_add_dict_u64(wd, "records", s->eng.records);
		rte_tel_data_add_dict_u64(wd, "ring_full_anomaly", s->ring_full[WEIR_SHM_ANOMALY]);
		rte_tel_data_add_dict_u64(wd, "ring_full_sample", s->ring_full[WEIR_SHM_SAMPLE]);
		rte_tel_data_add_dict_u64(wd, "flowlog_full", s->flowlog_full);
		rte_tel_data_add_dict_u64(wd, "tx_sent", s->tx_sent);
		rte_tel_data_add_dict_u64(wd, "tx_dropped", s->tx_dropped);
		rte_tel_data_add_dict_u64(wd, "blocked", s->blocked);
		rte_tel_data_add_dict_u64(wd, "linearized", s->linearized);
		rte_tel_data_add_dict_u64(wd, "frag_orphan", s->eng.ft.frag_orphan);
		rte_tel_data_add_dict_u64(wd, "early_verdicts", s->eng.early_verdicts);
		rte_tel_data_add_dict_u64(wd, "early_blocked", s->eng.flows_blocked);
		snprintf(name, sizeof(name), "worker%u", w);
		rte_tel_data_add_dict_container(d, name, wd, 0);
	}
	return 0;
}

static int tel_totals(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct weir_app *app = weir_app_g;
	struct totals t;
	(void)cmd; (void)params;
	totals(app, &t);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", t.rx);
	rte_tel_data_add_dict_u64(d, "processed", t.processed);
	rte_tel_data_add_dict_u64(d, "flows_created", t.created);
	rte_tel_data_add_dict_u64(d, "flows_expired", t.expired);
	rte_tel_data_add_dict_u64(d, "flows_evicted", t.evicted);
	rte_tel_data_add_dict_u64(d, "table_full", t.table_full);
	rte_tel_data_add_dict_u64(d, "records", t.records);
	rte_tel_data_add_dict_u64(d, "ring_full", t.ring_full[0] + t.ring_full[1]);
	rte_tel_data_add_dict_u64(d, "flowlog_written", app->flowlog_written);
	rte_tel_data_add_dict_u64(d, "model_swaps", app->model_swaps);
	rte_tel_data_add_dict_u64(d, "models_freed", app->models_freed);
	return 0;
}

void weir_stats_register_telemetry(struct weir_app *app)
{
	(void)app;
	rte_telemetry_register_cmd("/weir/ports", tel_ports, "weir per-port counters");
	rte_telemetry_register_cmd("/weir/workers", tel_workers, "weir per-worker counters");
	rte_telemetry_register_cmd("/weir/stats", tel_totals, "weir totals");
}

void weir_stats_print(FILE *out, struct weir_app *app)
{
	struct totals t;
	totals(app, &t);
	fprintf(out, "weir: summary\n");
	for (unsigned i = 0; i < app->nports; i++) {
		struct port_view v;
		port_view(app, i, &v);
		fprintf(out, "  port %-8s rx %llu, rx missed %llu, rx no-mbuf %llu, rx errors %llu, "
			"dispatch ring full %llu, tx %llu, tx errors %llu\n",
			app->port[i].name, U(v.ingress), U(v.missed), U(v.nombuf), U(v.errors),
			U(app->port[i].dispatch_full), U(v.tx), U(v.tx_err));
	}
	for (unsigned w = 0; w < app->nworkers; w++) {
		const struct weir_worker_stats *s = &app->worker[w].st;
		fprintf(out, "  worker %u (lcore %u): rx %llu, processed %llu, flows created %llu, "
			"expired %llu, evicted %llu, table full %llu, records %llu\n",
			w, app->worker[w].lcore, U(s->rx), U(s->eng.processed), U(s->eng.ft.flows_created),
			U(s->eng.ft.flows_expired), U(s->eng.ft.flows_evicted), U(s->eng.ft.table_full),
			U(s->eng.records));
		fprintf(out, "    to control: sampled %llu, anomalies %llu, ring full %llu (anomaly) %llu (sample); "
			"flow log ring full %llu; tx sent %llu, tx dropped %llu, blocked %llu\n",
			U(s->sampled), U(s->anomalies), U(s->ring_full[WEIR_SHM_ANOMALY]),
			U(s->ring_full[WEIR_SHM_SAMPLE]), U(s->flowlog_full), U(s->tx_sent),
			U(s->tx_dropped), U(s->blocked));
		int any = 0;
		for (int e = 1; e < WEIR_DEC_ERR_MAX; e++) {
			if (!s->eng.decode_err[e])
				continue;
			fprintf(out, "%s%s %llu", any ? ", " : "    decode errors: ",
				weir_decode_err_name((enum weir_decode_err)e), U(s->eng.decode_err[e]));
			any = 1;
		}
		if (any)
			fputc('\n', out);
		if (s->linearized)
			fprintf(out, "    linearized %llu (frames chained over several mbufs, read whole)\n",
				U(s->linearized));
	}
	fprintf(out, "  total: rx %llu, processed %llu, records %llu, flow log %llu written\n",
		U(t.rx), U(t.processed), U(t.records), U(app->flowlog_written));
	if (app->model_swaps || t.early_verdicts)
		fprintf(out, "  model: %llu swaps, %llu replaced bundles freed; early verdicts %llu, flows blocked early %llu\n",
			U(app->model_swaps), U(app->models_freed), U(t.early_verdicts), U(t.early_blocked));
}
