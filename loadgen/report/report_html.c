/* report.html: one file a browser shows offline and prints. Charts are
 * inline SVG drawn here from run.json; no script, font or URL is referenced. */
#include "report.h"
#include "svg.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


void report_html_head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n<title>", f);
    svg_escape(f, title);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 16px}\n"
          "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:1px solid #ccc;"
          "padding-bottom:3px;margin-top:28px}\n"
          "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
          "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
          "th{background:#f3f3f3}td.l,th.l{text-align:left}\n"
          ".pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}\n"
          ".badge{display:inline-block;padding:4px 14px;border-radius:4px;color:white;"
          "font-weight:bold;font-size:18px}.badge.pass{background:#1a7f37;color:white}"
          ".badge.fail{background:#c62828;color:white}.badge.none{background:#666}\n"
          ".meta{color:#555;font-size:13px}svg.chart{display:block;margin:8px 0;border:1px solid #eee}\n"
          "@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}"
          "svg.chart{page-break-inside:avoid}}\n"
          "</style></head><body>\n",
          f);
}

void report_html_tail(FILE *f)
{
    fputs("<p class='meta'>Made by loadgen. Latency is measured from each message's intended "
          "send time (coordinated-omission corrected) unless marked uncorrected.</p>\n"
          "</body></html>\n",
          f);
}

static void cell_str(FILE *f, const char *s)
{
    fputs("<td class='l'>", f);
    svg_escape(f, s);
    fputs("</td>", f);
}

static void time_chart(FILE *f, json_t *run, const char *title, const char *ylabel,
                       const enum run_key *keys, const char *const *names, int nkeys, bool rate)
{
    size_t n;
    double *x = report_series(run, RK_S_T, false, &n);
    struct svg_series s[8];
    double *cols[8];
    for (int k = 0; k < nkeys; k++) {
        cols[k] = report_series(run, keys[k], rate, &n);
        s[k] = (struct svg_series){.label = names[k] ? names[k] : run_key_name(keys[k]), .x = x, .y = cols[k], .n = n};
    }
    struct svg_band bands[REPORT_MAX_BANDS];
    char labels[REPORT_MAX_BANDS][48];
    int nb = report_fault_bands(run, bands, labels);
    struct svg_chart c = {.title = title, .xlabel = "seconds since start", .ylabel = ylabel,
                          .series = s, .nseries = nkeys, .bands = bands, .nbands = nb};
    svg_chart_write(f, &c);
    for (int k = 0; k < nkeys; k++) free(cols[k]);
    free(x);
}

static void errors_chart(FILE *f, json_t *run)
{
    json_t *series = run_get(run, RK_SERIES);
    size_t n, i;
    double *x = report_series(run, RK_S_T, false, &n), *rec = report_series(run, RK_T_RECONNECTS, false, &n);
    double *err = xcalloc(n + 1, sizeof *err), *rep = report_series(run, RK_T_REPUBLISHED, false, &n);
    static const enum run_key kinds[] = {RK_T_CONNECT_ERRORS, RK_T_CONNECTION_ERRORS, RK_T_HEARTBEAT_TIMEOUTS,
                                         RK_T_CHANNEL_ERRORS, RK_T_PUBLISH_ERRORS, RK_T_CONFIRM_TIMEOUTS};
    json_t *p;
    json_array_foreach(series, i, p)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) err[i] += run_counter(p, kinds[k]);
    /* consumers the broker forgot, apart: not an error of the client's */
    double *fgt = report_series(run, RK_T_CONSUMERS_FORGOTTEN, false, &n);
    struct svg_series s[4] = {{.label = "errors", .x = x, .y = err, .n = n},
                              {.label = "reconnects", .x = x, .y = rec, .n = n},
                              {.label = "republished", .x = x, .y = rep, .n = n, .dashed = true},
                              {.label = "consumers forgotten", .x = x, .y = fgt, .n = n, .dashed = true}};
    struct svg_band bands[REPORT_MAX_BANDS];
    char labels[REPORT_MAX_BANDS][48];
    int nb = report_fault_bands(run, bands, labels);
    struct svg_chart c = {.title = "Errors, reconnects and republishes per second",
                          .xlabel = "seconds since start", .ylabel = "count per second",
                          .height = 240, .series = s, .nseries = 4, .bands = bands, .nbands = nb};
    svg_chart_write(f, &c);
    free(x), free(rec), free(err), free(rep), free(fgt);
}

