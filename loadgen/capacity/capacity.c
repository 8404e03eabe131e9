#include "capacity.h"
#include "units.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum run_key key;
} pcts[] = {{"p50", RK_LAT_P50}, {"p75", RK_LAT_P75}, {"p90", RK_LAT_P90},      {"p95", RK_LAT_P95},
            {"p99", RK_LAT_P99}, {"p99.9", RK_LAT_P999}, {"p99.99", RK_LAT_P9999}};

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int cap_slo_parse(const char *s, struct cap_slo *slo, char *err, size_t cap)
{
    memset(slo, 0, sizeof *slo);
    slo->backlog_growth = 0;
    if (strlen(s) > 1000) return fail(err, cap, "--slo: longer than 1000 bytes");
    char *copy = xstrdup(s), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1]) {
            rc = fail(err, cap, "--slo: '%s' is not NAME=VALUE (e.g. e2e_p99=20ms)", tok);
            break;
        }
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(tok, "backlog_growth")) {
            char *end;
            double g = strtod(v, &end);
            if (end == v || *end || !(g >= 0) || g > 1e9)
                rc = fail(err, cap, "--slo: backlog_growth '%s' is not a rate in msg/s (0 or more)", v);
            slo->backlog_growth = g;
            continue;
        }
        struct cap_term t = {0};
        const char *us = strchr(tok, '_');
        if (us && !strncmp(tok, "e2e_", 4)) t.metric = RK_LAT_E2E;
        else if (us && !strncmp(tok, "confirm_", 8)) t.metric = RK_LAT_CONFIRM;
        else {
            rc = fail(err, cap, "--slo: unknown term '%s' (e2e_pNN, confirm_pNN, backlog_growth)", tok);
            break;
        }
        t.pct = RK_COUNT;
        for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
            if (!strcmp(us + 1, pcts[i].name)) t.pct = pcts[i].key;
        uint64_t ns;
        if (t.pct == RK_COUNT)
            rc = fail(err, cap, "--slo: '%s': the percentile is one of p50 p75 p90 p95 p99 p99.9 p99.99", tok);
        else if (units_duration(v, &ns) || ns == 0)
            rc = fail(err, cap, "--slo: %s '%s' is not a duration above 0 (e.g. 20ms)", tok, v);
        else if (slo->n == CAP_MAX_TERMS)
            rc = fail(err, cap, "--slo: at most %d latency terms", CAP_MAX_TERMS);
        else {
            str_copy(t.name, sizeof t.name, tok);
            t.limit_ms = (double)ns / 1e6;
            slo->t[slo->n++] = t;
        }
    }
    free(copy);
    if (!rc && !slo->n) rc = fail(err, cap, "--slo: needs a latency term (e.g. e2e_p99=20ms)");
    return rc;
}

void cap_slo_text(const struct cap_slo *slo, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < slo->n && o < cap; i++) {
        const struct cap_term *t = &slo->t[i];
        o += (size_t)snprintf(buf + o, cap - o, "%s%s %s <= %g ms", i ? ", " : "",
                              t->metric == RK_LAT_E2E ? "e2e" : "confirm", strchr(t->name, '_') + 1, t->limit_ms);
    }
}

/* The least-squares slope of the queues' depth (ready) per second over
 * broker_resources samples with from_s <= t <= to_s; *ok 0 when unknown
 * (a gap, or fewer than 3 samples). */
