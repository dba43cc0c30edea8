/* Control socket server: permissions, framing, replies (see ctlsrv.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctlsrv.h"

struct client {
	int fd;
	struct weir_linebuf *in;
	char *out;             /* reply bytes not yet sent */
	size_t out_len, out_off;
	int closing;           /* close once out is sent */
};

struct weir_ctlsrv {
	char path[108];
	int lfd;
	gid_t gid;
	weir_ctlsrv_fn fn;
	void *ctx;
	struct client cl[WEIR_CTLSRV_MAX_CLIENTS];
	struct weir_ctlsrv_stats st;
};

int weir_ctl_peer_allowed(uid_t uid, gid_t gid, gid_t group, uid_t owner)
{
	if (uid == 0 || uid == owner || gid == group)
		return 1;
	/* Supplementary groups come from the group database, not the peer:
	 * SO_PEERCRED carries only the primary gid. */
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		return 0;
	int n = 64;
	gid_t groups[64];
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		n = 64;   /* more than 64 groups: check the ones we got */
	for (int i = 0; i < n; i++)
		if (groups[i] == group)
			return 1;
	return 0;
}

static int parse_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	if (!group || !group[0]) {
		*gid = getegid();
		return 0;
	}
	struct group *gr = getgrnam(group);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	char *end;
	unsigned long g = strtoul(group, &end, 10);
	if (*end || end == group) {
		snprintf(err, errlen, "[control] socket_group = %s: no such group", group);
		return -1;
	}
	*gid = (gid_t)g;
	return 0;
}

struct weir_ctlsrv *weir_ctlsrv_open(const char *path, const char *group,
				     weir_ctlsrv_fn fn, void *ctx,
				     char *err, size_t errlen)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "[control] socket = %s: longer than %zu characters",
			 path, sizeof(sa.sun_path) - 1);
		return NULL;
	}
	struct weir_ctlsrv *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	for (int i = 0; i < WEIR_CTLSRV_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	s->fn = fn;
	s->ctx = ctx;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (parse_group(group, &s->gid, err, errlen) < 0)
		goto fail;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(errno));
		goto fail;
	}
	/* A socket left by a crashed daemon is replaced; anything else at the
	 * path is not ours to remove. A live daemon answering there is. */
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "[control] socket = %s: exists and is not a socket", path);
			goto fail_fd;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "[control] socket = %s: another weir-control is "
				 "serving it; stop it or choose another socket", path);
			goto fail_fd;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	/* Created 0660 from the start: no window with a wider mode. */
	mode_t old = umask(0117);
	int r = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		snprintf(err, errlen, "[control] socket = %s: cannot bind: %s (does the "
			 "directory exist and is it writable?)", path, strerror(errno));
		goto fail_fd;
	}
	if (chown(path, (uid_t)-1, s->gid) < 0 && s->gid != getegid()) {
		snprintf(err, errlen, "[control] socket_group = %s: cannot give %s to gid %u: %s",
			 group ? group : "", path, (unsigned)s->gid, strerror(errno));
		unlink(path);
		goto fail_fd;
	}
	if (chmod(path, 0660) < 0 || listen(s->lfd, 16) < 0) {
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(errno));
		unlink(path);
		goto fail_fd;
	}
	return s;
fail_fd:
	close(s->lfd);
fail:
	free(s);
	return NULL;
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->closing = 0;
}

/* Queue bytes and try to send them now. */
static void queue(struct client *c, const char *buf, size_t len)
{
	if (c->out) {
		char *n = realloc(c->out, c->out_len + len);
		if (!n) {
			c->closing = 1;
			return;
		}
		memcpy(n + c->out_len, buf, len);
		c->out = n;
		c->out_len += len;
	} else {
		c->out = malloc(len);
		if (!c->out) {
			c->closing = 1;
			return;
		}
		memcpy(c->out, buf, len);
		c->out_len = len;
		c->out_off = 0;
	}
}

