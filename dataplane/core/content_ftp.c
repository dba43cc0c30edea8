/* FTP control connection: command counting with Zeek's ftp.log semantics,
 * login success, and data-channel announcements turned into expectations.
 *
 * FTP commands and replies are short CRLF lines, and in practice each one
 * arrives whole in one segment; so lines are parsed within a packet, and a
 * line cut by a segment boundary is parsed with the bytes that packet has
 * (the command word is there; a PORT argument cut in half fails to parse and
 * is counted). The continuation in the next packet is skipped, never taken
 * for a new command. Every read is bounded by the packet's captured bytes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "content_ftp.h"

/* ftp_state bits */
#define FS_USER_OUT  0x01  /* USER sent, its reply not yet seen */
#define FS_PASS_OUT  0x02  /* PASS sent after USER, its reply not yet seen */
#define FS_USER_OK   0x04  /* USER answered 331/332: a PASS may log in */

/* dir phase */
#define FP_LINE_START 0
#define FP_MID_LINE   1

/* dir flags */
#define FF_MULTI     0x01  /* inside a multi-line reply; code in `left` */

#define MAX_LINE_SCAN 512

/* ---- expectation table ------------------------------------------------ */

struct expect {
	uint8_t orig[16];
	uint8_t resp[16];
	uint64_t expire_ns;
	uint64_t added_ns;
	uint16_t port;
	uint8_t family;
	uint8_t used;
};

#define WAYS 4

struct weir_expect_table {
	unsigned nsets;      /* power of two */
	unsigned used;       /* entries with `used` set, expired or not */
	struct expect *e;    /* nsets * WAYS */
};

struct weir_expect_table *weir_expect_create(unsigned max, char *err, size_t errlen)
{
	if (max == 0) {
		snprintf(err, errlen, "content: ftp-data expectation table size must be > 0");
		return NULL;
	}
	struct weir_expect_table *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "content: out of memory for the expectation table");
		return NULL;
	}
	unsigned sets = 1;
	while (sets * 2 * WAYS <= max)
		sets *= 2;
	t->nsets = sets;
	t->e = calloc((size_t)sets * WAYS, sizeof(*t->e));
	if (!t->e) {
		snprintf(err, errlen, "content: out of memory for %u ftp-data expectations", sets * WAYS);
		free(t);
		return NULL;
	}
	return t;
}

void weir_expect_free(struct weir_expect_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

unsigned weir_expect_capacity(const struct weir_expect_table *t)
{
	return t->nsets * WAYS;
}

/* The set depends on the responder side only: that is what a new
 * connection's first packet names for sure. */
static struct expect *set_of(struct weir_expect_table *t, const uint8_t resp[16],
			     uint16_t port)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ resp[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h ^= h >> 15;
	return &t->e[(size_t)(h & (t->nsets - 1)) * WAYS];
}

static int same(const struct expect *x, uint8_t family, const uint8_t orig[16],
		const uint8_t resp[16], uint16_t port)
{
	return x->used && x->family == family && x->port == port &&
	       memcmp(x->resp, resp, 16) == 0 && memcmp(x->orig, orig, 16) == 0;
}

void weir_expect_add(struct weir_expect_table *t, uint8_t family,
		     const uint8_t orig[16], const uint8_t resp[16],
		     uint16_t port, uint64_t now_ns, uint64_t expire_ns,
		     struct weir_content_stats *st)
{
	struct expect *set = set_of(t, resp, port), *slot = NULL;

	for (int w = 0; w < WAYS; w++) {
		struct expect *x = &set[w];
		if (same(x, family, orig, resp, port)) {
			slot = x;               /* announced again: refresh */
			break;
		}
		if (x->used && x->expire_ns < now_ns) {
			x->used = 0;
			t->used--;
			st->expect_expired++;
		}
		if (!x->used && !slot)
			slot = x;
	}
	if (!slot) {
		slot = &set[0];
		for (int w = 1; w < WAYS; w++)
			if (set[w].added_ns < slot->added_ns)
				slot = &set[w];
		st->expect_replaced++;
	}
	memcpy(slot->orig, orig, 16);
	memcpy(slot->resp, resp, 16);
	slot->port = port;
	slot->family = family;
	slot->added_ns = now_ns;
	slot->expire_ns = expire_ns;
	if (!slot->used)
		t->used++;
	slot->used = 1;
	st->expect_added++;
}

int weir_expect_match(struct weir_expect_table *t, uint8_t family,
		      const uint8_t orig[16], const uint8_t resp[16],
		      uint16_t port, uint64_t now_ns,
		      struct weir_content_stats *st)
{
	/* Every new TCP flow asks twice, and the table is nearly always
	 * empty (an FTP session's announcements are consumed by its data
	 * connections): hashing the responder for nothing was ~150
	 * instructions a call (callgrind, bench mix). */
	if (t->used == 0)
		return 0;

	struct expect *set = set_of(t, resp, port);

	for (int w = 0; w < WAYS; w++) {
		struct expect *x = &set[w];
		if (!same(x, family, orig, resp, port))
			continue;
		x->used = 0;
		t->used--;
		if (x->expire_ns < now_ns) {
			st->expect_expired++;
			return 0;
		}
		st->expect_matched++;
		return 1;
	}
	return 0;
}

/* ---- argument parsers ------------------------------------------------- */

/* Decimal 0..max at s[*i]; advances *i. */
static int num(const uint8_t *s, size_t n, size_t *i, unsigned max, unsigned *out)
{
	unsigned v = 0, digits = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (unsigned)(s[*i] - '0');
		if (v > max || ++digits > 5)
			return -1;
		(*i)++;
	}
	if (!digits)
		return -1;
	*out = v;
	return 0;
}

