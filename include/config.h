/* config: the bench configuration. One struct, defaults in config_init(),
 * typed unit-aware parsing, cross-field checks, and a JSON echo. */
#ifndef LOADGEN_CONFIG_H
#define LOADGEN_CONFIG_H

#include "schedule.h"
#include "topo.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_ARGS 32

struct msg_template;
struct effects_spec;
struct httpload_spec;
#define CONFIG_MAX_NODES 5 /* = CLUSTER_MAX_NODES */
/* auto: namespaces as root, else loopback (no network faults) */
enum { CLUSTER_NET_AUTO, CLUSTER_NET_NAMESPACES, CLUSTER_NET_LOOPBACK };


struct config {
    char *uri;                 /* NULL: start the embedded broker */
    char *broker_dir;          /* embedded broker's data dir (NULL: temp) */
    int nodes;                 /* > 1: an embedded cluster in network namespaces (cluster.h) */
    char *partition_handling;  /* the cluster's cluster_partition_handling (NULL: pause_minority) */
    bool tls;                  /* the embedded node gets a TLS listener; the clients use it */
    char *tls_cacert, *tls_cert, *tls_key; /* amqps: PEM files (--cacert, --cert, --key) */
    bool tls_no_verify;        /* --verify none */
    char *broker_conf;         /* rabbitmq.conf lines for the embedded node(s), "key = value\n"... */
    int connect_node;          /* clients' first node: 0 round-robin, else node N (1-based) */
    int cluster_network;       /* CLUSTER_NET_*: where the cluster's nodes live */
    int threads;
    bool threads_set;          /* --threads given: no automatic choice (config_validate) */
    bool heartbeat_set;    /* --heartbeat given: no default by connection count */
    int producers, consumers;
    int channels_per_conn;
    struct schedule rate;  /* total msg/s over all producers; 0 = unlimited */
    struct schedule size;  /* payload bytes after the 48-byte header */
    int confirm;                  /* max unconfirmed per producer; 0 = no confirms */
    bool persistent, mandatory;
    bool no_republish;            /* naive client: drop what was unconfirmed at a loss */
    int prefetch;                 /* 0 = unlimited */
    int multi_ack;                /* ack every N deliveries with multiple=true */
    bool auto_ack;
    bool idempotent;              /* consumers dedup by message id (an inbox) */
    uint64_t consumer_delay_ns;
    double fail_rate;             /* probability that the handler fails a delivery */
    enum fail_action fail_action; /* requeue: nack+requeue; reject: nack, dropped or
                                   * dead-lettered by the queue's own DLX; retry: the
                                   * retry-queue pattern (<queue>.retry, a TTL, back to
                                   * <queue>), parked in <queue>.dlq after max_retries */
    uint64_t retry_delay_ns;      /* retry: the retry queue's message TTL */
    int max_retries;              /* retry: rejections before a message is parked */
    bool order_by_queue;          /* ordering judged per queue across its consumers */
    char *queue;                  /* name, or pattern base with queues > 1 */
    int queues;
    enum queue_type queue_type;
    struct topo_arg queue_args[CONFIG_MAX_ARGS];
    int n_queue_args;
    bool durable, predeclared, keep_queues;
    char *exchange, *exchange_type, *routing_key;
    /* --routing-keys: each message's key drawn by weight (route_pick) */
    char *routing_keys[CONFIG_MAX_ARGS];
    unsigned routing_weights[CONFIG_MAX_ARGS];
    short routing_priority[CONFIG_MAX_ARGS]; /* a route's message priority + 1; 0: none */
    int n_routing_keys;
    /* --binding-keys: queue i bound with binding_keys[i] */
    char *binding_keys[CONFIG_MAX_ARGS];
    int n_binding_keys;
    /* topology given as lists (topo.h), NULL: the shorthand above */
    struct topo *topo;
    char *topology_path; /* --topology FILE: the lists from a YAML file (bench) */
    char *stream_offset;
    uint64_t duration_ns, warmup_ns, drain_timeout_ns;
    uint64_t messages;            /* total to publish; 0 = until duration */
    uint64_t heartbeat_s, connect_timeout_ns;
    double connect_rate;          /* connection setups per second, all threads (0: no pacing) */
    uint64_t send_tick_ns;        /* paced sends are released on this grid (0: each at its own time) */
    bool no_read_batch;           /* --no-read-batch: reads never wait for the send tick */
    bool read_batch;              /* config_validate: reads wait for the send tick (rxbatch.c) */
    uint64_t confirm_timeout_ns;  /* drop the connection when a confirm is this late (0: never) */
    bool realtime_clock, uncorrected, quiet;
    bool silent;                  /* no summary and no notes of the run (capacity's steps) */
    char *json_path, *hgrm_prefix, *hlog_path;
    char *report_dir;             /* run directory; NULL: reports/<UTC time>-<name> */
    bool no_report;               /* write no run directory */
    char *name;                   /* names the run directory: "bench" or the scenario's */
    bool via_proxy;               /* route the load through an in-process fault proxy */
    char *proxy_api;              /* serve its HTTP API here */
    char *proxy_toxics[CONFIG_MAX_ARGS]; /* toxic JSON specs applied from the start */
    int n_proxy_toxics;
    char *management;             /* management API to sample: http://user:pass@host:port, or
                                   * "embedded" (the plugin on the embedded node); NULL: none */
    bool no_broker_stats;         /* sample no broker resources (resources.h) */
    char *metrics_listen;         /* serve Prometheus text here while the run goes (metrics.h) */
    bool allow_remote;            /* metrics_listen may be other than loopback */
    uint64_t metrics_linger_ns;   /* and this long after it ended */
    /* Scale-out (config_instance.c): one of `instances` processes running
     * the load together. After config_validate, producers and consumers
     * are this instance's; the totals and bases are the whole load's and
     * where this instance's global ids start (0 and the same counts alone). */
    int instance, instances;
    int producers_total, consumers_total, producer_base, consumer_base;
    int ids_given[2][2];          /* --producer-ids / --consumer-ids A-B (B+1); [0][1] == 0: not given */
    uint32_t run_id;              /* shared by every instance (0: a new one per run) */
    double start_at;              /* publishing starts at this epoch time (0: when ready) */
    bool sharded;                 /* config_validate applied the share once */
    /* A scenario's services (docs/services.md), owned by the scenario:
     * what the producers publish (NULL: loadgen's own binary messages)
     * and where the service's effects arrive (NULL: no services). */
    const struct msg_template *tpl;
    const struct effects_spec *effects;
    /* load.http: requests to a user's API instead of AMQP publishing
     * (httpload.h; NULL: none), owned by the scenario */
    const struct httpload_spec *http;
};

