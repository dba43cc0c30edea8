/* Packet decoder: link header(s) -> IPv4/IPv6/ARP -> TCP/UDP/ICMP/other.
 *
 * Runs once per packet at line rate, so: no allocation, no memset of the
 * whole weir_pkt (each path stores exactly the fields the contract makes
 * valid for it), every read is preceded by a length check against caplen,
 * and the common case (Ethernet, IPv4 without options, unfragmented TCP or
 * UDP) has a fast path of its own at the end of this file, which gives what
 * the general path gives or leaves the frame to it.
 *
 * Two lengths are tracked everywhere:
 *  - what the headers announce (IP total length, ext-header lengths), checked
 *    against what was on the wire: a header that claims more than the wire
 *    carried is BAD_*; and
 *  - what was captured (caplen): a header cut by the snaplen is TRUNC_*,
 *    but a payload cut by the snaplen is fine (payload_caplen says how much
 *    of it we have), as Argus and Zeek still count such packets.
 * The rules, with the measurements behind the ICMP flow key, are in
 * doc/decoding.md.
 */
#include <stddef.h>
#include <string.h>
#include "decode.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Ethertypes and protocol numbers we act on. */
#define ET_IPV4      0x0800
#define ET_ARP       0x0806
#define ET_VLAN      0x8100
#define ET_IPV6      0x86dd
#define ET_MPLS_UC   0x8847
#define ET_MPLS_MC   0x8848
#define ET_PPPOE_SES 0x8864
#define ET_QINQ      0x88a8
#define ET_QINQ_OLD  0x9100
#define ET_VNTAG     0x8926

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_ICMP_  1
#define IPPROTO_ICMP6_ 58

/* TCP options NOP, NOP, timestamp (kind 8, length 10), as one word */
#define TCPOPT_NOP_NOP_TS 0x0101080au

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static const char *const err_names[WEIR_DEC_ERR_MAX] = {
	[WEIR_DEC_OK] = "ok",
	[WEIR_DEC_TRUNC_L2] = "trunc_l2",
	[WEIR_DEC_TRUNC_L3] = "trunc_l3",
	[WEIR_DEC_TRUNC_L4] = "trunc_l4",
	[WEIR_DEC_BAD_LINKTYPE] = "bad_linktype",
	[WEIR_DEC_BAD_IP_VERSION] = "bad_ip_version",
	[WEIR_DEC_BAD_IHL] = "bad_ihl",
	[WEIR_DEC_BAD_IP_LEN] = "bad_ip_len",
	[WEIR_DEC_BAD_FRAG] = "bad_frag",
	[WEIR_DEC_BAD_TCP_HDR] = "bad_tcp_hdr",
	[WEIR_DEC_BAD_EXT_HDR] = "bad_ext_hdr",
	[WEIR_DEC_TOO_MANY_TAGS] = "too_many_tags",
	[WEIR_DEC_NOT_IP] = "not_ip",
};

const char *weir_decode_err_name(enum weir_decode_err e)
{
	if ((unsigned)e >= WEIR_DEC_ERR_MAX || !err_names[e])
		return "unknown";
	return err_names[e];
}

int weir_decode_linktype_supported(int linktype)
{
	switch (linktype) {
	case WEIR_LINK_NULL:
	case WEIR_LINK_ETHERNET:
	case WEIR_LINK_RAW:
	case WEIR_LINK_LOOP:
	case WEIR_LINK_SLL:
	case WEIR_LINK_IPV4:
	case WEIR_LINK_IPV6:
	case WEIR_LINK_SLL2:
	case WEIR_LINK_RAW_DLT12:
	case WEIR_LINK_RAW_DLT14:
	case WEIR_LINK_PPP:
	case WEIR_LINK_PPP_SERIAL:
		return 1;
	default:
		return 0;
	}
}

/* ---- L4 ---------------------------------------------------------------- */

/* The TCP and ICMP blocks are only meaningful for their protocol, but a
 * consumer that forgets to look at proto must not see the previous packet's
 * values: clearing them is a handful of stores. */
static inline void clear_tcp(struct weir_pkt *pkt)
{
	pkt->tcp_flags = 0;
	pkt->tcp_opts = 0;
	pkt->tcp_wscale = 0;
	pkt->tcp_win = 0;
	pkt->tcp_mss = 0;
	pkt->tcp_seq = 0;
	pkt->tcp_ack = 0;
}

static inline void clear_icmp(struct weir_pkt *pkt)
{
	pkt->icmp_type = 0;
	pkt->icmp_code = 0;
	pkt->icmp_id = 0;
	pkt->icmp_seq = 0;
}

/* Payload starts at poff and is plen bytes long by the headers; we may have
 * captured less (snaplen) or more (Ethernet padding, which is not payload). */
static inline void set_payload(const uint8_t *data, uint32_t caplen,
			       uint32_t poff, uint32_t plen, struct weir_pkt *pkt)
{
	uint32_t avail = caplen > poff ? caplen - poff : 0;
	pkt->l4_payload_len = plen;
	pkt->payload_caplen = avail < plen ? avail : plen;
	pkt->payload = data + (poff < caplen ? poff : caplen);
}

/* No L4 header to read: later fragments, and protocols we key by number
 * only (ESP, GRE, SCTP, OSPF, ...). */
static inline enum weir_decode_err l4_none(const uint8_t *data, uint32_t caplen,
					   uint32_t l4off, uint32_t l4len,
					   struct weir_pkt *pkt)
{
	pkt->sport = 0;
	pkt->dport = 0;
	pkt->l4_hdr_len = 0;
	clear_tcp(pkt);
	clear_icmp(pkt);
	set_payload(data, caplen, l4off, l4len, pkt);
	return WEIR_DEC_OK;
}

