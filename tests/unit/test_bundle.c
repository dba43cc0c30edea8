/* Model bundles: a training round trip (our trainer -> files -> our loader,
 * libsvm reading the same model.svm), hand-computed scores, and every kind
 * of bad bundle refused with the file and line named. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libsvm/svm.h>
#include "bundle.h"
#include "decode.h"
#include "record_io.h"
#include "train.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/weir-test-bundle-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm(const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	unlink(p);
}

static void teardown(void)
{
	rm("bundle.json");
	rm("scale.range");
	rm("model.svm");
	rmdir(tmpdir);
}

static void put(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A small valid bundle: 4 dimensions (log1p sbytes, sttl, proto=tcp,
 * proto=udp); proto=udp is constant in "training" (absent from the range
 * file). */
static const char *good_json =
	"{\n"
	"  \"format\": \"weir-svm-bundle\",\n"
	"  \"format_version\": 1,\n"
	"  \"version\": 42,\n"
	"  \"threshold\": 0.25,\n"
	"  \"features\": [\n"
	"    { \"field\": \"sbytes\", \"transform\": \"log1p\", \"mul\": 1, \"mean\": 4, \"std\": 2 },\n"
	"    { \"field\": \"sttl\", \"transform\": \"identity\", \"mean\": 31, \"std\": 10 },\n"
	"    { \"field\": \"proto\", \"transform\": \"onehot\", \"categories\": [\"tcp\", \"udp\"],\n"
	"      \"mean\": [0.5, 0], \"std\": [0.5, 0] }\n"
	"  ],\n"
	"  \"provenance\": { \"source\": \"hand\", \"flows\": 10, \"gamma\": 0.5, \"nu\": 0.1 }\n"
	"}\n";
static const char *good_range = "x\n0 1\n1 0 10\n2 0 255\n3 0 1\n";
static const char *good_linear =
	"svm_type one_class\n"
	"kernel_type linear\n"
	"nr_class 2\n"
	"total_sv 2\n"
	"rho 0.5\n"
	"SV\n"
	"1 1:1 2:0.5 \n"
	"2 3:1 \n";
static const char *good_rbf =
	"svm_type one_class\n"
	"kernel_type rbf\n"
	"gamma 0.5\n"
	"nr_class 2\n"
	"total_sv 3\n"
	"rho 0.25\n"
	"SV\n"
	"0.5 1:0.5 2:0.2 3:1 \n"
	"0.25 1:0.1 \n"
	"0.25 2:1 3:1 \n";

static struct weir_record sample(void)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.sbytes = (uint64_t)llround(exp(5.0) - 1);   /* log1p ~ 5 -> 0.5 scaled */
	r.sttl = 51;                                  /* 0.2 scaled */
	r.proto = 6;                                  /* tcp */
	return r;
}

static void write_good(const char *model)
{
	put("bundle.json", good_json);
	put("scale.range", good_range);
	put("model.svm", model);
}

