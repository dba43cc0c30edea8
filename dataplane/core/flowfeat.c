/* Argus-style flow features (UNSW-NB15's "flow" and "basic" groups).
 *
 * The rules are Argus 3.0.8's, established by running argus/racluster/ra on
 * real captures and reading its public sources (doc/features.md lists each
 * rule and the evidence). Where Argus has a quirk that shows in its output
 * (seqbase 0 meaning "unset", the act/idle jitter combination, the load
 * formula's integer mean), the quirk is reproduced on purpose: the oracle is
 * Argus's output, and UNSW-NB15 was made with it.
 *
 * Per packet this is a handful of compares and adds: no division, no sqrt,
 * no allocation. Means, deviations and rates are computed in finalize.
 */
#include <math.h>
#include <string.h>
#include "flowfeat.h"

/* TCP states, numbered as BSD's tcp_fsm.h (Argus's state machine uses
 * those). */
enum {
	TS_CLOSED = 0, TS_LISTEN, TS_SYN_SENT, TS_SYN_RECEIVED, TS_ESTABLISHED,
	TS_CLOSE_WAIT, TS_FIN_WAIT_1, TS_CLOSING, TS_LAST_ACK, TS_FIN_WAIT_2,
	TS_TIME_WAIT
};

/* Flow-level status (weir_feat.tcp_status): Argus's tcpExt->status bits we
 * need for the state column. */
#define FS_STARTED      0x01  /* the first TCP header has been seen */
#define FS_SAW_SYN      0x02
#define FS_SAW_SYN_SENT 0x04
#define FS_CON_EST      0x08
#define FS_FIN          0x10
#define FS_FIN_ACK      0x20
#define FS_NORMAL_CLOSE 0x40
#define FS_RESET        0x80

/* Per-direction bits (weir_feat_dir.bits). */
#define FD_FIN      0x01  /* this side's FIN went through the state machine */
#define FD_FIN_ACK  0x02  /* ... and was acknowledged */
#define FD_ACT      0x04  /* an interval was filed as "active" */
#define FD_IDLE     0x08  /* an interval was filed as "idle" */

/* Flow bits (weir_feat.fflags). */
#define FF_SYNACK_FIRST 0x01  /* the first packet was a SYN/ACK */

/* Protocol classes (weir_feat.proto_class). */
enum { FC_TCP = 0, FC_UDP, FC_ICMP, FC_ICMP6, FC_ARP, FC_OTHER };

#define TH_FIN WEIR_TH_FIN
#define TH_SYN WEIR_TH_SYN
#define TH_RST WEIR_TH_RST
#define TH_PSH WEIR_TH_PSH
#define TH_ACK WEIR_TH_ACK
#define TH_URG WEIR_TH_URG

static unsigned class_of(const struct weir_pkt *p)
{
	switch (p->proto) {
	case 6: return FC_TCP;
	case 17: return FC_UDP;
	case 1: return FC_ICMP;
	case 58: return FC_ICMP6;
	case WEIR_PROTO_ARP: return FC_ARP;
	default: return FC_OTHER;
	}
}

static int has_tcp_header(const struct weir_pkt *p)
{
	return p->proto == 6 && p->l4_hdr_len >= 20;
}

void weir_feat_init(struct weir_feat *f, const struct weir_pkt *pkt, int side)
{
	memset(f, 0, sizeof(*f));
	f->proto_class = (uint8_t)class_of(pkt);
	f->src_side = (uint8_t)side;
	/* When the first packet is a SYN/ACK the SYN was missed but the roles
	 * are plain: its receiver is the client, and Argus reports it as the
	 * source once it has sent something (a lone SYN/ACK stays the
	 * sender's, see finalize). Any other first packet's sender is the
	 * source. */
	if (has_tcp_header(pkt) &&
	    (pkt->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK)) {
		f->src_side = (uint8_t)!side;
		f->fflags |= FF_SYNACK_FIRST;
	} else if (has_tcp_header(pkt) && !(pkt->tcp_flags & TH_SYN) &&
		   pkt->sport < pkt->dport) {
		/* Mid-stream start (no SYN): Argus takes the lower port for the
		 * server's, so a packet from it makes its receiver the source
		 * (measured: a lone ACK or RST from port 80/110/6667). */
		f->src_side = (uint8_t)!side;
	}
	/* A reply first (ICMPv4 echo/timestamp/information/mask reply, ARP
	 * reply; the decoder's `reply`): Argus makes its receiver, the asker,
	 * the source, and the reply a destination packet (a lone gratuitous
	 * ARP reply: 0/1, RSP). Measured on the crafted one-packet-per-type
	 * capture and icmp_dot1q.pcap. */
	if (pkt->reply && (f->proto_class == FC_ICMP || f->proto_class == FC_ARP))
		f->src_side = (uint8_t)!side;
	if (f->proto_class == FC_ICMP || f->proto_class == FC_ICMP6) {
		f->icmp_type = pkt->icmp_type;
		f->icmp_code = pkt->icmp_code;
	}
}

