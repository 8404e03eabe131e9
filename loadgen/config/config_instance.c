/* Scale-out: one logical run over many loadgen processes (a Kubernetes
 * Indexed Job, or N processes by hand). Each takes a share of the global
 * producers and consumers by global id; a producer's send interval stays
 * producers_total / rate, so a share of producers sends its share of the
 * rate. Every instance must carry the same run id (consumers count other
 * run ids as stale). docs/scale-out.md. */
#include "config.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSTANCES_MAX 1024

static int ids(const char *v, int out[2], char *err, size_t cap)
{
    char *end;
    long a = strtol(v, &end, 10), b;
    if (end == v || *end != '-') return snprintf(err, cap, "'%s' is not a range A-B", v), -1;
    const char *s = end + 1;
    b = strtol(s, &end, 10);
    if (end == s || *end || a < 0 || b < a || b >= 100000) return snprintf(err, cap, "'%s' is not a range A-B", v), -1;
    out[0] = (int)a, out[1] = (int)b + 1;
    return 0;
}

int config_instance_option(struct config *c, int which, const char *v, char *err, size_t cap)
{
    char *end;
    switch (which) {
    case 0: {
        long i = strtol(v, &end, 10), n;
        if (end == v || *end != '/') return snprintf(err, cap, "'%s' is not I/N (e.g. 0/3)", v), -1;
        const char *s = end + 1;
        n = strtol(s, &end, 10);
        if (end == s || *end || n < 1 || n > INSTANCES_MAX || i < 0 || i >= n)
            return snprintf(err, cap, "'%s' is not I/N with 0 <= I < N <= %d", v, INSTANCES_MAX), -1;
        c->instance = (int)i, c->instances = (int)n;
        return 0;
    }
    case 1: {
        unsigned long id = strtoul(v, &end, 16);
        if (end == v || *end || strlen(v) > 8 || !id)
            return snprintf(err, cap, "'%s' is not a run id (1 to 8 hex digits, not 0)", v), -1;
        c->run_id = (uint32_t)id;
        return 0;
    }
    case 2: {
        double t = strtod(v, &end);
        if (end == v || *end || !(t > 1e9) || t > 1e11)
            return snprintf(err, cap, "'%s' is not a wall-clock time (seconds since the epoch)", v), -1;
        c->start_at = t;
        return 0;
    }
    case 3: return ids(v, c->ids_given[0], err, cap);
    case 4: return ids(v, c->ids_given[1], err, cap);
    }
    return snprintf(err, cap, "unknown option"), -1;
}

void config_instance_whole(struct config *c)
{
    if (c->sharded) return;
    c->producers_total = c->producers, c->consumers_total = c->consumers;
    c->producer_base = c->consumer_base = 0;
}

int config_instance_validate(struct config *c, char *err, size_t cap)
{
    if (c->sharded) return 0;
    if (!c->instances) {
        const char *i = getenv("JOB_COMPLETION_INDEX"), *n = getenv("LOADGEN_INSTANCES");
        char spec[64];
        if (i && n) {
            snprintf(spec, sizeof spec, "%s/%s", i, n);
            if (config_instance_option(c, 0, spec, err, cap)) return -1;
        } else if (i || n) /* half a Job's environment would run the whole load in every pod */
            return snprintf(err, cap, "%s is set but %s is not: an Indexed Job's pod needs both (or --instance I/N)",
                            i ? "JOB_COMPLETION_INDEX" : "LOADGEN_INSTANCES",
                            i ? "LOADGEN_INSTANCES" : "JOB_COMPLETION_INDEX"), -1;
    }
    bool given = c->ids_given[0][1] || c->ids_given[1][1];
    if (c->instances <= 1 && !given) {
        if (c->run_id && !c->instances)
            return snprintf(err, cap, "--run-id names the instances of a sharded run: give --instance I/N too "
                            "(alone it would be ignored)"), -1;
        return 0;
    }
    /* the merge's ledger is per (queue, producer): what a routed topology
     * must deliver where needs the route model over every instance */
    if (config_routed(c))
        return snprintf(err, cap, "--instance: a sharded run uses queues without exchanges or a topology "
                        "(the merge does not model routing yet)"), -1;
    if (c->uri == NULL && c->instances > 1)
        return snprintf(err, cap, "--instance runs against a shared broker: give its --uri"), -1;
    if (!c->run_id && !c->start_at)
        return snprintf(err, cap, "--instance needs --run-id (or --start-at, from which every instance derives the "
                        "same run id)"), -1;
    if (!c->run_id) c->run_id = (uint32_t)((uint64_t)(c->start_at * 1000) * 2654435761u) | 1;
    int *total[2] = {&c->producers, &c->consumers}, *base[2] = {&c->producer_base, &c->consumer_base};
    const char *what[2] = {"producer", "consumer"};
    for (int k = 0; k < 2; k++) {
        int all = *total[k], lo, hi;
        if (c->ids_given[k][1]) {
            lo = c->ids_given[k][0], hi = c->ids_given[k][1];
            if (hi > all)
                return snprintf(err, cap, "--%s-ids %d-%d: the load has %d %ss", what[k], lo, hi - 1, all, what[k]), -1;
        } else if (given) {
            lo = hi = 0; /* an explicit layout: what is not given, this instance does not run */
        } else {
            lo = (int)((long long)all * c->instance / c->instances);
            hi = (int)((long long)all * (c->instance + 1) / c->instances);
        }
        *base[k] = lo;
        *total[k] = hi - lo;
    }
    if (!c->producers && !c->consumers)
        return snprintf(err, cap, "instance %d of %d has no producer and no consumer", c->instance, c->instances), -1;
    /* queues are shared: no instance deletes them under another */
    c->keep_queues = true;
    c->sharded = true;
    if (c->threads > c->producers + c->consumers) c->threads = c->producers + c->consumers;
    return 0;
}
