/* weirctl: the operator's command line. Offline tools (extract, train, eval,
 * report, replay) and live commands (through weir-control's socket). */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcmd subcmds[] = {
	{ "extract", weirctl_extract, "extract UNSW-NB15 flow features from captures" },
	{ "train", weirctl_train, "train a one-class SVM bundle (or --cv K: cross-validate)" },
	{ "eval", weirctl_eval, "score labelled flows with a bundle: AUC, detection, FPR" },
	{ "report", weirctl_report, "HTML report of a replay's output directory" },
	{ "status", weirctl_status, "weir-control: connection, model, watermark, totals" },
	{ "stats", weirctl_stats, "weir-control: counters, rings, alert writers" },
	{ "model", weirctl_model, "list | load BUNDLE | rollback the dataplane's model" },
	{ "retrain", weirctl_retrain, "train, validate and swap in a new model now" },
	{ "threshold", weirctl_threshold, "get | set VALUE: the decision threshold" },
	{ "alerts", weirctl_alerts, "list | tail [-f] | rotate the alert files" },
	{ "spikes", weirctl_spikes, "recent anomaly spikes and their top sources" },
	{ "replay", weirctl_replay, "captures through weir and weir-control into a directory" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: weirctl COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(out, "  %-10s %s\n", subcmds[i].name, subcmds[i].help);
	fprintf(out, "\n'weirctl COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return WEIRCTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return WEIRCTL_OK;
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (!strcmp(argv[1], subcmds[i].name))
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "weirctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return WEIRCTL_USAGE;
}