static void skip_sp(const uint8_t *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

/* h1,h2,h3,h4,p1,p2 starting at s[*i] */
static int six(const uint8_t *s, size_t n, size_t *i, uint8_t ip4[4], uint16_t *port)
{
	unsigned v[6];
	for (int k = 0; k < 6; k++) {
		skip_sp(s, n, i);
		if (num(s, n, i, 255, &v[k]) < 0)
			return -1;
		skip_sp(s, n, i);
		if (k < 5) {
			if (*i >= n || s[*i] != ',')
				return -1;
			(*i)++;
		}
	}
	for (int k = 0; k < 4; k++)
		ip4[k] = (uint8_t)v[k];
	*port = (uint16_t)(v[4] << 8 | v[5]);
	return *port ? 0 : -1;
}

int weir_ftp_parse_port(const uint8_t *s, size_t n, uint8_t ip4[4], uint16_t *port)
{
	size_t i = 0;
	if (six(s, n, &i, ip4, port) < 0)
		return -1;
	skip_sp(s, n, &i);
	return (i == n || s[i] == '\r' || s[i] == '\n') ? 0 : -1;
}

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": the numbers follow the
 * first '(' or, failing that, start at the first digit after the code. */
int weir_ftp_parse_pasv(const uint8_t *s, size_t n, uint8_t ip4[4], uint16_t *port)
{
	size_t i = 0;
	const uint8_t *open = memchr(s, '(', n);
	if (open) {
		i = (size_t)(open - s) + 1;
	} else {
		i = 3;   /* past the reply code */
		while (i < n && (s[i] < '0' || s[i] > '9'))
			i++;
	}
	return six(s, n, &i, ip4, port);
}

/* EPRT |af|addr|port| (RFC 2428): any printable delimiter */
int weir_ftp_parse_eprt(const uint8_t *s, size_t n, uint8_t *family,
			uint8_t addr[16], uint16_t *port)
{
	size_t i = 0;
	unsigned af, p;
	char buf[64];

	skip_sp(s, n, &i);
	if (i >= n || s[i] < 33 || s[i] > 126)
		return -1;
	uint8_t d = s[i++];
	if (num(s, n, &i, 2, &af) < 0 || af == 0 || i >= n || s[i] != d)
		return -1;
	i++;
	size_t a0 = i;
	while (i < n && s[i] != d)
		i++;
	if (i >= n || i - a0 == 0 || i - a0 >= sizeof(buf))
		return -1;
	memcpy(buf, s + a0, i - a0);
	buf[i - a0] = 0;
	i++;
	if (num(s, n, &i, 65535, &p) < 0 || p == 0 || i >= n || s[i] != d)
		return -1;
	memset(addr, 0, 16);
	if (af == 1) {
		if (inet_pton(AF_INET, buf, addr) != 1)
			return -1;
		*family = 4;
	} else {
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -1;
		*family = 6;
	}
	*port = (uint16_t)p;
	return 0;
}

/* "229 Entering Extended Passive Mode (|||port|)" */
int weir_ftp_parse_epsv(const uint8_t *s, size_t n, uint16_t *port)
{
	const uint8_t *open = memchr(s, '(', n);
	unsigned p;
	if (!open)
		return -1;
	size_t i = (size_t)(open - s) + 1;
	if (i + 3 > n)
		return -1;
	uint8_t d = s[i];
	if (d < 33 || d > 126 || s[i + 1] != d || s[i + 2] != d)
		return -1;
	i += 3;
	if (num(s, n, &i, 65535, &p) < 0 || p == 0 || i >= n || s[i] != d)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* ---- line handling ---------------------------------------------------- */

/* A command word of 3-4 letters, upper-cased, as one number (a 3-letter
 * word ends in 0), so that one switch tells the command: comparing it as a
 * string with each candidate in turn cost ~230 instructions more a command
 * line on the Zeek FTP traces (callgrind: weir_ftp_parse 2.83 M -> 1.98 M
 * over 8,172 packets). Letters only: `& 0xdf` upper-cases. */
#define CMD(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
			 (uint32_t)(c) << 8 | (uint32_t)(d))

static uint32_t cmd_word(const uint8_t *w, size_t wl)
{
	uint32_t x = 0;
	for (size_t i = 0; i < 4; i++)
		x = x << 8 | (i < wl ? (uint32_t)(w[i] & 0xdf) : 0);
	return x;
}

/* Commands Zeek writes an ftp.log line for (FTP::logged_commands). */
static int logged(uint32_t cmd)
{
	switch (cmd) {
	case CMD('A', 'P', 'P', 'E'): case CMD('D', 'E', 'L', 'E'):
	case CMD('R', 'E', 'T', 'R'): case CMD('S', 'T', 'O', 'R'):
	case CMD('S', 'T', 'O', 'U'): case CMD('A', 'C', 'C', 'T'):
	case CMD('P', 'O', 'R', 'T'): case CMD('P', 'A', 'S', 'V'):
	case CMD('E', 'P', 'R', 'T'): case CMD('E', 'P', 'S', 'V'):
		return 1;
	}
	return 0;
}

static void v4_in16(uint8_t out[16], const uint8_t ip4[4])
{
	memset(out, 0, 16);
	memcpy(out, ip4, 4);
}

static void client_line(struct weir_content_state *cs, const uint8_t *s, size_t n,
			const struct weir_ftp_peers *peers,
			struct weir_expect_table *t, uint64_t now_ns,
			struct weir_content_stats *st)
{
	size_t i = 0;
	skip_sp(s, n, &i);
	size_t w0 = i;
	while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
		i++;
	size_t wl = i - w0;
	/* a command is 3-4 letters ended by a space or the line end */
	if (wl < 3 || wl > 4 || (i < n && s[i] != ' ' && s[i] != '\r' && s[i] != '\n'))
		return;
	uint32_t cmd = cmd_word(s + w0, wl);
	const uint8_t *arg = s + i;
	size_t argn = n - i;
	while (argn && (*arg == ' '))
		arg++, argn--;

	if (logged(cmd) && cs->ftp_cmds < UINT16_MAX)
		cs->ftp_cmds++;

	if (cmd == CMD('U', 'S', 'E', 'R')) {
		cs->ftp_state = FS_USER_OUT;
	} else if (cmd == CMD('P', 'A', 'S', 'S')) {
		/* a password only logs in after a user name */
		if (cs->ftp_state & (FS_USER_OUT | FS_USER_OK))
			cs->ftp_state |= FS_PASS_OUT;
	} else if (cmd == CMD('P', 'O', 'R', 'T')) {
		uint8_t ip4[4], a[16];
		uint16_t port;
		if (weir_ftp_parse_port(arg, argn, ip4, &port) < 0 || peers->family != 4) {
			st->ftp_bad_port++;
			return;
		}
		v4_in16(a, ip4);
		/* active mode: the server connects to the client's port */
		weir_expect_add(t, 4, peers->server, a, port, now_ns,
				now_ns + WEIR_FTP_EXPECT_NS, st);
	} else if (cmd == CMD('E', 'P', 'R', 'T')) {
		uint8_t a[16], fam;
		uint16_t port;
		if (weir_ftp_parse_eprt(arg, argn, &fam, a, &port) < 0 ||
		    fam != peers->family) {
			st->ftp_bad_port++;
			return;
		}
		weir_expect_add(t, fam, peers->server, a, port, now_ns,
				now_ns + WEIR_FTP_EXPECT_NS, st);
	}
}

static void final_reply(struct weir_content_state *cs, unsigned code,
			const uint8_t *s, size_t n,
			const struct weir_ftp_peers *peers,
			struct weir_expect_table *t, uint64_t now_ns,
			struct weir_content_stats *st)
{
	if (code >= 200) {
		if (cs->ftp_state & FS_USER_OUT) {
			/* the reply to USER; 331 asks for the password */
			cs->ftp_state &= (uint8_t)~FS_USER_OUT;
			if (code == 331 || code == 332)
				cs->ftp_state |= FS_USER_OK;
			else
				cs->ftp_state &= (uint8_t)~FS_USER_OK;
		} else if (cs->ftp_state & FS_PASS_OUT) {
			if (code == 230 && cs->is_ftp_login < UINT8_MAX)
				cs->is_ftp_login++;
			if (code != 332)          /* 332: ACCT needed, then 230 */
				cs->ftp_state &= (uint8_t)~FS_PASS_OUT;
			cs->ftp_state &= (uint8_t)~FS_USER_OK;
		}
	}
	if (code == 227) {
		uint8_t ip4[4], a[16];
		uint16_t port;
		if (peers->family != 4 || weir_ftp_parse_pasv(s, n, ip4, &port) < 0) {
			st->ftp_bad_port++;
			return;
		}
		if (ip4[0] == 0 && ip4[1] == 0 && ip4[2] == 0 && ip4[3] == 0)
			memcpy(a, peers->server, 16);
		else
			v4_in16(a, ip4);
		/* passive mode: the client connects to the announced port */
		weir_expect_add(t, 4, peers->client, a, port, now_ns,
				now_ns + WEIR_FTP_EXPECT_NS, st);
	} else if (code == 229) {
		uint16_t port;
		if (weir_ftp_parse_epsv(s, n, &port) < 0) {
			st->ftp_bad_port++;
			return;
		}
		weir_expect_add(t, peers->family, peers->client, peers->server, port,
				now_ns, now_ns + WEIR_FTP_EXPECT_NS, st);
	}
}

static void server_line(struct weir_content_state *cs, struct weir_content_dir *d,
			const uint8_t *s, size_t n,
			const struct weir_ftp_peers *peers,
			struct weir_expect_table *t, uint64_t now_ns,
			struct weir_content_stats *st)
{
	unsigned code;
	if (n < 3 || s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return;      /* text line of a multi-line reply, or garbage */
	code = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
	       (unsigned)(s[2] - '0');
	int cont = n > 3 && s[3] == '-';

	if (d->flags & FF_MULTI) {
		/* only "ddd " with the opening code ends a multi-line reply */
		if (cont || code != d->left)
			return;
		d->flags &= (uint8_t)~FF_MULTI;
		final_reply(cs, code, s, n, peers, t, now_ns, st);
		return;
	}
	if (cont) {
		d->flags |= FF_MULTI;
		d->left = code;
		/* a 227 announcement may come on the first line already */
		if (code == 227 || code == 229)
			final_reply(cs, code, s, n, peers, t, now_ns, st);
		return;
	}
	final_reply(cs, code, s, n, peers, t, now_ns, st);
}

void weir_ftp_parse(struct weir_content_state *cs, int dir,
		    const uint8_t *p, size_t n, const struct weir_ftp_peers *peers,
		    struct weir_expect_table *t, uint64_t now_ns,
		    struct weir_content_stats *st)
{
	struct weir_content_dir *d = &cs->dir[dir];
	size_t i = 0;

	while (i < n) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		size_t end = lf ? (size_t)(lf - p) : n;
		if (d->phase == FP_LINE_START) {
			size_t len = end - i;
			if (len > MAX_LINE_SCAN)
				len = MAX_LINE_SCAN;
			if (dir == 0)
				client_line(cs, p + i, len, peers, t, now_ns, st);
			else
				server_line(cs, d, p + i, len, peers, t, now_ns, st);
		}
		if (!lf) {
			d->phase = FP_MID_LINE;
			return;
		}
		d->phase = FP_LINE_START;
		i = end + 1;
	}
}

/* FTP segments carry whole lines, so after lost bytes the next segment most
 * likely starts a line; Zeek's line reader resumes there too. */
void weir_ftp_gap(struct weir_content_state *cs, int dir)
{
	cs->dir[dir].phase = FP_LINE_START;
	cs->dir[dir].flags &= (uint8_t)~FF_MULTI;
}
