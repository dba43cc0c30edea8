/* weir-shmcat: print the records a running weir puts in its shm rings, as
 * flow-log CSV/JSONL. An operator's look into what weir-control receives,
 * and the second process of the ring tests: it never initialises the EAL.
 *
 *   weir-shmcat NAME [--kind anomaly|sample|all] [--format csv|jsonl]
 *               [--wait S] [--stall] [--count N] [--stats]
 *
 * Waits up to --wait seconds (default 10) for the segment, then prints
 * records until the producer exits and the rings are drained (or --count
 * records were printed). --stall maps the segment but reads nothing until
 * the producer is gone: the rings fill up and the producer must count the
 * drops exactly. --stats prints the header counters on stderr at the end:
 * "ring W/KIND enqueued E dropped D dequeued Q". */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "record_io.h"
#include "weir_shm.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fputs("usage: weir-shmcat NAME [--kind anomaly|sample|all] [--format csv|jsonl]\n"
	      "                   [--wait S] [--stall] [--count N] [--stats]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, 0, 'k' },
		{ "format", required_argument, 0, 'f' },
		{ "wait", required_argument, 0, 'w' },
		{ "stall", no_argument, 0, 's' },
		{ "count", required_argument, 0, 'n' },
		{ "stats", no_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int kind = -1, fmt = WEIR_FMT_CSV, stall = 0, stats = 0, c;
	double wait_s = 10;
	unsigned long long count = 0, printed = 0;
	char err[512];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!strcmp(optarg, "anomaly")) kind = WEIR_SHM_ANOMALY;
			else if (!strcmp(optarg, "sample")) kind = WEIR_SHM_SAMPLE;
			else if (!strcmp(optarg, "all")) kind = -1;
			else { fprintf(stderr, "weir-shmcat: --kind '%s': expected anomaly, sample or all\n", optarg); return 2; }
			break;
		case 'f':
			fmt = weir_fmt_parse(optarg);
			if (fmt < 0) { fprintf(stderr, "weir-shmcat: --format '%s': expected csv or jsonl\n", optarg); return 2; }
			break;
		case 'w': wait_s = atof(optarg); break;
		case 's': stall = 1; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'S': stats = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	struct weir_shm_consumer *con = NULL;
	double deadline = now_s() + wait_s;
	while (!(con = weir_shm_consumer_open(name, err, sizeof(err)))) {
		if (now_s() > deadline) {
			fprintf(stderr, "weir-shmcat: %s\n", err);
			return 1;
		}
		usleep(1000);
	}

	static char line[16384];
	static struct weir_record buf[64];
	size_t n = weir_record_header(line, sizeof(line), (enum weir_fmt)fmt, WEIR_COLS_EXTRA);
	fwrite(line, 1, n, stdout);
	for (;;) {
		unsigned got = 0;
		enum weir_shm_check chk = WEIR_SHM_SAME;
		if (!stall) {
			const struct weir_shm_hdr *h = weir_shm_consumer_hdr(con);
			for (unsigned r = 0; r < h->ring_count; r++) {
				if (kind >= 0 && h->rings[r].kind != (unsigned)kind)
					continue;
				unsigned k = weir_shm_pop(con, r, buf, 64);
				for (unsigned i = 0; i < k; i++) {
					n = weir_record_format(line, sizeof(line), (enum weir_fmt)fmt, WEIR_COLS_EXTRA, &buf[i]);
					fwrite(line, 1, n, stdout);
				}
				got += k;
			}
			printed += got;
			if (count && printed >= count)
				break;
		}
		if (got)
			continue;
		/* Only decide we are done once the rings are empty. */
		const struct weir_shm_hdr *h = weir_shm_consumer_hdr(con);
		int st = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
		if (stall && st != WEIR_SHM_READY) {
			stall = 0;   /* producer gone: now drain what the rings kept */
			continue;
		}
		if (!stall)
			chk = weir_shm_consumer_check(con);
		if (chk == WEIR_SHM_GONE)
			break;
		usleep(500);
	}
	fflush(stdout);
	if (stats) {
		const struct weir_shm_hdr *h = weir_shm_consumer_hdr(con);
		for (unsigned r = 0; r < h->ring_count; r++)
			fprintf(stderr, "ring %u/%s enqueued %llu dropped %llu dequeued %llu\n",
				h->rings[r].worker, h->rings[r].kind == WEIR_SHM_ANOMALY ? "anomaly" : "sample",
				(unsigned long long)h->rings[r].enqueued, (unsigned long long)h->rings[r].dropped,
				(unsigned long long)h->rings[r].dequeued);
	}
	weir_shm_consumer_close(con);
	return 0;
}
