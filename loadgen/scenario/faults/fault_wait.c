/* wait: holds the timeline until the broker (every node of a cluster) runs
 * again, at most timeout: (60 s unless given); a broker still down fails
 * the step. */
#include "faults.h"
#include "broker.h"
#include "proc.h"
#include "cluster.h"
#include "timeline.h"
#include "util.h"

#include <stdio.h>

static int wait_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    uint64_t deadline = clock_ns() + tl->sc->faults[fi].timeout_ns;
    struct cluster *c = tl->env.cluster;
    struct broker *b = tl->env.broker;
    (void)note;
    for (;;) {
        int up = 0, n = c ? c->n : 1;
        if (c)
            for (int i = 1; i <= c->n; i++) up += cluster_node_running(c, i) && !c->nodes[i - 1].paused;
        else up = !b || broker_status(b) == BROKER_RUNNING;
        if (up == n) return 0;
        if (proc_stop) return snprintf(err, cap, "interrupted"), -1;
        if (clock_ns() > deadline)
            return c ? snprintf(err, cap, "%d of %d nodes up", up, n) : snprintf(err, cap, "broker not up"), -1;
        sleep_ns(100 * NS_PER_MS);
    }
}

static const struct fault_ops actions[] = {
    {"wait", FN_STEP, wait_, NULL},
    {NULL, 0, NULL, NULL},
};

const struct fault_family fault_family_wait = {.name = "wait", .actions = actions};
