/* The generator's own PRNG: xoshiro256** seeded through splitmix64, so a
 * scenario and a seed give the same bytes on every machine and libc. */
#ifndef WEIR_GEN_RNG_H
#define WEIR_GEN_RNG_H

#include <math.h>
#include <stdint.h>

struct gen_rng { uint64_t s[4]; };

static inline uint64_t gen_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = gen_splitmix64(&seed);
}

static inline uint64_t gen_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t gen_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = gen_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1). */
static inline double gen_unif(struct gen_rng *r)
{
	return (double)(gen_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n); n > 0. Lemire's multiply, bias < 2^-32. */
static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double gen_range(struct gen_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * gen_unif(r);
}

static inline double gen_exp(struct gen_rng *r, double mean)
{
	return -mean * log(1.0 - gen_unif(r));
}

static inline double gen_normal(struct gen_rng *r)
{
	/* Box-Muller, one value per call: speed does not matter here (per flow). */
	double u = 1.0 - gen_unif(r), v = gen_unif(r);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Log-normal with the given median and shape sigma. */
static inline double gen_lognormal(struct gen_rng *r, double median, double sigma)
{
	return median * exp(sigma * gen_normal(r));
}

static inline int gen_chance(struct gen_rng *r, double p)
{
	return gen_unif(r) < p;
}

#endif
