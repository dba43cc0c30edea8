/* pktbuild: test frame builder. See pktbuild.h for the model: layers are
 * pushed in wire order with their own fields; finish() fills the fields
 * that depend on the layers that follow, innermost first so that an ICMP
 * checksum covers an already finished quoted datagram. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "pktbuild.h"
#include "decode.h"

static void pb_die(const char *what)
{
	fprintf(stderr, "pktbuild: %s\n", what);
	abort();
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void weir_pb_init(struct weir_pb *b)
{
	b->len = 0;
	b->linktype = -1;
	b->nlayers = 0;
}

static uint32_t push(struct weir_pb *b, enum weir_pb_kind kind, uint32_t len,
		     uint32_t arg, uint8_t flag, int linktype)
{
	if (b->nlayers >= WEIR_PB_MAX_LAYERS)
		pb_die("too many layers");
	if (len > WEIR_PB_MAX - b->len)
		pb_die("frame larger than WEIR_PB_MAX");
	if (b->linktype < 0)
		b->linktype = linktype;
	struct weir_pb_layer *l = &b->l[b->nlayers++];
	l->kind = (uint8_t)kind;
	l->off = b->len;
	l->len = len;
	l->arg = arg;
	l->flag = flag;
	memset(b->buf + b->len, 0, len);
	b->len += len;
	return l->off;
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

uint32_t weir_pb_eth(struct weir_pb *b)
{
	uint32_t off = push(b, WEIR_PB_ETH, 14, 0, 0, WEIR_LINK_ETHERNET);
	memcpy(b->buf + off, mac_b, 6);
	memcpy(b->buf + off + 6, mac_a, 6);
	return off;
}

uint32_t weir_pb_vlan(struct weir_pb *b, uint16_t tpid, uint16_t vid)
{
	uint32_t off = push(b, WEIR_PB_VLAN, 4, tpid, 0, WEIR_LINK_ETHERNET);
	wr16(b->buf + off, vid & 0x0fff);
	return off;
}

uint32_t weir_pb_mpls(struct weir_pb *b, uint32_t label)
{
	return push(b, WEIR_PB_MPLS, 4, label & 0xfffff, 0, WEIR_LINK_ETHERNET);
}

uint32_t weir_pb_pppoe(struct weir_pb *b, uint16_t session, uint16_t ppp_proto)
{
	uint32_t off = push(b, WEIR_PB_PPPOE, 8, ppp_proto, 0, WEIR_LINK_ETHERNET);
	b->buf[off] = 0x11;             /* version 1, type 1 */
	b->buf[off + 1] = 0x00;         /* code: session data */
	wr16(b->buf + off + 2, session);
	return off;
}

uint32_t weir_pb_sll(struct weir_pb *b)
{
	uint32_t off = push(b, WEIR_PB_SLL, 16, 0, 0, WEIR_LINK_SLL);
	wr16(b->buf + off, 0);          /* packet type: to us */
	wr16(b->buf + off + 2, 1);      /* ARPHRD_ETHER */
	wr16(b->buf + off + 4, 6);
	memcpy(b->buf + off + 6, mac_a, 6);
	return off;
}

uint32_t weir_pb_sll2(struct weir_pb *b)
{
	uint32_t off = push(b, WEIR_PB_SLL2, 20, 0, 0, WEIR_LINK_SLL2);
	wr32(b->buf + off + 4, 1);      /* ifindex */
	wr16(b->buf + off + 8, 1);      /* ARPHRD_ETHER */
	b->buf[off + 10] = 0;           /* to us */
	b->buf[off + 11] = 6;
	memcpy(b->buf + off + 12, mac_a, 6);
	return off;
}

uint32_t weir_pb_null(struct weir_pb *b, uint32_t af, int net_order)
{
	return push(b, WEIR_PB_NULL, 4, af, (uint8_t)(net_order != 0),
		    net_order ? WEIR_LINK_LOOP : WEIR_LINK_NULL);
}

