/* Alert files: whole-record appends, size/age rotation, full-disk backlog. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alertlog.h"

struct alog_ent {
	struct alog_ent *next;
	size_t len;
	char data[];
};

struct weir_alog {
	char path[PATH_MAX];
	char *header;
	size_t header_len;
	struct weir_alog_cfg cfg;
	int fd;
	uint64_t size;             /* bytes in the current file */
	time_t opened_at;          /* age rotation counts from here */
	struct alog_ent *head, *tail;
	struct weir_alog_stats st;
};

void weir_alog_cfg_default(struct weir_alog_cfg *c)
{
	c->max_bytes = 64ull << 20;
	c->max_age_s = 86400;
	c->retention = 7;
	c->backlog_bytes = 16ull << 20;
	c->backlog_records = 100000;
}

const char *weir_alog_drop_name(unsigned d)
{
	static const char *const n[WEIR_ALOG_DROP_MAX] = {
		"backlog_bytes", "backlog_records", "io_error" };
	return d < WEIR_ALOG_DROP_MAX ? n[d] : "?";
}

static int open_file(struct weir_alog *a, time_t now, char *err, size_t errlen)
{
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", a->path, strerror(e));
		return -e;
	}
	struct stat sb;
	if (fstat(a->fd, &sb) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: fstat: %s", a->path, strerror(e));
		close(a->fd);
		a->fd = -1;
		return -e;
	}
	a->size = (uint64_t)sb.st_size;
	a->opened_at = now;
	return 0;
}

/* One write(2). 0 written; otherwise the errno (ENOSPC, EDQUOT, ...). A
 * short write (the filesystem filled mid-record) is cut back so the file
 * ends on a record boundary. */
static int put(struct weir_alog *a, const char *buf, size_t len)
{
	if (a->fd < 0) {
		/* A rotation could not create the new file (full disk): retry. */
		char err[PATH_MAX + 64];
		int r = open_file(a, time(NULL), err, sizeof(err));
		if (r < 0)
			return -r;
		if (a->header && a->size == 0 && buf != a->header) {
			int h = put(a, a->header, a->header_len);
			if (h)
				return h;
		}
	}
	ssize_t n;
	do
		n = write(a->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		a->size += len;
		a->st.written++;
		a->st.bytes += len;
		return 0;
	}
	int e = n < 0 ? errno : ENOSPC;   /* a short regular-file write means no space */
	if (n > 0) {
		struct stat sb;
		if (fstat(a->fd, &sb) == 0 && sb.st_size >= n &&
		    ftruncate(a->fd, sb.st_size - n) == 0)
			a->st.partial_cut++;
	}
	return e;
}