/* The first TCP header of a flow (Argus: ARGUS_START in ArgusUpdateTCPState).
 * d: the sender's direction, o: the other one. */
static void tcp_start(struct weir_feat *f, struct weir_feat_dir *d,
		      struct weir_feat_dir *o, const struct weir_pkt *p)
{
	uint8_t fl = p->tcp_flags;
	uint32_t len = p->l4_payload_len;

	f->tcp_status |= FS_STARTED;
	d->flags |= fl;
	if (fl & TH_RST) {
		f->tcp_status |= FS_RESET;
		f->tcp_state = TS_LISTEN;
		if (p->tcp_seq) {
			d->isn = p->tcp_seq - 1;
			d->seq = p->tcp_seq + len;
		} else {
			d->isn = p->tcp_ack - 1;
			d->seq = p->tcp_ack - 1;
		}
		o->ack = p->tcp_ack - 1;
		return;
	}
	switch (fl & (TH_SYN | TH_ACK | TH_FIN | TH_PSH | TH_URG)) {
	case TH_SYN:
		f->tcp_status |= FS_SAW_SYN;
		f->tcp_state = TS_SYN_SENT;
		d->isn = d->seq = p->tcp_seq;
		d->win = p->tcp_win;
		break;
	case TH_SYN | TH_ACK:
	case TH_SYN | TH_ACK | TH_PSH:
	case TH_SYN | TH_ACK | TH_PSH | TH_URG:
		f->tcp_status |= FS_SAW_SYN_SENT;
		f->tcp_state = TS_SYN_RECEIVED;
		d->isn = d->seq = p->tcp_seq;
		d->win = p->tcp_win;
		o->ack = p->tcp_ack - 1;
		break;
	case TH_FIN:
	case TH_FIN | TH_ACK:
	case TH_FIN | TH_ACK | TH_URG:
	case TH_FIN | TH_ACK | TH_PSH:
	case TH_FIN | TH_ACK | TH_PSH | TH_URG:
		f->tcp_status |= FS_FIN;
		f->tcp_state = TS_FIN_WAIT_1;
		d->isn = p->tcp_seq - 1;
		d->seq = p->tcp_seq + len;
		d->win = p->tcp_win;
		break;
	case TH_ACK:
	case TH_PSH | TH_ACK:
	case TH_URG | TH_ACK:
	case TH_PSH | TH_URG | TH_ACK:
		o->ack = p->tcp_ack - 1;
		/* fall through */
	default:
		f->tcp_status |= FS_CON_EST;
		f->tcp_state = TS_ESTABLISHED;
		d->isn = p->tcp_seq - 1;
		d->seq = p->tcp_seq + len;
		d->win = p->tcp_win;
		break;
	}
}

/* Sequence tracking of a later packet (Argus's ArgusUpdateTCPSequence):
 * retransmissions (loss), bytes in flight, the advertised window. Returns
 * whether the packet is "in protocol", which files its inter-arrival time
 * as active (1) or idle (0). */