uint32_t weir_pb_ppp(struct weir_pb *b, int hdlc)
{
	uint32_t off = push(b, WEIR_PB_PPP, hdlc ? 4 : 2, 0, (uint8_t)(hdlc != 0),
			    WEIR_LINK_PPP);
	if (hdlc) {
		b->buf[off] = 0xff;
		b->buf[off + 1] = 0x03;
	}
	return off;
}

void weir_pb_raw(struct weir_pb *b, int linktype)
{
	if (b->linktype >= 0)
		pb_die("weir_pb_raw must come first");
	b->linktype = linktype;
}

uint32_t weir_pb_l2raw(struct weir_pb *b, uint16_t ethertype,
		       const uint8_t *bytes, uint32_t len)
{
	uint32_t off = push(b, WEIR_PB_L2RAW, len, ethertype, 0, WEIR_LINK_ETHERNET);
	if (bytes)
		memcpy(b->buf + off, bytes, len);
	return off;
}

static void parse_addr(int af, const char *s, uint8_t *out)
{
	if (inet_pton(af, s, out) != 1) {
		fprintf(stderr, "pktbuild: bad address '%s'\n", s);
		abort();
	}
}

uint32_t weir_pb_arp(struct weir_pb *b, uint16_t op, const char *spa, const char *tpa)
{
	uint32_t off = push(b, WEIR_PB_ARP, 28, 0, 0, WEIR_LINK_ETHERNET);
	uint8_t *a = b->buf + off;
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, op == 2 ? mac_b : mac_a, 6);
	parse_addr(AF_INET, spa, a + 14);
	if (op == 2)
		memcpy(a + 18, mac_a, 6);
	parse_addr(AF_INET, tpa, a + 24);
	return off;
}

uint32_t weir_pb_ipv4(struct weir_pb *b, const char *src, const char *dst,
		      const struct weir_pb_ip4_opt *o)
{
	static const struct weir_pb_ip4_opt none;
	if (!o)
		o = &none;
	if (o->opts_len > 40)
		pb_die("IPv4 options over 40 bytes");
	uint32_t olen = (o->opts_len + 3u) & ~3u;
	uint32_t off = push(b, WEIR_PB_IPV4, 20 + olen,
			    o->proto > 0 ? (uint32_t)o->proto : 0, o->proto > 0,
			    WEIR_LINK_RAW);
	uint8_t *ip = b->buf + off;
	ip[0] = (uint8_t)(0x40 | (20 + olen) / 4);
	ip[1] = o->tos;
	wr16(ip + 4, o->id ? o->id : 1);
	wr16(ip + 6, (uint16_t)((o->df ? 0x4000 : 0) | (o->mf ? 0x2000 : 0) |
				((o->frag_off / 8) & 0x1fff)));
	ip[8] = o->ttl ? o->ttl : 64;
	parse_addr(AF_INET, src, ip + 12);
	parse_addr(AF_INET, dst, ip + 16);
	if (o->opts_len)
		memcpy(ip + 20, o->opts, o->opts_len);
	return off;
}

uint32_t weir_pb_ipv6(struct weir_pb *b, const char *src, const char *dst,
		      const struct weir_pb_ip6_opt *o)
{
	static const struct weir_pb_ip6_opt none;
	if (!o)
		o = &none;
	uint32_t off = push(b, WEIR_PB_IPV6, 40, o->nh > 0 ? (uint32_t)o->nh : 0,
			    o->nh > 0, WEIR_LINK_RAW);
	uint8_t *ip = b->buf + off;
	wr32(ip, 6u << 28 | (uint32_t)o->tclass << 20 | (o->flow & 0xfffff));
	ip[7] = o->hlim ? o->hlim : 64;
	parse_addr(AF_INET6, src, ip + 8);
	parse_addr(AF_INET6, dst, ip + 24);
	return off;
}

