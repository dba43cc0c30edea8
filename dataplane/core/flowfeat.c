/* PLACEHOLDER until the feature module lands. */
#include <string.h>
#include "flowfeat.h"
void weir_feat_init(struct weir_feat *f, const struct weir_pkt *pkt, int side) { memset(f, 0, sizeof(*f)); f->src_side = (uint8_t)side; (void)pkt; }
void weir_feat_update(struct weir_feat *f, const struct weir_pkt *pkt, int side) { f->dir[side].pkts++; f->dir[side].bytes += pkt->wire_len; }
int weir_feat_tcp_closed(const struct weir_feat *f) { (void)f; return 0; }
void weir_feat_finalize(const struct weir_feat *f, unsigned proto, struct weir_record *rec, int *src_side)
{ (void)proto; *src_side = f->src_side; rec->spkts = f->dir[f->src_side].pkts; rec->dpkts = f->dir[!f->src_side].pkts; }
void weir_feat_new_slice(struct weir_feat *f, uint64_t now_ns) { (void)f; (void)now_ns; }
uint8_t weir_feat_ct_state_ttl(unsigned state, unsigned sttl, unsigned dttl) { (void)state; (void)sttl; (void)dttl; return 0; }
