/* preflight: checks that cost a millisecond before a run that costs
 * minutes. Output paths must be writable, the proxy API address free and
 * the toxics valid before a broker boots, so a typo fails fast (exit 2). */
#ifndef LOADGEN_PREFLIGHT_H
#define LOADGEN_PREFLIGHT_H

#include "config.h"

#include <stddef.h>

/* A file loadgen will write at path: its directory exists and is writable,
 * and path is not a directory or a symlink. 0, or -1 with the reason. */
int preflight_output(const char *path, char *err, size_t cap);
/* Every output and proxy option of cfg (--json, --hgrm, --hlog,
 * --proxy-api, --proxy-toxic); logs each problem. 0 or -1. */
int preflight_config(const struct config *cfg);

#endif
