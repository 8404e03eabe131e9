/* config: the effective configuration as JSON (echoed into every report),
 * credentials redacted. */
#include "config.h"
#include "topo.h"

#include <stdio.h>
#include <string.h>

const char *config_fail_action_name(enum fail_action a)
{
    return a == FAIL_REJECT ? "reject" : a == FAIL_RETRY ? "retry" : "requeue";
}

const char *config_queue_type_name(enum queue_type t)
{
    return topo_queue_type_name(t);
}

const char *config_redact_uri(const char *uri, char *buf, size_t cap)
{
    if (!uri) {
        snprintf(buf, cap, "embedded");
        return buf;
    }
    const char *scheme = strstr(uri, "://");
    const char *at = strrchr(uri, '@');
    if (scheme && (!at || at < scheme)) {
        /* no '@': "amqp://user:S3CRET" is a user and a password to hide
         * whatever follows; "amqp://host:5672/vh" is a port to keep */
        const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?#");
        const char *colon = memchr(auth, ':', (size_t)(end - auth));
        bool port = colon && colon + 1 < end && strspn(colon + 1, "0123456789") == (size_t)(end - colon - 1);
        if (colon && !port) {
            snprintf(buf, cap, "%.*s:***", (int)(colon - uri), uri);
            return buf;
        }
    }
    if (!scheme || !at || at < scheme) {
        snprintf(buf, cap, "%s", uri);
        return buf;
    }
    const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
    if (!colon) colon = at;
    snprintf(buf, cap, "%.*s:***%s", (int)(colon - uri), uri, at);
    return buf;
}

static json_t *schedule_json(const struct schedule *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->n; i++)
        json_array_append_new(a, json_pack("{s:I, s:f}", "value", (json_int_t)s->value[i],
                                           "seconds", (double)s->dur_ns[i] / 1e9));
    return a;
}

