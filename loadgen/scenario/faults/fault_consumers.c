/* loadgen's own consumers: crash drops the connections of the consumers
 * of one of the scenario's queues (queue:, or all) without an AMQP close,
 * as a killed process's drop; they reconnect after `for:`. */
#include "faults.h"
#include "bench.h"
#include "../scenario_int.h"
#include "timeline.h"

#include <stdio.h>

/* A crash that hit no connection is an error, never a silent pass. */
static int crash(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    (void)note;
    if (!tl->env.run) return snprintf(err, cap, "no workers"), -1;
    int conns = bench_crash_consumers(tl->env.run, f->queue_idx, f->for_ns, err, cap);
    if (conns < 0) return -1;
    if (!conns) return snprintf(err, cap, "no consumer connection reads %s", f->queue ? f->queue : "any queue"), -1;
    return 0;
}

static const struct fault_ops actions[] = {
    {"crash", 0, crash, NULL}, /* the reconnect after for: is the workers' own */
    {NULL, 0, NULL, NULL},
};

void fault_check_consumers_of(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f)
{
    f->queue_idx = f->queue ? sc_queue_index(&x->sc->cfg, f->queue) : -1;
    if (f->queue && f->queue_idx < 0) sc_err(x, n, field, "queue '%s' is not one of the topology's queues", f->queue);
    if (!x->sc->cfg.consumers) sc_err(x, n, field, "action %s needs consumers", f->ops->name);
}

static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    if (f->ops == &actions[0]) fault_check_consumers_of(x, n, field, f);
}

const struct fault_family fault_family_consumers = {
    .name = "consumers", .actions = actions, .check = check,
};
