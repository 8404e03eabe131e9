/* config: defaults, names, routing keys, and the cross-field checks of a
 * whole config (config_validate); the options are config_options.c's. */
#include "config.h"
#include "route.h"
#include "topo.h"
#include "units.h"
#include "util.h"

#include <amqp.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A paced load one event loop carries with its sends on time: at most
 * LIGHT_RATE msg/s on at most LIGHT_CONNS connections. Its producer and
 * consumer then wake together, not each on its own thread: at 10k msg/s
 * 1p1c 1.32-1.38 CPU-s per 100k messages against 1.62-1.68 on two, and at
 * 20k 1.01 against 1.38 with fewer late sends (bench/run-bench); at 50k
 * one thread sent 5% more than 1 ms late, two 1.6%. */
#define LIGHT_RATE 20000
#define LIGHT_CONNS 100

static int connections(const struct config *c)
{
    int cpc = c->channels_per_conn;
    return (c->producers + cpc - 1) / cpc + (c->consumers + cpc - 1) / cpc;
}

/* The highest rate of a load paced at every step; 0 if a step is full speed. */
static uint64_t paced_peak(const struct config *c)
{
    uint64_t most = 0;
    for (int i = 0; i < c->rate.n; i++) {
        if (!c->rate.value[i]) return 0;
        if (c->rate.value[i] > most) most = c->rate.value[i];
    }
    return most;
}

static bool light_paced(const struct config *c)
{
    uint64_t most = paced_peak(c);
    return !c->http && most && most <= LIGHT_RATE && connections(c) <= LIGHT_CONNS;
}

/* Reads wait for the send tick (rxbatch.c) when that holds no window
 * shut: a tick's messages for a producer or a consumer must fit twice in
 * its confirm window and its prefetch, or a window fills while the answers
 * wait (prefetch 1 would allow one delivery a tick; a producer whose window
 * fills anyway turns waiting off, producer.c). Paced 50k msg/s, confirm 128:
 * 0.47-0.50 CPU-s per 100k against 0.71-0.72 reading as bytes come. A handler
 * model with delays, per-queue consumer settings and TLS (its bytes are
 * not the socket's) read as bytes come. */
static bool reads_may_wait(const struct config *c)
{
    if (c->http || c->no_read_batch || !c->send_tick_ns || c->tls || config_uri_tls(c)) return false;
    if (c->consumer_delay_ns || c->topo) return false;
    uint64_t most = paced_peak(c);
    if (!most) return false; /* a full-speed step: reads are what it waits for */
    uint64_t tick = (most * c->send_tick_ns + NS_PER_SEC - 1) / NS_PER_SEC; /* messages a tick, all */
    /* A producer due less than once a tick never has reads wait for it:
     * no second descriptor for its socket (10,000 connections at 1 msg/s) */
    if (c->producers_total < 1 || most * c->send_tick_ns < (uint64_t)c->producers_total * NS_PER_SEC) return false;
    uint64_t per_p = (tick + (uint64_t)c->producers_total - 1) / (uint64_t)c->producers_total;
    uint64_t per_c = c->consumers_total ? (tick + (uint64_t)c->consumers_total - 1) / (uint64_t)c->consumers_total : 0;
    if (c->confirm && (uint64_t)c->confirm < 2 * per_p) return false;
    return c->auto_ack || !c->prefetch || (uint64_t)c->prefetch >= 2 * per_c;
}

/* Heartbeats are most of what an idle connection costs: 10,000 idle
 * connections spent 4.4 CPU-s a minute at 10 s (a frame out every 10 s and
 * one in every 5 s each, through loopback TCP), 1.0 at 60 s, RabbitMQ's and
 * PerfTest's default (bench/run-bench). Below MANY_CONNS the quicker
 * dead-peer check wins. */
