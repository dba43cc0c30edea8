/* FTP control-connection parsing (commands, replies, login, data-channel
 * announcements) and the per-worker ftp-data expectation table. Private to
 * the content module. */
#ifndef WEIR_CONTENT_FTP_H
#define WEIR_CONTENT_FTP_H

#include <stdint.h>
#include <stddef.h>
#include "content.h"

/* Owned by content.c's per-direction flags too: bit 0x80 of
 * weir_content_dir.flags is the sequence tracker's. */
#define WEIR_DIR_HAS_SEQ 0x80

struct weir_expect_table;

/* `max` entries at most (rounded down to whole 4-entry sets, at least 4). */
struct weir_expect_table *weir_expect_create(unsigned max, char *err, size_t errlen);
void weir_expect_free(struct weir_expect_table *t);
unsigned weir_expect_capacity(const struct weir_expect_table *t);

/* Register: a connection from `orig` to `resp`:`port` is ftp-data until
 * `expire_ns`. `family` is 4 or 6; addresses are 16 bytes (IPv4 in the
 * first 4). */
void weir_expect_add(struct weir_expect_table *t, uint8_t family,
		     const uint8_t orig[16], const uint8_t resp[16],
		     uint16_t port, uint64_t now_ns, uint64_t expire_ns,
		     struct weir_content_stats *st);

/* Does a new connection orig -> resp:port match? A match is consumed. */
int weir_expect_match(struct weir_expect_table *t, uint8_t family,
		      const uint8_t orig[16], const uint8_t resp[16],
		      uint16_t port, uint64_t now_ns,
		      struct weir_content_stats *st);

/* Addresses of the control connection, for the expectations it announces. */
struct weir_ftp_peers {
	uint8_t family;
	const uint8_t *client;   /* 16 bytes */
	const uint8_t *server;
};

/* One packet's in-order bytes of the control connection. `dir`: 0 client
 * (commands), 1 server (replies). */
void weir_ftp_parse(struct weir_content_state *cs, int dir,
		    const uint8_t *p, size_t n, const struct weir_ftp_peers *peers,
		    struct weir_expect_table *t, uint64_t now_ns,
		    struct weir_content_stats *st);

/* Stream bytes lost: resynchronise at the next line. */
void weir_ftp_gap(struct weir_content_state *cs, int dir);

/* Parsers of the data-channel announcements, exposed for the tests. They
 * read only [s, s+n) and return 0 on success, -1 on anything malformed. */
int weir_ftp_parse_port(const uint8_t *s, size_t n, uint8_t ip4[4], uint16_t *port);
int weir_ftp_parse_pasv(const uint8_t *s, size_t n, uint8_t ip4[4], uint16_t *port);
int weir_ftp_parse_eprt(const uint8_t *s, size_t n, uint8_t *family,
			uint8_t addr[16], uint16_t *port);
int weir_ftp_parse_epsv(const uint8_t *s, size_t n, uint16_t *port);

/* How long an announced data channel is expected (Zeek's default). */
#define WEIR_FTP_EXPECT_NS (300ull * 1000000000ull)

#endif
