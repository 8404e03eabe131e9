/* The embedded cluster's network (namespaces, iptables, NFQUEUE):
 * partition in Jepsen's shapes (groups, isolate, halves, bridge,
 * random-halves), heal, loss, bandwidth and delay on one node's links.
 * Each is verified as applied; its revert measures what it did. The final
 * heal also brings every node back and serving. */
#include "faults.h"
#include "cluster.h"
#include "../scenario_int.h"
#include "timeline.h"
#include "units.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum { PARTITION, HEAL, LOSS, BANDWIDTH, DELAY, NACTIONS };
static const struct fault_ops actions[NACTIONS + 1];

static unsigned rnd(unsigned n)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (unsigned)clock_ns();
    return n ? r % n : 0;
}

static const struct fault *fault_of(struct timeline *tl, int fi) { return &tl->sc->faults[fi]; }

static int partition(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    const struct fault *f = fault_of(tl, fi);
    int node = 0;
    if (f->shape == PART_ISOLATE && (node = fault_cluster_node(tl, fi, false, WANT_UP, note, err, cap)) < 0) return -1;
    bool cut[CLUSTER_MAX_NODES][CLUSTER_MAX_NODES];
    int order[CLUSTER_MAX_NODES];
    for (int i = 0; i < c->n; i++) order[i] = i;
    for (int i = c->n - 1; f->shape == PART_RANDOM_HALVES && i > 0; i--) { /* Fisher-Yates */
        int j = (int)rnd((unsigned)i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    fault_cut_matrix(f, c->n, node, order, cut, note->target, sizeof note->target);
    if (cluster_cut(c, cut, err, cap) || cluster_cut_check(c, cut, err, cap)) return -1;
    snprintf(note->detail, sizeof note->detail, "verified: every cut pair unreachable, the rest reachable");
    return 0;
}

static int unpartition(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    if (fault_of(tl, fi)->shape == PART_ISOLATE && fault_cluster_node(tl, fi, true, WANT_UP, note, err, cap) < 0)
        return -1;
    return cluster_heal(tl->env.cluster, err, cap);
}

static int heal_step(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    (void)fi, (void)note;
    return cluster_heal(c, err, cap) || cluster_unloss(c, NULL, NULL, err, cap) ||
           cluster_unbandwidth(c, NULL, err, cap) || cluster_undelay(c, NULL, NULL, err, cap) ? -1 : 0;
}

static int loss(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = fault_of(tl, fi);
    int node = fault_cluster_node(tl, fi, false, WANT_UP, note, err, cap);
    return node < 0 ? -1 : cluster_loss(tl->env.cluster, node, f->percent, f->peer, err, cap);
}

/* The loss the rules measured against the asked percent: far off (over 5
 * standard deviations and 2 points, on 200 packets or more) means the
 * fault did not do what it said. */
static int unloss(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = fault_of(tl, fi);
    uint64_t seen = 0, dropped = 0;
    if (fault_cluster_node(tl, fi, true, WANT_UP, note, err, cap) < 0 ||
        cluster_unloss(tl->env.cluster, &seen, &dropped, err, cap))
        return -1;
    double p = f->percent / 100, got = seen ? (double)dropped / (double)seen : 0;
    snprintf(note->detail, sizeof note->detail, "measured loss %.1f%% of %llu packets (asked %.3g%%)", got * 100,
             (unsigned long long)seen, f->percent);
    if (seen >= 200 && fabs(got - p) > 5 * sqrt(p * (1 - p) / (double)seen) + 0.02)
        return snprintf(err, cap, "%s", note->detail), -1;
    return 0;
}

static int bandwidth(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    int node = fault_cluster_node(tl, fi, false, WANT_UP, note, err, cap);
    if (node < 0) return -1;
    tl->since_ns[fi] = clock_ns();
    return cluster_bandwidth(tl->env.cluster, node, fault_of(tl, fi)->bits_per_s, err, cap);
}

/* What went through the limit (both directions, counted once each way)
 * over the fault's time: more than the rate allows (with 10% and two
 * bursts of slack) means the limit was not in force. */
static int unbandwidth(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = fault_of(tl, fi);
    uint64_t bytes = 0;
    if (fault_cluster_node(tl, fi, true, WANT_UP, note, err, cap) < 0 ||
        cluster_unbandwidth(tl->env.cluster, &bytes, err, cap))
        return -1;
    double secs = (double)(clock_ns() - tl->since_ns[fi]) / 1e9, kbit = secs > 0 ? (double)bytes * 8 / secs / 1e3 : 0;
    double burst = (double)(f->bits_per_s / 8 / 50 > 16384 ? f->bits_per_s / 8 / 50 : 16384);
    snprintf(note->detail, sizeof note->detail, "%llu bytes through the limit in %.1f s: %.0f kbit/s over both "
             "directions (asked %.0f kbit/s each)", (unsigned long long)bytes, secs, kbit,
             (double)f->bits_per_s / 1e3);
    if ((double)bytes > 2 * (1.1 * (double)f->bits_per_s / 8 * secs + 2 * burst))
        return snprintf(err, cap, "limit not in force: %s", note->detail), -1;
    return 0;
}

static int delay(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = fault_of(tl, fi);
    int node = fault_cluster_node(tl, fi, false, WANT_UP, note, err, cap);
    return node < 0 ? -1 : cluster_delay(tl->env.cluster, node, f->latency_ns, f->jitter_ns, f->peer, err, cap);
}

/* The packets held and their mean hold against the asked latency: in
 * order, a packet may wait behind one with more jitter, so the mean lies
 * within latency - jitter .. latency + jitter (and a few ms of our own). */
static int undelay(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = fault_of(tl, fi);
    uint64_t held = 0, hold_ns = 0;
    if (fault_cluster_node(tl, fi, true, WANT_UP, note, err, cap) < 0 ||
        cluster_undelay(tl->env.cluster, &held, &hold_ns, err, cap))
        return -1;
    double mean = held ? (double)hold_ns / (double)held / 1e6 : 0, lat = (double)f->latency_ns / 1e6,
           jit = (double)f->jitter_ns / 1e6;
    snprintf(note->detail, sizeof note->detail, "held %llu packets, %.1f ms each on average (asked %.0f ms +- %.0f)",
             (unsigned long long)held, mean, lat, jit);
    if (held >= 50 && (mean < lat - jit - 2 || mean > lat + jit + 5 + lat / 10))
        return snprintf(err, cap, "delay not as asked: %s", note->detail), -1;
    return 0;
}

static void groups(struct ctx *x, struct fault *f, yaml_node_t *v, const char *sub)
{
    for (int i = 0; i < CONFIG_MAX_NODES; i++) f->groups[i] = -1;
    f->shape = PART_GROUPS;
    if (v->type != YAML_SEQUENCE_NODE) {
        sc_err(x, v, sub, "expected a list of node lists, e.g. [[n1], [n2, n3]]");
        return;
    }
    int g = 0;
    FOREACH_ITEM(v, it) {
        yaml_node_t *side = sc_node(x, *it);
        if (!side || side->type != YAML_SEQUENCE_NODE) {
            sc_err(x, side, sub, "each side is a list of nodes, e.g. [n2, n3]");
            return;
        }
        FOREACH_ITEM(side, jt) {
            int nd = 0;
            yaml_node_t *nn = sc_node(x, *jt);
            if (!sc_node_ref(x, f, nn, sub, &nd)) return;
            if (nd < 1) return sc_err(x, nn, sub, "a side names nodes (n1, n2, ...)");
            if (f->groups[nd - 1] >= 0) return sc_err(x, nn, sub, "n%d is on two sides", nd);
            f->groups[nd - 1] = g;
        }
        g++;
    }
    if (g < 2) sc_err(x, v, sub, "a partition needs two sides or more");
}

static bool parse_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (!strcmp(k, "isolate")) {
        f->shape = PART_ISOLATE;
        sc_node_ref(x, f, v, sub, &f->node);
    } else if (!strcmp(k, "groups")) groups(x, f, v, sub);
    else if (!strcmp(k, "shape")) {
        const char *s = sc_want_scalar(x, v, sub);
        if (!s) return true;
        if (!strcmp(s, "halves")) f->shape = PART_HALVES;
        else if (!strcmp(s, "bridge")) f->shape = PART_BRIDGE;
        else if (!strcmp(s, "random-halves")) f->shape = PART_RANDOM_HALVES;
        else sc_err(x, v, sub, "'%s' is not a shape (halves, bridge, random-halves)", s);
    } else if (!strcmp(k, "percent")) {
        const char *s = sc_want_scalar(x, v, sub);
        char *end;
        if (s && (f->percent = strtod(s, &end), end == s || *end || !(f->percent > 0 && f->percent <= 100)))
            sc_err(x, v, sub, "'%s' is not a percent above 0 and at most 100", s);
    } else if (!strcmp(k, "latency") || !strcmp(k, "jitter")) {
        uint64_t *dst = k[0] == 'l' ? &f->latency_ns : &f->jitter_ns;
        if (!sc_want_duration(x, v, sub, dst) && *dst > 10 * NS_PER_SEC)
            sc_err(x, v, sub, "at most 10s");
    } else if (!strcmp(k, "rate")) {
        /* tc's units, decimal: 500kbit, 10mbit, 1gbit */
        const char *s = sc_want_scalar(x, v, sub);
        if (s && units_bitrate(s, &f->bits_per_s))
            sc_err(x, v, sub, "'%s' is not a rate from 8kbit to 100gbit (e.g. 500kbit, 10mbit)", s);
    } else if (!strcmp(k, "peer")) {
        const char *s = sc_want_scalar(x, v, sub);
        if (s && !strcmp(s, "clients")) f->peer = 0;
        else if (s && sc_node_ref(x, f, v, sub, &f->peer) && f->peer < 1)
            sc_err(x, v, sub, "peer is a node (n1, n2, ...) or clients");
    } else return false;
    return true;
}

/* This family's keys on every fault: each belongs to one action. */
static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    const struct fault_ops *a = f->ops;
    int nodes = x->sc->cfg.nodes > 1 ? x->sc->cfg.nodes : 0;
    bool uses_node = f->node != 0;
    if (!needs_ok) return; /* one error about the cluster is enough */
    if (a == &actions[PARTITION] && uses_node && f->shape != PART_ISOLATE)
        return sc_err(x, n, field, "action partition takes no node");
    if (a == &actions[BANDWIDTH] && (!uses_node || !f->bits_per_s))
        return sc_err(x, n, field, "action bandwidth needs node: and rate: (e.g. 1mbit)");
    if (a != &actions[BANDWIDTH] && f->bits_per_s) return sc_err(x, n, field, "rate belongs to action bandwidth");
    if (a == &actions[LOSS] && !uses_node) return sc_err(x, n, field, "action loss needs node: and percent:");
    if (a == &actions[LOSS] && !(f->percent > 0)) return sc_err(x, n, field, "action loss needs percent:");
    if (a != &actions[LOSS] && f->percent > 0) return sc_err(x, n, field, "percent belongs to action loss");
    if (a != &actions[LOSS] && a != &actions[DELAY] && f->peer >= 0)
        return sc_err(x, n, field, "peer belongs to loss and delay");
    if (a == &actions[DELAY] && (!uses_node || !f->latency_ns))
        return sc_err(x, n, field, "action delay needs node: and latency: (e.g. 100ms; jitter: optional)");
    if (a == &actions[DELAY] && f->jitter_ns > f->latency_ns) return sc_err(x, n, field, "jitter above latency");
    if (a != &actions[DELAY] && (f->latency_ns || f->jitter_ns))
        return sc_err(x, n, field, "latency and jitter belong to action delay");
    if (f->peer > nodes) return sc_err(x, n, field, "n%d: the cluster has %d nodes", f->peer, nodes);
    if ((a == &actions[LOSS] || a == &actions[DELAY]) && f->peer > 0 && f->peer == f->node)
        return sc_err(x, n, field, "a node is not its own peer");
    if (a == &actions[PARTITION] && f->shape == PART_GROUPS) {
        /* groups() marks unnamed nodes -1; no groups: key leaves all 0 */
        bool split = false;
        for (int i = 0; i < nodes; i++) {
            if (f->groups[i] < 0) return sc_err(x, n, field, "groups: n%d is on no side", i + 1);
            split |= f->groups[i] != f->groups[0];
        }
        if (!split) return sc_err(x, n, field, "action partition needs groups:, isolate: or shape:");
    }
    if (a == &actions[PARTITION] && f->shape == PART_BRIDGE && nodes < 3)
        return sc_err(x, n, field, "shape bridge needs 3 nodes or more");
}