static int tcp_sequence(struct weir_feat_dir *d, struct weir_feat_dir *o,
			const struct weir_pkt *p)
{
	uint8_t fl = p->tcp_flags;
	uint32_t len = p->l4_payload_len;
	uint32_t seq = p->tcp_seq, newseq = seq + len;
	int inproto = 1;

	/* A bare SYN leaves Argus's (process-wide) in-protocol flag as the
	 * previous packet set it. Per flow the best guess is its initial
	 * value, 1, which is also what a SYN sent twice in a row sees (SYN
	 * duplicates in zeek/Traces/http/m57-long-49583-80.pcap file a 1 us
	 * active interval). */
	if (fl == TH_SYN)
		return 1;

	if (p->tcp_win == 0 && !(fl & (TH_FIN | TH_RST)))
		inproto = 0; /* window shut */
	else if (!(fl & (TH_FIN | TH_RST)))
		d->win = p->tcp_win;

	if (len && o->win != 0) {
		if (d->winbytes == 0)
			inproto = 0;
		if ((d->flags & TH_FIN) && seq < d->seq)
			d->loss++; /* data below a FIN already sent */
		if (!(fl & TH_SYN))
			d->winbytes += len;
	} else {
		inproto = 0;
	}

	if (newseq < seq) {
		/* sequence space wrapped: Argus restarts its base here */
		d->isn = newseq;
		d->seq = newseq;
	} else if (!d->isn) {
		d->isn = seq;
		d->seq = newseq;
	} else if (len && o->win != 0) {
		if (seq < o->ack) {
			if (o->ack - seq < (uint32_t)(d->win >> (d->wscale & 31))) {
				d->loss++;
				d->winbytes -= len;
				inproto = 0;
			}
		} else {
			uint32_t maxseq = newseq > d->seq ? newseq : d->seq;
			if (d->win) {
				if (d->winbytes > (maxseq - 1) - o->ack) {
					d->loss++;
					d->winbytes -= len;
					inproto = 0;
				} else if (newseq < d->seq && seq == o->ack + 1) {
					d->loss++;
					d->winbytes -= len;
				}
			}
			d->seq = maxseq;
		}
	}

	if (p->tcp_ack && (fl & TH_ACK)) {
		uint32_t ackm1 = p->tcp_ack - 1;
		if (d->ack && o->seq > d->ack)
			o->winbytes = (o->seq - 1) - d->ack;
		if (d->ack != ackm1) {
			if (!d->ack || o->seq == p->tcp_ack) {
				o->winbytes = 0;
			} else if (!(fl & TH_SYN)) {
				uint32_t w = ackm1 - d->ack;
				if (o->winbytes < w)
					w = o->winbytes;
				o->winbytes -= w;
			}
			d->ack = ackm1;
		}
	}
	return inproto;
}

