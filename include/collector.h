/* collector: receives each worker's per-second intervals, merges a second
 * once every worker delivered it, prints the progress line, writes the
 * interval log and keeps the time series and the run's total histograms. */
#ifndef LOADGEN_COLLECTOR_H
#define LOADGEN_COLLECTOR_H

#include "config.h"
#include "stats.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct interval;

struct series_point {
    double t_s, length_s;
    uint64_t delta[ST_COUNT];
    int64_t e2e_p50, e2e_p99, e2e_max, confirm_p50, confirm_p99;
};

struct collector {
    pthread_mutex_t mu;
    struct interval *inbox; /* posted by workers, newest first */
    int nworkers;
    struct interval **fifo_head, **fifo_tail;
    bool *finished;
    uint64_t (*cum)[ST_COUNT];
    uint64_t totals[ST_COUNT];
    uint64_t next_index;
    uint64_t warmup_ns;
    uint64_t publish_end_ns; /* since start; seconds after it do not count in rates */
    struct stats_hists measured; /* intervals that start after the warmup */
    struct stats_hists merged;   /* one second of every worker, kept from second to second */
    struct interval *spare;      /* merged intervals, their histograms cleared: a worker's next */
    struct series_point *series;
    size_t nseries, capseries;
    double measured_s;
    uint64_t measured_delta[ST_COUNT];
    FILE *hlog;
    double start_epoch_s; /* the hlog's StartTime: its rows count from it */
    bool hlog_started;
    bool quiet, uncorrected;
    int connections;
    double setup_s; /* until every connection was up */
};

void collector_init(struct collector *r, int nworkers, const struct config *cfg, FILE *hlog,
                   double start_epoch_s);
/* Publishing began at this wall-clock time: the hlog's StartTime, so the
 * rows (seconds since the start) map to wall clock (`loadgen merge`
 * aligns instances by it). */
void collector_started(struct collector *r, double start_epoch_s);
/* Merges every second that all workers have delivered. */
void collector_process(struct collector *r);
void collector_free(struct collector *r);
json_t *collector_series_json(const struct collector *r);

#endif
