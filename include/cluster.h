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
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define CLUSTER_MAX_NODES 5

struct cluster_node {
    char ns[24], addr[24], name[48], dir[600]; /* ns "": a loopback cluster's node */
    char uri[96];
    int port, dist_port, epmd_port; /* AMQP, distribution, epmd (5672, any, 4369 in a namespace) */
    pid_t pid, epmd_pid;
    unsigned long long pid_start, epmd_start;
    bool paused; /* SIGSTOPped by cluster_node_pause */
};

struct cluster {
    int n;
    char dir[512];
    bool owns_dir; /* made by loadgen: removed by stop */
    bool detach;   /* nodes outlive this process (`cluster start`), else die with it */
    bool loopback; /* no namespaces: nodes on 127.0.0.1 ports (no root); no network faults */
    struct cluster_delay *delay[CLUSTER_MAX_NODES]; /* a node's delay thread (this process's) */
    bool locked;  /* this process holds the machine's cluster lock (lock_fd) until cluster_stop */
    int lock_fd;
    struct cluster_node nodes[CLUSTER_MAX_NODES];
};

struct cluster_opts {
    int nodes;
    const char *dir;  /* NULL: a new temp dir */
    const char *conf; /* more rabbitmq.conf lines, or NULL */
    bool detach;      /* the nodes outlive this process (`cluster start`) */
    /* no namespaces (no root needed): every node on 127.0.0.1 with ports of
     * its own and one private epmd; node faults work, network faults are
     * refused (there is no link of a node's own to cut) */
    bool loopback;
};

/* Creates the network, boots the nodes (in parallel) and joins nodes
 * 2..n to node 1. On failure everything made is removed again. Returns 0
 * or the exit code with the reason in err: EXIT_USAGE when refused (a
 * cluster runs: another process holds the lock, its state file names a
 * live cluster, or lgc-* namespaces hold processes, whose namespaces are
 * never torn down), EXIT_INTERRUPTED on a stop signal (proc_stop) while
 * booting, EXIT_BROKER when a step failed. A cluster in namespaces holds
 * the machine's lock (/run/loadgen-cluster.lock) until cluster_stop or
 * the process ends. */
int cluster_start(struct cluster *c, const struct cluster_opts *o, char *err, size_t cap);
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
/* Node faults on node i (1-based), by the recorded pid only. kill: SIGKILL
 * of beam (epmd and data stay); stop: SIGTERM, waiting for the exit (30 s,
 * then SIGKILL); start: boots it again on its data (it rejoins) and waits
 * for its AMQP port (90 s); pause/resume: SIGSTOP/SIGCONT. */
int cluster_node_kill(struct cluster *c, int i, char *err, size_t cap);
int cluster_node_stop(struct cluster *c, int i, char *err, size_t cap);
int cluster_node_start(struct cluster *c, int i, char *err, size_t cap);
int cluster_node_pause(struct cluster *c, int i, char *err, size_t cap);
int cluster_node_resume(struct cluster *c, int i, char *err, size_t cap);
bool cluster_node_running(const struct cluster *c, int i);
/* The node serves AMQP: a TCP connect to its port from the root namespace
 * (the listener opens only when RabbitMQ has booted). */
bool cluster_listening(const struct cluster_node *nd);
/* The node (1-based) that leads quorum queue or stream `queue` now, asked
 * of the first running node (rabbitmqctl list_queues name leader); -1. */
int cluster_leader_of(const struct cluster *c, const char *queue, char *err, size_t cap);
/* Every node running and resumed, no partition, no loss, no bandwidth limit. */
int cluster_heal_all(struct cluster *c, char *err, size_t cap);

/* A partition: group[i] is node i+1's side (any small number); every pair
 * of nodes on different sides is cut both ways with iptables DROP rules in
 * both namespaces (INPUT and OUTPUT, so established connections stop too).
 * Clients in the root namespace still reach every node. Replaces any
 * earlier partition. */
int cluster_partition(const struct cluster *c, const int *group, char *err, size_t cap);
/* The general form: cut[i][j] cuts node i+1 from j+1 (both ways are set
 * by the caller; Jepsen's bridge is not groups). */
int cluster_cut(const struct cluster *c, const bool cut[][CLUSTER_MAX_NODES], char *err, size_t cap);
int cluster_cut_check(const struct cluster *c, const bool cut[][CLUSTER_MAX_NODES], char *err, size_t cap);
/* 0 when every pair of nodes on different sides is cut and every pair on
 * one side reaches each other (a TCP connect to its AMQP port from inside
 * the namespace; refused counts as reached), else -1 naming a pair. */
int cluster_partition_check(const struct cluster *c, const int *group, char *err, size_t cap);
/* Removes the partition's rules: the nodes reach each other again. */
int cluster_heal(const struct cluster *c, char *err, size_t cap);
/* Drops `percent` of the packets on node i's links (iptables statistic,
 * each direction): to and from peer node `peer` only (1-based), the
 * clients only (peer 0: the bridge's address), or all (peer -1). Adds to
 * what is there. */
int cluster_loss(const struct cluster *c, int i, double percent, int peer, char *err, size_t cap);
/* Limits node i's links to bits_per_s each way: a tc TBF qdisc on its
 * eth0 (its egress) and on the host side of its veth (its ingress). */
int cluster_bandwidth(const struct cluster *c, int i, uint64_t bits_per_s, char *err, size_t cap);
/* Removes every node's TBF; *bytes: what went through them meanwhile. */
int cluster_unbandwidth(const struct cluster *c, uint64_t *bytes, char *err, size_t cap);
/* Delays the packets on node i's links by latency +- jitter (uniform),
 * each direction, in order (cluster_delay.c: NFQUEUE and a thread of this
 * process, which must live until cluster_undelay); peer as for loss. */
int cluster_delay(struct cluster *c, int i, uint64_t latency_ns, uint64_t jitter_ns, int peer, char *err, size_t cap);
/* Removes every delay; *held / *hold_ns: the packets held and their total
 * time held (the measured delay). */
int cluster_undelay(struct cluster *c, uint64_t *held, uint64_t *hold_ns, char *err, size_t cap);
/* Removes every loss rule; *seen / *dropped: the packets the loss rules
 * saw and dropped since they were set (the measured loss). */
int cluster_unloss(const struct cluster *c, uint64_t *seen, uint64_t *dropped, char *err, size_t cap);
/* Nodes whose beam still runs. */
int cluster_alive(const struct cluster *c);

/* The cluster's own view, sampled each second by a hidden Erlang node in
 * our namespace (cluster_view.c): what each node sees running, the
 * partitions it recorded, the leader of each watched queue. */
struct cluster_view;
struct cluster_view *cluster_view_start(const struct cluster *c, const char *const *queues, int nqueues, char *err,
                                        size_t cap);
/* Times count from start_ns from now on; earlier samples are dropped. */
void cluster_view_mark(struct cluster_view *v, uint64_t start_ns);
/* Ends the sampler; the changes: [{t, view}] (caller owns), view as
 * "n1=up:n1,n2,n3: n2=... q=n2". */
json_t *cluster_view_stop(struct cluster_view *v);

#endif
