/* report: the run directory every `loadgen bench` and `loadgen run` writes
 * (docs/report-schema.md), and the pages made from its run.json:
 *   run.json            the full result, schema_version 1
 *   latency-*.hgrm      percentile distributions (written by bench)
 *   latency.hlog        HdrHistogram interval log, tagged per metric (bench)
 *   report.html         one self-contained page: inline SVG, no scripts, no fonts
 *   junit.xml           one testcase per gate (junit.h)
 * report.c: directory and JSON helpers; report_html.c: the page. */
#ifndef LOADGEN_REPORT_H
#define LOADGEN_REPORT_H

#include "config.h"
#include "run_schema.h"
#include "run_schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define REPORT_SCHEMA_VERSION 1

/* Picks the run directory (cfg->report_dir, else reports/<UTC time>-<name>)
 * and creates it with its parents. Returns 0, or -1 with the reason in err. */
int report_prepare_dir(const struct config *cfg, char *dir, size_t cap, char *err, size_t errcap);

/* Writes run.json, junit.xml and report.html into dir. Returns 0, or -1
 * with the first file that could not be written in err. */
int report_write_dir(const char *dir, json_t *run, char *err, size_t cap);
/* json_dumpf into file_create(path): never through a planted symlink. */
int report_write_json(const char *path, json_t *j, size_t flags);

struct hist;
/* latency.METRIC of run.json for a histogram of ns: count, percentiles,
 * max, mean (ms) and the distribution the page plots. */
json_t *report_latency_json(const struct hist *h);
/* Loads dir/run.json (or a run.json path): a regular file of at most
 * REPORT_LOAD_MAX bytes (run.json from elsewhere is input). NULL with the
 * reason in err. */
#define REPORT_LOAD_MAX (64u << 20)
json_t *report_load(const char *dir_or_file, char *err, size_t cap);


/* Creates path and its parents (mkdir -p). Returns 0, or -1 with the reason. */
int report_mkdirs(const char *path, char *err, size_t cap);

/* One column of run.json's per-second series (a series[] key, or a counter
 * of totals by its name there), malloc'd, one value per second
 * (caller frees): as is, or as a rate (value / interval length; NaN for an
 * interval too short to say). *n gets the count. */
double *report_series(json_t *run, enum run_key key, bool rate, size_t *n);
/* The percentile distribution of latency.METRIC: malloc'd percentiles (0..1)
 * and values (ms), caller frees both. Returns the count, 0 when absent. */
size_t report_distribution(json_t *run, enum run_key metric, double **percentile, double **value_ms);

/* run.environment: host, OS, CPUs, loadgen version and commit, broker
 * version, start time (UTC, ISO 8601). */
void report_set_environment(json_t *run, const char *broker_version, double started_epoch_s);

/* Writes the HTML page of one run. Returns 0, or -1 with the reason in err. */
int report_html_write(const char *path, json_t *run, char *err, size_t cap);

/* Shared page furniture for report.html and compare.html. */
void report_html_head(FILE *f, const char *title);
void report_html_tail(FILE *f);
/* report.html's capacity section (nothing for a run without one) and the
 * broker's resources per second (nothing without samples). */
void report_html_capacity(FILE *f, json_t *run);
void report_html_resources(FILE *f, json_t *run);
/* report_http.c: an API run's requests (run.json "http"): outcomes, both
 * latencies, requests per second by outcome under the fault bands. */
void report_html_http(FILE *f, json_t *run);
/* report_parts.c: a number's table cell (n/a for NaN) with dp decimals. */
void report_cell_num(FILE *f, double v, int dp);
/* The fault windows of run.faults, for a chart's bands (at most
 * REPORT_MAX_BANDS; labels: the text each band shows). */
#define REPORT_MAX_BANDS 64
struct svg_band;
int report_fault_bands(json_t *run, struct svg_band *out, char (*labels)[48]);

#endif
