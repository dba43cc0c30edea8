/* weirctl replay: captures through weir and weir-control, end to end.
 *
 *   weirctl replay CAPTURE... -o DIR [--model BUNDLE] [--workers N]
 *                  [--policy P] [--pace X] [--interval S] [--learn-window S]
 *                  [--lateness S] [--set SECTION.KEY=VALUE]...
 *
 * Both run as child processes with a private shm instance and their sockets
 * under DIR (or a private /tmp directory when DIR's path is too long for a
 * Unix socket). Without --model a learning pass comes first: weir replays
 * the captures to a weir-control in learning mode, which trains, validates
 * and adopts its first model (DIR/models/); the scoring pass then runs with
 * it. DIR ends up with flows.csv (weir's flow log with scores),
 * anomalies.jsonl, summary.csv and events.jsonl (weir-control), the two
 * programs' logs, and a short summary is printed.
 *
 * Lockstep: weir starts held (WEIR_REPLAY_HOLD) and weir-control
 * (replay_lockstep) lets it go one interval boundary of capture time at a
 * time, reading the rings only while weir waits; a retrain is swapped in
 * before weir goes on. So the files are the same at any --pace.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "cmd.h"

static const char replay_help[] =
"usage: weirctl replay CAPTURE... -o DIR [--model BUNDLE] [--workers N]\n"
"                      [--policy manual|on-spike|sustained] [--pace X]\n"
"                      [--interval S] [--learn-window S] [--lateness S]\n"
"                      [--set SECTION.KEY=VALUE]...\n"
"\n"
"Replays the captures (one timeline) through weir and weir-control and\n"
"leaves flows.csv, anomalies.jsonl, summary.csv and events.jsonl in DIR.\n"
"\n"
"  -o, --output DIR   output directory (created)\n"
"      --model B      bundle directory to score with; without it a learning\n"
"                     pass over the captures trains the first model\n"
"      --workers N    weir worker lcores (default 1)\n"
"      --policy P     weir-control's retraining policy (default sustained)\n"
"      --pace X       replay at X times the recorded speed (default: flat out)\n"
"      --interval S   weir-control's event-time interval (default 10)\n"
"      --learn-window S  without --model: learn only from flows that start in\n"
"                     the first S seconds of the captures (a stretch known to\n"
"                     be clean); default 0 = every flow\n"
"      --lateness S   how late (event time) a flow may end and still count\n"
"                     in its interval (default 330: every flow, but intervals,\n"
"                     and so retraining decisions, come 330 s late); e.g. 10\n"
"                     lets a replay retrain within a short capture\n"
"      --set S.K=V    a weir-control setting for the scoring pass (up to 8),\n"
"                     e.g. --set retrain.elevated_min_rate=0.1\n"
"\n"
"weir and weir-control run in lockstep: weir waits at every interval\n"
"boundary of capture time until weir-control has read its records and\n"
"swapped in any retrained model, so the files are the same at any --pace.\n"
"\n"
"weir and weir-control are looked up next to weirctl (the build tree or the\n"
"install directory), else through $WEIR_BIN and $WEIR_CONTROL_BIN.\n"
"weir needs root for its DPDK virtual devices.\n";

static volatile sig_atomic_t interrupted;
static void on_int(int s)
{
	(void)s;
	interrupted = 1;
}

struct replay {
	char dir[PATH_MAX];
	char rundir[128];          /* sockets: short, Unix socket paths are */
	char weir[PATH_MAX], control[PATH_MAX];
	char instance[64];
	char model[PATH_MAX];
	const char *policy, *pace, *interval, *learn_window, *lateness;
	const char *sets[8];
	int nsets;
	unsigned workers;
	char **caps;
	int ncaps, nowned;         /* caps[0..nowned) are strdup'd absolute paths */
	pid_t weir_pid, control_pid;
};

static int exe_near(const char *self_dir, const char *rel, const char *env, char *out)
{
	const char *e = getenv(env);
	if (e && *e) {
		snprintf(out, PATH_MAX, "%s", e);
		return access(out, X_OK) == 0 ? 0 : -1;
	}
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char p[PATH_MAX];
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", self_dir, base) < sizeof(p) &&
	    access(p, X_OK) == 0) {   /* installed side by side */
		memcpy(out, p, strlen(p) + 1);
		return 0;
	}
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", self_dir, rel) < sizeof(p) &&   /* the build tree */
	    access(p, X_OK) == 0 && realpath(p, out))
		return 0;
	return -1;
}

