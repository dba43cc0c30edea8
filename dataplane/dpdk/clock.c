/* TSC -> wall-clock nanoseconds. Workers read the TSC once per burst (no
 * syscall); the conversion is calibrated once against CLOCK_REALTIME. */
#include <time.h>
#include <rte_cycles.h>
#include "weir.h"

struct weir_clock weir_clock;

void weir_clock_calibrate(void)
{
	struct timespec ts;
	uint64_t t0 = rte_rdtsc();
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t t1 = rte_rdtsc();

	weir_clock.tsc_hz = rte_get_tsc_hz();
	/* The wall-clock read happened somewhere between t0 and t1. */
	weir_clock.base_tsc = t0 + (t1 - t0) / 2;
	weir_clock.base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	weir_clock.mult = (uint64_t)(((__uint128_t)1000000000ull << 32) / weir_clock.tsc_hz);
}
