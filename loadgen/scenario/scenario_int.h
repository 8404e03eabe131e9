/* The scenario parser's shared helpers (scenario.c) for its other files
 * and the fault families (faults/). Private to loadgen/scenario/. */
#ifndef LOADGEN_SCENARIO_INT_H
#define LOADGEN_SCENARIO_INT_H

#include "scenario.h"

#include <jansson.h>
#include <stdbool.h>
#include <yaml.h>

struct ctx {
    const char *path;
    yaml_document_t *doc;
    struct scenario *sc;
    int errors;
    yaml_node_t *consumers_node, *body_node; /* load.consumers and load.body, when given */
    int port_refs;                           /* {port:NAME} expanded so far */
    int svc_port, svc_ports;                 /* the service being read: a port it names, how many distinct */
    yaml_node_t *ready_node;                 /* its ready.http, when a bare path */
};

#define FOREACH_PAIR(n, p)                                                                                             \
    for (yaml_node_pair_t *p = (n)->data.mapping.pairs.start; p < (n)->data.mapping.pairs.top; p++)
#define FOREACH_ITEM(n, i)                                                                                             \
    for (yaml_node_item_t *i = (n)->data.sequence.items.start; i < (n)->data.sequence.items.top; i++)

/* Prints "file:line:col: field: message" and counts the error. */
void sc_err(struct ctx *x, yaml_node_t *n, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* After parsing: how many errors sc_err did not print. */
void sc_errors_end(struct ctx *x);
yaml_node_t *sc_node(struct ctx *x, int id);
/* The scalar's text, NULL for a mapping or list. */
const char *sc_scalar(yaml_node_t *n);
/* A scalar, or an error naming the field. */
const char *sc_want_scalar(struct ctx *x, yaml_node_t *n, const char *field);
int sc_want_duration(struct ctx *x, yaml_node_t *n, const char *field, uint64_t *out);
/* A whole number in [min, max], or -1 after an error naming the field. */
int sc_want_int(struct ctx *x, yaml_node_t *v, const char *field, int min, int max, int *out);
/* A template (template.h) compiled into t, or an error naming the field. */
void sc_want_tpl(struct ctx *x, yaml_node_t *v, const char *field, struct tpl *t);
/* YAML subtree -> JSON: plain numbers and booleans typed, the rest strings. */
json_t *sc_to_json(struct ctx *x, yaml_node_t *n, int depth);
bool sc_is_map(struct ctx *x, yaml_node_t *n, const char *field);

/* topology: given as lists (exchanges, queues, bindings, publish,
 * policies): parsed into sc->cfg.topo. */
void sc_parse_topology_lists(struct ctx *x, yaml_node_t *n);
/* scenario_cluster.c: broker: (uri, embedded, nodes, partition_handling,
 * config); a node reference ("n2", "random", "leader-of:QUEUE") into *out
 * (NODE_LEADER sets f->leader_of), false after an error. */
void sc_parse_broker(struct ctx *x, yaml_node_t *v);
bool sc_node_ref(struct ctx *x, struct fault *f, yaml_node_t *v, const char *sub, int *out);
/* scenario_fault.c: faults[idx], its keys offered to every family
 * (faults/faults.h), its needs checked, appended to x->sc->faults. */
void sc_parse_fault(struct ctx *x, yaml_node_t *n, int idx);
/* The index of one of cfg's queues called name, or -1. */
int sc_queue_index(const struct config *cfg, const char *name);
/* Does this topology: mapping use the list form? */
bool sc_topology_is_lists(struct ctx *x, yaml_node_t *n);

/* scenario_services.c: services:, effects:, and the load's message keys
 * (true when key is one: body, headers, ...); then what they imply for
 * the load, once the file is read. */
void sc_parse_services(struct ctx *x, yaml_node_t *v);
void sc_parse_effects(struct ctx *x, yaml_node_t *v);
bool sc_parse_message_key(struct ctx *x, const char *key, yaml_node_t *v);
void sc_finish_services(struct ctx *x, yaml_node_t *root);
void sc_free_services(struct scenario *sc);
/* scenario_http.c: load.http, and {port:NAME} in text: a copy with each
 * name's free loopback port (NULL after an error naming field). */
void sc_parse_http(struct ctx *x, yaml_node_t *v);
char *sc_expand_ports(struct ctx *x, yaml_node_t *n, const char *field, const char *in);
/* The index of the service called name, or -1. */
int sc_service_index(const struct scenario *sc, const char *name);

#endif
