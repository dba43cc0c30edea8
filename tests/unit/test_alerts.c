/* Alert files: whole lines, rotation by size and age, full-disk backlog. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alertlog.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	char tmp[4096];
	while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (n + r + 1 > cap) {
			cap = (n + r + 1) * 2;
			buf = realloc(buf, cap);
		}
		memcpy(buf + n, tmp, r);
		n += r;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[n] = 0;
	*len = n;
	return buf;
}

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/weir-alerts-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* record i as a fixed-width line, so the test can check order and wholeness */
static size_t line(char *buf, size_t cap, unsigned i, size_t width)
{
	int n = snprintf(buf, cap, "{\"seq\":%08u,\"pad\":\"", i);
	size_t len = (size_t)n;
	while (len < width - 3)
		buf[len++] = 'x';
	buf[len++] = '"';
	buf[len++] = '}';
	buf[len++] = '\n';
	return len;
}

/* every line whole, fixed width, sequence increasing by one from *next */
static unsigned check_lines(const char *path, const char *header, size_t width,
			    unsigned *next)
{
	size_t n;
	char *s = slurp(path, &n);
	ck_assert_msg(s != NULL, "%s missing", path);
	const char *p = s;
	if (header) {
		size_t hl = strlen(header);
		ck_assert_msg(n >= hl && !memcmp(s, header, hl), "%s: no header", path);
		p += hl;
	}
	unsigned lines = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "%s: partial last line", path);
		ck_assert_uint_eq((size_t)(nl - p + 1), width);
		unsigned seq;
		ck_assert_int_eq(sscanf(p, "{\"seq\":%u", &seq), 1);
		ck_assert_uint_eq(seq, *next);
		(*next)++;
		lines++;
		p = nl + 1;
	}
	free(s);
	return lines;
}

START_TEST(whole_lines_and_header)
{
	mkdir_tmp();
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	char err[256], buf[256];
	struct weir_alog *a = weir_alog_open(dir, "summary.csv", "a,b\n", &c, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	for (unsigned i = 0; i < 1000; i++) {
		size_t l = line(buf, sizeof(buf), i, 64);
		ck_assert_int_eq(weir_alog_write(a, buf, l, 1000), 0);
	}
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.written, 1001);   /* header + 1000 */
	weir_alog_close(a);
	/* reopening an existing file appends without a second header */
	a = weir_alog_open(dir, "summary.csv", "a,b\n", &c, err, sizeof(err));
	size_t l = line(buf, sizeof(buf), 1000, 64);
	ck_assert_int_eq(weir_alog_write(a, buf, l, 1000), 0);
	weir_alog_close(a);
	char path[128];
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	unsigned next = 0;
	ck_assert_uint_eq(check_lines(path, "a,b\n", 64, &next), 1001);
	rm_tmp();
}
END_TEST

START_TEST(rotation_by_size_keeps_retention)
{
	mkdir_tmp();
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	c.max_bytes = 1000;
	c.retention = 3;
	char err[256], buf[256], path[160];
	struct weir_alog *a = weir_alog_open(dir, "anomalies.jsonl", NULL, &c, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	for (unsigned i = 0; i < 100; i++) {
		size_t l = line(buf, sizeof(buf), i, 100);
		ck_assert_int_eq(weir_alog_write(a, buf, l, 1000), 0);
	}
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.rotations, 9);   /* 10 records per 1000-byte file */
	weir_alog_close(a);
	snprintf(path, sizeof(path), "%s/anomalies.jsonl.4", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* oldest kept first: .3 holds 60..69, .2 70..79, .1 80..89, live 90..99 */
	unsigned next = 60;
	for (int k = 3; k >= 0; k--) {
		if (k)
			snprintf(path, sizeof(path), "%s/anomalies.jsonl.%d", dir, k);
		else
			snprintf(path, sizeof(path), "%s/anomalies.jsonl", dir);
		ck_assert_uint_eq(check_lines(path, NULL, 100, &next), 10);
	}
	ck_assert_uint_eq(next, 100);
	rm_tmp();
}
END_TEST

START_TEST(rotation_by_age_and_forced)
{
	mkdir_tmp();
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	c.max_age_s = 10;
	c.retention = 2;
	char err[256], buf[256], path[160];
	struct weir_alog *a = weir_alog_open(dir, "summary.csv", "h\n", &c, err, sizeof(err));
	time_t t0 = time(NULL);
	size_t l = line(buf, sizeof(buf), 0, 40);
	weir_alog_write(a, buf, l, t0);
	weir_alog_tick(a, t0 + 5);
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.rotations, 0);
	weir_alog_tick(a, t0 + 11);
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.rotations, 1);
	/* a file with only its header is not rotated by age */
	weir_alog_tick(a, t0 + 100);
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.rotations, 1);
	l = line(buf, sizeof(buf), 1, 40);
	weir_alog_write(a, buf, l, t0 + 100);
	ck_assert_int_eq(weir_alog_rotate(a, t0 + 100, err, sizeof(err)), 0);
	weir_alog_close(a);
	unsigned next = 0;
	snprintf(path, sizeof(path), "%s/summary.csv.2", dir);
	ck_assert_uint_eq(check_lines(path, "h\n", 40, &next), 1);
	snprintf(path, sizeof(path), "%s/summary.csv.1", dir);
	ck_assert_uint_eq(check_lines(path, "h\n", 40, &next), 1);
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	ck_assert_uint_eq(check_lines(path, "h\n", 40, &next), 0);
	rm_tmp();
}
END_TEST

