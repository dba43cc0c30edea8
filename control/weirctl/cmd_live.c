/* weirctl live commands: talk to weir-control over its control socket.
 *
 *   weirctl status | stats | model list | model load BUNDLE | model rollback
 *          | retrain | threshold get | threshold set VALUE | alerts list
 *          | alerts tail [-f] [-n N] [--file F] | alerts rotate | spikes [-n N]
 *
 * Common options: --socket PATH (default $WEIR_CONTROL_SOCKET or
 * /run/weir/control.sock), --json (the daemon's reply as is), --help.
 * Exit 0 ok, 1 error (one line on stderr), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "cmd.h"

struct live_opts {
	const char *socket;
	int json;
	int follow;
	long n;
	const char *file;
	int nargs;
	char *args[4];
};

/* Parses the common options; positional arguments go to o->args.
 * Returns -1 for --help (printed), -2 usage error (printed), 0 ok. */
static int parse(int argc, char **argv, const char *help, int tail_opts, struct live_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->socket = weirctl_default_socket();
	o->n = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(help, stdout);
			return -1;
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--socket") || !strncmp(a, "--socket=", 9)) {
			if (a[8] == '=')
				o->socket = a + 9;
			else if (i + 1 < argc)
				o->socket = argv[++i];
			else
				goto missing;
		} else if (tail_opts && (!strcmp(a, "-f") || !strcmp(a, "--follow"))) {
			o->follow = 1;
		} else if (tail_opts && (!strcmp(a, "-n") || !strcmp(a, "--lines"))) {
			if (i + 1 >= argc)
				goto missing;
			char *end;
			o->n = strtol(argv[++i], &end, 10);
			if (*end || o->n < 1 || o->n > 1000000) {
				fprintf(stderr, "weirctl: %s '%s': expected a count 1..1000000\n", a, argv[i]);
				return -2;
			}
		} else if (tail_opts && !strcmp(a, "--file")) {
			if (i + 1 >= argc)
				goto missing;
			o->file = argv[++i];
		} else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9') && a[1] != '.') {
			fprintf(stderr, "weirctl: unknown option '%s'\n%s", a, help);
			return -2;
		} else if (o->nargs < 4) {
			o->args[o->nargs++] = argv[i];
		} else {
			fprintf(stderr, "weirctl: too many arguments\n%s", help);
			return -2;
		}
		continue;
missing:
		fprintf(stderr, "weirctl: %s needs a value\n%s", a, help);
		return -2;
	}
	return 0;
}

#define PARSE(help, tail) \
	struct live_opts o; \
	int pr = parse(argc, argv, help, tail, &o); \
	if (pr == -1) return WEIRCTL_OK; \
	if (pr == -2) return WEIRCTL_USAGE;

static json_object *req(const char *cmd)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "cmd", json_object_new_string(cmd));
	return r;
}

/* Send; on success print --json output or return the reply for a table. */
static int call(struct live_opts *o, json_object *rq, json_object **rep, int timeout_ms)
{
	char err[1024];
	int r = weirctl_call(o->socket, rq, rep, timeout_ms, err, sizeof(err));
	json_object_put(rq);
	if (r != 0) {
		fprintf(stderr, "weirctl: %s\n", err);
		return WEIRCTL_ERR;
	}
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(*rep, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(*rep);
		*rep = NULL;
	}
	return WEIRCTL_OK;
}

static json_object *get(json_object *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_object *cur = o;
	for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
		json_object *next;
		cur = json_object_object_get_ex(cur, tok, &next) ? next : NULL;
	}
	return cur;
}

static const char *gs(json_object *o, const char *path)
{
	json_object *v = get(o, path);
	return v ? json_object_get_string(v) : "-";
}

