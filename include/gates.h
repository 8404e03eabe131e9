/* gates: the scenario's pass/fail limits, one table of what each gate is
 * (name, guarantee, unit, where its value is in run.json), and the verdict,
 * computed from a run.json alone: run writes it, and anything that reads a
 * run directory can recompute it the same way. */
#ifndef LOADGEN_GATES_H
#define LOADGEN_GATES_H

#include "run_schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum gate_kind {
    G_LOST, G_UNEXPECTED, G_DUPLICATES, G_UNEXPLAINED_DUPLICATES, G_ORDER_VIOLATIONS,
    G_RECOVERY, G_E2E_P50, G_E2E_P99, G_CONFIRM_P99, G_THROUGHPUT, G_CONSUMED, G_INDETERMINATE,
    G_DUPLICATE_EFFECTS, G_DEAD_LETTERED, G_UNAVAILABLE, G_MISROUTED, G_UNROUTABLE, G_LOST_EFFECTS,
    G_UNEXPECTED_EFFECTS, G_EFFECT_P99, G_LOST_EVENTS, G_DUPLICATE_EVENTS, G_UNEXPECTED_EVENTS, G_EVENT_P99,
    G_HTTP_P99, G_HTTP_ERRORS, G_COUNT
};

/* What a gate's value is computed from (gate_def.needs): without it the
 * value is unknown, never 0 (gates_computable). */
enum gate_need {
    GN_CONFIRM = 1 << 0,   /* publisher confirms: "lost" means confirmed and never consumed */
    GN_PRODUCERS = 1 << 1, /* someone publishing */
    GN_CONSUMERS = 1 << 2, /* someone consuming */
    GN_ROUTES = 1 << 3,    /* the routing model knows where each message must go */
    GN_EFFECTS = 1 << 4,   /* a service run: an effects: block says where its results arrive */
    GN_EFFECT_TIMES = 1 << 5, /* effects consumed as they come (a queue, not a database read at the end) */
    GN_HTTP = 1 << 6,         /* load.http: requests to the user's API */
};

/* The facts of a load the rule reads: from a config (config_gate_load), or
 * from a merged run's instances. */
struct gate_load {
    bool confirm;
    int producers, consumers;  /* of the whole load */
    const char *routes_unknown; /* why the routing model cannot say where messages go, or NULL */
    bool effects;               /* a service run (effects: given): duplicate_effects is the service's */
    bool effect_times;          /* its effects come from a queue: each has a time */
    bool http;                  /* load.http: the inputs are HTTP requests, accepted with a 2xx */
};

struct gate_def {
    const char *name;      /* as written under expect: */
    const char *guarantee; /* durability, idempotency, ordering, retry, routing, performance */
    const char *unit;      /* "ms" (given as a duration), "/s", "share" (0-1), or "" for counts */
    bool floor;            /* a bare value is a minimum (else a maximum) */
    enum run_key key;      /* its actual value in run.json (RK_COUNT: computed) */
    double scale;          /* times this (seconds to ms) */
    enum run_key in;       /* the object key is read in (latency.e2e); RK_COUNT: the run */
    unsigned needs;        /* enum gate_need */
};
extern const struct gate_def gate_defs[G_COUNT];

struct gate {
    enum gate_kind kind;
    bool has_min, has_max;
    double min, max; /* durations in ms, counts as counts, throughput in msg/s */
    int line, col;   /* where the file names it */
};

enum gate_status { GATE_PASS, GATE_FAIL, GATE_UNKNOWN };

/* The gate called name, or -1. */
int gates_lookup(const char *name);
/* Every gate's name, in gate_defs' order ("lost, unexpected, ..."). */
const char *gates_names(void);
/* Why gate k cannot be computed for load l ("needs consumers"), or NULL
 * when it can: the one rule the scenario parser (refusing the gate), the
 * checker (leaving the value null) and `loadgen merge` all apply. */
const char *gates_computable(enum gate_kind k, const struct gate_load *l);
/* The gate's actual value in a run.json: NaN when it could not be computed,
 * +inf for a recovery that never came. */
double gates_actual(enum gate_kind k, json_t *run);
/* One gate against its value. queued: messages still in the broker when
 * the drain gave up (0: drained; +inf: unknown). Unknown, never PASS, when
 * the value could not be computed or the queued messages could change it;
 * why says so. */
enum gate_status gates_judge(const struct gate *g, double v, double queued, char *why, size_t cap);
/* The verdict of run.json (its totals, availability, drain, faults and
 * interrupted flag) against the gates, plus `faults_failed` when the
 * scenario had faults: sets run.verdict, prints the table to out (if not
 * NULL), returns FAIL if any gate failed, else UNKNOWN if any could not be
 * decided or the run was interrupted, else PASS. */
enum gate_status gates_verdict(const struct gate *gs, int n, bool had_faults, json_t *run, FILE *out);
/* The verdict of a bench run.json (no gates, docs/scenarios.md): FAIL when
 * its health checks failed or confirmed messages were lost, UNKNOWN when it
 * was interrupted, else PASS; sets run.verdict the same shape as
 * gates_verdict, with no gates and the reasons. */
enum gate_status gates_bench_verdict(json_t *run);
/* The verdict of a capacity run.json: the bench verdict of its confirm
 * hold plus a "capacity" gate (performance): FAIL when no capacity was
 * found and confirmed, or it is below capacity.required. */
enum gate_status gates_capacity_verdict(json_t *run);
/* An instance of a sharded run (config.instance in run.json) sees part of
 * the load, so its gates say nothing of the whole: they and the verdict
 * become "partial" (pass false), unless the instance failed by itself (its
 * health, a fault step of its own) or was interrupted. `loadgen merge`
 * decides the run over every instance. Returns v for a whole run, else
 * what the instance's exit status says: FAIL, UNKNOWN or PASS. */
enum gate_status gates_partial(json_t *run, enum gate_status v);
/* Unavailability from run.series, for the faults already listed in
 * run.availability.faults (their injected_s): each one's recovery, seconds
 * from the injection to the end of the first whole second with traffic
 * again (confirms when confirming, deliveries when consuming; null: never),
 * the worst of them, and the longest run of seconds before end_s with no
 * confirms (no deliveries when not confirming). The timeline calls it after
 * a run, `loadgen merge` over the merged series. */
void gates_availability(json_t *run, bool confirming, bool consuming, double end_s);

#endif