/* The IP payload is shorter than the L4 header. In a first fragment that is
 * the tiny-fragment trick: Argus still counts it, in a flow keyed with ports
 * 0 that the later fragments join (measured on
 * suricata-verify bug-6887-defrag-*-tcp-syn: "1.1.1.1.0 -> 2.2.2.2.0 tcp,
 * 3 pkts"), so it decodes like a later fragment. In an unfragmented packet
 * the header is missing: truncated. */
static inline enum weir_decode_err short_first_fragment(const uint8_t *data,
							uint32_t caplen,
							uint32_t l4off,
							uint32_t l4len,
							struct weir_pkt *pkt)
{
	if (!(pkt->frag & WEIR_FRAG_IS))
		return WEIR_DEC_TRUNC_L4;
	return l4_none(data, caplen, l4off, l4len, pkt);
}

/* TCP options: a malformed option ends the walk (what we found so far is
 * kept) but never fails the packet; the segment itself is still good. */
static inline void tcp_options(const uint8_t *o, uint32_t len, struct weir_pkt *pkt)
{
	uint32_t i = 0;
	uint8_t seen = 0;

	while (i < len) {
		uint8_t kind = o[i];
		if (kind == 0)              /* end of option list */
			break;
		if (kind == 1) {            /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		uint32_t olen = o[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		switch (kind) {
		case 2:
			if (olen != 4)
				goto done;
			pkt->tcp_mss = rd16(o + i + 2);
			seen |= WEIR_TCPOPT_MSS;
			break;
		case 3:
			if (olen != 3)
				goto done;
			pkt->tcp_wscale = o[i + 2];
			seen |= WEIR_TCPOPT_WSCALE;
			break;
		case 4:
			if (olen != 2)
				goto done;
			seen |= WEIR_TCPOPT_SACK_OK;
			break;
		case 5:
			if (olen < 10 || (olen - 2) % 8 != 0)
				goto done;
			seen |= WEIR_TCPOPT_SACK;
			break;
		case 8:
			if (olen != 10)
				goto done;
			seen |= WEIR_TCPOPT_TIMESTAMP;
			break;
		default:
			break;
		}
		i += olen;
	}
done:
	pkt->tcp_opts = seen;
}

static inline enum weir_decode_err l4_tcp(const uint8_t *data, uint32_t caplen,
					  uint32_t l4off, uint32_t l4len,
					  struct weir_pkt *pkt)
{
	uint32_t avail = caplen - l4off;
	const uint8_t *th = data + l4off;

	if (unlikely(l4len < 20))
		return short_first_fragment(data, caplen, l4off, l4len, pkt);
	if (unlikely(avail < 20))
		return WEIR_DEC_TRUNC_L4;
	uint32_t doff = (uint32_t)(th[12] >> 4) * 4;
	if (unlikely(doff < 20))
		return WEIR_DEC_BAD_TCP_HDR;
	uint32_t hl = doff;
	if (unlikely(doff > l4len)) {
		/* A first fragment may end inside the options (the rest follow
		 * in the next fragment; Argus keys and counts it normally); an
		 * unfragmented segment claiming more header than the IP payload
		 * is broken. */
		if (!(pkt->frag & WEIR_FRAG_IS))
			return WEIR_DEC_BAD_TCP_HDR;
		hl = l4len;
	}
	if (unlikely(hl > avail))
		return WEIR_DEC_TRUNC_L4;

	pkt->sport = rd16(th);
	pkt->dport = rd16(th + 2);
	pkt->tcp_seq = rd32(th + 4);
	pkt->tcp_ack = rd32(th + 8);
	pkt->tcp_flags = th[13];
	pkt->tcp_win = rd16(th + 14);
	pkt->l4_hdr_len = (uint16_t)hl;
	pkt->tcp_mss = 0;
	pkt->tcp_wscale = 0;
	if (hl > 20)
		tcp_options(th + 20, hl - 20, pkt);
	else
		pkt->tcp_opts = 0;
	clear_icmp(pkt);
	set_payload(data, caplen, l4off + hl, l4len - hl, pkt);
	return WEIR_DEC_OK;
}

static inline enum weir_decode_err l4_udp(const uint8_t *data, uint32_t caplen,
					  uint32_t l4off, uint32_t l4len,
					  struct weir_pkt *pkt)
{
	const uint8_t *uh = data + l4off;

	if (unlikely(l4len < 8))
		return short_first_fragment(data, caplen, l4off, l4len, pkt);
	if (unlikely(caplen - l4off < 8))
		return WEIR_DEC_TRUNC_L4;
	pkt->sport = rd16(uh);
	pkt->dport = rd16(uh + 2);
	pkt->l4_hdr_len = 8;
	clear_tcp(pkt);
	clear_icmp(pkt);
	/* The IP length decides, not the UDP length field: that is what Argus
	 * and Zeek count, and the UDP field spans all fragments of a first
	 * fragment. */
	set_payload(data, caplen, l4off + 8, l4len - 8, pkt);
	return WEIR_DEC_OK;
}

/* ICMPv4 flow key, after Argus 3.0.8 (measured, see doc/decoding.md):
 *  sport = type << 8 | code, with replies mapped to their request type and
 *          the code left out for query/informational types;
 *  dport = echo identifier for echo request/reply; for errors, a value taken
 *          from the quoted datagram so that errors about different flows
 *          do not merge: port unreachable -> quoted L4 destination port,
 *          protocol unreachable -> quoted protocol, net/host unreachable and
 *          net/host redirect -> first 16 bits of the quoted destination
 *          address; 0 otherwise.
 * The flow table keeps ICMP ports unsorted, so request and reply share a
 * key whatever their direction. */
static inline uint16_t icmp4_quoted(const uint8_t *l4, uint32_t lim,
				    uint8_t type, uint8_t code)
{
	const uint8_t *oip = l4 + 8;

	if (lim < 8 + 20)
		return 0;
	if (type == 3) {
		switch (code) {
		case 0: case 1:
			return rd16(oip + 16);
		case 2:
			return oip[9];
		case 3: {
			uint32_t ohl = (uint32_t)(oip[0] & 0x0f) * 4;
			if (ohl < 20 || lim < 8 + ohl + 4)
				return 0;
			return rd16(oip + ohl + 2);
		}
		default:
			return 0;
		}
	}
	if (type == 5 && code <= 1)
		return rd16(oip + 16);
	return 0;
}

static inline enum weir_decode_err l4_icmp4(const uint8_t *data, uint32_t caplen,
					    uint32_t l4off, uint32_t l4len,
					    struct weir_pkt *pkt)
{
	uint32_t avail = caplen - l4off;
	const uint8_t *ih = data + l4off;

	if (unlikely(l4len < 8))
		return short_first_fragment(data, caplen, l4off, l4len, pkt);
	if (unlikely(avail < 8))
		return WEIR_DEC_TRUNC_L4;
	uint8_t type = ih[0], code = ih[1];
	uint16_t id = rd16(ih + 4), seq = rd16(ih + 6);

	pkt->icmp_type = type;
	pkt->icmp_code = code;
	pkt->icmp_id = 0;
	pkt->icmp_seq = 0;
	pkt->dport = 0;
	switch (type) {
	case 0: case 8:             /* echo reply / request */
		pkt->reply = type == 0;
		pkt->sport = 8 << 8;
		pkt->dport = id;
		pkt->icmp_id = id;
		pkt->icmp_seq = seq;
		break;
	case 13: case 14:           /* timestamp */
	case 15: case 16:           /* information */
	case 17: case 18:           /* address mask */
		/* requests are odd, their replies the next even number */
		pkt->reply = !(type & 1u);
		pkt->sport = (uint16_t)((type & 1u) ? type : type - 1u) << 8;
		pkt->icmp_id = id;
		pkt->icmp_seq = seq;
		break;
	case 9: case 10:            /* router advertisement / solicitation */
		pkt->sport = (uint16_t)(type << 8);
		break;
	default: {
		uint32_t lim = avail < l4len ? avail : l4len;
		pkt->sport = (uint16_t)(type << 8 | code);
		pkt->dport = icmp4_quoted(ih, lim, type, code);
		break;
	}
	}
	pkt->l4_hdr_len = 8;
	clear_tcp(pkt);
	set_payload(data, caplen, l4off + 8, l4len - 8, pkt);
	return WEIR_DEC_OK;
}

/* ICMPv6 flow key, after Argus 3.0.8 (measured): sport = type with the
 * replies mapped to their request (echo reply -> echo request, MLD report
 * and done -> query, router advert -> solicit, neighbour advert -> solicit,
 * home-agent discovery reply -> request), dport = code. Argus does not put
 * the echo identifier in the ICMPv6 key. */
static inline enum weir_decode_err l4_icmp6(const uint8_t *data, uint32_t caplen,
					    uint32_t l4off, uint32_t l4len,
					    struct weir_pkt *pkt)
{
	const uint8_t *ih = data + l4off;

	if (unlikely(l4len < 8))
		return short_first_fragment(data, caplen, l4off, l4len, pkt);
	if (unlikely(caplen - l4off < 8))
		return WEIR_DEC_TRUNC_L4;
	uint8_t type = ih[0], code = ih[1], ktype = type;

	pkt->icmp_type = type;
	pkt->icmp_code = code;
	pkt->icmp_id = 0;
	pkt->icmp_seq = 0;
	switch (type) {
	case 128: case 129:
		ktype = 128;
		pkt->icmp_id = rd16(ih + 4);
		pkt->icmp_seq = rd16(ih + 6);
		break;
	case 131: case 132: ktype = 130; break;
	case 134: ktype = 133; break;
	case 136: ktype = 135; break;
	case 145: ktype = 144; break;
	default: break;
	}
	pkt->sport = ktype;
	pkt->dport = code;
	pkt->l4_hdr_len = 8;
	clear_tcp(pkt);
	set_payload(data, caplen, l4off + 8, l4len - 8, pkt);
	return WEIR_DEC_OK;
}

/* l4off is within the capture (the IP header, which ends there, was
 * checked); l4len is the IP payload length by the headers. */
static inline enum weir_decode_err decode_l4(const uint8_t *data, uint32_t caplen,
					     uint32_t l4off, uint32_t l4len,
					     struct weir_pkt *pkt)
{
	switch (pkt->proto) {
	case IPPROTO_TCP_:
		return l4_tcp(data, caplen, l4off, l4len, pkt);
	case IPPROTO_UDP_:
		return l4_udp(data, caplen, l4off, l4len, pkt);
	case IPPROTO_ICMP_:
		return l4_icmp4(data, caplen, l4off, l4len, pkt);
	case IPPROTO_ICMP6_:
		return l4_icmp6(data, caplen, l4off, l4len, pkt);
	default:
		return l4_none(data, caplen, l4off, l4len, pkt);
	}
}

/* ---- L3 ---------------------------------------------------------------- */

static enum weir_decode_err decode_ipv4(const uint8_t *data, uint32_t caplen,
					uint32_t wire, uint32_t off,
					struct weir_pkt *pkt)
{
	const uint8_t *ip = data + off;
	uint32_t avail = caplen - off;

	/* version first: IPv6 on an IPv4-only link is a version problem
	 * whatever its length */
	if (unlikely(avail < 20 || (ip[0] >> 4) != 4))
		return avail && (ip[0] >> 4) != 4 ? WEIR_DEC_BAD_IP_VERSION
						  : WEIR_DEC_TRUNC_L3;
	uint32_t hl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (unlikely(hl < 20))
		return WEIR_DEC_BAD_IHL;
	if (unlikely(hl > avail))
		return WEIR_DEC_TRUNC_L3;

	uint32_t wire_rem = wire - off;
	uint32_t tot = rd16(ip + 2);
	if (unlikely(tot == 0))
		tot = wire_rem;     /* TSO/LRO capture: the NIC fills it in later */
	else if (unlikely(tot < hl))
		return WEIR_DEC_BAD_IP_LEN;
	else if (unlikely(tot > wire_rem)) {
		/* Cut short on the wire: Argus counts such frames in their
		 * flow, so they are kept, with what the frame holds. */
		pkt->ip_short = 1;
		tot = wire_rem;
	}

	uint16_t fo = rd16(ip + 6);
	uint32_t frag_off = (uint32_t)(fo & 0x1fff) * 8;
	pkt->frag_id = rd16(ip + 4);
	if (likely((fo & 0x3fff) == 0)) {
		pkt->frag = 0;
		pkt->frag_off = 0;
	} else {
		uint32_t fplen = tot - hl;
		/* Reassembled datagram beyond 64 KiB, or a non-last fragment
		 * carrying nothing: no sender can produce these. */
		if (unlikely(frag_off + fplen > 65535 || ((fo & 0x2000) && fplen == 0)))
			return WEIR_DEC_BAD_FRAG;
		pkt->frag = (uint8_t)(WEIR_FRAG_IS |
				      (frag_off == 0 ? WEIR_FRAG_FIRST : 0) |
				      ((fo & 0x2000) ? WEIR_FRAG_MORE : 0));
		pkt->frag_off = frag_off;
	}

	pkt->family = WEIR_AF_INET;
	pkt->ip_ver = 4;
	pkt->proto = ip[9];
	pkt->tos = ip[1];
	pkt->ttl = ip[8];
	memcpy(pkt->src, ip + 12, 4);
	memset(pkt->src + 4, 0, 12);
	memcpy(pkt->dst, ip + 16, 4);
	memset(pkt->dst + 4, 0, 12);
	pkt->ip_len = tot;
	pkt->l2_len = (uint16_t)off;
	pkt->l3_hdr_len = (uint16_t)hl;

	if (unlikely(frag_off != 0))
		return l4_none(data, caplen, off + hl, tot - hl, pkt);
	return decode_l4(data, caplen, off + hl, tot - hl, pkt);
}

static enum weir_decode_err decode_ipv6(const uint8_t *data, uint32_t caplen,
					uint32_t wire, uint32_t off,
					struct weir_pkt *pkt)
{
	const uint8_t *ip = data + off;

	uint32_t avail = caplen - off;

	if (unlikely(avail < 40 || (ip[0] >> 4) != 6))
		return avail && (ip[0] >> 4) != 6 ? WEIR_DEC_BAD_IP_VERSION
						  : WEIR_DEC_TRUNC_L3;

	uint32_t wire_rem = wire - off;
	uint32_t ip_len = rd16(ip + 4);
	if (unlikely(ip_len == 0))
		ip_len = wire_rem;  /* jumbogram or TSO: take the wire's word */
	else if (unlikely((ip_len += 40) > wire_rem)) {
		pkt->ip_short = 1;  /* cut short on the wire: kept, see IPv4 */
		ip_len = wire_rem;
	}

	uint32_t end = off + ip_len;    /* by the headers; may exceed caplen */
	uint32_t h = off + 40;
	uint8_t nh = ip[6];
	unsigned n_ext = 0;

	pkt->frag = 0;
	pkt->frag_id = 0;
	pkt->frag_off = 0;
	for (;;) {
		uint32_t elen;
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 139: /* HIP */
		case 140: /* shim6 */
		case 253: case 254: /* experimental, RFC 3692 format */
		case 51:  /* AH: length in 4-byte units, minus 2 */
			if (unlikely(++n_ext > WEIR_DECODE_MAX_EXT))
				return WEIR_DEC_BAD_EXT_HDR;
			if (unlikely(h + 2 > end))
				return WEIR_DEC_BAD_EXT_HDR;
			if (unlikely(h + 2 > caplen))
				return WEIR_DEC_TRUNC_L3;
			elen = nh == 51 ? ((uint32_t)data[h + 1] + 2) * 4
					: ((uint32_t)data[h + 1] + 1) * 8;
			if (unlikely(h + elen > end))
				return WEIR_DEC_BAD_EXT_HDR;
			if (unlikely(h + elen > caplen))
				return WEIR_DEC_TRUNC_L3;
			nh = data[h];
			h += elen;
			continue;
		case 44: { /* fragment */
			if (unlikely(++n_ext > WEIR_DECODE_MAX_EXT))
				return WEIR_DEC_BAD_EXT_HDR;
			if (unlikely(h + 8 > end))
				return WEIR_DEC_BAD_EXT_HDR;
			if (unlikely(h + 8 > caplen))
				return WEIR_DEC_TRUNC_L3;
			uint16_t fo = rd16(data + h + 2);
			uint32_t foff = fo & 0xfff8u;
			uint32_t fplen = end - (h + 8);
			nh = data[h];
			if ((fo & 0xfff9u) == 0) {
				/* Atomic fragment (RFC 6946): a whole datagram
				 * in one piece, processed as unfragmented. */
				h += 8;
				continue;
			}
			if (unlikely(foff + fplen > 65535 || ((fo & 1) && fplen == 0)))
				return WEIR_DEC_BAD_FRAG;
			pkt->frag = (uint8_t)(WEIR_FRAG_IS |
					      (foff == 0 ? WEIR_FRAG_FIRST : 0) |
					      ((fo & 1) ? WEIR_FRAG_MORE : 0));
			pkt->frag_id = rd32(data + h + 4);
			pkt->frag_off = foff;
			h += 8;
			if (foff != 0)
				break;  /* fragment data follows, not headers */
			continue;
		}
		default:  /* upper layer, ESP (50), no next header (59), and the
			   * mobility header (135), which RFC 6275 makes the
			   * last header (Zeek stops there too) */
			break;
		}
		break;
	}

	pkt->family = WEIR_AF_INET6;
	pkt->ip_ver = 6;
	pkt->proto = nh;
	pkt->tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
	pkt->ttl = ip[7];
	memcpy(pkt->src, ip + 8, 16);
	memcpy(pkt->dst, ip + 24, 16);
	pkt->ip_len = ip_len;
	pkt->l2_len = (uint16_t)off;
	pkt->l3_hdr_len = (uint16_t)(h - off);

	if (unlikely(pkt->frag_off != 0))
		return l4_none(data, caplen, h, end - h, pkt);
	return decode_l4(data, caplen, h, end - h, pkt);
}

/* ARP over Ethernet (or any hardware) for IPv4: a flow between the sender
 * and target protocol addresses, as Argus reports it. */
static enum weir_decode_err decode_arp(const uint8_t *data, uint32_t caplen,
				       uint32_t off, struct weir_pkt *pkt)
{
	const uint8_t *a = data + off;
	uint32_t avail = caplen - off;

	if (unlikely(avail < 8))
		return WEIR_DEC_TRUNC_L3;
	uint32_t hlen = a[4], plen = a[5];
	if (rd16(a + 2) != ET_IPV4 || plen != 4)
		return WEIR_DEC_NOT_IP;
	uint32_t len = 8 + 2 * hlen + 2 * plen;
	if (unlikely(avail < len))
		return WEIR_DEC_TRUNC_L3;

	pkt->reply = rd16(a + 6) == 2;
	pkt->family = WEIR_AF_ARP;
	pkt->ip_ver = 0;
	pkt->proto = WEIR_PROTO_ARP;
	pkt->tos = 0;
	pkt->ttl = 0;
	memcpy(pkt->src, a + 8 + hlen, 4);
	memset(pkt->src + 4, 0, 12);
	memcpy(pkt->dst, a + 8 + 2 * hlen + 4, 4);
	memset(pkt->dst + 4, 0, 12);
	pkt->ip_len = len;
	pkt->l2_len = (uint16_t)off;
	pkt->l3_hdr_len = (uint16_t)len;
	pkt->frag = 0;
	pkt->frag_id = 0;
	pkt->frag_off = 0;
	l4_none(data, caplen, off + len, 0, pkt);
	/* the opcode rides in icmp_type (1 request, 2 reply; low byte), which
	 * the flow features read to orient a reply-first ARP flow */
	pkt->icmp_type = a[7];
	return WEIR_DEC_OK;
}

/* Dispatch on version nibble: raw IP links and the end of an MPLS stack. */
static inline enum weir_decode_err decode_ip_any(const uint8_t *data, uint32_t caplen,
						 uint32_t wire, uint32_t off,
						 struct weir_pkt *pkt)
{
	if (unlikely(off >= caplen))
		return WEIR_DEC_TRUNC_L3;
	switch (data[off] >> 4) {
	case 4:
		return decode_ipv4(data, caplen, wire, off, pkt);
	case 6:
		return decode_ipv6(data, caplen, wire, off, pkt);
	default:
		return WEIR_DEC_BAD_IP_VERSION;
	}
}

/* ---- L2 ---------------------------------------------------------------- */

/* Everything after an ethertype: VLAN tags, MPLS, PPPoE, then IP or ARP.
 * VLAN tags and MPLS labels share one depth budget. */
static enum weir_decode_err decode_ethertype(const uint8_t *data, uint32_t caplen,
					     uint32_t wire, uint32_t off, uint16_t et,
					     struct weir_pkt *pkt)
{
	unsigned tags = 0;

	for (;;) {
		switch (et) {
		case ET_IPV4:
			return decode_ipv4(data, caplen, wire, off, pkt);
		case ET_IPV6:
			return decode_ipv6(data, caplen, wire, off, pkt);
		case ET_VLAN:
		case ET_QINQ:
		case ET_QINQ_OLD:
			if (unlikely(++tags > WEIR_DECODE_MAX_TAGS))
				return WEIR_DEC_TOO_MANY_TAGS;
			if (unlikely(caplen - off < 4))
				return WEIR_DEC_TRUNC_L2;
			pkt->vlan_id = rd16(data + off) & 0x0fff;
			pkt->vlan_depth++;
			et = rd16(data + off + 2);
			off += 4;
			continue;
		case ET_VNTAG:
			/* Cisco VN-Tag: 4 bytes of tag, then the next
			 * ethertype (Zeek and Argus both step over it) */
			if (unlikely(++tags > WEIR_DECODE_MAX_TAGS))
				return WEIR_DEC_TOO_MANY_TAGS;
			if (unlikely(caplen - off < 6))
				return WEIR_DEC_TRUNC_L2;
			et = rd16(data + off + 4);
			off += 6;
			continue;
		case ET_MPLS_UC:
		case ET_MPLS_MC:
			for (;;) {
				if (unlikely(++tags > WEIR_DECODE_MAX_TAGS))
					return WEIR_DEC_TOO_MANY_TAGS;
				if (unlikely(caplen - off < 4))
					return WEIR_DEC_TRUNC_L2;
				uint8_t bos = data[off + 2] & 1;
				pkt->mpls_depth++;
				off += 4;
				if (bos)
					break;
			}
			/* No next-protocol field: guess by the version nibble.
			 * Nibble 0 is a pseudowire control word (Ethernet over
			 * MPLS), a valid frame we do not follow. */
			if (off < caplen && (data[off] >> 4) == 0)
				return WEIR_DEC_NOT_IP;
			return decode_ip_any(data, caplen, wire, off, pkt);
		case ET_PPPOE_SES: {
			/* 6-byte PPPoE header, then the 2-byte PPP protocol. */
			if (unlikely(caplen - off < 8))
				return WEIR_DEC_TRUNC_L2;
			uint16_t ppp = rd16(data + off + 6);
			off += 8;
			if (ppp == PPP_IPV4)
				return decode_ipv4(data, caplen, wire, off, pkt);
			if (ppp == PPP_IPV6)
				return decode_ipv6(data, caplen, wire, off, pkt);
			return WEIR_DEC_NOT_IP;     /* LCP, IPCP, PAP, ... */
		}
		case ET_ARP:
			return decode_arp(data, caplen, off, pkt);
		default:
			return WEIR_DEC_NOT_IP;
		}
	}
}

/* 802.3 length field instead of an ethertype: LLC. Only SNAP with a zero
 * OUI carries an ethertype we can follow (RFC 1042 encapsulation). */
static enum weir_decode_err decode_llc(const uint8_t *data, uint32_t caplen,
				       uint32_t wire, struct weir_pkt *pkt)
{
	if (caplen >= 22 && data[14] == 0xaa && data[15] == 0xaa &&
	    data[16] == 0x03 && data[17] == 0 && data[18] == 0 && data[19] == 0)
		return decode_ethertype(data, caplen, wire, 22, rd16(data + 20), pkt);
	return WEIR_DEC_NOT_IP;
}

/* BSD loopback: the AF word is in the capturing host's byte order (DLT_NULL)
 * or network order (DLT_LOOP), and captures move between hosts, so decide
 * by value: AF numbers are small, a swapped one has only high bits set. */
static enum weir_decode_err decode_null(const uint8_t *data, uint32_t caplen,
					uint32_t wire, struct weir_pkt *pkt)
{
	if (unlikely(caplen < 4))
		return WEIR_DEC_TRUNC_L2;
	uint32_t af = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
		      (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	if (af > 0xffff)
		af = __builtin_bswap32(af);
	switch (af) {
	case 2:                          /* AF_INET everywhere */
		return decode_ipv4(data, caplen, wire, 4, pkt);
	case 10: case 24: case 28: case 30:  /* AF_INET6: Linux, *BSD, FreeBSD, Darwin */
		return decode_ipv6(data, caplen, wire, 4, pkt);
	default:
		return WEIR_DEC_NOT_IP;
	}
}

/* PPP (DLT_PPP, DLT_PPP_SERIAL): optional HDLC address/control bytes, then
 * a 2-byte protocol (or 1 byte when protocol-field compression is on). */
static enum weir_decode_err decode_ppp(const uint8_t *data, uint32_t caplen,
				       uint32_t wire, struct weir_pkt *pkt)
{
	uint32_t off = 0;
	uint16_t proto;

	if (caplen >= 1 && data[0] == 0xff) {   /* HDLC all-stations address */
		if (unlikely(caplen < 2))
			return WEIR_DEC_TRUNC_L2;
		if (data[1] == 0x03)
			off = 2;
	}
	if (unlikely(off >= caplen))
		return WEIR_DEC_TRUNC_L2;
	if (data[off] & 1) {
		proto = data[off];
		off += 1;
	} else {
		if (unlikely(caplen - off < 2))
			return WEIR_DEC_TRUNC_L2;
		proto = rd16(data + off);
		off += 2;
	}
	if (proto == PPP_IPV4)
		return decode_ipv4(data, caplen, wire, off, pkt);
	if (proto == PPP_IPV6)
		return decode_ipv6(data, caplen, wire, off, pkt);
	return WEIR_DEC_NOT_IP;
}

/* The wire cannot have carried less than we captured; a caller that says so
 * gets the captured length used for the length checks. */
static inline uint32_t wire_bound(uint32_t caplen, uint32_t wire_len)
{
	return wire_len < caplen ? caplen : wire_len;
}

/* The general decoder, every link type; ts_ns, wire_len and cap_len are
 * already stored (both entry points do that first). */
static enum weir_decode_err decode_frame(int linktype, const uint8_t *data,
					 uint32_t caplen, uint32_t wire,
					 struct weir_pkt *pkt)
{
	pkt->vlan_id = 0;
	pkt->vlan_depth = 0;
	pkt->mpls_depth = 0;
	pkt->reply = 0;
	pkt->ip_short = 0;

	if (likely(linktype == WEIR_LINK_ETHERNET)) {
		if (unlikely(caplen < 14))
			return WEIR_DEC_TRUNC_L2;
		uint16_t et = rd16(data + 12);
		if (unlikely(et <= 1500))
			return decode_llc(data, caplen, wire, pkt);
		if (likely(et == ET_IPV4))
			return decode_ipv4(data, caplen, wire, 14, pkt);
		return decode_ethertype(data, caplen, wire, 14, et, pkt);
	}

	switch (linktype) {
	case WEIR_LINK_SLL:
		/* 16 bytes; the protocol field is an ethertype for all the
		 * hardware types that carry IP (802.3/802.2 values fall through
		 * to NOT_IP). */
		if (unlikely(caplen < 16))
			return WEIR_DEC_TRUNC_L2;
		return decode_ethertype(data, caplen, wire, 16, rd16(data + 14), pkt);
	case WEIR_LINK_SLL2:
		if (unlikely(caplen < 20))
			return WEIR_DEC_TRUNC_L2;
		return decode_ethertype(data, caplen, wire, 20, rd16(data), pkt);
	case WEIR_LINK_RAW:
	case WEIR_LINK_RAW_DLT12:
	case WEIR_LINK_RAW_DLT14:
		return decode_ip_any(data, caplen, wire, 0, pkt);
	case WEIR_LINK_IPV4:
		return decode_ipv4(data, caplen, wire, 0, pkt);
	case WEIR_LINK_IPV6:
		return decode_ipv6(data, caplen, wire, 0, pkt);
	case WEIR_LINK_NULL:
	case WEIR_LINK_LOOP:
		return decode_null(data, caplen, wire, pkt);
	case WEIR_LINK_PPP:
	case WEIR_LINK_PPP_SERIAL:
		return decode_ppp(data, caplen, wire, pkt);
	default:
		return WEIR_DEC_BAD_LINKTYPE;
	}
}

enum weir_decode_err weir_decode_slow(int linktype, const uint8_t *data,
				      uint32_t caplen, uint32_t wire_len,
				      uint64_t ts_ns, struct weir_pkt *pkt)
{
	pkt->ts_ns = ts_ns;
	pkt->wire_len = wire_len;
	pkt->cap_len = caplen;
	return decode_frame(linktype, data, caplen, wire_bound(caplen, wire_len), pkt);
}

/* ---- fast path ---------------------------------------------------------- */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

/* The plain frame, decoded without the general path's layering: one set of
 * checks, then struct weir_pkt stored as its 8-byte words, each assembled in
 * a register, padding included (as zero). Stored field by field, the same
 * code measured 110 instructions a frame in weir_decode on the 64-byte
 * --bench-mix, as words 101 (gcc 12 -O2 merges few field stores; callgrind);
 * the general path took 182 (doc/decoding.md). The words are little-endian
 * images of the fields at these offsets: a change to the struct must fail
 * here, not corrupt packets. */
#define PKT_AT(f, o) _Static_assert(offsetof(struct weir_pkt, f) == (o), \
				    "fast path: weir_pkt." #f " moved")
PKT_AT(ts_ns, 0);       PKT_AT(wire_len, 8);    PKT_AT(cap_len, 12);
PKT_AT(family, 16);     PKT_AT(ip_ver, 17);     PKT_AT(proto, 18);
PKT_AT(vlan_id, 20);    PKT_AT(vlan_depth, 22); PKT_AT(mpls_depth, 23);
PKT_AT(src, 24);        PKT_AT(dst, 40);
PKT_AT(sport, 56);      PKT_AT(dport, 58);      PKT_AT(ttl, 60);
PKT_AT(tos, 61);        PKT_AT(ip_len, 64);     PKT_AT(l2_len, 68);
PKT_AT(l3_hdr_len, 70); PKT_AT(l4_hdr_len, 72); PKT_AT(frag, 74);
PKT_AT(ip_short, 75);   PKT_AT(reply, 76);      PKT_AT(frag_id, 80);
PKT_AT(frag_off, 84);   PKT_AT(tcp_flags, 88);  PKT_AT(tcp_opts, 89);
PKT_AT(tcp_wscale, 90); PKT_AT(tcp_win, 92);    PKT_AT(tcp_mss, 94);
PKT_AT(tcp_seq, 96);    PKT_AT(tcp_ack, 100);   PKT_AT(icmp_type, 104);
PKT_AT(icmp_code, 105); PKT_AT(icmp_id, 106);   PKT_AT(icmp_seq, 108);
PKT_AT(l4_payload_len, 112); PKT_AT(payload_caplen, 116); PKT_AT(payload, 120);
_Static_assert(sizeof(struct weir_pkt) == 128, "fast path: weir_pkt grew");

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline void st64(struct weir_pkt *pkt, size_t off, uint64_t v)
{
	memcpy((uint8_t *)pkt + off, &v, 8);
}

/* What the fast path did with a frame. */
enum fast_result {
	FAST_NO,        /* not its kind of frame: *pkt untouched */
	FAST_DONE,      /* decoded */
	FAST_OPTS,      /* decoded but for the TCP option walk */
};

/* The handshake's option lists (MSS, SACK-permitted, window scale...) of a
 * frame the fast path took, out of line and reached by a tail call from
 * weir_decode: called from inside the fast path, it cost every fast-path
 * frame 12-14 instructions of set-up (pushes, pops, stack alignment;
 * measured). Returns WEIR_DEC_OK. */
static __attribute__((noinline)) enum weir_decode_err
fast_tcp_options(const uint8_t *data, struct weir_pkt *pkt)
{
	tcp_options(data + 14 + 20 + 20, pkt->l4_hdr_len - 20u, pkt);
	return WEIR_DEC_OK;
}

/* TCP words of a frame the fast path took: flags, window, sequence and
 * acknowledgement numbers, and the options unless they need the walk. */
static inline enum fast_result fast_tcp(const uint8_t *th, uint32_t hl,
					struct weir_pkt *pkt)
{
	enum fast_result r = FAST_DONE;
	uint64_t opts = 0;

	/* NOP NOP timestamp, what Linux puts on every segment after the
	 * handshake, is known without the walk */
	if (hl == 32 && rd32(th + 20) == TCPOPT_NOP_NOP_TS)
		opts = WEIR_TCPOPT_TIMESTAMP;
	else if (hl > 20)
		r = FAST_OPTS;
	/* tcp_flags, tcp_opts, tcp_win; tcp_wscale, tcp_mss 0 */
	st64(pkt, 88, th[13] | opts << 8 | (uint64_t)rd16(th + 14) << 32);
	/* seq and ack to host order: swap all eight bytes, then the two
	 * halves back */
	uint64_t sa = __builtin_bswap64(ld64(th + 4));
	st64(pkt, 96, sa >> 32 | sa << 32);
	return r;
}

/* The frame nearly every packet is: Ethernet II, IPv4 with IHL 5, not a
 * fragment, TCP or UDP, every header captured, total length neither 0 nor
 * beyond the wire. All of that is checked before *pkt is touched
 * (weir_decode has stored ts_ns, wire_len and cap_len, as the general path
 * does first too); anything else is FAST_NO with *pkt as it was, and the
 * general path decides, so error reasons, and what an error leaves in *pkt,
 * are the general path's. Otherwise *pkt holds what weir_decode_slow()
 * stores for the same frame, field for field (after fast_tcp_options() on
 * FAST_OPTS). */
static inline enum fast_result fast_eth_ipv4(const uint8_t *data, uint32_t caplen,
					     uint32_t wire, struct weir_pkt *pkt)
{
	const uint8_t *ip = data + 14;
	const uint8_t *l4 = ip + 20;

	/* the shortest frame taken: a UDP header after IHL 5 */
	if (unlikely(caplen < 14 + 20 + 8))
		return FAST_NO;
	/* ethertype 0x0800 and version 4, IHL 5 (08 00 45), one compare */
	if (unlikely((ld32(data + 12) & 0xffffff) != 0x450008))
		return FAST_NO;
	/* One compare for both ends of the total length: below 20 (0 is a
	 * TSO capture, the rest BAD_IP_LEN) wraps l4len round, and beyond
	 * the wire (ip_short) is l4len > wire - 34; wire >= caplen >= 42. */
	uint32_t l4len = rd16(ip + 2) - 20u;
	if (unlikely(l4len > wire - 34))
		return FAST_NO;
	/* MF or an offset: a fragment (flags and offset as loaded, byte
	 * order unswapped: DF and the reserved bit are the 0xc0 of byte 6) */
	if (unlikely(ld16(ip + 6) & 0xff3f))
		return FAST_NO;
	uint32_t avail = caplen - 34, hl;
	switch (ip[9]) {
	case IPPROTO_TCP_:
		if (unlikely(avail < 20))
			return FAST_NO;
		hl = (uint32_t)(l4[12] >> 2) & 0x3c;
		if (unlikely(hl < 20))
			return FAST_NO;   /* BAD_TCP_HDR */
		break;
	case IPPROTO_UDP_:
		hl = 8;
		break;
	default:
		return FAST_NO;
	}
	/* TCP: BAD_TCP_HDR or TRUNC_L4; UDP: a short UDP header */
	if (unlikely(hl > l4len || hl > avail))
		return FAST_NO;

	/* sport, dport to host order, in place: swap all four bytes, then
	 * the two halves back */
	uint32_t ports = __builtin_bswap32(ld32(l4));
	ports = ports >> 16 | ports << 16;
	/* hl <= avail: the payload starts inside the capture */
	uint32_t plen = l4len - hl, pcap = avail - hl;
	if (pcap > plen)
		pcap = plen;    /* Ethernet padding is not payload */

	/* family, ip_ver, proto; vlan_id, vlan_depth, mpls_depth 0 */
	st64(pkt, 16, WEIR_AF_INET | 4 << 8 | (uint64_t)ip[9] << 16);
	st64(pkt, 24, ld32(ip + 12));            /* src, zero tail */
	st64(pkt, 32, 0);
	st64(pkt, 40, ld32(ip + 16));            /* dst, zero tail */
	st64(pkt, 48, 0);
	st64(pkt, 56, ports | (uint64_t)ip[8] << 32 | (uint64_t)ip[1] << 40);
	/* ip_len, l2_len, l3_hdr_len */
	st64(pkt, 64, (l4len + 20) | 14ull << 32 | 20ull << 48);
	st64(pkt, 72, hl);              /* l4_hdr_len; frag, ip_short, reply 0 */
	st64(pkt, 80, rd16(ip + 4));    /* frag_id; frag_off 0 */
	st64(pkt, 104, 0);                       /* ICMP block */
	st64(pkt, 112, plen | (uint64_t)pcap << 32);
	pkt->payload = l4 + hl;
	if (ip[9] == IPPROTO_TCP_)
		return fast_tcp(l4, hl, pkt);
	st64(pkt, 88, 0);                        /* TCP block */
	st64(pkt, 96, 0);
	return FAST_DONE;
}

#else

enum fast_result { FAST_NO, FAST_DONE, FAST_OPTS };

static inline enum fast_result fast_eth_ipv4(const uint8_t *data, uint32_t caplen,
					     uint32_t wire, struct weir_pkt *pkt)
{
	(void)data; (void)caplen; (void)wire; (void)pkt;
	return FAST_NO;
}

static inline enum weir_decode_err fast_tcp_options(const uint8_t *data,
						    struct weir_pkt *pkt)
{
	(void)data; (void)pkt;
	return WEIR_DEC_OK;
}

#endif

enum weir_decode_err weir_decode(int linktype, const uint8_t *data,
				 uint32_t caplen, uint32_t wire_len,
				 uint64_t ts_ns, struct weir_pkt *pkt)
{
	uint32_t wire = wire_bound(caplen, wire_len);

	/* first, as in weir_decode_slow: the fast path then needs neither */
	pkt->ts_ns = ts_ns;
	pkt->wire_len = wire_len;
	pkt->cap_len = caplen;
	if (likely(linktype == WEIR_LINK_ETHERNET)) {
		enum fast_result r = fast_eth_ipv4(data, caplen, wire, pkt);
		if (likely(r == FAST_DONE))
			return WEIR_DEC_OK;
		if (r == FAST_OPTS)     /* stored zero: tcp_opts, tcp_mss, tcp_wscale */
			return fast_tcp_options(data, pkt);
		return decode_frame(WEIR_LINK_ETHERNET, data, caplen, wire, pkt);
	}
	return decode_frame(linktype, data, caplen, wire, pkt);
}
