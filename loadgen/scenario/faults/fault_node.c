/* Which node of an embedded cluster a fault acts on: n2, a random one in
 * the state the action needs, or the leader of a queue; its revert acts on
 * the same node. Shared by the broker and cluster-network families. */
#include "faults.h"
#include "cluster.h"
#include "timeline.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static unsigned rnd(unsigned n)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (unsigned)clock_ns();
    return n ? r % n : 0;
}

/* A random node in state want; 0 when none is. */
static int random_node(const struct cluster *c, enum fault_want want)
{
    int cand[CLUSTER_MAX_NODES], n = 0;
    for (int i = 1; i <= c->n; i++) {
        bool up = cluster_node_running(c, i), paused = c->nodes[i - 1].paused;
        bool ok = want == WANT_DOWN ? !up : want == WANT_PAUSED ? up && paused : up && !paused;
        if (ok) cand[n++] = i;
    }
    return n ? cand[rnd((unsigned)n)] : 0;
}

static int resolve(struct timeline *tl, const struct fault *f, enum fault_want want, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (f->node > 0) return f->node;
    if (f->node == NODE_LEADER) return cluster_leader_of(c, f->leader_of, err, cap);
    int n = random_node(c, want);
    if (!n) snprintf(err, cap, "no node can take %s now", fault_name(f));
    return n ? n : -1;
}

int fault_cluster_node(struct timeline *tl, int fi, bool revert, enum fault_want want, struct step_note *note,
                       char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    int node = tl->node_of[fi];
    if (!revert) {
        if ((node = resolve(tl, f, want, err, cap)) < 0) return -1;
        tl->node_of[fi] = node;
    } else if (node <= 0)
        return snprintf(err, cap, "its fault acted on no node"), -1;
    snprintf(note->target, sizeof note->target, "n%d", node);
    if (f->peer >= 0) /* loss and delay limited to one peer */
        snprintf(note->target + strlen(note->target), sizeof note->target - strlen(note->target),
                 f->peer ? " <-> n%d" : " <-> clients", f->peer);
    return node;
}
