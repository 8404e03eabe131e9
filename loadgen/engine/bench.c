/* `loadgen bench`: set up, run the workers, drain, report. */
#include "setupconn.h"
#include "amqpc.h"
#include "bench.h"
#include "bench_int.h"
#include "broker.h"
#include "proc.h"
#include "config.h"
#include "hdrfmt.h"
#include "httpload.h"
#include "metrics.h"
#include "preflight.h"
#include "proxy.h"
#include "report.h"
#include "collector.h"
#include "resources.h"
#include "topo.h"
#include "declare.h"
#include "final_read.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS (100 * NS_PER_MS)
#define IDLE_DRAIN_NS (2 * NS_PER_SEC)
#define SHARD_IDLE_EXTRA_NS (4 * NS_PER_SEC)
#define FINAL_READ_NS (60 * NS_PER_SEC)

static void write_hgrm(const char *prefix, const struct stats_hists *h)
{
    for (int k = 0; k < SH_COUNT; k++) hdrfmt_write_hgrm(prefix, stats_hist_names[k], h->h[k]);
}

/* lost as a claim: null when some are missing but not every queue was
 * read to empty (they may be in it); the bound stays in lost_at_most. */
static bool lost_known(const struct ledger_totals *sq, const struct final_read *fr)
{
    return sq->have_lost && !(fr->ran && !fr->complete && sq->lost > 0);
}

static void print_final_read(const struct final_read *fr)
{
    char why[600];
    if (!fr->ran) return;
    printf("final read: %llu found at the end in %.1fs%s%s\n", (unsigned long long)fr->found_at_end, fr->secs,
           fr->complete ? "" : "; ", final_read_why(fr, why, sizeof why));
    for (int i = 0; i < fr->nq; i++) {
        const struct final_queue *q = &fr->q[i];
        if (q->missing) printf("final read: '%s' %s\n", q->name, q->why);
        else if (q->read && q->index < 0)
            printf("final read: %llu in '%s' (a dead-letter queue loadgen did not declare; left in place)\n",
                   (unsigned long long)q->read, q->name);
    }
}

