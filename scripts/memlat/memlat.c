/* weir-memlat: what one random memory access costs on this host, the floor
 * under a flow table larger than the caches. A pointer chase (each load's
 * address is the previous load's value, so nothing overlaps) through a
 * random cyclic permutation of the cache lines of a region.
 *
 *   weir-memlat SIZE_MIB [thp|small|hugetlb]
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

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "thp";
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (mib < 1 || mib > 65536 || (strcmp(mode, "thp") && strcmp(mode, "small") &&
					strcmp(mode, "hugetlb"))) {
		fprintf(stderr, "usage: weir-memlat SIZE_MIB (1-65536) [thp|small|hugetlb]\n");
		return 2;
	}
	size_t bytes = (size_t)mib << 20, lines = bytes / 64;
	uint64_t *m = region(bytes, mode);
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
