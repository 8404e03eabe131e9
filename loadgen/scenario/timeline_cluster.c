/* The fault timeline on an embedded cluster: node faults by node (n2,
 * random, leader-of:QUEUE), partitions in Jepsen's shapes, packet loss,
 * each verified as applied, and the final heal. */
#include "cluster.h"
#include "timeline_int.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static unsigned rnd(unsigned n)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (unsigned)clock_ns();
    return n ? r % n : 0;
}

/* A random node that can take the action: running (and not paused) for
 * kill, stop, pause, restart, isolate, loss; down for start; paused for
 * resume. 0 when none can. */
static int random_node(const struct cluster *c, enum fault_action a)
{
    int cand[CLUSTER_MAX_NODES], n = 0;
    for (int i = 1; i <= c->n; i++) {
        bool up = cluster_node_running(c, i), paused = c->nodes[i - 1].paused;
        bool ok = a == FA_START ? !up : a == FA_RESUME ? up && paused : up && !paused;
        if (ok) cand[n++] = i;
    }
    return n ? cand[rnd((unsigned)n)] : 0;
}

static int resolve(struct timeline *tl, const struct fault *f, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    if (f->node > 0) return f->node;
    if (f->node == NODE_LEADER) return cluster_leader_of(c, f->leader_of, err, cap);
    int n = random_node(c, f->action);
    if (!n) snprintf(err, cap, "no node can take %s now", fault_action_name(f->action));
    return n ? n : -1;
}

/* The loss the rules measured against the asked percent: far off (over 5
 * standard deviations and 2 points, on 200 packets or more) means the
 * fault did not do what it said. */
static int loss_verdict(const struct fault *f, uint64_t seen, uint64_t dropped, struct step_note *note, char *err,
                        size_t cap)
{
    double p = f->percent / 100, got = seen ? (double)dropped / (double)seen : 0;
    snprintf(note->detail, sizeof note->detail, "measured loss %.1f%% of %llu packets (asked %.3g%%)", got * 100,
             (unsigned long long)seen, f->percent);
    if (seen >= 200 && fabs(got - p) > 5 * sqrt(p * (1 - p) / (double)seen) + 0.02)
        return snprintf(err, cap, "%s", note->detail), -1;
    return 0;
}

/* What went through the limit (both directions, counted once each way)
 * over the fault's time: more than the rate allows (with 10% and two
 * bursts of slack) means the limit was not in force. */
static int bandwidth_verdict(const struct fault *f, uint64_t bytes, uint64_t ns, struct step_note *note, char *err,
                             size_t cap)
{
    double secs = (double)ns / 1e9, kbit = secs > 0 ? (double)bytes * 8 / secs / 1e3 : 0;
    double burst = (double)(f->bits_per_s / 8 / 50 > 16384 ? f->bits_per_s / 8 / 50 : 16384);
    snprintf(note->detail, sizeof note->detail, "%llu bytes through the limit in %.1f s: %.0f kbit/s over both "
             "directions (asked %.0f kbit/s each)", (unsigned long long)bytes, secs, kbit,
             (double)f->bits_per_s / 1e3);
    if ((double)bytes > 2 * (1.1 * (double)f->bits_per_s / 8 * secs + 2 * burst))
        return snprintf(err, cap, "limit not in force: %s", note->detail), -1;
    return 0;
}

/* The packets held and their mean hold against the asked latency: in
 * order, a packet may wait behind one with more jitter, so the mean lies
 * within latency - jitter .. latency + jitter (and a few ms of our own). */
static int delay_verdict(const struct fault *f, uint64_t held, uint64_t hold_ns, struct step_note *note, char *err,
                         size_t cap)
{
    double mean = held ? (double)hold_ns / (double)held / 1e6 : 0, lat = (double)f->latency_ns / 1e6,
           jit = (double)f->jitter_ns / 1e6;
    snprintf(note->detail, sizeof note->detail, "held %llu packets, %.1f ms each on average (asked %.0f ms +- %.0f)",
             (unsigned long long)held, mean, lat, jit);
    if (held >= 50 && (mean < lat - jit - 2 || mean > lat + jit + 5 + lat / 10))
        return snprintf(err, cap, "delay not as asked: %s", note->detail), -1;
    return 0;
}