static void print_summary(const struct collector *r, const struct ledger_totals *sq, double secs,
                          const struct config *cfg, const struct drain *dr, const struct final_read *fr)
{
    const uint64_t *t = r->totals;
    double m = r->measured_s > 0 ? r->measured_s : 1;
    printf("\n%-14s %12s %12s\n", "", "total", "msg/s");
    const int rows[] = {ST_PUBLISHED, ST_CONFIRMED, ST_NACKED, ST_RETURNED, ST_CONSUMED};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("%-14s %12llu %12.0f\n", stats_counter_names[rows[i]], (unsigned long long)t[rows[i]],
               (double)r->measured_delta[rows[i]] / m);
    printf("\nlatency (ms)      p50      p90      p99    p99.9      max    count\n");
    for (int k = 0; k < SH_COUNT; k++) {
        const struct hist *h = r->measured.h[k];
        printf("%-14s %8.3f %8.3f %8.3f %8.3f %8.3f %8lld\n", stats_hist_names[k],
               (double)hist_value_at_percentile(h, 50) / 1e6,
               (double)hist_value_at_percentile(h, 90) / 1e6,
               (double)hist_value_at_percentile(h, 99) / 1e6,
               (double)hist_value_at_percentile(h, 99.9) / 1e6, (double)hist_max(h) / 1e6,
               (long long)h->total_count);
    }
    printf("\nunique %llu  duplicates %llu  gaps %llu  out-of-order %llu  redelivered %llu  "
           "indeterminate %llu  republished %llu\n",
           (unsigned long long)sq->unique,
           (unsigned long long)sq->duplicates,
           (unsigned long long)sq->gaps, (unsigned long long)t[ST_OUT_OF_ORDER],
           (unsigned long long)t[ST_REDELIVERED], (unsigned long long)t[ST_INDETERMINATE],
           (unsigned long long)t[ST_REPUBLISHED]);
    if (lost_known(sq, fr))
        printf("lost (confirmed, found nowhere) %llu  recovered (consumed, never confirmed) %llu\n",
               (unsigned long long)sq->lost, (unsigned long long)sq->recovered);
    else if (sq->have_lost)
        printf("lost unknown: %llu confirmed found nowhere, but not every queue was read to empty\n",
               (unsigned long long)sq->lost);
    else if (cfg->sharded)
        printf("instance %d of %d: lost and recovered are decided by `loadgen merge` over every instance\n",
               cfg->instance, cfg->instances);
    bool drained = dr->ended && (!strcmp(dr->ended, "complete") || !strcmp(dr->ended, "idle"));
    if (!drained && dr->still_queued != 0 && !fr->ran)
        printf("drain: incomplete (%s), %s%lld still queued: %s\n", dr->ended ? dr->ended : "interrupted",
               dr->still_queued < 0 ? "unknown, " : "", (long long)(dr->still_queued < 0 ? 0 : dr->still_queued),
               cfg->effects ? "the end read names them (effects.pending)" : "'lost' includes them");
    print_final_read(fr);
    uint64_t bad = t[ST_BAD_FOREIGN] + t[ST_BAD_TRUNCATED] + t[ST_BAD_VERSION] +
                   t[ST_BAD_CHECKSUM] + t[ST_STALE_RUN];
    printf("errors: connect %llu  connection %llu  heartbeat %llu  channel %llu  publish %llu  "
           "confirm-timeout %llu  reconnects %llu  undecodable %llu\n",
           (unsigned long long)t[ST_ERR_CONNECT], (unsigned long long)t[ST_ERR_CONNECTION],
           (unsigned long long)t[ST_ERR_HEARTBEAT], (unsigned long long)t[ST_ERR_CHANNEL],
           (unsigned long long)t[ST_ERR_PUBLISH], (unsigned long long)t[ST_ERR_CONFIRM_TIMEOUT],
           (unsigned long long)t[ST_RECONNECTS], (unsigned long long)bad);
    if (t[ST_CONSUMERS_FORGOTTEN])
        printf("consumers the broker forgot (no longer listed, no basic.cancel): %llu, subscribed again\n",
               (unsigned long long)t[ST_CONSUMERS_FORGOTTEN]);
    printf("ran %.1fs (%s latency from the %s send time)\n", secs,
           cfg->uncorrected ? "uncorrected" : "corrected", cfg->uncorrected ? "actual" : "intended");
}

/* A bench run's implicit gates (docs/scenarios.md): a run that delivered
 * nothing, or spent more on errors than it delivered, measured nothing. */
static void set_health(json_t *run, const struct config *cfg, const uint64_t *t)
{
    json_t *reasons = json_array();
    char why[200];
    uint64_t errors = 0;
    for (int k = ST_ERR_CONNECT; k <= ST_RECONNECTS; k++) errors += t[k];
    uint64_t delivered = cfg->consumers ? t[ST_CONSUMED] + t[ST_DEAD_LETTERED]
                         : cfg->confirm ? t[ST_CONFIRMED] : t[ST_PUBLISHED];
    if (cfg->producers && !t[ST_PUBLISHED])
        json_array_append_new(reasons, json_string("nothing was published"));
    else if (cfg->producers && cfg->consumers && !delivered)
        json_array_append_new(reasons, json_string("the consumers received nothing"));
    if (errors > delivered) {
        snprintf(why, sizeof why, "errors and reconnects (%llu) exceed the messages delivered (%llu)",
                 (unsigned long long)errors, (unsigned long long)delivered);
        json_array_append_new(reasons, json_string(why));
    }
    run_set(run, RK_HEALTH_PASS, json_boolean(json_array_size(reasons) == 0));
    run_set(run, RK_HEALTH_REASONS, reasons);
}

