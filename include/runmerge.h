/* runmerge: the numbers of one logical run from its instances' run
 * directories (scale-out, `loadgen merge`): counters summed, series
 * aligned by wall clock and summed per second, latency added exactly from
 * the interval logs (histograms, never averaged percentiles). The checker's
 * categories (ledgers) and the verdict are cmd_merge's. */
#ifndef LOADGEN_RUNMERGE_H
#define LOADGEN_RUNMERGE_H

#include <jansson.h>
#include <stdio.h>

struct runmerge;

struct runmerge *runmerge_new(void);
void runmerge_free(struct runmerge *m);
/* Adds an instance: its run.json and latency.hlog, whose rows start
 * offset_s after the merged run's start (its started_epoch_s minus the
 * earliest). Returns 0, or -1 with err (a malformed row names its line). */
int runmerge_add(struct runmerge *m, json_t *run, const char *hlog_path, double offset_s, char *err, size_t cap);
/* Into merged (a copy of the first instance's run.json): totals, errors,
 * rates and process summed; duration the longest; latency.* from the
 * measured rows; series per wall-clock second; health and drain over every
 * instance. hlog, when not NULL, gets the merged interval log. */
void runmerge_finish(struct runmerge *m, json_t *merged, FILE *hlog);

#endif
