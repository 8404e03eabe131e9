/* The gates on run.json fixtures: the actual value of each gate, min/max
 * and floor semantics, unknown (never PASS) for what cannot be decided, and
 * the verdict with faults_failed, an incomplete drain and an interruption. */
#include "config.h"
#include "gates.h"
#include "unit.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static json_t *fixture(const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"totals\": {\"lost\": 0, \"unique\": 2000, \"duplicates_total\": 7, \"duplicates_unexplained\": 2,"
             " \"out_of_order\": 3, \"indeterminate\": 4, \"duplicate_effects\": 5, \"dead_lettered\": 6,"
             " \"bad_foreign\": 1, \"bad_truncated\": 1, \"bad_version\": 1, \"bad_checksum\": 1, \"stale_run\": 1},"
             " \"latency\": {\"e2e\": {\"p50\": 1.5, \"p99\": 9.5}, \"confirm\": {\"p99\": 2.5}},"
             " \"rates\": {\"consumed\": 400},"
             " \"availability\": {\"worst_recovery_s\": 1.25, \"longest_no_confirm_s\": 2},"
             " \"drain\": {\"ended\": \"complete\", \"still_queued\": 0}, \"faults\": [], \"interrupted\": false%s}",
             extra);
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fprintf(stderr, "fixture: %s\n", e.text);
    return j;
}

static struct gate max_gate(enum gate_kind k, double max)
{
    return (struct gate){.kind = k, .has_max = true, .max = max};
}

static const char *status_of(json_t *run)
{
    return json_string_value(json_object_get(json_object_get(run, "verdict"), "status"));
}

static void actuals(void)
{
    json_t *r = fixture("");
    CHECK(gates_actual(G_LOST, r) == 0);
    CHECK(gates_actual(G_UNEXPECTED, r) == 5); /* foreign, truncated, version, checksum, stale */
    CHECK(gates_actual(G_DUPLICATES, r) == 7 && gates_actual(G_UNEXPLAINED_DUPLICATES, r) == 2);
    CHECK(gates_actual(G_ORDER_VIOLATIONS, r) == 3 && gates_actual(G_INDETERMINATE, r) == 4);
    CHECK(gates_actual(G_DUPLICATE_EFFECTS, r) == 5 && gates_actual(G_DEAD_LETTERED, r) == 6);
    CHECK(gates_actual(G_CONSUMED, r) == 2000 && gates_actual(G_THROUGHPUT, r) == 400);
    CHECK(gates_actual(G_RECOVERY, r) == 1250 && gates_actual(G_UNAVAILABLE, r) == 2000);
    CHECK(gates_actual(G_E2E_P50, r) == 1.5 && gates_actual(G_E2E_P99, r) == 9.5);
    CHECK(gates_actual(G_CONFIRM_P99, r) == 2.5);
    json_decref(r);
    /* lost not computable (null) is NaN; a recovery that never came is +inf. */
    r = fixture(", \"x\": 0");
    json_object_set_new(json_object_get(r, "totals"), "lost", json_null());
    json_object_set_new(json_object_get(r, "availability"), "worst_recovery_s", json_null());
    CHECK(isnan(gates_actual(G_LOST, r)));
    CHECK(isinf(gates_actual(G_RECOVERY, r)));
    json_decref(r);
}

static void table(void)
{
    CHECK(gates_lookup("lost") == G_LOST && gates_lookup("unavailable") == G_UNAVAILABLE);
    CHECK(gates_lookup("happiness") == -1 && gates_lookup(NULL) == -1);
    for (int i = 0; i < G_COUNT; i++) CHECK(gates_lookup(gate_defs[i].name) == i);
    CHECK(gate_defs[G_THROUGHPUT].floor && gate_defs[G_CONSUMED].floor && !gate_defs[G_LOST].floor);
    CHECK(!strcmp(gate_defs[G_RECOVERY].unit, "ms") && !strcmp(gate_defs[G_THROUGHPUT].unit, "/s"));
    CHECK(!strcmp(gate_defs[G_LOST].guarantee, "durability"));
}