static int is_full(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

static void note_full(struct weir_alog *a, int e)
{
	a->st.full_errors++;
	a->st.last_errno = e;
	if (!a->st.full) {
		a->st.full = 1;
		a->st.full_episodes++;
		fprintf(stderr, "weir-control: %s: %s; keeping records in memory "
			"(up to %llu records / %llu bytes) until space returns\n",
			a->path, strerror(e), (unsigned long long)a->cfg.backlog_records,
			(unsigned long long)a->cfg.backlog_bytes);
	}
}

static int backlog_push(struct weir_alog *a, const char *buf, size_t len)
{
	if (a->st.backlog_now >= a->cfg.backlog_records) {
		a->st.dropped[WEIR_ALOG_DROP_BACKLOG_RECORDS]++;
		return -1;
	}
	if (a->st.backlog_bytes_now + len > a->cfg.backlog_bytes) {
		a->st.dropped[WEIR_ALOG_DROP_BACKLOG_BYTES]++;
		return -1;
	}
	struct alog_ent *e = malloc(sizeof(*e) + len);
	if (!e) {
		a->st.dropped[WEIR_ALOG_DROP_BACKLOG_BYTES]++;
		return -1;
	}
	e->next = NULL;
	e->len = len;
	memcpy(e->data, buf, len);
	if (a->tail)
		a->tail->next = e;
	else
		a->head = e;
	a->tail = e;
	a->st.backlog_now++;
	a->st.backlog_bytes_now += len;
	a->st.backlogged++;
	if (a->st.backlog_now > a->st.backlog_peak)
		a->st.backlog_peak = a->st.backlog_now;
	return 1;
}

static int rotate(struct weir_alog *a, time_t now, char *err, size_t errlen);

/* Rotation before a write that would pass max_bytes, and by age. */
static void maybe_rotate(struct weir_alog *a, size_t len, time_t now)
{
	int by_size = a->cfg.max_bytes && a->size > a->header_len &&
		      a->size + len > a->cfg.max_bytes;
	int by_age = a->cfg.max_age_s && a->size > a->header_len &&
		     now - a->opened_at >= (time_t)a->cfg.max_age_s;
	if (by_size || by_age) {
		char err[PATH_MAX + 128];
		if (rotate(a, now, err, sizeof(err)) < 0)
			fprintf(stderr, "weir-control: %s\n", err);
	}
}

/* Write the backlog in order; stops at the first failure. */
static void drain(struct weir_alog *a, time_t now)
{
	while (a->head) {
		struct alog_ent *e = a->head;
		maybe_rotate(a, e->len, now);
		int r = put(a, e->data, e->len);
		if (r) {
			if (is_full(r)) {
				note_full(a, r);
				return;
			}
			/* Not a space problem: this record cannot be written. */
			a->st.dropped[WEIR_ALOG_DROP_IO_ERROR]++;
			a->st.last_errno = r;
		}
		a->head = e->next;
		if (!a->head)
			a->tail = NULL;
		a->st.backlog_now--;
		a->st.backlog_bytes_now -= e->len;
		free(e);
	}
	if (a->st.full) {
		a->st.full = 0;
		fprintf(stderr, "weir-control: %s: space is back, backlog written\n", a->path);
	}
}

static int write_header(struct weir_alog *a, time_t now)
{
	if (!a->header || a->size != 0)
		return 0;
	/* Through the normal path: a full disk backlogs the header too. */
	if (a->head)
		return backlog_push(a, a->header, a->header_len);
	int r = put(a, a->header, a->header_len);
	if (!r)
		return 0;
	if (is_full(r)) {
		note_full(a, r);
		return backlog_push(a, a->header, a->header_len);
	}
	(void)now;
	return -1;
}

static int rotate(struct weir_alog *a, time_t now, char *err, size_t errlen)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	if (a->cfg.retention == 0) {
		if (unlink(a->path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot remove for rotation: %s", a->path,
				 strerror(errno));
			return -1;
		}
	} else {
		snprintf(to, sizeof(to), "%s.%u", a->path, a->cfg.retention);
		(void)unlink(to);
		for (unsigned k = a->cfg.retention; k > 1; k--) {
			snprintf(from, sizeof(from), "%s.%u", a->path, k - 1);
			snprintf(to, sizeof(to), "%s.%u", a->path, k);
			if (rename(from, to) < 0 && errno != ENOENT) {
				snprintf(err, errlen, "%s: cannot rotate to %s: %s", from, to,
					 strerror(errno));
				return -1;
			}
		}
		snprintf(to, sizeof(to), "%s.1", a->path);
		if (rename(a->path, to) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot rotate to %s: %s", a->path, to,
				 strerror(errno));
			return -1;
		}
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (open_file(a, now, err, errlen) < 0)
		return -1;
	a->st.rotations++;
	write_header(a, now);
	return 0;
}

struct weir_alog *weir_alog_open(const char *dir, const char *name,
				 const char *header,
				 const struct weir_alog_cfg *cfg,
				 char *err, size_t errlen)
{
	struct weir_alog *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "%s/%s: out of memory", dir, name);
		return NULL;
	}
	a->fd = -1;
	a->cfg = *cfg;
	if ((size_t)snprintf(a->path, sizeof(a->path), "%s/%s", dir, name) >= sizeof(a->path)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, name);
		free(a);
		return NULL;
	}
	if (header) {
		a->header = strdup(header);
		a->header_len = strlen(header);
	}
	time_t now = time(NULL);
	if (open_file(a, now, err, errlen) < 0) {
		free(a->header);
		free(a);
		return NULL;
	}
	write_header(a, now);
	return a;
}

int weir_alog_write(struct weir_alog *a, const char *line, size_t len, time_t now)
{
	if (a->head) {
		drain(a, now);
		if (a->head)   /* still full: keep the order, queue behind */
			return backlog_push(a, line, len);
	}
	maybe_rotate(a, len, now);
	int r = put(a, line, len);
	if (!r)
		return 0;
	if (is_full(r)) {
		note_full(a, r);
		return backlog_push(a, line, len);
	}
	a->st.last_errno = r;
	a->st.dropped[WEIR_ALOG_DROP_IO_ERROR]++;
	return -1;
}

uint64_t weir_alog_tick(struct weir_alog *a, time_t now)
{
	if (a->head)
		drain(a, now);
	else
		maybe_rotate(a, 0, now);
	return a->st.backlog_now;
}

int weir_alog_rotate(struct weir_alog *a, time_t now, char *err, size_t errlen)
{
	return rotate(a, now, err, errlen);
}

void weir_alog_get_stats(const struct weir_alog *a, struct weir_alog_stats *st)
{
	*st = a->st;
}

const char *weir_alog_path(const struct weir_alog *a)
{
	return a->path;
}

void weir_alog_close(struct weir_alog *a)
{
	if (!a)
		return;
	if (a->head)
		drain(a, time(NULL));
	while (a->head) {
		struct alog_ent *e = a->head;
		a->head = e->next;
		free(e);
	}
	if (a->fd >= 0)
		close(a->fd);
	free(a->header);
	free(a);
}
