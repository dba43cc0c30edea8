/* The control socket server: a Unix stream socket, JSON lines (ctlproto.h).
 *
 * The socket is created with mode 0660 and the configured group. On accept
 * the peer's credentials (SO_PEERCRED) are checked: root, the daemon's own
 * user, and members of the group (primary or supplementary) are served;
 * anyone else gets one error line and is disconnected, and is counted.
 * All sockets are non-blocking and served from the daemon's main loop.
 */
#ifndef WEIR_CTLSRV_H
#define WEIR_CTLSRV_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ctlproto.h"

#define WEIR_CTLSRV_MAX_CLIENTS 16

/* Handle one parsed request: return a malloc'd reply line ending in '\n'
 * (the server frees it), or NULL for an out-of-memory error reply. */
typedef char *(*weir_ctlsrv_fn)(void *ctx, const struct weir_ctl_req *req);

struct weir_ctlsrv_stats {
	uint64_t accepted, refused, requests, bad_requests, too_long, overflow_clients;
};

struct weir_ctlsrv;

/* group: name or number; "" = the daemon's effective group.
 * NULL with a message naming the socket path or group. */
struct weir_ctlsrv *weir_ctlsrv_open(const char *path, const char *group,
				     weir_ctlsrv_fn fn, void *ctx,
				     char *err, size_t errlen);
/* Fill pollfds (at most 1 + WEIR_CTLSRV_MAX_CLIENTS); returns the count. */
unsigned weir_ctlsrv_pollfds(struct weir_ctlsrv *s, struct pollfd *pfd);
/* Serve whatever is ready (call after poll, or any time: non-blocking). */
void weir_ctlsrv_serve(struct weir_ctlsrv *s);
void weir_ctlsrv_get_stats(const struct weir_ctlsrv *s, struct weir_ctlsrv_stats *st);
gid_t weir_ctlsrv_gid(const struct weir_ctlsrv *s);
/* Close every client and the socket; unlinks the path. */
void weir_ctlsrv_close(struct weir_ctlsrv *s);

/* 1 if (uid, gid) may use a socket of group `group` run by `owner`. */
int weir_ctl_peer_allowed(uid_t uid, gid_t gid, gid_t group, uid_t owner);

#endif
