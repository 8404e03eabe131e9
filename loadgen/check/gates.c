#include "gates.h"
#include "run_schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The actual value of each gate is run.json's key (in the object `in`, or
 * the run itself for RK_COUNT) times scale (seconds to ms); unexpected sums
 * five keys (gates_actual). */
#define PC (GN_PRODUCERS | GN_CONSUMERS)
const struct gate_def gate_defs[G_COUNT] = {
    [G_LOST] = {"lost", "durability", "", false, RK_T_LOST, 1, RK_COUNT, GN_CONFIRM | GN_CONSUMERS | GN_ROUTES},
    [G_UNEXPECTED] = {"unexpected", "idempotency", "", false, RK_COUNT, 1, RK_COUNT, 0},
    [G_DUPLICATES] = {"duplicates", "idempotency", "", false, RK_T_DUPLICATES_TOTAL, 1, RK_COUNT, PC},
    [G_UNEXPLAINED_DUPLICATES] = {"unexplained_duplicates", "idempotency", "", false, RK_T_DUPLICATES_UNEXPLAINED, 1,
                                  RK_COUNT, PC},
    [G_ORDER_VIOLATIONS] = {"order_violations", "ordering", "", false, RK_T_OUT_OF_ORDER, 1, RK_COUNT, PC},
    [G_RECOVERY] = {"recovery", "retry", "ms", false, RK_AV_WORST_RECOVERY, 1000, RK_COUNT, 0},
    [G_E2E_P50] = {"e2e_p50", "performance", "ms", false, RK_LAT_P50, 1, RK_LAT_E2E, PC},
    [G_E2E_P99] = {"e2e_p99", "performance", "ms", false, RK_LAT_P99, 1, RK_LAT_E2E, PC},
    [G_CONFIRM_P99] = {"confirm_p99", "performance", "ms", false, RK_LAT_P99, 1, RK_LAT_CONFIRM,
                       GN_CONFIRM | GN_PRODUCERS},
    [G_THROUGHPUT] = {"throughput", "performance", "/s", true, RK_RATE_CONSUMED, 1, RK_COUNT, PC},
    [G_CONSUMED] = {"consumed", "performance", "", true, RK_T_UNIQUE, 1, RK_COUNT, PC},
    [G_INDETERMINATE] = {"indeterminate", "retry", "", false, RK_T_INDETERMINATE, 1, RK_COUNT, 0},
    [G_DUPLICATE_EFFECTS] = {"duplicate_effects", "idempotency", "", false, RK_T_DUPLICATE_EFFECTS, 1, RK_COUNT, PC},
    [G_DEAD_LETTERED] = {"dead_lettered", "retry", "", false, RK_T_DEAD_LETTERED, 1, RK_COUNT, 0},
    [G_UNAVAILABLE] = {"unavailable", "retry", "ms", false, RK_AV_LONGEST_NO_CONFIRM, 1000, RK_COUNT, 0},
    [G_MISROUTED] = {"misrouted", "routing", "", false, RK_T_MISROUTED, 1, RK_COUNT, GN_CONSUMERS | GN_ROUTES},
    [G_UNROUTABLE] = {"unroutable", "routing", "", false, RK_T_UNROUTABLE, 1, RK_COUNT, GN_CONFIRM | GN_ROUTES},
    /* a service run's (effects.h) */
    [G_LOST_EFFECTS] = {"lost_effects", "durability", "", false, RK_EF_LOST, 1, RK_COUNT, GN_CONFIRM | GN_EFFECTS},
    [G_UNEXPECTED_EFFECTS] = {"unexpected_effects", "idempotency", "", false, RK_EF_UNEXPECTED, 1, RK_COUNT,
                              GN_EFFECTS},
    [G_EFFECT_P99] = {"effect_p99", "performance", "ms", false, RK_EF_P99, 1, RK_COUNT,
                      GN_PRODUCERS | GN_EFFECTS | GN_EFFECT_TIMES},
    /* a user's API (load.http): each request accepted with a 2xx is one event */
    [G_LOST_EVENTS] = {"lost_events", "durability", "", false, RK_EF_LOST, 1, RK_COUNT, GN_HTTP | GN_EFFECTS},
    [G_DUPLICATE_EVENTS] = {"duplicate_events", "idempotency", "", false, RK_EF_DUPLICATES, 1, RK_COUNT,
                            GN_HTTP | GN_EFFECTS},
    [G_UNEXPECTED_EVENTS] = {"unexpected_events", "idempotency", "", false, RK_EF_UNEXPECTED, 1, RK_COUNT,
                             GN_HTTP | GN_EFFECTS},
    [G_EVENT_P99] = {"event_p99", "performance", "ms", false, RK_EF_P99, 1, RK_COUNT,
                     GN_HTTP | GN_EFFECTS | GN_EFFECT_TIMES},
    [G_HTTP_P99] = {"http_p99", "performance", "ms", false, RK_HTTP_P99, 1, RK_COUNT, GN_HTTP},
    [G_HTTP_ERRORS] = {"http_errors", "performance", "share", false, RK_HTTP_ERROR_SHARE, 1, RK_COUNT, GN_HTTP},
};
#undef PC