START_TEST(hand_built_linear_scores_as_computed)
{
	write_good(good_linear);
	char err[512] = "";
	struct weir_bundle *b = weir_bundle_load(tmpdir, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert_uint_eq(b->version, 42);
	ck_assert_uint_eq(b->fs.ndims, 4);
	ck_assert_str_eq(b->fs.dim[2].name, "proto=tcp");
	ck_assert_str_eq(b->fs.dim[3].name, "proto=udp");
	ck_assert_float_eq_tol(b->threshold, 0.25f, 1e-7);
	ck_assert_str_eq(b->source, "hand");
	struct weir_record r = sample();
	double s1 = log1p((double)r.sbytes) / 10;
	double want = 1 * (s1 * 1 + 0.2 * 0.5) + 2 * 1.0 - 0.5;
	ck_assert_double_eq_tol(weir_bundle_score(b, &r), want, 1e-5);
	ck_assert(!weir_bundle_is_anomaly(b, weir_bundle_score(b, &r)));
	/* udp: proto=udp is constant in training, so scaled to 0 */
	r.proto = 17;
	want = 1 * (s1 + 0.1) - 0.5;
	ck_assert_double_eq_tol(weir_bundle_score(b, &r), want, 1e-5);
	/* a damaged record (NaN) does not poison the score */
	r.proto = 6;
	r.sload = NAN;
	r.dur = -INFINITY;
	ck_assert(isfinite(weir_bundle_score(b, &r)));
	weir_bundle_free(b);
}
END_TEST

START_TEST(hand_built_rbf_scores_as_computed)
{
	write_good(good_rbf);
	char err[512] = "";
	struct weir_bundle *b = weir_bundle_load(tmpdir, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	struct weir_record r = sample();
	double x[4] = { log1p((double)r.sbytes) / 10, 0.2, 1, 0 };
	double sv[3][4] = { { 0.5, 0.2, 1, 0 }, { 0.1, 0, 0, 0 }, { 0, 1, 1, 0 } };
	double coef[3] = { 0.5, 0.25, 0.25 }, want = -0.25;
	for (int i = 0; i < 3; i++) {
		double d2 = 0;
		for (int d = 0; d < 4; d++)
			d2 += (x[d] - sv[i][d]) * (x[d] - sv[i][d]);
		want += coef[i] * exp(-0.5 * d2);
	}
	ck_assert_double_eq_tol(weir_bundle_score(b, &r), want, 1e-5);
	/* deviations: sttl 51 is 2 std from 31; proto=udp never seen */
	r.proto = 17;
	struct weir_deviation dv[3];
	ck_assert_uint_eq(weir_bundle_deviations(b, &r, dv, 3), 3);
	ck_assert_str_eq(b->fs.dim[dv[0].dim].name, "proto=udp");
	ck_assert_float_eq(dv[0].z, 1000.0f);
	ck_assert_str_eq(b->fs.dim[dv[1].dim].name, "sttl");
	ck_assert_float_eq_tol(dv[1].z, 2.0f, 1e-6);
	weir_bundle_free(b);
}
END_TEST

/* Each bad bundle, built from the good one with one file replaced. */
static void expect_refused(const char *file, const char *text, const char *want)
{
	write_good(good_rbf);
	if (text)
		put(file, text);
	else
		rm(file);
	char err[512] = "";
	struct weir_bundle *b = weir_bundle_load(tmpdir, err, sizeof(err));
	ck_assert_msg(b == NULL, "%s was accepted", file);
	char full[600];
	snprintf(full, sizeof(full), "%s/%s", tmpdir, want);
	ck_assert_msg(strstr(err, full) != NULL, "error \"%s\" lacks \"%s\"", err, full);
}

START_TEST(truncated_model_refused)
{
	/* cut after the second SV line */
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 2:0.2 3:1 \n0.25 1:0.1 \n",
		       "model.svm:10: file ends after 2 of 3 support vectors");
	/* cut in the middle of a line */
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 2:0.2 3:1 \n0.25 1:0.1 \n0.25 2:",
		       "model.svm:10: last line has no end of line");
	/* cut in the header */
	expect_refused("model.svm", "svm_type one_class\nkernel_type rbf\n",
		       "model.svm:3: truncated: no \"SV\" line");
	/* an empty file */
	expect_refused("model.svm", "", "model.svm:1: truncated");
}
END_TEST

START_TEST(non_finite_numbers_refused)
{
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 \nnan 1:0.1 \n0.25 2:1 \n",
		       "model.svm:9: coefficient \"nan\" is not a finite number");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 \n0.25 1:inf \n0.25 2:1 \n",
		       "model.svm:9: value of SV index 1 is not a finite number");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho -inf\nSV\n0.5 1:0.5 \n0.25 1:1 \n0.25 2:1 \n",
		       "model.svm:6: rho -inf is not a finite number");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma NaN\nnr_class 2\n"
		       "total_sv 1\nrho 0.25\nSV\n0.5 1:0.5 \n",
		       "model.svm:3: gamma NaN is not a positive number");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": 1, \"threshold\": NaN,\n"
		       "  \"features\": [ { \"field\": \"sttl\", \"transform\": \"identity\", "
		       "\"mean\": 0, \"std\": 1 } ] }\n",
		       "bundle.json: \"threshold\" must be a finite number");
	expect_refused("scale.range", "x\n0 1\n1 0 inf\n",
		       "scale.range:3: expected \"index min max\"");
}
END_TEST

