/* weir-gen: write a synthetic capture and its ground-truth labels. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "weir_gen.h"

static const char usage[] =
"usage: weir-gen SCENARIO.ini -o OUT.pcap [--labels OUT.labels.csv] [options]\n"
"\n"
"Writes a deterministic pcap (Ethernet/IPv4) of normal traffic, a drift\n"
"phase and scheduled attacks as the scenario describes, and one label row\n"
"per flow (doc/trafficgen.md).\n"
"\n"
"  -o, --output FILE     capture to write ('-' for standard output)\n"
"  -l, --labels FILE     labels CSV to write\n"
"  -x, --extra           add the intended spkts,dpkts,sbytes,dbytes,sbytes_ip,\n"
"                        dbytes_ip of each flow to the labels\n"
"  -s, --seed N          seed (default: the scenario's [general] seed)\n"
"  -p, --packets N       stop after N packets\n"
"  -d, --duration S      seconds of traffic (default: the scenario's)\n"
"  -k, --scale X         multiply every rate by X (default 1)\n"
"  -S, --snaplen N       keep N bytes of each frame (min 64; default: all);\n"
"                        lengths and checksums stay those of the whole frame\n"
"  -q, --quiet           no summary\n";

static int num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "weir-gen: %s '%s': expected a number from %g to %g\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' }, { "labels", required_argument, 0, 'l' },
		{ "extra", no_argument, 0, 'x' }, { "seed", required_argument, 0, 's' },
		{ "packets", required_argument, 0, 'p' }, { "duration", required_argument, 0, 'd' },
		{ "scale", required_argument, 0, 'k' },
		{ "snaplen", required_argument, 0, 'S' }, { "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct weir_gen_opts o = { .scale = 1.0 };
	const char *out = NULL, *lab = NULL;
	int quiet = 0, c;
	double v;
	while ((c = getopt_long(argc, argv, "o:l:xs:p:d:k:S:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'l': lab = optarg; break;
		case 'x': o.extra_columns = 1; break;
		case 's': {
			char *end;
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "weir-gen: --seed '%s': expected a whole number\n", optarg);
				return 2;
			}
			o.seed_set = 1;
			break;
		}
		case 'p':
			if (num("--packets", optarg, 1, 1e12, &v) < 0)
				return 2;
			o.max_packets = (uint64_t)v;
			break;
		case 'd':
			if (num("--duration", optarg, 0.001, 86400 * 7, &v) < 0)
				return 2;
			o.duration = v;
			break;
		case 'k':
			if (num("--scale", optarg, 1e-6, 1e6, &v) < 0)
				return 2;
			o.scale = v;
			break;
		case 'S':
			if (num("--snaplen", optarg, 64, 65535, &v) < 0)
				return 2;
			o.snaplen = (uint32_t)v;
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1 || !out) {
		fputs(usage, stderr);
		return 2;
	}
	char err[600];
	static struct weir_gen_scenario sc;
	if (weir_gen_scenario_load(argv[optind], &sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "weir-gen: %s\n", err);
		return 1;
	}
	FILE *fp = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!fp) {
		fprintf(stderr, "weir-gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	FILE *lf = NULL;
	if (lab && !(lf = fopen(lab, "w"))) {
		fprintf(stderr, "weir-gen: %s: %s\n", lab, strerror(errno));
		if (fp != stdout)
			fclose(fp);
		return 1;
	}
	struct timespec t0, t1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	struct weir_gen_stats st;
	int rc = weir_gen_run(&sc, &o, fp, lf, &st, err, sizeof(err));
	if (fp != stdout && fclose(fp) && !rc) {
		snprintf(err, sizeof(err), "%s: %s", out, strerror(errno));
		rc = -1;
	}
	if (lf && fclose(lf) && !rc) {
		snprintf(err, sizeof(err), "%s: %s", lab, strerror(errno));
		rc = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	if (rc) {
		fprintf(stderr, "weir-gen: %s\n", err);
		return 1;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	/* Wall-clock rate is what a user sees; the CPU-time rate is what the
	 * generator itself costs when the machine is shared. */
	if (!quiet)
		fprintf(stderr, "weir-gen: %llu packets, %llu flows (%llu attack), %llu bytes, "
			"%.1f s of traffic\nweir-gen: %.2f s wall, %.0f packets/s; %.2f s CPU, "
			"%.0f packets/s per CPU second\n",
			(unsigned long long)st.packets, (unsigned long long)st.flows,
			(unsigned long long)st.attack_flows, (unsigned long long)st.bytes,
			st.traffic_seconds, secs, secs > 0 ? (double)st.packets / secs : 0.0,
			cpu, cpu > 0 ? (double)st.packets / cpu : 0.0);
	if (st.order_fixes)
		fprintf(stderr, "weir-gen: internal: %llu packets were scheduled in the past and "
			"moved (please report)\n", (unsigned long long)st.order_fixes);
	if ((st.refused_sessions || st.refused_ports) && !quiet)
		fprintf(stderr, "weir-gen: sessions not started: %llu with max_sessions flows open "
			"(raise [general] max_sessions), %llu with the client's ports all in use\n",
			(unsigned long long)st.refused_sessions, (unsigned long long)st.refused_ports);
	return 0;
}