static void judging(void)
{
    char why[200];
    struct gate mx = max_gate(G_DUPLICATES, 10), mn = {.kind = G_THROUGHPUT, .has_min = true, .min = 100};
    CHECK(gates_judge(&mx, 10, 0, why, sizeof why) == GATE_PASS);
    CHECK(gates_judge(&mx, 11, 0, why, sizeof why) == GATE_FAIL);
    CHECK(gates_judge(&mn, 100, 0, why, sizeof why) == GATE_PASS);
    CHECK(gates_judge(&mn, 99, 0, why, sizeof why) == GATE_FAIL);
    struct gate both = {.kind = G_CONSUMED, .has_min = true, .min = 5, .has_max = true, .max = 5};
    CHECK(gates_judge(&both, 5, 0, why, sizeof why) == GATE_PASS);
    CHECK(gates_judge(&both, 4, 0, why, sizeof why) == GATE_FAIL &&
          gates_judge(&both, 6, 0, why, sizeof why) == GATE_FAIL);
    /* Not computable: unknown, never pass. */
    CHECK(gates_judge(&mx, NAN, 0, why, sizeof why) == GATE_UNKNOWN && strstr(why, "not computable"));
    /* lost with 30 still queued: 20 lost may be in the queue (unknown); 50 lost cannot all be. */
    struct gate lost = max_gate(G_LOST, 0);
    CHECK(gates_judge(&lost, 20, 30, why, sizeof why) == GATE_UNKNOWN && strstr(why, "30 still queued"));
    CHECK(gates_judge(&lost, 50, 30, why, sizeof why) == GATE_FAIL);
    CHECK(gates_judge(&lost, 1, INFINITY, why, sizeof why) == GATE_UNKNOWN);
    /* A consumed floor the queued ones would reach is unknown. */
    struct gate floor = {.kind = G_CONSUMED, .has_min = true, .min = 100};
    CHECK(gates_judge(&floor, 90, 20, why, sizeof why) == GATE_UNKNOWN);
    CHECK(gates_judge(&floor, 50, 20, why, sizeof why) == GATE_FAIL);
    /* Other gates are not excused by a queue. */
    CHECK(gates_judge(&mx, 11, 5, why, sizeof why) == GATE_FAIL);
}

static void verdicts(void)
{
    struct gate gs[] = {max_gate(G_LOST, 0), max_gate(G_UNEXPECTED, 5), max_gate(G_RECOVERY, 2000)};
    json_t *r = fixture("");
    CHECK(gates_verdict(gs, 3, false, r, NULL) == GATE_PASS && !strcmp(status_of(r), "pass"));
    json_t *g = json_object_get(json_object_get(r, "verdict"), "gates");
    CHECK(json_array_size(g) == 3);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(g, 1), "guarantee")), "idempotency"));
    CHECK(json_number_value(json_object_get(json_array_get(g, 2), "actual")) == 1250);
    /* One failed step: faults_failed fails, and the reason names it. */
    json_array_append_new(json_object_get(r, "faults"),
                          json_pack("{s:s, s:b, s:b, s:f, s:s}", "action", "kill", "ok", 0, "revert", 0,
                                    "started_s", 2.0, "error", "not running"));
    CHECK(gates_verdict(gs, 3, true, r, NULL) == GATE_FAIL && !strcmp(status_of(r), "fail"));
    json_t *v = json_object_get(r, "verdict");
    CHECK(json_array_size(json_object_get(v, "gates")) == 4);
    CHECK(strstr(json_string_value(json_array_get(json_object_get(v, "reasons"), 0)),
                 "kill at 2.00s failed: not running"));
    json_decref(r);
    /* A drain that gave up with lost ones possibly still queued: incomplete. */
    r = fixture("");
    json_object_set_new(json_object_get(r, "totals"), "lost", json_integer(3));
    json_object_set_new(r, "drain", json_pack("{s:s, s:i}", "ended", "timeout", "still_queued", 10));
    CHECK(gates_verdict(gs, 1, false, r, NULL) == GATE_UNKNOWN && !strcmp(status_of(r), "incomplete"));
    json_decref(r);
    /* Interrupted: never a pass, whatever the gates say. */
    r = fixture("");
    json_object_set_new(r, "interrupted", json_true());
    CHECK(gates_verdict(gs, 3, false, r, NULL) == GATE_UNKNOWN);
    CHECK(json_is_false(json_object_get(json_object_get(r, "verdict"), "pass")));
    json_decref(r);
    /* A recovery that never came fails its limit. */
    r = fixture("");
    json_object_set_new(json_object_get(r, "availability"), "worst_recovery_s", json_null());
    CHECK(gates_verdict(&gs[2], 1, false, r, NULL) == GATE_FAIL);
    json_decref(r);
}

