/* Control protocol: request parsing and line framing (see ctlproto.h). */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ctlproto.h"

static const char *const cmd_names[WEIR_CTL_CMD_MAX] = {
	"status", "stats", "model_list", "model_load", "model_rollback",
	"retrain", "threshold_get", "threshold_set", "alerts_list",
	"alerts_rotate", "spikes",
};

const char *weir_ctl_cmd_name(unsigned c)
{
	return c < WEIR_CTL_CMD_MAX ? cmd_names[c] : "?";
}

int weir_ctl_parse(const char *line, size_t len, struct weir_ctl_req *req,
		   char *err, size_t errlen)
{
	memset(req, 0, sizeof(*req));
	if (len > WEIR_CTL_MAX_LINE) {
		snprintf(err, errlen, "request longer than %d bytes", WEIR_CTL_MAX_LINE);
		return -1;
	}
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "request contains a NUL byte");
		return -1;
	}
	/* Depth 8 is plenty for our flat objects and bounds the parser's work. */
	struct json_tokener *tok = json_tokener_new_ex(8);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	int rc = -1;
	if (!o || jerr != json_tokener_success) {
		snprintf(err, errlen, "request is not a complete JSON object (%s)",
			 jerr == json_tokener_continue ? "truncated" :
			 json_tokener_error_desc(jerr));
		goto out;
	}
	for (size_t i = used; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			snprintf(err, errlen, "trailing data after the JSON object");
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "request must be a JSON object");
		goto out;
	}
	json_object *jc;
	if (!json_object_object_get_ex(o, "cmd", &jc) ||
	    !json_object_is_type(jc, json_type_string)) {
		snprintf(err, errlen, "request needs a string \"cmd\"");
		goto out;
	}
	const char *name = json_object_get_string(jc);
	unsigned c;
	for (c = 0; c < WEIR_CTL_CMD_MAX; c++)
		if (!strcmp(name, cmd_names[c]))
			break;
	if (c == WEIR_CTL_CMD_MAX) {
		snprintf(err, errlen, "unknown command \"%.64s\"", name);
		goto out;
	}
	req->cmd = (enum weir_ctl_cmd)c;
	json_object *a;
	switch (req->cmd) {
	case WEIR_CTL_MODEL_LOAD: {
		if (!json_object_object_get_ex(o, "path", &a) ||
		    !json_object_is_type(a, json_type_string)) {
			snprintf(err, errlen, "model_load needs a string \"path\"");
			goto out;
		}
		const char *p = json_object_get_string(a);
		size_t pl = strlen(p);
		if (pl == 0 || pl >= sizeof(req->path)) {
			snprintf(err, errlen, "model_load \"path\" must be 1..%zu bytes",
				 sizeof(req->path) - 1);
			goto out;
		}
		if (p[0] != '/') {
			snprintf(err, errlen, "model_load \"path\" must be absolute: %.200s", p);
			goto out;
		}
		memcpy(req->path, p, pl + 1);
		break;
	}
	case WEIR_CTL_THRESHOLD_SET:
		if (!json_object_object_get_ex(o, "value", &a) ||
		    !(json_object_is_type(a, json_type_double) ||
		      json_object_is_type(a, json_type_int))) {
			snprintf(err, errlen, "threshold_set needs a number \"value\"");
			goto out;
		}
		req->value = json_object_get_double(a);
		if (!isfinite(req->value)) {
			snprintf(err, errlen, "threshold_set \"value\" must be finite");
			goto out;
		}
		break;
	case WEIR_CTL_SPIKES:
		req->n = 20;
		if (json_object_object_get_ex(o, "n", &a)) {
			if (!json_object_is_type(a, json_type_int)) {
				snprintf(err, errlen, "spikes \"n\" must be an integer");
				goto out;
			}
			int64_t n = json_object_get_int64(a);
			if (n < 1 || n > 1000) {
				snprintf(err, errlen, "spikes \"n\" must be 1..1000");
				goto out;
			}
			req->n = (unsigned)n;
		}
		break;
	default:
		break;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

size_t weir_ctl_error_reply(char *buf, size_t cap, const char *msg)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t l = strlen(s);
	size_t n = 0;
	if (cap > 1) {
		n = l < cap - 2 ? l : 0;   /* never a truncated object */
		if (n == 0) {
			n = (size_t)snprintf(buf, cap, "{\"ok\":false,\"error\":\"error\"}");
			if (n >= cap - 1)
				n = 0;
		} else {
			memcpy(buf, s, n);
		}
		buf[n++] = '\n';
		buf[n] = 0;
	}
	json_object_put(o);
	return n;
}

void weir_linebuf_init(struct weir_linebuf *lb)
{
	lb->n = lb->start = 0;
	lb->skipping = 0;
}

char *weir_linebuf_space(struct weir_linebuf *lb, size_t *avail)
{
	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->n - lb->start);
		lb->n -= lb->start;
		lb->start = 0;
	}
	*avail = sizeof(lb->buf) - lb->n;
	return lb->buf + lb->n;
}

void weir_linebuf_commit(struct weir_linebuf *lb, size_t n)
{
	lb->n += n;
}

enum weir_line_kind weir_linebuf_next(struct weir_linebuf *lb, const char **line,
				      size_t *len)
{
	for (;;) {
		char *p = lb->buf + lb->start;
		size_t have = lb->n - lb->start;
		char *nl = memchr(p, '\n', have);
		if (lb->skipping) {
			if (!nl) {   /* still inside the long line: discard it all */
				lb->n = lb->start = 0;
				return WEIR_LINE_NONE;
			}
			lb->start += (size_t)(nl - p) + 1;
			lb->skipping = 0;
			continue;
		}
		if (!nl) {
			if (have >= sizeof(lb->buf)) {
				/* a full buffer without a newline: too long */
				lb->n = lb->start = 0;
				lb->skipping = 1;
				return WEIR_LINE_TOO_LONG;
			}
			return WEIR_LINE_NONE;
		}
		*line = p;
		*len = (size_t)(nl - p);
		lb->start += *len + 1;
		return WEIR_LINE_OK;
	}
}
