/* One entry of a scenario's faults: list. The keys every fault has (at,
 * for, action, timeout, node) are read here; the rest are offered to the
 * families of faults/faults.h in turn. Then what the action needs (a
 * cluster, namespaces, the proxy, a node) is checked against the load,
 * then each family checks its own keys. */
#include "scenario_int.h"
#include "faults/faults.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the action needs, against the scenario's broker: false after the
 * first problem. */
static bool check_needs(struct ctx *x, yaml_node_t *n, const char *field, const struct fault *f)
{
    const struct config *cfg = &x->sc->cfg;
    int nodes = cfg->nodes > 1 ? cfg->nodes : 0;
    const char *a = fault_name(f);
    bool uses_node = f->node != 0;
    if (fault_needs(f, FN_CLUSTER) && !nodes)
        return sc_err(x, n, field, "action %s needs a cluster (broker: {nodes: 3})", a), false;
    if (fault_needs(f, FN_NETNS) && config_cluster_loopback(cfg))
        return sc_err(x, n, field, "action %s needs the cluster in network namespaces (root); %s", a,
                      cfg->cluster_network == CLUSTER_NET_LOOPBACK ? "this one is on loopback (broker.network)"
                                                                    : "without root it runs on loopback"), false;
    if (nodes && fault_needs(f, FN_PROXY))
        return sc_err(x, n, field, "action %s acts on the proxy of one node's link; on a cluster use partition or "
                      "loss", a), false;
    if (uses_node && !nodes) return sc_err(x, n, field, "node: needs a cluster (broker: {nodes: 3})"), false;
    if (uses_node && !fault_needs(f, FN_NODE)) return sc_err(x, n, field, "action %s takes no node", a), false;
    if (nodes && !uses_node && fault_needs(f, FN_ON_NODE))
        return sc_err(x, n, field, "on a cluster, say which node: node: n2, random or leader-of:QUEUE"), false;
    if (fault_needs(f, FN_SERVICE) && !x->sc->nservices)
        return sc_err(x, n, field, "action %s acts on a service: the scenario has no services:", a), false;
    if (f->node > nodes) return sc_err(x, n, field, "n%d: the cluster has %d nodes", f->node, nodes), false;
    if (f->node == NODE_LEADER && sc_queue_index(cfg, f->leader_of) < 0)
        return sc_err(x, n, field, "leader-of: '%s' is not one of the scenario's queues", f->leader_of), false;
    return true;
}

/* at, for, timeout, action, node; false when k is none of them. */
static bool common_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub, bool *have_at)
{
    if (!strcmp(k, "at")) *have_at = sc_want_duration(x, v, sub, &f->at_ns) == 0;
    else if (!strcmp(k, "for")) sc_want_duration(x, v, sub, &f->for_ns);
    else if (!strcmp(k, "timeout")) sc_want_duration(x, v, sub, &f->timeout_ns);
    else if (!strcmp(k, "node")) sc_node_ref(x, f, v, sub, &f->node);
    else if (!strcmp(k, "action")) {
        const char *a = sc_want_scalar(x, v, sub);
        if (a && !(f->ops = faults_lookup(a))) sc_err(x, v, sub, "unknown action '%s' (%s)", a, faults_action_list());
    } else return false;
    return true;
}

static bool family_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    for (const struct fault_family *const *fam = fault_families; *fam; fam++)
        if ((*fam)->parse_key && (*fam)->parse_key(x, f, k, v, sub)) return true;
    return false;
}

void sc_parse_fault(struct ctx *x, yaml_node_t *n, int idx)
{
    char field[64];
    snprintf(field, sizeof field, "faults[%d]", idx);
    if (!sc_is_map(x, n, field)) return;
    struct scenario *sc = x->sc;
    struct fault f = {.line = (int)n->start_mark.line + 1, .index = idx, .peer = -1, .service_idx = -1};
    bool have_at = false;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        char sub[96];
        snprintf(sub, sizeof sub, "%s.%s", field, k ? k : "?");
        if (!k) sc_err(x, sc_node(x, p->key), field, "keys must be plain words");
        else if (!common_key(x, &f, k, v, sub, &have_at) && !family_key(x, &f, k, v, sub))
            sc_err(x, sc_node(x, p->key), sub, "unknown key (at, action, for, timeout, node, %s)", faults_key_list());
    }
    if (!have_at) sc_err(x, n, field, "needs 'at: <time since start>'");
    if (!f.ops) {
        if (!x->errors) sc_err(x, n, field, "needs 'action'");
    } else {
        bool ok = check_needs(x, n, field, &f);
        for (const struct fault_family *const *fam = fault_families; *fam; fam++)
            if ((*fam)->check) (*fam)->check(x, n, field, &f, ok);
    }
    if (!f.timeout_ns) f.timeout_ns = 60 * NS_PER_SEC;
    if (have_at && sc->cfg.duration_ns && f.at_ns > sc->cfg.duration_ns && !sc->cfg.messages)
        sc_err(x, n, field, "at %.3fs is beyond the run (load.duration %.3fs)", (double)f.at_ns / 1e9,
               (double)sc->cfg.duration_ns / 1e9);
    sc->faults = xrealloc(sc->faults, (size_t)(sc->nfaults + 1) * sizeof *sc->faults);
    sc->faults[sc->nfaults++] = f;
}
