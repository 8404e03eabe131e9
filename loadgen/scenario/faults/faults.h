/* faults: the fault actions a scenario can put on its timeline, as
 * plug-ins. Each family (the broker's process, the proxy, the cluster's
 * network, the topology, loadgen's consumers, exec, wait) is one file
 * fault_FAMILY.c exporting a struct fault_family; faults.c lists them in
 * one table. The scenario parser and the timeline look actions up here and
 * know no family. How to add one: docs/adding-a-fault.md.
 * Private to loadgen/scenario/. */
#ifndef LOADGEN_FAULTS_H
#define LOADGEN_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct ctx;      /* the scenario parser's (scenario_int.h) */
struct fault;    /* scenario.h */
struct timeline; /* timeline.h */

/* What a step acted on and what it verified, for the fault log. */
struct step_note {
    char target[96];
    char detail[200];
};

/* One action (`action: kill`). */
struct fault_ops {
    const char *name;
    unsigned needs; /* enum fault_need (scenario.h) */
    /* At its time: 0, or -1 with err (the step FAILED: the run cannot pass).
     * note gets what it acted on and what it verified. */
    int (*apply)(struct timeline *tl, int fault, struct step_note *note, char *err, size_t cap);
    /* After `for:`: undoes apply. NULL: nothing to undo. */
    int (*revert)(struct timeline *tl, int fault, struct step_note *note, char *err, size_t cap);
};

/* One family: its actions, the fault keys it reads, its checks and its
 * share of the final heal. Every hook but actions may be NULL. */
struct fault_family {
    const char *name;
    const struct fault_ops *actions; /* ends with {NULL} */
    const char *keys;                /* the keys parse_key takes, for messages: "toxic, name" */
    /* A fault key (beyond at, action, for, timeout, node): true when this
     * family reads k (errors go through sc_err), false to pass it on. A key
     * serves every family that uses its field (queue: unbind and crash). */
    bool (*parse_key)(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub);
    /* Once the fault is read, for every fault (so a family can refuse its
     * keys on another's action): sc_err on each problem. needs_ok: what
     * the action needs holds (else an error was given already). May
     * complete f (a default, an index). */
    void (*check)(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok);
    /* After the publishing time: back to healthy whatever the steps did
     * (or failed to undo). 0, or -1 with err: the drain cannot be trusted. */
    int (*heal)(struct timeline *tl, struct step_note *note, char *err, size_t cap);
};

/* The registry, in the order keys are offered, checks run and heals act. */
extern const struct fault_family *const fault_families[];

/* The action called name, or NULL. */
const struct fault_ops *faults_lookup(const char *name);
/* Every action's name ("kill, stop, ..."), or every family's keys. */
const char *faults_action_list(void);
const char *faults_key_list(void);

/* On an embedded cluster: the node fault fi acts on. Applying, resolves
 * node: (n2, random among the nodes in state `want`, leader-of:QUEUE) and
 * remembers it; reverting, the node it resolved. note->target names it
 * (and the peer). The node, or -1 with err. */
enum fault_want { WANT_UP, WANT_DOWN, WANT_PAUSED };
int fault_cluster_node(struct timeline *tl, int fi, bool revert, enum fault_want want, struct step_note *note,
                       char *err, size_t cap);

/* check for an action on the consumers of `queue:` (one of the topology's,
 * or all: queue_idx -1): the queue exists and the load has consumers. */
void fault_check_consumers_of(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f);

extern const struct fault_family fault_family_broker, fault_family_cluster_net, fault_family_proxy,
    fault_family_topology, fault_family_consumers, fault_family_forget, fault_family_exec, fault_family_wait,
    fault_family_service;

#endif
