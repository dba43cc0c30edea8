/* Control socket: mode and group, SO_PEERCRED refusal of users outside the
 * group (children drop privileges with setgid/setuid), and malformed or
 * over-long requests answered with errors while the server keeps serving. */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ctlsrv.h"

#define TEST_GID 4242
#define NOBODY 65534

static char dir[64], path[96];

static char *handler(void *ctx, const struct weir_ctl_req *req)
{
	(void)ctx;
	char *r = malloc(128);
	snprintf(r, 128, "{\"ok\":true,\"cmd\":\"%s\"}\n", weir_ctl_cmd_name(req->cmd));
	return r;
}

/* connect, send, read one line; returns 0 and fills buf, -1 on connect error */
static int ask(const char *req, size_t reqlen, char *buf, size_t cap)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	size_t off = 0;
	while (off < reqlen) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);   /* the server answers, then closes */
	size_t got = 0;
	buf[0] = 0;
	while (got < cap - 1) {
		ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (strchr(buf, '\n'))
			break;
	}
	close(fd);
	return 0;
}

/* child: become uid/gid, ask status, exit 0 if the reply contains want */
static pid_t child(gid_t gid, uid_t uid, const char *want)
{
	pid_t p = fork();
	if (p)
		return p;
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		_exit(3);
	char buf[512];
	const char *req = "{\"cmd\":\"status\"}\n";
	if (ask(req, strlen(req), buf, sizeof(buf)) < 0)
		_exit(4);
	_exit(strstr(buf, want) ? 0 : 5);
}

static int run_until_exit(struct weir_ctlsrv *s, pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		struct pollfd pfd[1 + WEIR_CTLSRV_MAX_CLIENTS];
		unsigned n = weir_ctlsrv_pollfds(s, pfd);
		poll(pfd, n, 2);
		weir_ctlsrv_serve(s);
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
	}
	return 101;
}

static struct weir_ctlsrv *open_srv(void)
{
	strcpy(dir, "/tmp/weir-ctlsock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	char err[256];
	struct weir_ctlsrv *s = weir_ctlsrv_open(path, "4242", handler, NULL, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

static void close_srv(struct weir_ctlsrv *s)
{
	weir_ctlsrv_close(s);
	ck_assert_int_ne(access(path, F_OK), 0);   /* unlinked */
	rmdir(dir);
}

START_TEST(socket_mode_and_group)
{
	if (geteuid() != 0)
		ck_abort_msg("needs root to create a socket of another group");
	struct weir_ctlsrv *s = open_srv();
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 0777, 0660);
	ck_assert_uint_eq(sb.st_gid, TEST_GID);
	/* a second daemon on the same path is refused while the first serves */
	char err[256];
	ck_assert_ptr_null(weir_ctlsrv_open(path, "", handler, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "another weir-control"));
	close_srv(s);
	ck_assert_ptr_null(weir_ctlsrv_open("/tmp", "", handler, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a socket"));
	ck_assert_ptr_null(weir_ctlsrv_open("/tmp/x.sock", "no-such-group-xyz", handler, NULL,
					    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "socket_group"));
}
END_TEST

START_TEST(outsiders_are_refused_members_served)
{
	if (geteuid() != 0)
		ck_abort_msg("needs root to drop to other users");
	struct weir_ctlsrv *s = open_srv();
	/* open the file mode so the kernel lets the outsider connect: the
	 * refusal under test is weir-control's own SO_PEERCRED check */
	ck_assert_int_eq(chmod(path, 0666), 0);
	pid_t a = child(NOBODY, NOBODY, "permission denied");
	ck_assert_int_eq(run_until_exit(s, a), 0);
	pid_t b = child(TEST_GID, NOBODY, "\"ok\":true,\"cmd\":\"status\"");
	ck_assert_int_eq(run_until_exit(s, b), 0);
	struct weir_ctlsrv_stats st;
	weir_ctlsrv_get_stats(s, &st);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_eq(st.requests, 1);
	/* with the real 0660 mode the outsider cannot even connect */
	ck_assert_int_eq(chmod(path, 0660), 0);
	pid_t c = child(NOBODY, NOBODY, "permission denied");
	ck_assert_int_eq(run_until_exit(s, c), 4);
	close_srv(s);
}
END_TEST

START_TEST(peer_rule)
{
	ck_assert(weir_ctl_peer_allowed(0, 1, 4242, 1000));        /* root */
	ck_assert(weir_ctl_peer_allowed(1000, 1000, 4242, 1000));  /* the daemon's user */
	ck_assert(weir_ctl_peer_allowed(1001, 4242, 4242, 1000));  /* primary group */
	ck_assert(!weir_ctl_peer_allowed(NOBODY, NOBODY, 4242, 0));
	/* supplementary groups from the group database: root's groups hold 0 */
	ck_assert(!weir_ctl_peer_allowed(424242, 424242, 0, 1)); /* unknown user */
}
END_TEST

/* the server answers garbage with errors and keeps serving */
static pid_t garbage_child(void)
{
	pid_t p = fork();
	if (p)
		return p;
	char buf[512];
	int bad = 0;
	const char *reqs[] = { "nonsense\n", "{\"cmd\":\"reboot\"}\n", "{\"cmd\":\n",
			       "\x01\x02\xff\n" };
	for (unsigned i = 0; i < 4; i++) {
		if (ask(reqs[i], strlen(reqs[i]), buf, sizeof(buf)) < 0 ||
		    !strstr(buf, "\"ok\":false"))
			bad++;
	}
	static char huge[200000];
	memset(huge, 'A', sizeof(huge));
	huge[sizeof(huge) - 1] = '\n';
	if (ask(huge, sizeof(huge), buf, sizeof(buf)) < 0 || !strstr(buf, "too long"))
		bad++;
	/* empty connection: connect and close */
	ask("", 0, buf, sizeof(buf));
	const char *ok = "{\"cmd\":\"spikes\",\"n\":2}\n";
	if (ask(ok, strlen(ok), buf, sizeof(buf)) < 0 || !strstr(buf, "\"cmd\":\"spikes\""))
		bad++;
	_exit(bad);
}

START_TEST(garbage_gets_errors)
{
	struct weir_ctlsrv *s = open_srv();
	pid_t p = garbage_child();
	ck_assert_int_eq(run_until_exit(s, p), 0);
	struct weir_ctlsrv_stats st;
	weir_ctlsrv_get_stats(s, &st);
	ck_assert_uint_eq(st.bad_requests, 4);
	ck_assert_uint_eq(st.too_long, 1);
	ck_assert_uint_eq(st.requests, 1);
	close_srv(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctlsock");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, socket_mode_and_group);
	tcase_add_test(tc, outsiders_are_refused_members_served);
	tcase_add_test(tc, peer_rule);
	tcase_add_test(tc, garbage_gets_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
