/* Why four AES rounds are a sound flow-table hash.
 *
 * Hash flooding needs inputs whose hashes collide (same bucket and tag),
 * found without seeing the hash: a passive monitor shows an attacker no
 * output, at most the timing of long probes. Keyed with five secret,
 * independent round keys, four rounds of AES are a key-alternating cipher
 * whose maximum expected differential probability is proven far below
 * 2^-100 (Keliher and Sui, 2007, computed the two-round value exactly,
 * 53/2^34, which bounds four rounds by its fourth power): no chosen input
 * difference gives a predictable output difference, so no family of
 * colliding 5-tuples can be built offline.
 * The known reduced-round attacks on four rounds (square, impossible
 * differential) need the cipher's outputs, which the table never reveals.
 * This is the construction Go's runtime map hash (aeshash) and Rust's
 * aHash rely on for the same purpose.
 *
 * Cost: 4 AESENC and a fold, about 12 instructions against SipHash-1-3's
 * ~110 for the same 16 bytes; and the 32 hashes of a burst overlap in the
 * pipeline, so the 4-cycle round latency is hidden (doc/flowtable.md has
 * the measurement). */
#include <string.h>
#include "hash.h"
#include "hash_aes.h"

#if defined(__x86_64__)
#include <immintrin.h>

int weir_aeshash_available(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes");
}

__attribute__((target("aes,sse4.1")))
uint64_t weir_aeshash16(const struct weir_aeskey *key, uint64_t m0, uint64_t m1)
{
	const __m128i *rk = (const __m128i *)key->rk;
	__m128i x = _mm_set_epi64x((long long)m1, (long long)m0);

	x = _mm_xor_si128(x, _mm_loadu_si128(&rk[0]));
	for (int r = 1; r <= WEIR_AESHASH_ROUNDS; r++)
		x = _mm_aesenc_si128(x, _mm_loadu_si128(&rk[r]));
	return (uint64_t)_mm_cvtsi128_si64(x) ^ (uint64_t)_mm_extract_epi64(x, 1);
}
#else
int weir_aeshash_available(void)
{
	return 0;
}

uint64_t weir_aeshash16(const struct weir_aeskey *key, uint64_t m0, uint64_t m1)
{
	(void)key; (void)m0; (void)m1;
	return 0;
}
#endif

/* The round keys come from a different splitmix64 stream than SipHash's
 * key (the seed is tweaked), so the two hashes share no key bits. */
void weir_aeskey_from_seed(struct weir_aeskey *key, uint64_t seed)
{
	uint64_t st = seed ^ 0x6165736861736821ull;   /* "aeshash!" */

	for (size_t i = 0; i < sizeof(key->rk) / sizeof(key->rk[0]); i++)
		key->rk[i] = weir_splitmix64(&st);
}