/* The need, in the order they are told: where messages go first (without
 * it nothing downstream means anything), then who publishes and consumes. */
static const struct {
    unsigned need;
    const char *why;
} need_text[] = {
    {GN_CONFIRM, "needs publisher confirms (load.confirm)"},
    {GN_PRODUCERS, "needs producers"},
    {GN_CONSUMERS, "needs consumers"},
    {GN_EFFECTS, "needs services and an effects: block"},
    {GN_EFFECT_TIMES, "needs effects from a queue (a database's rows carry no time)"},
    {GN_HTTP, "needs load.http (requests to an API)"},
};

const char *gates_computable(enum gate_kind k, const struct gate_load *l)
{
    if ((unsigned)k >= G_COUNT) return "no such gate";
    unsigned needs = gate_defs[k].needs;
    /* a service run's duplicate effects are the service's, not loadgen's consumers' */
    if (k == G_DUPLICATE_EFFECTS && l->effects) needs = GN_EFFECTS;
    if ((needs & GN_ROUTES) && l->routes_unknown) return l->routes_unknown;
    /* an API run has no AMQP load of loadgen's: recovery and the rest would
     * read counters that stay 0, a PASS nobody earned */
    if (l->http && !(gate_defs[k].needs & GN_HTTP))
        return "an API run's gates are lost_events, duplicate_events, unexpected_events, event_p99, http_p99 and "
               "http_errors";
    bool have[] = {l->confirm, l->producers > 0, l->consumers > 0, l->effects, l->effect_times, l->http};
    for (size_t i = 0; i < sizeof need_text / sizeof need_text[0]; i++)
        if ((needs & need_text[i].need) && !have[i]) return need_text[i].why;
    return NULL;
}

const char *gates_names(void)
{
    static char buf[512];
    if (buf[0]) return buf;
    size_t len = 0;
    for (int i = 0; i < G_COUNT && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "", gate_defs[i].name);
    return buf;
}

static const char *const status_names[] = {"pass", "fail", "unknown"};

int gates_lookup(const char *name)
{
    for (int i = 0; name && i < G_COUNT; i++)
        if (!strcmp(name, gate_defs[i].name)) return i;
    return -1;
}

double gates_actual(enum gate_kind k, json_t *run)
{
    static const enum run_key unexpected[] = {RK_T_BAD_FOREIGN, RK_T_BAD_TRUNCATED, RK_T_BAD_VERSION,
                                              RK_T_BAD_CHECKSUM, RK_T_STALE_RUN};
    if ((unsigned)k >= G_COUNT) return NAN;
    if (k == G_UNEXPECTED) {
        double sum = 0;
        for (size_t i = 0; i < sizeof unexpected / sizeof unexpected[0]; i++) sum += run_num(run, unexpected[i]);
        return sum;
    }
    const struct gate_def *d = &gate_defs[k];
    if (k == G_DUPLICATE_EFFECTS && run_get(run, RK_EFFECTS)) return run_num(run, RK_EF_DUPLICATES);
    json_t *v = run_get(d->in == RK_COUNT ? run : run_get(run, d->in), d->key);
    /* an input never answered counts as forever: null is never */
    if ((k == G_EFFECT_P99 || k == G_EVENT_P99) && run_get(run, RK_EFFECTS) && json_is_null(v)) return INFINITY;
    /* A recovery that never came is null: +inf, over any limit. */
    if (k == G_RECOVERY && json_is_null(v)) return INFINITY;
    return json_is_number(v) ? json_number_value(v) * d->scale : NAN;
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
    json_t *o = json_object();
    run_set(o, RK_G_GUARANTEE, json_string(group));
    run_set(o, RK_G_GATE, json_string(name));
    run_set(o, RK_G_PASS, json_boolean(st == GATE_PASS));
    run_set(o, RK_G_STATUS, json_string(status_names[st]));
    run_set(o, RK_G_UNIT, json_string(unit));
    run_set(o, RK_G_ACTUAL, isnan(v) || isinf(v) ? json_null() : json_real(v));
    run_set(o, RK_G_MIN, g->has_min ? json_real(g->min) : json_null());
    run_set(o, RK_G_MAX, g->has_max ? json_real(g->max) : json_null());
    if (why[0]) run_set(o, RK_G_REASON, json_string(why));
    return o;
}