START_TEST(oversized_refused)
{
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 5000000\nrho 0.25\nSV\n0.5 1:0.5 \n",
		       "model.svm:5: total_sv 5000000 exceeds the maximum 100000");
	/* more feature dimensions than the kernel's maximum: 300 protocols */
	char *json = malloc(16384);
	size_t off = (size_t)sprintf(json, "{ \"format_version\": 1, \"version\": 1, \"threshold\": 0,\n"
				     "\"features\": [ { \"field\": \"proto\", \"transform\": \"onehot\", "
				     "\"categories\": [");
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(json + off, "%s\"%d\"", i ? "," : "", i % 256);
	off += (size_t)sprintf(json + off, "], \"mean\": [");
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(json + off, "%s0", i ? "," : "");
	off += (size_t)sprintf(json + off, "], \"std\": [");
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(json + off, "%s0", i ? "," : "");
	sprintf(json + off, "] } ] }\n");
	expect_refused("bundle.json", json,
		       "bundle.json: features[0]: more than 256 feature dimensions");
	free(json);
	/* an overlong line */
	char *longline = malloc(40000);
	strcpy(longline, "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
	       "total_sv 1\nrho 0.25\nSV\n0.5");
	size_t n = strlen(longline);
	while (n < 39000)
		n += (size_t)sprintf(longline + n, " 1:0.5");
	strcpy(longline + n, "\n");
	expect_refused("model.svm", longline, "model.svm:8: line longer than");
	free(longline);
}
END_TEST

START_TEST(sv_index_beyond_features_refused)
{
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 \n0.25 1:0.1 5:1 \n0.25 2:1 \n",
		       "model.svm:9: SV index 5 exceeds the 4 features of bundle.json");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 3\nrho 0.25\nSV\n0.5 1:0.5 \n0.25 2:0.1 1:1 \n0.25 2:1 \n",
		       "model.svm:9: SV index 1 out of order");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 2\nrho 0.25\nSV\n0.5 1:0.5 \n0.25 2:0.1 \n0.25 2:1 \n",
		       "model.svm:10: more support vectors than total_sv 2");
}
END_TEST

START_TEST(wrong_type_or_kernel_refused)
{
	expect_refused("model.svm",
		       "svm_type c_svc\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
		       "total_sv 1\nrho 0.25\nlabel 1 -1\nnr_sv 1 0\nSV\n0.5 1:0.5 \n",
		       "model.svm:1: svm_type c_svc is not one_class");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type polynomial\ndegree 3\ngamma 0.5\n"
		       "coef0 0\nnr_class 2\ntotal_sv 1\nrho 0.25\nSV\n0.5 1:0.5 \n",
		       "model.svm:2: kernel_type polynomial is not rbf or linear");
	expect_refused("model.svm",
		       "svm_type one_class\nkernel_type rbf\nnr_class 2\n"
		       "total_sv 1\nrho 0.25\nSV\n0.5 1:0.5 \n",
		       "model.svm:6: header has no gamma");
}
END_TEST

START_TEST(scale_range_mismatch_refused)
{
	expect_refused("scale.range", "x\n0 1\n1 0 10\n2 0 255\n7 0 1\n",
		       "scale.range:5: index 7 exceeds the 4 features of bundle.json");
	expect_refused("scale.range", "x\n0 1\n1 0 10\n1 0 255\n",
		       "scale.range:4: index 1 listed twice");
	expect_refused("scale.range", "x\n1 0\n", "scale.range:2: expected \"lower upper\"");
	expect_refused("scale.range", "1 0 10\n", "scale.range:1: expected \"x\"");
	expect_refused("scale.range", "x\n", "scale.range:2: truncated");
	expect_refused("scale.range", "x\n0 1\n2 300 255\n", "scale.range:3: min 300 above max 255");
}
END_TEST

