/* topo: a topology given as lists (a scenario's `topology:` with
 * exchanges, queues, bindings, publish and policies): what loadgen
 * declares, which queue each consumer reads with which settings, and what
 * the checker's routing model is built from. The single-exchange options
 * (--exchange, --queues, --binding-keys) stay a shorthand and need none of
 * this. Sizes are capped: scenario files are hostile input. */
#ifndef LOADGEN_TOPO_H
#define LOADGEN_TOPO_H

#include "route.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define TOPO_MAX_EXCHANGES 32
#define TOPO_MAX_QUEUES 64
#define TOPO_MAX_BINDINGS 256
#define TOPO_MAX_ROUTES 32
#define TOPO_MAX_POLICIES 16
#define TOPO_MAX_ARGS 16
#define TOPO_MAX_CONSUMERS 1000 /* per queue */

enum queue_type { QUEUE_CLASSIC, QUEUE_QUORUM, QUEUE_STREAM };

/* What a consumer does with a delivery its handler failed on. */
enum fail_action { FAIL_REQUEUE, FAIL_REJECT, FAIL_RETRY };

/* An argument (of a queue, an exchange): typed as RabbitMQ needs it. */
struct topo_arg {
    char *key;
    char *str;     /* string value, or NULL when typed */
    long long num; /* integer value when is_int */
    bool is_int, is_bool;
};

struct topo_exchange {
    char *name, *type;
    char *alternate; /* alternate-exchange, NULL: none */
    bool durable, auto_delete, internal;
    struct topo_arg args[TOPO_MAX_ARGS];
    int nargs, line;
};

/* A queue and the consumers that read it. Consumer settings left unset
 * (negative) take the load's. */
struct topo_queue {
    char *name;
    enum queue_type type;
    bool durable;
    struct topo_arg args[TOPO_MAX_ARGS];
    int nargs, line;
    int consumers;              /* -1: the load's consumers, spread over the queues */
    int prefetch;               /* -1: the load's */
    double fail_rate;           /* < 0: the load's */
    int fail_action;            /* -1: the load's (requeue or reject) */
    int64_t consumer_delay_ns;  /* < 0: the load's */
};

struct topo_binding {
    char *source, *dest, *key; /* key "" when none */
    bool to_exchange;          /* exchange-to-exchange */
    bool match_any;            /* headers: x-match any (else all) */
    struct route_header args[ROUTE_MAX_ARGS];
    int nargs, line;
};

/* One way producers publish: a routing key and headers, chosen by weight. */
struct topo_route {
    char *key;
    unsigned weight;
    int priority; /* the messages' basic.properties priority, 0-255; -1: none */
    struct route_header headers[ROUTE_MAX_ARGS];
    int nheaders, line;
};

struct topo_policy {
    char *name, *pattern, *apply_to, *definition; /* definition: JSON object text */
    int priority, line;
};

struct topo {
    struct topo_exchange *exchanges;
    struct topo_queue *queues;
    struct topo_binding *bindings;
    int nexchanges, nqueues, nbindings;
    char *exchange; /* publish.exchange: "" is the default exchange */
    struct topo_route routes[TOPO_MAX_ROUTES];
    int nroutes;
    struct topo_policy policies[TOPO_MAX_POLICIES];
    int npolicies;
};

struct topo *topo_new(void);
void topo_free(struct topo *t);
/* A new zeroed entry with its defaults, or NULL with the reason (too many). */
struct topo_exchange *topo_add_exchange(struct topo *t, char *err, size_t cap);
struct topo_queue *topo_add_queue(struct topo *t, char *err, size_t cap);
struct topo_binding *topo_add_binding(struct topo *t, char *err, size_t cap);
struct topo_route *topo_add_route(struct topo *t, char *err, size_t cap);
struct topo_policy *topo_add_policy(struct topo *t, char *err, size_t cap);
/* One queue and no publish: publish to it by name through the default
 * exchange (the obvious default); otherwise nothing changes. */
void topo_default_route(struct topo *t);

/* Cross-references and limits (names declared, types known, a queue with
 * no consumers must dead-letter somewhere): -1 with the reason in err and
 * the offending entry's line in *line (0 when none). */
int topo_check(const struct topo *t, char *err, size_t cap, int *line);
/* Consumers of queue i when n consumers are spread over the queues: the
 * queue's own count when any queue gives one. */
int topo_queue_consumers(const struct topo *t, int n, int i);
/* "classic", "quorum", "stream". */
const char *topo_queue_type_name(enum queue_type type);

/* The queue consumer c (0-based, of cfg->consumers) reads. */
int topo_consumer_queue(const struct topo *t, int consumers, int c);
/* The routing model of t: exchanges, queues, bindings, alternates and
 * dead-letter targets. -1 when something is not modelled (an exchange type
 * such as x-consistent-hash). */
int topo_model(const struct topo *t, struct route_model *m, char *err, size_t cap);
/* Queue qi's dead-letter exchange and key: its own x-dead-letter-*
 * arguments, else those of the policy that applies to it. false: none. */
bool topo_dead_letter(const struct topo *t, int qi, char *exchange, size_t xcap, char *key, size_t kcap,
                      bool *has_key);
/* The value of a queue argument given as a string, NULL when absent. */
const char *topo_queue_arg(const struct topo_queue *q, const char *key);
/* A queue argument given as an integer (e.g. x-message-ttl), -1 when absent. */
long long topo_queue_num(const struct topo_queue *q, const char *key);

json_t *topo_to_json(const struct topo *t);

#endif