#define MANY_CONNS 1000
#define MANY_CONNS_HEARTBEAT_S 60

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->threads = 2;
    c->producers = 1;
    c->consumers = 1;
    c->channels_per_conn = 1;
    c->rate.n = 1; /* unlimited */
    c->size.n = 1;
    c->size.value[0] = 16;
    c->confirm = 128;
    c->prefetch = 128;
    c->multi_ack = 1;
    c->queue = xstrdup("loadgen");
    c->queues = 1;
    c->queue_type = QUEUE_CLASSIC;
    c->exchange = xstrdup("");
    c->exchange_type = xstrdup("direct");
    c->stream_offset = xstrdup("next");
    c->retry_delay_ns = NS_PER_SEC;
    c->max_retries = 3;
    c->duration_ns = 10 * NS_PER_SEC;
    c->send_tick_ns = NS_PER_MS;
    c->drain_timeout_ns = 15 * NS_PER_SEC;
    c->heartbeat_s = 10;
    c->connect_timeout_ns = 5 * NS_PER_SEC;
    c->connect_rate = 1000;
}

void config_free(struct config *c)
{
    free(c->uri), free(c->broker_dir), free(c->queue), free(c->exchange);
    free(c->exchange_type), free(c->routing_key), free(c->stream_offset);
    free(c->json_path), free(c->hgrm_prefix), free(c->hlog_path), free(c->proxy_api);
    free(c->report_dir), free(c->name), free(c->partition_handling), free(c->broker_conf);
    free(c->tls_cacert), free(c->tls_cert), free(c->tls_key);
    free(c->management), free(c->metrics_listen);
    for (int i = 0; i < c->n_proxy_toxics; i++) free(c->proxy_toxics[i]);
    for (int i = 0; i < c->n_routing_keys; i++) free(c->routing_keys[i]);
    for (int i = 0; i < c->n_binding_keys; i++) free(c->binding_keys[i]);
    topo_free(c->topo);
    free(c->topology_path);
    for (int i = 0; i < c->n_queue_args; i++) free(c->queue_args[i].key), free(c->queue_args[i].str);
    memset(c, 0, sizeof *c);
}

int config_parse_arg(const char *kv, struct topo_arg *a)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return -1;
    memset(a, 0, sizeof *a);
    a->key = strndup(kv, (size_t)(eq - kv));
    const char *v = eq + 1;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*v && !*end && !errno) {
        a->is_int = true;
        a->num = n;
    } else if (!strcmp(v, "true") || !strcmp(v, "false")) {
        a->is_bool = true;
        a->num = !strcmp(v, "true");
    } else {
        a->str = xstrdup(v);
    }
    return 0;
}

const char *config_queue_name(const struct config *c, int i, char *buf, size_t cap)
{
    if (c->topo && i >= 0 && i < c->topo->nqueues) {
        snprintf(buf, cap, "%s", c->topo->queues[i].name);
        return buf;
    }
    if (c->queues <= 1) snprintf(buf, cap, "%s", c->queue);
    else snprintf(buf, cap, "%s-%d", c->queue, i + 1);
    return buf;
}

const char *config_binding_key(const struct config *c, int i, const char *queue)
{
    if (i < c->n_binding_keys) return c->binding_keys[i];
    return c->routing_key ? c->routing_key : queue;
}

const char *config_message_key(const struct config *c, int producer, uint64_t seq, const char *queue)
{
    if (c->n_routing_keys)
        return c->routing_keys[route_pick(c->routing_weights, c->n_routing_keys, (uint32_t)producer, seq)];
    return c->routing_key ? c->routing_key : queue;
}

