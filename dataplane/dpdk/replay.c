/* --pcap replay: a libpcap pre-pass over each capture, before the EAL
 * starts, so that
 *   - a capture that cannot be read is a one-line error, not a driver log;
 *   - the end of the replay is known exactly (net_pcap just returns 0
 *     frames forever at end of file): the frame count;
 *   - results equal `weirctl extract` on the same file: net_pcap hands over
 *     only the captured bytes and a microsecond stamp, so the nanosecond
 *     stamp and the on-the-wire length of frame k are kept here and
 *     attached to the k-th frame the port delivers (the port is read by
 *     one lcore, in file order);
 *   - the link type is known (net_pcap passes any link type through).
 * Cost: 12 bytes per frame while the replay runs. */
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "weir.h"

int weir_replay_prepare(struct weir_conf *c, struct weir_app *app)
{
	char err[512];

	for (unsigned i = 0; i < c->nports; i++) {
		const char *path = c->port[i].replay_file;
		struct weir_port *p = &app->port[i];
		struct weir_capture *cap;
		struct weir_frame fr;
		uint64_t n = 0, cap_n = 4096;
		int rc;

		if (!path)
			continue;
		cap = weir_capture_open(path, err, sizeof(err));
		if (!cap)
			weir_die("--pcap: %s", err);
		p->linktype = weir_capture_linktype(cap);
		if (!weir_decode_linktype_supported(p->linktype))
			weir_die("--pcap %s: link type %d is not one weir decodes (Ethernet, Linux cooked v1/v2, raw IP, null/loopback)",
				 path, p->linktype);
		p->replay_ts_ns = malloc(cap_n * sizeof(uint64_t));
		p->replay_wire_len = malloc(cap_n * sizeof(uint32_t));
		if (!p->replay_ts_ns || !p->replay_wire_len)
			weir_die("--pcap %s: out of memory for the frame index", path);
		while ((rc = weir_capture_next(cap, &fr, err, sizeof(err))) == 1) {
			if (n == cap_n) {
				cap_n *= 2;
				p->replay_ts_ns = realloc(p->replay_ts_ns, cap_n * sizeof(uint64_t));
				p->replay_wire_len = realloc(p->replay_wire_len, cap_n * sizeof(uint32_t));
				if (!p->replay_ts_ns || !p->replay_wire_len)
					weir_die("--pcap %s: out of memory for the frame index (%llu frames)",
						 path, (unsigned long long)n);
			}
			p->replay_ts_ns[n] = fr.ts_ns;
			p->replay_wire_len[n] = fr.wire_len;
			n++;
		}
		/* A capture that breaks off is replayed up to where libpcap
		 * stops, like `weirctl extract` does. */
		if (rc < 0)
			weir_warn("--pcap: %s (after %llu frames; replaying those)", err,
				  (unsigned long long)n);
		weir_capture_close(cap);
		if (n == 0)
			weir_warn("--pcap %s: no frames", path);
		p->replay_frames = n;
		p->replay_first_ns = n ? p->replay_ts_ns[0] : 0;
		weir_info("replay %s: %llu frames, link type %d", path, (unsigned long long)n, p->linktype);
	}
	return 0;
}