static uint64_t gu(json_object *o, const char *path)
{
	json_object *v = get(o, path);
	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static double gd(json_object *o, const char *path)
{
	json_object *v = get(o, path);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

static int gb(json_object *o, const char *path)
{
	json_object *v = get(o, path);
	return v && json_object_get_boolean(v);
}

static void dur(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
}

/* ---- status ---- */

static const char status_help[] =
"usage: weirctl status [--socket PATH] [--json]\n"
"\n"
"weir-control's state: dataplane connection, running model, event-time\n"
"watermark and totals. Exit 1 with one line if weir-control is not running.\n";

int weirctl_status(int argc, char **argv)
{
	PARSE(status_help, 0);
	if (o.nargs) {
		fprintf(stderr, "weirctl status: no arguments expected\n%s", status_help);
		return WEIRCTL_USAGE;
	}
	json_object *r;
	int rc = call(&o, req("status"), &r, 5000);
	if (rc || !r)
		return rc;
	char up[32];
	dur(gu(r, "uptime_s"), up, sizeof(up));
	printf("weir-control  pid %" PRIu64 ", up %s, retrain policy %s\n", gu(r, "pid"), up,
	       gs(r, "model.policy"));
	if (gb(r, "dataplane.connected"))
		printf("dataplane     connected: instance %s, pid %" PRIu64 ", %" PRIu64
		       " workers, generation %" PRIu64 "\n", gs(r, "dataplane.instance"),
		       gu(r, "dataplane.producer_pid"), gu(r, "dataplane.workers"),
		       gu(r, "dataplane.generation"));
	else
		printf("dataplane     %s (instance %s)\n", gb(r, "dataplane.ended") ?
		       "finished or stopped; waiting for it to start again" : "not connected yet",
		       gs(r, "dataplane.instance"));
	printf("              sample rate %g, threshold %g, ring drops %" PRIu64 ", pending %" PRIu64 "\n",
	       gd(r, "dataplane.sample_rate"), gd(r, "dataplane.threshold"),
	       gu(r, "dataplane.ring_dropped"), gu(r, "dataplane.pending"));
	if (gu(r, "model.version"))
		printf("model         version %" PRIu64 " (%s)", gu(r, "model.version"), gs(r, "model.dir"));
	else if (gu(r, "model.seen_version"))
		printf("model         version %" PRIu64 " (started with weir; bundle unknown here)",
		       gu(r, "model.seen_version"));
	else
		printf("model         none%s", gb(r, "model.learning") ? ": learning mode" : "");
	if (gu(r, "model.previous_version"))
		printf(", previous %" PRIu64, gu(r, "model.previous_version"));
	printf("%s\n", gb(r, "model.training") ? "; training now" : "");
	const char *wm = gs(r, "watermark");
	printf("stream        watermark %s, %" PRIu64 " s intervals, %" PRIu64 " published\n",
	       *wm ? wm : "(no records yet)", gu(r, "interval_s"), gu(r, "intervals"));
	printf("totals        %" PRIu64 " anomalies, %" PRIu64 " sampled flows, %" PRIu64
	       " spikes, %" PRIu64 " retrains\n", gu(r, "anomalies"), gu(r, "sampled"),
	       gu(r, "spikes"), gu(r, "retrains"));
	printf("alerts        %s\n", gs(r, "alerts_dir"));
	json_object_put(r);
	return WEIRCTL_OK;
}

/* ---- stats ---- */

static const char stats_help[] =
"usage: weirctl stats [--socket PATH] [--json]\n"
"\n"
"Counters: totals, event-time intervals, every ring of the dataplane\n"
"(enqueued, dropped, dequeued, pending), the alert writers (written,\n"
"backlog, drops by reason), Kafka and the control socket.\n";

static void writer_row(json_object *w, const char *name)
{
	printf("  %-10s %10" PRIu64 " %12" PRIu64 " %5" PRIu64 " %8" PRIu64 " %6s %10" PRIu64
	       " %10" PRIu64 " %9" PRIu64 "\n", name,
	       gu(w, "written"), gu(w, "bytes"), gu(w, "rotations"), gu(w, "backlog"),
	       gb(w, "full") ? "FULL" : "ok", gu(w, "dropped.backlog_bytes"),
	       gu(w, "dropped.backlog_records"), gu(w, "dropped.io_error"));
}

int weirctl_stats(int argc, char **argv)
{
	PARSE(stats_help, 0);
	if (o.nargs) {
		fprintf(stderr, "weirctl stats: no arguments expected\n%s", stats_help);
		return WEIRCTL_USAGE;
	}
	json_object *r;
	int rc = call(&o, req("stats"), &r, 5000);
	if (rc || !r)
		return rc;
	json_object *t = get(r, "totals");
	printf("totals\n");
	json_object_object_foreach(t, k, v)
		printf("  %-22s %" PRIu64 "\n", k, (uint64_t)json_object_get_int64(v));
	printf("intervals\n  published %" PRIu64 ", late records %" PRIu64 ", skipped %" PRIu64 "\n",
	       gu(r, "intervals.published"), gu(r, "intervals.late_records"),
	       gu(r, "intervals.skipped"));
	json_object *rings = get(r, "rings");
	size_t n = rings ? json_object_array_length(rings) : 0;
	printf("rings%s\n", n ? "" : " (dataplane not connected)");
	if (n)
		printf("  %-6s %-8s %12s %10s %12s %8s\n", "worker", "ring", "enqueued", "dropped",
		       "dequeued", "pending");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(rings, i);
		printf("  %-6" PRIu64 " %-8s %12" PRIu64 " %10" PRIu64 " %12" PRIu64 " %8" PRIu64 "\n",
		       gu(e, "worker"), gs(e, "kind"), gu(e, "enqueued"), gu(e, "dropped"),
		       gu(e, "dequeued"), gu(e, "pending"));
	}
	printf("alert files\n  %-10s %10s %12s %5s %8s %6s %10s %10s %9s\n", "file", "records",
	       "bytes", "rot", "backlog", "disk", "drop:bytes", "drop:recs", "drop:io");
	writer_row(get(r, "alerts.anomalies"), "anomalies");
	writer_row(get(r, "alerts.summary"), "summary");
	writer_row(get(r, "alerts.events"), "events");
	if (get(r, "kafka")) {
		printf("kafka\n ");
		json_object_object_foreach(get(r, "kafka"), k1, v1)
			printf(" %s %" PRIu64, k1, (uint64_t)json_object_get_int64(v1));
		printf("\n");
	}
	printf("control socket\n ");
	json_object_object_foreach(get(r, "socket"), k2, v2)
		printf(" %s %" PRIu64, k2, (uint64_t)json_object_get_int64(v2));
	printf("\n");
	json_object_put(r);
	return WEIRCTL_OK;
}

/* ---- model ---- */

static const char model_help[] =
"usage: weirctl model list [--json]\n"
"       weirctl model load BUNDLE_DIR\n"
"       weirctl model rollback\n"
"       (each also takes --socket PATH)\n"
"\n"
"list      bundles in weir-control's model directory, current and previous marked\n"
"load      validate BUNDLE_DIR, have weir load it; the running model becomes\n"
"          the previous one\n"
"rollback  go back to the previous model\n";

int weirctl_model(int argc, char **argv)
{
	PARSE(model_help, 0);
	if (o.nargs < 1) {
		fprintf(stderr, "weirctl model: expected list, load or rollback\n%s", model_help);
		return WEIRCTL_USAGE;
	}
	const char *sub = o.args[0];
	json_object *r, *rq;
	if (!strcmp(sub, "list") && o.nargs == 1) {
		int rc = call(&o, req("model_list"), &r, 5000);
		if (rc || !r)
			return rc;
		json_object *a = get(r, "models");
		size_t n = a ? json_object_array_length(a) : 0;
		printf("%-3s %-12s %-26s %s\n", "", "VERSION", "DATE", "BUNDLE");
		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(a, i);
			printf("%-3s %-12" PRIu64 " %-26s %s\n",
			       gb(m, "current") ? "*" : gb(m, "previous") ? "-" : "",
			       gu(m, "version"), gs(m, "date"), gs(m, "dir"));
		}
		if (!n)
			printf("(no bundles in %s)\n", gs(r, "model_dir"));
		printf("current: %s%s\n", gu(r, "current_version") ? gs(r, "current_dir") : "none",
		       gu(r, "previous_version") ? "" : "; no previous model");
		json_object_put(r);
		return WEIRCTL_OK;
	}
	if (!strcmp(sub, "load") && o.nargs == 2) {
		char abs[PATH_MAX];
		if (!realpath(o.args[1], abs)) {
			fprintf(stderr, "weirctl model load: %s: %s\n", o.args[1], strerror(errno));
			return WEIRCTL_ERR;
		}
		rq = req("model_load");
		json_object_object_add(rq, "path", json_object_new_string(abs));
	} else if (!strcmp(sub, "rollback") && o.nargs == 1) {
		rq = req("model_rollback");
	} else {
		fprintf(stderr, "weirctl model: bad arguments\n%s", model_help);
		return WEIRCTL_USAGE;
	}
	int rc = call(&o, rq, &r, 30000);
	if (rc || !r)
		return rc;
	printf("weir now runs model version %" PRIu64 " (%s); previous %" PRIu64 "\n",
	       gu(r, "version"), gs(r, "dir"), gu(r, "previous_version"));
	json_object_put(r);
	return WEIRCTL_OK;
}