START_TEST(missing_files_refused)
{
	expect_refused("model.svm", NULL, "model.svm: cannot open");
	expect_refused("scale.range", NULL, "scale.range: cannot open");
	expect_refused("bundle.json", NULL, "bundle.json: cannot open");
}
END_TEST

START_TEST(malformed_json_refused)
{
	expect_refused("bundle.json", "{\n  \"version\": 1,\n  \"threshold\": 0.1,,\n}\n",
		       "bundle.json:3: malformed JSON");
	expect_refused("bundle.json", "{\n  \"version\": 1,\n  \"features\": [\n",
		       "bundle.json:4: malformed JSON: unexpected end of file");
	expect_refused("bundle.json", "{ \"format_version\": 1 }\n{}\n",
		       "bundle.json:2: malformed JSON: text after the object");
	expect_refused("bundle.json", "[1, 2]\n", "bundle.json:1: not a JSON object");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": 1, \"threshold\": 0,\n"
		       "  \"features\": [ { \"field\": \"sbytes\", \"transform\": \"sqrt\", "
		       "\"mean\": 0, \"std\": 1 } ] }\n",
		       "bundle.json: features[0]: unknown transform \"sqrt\"");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": 1, \"threshold\": 0,\n"
		       "  \"features\": [ { \"field\": \"srcip\", \"transform\": \"identity\", "
		       "\"mean\": 0, \"std\": 1 } ] }\n",
		       "bundle.json: features[0]: unknown field \"srcip\"");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": 1, \"threshold\": 0,\n"
		       "  \"features\": [ { \"field\": \"proto\", \"transform\": \"onehot\", "
		       "\"categories\": [\"tcp\", \"nosuch\"], \"mean\": [0, 0], \"std\": [0, 0] } ] }\n",
		       "bundle.json: features[0]: categories[1] is not a proto value");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": 1, \"threshold\": 0,\n"
		       "  \"features\": [ { \"field\": \"state\", \"transform\": \"identity\", "
		       "\"mean\": 0, \"std\": 1 } ] }\n",
		       "bundle.json: features[0]: state is categorical and must be one-hot encoded");
	expect_refused("bundle.json",
		       "{ \"format_version\": 2, \"version\": 1, \"threshold\": 0, \"features\": [] }\n",
		       "bundle.json: \"format_version\" must be 1");
	expect_refused("bundle.json",
		       "{ \"format_version\": 1, \"version\": -3, \"threshold\": 0, \"features\": [] }\n",
		       "bundle.json: \"version\" must be an integer");
}
END_TEST

/* Flows from three kinds of "normal" traffic with some spread. */
static uint64_t rs = 7;
static double ur(void)
{
	rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rs >> 11) / 9007199254740992.0;
}

