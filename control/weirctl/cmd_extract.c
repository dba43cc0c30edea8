/* weirctl extract: captures in, one UNSW-NB15 feature record per flow out. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "extract.h"
#include "labels.h"
#include "record_io.h"

static const char extract_usage[] =
"usage: weirctl extract CAPTURE... -o FLOWS [options]\n"
"\n"
"Reads pcap/pcapng captures and writes one record per flow: a header line,\n"
"then the 47 UNSW-NB15 features in the raw data set's column order.\n"
"Several captures are one continuous timeline (a capture split in files).\n"
"\n"
"  -o, --output FILE       where to write ('-' for standard output)\n"
"  -f, --format FMT        csv (default) or jsonl\n"
"  -l, --labels FILE       ground truth (generator labels CSV): adds attack_cat, Label\n"
"  -x, --extra             add our own columns: end_reason, vlan, worker, flow_id,\n"
"                          sbytes_ip, dbytes_ip\n"
"      --max-flows N       flow table capacity (default: from the input size,\n"
"                          4096 to 1048576; when full the longest-idle flow is\n"
"                          evicted and counted)\n"
"      --ct-window N       connections in the ct_* window (default 100)\n"
"      --tcp-timeout S     idle timeout of open TCP flows, seconds (default 300)\n"
"      --closed-timeout S  grace after FIN/RST, seconds (default 5)\n"
"      --udp-timeout S     idle timeout of UDP/ICMP/other flows, seconds (default 60)\n"
"      --active-timeout S  emit long flows every S seconds, 0 = never (default 1800)\n"
"      --no-content        skip the Hyperscan service/HTTP/FTP analysis\n"
"      --threads N         1: read and analyse on one thread; 2: read captures on\n"
"                          a second one (default: 2 when there are two CPUs)\n"
"      --progress          progress lines on stderr (default: when stderr is a terminal)\n"
"  -q, --quiet             no summary\n"
"\n"
"Exit status: 0 when packets were read (problems with some files are reported\n"
"and the flows read are still written), 1 when nothing could be read or the\n"
"output could not be written, 2 on bad usage.\n";

struct writer {
	FILE *out;
	const char *path;
	enum weir_fmt fmt;
	unsigned cols;
	struct weir_labels *labels;
	int write_errno;
	unsigned long long records;
};

static void write_record(void *ctx, struct weir_record *rec)
{
	struct writer *w = ctx;
	char line[8192];
	if (w->labels)
		weir_labels_apply(w->labels, rec);
	size_t n = weir_record_format(line, sizeof(line), w->fmt, w->cols, rec);
	if (w->write_errno)
		return;
	if (n == 0 || fwrite(line, 1, n, w->out) != n)
		w->write_errno = n ? errno : EOVERFLOW;
	else
		w->records++;
}

static int parse_seconds(const char *opt, const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || v < 0 || v > 86400 * 7) {
		fprintf(stderr, "weirctl extract: %s '%s': expected seconds between 0 and 604800\n",
			opt, s);
		return -1;
	}
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static int parse_count(const char *opt, const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > max) {
		fprintf(stderr, "weirctl extract: %s '%s': expected a number from 1 to %lu\n",
			opt, s, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

enum { O_MAXFLOWS = 256, O_CTWIN, O_TCP, O_CLOSED, O_UDP, O_ACTIVE, O_NOCONTENT, O_PROGRESS, O_THREADS };

static const struct option extract_opts[] = {
	{ "output", required_argument, 0, 'o' },
	{ "format", required_argument, 0, 'f' },
	{ "labels", required_argument, 0, 'l' },
	{ "extra", no_argument, 0, 'x' },
	{ "quiet", no_argument, 0, 'q' },
	{ "help", no_argument, 0, 'h' },
	{ "max-flows", required_argument, 0, O_MAXFLOWS },
	{ "ct-window", required_argument, 0, O_CTWIN },
	{ "tcp-timeout", required_argument, 0, O_TCP },
	{ "closed-timeout", required_argument, 0, O_CLOSED },
	{ "udp-timeout", required_argument, 0, O_UDP },
	{ "active-timeout", required_argument, 0, O_ACTIVE },
	{ "no-content", no_argument, 0, O_NOCONTENT },
	{ "progress", no_argument, 0, O_PROGRESS },
	{ "threads", required_argument, 0, O_THREADS },
	{ 0, 0, 0, 0 },
};

struct extract_args {
	struct weir_extract_opts opts;
	const char *output, *labels;
	int fmt, extra, quiet, progress, max_flows_set;
};


static int parse_args(int argc, char **argv, struct extract_args *a)
{
	struct weir_ft_config *ft = &a->opts.eng.ft;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:l:xqh", extract_opts, NULL)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case 'f':
			a->fmt = weir_fmt_parse(optarg);
			if (a->fmt < 0) {
				fprintf(stderr, "weirctl extract: --format '%s': expected csv or jsonl\n", optarg);
				return WEIRCTL_USAGE;
			}
			break;
		case 'l': a->labels = optarg; break;
		case 'x': a->extra = 1; break;
		case 'q': a->quiet = 1; break;
		case 'h': fputs(extract_usage, stdout); return -1;
		case O_MAXFLOWS:
			if (parse_count("--max-flows", optarg, 1ul << 28, &ft->max_flows))
				return WEIRCTL_USAGE;
			a->max_flows_set = 1;
			break;
		case O_CTWIN: if (parse_count("--ct-window", optarg, 100000, &a->opts.eng.ct_window)) return WEIRCTL_USAGE; break;
		case O_TCP: if (parse_seconds("--tcp-timeout", optarg, &ft->timeout_ns[WEIR_TO_TCP])) return WEIRCTL_USAGE; break;
		case O_CLOSED: if (parse_seconds("--closed-timeout", optarg, &ft->timeout_ns[WEIR_TO_TCP_CLOSED])) return WEIRCTL_USAGE; break;
		case O_UDP: if (parse_seconds("--udp-timeout", optarg, &ft->timeout_ns[WEIR_TO_OTHER])) return WEIRCTL_USAGE; break;
		case O_ACTIVE: if (parse_seconds("--active-timeout", optarg, &ft->active_timeout_ns)) return WEIRCTL_USAGE; break;
		case O_NOCONTENT: a->opts.eng.content = 0; break;
		case O_PROGRESS: a->progress = 1; break;
		case O_THREADS: {
			uint32_t n;
			if (parse_count("--threads", optarg, 2, &n))
				return WEIRCTL_USAGE;
			a->opts.threads = (int)n;
			break;
		}
		default: fputs(extract_usage, stderr); return WEIRCTL_USAGE;
		}
	}
	if (!a->max_flows_set)
		ft->max_flows = weir_extract_auto_max_flows((const char *const *)argv + optind,
							    argc - optind);
	if (!a->output || optind >= argc) {
		fprintf(stderr, "weirctl extract: %s\n", !a->output ?
			"-o FILE is required" : "no capture given");
		fputs(extract_usage, stderr);
		return WEIRCTL_USAGE;
	}
	return 0;
}

static int open_output(struct writer *w, const char *path)
{
	char hdr[4096];
	w->path = path;
	w->out = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!w->out) {
		fprintf(stderr, "weirctl extract: %s: cannot create: %s\n", path, strerror(errno));
		return -1;
	}
	setvbuf(w->out, NULL, _IOFBF, 1 << 20);
	size_t n = weir_record_header(hdr, sizeof(hdr), w->fmt, w->cols);
	if (n && fwrite(hdr, 1, n, w->out) != n)
		w->write_errno = errno;
	return 0;
}

static int close_output(struct writer *w)
{
	int rc = 0;
	if (fflush(w->out) != 0 && !w->write_errno)
		w->write_errno = errno;
	if (w->out != stdout && fclose(w->out) != 0 && !w->write_errno)
		w->write_errno = errno;
	if (w->write_errno) {
		fprintf(stderr, "weirctl extract: %s: write failed: %s (%llu records written)\n",
			w->path, strerror(w->write_errno), w->records);
		rc = -1;
	}
	return rc;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int weirctl_extract(int argc, char **argv)
{
	struct extract_args a = { .fmt = WEIR_FMT_CSV };
	struct writer w = { 0 };
	char err[512];

	weir_extract_opts_defaults(&a.opts);
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? WEIRCTL_OK : rc;
	if (a.labels) {
		w.labels = weir_labels_load(a.labels, err, sizeof(err));
		if (!w.labels) {
			fprintf(stderr, "weirctl extract: %s\n", err);
			return WEIRCTL_ERR;
		}
	}
	w.fmt = (enum weir_fmt)a.fmt;
	w.cols = (a.labels ? WEIR_COLS_LABELS : 0) | (a.extra ? WEIR_COLS_EXTRA : 0);
	if (open_output(&w, a.output) < 0) {
		weir_labels_free(w.labels);
		return WEIRCTL_ERR;
	}
	a.opts.progress = a.progress || isatty(STDERR_FILENO) ? stderr : NULL;
	struct weir_extract_stats st;
	double t0 = mono();
	int run = weir_extract_run(&a.opts, argv + optind, argc - optind, write_record, &w, &st);
	double secs = mono() - t0;
	int wrc = close_output(&w);
	if (!a.quiet) {
		weir_extract_print_summary(stderr, &st, secs);
		if (w.labels) {
			struct weir_labels_stats ls;
			weir_labels_get_stats(w.labels, &ls);
			fprintf(stderr, "  labels: %llu rows; %llu records matched, %llu unmatched "
				"(labelled normal), %llu attack records\n",
				(unsigned long long)ls.entries, (unsigned long long)ls.matched,
				(unsigned long long)ls.unmatched, (unsigned long long)ls.attack_records);
		}
	}
	weir_labels_free(w.labels);
	if (run < 0) {
		fprintf(stderr, "weirctl extract: no packets could be read\n");
		return WEIRCTL_ERR;
	}
	return wrc < 0 ? WEIRCTL_ERR : WEIRCTL_OK;
}