/* A bench run has no gates: its health, lost and interruption decide. */
static void bench_verdicts(void)
{
    json_t *r = fixture(", \"health\": {\"pass\": true, \"reasons\": []}");
    CHECK(gates_bench_verdict(r) == GATE_PASS && !strcmp(status_of(r), "pass"));
    CHECK(json_array_size(json_object_get(json_object_get(r, "verdict"), "gates")) == 0);
    json_object_set_new(json_object_get(r, "totals"), "lost", json_null()); /* not computable: no claim */
    CHECK(gates_bench_verdict(r) == GATE_PASS);
    json_object_set_new(json_object_get(r, "totals"), "lost", json_integer(3));
    CHECK(gates_bench_verdict(r) == GATE_FAIL && !strcmp(status_of(r), "fail"));
    json_t *why = json_array_get(json_object_get(json_object_get(r, "verdict"), "reasons"), 0);
    CHECK(!strcmp(json_string_value(why), "3 confirmed messages lost"));
    json_decref(r);
    r = fixture(", \"health\": {\"pass\": false, \"reasons\": [\"nothing was published\"]}");
    CHECK(gates_bench_verdict(r) == GATE_FAIL);
    why = json_array_get(json_object_get(json_object_get(r, "verdict"), "reasons"), 0);
    CHECK(!strcmp(json_string_value(why), "nothing was published"));
    json_decref(r);
    r = fixture(", \"health\": {\"pass\": true, \"reasons\": []}");
    json_object_set_new(r, "interrupted", json_true());
    CHECK(gates_bench_verdict(r) == GATE_UNKNOWN && !strcmp(status_of(r), "incomplete"));
    json_decref(r);
}

/* One instance of a sharded run: partial unless it failed by itself. */
static void partial(void)
{
    json_t *r = fixture(", \"health\": {\"pass\": true, \"reasons\": []}");
    CHECK(gates_partial(r, gates_bench_verdict(r)) == GATE_PASS && !strcmp(status_of(r), "pass")); /* whole run */
    json_object_set_new(r, "config", json_pack("{s:{s:i, s:i}}", "instance", "index", 2, "of", 3));
    struct gate g = max_gate(G_LOST, 0);
    CHECK(gates_partial(r, gates_verdict(&g, 1, false, r, NULL)) == GATE_PASS && !strcmp(status_of(r), "partial"));
    json_t *v = json_object_get(r, "verdict"), *g0 = json_array_get(json_object_get(v, "gates"), 0);
    CHECK(json_is_false(json_object_get(v, "pass")) &&
          !strcmp(json_string_value(json_object_get(g0, "status")), "partial"));
    CHECK(strstr(json_string_value(json_array_get(json_object_get(v, "reasons"), 0)), "instance 2 of 3") != NULL);
    /* its own failed step is a failure of its own */
    json_array_append_new(json_object_get(r, "faults"), json_pack("{s:b, s:s, s:s, s:f}", "ok", 0, "action", "kill",
                                                                  "error", "no such node", "started_s", 3.0));
    CHECK(gates_partial(r, gates_verdict(&g, 1, true, r, NULL)) == GATE_FAIL && !strcmp(status_of(r), "fail"));
    json_decref(r);
    r = fixture(", \"health\": {\"pass\": true, \"reasons\": []}, \"interrupted\": true");
    json_object_set_new(r, "config", json_pack("{s:{s:i, s:i}}", "instance", "index", 0, "of", 2));
    CHECK(gates_partial(r, gates_bench_verdict(r)) == GATE_UNKNOWN && !strcmp(status_of(r), "incomplete"));
    json_decref(r);
}

