/* report.html: one file a browser shows offline and prints. Charts are
 * inline SVG drawn here from run.json; no script, font or URL is referenced. */
#include "report.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define MAX_BANDS 64

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

static void cell_num(FILE *f, double v, int dp)
{
    if (isnan(v)) fputs("<td>n/a</td>", f);
    else fprintf(f, "<td>%.*f</td>", dp, v);
}

static const char *undo_of(const char *a)
{
    if (!strcmp(a, "kill") || !strcmp(a, "stop")) return "start";
    if (!strcmp(a, "pause")) return "resume";
    if (!strcmp(a, "down")) return "up";
    if (!strcmp(a, "toxic")) return "untoxic";
    return NULL;
}

/* Fault windows from the injection log: a fault lasts until its revert (a
 * `for:`), or the later step that undoes it (kill .. start), else it is a
 * moment (disconnect, restart, exec). */
static int fault_bands(json_t *run, struct svg_band *out, char (*labels)[48])
{
    json_t *log = json_object_get(run, "faults");
    double end_of_load = report_num(run, "config.duration_s");
    size_t i, j;
    json_t *e;
    int n = 0;
    json_array_foreach(log, i, e) {
        if (n == MAX_BANDS) break;
        if (json_is_true(json_object_get(e, "revert"))) continue;
        const char *act = report_str(e, "action");
        double t0 = report_num(e, "started_s"), t1 = t0;
        const char *undo = undo_of(act);
        for (j = i + 1; j < json_array_size(log); j++) {
            json_t *x = json_array_get(log, j);
            bool rev = json_is_true(json_object_get(x, "revert"));
            if (rev && report_num(x, "fault") == report_num(e, "fault")) break;
            if (!rev && undo && (!strcmp(report_str(x, "action"), undo) ||
                                 (!strcmp(undo, "start") && !strcmp(report_str(x, "action"), "restart"))))
                break;
        }
        if (j < json_array_size(log)) t1 = report_num(json_array_get(log, j), "finished_s");
        else if (undo && !isnan(end_of_load)) t1 = end_of_load;
        snprintf(labels[n], 48, "%s%s", act, json_is_true(json_object_get(e, "ok")) ? "" : " (failed)");
        out[n] = (struct svg_band){t0, t1, labels[n]};
        n++;
    }
    return n;
}

static void time_chart(FILE *f, json_t *run, const char *title, const char *ylabel,
                       const char *const *keys, const char *const *names, int nkeys, bool rate)
{
    size_t n;
    double *x = report_series(run, "t", false, &n);
    struct svg_series s[8];
    double *cols[8];
    for (int k = 0; k < nkeys; k++) {
        cols[k] = report_series(run, keys[k], rate, &n);
        s[k] = (struct svg_series){.label = names[k], .x = x, .y = cols[k], .n = n};
    }
    struct svg_band bands[MAX_BANDS];
    char labels[MAX_BANDS][48];
    int nb = fault_bands(run, bands, labels);
    struct svg_chart c = {.title = title, .xlabel = "seconds since start", .ylabel = ylabel,
                          .series = s, .nseries = nkeys, .bands = bands, .nbands = nb};
    svg_chart_write(f, &c);
    for (int k = 0; k < nkeys; k++) free(cols[k]);
    free(x);
}

static void errors_chart(FILE *f, json_t *run)
{
    json_t *series = json_object_get(run, "series");
    size_t n, i;
    double *x = report_series(run, "t", false, &n), *rec = report_series(run, "reconnects", false, &n);
    double *err = xcalloc(n + 1, sizeof *err), *rep = report_series(run, "republished", false, &n);
    static const char *const kinds[] = {"connect_errors", "connection_errors", "heartbeat_timeouts",
                                        "channel_errors", "publish_errors", "confirm_timeouts"};
    json_t *p;
    json_array_foreach(series, i, p)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) err[i] += report_num(p, kinds[k]);
    struct svg_series s[3] = {{.label = "errors", .x = x, .y = err, .n = n},
                              {.label = "reconnects", .x = x, .y = rec, .n = n},
                              {.label = "republished", .x = x, .y = rep, .n = n, .dashed = true}};
    struct svg_band bands[MAX_BANDS];
    char labels[MAX_BANDS][48];
    int nb = fault_bands(run, bands, labels);
    struct svg_chart c = {.title = "Errors, reconnects and republishes per second",
                          .xlabel = "seconds since start", .ylabel = "count per second",
                          .height = 240, .series = s, .nseries = 3, .bands = bands, .nbands = nb};
    svg_chart_write(f, &c);
    free(x), free(rec), free(err), free(rep);
}

/* Percentile distributions on HdrHistogram's 1/(1-p) axis, corrected solid
 * and uncorrected dashed. */
