/* Optional Kafka export of the alert records (librdkafka).
 *
 * The producer is idempotent (enable.idempotence=true): librdkafka retries
 * transient broker errors itself without duplicating or reordering records
 * within a partition. Records are keyed by source address (anomalies) so one
 * source's alerts stay in order in one partition.
 *
 * Never blocks the ring consumer: produce() only queues (a full local queue
 * counts the record as dropped with reason queue_full); delivery reports are
 * served by weir_kafka_poll(…, 0) from the main loop. A record whose delivery
 * finally fails (message.timeout.ms passed) is counted and produced again, up
 * to `retries` times, then counted as lost.
 */
#ifndef WEIR_KAFKA_H
#define WEIR_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

enum weir_kafka_topic { WEIR_KT_ANOMALIES = 0, WEIR_KT_SUMMARY, WEIR_KT_EVENTS, WEIR_KT_MAX };

struct weir_kafka_stats {
	uint64_t produced;        /* accepted into librdkafka's queue */
	uint64_t delivered;       /* acknowledged by the brokers */
	uint64_t delivery_errors; /* failed delivery reports */
	uint64_t requeued;        /* produced again after a failed delivery */
	uint64_t lost;            /* failed after all retries */
	uint64_t queue_full;      /* dropped: local queue full */
	uint64_t other_errors;    /* dropped: produce() refused otherwise */
	uint64_t in_flight;       /* produced, not yet reported */
};

struct weir_kafka;

/* NULL with a message naming the [kafka] setting on a bad configuration. */
struct weir_kafka *weir_kafka_open(const struct weir_kafka_cfg *c, char *err, size_t errlen);
/* 0 queued; -1 dropped (counted). Copies the payload. */
int weir_kafka_send(struct weir_kafka *k, enum weir_kafka_topic t, const void *key,
		    size_t keylen, const char *buf, size_t len);
/* Serve delivery reports; timeout_ms 0 never waits. */
void weir_kafka_poll(struct weir_kafka *k, int timeout_ms);
void weir_kafka_get_stats(const struct weir_kafka *k, struct weir_kafka_stats *st);
/* Wait up to flush_ms for in-flight records, then close. */
void weir_kafka_close(struct weir_kafka *k, int flush_ms);
/* librdkafka's handle (tests: to reach the mock cluster). */
void *weir_kafka_handle(struct weir_kafka *k);

#endif
