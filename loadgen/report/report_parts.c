/* What report.html's sections share (report_html.c, report_http.c): a
 * number's table cell, and the fault windows of a run's injection log for
 * the charts' bands. */
#include "report.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void report_cell_num(FILE *f, double v, int dp)
{
    if (isnan(v))
        fputs("<td>n/a</td>", f);
    else
        fprintf(f, "<td>%.*f</td>", dp, v);
}

static const char *undo_of(const char *a)
{
    if (!strcmp(a, "kill") || !strcmp(a, "stop")) return "start";
    if (!strcmp(a, "pause")) return "resume";
    if (!strcmp(a, "down")) return "up";
    if (!strcmp(a, "toxic")) return "untoxic";
    /* the cluster's network faults without `for:` last until a heal */
    if (!strcmp(a, "partition") || !strcmp(a, "loss") || !strcmp(a, "delay") || !strcmp(a, "bandwidth")) return "heal";
    return NULL;
}

/* Fault windows from the injection log: a fault lasts until its revert (a
 * `for:`), or the later step that undoes it (kill .. start), else it is a
 * moment (disconnect, restart, exec). */
int report_fault_bands(json_t *run, struct svg_band *out, char (*labels)[48])
{
    json_t *log = run_get(run, RK_FAULTS);
    double end_of_load = run_num(run, RK_CONFIG_DURATION);
    size_t i, j;
    json_t *e;
    int n = 0;
    json_array_foreach(log, i, e)
    {
        if (n == REPORT_MAX_BANDS) break;
        if (run_true(e, RK_F_REVERT)) continue;
        const char *act = run_str(e, RK_F_ACTION);
        double t0 = run_num(e, RK_F_STARTED), t1 = t0;
        const char *undo = undo_of(act);
        for (j = i + 1; j < json_array_size(log); j++) {
            json_t *x = json_array_get(log, j);
            bool rev = run_true(x, RK_F_REVERT);
            if (rev && run_num(x, RK_F_FAULT) == run_num(e, RK_F_FAULT)) break;
            if (!rev && undo &&
                (!strcmp(run_str(x, RK_F_ACTION), undo) ||
                 (!strcmp(undo, "start") && !strcmp(run_str(x, RK_F_ACTION), "restart"))))
                break;
        }
        if (j < json_array_size(log))
            t1 = run_num(json_array_get(log, j), RK_F_FINISHED);
        else if (undo && !isnan(end_of_load))
            t1 = end_of_load;
        /* on a cluster, which node (or which sides) */
        const char *target = run_str(e, RK_F_TARGET);
        snprintf(labels[n], 48, "%s%s%.24s%s", act, target && *target ? " " : "", target ? target : "",
                 run_true(e, RK_F_OK) ? "" : " (failed)");
        out[n] = (struct svg_band){t0, t1, labels[n]};
        n++;
    }
    return n;
}
