/* weirctl report: a replay's output directory as one self-contained HTML
 * page (plots drawn by gnuplot, embedded as data: URIs, so the page opens
 * in a browser with no network and can be mailed as one file). */
#ifndef WEIRCTL_REPORT_H
#define WEIRCTL_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct report_opts {
	const char *dir;         /* holds flows.csv, and events.jsonl if any */
	const char *output;      /* default DIR/report.html */
	double interval_s;       /* bin width of the time series, default 10 */
	unsigned top;            /* rows in the top-sources tables, default 10 */
	const char *labels;      /* ground truth to join when flows.csv has none */
	int print_summary;       /* detection quality as text on stdout */
};

/* 0 on success; -1 with a message in err naming the file and the problem. */
int report_write(const struct report_opts *o, char *err, size_t errlen);

#endif