static void synth(struct weir_record *r, int kind, int attack)
{
	memset(r, 0, sizeof(*r));
	r->stime_ns = 1000000000ULL * (uint64_t)(1000 + ur() * 100);
	r->ltime_ns = r->stime_ns + 1000000;
	if (kind == 0) {            /* dns */
		r->proto = 17; r->service = WEIR_SVC_DNS; r->state = WEIR_ST_CON;
		r->spkts = r->dpkts = 1;
		r->sbytes = (uint64_t)(60 + ur() * 20); r->dbytes = (uint64_t)(80 + ur() * 100);
		r->dur = ur() * 0.002; r->sttl = 31; r->dttl = 29;
	} else {                    /* http-ish */
		r->proto = 6; r->service = kind == 1 ? WEIR_SVC_HTTP : WEIR_SVC_NONE;
		r->state = WEIR_ST_FIN;
		r->spkts = (uint32_t)(8 + ur() * 10); r->dpkts = (uint32_t)(10 + ur() * 20);
		r->sbytes = (uint64_t)(600 + ur() * 2000); r->dbytes = (uint64_t)(5000 + ur() * 50000);
		r->dur = 0.1 + ur(); r->sttl = 31; r->dttl = 29; r->swin = r->dwin = 255;
		r->tcprtt = 0.001 + ur() * 0.01;
	}
	r->ct_srv_src = (uint16_t)(1 + ur() * 5);
	r->ct_dst_ltm = (uint16_t)(1 + ur() * 5);
	if (attack) {
		r->sttl = 254; r->dttl = 252;
		r->sbytes *= 20; r->spkts *= 10;
		r->ct_srv_src = 40;
	}
}

