/* report.html's "HTTP requests" section: an API run's requests
 * (httpload.h), what became of them, how long they took, and when. */
#include "report.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void cell(FILE *f, double v, int dp)
{
    if (isnan(v))
        fputs("<td>n/a</td>", f);
    else
        fprintf(f, "<td>%.*f</td>", dp, v);
}

void report_html_http(FILE *f, json_t *run)
{
    json_t *h = run_get(run, RK_HTTP), *v;
    if (!h) return;
    fputs("<h2>HTTP requests</h2>\n<p>", f);
    svg_escape(f, run_str(run, RK_HTTP_METHOD));
    fputs(" ", f);
    svg_escape(f, run_str(run, RK_HTTP_URL));
    fputs("</p>\n<table id='http'><tr><th>sent</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>timeouts</th>"
          "<th>connect errors</th><th>I/O errors</th><th>errors (%)</th><th>sent &gt;1 ms late (%)</th></tr>\n<tr>",
          f);
    cell(f, run_num(run, RK_HTTP_SENT), 0);
    json_t *st = run_get(run, RK_HTTP_STATUS);
    static const char *const classes[] = {"2xx", "3xx", "4xx", "5xx"};
    for (size_t i = 0; i < 4; i++)
        cell(f, (double)json_integer_value(json_object_get(st, classes[i])), 0);
    cell(f, run_num(run, RK_HTTP_TIMEOUTS), 0);
    cell(f, run_num(run, RK_HTTP_CONNECT_ERRORS), 0);
    cell(f, run_num(run, RK_HTTP_IO_ERRORS), 0);
    cell(f, 100 * run_num(run, RK_HTTP_ERROR_SHARE), 2);
    cell(f, 100 * run_num(run, RK_HTTP_LATE_SHARE), 2);
    fputs("</tr></table>\n<table id='http-latency'><tr><th class='l'>HTTP latency (ms)</th><th>count</th>"
          "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n",
          f);
    const char *name;
    json_object_foreach(run_get(run, RK_HTTP_LATENCY), name, v)
    {
        fprintf(f, "<tr><td class='l'>%s</td>",
                !strcmp(name, "corrected") ? "from the intended send (corrected)" : "from the actual send");
        static const enum run_key k[] = {RK_LAT_COUNT, RK_LAT_P50, RK_LAT_P90, RK_LAT_P99, RK_LAT_P999, RK_LAT_MAX};
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
            cell(f, run_num(v, k[i]), i ? 3 : 0);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    /* per second: accepted against everything else (keys are paths from the run) */
    json_t *series = run_get(run, RK_HTTP_SERIES);
    size_t n = json_array_size(series), i;
    double *t = xcalloc(n ? n : 1, sizeof *t), *ok = xcalloc(n ? n : 1, sizeof *ok),
           *bad = xcalloc(n ? n : 1, sizeof *bad);
    json_array_foreach(series, i, v)
    {
        const char *k;
        json_t *c;
        t[i] = (double)i + 1;
        json_object_foreach(v, k, c)
        {
            if (!strcmp(k, "t")) continue;
            if (!strcmp(k, "2xx"))
                ok[i] += (double)json_integer_value(c);
            else
                bad[i] += (double)json_integer_value(c);
        }
    }
    struct svg_series s[2] = {{.label = "2xx", .x = t, .y = ok, .n = n},
                              {.label = "errors (non-2xx, timeouts, connection)", .x = t, .y = bad, .n = n}};
    struct svg_band bands[REPORT_MAX_BANDS];
    char labels[REPORT_MAX_BANDS][48];
    int nb = report_fault_bands(run, bands, labels);
    struct svg_chart c = {.title = "HTTP requests per second by outcome",
                          .xlabel = "seconds since start",
                          .ylabel = "requests/s",
                          .series = s,
                          .nseries = 2,
                          .bands = bands,
                          .nbands = nb};
    svg_chart_write(f, &c);
    free(t), free(ok), free(bad);
}
