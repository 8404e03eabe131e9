/* The topology: unbind removes the binding of one of the scenario's queues
 * from its publish exchange (undone by bind), bind puts it back. The
 * checker's model keeps the declared binding, so what the broker stops
 * routing is found missing. The final heal binds every unbound queue again
 * (queue.bind is idempotent). */
#include "faults.h"
#include "amqpc.h"
#include "../scenario_int.h"
#include "timeline.h"
#include "topo.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* queue.bind / queue.unbind on a short connection of the timeline's own,
 * straight to the broker. */
static int rebind(struct timeline *tl, const struct fault *f, bool bind, char *err, size_t cap)
{
    const struct config *cfg = &tl->sc->cfg;
    amqp_connection_state_t c;
    char what[600];
    if (!tl->env.target) return snprintf(err, cap, "no broker connection"), -1;
    if (amqpc_open(&c, tl->env.target, 0, cfg->connect_timeout_ns, "loadgen-timeline", 0, err, cap)) return -1;
    amqp_channel_open(c, 1);
    int rc = amqpc_check(c, "channel.open", err, cap);
    if (!rc) {
        if (bind)
            amqp_queue_bind(c, 1, amqp_cstring_bytes(f->queue), amqp_cstring_bytes(cfg->exchange),
                            amqp_cstring_bytes(f->key), amqp_empty_table);
        else
            amqp_queue_unbind(c, 1, amqp_cstring_bytes(f->queue), amqp_cstring_bytes(cfg->exchange),
                              amqp_cstring_bytes(f->key), amqp_empty_table);
        snprintf(what, sizeof what, "%s queue '%.200s' %s '%.200s' key '%.150s'", bind ? "bind" : "unbind", f->queue,
                 bind ? "to" : "from", cfg->exchange, f->key);
        rc = amqpc_check(c, what, err, cap);
    }
    amqpc_close(c);
    return rc;
}

static int unbind(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    (void)note;
    return rebind(tl, &tl->sc->faults[fi], false, err, cap);
}

static int bind(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    (void)note;
    return rebind(tl, &tl->sc->faults[fi], true, err, cap);
}

static const struct fault_ops actions[] = {
    {"unbind", FN_SHARED, unbind, bind},
    {"bind", FN_SHARED, bind, NULL},
    {NULL, 0, NULL, NULL},
};

/* queue (also crash's and forget-consumers') and key. */
static bool parse_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (strcmp(k, "queue") && strcmp(k, "key")) return false;
    const char *s = sc_want_scalar(x, v, sub);
    if (s) {
        char **dst = k[0] == 'q' ? &f->queue : &f->key;
        free(*dst);
        *dst = xstrdup(s);
    }
    return true;
}

/* One of the scenario's own queues, bound to its exchange: the declared
 * binding's key unless key: names one. */
static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    const struct config *cfg = &x->sc->cfg;
    if (f->ops != &actions[0] && f->ops != &actions[1]) return;
    const char *name = f->ops->name;
    int qi = sc_queue_index(cfg, f->queue);
    if (!cfg->exchange[0]) return sc_err(x, n, field, "action %s needs topology.exchange", name);
    if (!f->queue) return sc_err(x, n, field, "action %s needs 'queue: <one of the topology's queues>'", name);
    if (qi < 0) return sc_err(x, n, field, "queue '%s' is not one of the topology's queues", f->queue);
    if (!cfg->topo) {
        if (!f->key) f->key = xstrdup(config_binding_key(cfg, qi, f->queue));
        return;
    }
    const struct topo_binding *b = NULL;
    for (int i = 0; i < cfg->topo->nbindings; i++) {
        const struct topo_binding *c = &cfg->topo->bindings[i];
        if (!c->to_exchange && !strcmp(c->source, cfg->exchange) && !strcmp(c->dest, f->queue) &&
            (!f->key || !strcmp(f->key, c->key)))
            b = c;
    }
    if (!b)
        sc_err(x, n, field, "no binding of '%s' to publish.exchange '%s'%s%s in topology.bindings", f->queue,
               cfg->exchange, f->key ? " with key " : "", f->key ? f->key : "");
    else if (b->nargs) sc_err(x, n, field, "action %s of a headers binding is not supported", name);
    else if (!f->key) f->key = xstrdup(b->key);
}

/* Every binding an unbind removed is back. */
static int heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    (void)note;
    for (int i = 0; i < tl->sc->nfaults; i++)
        if (tl->sc->faults[i].ops == &actions[0] && rebind(tl, &tl->sc->faults[i], true, err, cap)) return -1;
    return 0;
}

const struct fault_family fault_family_topology = {
    .name = "topology", .actions = actions, .keys = "queue, key",
    .parse_key = parse_key, .check = check, .heal = heal,
};
