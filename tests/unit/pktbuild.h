/* pktbuild: build test frames layer by layer, outermost first.
 *
 * Push the layers in wire order, then call weir_pb_finish(). finish() fills
 * in everything that depends on what follows: ethertypes, VLAN TPIDs' next
 * types, MPLS bottom-of-stack bits, PPPoE length and PPP protocol, the
 * null/loopback AF word, IPv4 total length/protocol/checksum, IPv6 payload
 * length and next-header fields (through extension headers), UDP length, and
 * the TCP/UDP/ICMP/ICMPv6 checksums. So a frame is valid unless the test
 * breaks it afterwards on purpose: every push returns the byte offset of its
 * layer in b->buf, to patch after finish().
 *
 *	struct weir_pb b;
 *	weir_pb_init(&b);
 *	weir_pb_eth(&b);
 *	weir_pb_vlan(&b, 0x8100, 10);
 *	uint32_t ip = weir_pb_ipv4(&b, "10.0.0.1", "10.0.0.2", NULL);
 *	weir_pb_tcp(&b, 1234, 80, WEIR_TH_SYN, NULL);
 *	weir_pb_finish(&b);
 *	b.buf[ip] = 0x44;                  -- IHL 4: now a bad header
 *	weir_decode(b.linktype, b.buf, b.len, b.len, 0, &pkt);
 *
 * Layers after an ICMP error (weir_pb_icmp type 3, 5, 11, ...) are the quoted
 * datagram: push an IPv4 header and a UDP header after it and they are
 * finished like any other (their lengths run to the end of the frame).
 *
 * Misuse (too many layers, frame over WEIR_PB_MAX, bad address string) is a
 * bug in the test: it prints why and aborts. Not thread-safe per builder;
 * no allocation.
 */
#ifndef WEIR_PKTBUILD_H
#define WEIR_PKTBUILD_H

#include <stdint.h>
#include <stdio.h>

#define WEIR_PB_MAX 4096
#define WEIR_PB_MAX_LAYERS 32

enum weir_pb_kind {
	WEIR_PB_ETH = 1, WEIR_PB_VLAN, WEIR_PB_MPLS, WEIR_PB_PPPOE, WEIR_PB_SLL,
	WEIR_PB_SLL2, WEIR_PB_NULL, WEIR_PB_PPP, WEIR_PB_L2RAW, WEIR_PB_ARP,
	WEIR_PB_IPV4, WEIR_PB_IPV6, WEIR_PB_IP6EXT, WEIR_PB_IP6FRAG, WEIR_PB_AH,
	WEIR_PB_TCP, WEIR_PB_UDP, WEIR_PB_ICMP, WEIR_PB_ICMP6, WEIR_PB_L4RAW,
	WEIR_PB_PAYLOAD, WEIR_PB_TRAILER,
};

struct weir_pb_layer {
	uint8_t kind;         /* enum weir_pb_kind */
	uint32_t off, len;    /* where the layer's own header lies in buf */
	uint32_t arg;         /* per kind: TPID, forced protocol, AF... */
	uint8_t flag;         /* per kind: network-order AF word, ... */
};

struct weir_pb {
	uint8_t buf[WEIR_PB_MAX];
	uint32_t len;                 /* frame length (caplen and wire length) */
	int linktype;                 /* WEIR_LINK_* of the outermost layer */
	int nlayers;
	struct weir_pb_layer l[WEIR_PB_MAX_LAYERS];
};

/* Options for the IP layers; pass NULL for the defaults shown. */
struct weir_pb_ip4_opt {
	uint8_t ttl;                 /* 64 when 0 */
	uint8_t tos;
	uint16_t id;                 /* 1 when 0 */
	int df;                      /* don't-fragment bit */
	int mf;                      /* more-fragments bit */
	uint32_t frag_off;           /* byte offset, multiple of 8 */
	const uint8_t *opts;         /* IPv4 options, padded with EOL to 4 */
	uint8_t opts_len;            /* at most 40 */
	int proto;                   /* >0: protocol field as given, not from the next layer */
};

struct weir_pb_ip6_opt {
	uint8_t hlim;                /* 64 when 0 */
	uint8_t tclass;
	uint32_t flow;
	int nh;                      /* >0: next-header field as given */
};

struct weir_pb_tcp_opt {
	uint32_t seq, ack;
	uint16_t win;                /* 65535 when 0 */
	const uint8_t *opts;         /* raw TCP options, padded with EOL to 4 */
	uint8_t opts_len;            /* at most 40 */
};

void weir_pb_init(struct weir_pb *b);

/* ---- link layers (the first one pushed sets b->linktype) ---- */
uint32_t weir_pb_eth(struct weir_pb *b);                    /* 14 bytes */
/* 802.1Q/ad tag; tpid 0x8100, 0x88a8 or 0x9100 goes in the previous
 * ethertype field. */