static uint32_t us_since(uint64_t now_ns, uint64_t then_ns)
{
	uint64_t d = now_ns > then_ns ? now_ns - then_ns : 0;
	d /= 1000; /* once per handshake, not per packet */
	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Argus's TCP state machine (ArgusUpdateTCPStateMachine), after the
 * sequence update. Handshake timings are taken here. */
static void tcp_machine(struct weir_feat *f, struct weir_feat_dir *d,
			struct weir_feat_dir *o, const struct weir_pkt *p)
{
	/* ECN bits stay in: Argus 3.0.8 takes a SYN/ACK|ECE for no SYN/ACK
	 * (no synack time, straight to established), measured on
	 * zeek/Traces/irc-dcc-send.pcapng. */
	uint8_t fl = p->tcp_flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN |
				     WEIR_TH_ECE | WEIR_TH_CWR);
	unsigned state = f->tcp_state;

	if (fl & TH_RST) {
		f->tcp_status |= FS_RESET;
		if (state == TS_SYN_SENT) {
			state = o->seq == d->ack ? TS_LISTEN : TS_CLOSING;
		} else {
			uint32_t wnd = (uint32_t)(d->win >> (d->wscale & 31));
			state = (p->tcp_seq >= d->ack && p->tcp_seq < d->ack + wnd)
				? TS_CLOSED : TS_CLOSING;
		}
	} else {
		switch (state) {
		case TS_LISTEN:
		case TS_SYN_SENT:
			if (fl == TH_SYN) {
				d->loss++; /* SYN retransmitted */
			} else if (fl == (TH_SYN | TH_ACK)) {
				state = TS_SYN_RECEIVED;
				f->tcp_status |= FS_SAW_SYN_SENT;
				if (o->seq == d->ack)
					f->synack_us = us_since(p->ts_ns, o->last_ns);
			} else if (fl & TH_FIN) {
				state = TS_FIN_WAIT_1;
				f->tcp_status |= FS_FIN;
				d->bits |= FD_FIN;
			} else if (fl & TH_ACK) {
				state = TS_ESTABLISHED;
				f->tcp_status |= FS_CON_EST;
			}
			break;
		case TS_SYN_RECEIVED:
			if (fl & TH_FIN) {
				state = TS_FIN_WAIT_1;
				f->tcp_status |= FS_FIN;
				d->bits |= FD_FIN;
			} else if (!(fl & TH_SYN)) {
				if (fl & TH_ACK) {
					state = TS_ESTABLISHED;
					f->tcp_status |= FS_CON_EST;
					if (d->seq == o->ack)
						f->ackdat_us = us_since(p->ts_ns, o->last_ns);
				}
			} else {
				d->loss++; /* SYN or SYN/ACK again */
			}
			break;
		case TS_ESTABLISHED:
			if (fl & TH_FIN) {
				state = TS_FIN_WAIT_1;
				f->tcp_status |= FS_FIN;
				d->bits |= FD_FIN;
			} else if (fl & TH_SYN) {
				if (fl & TH_ACK)
					f->tcp_status |= FS_SAW_SYN_SENT | FS_CON_EST;
				d->loss++;
			}
			break;
		case TS_CLOSE_WAIT:
		case TS_FIN_WAIT_1:
			if ((fl & TH_SYN) && !(fl & TH_ACK)) {
				state = TS_LISTEN;
				break;
			}
			/* fall through */
		case TS_LAST_ACK:
		case TS_FIN_WAIT_2:
			if (fl & TH_FIN) {
				if (!(fl & TH_ACK)) {
					if (o->bits & FD_FIN_ACK)
						d->loss++;
				} else {
					f->tcp_status |= FS_FIN;
					d->bits |= FD_FIN;
				}
			}
			if ((fl & TH_ACK) && !p->l4_payload_len && (o->bits & FD_FIN) &&
			    o->seq == d->ack) {
				state = TS_FIN_WAIT_2;
				f->tcp_status |= FS_FIN_ACK;
				o->bits |= FD_FIN_ACK;
			}
			break;
		case TS_CLOSING:
		case TS_TIME_WAIT:
			if ((fl & TH_SYN) && !(fl & TH_ACK))
				state = TS_LISTEN;
			else if ((fl & TH_ACK) && d->seq == d->ack && o->seq == d->ack)
				state = TS_CLOSED;
			break;
		case TS_CLOSED:
			if ((fl & TH_SYN) && !(fl & TH_ACK))
				state = TS_LISTEN;
			break;
		}
	}
	if (state != TS_LISTEN)
		f->tcp_state = (uint8_t)state;
	if ((state == TS_CLOSED || state == TS_TIME_WAIT) && !(f->tcp_status & FS_RESET))
		f->tcp_status |= FS_NORMAL_CLOSE;
}

/* Closed as Argus sees it (weir_feat_tcp_closed): a TCP flow started and
 * in one of these states, as a mask of TS_* bits. */
#define TS_CLOSED_MASK (1u << TS_CLOSE_WAIT | 1u << TS_FIN_WAIT_1 | 1u << TS_CLOSING | \
			1u << TS_LAST_ACK | 1u << TS_FIN_WAIT_2 | 1u << TS_TIME_WAIT | \
			1u << TS_LISTEN | 1u << TS_CLOSED)

static int closed_now(const struct weir_feat *f)
{
	return (f->proto_class == FC_TCP) & ((f->tcp_status & FS_STARTED) != 0) &
	       (int)((TS_CLOSED_MASK >> (f->tcp_state & 31)) & 1);
}

