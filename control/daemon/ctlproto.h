/* weir-control's control protocol: JSON lines over a Unix stream socket.
 *
 * Request:  {"cmd":"NAME", ...arguments}\n      (at most WEIR_CTL_MAX_LINE bytes)
 * Response: {"ok":true, ...}\n  or  {"ok":false,"error":"MESSAGE"}\n
 *
 * Commands and arguments (doc/control.md has the reply fields):
 *   status, stats, model_list, model_rollback, retrain, threshold_get,
 *   alerts_list, alerts_rotate          no arguments
 *   model_load      "path": bundle file (absolute)
 *   threshold_set   "value": number (decision threshold, finite)
 *   spikes          "n": how many recent spikes (1..1000, default 20)
 * Unknown fields are ignored, so newer clients can talk to older daemons.
 */
#ifndef WEIR_CTLPROTO_H
#define WEIR_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>

#define WEIR_CTL_MAX_LINE 65536
#define WEIR_CTL_MAX_PATH 1024

enum weir_ctl_cmd {
	WEIR_CTL_STATUS = 0,
	WEIR_CTL_STATS,
	WEIR_CTL_MODEL_LIST,
	WEIR_CTL_MODEL_LOAD,
	WEIR_CTL_MODEL_ROLLBACK,
	WEIR_CTL_RETRAIN,
	WEIR_CTL_THRESHOLD_GET,
	WEIR_CTL_THRESHOLD_SET,
	WEIR_CTL_ALERTS_LIST,
	WEIR_CTL_ALERTS_ROTATE,
	WEIR_CTL_SPIKES,
	WEIR_CTL_CMD_MAX
};

const char *weir_ctl_cmd_name(unsigned c);

struct weir_ctl_req {
	enum weir_ctl_cmd cmd;
	double value;                    /* threshold_set */
	unsigned n;                      /* spikes */
	char path[WEIR_CTL_MAX_PATH];    /* model_load */
};

/* Parse one request line (without its '\n'; need not be NUL-terminated).
 * 0 ok; -1 with a message for the error reply. */
int weir_ctl_parse(const char *line, size_t len, struct weir_ctl_req *req,
		   char *err, size_t errlen);

/* {"ok":false,"error":"..."}\n with the message JSON-escaped; returns the
 * length (truncating a long message). */
size_t weir_ctl_error_reply(char *buf, size_t cap, const char *msg);

/* Splits a byte stream into lines. A line longer than WEIR_CTL_MAX_LINE is
 * reported once as too long and skipped up to its newline. */
struct weir_linebuf {
	char buf[WEIR_CTL_MAX_LINE];
	size_t n;          /* bytes held */
	size_t start;      /* start of the unread part */
	int skipping;      /* inside an over-long line */
};

enum weir_line_kind { WEIR_LINE_NONE = 0, WEIR_LINE_OK, WEIR_LINE_TOO_LONG };

void weir_linebuf_init(struct weir_linebuf *lb);
/* Space to read() into, and how much; then commit what arrived. */
char *weir_linebuf_space(struct weir_linebuf *lb, size_t *avail);
void weir_linebuf_commit(struct weir_linebuf *lb, size_t n);
/* Next complete line (without '\n'), valid until the next call. */
enum weir_line_kind weir_linebuf_next(struct weir_linebuf *lb, const char **line,
				      size_t *len);

#endif