static double depth_slope(json_t *series, double from_s, double to_s, int *ok)
{
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t i;
    json_t *p;
    *ok = 0;
    json_array_foreach(series, i, p) {
        double t = json_number_value(json_object_get(p, "t"));
        json_t *r = json_object_get(p, "ready");
        if (t < from_s || t > to_s) continue;
        if (!json_is_integer(r)) return 0; /* a gap: the slope is unknown */
        double y = (double)json_integer_value(r);
        n++, sx += t, sy += y, sxx += t * t, sxy += t * y;
    }
    if (n < 3 || n * sxx - sx * sx <= 0) return 0;
    *ok = 1;
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static double mean_of(json_t *series, const char *key, double from, double to)
{
    double sum = 0;
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(series, i, p) {
        double t = json_number_value(json_object_get(p, "t"));
        json_t *v = json_object_get(p, key);
        if (t < from || t > to) continue;
        if (!json_is_number(v)) return NAN;
        sum += json_number_value(v), n++;
    }
    return n ? sum / n : NAN;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

static void why(json_t *reasons, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(json_t *reasons, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(reasons, json_string(buf));
}

bool cap_judge(const struct cap_slo *slo, double rate, json_t *run, bool one_to_one, json_t *reasons, json_t *step)
{
    size_t before = json_array_size(reasons);
    json_t *hr, *e;
    size_t i;
    json_array_foreach(run_get(run, RK_HEALTH_REASONS), i, hr) why(reasons, "%s", json_string_value(hr));
    if (run_true(run, RK_INTERRUPTED)) why(reasons, "interrupted");
    /* errors, nacks and alarms fail a step whatever its latency */
    json_t *errs = json_object_get(run, "errors");
    const char *k;
    json_object_foreach(errs, k, e)
        if (json_integer_value(e) > 0) why(reasons, "%lld %s", (long long)json_integer_value(e), k);
    double nacked = run_num(run, RK_T_NACKED), blocked = run_num(run, RK_T_BLOCKED);
    if (nacked > 0) why(reasons, "%.0f publishes nacked", nacked);
    if (blocked > 0) why(reasons, "the broker blocked publishers %.0f times (connection.blocked: a resource alarm)",
                         blocked);
    json_t *series = run_get(run, RK_BROKER_RESOURCES);
    json_array_foreach(series, i, e) {
        json_t *al = json_object_get(e, "alarms");
        if (json_array_size(al)) {
            why(reasons, "the broker raised a %s alarm", json_string_value(json_array_get(al, 0)));
            break;
        }
    }
    json_t *cfgj = run_get(run, RK_CONFIG);
    double warm = json_number_value(json_object_get(cfgj, "warmup_s"));
    double dur = json_number_value(json_object_get(cfgj, "duration_s"));
    /* credit flow (management): a moment of it is normal under load; held
     * in most of the measured window, the broker is at its limit */
    int flow = 0, known = 0;
    json_array_foreach(series, i, e) {
        double t = json_number_value(json_object_get(e, "t"));
        json_t *f = json_object_get(e, "flow");
        if (t < warm || t > dur || !json_is_integer(f)) continue;
        known++;
        flow += json_integer_value(f) > 0;
    }
    if (known >= 2 && 2 * flow > known)
        why(reasons, "the broker held publishers in flow control in %d of %d seconds", flow, known);
    /* the SLO, each term from the measured window's histogram */
    json_t *vals = json_object();
    for (int t = 0; t < slo->n; t++) {
        const struct cap_term *term = &slo->t[t];
        json_t *m = run_get(run, term->metric);
        double count = json_is_object(m) ? run_num(m, RK_LAT_COUNT) : 0;
        double v = count > 0 ? run_num(m, term->pct) : NAN;
        json_object_set_new(vals, term->name, num_or_null(v));
        if (!isfinite(v)) why(reasons, "%s: nothing measured", term->name);
        else if (v > term->limit_ms) why(reasons, "%s %.2f ms > %g ms", term->name, v, term->limit_ms);
    }
    json_object_set_new(step, "slo", vals);
    /* the offered rate must have been sent: an open-loop producer that
     * falls behind is a fail, not a lower rate to credit */
    double pub = run_num(run, RK_RATE_PUBLISHED), cons = run_num(run, RK_RATE_CONSUMED);
    if (!(pub >= 0.95 * rate)) why(reasons, "published %.0f msg/s of %.0f asked", pub, rate);
    /* the backlog: the queues' depth must not grow (beyond the SLO's
     * allowance and noise: 1% of the rate, 5 msg/s) */
    int ok = 0;
    double slope = depth_slope(series, warm, dur, &ok);
    double allowed = slo->backlog_growth + fmax(0.01 * rate, 5);
    double consumers = json_number_value(json_object_get(cfgj, "consumers"));
    if (consumers > 0) {
        if (ok && slope > allowed)
            why(reasons, "the backlog grew %.0f msg/s (allowed %.0f)", slope, allowed);
        else if (!ok && one_to_one && cons < pub - allowed)
            why(reasons, "consumed %.0f msg/s of %.0f published (no queue depth to judge the backlog by)", cons, pub);
    }
    json_object_set_new(step, "published_rate", json_real(round(pub)));
    json_object_set_new(step, "consumed_rate", json_real(round(cons)));
    json_object_set_new(step, "backlog_growth", ok ? json_real(round(slope * 10) / 10) : json_null());
    json_t *e2e = run_get(run, RK_LAT_E2E), *conf = run_get(run, RK_LAT_CONFIRM);
    bool have_e2e = run_num(e2e, RK_LAT_COUNT) > 0, have_conf = run_num(conf, RK_LAT_COUNT) > 0;
    json_object_set_new(step, "e2e_p50_ms", have_e2e ? num_or_null(run_num(e2e, RK_LAT_P50)) : json_null());
    json_object_set_new(step, "e2e_p99_ms", have_e2e ? num_or_null(run_num(e2e, RK_LAT_P99)) : json_null());
    json_object_set_new(step, "e2e_p999_ms", have_e2e ? num_or_null(run_num(e2e, RK_LAT_P999)) : json_null());
    json_object_set_new(step, "confirm_p99_ms", have_conf ? num_or_null(run_num(conf, RK_LAT_P99)) : json_null());
    json_object_set_new(step, "broker_cpu_pct", num_or_null(mean_of(series, "cpu_pct", warm, dur)));
    return json_array_size(reasons) == before;
}

void cap_search_init(struct cap_search *s, double start, double factor, double precision, double min_rate,
                     double max_rate)
{
    memset(s, 0, sizeof *s);
    s->start = start, s->factor = factor, s->precision = precision, s->min_rate = min_rate, s->max_rate = max_rate;
}

double cap_search_next(struct cap_search *s)
{
    if (s->end) return 0;
    if (!s->started) return s->start;
    if (!s->hi) {
        double r = round(s->lo * s->factor);
        if (r > s->max_rate) {
            if (s->lo >= s->max_rate) return s->end = "passed at --max-rate", 0;
            r = s->max_rate;
        }
        return r;
    }
    if (!s->lo) {
        double r = floor(s->hi / s->factor);
        if (r < s->min_rate) return s->end = "failed at the lowest rate", 0;
        return r;
    }
    double mid = round((s->lo + s->hi) / 2);
    if ((s->hi - s->lo) / s->hi <= s->precision || mid <= s->lo || mid >= s->hi)
        return s->end = "bracket within the precision", 0;
    return mid;
}

void cap_search_record(struct cap_search *s, double rate, bool pass)
{
    s->started = true;
    if (pass && s->npass < CAP_MAX_STEPS) s->passes[s->npass++] = rate;
    if (!pass && (!s->hi || rate < s->hi)) s->hi = rate;
    /* lo: the highest pass below the lowest failure. A failure at or below
     * lo (a confirm hold that failed) reopens the bracket below it. */
    s->lo = 0;
    for (int i = 0; i < s->npass; i++)
        if ((!s->hi || s->passes[i] < s->hi) && s->passes[i] > s->lo) s->lo = s->passes[i];
    s->end = NULL;
}

const char *cap_search_phase(const struct cap_search *s)
{
    return !s->started || !s->lo || !s->hi ? "ramp" : "bisect";
}
