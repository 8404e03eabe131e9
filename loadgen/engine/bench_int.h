/* Private to loadgen/engine/: what bench.c shares with bench_check.c. */
#ifndef LOADGEN_BENCH_INT_H
#define LOADGEN_BENCH_INT_H

#include "broker.h"
#include "cluster.h"
#include "ledger.h"
#include "setupconn.h"
#include "collector.h"
#include "resources.h"
#include "worker.h"
#include "effects.h"

#include <stdio.h>

/* bench_broker.c: the run's embedded node or cluster (neither with --uri). */
struct bench_broker {
    struct broker node;
    struct cluster cluster;
    bool have_node, have_cluster;
    bool adopted; /* node is --broker-dir's, started by someone else: acted on, never stopped */
    struct cluster_view *view; /* the cluster's own view while the run goes */
};
/* Starts what cfg asks for; an exit code (cli.h), err set on failure. */
int bench_broker_start(struct bench_broker *bb, const struct config *cfg, char *err, size_t cap);
/* run->targets: every node of the cluster, else the one broker. */
int bench_broker_targets(struct bench_broker *bb, const struct config *cfg, struct run_ctx *run, char *err,
                         size_t cap);
int bench_broker_policies(struct bench_broker *bb, const struct config *cfg, char *err, size_t cap);
void bench_broker_stop(struct bench_broker *bb);
/* On a cluster: waits (30 s at most) until each stream of the run takes a
 * consumer on every node, as its replicas start after the declaration. */
int bench_broker_streams_ready(struct bench_broker *bb, const struct config *cfg, const struct run_ctx *run,
                               char *err, size_t cap);
/* The cluster view's changes since the start of publishing (NULL: no
 * cluster); ends the sampler. */
json_t *bench_broker_view(struct bench_broker *bb);

/* Unions every worker's sequence bitmaps per (queue, producer) and, with
 * the threads' own counts (t), computes every checker category: lost,
 * misrouted, unroutable and dead-lettered per (message, queue). */
/* One bench run's state from setup to teardown (bench.c's steps). */
struct bench_state {
    struct config cfg; /* shallow: the caller owns the strings */
    struct bench_broker own, *bb;
    struct res_sampler *res;
    struct setupconn adm;
    bool have_adm;
    struct worker *ws;
    int nworkers;
    FILE *hlog;
    struct run_ctx run;
    struct collector rep;
    bool rep_inited;
    struct proxy_server *proxy;
    struct effects fx; /* a service run's effects (cfg->effects) */
    struct httpload *http; /* load.http's driver (cfg->http) */
    char version[64], hlog_path[1100];
};

/* How the drain ended, for the verdict: a drain that gave up with messages
 * still in the broker makes `lost` unknowable, not a loss. */
struct drain {
    uint64_t since, last_consumed, last_change;
    const char *ended;   /* "complete", "idle", "timeout", "interrupted" */
    int64_t still_queued; /* ready in the broker when it ended; -1 unknown */
};

/* bench_effects.c: a service run (cfg->effects). start: the effects
 * consumer, before publishing (0, or -1 with err). phase: the drain's
 * next phase from the effects (every confirmed input answered, or quiet
 * for effects.quiet with the input queues empty). finish: after the
 * services stopped, the end read and run.json's "effects". */
int bench_effects_start(struct bench_state *b, char *err, size_t cap);
/* load.http's numbers: the summary, run.json's "http" (and its health:
 * a run whose API accepted nothing measured nothing), the .hgrm files. */
void bench_http_finish(struct bench_state *b, json_t *result, double secs, const char *dir);
int bench_effects_phase(struct run_ctx *run, uint64_t now, uint64_t confirmed, struct drain *d, struct setupconn *adm,
                        bool timeout);
void bench_effects_finish(struct bench_state *b, json_t *result, const char *dir);

/* bench_setup.c, once the broker is up: the setup connection and the
 * topology, the resource sampler, the proxy the load goes through, the
 * hlog and the descriptor limit. EXIT_OK or the exit code, after logging
 * why. */
int bench_setup(struct bench_state *b);

struct final_read;
/* The checker over the workers' sets and, when one ran, what the final
 * read found (fr may be NULL); it adds each queue's duplicates to fr. */
struct ledger_totals bench_check_sequences(struct worker *ws, int n, const struct config *cfg, const uint64_t *t,
                                           struct final_read *fr);

/* Scale-out: the instance's sets for `loadgen merge` at path. */
int bench_write_ledger(struct worker *ws, int n, const struct config *cfg, uint32_t run_id, const char *path,
                       char *err, size_t cap);

#endif