static void print_gate(FILE *out, const char *group, const char *name, const struct gate *g, const char *unit,
                       double v, enum gate_status st, const char *why)
{
    char limit[64] = "", actual[64];
    if (!out) return;
    /* a share (0-1) is shown as a percentage */
    double k = strcmp(unit, "share") ? 1 : 100;
    int dp = unit[0] == 'm' ? 1 : k == 100 ? 2 : 0;
    if (k == 100) unit = "%";
    if (g->has_min) snprintf(limit, sizeof limit, ">= %g%s", g->min * k, unit);
    if (g->has_max)
        snprintf(limit + strlen(limit), sizeof limit - strlen(limit), "%s<= %g%s", g->has_min ? " " : "", g->max * k,
                 unit);
    if (isnan(v)) snprintf(actual, sizeof actual, "n/a");
    else if (isinf(v)) snprintf(actual, sizeof actual, "never");
    else snprintf(actual, sizeof actual, "%.*f%s", dp, v * k, unit);
    fprintf(out, "%-12s %-24s %14s %14s  %s%s%s\n", group, name, limit, actual,
            st == GATE_PASS ? "PASS" : st == GATE_FAIL ? "FAIL" : "UNKNOWN", why[0] ? ": " : "", why);
}

static void set_verdict(json_t *run, enum gate_status v, json_t *gates, json_t *reasons)
{
    run_set(run, RK_VERDICT_PASS, json_boolean(v == GATE_PASS));
    run_set(run, RK_VERDICT_STATUS, json_string(v == GATE_FAIL ? "fail" : v == GATE_UNKNOWN ? "incomplete" : "pass"));
    run_set(run, RK_VERDICT_GATES, gates);
    run_set(run, RK_VERDICT_REASONS, reasons);
}

/* What may still be in the broker, for lost and consumed: with a final
 * read, nothing once it read every queue to empty, else unknown; without
 * one, the drain's last depth (0 only when the broker said so, or every
 * publish was consumed: an unknown depth is unknown). */
static double still_queued(json_t *run)
{
    if (run_get(run, RK_FINAL_READ)) return run_true(run, RK_FR_COMPLETE) ? 0 : INFINITY;
    const char *ended = run_str(run, RK_DRAIN_ENDED);
    json_t *sq = run_get(run, RK_DRAIN_STILL_QUEUED);
    if (!strcmp(ended, "complete")) return 0;
    bool known = json_is_integer(sq) && (!strcmp(ended, "idle") || json_integer_value(sq) == 0);
    return known ? (double)json_integer_value(sq) : INFINITY;
}

/* The first queue the final read could not empty, and why. */
static const char *final_read_why(json_t *run, char *why, size_t cap)
{
    size_t k;
    json_t *e;
    snprintf(why, cap, "final read incomplete");
    json_array_foreach(run_get(run, RK_FR_QUEUES), k, e) {
        if (run_true(e, RK_FRQ_COMPLETE)) continue;
        snprintf(why, cap, "final read: '%s' not read to empty (%s)", run_str(e, RK_FRQ_QUEUE), run_str(e, RK_FRQ_WHY));
        break;
    }
    return why;
}

/* A fault the load was not back from when the run ended: a FAIL only if the
 * run watched longer than the limit after it; else nobody can tell. */
static bool recovery_undecided(json_t *run, const struct gate *g, char *why, size_t cap)
{
    json_t *e;
    size_t k;
    bool undecided = false;
    json_array_foreach(run_get(run, RK_AV_FAULTS), k, e) {
        double watched = run_num(e, RK_AV_WATCHED);
        if (!json_is_null(run_get(e, RK_AV_RECOVERY))) continue;
        if (!g->has_max || watched * 1000 > g->max) return false; /* watched past the limit: it failed */
        if (!undecided)
            snprintf(why, cap, "%s at %.1fs: not back when the run ended %.1fs later, under the limit",
                     run_str(e, RK_AV_ACTION), run_num(e, RK_AV_INJECTED), watched);
        undecided = true;
    }
    return undecided;
}

