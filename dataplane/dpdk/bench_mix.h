/* The steady N-flow synthetic load of weir --bench-mix (bench_mix.c). */
#ifndef WEIR_BENCH_MIX_H
#define WEIR_BENCH_MIX_H

#include <stdint.h>

struct weir_bench_mix;

/* Packets per flow (bench_mix.c): uniform 4..28, or the UNSW-NB15
 * sample's distribution. */
enum weir_mix_lengths { WEIR_MIX_SHORT, WEIR_MIX_UNSW };

/* `size`: frame size on the wire (64..1518), or 0 for IMIX data packets. */
struct weir_bench_mix *weir_bench_mix_create(unsigned flows, unsigned size,
					     enum weir_mix_lengths lengths);
void weir_bench_mix_free(struct weir_bench_mix *mx);

/* Frame k of the stream (k counts up from 0, one call per k in order)
 * into `d` (at least 1514 bytes). */
void weir_bench_mix_frame(struct weir_bench_mix *mx, uint64_t k, uint8_t *d,
			  uint32_t *caplen, uint32_t *wire, uint64_t *ts_ns);

#endif