/* Percentile distributions on HdrHistogram's 1/(1-p) axis, corrected solid
 * and uncorrected dashed. */
static void distribution_chart(FILE *f, json_t *run)
{
    static const enum run_key metrics[] = {RK_LAT_E2E, RK_LAT_E2E_UNCORRECTED, RK_LAT_CONFIRM,
                                           RK_LAT_CONFIRM_UNCORRECTED};
    struct svg_series s[4];
    double *bufs[8];
    int ns = 0;
    for (int m = 0; m < 4; m++) {
        double *x, *y;
        size_t n = report_distribution(run, metrics[m], &x, &y);
        if (!n) continue;
        bufs[2 * ns] = x, bufs[2 * ns + 1] = y;
        s[ns] = (struct svg_series){.label = run_keys[metrics[m]].label, .color = svg_color(m / 2), .x = x, .y = y,
                                    .n = n, .dashed = m % 2 == 1};
        ns++;
    }
    struct svg_chart c = {.title = "Latency by percentile", .xlabel = "percentile",
                          .ylabel = "latency (ms)", .height = 340, .percentile_x = true,
                          .series = s, .nseries = ns};
    svg_chart_write(f, &c);
    for (int i = 0; i < 2 * ns; i++) free(bufs[i]);
}

static void verdict_reasons(FILE *f, json_t *run)
{
    size_t i;
    json_t *why;
    json_array_foreach(run_get(run, RK_VERDICT_REASONS), i, why) {
        fputs("<p class='fail'>", f);
        svg_escape(f, json_string_value(why));
        fputs("</p>\n", f);
    }
}

static void verdict_table(FILE *f, json_t *run)
{
    json_t *gates = run_get(run, RK_VERDICT_GATES);
    if (!json_array_size(gates)) {
        fputs("<p>No gates: this run is a benchmark, not a scenario.</p>\n", f);
        verdict_reasons(f, run);
        return;
    }
    fputs("<table id='verdict'><tr><th class='l'>guarantee</th><th class='l'>gate</th><th>min</th>"
          "<th>max</th><th>actual</th><th>verdict</th></tr>\n", f);
    size_t i;
    json_t *g;
    json_array_foreach(gates, i, g) {
        bool pass = run_true(g, RK_G_PASS);
        bool unknown = !strcmp(run_str(g, RK_G_STATUS), "unknown");
        fputs("<tr>", f);
        cell_str(f, run_str(g, RK_G_GUARANTEE));
        cell_str(f, run_str(g, RK_G_GATE));
        report_cell_num(f, run_num(g, RK_G_MIN), 1);
        report_cell_num(f, run_num(g, RK_G_MAX), 1);
        report_cell_num(f, run_num(g, RK_G_ACTUAL), 1);
        fprintf(f, "<td class='%s'>%s</td></tr>\n", pass ? "pass" : "fail",
                pass ? "PASS" : unknown ? "UNKNOWN" : "FAIL");
    }
    fputs("</table>\n", f);
    verdict_reasons(f, run);
}