/* A run of four whole seconds with these confirms and deliveries, and one
 * fault injected at 0.5 s. */
static json_t *four_seconds(const int confirmed[4], const int consumed[4], const char *action)
{
    json_t *series = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(series, json_pack("{s:f, s:f, s:i, s:i}", "t", (double)i, "length", 1.0, "confirmed",
                                                confirmed[i], "consumed", consumed[i]));
    return json_pack("{s:o, s:{s:[{s:i, s:s, s:f}]}}", "series", series, "availability", "faults", "fault", 0,
                     "action", action, "injected_s", 0.5);
}

/* Recovery from the series, for the faults listed with their injection. */
static void availability(void)
{
    json_t *r = four_seconds((const int[]){5, 0, 3, 4}, (const int[]){5, 0, 0, 4}, "kill");
    gates_availability(r, true, true, 4);
    json_t *a = json_object_get(r, "availability"), *f = json_array_get(json_object_get(a, "faults"), 0);
    /* the first whole second after 0.5 s with both confirms and deliveries ends at 4 */
    CHECK(json_real_value(json_object_get(f, "recovery_s")) == 3.5);
    CHECK(json_real_value(json_object_get(a, "worst_recovery_s")) == 3.5);
    CHECK(json_real_value(json_object_get(a, "longest_no_confirm_s")) == 1);
    gates_availability(r, true, false, 4); /* producers only: confirms suffice */
    CHECK(json_real_value(json_object_get(f, "recovery_s")) == 2.5);
    json_decref(r);
    /* Confirms back in second 2, deliveries in second 3, never in one
     * second together: recovered at the later, 3.5 s (issue 27 §4: a load
     * that delivered everything read "never"). */
    r = four_seconds((const int[]){5, 0, 3, 0}, (const int[]){5, 0, 0, 4}, "stop");
    gates_availability(r, true, true, 4);
    f = json_array_get(json_object_get(json_object_get(r, "availability"), "faults"), 0);
    CHECK(json_real_value(json_object_get(f, "recovery_s")) == 3.5);
    CHECK(json_real_value(json_object_get(f, "watched_s")) == 3.5);
    /* Publishing ended at 2 s with no confirm since the fault: not back
     * (null), watched 1.5 s; a limit of 1 s fails, one of 10 s is
     * undecided, never a FAIL the run could not see. */
    json_object_set_new(json_array_get(json_object_get(r, "series"), 2), "confirmed", json_integer(0));
    gates_availability(r, true, true, 2);
    CHECK(json_is_null(json_object_get(f, "recovery_s")));
    CHECK(json_real_value(json_object_get(f, "watched_s")) == 1.5);
    struct gate tight = max_gate(G_RECOVERY, 1000), loose = max_gate(G_RECOVERY, 10000);
    CHECK(gates_verdict(&tight, 1, true, r, NULL) == GATE_FAIL);
    CHECK(gates_verdict(&loose, 1, true, r, NULL) == GATE_UNKNOWN && !strcmp(status_of(r), "incomplete"));
    json_decref(r);
}

/* capacity --require: a confirmed answer below the floor fails, one at or
 * above it passes, and no floor passes any confirmed answer. */
static void capacity_required(void)
{
    double req[] = {600, 500, -1};
    enum gate_status want[] = {GATE_FAIL, GATE_PASS, GATE_PASS};
    for (int i = 0; i < 3; i++) {
        json_t *r = json_pack("{s:{s:b, s:[]}, s:{s:i}, s:b, s:{s:f, s:b, s:o}}", "health", "pass", 1, "reasons",
                              "totals", "lost", 0, "interrupted", 0, "capacity", "msg_s", 500.0, "confirmed", 1,
                              "required", req[i] < 0 ? json_null() : json_real(req[i]));
        CHECK(gates_capacity_verdict(r) == want[i]);
        json_decref(r);
    }
}

/* The one computable rule: each need, in the order it is told, and the
 * facts a config gives it (config_gate_load). */
