/* Shared-memory record rings: see weir_shm.h for the layout and protocol.
 *
 * Only rte_ring_init() and the inline ring functions are used, over memory
 * we map ourselves, so neither side needs the EAL: the dataplane happens to
 * have it, weir-control must not. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "weir_shm.h"

_Static_assert(sizeof(struct weir_record) % 4 == 0,
	       "rte_ring elements must be a multiple of 4 bytes");
_Static_assert(sizeof(struct weir_shm_hdr) <= 16384, "shm header too large");

/* Rings start on page boundaries: rte_ring wants cache-line alignment and
 * page alignment keeps each ring's hot indices away from the header. */
#define SEG_ALIGN 4096u
#define HDR_SPACE ((sizeof(struct weir_shm_hdr) + SEG_ALIGN - 1) & ~(size_t)(SEG_ALIGN - 1))

struct weir_shm_producer {
	char name[80];
	struct weir_shm_hdr *hdr;
	size_t size;
	struct rte_ring *ring[WEIR_SHM_MAX_RINGS];
};

struct weir_shm_consumer {
	char name[80];
	struct weir_shm_hdr *hdr;
	size_t size;
	uint64_t generation;
	unsigned rr[WEIR_SHM_KINDS];    /* round-robin cursor per kind */
	struct rte_ring *ring[WEIR_SHM_MAX_RINGS];
};

