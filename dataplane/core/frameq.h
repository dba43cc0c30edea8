/* A single-producer, single-consumer queue of copied frames, handed over in
 * chunks of hundreds: the offline extractor reads captures on one thread
 * (libpcap reuses its buffer, so frames are copied out) and analyses them
 * on another. One lock round trip per chunk, none per frame. */
#ifndef WEIR_FRAMEQ_H
#define WEIR_FRAMEQ_H

#include "capture.h"
#include "engine.h"

struct weir_frameq;

/* NULL when out of memory (about 5 MiB). */
struct weir_frameq *weir_frameq_create(void);
void weir_frameq_free(struct weir_frameq *q);

/* Producer: copy one frame in; waits while every chunk is queued. */
void weir_frameq_push(struct weir_frameq *q, int linktype, const struct weir_frame *fr);
/* Producer: no more frames (what is queued is still delivered). */
void weir_frameq_close(struct weir_frameq *q);

/* Consumer: up to `max` next frames, all of one link type, in order, as
 * the engine takes them; 0 at the end. They stay valid until the next call. */
unsigned weir_frameq_pop(struct weir_frameq *q, struct weir_frame_ref *out,
			 int *linktype, unsigned max);

#endif
