/* Client of weir's command socket (doc/dataplane.md, "Command socket"):
 * one JSON line out, one JSON line back, with a deadline so a hung
 * dataplane cannot hang weir-control. */
#ifndef WEIR_DPCMD_H
#define WEIR_DPCMD_H

#include <stddef.h>

/* Send `req` (a JSON object, no newline) to the socket at `path` and read
 * one reply line into reply (NUL-terminated, newline removed). Returns 0 if
 * the reply says "ok":true, 1 if it says false (message in err), -1 on a
 * transport error (message in err naming the socket). */
int weir_dpcmd(const char *path, const char *req, char *reply, size_t cap,
	       int timeout_ms, char *err, size_t errlen);

#endif