/* fork/exec with stdout and stderr appended to log; returns the pid */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t p = fork();
	if (p != 0)
		return p;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0)
		dup2(nul, 0);
	execv(argv[0], argv);
	fprintf(stderr, "weirctl replay: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void control_sock(const struct replay *r, char *out, size_t len)
{
	snprintf(out, len, "%s/control.sock", r->rundir);
}

/* status reply (caller puts), or NULL */
static json_object *status(const struct replay *r)
{
	char sock[160], err[512];
	control_sock(r, sock, sizeof(sock));
	json_object *rq = json_object_new_object(), *rep = NULL;
	json_object_object_add(rq, "cmd", json_object_new_string("status"));
	if (weirctl_call(sock, rq, &rep, 3000, err, sizeof(err)) != 0)
		rep = NULL;
	json_object_put(rq);
	return rep;
}

/* weir-control has exited (reaped here; said once): every wait on it ends. */
static int control_gone(struct replay *r)
{
	int st;
	if (r->control_pid && waitpid(r->control_pid, &st, WNOHANG) == r->control_pid) {
		r->control_pid = 0;
		fprintf(stderr, "weirctl replay: weir-control exited (%s %d); see %s/control.log\n",
			WIFEXITED(st) ? "exit" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), r->dir);
	}
	return r->control_pid == 0;
}

