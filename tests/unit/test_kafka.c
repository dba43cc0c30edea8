/* Kafka export against librdkafka's mock cluster: every record arrives
 * exactly once and in order per partition, also when the brokers fail
 * produce requests with retriable errors (the idempotent producer retries
 * without duplicating or reordering). */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka.h"

#define N 20000
#define NPART 4
#define NKEYS 37
/* Kafka protocol ApiKey of Produce requests (not in the public header). */
#define KAFKA_API_PRODUCE 0

static unsigned seen[N];

static void consume_all(const char *bootstraps, const char *topic, unsigned expect)
{
	char e[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, e, sizeof(e)),
			 RD_KAFKA_CONF_OK);
	ck_assert_int_eq(rd_kafka_conf_set(conf, "group.id", "weir-test", e, sizeof(e)),
			 RD_KAFKA_CONF_OK);
	rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
	ck_assert_msg(c != NULL, "%s", e);
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(NPART);
	for (int p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(c, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);

	long last_seq_per_key[NKEYS];
	int part_of_key[NKEYS];
	for (int i = 0; i < NKEYS; i++) {
		last_seq_per_key[i] = -1;
		part_of_key[i] = -1;
	}
	unsigned got = 0;
	int idle = 0;
	while (got < expect && idle < 300) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
		if (!m) {
			idle++;
			continue;
		}
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		idle = 0;
		unsigned seq, key;
		char buf[128];
		size_t l = m->len < sizeof(buf) - 1 ? m->len : sizeof(buf) - 1;
		memcpy(buf, m->payload, l);
		buf[l] = 0;
		ck_assert_int_eq(sscanf(buf, "{\"seq\":%u,\"key\":%u}", &seq, &key), 2);
		ck_assert_uint_lt(seq, N);
		ck_assert_uint_lt(key, NKEYS);
		seen[seq]++;
		/* one key, one partition, increasing sequence */
		if (part_of_key[key] < 0)
			part_of_key[key] = m->partition;
		ck_assert_int_eq(part_of_key[key], m->partition);
		ck_assert_int_gt((long)seq, last_seq_per_key[key]);
		last_seq_per_key[key] = seq;
		got++;
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	ck_assert_uint_eq(got, expect);
}

START_TEST(exactly_once_in_order_with_broker_errors)
{
	char e[512];
	/* a mock cluster of 3 brokers on its own handle */
	rd_kafka_conf_t *mconf = rd_kafka_conf_new();
	rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, e, sizeof(e));
	ck_assert_ptr_nonnull(mrk);
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mrk, 3);
	ck_assert_ptr_nonnull(mc);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "t.anom", NPART, 3), 0);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "t.sum", 1, 3), 0);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "t.ev", 1, 3), 0);

	struct weir_kafka_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.enabled = 1;
	snprintf(cfg.brokers, sizeof(cfg.brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	strcpy(cfg.topic_anomalies, "t.anom");
	strcpy(cfg.topic_summary, "t.sum");
	strcpy(cfg.topic_events, "t.ev");
	cfg.queue_max = 100000;
	cfg.retries = 5;
	char err[512];
	struct weir_kafka *k = weir_kafka_open(&cfg, err, sizeof(err));
	ck_assert_msg(k != NULL, "%s", err);

	/* retriable errors on produce requests: the producer must retry */
	rd_kafka_mock_push_request_errors(mc, KAFKA_API_PRODUCE, 6,
		RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
		RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
		RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
		RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
		RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
		RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);

	for (unsigned i = 0; i < N; i++) {
		char buf[64], key[8];
		unsigned kk = (i * 7919u) % NKEYS;
		int l = snprintf(buf, sizeof(buf), "{\"seq\":%u,\"key\":%u}", i, kk);
		int kl = snprintf(key, sizeof(key), "k%u", kk);
		while (weir_kafka_send(k, WEIR_KT_ANOMALIES, key, (size_t)kl, buf, (size_t)l) < 0)
			weir_kafka_poll(k, 10);   /* only with a full queue; counted */
		if (i % 1000 == 0)
			weir_kafka_poll(k, 0);
	}
	ck_assert_int_eq(weir_kafka_send(k, WEIR_KT_EVENTS, NULL, 0, "{\"event\":\"x\"}", 13), 0);
	for (int w = 0; w < 300; w++) {
		struct weir_kafka_stats st;
		weir_kafka_get_stats(k, &st);
		if (st.in_flight == 0)
			break;
		weir_kafka_poll(k, 100);
	}
	struct weir_kafka_stats st;
	weir_kafka_get_stats(k, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.delivered, N + 1);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_eq(st.produced, N + 1);
	weir_kafka_close(k, 5000);

	memset(seen, 0, sizeof(seen));
	consume_all(rd_kafka_mock_cluster_bootstraps(mc), "t.anom", N);
	for (unsigned i = 0; i < N; i++)
		ck_assert_msg(seen[i] == 1, "record %u seen %u times", i, seen[i]);

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mrk);
}
END_TEST

START_TEST(bad_config_names_setting)
{
	struct weir_kafka_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.brokers, "localhost:9");
	strcpy(cfg.topic_anomalies, "a");
	strcpy(cfg.topic_summary, "b");
	cfg.queue_max = 100000;
	char err[512];
	ck_assert_ptr_null(weir_kafka_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "topic_events"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kafka");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, exactly_once_in_order_with_broker_errors);
	tcase_add_test(tc, bad_config_names_setting);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
