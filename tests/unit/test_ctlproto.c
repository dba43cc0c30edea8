/* Control protocol: request parsing, error replies, line framing, and a
 * fuzz pass (random, mutated, truncated, huge and deeply nested input) that
 * must never crash and must always yield a parse result or a clear error. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctlproto.h"

static int parse(const char *s, struct weir_ctl_req *r, char *err)
{
	return weir_ctl_parse(s, strlen(s), r, err, 256);
}

START_TEST(valid_requests)
{
	struct weir_ctl_req r;
	char err[256];
	ck_assert_int_eq(parse("{\"cmd\":\"status\"}", &r, err), 0);
	ck_assert_int_eq(r.cmd, WEIR_CTL_STATUS);
	ck_assert_int_eq(parse(" {\"cmd\" : \"stats\", \"extra\": [1,2]} \r", &r, err), 0);
	ck_assert_int_eq(r.cmd, WEIR_CTL_STATS);
	ck_assert_int_eq(parse("{\"cmd\":\"threshold_set\",\"value\":-0.25}", &r, err), 0);
	ck_assert_int_eq(r.cmd, WEIR_CTL_THRESHOLD_SET);
	ck_assert_double_eq(r.value, -0.25);
	ck_assert_int_eq(parse("{\"cmd\":\"threshold_set\",\"value\":2}", &r, err), 0);
	ck_assert_double_eq(r.value, 2);
	ck_assert_int_eq(parse("{\"cmd\":\"model_load\",\"path\":\"/var/lib/weir/m.bundle\"}", &r, err), 0);
	ck_assert_str_eq(r.path, "/var/lib/weir/m.bundle");
	ck_assert_int_eq(parse("{\"cmd\":\"spikes\"}", &r, err), 0);
	ck_assert_uint_eq(r.n, 20);
	ck_assert_int_eq(parse("{\"cmd\":\"spikes\",\"n\":3}", &r, err), 0);
	ck_assert_uint_eq(r.n, 3);
	for (unsigned c = 0; c < WEIR_CTL_CMD_MAX; c++) {
		char buf[128];
		if (c == WEIR_CTL_MODEL_LOAD || c == WEIR_CTL_THRESHOLD_SET)
			continue;
		snprintf(buf, sizeof(buf), "{\"cmd\":\"%s\"}", weir_ctl_cmd_name(c));
		ck_assert_int_eq(parse(buf, &r, err), 0);
		ck_assert_uint_eq(r.cmd, c);
	}
}
END_TEST

static void bad(const char *req, const char *want)
{
	struct weir_ctl_req r;
	char err[256] = "";
	ck_assert_int_eq(parse(req, &r, err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "'%s': error '%s' lacks '%s'", req, err, want);
}

START_TEST(malformed_requests_get_clear_errors)
{
	bad("", "truncated");
	bad("{\"cmd\":\"status\"", "truncated");
	bad("nonsense", "not a complete JSON");
	bad("[1,2]", "must be a JSON object");
	bad("\"status\"", "must be a JSON object");
	bad("{}", "\"cmd\"");
	bad("{\"cmd\":5}", "\"cmd\"");
	bad("{\"cmd\":\"reboot\"}", "unknown command \"reboot\"");
	bad("{\"cmd\":\"status\"} {\"cmd\":\"stats\"}", "trailing data");
	bad("{\"cmd\":\"threshold_set\"}", "number \"value\"");
	bad("{\"cmd\":\"threshold_set\",\"value\":\"1\"}", "number \"value\"");
	bad("{\"cmd\":\"threshold_set\",\"value\":NaN}", "finite");
	bad("{\"cmd\":\"threshold_set\",\"value\":1e999}", "finite");
	bad("{\"cmd\":\"model_load\"}", "\"path\"");
	bad("{\"cmd\":\"model_load\",\"path\":\"rel/x\"}", "absolute");
	bad("{\"cmd\":\"model_load\",\"path\":\"\"}", "1..");
	bad("{\"cmd\":\"spikes\",\"n\":0}", "1..1000");
	bad("{\"cmd\":\"spikes\",\"n\":1.5}", "integer");
	struct weir_ctl_req r;
	char err[256];
	ck_assert_int_eq(weir_ctl_parse("{\"cmd\":\"status\"}\0x", 18, &r, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

/* Every error reply is one valid JSON line with ok=false. */
static void check_reply(const char *msg)
{
	char buf[512];
	size_t n = weir_ctl_error_reply(buf, sizeof(buf), msg);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_ptr_null(memchr(buf, '\n', n - 1));
	json_object *o = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(o);
	json_object *ok;
	ck_assert(json_object_object_get_ex(o, "ok", &ok));
	ck_assert(!json_object_get_boolean(ok));
	json_object_put(o);
}

