/* The broker's process: kill (SIGKILL), stop (graceful), start, restart,
 * pause (SIGSTOP) and resume, on the embedded node or, on an embedded
 * cluster, on the node the fault names. kill and stop are undone by a
 * start, pause by a resume. */
#include "faults.h"
#include "broker.h"
#include "cluster.h"
#include "timeline.h"

#include <stdio.h>

static int node(struct timeline *tl, int fi, bool revert, enum fault_want want, struct step_note *note, char *err,
                size_t cap)
{
    return fault_cluster_node(tl, fi, revert, want, note, err, cap);
}

static int kill_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (!c) return broker_kill(tl->env.broker, err, cap);
    int n = node(tl, fi, false, WANT_UP, note, err, cap);
    return n < 0 ? -1 : cluster_node_kill(c, n, err, cap);
}

static int stop(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (!c) return broker_stop(tl->env.broker, true, err, cap);
    int n = node(tl, fi, false, WANT_UP, note, err, cap);
    return n < 0 ? -1 : cluster_node_stop(c, n, err, cap);
}

/* start, and the revert of kill and stop: a running broker is left alone. */
static int start_on(struct timeline *tl, int fi, bool revert, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    struct broker *b = tl->env.broker;
    if (!c) return broker_status(b) != BROKER_STOPPED ? 0 : broker_restart(b, err, cap);
    int n = node(tl, fi, revert, WANT_DOWN, note, err, cap);
    return n < 0 ? -1 : cluster_node_start(c, n, err, cap);
}

static int start(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    return start_on(tl, fi, false, note, err, cap);
}

static int unkill(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    return start_on(tl, fi, true, note, err, cap);
}

static int restart(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (!c) return broker_restart(tl->env.broker, err, cap);
    int n = node(tl, fi, false, WANT_UP, note, err, cap);
    return n < 0 || cluster_node_stop(c, n, err, cap) ? -1 : cluster_node_start(c, n, err, cap);
}

static int pause_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (!c) return broker_pause(tl->env.broker, err, cap);
    int n = node(tl, fi, false, WANT_UP, note, err, cap);
    return n < 0 ? -1 : cluster_node_pause(c, n, err, cap);
}

/* resume, and the revert of pause: a broker that is not paused is left alone. */
static int resume_on(struct timeline *tl, int fi, bool revert, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    struct broker *b = tl->env.broker;
    if (!c) return broker_status(b) == BROKER_PAUSED ? broker_resume(b, err, cap) : 0;
    int n = node(tl, fi, revert, WANT_PAUSED, note, err, cap);
    return n < 0 ? -1 : cluster_node_resume(c, n, err, cap);
}

static int resume(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    return resume_on(tl, fi, false, note, err, cap);
}

static int unpause(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    return resume_on(tl, fi, true, note, err, cap);
}

/* The embedded node running and not paused (a cluster heals with its network). */
static int heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    struct broker *b = tl->env.broker;
    (void)note;
    if (!b) return 0;
    enum broker_state st = broker_status(b);
    char why[500] = "";
    int rc = st == BROKER_PAUSED ? broker_resume(b, why, sizeof why)
             : st == BROKER_STOPPED ? broker_restart(b, why, sizeof why) : 0;
    if (rc) snprintf(err, cap, "broker: %s", why);
    return rc;
}

#define NODE_FAULT (FN_BROKER | FN_SHARED | FN_NODE | FN_ON_NODE)

static const struct fault_ops actions[] = {
    {"kill", NODE_FAULT, kill_, unkill},
    {"stop", NODE_FAULT, stop, unkill},
    {"start", NODE_FAULT, start, NULL},
    {"restart", NODE_FAULT, restart, NULL},
    {"pause", NODE_FAULT, pause_, unpause},
    {"resume", NODE_FAULT, resume, NULL},
    {NULL, 0, NULL, NULL},
};

const struct fault_family fault_family_broker = {
    .name = "broker", .actions = actions, .heal = heal,
};
