/* resources: the broker's resources, sampled each second in a thread of
 * their own while a run goes: beam CPU and RSS from /proc (embedded nodes),
 * the run's queue depth by AMQP passive declares, and with a management
 * URL the broker's connections, channels, unacked messages, memory and
 * alarms. Unknown stays unknown (-1, null in JSON), never 0. */
#ifndef LOADGEN_RESOURCES_H
#define LOADGEN_RESOURCES_H

#include "amqpc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RES_MAX_PIDS 5
#define RES_MAX_QUEUES 64
#define RES_MAX_NODES 5

struct broker;
struct cluster;

struct res_opts {
    const struct broker *node;       /* embedded node (its pid may change: restarts), or NULL */
    const struct cluster *cluster;   /* embedded cluster, or NULL */
    const struct amqpc_target *targets; /* for the passive declares: the first for the depth, every one */
    int ntargets;                       /* for the consumer watch; 0: no depth */
    const char *queues[RES_MAX_QUEUES];
    int nqueues;
    const char *management;          /* http:// URL, or NULL */
    /* Consumers the broker forgot (run_ctx): per queue, the consumers
     * loadgen believes subscribed, and the generation moved when the
     * broker lists fewer for 2 samples in a row; watch[i] false: not
     * compared (a stream's declare-ok counts no consumers). NULL: none. */
    _Atomic int *attached;
    _Atomic uint64_t *forgot_gen;
    bool watch[RES_MAX_QUEUES];
};

struct res_sample {
    double t_s;                  /* since the mark (start of publishing) */
    double cpu_pct, rss_mb;      /* beam processes summed; -1 unknown */
    double loadgen_cpu_pct;      /* this process */
    int64_t ready, consumers;    /* the run's queues summed (AMQP); -1 unknown */
    int64_t ready_q[RES_MAX_QUEUES]; /* each queue's ready, when ready is known */
    int64_t consumers_q[RES_MAX_QUEUES]; /* each queue's consumers, when consumers is known */
    int64_t watch_q[RES_MAX_QUEUES];     /* the most consumers any node lists (a cluster's), for the watch */
    int64_t unacked, connections, channels; /* management, whole broker; -1 unknown */
    int64_t flow;                /* management: connections in flow control (credit flow); -1 unknown */
    double mem_mb;               /* management: memory used, all nodes; -1 unknown */
    int alarms;                  /* RES_ALARM_* bits; -1 unknown */
};
enum { RES_ALARM_MEMORY = 1, RES_ALARM_DISK = 2 };

struct res_sampler;

/* Starts sampling (nothing is recorded before res_mark). NULL with the
 * reason only for a malformed management URL. */
struct res_sampler *res_start(const struct res_opts *o, char *err, size_t cap);
/* t = 0 of the series: CLOCK_MONOTONIC ns of the run's start. */
void res_mark(struct res_sampler *s, uint64_t start_ns);
/* The newest sample; 0, or -1 before the first. */
int res_latest(struct res_sampler *s, struct res_sample *out);
/* Ends the thread; the series as JSON (caller owns), NULL when s is. */
json_t *res_stop(struct res_sampler *s);
#endif