int weir_feat_update(struct weir_feat *f, const struct weir_pkt *pkt, int side)
{
	struct weir_feat_dir *d = &f->dir[side & 1];
	struct weir_feat_dir *o = &f->dir[!(side & 1)];
	int inproto = 1; /* Argus's initial value; non-TCP packets keep it */

	if (has_tcp_header(pkt)) {
		if (pkt->tcp_opts & WEIR_TCPOPT_WSCALE)
			d->wscale = pkt->tcp_wscale; /* unclamped, as Argus */
		if (!(f->tcp_status & FS_STARTED)) {
			tcp_start(f, d, o, pkt);
		} else {
			d->flags |= pkt->tcp_flags;
			inproto = tcp_sequence(d, o, pkt);
			tcp_machine(f, d, o, pkt);
		}
	}

	d->pkts++;
	d->bytes += pkt->wire_len;
	d->ip_bytes += pkt->family == WEIR_AF_ARP ? 0 : pkt->ip_len;
	d->ttl = pkt->ttl;

	/* Inter-arrival times: only a timestamp that moves forward makes an
	 * interval (Argus's rule); their sum is then last - first, so only
	 * the count and the sum of squares are kept. */
	if (d->pkts == 1) {
		/* the direction's first packet (of this slice); a capture may
		 * well start at time 0, so the count says it, not the time */
		d->first_ns = d->last_ns = pkt->ts_ns;
	} else if (pkt->ts_ns > d->last_ns) {
		double iv_us = (double)(pkt->ts_ns - d->last_ns) * 1e-3;
		d->ipt_n++;
		d->ipt_sumsq += iv_us * iv_us;
		d->bits |= inproto ? FD_ACT : FD_IDLE;
		d->last_ns = pkt->ts_ns;
	}
	return closed_now(f);
}

/* Closed as Argus sees it: the states in which a new SYN starts a new flow
 * (a FIN sent, an in-window RST, a RST first). A RST that answers a SYN
 * leaves the attempt open: the client's next SYN is a retransmission of the
 * same flow (sloss), as in Argus. */
int weir_feat_tcp_closed(const struct weir_feat *f)
{
	return closed_now(f);
}

static unsigned tcp_state_of(const struct weir_feat *f, int reversed)
{
	uint8_t st = f->tcp_status;
	if (st & FS_RESET) return WEIR_ST_RST;
	if (st & (FS_FIN | FS_FIN_ACK)) return WEIR_ST_FIN;
	/* A flow Argus turned round (SYN/ACK first, then its receiver spoke)
	 * and that did not end in FIN/RST prints CLO (measured: get.pcap
	 * frames 2-3 and 2-4). */
	if ((st & FS_NORMAL_CLOSE) || reversed) return WEIR_ST_CLO;
	if (st & FS_CON_EST) return WEIR_ST_CON;
	if (st & FS_SAW_SYN_SENT) return WEIR_ST_ACC;
	if (st & FS_SAW_SYN) return WEIR_ST_REQ;
	return WEIR_ST_INT; /* later fragments only: no TCP header seen */
}

static unsigned icmp_unreach_state(unsigned code)
{
	switch (code) {
	case 0: return WEIR_ST_URN;    /* net */
	case 1: return WEIR_ST_URH;    /* host */
	case 3: return WEIR_ST_URP;    /* port */
	case 4: return WEIR_ST_URF;    /* fragmentation needed */
	case 5: return WEIR_ST_URS;    /* source route failed */
	case 10: return WEIR_ST_URHPRO; /* host administratively prohibited */
	default: return WEIR_ST_URO;
	}
}

static unsigned icmp_state_of(unsigned type, unsigned code)
{
	switch (type) {
	case 0: return WEIR_ST_ECR;
	case 3: return icmp_unreach_state(code);
	case 4: return WEIR_ST_SRC;
	case 5: return WEIR_ST_RED;
	case 8: return WEIR_ST_ECO;
	case 9: return WEIR_ST_RTA;
	case 10: return WEIR_ST_RTS;
	case 11: return WEIR_ST_TXD;
	case 12: return WEIR_ST_PAR;
	case 13: return WEIR_ST_TST;
	case 14: return WEIR_ST_TSR;
	case 15: return WEIR_ST_IRQ;
	case 16: return WEIR_ST_IRR;
	case 17: return WEIR_ST_MAS;
	case 18: return WEIR_ST_MSR;
	default: return WEIR_ST_UNK;
	}
}

/* ICMPv6 onto UNSW-NB15's (IPv4) vocabulary; Argus itself prints names
 * outside it (NNS, NRS, MRQ, PTB, ...), see doc/features.md. */