static int seg_name(const char *instance, char *out, size_t outlen,
		    char *err, size_t errlen)
{
	size_t n = instance ? strlen(instance) : 0;
	if (n == 0 || n > 64) {
		snprintf(err, errlen, "shm instance name '%s': must be 1-64 characters",
			 instance ? instance : "");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = instance[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) {
			snprintf(err, errlen, "shm instance name '%s': only letters, digits, '-', '_' and '.' are allowed",
				 instance);
			return -1;
		}
	}
	snprintf(out, outlen, "/weir-%s", instance);
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Map an existing segment read-write after checking its header. */
static struct weir_shm_hdr *map_existing(const char *name, size_t *size,
					 char *err, size_t errlen)
{
	int fd = shm_open(name, O_RDWR, 0);
	struct stat st;
	struct weir_shm_hdr *hdr;

	if (fd < 0) {
		snprintf(err, errlen, "shm %s: %s", name, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct weir_shm_hdr)) {
		snprintf(err, errlen, "shm %s: too small to be a weir segment (%lld bytes)",
			 name, (long long)st.st_size);
		close(fd);
		return NULL;
	}
	hdr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (hdr == MAP_FAILED) {
		snprintf(err, errlen, "shm %s: mmap: %s", name, strerror(errno));
		return NULL;
	}
	if (hdr->magic != WEIR_SHM_MAGIC || hdr->version != WEIR_SHM_VERSION) {
		snprintf(err, errlen, "shm %s: not a weir ring segment of version %d",
			 name, WEIR_SHM_VERSION);
		munmap(hdr, (size_t)st.st_size);
		return NULL;
	}
	if (hdr->seg_size != (uint64_t)st.st_size) {
		snprintf(err, errlen, "shm %s: header says %llu bytes, segment has %lld (still being built?)",
			 name, (unsigned long long)hdr->seg_size, (long long)st.st_size);
		munmap(hdr, (size_t)st.st_size);
		return NULL;
	}
	*size = (size_t)st.st_size;
	return hdr;
}

struct weir_shm_producer *weir_shm_producer_create(const char *instance,
						   unsigned workers, unsigned slots,
						   char *err, size_t errlen)
{
	struct weir_shm_producer *p;
	struct weir_shm_hdr *old, *hdr;
	uint64_t generation = realtime_ns();
	unsigned nrings;
	ssize_t ring_mem;
	size_t ring_space, size, old_size;
	int fd;

	if (slots == 0)
		slots = WEIR_SHM_DEFAULT_SLOTS;
	if (slots < 2 || (slots & (slots - 1))) {
		snprintf(err, errlen, "shm ring size %u: must be a power of two >= 2", slots);
		return NULL;
	}
	nrings = workers * WEIR_SHM_KINDS;
	if (workers == 0 || nrings > WEIR_SHM_MAX_RINGS) {
		snprintf(err, errlen, "shm: %u workers: must be 1-%d", workers,
			 WEIR_SHM_MAX_RINGS / WEIR_SHM_KINDS);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "shm: out of memory");
		return NULL;
	}
	if (seg_name(instance, p->name, sizeof(p->name), err, errlen) < 0)
		goto fail;

	/* A previous incarnation's segment: tell its consumers it is stale
	 * and take over the name with a newer generation. */
	old = map_existing(p->name, &old_size, err, errlen);
	if (old) {
		if (old->generation >= generation)
			generation = old->generation + 1;
		__atomic_store_n(&old->state, WEIR_SHM_STALE, __ATOMIC_RELEASE);
		munmap(old, old_size);
	}
	shm_unlink(p->name);

	ring_mem = rte_ring_get_memsize_elem(sizeof(struct weir_record), slots);
	if (ring_mem < 0) {
		snprintf(err, errlen, "shm %s: ring of %u records: invalid size", p->name, slots);
		goto fail;
	}
	ring_space = ((size_t)ring_mem + SEG_ALIGN - 1) & ~(size_t)(SEG_ALIGN - 1);
	size = HDR_SPACE + ring_space * nrings;

	fd = shm_open(p->name, O_CREAT | O_EXCL | O_RDWR, 0660);
	if (fd < 0) {
		snprintf(err, errlen, "shm %s: create: %s", p->name, strerror(errno));
		goto fail;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		snprintf(err, errlen, "shm %s: cannot size to %zu bytes: %s (is /dev/shm full?)",
			 p->name, size, strerror(errno));
		close(fd);
		shm_unlink(p->name);
		goto fail;
	}
	hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (hdr == MAP_FAILED) {
		snprintf(err, errlen, "shm %s: mmap: %s", p->name, strerror(errno));
		shm_unlink(p->name);
		goto fail;
	}
	p->hdr = hdr;
	p->size = size;

	/* ftruncate zero-filled the segment; the state stays INIT until the
	 * rings are built. seg_size is written last so a consumer that maps it
	 * early sees a mismatch and retries. */
	hdr->version = WEIR_SHM_VERSION;
	hdr->record_size = sizeof(struct weir_record);
	hdr->ring_count = nrings;
	hdr->ring_slots = slots;
	hdr->workers = workers;
	hdr->producer_pid = (int32_t)getpid();
	hdr->generation = generation;
	for (unsigned i = 0; i < nrings; i++) {
		struct weir_shm_ring_info *ri = &hdr->rings[i];
		char rname[RTE_RING_NAMESIZE];

		ri->offset = HDR_SPACE + ring_space * i;
		ri->worker = i / WEIR_SHM_KINDS;
		ri->kind = i % WEIR_SHM_KINDS;
		p->ring[i] = (struct rte_ring *)((char *)hdr + ri->offset);
		snprintf(rname, sizeof(rname), "weir-w%u-%s", ri->worker,
			 ri->kind == WEIR_SHM_ANOMALY ? "anom" : "sample");
		if (rte_ring_init(p->ring[i], rname, slots,
				  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
			snprintf(err, errlen, "shm %s: rte_ring_init of ring %u failed", p->name, i);
			weir_shm_producer_close(p);
			return NULL;
		}
	}
	hdr->seg_size = size;
	hdr->magic = WEIR_SHM_MAGIC;
	__atomic_store_n(&hdr->state, WEIR_SHM_READY, __ATOMIC_RELEASE);
	return p;
fail:
	free(p);
	return NULL;
}

unsigned weir_shm_push(struct weir_shm_producer *p, unsigned worker,
		       enum weir_shm_kind kind, const struct weir_record *recs,
		       unsigned n)
{
	unsigned idx = weir_shm_ring_index(worker, kind);
	struct weir_shm_ring_info *ri;
	unsigned done;

	if (idx >= p->hdr->ring_count)
		return 0;
	ri = &p->hdr->rings[idx];
	done = rte_ring_enqueue_burst_elem(p->ring[idx], recs, sizeof(*recs), n, NULL);
	/* Single writer per ring: a relaxed read-modify-store is exact. */
	if (done)
		__atomic_store_n(&ri->enqueued, ri->enqueued + done, __ATOMIC_RELAXED);
	if (done < n)
		__atomic_store_n(&ri->dropped, ri->dropped + (n - done), __ATOMIC_RELAXED);
	return done;
}

const struct weir_shm_hdr *weir_shm_producer_hdr(const struct weir_shm_producer *p)
{
	return p->hdr;
}

const char *weir_shm_producer_name(const struct weir_shm_producer *p)
{
	return p->name;
}

void weir_shm_producer_close(struct weir_shm_producer *p)
{
	if (!p)
		return;
	if (p->hdr) {
		/* Only unlink the name if it is still ours: a newer producer
		 * may already have replaced us (and marked us stale). */
		int ours = __atomic_load_n(&p->hdr->state, __ATOMIC_ACQUIRE) != WEIR_SHM_STALE;
		__atomic_store_n(&p->hdr->state, WEIR_SHM_CLOSED, __ATOMIC_RELEASE);
		munmap(p->hdr, p->size);
		if (ours)
			shm_unlink(p->name);
	}
	free(p);
}

/* ---- consumer ---- */

static int attach(struct weir_shm_consumer *c, char *err, size_t errlen)
{
	size_t size;
	struct weir_shm_hdr *hdr = map_existing(c->name, &size, err, errlen);

	if (!hdr)
		return -1;
	if (__atomic_load_n(&hdr->state, __ATOMIC_ACQUIRE) == WEIR_SHM_INIT) {
		snprintf(err, errlen, "shm %s: producer still initialising", c->name);
		munmap(hdr, size);
		return -1;
	}
	if (hdr->record_size != sizeof(struct weir_record)) {
		snprintf(err, errlen, "shm %s: producer's record is %u bytes, ours %zu: rebuild weir and weir-control from the same tree",
			 c->name, hdr->record_size, sizeof(struct weir_record));
		munmap(hdr, size);
		return -1;
	}
	if (hdr->ring_count > WEIR_SHM_MAX_RINGS) {
		snprintf(err, errlen, "shm %s: corrupt header (%u rings)", c->name, hdr->ring_count);
		munmap(hdr, size);
		return -1;
	}
	for (unsigned i = 0; i < hdr->ring_count; i++) {
		if (hdr->rings[i].offset + sizeof(struct rte_ring) > size) {
			snprintf(err, errlen, "shm %s: corrupt header (ring %u outside the segment)",
				 c->name, i);
			munmap(hdr, size);
			return -1;
		}
		c->ring[i] = (struct rte_ring *)((char *)hdr + hdr->rings[i].offset);
	}
	c->hdr = hdr;
	c->size = size;
	c->generation = hdr->generation;
	memset(c->rr, 0, sizeof(c->rr));
	return 0;
}

struct weir_shm_consumer *weir_shm_consumer_open(const char *instance,
						 char *err, size_t errlen)
{
	struct weir_shm_consumer *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "shm: out of memory");
		return NULL;
	}
	if (seg_name(instance, c->name, sizeof(c->name), err, errlen) < 0 ||
	    attach(c, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

unsigned weir_shm_pop(struct weir_shm_consumer *c, unsigned ring,
		      struct weir_record *recs, unsigned max)
{
	struct weir_shm_ring_info *ri;
	unsigned got;

	if (ring >= c->hdr->ring_count)
		return 0;
	got = rte_ring_dequeue_burst_elem(c->ring[ring], recs, sizeof(*recs), max, NULL);
	if (got) {
		ri = &c->hdr->rings[ring];
		__atomic_store_n(&ri->dequeued, ri->dequeued + got, __ATOMIC_RELAXED);
	}
	return got;
}

unsigned weir_shm_pop_kind(struct weir_shm_consumer *c, enum weir_shm_kind kind,
			   struct weir_record *recs, unsigned max)
{
	unsigned workers = c->hdr->workers, total = 0;

	if ((unsigned)kind >= WEIR_SHM_KINDS || workers == 0)
		return 0;
	/* Start where the last call stopped so one busy worker cannot starve
	 * the others when `max` is small. */
	for (unsigned i = 0; i < workers && total < max; i++) {
		unsigned w = (c->rr[kind] + i) % workers;
		total += weir_shm_pop(c, weir_shm_ring_index(w, kind), recs + total, max - total);
	}
	c->rr[kind] = (c->rr[kind] + 1) % workers;
	return total;
}

unsigned weir_shm_pending(const struct weir_shm_consumer *c, unsigned ring)
{
	if (ring >= c->hdr->ring_count)
		return 0;
	return rte_ring_count(c->ring[ring]);
}

static int producer_alive(const struct weir_shm_hdr *hdr)
{
	pid_t pid = (pid_t)hdr->producer_pid;
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

enum weir_shm_check weir_shm_consumer_check(struct weir_shm_consumer *c)
{
	uint32_t state = __atomic_load_n(&c->hdr->state, __ATOMIC_ACQUIRE);
	struct weir_shm_consumer fresh;
	char err[256];

	if (state == WEIR_SHM_READY && producer_alive(c->hdr))
		return WEIR_SHM_SAME;
	/* Producer gone or replaced: deliver what it left behind first. */
	for (unsigned i = 0; i < c->hdr->ring_count; i++)
		if (rte_ring_count(c->ring[i]))
			return WEIR_SHM_SAME;

	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.name, c->name, sizeof(fresh.name));
	if (attach(&fresh, err, sizeof(err)) < 0)
		return WEIR_SHM_GONE;
	if (fresh.generation == c->generation) {
		/* Same segment, its producer died without cleaning up. */
		munmap(fresh.hdr, fresh.size);
		return WEIR_SHM_GONE;
	}
	munmap(c->hdr, c->size);
	*c = fresh;
	return WEIR_SHM_REMAPPED;
}

const struct weir_shm_hdr *weir_shm_consumer_hdr(const struct weir_shm_consumer *c)
{
	return c->hdr;
}

void weir_shm_consumer_close(struct weir_shm_consumer *c)
{
	if (!c)
		return;
	if (c->hdr)
		munmap(c->hdr, c->size);
	free(c);
}
