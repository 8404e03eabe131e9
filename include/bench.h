/* bench: one load run end to end (broker, topology, workers, drain, result),
 * shared by `loadgen bench` and `loadgen run`. */
#ifndef LOADGEN_BENCH_H
#define LOADGEN_BENCH_H

#include "config.h"

#include <jansson.h>
#include <stdint.h>

struct broker;
struct cluster;
struct proxy_server;

/* What a hook may act on during the run. broker is NULL for --uri runs;
 * proxy is NULL unless cfg->via_proxy. */
struct run_ctx;

struct bench_env {
    struct broker *broker;   /* the embedded node, or NULL */
    struct cluster *cluster; /* the embedded cluster (--nodes), or NULL */
    struct proxy_server *proxy;
    uint64_t start_ns;   /* CLOCK_MONOTONIC start of publishing */
    const struct amqpc_target *target; /* the broker itself, never through the proxy */
    struct run_ctx *run; /* the workers' shared state (a `crash` fault) */
    const char *dir;     /* prepare: the run directory ("" with --no-report) */
    /* the broker's nodes as reached directly (never the load's proxy), the run id */
    const struct amqpc_target *nodes;
    int nnodes;
    uint32_t run_id;
};

struct bench_hooks {
    void *ctx;
    /* Once the broker and the topology are up, before the clients connect
     * (a scenario's services start): EXIT_OK, or an exit code with err. */
    int (*prepare)(void *ctx, const struct bench_env *env, char *err, size_t cap);
    void (*started)(void *ctx, const struct bench_env *env); /* publishing begins */
    void (*stopped)(void *ctx);                              /* workers are done */
};

/* The `crash` fault: every worker drops the connections of the consumers
 * of queue (-1: all) without an AMQP close, as a killed process's drop (the
 * broker requeues their unacked deliveries); they reconnect after for_ns.
 * Waits until each worker has acted; returns the connections dropped, or
 * -1 with the reason. */
int bench_crash_consumers(struct run_ctx *run, int queue, uint64_t for_ns, char *err, size_t cap);

/* Runs cfg (already validated). Returns an exit code (cli.h); *result gets
 * the result JSON (caller owns) whenever the run got as far as starting.
 * Unless cfg->no_report, dir gets the run directory (report.h), where the
 * interval log and .hgrm files already are; the caller writes the rest with
 * report_write_dir() once the result is final. dir is "" otherwise. */
int bench_execute(const struct config *cfg, const struct bench_hooks *hooks, json_t **result,
                  char *dir, size_t dircap);

/* The embedded broker (node or cluster) cfg asks for, started once to
 * serve several runs (`loadgen capacity`); nothing to start with --uri.
 * Returns an exit code (cli.h); *out is NULL with --uri. */
struct bench_broker;
int bench_broker_open(const struct config *cfg, struct bench_broker **out);
/* Its URI for clients, or NULL (--uri: none of ours). */
const char *bench_broker_uri(const struct bench_broker *bb, const struct config *cfg);
void bench_broker_close(struct bench_broker *bb);
/* bench_execute on a broker from bench_broker_open (NULL: as bench_execute). */
int bench_execute_on(const struct config *cfg, const struct bench_hooks *hooks, struct bench_broker *shared,
                     json_t **result, char *dir, size_t dircap);

#endif