static void computable(void)
{
    struct gate_load all = {.confirm = true, .producers = 1, .consumers = 1, .effects = true, .effect_times = true,
                            .http = true};
    for (int k = 0; k < G_COUNT; k++) /* an API run: only its own gates */
        CHECK((gates_computable((enum gate_kind)k, &all) == NULL) == !!(gate_defs[k].needs & GN_HTTP));
    CHECK(!strncmp(gates_computable(G_RECOVERY, &all), "an API run's gates are", 22));
    all.http = false;
    for (int k = 0; k < G_COUNT; k++)
        CHECK(gates_computable((enum gate_kind)k, &all) == NULL || gate_defs[k].needs & GN_HTTP);
    all.http = true;
    /* an API's gates need load.http; its events need effects too */
    struct gate_load api = all;
    api.http = false;
    CHECK(!strcmp(gates_computable(G_LOST_EVENTS, &api), "needs load.http (requests to an API)"));
    CHECK(!strcmp(gates_computable(G_HTTP_ERRORS, &api), "needs load.http (requests to an API)"));
    api = all;
    api.effects = false;
    CHECK(!strcmp(gates_computable(G_LOST_EVENTS, &api), "needs services and an effects: block"));
    CHECK(gates_computable(G_HTTP_P99, &api) == NULL);
    /* a service run's gates need its effects; its duplicate effects are the service's */
    all.http = false; /* an AMQP load from here */
    struct gate_load own = all;
    own.effects = false;
    CHECK(!strcmp(gates_computable(G_LOST_EFFECTS, &own), "needs services and an effects: block"));
    CHECK(gates_computable(G_DUPLICATE_EFFECTS, &own) == NULL);
    struct gate_load db = all;
    db.effect_times = false;
    CHECK(!strcmp(gates_computable(G_EFFECT_P99, &db), "needs effects from a queue (a database's rows carry no time)"));
    CHECK(gates_computable(G_LOST_EFFECTS, &db) == NULL);
    struct gate_load svc = all;
    svc.consumers = 0;
    CHECK(gates_computable(G_DUPLICATE_EFFECTS, &svc) == NULL && gates_computable(G_EFFECT_P99, &svc) == NULL);
    struct gate_load l = all;
    l.confirm = false;
    CHECK(!strcmp(gates_computable(G_LOST, &l), "needs publisher confirms (load.confirm)"));
    CHECK(!strcmp(gates_computable(G_UNROUTABLE, &l), "needs publisher confirms (load.confirm)"));
    CHECK(gates_computable(G_MISROUTED, &l) == NULL && gates_computable(G_CONSUMED, &l) == NULL);
    l = all, l.consumers = 0;
    CHECK(!strcmp(gates_computable(G_LOST, &l), "needs consumers"));
    CHECK(!strcmp(gates_computable(G_E2E_P99, &l), "needs consumers"));
    CHECK(gates_computable(G_CONFIRM_P99, &l) == NULL && gates_computable(G_UNROUTABLE, &l) == NULL);
    l = all, l.producers = 0;
    CHECK(!strcmp(gates_computable(G_CONFIRM_P99, &l), "needs producers"));
    CHECK(gates_computable(G_LOST, &l) == NULL); /* a consumer-only load still judges what it read */
    l = all, l.routes_unknown = "why";
    CHECK(!strcmp(gates_computable(G_LOST, &l), "why") && !strcmp(gates_computable(G_MISROUTED, &l), "why"));
    CHECK(gates_computable(G_DUPLICATES, &l) == NULL);
    for (int k = 0; k < G_COUNT; k++) CHECK(gates_computable((enum gate_kind)k, &(struct gate_load){0}) ||
                                            !gate_defs[k].needs);

    struct config c;
    config_init(&c);
    char err[300];
    CHECK(!config_apply(&c, "confirm", "10", err, sizeof err) && !config_apply(&c, "consumers", "2", err, sizeof err));
    config_gate_load(&c, &l);
    CHECK(l.confirm && l.consumers == 2 && l.producers == c.producers && !l.routes_unknown);
    CHECK(!config_apply(&c, "exchange", "ex", err, sizeof err) && !config_apply(&c, "queues", "300", err, sizeof err));
    config_gate_load(&c, &l);
    CHECK(l.routes_unknown && strstr(l.routes_unknown, "256"));
    config_free(&c);
}

