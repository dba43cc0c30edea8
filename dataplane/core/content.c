/* PLACEHOLDER until the content module lands. */
#include <stdlib.h>
#include <string.h>
#include "content.h"
struct weir_content_db { int x; };
struct weir_content_ctx { int x; };
struct weir_content_db *weir_content_db_create(char *err, size_t errlen) { (void)err; (void)errlen; return calloc(1, sizeof(struct weir_content_db)); }
void weir_content_db_free(struct weir_content_db *db) { free(db); }
struct weir_content_ctx *weir_content_ctx_create(const struct weir_content_db *db, unsigned max_expect, char *err, size_t errlen)
{ (void)db; (void)max_expect; (void)err; (void)errlen; return calloc(1, sizeof(struct weir_content_ctx)); }
void weir_content_ctx_free(struct weir_content_ctx *ctx) { free(ctx); }
void weir_content_init(struct weir_content_ctx *ctx, struct weir_content_state *cs, const struct weir_pkt *pkt) { (void)ctx; (void)pkt; memset(cs, 0, sizeof(*cs)); }
void weir_content_update(struct weir_content_ctx *ctx, struct weir_content_state *cs, const struct weir_pkt *pkt, int from_src, uint64_t now_ns)
{ (void)ctx; (void)cs; (void)pkt; (void)from_src; (void)now_ns; }
void weir_content_finalize(const struct weir_content_state *cs, struct weir_record *rec) { rec->service = cs->service; }