START_TEST(error_replies_are_json_lines)
{
	check_reply("plain");
	check_reply("quote \" backslash \\ newline \n tab \t");
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	check_reply(big);   /* too long for the buffer: a generic but valid reply */
}
END_TEST

START_TEST(line_framing)
{
	static struct weir_linebuf lb;
	weir_linebuf_init(&lb);
	size_t avail;
	char *sp = weir_linebuf_space(&lb, &avail);
	const char *in = "{\"cmd\":\"status\"}\n{\"cmd\":\"st";
	memcpy(sp, in, strlen(in));
	weir_linebuf_commit(&lb, strlen(in));
	const char *line;
	size_t len;
	ck_assert_int_eq(weir_linebuf_next(&lb, &line, &len), WEIR_LINE_OK);
	ck_assert_uint_eq(len, 16);
	ck_assert_int_eq(weir_linebuf_next(&lb, &line, &len), WEIR_LINE_NONE);
	sp = weir_linebuf_space(&lb, &avail);
	memcpy(sp, "ats\"}\n", 6);
	weir_linebuf_commit(&lb, 6);
	ck_assert_int_eq(weir_linebuf_next(&lb, &line, &len), WEIR_LINE_OK);
	ck_assert_int_eq(memcmp(line, "{\"cmd\":\"stats\"}", len), 0);
	/* a line longer than the buffer: reported once, skipped, then framing resumes */
	int too_long = 0;
	for (int round = 0; round < 3; round++) {
		sp = weir_linebuf_space(&lb, &avail);
		memset(sp, 'x', avail);
		weir_linebuf_commit(&lb, avail);
		while (weir_linebuf_next(&lb, &line, &len) == WEIR_LINE_TOO_LONG)
			too_long++;
	}
	ck_assert_int_eq(too_long, 1);
	sp = weir_linebuf_space(&lb, &avail);
	memcpy(sp, "xx\n{\"cmd\":\"spikes\"}\n", 20);
	weir_linebuf_commit(&lb, 20);
	ck_assert_int_eq(weir_linebuf_next(&lb, &line, &len), WEIR_LINE_OK);
	ck_assert_int_eq(memcmp(line, "{\"cmd\":\"spikes\"}", len), 0);
	ck_assert_int_eq(weir_linebuf_next(&lb, &line, &len), WEIR_LINE_NONE);
}
END_TEST

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fuzz_one(const char *buf, size_t len)
{
	struct weir_ctl_req r;
	char err[256];
	err[0] = 0;
	int rc = weir_ctl_parse(buf, len, &r, err, sizeof(err));
	if (rc == 0)
		ck_assert_uint_lt(r.cmd, WEIR_CTL_CMD_MAX);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_uint_gt(strlen(err), 0);
		check_reply(err);
	}
}

static const char *const seeds[] = {
	"{\"cmd\":\"status\"}",
	"{\"cmd\":\"threshold_set\",\"value\":-0.125}",
	"{\"cmd\":\"model_load\",\"path\":\"/var/lib/weir/models/m-3.bundle\"}",
	"{\"cmd\":\"spikes\",\"n\":50}",
	"{\"cmd\":\"alerts_rotate\",\"x\":{\"y\":[true,null,\"\\u00e9\"]}}",
};

