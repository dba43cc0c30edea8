/* Control socket client for weirctl's live commands. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "client.h"

const char *weirctl_default_socket(void)
{
	const char *e = getenv("WEIR_CONTROL_SOCKET");
	return e && *e ? e : "/run/weir/control.sock";
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int weirctl_call(const char *sock, json_object *req, json_object **reply,
		 int timeout_ms, char *err, size_t errlen)
{
	*reply = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", sock);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(err, errlen, "weir-control is not running (nothing listens on %s)", sock);
		else if (e == EACCES)
			snprintf(err, errlen, "permission denied on %s: join the socket's group "
				 "or run as root", sock);
		else
			snprintf(err, errlen, "cannot connect to weir-control at %s: %s", sock, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);
	char *line = malloc(len + 1);
	if (!line) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			snprintf(err, errlen, "weir-control closed the connection: %s", strerror(errno));
			free(line);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	free(line);
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap);
	long long deadline = now_ms() + timeout_ms;
	int rc = -1;
	while (buf) {
		long long left = deadline - now_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "weir-control did not answer within %d ms", timeout_ms);
			break;
		}
		if (got + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "weir-control closed the connection without a reply");
			break;
		}
		got += (size_t)n;
		buf[got] = 0;
		if (!memchr(buf, '\n', got))
			continue;
		json_object *o = json_tokener_parse(buf), *ok, *e;
		if (!o || !json_object_object_get_ex(o, "ok", &ok)) {
			snprintf(err, errlen, "weir-control sent a malformed reply");
			json_object_put(o);
			break;
		}
		if (json_object_get_boolean(ok)) {
			*reply = o;
			rc = 0;
		} else {
			snprintf(err, errlen, "%s", json_object_object_get_ex(o, "error", &e) ?
				 json_object_get_string(e) : "request refused");
			json_object_put(o);
			rc = 1;
		}
		break;
	}
	free(buf);
	close(fd);
	return rc;
}
