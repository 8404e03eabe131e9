#include "junit.h"
#include "run_schema.h"
#include "svg.h"
#include "util.h"

#include <errno.h>
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
    const char *unit = run_str(g, RK_G_UNIT);
    fputs("  <testcase classname=\"", f);
    svg_escape(f, suite);
    fputc('.', f);
    svg_escape(f, run_str(g, RK_G_GUARANTEE));
    fputs("\" name=\"", f);
    svg_escape(f, run_str(g, RK_G_GATE));
    fputs("\" time=\"0\">", f);
    if (!strcmp(run_str(g, RK_G_STATUS), "partial")) {
        fputs("\n    <skipped message=\"one instance of a sharded run: loadgen merge decides\"/>\n  ", f);
    } else if (!run_true(g, RK_G_PASS)) {
        fputs("\n    <failure type=\"gate\" message=\"", f);
        svg_escape(f, run_str(g, RK_G_GATE));
        fputs(": actual ", f);
        number(f, run_num(g, RK_G_ACTUAL), unit);
        if (!isnan(run_num(g, RK_G_MIN))) fputs(", min ", f), number(f, run_num(g, RK_G_MIN), unit);
        if (!isnan(run_num(g, RK_G_MAX))) fputs(", max ", f), number(f, run_num(g, RK_G_MAX), unit);
        fputs("\"/>\n  ", f);
    }
    fputs("</testcase>\n", f);
}

int junit_write(const char *path, json_t *run, char *err, size_t cap)
{
    FILE *f = file_create(path);
    if (!f) return snprintf(err, cap, "cannot write %s: %s", path, strerror(errno)), -1;
    const char *suite = run_str(run, RK_SCENARIO_NAME);
    if (!*suite) suite = "bench";
    json_t *gates = run_get(run, RK_VERDICT_GATES), *reasons = run_get(run, RK_VERDICT_REASONS);
    size_t n = json_array_size(gates), failed = 0, i;
    json_t *g;
    size_t skipped = 0;
    json_array_foreach(gates, i, g) {
        bool part = !strcmp(run_str(g, RK_G_STATUS), "partial");
        skipped += part;
        failed += !part && !run_true(g, RK_G_PASS);
    }
    bool interrupted = run_true(run, RK_INTERRUPTED);
    bool partial = !strcmp(run_str(run, RK_VERDICT_STATUS), "partial");
    bool run_fails = !run_true(run, RK_VERDICT_PASS) && !partial;
    if (!n) skipped = partial;
    if (!n) failed = run_fails;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", f);
    svg_escape(f, suite);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" "
               "timestamp=\"%s\">\n",
            n ? n : 1, failed, skipped, run_num(run, RK_DURATION), run_str(run, RK_ENV_STARTED_AT));
    json_array_foreach(gates, i, g) gate_case(f, g, suite);
    if (!n) {
        fputs("  <testcase classname=\"", f);
        svg_escape(f, suite);
        fputs("\" name=\"run\" time=\"0\">", f);
        if (partial) fputs("\n    <skipped message=\"one instance of a sharded run: loadgen merge decides\"/>\n  ", f);
        if (run_fails) {
            /* The reasons the verdict gives, or that there is none. */
            fputs("\n    <failure type=\"run\" message=\"", f);
            json_t *why;
            size_t k;
            json_array_foreach(reasons, k, why) {
                if (k) fputs("; ", f);
                svg_escape(f, json_string_value(why));
            }
            if (!json_array_size(reasons)) fputs("no verdict in run.json", f);
            fputs("\"/>\n  ", f);
        }
        fputs("</testcase>\n", f);
    }
    if (interrupted && n)
        fputs("  <system-err>the run was interrupted</system-err>\n", f);
    fputs("</testsuite>\n</testsuites>\n", f);
    if (fclose(f)) return snprintf(err, cap, "cannot write %s: %s", path, strerror(errno)), -1;
    return 0;
}
