/* weir-control configuration: the shipped configs/weir-control.conf states
 * exactly the built-in defaults, and bad values are refused with an error
 * naming the file, line, section and key. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"

static char conf_path[512];

START_TEST(shipped_file_equals_defaults)
{
	static struct weir_ctl_conf def, got;
	char err[1024];
	weir_ctl_conf_default(&def);
	weir_ctl_conf_default(&got);
	ck_assert_msg(weir_ctl_conf_load(&got, conf_path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(memcmp(&def, &got, sizeof(def)), 0);
}
END_TEST

static void bad(const char *text, const char *want)
{
	char path[] = "/tmp/weir-ctlconf-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	static struct weir_ctl_conf c;
	weir_ctl_conf_default(&c);
	char err[1024] = "";
	int r = weir_ctl_conf_load(&c, path, err, sizeof(err));
	unlink(path);
	ck_assert_int_eq(r, -1);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	ck_assert_msg(strstr(err, path) != NULL, "error '%s' lacks the file name", err);
}

START_TEST(bad_values_name_the_setting)
{
	bad("[spike]\nwindow = 1\n", ":2: [spike] window: '1' is out of range");
	bad("[spike]\nthreshold = abc\n", "[spike] threshold: 'abc' is not a number");
	bad("[retrain]\npolicy = sometimes\n", "[retrain] policy");
	bad("[retrain]\nholdout = 0.9\n", "[retrain] holdout");
	bad("[alerts]\nmax_bytes = 12X\n", "[alerts] max_bytes");
	bad("[alerts]\nretention = -1\n", "negative");
	bad("[kafka]\nenabled = perhaps\n", "[kafka] enabled: 'perhaps' is not a boolean");
	bad("[nosuch]\nx = 1\n", "[nosuch]: unknown section");
	bad("[control]\nsockett = /x\n", "[control] sockett: unknown setting");
	bad("[control]\nsocket = relative.sock\n", "[control] socket: must be an absolute path");
	bad("[intervals]\nlength_s = 0\n", "[intervals] length_s");
	bad("[retrain]\nmin_train_flows = 5000\nsample_capacity = 1000\n", "min_train_flows");
	bad("this is not ini\n", "syntax error");
}
END_TEST

START_TEST(size_suffixes_and_set)
{
	static struct weir_ctl_conf c;
	char err[512];
	weir_ctl_conf_default(&c);
	ck_assert_int_eq(weir_ctl_conf_set(&c, "alerts", "max_bytes", "2M", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.alog.max_bytes, 2u << 20);
	ck_assert_int_eq(weir_ctl_conf_set(&c, "alerts", "backlog_bytes", "64k", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.alog.backlog_bytes, 64u << 10);
	ck_assert_int_eq(weir_ctl_conf_set(&c, "retrain", "policy", "on-spike", err, sizeof(err)), 0);
	ck_assert_int_eq(c.retrain.policy, WEIR_RETRAIN_ON_SPIKE);
	ck_assert_int_eq(weir_ctl_conf_set(&c, "kafka", "enabled", "yes", err, sizeof(err)), 0);
	ck_assert_int_eq(c.kafka.enabled, 1);
}
END_TEST

int main(void)
{
	const char *src = getenv("WEIR_SRC");
	snprintf(conf_path, sizeof(conf_path), "%s/configs/weir-control.conf", src ? src : ".");
	Suite *s = suite_create("ctlconf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, shipped_file_equals_defaults);
	tcase_add_test(tc, bad_values_name_the_setting);
	tcase_add_test(tc, size_suffixes_and_set);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
