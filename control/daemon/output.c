/* Alert record formatting. Fixed-size buffers, no allocation: anomalies can
 * arrive by the thousand per second. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "output.h"

void weir_iso_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	char d[32];
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", d, (unsigned)(ns % 1000000000ull / 1000));
}

struct out {
	char *p;
	size_t cap, n;
	int over;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->n)
		o->over = 1;
	else
		o->n += (size_t)n;
}

/* JSON number: NaN/inf are not JSON, they become null. */
static void num(struct out *o, const char *key, double v)
{
	if (isfinite(v))
		put(o, ",\"%s\":%.6g", key, v);
	else
		put(o, ",\"%s\":null", key);
}

/* attack_cat comes from a label file: escape it. */
static void jstr(struct out *o, const char *key, const char *s)
{
	put(o, ",\"%s\":\"", key);
	for (; *s && !o->over; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

size_t weir_fmt_anomaly(char *buf, size_t cap, const struct weir_record *r,
			const struct weir_why *why, unsigned nwhy)
{
	struct out o = { buf, cap, 0, 0 };
	char t[40], src[64], dst[64];
	weir_iso_time(r->ltime_ns, t, sizeof(t));
	unsigned fam = r->family == 6 ? 6 : 4;
	weir_ip_format(r->srcip, fam, src, sizeof(src));
	weir_ip_format(r->dstip, fam, dst, sizeof(dst));
	put(&o, "{\"time\":\"%s\",\"stime_ns\":%" PRIu64 ",\"ltime_ns\":%" PRIu64, t,
	    r->stime_ns, r->ltime_ns);
	put(&o, ",\"srcip\":\"%s\",\"sport\":%u,\"dstip\":\"%s\",\"dsport\":%u,\"proto\":\"%s\"",
	    src, r->sport, dst, r->dsport, weir_proto_name(r->proto));
	put(&o, ",\"service\":\"%s\",\"state\":\"%s\"", weir_service_name(r->service),
	    weir_state_name(r->state));
	num(&o, "score", r->score);
	put(&o, ",\"model_version\":%u,\"worker\":%u,\"flow_id\":%" PRIu64,
	    r->model_version, r->worker, r->flow_id);
	num(&o, "dur", r->dur);
	put(&o, ",\"sbytes\":%" PRIu64 ",\"dbytes\":%" PRIu64 ",\"spkts\":%u,\"dpkts\":%u",
	    r->sbytes, r->dbytes, r->spkts, r->dpkts);
	if (r->has_label) {
		put(&o, ",\"label\":%u", r->label);
		char cat[sizeof(r->attack_cat) + 1];
		memcpy(cat, r->attack_cat, sizeof(r->attack_cat));
		cat[sizeof(r->attack_cat)] = 0;
		jstr(&o, "attack_cat", cat);
	}
	put(&o, ",\"why\":[");
	for (unsigned i = 0; i < nwhy; i++) {
		put(&o, "%s{\"feature\":\"%s\"", i ? "," : "", why[i].name);
		num(&o, "value", why[i].value);
		num(&o, "z", why[i].z);
		put(&o, "}");
	}
	put(&o, "]}\n");
	return o.over ? 0 : o.n;
}

size_t weir_fmt_top(char *buf, size_t cap, const struct weir_ivl_top *t, unsigned n)
{
	struct out o = { buf, cap, 0, 0 };
	buf[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		char ip[64];
		weir_ip_format(t[i].ip, t[i].family, ip, sizeof(ip));
		put(&o, "%s%s:%" PRIu64, i ? ";" : "", ip, t[i].anomalies);
	}
	return o.over ? 0 : o.n;
}

size_t weir_fmt_summary(char *buf, size_t cap, const struct weir_interval *iv,
			double flows, double rate)
{
	char te[40], ts[40], srcs[1200], dsts[1200];
	weir_iso_time(iv->end_ns, te, sizeof(te));
	weir_iso_time(iv->start_ns, ts, sizeof(ts));
	if (!weir_fmt_top(srcs, sizeof(srcs), iv->top_src, iv->ntop_src))
		srcs[0] = 0;
	if (!weir_fmt_top(dsts, sizeof(dsts), iv->top_dst, iv->ntop_dst))
		dsts[0] = 0;
	struct out o = { buf, cap, 0, 0 };
	put(&o, "%s,%s,%.0f,%" PRIu64 ",%" PRIu64 ",%.6f,%s,%s,%" PRIu64 "\n", te, ts, flows,
	    iv->sampled, iv->anomalies, rate, srcs, dsts, iv->skipped_before);
	return o.over ? 0 : o.n;
}
