/* Reading pcap and pcapng files with libpcap, timestamps in nanoseconds. */
#ifndef WEIR_CAPTURE_H
#define WEIR_CAPTURE_H

#include <stdint.h>
#include <stddef.h>

struct weir_capture;

struct weir_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wire_len;
	uint64_t ts_ns;
};

/* Open a capture; NULL with a message naming the file and the problem. */
struct weir_capture *weir_capture_open(const char *path, char *err, size_t errlen);
int weir_capture_linktype(const struct weir_capture *cap);
/* 1: a frame, 0: end of file, -1: error (e.g. truncated), message in err. */
int weir_capture_next(struct weir_capture *cap, struct weir_frame *fr,
		      char *err, size_t errlen);
void weir_capture_close(struct weir_capture *cap);

#endif
