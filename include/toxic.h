/* toxic: what a proxy does to one direction of a connection. One small file
 * per toxic (loadgen/toxic_*.c), each a struct toxic_ops; a registry finds
 * them by Toxiproxy type name. Attributes are non-negative integers named by
 * the ops' attr table, parsed and printed generically. */
#ifndef LOADGEN_TOXIC_H
#define LOADGEN_TOXIC_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOXIC_MAX_ATTRS 4
enum toxic_stream { TOXIC_UPSTREAM = 0, TOXIC_DOWNSTREAM = 1 }; /* client->server, server->client */

struct toxic_ops;

struct toxic {
    char name[64];
    const struct toxic_ops *ops;
    enum toxic_stream stream;
    double toxicity;                 /* probability that a connection is affected */
    int64_t attr[TOXIC_MAX_ATTRS];
    uint64_t activations;            /* connections it was applied to (toxicity passed) */
};

/* One direction of one connection, as a toxic sees it. */
struct toxic_env {
    struct event_base *base;
    void *link;
    enum toxic_stream dir;
    void (*close)(void *link, bool reset);            /* end the connection (RST if reset) */
    void (*set_rate)(void *link, enum toxic_stream dir, int64_t bytes_per_s); /* 0: no limit */
};

/* Per (connection, toxic) state. */
struct toxic_state {
    struct toxic_env *env;
    struct event *ev; /* freed by the proxy on detach */
    int64_t n;        /* toxic-defined counter (bytes so far, ...) */
};

/* A chunk of data passing through; toxics adjust it in order. */
struct toxic_tx {
    size_t len;             /* bytes read from the source */
    size_t keep;            /* bytes to forward (<= len) */
    uint64_t delay_ns;      /* added delay before forwarding */
    bool close_after;       /* close the connection once forwarded */
    size_t slice_avg, slice_var; /* if slice_avg: cut into pieces of avg +/- var */
    uint64_t slice_delay_ns;     /* between pieces */
};

struct toxic_ops {
    const char *type;
    const char *attr[TOXIC_MAX_ATTRS]; /* attribute names, NULL-terminated */
    void (*attach)(const struct toxic *t, struct toxic_state *st); /* optional */
    void (*detach)(const struct toxic *t, struct toxic_state *st); /* optional */
    void (*data)(const struct toxic *t, struct toxic_state *st, struct toxic_tx *tx); /* optional */
    uint64_t (*close_delay_ns)(const struct toxic *t); /* optional: delay the far close */
};

const struct toxic_ops *toxic_find(const char *type);
/* Fills or updates t from Toxiproxy JSON; on create, every attribute not
 * given is 0. Returns 0 or -1 with a message. */
int toxic_parse(struct toxic *t, json_t *spec, bool create, char *err, size_t cap);
json_t *toxic_to_json(const struct toxic *t);

extern const struct toxic_ops toxic_latency, toxic_bandwidth, toxic_slow_close, toxic_timeout,
    toxic_reset_peer, toxic_slicer, toxic_limit_data;

#endif
