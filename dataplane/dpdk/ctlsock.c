/* The command socket: a Unix stream socket (mode 0660) served by the main
 * lcore between receive bursts, never by a worker. One JSON object per line
 * in, one JSON line out. Protocol: doc/dataplane.md, "Command socket". */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "bundle.h"
#include "hold.h"
#include "weir.h"

#define MAX_CLIENTS 8
#define LINE_MAX_LEN 4096
#define REPLY_MAX 65536

struct client {
	int fd;
	size_t n;
	char buf[LINE_MAX_LEN];
};

static int listen_fd = -1;
static struct client clients[MAX_CLIENTS];
static char reply[REPLY_MAX];

int weir_ctl_open(struct weir_app *app)
{
	const char *path = app->conf->ctl_socket;
	struct sockaddr_un sa;

	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	if (!path[0])
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		weir_die("[control] socket = '%s': %s", path, strerror(errno));
	/* A socket file left by a previous run: replace it, but never a
	 * regular file somebody put there. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			weir_die("[control] socket = '%s': exists and is not a socket; pick another path", path);
		unlink(path);
	}
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		weir_die("[control] socket = '%s': cannot bind: %s; check the directory exists and is writable",
			 path, strerror(errno));
	chmod(path, 0660);
	if (listen(listen_fd, 8) < 0)
		weir_die("[control] socket = '%s': listen: %s", path, strerror(errno));
	weir_info("command socket %s", path);
	return 0;
}

void weir_ctl_close(struct weir_app *app)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0) {
			close(clients[i].fd);
			clients[i].fd = -1;
		}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
		unlink(app->conf->ctl_socket);
	}
}

static void drop_client(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->n = 0;
}

static void send_line(struct client *c, const char *s, size_t len)
{
	/* Replies are small; a client that does not read them loses its
	 * connection rather than stalling the main lcore. */
	if (send(c->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		drop_client(c);
}

static size_t error_reply(const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	size_t n = (size_t)snprintf(reply, sizeof(reply), "%s\n",
				    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return n;
}

static size_t handle(struct weir_app *app, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *cmd, *v;
	size_t n;
	char msg[256];

	if (!req || !json_object_is_type(req, json_type_object)) {
		if (req)
			json_object_put(req);
		return error_reply("request is not a JSON object; send e.g. {\"cmd\":\"stats\"}");
	}
	if (!json_object_object_get_ex(req, "cmd", &cmd) || !json_object_is_type(cmd, json_type_string)) {
		json_object_put(req);
		return error_reply("missing \"cmd\"; commands: stats, set, load_model, hold, stop");
	}
	const char *name = json_object_get_string(cmd);
	if (!strcmp(name, "stats")) {
		n = (size_t)snprintf(reply, sizeof(reply), "{\"ok\":true,\"stats\":");
		size_t k = weir_stats_json(app, reply + n, sizeof(reply) - n - 4);
		if (!k) {
			json_object_put(req);
			return error_reply("stats too large for one reply");
		}
		n += k;
		n += (size_t)snprintf(reply + n, sizeof(reply) - n, "}\n");
	} else if (!strcmp(name, "set")) {
		int did = 0;
		if (json_object_object_get_ex(req, "threshold", &v)) {
			double t = json_object_get_double(v);
			if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
				json_object_put(req);
				return error_reply("threshold: expected a number");
			}
			if (!isfinite(t)) {
				json_object_put(req);
				return error_reply("threshold: must be finite");
			}
			app->threshold = t;
			app->threshold_set = 1;
			did = 1;
		}
		if (json_object_object_get_ex(req, "sample_rate", &v)) {
			double r = json_object_get_double(v);
			if ((!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) ||
			    !(r >= 0 && r <= 1)) {
				json_object_put(req);
				return error_reply("sample_rate: expected a fraction from 0 to 1");
			}
			app->sample_rate = r;   /* pushed to the workers by the main loop */
			did = 1;
		}
		if (!did) {
			json_object_put(req);
			return error_reply("set: give \"threshold\" and/or \"sample_rate\"");
		}
		n = (size_t)snprintf(reply, sizeof(reply), "{\"ok\":true,\"threshold\":%.17g,\"sample_rate\":%.17g}\n",
				     weir_model_threshold(app), app->sample_rate);
	} else if (!strcmp(name, "load_model")) {
		char lerr[512];
		if (!json_object_object_get_ex(req, "path", &v) || !json_object_is_type(v, json_type_string)) {
			json_object_put(req);
			return error_reply("load_model: give \"path\": the bundle directory");
		}
		const struct weir_bundle *old = app->model;
		uint32_t prev = old ? old->version : 0;
		double dropped;
		if (weir_model_load(app, json_object_get_string(v), &dropped, lerr, sizeof(lerr)) < 0) {
			json_object_put(req);
			return error_reply(lerr);
		}
		n = (size_t)snprintf(reply, sizeof(reply),
				     "{\"ok\":true,\"version\":%u,\"previous_version\":%u,\"threshold\":%.17g",
				     app->model->version, prev, weir_model_threshold(app));
		if (!isnan(dropped)) {
			weir_warn("model version %u brings its own threshold %g: the override %g ended",
				  app->model->version, weir_model_threshold(app), dropped);
			n += (size_t)snprintf(reply + n, sizeof(reply) - n,
					      ",\"threshold_override_dropped\":%.17g", dropped);
		}
		n += (size_t)snprintf(reply + n, sizeof(reply) - n, "}\n");
	} else if (!strcmp(name, "hold")) {
		/* {"cmd":"hold"} reports; "until_ns" moves the hold point (0 = none) */
		if (json_object_object_get_ex(req, "until_ns", &v)) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
				json_object_put(req);
				return error_reply("hold: until_ns: expected a capture time in ns (0 = no hold)");
			}
			weir_hold_set((uint64_t)json_object_get_int64(v));
		}
		struct weir_hold_state hs;
		weir_hold_get(app, &hs);
		n = (size_t)snprintf(reply, sizeof(reply),
				     "{\"ok\":true,\"until_ns\":%llu,\"held\":%s,\"next_ns\":%llu,\"holds\":%llu}\n",
				     (unsigned long long)hs.until_ns, hs.held ? "true" : "false",
				     (unsigned long long)hs.next_ns, (unsigned long long)hs.holds);
	} else if (!strcmp(name, "stop")) {
		app->force_quit = 1;
		n = (size_t)snprintf(reply, sizeof(reply), "{\"ok\":true,\"stopping\":true}\n");
	} else {
		snprintf(msg, sizeof(msg), "unknown cmd '%.64s'; commands: stats, set, load_model, hold, stop", name);
		json_object_put(req);
		return error_reply(msg);
	}
	json_object_put(req);
	return n;
}

void weir_ctl_poll(struct weir_app *app)
{
	if (listen_fd < 0)
		return;
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		int slot = -1;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd < 0) {
				slot = i;
				break;
			}
		if (slot < 0) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			close(fd);
			continue;
		}
		clients[slot].fd = fd;
		clients[slot].n = 0;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->fd < 0)
			continue;
		ssize_t k = recv(c->fd, c->buf + c->n, sizeof(c->buf) - 1 - c->n, MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			drop_client(c);
			continue;
		}
		if (k < 0)
			continue;
		c->n += (size_t)k;
		c->buf[c->n] = 0;
		char *start = c->buf, *nl;
		while (c->fd >= 0 && (nl = strchr(start, '\n'))) {
			*nl = 0;
			if (nl > start) {
				size_t len = handle(app, start);
				send_line(c, reply, len);
			}
			start = nl + 1;
		}
		if (c->fd < 0)
			continue;
		c->n = strlen(start);
		memmove(c->buf, start, c->n);
		if (c->n == sizeof(c->buf) - 1) {
			size_t len = error_reply("line too long (4095 bytes max)");
			send_line(c, reply, len);
			if (c->fd >= 0)
				drop_client(c);
		}
	}
}
