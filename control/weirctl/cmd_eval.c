/* weirctl eval: score labelled flows with a bundle and report AUC,
 * detection rate and false positive rate (overall and per category). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "cmd.h"
#include "roc.h"

static const char eval_usage[] =
"usage: weirctl eval BUNDLE DATA... [--json] [--roc FILE.png]\n"
"\n"
"Scores the labelled flows of DATA (flow CSVs with a label column, or\n"
"captures whose flows carry labels) with the bundle BUNDLE and prints the\n"
"AUC, and the detection rate and false positive rate at the bundle's\n"
"threshold, overall and per attack category.\n"
"\n"
"      --json           one JSON object: auc, detection_rate,\n"
"                       false_positive_rate, per_category, ...\n"
"      --roc FILE.png   the ROC curve as a PNG (gnuplot) and FILE.csv\n"
"  -q, --quiet          no progress on stderr\n"
"  -h, --help\n";

struct eval_ctx {
	const struct weir_bundle *b;
	struct weir_evalset e;
	uint64_t unlabelled;
	int oom;
};

static int eval_flow(void *ctx, const struct weir_record *r)
{
	struct eval_ctx *c = ctx;
	if (!r->has_label) {
		c->unlabelled++;
		return 0;
	}
	float s = weir_bundle_score(c->b, r);
	if (weir_evalset_add(&c->e, s, r->label != 0, weir_bundle_is_anomaly(c->b, s),
			     r->attack_cat)) {
		c->oom = 1;
		return 1;
	}
	return 0;
}

enum { O_JSON = 256, O_ROC };

static const struct option eval_opts[] = {
	{ "json", no_argument, 0, O_JSON },
	{ "roc", required_argument, 0, O_ROC },
	{ "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 }
};

int weirctl_eval(int argc, char **argv)
{
	int json = 0, quiet = 0, c;
	const char *roc = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", eval_opts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = 1; break;
		case O_ROC: roc = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(eval_usage, stdout); return WEIRCTL_OK;
		default: fputs(eval_usage, stderr); return WEIRCTL_USAGE;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "weirctl eval: needs a BUNDLE and at least one DATA file\n");
		fputs(eval_usage, stderr);
		return WEIRCTL_USAGE;
	}
	char err[512];
	struct eval_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.b = weir_bundle_load(argv[optind], err, sizeof(err));
	if (!ctx.b) {
		fprintf(stderr, "weirctl eval: %s\n", err);
		return WEIRCTL_ERR;
	}
	weir_evalset_init(&ctx.e);
	int rc = WEIRCTL_ERR;
	FILE *progress = quiet ? NULL : stderr;
	if (progress)
		fprintf(progress, "eval: bundle %s version %u, %u dims, %u SVs, threshold %.6g, "
			"kernel path %s\n", argv[optind], ctx.b->version, ctx.b->fs.ndims,
			ctx.b->svm->nsv, ctx.b->threshold,
			weir_svm_path_name(weir_svm_active_path()));
	if (weir_read_flows(argv + optind + 1, argc - optind - 1, eval_flow, &ctx, progress,
			    err, sizeof(err))) {
		fprintf(stderr, "weirctl eval: %s\n", err);
		goto out;
	}
	if (ctx.oom) {
		fprintf(stderr, "weirctl eval: no memory\n");
		goto out;
	}
	if (ctx.e.n == 0) {
		fprintf(stderr, "weirctl eval: no labelled flows in DATA (%llu unlabelled): "
			"eval needs a label column\n", (unsigned long long)ctx.unlabelled);
		goto out;
	}
	if (ctx.unlabelled && progress)
		fprintf(progress, "eval: %llu flows without a label skipped\n",
			(unsigned long long)ctx.unlabelled);
	struct weir_eval_summary s;
	weir_eval_summarise(&ctx.e, &s);
	json_object *extra = json_object_new_object();
	json_object_object_add(extra, "bundle_version", json_object_new_int64(ctx.b->version));
	json_object_object_add(extra, "threshold", json_object_new_double(ctx.b->threshold));
	weir_eval_print(stdout, &ctx.e, &s, json, extra);
	json_object_put(extra);
	if (roc) {
		if (weir_roc_write(&ctx.e, roc, err, sizeof(err))) {
			fprintf(stderr, "weirctl eval: %s\n", err);
			goto out;
		}
		if (progress)
			fprintf(progress, "eval: wrote %s and its .csv\n", roc);
	}
	rc = WEIRCTL_OK;
out:
	weir_evalset_free(&ctx.e);
	weir_bundle_free((struct weir_bundle *)ctx.b);
	return rc;
}
