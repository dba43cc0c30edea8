/* Keyed hashes for the flow table and the fragment table.
 *
 * The flow table is fed by whoever sends us packets, so its hash must be
 * keyed with a secret chosen per run: otherwise an attacker can compute
 * colliding 5-tuples offline and turn every lookup into a long probe
 * ("hash flooding"). SipHash (Aumasson & Bernstein) is the standard answer;
 * we use the reduced-round SipHash-1-3 variant for speed (as CPython and
 * Rust's std do). Written from the published specification. Where the CPU
 * has AES-NI, IPv4 keys go through four keyed AES rounds instead
 * (hash_aes.c, with its own argument); IPv6 keys and fragments stay here.
 *
 * weir_hash_mx() is a cheaper keyed multiply-xor hash, kept so the cost
 * difference can be measured (test_flowtable prints both); it is not used by
 * the table because its flooding resistance has no security argument.
 */
#ifndef WEIR_HASH_H
#define WEIR_HASH_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

struct weir_sipkey {
	uint64_t k0, k1;
};

static inline uint64_t weir_rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* splitmix64: stretches the 64-bit configured seed into a 128-bit key. */
static inline uint64_t weir_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline struct weir_sipkey weir_sipkey_from_seed(uint64_t seed)
{
	struct weir_sipkey k;
	uint64_t st = seed;
	k.k0 = weir_splitmix64(&st);
	k.k1 = weir_splitmix64(&st);
	return k;
}

static inline uint64_t weir_load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

#define WEIR_SIPROUND(v0, v1, v2, v3) do {                              \
		v0 += v1; v1 = weir_rotl64(v1, 13); v1 ^= v0;           \
		v0 = weir_rotl64(v0, 32);                               \
		v2 += v3; v3 = weir_rotl64(v3, 16); v3 ^= v2;           \
		v0 += v3; v3 = weir_rotl64(v3, 21); v3 ^= v0;           \
		v2 += v1; v1 = weir_rotl64(v1, 17); v1 ^= v2;           \
		v2 = weir_rotl64(v2, 32);                               \
	} while (0)

/* SipHash-c-d with a 64-bit result. `c` compression rounds per 8-byte word,
 * `d` finalisation rounds; constant arguments fold away when inlined. */
static inline uint64_t weir_siphash(const struct weir_sipkey *key,
				    const void *data, size_t len, int c, int d)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ key->k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ key->k0;
	uint64_t v3 = 0x7465646279746573ull ^ key->k1;
	size_t nw = len / 8;
	uint64_t b = (uint64_t)len << 56;

	for (size_t i = 0; i < nw; i++, p += 8) {
		uint64_t m = weir_load_le64(p);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			WEIR_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	for (int r = 0; r < c; r++)
		WEIR_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		WEIR_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64_t weir_siphash13(const struct weir_sipkey *key,
				      const void *data, size_t len)
{
	return weir_siphash(key, data, len, 1, 3);
}

/* weir_siphash13() of exactly 16 bytes given as two little-endian words:
 * the same value, straight-line code (an IPv4 flow key, every packet). */
static inline uint64_t weir_siphash13_16(const struct weir_sipkey *key,
					 uint64_t m0, uint64_t m1)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key->k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ key->k0;
	uint64_t v3 = 0x7465646279746573ull ^ key->k1;
	const uint64_t b = 16ull << 56;

	v3 ^= m0; WEIR_SIPROUND(v0, v1, v2, v3); v0 ^= m0;
	v3 ^= m1; WEIR_SIPROUND(v0, v1, v2, v3); v0 ^= m1;
	v3 ^= b; WEIR_SIPROUND(v0, v1, v2, v3); v0 ^= b;
	v2 ^= 0xff;
	WEIR_SIPROUND(v0, v1, v2, v3);
	WEIR_SIPROUND(v0, v1, v2, v3);
	WEIR_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Keyed multiply-xor: each pair of 64-bit words, xored with key words, is
 * multiplied to 128 bits and the halves folded. Measured against SipHash only. */
static inline uint64_t weir_hash_mx(const struct weir_sipkey *key,
				    const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = key->k0 ^ (len * 0x9e3779b97f4a7c15ull);
	uint8_t tail[16];

	while (len >= 16) {
		unsigned __int128 m = (unsigned __int128)(weir_load_le64(p) ^ key->k0) *
				      (weir_load_le64(p + 8) ^ key->k1 ^ acc);
		acc = (uint64_t)m ^ (uint64_t)(m >> 64);
		p += 16;
		len -= 16;
	}
	if (len) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, len);
		unsigned __int128 m = (unsigned __int128)(weir_load_le64(tail) ^ key->k0) *
				      (weir_load_le64(tail + 8) ^ key->k1 ^ acc);
		acc = (uint64_t)m ^ (uint64_t)(m >> 64);
	}
	unsigned __int128 f = (unsigned __int128)(acc ^ key->k1) * 0x9fb21c651e98df25ull;
	return (uint64_t)f ^ (uint64_t)(f >> 64);
}

#endif
