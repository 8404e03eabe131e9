/* The scenario's cluster keys: broker: {nodes, partition_handling, config},
 * and the node references the faults take (node:, isolate:, peer:). */
#include "scenario_int.h"
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
bool sc_node_ref(struct ctx *x, struct fault *f, yaml_node_t *v, const char *sub, int *out)
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
