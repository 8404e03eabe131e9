#include "declare.h"
#include "topo.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void str_arg(amqp_table_entry_t *e, const char *key, const char *v)
{
    e->key = amqp_cstring_bytes(key);
    e->value.kind = AMQP_FIELD_KIND_UTF8;
    e->value.value.bytes = amqp_cstring_bytes(v);
}

/* Typed arguments (an integer TTL, a boolean flag, else strings) into e;
 * returns how many. */
static int typed_args(const struct topo_arg *args, int nargs, amqp_table_entry_t *e)
{
    for (int i = 0; i < nargs; i++) {
        const struct topo_arg *a = &args[i];
        e[i].key = amqp_cstring_bytes(a->key);
        if (a->is_int) {
            e[i].value.kind = AMQP_FIELD_KIND_I64;
            e[i].value.value.i64 = a->num;
        } else if (a->is_bool) {
            e[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
            e[i].value.value.boolean = (amqp_boolean_t)a->num;
        } else {
            e[i].value.kind = AMQP_FIELD_KIND_UTF8;
            e[i].value.value.bytes = amqp_cstring_bytes(a->str);
        }
    }
    return nargs;
}

/* The queue's arguments; `retry_key` (the retry queue's name, kept alive by
 * the caller) adds the retry pattern's dead-lettering. */
static amqp_table_t queue_args(const struct config *cfg, amqp_table_entry_t *e, const char *retry_key)
{
    int n = 0;
    if (cfg->queue_type != QUEUE_CLASSIC)
        str_arg(&e[n++], "x-queue-type", config_queue_type_name(cfg->queue_type));
    if (retry_key) {
        str_arg(&e[n++], "x-dead-letter-exchange", "");
        str_arg(&e[n++], "x-dead-letter-routing-key", retry_key);
    }
    n += typed_args(cfg->queue_args, cfg->n_queue_args, e + n);
    return (amqp_table_t){n, e};
}

const char *declare_side_queue(const char *queue, const char *suffix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.240s.%s", queue, suffix);
    return buf;
}

int declare_queue(amqp_connection_state_t c, int channel, const struct config *cfg,
                           const char *name, char *err, size_t cap)
{
    char what[400], retry[256];
    amqp_table_entry_t e[CONFIG_MAX_ARGS + 3];
    const char *rk = config_retrying(cfg) ? declare_side_queue(name, "retry", retry, sizeof retry) : NULL;
    amqp_queue_declare(c, (amqp_channel_t)channel, amqp_cstring_bytes(name), 0, cfg->durable, 0, 0,
                       queue_args(cfg, e, rk));
    snprintf(what, sizeof what, "declare queue '%s'", name);
    return amqpc_check(c, what, err, cap);
}

/* The retry pattern's two side queues: QUEUE.retry holds a failed message
 * for the TTL, then dead-letters it back to QUEUE; QUEUE.dlq parks those
 * that failed too often. */
static int declare_side_queues(amqp_connection_state_t c, const struct config *cfg, const char *name,
                               char *err, size_t cap)
{
    char retry[256], dlq[256], what[400];
    amqp_table_entry_t e[4];
    int n = 0;
    if (cfg->queue_type == QUEUE_QUORUM) str_arg(&e[n++], "x-queue-type", "quorum");
    str_arg(&e[n++], "x-dead-letter-exchange", "");
    str_arg(&e[n++], "x-dead-letter-routing-key", name);
    e[n].key = amqp_cstring_bytes("x-message-ttl");
    e[n].value.kind = AMQP_FIELD_KIND_I64;
    e[n++].value.value.i64 = (int64_t)(cfg->retry_delay_ns / NS_PER_MS);
    declare_side_queue(name, "retry", retry, sizeof retry);
    amqp_queue_declare(c, 1, amqp_cstring_bytes(retry), 0, cfg->durable, 0, 0, (amqp_table_t){n, e});
    snprintf(what, sizeof what, "declare retry queue '%s'", retry);
    if (amqpc_check(c, what, err, cap)) return -1;
    declare_side_queue(name, "dlq", dlq, sizeof dlq);
    amqp_queue_declare(c, 1, amqp_cstring_bytes(dlq), 0, cfg->durable, 0, 0,
                       (amqp_table_t){cfg->queue_type == QUEUE_QUORUM, e});
    snprintf(what, sizeof what, "declare dead-letter queue '%s'", dlq);
    return amqpc_check(c, what, err, cap);
}

/* The exchange, as declare_topology declares it. */
static int declare_exchange(amqp_connection_state_t c, int channel, const struct config *cfg, char *err, size_t cap)
{
    char what[400];
    amqp_exchange_declare(c, (amqp_channel_t)channel, amqp_cstring_bytes(cfg->exchange),
                          amqp_cstring_bytes(cfg->exchange_type), 0, cfg->durable, 0, 0, amqp_empty_table);
    snprintf(what, sizeof what, "declare exchange '%s'", cfg->exchange);
    return amqpc_check(c, what, err, cap);
}

/* Queue i (named name) bound as the config says. */
static int bind_queue(amqp_connection_state_t c, int channel, const struct config *cfg, int i, const char *name,
                      char *err, size_t cap)
{
    char what[400];
    const char *key = config_binding_key(cfg, i, name);
    amqp_queue_bind(c, (amqp_channel_t)channel, amqp_cstring_bytes(name), amqp_cstring_bytes(cfg->exchange),
                    amqp_cstring_bytes(key), amqp_empty_table);
    snprintf(what, sizeof what, "bind queue '%s' to '%s'", name, cfg->exchange);
    return amqpc_check(c, what, err, cap);
}

/* Topology lists (topo.h): every exchange, queue and binding, in that
 * order, on one channel. Declaring what exists with the same settings is a
 * no-op, so recovery uses it too. */
static int declare_lists(amqp_connection_state_t c, int channel, const struct topo *t, char *err, size_t cap)
{
    char what[400];
    amqp_channel_t ch = (amqp_channel_t)channel;
    amqp_table_entry_t e[TOPO_MAX_ARGS + 2];
    for (int i = 0; i < t->nexchanges; i++) {
        const struct topo_exchange *x = &t->exchanges[i];
        int n = typed_args(x->args, x->nargs, e);
        bool has_ae = false;
        for (int k = 0; k < x->nargs; k++) has_ae |= !strcmp(x->args[k].key, "alternate-exchange");
        if (x->alternate && !has_ae) str_arg(&e[n++], "alternate-exchange", x->alternate);
        amqp_exchange_declare(c, ch, amqp_cstring_bytes(x->name), amqp_cstring_bytes(x->type), 0, x->durable,
                              x->auto_delete, x->internal, (amqp_table_t){n, e});
        snprintf(what, sizeof what, "declare exchange '%s'", x->name);
        if (amqpc_check(c, what, err, cap)) return -1;
    }
    for (int i = 0; i < t->nqueues; i++) {
        const struct topo_queue *q = &t->queues[i];
        int n = typed_args(q->args, q->nargs, e);
        if (q->type != QUEUE_CLASSIC) str_arg(&e[n++], "x-queue-type", config_queue_type_name(q->type));
        amqp_queue_declare(c, ch, amqp_cstring_bytes(q->name), 0, q->durable, 0, 0, (amqp_table_t){n, e});
        snprintf(what, sizeof what, "declare queue '%s'", q->name);
        if (amqpc_check(c, what, err, cap)) return -1;
    }
    for (int i = 0; i < t->nbindings; i++) {
        const struct topo_binding *b = &t->bindings[i];
        int n = 0;
        if (b->nargs) str_arg(&e[n++], "x-match", b->match_any ? "any" : "all");
        for (int k = 0; k < b->nargs; k++) str_arg(&e[n++], b->args[k].key, b->args[k].value);
        amqp_table_t args = {n, e};
        if (b->to_exchange)
            amqp_exchange_bind(c, ch, amqp_cstring_bytes(b->dest), amqp_cstring_bytes(b->source),
                               amqp_cstring_bytes(b->key), args);
        else
            amqp_queue_bind(c, ch, amqp_cstring_bytes(b->dest), amqp_cstring_bytes(b->source),
                            amqp_cstring_bytes(b->key), args);
        snprintf(what, sizeof what, "bind %s '%s' to '%s'", b->to_exchange ? "exchange" : "queue", b->dest,
                 b->source);
        if (amqpc_check(c, what, err, cap)) return -1;
    }
    return 0;
}

int declare_recover(amqp_connection_state_t c, int channel, const struct config *cfg, int queue, char *err,
                     size_t cap)
{
    char name[256];
    if (cfg->topo) return declare_lists(c, channel, cfg->topo, err, cap);
    if (cfg->exchange[0] && declare_exchange(c, channel, cfg, err, cap)) return -1;
    if (queue < 0) return 0;
    config_queue_name(cfg, queue, name, sizeof name);
    if (declare_queue(c, channel, cfg, name, err, cap)) return -1;
    return cfg->exchange[0] ? bind_queue(c, channel, cfg, queue, name, err, cap) : 0;
}

int declare_route_model(const struct config *cfg, struct route_model *m, char *err, size_t cap)
{
    char name[256];
    if (cfg->topo) return topo_model(cfg->topo, m, err, cap);
    route_init(m);
    int type = route_xtype_parse(cfg->exchange_type);
    if (!cfg->exchange[0]) return snprintf(err, cap, "the default exchange needs no model"), -1;
    if (type < 0) return snprintf(err, cap, "exchange type '%s' is not modelled", cfg->exchange_type), -1;
    if (route_add_exchange(m, cfg->exchange, type, err, cap) < 0) return -1;
    for (int i = 0; i < cfg->queues; i++) {
        config_queue_name(cfg, i, name, sizeof name);
        if (route_add_queue(m, name, err, cap) < 0) return -1;
        /* as declare_topology binds */
        if (route_bind(m, cfg->exchange, name, false, config_binding_key(cfg, i, name), NULL, 0, false, err, cap))
            return -1;
    }
    return 0;
}

int declare_topology(amqp_connection_state_t c, const struct config *cfg, char *err, size_t cap)
{
    char name[256];
    amqp_channel_open(c, 1);
    if (amqpc_check(c, "channel.open", err, cap)) return -1;
    if (cfg->topo) return declare_lists(c, 1, cfg->topo, err, cap);
    if (cfg->exchange[0] && declare_exchange(c, 1, cfg, err, cap)) return -1;
    for (int i = 0; i < cfg->queues; i++) {
        config_queue_name(cfg, i, name, sizeof name);
        if (config_retrying(cfg) && declare_side_queues(c, cfg, name, err, cap)) return -1;
        if (declare_queue(c, 1, cfg, name, err, cap)) return -1;
        if (cfg->exchange[0] && bind_queue(c, 1, cfg, i, name, err, cap)) return -1;
    }
    return 0;
}

int64_t declare_queue_depth(amqp_connection_state_t c, const char *queue)
{
    amqp_queue_declare_ok_t *ok =
        amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
    if (!ok || amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return -1;
    return ok->message_count;
}

int64_t declare_dead_lettered(amqp_connection_state_t c, const struct config *cfg)
{
    if (!config_retrying(cfg)) return -1;
    char name[256], dlq[256];
    int64_t total = 0;
    for (int i = 0; i < cfg->queues; i++) {
        declare_side_queue(config_queue_name(cfg, i, name, sizeof name), "dlq", dlq, sizeof dlq);
        int64_t n = declare_queue_depth(c, dlq);
        if (n < 0) return -1;
        total += n;
    }
    return total;
}

void declare_delete_topology(amqp_connection_state_t c, const struct config *cfg)
{
    char name[256];
    char side[256];
    if (cfg->topo) {
        for (int i = 0; i < cfg->topo->nqueues; i++) {
            amqp_queue_delete(c, 1, amqp_cstring_bytes(cfg->topo->queues[i].name), 0, 0);
            if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return;
        }
        for (int i = 0; i < cfg->topo->nexchanges; i++) {
            amqp_exchange_delete(c, 1, amqp_cstring_bytes(cfg->topo->exchanges[i].name), 0);
            if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return;
        }
        return;
    }
    for (int i = 0; i < cfg->queues; i++) {
        config_queue_name(cfg, i, name, sizeof name);
        amqp_queue_delete(c, 1, amqp_cstring_bytes(name), 0, 0);
        if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return;
        for (int k = 0; config_retrying(cfg) && k < 2; k++) {
            declare_side_queue(name, k ? "dlq" : "retry", side, sizeof side);
            amqp_queue_delete(c, 1, amqp_cstring_bytes(side), 0, 0);
            if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return;
        }
    }
    if (cfg->exchange[0]) amqp_exchange_delete(c, 1, amqp_cstring_bytes(cfg->exchange), 0);
}
