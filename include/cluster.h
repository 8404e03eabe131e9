/* cluster: a RabbitMQ cluster of private nodes, each in a network namespace
 * of its own on a private bridge (10.77.0.N/24, the bridge 10.77.0.254), so
 * that faults can cut, drop and delay the links between nodes for real.
 * loadgen and its clients stay in the root namespace and reach every node.
 *
 * Everything is named lgc-*: the bridge lgc-br, namespaces lgc-n1.., veths
 * lgc-h1.. (the node side is eth0). One cluster per machine: a start finds
 * the leftovers of one whose nodes are gone (a crash, a SIGKILL) and
 * removes them first; one still running is refused. Nodes are ended by the
 * pids recorded here (checked against their /proc start times), and what
 * is left in a namespace we created by `ip netns pids`. Needs root. */
#ifndef LOADGEN_CLUSTER_H
#define LOADGEN_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CLUSTER_MAX_NODES 5

struct cluster_node {
    char ns[24], addr[24], name[48], dir[600];
    char uri[96];
    pid_t pid, epmd_pid;
    unsigned long long pid_start, epmd_start;
};

struct cluster {
    int n;
    char dir[512];
    bool owns_dir; /* made by loadgen: removed by stop */
    struct cluster_node nodes[CLUSTER_MAX_NODES];
};

/* Creates the network, boots n nodes (in parallel) and joins nodes 2..n to
 * node 1; detached: the nodes outlive this process (`cluster start`). dir
 * NULL: a new temp dir. On failure everything made is removed again. */
int cluster_start(struct cluster *c, int n, const char *dir, bool detach, char *err, size_t cap);
/* Stops every node (SIGTERM, then SIGKILL after 30 s), ends what is left in
 * the namespaces, removes namespaces, veths and bridge (and an owned dir). */
int cluster_stop(struct cluster *c, char *err, size_t cap);
/* The state file DIR/cluster.json, for `cluster stop/status --dir`. */
int cluster_save(const struct cluster *c);
int cluster_load(struct cluster *c, const char *dir, char *err, size_t cap);
/* rabbitmqctl ARGS... against node i (1-based), run in its namespace; its
 * output in out. */
int cluster_ctl(const struct cluster *c, int i, const char *const *args, char *out, size_t outcap, char *err,
                size_t cap);
/* A partition: group[i] is node i+1's side (any small number); every pair
 * of nodes on different sides is cut both ways with iptables DROP rules in
 * both namespaces (INPUT and OUTPUT, so established connections stop too).
 * Clients in the root namespace still reach every node. Replaces any
 * earlier partition. */
int cluster_partition(const struct cluster *c, const int *group, char *err, size_t cap);
/* Removes every rule: the nodes reach each other again. */
int cluster_heal(const struct cluster *c, char *err, size_t cap);
/* Nodes whose beam still runs. */
int cluster_alive(const struct cluster *c);

#endif
