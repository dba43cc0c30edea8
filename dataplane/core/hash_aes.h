/* A keyed hash of 16 bytes from four AES rounds (AES-NI), for the flow
 * table's IPv4 keys: the per-packet hash in one tenth of SipHash's
 * instructions, with its own security argument (hash_aes.c). */
#ifndef WEIR_HASH_AES_H
#define WEIR_HASH_AES_H

#include <stdint.h>

#define WEIR_AESHASH_ROUNDS 4

/* Five independent 128-bit round keys, drawn from the run's seed: one
 * whitening key and one per round. */
struct weir_aeskey {
	uint64_t rk[2 * (WEIR_AESHASH_ROUNDS + 1)];
};

/* Does this CPU execute AES-NI? Checked once per table. */
int weir_aeshash_available(void);

void weir_aeskey_from_seed(struct weir_aeskey *key, uint64_t seed);

/* 64 bits of the four-round state of (m0, m1). Only call after
 * weir_aeshash_available() said yes. */
uint64_t weir_aeshash16(const struct weir_aeskey *key, uint64_t m0, uint64_t m1);

#endif
