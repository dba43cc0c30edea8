/* PLACEHOLDER until the decoder lands: every frame is "not IP". */
#include "decode.h"
const char *weir_decode_err_name(enum weir_decode_err e) { (void)e; return "unknown"; }
int weir_decode_linktype_supported(int linktype) { return linktype == WEIR_LINK_ETHERNET; }
enum weir_decode_err weir_decode(int linktype, const uint8_t *data, uint32_t caplen,
				 uint32_t wire_len, uint64_t ts_ns, struct weir_pkt *pkt)
{ (void)linktype; (void)data; (void)caplen; (void)wire_len; (void)ts_ns; (void)pkt; return WEIR_DEC_NOT_IP; }