static json_object *jget(json_object *o, const char *a, const char *b)
{
	json_object *x = NULL, *y = NULL;
	if (!o || !json_object_object_get_ex(o, a, &x))
		return NULL;
	if (!b)
		return x;
	return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

static int start_control(struct replay *r, const char *alerts, int learning)
{
	char sock[160], dpsock[160], args[24][PATH_MAX + 64];
	control_sock(r, sock, sizeof(sock));
	snprintf(dpsock, sizeof(dpsock), "%s/weir.sock", r->rundir);
	int n = 0;
	snprintf(args[n++], sizeof(args[0]), "control.socket=%s", sock);
	snprintf(args[n++], sizeof(args[0]), "control.instance=%s", r->instance);
	snprintf(args[n++], sizeof(args[0]), "control.dataplane_socket=%s", dpsock);
	snprintf(args[n++], sizeof(args[0]), "control.sample_rate=1");
	snprintf(args[n++], sizeof(args[0]), "alerts.dir=%s", alerts);
	snprintf(args[n++], sizeof(args[0]), "retrain.model_dir=%s/models", r->dir);
	snprintf(args[n++], sizeof(args[0]), "retrain.policy=%s", learning ? "manual" : r->policy);
	snprintf(args[n++], sizeof(args[0]), "intervals.length_s=%s", r->interval);
	/* weir emits a flow when it times out (TCP: 300 s idle) or at the end
	 * of the replay; a lateness above that puts every flow in its interval */
	snprintf(args[n++], sizeof(args[0]), "intervals.lateness_s=%s", r->lateness);
	snprintf(args[n++], sizeof(args[0]), "control.replay_lockstep=1");
	if (learning) {
		/* train once, on the whole learning pass */
		snprintf(args[n++], sizeof(args[0]), "retrain.learn_flows=10000000");
		snprintf(args[n++], sizeof(args[0]), "retrain.learn_minutes=0");
		snprintf(args[n++], sizeof(args[0]), "retrain.sample_capacity=1000000");
		snprintf(args[n++], sizeof(args[0]), "retrain.learn_window_s=%s", r->learn_window);
	} else {
		snprintf(args[n++], sizeof(args[0]), "control.model=%s", r->model);
		for (int i = 0; i < r->nsets; i++)
			snprintf(args[n++], sizeof(args[0]), "%s", r->sets[i]);
	}
	char *argv[2 + 2 * 24 + 1];
	int k = 0;
	argv[k++] = r->control;
	for (int i = 0; i < n; i++) {
		argv[k++] = "--set";
		argv[k++] = args[i];
	}
	argv[k] = NULL;
	char log[PATH_MAX + 32];
	snprintf(log, sizeof(log), "%s/control.log", r->dir);
	r->control_pid = spawn(argv, log);
	for (int i = 0; i < 200 && !interrupted; i++) {
		json_object *s = status(r);
		if (s) {
			json_object_put(s);
			return 0;
		}
		if (control_gone(r))
			return -1;
		sleep_ms(50);
	}
	fprintf(stderr, "weirctl replay: weir-control did not come up; see %s\n", log);
	return -1;
}

static int stop_control(struct replay *r)
{
	if (!r->control_pid)
		return 0;
	kill(r->control_pid, SIGTERM);
	int st = 0;
	waitpid(r->control_pid, &st, 0);
	r->control_pid = 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int run_weir(struct replay *r, const char *model, const char *flowlog)
{
	char conf[PATH_MAX + 16];
	snprintf(conf, sizeof(conf), "%s/weir.conf", r->dir);
	FILE *f = fopen(conf, "w");
	if (!f) {
		fprintf(stderr, "weirctl replay: %s: %s\n", conf, strerror(errno));
		return -1;
	}
	/* big rings: a flat-out replay ends with a burst of flushed flows */
	fprintf(f, "[output]\nshm = %s\nshm_slots = 262144\nsample_rate = 1\n", r->instance);
	if (flowlog)
		fprintf(f, "flow_log = %s\nscores = true\n", flowlog);
	fprintf(f, "[control]\nsocket = %s/weir.sock\n", r->rundir);
	if (model)
		fprintf(f, "[model]\npath = %s\n", model);
	fclose(f);
	size_t len = 0;
	for (int i = 0; i < r->ncaps; i++)
		len += strlen(r->caps[i]) + 1;
	char *list = malloc(len + 1), workers[16];
	list[0] = 0;
	for (int i = 0; i < r->ncaps; i++) {
		if (i)
			strcat(list, ",");
		strcat(list, r->caps[i]);
	}
	snprintf(workers, sizeof(workers), "%u", r->workers);
	char *argv[16];
	int k = 0;
	argv[k++] = r->weir;
	argv[k++] = "-c";
	argv[k++] = conf;
	argv[k++] = "--pcap";
	argv[k++] = list;
	argv[k++] = "--workers";
	argv[k++] = workers;
	if (r->pace) {
		argv[k++] = "--pace";
		argv[k++] = (char *)r->pace;
	}
	argv[k] = NULL;
	char log[PATH_MAX + 32];
	snprintf(log, sizeof(log), "%s/weir.log", r->dir);
	/* weir waits before its first frame for weir-control's first hold
	 * point (lockstep, dataplane/dpdk/hold.h) */
	setenv("WEIR_REPLAY_HOLD", "1", 1);
	r->weir_pid = spawn(argv, log);
	unsetenv("WEIR_REPLAY_HOLD");
	free(list);
	int st = 0, attached = 0, tries = 0;
	char shm[128];
	snprintf(shm, sizeof(shm), "/dev/shm/weir-%s", r->instance);
	/* weir does not wait for a consumer, and a short replay can be over
	 * before weir-control looks: hold weir (SIGSTOP) from the moment its
	 * segment exists until weir-control has attached. */
	while (!attached && !interrupted) {
		if (waitpid(r->weir_pid, &st, WNOHANG) == r->weir_pid) {
			r->weir_pid = 0;
			break;
		}
		if (access(shm, F_OK) == 0) {
			kill(r->weir_pid, SIGSTOP);
			for (int i = 0; i < 20 && !attached; i++) {
				json_object *s = status(r);
				attached = s && json_object_get_boolean(jget(s, "dataplane", "connected"));
				json_object_put(s);
				if (!attached)
					sleep_ms(10);
			}
			kill(r->weir_pid, SIGCONT);   /* held mid-initialisation: let it go on */
			if (!attached && ++tries > 500)
				break;
		}
		sleep_ms(1);
	}
	int control_died = 0;
	if (r->weir_pid) {
		/* weir holds at each lockstep point until weir-control moves it
		 * on: if weir-control dies, nobody will, so stop weir. */
		int sent = 0;
		pid_t got;
		while ((got = waitpid(r->weir_pid, &st, WNOHANG)) == 0 || (got < 0 && errno == EINTR)) {
			if (!control_died && control_gone(r))
				control_died = 1;
			if ((interrupted || control_died) && !sent) {
				kill(r->weir_pid, SIGINT);
				sent = 1;
			}
			sleep_ms(10);
		}
		r->weir_pid = 0;
	}
	if (control_died) {
		fprintf(stderr, "weirctl replay: weir was stopped: nothing moves its replay on "
			"without weir-control\n");
		return -1;
	}
	if (!attached && !interrupted) {
		fprintf(stderr, "weirctl replay: weir-control never attached to weir's records "
			"(/dev/shm/weir-%s); see %s and %s/control.log\n", r->instance, log, r->dir);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "weirctl replay: weir failed (%s %d); see %s\n",
			WIFEXITED(st) ? "exit" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), log);
		return -1;
	}
	return 0;
}

