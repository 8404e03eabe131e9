/* admin: the setup connection, straight to the broker (never through the
 * proxy): declares the topology, asks queue depths while draining, reads the
 * dead-letter count and deletes the queues at the end. A broker restart
 * kills it; it is reopened on the next use (at most one try a second, so a
 * paused broker does not stall the drain loop). */
#ifndef LOADGEN_ADMIN_H
#define LOADGEN_ADMIN_H

#include "amqpc.h"
#include "config.h"

#include <stdint.h>

struct admin {
    struct amqpc_target target; /* the broker itself */
    uint64_t timeout_ns;
    amqp_connection_state_t c;  /* NULL while down; channel 1 is open when set */
    uint64_t next_try_ns;
    /* a cluster: every node; a reopen that fails moves on to the next */
    struct amqpc_target nodes[CONFIG_MAX_NODES];
    int nnodes, cur;
};

/* First open: 0, or -1 with err (the broker is unreachable). */
int admin_open(struct admin *a, const struct amqpc_target *t, uint64_t timeout_ns, char *err,
               size_t cap);
/* The live connection, reopened if it was dropped; NULL if the broker
 * cannot be reached now. */
amqp_connection_state_t admin_conn(struct admin *a);
/* A cluster's nodes, t[0] the one admin_open used. */
void admin_set_nodes(struct admin *a, const struct amqpc_target *t, int n);
/* A call on the connection failed: drop it (the next admin_conn reopens). */
void admin_drop(struct admin *a);
/* Messages ready in the run's queues (passive declares); -1 when unknown:
 * broker unreachable, a queue missing, or stream queues (whose count is
 * the retained log, not a backlog). */
int64_t admin_queue_depth(struct admin *a, const struct config *cfg);
/* The retry pattern's dead-letter count (topology_dead_lettered), -1 unknown. */
int64_t admin_dead_lettered(struct admin *a, const struct config *cfg);
void admin_close(struct admin *a);

#endif
