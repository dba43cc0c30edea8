/* Streaming HTTP/1.x parser: one byte-driven state machine per direction.
 *
 * Nothing is buffered across packets: a header name is matched one byte at a
 * time against the two names that matter (Content-Length,
 * Transfer-Encoding), numbers are accumulated in place, and body bytes are
 * skipped in bulk by count. So a header line or a request line split over two
 * segments costs nothing extra, and the state stays 16 bytes a direction.
 * Only TCP payload in sequence order reaches here (content.c drops
 * retransmissions and reports gaps). */
#include <string.h>
#include "content_http.h"

enum {
	H_START = 0,    /* before a start line (CR/LF between messages skipped) */
	H_METHOD,       /* request method token; FNV-1a hash in `left` */
	H_PROTO,        /* "HTTP/" of a status line */
	H_VERSION,      /* "1.1" up to the space */
	H_CODE,         /* three status digits, in `left` */
	H_LINE_REST,    /* rest of a status line */
	H_REQ_REST,     /* rest of a request line; `aux` = progress in "HTTP/" */
	H_HDR,          /* header name; `match` = candidate<<5 | position */
	H_HDR_SKIP,     /* rest of an uninteresting header line */
	H_CL_VAL,       /* Content-Length value, in `left` */
	H_TE_VAL,       /* Transfer-Encoding value; `aux` = progress in "chunked" */
	H_BODY,         /* `left` body bytes to go */
	H_BODY_CLOSE,   /* body delimited by connection close */
	H_CHUNK_SIZE,   /* hex chunk size, in `left`; `match` = digits */
	H_CHUNK_EXT,    /* chunk extension up to LF */
	H_CHUNK_DATA,   /* `left` chunk bytes to go */
	H_CHUNK_END,    /* CRLF after chunk data */
	H_TRAILER,      /* trailer lines after the last chunk; `match` = mid-line */
	H_TUNNEL,       /* 101 Switching Protocols: no more HTTP */
	H_BAD,          /* not HTTP (or lost sync): stop parsing this direction */
};

/* dir flags */
#define HF_CL        0x01  /* Content-Length seen in this message */
#define HF_CHUNKED   0x02
#define HF_NOBODY    0x04  /* response to HEAD/CONNECT, or 1xx/204/304 */
#define HF_INTERIM   0x08  /* 1xx other than 101: not a transaction */
#define HF_UPGRADE   0x10  /* 101, or 2xx to CONNECT: a tunnel follows */
#define HF_TOKSTART  0x20  /* request line: at the start of a token */
#define HF_HASVER    0x40  /* request line: an HTTP/ version token seen */
#define HF_HAS_SEQ   0x80  /* owned by content.c: next_seq valid */
#define HF_PARSER    0x7f

#define CAND_CL 1
#define CAND_TE 2
#define CAND_SHIFT 5
#define POS_MASK 0x1f

#define MAX_METHOD 24
#define MAX_VERSION 8
#define CL_MAX (1ull << 60)
#define MAX_GAP_AS_BODY (16u << 20)

static const char cl_name[] = "content-length";
static const char te_name[] = "transfer-encoding";
static const char chunked[] = "chunked";


static uint32_t fnv_step(uint32_t h, uint8_t c)
{
	return (h ^ c) * 16777619u;
}

#define FNV_INIT 2166136261u

static uint32_t fnv_str(const char *s, size_t n)
{
	uint32_t h = FNV_INIT;
	for (size_t i = 0; i < n; i++)
		h = fnv_step(h, (uint8_t)s[i]);
	return h;
}

/* Only the method's hash fits in the state: enough to tell the two
 * methods whose answer is framed differently. */
enum { M_OTHER = 0, M_HEAD, M_CONNECT };

static int method_kind(uint32_t h, unsigned len)
{
	if (len == 4 && h == fnv_str("HEAD", 4))
		return M_HEAD;
	if (len == 7 && h == fnv_str("CONNECT", 7))
		return M_CONNECT;
	return M_OTHER;
}

static void set_bit(uint8_t *bits, unsigned idx, int on)
{
	if (on)
		*bits |= (uint8_t)(1u << idx);
	else
		*bits &= (uint8_t)~(1u << idx);
}

