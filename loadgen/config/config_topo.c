/* config_topo: a config with topology lists (topo.h): what they set in
 * the config, each queue's consumer settings, and their checks. */
#include "config.h"
#include "effect_ledger.h"
#include "gates.h"
#include "topo.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_apply_topology(struct config *cfg, char *err, size_t cap)
{
    struct topo *t = cfg->topo;
    int line;
    topo_default_route(t);
    if (topo_check(t, err, cap, &line)) return -1;
    if (cfg->exchange && strcmp(cfg->exchange, "") && strcmp(cfg->exchange, t->exchange))
        return snprintf(err, cap, "topology: give the exchange in publish.exchange, not as 'exchange'"), -1;
    if (cfg->n_binding_keys || cfg->n_routing_keys || cfg->n_queue_args)
        return snprintf(err, cap, "topology lists: bindings and publish.routes replace binding_keys, routing_keys "
                        "and args"), -1;
    free(cfg->exchange);
    cfg->exchange = xstrdup(t->exchange);
    cfg->queues = t->nqueues;
    bool listed = false;
    int sum = 0;
    for (int i = 0; i < t->nqueues; i++) {
        listed |= t->queues[i].consumers >= 0;
        sum += t->queues[i].consumers > 0 ? t->queues[i].consumers : 0;
    }
    if (listed) cfg->consumers = sum;
    /* A queue without consumers is read at the end (final_read.h). */
    for (int i = 0; i < t->nroutes; i++) {
        cfg->routing_keys[i] = xstrdup(t->routes[i].key);
        cfg->routing_weights[i] = t->routes[i].weight;
        cfg->routing_priority[i] = (short)(t->routes[i].priority + 1);
    }
    cfg->n_routing_keys = t->nroutes;
    return 0;
}

void config_consumer_settings(const struct config *cfg, int q, struct consumer_settings *s)
{
    *s = (struct consumer_settings){cfg->queue_type, cfg->prefetch, cfg->fail_rate, cfg->fail_action,
                                cfg->consumer_delay_ns};
    if (!cfg->topo || q < 0 || q >= cfg->topo->nqueues) return;
    const struct topo_queue *tq = &cfg->topo->queues[q];
    s->type = tq->type;
    if (tq->prefetch >= 0) s->prefetch = tq->prefetch;
    if (tq->fail_rate >= 0) s->fail_rate = tq->fail_rate;
    if (tq->fail_action >= 0) s->fail_action = (enum fail_action)tq->fail_action;
    if (tq->consumer_delay_ns >= 0) s->consumer_delay_ns = (uint64_t)tq->consumer_delay_ns;
}

/* The topology lists' own checks: each queue's consumer settings. */
int config_validate_topology(const struct config *c, char *err, size_t cap)
{
    if (config_retrying(c))
        return snprintf(err, cap, "fail_action retry declares its own queues: with topology lists, declare the "
                        "retry and dead-letter queues in topology.queues and fail with reject"), -1;
    for (int q = 0; q < c->topo->nqueues; q++) {
        struct consumer_settings ts;
        const char *name = c->topo->queues[q].name;
        config_consumer_settings(c, q, &ts);
        if (ts.type == QUEUE_STREAM && (ts.prefetch == 0 || c->auto_ack))
            return snprintf(err, cap, "queue '%s': a stream needs a prefetch above 0 and manual acks", name), -1;
        if (ts.consumer_delay_ns && ts.prefetch == 0 && !c->auto_ack)
            return snprintf(err, cap, "queue '%s': consumer_delay needs a prefetch above 0", name), -1;
        if (ts.fail_rate > 0 && c->auto_ack)
            return snprintf(err, cap, "queue '%s': fail_rate needs manual acks", name), -1;
        if (ts.fail_rate >= 1)
            return snprintf(err, cap, "queue '%s': fail_rate 1 would never process a message", name), -1;
        if (c->prefetch && c->multi_ack > ts.prefetch && ts.prefetch && !c->auto_ack)
            return snprintf(err, cap, "queue '%s': multi_ack %d exceeds its prefetch %d", name, c->multi_ack,
                            ts.prefetch), -1;
    }
    return 0;
}

bool config_retrying(const struct config *c)
{
    return c->fail_rate > 0 && c->fail_action == FAIL_RETRY;
}

bool config_routed(const struct config *c)
{
    return c->topo || c->exchange[0];
}

void config_gate_load(const struct config *c, struct gate_load *l)
{
    *l = (struct gate_load){.confirm = c->confirm > 0, .producers = c->producers, .consumers = c->consumers,
                            .effects = c->effects != NULL, .effect_times = c->effects && c->effects->queue,
                            .http = c->http != NULL};
    for (int i = 0; c->topo && i < c->topo->nexchanges; i++)
        if (route_xtype_parse(c->topo->exchanges[i].type) < 0)
            l->routes_unknown = "the routing model does not know this exchange type (x-consistent-hash): where "
                                "messages must go is unknown";
    if (!l->routes_unknown && config_routed(c) && c->queues > ROUTE_MAX_QUEUES)
        l->routes_unknown = "more queues behind the exchange than the routing model holds (256)";
}
