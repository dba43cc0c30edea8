/* Alert record formats: one anomaly per JSON line, one summary.csv row per
 * interval, one event per JSON line (doc/control.md lists the fields). */
#ifndef WEIR_CTL_OUTPUT_H
#define WEIR_CTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include "intervals.h"
#include "record.h"

/* A deviating feature, already named ("sbytes", "proto=udp"). */
struct weir_why {
	char name[32];
	double value;
	double z;
};

/* "2026-11-21T17:00:00.123456Z" (27 characters + NUL). */
void weir_iso_time(uint64_t ns, char *buf, size_t len);

/* The anomalies.jsonl line; 0 if it did not fit. */
size_t weir_fmt_anomaly(char *buf, size_t cap, const struct weir_record *r,
			const struct weir_why *why, unsigned nwhy);

#define WEIR_SUMMARY_HEADER \
	"interval_end,interval_start,flows,sampled,anomalies,anomaly_rate," \
	"top_sources,top_destinations,skipped_before\n"

/* The summary.csv row; flows is the estimate sampled / sample rate. */
size_t weir_fmt_summary(char *buf, size_t cap, const struct weir_interval *iv,
			double flows, double rate);

/* "10.0.0.1:12;10.0.0.2:3" */
size_t weir_fmt_top(char *buf, size_t cap, const struct weir_ivl_top *t, unsigned n);

#endif
