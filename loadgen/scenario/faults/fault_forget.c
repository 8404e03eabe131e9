/* The broker forgets consumers: forget-consumers removes the consumers of
 * one of the scenario's classic queues (queue:, or all) inside the broker
 * without telling their channels, as a queue whose master moved in a
 * partition can. The clients' connections stay open and hear nothing: only
 * a client that asks the broker (loadgen's resource sampler compares its
 * consumer count with the consumers it believes attached) finds out. The
 * embedded node or cluster only: it runs rabbitmqctl eval. */
#include "faults.h"
#include "broker.h"
#include "cluster.h"
#include "config.h"
#include "../scenario_int.h"
#include "timeline.h"

#include <stdio.h>
#include <string.h>

/* The queue's name as an Erlang list of bytes: no quoting to get wrong,
 * whatever the name holds. */
static int erl_bytes(const char *s, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "[");
    for (const unsigned char *p = (const unsigned char *)s; *p && len < cap; p++)
        len += (size_t)snprintf(out + len, cap - len, "%s%u", p == (const unsigned char *)s ? "" : ",", *p);
    if (len + 2 >= cap) return -1;
    snprintf(out + len, cap - len, "]");
    return 0;
}

/* basic_cancel with no reply message (undefined): the queue drops the
 * consumer and the channel is never told. A queue with no consumer fails. */
static int forget_queue(struct timeline *tl, const char *queue, char *err, size_t cap)
{
    char name[1200], expr[1800], out[512];
    if (erl_bytes(queue, name, sizeof name)) return snprintf(err, cap, "queue name too long"), -1;
    snprintf(expr, sizeof expr,
             "{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<\"/\">>, queue, list_to_binary(%s))), "
             "rabbit_classic_queue =:= amqqueue:get_type(Q) orelse exit(not_a_classic_queue), "
             "P = amqqueue:get_pid(Q), Cs = gen_server2:call(P, consumers, infinity), "
             "Cs =/= [] orelse exit(no_consumers), "
             "[ok = gen_server2:call(P, {basic_cancel, element(1, C), element(2, C), undefined, <<\"loadgen\">>}, "
             "infinity) || C <- Cs], length(Cs).",
             name);
    const char *args[] = {"eval", expr, NULL};
    struct cluster *c = tl->env.cluster;
    if (!c) return broker_ctl(tl->env.broker, args, err, cap);
    for (int i = 1; i <= c->n; i++)
        if (cluster_node_running(c, i) && !c->nodes[i - 1].paused)
            return cluster_ctl(c, i, args, out, sizeof out, err, cap);
    return snprintf(err, cap, "no node runs"), -1;
}

static int forget(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    const struct config *cfg = &tl->sc->cfg;
    int done = 0;
    char qn[256], why[512] = "";
    for (int i = 0; i < cfg->queues; i++) {
        if (f->queue_idx >= 0 && i != f->queue_idx) continue;
        const char *q = config_queue_name(cfg, i, qn, sizeof qn);
        if (forget_queue(tl, q, why, sizeof why)) continue;
        done++;
        snprintf(note->target, sizeof note->target, "%s", done == 1 ? q : "queues");
    }
    if (!done) return snprintf(err, cap, "no consumer forgotten: %s", why), -1;
    snprintf(note->detail, sizeof note->detail, "the consumers of %d queue%s dropped without a basic.cancel", done,
             done == 1 ? "" : "s");
    return 0;
}

static const struct fault_ops actions[] = {
    /* nothing to revert: a client that notices subscribes again */
    {"forget-consumers", FN_BROKER | FN_SHARED, forget, NULL},
    {NULL, 0, NULL, NULL},
};

static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    if (f->ops != &actions[0]) return;
    fault_check_consumers_of(x, n, field, f);
    if (f->for_ns) sc_err(x, n, field, "action forget-consumers takes no 'for:' (nothing to revert)");
}

const struct fault_family fault_family_forget = {
    .name = "forget", .actions = actions, .check = check,
};