static unsigned icmp6_state_of(unsigned type, unsigned code)
{
	switch (type) {
	case 1:
		return code == 3 ? WEIR_ST_URH : code == 4 ? WEIR_ST_URP :
		       code == 0 ? WEIR_ST_URN : WEIR_ST_URO;
	case 2: return WEIR_ST_URF;
	case 3: return WEIR_ST_TXD;
	case 4: return WEIR_ST_PAR;
	case 128: return WEIR_ST_ECO;
	case 129: return WEIR_ST_ECR;
	case 133: return WEIR_ST_RTS;
	case 134: return WEIR_ST_RTA;
	case 137: return WEIR_ST_RED;
	default: return WEIR_ST_UNK;
	}
}

static unsigned state_of(const struct weir_feat *f, const struct weir_feat_dir *s,
			 const struct weir_feat_dir *d, int reversed)
{
	switch (f->proto_class) {
	case FC_TCP:
		return tcp_state_of(f, reversed);
	case FC_ICMP:
		return icmp_state_of(f->icmp_type, f->icmp_code);
	case FC_ICMP6:
		return icmp6_state_of(f->icmp_type, f->icmp_code);
	default:
		if (s->pkts && d->pkts)
			return WEIR_ST_CON;
		return s->pkts ? WEIR_ST_INT : WEIR_ST_RSP;
	}
}

static int is_echo(const struct weir_feat *f)
{
	if (f->proto_class == FC_ICMP)
		return f->icmp_type == 0 || f->icmp_type == 8;
	if (f->proto_class == FC_ICMP6)
		return f->icmp_type == 128 || f->icmp_type == 129;
	return 0;
}

/* bits/s as Argus's ra prints it: the bytes less one (integer) mean-sized
 * packet, over this direction's own first-to-last time. */
static double load_of(const struct weir_feat_dir *x)
{
	if (x->pkts < 2 || x->last_ns <= x->first_ns)
		return 0.0;
	double dur = (double)(x->last_ns - x->first_ns) * 1e-9;
	uint64_t bytes = x->bytes - x->bytes / x->pkts;
	return (double)bytes * 8.0 / dur;
}

/* Mean inter-arrival time (ms) and Argus's jitter (ms). Argus files each
 * interval as active or idle; when only one class has intervals the jitter
 * is their standard deviation; when both do, ra combines the classes with
 * the squared sum scaled by 1e-3 instead of 1e-6 (measured, doc/features.md),
 * which we reproduce. */
static void timing_of(const struct weir_feat_dir *x, double *intpkt, double *jit)
{
	*intpkt = *jit = 0.0;
	if (!x->ipt_n)
		return;
	double n = (double)x->ipt_n;
	double mean_us = (double)(x->last_ns - x->first_ns) * 1e-3 / n;
	double var_ms2;
	if ((x->bits & (FD_ACT | FD_IDLE)) == (FD_ACT | FD_IDLE))
		var_ms2 = x->ipt_sumsq / n * 1e-3 - (mean_us * 1e-3) * (mean_us * 1e-3);
	else
		var_ms2 = (x->ipt_sumsq / n - mean_us * mean_us) * 1e-6;
	*intpkt = mean_us * 1e-3;
	*jit = var_ms2 > 0.0 ? sqrt(var_ms2) : 0.0;
}

void weir_feat_finalize(const struct weir_feat *f, unsigned proto,
			struct weir_record *rec, int *src_side)
{
	int ss = f->src_side & 1;
	if ((f->fflags & FF_SYNACK_FIRST) && !f->dir[ss].pkts)
		ss = !ss; /* a SYN/ACK nobody answered: Argus keeps its sender */
	const struct weir_feat_dir *s = &f->dir[ss];
	const struct weir_feat_dir *d = &f->dir[!ss];
	uint64_t first = s->first_ns, last = s->last_ns;
	(void)proto;

	*src_side = ss;
	if (d->pkts && (!s->pkts || d->first_ns < first))
		first = d->first_ns;
	if (d->pkts && (!s->pkts || d->last_ns > last))
		last = d->last_ns;
	rec->stime_ns = first;
	rec->ltime_ns = last;
	rec->dur = last > first ? (double)(last - first) * 1e-9 : 0.0;

