/* report.html's capacity and broker sections: the latency-vs-throughput
 * curve of a capacity search with its SLO line and answer, the steps, and
 * the broker's resources per second. */
#include "report.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pt {
    double rate, v[3];
};

static int by_rate(const void *a, const void *b)
{
    double x = ((const struct pt *)a)->rate, y = ((const struct pt *)b)->rate;
    return x < y ? -1 : x > y;
}

/* The SLO's first limit, from its text ("e2e p99 <= 20 ms, ..."). */
static double slo_limit(json_t *run)
{
    const char *s = run_str(run, RK_CAP_SLO), *le = s ? strstr(s, "<= ") : NULL;
    return le ? strtod(le + 3, NULL) : NAN;
}

static void curve(FILE *f, json_t *run, json_t *steps)
{
    size_t n = json_array_size(steps), i;
    struct pt *p = xcalloc(n + 1, sizeof *p);
    json_t *st;
    size_t m = 0;
    json_array_foreach(steps, i, st) {
        if (!strcmp(run_str(st, RK_CS_PHASE), "confirm")) continue; /* the same rate as a step */
        p[m].rate = run_num(st, RK_CS_RATE);
        p[m].v[0] = run_num(st, RK_CS_E2E_P50), p[m].v[1] = run_num(st, RK_CS_E2E_P99),
        p[m].v[2] = run_num(st, RK_CS_E2E_P999);
        m++;
    }
    qsort(p, m, sizeof *p, by_rate);
    double limit = slo_limit(run), clip = isfinite(limit) ? 10 * limit : INFINITY;
    double *x = xcalloc(m + 1, sizeof *x), *y[3];
    bool clipped = false;
    for (int k = 0; k < 3; k++) {
        y[k] = xcalloc(m + 1, sizeof *y[k]);
        for (size_t j = 0; j < m; j++) {
            y[k][j] = fmin(p[j].v[k], clip);
            clipped |= p[j].v[k] > clip;
        }
    }
    for (size_t j = 0; j < m; j++) x[j] = p[j].rate;
    double sx[2] = {m ? x[0] : 0, m ? x[m - 1] : 0}, sy[2] = {limit, limit};
    struct svg_series s[4] = {{.label = "e2e p50", .x = x, .y = y[0], .n = m},
                              {.label = "e2e p99", .x = x, .y = y[1], .n = m},
                              {.label = "e2e p99.9", .x = x, .y = y[2], .n = m},
                              {.label = "SLO limit", .color = "#c00", .x = sx, .y = sy, .n = isfinite(limit) ? 2 : 0,
                               .dashed = true}};
    char lab[64];
    double ans = run_num(run, RK_CAP_MSG_S);
    snprintf(lab, sizeof lab, "capacity %.0f msg/s", ans);
    struct svg_band knee = {ans, ans, lab};
    char title[160];
    snprintf(title, sizeof title, "Latency against offered rate (each search step)%s",
             clipped ? ", clipped at 10x the SLO limit" : "");
    struct svg_chart c = {.title = title, .xlabel = "offered msg/s", .ylabel = "ms", .series = s, .nseries = 4,
                          .bands = &knee, .nbands = isfinite(ans) ? 1 : 0};
    svg_chart_write(f, &c);
    for (int k = 0; k < 3; k++) free(y[k]);
    free(x), free(p);
}

/* The search over time: each step's offered rate where it ended, a
 * marker on each failing step. */
static void timeline(FILE *f, json_t *steps)
{
    size_t n = json_array_size(steps), i, nb = 0;
    double *x = xcalloc(n + 1, sizeof *x), *y = xcalloc(n + 1, sizeof *y);
    struct svg_band *fails = xcalloc(n + 1, sizeof *fails);
    json_t *st;
    json_array_foreach(steps, i, st) {
        x[i] = run_num(st, RK_CS_STARTED), y[i] = run_num(st, RK_CS_RATE);
        if (!run_true(st, RK_CS_PASS)) fails[nb++] = (struct svg_band){x[i], x[i], "fail"};
    }
    struct svg_series s = {.label = "offered msg/s (each step, where it ended)", .x = x, .y = y, .n = n};
    struct svg_chart c = {.title = "The search over time (markers: failing steps)",
                          .xlabel = "seconds since the search began",
                          .ylabel = "msg/s",
                          .series = &s,
                          .nseries = 1,
                          .bands = fails,
                          .nbands = (int)nb,
                          .height = 240};
    svg_chart_write(f, &c);
    free(x), free(y), free(fails);
}

static void cell(FILE *f, double v, int dp)
{
    if (isfinite(v)) fprintf(f, "<td class='num'>%.*f</td>", dp, v);
    else fputs("<td class='num'>n/a</td>", f);
}