uint32_t weir_pb_ip6ext(struct weir_pb *b, uint8_t type, uint32_t len)
{
	if (len < 8 || len % 8 || len > 2048)
		pb_die("IPv6 extension header length must be a multiple of 8 in 8..2048");
	uint32_t off = push(b, WEIR_PB_IP6EXT, len, type, 0, WEIR_LINK_RAW);
	uint8_t *h = b->buf + off;
	h[1] = (uint8_t)(len / 8 - 1);
	if (type == 43) {
		/* routing type 0 style header with segments left 0: inert */
		h[2] = 0;
		h[3] = 0;
	} else {
		/* one PadN option covering the rest */
		h[2] = 1;
		h[3] = (uint8_t)(len - 4);
	}
	return off;
}

uint32_t weir_pb_ip6frag(struct weir_pb *b, uint32_t id, uint32_t frag_off, int more)
{
	uint32_t off = push(b, WEIR_PB_IP6FRAG, 8, 44, 0, WEIR_LINK_RAW);
	wr16(b->buf + off + 2, (uint16_t)((frag_off & 0xfff8) | (more ? 1 : 0)));
	wr32(b->buf + off + 4, id);
	return off;
}

uint32_t weir_pb_ah(struct weir_pb *b, uint32_t icv_len)
{
	if (icv_len % 4)
		pb_die("AH ICV length must be a multiple of 4");
	uint32_t len = 12 + icv_len;
	uint32_t off = push(b, WEIR_PB_AH, len, 51, 0, WEIR_LINK_RAW);
	b->buf[off + 1] = (uint8_t)(len / 4 - 2);
	wr32(b->buf + off + 4, 0x1000);  /* SPI */
	wr32(b->buf + off + 8, 1);       /* sequence */
	return off;
}

uint32_t weir_pb_tcp(struct weir_pb *b, uint16_t sport, uint16_t dport,
		     uint8_t flags, const struct weir_pb_tcp_opt *o)
{
	static const struct weir_pb_tcp_opt none;
	if (!o)
		o = &none;
	if (o->opts_len > 40)
		pb_die("TCP options over 40 bytes");
	uint32_t olen = (o->opts_len + 3u) & ~3u;
	uint32_t off = push(b, WEIR_PB_TCP, 20 + olen, 6, 0, WEIR_LINK_RAW);
	uint8_t *th = b->buf + off;
	wr16(th, sport);
	wr16(th + 2, dport);
	wr32(th + 4, o->seq);
	wr32(th + 8, o->ack);
	th[12] = (uint8_t)(((20 + olen) / 4) << 4);
	th[13] = flags;
	wr16(th + 14, o->win ? o->win : 65535);
	if (o->opts_len)
		memcpy(th + 20, o->opts, o->opts_len);
	return off;
}

uint32_t weir_pb_udp(struct weir_pb *b, uint16_t sport, uint16_t dport)
{
	uint32_t off = push(b, WEIR_PB_UDP, 8, 17, 0, WEIR_LINK_RAW);
	wr16(b->buf + off, sport);
	wr16(b->buf + off + 2, dport);
	return off;
}

uint32_t weir_pb_icmp(struct weir_pb *b, uint8_t type, uint8_t code,
		      uint16_t id, uint16_t seq)
{
	uint32_t off = push(b, WEIR_PB_ICMP, 8, 1, 0, WEIR_LINK_RAW);
	b->buf[off] = type;
	b->buf[off + 1] = code;
	wr16(b->buf + off + 4, id);
	wr16(b->buf + off + 6, seq);
	return off;
}

uint32_t weir_pb_icmp6(struct weir_pb *b, uint8_t type, uint8_t code,
		       uint16_t id, uint16_t seq)
{
	uint32_t off = push(b, WEIR_PB_ICMP6, 8, 58, 0, WEIR_LINK_RAW);
	b->buf[off] = type;
	b->buf[off + 1] = code;
	wr16(b->buf + off + 4, id);
	wr16(b->buf + off + 6, seq);
	return off;
}

uint32_t weir_pb_l4raw(struct weir_pb *b, uint8_t proto, const uint8_t *bytes,
		       uint32_t len)
{
	uint32_t off = push(b, WEIR_PB_L4RAW, len, proto, 0, WEIR_LINK_RAW);
	if (bytes)
		memcpy(b->buf + off, bytes, len);
	return off;
}

