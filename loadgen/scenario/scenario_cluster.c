/* The scenario's cluster keys: broker: {nodes, partition_handling, config}
 * and the faults that act on nodes and on the network between them
 * (node:, partition groups/isolate/shape, loss percent/peer). */
#include "scenario_int.h"
#include "units.h"
#include "util.h"

#include <amqp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_parse_broker(struct ctx *x, yaml_node_t *v)
{
    struct config *cfg = &x->sc->cfg;
    if (!sc_is_map(x, v, "broker")) return;
    FOREACH_PAIR(v, q) {
        const char *key = sc_scalar(sc_node(x, q->key));
        yaml_node_t *val = sc_node(x, q->value);
        char field[96], err[300];
        snprintf(field, sizeof field, "broker.%s", key ? key : "?");
        if (key && !strcmp(key, "config")) {
            if (!sc_is_map(x, val, field)) continue;
            FOREACH_PAIR(val, p) {
                const char *k = sc_scalar(sc_node(x, p->key)), *s = sc_want_scalar(x, sc_node(x, p->value), field);
                char kv[1100];
                if (!k || !s) continue;
                snprintf(kv, sizeof kv, "%s=%s", k, s);
                if (config_broker_conf(cfg, kv, err, sizeof err)) sc_err(x, sc_node(x, p->key), field, "%s", err);
            }
            continue;
        }
        const char *s = sc_want_scalar(x, val, field);
        if (!key || !s) continue;
        if (!strcmp(key, "uri")) {
            char *copy = xstrdup(s), red[600];
            struct amqp_connection_info info;
            if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK)
                sc_err(x, val, field, "'%s' is not an AMQP URI (amqp://user:pass@host:port/vhost)",
                       config_redact_uri(s, red, sizeof red));
            free(copy);
            free(cfg->uri);
            cfg->uri = xstrdup(s);
        } else if (!strcmp(key, "nodes") || !strcmp(key, "partition_handling") || !strcmp(key, "network")) {
            if (config_apply(cfg, key[0] == 'p' ? "partition-handling" : key[2] == 'd' ? "nodes" : "cluster-network", s,
                             err, sizeof err))
                sc_err(x, val, field, "%s", err);
        } else if (strcmp(key, "embedded"))
            sc_err(x, sc_node(x, q->key), "broker", "unknown key '%s' (uri, embedded, nodes, partition_handling, "
                                                    "network, config)", key);
    }
}

/* "n2", "random" or "leader-of:QUEUE" into f->node (and f->leader_of). */
static bool node_ref(struct ctx *x, struct fault *f, yaml_node_t *v, const char *sub, int *out)
{
    const char *s = sc_want_scalar(x, v, sub);
    if (!s) return false;
    char *end;
    if (!strcmp(s, "random")) *out = NODE_RANDOM;
    else if (!strncmp(s, "leader-of:", 10) && s[10]) {
        *out = NODE_LEADER;
        free(f->leader_of);
        f->leader_of = xstrdup(s + 10);
    } else if (s[0] == 'n' && (*out = (int)strtol(s + 1, &end, 10)) >= 1 && *out <= CONFIG_MAX_NODES && !*end) {
    } else {
        sc_err(x, v, sub, "'%s' is not a node (n1, n2, ..., random, or leader-of:QUEUE)", s);
        return false;
    }
    return true;
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
            if (!node_ref(x, f, nn, sub, &nd)) return;
            if (nd < 1) return sc_err(x, nn, sub, "a side names nodes (n1, n2, ...)");
            if (f->groups[nd - 1] >= 0) return sc_err(x, nn, sub, "n%d is on two sides", nd);
            f->groups[nd - 1] = g;
        }
        g++;
    }
    if (g < 2) sc_err(x, v, sub, "a partition needs two sides or more");
}

bool sc_cluster_fault_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (!strcmp(k, "node")) node_ref(x, f, v, sub, &f->node);
    else if (!strcmp(k, "isolate")) {
        f->shape = PART_ISOLATE;
        node_ref(x, f, v, sub, &f->node);
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
        else if (s && node_ref(x, f, v, sub, &f->peer) && f->peer < 1)
            sc_err(x, v, sub, "peer is a node (n1, n2, ...) or clients");
    } else return false;
    return true;
}