static void checker_table(FILE *f, json_t *run)
{
    static const enum run_key rows[] = {
        RK_T_PUBLISHED, RK_T_CONFIRMED, RK_T_NACKED, RK_T_RETURNED, RK_T_INDETERMINATE, RK_T_REPUBLISHED,
        RK_T_CONSUMED, RK_T_UNIQUE, RK_T_FOUND_AT_END, RK_T_LOST, RK_T_RECOVERED, RK_T_DUPLICATES_TOTAL,
        RK_T_REDELIVERED, RK_T_DUPLICATES_EXPLAINED, RK_T_DUPLICATES_UNEXPLAINED, RK_T_OUT_OF_ORDER, RK_T_GAPS,
        RK_T_EFFECTS, RK_T_DUPLICATE_EFFECTS, RK_T_BAD_CHECKSUM, RK_T_BAD_FOREIGN,
    };
    fputs("<table id='checker'><tr><th class='l'>category</th><th>count</th></tr>\n", f);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fputs("<tr>", f);
        cell_str(f, run_keys[rows[i]].label);
        report_cell_num(f, run_num(run, rows[i]), 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The drain and, beside it, the final read: what each queue still held. */
static void final_read_table(FILE *f, json_t *run)
{
    size_t i;
    json_t *q;
    fprintf(f, "<p>drain: %s", run_str(run, RK_DRAIN_ENDED));
    if (json_is_integer(run_get(run, RK_DRAIN_STILL_QUEUED)))
        fprintf(f, ", %.0f still queued", run_num(run, RK_DRAIN_STILL_QUEUED));
    fputs("</p>\n", f);
    if (!run_get(run, RK_FINAL_READ)) return;
    fputs("<table id='final-read'><tr><th class='l'>final read</th><th>read</th><th>copies</th><th>unexpected</th>"
          "<th>s</th><th class='l'>complete</th></tr>\n", f);
    json_array_foreach(run_get(run, RK_FR_QUEUES), i, q) {
        fputs("<tr>", f);
        cell_str(f, run_str(q, RK_FRQ_QUEUE));
        report_cell_num(f, run_num(q, RK_FRQ_READ), 0);
        report_cell_num(f, run_num(q, RK_FRQ_DUPLICATES), 0);
        report_cell_num(f, run_num(q, RK_FRQ_UNEXPECTED), 0);
        report_cell_num(f, run_num(q, RK_FRQ_TIME), 1);
        const char *why = run_str(q, RK_FRQ_WHY);
        cell_str(f, run_true(q, RK_FRQ_COMPLETE) ? (*why ? why : "yes") : *why ? why : "no");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void latency_table(FILE *f, json_t *run)
{
    static const enum run_key metrics[] = {RK_LAT_E2E, RK_LAT_E2E_UNCORRECTED, RK_LAT_CONFIRM,
                                           RK_LAT_CONFIRM_UNCORRECTED};
    static const enum run_key ps[] = {RK_LAT_P50, RK_LAT_P90, RK_LAT_P99, RK_LAT_P999, RK_LAT_P9999,
                                      RK_LAT_MAX, RK_LAT_MEAN};
    fputs("<table id='latency'><tr><th class='l'>latency (ms)</th>", f);
    for (size_t k = 0; k < 7; k++) fprintf(f, "<th>%s</th>", run_keys[ps[k]].label);
    fputs("<th>count</th></tr>\n", f);
    for (size_t m = 0; m < 4; m++) {
        json_t *o = run_get(run, metrics[m]);
        fprintf(f, "<tr><td class='l'>%s</td>", run_keys[metrics[m]].label);
        for (size_t k = 0; k < 7; k++) report_cell_num(f, run_num(o, ps[k]), 3);
        report_cell_num(f, run_num(o, RK_LAT_COUNT), 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    fputs("<table id='rates'><tr><th class='l'>rate over the publishing time</th><th>msg/s</th></tr>", f);
    static const enum run_key rs[] = {RK_RATE_PUBLISHED, RK_RATE_CONFIRMED, RK_RATE_CONSUMED};
    for (size_t i = 0; i < 3; i++) {
        fprintf(f, "<tr><td class='l'>%s</td>", run_keys[rs[i]].label);
        report_cell_num(f, run_num(run, rs[i]), 0);
        fputs("</tr>", f);
    }
    fputs("</table>\n", f);
}

static void faults_table(FILE *f, json_t *run)
{
    json_t *log = run_get(run, RK_FAULTS);
    if (!json_array_size(log)) return;
    /* Steps run in order: a slow one (a restart) delays the next. The drift
     * column shows it; over 1 s it is flagged. */
    fputs("<h2>Fault timeline</h2>\n<table id='faults'><tr><th class='l'>action</th><th>planned (s)"
          "</th><th>injected (s)</th><th>drift (s)</th><th>done (s)</th><th class='l'>outcome</th></tr>\n", f);
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e) {
        bool ok = run_true(e, RK_F_OK);
        fputs("<tr><td class='l'>", f);
        if (run_true(e, RK_F_REVERT)) fputs("revert ", f);
        svg_escape(f, run_str(e, RK_F_ACTION));
        const char *target = run_str(e, RK_F_TARGET);
        if (target && *target) fputs(" ", f), svg_escape(f, target);
        fputs("</td>", f);
        report_cell_num(f, run_num(e, RK_F_PLANNED), 2);
        report_cell_num(f, run_num(e, RK_F_STARTED), 2);
        double drift = run_num(e, RK_F_DRIFT);
        if (drift > 1) fprintf(f, "<td class='fail'>%.2f late</td>", drift);
        else report_cell_num(f, drift, 2);
        report_cell_num(f, run_num(e, RK_F_FINISHED), 2);
        fprintf(f, "<td class='l %s'>", ok ? "pass" : "fail");
        const char *detail = run_str(e, RK_F_DETAIL);
        svg_escape(f, !ok ? run_str(e, RK_F_ERROR) : detail && *detail ? detail : "ok");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void availability_table(FILE *f, json_t *run)
{
    json_t *av = run_get(run, RK_AV_FAULTS);
    if (!av) return;
    fputs("<h2>Availability</h2>\n<table id='availability'><tr><th class='l'>fault</th>"
          "<th>injected (s)</th><th>recovered after (s)</th></tr>\n", f);
    size_t i;
    json_t *e;
    json_array_foreach(av, i, e) {
        fputs("<tr>", f);
        cell_str(f, run_str(e, RK_AV_ACTION));
        report_cell_num(f, run_num(e, RK_AV_INJECTED), 2);
        if (json_is_null(run_get(e, RK_AV_RECOVERY)) && !json_is_number(run_get(e, RK_AV_WATCHED)))
            fputs("<td class='fail'>never</td>", f); /* a run.json from before watched_s */
        else if (json_is_null(run_get(e, RK_AV_RECOVERY)))
            fprintf(f, "<td class='fail'>not back (watched %.1f s)</td>", run_num(e, RK_AV_WATCHED));
        else report_cell_num(f, run_num(e, RK_AV_RECOVERY), 2);
        fputs("</tr>\n", f);
    }
    fputs("<tr><td class='l'>longest window without confirms (s)</td><td></td>", f);
    report_cell_num(f, run_num(run, RK_AV_LONGEST_NO_CONFIRM), 2);
    fputs("</tr></table>\n", f);
}

/* The cluster's own view, an entry per change: a node per column ("up"
 * with whom it sees running and any partition it recorded), the queue
 * leaders last. Read next to the fault timeline: the broker's view of a
 * partition or a kill, and when it came. */
static void cluster_view_table(FILE *f, json_t *run)
{
    json_t *view = run_get(run, RK_CLUSTER_VIEW), *e;
    if (!json_array_size(view)) return;
    fputs("<h2>The cluster's own view</h2>\n<table id='cluster-view'><tr><th>t (s)</th><th class='l'>each node: "
          "state, nodes it sees running, partitions it recorded</th><th class='l'>queue leaders</th></tr>\n", f);
    size_t i;
    json_array_foreach(view, i, e) {
        char line[1100], nodes[1100] = "", leaders[1100] = "";
        const char *v = run_str(e, RK_CV_VIEW);
        snprintf(line, sizeof line, "%s", v ? v : "");
        for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            bool node = tok[0] == 'n' && tok[1] >= '1' && tok[1] <= '9' && tok[2] == '=';
            char *dst = node ? nodes : leaders;
            snprintf(dst + strlen(dst), 1100 - strlen(dst), "%s%s", dst[0] ? "  " : "", tok);
        }
        fputs("<tr>", f);
        report_cell_num(f, run_num(e, RK_CV_T), 1);
        fputs("<td class='l'>", f);
        svg_escape(f, nodes);
        fputs("</td><td class='l'>", f);
        svg_escape(f, leaders);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void kv_table(FILE *f, const char *id, json_t *obj)
{
    fprintf(f, "<table id='%s'>\n", id);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        fputs("<tr>", f);
        cell_str(f, k);
        cell_str(f, s ? s : json_string_value(v));
        fputs("</tr>\n", f);
        free(s);
    }
    fputs("</table>\n", f);
}

/* The AMQP load's throughput, latency and errors. */
static void render_amqp_load(FILE *f, json_t *run)
{
    fputs("<h2>Throughput and latency</h2>\n", f);
    latency_table(f, run);
    static const enum run_key tk[] = {RK_T_PUBLISHED, RK_T_CONFIRMED, RK_T_CONSUMED};
    static const char *const tn[] = {NULL, NULL, NULL};
    time_chart(f, run, "Throughput", "msg/s", tk, tn, 3, true);
    static const enum run_key lk[] = {RK_S_E2E_P50, RK_S_E2E_P99, RK_S_E2E_MAX};
    static const char *const ln[] = {"end-to-end p50", "end-to-end p99", "end-to-end max"};
    time_chart(f, run, "End-to-end latency per second", "ms", lk, ln, 3, false);
    distribution_chart(f, run);
    errors_chart(f, run);
}

/* A service run: what the service produced (effects.h), its effects per
 * second under the fault bands, each instance's starts, exits and log. */
static void services_section(FILE *f, json_t *run)
{
    json_t *e = run_get(run, RK_EFFECTS), *v, *svc, *in, *x;
    size_t i, k, m;
    const char *name;
    if (!e) return;
    fputs("<h2>Service effects</h2>\n<table id='effects'><tr><th class='l'>inputs</th><th>confirmed</th>"
          "<th>matched</th><th>lost</th><th>duplicates</th><th>unexpected</th><th>unparsable</th><th>parked</th>"
          "<th>pending</th><th>effect p99 (ms)</th></tr>\n<tr>", f);
    static const enum run_key cols[] = {RK_EF_INPUTS, RK_EF_CONFIRMED, RK_EF_MATCHED, RK_EF_LOST, RK_EF_DUPLICATES,
                                        RK_EF_UNEXPECTED, RK_EF_UNPARSABLE, RK_EF_PARKED, RK_EF_PENDING};
    for (i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        v = run_get(run, cols[i]);
        if (json_is_null(v)) cell_str(f, "unknown");
        else report_cell_num(f, run_num(run, cols[i]), 0);
    }
    if (json_is_null(run_get(run, RK_EF_P99))) cell_str(f, "never");
    else report_cell_num(f, run_num(run, RK_EF_P99), 1);
    fputs("</tr></table>\n", f);
    fputs("<table id='effect-latency'><tr><th class='l'>effect latency (ms)</th><th>count</th><th>p50</th>"
          "<th>p99</th><th>p99.9</th><th>max</th></tr>\n", f);
    json_object_foreach(run_get(run, RK_EF_LATENCY), name, v) {
        fputs("<tr>", f);
        cell_str(f, name);
        static const enum run_key lk[] = {RK_EFL_COUNT, RK_EFL_P50, RK_EFL_P99, RK_EFL_P999, RK_EFL_MAX};
        for (i = 0; i < 5; i++) report_cell_num(f, run_num(v, lk[i]), i ? 1 : 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    if (*run_str(run, RK_EF_UNPARSABLE_SAMPLE)) {
        fputs("<p>an effect without a readable id (", f);
        svg_escape(f, run_str(run, RK_EF_UNPARSABLE_WHY));
        fputs("): <code>", f);
        svg_escape(f, run_str(run, RK_EF_UNPARSABLE_SAMPLE));
        fputs("</code></p>\n", f);
    }
    size_t n = json_array_size(run_get(run, RK_EF_PER_SECOND));
    double *t = calloc(n ? n : 1, sizeof *t), *y = calloc(n ? n : 1, sizeof *y);
    json_array_foreach(run_get(run, RK_EF_PER_SECOND), i, v) t[i] = (double)i + 1, y[i] = (double)json_integer_value(v);
    struct svg_series s = {.label = "effects", .x = t, .y = y, .n = n};
    struct svg_band bands[REPORT_MAX_BANDS];
    char labels[REPORT_MAX_BANDS][48];
    int nb = report_fault_bands(run, bands, labels);
    struct svg_chart c = {.title = "Effects per second", .xlabel = "seconds since start", .ylabel = "effects/s",
                          .series = &s, .nseries = 1, .bands = bands, .nbands = nb};
    svg_chart_write(f, &c);
    free(t), free(y);
    fputs("<table id='services'><tr><th class='l'>instance</th><th class='l'>starts (s)</th>"
          "<th class='l'>exits</th><th class='l'>log</th></tr>\n", f);
    json_array_foreach(run_get(run, RK_SERVICES), i, svc) json_array_foreach(run_get(svc, RK_SV_INSTANCES), k, in) {
        char name[128], buf[64];
        snprintf(name, sizeof name, "%s-%.0f", run_str(svc, RK_SV_NAME), run_num(in, RK_SVI_INDEX));
        fputs("<tr>", f);
        cell_str(f, name);
        fputs("<td class='l'>", f);
        json_array_foreach(run_get(in, RK_SVI_STARTS), m, x) fprintf(f, "%s%.1f", m ? ", " : "", run_num(x, RK_SVS_AT));
        fputs("</td><td class='l'>", f);
        json_array_foreach(run_get(in, RK_SVI_EXITS), m, x) {
            snprintf(buf, sizeof buf, "%s%.1f s %s%s", m ? "; " : "", run_num(x, RK_SVE_AT), run_str(x, RK_SVE_STATUS),
                     run_true(x, RK_SVE_EXPECTED) ? "" : " (by itself)");
            svg_escape(f, buf);
        }
        /* the log sits in the run directory, beside this page */
        const char *log = run_str(in, RK_SVI_LOG), *base = strrchr(log, '/');
        fputs("</td><td class='l'>", f);
        if (*log) {
            fputs("<a href='services/", f);
            svg_escape(f, base ? base + 1 : log);
            fputs("'>", f);
            svg_escape(f, base ? base + 1 : log);
            fputs("</a>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

int report_html_write(const char *path, json_t *run, char *err, size_t cap)
{
    FILE *f = file_create(path);
    if (!f) return snprintf(err, cap, "cannot write %s: %s", path, strerror(errno)), -1;
    const char *name = run_str(run, RK_SCENARIO_NAME);
    char title[300];
    snprintf(title, sizeof title, "loadgen: %s", *name ? name : run_get(run, RK_CAPACITY) ? "capacity" : "bench");
    report_html_head(f, title);
    json_t *verdict = run_get(run, RK_VERDICT_STATUS);
    bool pass = run_true(run, RK_VERDICT_PASS);
    bool incomplete = !strcmp(run_str(run, RK_VERDICT_STATUS), "incomplete");
    bool partial = !strcmp(run_str(run, RK_VERDICT_STATUS), "partial");
    fputs("<h1>", f);
    svg_escape(f, title);
    fprintf(f, " <span id='badge' class='badge %s'>%s</span></h1>\n",
            !verdict || partial ? "none" : pass ? "pass" : "fail",
            !verdict ? "BENCH" : pass ? "PASS" : partial ? "PARTIAL" : incomplete ? "INCOMPLETE" : "FAIL");
    fputs("<p class='meta'>", f);
    svg_escape(f, run_str(run, RK_SCENARIO_DESCRIPTION));
    fputs("<br>started ", f);
    svg_escape(f, run_str(run, RK_ENV_STARTED_AT));
    fprintf(f, ", ran %.1f s", run_num(run, RK_DURATION));
    fputs(" &middot; RabbitMQ ", f);
    svg_escape(f, run_str(run, RK_BROKER_VERSION));
    fputs(" (", f);
    svg_escape(f, run_str(run, RK_BROKER_MODE));
    fputs(") &middot; loadgen ", f);
    svg_escape(f, run_str(run, RK_ENV_LOADGEN_VERSION));
    fputs(" ", f);
    svg_escape(f, run_str(run, RK_ENV_LOADGEN_COMMIT));
    if (run_true(run, RK_INTERRUPTED)) fputs(" &middot; <b>interrupted</b>", f);
    if (run_get(run, RK_MERGED))
        fprintf(f, " &middot; merged from %.0f of %.0f instances (loadgen merge)", run_num(run, RK_MERGED_INSTANCES),
                run_num(run, RK_MERGED_OF));
    json_t *inst = json_object_get(run_get(run, RK_CONFIG), "instance");
    if (json_is_object(inst))
        fprintf(f, " &middot; instance %lld of %lld: part of the load",
                json_integer_value(json_object_get(inst, "index")), json_integer_value(json_object_get(inst, "of")));
    fputs("</p>\n<h2>Verdict</h2>\n", f);
    verdict_table(f, run);
    report_html_capacity(f, run);
    /* an API run publishes nothing itself: its requests stand where the
     * AMQP load's throughput would, and the AMQP checker has nothing to say */
    bool api = run_get(run, RK_HTTP) != NULL;
    if (api) report_html_http(f, run);
    else render_amqp_load(f, run);
    report_html_resources(f, run);
    services_section(f, run);
    if (!api) {
        fputs("<h2>Checker</h2>\n", f);
        checker_table(f, run);
    }
    final_read_table(f, run);
    faults_table(f, run);
    if (!api) availability_table(f, run); /* from confirms and deliveries: an API run has none */
    cluster_view_table(f, run);
    fputs("<h2>Configuration</h2>\n", f);
    kv_table(f, "config", run_get(run, RK_CONFIG));
    fputs("<h2>Environment</h2>\n", f);
    kv_table(f, "environment", run_get(run, RK_ENVIRONMENT));
    report_html_tail(f);
    if (fclose(f)) return snprintf(err, cap, "cannot write %s: %s", path, strerror(errno)), -1;
    return 0;
}