/* wait until weir-control consumed the finished dataplane's records */
static int wait_drained(struct replay *r, int timeout_s)
{
	for (int i = 0; i < timeout_s * 10 && !interrupted; i++) {
		json_object *s = status(r);
		int ended = s && json_object_get_boolean(jget(s, "dataplane", "ended"));
		json_object_put(s);
		if (ended)
			return 0;
		if (control_gone(r))
			return -1;
		sleep_ms(100);
	}
	fprintf(stderr, "weirctl replay: weir-control did not see the end of the replay\n");
	return -1;
}

static int learn(struct replay *r)
{
	char alerts[PATH_MAX + 16];
	snprintf(alerts, sizeof(alerts), "%s/learn", r->dir);
	printf("learning pass: training the first model from the captures\n");
	fflush(stdout);
	if (start_control(r, alerts, 1) < 0 || run_weir(r, NULL, NULL) < 0 || wait_drained(r, 600) < 0)
		return -1;
	/* training starts at the end of the stream; it takes a while */
	for (int i = 0; i < 6000 && !interrupted; i++) {
		json_object *s = status(r);
		uint64_t v = s ? (uint64_t)json_object_get_int64(jget(s, "model", "version")) : 0;
		int training = s && json_object_get_boolean(jget(s, "model", "training"));
		if (v) {
			snprintf(r->model, sizeof(r->model), "%s",
				 json_object_get_string(jget(s, "model", "dir")));
			json_object_put(s);
			printf("learned model version %" PRIu64 ": %s\n", v, r->model);
			return stop_control(r);
		}
		json_object_put(s);
		if (control_gone(r))
			return -1;
		if (!training && i > 50) {
			fprintf(stderr, "weirctl replay: no model could be learned (too few flows, or "
				"it failed validation); see %s/events.jsonl\n", alerts);
			return -1;
		}
		sleep_ms(100);
	}
	return -1;
}

/* top anomalous sources from anomalies.jsonl */
static void top_sources(const char *path, char *out, size_t len)
{
	struct { char ip[64]; unsigned n; } t[4096];
	unsigned nt = 0;
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return;
	char line[16384];
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "\"srcip\":\""), ip[64];
		if (!p || sscanf(p + 9, "%63[^\"]", ip) != 1)
			continue;
		unsigned i;
		for (i = 0; i < nt && strcmp(t[i].ip, ip); i++)
			;
		if (i == nt) {
			if (nt == 4096)
				continue;
			snprintf(t[nt].ip, sizeof(t[nt].ip), "%s", ip);
			t[nt++].n = 0;
		}
		t[i].n++;
	}
	fclose(f);
	size_t off = 0;
	for (int k = 0; k < 5; k++) {
		unsigned best = nt;
		for (unsigned i = 0; i < nt; i++)
			if (t[i].n && (best == nt || t[i].n > t[best].n))
				best = i;
		if (best == nt)
			break;
		int w = snprintf(out + off, len - off, "%s%s (%u)", k ? ", " : "", t[best].ip, t[best].n);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
		t[best].n = 0;
	}
}