/* Every node serves AMQP again within `secs`; the first that does not. */
static int serving(struct cluster *c, int secs)
{
    uint64_t deadline = clock_ns() + (uint64_t)secs * NS_PER_SEC;
    for (int i = 1; i <= c->n; i++)
        while (!cluster_listening(&c->nodes[i - 1]))
            if (clock_ns() > deadline) return i;
            else sleep_ns(200 * NS_PER_MS);
    return 0;
}

/* No partition, no loss, every node resumed, running and serving AMQP. */
static int heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (!c) return 0;
    if (cluster_heal_all(c, err, cap)) return -1;
    /* RabbitMQ 3.10 can leave a node in its boot (waiting for tables) after
     * partitions: measured here. A restart brings it back. */
    int stuck = serving(c, 60);
    if (stuck) {
        snprintf(note->detail, sizeof note->detail, "n%d did not serve AMQP 60 s after the heal: restarted", stuck);
        log_note("heal: %s", note->detail);
        if (cluster_node_stop(c, stuck, err, cap) || cluster_node_start(c, stuck, err, cap)) return -1;
        if ((stuck = serving(c, 60))) return snprintf(err, cap, "n%d does not serve AMQP after the heal", stuck), -1;
    }
    return 0;
}

#define NET (FN_BROKER | FN_CLUSTER | FN_NETNS | FN_SHARED)

static const struct fault_ops actions[NACTIONS + 1] = {
    [PARTITION] = {"partition", NET | FN_NODE, partition, unpartition},
    [HEAL] = {"heal", FN_BROKER | FN_CLUSTER | FN_SHARED, heal_step, NULL},
    [LOSS] = {"loss", NET | FN_NODE, loss, unloss},
    [BANDWIDTH] = {"bandwidth", NET | FN_NODE, bandwidth, unbandwidth},
    [DELAY] = {"delay", NET | FN_NODE, delay, undelay},
    {NULL, 0, NULL, NULL},
};

const struct fault_family fault_family_cluster_net = {
    .name = "cluster network", .actions = actions,
    .keys = "groups, isolate, shape, percent, peer, rate, latency, jitter",
    .parse_key = parse_key, .check = check, .heal = heal,
};
