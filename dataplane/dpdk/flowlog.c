/* The flow log: one writer thread (not an lcore: it does file I/O and may
 * block on the disk) drains every worker's SP/SC record ring and writes the
 * records with the same writer `weirctl extract` uses (record_io.h), so the
 * files compare equal after sorting. Records of one worker keep their
 * order; workers are interleaved in the order the writer finds them. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include "weir.h"

#define DRAIN_BURST 64
#define FLOWLOG_BUF (1u << 20)

static pthread_t writer_tid;
static size_t pending;   /* bytes in the stdio buffer; the writer's own */

/* Whole lines only reach the file: stdio is flushed before a line would
 * overflow its buffer, so a reader of the file (tail -f, logrotate's
 * copytruncate) never sees half a record at the end. */
static void flush_pending(struct weir_app *app)
{
	if (pending && fflush(app->flow_out) != 0 && !app->flowlog_errno)
		app->flowlog_errno = errno;
	pending = 0;
}

static unsigned drain_once(struct weir_app *app, struct weir_record *buf, char *line, size_t linelen)
{
	unsigned total = 0;
	for (unsigned w = 0; w < app->nworkers; w++) {
		struct rte_ring *r = app->worker[w].flowlog;
		unsigned n = rte_ring_sc_dequeue_burst_elem(r, buf, sizeof(*buf), DRAIN_BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			size_t len = weir_record_format(line, linelen, app->conf->flow_format,
							app->conf->flow_cols, &buf[i]);
			if (app->flowlog_errno)
				continue;
			if (pending + len > FLOWLOG_BUF)
				flush_pending(app);
			pending += len;
			if (len == 0 || fwrite(line, 1, len, app->flow_out) != len)
				app->flowlog_errno = len ? errno : EOVERFLOW;
			else
				app->flowlog_written++;
		}
		total += n;
	}
	return total;
}

static int all_done(struct weir_app *app)
{
	for (unsigned w = 0; w < app->nworkers; w++)
		if (!__atomic_load_n(&app->worker[w].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

static void *writer(void *arg)
{
	struct weir_app *app = arg;
	static struct weir_record buf[DRAIN_BURST];
	static char line[16384];

	for (;;) {
		/* Read `done` before draining: a worker sets it after its last
		 * enqueue, so a drain that follows sees everything. */
		int finished = all_done(app);
		unsigned n = drain_once(app, buf, line, sizeof(line));
		if (finished && n == 0)
			break;
		if (n == 0) {
			/* Idle: what is buffered goes out now, so the file is
			 * at most one idle moment behind the traffic. */
			flush_pending(app);
			usleep(200);
		}
	}
	return NULL;
}

int weir_flowlog_start(struct weir_app *app)
{
	const struct weir_conf *c = app->conf;
	char hdr[8192];

	if (!c->flow_log[0])
		return 0;
	/* O_APPEND: after logrotate's copytruncate the writes land at the new
	 * end of the file, not at the old offset behind a hole of zeros. */
	if (strcmp(c->flow_log, "-")) {
		int fd = open(c->flow_log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		app->flow_out = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (fd >= 0 && !app->flow_out)
			close(fd);
	} else {
		app->flow_out = stdout;
	}
	if (!app->flow_out)
		weir_die("[output] flow_log = '%s': cannot create: %s; pick a writable path",
			 c->flow_log, strerror(errno));
	setvbuf(app->flow_out, NULL, _IOFBF, FLOWLOG_BUF);
	size_t n = weir_record_header(hdr, sizeof(hdr), c->flow_format, c->flow_cols);
	if (n && fwrite(hdr, 1, n, app->flow_out) != n)
		app->flowlog_errno = errno;
	pending = n;
	app->flowlog_running = 1;
	if (pthread_create(&writer_tid, NULL, writer, app) != 0)
		weir_die("cannot start the flow-log writer thread");
	pthread_setname_np(writer_tid, "weir-flowlog");
	return 0;
}

void weir_flowlog_stop(struct weir_app *app)
{
	if (!app->flowlog_running)
		return;
	pthread_join(writer_tid, NULL);
	app->flowlog_running = 0;
	if (fflush(app->flow_out) != 0 && !app->flowlog_errno)
		app->flowlog_errno = errno;
	if (app->flow_out != stdout && fclose(app->flow_out) != 0 && !app->flowlog_errno)
		app->flowlog_errno = errno;
	if (app->flowlog_errno)
		weir_warn("flow log %s: write failed: %s (%llu records written)", app->conf->flow_log,
			  strerror(app->flowlog_errno), (unsigned long long)app->flowlog_written);
}