static json_t *result_json(const struct config *cfg, const struct collector *r,
                           const struct ledger_totals *sq, double secs, bool interrupted,
                           const char *broker_version, double epoch, int64_t dlq_depth,
                           const struct drain *dr, const struct final_read *fr)
{
    json_t *j = json_object();
    run_set(j, RK_SCHEMA_VERSION, json_integer(REPORT_SCHEMA_VERSION));
    report_set_environment(j, broker_version, epoch);
    run_set(j, RK_TOOL_NAME, json_string("loadgen"));
    run_set(j, RK_TOOL_VERSION, json_string(LOADGEN_VERSION));
    run_set(j, RK_CONFIG, config_to_json(cfg));
    run_set(j, RK_BROKER_MODE, json_string(cfg->uri ? "external" : "embedded"));
    run_set(j, RK_BROKER_VERSION, json_string(broker_version));
    run_set(j, RK_INTERRUPTED, json_boolean(interrupted));
    run_set(j, RK_DRAIN_ENDED, json_string(dr->ended ? dr->ended : "interrupted"));
    run_set(j, RK_DRAIN_STILL_QUEUED, dr->still_queued >= 0 ? json_integer(dr->still_queued) : json_null());
    run_set(j, RK_DURATION, json_real(secs));
    run_set(j, RK_MEASURED, json_real(r->measured_s));
    /* Every counter under its own name (run_schema lists them all: a unit
     * test checks), the errors also apart; then the ledger's categories. */
    json_t *tot = json_object(), *errs = json_object();
    for (int k = 0; k < ST_COUNT; k++) {
        json_object_set_new(tot, stats_counter_names[k], json_integer((json_int_t)r->totals[k]));
        if (k >= ST_ERR_CONNECT && k <= ST_RECONNECTS)
            json_object_set_new(errs, stats_counter_names[k], json_integer((json_int_t)r->totals[k]));
    }
    json_object_set_new(j, "totals", tot);
    json_object_set_new(j, "errors", errs);
    run_set(j, RK_T_UNIQUE, json_integer((json_int_t)sq->unique));
    run_set(j, RK_T_GAPS, json_integer((json_int_t)sq->gaps));
    run_set(j, RK_T_DUPLICATES_TOTAL, json_integer((json_int_t)sq->duplicates));
    run_set(j, RK_T_DUPLICATES_EXPLAINED, json_integer((json_int_t)sq->duplicates_explained));
    run_set(j, RK_T_DUPLICATES_CROSS_THREAD, json_integer((json_int_t)sq->duplicates_cross_thread));
    run_set(j, RK_T_DUPLICATES_UNEXPLAINED, json_integer((json_int_t)sq->duplicates_unexplained));
    run_set(j, RK_T_EFFECTS, json_integer((json_int_t)sq->effects));
    run_set(j, RK_T_DUPLICATE_EFFECTS, json_integer((json_int_t)sq->duplicate_effects));
    run_set(j, RK_T_LOST, lost_known(sq, fr) ? json_integer((json_int_t)sq->lost) : json_null());
    run_set(j, RK_T_LOST_AT_MOST, sq->have_lost ? json_integer((json_int_t)sq->lost) : json_null());
    run_set(j, RK_T_FOUND_AT_END, fr->ran ? json_integer((json_int_t)fr->found_at_end) : json_null());
    if (fr->ran) run_set(j, RK_FINAL_READ, final_read_json(fr));
    run_set(j, RK_T_RECOVERED, sq->have_lost ? json_integer((json_int_t)sq->recovered) : json_null());
    run_set(j, RK_T_MISROUTED, sq->have_misrouted ? json_integer((json_int_t)sq->misrouted) : json_null());
    run_set(j, RK_T_UNROUTABLE, sq->have_unroutable ? json_integer((json_int_t)sq->unroutable) : json_null());
    /* parked by handlers (the retry pattern), plus what the checker found
     * only downstream of a queue's dead-letter exchange */
    run_set(j, RK_T_DEAD_LETTERED, json_integer((json_int_t)(r->totals[ST_DEAD_LETTERED] + sq->dead_lettered)));
    /* The broker's own count of what handlers parked: it must equal dead_lettered. */
    run_set(j, RK_T_DEAD_LETTER_QUEUE, dlq_depth >= 0 ? json_integer(dlq_depth) : json_null());
    double m = r->measured_s > 0 ? r->measured_s : 1;
    run_set(j, RK_RATE_PUBLISHED, json_real((double)r->measured_delta[ST_PUBLISHED] / m));
    run_set(j, RK_RATE_CONFIRMED, json_real((double)r->measured_delta[ST_CONFIRMED] / m));
    run_set(j, RK_RATE_CONSUMED, json_real((double)r->measured_delta[ST_CONSUMED] / m));
    static const enum run_key lat[SH_COUNT] = {[SH_E2E] = RK_LAT_E2E, [SH_E2E_UNCORRECTED] = RK_LAT_E2E_UNCORRECTED,
                                               [SH_CONFIRM] = RK_LAT_CONFIRM,
                                               [SH_CONFIRM_UNCORRECTED] = RK_LAT_CONFIRM_UNCORRECTED,
                                               [SH_SEND_LAG] = RK_LAT_SEND_LAG};
    for (int k = 0; k < SH_COUNT; k++) run_set(j, lat[k], report_latency_json(r->measured.h[k]));
    run_set(j, RK_SERIES, collector_series_json(r));
    set_health(j, cfg, r->totals);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    run_set(j, RK_PROC_USER_CPU, json_real((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6));
    run_set(j, RK_PROC_SYS_CPU, json_real((double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6));
    run_set(j, RK_PROC_MAX_RSS, json_integer((json_int_t)ru.ru_maxrss));
    run_set(j, RK_PROC_CONNECTIONS, json_integer(r->connections));
    run_set(j, RK_PROC_SETUP, json_real(r->setup_s));
    return j;
}

int bench_crash_consumers(struct run_ctx *run, int queue, uint64_t for_ns, char *err, size_t cap)
{
    atomic_store(&run->crash_acked, 0);
    atomic_store(&run->crash_conns, 0);
    atomic_store(&run->crash_queue, queue);
    atomic_store(&run->crash_until_ns, clock_ns() + for_ns);
    atomic_fetch_add(&run->crash_gen, 1);
    uint64_t deadline = clock_ns() + 5 * NS_PER_SEC;
    while (atomic_load(&run->crash_acked) < run->nworkers && clock_ns() < deadline) sleep_ns(5 * NS_PER_MS);
    if (atomic_load(&run->crash_acked) < run->nworkers) return snprintf(err, cap, "the workers did not answer"), -1;
    return atomic_load(&run->crash_conns);
}

/* Chooses the next phase from the workers' snapshots and, while draining,
 * the broker's own queue depth. */
static int next_phase(struct run_ctx *run, struct worker *ws, int n, uint64_t now, struct drain *d,
                      struct setupconn *adm)
{
    const struct config *cfg = run->cfg;
    int phase = atomic_load(&run->phase);
    uint64_t published = 0, consumed = 0, inflight = 0, unique = 0, confirmed = 0;
    int done = 0, up = 0, conns = 0, seen = PHASE_STOP;
    for (int t = 0; t < n; t++) {
        int p = atomic_load_explicit(&ws[t].snap_phase, memory_order_acquire);
        if (p < seen) seen = p;
        published += atomic_load_explicit(&ws[t].snap_published, memory_order_relaxed);
        consumed += atomic_load_explicit(&ws[t].snap_consumed, memory_order_relaxed);
        confirmed += atomic_load_explicit(&ws[t].snap_confirmed, memory_order_relaxed);
        inflight += atomic_load_explicit(&ws[t].snap_inflight, memory_order_relaxed);
        unique += atomic_load_explicit(&ws[t].snap_unique, memory_order_relaxed);
        done += atomic_load_explicit(&ws[t].snap_producers_done, memory_order_relaxed);
        up += atomic_load_explicit(&ws[t].snap_up, memory_order_acquire);
        conns += ws[t].nconns;
    }
    /* Idle time counts only while every connection is up: a consumer still
     * reconnecting after a fault has not finished draining. */
    if (consumed != d->last_consumed || up < conns) {
        d->last_consumed = consumed;
        d->last_change = now;
    }
    if (phase == PHASE_RUN) {
        bool time_up = !cfg->messages && now - run->start_ns >= cfg->duration_ns;
        bool all_sent = cfg->messages && cfg->producers && done >= cfg->producers;
        if (run->http && cfg->messages) all_sent = httpload_done(run->http);
        if (cfg->messages && !cfg->producers && now - run->start_ns >= cfg->duration_ns) time_up = true;
        if (time_up || all_sent) {
            if (run->http) httpload_finish(run->http); /* those in flight still get their answer */
            d->since = now;
            d->last_change = now;
            return PHASE_DRAIN;
        }
        return PHASE_RUN;
    }
    if (phase != PHASE_DRAIN) return PHASE_STOP;
    bool timeout = now - d->since >= cfg->drain_timeout_ns;
    /* a snapshot from the run phase has no in-flight count */
    if (!timeout && seen < PHASE_DRAIN) return PHASE_DRAIN;
    if (!timeout && (inflight || (run->http && !httpload_done(run->http)))) return PHASE_DRAIN;
    if (run->http) confirmed = httpload_ok(run->http); /* the requests the API accepted */
    if (run->fx) return bench_effects_phase(run, now, confirmed, d, adm, timeout);
    /* A sharded instance's consumers drain what every instance published:
     * only the broker's depth and a quiet time say when that is done. */
    if (!cfg->consumers || (!cfg->producers && !cfg->sharded)) {
        d->ended = timeout ? "timeout" : "complete";
        return PHASE_STOP;
    }
    /* Counting copies would stop early by as many messages as there were
     * duplicates: the distinct messages must cover every publish, and the
     * broker must hold none ready (unknown depth: trust the counts). */
    /* Quiet means quiet for longer than a retry queue holds a message, and
     * nothing left in the queues that the consumers could still take. */
    uint64_t idle = IDLE_DRAIN_NS + (config_retrying(cfg) ? cfg->retry_delay_ns : 0);
    /* another instance's producers may still be reconnecting to republish */
    if (cfg->sharded) idle += SHARD_IDLE_EXTRA_NS;
    bool covered = !cfg->sharded && !config_routed(cfg) && unique >= published, quiet = now - d->last_change >= idle;
    if (!timeout && !covered && !quiet) return PHASE_DRAIN; /* no need to ask the broker yet */
    int64_t depth = setupconn_queue_depth(adm, cfg);
    d->still_queued = depth;
    if (timeout) d->ended = "timeout";
    else if (depth > 0) return PHASE_DRAIN;
    else d->ended = covered ? "complete" : "idle";
    return PHASE_STOP;
}

int bench_execute(const struct config *cfgp, const struct bench_hooks *hooks, json_t **result,
                  char *dir, size_t dircap)
{
    return bench_execute_on(cfgp, hooks, NULL, result, dir, dircap);
}

/* The outputs and the run directory first: a bad path fails before a
 * broker boots. Then the broker (unless shared) and its targets; *up once
 * there is a broker to tear down. */
static int start(struct bench_state *b, char *dir, size_t dircap, bool *up)
{
    struct config *cfg = &b->cfg;
    char err[2048];
    if (preflight_config(cfg)) return EXIT_USAGE;
    if (!cfg->no_report) {
        if (report_prepare_dir(cfg, dir, dircap, err, sizeof err)) {
            log_err("--report-dir: %s", err);
            return EXIT_USAGE;
        }
        if (!cfg->hlog_path) {
            snprintf(b->hlog_path, sizeof b->hlog_path, "%s/latency.hlog", dir);
            cfg->hlog_path = b->hlog_path;
        }
    }
    int brc = b->bb != &b->own ? EXIT_OK : bench_broker_start(b->bb, cfg, err, sizeof err);
    if (brc != EXIT_OK) {
        log_err("embedded %s failed to start: %s", cfg->nodes > 1 ? "cluster" : "broker", err);
        if (dir[0]) rmdir(dir);
        return brc;
    }
    *up = true;
    if (bench_broker_targets(b->bb, cfg, &b->run, err, sizeof err)) {
        log_err("--uri: %s", err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Before the clients connect: the hooks' preparation (a scenario's
 * services start and get ready), then the effects consumer. */
static int prepare(struct bench_state *b, const struct bench_hooks *hooks, const char *dir)
{
    char err[1024];
    /* scale-out: every instance carries the same run id */
    b->run.run_id = b->cfg.run_id ? b->cfg.run_id : (uint32_t)(clock_realtime_ns() ^ ((uint64_t)getpid() << 16));
    if (hooks && hooks->prepare) {
        struct bench_env env = {b->bb->have_node ? &b->bb->node : NULL, b->bb->have_cluster ? &b->bb->cluster : NULL,
                                b->proxy, 0, &b->adm.target, &b->run, dir, NULL, 1, b->run.run_id};
        /* a cluster's clients reach every node directly; a single node's may go through the proxy */
        env.nodes = b->run.ntargets > 1 ? b->run.targets : &b->adm.target;
        env.nnodes = b->run.ntargets > 1 ? b->run.ntargets : 1;
        int rc = hooks->prepare(hooks->ctx, &env, err, sizeof err);
        if (rc != EXIT_OK) return log_err("%s", err), rc;
    }
    if (bench_effects_start(b, err, sizeof err)) return log_err("%s", err), EXIT_BROKER;
    return EXIT_OK;
}

/* The workers' loops run while their connectors set up the connections;
 * publishing starts once every one is up. */
static int start_workers(struct bench_state *b)
{
    struct config *cfg = &b->cfg;
    struct collector *rep = &b->rep;
    int exit_code = EXIT_OK;
    b->run.cfg = cfg;
    b->run.rep = rep;
    b->ws = worker_create_all(&b->run, &b->nworkers);
    b->run.nworkers = b->nworkers;
    collector_init(rep, b->nworkers, cfg, b->hlog, (double)clock_realtime_ns() / 1e9);
    b->rep_inited = true;
    uint64_t setup_from = clock_ns();
    for (int t = 0; t < b->nworkers; t++) worker_start(&b->ws[t]);
    for (int waiting = b->nworkers; waiting && exit_code == EXIT_OK;) {
        sleep_ns(5 * NS_PER_MS);
        waiting = 0;
        for (int t = 0; t < b->nworkers; t++) {
            int r = atomic_load(&b->ws[t].ready);
            waiting += r == 0;
            if (r < 0) {
                log_err("setup failed: %s", b->ws[t].setup_error);
                exit_code = EXIT_BROKER;
                break;
            }
        }
        if (proc_stop) exit_code = EXIT_INTERRUPTED;
    }
    rep->setup_s = (double)(clock_ns() - setup_from) / 1e9;
    if (exit_code == EXIT_OK && cfg->http) {
        char err[400];
        b->http = httpload_new(cfg->http, &cfg->rate, cfg->messages, b->run.run_id, 0, cfg->effects != NULL, err,
                               sizeof err);
        if (!b->http) log_err("load.http: %s", err), exit_code = EXIT_USAGE;
        b->run.http = b->http;
    }
    if (exit_code != EXIT_OK) {
        atomic_store(&b->run.phase, PHASE_STOP);
        for (int t = 0; t < b->nworkers; t++) worker_wake(&b->ws[t]);
        for (int t = 0; t < b->nworkers; t++) worker_join(&b->ws[t]);
    }
    return exit_code;
}

/* Publishing begins (at --start-at for a scale-out instance); the hooks
 * hear of it. The wall-clock start, for the report. */
static double start_publishing(struct bench_state *b, const struct bench_hooks *hooks)
{
    struct config *cfg = &b->cfg;
    struct collector *rep = &b->rep;
    for (int t = 0; t < b->nworkers; t++) rep->connections += b->ws[t].nconns;
    /* scale-out: every instance starts publishing at the same wall time */
    if (cfg->start_at > 0) {
        double wait = cfg->start_at - (double)clock_realtime_ns() / 1e9;
        if (wait > 0) log_note("instance %d of %d: starting at %.3f (in %.1f s)", cfg->instance, cfg->instances,
                               cfg->start_at, wait);
        while ((double)clock_realtime_ns() / 1e9 < cfg->start_at && !proc_stop) sleep_ns(NS_PER_MS);
    }
    if (rep->connections >= 100) log_note("%d connections up in %.1f s", rep->connections, rep->setup_s);
    b->run.start_ns = clock_ns();
    if (b->http) httpload_go(b->http, b->run.start_ns);
    cluster_view_mark(b->bb->view, b->run.start_ns);
    res_mark(b->res, b->run.start_ns);
    double epoch = (double)clock_realtime_ns() / 1e9;
    collector_started(rep, epoch);
    atomic_store(&b->run.go, 1);
    for (int t = 0; t < b->nworkers; t++) worker_wake(&b->ws[t]);
    if (!cfg->silent && cfg->http)
        log_note("%s %s on %d connections; events read from %s (RabbitMQ %s)", cfg->http->method, cfg->http->url,
                 cfg->http->connections, b->run.targets[0].uri_redacted, b->version);
    else if (!cfg->silent)
        log_note("%d producers, %d consumers on %d threads against %s (RabbitMQ %s)",
            cfg->producers, cfg->consumers, b->nworkers, b->run.targets[0].uri_redacted, b->version);
    if (hooks && hooks->started) {
        struct bench_env env = {b->bb->have_node ? &b->bb->node : NULL, b->bb->have_cluster ? &b->bb->cluster : NULL,
                                b->proxy, b->run.start_ns, &b->adm.target, &b->run, NULL, NULL, 0, b->run.run_id};
        hooks->started(hooks->ctx, &env);
    }
    return epoch;
}

/* Until the workers stop: the collector each tick, the phases (run, drain,
 * stop), Ctrl-C. True when interrupted. */
static bool run_phases(struct bench_state *b, struct drain *drain)
{
    while (atomic_load(&b->run.phase) != PHASE_STOP) {
        sleep_ns(POLL_NS);
        collector_process(&b->rep);
        struct res_sample rs;
        if (res_latest(b->res, &rs) == 0) metrics_set_broker(&rs); /* the live endpoint's broker gauges */
        if (proc_stop) {
            atomic_store(&b->run.phase, PHASE_STOP);
            return true;
        }
        int next = next_phase(&b->run, b->ws, b->nworkers, clock_ns(), drain, &b->adm);
        if (next == PHASE_DRAIN && atomic_load(&b->run.phase) == PHASE_RUN)
            b->rep.publish_end_ns = clock_ns() - b->run.start_ns;
        atomic_store(&b->run.phase, next);
    }
    return false;
}

/* The workers are done: the checker over their sets, the ledger of a
 * scale-out instance, the summary, the .hgrm files, the result. */
static void finish(struct bench_state *b, const struct drain *drain, bool interrupted, double epoch, char *dir,
                   json_t **result)
{
    struct config *cfg = &b->cfg;
    double secs = (double)(clock_ns() - b->run.start_ns) / 1e9;
    /* the broker's series is the run's: the final read is not part of it */
    json_t *series = res_stop(b->res);
    b->res = NULL;
    struct final_read fr = {0};
    if (!interrupted && b->have_adm && final_read_applies(cfg)) {
        uint64_t max_seq = 0;
        for (int t = 0; t < b->nworkers; t++)
            for (int i = 0; i < b->ws[t].nagents; i++)
                if (b->ws[t].agents[i].producer && b->ws[t].agents[i].seq > max_seq) max_seq = b->ws[t].agents[i].seq;
        final_read_run(&fr, cfg, b->run.targets, b->run.ntargets, b->run.run_id, max_seq, FINAL_READ_NS);
    }
    struct ledger_totals sq = bench_check_sequences(b->ws, b->nworkers, cfg, b->rep.totals, &fr);
    if (cfg->sharded && dir[0]) { /* scale-out: what `loadgen merge` unions */
        char lpath[1100], lerr[1300];
        snprintf(lpath, sizeof lpath, "%s/ledger.bin", dir);
        if (bench_write_ledger(b->ws, b->nworkers, cfg, b->run.run_id, lpath, lerr, sizeof lerr)) log_err("%s", lerr);
    }
    if (!cfg->silent && !cfg->http) print_summary(&b->rep, &sq, secs, cfg, drain, &fr);
    if (!cfg->silent && cfg->http)
        printf("\nran %.1fs (drain: %s)\n", secs, drain->ended ? drain->ended : "interrupted");
    if (cfg->hgrm_prefix) write_hgrm(cfg->hgrm_prefix, &b->rep.measured);
    if (dir[0]) {
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "%s/latency", dir);
        write_hgrm(prefix, &b->rep.measured);
    }
    int64_t dlq = setupconn_dead_lettered(&b->adm, cfg);
    if (result)
        *result = result_json(cfg, &b->rep, &sq, secs, interrupted, b->version, epoch, dlq, drain, &fr);
    if (series && result && *result) run_set(*result, RK_BROKER_RESOURCES, series);
    else json_decref(series);
    json_t *view = bench_broker_view(b->bb);
    if (view && result && *result) run_set(*result, RK_CLUSTER_VIEW, view);
    else json_decref(view);
    final_read_free(&fr);
    if (b->http) bench_http_finish(b, result ? *result : NULL, secs, dir);
    bench_effects_finish(b, result ? *result : NULL, dir);
}

static void teardown(struct bench_state *b, int exit_code)
{
    if (b->have_adm) {
        /* After a broker restart the first connection is dead: reopen. */
        b->adm.next_try_ns = 0;
        amqp_connection_state_t c = setupconn_conn(&b->adm);
        if (c && !b->cfg.predeclared && !b->cfg.keep_queues && exit_code != EXIT_BROKER)
            declare_delete_topology(c, &b->cfg);
        setupconn_close(&b->adm);
    }
    if (b->ws) worker_destroy_all(b->ws, b->nworkers);
    if (b->rep_inited) collector_free(&b->rep);
    proxy_server_free(b->proxy);
    if (b->hlog) fclose(b->hlog);
    json_decref(res_stop(b->res));
    effects_free(&b->fx);
    httpload_free(b->http);
    free((void *)b->run.attached), free((void *)b->run.forgot_gen); /* the sampler and workers are gone */
    if (b->bb == &b->own) bench_broker_stop(b->bb);
}

int bench_execute_on(const struct config *cfgp, const struct bench_hooks *hooks, struct bench_broker *shared,
                     json_t **result, char *dir, size_t dircap)
{
    struct bench_state *b = xcalloc(1, sizeof *b);
    b->cfg = *cfgp;
    b->bb = shared ? shared : &b->own;
    dir[0] = 0;
    bool up = false;
    int exit_code = start(b, dir, dircap, &up);
    if (!up) {
        free(b);
        return exit_code;
    }
    if (exit_code == EXIT_OK) exit_code = bench_setup(b);
    if (exit_code == EXIT_OK) exit_code = prepare(b, hooks, dir);
    if (exit_code == EXIT_OK) exit_code = start_workers(b);
    if (exit_code == EXIT_OK) {
        double epoch = start_publishing(b, hooks);
        struct drain drain = {.last_change = clock_ns(), .still_queued = -1};
        bool interrupted = run_phases(b, &drain);
        for (int t = 0; t < b->nworkers; t++) worker_join(&b->ws[t]);
        if (b->http) httpload_join(b->http);
        if (hooks && hooks->stopped) hooks->stopped(hooks->ctx);
        collector_process(&b->rep);
        if (interrupted) drain.ended = "interrupted";
        finish(b, &drain, interrupted, epoch, dir, result);
        if (interrupted) exit_code = EXIT_INTERRUPTED;
    }
    teardown(b, exit_code);
    /* A run that never started leaves no empty run directory behind. */
    if (dir[0] && !(result && *result) && rmdir(dir) == 0) dir[0] = 0;
    free(b);
    return exit_code;
}