static int is_tchar(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

static void start_headers(struct weir_content_dir *d)
{
	d->phase = H_HDR;
	d->match = 0;
}

/* Blank line after the headers: what follows is decided by the framing. */
static void end_headers(struct weir_content_state *cs, int dir)
{
	struct weir_content_dir *d = &cs->dir[dir];
	uint8_t f = d->flags;

	d->match = 0;
	if (dir == 1) {
		if (f & HF_INTERIM) {           /* 100 Continue etc. */
			d->phase = H_START;
			return;
		}
		if (cs->http_resps < UINT16_MAX)
			cs->http_resps++;
		cs->resp_slot++;
		if (f & HF_UPGRADE) {
			/* what follows is another protocol, both ways */
			d->phase = H_TUNNEL;
			cs->dir[0].phase = H_TUNNEL;
			return;
		}
		if (f & HF_NOBODY) {
			d->phase = H_START;
			return;
		}
		if (f & HF_CHUNKED) {
			d->phase = H_CHUNK_SIZE;
			d->left = 0;
		} else if (f & HF_CL) {
			d->phase = d->left ? H_BODY : H_START;
		} else {
			d->phase = H_BODY_CLOSE;
		}
		return;
	}
	/* a request has a body only if it says so */
	if (f & HF_CHUNKED) {
		d->phase = H_CHUNK_SIZE;
		d->left = 0;
	} else if ((f & HF_CL) && d->left) {
		d->phase = H_BODY;
	} else {
		d->phase = H_START;
	}
}

static void body_bytes(struct weir_content_state *cs, int dir, uint64_t n)
{
	if (dir == 1)
		cs->res_bdy_len += n;
}

void weir_http_parse(struct weir_content_state *cs, int dir,
		     const uint8_t *p, size_t n, struct weir_content_stats *st)
{
	struct weir_content_dir *d = &cs->dir[dir];
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];

		switch (d->phase) {
		case H_START:
			if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
				i++;
				break;
			}
			d->flags &= (uint8_t)~HF_PARSER;
			d->match = 0;
			d->aux = 0;
			if (dir == 0) {
				d->phase = H_METHOD;
				d->left = FNV_INIT;
			} else if (cs->v09_bits & (1u << (cs->resp_slot & 7))) {
				/* the answer to an HTTP/0.9 request has no status
				 * line: all of it is body, up to the close (Zeek) */
				cs->resp_slot++;
				d->phase = H_BODY_CLOSE;
			} else {
				d->phase = H_PROTO;
			}
			break;          /* reprocess c in the new phase */
		case H_METHOD:
			if (c == ' ') {
				if (d->match == 0) {
					d->phase = H_BAD;
					st->http_desync++;
					break;
				}
				/* any method token counts, as any method Zeek
				 * parses goes into http.log's method column */
				unsigned idx = cs->http_reqs & 7;
				int kind = method_kind((uint32_t)d->left, d->match);
				if (cs->http_methods < UINT16_MAX)
					cs->http_methods++;
				if (cs->http_reqs < UINT16_MAX)
					cs->http_reqs++;
				set_bit(&cs->head_bits, idx, kind == M_HEAD);
				set_bit(&cs->connect_bits, idx, kind == M_CONNECT);
				set_bit(&cs->v09_bits, idx, 0);
				d->phase = H_REQ_REST;
				d->flags |= HF_TOKSTART;
				d->aux = 0;
				i++;
				break;
			}
			if (!is_tchar(c) || d->match >= MAX_METHOD) {
				d->phase = H_BAD;
				st->http_desync++;
				break;
			}
			d->left = fnv_step((uint32_t)d->left, c);
			d->match++;
			i++;
			break;
		case H_REQ_REST:
			i++;
			if (c == '\n') {
				if (!(d->flags & HF_HASVER)) {
					/* HTTP/0.9: no headers, and the answer is
					 * raw body */
					set_bit(&cs->v09_bits, (cs->http_reqs - 1u) & 7, 1);
					d->phase = H_START;
				} else {
					d->left = 0;
					start_headers(d);
				}
				break;
			}
			if (c == ' ' || c == '\t') {
				d->flags |= HF_TOKSTART;
				d->aux = 0;
				break;
			}
			if (d->aux < 5 && (d->flags & HF_TOKSTART || d->aux > 0) &&
			    c == (uint8_t)"HTTP/"[d->aux]) {
				if (++d->aux == 5)
					d->flags |= HF_HASVER;
			} else {
				d->aux = 0;
			}
			d->flags &= (uint8_t)~HF_TOKSTART;
			break;
		case H_PROTO:
			if (c != (uint8_t)"HTTP/"[d->match]) {
				d->phase = H_BAD;
				st->http_desync++;
				break;
			}
			if (++d->match == 5) {
				d->phase = H_VERSION;
				d->match = 0;
			}
			i++;
			break;
		case H_VERSION:
			if (c == ' ') {
				d->phase = H_CODE;
				d->left = 0;
				d->match = 0;
			} else if (++d->match > MAX_VERSION || c == '\n') {
				d->phase = H_BAD;
				st->http_desync++;
				break;
			}
			i++;
			break;
		case H_CODE:
			if (c < '0' || c > '9') {
				d->phase = H_BAD;
				st->http_desync++;
				break;
			}
			d->left = d->left * 10 + (c - '0');
			i++;
			if (++d->match == 3) {
				unsigned code = (unsigned)d->left;
				unsigned idx = cs->resp_slot & 7;
				if (code == 101)
					d->flags |= HF_UPGRADE;
				else if (code < 200)
					d->flags |= HF_INTERIM | HF_NOBODY;
				if (code == 204 || code == 304 ||
				    (cs->head_bits & (1u << idx)))
					d->flags |= HF_NOBODY;
				if (code >= 200 && code < 300 &&
				    (cs->connect_bits & (1u << idx)))
					d->flags |= HF_UPGRADE;
				d->phase = H_LINE_REST;
			}
			break;
		case H_LINE_REST: {
			const uint8_t *lf = memchr(p + i, '\n', n - i);
			if (!lf) {
				i = n;
				break;
			}
			i = (size_t)(lf - p) + 1;
			d->left = 0;
			start_headers(d);
			break;
		}
		case H_HDR: {
			unsigned cand = d->match >> CAND_SHIFT, pos = d->match & POS_MASK;
			if (d->match == 0) {
				if (c == '\r') {
					i++;
					break;
				}
				if (c == '\n') {
					i++;
					end_headers(cs, dir);
					break;
				}
				uint8_t lc = lower(c);
				if (lc == 'c')
					d->match = (uint8_t)(CAND_CL << CAND_SHIFT | 1);
				else if (lc == 't')
					d->match = (uint8_t)(CAND_TE << CAND_SHIFT | 1);
				else
					d->phase = H_HDR_SKIP;
				i++;
				break;
			}
			const char *name = cand == CAND_CL ? cl_name : te_name;
			size_t nlen = cand == CAND_CL ? sizeof(cl_name) - 1 : sizeof(te_name) - 1;
			if (pos == nlen) {
				if (c == ':') {
					d->phase = cand == CAND_CL ? H_CL_VAL : H_TE_VAL;
					d->match = 0;
					d->aux = 0;
					i++;
				} else {
					d->phase = H_HDR_SKIP;
				}
				break;
			}
			if (lower(c) == (uint8_t)name[pos]) {
				d->match++;
				i++;
			} else {
				d->phase = H_HDR_SKIP;
			}
			break;
		}
		case H_HDR_SKIP: {
			const uint8_t *lf = memchr(p + i, '\n', n - i);
			if (!lf) {
				i = n;
				break;
			}
			i = (size_t)(lf - p) + 1;
			start_headers(d);
			break;
		}
		case H_CL_VAL:
			if (c == '\n') {
				if (d->match > 0 && d->match != 0xff)
					d->flags |= HF_CL;
				start_headers(d);
			} else if (c >= '0' && c <= '9' && d->match != 0xff) {
				if (d->match == 0)
					d->left = 0;   /* a repeated header: last one wins */
				d->left = d->left * 10 + (uint64_t)(c - '0');
				if (d->left > CL_MAX)
					d->left = CL_MAX;
				if (d->match < 0xfe)
					d->match++;
			} else if (c != ' ' && c != '\t' && c != '\r') {
				d->match = 0xff;   /* not a number: ignore the header */
			}
			i++;
			break;
		case H_TE_VAL:
			if (c == '\n') {
				start_headers(d);
			} else if (d->aux < sizeof(chunked) - 1) {
				if (lower(c) == (uint8_t)chunked[d->aux])
					d->aux++;
				else
					d->aux = lower(c) == 'c' ? 1 : 0;
				if (d->aux == sizeof(chunked) - 1)
					d->flags |= HF_CHUNKED;
			}
			i++;
			break;
		case H_BODY:
		case H_CHUNK_DATA: {
			uint64_t k = n - i;
			if (k > d->left)
				k = d->left;
			body_bytes(cs, dir, k);
			d->left -= k;
			i += (size_t)k;
			if (d->left == 0) {
				d->phase = d->phase == H_BODY ? H_START : H_CHUNK_END;
				d->match = 0;
			}
			break;
		}
		case H_BODY_CLOSE:
			body_bytes(cs, dir, n - i);
			i = n;
			break;
		case H_CHUNK_SIZE:
		case H_CHUNK_EXT:
			i++;
			if (c == '\n') {
				if (d->match == 0 && d->phase == H_CHUNK_SIZE)
					break;          /* stray blank line */
				if (d->left == 0) {
					d->phase = H_TRAILER;
					d->match = 0;
				} else {
					d->phase = H_CHUNK_DATA;
				}
				break;
			}
			if (d->phase == H_CHUNK_EXT || c == '\r')
				break;
			if (c == ';' || c == ' ' || c == '\t') {
				d->phase = H_CHUNK_EXT;
				break;
			}
			if (hexval(c) < 0 || d->match >= 15) {
				d->phase = H_BAD;
				st->http_desync++;
				break;
			}
			d->left = d->left << 4 | (uint64_t)hexval(c);
			d->match++;
			break;
		case H_CHUNK_END:
			if (c == '\r') {
				i++;
			} else if (c == '\n') {
				i++;
				d->phase = H_CHUNK_SIZE;
				d->left = 0;
				d->match = 0;
			} else {
				d->phase = H_BAD;
				st->http_desync++;
			}
			break;
		case H_TRAILER:
			i++;
			if (c == '\n') {
				if (d->match == 0)
					d->phase = H_START;
				d->match = 0;
			} else if (c != '\r') {
				d->match = 1;
			}
			break;
		default:        /* H_TUNNEL, H_BAD */
			return;
		}
	}
}

