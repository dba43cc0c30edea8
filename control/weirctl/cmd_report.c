/* weirctl report DIR: the HTML report of a replay's output directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cmd.h"
#include "report.h"

static const char report_usage[] =
"usage: weirctl report DIR [-o FILE] [--interval SECONDS] [--top N] [--labels FILE] [--summary]\n"
"\n"
"Turns a replay's output directory (flows.csv, and events.jsonl when present)\n"
"into one self-contained HTML page: flows and anomalies per interval with\n"
"spikes and retrains marked, the score distribution, the top anomalous sources\n"
"and destinations and, with ground truth, detection and false-positive rates\n"
"per attack and the ROC curve. Plots are drawn by gnuplot and embedded, so the\n"
"page opens without network access.\n"
"\n"
"  -o, --output FILE    default DIR/report.html\n"
"  -i, --interval S     width of the time-series intervals (default 10)\n"
"  -t, --top N          rows in the top-address tables (default 10)\n"
"  -l, --labels FILE    ground truth (generator labels CSV) to join onto the flows\n"
"  -s, --summary        also print the detection figures on standard output\n";

int weirctl_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "interval", required_argument, 0, 'i' },
		{ "top", required_argument, 0, 't' },
		{ "labels", required_argument, 0, 'l' },
		{ "summary", no_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct report_opts o = { .interval_s = 10, .top = 10 };
	char *end, err[4096];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:i:t:l:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'i':
			o.interval_s = strtod(optarg, &end);
			if (*end || !(o.interval_s >= 0.001 && o.interval_s <= 86400)) {
				fprintf(stderr, "weirctl report: --interval '%s': expected seconds from 0.001 to 86400\n", optarg);
				return WEIRCTL_USAGE;
			}
			break;
		case 't':
			o.top = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.top < 1 || o.top > 1000) {
				fprintf(stderr, "weirctl report: --top '%s': expected 1 to 1000\n", optarg);
				return WEIRCTL_USAGE;
			}
			break;
		case 'l': o.labels = optarg; break;
		case 's': o.print_summary = 1; break;
		case 'h': fputs(report_usage, stdout); return WEIRCTL_OK;
		default: fputs(report_usage, stderr); return WEIRCTL_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(report_usage, stderr);
		return WEIRCTL_USAGE;
	}
	o.dir = argv[optind];
	if (report_write(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "weirctl report: %s\n", err);
		return WEIRCTL_ERR;
	}
	printf("%s%s\n", o.output ? o.output : o.dir, o.output ? "" : "/report.html");
	return WEIRCTL_OK;
}
