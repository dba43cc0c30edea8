/* Capture files through libpcap: pcap and pcapng, micro- or nanosecond
 * stamps, all handed out as nanoseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture.h"

struct weir_capture {
	pcap_t *pc;
	char path[256];
};

struct weir_capture *weir_capture_open(const char *path, char *err, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path,
				PCAP_TSTAMP_PRECISION_NANO, pcerr);
	if (!pc) {
		snprintf(err, errlen, "%s: cannot read capture: %s", path, pcerr);
		return NULL;
	}
	struct weir_capture *cap = calloc(1, sizeof(*cap));
	if (!cap) {
		pcap_close(pc);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	cap->pc = pc;
	snprintf(cap->path, sizeof(cap->path), "%s", path);
	return cap;
}

int weir_capture_linktype(const struct weir_capture *cap)
{
	return pcap_datalink(cap->pc);
}

int weir_capture_next(struct weir_capture *cap, struct weir_frame *fr,
		      char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(cap->pc, &h, &data);
	if (rc == 1) {
		fr->data = data;
		fr->caplen = h->caplen;
		fr->wire_len = h->len < h->caplen ? h->caplen : h->len;
		fr->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
			    (uint64_t)h->ts.tv_usec; /* nanoseconds: see open */
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s: %s", cap->path, pcap_geterr(cap->pc));
	return -1;
}

void weir_capture_close(struct weir_capture *cap)
{
	if (!cap)
		return;
	pcap_close(cap->pc);
	free(cap);
}