void weir_http_reset(struct weir_content_state *cs)
{
	for (int d = 0; d < 2; d++) {
		struct weir_content_dir *x = &cs->dir[d];
		x->left = 0;
		x->phase = H_START;
		x->match = 0;
		x->aux = 0;
		x->flags &= (uint8_t)~HF_PARSER;
	}
	cs->http_reqs = cs->http_resps = cs->http_methods = 0;
	cs->res_bdy_len = 0;
	cs->head_bits = cs->connect_bits = cs->v09_bits = 0;
	cs->resp_slot = 0;
}

void weir_http_gap(struct weir_content_state *cs, int dir, uint64_t n,
		   struct weir_content_stats *st)
{
	struct weir_content_dir *d = &cs->dir[dir];

	/* a jump this far is not loss inside one body but a broken or
	 * foreign sequence number: count nothing, resynchronise */
	if (n > MAX_GAP_AS_BODY) {
		if (d->phase != H_TUNNEL && d->phase != H_BAD) {
			st->http_desync++;
			d->phase = H_START;
		}
		return;
	}
	switch (d->phase) {
	case H_BODY_CLOSE:
		body_bytes(cs, dir, n);
		return;
	case H_BODY:
	case H_CHUNK_DATA:
		/* the framing said how long the body is: missing bytes are
		 * still body bytes */
		if (n <= d->left) {
			body_bytes(cs, dir, n);
			d->left -= n;
			if (d->left == 0)
				d->phase = d->phase == H_BODY ? H_START : H_CHUNK_END;
			return;
		}
		break;
	case H_START:
	case H_TUNNEL:
	case H_BAD:
		return;
	default:
		break;
	}
	/* lost inside a start line, the headers or chunk framing: try to
	 * pick up at the next message start; garbage there ends parsing */
	st->http_desync++;
	d->phase = H_START;
}