/* ---- retrain ---- */

static const char retrain_help[] =
"usage: weirctl retrain [--socket PATH] [--json]\n"
"\n"
"Train a new model now from the last [retrain] window_min minutes of sampled\n"
"flows. It is validated on a held-back part and swapped into weir only if it\n"
"passes; follow it in events.jsonl or with 'weirctl status'.\n";

int weirctl_retrain(int argc, char **argv)
{
	PARSE(retrain_help, 0);
	if (o.nargs) {
		fprintf(stderr, "weirctl retrain: no arguments expected\n%s", retrain_help);
		return WEIRCTL_USAGE;
	}
	json_object *r;
	int rc = call(&o, req("retrain"), &r, 5000);
	if (rc || !r)
		return rc;
	printf("%s\n", gs(r, "message"));
	json_object_put(r);
	return WEIRCTL_OK;
}

/* ---- threshold ---- */

static const char threshold_help[] =
"usage: weirctl threshold get\n"
"       weirctl threshold set VALUE\n"
"       (each also takes --socket PATH and --json)\n"
"\n"
"The dataplane's decision threshold: a flow is an anomaly when its SVM\n"
"decision value is below it. Lower flags fewer flows.\n";

int weirctl_threshold(int argc, char **argv)
{
	PARSE(threshold_help, 0);
	json_object *rq;
	if (o.nargs == 1 && !strcmp(o.args[0], "get")) {
		rq = req("threshold_get");
	} else if (o.nargs == 2 && !strcmp(o.args[0], "set")) {
		char *end;
		double v = strtod(o.args[1], &end);
		if (*end || end == o.args[1] || !isfinite(v)) {
			fprintf(stderr, "weirctl threshold set: '%s' is not a finite number\n", o.args[1]);
			return WEIRCTL_USAGE;
		}
		rq = req("threshold_set");
		json_object_object_add(rq, "value", json_object_new_double(v));
	} else {
		fprintf(stderr, "weirctl threshold: expected 'get' or 'set VALUE'\n%s", threshold_help);
		return WEIRCTL_USAGE;
	}
	json_object *r;
	int rc = call(&o, rq, &r, 5000);
	if (rc || !r)
		return rc;
	printf("threshold %.17g\n", gd(r, "threshold"));
	json_object_put(r);
	return WEIRCTL_OK;
}