uint32_t weir_pb_vlan(struct weir_pb *b, uint16_t tpid, uint16_t vid);
uint32_t weir_pb_mpls(struct weir_pb *b, uint32_t label);   /* one label */
/* PPPoE session header + PPP protocol; ppp_proto 0 = from the next layer
 * (0x0021 IPv4, 0x0057 IPv6), else as given (0xc021 LCP, ...). */
uint32_t weir_pb_pppoe(struct weir_pb *b, uint16_t session, uint16_t ppp_proto);
uint32_t weir_pb_sll(struct weir_pb *b);                    /* Linux cooked v1 */
uint32_t weir_pb_sll2(struct weir_pb *b);                   /* Linux cooked v2 */
/* BSD loopback AF word. af 0 = 2 for IPv4, 24 for IPv6 next. net_order 0
 * writes little-endian (DLT_NULL from an x86 host, linktype 0), 1 writes
 * network order and makes the frame DLT_LOOP (108). */
uint32_t weir_pb_null(struct weir_pb *b, uint32_t af, int net_order);
/* DLT_PPP: hdlc adds ff 03; protocol from the next layer. */
uint32_t weir_pb_ppp(struct weir_pb *b, int hdlc);
/* No link header at all: raw IP. linktype: 101, 12, 14, 228 or 229. */
void weir_pb_raw(struct weir_pb *b, int linktype);
/* Arbitrary layer-2 payload with the given ethertype in the previous
 * ethertype field (LLDP 0x88cc, PPPoE discovery 0x8863, ...). */
uint32_t weir_pb_l2raw(struct weir_pb *b, uint16_t ethertype,
		       const uint8_t *bytes, uint32_t len);

/* ---- network layers ---- */
/* ARP for IPv4 over Ethernet: op 1 request, 2 reply. */
uint32_t weir_pb_arp(struct weir_pb *b, uint16_t op, const char *spa, const char *tpa);
uint32_t weir_pb_ipv4(struct weir_pb *b, const char *src, const char *dst,
		      const struct weir_pb_ip4_opt *o);
uint32_t weir_pb_ipv6(struct weir_pb *b, const char *src, const char *dst,
		      const struct weir_pb_ip6_opt *o);
/* Generic IPv6 extension header (0 hop-by-hop, 43 routing, 60 destination
 * options, 135 mobility...): len bytes in all, a multiple of 8, >= 8;
 * filled with PadN so it parses as options. */
uint32_t weir_pb_ip6ext(struct weir_pb *b, uint8_t type, uint32_t len);
uint32_t weir_pb_ip6frag(struct weir_pb *b, uint32_t id, uint32_t frag_off, int more);
/* Authentication header with icv_len bytes of ICV (multiple of 4). */
uint32_t weir_pb_ah(struct weir_pb *b, uint32_t icv_len);

/* ---- transport layers ---- */
uint32_t weir_pb_tcp(struct weir_pb *b, uint16_t sport, uint16_t dport,
		     uint8_t flags, const struct weir_pb_tcp_opt *o);
uint32_t weir_pb_udp(struct weir_pb *b, uint16_t sport, uint16_t dport);
/* ICMP header (8 bytes): id/seq go in bytes 4..7 (for errors pass 0 and
 * push the quoted datagram next). */
uint32_t weir_pb_icmp(struct weir_pb *b, uint8_t type, uint8_t code,
		      uint16_t id, uint16_t seq);
uint32_t weir_pb_icmp6(struct weir_pb *b, uint8_t type, uint8_t code,
		       uint16_t id, uint16_t seq);
/* Any other IP protocol: its bytes are the whole L4 (the IP protocol field
 * becomes proto). */
uint32_t weir_pb_l4raw(struct weir_pb *b, uint8_t proto, const uint8_t *bytes,
		       uint32_t len);

/* ---- payload and padding ---- */
/* bytes NULL: a counting pattern. Returns the payload's offset. */
uint32_t weir_pb_payload(struct weir_pb *b, const void *bytes, uint32_t len);
/* Link-layer padding after the IP datagram (not counted in any length). */
uint32_t weir_pb_trailer(struct weir_pb *b, uint32_t len);

/* Fill in the dependent fields; returns b->len. Call once, last. */
uint32_t weir_pb_finish(struct weir_pb *b);

/* Offset of the n-th layer of a kind (n from 0), or UINT32_MAX. */
uint32_t weir_pb_find(const struct weir_pb *b, enum weir_pb_kind kind, int n);

/* Minimal pcap writer for tests that want a capture on disk (to feed to
 * argus, tshark or weir itself): nanosecond pcap, one link type. */
FILE *weir_pb_pcap_open(const char *path, int linktype);
void weir_pb_pcap_write(FILE *f, const uint8_t *frame, uint32_t caplen,
			uint32_t wire_len, uint64_t ts_ns);
int weir_pb_pcap_close(FILE *f);

#endif
