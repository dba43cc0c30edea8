/* pcap writing and IPv4/L4 checksums. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "wire.h"

#define PCAP_RECHDR 16

int gen_out_init(struct gen_out *o, FILE *fp, size_t cap, uint32_t snaplen)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->snaplen = snaplen ? snaplen : 65535;
	o->cap = cap < 65536 ? 65536 : cap;
	o->buf = malloc(o->cap);
	if (!o->buf)
		return -1;
	/* Classic pcap, microsecond stamps, little-endian as written by x86
	 * tcpdump: every reader (Argus, tshark, libpcap) takes it. */
	uint8_t *h = o->buf;
	uint32_t magic = 0xa1b2c3d4, snap = o->snaplen, link = 1, zero = 0;
	uint16_t vmaj = 2, vmin = 4;
	memcpy(h, &magic, 4);
	memcpy(h + 4, &vmaj, 2);
	memcpy(h + 6, &vmin, 2);
	memcpy(h + 8, &zero, 4);
	memcpy(h + 12, &zero, 4);
	memcpy(h + 16, &snap, 4);
	memcpy(h + 20, &link, 4);
	o->len = 24;
	return 0;
}

int gen_out_flush(struct gen_out *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->fp) != o->len)
		o->err = errno ? errno : EIO;
	o->len = 0;
	return o->err ? -1 : 0;
}

void gen_out_free(struct gen_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

uint64_t gen_csum_add(uint64_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;
	/* Ones' complement addition is associative over any word size, so add
	 * 32-bit words into a 64-bit accumulator and fold once at the end. */
	while (n >= 16) {
		uint32_t w[4];
		memcpy(w, b, 16);
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
		b += 16;
		n -= 16;
	}
	while (n >= 4) {
		uint32_t w;
		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t w;
		memcpy(&w, b, 2);
		sum += w;
		b += 2;
		n -= 2;
	}
	if (n) {
		/* A trailing odd byte is the high-order byte of a zero-padded
		 * word, i.e. the first byte in memory. */
		uint8_t w[2] = { b[0], 0 };
		uint16_t v;
		memcpy(&v, w, 2);
		sum += v;
	}
	return sum;
}

uint16_t gen_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint8_t *gen_frame_begin(struct gen_out *o, uint64_t ts_ns, const struct gen_l3 *l3)
{
	if (o->cap - o->len < PCAP_RECHDR + GEN_MAX_FRAME)
		gen_out_flush(o);
	uint8_t *f = o->buf + o->len;
	o->cur = f;
	uint32_t sec = (uint32_t)(ts_ns / 1000000000ull);
	uint32_t usec = (uint32_t)(ts_ns % 1000000000ull / 1000);
	memcpy(f, &sec, 4);
	memcpy(f + 4, &usec, 4);
	uint8_t *e = f + PCAP_RECHDR;
	memcpy(e, l3->dmac, 6);
	memcpy(e + 6, l3->smac, 6);
	e[12] = 0x08;
	e[13] = 0x00;
	uint8_t *ip = e + GEN_ETH_LEN;
	ip[0] = 0x45;
	ip[1] = 0;
	gen_put16(ip + 4, l3->ipid);
	ip[6] = l3->df ? 0x40 : 0;
	ip[7] = 0;
	ip[8] = l3->ttl;
	ip[9] = l3->proto;
	gen_put32(ip + 12, l3->src);
	gen_put32(ip + 16, l3->dst);
	return ip + GEN_IP_LEN;
}

uint32_t gen_frame_end(struct gen_out *o, uint32_t l4_len)
{
	return gen_frame_end_sum(o, l4_len, l4_len, 0);
}

uint32_t gen_frame_end_sum(struct gen_out *o, uint32_t l4_len, uint32_t l4_summed_from,
			   uint64_t sum_after)
{
	uint8_t *f = o->cur;
	uint8_t *ip = f + PCAP_RECHDR + GEN_ETH_LEN;
	uint8_t *l4 = ip + GEN_IP_LEN;
	uint32_t flen = GEN_ETH_LEN + GEN_IP_LEN + l4_len;
	gen_put16(ip + 2, (uint16_t)(GEN_IP_LEN + l4_len));
	ip[10] = ip[11] = 0;
	uint16_t c = gen_csum_fold(gen_csum_add(0, ip, GEN_IP_LEN));
	memcpy(ip + 10, &c, 2);

	size_t coff = 0;
	uint64_t sum = 0;
	switch (ip[9]) {
	case 6: coff = 16; break;
	case 17: coff = 6; break;
	case 1: coff = 2; break;
	}
	if (coff) {
		l4[coff] = l4[coff + 1] = 0;
		if (ip[9] != 1) {
			uint8_t ph[4] = { 0, ip[9], (uint8_t)(l4_len >> 8), (uint8_t)l4_len };
			sum = gen_csum_add(gen_csum_add(0, ip + 12, 8), ph, 4);
		}
		c = gen_csum_fold(gen_csum_add(sum + sum_after, l4, l4_summed_from));
		/* UDP sends a computed 0 as all ones (0 means "no checksum"). */
		if (ip[9] == 17 && c == 0)
			c = 0xffff;
		memcpy(l4 + coff, &c, 2);
	}
	/* A snap length keeps the headers (checksums are those of the whole
	 * frame, as a truncating capture would see them). */
	uint32_t incl = flen < o->snaplen ? flen : o->snaplen;
	memcpy(f + 8, &incl, 4);
	memcpy(f + 12, &flen, 4);
	o->len += PCAP_RECHDR + incl;
	o->packets++;
	o->bytes += flen;
	return flen;
}