/* ---- alerts ---- */

static const char alerts_help[] =
"usage: weirctl alerts list [--json]\n"
"       weirctl alerts tail [-f] [-n N] [--file anomalies|summary|events]\n"
"       weirctl alerts rotate\n"
"       (each also takes --socket PATH)\n"
"\n"
"list    the alert files and their writers' counters\n"
"tail    the last N (10) lines of a file (default anomalies); -f follows it\n"
"        across rotations until interrupted\n"
"rotate  rotate all three files now\n";

static volatile sig_atomic_t tail_stop;
static void on_int(int s)
{
	(void)s;
	tail_stop = 1;
}

/* Print the last n lines; returns the offset printed up to. */
static long print_last(FILE *f, long n)
{
	if (fseek(f, 0, SEEK_END) < 0)
		return 0;
	long end = ftell(f);
	/* scan [0, end - 1): the byte at end - 1 is the last line's newline */
	long pos = end - 1, start = 0, seen = 0;
	char buf[4096];
	while (pos > 0) {
		long chunk = pos > (long)sizeof(buf) ? (long)sizeof(buf) : pos;
		if (fseek(f, pos - chunk, SEEK_SET) < 0 || fread(buf, 1, (size_t)chunk, f) != (size_t)chunk)
			break;
		for (long i = chunk - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++seen == n) {
				start = pos - chunk + i + 1;
				goto found;
			}
		pos -= chunk;
	}
	start = 0;
found:
	fseek(f, start, SEEK_SET);
	for (long i = start; i < end; i++) {
		int c = fgetc(f);
		if (c == EOF)
			break;
		putchar(c);
	}
	fflush(stdout);
	return end;
}