/* Inputs still queued at the end have no effect yet, and none is lost:
 * lost_effects passes only when none is left (or it fails regardless).
 * An end read that could not read a queue leaves lost a bound. */
static enum gate_status judge_lost_effects(const struct gate *g, json_t *run, double *v, char *why, size_t cap)
{
    double pending = run_num(run, RK_EF_PENDING);
    /* null: some missing where a queue could not be read; its bound decides only when it passes */
    if (isnan(*v) && run_get(run, RK_EFFECTS)) {
        *v = run_num(run, RK_EF_LOST_AT_MOST);
        if (gates_judge(g, *v, 0, why, cap) != GATE_PASS)
            return snprintf(why, cap, "end read incomplete: a queue could not be read"), GATE_UNKNOWN;
    }
    enum gate_status st = gates_judge(g, *v, 0, why, cap);
    if (st != GATE_PASS || !(pending > 0)) return st;
    snprintf(why, cap, "%.0f inputs still queued at the end, no effect yet", pending);
    return GATE_UNKNOWN;
}

enum gate_status gates_verdict(const struct gate *gs, int n, bool had_faults, json_t *run, FILE *out)
{
    json_t *gates = json_array(), *reasons = json_array(), *e;
    double queued = still_queued(run);
    bool final_read = run_get(run, RK_FINAL_READ) != NULL, read_all = run_true(run, RK_FR_COMPLETE);
    int fails = 0, unknowns = 0;
    char why[400];
    if (out) fprintf(out, "\n%-12s %-24s %14s %14s  %s\n", "guarantee", "gate", "limit", "actual", "verdict");
    for (int i = 0; i < n; i++) {
        const struct gate *g = &gs[i];
        const struct gate_def *d = &gate_defs[g->kind];
        double v = gates_actual(g->kind, run);
        /* lost is null when some are missing from a queue not read to
         * empty: judged on its bound, unknown unless the bound passes */
        if (g->kind == G_LOST && isnan(v) && final_read && !read_all) v = run_num(run, RK_T_LOST_AT_MOST);
        enum gate_status st = g->kind == G_LOST_EFFECTS ? judge_lost_effects(g, run, &v, why, sizeof why)
                                                        : gates_judge(g, v, queued, why, sizeof why);
        if (g->kind == G_RECOVERY && isinf(v)) st = recovery_undecided(run, g, why, sizeof why) ? GATE_UNKNOWN : st;
        if (st == GATE_UNKNOWN && final_read && !read_all && (g->kind == G_LOST || g->kind == G_CONSUMED))
            final_read_why(run, why, sizeof why);
        print_gate(out, d->guarantee, d->name, g, d->unit, v, st, why);
        json_array_append_new(gates, gate_json(d->guarantee, d->name, st, d->unit, v, g, why));
        fails += st == GATE_FAIL;
        unknowns += st == GATE_UNKNOWN;
    }
    /* A fault that did not happen tested nothing: every step and the heal
     * must have applied. */
    size_t k;
    double failed_steps = 0, cut_steps = 0;
    json_array_foreach(run_get(run, RK_FAULTS), k, e) {
        if (run_true(e, RK_F_OK)) continue;
        bool cut = run_true(e, RK_F_INTERRUPTED); /* by Ctrl-C: not done, not failed */
        cut ? cut_steps++ : failed_steps++;
        snprintf(why, sizeof why, "faults: %s%s at %.2fs %s: %s", run_true(e, RK_F_REVERT) ? "revert " : "",
                 run_str(e, RK_F_ACTION), run_num(e, RK_F_STARTED), cut ? "did not finish" : "failed",
                 run_str(e, RK_F_ERROR));
        json_array_append_new(reasons, json_string(why));
    }
    if (had_faults) {
        struct gate g = {.kind = G_COUNT, .has_max = true, .max = 0};
        enum gate_status st = failed_steps ? GATE_FAIL : cut_steps ? GATE_UNKNOWN : GATE_PASS;
        print_gate(out, "faults", "faults_failed", &g, "", failed_steps, st, "");
        json_array_append_new(gates, gate_json("faults", "faults_failed", st, "", failed_steps, &g, ""));
        fails += st == GATE_FAIL;
        unknowns += st == GATE_UNKNOWN;
    }
    if (final_read) {
        json_array_foreach(run_get(run, RK_FR_QUEUES), k, e) {
            if (!run_true(e, RK_FRQ_EXISTS)) {
                snprintf(why, sizeof why, "final read: dead-letter target '%s' %s", run_str(e, RK_FRQ_QUEUE),
                         run_str(e, RK_FRQ_WHY));
                json_array_append_new(reasons, json_string(why));
            }
        }
        if (!read_all) json_array_append_new(reasons, json_string(final_read_why(run, why, sizeof why)));
    } else if (queued != 0) {
        const char *ended = run_str(run, RK_DRAIN_ENDED);
        snprintf(why, sizeof why, "drain: incomplete (%s), %s still queued", ended, isfinite(queued) ? "" : "unknown");
        if (isfinite(queued)) snprintf(why, sizeof why, "drain: incomplete (%s), %.0f still queued", ended, queued);
        json_array_append_new(reasons, json_string(why));
    }
    /* A run cut short by a signal proved nothing about the rest of its load. */
    if (run_true(run, RK_INTERRUPTED)) {
        unknowns++;
        json_array_append_new(reasons, json_string("interrupted: the run did not finish"));
    }
    if (out) json_array_foreach(reasons, k, e) fprintf(out, "%s\n", json_string_value(e));
    enum gate_status verdict = fails ? GATE_FAIL : unknowns ? GATE_UNKNOWN : GATE_PASS;
    if (out) fprintf(out, "verdict: %s\n", fails ? "FAIL" : unknowns ? "INCOMPLETE" : "PASS");
    set_verdict(run, verdict, gates, reasons);
    return verdict;
}