int tl_cluster_apply(struct timeline *tl, int fi, bool revert, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
    const struct fault *f = &tl->sc->faults[fi];
    int node = revert ? tl->node_of[fi] : 0;
    bool needs_node = f->action <= FA_RESUME || f->action == FA_LOSS || f->action == FA_BANDWIDTH || f->action == FA_DELAY ||
                      (f->action == FA_PARTITION && f->shape == PART_ISOLATE);
    if (!revert && needs_node) {
        if ((node = resolve(tl, f, err, cap)) < 0) return -1;
        tl->node_of[fi] = node;
    }
    if (node > 0) snprintf(note->target, sizeof note->target, "n%d", node);
    if (node > 0 && f->peer >= 0) /* loss and delay limited to one peer */
        snprintf(note->target + strlen(note->target), sizeof note->target - strlen(note->target),
                 f->peer ? " <-> n%d" : " <-> clients", f->peer);
    switch (f->action) {
    case FA_KILL: return revert ? cluster_node_start(c, node, err, cap) : cluster_node_kill(c, node, err, cap);
    case FA_STOP: return revert ? cluster_node_start(c, node, err, cap) : cluster_node_stop(c, node, err, cap);
    case FA_START: return revert ? 0 : cluster_node_start(c, node, err, cap);
    case FA_RESTART:
        if (revert) return 0;
        return cluster_node_stop(c, node, err, cap) ? -1 : cluster_node_start(c, node, err, cap);
    case FA_PAUSE: return revert ? cluster_node_resume(c, node, err, cap) : cluster_node_pause(c, node, err, cap);
    case FA_RESUME: return revert ? 0 : cluster_node_resume(c, node, err, cap);
    case FA_PARTITION: {
        if (revert) return cluster_heal(c, err, cap);
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
    case FA_HEAL:
        if (revert) return 0;
        return cluster_heal(c, err, cap) || cluster_unloss(c, NULL, NULL, err, cap) ||
               cluster_unbandwidth(c, NULL, err, cap) || cluster_undelay(c, NULL, NULL, err, cap) ? -1 : 0;
    case FA_DELAY: {
        if (!revert) return cluster_delay(c, node, f->latency_ns, f->jitter_ns, f->peer, err, cap);
        uint64_t held = 0, hold_ns = 0;
        if (cluster_undelay(c, &held, &hold_ns, err, cap)) return -1;
        return delay_verdict(f, held, hold_ns, note, err, cap);
    }
    case FA_BANDWIDTH: {
        if (!revert) {
            tl->bw_since_ns[fi] = clock_ns();
            return cluster_bandwidth(c, node, f->bits_per_s, err, cap);
        }
        uint64_t bytes = 0;
        if (cluster_unbandwidth(c, &bytes, err, cap)) return -1;
        return bandwidth_verdict(f, bytes, clock_ns() - tl->bw_since_ns[fi], note, err, cap);
    }
    case FA_LOSS: {
        if (!revert) return cluster_loss(c, node, f->percent, f->peer, err, cap);
        uint64_t seen = 0, dropped = 0;
        if (cluster_unloss(c, &seen, &dropped, err, cap)) return -1;
        return loss_verdict(f, seen, dropped, note, err, cap);
    }
    case FA_WAIT: {
        uint64_t deadline = clock_ns() + f->timeout_ns;
        for (;;) {
            int up = 0;
            for (int i = 1; i <= c->n; i++) up += cluster_node_running(c, i) && !c->nodes[i - 1].paused;
            if (up == c->n) return 0;
            if (clock_ns() > deadline) return snprintf(err, cap, "%d of %d nodes up", up, c->n), -1;
            sleep_ns(100 * NS_PER_MS);
        }
    }
    default: return snprintf(err, cap, "%s is not a cluster action", fault_action_name(f->action)), -1;
    }
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

int tl_cluster_heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    struct cluster *c = tl->env.cluster;
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
