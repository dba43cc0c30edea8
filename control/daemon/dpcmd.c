/* weir command socket client. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "dpcmd.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int weir_dpcmd(const char *path, const char *req, char *reply, size_t cap,
	       int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "dataplane socket '%s': no usable path", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "dataplane socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "dataplane socket %s: cannot connect: %s (is weir running?)",
			 path, strerror(errno));
		close(fd);
		return -1;
	}
	long long deadline = now_ms() + timeout_ms;
	size_t rl = strlen(req), off = 0;
	char line[8192];
	if (rl + 1 > sizeof(line)) {
		snprintf(err, errlen, "dataplane request too long");
		close(fd);
		return -1;
	}
	memcpy(line, req, rl);
	line[rl++] = '\n';
	size_t got = 0;
	int rc = -1;
	while (1) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			snprintf(err, errlen, "dataplane socket %s: no reply within %d ms", path, timeout_ms);
			break;
		}
		struct pollfd p = { fd, (short)(off < rl ? POLLOUT : POLLIN), 0 };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			snprintf(err, errlen, "dataplane socket %s: %s", path, strerror(errno));
			break;
		}
		if (off < rl) {
			ssize_t n = send(fd, line + off, rl - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, errlen, "dataplane socket %s: send: %s", path, strerror(errno));
				break;
			}
			if (n > 0)
				off += (size_t)n;
			continue;
		}
		ssize_t n = recv(fd, reply + got, cap - 1 - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "dataplane socket %s: closed without a reply", path);
			break;
		}
		got += (size_t)n;
		reply[got] = 0;
		char *nl = strchr(reply, '\n');
		if (!nl && got < cap - 1)
			continue;
		if (nl)
			*nl = 0;
		json_object *o = json_tokener_parse(reply), *ok, *e;
		if (!o || !json_object_object_get_ex(o, "ok", &ok)) {
			snprintf(err, errlen, "dataplane socket %s: reply is not a JSON object with \"ok\"",
				 path);
		} else if (json_object_get_boolean(ok)) {
			rc = 0;
		} else {
			snprintf(err, errlen, "dataplane refused: %s",
				 json_object_object_get_ex(o, "error", &e) ?
				 json_object_get_string(e) : "(no message)");
			rc = 1;
		}
		json_object_put(o);
		break;
	}
	close(fd);
	return rc;
}