enum gate_status gates_bench_verdict(json_t *run)
{
    json_t *reasons = json_array(), *e;
    size_t i;
    json_array_foreach(run_get(run, RK_HEALTH_REASONS), i, e) json_array_append(reasons, e);
    if (run_get(run, RK_HEALTH_PASS) && !run_true(run, RK_HEALTH_PASS) && !json_array_size(reasons))
        json_array_append_new(reasons, json_string("the health checks failed"));
    double lost = run_num(run, RK_T_LOST);
    char why[400];
    if (lost > 0) {
        snprintf(why, sizeof why, "%.0f confirmed messages lost", lost);
        json_array_append_new(reasons, json_string(why));
    }
    bool failed = json_array_size(reasons) > 0;
    bool interrupted = run_true(run, RK_INTERRUPTED);
    /* some confirmed found nowhere, but a queue was not read to empty */
    bool unread = json_is_null(run_get(run, RK_T_LOST)) && run_num(run, RK_T_LOST_AT_MOST) > 0;
    if (interrupted) json_array_append_new(reasons, json_string("interrupted: the run did not finish"));
    if (unread) json_array_append_new(reasons, json_string(final_read_why(run, why, sizeof why)));
    enum gate_status v = failed ? GATE_FAIL : interrupted || unread ? GATE_UNKNOWN : GATE_PASS;
    set_verdict(run, v, json_array(), reasons);
    return v;
}

/* The end of the first whole second from at on in which key counted
 * (the fault's own second only if it began at the injection); INFINITY
 * when none did. */
static double back_at(json_t *series, double at, enum run_key key)
{
    json_t *pt;
    size_t k;
    json_array_foreach(series, k, pt) {
        double t = run_num(pt, RK_S_T), len = run_num(pt, RK_S_LENGTH);
        if (t >= at && run_counter(pt, key) > 0) return t + len;
    }
    return INFINITY;
}

/* Recovery: confirms (when confirming) and deliveries (when consuming) flow
 * again, each found at its own first second. A producer that catches up
 * while the consumers still reconnect, or the reverse, is back when the
 * later one is; requiring one second with both read "never" for a load
 * that delivered everything. Not back at all: null, with how long the run
 * watched (to the end of publishing while confirms were missing, else to
 * the end of the series), which says whether a limit could be decided. */