static int tail(const char *dir, const char *file, long n, int follow)
{
	char path[PATH_MAX];
	const char *name = !strcmp(file, "anomalies") ? "anomalies.jsonl" :
			   !strcmp(file, "summary") ? "summary.csv" :
			   !strcmp(file, "events") ? "events.jsonl" : NULL;
	if (!name) {
		fprintf(stderr, "weirctl alerts tail: --file '%s': expected anomalies, summary or events\n",
			file);
		return WEIRCTL_USAGE;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "weirctl alerts tail: %s: %s\n", path, strerror(errno));
		return WEIRCTL_ERR;
	}
	long off = print_last(f, n);
	if (!follow) {
		fclose(f);
		return WEIRCTL_OK;
	}
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	struct stat cur;
	fstat(fileno(f), &cur);
	char line[65536];
	while (!tail_stop) {
		clearerr(f);
		fseek(f, off, SEEK_SET);
		/* whole lines only: the writer appends whole records */
		while (fgets(line, sizeof(line), f)) {
			size_t l = strlen(line);
			if (!l || line[l - 1] != '\n')
				break;
			fputs(line, stdout);
			off += (long)l;
		}
		fflush(stdout);
		struct stat now;
		if (stat(path, &now) == 0 && (now.st_ino != cur.st_ino || now.st_size < off)) {
			/* rotated (or truncated): the rest of the old file was read
			 * above; follow the new one from its start */
			FILE *nf = fopen(path, "r");
			if (nf) {
				fclose(f);
				f = nf;
				fstat(fileno(f), &cur);
				off = 0;
				continue;
			}
		}
		usleep(250000);
	}
	fclose(f);
	return WEIRCTL_OK;
}

