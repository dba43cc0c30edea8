/* ct_* features: counts over a sliding window of the last N connections
 * (UNSW-NB15: N = 100, "according to the last time"). The current record is
 * part of its own window, so every count is at least 1. */
#ifndef WEIR_CTWINDOW_H
#define WEIR_CTWINDOW_H

#include <stdint.h>
#include <stddef.h>
#include "record.h"

struct weir_ctwin;

struct weir_ctwin *weir_ctwin_create(uint32_t window, char *err, size_t errlen);
void weir_ctwin_free(struct weir_ctwin *w);

/* Fill the seven ct_* window features of `rec` from the window, then add
 * `rec` to it (pushing out the oldest). Records are taken in the order they
 * are finished. */
void weir_ctwin_apply(struct weir_ctwin *w, struct weir_record *rec);

/* The same counts for a provisional record (an open flow scored early),
 * leaving the window unchanged. */
void weir_ctwin_peek(const struct weir_ctwin *w, struct weir_record *rec);

#endif
