#include "junit.h"
#include "report_path.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void number(FILE *f, double v, const char *unit)
{
    if (isnan(v)) fputs("n/a", f);
    else fprintf(f, "%g%s", v, unit);
}

static void gate_case(FILE *f, json_t *g, const char *suite)
{
    const char *unit = report_str(g, "unit");
    fputs("  <testcase classname=\"", f);
    svg_escape(f, suite);
    fputc('.', f);
    svg_escape(f, report_str(g, "guarantee"));
    fputs("\" name=\"", f);
    svg_escape(f, report_str(g, "gate"));
    fputs("\" time=\"0\">", f);
    if (!json_is_true(json_object_get(g, "pass"))) {
        fputs("\n    <failure type=\"gate\" message=\"", f);
        svg_escape(f, report_str(g, "gate"));
        fputs(": actual ", f);
        number(f, report_num(g, "actual"), unit);
        if (!isnan(report_num(g, "min"))) fputs(", min ", f), number(f, report_num(g, "min"), unit);
        if (!isnan(report_num(g, "max"))) fputs(", max ", f), number(f, report_num(g, "max"), unit);
        fputs("\"/>\n  ", f);
    }
    fputs("</testcase>\n", f);
}

int junit_write(const char *path, json_t *run)
{
    FILE *f = file_create(path);
    if (!f) {
        log_err("cannot write %s", path);
        return -1;
    }
    const char *suite = report_str(run, "scenario.name");
    if (!*suite) suite = "bench";
    json_t *gates = json_object_get(json_object_get(run, "verdict"), "gates");
    size_t n = json_array_size(gates), failed = 0, i;
    json_t *g;
    json_array_foreach(gates, i, g) failed += !json_is_true(json_object_get(g, "pass"));
    json_t *verdict = json_object_get(run, "verdict");
    bool interrupted = json_is_true(json_object_get(run, "interrupted"));
    bool run_fails = !json_is_true(json_object_get(verdict, "pass"));
    if (!n) failed = run_fails;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", f);
    svg_escape(f, suite);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\" "
               "timestamp=\"%s\">\n",
            n ? n : 1, failed, report_num(run, "duration_s"), report_str(run, "environment.started_at"));
    json_array_foreach(gates, i, g) gate_case(f, g, suite);
    if (!n) {
        fputs("  <testcase classname=\"", f);
        svg_escape(f, suite);
        fputs("\" name=\"run\" time=\"0\">", f);
        if (run_fails) {
            /* The reasons the verdict gives, or that there is none. */
            fputs("\n    <failure type=\"run\" message=\"", f);
            json_t *why;
            size_t k;
            json_array_foreach(json_object_get(verdict, "reasons"), k, why) {
                if (k) fputs("; ", f);
                svg_escape(f, json_string_value(why));
            }
            if (!json_array_size(json_object_get(verdict, "reasons"))) fputs("no verdict in run.json", f);
            fputs("\"/>\n  ", f);
        }
        fputs("</testcase>\n", f);
    }
    if (interrupted && n)
        fputs("  <system-err>the run was interrupted</system-err>\n", f);
    fputs("</testsuite>\n</testsuites>\n", f);
    return fclose(f) ? -1 : 0;
}