START_TEST(train_round_trip)
{
	enum { N = 1500 };
	struct weir_record *recs = calloc(N, sizeof(*recs));
	for (int i = 0; i < N; i++)
		synth(&recs[i], i % 3, 0);
	struct weir_train_opts o;
	weir_train_opts_defaults(&o);
	o.version = 77;
	o.source = "synthetic";
	o.flows_read = N;
	o.nu = 0.05;
	o.threshold_quantile = 0.05;
	struct weir_train_result res;
	char err[512] = "";
	ck_assert_msg(weir_train_bundle(recs, N, &o, tmpdir, &res, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(res.ntrain, N);
	ck_assert(res.gamma > 0);
	struct weir_bundle *b = weir_bundle_load(tmpdir, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert_uint_eq(b->version, 77);
	ck_assert_str_eq(b->source, "synthetic");
	ck_assert_uint_eq(b->train_flows, N);
	ck_assert_uint_eq(b->fs.ndims, res.ndims);
	ck_assert_uint_eq(b->svm->nsv, res.nsv);
	ck_assert_double_eq_tol(b->threshold, res.threshold, 1e-6);

	/* libsvm reads our model.svm and agrees with our scorer */
	char p[512];
	snprintf(p, sizeof(p), "%s/model.svm", tmpdir);
	struct svm_model *lm = svm_load_model(p);
	ck_assert_ptr_nonnull(lm);
	int flagged = 0, caught = 0;
	float x[WEIR_BUNDLE_MAX_DIMS] __attribute__((aligned(64)));
	struct svm_node nodes[WEIR_BUNDLE_MAX_DIMS + 1];
	for (int i = 0; i < N; i++) {
		weir_bundle_vector(b, &recs[i], x);
		int k = 0;
		for (uint32_t d = 0; d < b->fs.ndims; d++)
			if (x[d] != 0) {
				nodes[k].index = (int)d + 1;
				nodes[k].value = x[d];
				k++;
			}
		nodes[k].index = -1;
		double ref;
		svm_predict_values(lm, nodes, &ref);
		float s = weir_bundle_score(b, &recs[i]);
		ck_assert_msg(fabs(s - ref) <= 1e-3 * (fabs(lm->rho[0]) + 1),
			      "flow %d: ours %g libsvm %g", i, s, ref);
		flagged += weir_bundle_is_anomaly(b, s);
	}
	/* the threshold is the 5% quantile of the training decisions */
	ck_assert_int_ge(flagged, N * 3 / 100);
	ck_assert_int_le(flagged, N * 7 / 100);
	for (int i = 0; i < 200; i++) {
		struct weir_record a;
		synth(&a, i % 3, 1);
		caught += weir_bundle_is_anomaly(b, weir_bundle_score(b, &a));
	}
	ck_assert_int_ge(caught, 190);
	svm_free_and_destroy_model(&lm);
	weir_bundle_free(b);
	free(recs);
}
END_TEST

/* The acceptance figure, as a regression test on real data: train on the
 * normal flows of half the UNSW-NB15 sample, score the other half. */
START_TEST(unsw_holdout_auc)
{
	const char *shared = getenv("WEIR_SHARED");
	char path[1024], err[512] = "";
	snprintf(path, sizeof(path), "%s/data/unsw/UNSW-NB15_1_first20000rows.csv",
		 shared ? shared : "../shared");
	struct weir_flowfile *ff = weir_flowfile_open(path, err, sizeof(err));
	ck_assert_msg(ff != NULL, "%s", err);
	size_t n = 0, cap = 25000;
	struct weir_record *all = malloc(cap * sizeof(*all));
	int r;
	while (n < cap && (r = weir_flowfile_next(ff, &all[n], err, sizeof(err))) == 1)
		n++;
	weir_flowfile_close(ff);
	ck_assert_uint_eq(n, 20000);
	/* even rows: training (normal only); odd rows: held out */
	struct weir_record *tr = malloc(n / 2 * sizeof(*tr));
	size_t m = 0;
	for (size_t i = 0; i < n; i += 2)
		if (all[i].has_label && all[i].label == 0)
			tr[m++] = all[i];
	struct weir_train_opts o;
	weir_train_opts_defaults(&o);
	o.max_train = 4000;
	o.version = 3;
	struct weir_train_result res;
	ck_assert_msg(weir_train_bundle(tr, m, &o, tmpdir, &res, err, sizeof(err)) == 0,
		      "%s", err);
	struct weir_bundle *b = weir_bundle_load(tmpdir, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	/* AUC by counting pairs on a sample is slow; rank instead */
	size_t h = 0, pos = 0, neg = 0, fp = 0, tp = 0;
	float *sc = malloc(n / 2 * sizeof(float));
	uint8_t *lab = malloc(n / 2);
	for (size_t i = 1; i < n; i += 2, h++) {
		sc[h] = weir_bundle_score(b, &all[i]);
		lab[h] = all[i].label;
		int flag = weir_bundle_is_anomaly(b, sc[h]);
		if (lab[h]) {
			pos++;
			tp += (size_t)flag;
		} else {
			neg++;
			fp += (size_t)flag;
		}
	}
	/* Mann-Whitney: for each attack, the normals scoring higher */
	double wins = 0;
	float *ns = malloc(neg * sizeof(float));
	size_t k = 0;
	for (size_t i = 0; i < h; i++)
		if (!lab[i])
			ns[k++] = sc[i];
	for (size_t i = 0; i < h; i++) {
		if (!lab[i])
			continue;
		for (size_t j = 0; j < neg; j++)
			wins += ns[j] > sc[i] ? 1.0 : ns[j] == sc[i] ? 0.5 : 0.0;
	}
	double auc = wins / ((double)pos * (double)neg);
	fprintf(stderr, "unsw holdout: %u trained on, %u SVs, AUC %.4f, DR %.4f, FPR %.4f\n",
		res.ntrain, res.nsv, auc, (double)tp / (double)pos, (double)fp / (double)neg);
	ck_assert_double_ge(auc, 0.95);
	ck_assert_double_le((double)fp / (double)neg, 0.06);
	ck_assert_double_ge((double)tp / (double)pos, 0.7);
	free(ns);
	free(sc);
	free(lab);
	free(tr);
	free(all);
	weir_bundle_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, hand_built_linear_scores_as_computed);
	tcase_add_test(tc, hand_built_rbf_scores_as_computed);
	tcase_add_test(tc, truncated_model_refused);
	tcase_add_test(tc, non_finite_numbers_refused);
	tcase_add_test(tc, oversized_refused);
	tcase_add_test(tc, sv_index_beyond_features_refused);
	tcase_add_test(tc, wrong_type_or_kernel_refused);
	tcase_add_test(tc, scale_range_mismatch_refused);
	tcase_add_test(tc, missing_files_refused);
	tcase_add_test(tc, malformed_json_refused);
	tcase_add_test(tc, train_round_trip);
	tcase_add_test(tc, unsw_holdout_auc);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
