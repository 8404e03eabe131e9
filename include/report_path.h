/* report_path: reading run.json by dotted paths, for everything that reads
 * a run (gates, JUnit, the page, compare) without the rest of report. */
#ifndef LOADGEN_REPORT_PATH_H
#define LOADGEN_REPORT_PATH_H

#include <jansson.h>

/* The value at a dotted path ("latency.e2e.p99"; keys may hold dots, as in
 * "p99.9"): a number (NaN when absent or not a number) or a string (""
 * when absent). */
double report_num(json_t *o, const char *path);
const char *report_str(json_t *o, const char *path);

#endif
