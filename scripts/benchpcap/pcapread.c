/* The baseline of the extract benchmark: read every frame of a capture
 * with libpcap and touch its first byte, nothing else. What weirctl extract
 * does beyond this is the cost of the analysis. */
#include <stdio.h>
#include <stdint.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: weir-pcapread CAPTURE\n");
		return 2;
	}
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(argv[1],
				PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc) {
		fprintf(stderr, "weir-pcapread: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0, bytes = 0, sum = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		n++;
		bytes += h->len;
		sum += data[0];
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "weir-pcapread: %s: %s\n", argv[1], pcap_geterr(pc));
	pcap_close(pc);
	printf("%llu packets %llu bytes (checksum %llu)\n", (unsigned long long)n,
	       (unsigned long long)bytes, (unsigned long long)(sum & 0xff));
	return rc == PCAP_ERROR;
}