uint32_t weir_pb_payload(struct weir_pb *b, const void *bytes, uint32_t len)
{
	uint32_t off = push(b, WEIR_PB_PAYLOAD, len, 0, 0, WEIR_LINK_RAW);
	if (bytes)
		memcpy(b->buf + off, bytes, len);
	else
		for (uint32_t i = 0; i < len; i++)
			b->buf[off + i] = (uint8_t)(i * 7 + 1);
	return off;
}

uint32_t weir_pb_trailer(struct weir_pb *b, uint32_t len)
{
	return push(b, WEIR_PB_TRAILER, len, 0, 0, WEIR_LINK_RAW);
}

uint32_t weir_pb_find(const struct weir_pb *b, enum weir_pb_kind kind, int n)
{
	for (int i = 0; i < b->nlayers; i++)
		if (b->l[i].kind == kind && n-- == 0)
			return b->l[i].off;
	return UINT32_MAX;
}

/* ---- finish ---- */

static const struct weir_pb_layer *next_of(const struct weir_pb *b, int i)
{
	return i + 1 < b->nlayers ? &b->l[i + 1] : NULL;
}

static uint16_t ethertype_of(const struct weir_pb_layer *n)
{
	if (!n)
		return 0x88b5;              /* IEEE local experimental */
	switch (n->kind) {
	case WEIR_PB_VLAN: return (uint16_t)n->arg;
	case WEIR_PB_MPLS: return 0x8847;
	case WEIR_PB_PPPOE: return 0x8864;
	case WEIR_PB_ARP: return 0x0806;
	case WEIR_PB_IPV4: return 0x0800;
	case WEIR_PB_IPV6: return 0x86dd;
	case WEIR_PB_L2RAW: return (uint16_t)n->arg;
	default: return 0x88b5;
	}
}

static int ipproto_of(const struct weir_pb_layer *n, int v6)
{
	if (!n)
		return v6 ? 59 : 253;
	switch (n->kind) {
	case WEIR_PB_IPV4: return 4;
	case WEIR_PB_IPV6: return 41;
	case WEIR_PB_IP6EXT:
	case WEIR_PB_IP6FRAG:
	case WEIR_PB_AH:
	case WEIR_PB_TCP:
	case WEIR_PB_UDP:
	case WEIR_PB_ICMP:
	case WEIR_PB_ICMP6:
	case WEIR_PB_L4RAW:
		return (int)n->arg;
	default:
		return v6 ? 59 : 253;       /* no next header / experimental */
	}
}

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t acc)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Pseudo-header sum of the nearest IP layer before layer i. */
static uint32_t pseudo(const struct weir_pb *b, int i, uint8_t proto, uint32_t l4len)
{
	for (int j = i - 1; j >= 0; j--) {
		const uint8_t *ip = b->buf + b->l[j].off;
		if (b->l[j].kind == WEIR_PB_IPV4)
			return sum16(ip + 12, 8, 0) + proto + l4len;
		if (b->l[j].kind == WEIR_PB_IPV6)
			return sum16(ip + 8, 32, 0) + proto + (l4len >> 16) + (l4len & 0xffff);
	}
	return 0;
}

