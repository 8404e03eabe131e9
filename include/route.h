/* route: loadgen's own model of AMQP 0-9-1 routing, so the checker knows
 * which queues each message must reach: the default exchange, direct,
 * fanout, topic ('*' one word, '#' zero or more), headers (x-match all or
 * any; keys starting "x-" are ignored, as RabbitMQ does), exchange-to-
 * exchange bindings and alternate exchanges (used when an exchange's own
 * bindings match nothing). Pure: no broker; tests/unit/test_route.c checks
 * it on a table of cases and tests/test_routing.py the same cases against
 * RabbitMQ.
 *
 * Sizes are capped (hostile scenario files): ROUTE_MAX_* below. */
#ifndef LOADGEN_ROUTE_H
#define LOADGEN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTE_MAX_EXCHANGES 64
#define ROUTE_MAX_QUEUES 256
#define ROUTE_MAX_BINDINGS 1024
#define ROUTE_MAX_ARGS 8
#define ROUTE_NAME 128
#define ROUTE_KEY 256

enum route_xtype { RX_DIRECT, RX_FANOUT, RX_TOPIC, RX_HEADERS, RX_COUNT };

/* A header of a message, or an argument of a headers binding: string values
 * (loadgen publishes its headers as strings; a binding's values are
 * declared as strings too). */
struct route_header {
    char key[64];
    char value[128];
};

struct route_exchange {
    char name[ROUTE_NAME];
    enum route_xtype type;
    int alternate; /* index of its alternate exchange, -1: none */
};

struct route_binding {
    int source;       /* exchange index */
    bool to_exchange; /* destination is an exchange (e2e), else a queue */
    int dest;
    char key[ROUTE_KEY];
    bool match_any;   /* headers: x-match any (else all) */
    int nargs;
    struct route_header args[ROUTE_MAX_ARGS];
};

/* A queue's dead-letter target (x-dead-letter-exchange, and
 * x-dead-letter-routing-key or the message's own key). */
struct route_dead_letter {
    bool set;
    char exchange[ROUTE_NAME]; /* "" is the default exchange */
    bool has_key;
    char key[ROUTE_KEY];
};

struct route_model {
    int nexchanges, nqueues, nbindings;
    struct route_dead_letter dead_letter[ROUTE_MAX_QUEUES];
    struct route_exchange exchanges[ROUTE_MAX_EXCHANGES];
    char queues[ROUTE_MAX_QUEUES][ROUTE_NAME];
    struct route_binding bindings[ROUTE_MAX_BINDINGS];
};

void route_init(struct route_model *m);
/* The exchange's type by name ("topic"); -1 when not one we model. */
int route_xtype_parse(const char *name);
/* Adds an exchange / a queue; returns its index, or -1 with the reason in
 * err (a duplicate name, too many, a name too long). */
int route_add_exchange(struct route_model *m, const char *name, enum route_xtype type, char *err, size_t cap);
int route_add_queue(struct route_model *m, const char *name, char *err, size_t cap);
/* The index of an exchange or queue by name, -1 when not declared. */
int route_exchange(const struct route_model *m, const char *name);
int route_queue(const struct route_model *m, const char *name);
/* Sets the alternate exchange of exchange x (both declared). */
int route_set_alternate(struct route_model *m, const char *exchange, const char *alternate, char *err, size_t cap);
/* Binds queue (or, with to_exchange, exchange) dest to exchange source with
 * a key, or for a headers exchange with args and match_any. */
int route_bind(struct route_model *m, const char *source, const char *dest, bool to_exchange, const char *key,
               const struct route_header *args, int nargs, bool match_any, char *err, size_t cap);
/* Removes the binding made with the same source, destination and key; -1
 * when there was none. */
int route_unbind(struct route_model *m, const char *source, const char *dest, bool to_exchange, const char *key);

/* Where a message published to exchange ("" is the default exchange) with
 * routing key and headers goes: sets to_queue[q] for every queue it reaches
 * (each once, however many paths lead there) and returns how many. A queue
 * name the default exchange routes to must be declared in the model to be
 * counted. */
int route_message(const struct route_model *m, const char *exchange, const char *key,
                  const struct route_header *headers, int nheaders, bool to_queue[ROUTE_MAX_QUEUES]);

/* Queue's dead-letter exchange and key (NULL: the message's own key). The
 * exchange may be declared later; "" is the default exchange. */
int route_set_dead_letter(struct route_model *m, const char *queue, const char *exchange, const char *key,
                          char *err, size_t cap);
/* Where a message dead-lettered out of queue q (rejected, expired, dropped
 * by max-length) may end up, following each queue's dead-letter exchange in
 * turn (a chain, cycles ended): sets to_queue[r] for each such queue r != q
 * and returns how many. Without a dead-letter exchange on q: none. */
int route_dead_letter_reach(const struct route_model *m, int q, const char *key, const struct route_header *headers,
                            int nheaders, bool to_queue[ROUTE_MAX_QUEUES]);

/* Which of n keys (weights w) message seq of producer p carries: a hash of
 * (p, seq), so a republish keeps its key and the checker recomputes it. */
int route_pick(const unsigned *w, int n, uint32_t producer, uint64_t seq);

/* Topic matching alone: does routing key match binding pattern? */
bool route_topic_match(const char *pattern, const char *key);

#endif
