/* What the pages and compare draw, read out of a run.json: a series per
 * second, a latency distribution. Below the rest of the module. */
#include "report.h"
#include "util.h"

#include <math.h>

double *report_series(json_t *run, enum run_key key, bool rate, size_t *n)
{
    json_t *series = run_get(run, RK_SERIES), *p;
    size_t i;
    *n = json_array_size(series);
    double *v = xcalloc(*n + 1, sizeof *v);
    json_array_foreach(series, i, p) {
        double x = run_counter(p, key), len = run_num(p, RK_S_LENGTH);
        v[i] = rate ? (len > 0.001 ? x / len : NAN) : x;
    }
    return v;
}

size_t report_distribution(json_t *run, enum run_key metric, double **percentile, double **value_ms)
{
    json_t *m = run_get(run, metric);
    json_t *ps = run_get(m, RK_LAT_PERCENTILES), *vs = run_get(m, RK_LAT_VALUES);
    size_t n = json_array_size(vs);
    *percentile = *value_ms = NULL;
    if (!n || json_array_size(ps) != n) return 0;
    *percentile = xcalloc(n, sizeof **percentile);
    *value_ms = xcalloc(n, sizeof **value_ms);
    for (size_t i = 0; i < n; i++) {
        (*percentile)[i] = json_number_value(json_array_get(ps, i));
        (*value_ms)[i] = json_number_value(json_array_get(vs, i));
    }
    return n;
}