/* docs/scenarios.md's gate table names every gate of gate_defs, and no
 * other; gates_names() lists them all (the parser's message). */
static void documented(void)
{
    FILE *f = fopen("docs/scenarios.md", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[2048];
    bool in = false, seen[G_COUNT] = {false};
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "## ", 3)) in = !strncmp(line, "## Gates", 8);
        if (!in || strncmp(line, "| `", 3)) continue;
        char *end = strchr(line + 1, '|');
        for (char *p = line; end && (p = strchr(p, '`')) && p < end; p++) {
            char *q = strchr(p + 1, '`');
            if (!q || q > end) break;
            *q = 0;
            int g = gates_lookup(p + 1);
            if (g < 0) fprintf(stderr, "docs/scenarios.md: gate `%s` is not in gate_defs\n", p + 1);
            CHECK(g >= 0);
            if (g >= 0) seen[g] = true;
            p = q;
        }
    }
    fclose(f);
    for (int k = 0; k < G_COUNT; k++) {
        if (!seen[k]) fprintf(stderr, "docs/scenarios.md: gate `%s` is not in the Gates table\n", gate_defs[k].name);
        CHECK(seen[k]);
        CHECK(strstr(gates_names(), gate_defs[k].name) != NULL);
    }
}

/* A service run's gates read effects: lost_effects is unknown while inputs
 * are still queued and a bound when the end read could not read a queue;
 * effect_p99 null is never; duplicate_effects is the service's. */
static void service_verdicts(void)
{
    static const struct {
        const char *effects;
        enum gate_kind k;
        enum gate_status want;
    } cases[] = {
        {"\"lost\": 0, \"lost_at_most\": 0, \"pending\": 0", G_LOST_EFFECTS, GATE_PASS},
        {"\"lost\": 2, \"lost_at_most\": 2, \"pending\": 0", G_LOST_EFFECTS, GATE_FAIL},
        {"\"lost\": 0, \"lost_at_most\": 0, \"pending\": 5", G_LOST_EFFECTS, GATE_UNKNOWN},
        {"\"lost\": 3, \"lost_at_most\": 3, \"pending\": 5", G_LOST_EFFECTS, GATE_FAIL}, /* lost regardless */
        {"\"lost\": null, \"lost_at_most\": 4, \"pending\": 0", G_LOST_EFFECTS, GATE_UNKNOWN}, /* may be unread */
        {"\"lost\": null, \"lost_at_most\": 0, \"pending\": 0", G_LOST_EFFECTS, GATE_PASS},
        {"\"p99_ms\": 120.5", G_EFFECT_P99, GATE_PASS},
        {"\"p99_ms\": 2500", G_EFFECT_P99, GATE_FAIL},
        {"\"p99_ms\": null", G_EFFECT_P99, GATE_FAIL},
        {"\"duplicates\": 0", G_DUPLICATE_EFFECTS, GATE_PASS}, /* totals.duplicate_effects is 5 */
        {"\"duplicates\": 1", G_DUPLICATE_EFFECTS, GATE_FAIL},
        {"\"unexpected\": 1", G_UNEXPECTED_EFFECTS, GATE_FAIL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[300];
        snprintf(extra, sizeof extra, ", \"effects\": {%s}", cases[i].effects);
        json_t *r = fixture(extra);
        struct gate g = max_gate(cases[i].k, cases[i].k == G_EFFECT_P99 ? 1000 : 0);
        enum gate_status st = gates_verdict(&g, 1, false, r, NULL);
        if (st != cases[i].want) fprintf(stderr, "service case %zu: %d, want %d\n", i, st, cases[i].want);
        CHECK(st == cases[i].want);
        json_decref(r);
    }
    /* not a service run: null p99 is not computable, never a PASS */
    json_t *r = fixture("");
    struct gate g = max_gate(G_EFFECT_P99, 1000);
    CHECK(gates_verdict(&g, 1, false, r, NULL) == GATE_UNKNOWN);
    json_decref(r);
}

void test_gates(void)
{
    service_verdicts();
    computable();
    documented();
    partial();
    availability();
    capacity_required();
    bench_verdicts();
    actuals();
    table();
    judging();
    verdicts();
}