static bool is_queue(const struct config *cfg, const char *name)
{
    char qn[256];
    for (int i = 0; i < cfg->queues; i++)
        if (!strcmp(config_queue_name(cfg, i, qn, sizeof qn), name)) return true;
    return false;
}

void sc_check_cluster_fault(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f)
{
    const struct config *cfg = &x->sc->cfg;
    int nodes = cfg->nodes > 1 ? cfg->nodes : 0;
    enum fault_action a = f->action;
    bool node_fault = a <= FA_RESUME;
    bool uses_node = f->node != 0;
    if (a == FA_COUNT) return;
    if (fault_needs_cluster(a) && !nodes)
        return sc_err(x, n, field, "action %s needs a cluster (broker: {nodes: 3})", fault_action_name(a));
    if (fault_needs_cluster(a) && a != FA_HEAL && config_cluster_loopback(cfg))
        return sc_err(x, n, field, "action %s needs the cluster in network namespaces (root); %s", fault_action_name(a),
                      cfg->cluster_network == CLUSTER_NET_LOOPBACK ? "this one is on loopback (broker.network)"
                                                                    : "without root it runs on loopback");
    if (nodes && a >= FA_TOXIC && a <= FA_DISCONNECT)
        return sc_err(x, n, field, "action %s acts on the proxy of one node's link; on a cluster use partition or loss",
                      fault_action_name(a));
    if (uses_node && !nodes) return sc_err(x, n, field, "node: needs a cluster (broker: {nodes: 3})");
    if (uses_node && !node_fault && a != FA_LOSS && a != FA_BANDWIDTH && a != FA_DELAY &&
        !(a == FA_PARTITION && f->shape == PART_ISOLATE))
        return sc_err(x, n, field, "action %s takes no node", fault_action_name(a));
    if (node_fault && nodes && !uses_node)
        return sc_err(x, n, field, "on a cluster, say which node: node: n2, random or leader-of:QUEUE");
    if (a == FA_BANDWIDTH && (!uses_node || !f->bits_per_s))
        return sc_err(x, n, field, "action bandwidth needs node: and rate: (e.g. 1mbit)");
    if (a != FA_BANDWIDTH && f->bits_per_s) return sc_err(x, n, field, "rate belongs to action bandwidth");
    if (a == FA_LOSS && !uses_node) return sc_err(x, n, field, "action loss needs node: and percent:");
    if (a == FA_LOSS && !(f->percent > 0)) return sc_err(x, n, field, "action loss needs percent:");
    if (a != FA_LOSS && f->percent > 0) return sc_err(x, n, field, "percent belongs to action loss");
    if (a != FA_LOSS && a != FA_DELAY && f->peer >= 0) return sc_err(x, n, field, "peer belongs to loss and delay");
    if (a == FA_DELAY && (!uses_node || !f->latency_ns))
        return sc_err(x, n, field, "action delay needs node: and latency: (e.g. 100ms; jitter: optional)");
    if (a == FA_DELAY && f->jitter_ns > f->latency_ns) return sc_err(x, n, field, "jitter above latency");
    if (a != FA_DELAY && (f->latency_ns || f->jitter_ns))
        return sc_err(x, n, field, "latency and jitter belong to action delay");
    if (f->node > nodes || f->peer > nodes)
        return sc_err(x, n, field, "n%d: the cluster has %d nodes", f->node > nodes ? f->node : f->peer, nodes);
    if ((a == FA_LOSS || a == FA_DELAY) && f->peer > 0 && f->peer == f->node) return sc_err(x, n, field, "a node is not its own peer");
    if (f->node == NODE_LEADER && !is_queue(cfg, f->leader_of))
        return sc_err(x, n, field, "leader-of: '%s' is not one of the scenario's queues", f->leader_of);
    if (a == FA_PARTITION && f->shape == PART_GROUPS) {
        /* groups() marks unnamed nodes -1; no groups: key leaves all 0 */
        bool split = false;
        for (int i = 0; i < nodes; i++) {
            if (f->groups[i] < 0) return sc_err(x, n, field, "groups: n%d is on no side", i + 1);
            split |= f->groups[i] != f->groups[0];
        }
        if (!split) return sc_err(x, n, field, "action partition needs groups:, isolate: or shape:");
    }
    if (a == FA_PARTITION && f->shape == PART_BRIDGE && nodes < 3)
        return sc_err(x, n, field, "shape bridge needs 3 nodes or more");
}
