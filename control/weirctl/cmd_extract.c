/* PLACEHOLDER: weirctl extract lands next. */
#include <stdio.h>
#include "cmd.h"
int weirctl_extract(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not yet\n"); return WEIRCTL_ERR; }
