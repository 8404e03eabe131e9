/* `loadgen compare`: runs side by side. Each argument is a run directory or
 * LABEL=GLOB, a group of repeated runs of one configuration. A group of
 * several runs shows mean and spread; a change against the first group is
 * called better or worse only when it is larger than twice the standard
 * error of the difference, so a 3 % wobble inside the noise is not a win. */
#include "cli.h"
#include "report.h"
#include "run_schema.h"
#include "svg.h"
#include "util.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 64
#define MAX_GROUPS 16

struct group {
    char label[128];
    json_t *runs[MAX_RUNS];
    char *dirs[MAX_RUNS];
    int n;
};

struct metric {
    const char *name;
    enum run_key key, in; /* key in the object in (RK_COUNT: the run); RK_COUNT: computed */
    const char *unit;
    int better; /* +1: higher is better, -1: lower is better */
    int dp;
    bool optional; /* a row only when some run has it (capacity) */
};

static const struct metric metrics[] = {
    {"capacity msg/s", RK_CAP_MSG_S, RK_COUNT, "/s", +1, 0, true}, /* confirmed only: value_of */
    {"consumed msg/s", RK_RATE_CONSUMED, RK_COUNT, "/s", +1, 0, false},
    {"published msg/s", RK_RATE_PUBLISHED, RK_COUNT, "/s", +1, 0, false},
    {"e2e p50", RK_LAT_P50, RK_LAT_E2E, "ms", -1, 3, false},
    {"e2e p99", RK_LAT_P99, RK_LAT_E2E, "ms", -1, 3, false},
    {"e2e p99.9", RK_LAT_P999, RK_LAT_E2E, "ms", -1, 3, false},
    {"e2e max", RK_LAT_MAX, RK_LAT_E2E, "ms", -1, 3, false},
    {"confirm p99", RK_LAT_P99, RK_LAT_CONFIRM, "ms", -1, 3, false},
    {"lost", RK_T_LOST, RK_COUNT, "", -1, 0, false},
    {"duplicates", RK_T_DUPLICATES_TOTAL, RK_COUNT, "", -1, 0, false},
    {"recovery", RK_COUNT, RK_COUNT, "ms", -1, 0, false},        /* the recovery gate's actual value */
    {"cpu s/100k msgs", RK_COUNT, RK_COUNT, "s", -1, 3, false},  /* client user+sys per 100k consumed */
};
#define NMETRICS (sizeof metrics / sizeof metrics[0])

static double value_of(json_t *run, const struct metric *m)
{
    /* an answer the hold did not confirm is not a capacity to compare */
    if (m->key == RK_CAP_MSG_S && !run_true(run, RK_CAP_CONFIRMED)) return NAN;
    if (m->key != RK_COUNT) return run_num(m->in == RK_COUNT ? run : run_get(run, m->in), m->key);
    if (!strcmp(m->name, "recovery")) {
        size_t i;
        json_t *g;
        json_array_foreach(run_get(run, RK_VERDICT_GATES), i, g)
            if (!strcmp(run_str(g, RK_G_GATE), "recovery")) return run_num(g, RK_G_ACTUAL);
        return NAN;
    }
    double cpu = run_num(run, RK_PROC_USER_CPU) + run_num(run, RK_PROC_SYS_CPU);
    double n = run_num(run, RK_T_CONSUMED);
    return n > 0 ? cpu / (n / 1e5) : NAN;
}

struct stat_summary {
    double mean, sd;
    int n;
};

static struct stat_summary summarize(const struct group *g, const struct metric *m)
{
    struct stat_summary s = {0, 0, 0};
    double sum = 0, sq = 0;
    for (int i = 0; i < g->n; i++) {
        double v = value_of(g->runs[i], m);
        if (isnan(v)) continue;
        sum += v, sq += v * v, s.n++;
    }
    if (!s.n) return (struct stat_summary){NAN, NAN, 0};
    s.mean = sum / s.n;
    s.sd = s.n > 1 ? sqrt(fmax(0, (sq - sum * sum / s.n) / (s.n - 1))) : 0;
    return s;
}

