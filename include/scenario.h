/* scenario: a YAML fault timeline over a bench load, with gates.
 * scenario_load() prints every error as "file:line:column: field: reason"
 * and returns -1; it never crashes on any input. Format: docs/scenarios.md. */
#ifndef LOADGEN_SCENARIO_H
#define LOADGEN_SCENARIO_H

#include "config.h"
#include "gates.h"

#include <stdbool.h>
#include <stdint.h>

enum fault_action {
    FA_KILL, FA_STOP, FA_START, FA_RESTART, FA_PAUSE, FA_RESUME, /* the embedded broker */
    FA_TOXIC, FA_UNTOXIC, FA_DOWN, FA_UP, FA_DISCONNECT,         /* the proxy */
    FA_EXEC, FA_WAIT,
    FA_UNBIND, FA_BIND,                                          /* the topology */
    FA_CRASH,                                                    /* loadgen's consumers */
    FA_PARTITION, FA_HEAL, FA_LOSS, FA_BANDWIDTH, FA_DELAY,      /* the cluster's network */
    FA_COUNT
};

#define NODE_RANDOM (-1)
#define NODE_LEADER (-2)

enum part_shape { PART_GROUPS, PART_ISOLATE, PART_HALVES, PART_BRIDGE, PART_RANDOM_HALVES };

struct fault {
    uint64_t at_ns, for_ns;    /* for_ns: revert after (0: no revert) */
    enum fault_action action;
    char *toxic_json;          /* FA_TOXIC: the toxic, as Toxiproxy JSON */
    char *toxic_name;          /* FA_TOXIC/FA_UNTOXIC: its name */
    char *command;             /* FA_EXEC */
    uint64_t timeout_ns;       /* FA_EXEC / FA_WAIT */
    char *queue, *key;         /* FA_UNBIND / FA_BIND: the queue's binding to the exchange */
    int queue_idx;             /* FA_CRASH: the queue whose consumers crash, -1 all */
    /* on a cluster (broker.nodes): node faults, isolate and loss act on
     * node (1-based), NODE_RANDOM, or NODE_LEADER of leader_of (a queue) */
    int node;
    char *leader_of;
    enum part_shape shape;     /* FA_PARTITION */
    int groups[CONFIG_MAX_NODES]; /* PART_GROUPS: each node's side */
    double percent;            /* FA_LOSS: of the packets, each direction */
    int peer;                  /* FA_LOSS, FA_DELAY: only to/from node peer; 0 the clients; -1 all */
    uint64_t bits_per_s;       /* FA_BANDWIDTH: the node's links, each way */
    uint64_t latency_ns, jitter_ns; /* FA_DELAY: each packet on the node's links, each way */
    int line;
};

#define SCENARIO_MAX_GATES 32

struct scenario {
    char *path, *name, *description;
    struct config cfg;
    struct fault *faults;
    int nfaults;
    struct gate gates[SCENARIO_MAX_GATES];
    int ngates;
};

int scenario_load(const char *path, struct scenario *sc);
/* `bench --topology FILE`: a YAML file holding a scenario's topology lists
 * (exchanges, queues, bindings, publish, policies) into cfg->topo, applied
 * to cfg. Errors print as file:line:col; -1. */
int scenario_load_topology(const char *path, struct config *cfg);
void scenario_free(struct scenario *sc);

/* cut[i][j]: nodes i+1 and j+1 cannot talk under partition f on n nodes:
 * groups as given; isolate `node`; halves of `order` (node indexes; the
 * identity for halves, shuffled for random-halves), the smaller half
 * first; bridge: the middle node sees both halves, which do not see each
 * other. desc gets the sides ("n1 / n2 n3") or "bridge n2". */
void fault_cut_matrix(const struct fault *f, int n, int node, const int *order, bool cut[][CONFIG_MAX_NODES],
                      char *desc, size_t cap);
const char *fault_action_name(enum fault_action a);
bool fault_needs_broker(enum fault_action a);
/* Acts on the cluster's network (needs broker.nodes 2 or more). */
bool fault_needs_cluster(enum fault_action a);

#endif
