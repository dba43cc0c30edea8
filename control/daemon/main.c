/* weir-control: the control daemon (doc/control.md).
 *
 * One main thread consumes every worker's rings from weir's shm segment
 * (never initialising DPDK's EAL), keeps the totals and event-time
 * intervals, detects spikes, writes the alert files (and Kafka), serves the
 * control socket and decides retraining; a trainer thread trains and
 * validates new models so consumption never waits for libsvm.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <dirent.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "bundle.h"
#include "ctl.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static const char usage[] =
"usage: weir-control [-c FILE] [--set SECTION.KEY=VALUE ...] [--check]\n"
"\n"
"  -c, --config FILE   settings (INI; configs/weir-control.conf lists them all)\n"
"      --set S.K=V     override one setting, e.g. --set alerts.dir=/tmp/a\n"
"      --check         validate the configuration and exit\n"
"  -h, --help\n"
"\n"
"Consumes the records weir publishes in /dev/shm/weir-<instance>, writes\n"
"alerts to [alerts] dir and serves weirctl on [control] socket.\n";

static int apply_set(struct weir_ctl_conf *cf, const char *arg, char *err, size_t errlen)
{
	char buf[1400];
	snprintf(buf, sizeof(buf), "%s", arg);
	char *dot = strchr(buf, '.'), *eq = strchr(buf, '=');
	if (!dot || !eq || dot > eq) {
		snprintf(err, errlen, "--set '%s': expected SECTION.KEY=VALUE", arg);
		return -1;
	}
	*dot = 0;
	*eq = 0;
	return weir_ctl_conf_set(cf, buf, dot + 1, eq + 1, err, errlen);
}

int main(int argc, char **argv)
{
	static struct weir_ctl ctl;
	struct weir_ctl_conf *cf = &ctl.cf;
	weir_ctl_conf_default(cf);
	const char *conf_path = NULL;
	int check_only = 0;
	char err[1024];
	/* two passes: the file first, then the overrides on top */
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' },
		{ "set", required_argument, 0, 's' },
		{ "check", no_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (o == 'c')
			conf_path = optarg;
		else if (o == 'k')
			check_only = 1;
		else if (o == 'h') {
			fputs(usage, stdout);
			return 0;
		} else if (o != 's') {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "weir-control: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (conf_path && weir_ctl_conf_load(cf, conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "weir-control: %s\n", err);
		return 1;
	}
	optind = 1;
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1)
		if (o == 's' && apply_set(cf, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "weir-control: %s\n", err);
			return 1;
		}
	if (weir_ctl_conf_check(cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "weir-control: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("weir-control: configuration ok\n");
		return 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (weir_ctl_init(&ctl, err, sizeof(err)) < 0) {
		fprintf(stderr, "weir-control: %s\n", err);
		weir_ctl_fini(&ctl);
		return 1;
	}
	fprintf(stderr, "weir-control: serving %s, alerts in %s, waiting for /dev/shm/weir-%s\n",
		cf->socket, cf->alert_dir, cf->instance);
	while (!g_stop)
		weir_ctl_step(&ctl);
	fprintf(stderr, "weir-control: stopping\n");
	weir_ctl_fini(&ctl);
	return 0;
}