int weirctl_alerts(int argc, char **argv)
{
	PARSE(alerts_help, 1);
	if (o.nargs != 1) {
		fprintf(stderr, "weirctl alerts: expected list, tail or rotate\n%s", alerts_help);
		return WEIRCTL_USAGE;
	}
	const char *sub = o.args[0];
	int is_tail = !strcmp(sub, "tail");
	if ((o.follow || o.n > 0 || o.file) && !is_tail) {
		fprintf(stderr, "weirctl alerts: -f, -n and --file go with 'tail'\n%s", alerts_help);
		return WEIRCTL_USAGE;
	}
	json_object *r;
	if (!strcmp(sub, "rotate")) {
		int rc = call(&o, req("alerts_rotate"), &r, 5000);
		if (rc || !r)
			return rc;
		printf("rotated anomalies.jsonl, summary.csv and events.jsonl\n");
		json_object_put(r);
		return WEIRCTL_OK;
	}
	if (!strcmp(sub, "list") || is_tail) {
		int json = o.json;
		if (is_tail)
			o.json = 0;
		int rc = call(&o, req("alerts_list"), &r, 5000);
		if (rc || !r)
			return rc;
		if (is_tail) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s", gs(r, "dir"));
			json_object_put(r);
			(void)json;
			return tail(dir, o.file ? o.file : "anomalies", o.n > 0 ? o.n : 10, o.follow);
		}
		printf("%s\n%-24s %12s  %s\n", gs(r, "dir"), "FILE", "BYTES", "MODIFIED");
		json_object *a = get(r, "files");
		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			json_object *f = json_object_array_get_idx(a, i);
			time_t mt = (time_t)gu(f, "mtime");
			struct tm tm;
			char ts[32];
			gmtime_r(&mt, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("%-24s %12" PRIu64 "  %s\n", gs(f, "name"), gu(f, "bytes"), ts);
		}
		const char *w[] = { "anomalies", "summary", "events" };
		for (int i = 0; i < 3; i++) {
			char p[64];
			snprintf(p, sizeof(p), "writers.%s", w[i]);
			json_object *x = get(r, p);
			printf("%-10s %" PRIu64 " records written, backlog %" PRIu64 "%s, dropped %" PRIu64 "\n",
			       w[i], gu(x, "written"), gu(x, "backlog"), gb(x, "full") ? " (DISK FULL)" : "",
			       gu(x, "dropped.backlog_bytes") + gu(x, "dropped.backlog_records") +
			       gu(x, "dropped.io_error"));
		}
		json_object_put(r);
		return WEIRCTL_OK;
	}
	fprintf(stderr, "weirctl alerts: unknown '%s'\n%s", sub, alerts_help);
	return WEIRCTL_USAGE;
}

/* ---- spikes ---- */

static const char spikes_help[] =
"usage: weirctl spikes [-n N] [--socket PATH] [--json]\n"
"\n"
"The most recent N (20) anomaly spikes: interval, anomalies, z-score of the\n"
"newest difference and the top contributing sources and destinations.\n";

static void tops(json_object *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; a && i < json_object_array_length(a) && i < 3; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		int w = snprintf(buf + off, len - off, "%s%s(%" PRIu64 ")", i ? " " : "",
				 gs(e, "ip"), gu(e, "anomalies"));
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

int weirctl_spikes(int argc, char **argv)
{
	PARSE(spikes_help, 1);
	if (o.nargs || o.follow || o.file) {
		fprintf(stderr, "weirctl spikes: only -n N is accepted\n%s", spikes_help);
		return WEIRCTL_USAGE;
	}
	json_object *rq = req("spikes");
	if (o.n > 0) {
		if (o.n > 1000) {
			fprintf(stderr, "weirctl spikes: -n at most 1000\n");
			json_object_put(rq);
			return WEIRCTL_USAGE;
		}
		json_object_object_add(rq, "n", json_object_new_int((int)o.n));
	}
	json_object *r;
	int rc = call(&o, rq, &r, 5000);
	if (rc || !r)
		return rc;
	json_object *a = get(r, "spikes");
	size_t n = a ? json_object_array_length(a) : 0;
	if (!n) {
		printf("no spikes (%" PRIu64 " in total)\n", gu(r, "total"));
	} else {
		printf("%-27s %9s %8s %-7s %-38s %s\n", "INTERVAL_END", "ANOMALIES", "Z", "RULE",
		       "TOP_SOURCES", "TOP_DESTINATIONS");
		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(a, i);
			char src[256], dst[256];
			tops(get(s, "top_sources"), src, sizeof(src));
			tops(get(s, "top_destinations"), dst, sizeof(dst));
			printf("%-27s %9" PRIu64 " %8.2f %-7s %-38s %s\n", gs(s, "interval_end"),
			       gu(s, "anomalies"), gd(s, "z"), gs(s, "rule"), src, dst);
		}
	}
	json_object_put(r);
	return WEIRCTL_OK;
}
