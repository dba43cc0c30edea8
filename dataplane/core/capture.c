/* Capture files through libpcap: pcap and pcapng, micro- or nanosecond
 * stamps, all handed out as nanoseconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture.h"

/* libpcap reads a file through stdio, one fread per header and per frame;
 * stdio's default buffer is the file system's block size (4 KiB), so a
 * large capture costs a read() every few frames. 64 KiB (still within L2)
 * reads the same file in about two thirds of the time (doc/performance.md). */
#define CAPTURE_STDIO_BUF (64u << 10)

struct weir_capture {
	pcap_t *pc;
	char path[256];
	char *buf;               /* the FILE's buffer, freed after pcap_close */
};

struct weir_capture *weir_capture_open(const char *path, char *err, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	struct weir_capture *cap = calloc(1, sizeof(*cap));
	char *buf = malloc(CAPTURE_STDIO_BUF);
	FILE *f = NULL;
	pcap_t *pc = NULL;

	if (!cap || !buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read capture: %s", path, strerror(errno));
		goto fail;
	}
	setvbuf(f, buf, _IOFBF, CAPTURE_STDIO_BUF);
	pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, pcerr);
	if (!pc) {
		/* libpcap closes nothing it did not open: the FILE is ours */
		fclose(f);
		snprintf(err, errlen, "%s: cannot read capture: %s", path, pcerr);
		goto fail;
	}
	cap->pc = pc;
	cap->buf = buf;
	snprintf(cap->path, sizeof(cap->path), "%s", path);
	return cap;
fail:
	free(buf);
	free(cap);
	return NULL;
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
	pcap_close(cap->pc);   /* closes the FILE too */
	free(cap->buf);
	free(cap);
}
