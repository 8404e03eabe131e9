#include "gates.h"
#include "report_path.h"

#include <math.h>
#include <string.h>

const struct gate_def gate_defs[G_COUNT] = {
    [G_LOST] = {"lost", "durability", "", false},
    [G_UNEXPECTED] = {"unexpected", "idempotency", "", false},
    [G_DUPLICATES] = {"duplicates", "idempotency", "", false},
    [G_UNEXPLAINED_DUPLICATES] = {"unexplained_duplicates", "idempotency", "", false},
    [G_ORDER_VIOLATIONS] = {"order_violations", "ordering", "", false},
    [G_RECOVERY] = {"recovery", "retry", "ms", false},
    [G_E2E_P50] = {"e2e_p50", "performance", "ms", false},
    [G_E2E_P99] = {"e2e_p99", "performance", "ms", false},
    [G_CONFIRM_P99] = {"confirm_p99", "performance", "ms", false},
    [G_THROUGHPUT] = {"throughput", "performance", "/s", true},
    [G_CONSUMED] = {"consumed", "performance", "", true},
    [G_INDETERMINATE] = {"indeterminate", "retry", "", false},
    [G_DUPLICATE_EFFECTS] = {"duplicate_effects", "idempotency", "", false},
    [G_DEAD_LETTERED] = {"dead_lettered", "retry", "", false},
    [G_UNAVAILABLE] = {"unavailable", "retry", "ms", false},
};

static const char *const status_names[] = {"pass", "fail", "unknown"};

int gates_lookup(const char *name)
{
    for (int i = 0; name && i < G_COUNT; i++)
        if (!strcmp(name, gate_defs[i].name)) return i;
    return -1;
}

double gates_actual(enum gate_kind k, json_t *run)
{
    json_t *tot = json_object_get(run, "totals"), *avail = json_object_get(run, "availability");
    switch (k) {
    case G_LOST: return report_num(tot, "lost");
    case G_UNEXPECTED:
        return report_num(tot, "bad_foreign") + report_num(tot, "bad_truncated") + report_num(tot, "bad_version") +
               report_num(tot, "bad_checksum") + report_num(tot, "stale_run");
    case G_DUPLICATES: return report_num(tot, "duplicates_total");
    case G_UNEXPLAINED_DUPLICATES: return report_num(tot, "duplicates_unexplained");
    case G_ORDER_VIOLATIONS: return report_num(tot, "out_of_order");
    case G_INDETERMINATE: return report_num(tot, "indeterminate");
    case G_DUPLICATE_EFFECTS: return report_num(tot, "duplicate_effects");
    case G_DEAD_LETTERED: return report_num(tot, "dead_lettered");
    case G_CONSUMED: return report_num(tot, "unique");
    case G_RECOVERY: {
        json_t *w = json_object_get(avail, "worst_recovery_s");
        if (!avail) return NAN;
        return json_is_null(w) ? INFINITY : report_num(avail, "worst_recovery_s") * 1000;
    }
    case G_UNAVAILABLE: return report_num(avail, "longest_no_confirm_s") * 1000;
    case G_E2E_P50: return report_num(run, "latency.e2e.p50");
    case G_E2E_P99: return report_num(run, "latency.e2e.p99");
    case G_CONFIRM_P99: return report_num(run, "latency.confirm.p99");
    case G_THROUGHPUT: return report_num(run, "rates.consumed");
    case G_COUNT: break;
    }
    return NAN;
}

/* Messages still queued when the drain gave up are not lost yet: `lost`
 * fails only if more were lost than could still be queued, and a floor on
 * `consumed` is unknown if the queued ones would reach it. */
enum gate_status gates_judge(const struct gate *g, double v, double queued, char *why, size_t cap)
{
    why[0] = 0;
    if (isnan(v)) return snprintf(why, cap, "not computable"), GATE_UNKNOWN;
    bool pass = (!g->has_min || v >= g->min) && (!g->has_max || v <= g->max);
    if (pass || queued == 0) return pass ? GATE_PASS : GATE_FAIL;
    if (g->kind == G_LOST && !(isfinite(queued) && v - queued > g->max)) {
        snprintf(why, cap, "drain incomplete, %s still queued", isfinite(queued) ? "some" : "unknown");
        if (isfinite(queued)) snprintf(why, cap, "drain incomplete, %.0f still queued", queued);
        return GATE_UNKNOWN;
    }
    if (g->kind == G_CONSUMED && g->has_min && (!isfinite(queued) || v + queued >= g->min)) {
        snprintf(why, cap, "drain incomplete");
        return GATE_UNKNOWN;
    }
    return GATE_FAIL;
}

static json_t *gate_json(const char *group, const char *name, enum gate_status st, const char *unit, double v,
                         const struct gate *g, const char *why)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:s}", "guarantee", group, "gate", name, "pass", st == GATE_PASS,
                          "status", status_names[st], "unit", unit);
    json_object_set_new(o, "actual", isnan(v) || isinf(v) ? json_null() : json_real(v));
    json_object_set_new(o, "min", g->has_min ? json_real(g->min) : json_null());
    json_object_set_new(o, "max", g->has_max ? json_real(g->max) : json_null());
    if (why[0]) json_object_set_new(o, "reason", json_string(why));
    return o;
}

