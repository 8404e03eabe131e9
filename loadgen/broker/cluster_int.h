/* cluster's private helpers, shared by cluster.c (network and boot),
 * cluster_proc.c (spawning), cluster_node.c (node faults) and cluster_net.c
 * (network faults). */
#ifndef LOADGEN_CLUSTER_INT_H
#define LOADGEN_CLUSTER_INT_H

#include "cluster.h"

/* Forks argv in namespace ns (NULL: ours) with node nd's environment (NULL:
 * ours); out_fd receives stdout and stderr (-1: /dev/null). detach: it
 * outlives us (own session), else it dies with the forking thread. */
pid_t cluster_spawn(const char *const *argv, const char *ns, const struct cluster_node *nd, int out_fd, bool detach);
/* Runs argv to its end (60 s at most), its output's tail in out. Returns
 * the exit status, or -1 when it could not run or timed out. */
int cluster_run(const char *const *argv, const char *ns, const struct cluster_node *nd, char *out, size_t cap);
bool cluster_pid_alive(pid_t pid, unsigned long long start);
/* Starts node nd's beam (its epmd runs) with its console log appended. */
pid_t cluster_spawn_node(struct cluster_node *nd, bool detach);

/* The delay thread of one node (cluster_delay.c): holds the packets of
 * NFQUEUE qnum in namespace ns for latency +- jitter. */
struct cluster_delay;
int cluster_delay_start(struct cluster_delay **out, const char *ns, uint16_t qnum, uint64_t latency_ns,
                        uint64_t jitter_ns, char *err, size_t cap);
/* Accepts what it holds and ends; adds its counts. */
void cluster_delay_stop(struct cluster_delay *d, uint64_t *held, uint64_t *hold_ns_sum);

#endif