void report_html_capacity(FILE *f, json_t *run)
{
    json_t *steps = run_get(run, RK_CAP_STEPS);
    if (!run_get(run, RK_CAPACITY)) return;
    fputs("<h2>Capacity</h2>\n<p id='capacity'>", f);
    double ans = run_num(run, RK_CAP_MSG_S);
    if (isfinite(ans)) fprintf(f, "<b>%.0f msg/s</b> at ", ans);
    else fputs("<b>none found</b> at ", f);
    svg_escape(f, run_str(run, RK_CAP_SLO));
    fprintf(f, "%s; search %.0f s (%s), steps of %.0f s with %.0f s warmup, precision %.0f%%, hold %.0f s.</p>\n",
            run_true(run, RK_CAP_CONFIRMED) ? ", confirmed by the hold" : ", <b>not confirmed</b>",
            run_num(run, RK_CAP_SEARCH_S), run_str(run, RK_CAP_SEARCH_END), run_num(run, RK_CAP_STEP_S),
            run_num(run, RK_CAP_WARMUP_S), run_num(run, RK_CAP_PRECISION) * 100, run_num(run, RK_CAP_HOLD_S));
    curve(f, run, steps);
    timeline(f, steps);
    fputs("<table id='capacity-steps'><tr><th>step</th><th>phase</th><th>started (s)</th><th>offered</th>"
          "<th>published</th><th>consumed</th><th>e2e p50</th><th>e2e p99</th><th>e2e p99.9</th><th>confirm p99</th>"
          "<th>backlog growth</th><th>broker CPU %</th><th>loadgen CPU-s/100k</th><th>verdict</th></tr>\n",
          f);
    size_t i, k;
    json_t *st, *why;
    json_array_foreach(steps, i, st) {
        bool pass = run_true(st, RK_CS_PASS);
        fprintf(f, "<tr class='%s'>", pass ? "pass" : "fail");
        cell(f, run_num(st, RK_CS_N), 0);
        fputs("<td>", f);
        svg_escape(f, run_str(st, RK_CS_PHASE));
        fputs("</td>", f);
        cell(f, run_num(st, RK_CS_STARTED), 1);
        cell(f, run_num(st, RK_CS_RATE), 0);
        cell(f, run_num(st, RK_CS_PUBLISHED), 0);
        cell(f, run_num(st, RK_CS_CONSUMED), 0);
        cell(f, run_num(st, RK_CS_E2E_P50), 2);
        cell(f, run_num(st, RK_CS_E2E_P99), 2);
        cell(f, run_num(st, RK_CS_E2E_P999), 2);
        cell(f, run_num(st, RK_CS_CONFIRM_P99), 2);
        cell(f, run_num(st, RK_CS_BACKLOG), 0);
        cell(f, run_num(st, RK_CS_BROKER_CPU), 0);
        cell(f, run_num(st, RK_CS_CPU_PER_100K), 2);
        fputs(pass ? "<td>pass</td>" : "<td>FAIL: ", f);
        json_array_foreach(run_get(st, RK_CS_REASONS), k, why) {
            if (k) fputs("; ", f);
            svg_escape(f, json_string_value(why));
        }
        fputs(pass ? "</tr>\n" : "</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* one column of broker_resources (NaN where unknown) */
static double *column(json_t *series, const char *key, size_t *n)
{
    *n = json_array_size(series);
    double *v = xcalloc(*n + 1, sizeof *v);
    size_t i;
    json_t *p;
    json_array_foreach(series, i, p) {
        json_t *x = json_object_get(p, key);
        v[i] = json_is_number(x) ? json_number_value(x) : NAN;
    }
    return v;
}

static void res_chart(FILE *f, json_t *series, const char *title, const char *ylabel, const char *const *keys,
                      const char *const *labels, int nk)
{
    size_t n;
    double *x = column(series, "t", &n), *cols[4];
    struct svg_series s[4];
    int shown = 0;
    for (int k = 0; k < nk; k++) {
        cols[k] = column(series, keys[k], &n);
        bool any = false;
        for (size_t i = 0; i < n; i++) any |= !isnan(cols[k][i]);
        if (any)
            s[shown++] = (struct svg_series){.label = labels[k], .color = svg_color(k), .x = x, .y = cols[k], .n = n};
    }
    struct svg_chart c = {.title = title, .xlabel = "seconds since start", .ylabel = ylabel, .series = s,
                          .nseries = shown};
    if (shown) svg_chart_write(f, &c);
    for (int k = 0; k < nk; k++) free(cols[k]);
    free(x);
}

void report_html_resources(FILE *f, json_t *run)
{
    json_t *series = run_get(run, RK_BROKER_RESOURCES);
    if (!json_array_size(series)) return;
    fputs("<h2 id='broker-resources'>Broker resources</h2>\n<p class='meta'>Sampled each second: CPU and RSS of the "
          "embedded nodes' processes (/proc), the run's queues by passive declare, and with --management the "
          "broker's own totals (refreshed at its statistics interval). Empty where unknown.</p>\n",
          f);
    static const char *const cpu[] = {"cpu_pct", "loadgen_cpu_pct"};
    static const char *const cpul[] = {"broker CPU %", "loadgen CPU %"};
    res_chart(f, series, "CPU (100% = one core)", "%", cpu, cpul, 2);
    static const char *const q[] = {"ready", "unacked"};
    static const char *const ql[] = {"ready (the run's queues)", "unacked (management)"};
    res_chart(f, series, "Queue depth", "messages", q, ql, 2);
    static const char *const mem[] = {"rss_mb", "mem_mb"};
    static const char *const meml[] = {"broker RSS (MB)", "broker memory used (management, MB)"};
    res_chart(f, series, "Broker memory", "MB", mem, meml, 2);
    static const char *const conn[] = {"connections", "channels", "consumers"};
    static const char *const connl[] = {"connections (management)", "channels (management)",
                                        "consumers (the run's queues)"};
    res_chart(f, series, "Connections, channels and consumers", "count", conn, connl, 3);
    size_t i;
    json_t *p;
    json_array_foreach(series, i, p) {
        json_t *al = json_object_get(p, "alarms");
        if (json_array_size(al)) {
            fprintf(f, "<p class='fail' id='alarm'>The broker raised a %s alarm at %.0f s.</p>\n",
                    json_string_value(json_array_get(al, 0)), json_number_value(json_object_get(p, "t")));
            break;
        }
    }
}
