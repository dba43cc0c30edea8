/* PLACEHOLDER: record writers and readers land with weirctl extract. */
#include <string.h>
#include "record_io.h"
const char *const weir_feature_names[47] = { "srcip" };
int weir_fmt_parse(const char *s) { return strcmp(s, "csv") == 0 ? WEIR_FMT_CSV : strcmp(s, "jsonl") == 0 ? WEIR_FMT_JSONL : -1; }
size_t weir_record_format(char *buf, size_t len, enum weir_fmt fmt, unsigned cols, const struct weir_record *r) { (void)buf; (void)len; (void)fmt; (void)cols; (void)r; return 0; }
size_t weir_record_header(char *buf, size_t len, enum weir_fmt fmt, unsigned cols) { (void)buf; (void)len; (void)fmt; (void)cols; return 0; }