uint32_t weir_pb_finish(struct weir_pb *b)
{
	uint32_t trailer = 0;
	for (int i = 0; i < b->nlayers; i++)
		if (b->l[i].kind == WEIR_PB_TRAILER)
			trailer += b->l[i].len;
	uint32_t end = b->len - trailer;    /* where the datagrams end */
	if (b->linktype < 0)
		b->linktype = WEIR_LINK_RAW;

	for (int i = b->nlayers - 1; i >= 0; i--) {
		const struct weir_pb_layer *l = &b->l[i], *n = next_of(b, i);
		uint8_t *p = b->buf + l->off;
		switch (l->kind) {
		case WEIR_PB_ETH:
			wr16(p + 12, ethertype_of(n));
			break;
		case WEIR_PB_VLAN:
			wr16(p + 2, ethertype_of(n));
			break;
		case WEIR_PB_SLL:
			wr16(p + 14, ethertype_of(n));
			break;
		case WEIR_PB_SLL2:
			wr16(p, ethertype_of(n));
			break;
		case WEIR_PB_MPLS: {
			int bos = !n || n->kind != WEIR_PB_MPLS;
			wr32(p, l->arg << 12 | (uint32_t)bos << 8 | 64);
			break;
		}
		case WEIR_PB_PPPOE: {
			uint16_t pp = (uint16_t)l->arg;
			if (!pp)
				pp = n && n->kind == WEIR_PB_IPV6 ? 0x0057 : 0x0021;
			wr16(p + 4, (uint16_t)(end - (l->off + 6)));
			wr16(p + 6, pp);
			break;
		}
		case WEIR_PB_NULL: {
			uint32_t af = l->arg ? l->arg :
				      (n && n->kind == WEIR_PB_IPV6 ? 24 : 2);
			if (l->flag)
				wr32(p, af);
			else {
				p[0] = (uint8_t)af;
				p[1] = (uint8_t)(af >> 8);
				p[2] = (uint8_t)(af >> 16);
				p[3] = (uint8_t)(af >> 24);
			}
			break;
		}
		case WEIR_PB_PPP:
			wr16(p + (l->flag ? 2 : 0),
			     n && n->kind == WEIR_PB_IPV6 ? 0x0057 : 0x0021);
			break;
		case WEIR_PB_IPV4: {
			uint32_t hl = l->len;
			wr16(p + 2, (uint16_t)(end - l->off));
			p[9] = (uint8_t)(l->flag ? l->arg : (uint32_t)ipproto_of(n, 0));
			wr16(p + 10, 0);
			wr16(p + 10, fold(sum16(p, hl, 0)));
			break;
		}
		case WEIR_PB_IPV6:
			wr16(p + 4, (uint16_t)(end - l->off - 40));
			p[6] = (uint8_t)(l->flag ? l->arg : (uint32_t)ipproto_of(n, 1));
			break;
		case WEIR_PB_IP6EXT:
		case WEIR_PB_IP6FRAG:
		case WEIR_PB_AH:
			p[0] = (uint8_t)ipproto_of(n, 1);
			break;
		case WEIR_PB_TCP: {
			uint32_t len = end - l->off;
			wr16(p + 16, 0);
			wr16(p + 16, fold(sum16(p, len, pseudo(b, i, 6, len))));
			break;
		}
		case WEIR_PB_UDP: {
			uint32_t len = end - l->off;
			wr16(p + 4, (uint16_t)len);
			wr16(p + 6, 0);
			uint16_t c = fold(sum16(p, len, pseudo(b, i, 17, len)));
			wr16(p + 6, c ? c : 0xffff);
			break;
		}
		case WEIR_PB_ICMP: {
			uint32_t len = end - l->off;
			wr16(p + 2, 0);
			wr16(p + 2, fold(sum16(p, len, 0)));
			break;
		}
		case WEIR_PB_ICMP6: {
			uint32_t len = end - l->off;
			wr16(p + 2, 0);
			wr16(p + 2, fold(sum16(p, len, pseudo(b, i, 58, len))));
			break;
		}
		default:
			break;
		}
	}
	return b->len;
}

/* ---- pcap ---- */

FILE *weir_pb_pcap_open(const char *path, int linktype)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b23c4d, 2, 4, 0, 0, 262144, (uint32_t)linktype };
	if (fwrite(&h, sizeof(h), 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

void weir_pb_pcap_write(FILE *f, const uint8_t *frame, uint32_t caplen,
			uint32_t wire_len, uint64_t ts_ns)
{
	uint32_t rh[4] = { (uint32_t)(ts_ns / 1000000000ull),
			   (uint32_t)(ts_ns % 1000000000ull), caplen, wire_len };
	if (fwrite(rh, sizeof(rh), 1, f) != 1 ||
	    (caplen && fwrite(frame, caplen, 1, f) != 1))
		pb_die("pcap write failed");
}

int weir_pb_pcap_close(FILE *f)
{
	return fclose(f);
}
