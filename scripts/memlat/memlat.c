/* weir-memlat: what one random memory access costs on this host, the floor
 * under a flow table larger than the caches. A pointer chase (each load's
 * address is the previous load's value, so nothing overlaps) through a
 * random cyclic permutation of the cache lines of a region.
 *
 *   weir-memlat SIZE_MIB [thp|small|hugetlb] [LINES [WORK]]
 *
 * With LINES, the throughput the flow table's access pattern allows
 * instead: per "packet", a 64-byte index bucket, then an entry of LINES
 * cache lines it names, both random in the region, prefetched 24 and 12
 * packets ahead (as the engine prefetches across a burst) and every line
 * of the entry written; a million "flows" visited in turn, as the bench
 * mix does. WORK adds a chain of that many dependent multiply-adds a
 * packet (~4 cycles each), standing for the packet's own computation, to
 * show how much of the memory time computation hides.
 *
 * thp: transparent huge pages requested (madvise), as the flow table does;
 * small: 4 KiB pages forced; hugetlb: 2 MiB pages from the hugetlbfs pool
 * (needs /proc/sys/vm/nr_hugepages). Prints nanoseconds per load. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void *region(size_t bytes, const char *mode)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	if (!strcmp(mode, "hugetlb"))
		flags |= MAP_HUGETLB;
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (!strcmp(mode, "thp"))
		(void)madvise(m, bytes, MADV_HUGEPAGE);
	else if (!strcmp(mode, "small"))
		(void)madvise(m, bytes, MADV_NOHUGEPAGE);
	return m;
}

/* LINES mode: bucket then entry, prefetched, a million flows in turn. */
static int throughput(uint8_t *m, size_t bytes, unsigned lines, unsigned work,
		      long mib, const char *mode)
{
	const size_t esz = (size_t)lines * 64, nent = bytes / esz;
	const uint32_t flows = nent / 4 < (1u << 20) ? (uint32_t)(nent / 4) : 1u << 20;
	const uint32_t nb = flows / 2 ? flows / 2 : 1;
	const size_t packets = 16u << 20;
	if (flows < 1024) {
		fprintf(stderr, "weir-memlat: %ld MiB holds %u flows of %u-line entries; "
			"give at least %u MiB\n", mib, flows, lines, (unsigned)((4096 * esz + (1u << 20) - 1) >> 20));
		return 1;
	}
	uint32_t *bucket_of = malloc(flows * sizeof(uint32_t));
	uint32_t *buckets = region((size_t)nb * 64, mode);
	if (!bucket_of || !buckets) {
		fprintf(stderr, "weir-memlat: no memory for the index of %u flows (%s pages): %s\n",
			flows, mode, strerror(errno));
		return 1;
	}
	memset(m, 0, bytes);
	memset(buckets, 0, (size_t)nb * 64);
	uint64_t x = 88172645463325252ull;
	for (uint32_t f = 0; f < flows; f++) {
		bucket_of[f] = (uint32_t)(xorshift(&x) % nb);
		buckets[(size_t)bucket_of[f] * 16 + f % 16] = (uint32_t)(xorshift(&x) % nent);
	}
	uint64_t acc = 1, sum = 0;
	double t0 = now_s();
	for (size_t i = 0; i < packets; i++) {
		uint32_t fa = (uint32_t)((i + 24) % flows), fb = (uint32_t)((i + 12) % flows);
		uint32_t f = (uint32_t)(i % flows);
		__builtin_prefetch(&buckets[(size_t)bucket_of[fa] * 16]);
		const uint8_t *eb = m + (size_t)buckets[(size_t)bucket_of[fb] * 16 + fb % 16] * esz;
		for (unsigned l = 0; l < lines; l++)
			__builtin_prefetch(eb + l * 64, 1);
		uint64_t *e = (uint64_t *)(m + (size_t)buckets[(size_t)bucket_of[f] * 16 + f % 16] * esz);
		for (unsigned l = 0; l < lines; l++)
			e[l * 8] += i;
		for (unsigned w = 0; w < work; w++) {
			acc = acc * 0x9e3779b97f4a7c15ull + (acc >> 7) + w;
			__asm__ volatile("" : : "r"(acc));
		}
		sum += e[0] + acc;
	}
	double ns = (now_s() - t0) / (double)packets * 1e9;
	printf("memlat: %ld MiB, %s pages, %u flows: bucket + %u-line entry, %u work steps: "
	       "%.1f ns a packet (%.2f Mpps) (%llu)\n", mib, mode, flows, lines, work, ns,
	       1e3 / ns, (unsigned long long)(sum & 1));
	return 0;
}

/* A whole decimal number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || end == s || *end || v < lo || v > hi ? -1 : v;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "thp";
	long mib = argc > 1 ? number(argv[1], 1, 65536) : -1;
	long elines = argc > 3 ? number(argv[3], 1, 64) : 0;
	long work = argc > 4 ? number(argv[4], 0, 100000) : 0;

	if (argc > 5 || mib < 0 || elines < 0 || work < 0 ||
	    (strcmp(mode, "thp") && strcmp(mode, "small") && strcmp(mode, "hugetlb"))) {
		fprintf(stderr, "usage: weir-memlat SIZE_MIB (1-65536) [thp|small|hugetlb] "
			"[LINES (1-64) [WORK (0-100000)]]\n");
		return 2;
	}
	size_t bytes = (size_t)mib << 20, lines = bytes / 64;
	uint64_t *m = region(bytes, mode);
	if (m && elines)
		return throughput((uint8_t *)m, bytes, (unsigned)elines, (unsigned)work, mib, mode);
	uint32_t *perm = malloc(lines * sizeof(*perm));
	if (!m || !perm) {
		fprintf(stderr, "weir-memlat: cannot map %ld MiB (%s pages): %s%s\n", mib, mode,
			strerror(errno), !strcmp(mode, "hugetlb") ? "; reserve hugepages first" : "");
		return 1;
	}
	/* Sattolo's shuffle: one cycle through every line. */
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < lines; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = xorshift(&x) % i;
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < lines; i++)
		m[(size_t)i * 8] = (uint64_t)perm[i] * 8;
	free(perm);

	uint64_t p = 0;
	const long loads = 4000000;
	for (long i = 0; i < loads / 8; i++)   /* warm the TLB and caches alike */
		p = m[p];
	double t0 = now_s();
	for (long i = 0; i < loads; i++)
		p = m[p];
	double ns = (now_s() - t0) / (double)loads * 1e9;
	printf("memlat: %ld MiB, %s pages: %.1f ns per dependent random load (%llu)\n",
	       mib, mode, ns, (unsigned long long)(p & 1));
	return 0;
}
