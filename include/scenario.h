/* scenario: a YAML fault timeline over a bench load, with gates.
 * scenario_load() prints every error as "file:line:column: field: reason"
 * and returns -1; it never crashes on any input. Format: docs/scenarios.md. */
#ifndef LOADGEN_SCENARIO_H
#define LOADGEN_SCENARIO_H

#include "config.h"
#include "effects.h"
#include "gates.h"
#include "httpload.h"
#include "services.h"
#include "template.h"

#include <stdbool.h>
#include <stdint.h>

/* What a fault action needs (struct fault_ops.needs, loadgen/scenario/faults/). */
enum fault_need {
    FN_BROKER = 1 << 0,  /* the embedded broker or cluster: refused with broker.uri (--uri needs --broker-dir) */
    FN_CLUSTER = 1 << 1, /* an embedded cluster (broker.nodes 2 or more) */
    FN_NETNS = 1 << 2,   /* that cluster in network namespaces (root) */
    FN_PROXY = 1 << 3,   /* the proxy on the clients' link: refused on a cluster */
    FN_SHARED = 1 << 4,  /* acts on what every scale-out instance shares: instance 0 acts, the rest observe */
    FN_STEP = 1 << 5,    /* a step of the run, not a fault: no availability entry */
    FN_NODE = 1 << 6,    /* may take node: (on a cluster) */
    FN_ON_NODE = 1 << 7, /* on a cluster, must take node: */
    FN_SERVICE = 1 << 8, /* a service of the scenario's services: (service:, instance:) */
};

struct fault_ops;

#define NODE_RANDOM (-1)
#define NODE_LEADER (-2)

enum part_shape { PART_GROUPS, PART_ISOLATE, PART_HALVES, PART_BRIDGE, PART_RANDOM_HALVES };

struct fault {
    uint64_t at_ns, for_ns;    /* for_ns: revert after (0: no revert) */
    const struct fault_ops *ops; /* the action (loadgen/scenario/faults/); NULL only while parsing */
    int index;                 /* in the scenario's faults: list */
    /* The values of the fault keys; each family reads those it uses
     * (a new family's keys get their fields here). */
    char *toxic_json;          /* toxic: the toxic, as Toxiproxy JSON */
    char *toxic_name;          /* toxic, untoxic: its name */
    char *command;             /* exec */
    uint64_t timeout_ns;       /* exec, wait */
    char *queue, *key;         /* unbind, bind: the queue's binding to the exchange; crash, forget-: the queue */
    int queue_idx;             /* crash, forget-consumers: the queue whose consumers crash or are forgotten, -1 all */
    /* on a cluster (broker.nodes): node faults, isolate and loss act on
     * node (1-based), NODE_RANDOM, or NODE_LEADER of leader_of (a queue) */
    int node;
    char *leader_of;
    enum part_shape shape;     /* partition */
    int groups[CONFIG_MAX_NODES]; /* PART_GROUPS: each node's side */
    double percent;            /* loss: of the packets, each direction */
    int peer;                  /* loss, delay: only to/from node peer; 0 the clients; -1 all */
    uint64_t bits_per_s;       /* bandwidth: the node's links, each way */
    uint64_t latency_ns, jitter_ns; /* delay: each packet on the node's links, each way */
    char *service;             /* service-*: the service, and proxy faults on its link */
    int service_idx;           /* its index in the scenario's services, -1 none */
    int instance;              /* which instance: N, SVC_ALL or SVC_RANDOM */
    int line;
};

#define SCENARIO_MAX_GATES 32
#define SCENARIO_MAX_PORTS 8

struct scenario {
    char *path, *name, *description;
    struct config cfg;
    struct fault *faults;
    int nfaults;
    struct gate gates[SCENARIO_MAX_GATES];
    int ngates;
    /* the user's services (docs/services.md) */
    struct service_spec services[SERVICES_MAX];
    int nservices;
    struct msg_template tpl;   /* what the load publishes to them (cfg.tpl) */
    bool has_tpl;
    struct effects_spec effects; /* where their results arrive (cfg.effects) */
    bool has_effects;
    struct httpload_spec http; /* load.http: the requests to a user's API (cfg.http) */
    bool has_http;
    /* {port:NAME}: a free loopback port per name, the same wherever it is written */
    struct {
        char name[32];
        int port;
    } ports[SCENARIO_MAX_PORTS];
    int nports;
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
/* The fault's action ("kill"), and whether it needs all of `needs` (enum fault_need). */
const char *fault_name(const struct fault *f);
bool fault_needs(const struct fault *f, unsigned needs);

#endif