static void flush_out(struct client *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			drop(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out) {
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_off = 0;
	}
	if (c->closing)
		drop(c);
}

static void reply_error(struct client *c, const char *msg)
{
	char buf[512];
	size_t n = weir_ctl_error_reply(buf, sizeof(buf), msg);
	queue(c, buf, n);
}

static void accept_all(struct weir_ctlsrv *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    !weir_ctl_peer_allowed(cr.uid, cr.gid, s->gid, geteuid())) {
			char msg[160];
			snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"permission denied: "
				 "uid %u is not in the control socket's group (gid %u)\"}\n",
				 (unsigned)cr.uid, (unsigned)s->gid);
			(void)!send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			s->st.refused++;
			continue;
		}
		struct client *c = NULL;
		for (int i = 0; i < WEIR_CTLSRV_MAX_CLIENTS; i++)
			if (s->cl[i].fd < 0) {
				c = &s->cl[i];
				break;
			}
		if (!c || !(c->in = malloc(sizeof(*c->in)))) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			s->st.overflow_clients++;
			continue;
		}
		weir_linebuf_init(c->in);
		c->fd = fd;
		s->st.accepted++;
	}
}

static void read_client(struct weir_ctlsrv *s, struct client *c)
{
	for (;;) {
		size_t avail;
		char *sp = weir_linebuf_space(c->in, &avail);
		ssize_t n = recv(c->fd, sp, avail, MSG_DONTWAIT);
		if (n == 0) {
			/* peer closed its side: answer what we have, then close */
			c->closing = 1;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->closing = 1;
			break;
		}
		weir_linebuf_commit(c->in, (size_t)n);
		const char *line;
		size_t len;
		enum weir_line_kind k;
		while ((k = weir_linebuf_next(c->in, &line, &len)) != WEIR_LINE_NONE) {
			if (k == WEIR_LINE_TOO_LONG) {
				s->st.too_long++;
				reply_error(c, "request line too long (64 KiB max)");
				continue;
			}
			if (len == 0)
				continue;
			struct weir_ctl_req req;
			char err[256];
			if (weir_ctl_parse(line, len, &req, err, sizeof(err)) < 0) {
				s->st.bad_requests++;
				reply_error(c, err);
				continue;
			}
			s->st.requests++;
			char *rep = s->fn(s->ctx, &req);
			if (!rep) {
				reply_error(c, "out of memory");
				continue;
			}
			queue(c, rep, strlen(rep));
			free(rep);
		}
		if (c->closing)
			break;
	}
}

unsigned weir_ctlsrv_pollfds(struct weir_ctlsrv *s, struct pollfd *pfd)
{
	unsigned n = 0;
	pfd[n].fd = s->lfd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	for (int i = 0; i < WEIR_CTLSRV_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0) {
			pfd[n].fd = s->cl[i].fd;
			pfd[n].events = (short)(POLLIN | (s->cl[i].out ? POLLOUT : 0));
			pfd[n++].revents = 0;
		}
	return n;
}

void weir_ctlsrv_serve(struct weir_ctlsrv *s)
{
	accept_all(s);
	for (int i = 0; i < WEIR_CTLSRV_MAX_CLIENTS; i++) {
		struct client *c = &s->cl[i];
		if (c->fd < 0)
			continue;
		if (!c->closing)
			read_client(s, c);
		if (c->fd >= 0)
			flush_out(c);
		if (c->fd >= 0 && c->closing && !c->out)
			drop(c);
	}
}

void weir_ctlsrv_get_stats(const struct weir_ctlsrv *s, struct weir_ctlsrv_stats *st)
{
	*st = s->st;
}

gid_t weir_ctlsrv_gid(const struct weir_ctlsrv *s)
{
	return s->gid;
}

void weir_ctlsrv_close(struct weir_ctlsrv *s)
{
	if (!s)
		return;
	for (int i = 0; i < WEIR_CTLSRV_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			drop(&s->cl[i]);
	close(s->lfd);
	unlink(s->path);
	free(s);
}