/* "+4.1% better", "-0.8% (noise)", "+2.0% (n=1)". */
static void change(char *buf, size_t cap, struct stat_summary base, struct stat_summary x,
                   const struct metric *m)
{
    if (isnan(base.mean) || isnan(x.mean)) return (void)snprintf(buf, cap, "n/a");
    double d = x.mean - base.mean;
    double pct = base.mean != 0 ? 100 * d / fabs(base.mean) : (d == 0 ? 0 : INFINITY);
    const char *verdict;
    if (d == 0) verdict = "same";
    else if (base.n < 2 || x.n < 2) verdict = "(n=1, no spread)";
    else {
        double se = sqrt(base.sd * base.sd / base.n + x.sd * x.sd / x.n);
        verdict = fabs(d) <= 2 * se ? "(noise)" : (d > 0) == (m->better > 0) ? "better" : "worse";
    }
    if (isinf(pct)) snprintf(buf, cap, "%+g %s", d, verdict);
    else snprintf(buf, cap, "%+.1f%% %s", pct, verdict);
}

static void cell(char *buf, size_t cap, struct stat_summary s, const struct metric *m)
{
    if (isnan(s.mean)) snprintf(buf, cap, "n/a");
    else if (s.n > 1) snprintf(buf, cap, "%.*f ±%.*f", m->dp, s.mean, m->dp, s.sd);
    else snprintf(buf, cap, "%.*f", m->dp, s.mean);
}

static bool shown(const struct group *g, int ng, const struct metric *m)
{
    if (!m->optional) return true;
    for (int k = 0; k < ng; k++)
        for (int r = 0; r < g[k].n; r++)
            if (run_get(g[k].runs[r], m->key)) return true;
    return false;
}

static void print_table(struct group *g, int ng)
{
    char buf[96];
    printf("%-18s", "metric");
    for (int k = 0; k < ng; k++) {
        snprintf(buf, sizeof buf, "%.60s (n=%d)", g[k].label, g[k].n);
        printf(" %22.22s", buf);
        if (k) printf(" %22s", "change");
    }
    putchar('\n');
    for (size_t i = 0; i < NMETRICS; i++) {
        const struct metric *m = &metrics[i];
        if (!shown(g, ng, m)) continue;
        printf("%-18s", m->name);
        struct stat_summary base = summarize(&g[0], m);
        for (int k = 0; k < ng; k++) {
            struct stat_summary s = summarize(&g[k], m);
            cell(buf, sizeof buf, s, m);
            printf(" %22s", buf);
            if (k) {
                change(buf, sizeof buf, base, s, m);
                printf(" %22s", buf);
            }
        }
        putchar('\n');
    }
}