static void summary(struct replay *r, json_object *st)
{
	char p[PATH_MAX + 32], line[512];
	uint64_t packets = 0, flows = 0;
	snprintf(p, sizeof(p), "%s/weir.log", r->dir);
	FILE *f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long rx, proc, rec;
		char *t = strstr(line, "total: rx ");
		if (t && sscanf(t, "total: rx %llu, processed %llu, records %llu", &rx, &proc, &rec) == 3) {
			packets = rx;
			flows = rec;
		}
	}
	if (f)
		fclose(f);
	char tops[512];
	snprintf(p, sizeof(p), "%s/anomalies.jsonl", r->dir);
	top_sources(p, tops, sizeof(tops));
	printf("replay done: %s\n", r->dir);
	printf("  packets      %" PRIu64 "\n", packets);
	printf("  flows        %" PRIu64 "\n", flows);
	printf("  anomalies    %" PRId64 "\n", json_object_get_int64(jget(st, "anomalies", NULL)));
	printf("  intervals    %" PRId64 " of %s s\n", json_object_get_int64(jget(st, "intervals", NULL)),
	       r->interval);
	printf("  spikes       %" PRId64 "\n", json_object_get_int64(jget(st, "spikes", NULL)));
	printf("  retrains     %" PRId64 "\n", json_object_get_int64(jget(st, "retrains", NULL)));
	printf("  model        version %" PRId64 "\n",
	       json_object_get_int64(jget(st, "model", "version")));
	printf("  top sources  %s\n", tops[0] ? tops : "(no anomalies)");
}

