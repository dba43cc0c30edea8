/* Shared-memory record rings: a consumer in another process, which never
 * initialises the EAL, gets every record; a full ring counts its drops
 * exactly; a restarted producer is picked up by generation. */
#include <check.h>
#include <dirent.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "weir_shm.h"

static char inst[64];

/* Each test runs in its own forked process: the instance name carries the
 * runner's pid (so the runner can clean up) and the test's. */
static void setup(void)
{
	snprintf(inst, sizeof(inst), "test-%d-%d", (int)getppid(), (int)getpid());
}

/* In the runner, after the tests (also failed ones, which cannot clean up
 * themselves): remove every segment a test of this run left behind. */
static void cleanup_segments(void)
{
	char prefix[64], path[512];
	snprintf(prefix, sizeof(prefix), "weir-test-%d-", (int)getpid());
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "/%s", e->d_name);
			shm_unlink(path);
		}
	closedir(d);
}

static struct weir_record rec_n(uint64_t id, unsigned worker)
{
	struct weir_record r;
	memset(&r, 0, sizeof(r));
	r.flow_id = id;
	r.worker = (uint16_t)worker;
	r.sbytes = id * 3;
	snprintf(r.attack_cat, sizeof(r.attack_cat), "r%llu", (unsigned long long)id);
	return r;
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Child: attach, read `expect` records of (worker 1, sample) in order.
 * Exit status 0 when all arrived intact. */
static int consume_child(unsigned expect)
{
	char err[256];
	struct weir_shm_consumer *c = NULL;
	struct weir_record buf[64];
	uint64_t next = 1;

	for (int tries = 0; !c && tries < 2000; tries++) {
		c = weir_shm_consumer_open(inst, err, sizeof(err));
		if (!c)
			usleep(1000);
	}
	if (!c)
		return 10;
	unsigned ring = weir_shm_ring_index(1, WEIR_SHM_SAMPLE);
	/* Give up after 60 s (a loaded CI host may lend our CPU away). */
	time_t deadline = time(NULL) + 60;
	for (long spins = 0; next <= expect; spins++) {
		if ((spins & 0xffff) == 0 && time(NULL) > deadline)
			break;
		unsigned got = weir_shm_pop(c, ring, buf, 64);
		for (unsigned i = 0; i < got; i++) {
			char want[22];
			snprintf(want, sizeof(want), "r%llu", (unsigned long long)next);
			if (buf[i].flow_id != next || buf[i].sbytes != next * 3 ||
			    buf[i].worker != 1 || strcmp(buf[i].attack_cat, want))
				return 11;
			next++;
		}
	}
	weir_shm_consumer_close(c);
	return next == expect + 1 ? 0 : 12;
}

START_TEST(second_process_gets_every_record)
{
	char err[256];
	const unsigned total = 200000;
	struct weir_shm_producer *p = weir_shm_producer_create(inst, 2, 256, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	const struct weir_shm_hdr *h = weir_shm_producer_hdr(p);
	unsigned ring = weir_shm_ring_index(1, WEIR_SHM_SAMPLE);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(consume_child(total));

	/* The producer never blocks; this test paces it so the consumer keeps
	 * up (at most half a ring in flight) and then nothing may drop. */
	uint64_t id = 1;
	time_t deadline = time(NULL) + 60;
	while (id <= total) {
		if (load64(&h->rings[ring].enqueued) - load64(&h->rings[ring].dequeued) > 120) {
			ck_assert_msg(time(NULL) <= deadline, "consumer stopped taking records");
			continue;
		}
		struct weir_record b[16];
		unsigned n = 0;
		while (n < 16 && id + n <= total) {
			b[n] = rec_n(id + n, 1);
			n++;
		}
		ck_assert_uint_eq(weir_shm_push(p, 1, WEIR_SHM_SAMPLE, b, n), n);
		id += n;
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(h->rings[ring].enqueued, total);
	ck_assert_uint_eq(h->rings[ring].dropped, 0);
	ck_assert_uint_eq(h->rings[ring].dequeued, total);
	/* The other rings saw nothing. */
	ck_assert_uint_eq(h->rings[weir_shm_ring_index(0, WEIR_SHM_SAMPLE)].enqueued, 0);
	weir_shm_producer_close(p);
}
END_TEST

START_TEST(stalled_consumer_drop_count_is_exact)
{
	char err[256];
	struct weir_shm_producer *p = weir_shm_producer_create(inst, 2, 64, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	const struct weir_shm_hdr *h = weir_shm_producer_hdr(p);
	unsigned ring = weir_shm_ring_index(1, WEIR_SHM_SAMPLE);

	/* 64 slots hold 63 records; nobody reads. */
	for (uint64_t id = 1; id <= 1000; id++) {
		struct weir_record r = rec_n(id, 1);
		weir_shm_push(p, 1, WEIR_SHM_SAMPLE, &r, 1);
	}
	ck_assert_uint_eq(h->rings[ring].enqueued, 63);
	ck_assert_uint_eq(h->rings[ring].dropped, 937);

	/* The consumer, in its own process, sees exactly the first 63. */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(consume_child(63));
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* Space again: the next record goes in, the count does not move. */
	struct weir_record r = rec_n(64, 1);
	ck_assert_uint_eq(weir_shm_push(p, 1, WEIR_SHM_SAMPLE, &r, 1), 1);
	ck_assert_uint_eq(h->rings[ring].dropped, 937);
	weir_shm_producer_close(p);
}
END_TEST

START_TEST(restarted_producer_is_remapped_after_drain)
{
	char err[256];
	struct weir_record buf[8];
	struct weir_shm_producer *a = weir_shm_producer_create(inst, 1, 64, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	for (uint64_t id = 1; id <= 5; id++) {
		struct weir_record r = rec_n(id, 0);
		weir_shm_push(a, 0, WEIR_SHM_ANOMALY, &r, 1);
	}
	struct weir_shm_consumer *c = weir_shm_consumer_open(inst, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	uint64_t gen_a = weir_shm_consumer_hdr(c)->generation;
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_SAME);

	/* A new producer takes the name (the old one is marked stale). */
	struct weir_shm_producer *b = weir_shm_producer_create(inst, 2, 64, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	struct weir_record r100 = rec_n(100, 1);
	weir_shm_push(b, 1, WEIR_SHM_ANOMALY, &r100, 1);

	/* Old records are drained before the switch. */
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_SAME);
	ck_assert_uint_eq(weir_shm_pop_kind(c, WEIR_SHM_ANOMALY, buf, 8), 5);
	ck_assert_uint_eq(buf[4].flow_id, 5);
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_REMAPPED);
	ck_assert_uint_gt(weir_shm_consumer_hdr(c)->generation, gen_a);
	ck_assert_uint_eq(weir_shm_consumer_hdr(c)->workers, 2);
	ck_assert_uint_eq(weir_shm_pop_kind(c, WEIR_SHM_ANOMALY, buf, 8), 1);
	ck_assert_uint_eq(buf[0].flow_id, 100);

	/* The old producer's exit must not unlink the new one's segment. */
	weir_shm_producer_close(a);
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_SAME);

	/* Clean exit of the current producer: gone until a new one starts. */
	weir_shm_producer_close(b);
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_GONE);
	weir_shm_consumer_close(c);
}
END_TEST

START_TEST(dead_producer_is_noticed)
{
	char err[256];
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct weir_shm_producer *p = weir_shm_producer_create(inst, 1, 64, err, sizeof(err));
		struct weir_record r = rec_n(7, 0);
		if (!p)
			_exit(1);
		weir_shm_push(p, 0, WEIR_SHM_SAMPLE, &r, 1);
		_exit(0);   /* dies without closing: the segment stays */
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	struct weir_shm_consumer *c = weir_shm_consumer_open(inst, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	struct weir_record buf[4];
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_SAME); /* one record left */
	ck_assert_uint_eq(weir_shm_pop_kind(c, WEIR_SHM_SAMPLE, buf, 4), 1);
	ck_assert_uint_eq(buf[0].flow_id, 7);
	ck_assert_int_eq(weir_shm_consumer_check(c), WEIR_SHM_GONE);
	weir_shm_consumer_close(c);
	char name[96];
	snprintf(name, sizeof(name), "/weir-%s", inst);
	shm_unlink(name);
}
END_TEST

START_TEST(bad_names_and_sizes_are_refused)
{
	char err[256] = "";
	ck_assert_ptr_null(weir_shm_producer_create("a/b", 1, 64, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "a/b"));
	ck_assert_ptr_null(weir_shm_producer_create(inst, 1, 100, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "power of two"));
	ck_assert_ptr_null(weir_shm_producer_create(inst, 0, 64, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "workers"));
	ck_assert_ptr_null(weir_shm_consumer_open(inst, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, inst));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shmring");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_unchecked_fixture(tc, NULL, cleanup_segments);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, second_process_gets_every_record);
	tcase_add_test(tc, stalled_consumer_drop_count_is_exact);
	tcase_add_test(tc, restarted_producer_is_remapped_after_drain);
	tcase_add_test(tc, dead_producer_is_noticed);
	tcase_add_test(tc, bad_names_and_sizes_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