START_TEST(fuzz_parser)
{
	static char buf[WEIR_CTL_MAX_LINE + 16];
	/* truncations of every seed at every length */
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		for (size_t l = 0; l <= strlen(seeds[s]); l++)
			fuzz_one(seeds[s], l);
	/* random mutations: byte flips, insertions of JSON punctuation */
	static const char punct[] = "{}[]\":,\\0123456789.eE+-tfn \x01\xff";
	for (int it = 0; it < 200000; it++) {
		const char *sd = seeds[next_rand() % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t len = strlen(sd);
		memcpy(buf, sd, len);
		int muts = 1 + (int)(next_rand() % 4);
		for (int m = 0; m < muts; m++) {
			size_t pos = next_rand() % (len + 1);
			switch (next_rand() % 3) {
			case 0:
				if (pos < len)
					buf[pos] = (char)next_rand();
				break;
			case 1:
				if (len < 200) {
					memmove(buf + pos + 1, buf + pos, len - pos);
					buf[pos] = punct[next_rand() % (sizeof(punct) - 1)];
					len++;
				}
				break;
			default:
				if (pos < len) {
					memmove(buf + pos, buf + pos + 1, len - pos - 1);
					len--;
				}
			}
		}
		fuzz_one(buf, len);
	}
	/* pure noise of random length */
	for (int it = 0; it < 20000; it++) {
		size_t len = next_rand() % 300;
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)next_rand();
		fuzz_one(buf, len);
	}
	/* huge: a maximal line of an endless string, deep nesting, long numbers */
	size_t n = 0;
	n += (size_t)sprintf(buf, "{\"cmd\":\"model_load\",\"path\":\"/");
	while (n < WEIR_CTL_MAX_LINE - 2)
		buf[n++] = 'a';
	buf[n++] = '"';
	buf[n++] = '}';
	fuzz_one(buf, n);
	fuzz_one(buf, WEIR_CTL_MAX_LINE + 2);   /* over the limit */
	n = 0;
	for (; n < 60000; n++)
		buf[n] = '[';
	fuzz_one(buf, n);
	n = (size_t)sprintf(buf, "{\"cmd\":\"threshold_set\",\"value\":");
	while (n < 60000)
		buf[n++] = '9';
	buf[n++] = '}';
	fuzz_one(buf, n);
}
END_TEST

/* Random chunking of a mixed stream through the framer and the parser. */
START_TEST(fuzz_stream)
{
	static struct weir_linebuf lb;
	static char stream[1 << 20];
	size_t sn = 0;
	unsigned want_ok = 0;
	while (sn < sizeof(stream) - 70000) {
		uint64_t k = next_rand() % 10;
		if (k < 6) {
			const char *s = seeds[next_rand() % 4];
			memcpy(stream + sn, s, strlen(s));
			sn += strlen(s);
			want_ok++;
		} else if (k < 9) {
			size_t l = next_rand() % 100;
			for (size_t i = 0; i < l; i++) {
				char c = (char)next_rand();
				stream[sn++] = c == '\n' ? 'n' : c;
			}
		} else {
			size_t l = WEIR_CTL_MAX_LINE + next_rand() % 1000;
			memset(stream + sn, 'z', l);
			sn += l;
		}
		stream[sn++] = '\n';
	}
	weir_linebuf_init(&lb);
	size_t off = 0;
	unsigned got_ok = 0, lines = 0;
	while (off < sn) {
		size_t avail;
		char *sp = weir_linebuf_space(&lb, &avail);
		size_t chunk = 1 + next_rand() % 5000;
		if (chunk > avail)
			chunk = avail;
		if (chunk > sn - off)
			chunk = sn - off;
		memcpy(sp, stream + off, chunk);
		off += chunk;
		weir_linebuf_commit(&lb, chunk);
		const char *line;
		size_t len;
		enum weir_line_kind kind;
		while ((kind = weir_linebuf_next(&lb, &line, &len)) != WEIR_LINE_NONE) {
			lines++;
			if (kind == WEIR_LINE_OK) {
				struct weir_ctl_req r;
				char err[256];
				if (weir_ctl_parse(line, len, &r, err, sizeof(err)) == 0)
					got_ok++;
			}
		}
	}
	/* every well-formed request came through, and noise never parsed
	 * as one (a random line being valid JSON with a known cmd is
	 * vanishingly unlikely) */
	ck_assert_uint_eq(got_ok, want_ok);
	ck_assert_uint_gt(lines, want_ok);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, valid_requests);
	tcase_add_test(tc, malformed_requests_get_clear_errors);
	tcase_add_test(tc, error_replies_are_json_lines);
	tcase_add_test(tc, line_framing);
	tcase_add_test(tc, fuzz_parser);
	tcase_add_test(tc, fuzz_stream);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