json_t *config_to_json(const struct config *c)
{
    char uri[256];
    json_t *args = json_object();
    for (int i = 0; i < c->n_queue_args; i++) {
        const struct topo_arg *a = &c->queue_args[i];
        json_object_set_new(args, a->key,
                            a->is_int    ? json_integer(a->num)
                            : a->is_bool ? json_boolean(a->num)
                                         : json_string(a->str));
    }
    json_t *j = json_object();
    json_object_set_new(j, "uri", json_string(config_redact_uri(c->uri, uri, sizeof uri)));
    if (c->nodes > 1) {
        json_object_set_new(j, "nodes", json_integer(c->nodes));
        json_object_set_new(j, "cluster_network", json_string(config_cluster_loopback(c) ? "loopback" : "namespaces"));
        json_object_set_new(j, "partition_handling",
                            json_string(c->partition_handling ? c->partition_handling : "pause_minority"));
    }
    if (c->broker_conf) json_object_set_new(j, "broker_conf", json_string(c->broker_conf));
    if (c->connect_node) json_object_set_new(j, "connect", json_sprintf("n%d", c->connect_node));
    json_object_set_new(j, "threads", json_integer(c->threads));
    json_object_set_new(j, "producers", json_integer(c->producers));
    json_object_set_new(j, "consumers", json_integer(c->consumers));
    json_object_set_new(j, "channels_per_connection", json_integer(c->channels_per_conn));
    json_object_set_new(j, "rate", schedule_json(&c->rate));
    json_object_set_new(j, "size", schedule_json(&c->size));
    json_object_set_new(j, "confirm", json_integer(c->confirm));
    json_object_set_new(j, "persistent", json_boolean(c->persistent));
    json_object_set_new(j, "mandatory", json_boolean(c->mandatory));
    json_object_set_new(j, "republish", json_boolean(!c->no_republish));
    json_object_set_new(j, "prefetch", json_integer(c->prefetch));
    json_object_set_new(j, "multi_ack", json_integer(c->multi_ack));
    json_object_set_new(j, "auto_ack", json_boolean(c->auto_ack));
    json_object_set_new(j, "idempotent", json_boolean(c->idempotent));
    json_object_set_new(j, "consumer_delay_ms", json_real((double)c->consumer_delay_ns / 1e6));
    json_object_set_new(j, "fail_rate", json_real(c->fail_rate));
    json_object_set_new(j, "fail_action", json_string(config_fail_action_name(c->fail_action)));
    json_object_set_new(j, "retry_delay_ms", json_real((double)c->retry_delay_ns / 1e6));
    json_object_set_new(j, "max_retries", json_integer(c->max_retries));
    json_object_set_new(j, "ordering", json_string(c->order_by_queue ? "queue" : "consumer"));
    json_object_set_new(j, "queue", json_string(c->queue));
    json_object_set_new(j, "queues", json_integer(c->queues));
    json_object_set_new(j, "queue_type", json_string(config_queue_type_name(c->queue_type)));
    json_object_set_new(j, "queue_args", args);
    json_object_set_new(j, "durable", json_boolean(c->durable));
    json_object_set_new(j, "exchange", json_string(c->exchange));
    json_object_set_new(j, "exchange_type", json_string(c->exchange_type));
    json_object_set_new(j, "routing_key", c->routing_key ? json_string(c->routing_key) : json_null());
    json_t *rk = json_array(), *bk = json_array();
    for (int i = 0; i < c->n_routing_keys; i++)
        json_array_append_new(rk,
                              json_pack("{s:s, s:i}", "key", c->routing_keys[i], "weight", (int)c->routing_weights[i]));
    for (int i = 0; i < c->n_binding_keys; i++) json_array_append_new(bk, json_string(c->binding_keys[i]));
    json_object_set_new(j, "routing_keys", rk);
    json_object_set_new(j, "binding_keys", bk);
    json_object_set_new(j, "predeclared", json_boolean(c->predeclared));
    json_object_set_new(j, "duration_s", json_real((double)c->duration_ns / 1e9));
    json_object_set_new(j, "messages", json_integer((json_int_t)c->messages));
    json_object_set_new(j, "connect_rate", json_real(c->connect_rate));
    json_object_set_new(j, "tls", json_boolean(c->tls || config_uri_tls(c)));
    json_object_set_new(j, "tls_verify", json_string(c->tls_no_verify ? "none" : "peer"));
    json_object_set_new(j, "send_tick_ms", json_real((double)c->send_tick_ns / 1e6));
    json_object_set_new(j, "read_batch", json_boolean(c->read_batch));
    json_object_set_new(j, "warmup_s", json_real((double)c->warmup_ns / 1e9));
    json_object_set_new(j, "uncorrected", json_boolean(c->uncorrected));
    json_object_set_new(j, "heartbeat_s", json_integer((json_int_t)c->heartbeat_s));
    json_object_set_new(j, "confirm_timeout_s", json_real((double)c->confirm_timeout_ns / 1e9));
    json_object_set_new(j, "clock", json_string(c->realtime_clock ? "realtime" : "monotonic"));
    json_object_set_new(j, "via_proxy", json_boolean(c->via_proxy));
    char mg[512];
    json_object_set_new(j, "management", c->management ? json_string(config_redact_uri(c->management, mg, sizeof mg))
                                                       : json_null());
    json_object_set_new(j, "broker_stats", json_boolean(!c->no_broker_stats));
    json_object_set_new(j, "metrics_listen", c->metrics_listen ? json_string(c->metrics_listen) : json_null());
    json_t *tox = json_array();
    for (int i = 0; i < c->n_proxy_toxics; i++)
        json_array_append_new(tox, json_loads(c->proxy_toxics[i], 0, NULL));
    json_object_set_new(j, "proxy_toxics", tox);
    if (c->topo) json_object_set_new(j, "topology", topo_to_json(c->topo));
    char run_id_hex[16];
    snprintf(run_id_hex, sizeof run_id_hex, "%08x", c->run_id);
    if (c->sharded) /* scale-out: which share of the load this instance ran */
        json_object_set_new(j, "instance",
                            json_pack("{s:i, s:i, s:s, s:[i,i], s:[i,i], s:i, s:i, s:f}", "index", c->instance, "of",
                                      c->instances, "run_id", run_id_hex, "producer_ids", c->producer_base,
                                      c->producer_base + c->producers, "consumer_ids", c->consumer_base,
                                      c->consumer_base + c->consumers, "producers_total", c->producers_total,
                                      "consumers_total", c->consumers_total, "start_at", c->start_at));
    return j;
}
