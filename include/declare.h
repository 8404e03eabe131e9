/* declare: declares (and afterwards deletes) the exchange, queues and
 * bindings of a bench config over one blocking setup connection. */
#ifndef LOADGEN_DECLARE_H
#define LOADGEN_DECLARE_H

#include "amqpc.h"
#include "config.h"
#include "route.h"

#include <stdint.h>

/* The routing model of what declare_topology declares (route.h): the
 * exchange, each queue bound with the routing key (or its own name). 0, or
 * -1 with the reason (more queues than the model holds). */
int declare_route_model(const struct config *cfg, struct route_model *m, char *err, size_t cap);
/* Returns 0, or -1 with a message naming the object and the broker's reason. */
int declare_topology(amqp_connection_state_t c, const struct config *cfg, char *err, size_t cap);
/* Topology recovery after a reconnect, as the Java client's automatic
 * recovery does: the exchange (a non-durable one is gone after a broker
 * crash) and, for a consumer, its queue i (it comes back empty) and binding;
 * queue -1: the exchange only (a producer). */
int declare_recover(amqp_connection_state_t c, int channel, const struct config *cfg, int queue, char *err,
                     size_t cap);
/* Declares one queue as the config wants it. */
int declare_queue(amqp_connection_state_t c, int channel, const struct config *cfg,
                           const char *name, char *err, size_t cap);
/* "QUEUE.SUFFIX" into buf: the retry pattern's QUEUE.retry and QUEUE.dlq. */
const char *declare_side_queue(const char *queue, const char *suffix, char *buf, size_t cap);
/* Messages ready in one queue (passive declare on channel 1); -1 on error,
 * which closes the channel. */
int64_t declare_queue_depth(amqp_connection_state_t c, const char *queue);
/* Messages the broker holds in the dead-letter queues (QUEUE.dlq) of the
 * retry pattern, asked by passive declare; -1 when not retrying or on error. */
int64_t declare_dead_lettered(amqp_connection_state_t c, const struct config *cfg);
/* Deletes the queues (and a non-default exchange) declared above; best effort. */
void declare_delete_topology(amqp_connection_state_t c, const struct config *cfg);

#endif