static void html_table(FILE *f, struct group *g, int ng)
{
    char buf[96];
    fputs("<table id='compare'><tr><th class='l'>metric</th>", f);
    for (int k = 0; k < ng; k++) {
        fputs("<th>", f);
        svg_escape(f, g[k].label);
        fprintf(f, " (n=%d)</th>%s", g[k].n, k ? "<th>change</th>" : "");
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < NMETRICS; i++) {
        const struct metric *m = &metrics[i];
        if (!shown(g, ng, m)) continue;
        struct stat_summary base = summarize(&g[0], m);
        fprintf(f, "<tr><td class='l'>%s (%s)</td>", m->name, m->unit[0] ? m->unit : "count");
        for (int k = 0; k < ng; k++) {
            struct stat_summary s = summarize(&g[k], m);
            cell(buf, sizeof buf, s, m);
            fprintf(f, "<td>%s</td>", buf);
            if (k) {
                change(buf, sizeof buf, base, s, m);
                fprintf(f, "<td class='%s'>%s</td>",
                        strstr(buf, "better") ? "pass" : strstr(buf, "worse") ? "fail" : "", buf);
            }
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* One line per run, coloured by group; the group's repeats are dashed. */
static void overlay(FILE *f, struct group *g, int ng, const char *title, const char *ylabel,
                    enum run_key key, bool rate, bool distribution)
{
    struct svg_series s[MAX_GROUPS * 4];
    double *bufs[MAX_GROUPS * 8];
    char labels[MAX_GROUPS * 4][160];
    int ns = 0, nb = 0;
    for (int k = 0; k < ng; k++) {
        for (int r = 0; r < g[k].n && r < 4; r++) {
            json_t *run = g[k].runs[r];
            size_t n;
            double *x, *y;
            if (distribution) {
                if (!(n = report_distribution(run, RK_LAT_E2E, &x, &y))) continue;
            } else {
                x = report_series(run, RK_S_T, false, &n);
                y = report_series(run, key, rate, &n);
            }
            bufs[nb++] = x, bufs[nb++] = y;
            snprintf(labels[ns], sizeof labels[ns], "%.120s #%d", g[k].label, r + 1);
            s[ns] = (struct svg_series){.label = labels[ns], .color = svg_color(k), .x = x, .y = y,
                                        .n = n, .dashed = r > 0};
            ns++;
        }
    }
    struct svg_chart c = {.title = title, .xlabel = distribution ? "percentile" : "seconds since start",
                          .ylabel = ylabel, .percentile_x = distribution, .series = s, .nseries = ns,
                          .height = distribution ? 340 : 300};
    svg_chart_write(f, &c);
    for (int i = 0; i < nb; i++) free(bufs[i]);
}

static int by_rate(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return x < y ? -1 : x > y;
}

/* Each capacity run's e2e p99 against its offered rates. */
static void capacity_overlay(FILE *f, struct group *g, int ng)
{
    struct svg_series s[MAX_GROUPS * 4];
    double *bufs[MAX_GROUPS * 8];
    char labels[MAX_GROUPS * 4][160];
    int ns = 0, nb = 0;
    for (int k = 0; k < ng; k++)
        for (int r = 0; r < g[k].n && r < 4; r++) {
            json_t *steps = run_get(g[k].runs[r], RK_CAP_STEPS), *st;
            size_t n = json_array_size(steps), i, m = 0;
            if (!n) continue;
            double *pairs = xcalloc(2 * n, sizeof *pairs), *x = xcalloc(n, sizeof *x), *y = xcalloc(n, sizeof *y);
            json_array_foreach(steps, i, st) {
                json_t *p99 = run_get(st, RK_CS_E2E_P99);
                if (!strcmp(run_str(st, RK_CS_PHASE), "confirm") || !json_is_number(p99)) continue;
                pairs[2 * m] = run_num(st, RK_CS_RATE), pairs[2 * m + 1] = json_number_value(p99), m++;
            }
            qsort(pairs, m, 2 * sizeof *pairs, by_rate);
            for (i = 0; i < m; i++) x[i] = pairs[2 * i], y[i] = pairs[2 * i + 1];
            free(pairs);
            bufs[nb++] = x, bufs[nb++] = y;
            snprintf(labels[ns], sizeof labels[ns], "%.120s #%d", g[k].label, r + 1);
            s[ns] = (struct svg_series){.label = labels[ns], .color = svg_color(k), .x = x, .y = y, .n = m,
                                        .dashed = r > 0};
            ns++;
        }
    if (!ns) return;
    struct svg_chart c = {.title = "Capacity search: e2e p99 against offered rate", .xlabel = "offered msg/s",
                          .ylabel = "ms", .series = s, .nseries = ns};
    svg_chart_write(f, &c);
    for (int i = 0; i < nb; i++) free(bufs[i]);
}

static int write_html(const char *path, struct group *g, int ng)
{
    FILE *f = file_create(path);
    if (!f) return log_err("compare: cannot write %s", path), -1;
    report_html_head(f, "loadgen: comparison");
    fputs("<h1>loadgen: comparison</h1>\n<p class='meta'>Change is against the first column. "
          "With two or more runs in a group, a change within twice the standard error of the "
          "difference is marked (noise).</p>\n",
          f);
    html_table(f, g, ng);
    fputs("<h2>Runs</h2>\n<table id='runs'><tr><th class='l'>group</th><th class='l'>run directory"
          "</th><th class='l'>scenario</th><th class='l'>queue type</th><th class='l'>verdict</th></tr>\n", f);
    for (int k = 0; k < ng; k++)
        for (int r = 0; r < g[k].n; r++) {
            json_t *run = g[k].runs[r], *v = run_get(run, RK_VERDICT_PASS);
            fputs("<tr><td class='l'>", f);
            svg_escape(f, g[k].label);
            fputs("</td><td class='l'>", f);
            svg_escape(f, g[k].dirs[r]);
            fputs("</td><td class='l'>", f);
            svg_escape(f, *run_str(run, RK_SCENARIO_NAME) ? run_str(run, RK_SCENARIO_NAME) : "bench");
            fputs("</td><td class='l'>", f);
            svg_escape(f, run_str(run, RK_CONFIG_QUEUE_TYPE));
            fprintf(f, "</td><td class='l'>%s</td></tr>\n", !v ? "-" : json_is_true(v) ? "PASS" : "FAIL");
        }
    fputs("</table>\n<h2>Charts</h2>\n", f);
    capacity_overlay(f, g, ng);
    overlay(f, g, ng, "Consumed per second", "msg/s", RK_T_CONSUMED, true, false);
    overlay(f, g, ng, "End-to-end p99 per second", "ms", RK_S_E2E_P99, false, false);
    overlay(f, g, ng, "End-to-end latency by percentile", "latency (ms)", RK_LAT_E2E, false, true);
    report_html_tail(f);
    return fclose(f) ? -1 : 0;
}

static int add_run(struct group *g, const char *dir)
{
    char err[1400];
    if (g->n == MAX_RUNS) return log_err("compare: more than %d runs in '%s'", MAX_RUNS, g->label), -1;
    json_t *run = report_load(dir, err, sizeof err);
    if (!run) return log_err("compare: %s", err), -1;
    g->runs[g->n] = run;
    g->dirs[g->n++] = xstrdup(dir);
    return 0;
}

/* DIR, or LABEL=GLOB (a label has no '/'). */
static int add_group(struct group *g, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || memchr(arg, '/', (size_t)(eq - arg))) {
        const char *base = strrchr(arg, '/');
        str_copy(g->label, sizeof g->label, base && base[1] ? base + 1 : arg);
        return add_run(g, arg);
    }
    snprintf(g->label, sizeof g->label, "%.*s", (int)(eq - arg), arg);
    glob_t gl;
    if (glob(eq + 1, 0, NULL, &gl) || !gl.gl_pathc) {
        log_err("compare: '%s' matches no run directory", eq + 1);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < gl.gl_pathc && !rc; i++) rc = add_run(g, gl.gl_pathv[i]);
    globfree(&gl);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    const char *out = "reports/compare.html";
    static struct group groups[MAX_GROUPS];
    int ng = 0, rc = EXIT_OK;
    memset(groups, 0, sizeof groups);
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: loadgen compare [--out FILE] RUN... \n"
                 "RUN is a run directory, or LABEL=GLOB: a group of repeated runs of one\n"
                 "configuration (e.g. quorum='reports/*-quorum-*'), shown as mean ±sd.\n"
                 "Prints capacity (runs of loadgen capacity), throughput, latency percentiles,\n"
                 "lost, duplicates, recovery time and client CPU per group with the change against the first, and "
                 "writes an\n"
                 "HTML page with the runs overlaid (default reports/compare.html).");
            return EXIT_OK;
        } else if (argv[i][0] == '-') {
            log_err("compare: unknown option '%s'", argv[i]);
            rc = EXIT_USAGE;
        } else if (ng == MAX_GROUPS) {
            log_err("compare: at most %d groups", MAX_GROUPS);
            rc = EXIT_USAGE;
        } else if (add_group(&groups[ng++], argv[i])) {
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && ng < 1) {
        log_err("compare: give at least one run directory (loadgen compare --help)");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        print_table(groups, ng);
        char parent[1024], err[1200];
        str_copy(parent, sizeof parent, out);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) *slash = 0;
        if (slash && slash != parent && report_mkdirs(parent, err, sizeof err)) {
            log_err("compare: --out: %s", err);
            rc = EXIT_USAGE;
        } else if (write_html(out, groups, ng)) {
            rc = EXIT_USAGE;
        } else {
            log_note("comparison in %s", out);
        }
    }
    for (int k = 0; k < ng; k++)
        for (int r = 0; r < groups[k].n; r++) json_decref(groups[k].runs[r]), free(groups[k].dirs[r]);
    return rc;
}