START_TEST(open_failure_names_the_path)
{
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	char err[256] = "";
	ck_assert_ptr_null(weir_alog_open("/nonexistent/dir", "events.jsonl", NULL, &c,
					  err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/events.jsonl"));
}
END_TEST

/* A 64 KiB tmpfs mounted for the test: the real ENOSPC path. */
static int mount_small(void)
{
	mkdir_tmp();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700") < 0) {
		fprintf(stderr, "cannot mount a test tmpfs (%s): needs root\n", strerror(errno));
		rm_tmp();
		return -1;
	}
	return 0;
}

static void unmount_small(void)
{
	ck_assert_int_eq(umount2(dir, MNT_DETACH), 0);
	rm_tmp();
}

static void fill(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	char blk[1024];
	memset(blk, 'f', sizeof(blk));
	while (write(fd, blk, sizeof(blk)) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);
}

START_TEST(full_disk_backlog_then_recovery)
{
	if (mount_small() < 0) {
		ck_abort_msg("test tmpfs not available");
		return;
	}
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	char err[256], buf[2048], path[160], filler[160];
	struct weir_alog *a = weir_alog_open(dir, "anomalies.jsonl", NULL, &c, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	/* a few records in, then the filesystem fills up */
	unsigned i = 0;
	for (; i < 5; i++)
		ck_assert_int_eq(weir_alog_write(a, buf, line(buf, sizeof(buf), i, 1000), 1), 0);
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fill(filler);
	int backlogged = 0;
	for (; i < 60; i++) {
		int r = weir_alog_write(a, buf, line(buf, sizeof(buf), i, 1000), 1);
		ck_assert_int_ge(r, 0);
		backlogged += r;
	}
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	ck_assert_int_eq(st.full, 1);
	ck_assert_uint_eq(st.full_episodes, 1);
	ck_assert_uint_ge(st.full_errors, 1);
	ck_assert_uint_eq(st.backlog_now, (uint64_t)backlogged);
	ck_assert_int_gt(backlogged, 0);
	/* the file on disk holds only whole records, in order */
	snprintf(path, sizeof(path), "%s/anomalies.jsonl", dir);
	unsigned next = 0;
	unsigned on_disk = check_lines(path, NULL, 1000, &next);
	ck_assert_uint_eq(on_disk + (unsigned)backlogged, 60);
	/* still full: tick keeps them */
	ck_assert_uint_eq(weir_alog_tick(a, 2), (uint64_t)backlogged);
	/* space returns */
	ck_assert_int_eq(unlink(filler), 0);
	ck_assert_uint_eq(weir_alog_tick(a, 3), 0);
	weir_alog_get_stats(a, &st);
	ck_assert_int_eq(st.full, 0);
	ck_assert_uint_eq(st.written, 60);
	for (unsigned k = 0; k < WEIR_ALOG_DROP_MAX; k++)
		ck_assert_uint_eq(st.dropped[k], 0);
	next = 0;
	ck_assert_uint_eq(check_lines(path, NULL, 1000, &next), 60);
	weir_alog_close(a);
	unmount_small();
}
END_TEST

START_TEST(backlog_overflow_counted_by_reason)
{
	if (mount_small() < 0) {
		ck_abort_msg("test tmpfs not available");
		return;
	}
	struct weir_alog_cfg c;
	weir_alog_cfg_default(&c);
	c.backlog_records = 5;
	c.backlog_bytes = 1u << 20;
	char err[256], buf[2048], path[160], filler[160];
	struct weir_alog *a = weir_alog_open(dir, "events.jsonl", NULL, &c, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fill(filler);
	int dropped = 0;
	for (unsigned i = 0; i < 20; i++)
		if (weir_alog_write(a, buf, line(buf, sizeof(buf), i, 500), 1) < 0)
			dropped++;
	struct weir_alog_stats st;
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.backlog_now, 5);
	ck_assert_uint_eq(st.dropped[WEIR_ALOG_DROP_BACKLOG_RECORDS], (uint64_t)dropped);
	ck_assert_uint_eq(st.written + st.backlog_now + (uint64_t)dropped, 20);
	weir_alog_close(a);

	/* the byte bound: 3 records of 500 bytes fit in 1600 */
	c.backlog_records = 1000;
	c.backlog_bytes = 1600;
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	unlink(path);
	a = weir_alog_open(dir, "events.jsonl", NULL, &c, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	for (unsigned i = 0; i < 10; i++)
		weir_alog_write(a, buf, line(buf, sizeof(buf), i, 500), 1);
	weir_alog_get_stats(a, &st);
	ck_assert_uint_eq(st.backlog_bytes_now, 1500);
	ck_assert_uint_eq(st.dropped[WEIR_ALOG_DROP_BACKLOG_BYTES], 7);
	ck_assert_uint_eq(st.dropped[WEIR_ALOG_DROP_BACKLOG_RECORDS], 0);
	unlink(filler);
	weir_alog_tick(a, 2);
	weir_alog_close(a);
	unsigned next = 0;
	ck_assert_uint_eq(check_lines(path, NULL, 500, &next), 3);
	unmount_small();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alerts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, whole_lines_and_header);
	tcase_add_test(tc, rotation_by_size_keeps_retention);
	tcase_add_test(tc, rotation_by_age_and_forced);
	tcase_add_test(tc, open_failure_names_the_path);
	tcase_add_test(tc, full_disk_backlog_then_recovery);
	tcase_add_test(tc, backlog_overflow_counted_by_reason);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