static void print_gate(FILE *out, const char *group, const char *name, const struct gate *g, const char *unit,
                       double v, enum gate_status st, const char *why)
{
    char limit[64] = "", actual[64];
    if (!out) return;
    if (g->has_min) snprintf(limit, sizeof limit, ">= %g%s", g->min, unit);
    if (g->has_max)
        snprintf(limit + strlen(limit), sizeof limit - strlen(limit), "%s<= %g%s", g->has_min ? " " : "", g->max,
                 unit);
    if (isnan(v)) snprintf(actual, sizeof actual, "n/a");
    else if (isinf(v)) snprintf(actual, sizeof actual, "never");
    else snprintf(actual, sizeof actual, "%.*f%s", unit[0] == 'm' ? 1 : 0, v, unit);
    fprintf(out, "%-12s %-24s %14s %14s  %s%s%s\n", group, name, limit, actual,
            st == GATE_PASS ? "PASS" : st == GATE_FAIL ? "FAIL" : "UNKNOWN", why[0] ? ": " : "", why);
}

enum gate_status gates_verdict(const struct gate *gs, int n, bool had_faults, json_t *run, FILE *out)
{
    json_t *gates = json_array(), *reasons = json_array(), *e;
    json_t *dr = json_object_get(run, "drain");
    const char *ended = report_str(dr, "ended");
    bool drained = !strcmp(ended, "complete") || !strcmp(ended, "idle");
    json_t *sq = json_object_get(dr, "still_queued");
    double queued = drained ? 0 : json_is_integer(sq) ? (double)json_integer_value(sq) : INFINITY;
    int fails = 0, unknowns = 0;
    char why[200];
    if (out) fprintf(out, "\n%-12s %-24s %14s %14s  %s\n", "guarantee", "gate", "limit", "actual", "verdict");
    for (int i = 0; i < n; i++) {
        const struct gate *g = &gs[i];
        const struct gate_def *d = &gate_defs[g->kind];
        double v = gates_actual(g->kind, run);
        enum gate_status st = gates_judge(g, v, queued, why, sizeof why);
        print_gate(out, d->guarantee, d->name, g, d->unit, v, st, why);
        json_array_append_new(gates, gate_json(d->guarantee, d->name, st, d->unit, v, g, why));
        fails += st == GATE_FAIL;
        unknowns += st == GATE_UNKNOWN;
    }
    /* A fault that did not happen tested nothing: every step and the heal
     * must have applied. */
    size_t k;
    double failed_steps = 0;
    json_array_foreach(json_object_get(run, "faults"), k, e) {
        if (json_is_true(json_object_get(e, "ok"))) continue;
        failed_steps++;
        snprintf(why, sizeof why, "faults: %s%s at %.2fs failed: %s",
                 json_is_true(json_object_get(e, "revert")) ? "revert " : "", report_str(e, "action"),
                 report_num(e, "started_s"), report_str(e, "error"));
        json_array_append_new(reasons, json_string(why));
    }
    if (had_faults) {
        struct gate g = {.kind = G_COUNT, .has_max = true, .max = 0};
        enum gate_status st = failed_steps ? GATE_FAIL : GATE_PASS;
        print_gate(out, "faults", "faults_failed", &g, "", failed_steps, st, "");
        json_array_append_new(gates, gate_json("faults", "faults_failed", st, "", failed_steps, &g, ""));
        fails += st == GATE_FAIL;
    }
    if (!drained) {
        snprintf(why, sizeof why, "drain: incomplete (%s), %s still queued", ended, isfinite(queued) ? "" : "unknown");
        if (isfinite(queued)) snprintf(why, sizeof why, "drain: incomplete (%s), %.0f still queued", ended, queued);
        json_array_append_new(reasons, json_string(why));
    }
    /* A run cut short by a signal proved nothing about the rest of its load. */
    if (json_is_true(json_object_get(run, "interrupted"))) {
        unknowns++;
        json_array_append_new(reasons, json_string("interrupted: the run did not finish"));
    }
    if (out) json_array_foreach(reasons, k, e) fprintf(out, "%s\n", json_string_value(e));
    enum gate_status verdict = fails ? GATE_FAIL : unknowns ? GATE_UNKNOWN : GATE_PASS;
    const char *status = fails ? "fail" : unknowns ? "incomplete" : "pass";
    if (out) fprintf(out, "verdict: %s\n", fails ? "FAIL" : unknowns ? "INCOMPLETE" : "PASS");
    json_object_set_new(run, "verdict", json_pack("{s:b, s:s, s:o, s:o}", "pass", verdict == GATE_PASS, "status",
                                                  status, "gates", gates, "reasons", reasons));
    return verdict;
}

enum gate_status gates_bench_verdict(json_t *run)
{
    json_t *reasons = json_array(), *e;
    size_t i;
    json_t *health = json_object_get(run, "health");
    json_array_foreach(json_object_get(health, "reasons"), i, e) json_array_append(reasons, e);
    if (health && !json_is_true(json_object_get(health, "pass")) && !json_array_size(reasons))
        json_array_append_new(reasons, json_string("the health checks failed"));
    double lost = report_num(run, "totals.lost");
    char why[100];
    if (lost > 0) {
        snprintf(why, sizeof why, "%.0f confirmed messages lost", lost);
        json_array_append_new(reasons, json_string(why));
    }
    bool failed = json_array_size(reasons) > 0;
    bool interrupted = json_is_true(json_object_get(run, "interrupted"));
    if (interrupted) json_array_append_new(reasons, json_string("interrupted: the run did not finish"));
    enum gate_status v = failed ? GATE_FAIL : interrupted ? GATE_UNKNOWN : GATE_PASS;
    json_object_set_new(run, "verdict", json_pack("{s:b, s:s, s:o, s:o}", "pass", v == GATE_PASS, "status",
                                                  failed ? "fail" : interrupted ? "incomplete" : "pass",
                                                  "gates", json_array(), "reasons", reasons));
    return v;
}
