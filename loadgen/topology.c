#include "topology.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static amqp_table_t queue_args(const struct config *cfg, amqp_table_entry_t *e)
{
    int n = 0;
    if (cfg->queue_type != QUEUE_CLASSIC) {
        e[n].key = amqp_cstring_bytes("x-queue-type");
        e[n].value.kind = AMQP_FIELD_KIND_UTF8;
        e[n].value.value.bytes = amqp_cstring_bytes(config_queue_type_name(cfg->queue_type));
        n++;
    }
    for (int i = 0; i < cfg->n_queue_args; i++, n++) {
        const struct config_arg *a = &cfg->queue_args[i];
        e[n].key = amqp_cstring_bytes(a->key);
        if (a->is_int) {
            e[n].value.kind = AMQP_FIELD_KIND_I64;
            e[n].value.value.i64 = a->num;
        } else if (a->is_bool) {
            e[n].value.kind = AMQP_FIELD_KIND_BOOLEAN;
            e[n].value.value.boolean = (amqp_boolean_t)a->num;
        } else {
            e[n].value.kind = AMQP_FIELD_KIND_UTF8;
            e[n].value.value.bytes = amqp_cstring_bytes(a->str);
        }
    }
    return (amqp_table_t){n, e};
}

int topology_declare_queue(amqp_connection_state_t c, int channel, const struct config *cfg,
                           const char *name, char *err, size_t cap)
{
    char what[400];
    amqp_table_entry_t e[CONFIG_MAX_ARGS + 1];
    amqp_queue_declare(c, (amqp_channel_t)channel, amqp_cstring_bytes(name), 0, cfg->durable, 0, 0,
                       queue_args(cfg, e));
    snprintf(what, sizeof what, "declare queue '%s'", name);
    return amqpc_check(c, what, err, cap);
}

int topology_declare(amqp_connection_state_t c, const struct config *cfg, char *err, size_t cap)
{
    char what[400], name[256];
    amqp_channel_open(c, 1);
    if (amqpc_check(c, "channel.open", err, cap)) return -1;
    if (cfg->exchange[0]) {
        amqp_exchange_declare(c, 1, amqp_cstring_bytes(cfg->exchange),
                              amqp_cstring_bytes(cfg->exchange_type), 0, cfg->durable, 0, 0,
                              amqp_empty_table);
        snprintf(what, sizeof what, "declare exchange '%s'", cfg->exchange);
        if (amqpc_check(c, what, err, cap)) return -1;
    }
    amqp_table_entry_t e[CONFIG_MAX_ARGS + 1];
    amqp_table_t args = queue_args(cfg, e);
    for (int i = 0; i < cfg->queues; i++) {
        config_queue_name(cfg, i, name, sizeof name);
        amqp_queue_declare(c, 1, amqp_cstring_bytes(name), 0, cfg->durable, 0, 0, args);
        snprintf(what, sizeof what, "declare queue '%s'", name);
        if (amqpc_check(c, what, err, cap)) return -1;
        if (cfg->exchange[0]) {
            const char *key = cfg->routing_key ? cfg->routing_key : name;
            amqp_queue_bind(c, 1, amqp_cstring_bytes(name), amqp_cstring_bytes(cfg->exchange),
                            amqp_cstring_bytes(key), amqp_empty_table);
            snprintf(what, sizeof what, "bind queue '%s' to '%s'", name, cfg->exchange);
            if (amqpc_check(c, what, err, cap)) return -1;
        }
    }
    return 0;
}

void topology_delete(amqp_connection_state_t c, const struct config *cfg)
{
    char name[256];
    for (int i = 0; i < cfg->queues; i++) {
        config_queue_name(cfg, i, name, sizeof name);
        amqp_queue_delete(c, 1, amqp_cstring_bytes(name), 0, 0);
        if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) return;
    }
    if (cfg->exchange[0]) amqp_exchange_delete(c, 1, amqp_cstring_bytes(cfg->exchange), 0);
}
