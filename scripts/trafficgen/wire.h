/* pcap output and IPv4 frame assembly for weir-gen.
 *
 * Frames are built in place in one large output buffer (no per-packet
 * allocation, one fwrite per few MB); the caller writes the L4 header and
 * payload where gen_frame_begin() points, then gen_frame_end() fills the
 * lengths and the IPv4 and L4 checksums. */
#ifndef WEIR_GEN_WIRE_H
#define WEIR_GEN_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GEN_MAX_FRAME 1514        /* Ethernet, no FCS */
#define GEN_ETH_LEN 14
#define GEN_IP_LEN 20

struct gen_out {
	FILE *fp;
	uint8_t *buf;
	size_t len, cap;
	int err;                  /* errno of the first failed write */
	uint64_t packets, bytes;  /* frames and frame bytes (on the wire) written */
	uint32_t snaplen;         /* bytes kept of each frame */
	uint8_t *cur;             /* frame being built */
};

int gen_out_init(struct gen_out *o, FILE *fp, size_t cap, uint32_t snaplen);
int gen_out_flush(struct gen_out *o);
void gen_out_free(struct gen_out *o);

struct gen_l3 {
	uint32_t src, dst;        /* host order */
	const uint8_t *smac, *dmac;
	uint8_t ttl, proto;
	uint16_t ipid;
	uint8_t df;
};

/* Start a frame at time ts_ns; returns where the L4 header goes. At most
 * GEN_MAX_FRAME - 34 bytes of L4 may be written. */
uint8_t *gen_frame_begin(struct gen_out *o, uint64_t ts_ns, const struct gen_l3 *l3);

/* Finish the frame begun last with l4_len bytes of L4; returns the frame
 * length. TCP/UDP checksums cover the pseudo header, ICMP's does not. */
uint32_t gen_frame_end(struct gen_out *o, uint32_t l4_len);

/* Same, when the caller already summed the L4 bytes after the first
 * l4_summed_from (payload copied from precomputed blocks): only the
 * headers are read again. */
uint32_t gen_frame_end_sum(struct gen_out *o, uint32_t l4_len, uint32_t l4_summed_from,
			   uint64_t sum_after);

/* Internet checksum over a buffer, accumulated (call fold at the end). The
 * sum is kept in memory byte order, so the folded value is stored as is. */
uint64_t gen_csum_add(uint64_t sum, const void *p, size_t n);
uint16_t gen_csum_fold(uint64_t sum);

static inline void gen_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void gen_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