int weirctl_replay(int argc, char **argv)
{
	static struct replay r;
	memset(&r, 0, sizeof(r));
	r.policy = "sustained";
	r.interval = "10";
	r.learn_window = "0";
	r.lateness = "330";
	r.workers = 1;
	const char *out = NULL, *model = NULL;
	r.caps = calloc((size_t)argc, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(replay_help, stdout);
			free(r.caps);
			return WEIRCTL_OK;
		}
		int takes = !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--model") ||
			    !strcmp(a, "--workers") || !strcmp(a, "--policy") || !strcmp(a, "--pace") ||
			    !strcmp(a, "--interval") || !strcmp(a, "--learn-window") ||
			    !strcmp(a, "--lateness") || !strcmp(a, "--set");
		if (takes && !v) {
			fprintf(stderr, "weirctl replay: %s needs a value\n%s", a, replay_help);
			free(r.caps);
			return WEIRCTL_USAGE;
		}
		char *end;
		if (!strcmp(a, "-o") || !strcmp(a, "--output"))
			out = v;
		else if (!strcmp(a, "--model"))
			model = v;
		else if (!strcmp(a, "--policy")) {
			if (strcmp(v, "manual") && strcmp(v, "on-spike") && strcmp(v, "sustained")) {
				fprintf(stderr, "weirctl replay: --policy '%s': expected manual, on-spike or sustained\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.policy = v;
		} else if (!strcmp(a, "--workers")) {
			unsigned long w = strtoul(v, &end, 10);
			if (*end || w < 1 || w > 32) {
				fprintf(stderr, "weirctl replay: --workers '%s': expected 1..32\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.workers = (unsigned)w;
		} else if (!strcmp(a, "--pace")) {
			double x = strtod(v, &end);
			if (*end || !(x > 0 && x <= 1000)) {
				fprintf(stderr, "weirctl replay: --pace '%s': expected a factor above 0 (1 = recorded speed)\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.pace = v;
		} else if (!strcmp(a, "--interval")) {
			unsigned long s = strtoul(v, &end, 10);
			if (*end || s < 1 || s > 86400) {
				fprintf(stderr, "weirctl replay: --interval '%s': expected 1..86400 seconds\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.interval = v;
		} else if (!strcmp(a, "--set")) {
			if (!strchr(v, '=') || !strchr(v, '.') || r.nsets == 8) {
				fprintf(stderr, "weirctl replay: --set '%s': expected SECTION.KEY=VALUE (at most 8)\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.sets[r.nsets++] = v;
		} else if (!strcmp(a, "--lateness")) {
			unsigned long s = strtoul(v, &end, 10);
			if (*end || !*v || s > 3600) {
				fprintf(stderr, "weirctl replay: --lateness '%s': expected 0..3600 seconds\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.lateness = v;
		} else if (!strcmp(a, "--learn-window")) {
			unsigned long s = strtoul(v, &end, 10);
			if (*end || s > 604800) {
				fprintf(stderr, "weirctl replay: --learn-window '%s': expected 0..604800 seconds\n", v);
				free(r.caps);
				return WEIRCTL_USAGE;
			}
			r.learn_window = v;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "weirctl replay: unknown option '%s'\n%s", a, replay_help);
			free(r.caps);
			return WEIRCTL_USAGE;
		} else {
			r.caps[r.ncaps++] = argv[i];
			continue;
		}
		i++;
	}
	int rc = WEIRCTL_ERR;
	if (!r.ncaps || !out) {
		fprintf(stderr, "weirctl replay: %s\n%s", !r.ncaps ? "no capture given" : "-o DIR is required",
			replay_help);
		free(r.caps);
		return WEIRCTL_USAGE;
	}
	for (int i = 0; i < r.ncaps; i++) {
		char abs[PATH_MAX];
		if (!realpath(r.caps[i], abs) || access(abs, R_OK) < 0) {
			fprintf(stderr, "weirctl replay: capture %s: %s\n", r.caps[i], strerror(errno));
			goto done;
		}
		r.caps[i] = strdup(abs);
		r.nowned = i + 1;
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "weirctl replay: -o %s: %s\n", out, strerror(errno));
		goto done;
	}
	if (!realpath(out, r.dir)) {
		fprintf(stderr, "weirctl replay: -o %s: %s\n", out, strerror(errno));
		goto done;
	}
	if (model && !realpath(model, r.model)) {
		fprintf(stderr, "weirctl replay: --model %s: %s\n", model, strerror(errno));
		goto done;
	}
	char self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		fprintf(stderr, "weirctl replay: cannot find my own directory\n");
		goto done;
	}
	self[sl] = 0;
	*strrchr(self, '/') = 0;
	if (exe_near(self, "../../dataplane/dpdk/weir", "WEIR_BIN", r.weir) < 0 ||
	    exe_near(self, "../daemon/weir-control", "WEIR_CONTROL_BIN", r.control) < 0) {
		fprintf(stderr, "weirctl replay: weir or weir-control not found next to %s "
			"(set WEIR_BIN / WEIR_CONTROL_BIN)\n", self);
		goto done;
	}
	snprintf(r.instance, sizeof(r.instance), "replay-%d", (int)getpid());
	/* Unix socket paths are short: DIR if it fits, else a private /tmp dir */
	if (strlen(r.dir) <= 80) {
		memcpy(r.rundir, r.dir, strlen(r.dir) + 1);
	} else {
		snprintf(r.rundir, sizeof(r.rundir), "/tmp/weir-replay-%d", (int)getpid());
		if (mkdir(r.rundir, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "weirctl replay: %s: %s\n", r.rundir, strerror(errno));
			goto done;
		}
	}
	/* the outputs of an earlier run in DIR would mix with this one */
	const char *old[] = { "anomalies.jsonl", "summary.csv", "events.jsonl", "flows.csv",
			      "weir.log", "control.log" };
	for (unsigned i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		char p[PATH_MAX + 32];
		snprintf(p, sizeof(p), "%s/%s", r.dir, old[i]);
		unlink(p);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!r.model[0] && learn(&r) < 0)
		goto done;
	char flowlog[PATH_MAX + 16];
	snprintf(flowlog, sizeof(flowlog), "%s/flows.csv", r.dir);
	printf("scoring pass%s\n", r.pace ? "" : " (flat out)");
	fflush(stdout);
	if (start_control(&r, r.dir, 0) < 0 || run_weir(&r, r.model, flowlog) < 0 ||
	    wait_drained(&r, 600) < 0)
		goto done;
	json_object *st = status(&r);
	if (stop_control(&r) < 0)
		fprintf(stderr, "weirctl replay: weir-control did not stop cleanly; see %s/control.log\n", r.dir);
	if (st) {
		summary(&r, st);
		json_object_put(st);
		rc = WEIRCTL_OK;
	}
done:
	if (r.weir_pid > 0) {
		kill(r.weir_pid, SIGINT);
		waitpid(r.weir_pid, NULL, 0);
	}
	if (r.control_pid > 0)
		stop_control(&r);
	if (interrupted) {
		fprintf(stderr, "weirctl replay: interrupted\n");
		rc = WEIRCTL_ERR;
	}
	if (strcmp(r.rundir, r.dir) && r.rundir[0])
		rmdir(r.rundir);
	char shm[128];
	snprintf(shm, sizeof(shm), "/dev/shm/weir-%s", r.instance);
	if (r.instance[0])
		unlink(shm);
	for (int i = 0; i < r.nowned; i++)
		free(r.caps[i]);
	free(r.caps);
	return rc;
}
