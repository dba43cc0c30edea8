/* Replay hold: lockstep between weir's replay and a consumer (weir-control
 * in replay mode, doc/control.md "Replay lockstep").
 *
 * With a hold point set, the replay stops before the first frame stamped at
 * or after it and serves the command socket until the point is moved on.
 * "held" means that frame is waiting AND every frame before it has been
 * processed by its worker, so every record those frames produced is in the
 * shm rings: the consumer sees the same record set at any replay speed.
 * A model swapped in while held scores everything after the hold point.
 * Main lcore only (rx.c sets, ctlsock.c reads); no effect outside --pcap.
 */
#ifndef WEIR_HOLD_H
#define WEIR_HOLD_H

#include <stdint.h>

struct weir_app;

struct weir_hold_state {
	uint64_t until_ns;   /* hold point; 0 = none */
	int held;            /* waiting at it, every earlier frame processed */
	uint64_t next_ns;    /* stamp of the waiting frame (when held) */
	uint64_t holds;      /* times the replay stopped at a hold point */
};

/* WEIR_REPLAY_HOLD=1 in the environment: start held before the first frame,
 * so nothing is produced before the consumer sets the first hold point. */
void weir_hold_init(void);
void weir_hold_set(uint64_t until_ns);
void weir_hold_get(const struct weir_app *app, struct weir_hold_state *st);

#endif
