/* setupconn: the setup connection, straight to the broker (never through the
 * proxy): declares the topology, asks queue depths while draining, reads the
 * dead-letter count and deletes the queues at the end. A broker restart
 * kills it; it is reopened on the next use (at most one try a second, so a
 * paused broker does not stall the drain loop). */
#ifndef LOADGEN_SETUPCONN_H
#define LOADGEN_SETUPCONN_H

#include "amqpc.h"
#include "config.h"

#include <stdint.h>

struct setupconn {
    struct amqpc_target target; /* the broker itself */
    uint64_t timeout_ns;
    amqp_connection_state_t c;  /* NULL while down; channel 1 is open when set */
    uint64_t next_try_ns;
    /* a cluster: every node; a reopen that fails moves on to the next */
    struct amqpc_target nodes[CONFIG_MAX_NODES];
    int nnodes, cur;
};

/* First open: 0, or -1 with err (the broker is unreachable). */
int setupconn_open(struct setupconn *a, const struct amqpc_target *t, uint64_t timeout_ns, char *err,
               size_t cap);
/* The live connection, reopened if it was dropped; NULL if the broker
 * cannot be reached now. */
amqp_connection_state_t setupconn_conn(struct setupconn *a);
/* A cluster's nodes, t[0] the one setupconn_open used. */
void setupconn_set_nodes(struct setupconn *a, const struct amqpc_target *t, int n);
/* A call on the connection failed: drop it (the next setupconn_conn reopens). */
void setupconn_drop(struct setupconn *a);
/* Messages ready in the run's queues (passive declares); -1 when unknown:
 * broker unreachable, a queue missing, or stream queues (whose count is
 * the retained log, not a backlog). */
int64_t setupconn_queue_depth(struct setupconn *a, const struct config *cfg);
/* The retry pattern's dead-letter count (declare_dead_lettered), -1 unknown. */
int64_t setupconn_dead_lettered(struct setupconn *a, const struct config *cfg);
void setupconn_close(struct setupconn *a);

#endif