static void distribution_chart(FILE *f, json_t *run)
{
    static const char *const metrics[] = {"e2e", "e2e-uncorrected", "confirm", "confirm-uncorrected"};
    struct svg_series s[4];
    double *bufs[8];
    int ns = 0;
    for (int m = 0; m < 4; m++) {
        double *x, *y;
        size_t n = report_distribution(run, metrics[m], &x, &y);
        if (!n) continue;
        bufs[2 * ns] = x, bufs[2 * ns + 1] = y;
        s[ns] = (struct svg_series){.label = metrics[m], .color = svg_color(m / 2), .x = x, .y = y,
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
    json_array_foreach(json_object_get(json_object_get(run, "verdict"), "reasons"), i, why) {
        fputs("<p class='fail'>", f);
        svg_escape(f, json_string_value(why));
        fputs("</p>\n", f);
    }
}

static void verdict_table(FILE *f, json_t *run)
{
    json_t *gates = json_object_get(json_object_get(run, "verdict"), "gates");
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
        bool pass = json_is_true(json_object_get(g, "pass"));
        bool unknown = !strcmp(report_str(g, "status"), "unknown");
        fputs("<tr>", f);
        cell_str(f, report_str(g, "guarantee"));
        cell_str(f, report_str(g, "gate"));
        cell_num(f, report_num(g, "min"), 1);
        cell_num(f, report_num(g, "max"), 1);
        cell_num(f, report_num(g, "actual"), 1);
        fprintf(f, "<td class='%s'>%s</td></tr>\n", pass ? "pass" : "fail",
                pass ? "PASS" : unknown ? "UNKNOWN" : "FAIL");
    }
    fputs("</table>\n", f);
    verdict_reasons(f, run);
}

static void checker_table(FILE *f, json_t *run)
{
    static const char *const rows[][2] = {
        {"published", "attempted (publishes, incl. republishes)"}, {"confirmed", "confirmed"},
        {"nacked", "nacked"}, {"returned", "returned (mandatory, unroutable)"},
        {"indeterminate", "indeterminate (no confirm before the connection was lost)"},
        {"republished", "republished"}, {"consumed", "consumed (acked deliveries)"},
        {"unique", "unique messages consumed"}, {"lost", "lost (confirmed, never consumed)"},
        {"recovered", "recovered (consumed, never confirmed)"},
        {"duplicates_total", "duplicates"}, {"redelivered", "redelivered (flag set)"},
        {"duplicates_explained", "duplicates explained by a republish"},
        {"duplicates_unexplained", "duplicates unexplained"},
        {"out_of_order", "order violations"}, {"gaps", "gaps (missing below the highest)"},
        {"effects", "effects applied (idempotent consumers)"},
        {"duplicate_effects", "duplicate effects"}, {"bad_checksum", "bad checksum"},
        {"bad_foreign", "foreign messages"},
    };
    json_t *tot = json_object_get(run, "totals");
    fputs("<table id='checker'><tr><th class='l'>category</th><th>count</th></tr>\n", f);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fputs("<tr>", f);
        cell_str(f, rows[i][1]);
        cell_num(f, report_num(tot, rows[i][0]), 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void latency_table(FILE *f, json_t *run)
{
    static const char *const metrics[] = {"e2e", "e2e-uncorrected", "confirm", "confirm-uncorrected"};
    static const char *const ps[] = {"p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"};
    json_t *lat = json_object_get(run, "latency");
    fputs("<table id='latency'><tr><th class='l'>latency (ms)</th>", f);
    for (size_t k = 0; k < 7; k++) fprintf(f, "<th>%s</th>", ps[k]);
    fputs("<th>count</th></tr>\n", f);
    for (size_t m = 0; m < 4; m++) {
        json_t *o = json_object_get(lat, metrics[m]);
        fprintf(f, "<tr><td class='l'>%s</td>", metrics[m]);
        for (size_t k = 0; k < 7; k++) cell_num(f, report_num(o, ps[k]), 3);
        cell_num(f, report_num(o, "count"), 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    fputs("<table id='rates'><tr><th class='l'>rate over the publishing time</th><th>msg/s</th></tr>", f);
    static const char *const rs[] = {"published", "confirmed", "consumed"};
    for (size_t i = 0; i < 3; i++) {
        fprintf(f, "<tr><td class='l'>%s</td>", rs[i]);
        json_t *r = json_object_get(run, "rates");
        cell_num(f, report_num(r, rs[i]), 0);
        fputs("</tr>", f);
    }
    fputs("</table>\n", f);
}

static void faults_table(FILE *f, json_t *run)
{
    json_t *log = json_object_get(run, "faults");
    if (!json_array_size(log)) return;
    /* Steps run in order: a slow one (a restart) delays the next. The drift
     * column shows it; over 1 s it is flagged. */
    fputs("<h2>Fault timeline</h2>\n<table id='faults'><tr><th class='l'>action</th><th>planned (s)"
          "</th><th>injected (s)</th><th>drift (s)</th><th>done (s)</th><th class='l'>outcome</th></tr>\n", f);
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e) {
        bool ok = json_is_true(json_object_get(e, "ok"));
        fputs("<tr><td class='l'>", f);
        if (json_is_true(json_object_get(e, "revert"))) fputs("revert ", f);
        svg_escape(f, report_str(e, "action"));
        fputs("</td>", f);
        cell_num(f, report_num(e, "planned_s"), 2);
        cell_num(f, report_num(e, "started_s"), 2);
        double drift = report_num(e, "drift_s");
        if (drift > 1) fprintf(f, "<td class='fail'>%.2f late</td>", drift);
        else cell_num(f, drift, 2);
        cell_num(f, report_num(e, "finished_s"), 2);
        fprintf(f, "<td class='l %s'>", ok ? "pass" : "fail");
        svg_escape(f, ok ? "ok" : report_str(e, "error"));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void availability_table(FILE *f, json_t *run)
{
    json_t *av = json_object_get(run, "availability");
    if (!av) return;
    fputs("<h2>Availability</h2>\n<table id='availability'><tr><th class='l'>fault</th>"
          "<th>injected (s)</th><th>recovered after (s)</th></tr>\n", f);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(av, "faults"), i, e) {
        fputs("<tr>", f);
        cell_str(f, report_str(e, "action"));
        cell_num(f, report_num(e, "injected_s"), 2);
        if (json_is_null(json_object_get(e, "recovery_s"))) fputs("<td class='fail'>never</td>", f);
        else cell_num(f, report_num(e, "recovery_s"), 2);
        fputs("</tr>\n", f);
    }
    fputs("<tr><td class='l'>longest window without confirms (s)</td><td></td>", f);
    cell_num(f, report_num(av, "longest_no_confirm_s"), 2);
    fputs("</tr></table>\n", f);
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

int report_html_write(const char *path, json_t *run)
{
    FILE *f = file_create(path);
    if (!f) {
        log_err("cannot write %s", path);
        return -1;
    }
    const char *name = report_str(run, "scenario.name");
    char title[300];
    snprintf(title, sizeof title, "loadgen: %s", *name ? name : "bench");
    report_html_head(f, title);
    json_t *verdict = json_object_get(run, "verdict");
    bool pass = json_is_true(json_object_get(verdict, "pass"));
    bool incomplete = !strcmp(report_str(verdict, "status"), "incomplete");
    fputs("<h1>", f);
    svg_escape(f, title);
    fprintf(f, " <span id='badge' class='badge %s'>%s</span></h1>\n",
            !verdict ? "none" : pass ? "pass" : "fail",
            !verdict ? "BENCH" : pass ? "PASS" : incomplete ? "INCOMPLETE" : "FAIL");
    fputs("<p class='meta'>", f);
    svg_escape(f, report_str(run, "scenario.description"));
    fputs("<br>started ", f);
    svg_escape(f, report_str(run, "environment.started_at"));
    fprintf(f, ", ran %.1f s", report_num(run, "duration_s"));
    fputs(" &middot; RabbitMQ ", f);
    svg_escape(f, report_str(run, "broker.version"));
    fputs(" (", f);
    svg_escape(f, report_str(run, "broker.mode"));
    fputs(") &middot; loadgen ", f);
    svg_escape(f, report_str(run, "environment.loadgen_version"));
    fputs(" ", f);
    svg_escape(f, report_str(run, "environment.loadgen_commit"));
    if (json_is_true(json_object_get(run, "interrupted"))) fputs(" &middot; <b>interrupted</b>", f);
    fputs("</p>\n<h2>Verdict</h2>\n", f);
    verdict_table(f, run);
    fputs("<h2>Throughput and latency</h2>\n", f);
    latency_table(f, run);
    static const char *const tk[] = {"published", "confirmed", "consumed"};
    time_chart(f, run, "Throughput", "msg/s", tk, tk, 3, true);
    static const char *const lk[] = {"e2e_p50_ms", "e2e_p99_ms", "e2e_max_ms"};
    static const char *const ln[] = {"end-to-end p50", "end-to-end p99", "end-to-end max"};
    time_chart(f, run, "End-to-end latency per second", "ms", lk, ln, 3, false);
    distribution_chart(f, run);
    errors_chart(f, run);
    fputs("<h2>Checker</h2>\n", f);
    checker_table(f, run);
    faults_table(f, run);
    availability_table(f, run);
    fputs("<h2>Configuration</h2>\n", f);
    kv_table(f, "config", json_object_get(run, "config"));
    fputs("<h2>Environment</h2>\n", f);
    kv_table(f, "environment", json_object_get(run, "environment"));
    report_html_tail(f);
    return fclose(f) ? -1 : 0;
}
