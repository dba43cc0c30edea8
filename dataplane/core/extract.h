/* Captures in, records out: the offline pipeline every tool shares
 * (`weirctl extract`, `weirctl train` on captures, the tests). */
#ifndef WEIR_EXTRACT_H
#define WEIR_EXTRACT_H

#include <stdint.h>
#include <stdio.h>
#include "engine.h"

struct weir_extract_stats {
	struct weir_engine_stats eng;
	uint64_t files_ok;        /* read to the end */
	uint64_t files_failed;    /* could not be opened, or broke off */
	uint64_t bad_linktype;    /* files skipped for their link type */
};

struct weir_extract_opts {
	struct weir_engine_config eng;
	/* Progress lines on this stream (NULL: none) about once a second. */
	FILE *progress;
	/* Each per-file problem, one line naming the file (NULL: stderr). */
	FILE *errors;
	/* 1: read and analyse on the calling thread. 0 (default): a second
	 * thread reads the captures when the machine has two CPUs or more. */
	int threads;
};

void weir_extract_opts_defaults(struct weir_extract_opts *o);

/* A flow-table capacity for replaying these captures when none is given:
 * a flow needs a packet and a packet ~60 bytes of file, so the files' size
 * bounds the flows; a power of two from 4096 to 1048576. */
uint32_t weir_extract_auto_max_flows(const char *const *paths, int npaths);

/* Run every capture through one engine (in order, one continuous
 * timeline, as with a capture split into several files), then flush.
 * Returns 0 when at least one packet was read, -1 otherwise. A file that
 * cannot be opened, has an unknown link type, or breaks off (truncated) is
 * reported on o->errors and counted; the flows read so far are kept. */
int weir_extract_run(const struct weir_extract_opts *o, char *const *paths,
		     int npaths, weir_sink_fn sink, void *sink_ctx,
		     struct weir_extract_stats *st);

/* Human summary: packets, flows by protocol, decode errors by reason,
 * flow-table events. */
void weir_extract_print_summary(FILE *out, const struct weir_extract_stats *st,
				double seconds);

#endif
