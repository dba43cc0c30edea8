/* PLACEHOLDER until the flow table lands: a table of one flow. */
#include <stdlib.h>
#include <string.h>
#include "flowtable.h"
struct weir_flowtable { struct weir_flow f; struct weir_content_state c; weir_ft_emit_fn emit; void *ctx; struct weir_ft_stats st; };
void weir_ft_config_defaults(struct weir_ft_config *cfg)
{ memset(cfg, 0, sizeof(*cfg)); cfg->max_flows = 1u << 16; cfg->timeout_ns[WEIR_TO_TCP] = 300000000000ull; cfg->timeout_ns[WEIR_TO_TCP_CLOSED] = 5000000000ull; cfg->timeout_ns[WEIR_TO_OTHER] = 60000000000ull; cfg->active_timeout_ns = 1800000000000ull; cfg->max_frags = 4096; cfg->frag_timeout_ns = 30000000000ull; }
struct weir_flowtable *weir_ft_create(const struct weir_ft_config *cfg, weir_ft_emit_fn emit, void *emit_ctx, char *err, size_t errlen)
{ (void)cfg; (void)err; (void)errlen; struct weir_flowtable *ft = calloc(1, sizeof(*ft)); ft->emit = emit; ft->ctx = emit_ctx; return ft; }
void weir_ft_free(struct weir_flowtable *ft) { free(ft); }
int weir_ft_frag_resolve(struct weir_flowtable *ft, struct weir_pkt *pkt) { (void)ft; (void)pkt; return 0; }
struct weir_flow *weir_ft_lookup(struct weir_flowtable *ft, const struct weir_pkt *pkt, int *side, int *is_new)
{ (void)pkt; *side = 0; *is_new = !ft->f.in_use; ft->f.in_use = 1; return &ft->f; }
void weir_ft_prefetch(struct weir_flowtable *ft, const struct weir_pkt *pkt) { (void)ft; (void)pkt; }
struct weir_content_state *weir_ft_content(struct weir_flowtable *ft, struct weir_flow *flow) { (void)flow; return &ft->c; }
void weir_ft_close(struct weir_flowtable *ft, struct weir_flow *flow, enum weir_end_reason why) { ft->emit(ft->ctx, flow, &ft->c, why); flow->in_use = 0; }
void weir_ft_advance(struct weir_flowtable *ft, uint64_t now_ns) { (void)ft; (void)now_ns; }
void weir_ft_flush(struct weir_flowtable *ft) { if (ft->f.in_use) weir_ft_close(ft, &ft->f, WEIR_END_SHUTDOWN); }
void weir_ft_get_stats(const struct weir_flowtable *ft, struct weir_ft_stats *st) { *st = ft->st; }
