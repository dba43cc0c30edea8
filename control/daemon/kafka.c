/* Kafka export: idempotent, non-blocking producer with counted errors. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka.h"

struct weir_kafka {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic[WEIR_KT_MAX];
	unsigned retries;
	struct weir_kafka_stats st;
};

/* Per-record retry count travels as the message opaque (no allocation). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	struct weir_kafka *k = opaque;
	k->st.in_flight--;
	if (!m->err) {
		k->st.delivered++;
		return;
	}
	k->st.delivery_errors++;
	uintptr_t tries = (uintptr_t)m->_private;
	if (tries >= k->retries) {
		k->st.lost++;
		fprintf(stderr, "weir-control: kafka: record to %s lost after %lu retries: %s\n",
			rd_kafka_topic_name(m->rkt), (unsigned long)tries, rd_kafka_err2str(m->err));
		return;
	}
	if (rd_kafka_produce(m->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
			     m->payload, m->len, m->key, m->key_len,
			     (void *)(tries + 1)) == 0) {
		k->st.requeued++;
		k->st.in_flight++;
	} else {
		k->st.lost++;
	}
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *val,
	       const char *setting, char *err, size_t errlen)
{
	char e[256];
	if (rd_kafka_conf_set(conf, key, val, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "[kafka] %s: librdkafka refused %s=%s: %s", setting, key, val, e);
		return -1;
	}
	return 0;
}

struct weir_kafka *weir_kafka_open(const struct weir_kafka_cfg *c, char *err, size_t errlen)
{
	struct weir_kafka *k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "kafka: out of memory");
		return NULL;
	}
	k->retries = c->retries;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char num[32];
	if (c->mock_brokers) {
		snprintf(num, sizeof(num), "%d", c->mock_brokers);
		if (set(conf, "test.mock.num.brokers", num, "mock_brokers", err, errlen))
			goto fail;
	} else if (set(conf, "bootstrap.servers", c->brokers, "brokers", err, errlen)) {
		goto fail;
	}
	snprintf(num, sizeof(num), "%u", c->queue_max);
	if (set(conf, "enable.idempotence", "true", "enabled", err, errlen) ||
	    set(conf, "queue.buffering.max.messages", num, "queue_max", err, errlen) ||
	    set(conf, "linger.ms", "20", "enabled", err, errlen) ||
	    set(conf, "message.timeout.ms", "60000", "enabled", err, errlen))
		goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, k);
	char e[512];
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
	if (!k->rk) {
		snprintf(err, errlen, "[kafka] cannot create the producer: %s", e);
		goto fail;   /* conf was not consumed */
	}
	conf = NULL;
	const char *names[WEIR_KT_MAX] = { c->topic_anomalies, c->topic_summary, c->topic_events };
	const char *keys[WEIR_KT_MAX] = { "topic_anomalies", "topic_summary", "topic_events" };
	for (int t = 0; t < WEIR_KT_MAX; t++) {
		if (!names[t][0]) {
			snprintf(err, errlen, "[kafka] %s: must not be empty", keys[t]);
			goto fail;
		}
		k->topic[t] = rd_kafka_topic_new(k->rk, names[t], NULL);
		if (!k->topic[t]) {
			snprintf(err, errlen, "[kafka] %s = %s: %s", keys[t], names[t],
				 rd_kafka_err2str(rd_kafka_last_error()));
			goto fail;
		}
	}
	return k;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	weir_kafka_close(k, 0);
	return NULL;
}

int weir_kafka_send(struct weir_kafka *k, enum weir_kafka_topic t, const void *key,
		    size_t keylen, const char *buf, size_t len)
{
	if (rd_kafka_produce(k->topic[t], RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
			     (void *)buf, len, key, keylen, (void *)0) == 0) {
		k->st.produced++;
		k->st.in_flight++;
		return 0;
	}
	if (rd_kafka_last_error() == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		k->st.queue_full++;
	else
		k->st.other_errors++;
	return -1;
}

void weir_kafka_poll(struct weir_kafka *k, int timeout_ms)
{
	rd_kafka_poll(k->rk, timeout_ms);
}

void weir_kafka_get_stats(const struct weir_kafka *k, struct weir_kafka_stats *st)
{
	*st = k->st;
}

void *weir_kafka_handle(struct weir_kafka *k)
{
	return k->rk;
}

void weir_kafka_close(struct weir_kafka *k, int flush_ms)
{
	if (!k)
		return;
	if (k->rk && flush_ms > 0 && rd_kafka_flush(k->rk, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "weir-control: kafka: %lu records still undelivered at close\n",
			(unsigned long)k->st.in_flight);
	for (int t = 0; t < WEIR_KT_MAX; t++)
		if (k->topic[t])
			rd_kafka_topic_destroy(k->topic[t]);
	if (k->rk)
		rd_kafka_destroy(k->rk);
	free(k);
}