int config_validate(struct config *c, char *err, size_t cap)
{
    if (c->producers == 0 && c->consumers == 0 && !c->http) {
        snprintf(err, cap, "nothing to do: --producers and --consumers are both 0");
        return -1;
    }
    if (c->uri) {
        char *copy = xstrdup(c->uri);
        struct amqp_connection_info info;
        int rc = amqp_parse_url(copy, &info);
        free(copy);
        if (rc != AMQP_STATUS_OK) {
            char red[600];
            snprintf(err, cap, "--uri: '%s' is not an AMQP URI (amqp://user:pass@host:port/vhost)",
                    config_redact_uri(c->uri, red, sizeof red));
            return -1;
        }
    }
    if (c->queue_type != QUEUE_CLASSIC) c->durable = true;
    if (c->queue_type == QUEUE_STREAM && c->prefetch == 0) {
        snprintf(err, cap, "--queue-type stream needs a --prefetch above 0 (streams require consumer QoS)");
        return -1;
    }
    if (c->queue_type == QUEUE_STREAM && c->auto_ack) {
        snprintf(err, cap, "--queue-type stream does not support --auto-ack");
        return -1;
    }
    if (c->consumer_delay_ns && c->prefetch == 0 && !c->auto_ack) {
        snprintf(err, cap, "--consumer-delay needs a --prefetch above 0 (it bounds the messages in work)");
        return -1;
    }
    if (c->prefetch && c->multi_ack > c->prefetch && !c->auto_ack) {
        snprintf(err, cap, "--multi-ack %d exceeds --prefetch %d: the broker would stop delivering before "
                "an ack is sent", c->multi_ack, c->prefetch);
        return -1;
    }
    if (c->warmup_ns >= c->duration_ns && !c->messages) {
        snprintf(err, cap, "--warmup must be shorter than --duration");
        return -1;
    }
    for (int i = 0; i < c->size.n; i++)
        if (c->size.value[i] > 128u << 20) {
            snprintf(err, cap, "--size: %llu bytes is above the 128 MiB limit",
                    (unsigned long long)c->size.value[i]);
            return -1;
        }
    if (c->producers && c->messages && c->messages < (uint64_t)c->producers) {
        snprintf(err, cap, "--messages %llu is fewer than --producers %d",
                (unsigned long long)c->messages, c->producers);
        return -1;
    }
    if (c->fail_rate > 0 && c->auto_ack) {
        snprintf(err, cap, "--fail-rate needs manual acks: an --auto-ack consumer cannot nack");
        return -1;
    }
    if (c->fail_rate >= 1 && c->fail_action != FAIL_RETRY) {
        snprintf(err, cap, "--fail-rate 1 with --fail-action %s would never process a message",
                config_fail_action_name(c->fail_action));
        return -1;
    }
    if (config_retrying(c)) {
        if (c->queue_type == QUEUE_STREAM) {
            snprintf(err, cap, "--fail-action retry needs a classic or quorum queue (streams do not dead-letter)");
            return -1;
        }
        for (int i = 0; i < c->n_queue_args; i++)
            if (!strncmp(c->queue_args[i].key, "x-dead-letter-", 14)) {
                snprintf(err, cap, "--fail-action retry sets the queue's dead-lettering itself; drop --queue-arg %s",
                        c->queue_args[i].key);
                return -1;
            }
        if (c->retry_delay_ns < NS_PER_MS) {
            snprintf(err, cap, "--retry-delay must be at least 1ms");
            return -1;
        }
    }
    if (c->topo && config_validate_topology(c, err, cap)) return -1;
    if (config_validate_broker(c, err, cap)) return -1;
    if ((c->n_routing_keys || c->n_binding_keys) && !c->exchange[0] && !c->topo)
        return snprintf(err, cap, "--routing-keys and --binding-keys need an --exchange"), -1;
    if (c->n_binding_keys && c->n_binding_keys != c->queues)
        return snprintf(err, cap, "--binding-keys gives %d keys for %d queues: one per queue", c->n_binding_keys,
                        c->queues), -1;
    config_instance_whole(c);
    /* One thread sees every consumer's deliveries in one order. */
    if (c->order_by_queue) c->threads = 1;
    if (!c->threads_set && light_paced(c)) c->threads = 1;
    c->read_batch = reads_may_wait(c);
    if (!c->heartbeat_set && !c->http && connections(c) > MANY_CONNS) c->heartbeat_s = MANY_CONNS_HEARTBEAT_S;
    int agents = c->producers + c->consumers;
    if (c->threads > agents) c->threads = agents;
    return 0;
}