	rec->spkts = s->pkts;
	rec->dpkts = d->pkts;
	rec->sbytes = s->bytes;
	rec->dbytes = d->bytes;
	rec->sbytes_ip = s->ip_bytes;
	rec->dbytes_ip = d->ip_bytes;
	if (f->proto_class != FC_ARP) {
		rec->sttl = s->pkts ? s->ttl : 0;
		rec->dttl = d->pkts ? d->ttl : 0;
	}
	rec->sload = load_of(s);
	rec->dload = load_of(d);
	if ((f->fflags & FF_SYNACK_FIRST) && ss == (f->src_side & 1)) {
		/* ra prints the loads of a record Argus turned round from the
		 * record's own (unturned) sides: reproduced (missing-syn.pcap,
		 * handshake-reorder.pcap) */
		double t = rec->sload;
		rec->sload = rec->dload;
		rec->dload = t;
	}
	rec->smeansz = s->pkts ? (uint32_t)(s->bytes / s->pkts) : 0;
	rec->dmeansz = d->pkts ? (uint32_t)(d->bytes / d->pkts) : 0;

	/* ra prints no interval statistics for ICMP echo flows (measured:
	 * zeek/Traces/icmp/5-pings.pcap); other ICMP flows have them. */
	if (!is_echo(f)) {
		timing_of(s, &rec->sintpkt, &rec->sjit);
		timing_of(d, &rec->dintpkt, &rec->djit);
	}

	if (f->proto_class == FC_TCP) {
		rec->sloss = s->loss;
		rec->dloss = d->loss;
		/* 32-bit shift by the option's value mod 32, as Argus computes it */
		rec->swin = (uint32_t)((uint64_t)s->win << (s->wscale & 31));
		rec->dwin = (uint32_t)((uint64_t)d->win << (d->wscale & 31));
		rec->stcpb = s->isn;
		rec->dtcpb = d->isn;
		rec->synack = f->synack_us * 1e-6;
		rec->ackdat = f->ackdat_us * 1e-6;
		rec->tcprtt = rec->synack + rec->ackdat;
	}
	rec->state = (uint8_t)state_of(f, s, d,
				       (f->fflags & FF_SYNACK_FIRST) && ss == (f->src_side & 1));
	rec->ct_state_ttl = weir_feat_ct_state_ttl(rec->state, rec->sttl, rec->dttl);
}

void weir_feat_new_slice(struct weir_feat *f, uint64_t now_ns)
{
	(void)now_ns; /* the slice starts at its first packet */
	for (int i = 0; i < 2; i++) {
		struct weir_feat_dir *x = &f->dir[i];
		x->bytes = x->ip_bytes = 0;
		x->first_ns = x->last_ns = 0;
		x->ipt_sumsq = 0.0;
		x->pkts = x->ipt_n = x->loss = 0;
		x->bits &= (uint8_t)~(FD_ACT | FD_IDLE);
	}
	f->synack_us = f->ackdat_us = 0;
}

/* UNSW-NB15's ct_state_ttl, tabulated from the data set (doc/features.md):
 * a label of which (state, sttl, dttl) combination the testbed's hosts
 * produced. */
uint8_t weir_feat_ct_state_ttl(unsigned state, unsigned sttl, unsigned dttl)
{
	switch (state) {
	case WEIR_ST_FIN:
		if ((sttl == 62 || sttl == 63 || sttl == 254 || sttl == 255) &&
		    (dttl == 252 || dttl == 253))
			return 1;
		break;
	case WEIR_ST_INT:
		if ((sttl == 0 || sttl == 62 || sttl == 254) && dttl == 0)
			return 2;
		break;
	case WEIR_ST_CON:
		if ((sttl == 62 || sttl == 254) &&
		    (dttl == 60 || dttl == 252 || dttl == 253))
			return 3;
		break;
	case WEIR_ST_ACC:
		if (sttl == 254 && dttl == 252)
			return 4;
		break;
	case WEIR_ST_CLO:
		if (sttl == 254 && dttl == 252)
			return 5;
		break;
	case WEIR_ST_REQ:
		if (sttl == 254 && dttl == 0)
			return 6;
		break;
	}
	return 0;
}

/* The state sits in every hot flow-table entry: keep it within budget. */
_Static_assert(sizeof(struct weir_feat_dir) == 80, "weir_feat_dir grew");
_Static_assert(sizeof(struct weir_feat) <= 176, "weir_feat over its byte budget");