/* config_instance.c: --instance, --run-id, --start-at, --producer-ids,
 * --consumer-ids (which: 0..4 in that order); and, after config_validate
 * (bench and run call it once their --uri is known), this instance's share
 * of the load (JOB_COMPLETION_INDEX and LOADGEN_INSTANCES from the
 * environment when --instance is not given). */
int config_instance_option(struct config *c, int which, const char *v, char *err, size_t cap);
int config_instance_validate(struct config *c, char *err, size_t cap);
/* config_validate's: the totals and bases are the whole load's (one
 * process) until config_instance_validate takes a share. */
void config_instance_whole(struct config *c);

void config_init(struct config *c);
void config_free(struct config *c);

/* Parses `loadgen bench` argv. Returns 0, 1 for --help (printed), or -1
 * after printing a message that names the option. */
int config_parse_args(struct config *c, int argc, char **argv);
void config_usage(FILE *f);
/* Checks and sets one option by its long name, for the command line and a
 * scenario's load keys alike: ("rate", "1000"). A flag takes NULL (present)
 * or "true"/"false". Returns 0, or -1 with the reason in err. */
int config_apply(struct config *c, const char *option, const char *value, char *err, size_t cap);
/* Cross-field checks (and the settings they imply); -1 with the reason in err. */
int config_validate(struct config *c, char *err, size_t cap);

/* Parses "key=value" with typed value (integer, true/false, else string). */
int config_parse_arg(const char *kv, struct topo_arg *out);

/* The key queue i is bound with, and the key of producer p's message seq
 * (behind a named exchange). */
const char *config_binding_key(const struct config *c, int i, const char *queue);
const char *config_message_key(const struct config *c, int producer, uint64_t seq, const char *queue);
/* --broker-conf KEY=VALUE: one rabbitmq.conf line, checked (no newline,
 * no '=' in the key, size capped) and appended; -1 with the reason. */
int config_broker_conf(struct config *c, const char *kv, char *err, size_t cap);
int config_validate_tls(const struct config *c, char *err, size_t cap);
/* --uri is amqps:// */
bool config_uri_tls(const struct config *c);
/* The cluster goes on loopback: asked for, or automatic without root. */
bool config_cluster_loopback(const struct config *c);
/* config_validate's checks of the embedded broker's settings. */
int config_validate_broker(const struct config *c, char *err, size_t cap);
/* Sets cfg's queues, consumers, exchange and routing keys from cfg->topo.
 * -1 with the reason when they contradict the load. */
int config_apply_topology(struct config *cfg, char *err, size_t cap);

/* What the consumers of queue q run with: the queue's own settings, else
 * the load's (no topology lists: the load's). */
struct consumer_settings {
    enum queue_type type;
    int prefetch;
    double fail_rate;
    enum fail_action fail_action;
    uint64_t consumer_delay_ns;
};
void config_consumer_settings(const struct config *cfg, int q, struct consumer_settings *s);
/* config_validate's checks of cfg->topo (each queue's settings). */
int config_validate_topology(const struct config *c, char *err, size_t cap);

/* Behind an exchange or a topology: the checker needs the routing model. */
bool config_routed(const struct config *c);
struct gate_load;
/* The facts gates_computable (gates.h) reads, for this config's load. */
void config_gate_load(const struct config *c, struct gate_load *l);
/* Queue name i (0-based) for this config. Writes into buf. */
const char *config_queue_name(const struct config *c, int i, char *buf, size_t cap);
const char *config_queue_type_name(enum queue_type t);
const char *config_fail_action_name(enum fail_action a);
/* Handlers fail into the retry-queue pattern (QUEUE.retry, QUEUE.dlq). */
bool config_retrying(const struct config *c);

/* The effective configuration, credentials redacted from the URI. */
json_t *config_to_json(const struct config *c);
/* "amqp://user:***@host:port/vhost". Writes into buf. */
const char *config_redact_uri(const char *uri, char *buf, size_t cap);

#endif