void gates_availability(json_t *run, bool confirming, bool consuming, double end_s)
{
    json_t *series = run_get(run, RK_SERIES), *pt, *e;
    double worst = 0, longest = 0, quiet_s = 0, series_end = 0;
    size_t i, k;
    json_array_foreach(series, k, pt) series_end = run_num(pt, RK_S_T) + run_num(pt, RK_S_LENGTH);
    json_array_foreach(run_get(run, RK_AV_FAULTS), i, e) {
        double at = run_num(e, RK_AV_INJECTED), conf = at, cons = at;
        if (confirming) conf = back_at(series, at, RK_T_CONFIRMED);
        if (consuming) cons = back_at(series, at, RK_T_CONSUMED);
        double found = (conf > cons ? conf : cons) - at;
        double watched = (isinf(conf) && end_s < series_end ? end_s : series_end) - at;
        if (found > worst) worst = found;
        run_set(e, RK_AV_RECOVERY, isinf(found) ? json_null() : json_real(found));
        run_set(e, RK_AV_WATCHED, json_real(watched > 0 ? watched : 0));
    }
    json_array_foreach(series, k, pt) {
        if (run_num(pt, RK_S_T) >= end_s) break;
        bool quiet = run_counter(pt, confirming ? RK_T_CONFIRMED : RK_T_CONSUMED) == 0;
        quiet_s = quiet ? quiet_s + run_num(pt, RK_S_LENGTH) : 0;
        if (quiet_s > longest) longest = quiet_s;
    }
    run_set(run, RK_AV_WORST_RECOVERY, isinf(worst) ? json_null() : json_real(worst));
    run_set(run, RK_AV_LONGEST_NO_CONFIRM, json_real(longest));
}

enum gate_status gates_partial(json_t *run, enum gate_status v)
{
    json_t *inst = json_object_get(run_get(run, RK_CONFIG), "instance"), *g, *e;
    if (!json_is_object(inst)) return v;
    bool failed = run_get(run, RK_HEALTH_PASS) && !run_true(run, RK_HEALTH_PASS);
    size_t i;
    json_array_foreach(run_get(run, RK_FAULTS), i, e) failed |= !run_true(e, RK_F_OK) && !run_true(e, RK_F_INTERRUPTED);
    json_array_foreach(run_get(run, RK_VERDICT_GATES), i, g) {
        if (!strcmp(run_str(g, RK_G_GATE), "faults_failed")) continue; /* its own steps: whole */
        run_set(g, RK_G_PASS, json_false());
        run_set(g, RK_G_STATUS, json_string("partial"));
    }
    char why[200];
    snprintf(why, sizeof why, "instance %lld of %lld: part of the load; the verdict is `loadgen merge`'s",
             json_integer_value(json_object_get(inst, "index")), json_integer_value(json_object_get(inst, "of")));
    json_array_append_new(run_get(run, RK_VERDICT_REASONS), json_string(why));
    bool interrupted = run_true(run, RK_INTERRUPTED);
    run_set(run, RK_VERDICT_PASS, json_false());
    run_set(run, RK_VERDICT_STATUS, json_string(failed ? "fail" : interrupted ? "incomplete" : "partial"));
    return failed ? GATE_FAIL : interrupted ? GATE_UNKNOWN : GATE_PASS;
}

enum gate_status gates_capacity_verdict(json_t *run)
{
    enum gate_status v = gates_bench_verdict(run);
    json_t *capj = run_get(run, RK_CAPACITY), *reasons = run_get(run, RK_VERDICT_REASONS);
    json_t *req = run_get(run, RK_CAP_REQUIRED);
    json_t *ans = run_get(run, RK_CAP_MSG_S);
    double answer = json_is_number(ans) ? json_number_value(ans) : NAN;
    struct gate g = {.kind = G_COUNT, .has_min = json_is_number(req), .min = json_number_value(req)};
    char why[200] = "";
    enum gate_status st = GATE_PASS;
    if (!capj || isnan(answer)) {
        st = GATE_FAIL;
        snprintf(why, sizeof why, "no rate held the SLO");
    } else if (!run_true(run, RK_CAP_CONFIRMED)) {
        /* an answer the hold did not confirm is not stated as one */
        st = run_true(run, RK_INTERRUPTED) ? GATE_UNKNOWN : GATE_FAIL;
        snprintf(why, sizeof why, "%.0f msg/s was not confirmed by the hold", answer);
    } else if (g.has_min && answer < g.min) {
        st = GATE_FAIL;
        snprintf(why, sizeof why, "capacity %.0f msg/s is below the required %.0f", answer, g.min);
    }
    if (why[0]) json_array_append_new(reasons, json_string(why));
    json_array_append_new(run_get(run, RK_VERDICT_GATES), gate_json("performance", "capacity", st, "/s", answer, &g,
                                                                      st == GATE_UNKNOWN ? why : ""));
    if (st == GATE_FAIL || v == GATE_FAIL) v = GATE_FAIL;
    else if (st == GATE_UNKNOWN) v = GATE_UNKNOWN;
    set_verdict(run, v, json_incref(run_get(run, RK_VERDICT_GATES)), json_incref(reasons));
    return v;
}
