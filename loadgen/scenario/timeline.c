/* The fault timeline of `loadgen run`: a thread that applies each fault
 * step (and its revert) at its time while bench's load runs, heals
 * everything after the publishing time, and logs what happened; and the
 * availability computed from those times and the run's series. */
#include "timeline.h"
#include "metrics.h"
#include "timeline_int.h"
#include "amqpc.h"
#include "broker.h"
#include "cli.h"
#include "gates.h"
#include "proxy.h"
#include "run_schema.h"
#include "util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRIFT_WARN_NS NS_PER_SEC

struct step { /* a fault, or the revert of one with `for` */
    uint64_t at_ns;
    int fault;
    bool revert;
};


static void sleep_until(uint64_t at)
{
    for (uint64_t now; (now = clock_ns()) < at && !cli_stop;) {
        sleep_ns(at - now > 100 * NS_PER_MS ? 100 * NS_PER_MS : at - now);
    }
}

/* Sleeps until `at` unless the run ends first (a `messages:` run can end
 * before its duration): false then, and the timeline must not touch the
 * broker or proxy any more. */
static bool timeline_wait(struct timeline *tl, uint64_t at)
{
    pthread_mutex_lock(&tl->mu);
    while (!tl->release && !cli_stop && clock_ns() < at) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t next = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec + 100 * NS_PER_MS;
        ts.tv_sec = (time_t)(next / NS_PER_SEC);
        ts.tv_nsec = (long)(next % NS_PER_SEC);
        pthread_cond_timedwait(&tl->cv, &tl->mu, &ts);
    }
    bool go_on = !tl->release && !cli_stop;
    pthread_mutex_unlock(&tl->mu);
    return go_on;
}

static int run_exec(const char *cmd, uint64_t timeout_ns, char *err, size_t cap)
{
    pid_t pid = fork();
    if (pid < 0) return snprintf(err, cap, "fork failed"), -1;
    if (pid == 0) {
        setpgid(0, 0);
        close_range(3, ~0U, 0);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    uint64_t deadline = clock_ns() + timeout_ns;
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (clock_ns() > deadline) {
            kill(-pid, SIGKILL); /* the group we made: the command and its children */
            waitpid(pid, &st, 0);
            snprintf(err, cap, "timed out after %.1fs", (double)timeout_ns / 1e9);
            return -1;
        }
        sleep_ns(20 * NS_PER_MS);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(err, cap, "exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return 0;
}

/* queue.bind / queue.unbind of one of the scenario's queues, on a short
 * connection of the timeline's own, straight to the broker. */
static int rebind(struct timeline *tl, const struct fault *f, bool bind, char *err, size_t cap)
{
    const struct config *cfg = &tl->sc->cfg;
    amqp_connection_state_t c;
    char what[600];
    if (!tl->env.target) return snprintf(err, cap, "no broker connection"), -1;
    if (amqpc_open(&c, tl->env.target, 0, cfg->connect_timeout_ns, "loadgen-timeline", 0, err, cap)) return -1;
    amqp_channel_open(c, 1);
    int rc = amqpc_check(c, "channel.open", err, cap);
    if (!rc) {
        if (bind)
            amqp_queue_bind(c, 1, amqp_cstring_bytes(f->queue), amqp_cstring_bytes(cfg->exchange),
                            amqp_cstring_bytes(f->key), amqp_empty_table);
        else
            amqp_queue_unbind(c, 1, amqp_cstring_bytes(f->queue), amqp_cstring_bytes(cfg->exchange),
                              amqp_cstring_bytes(f->key), amqp_empty_table);
        snprintf(what, sizeof what, "%s queue '%.200s' %s '%.200s' key '%.150s'", bind ? "bind" : "unbind", f->queue,
                 bind ? "to" : "from", cfg->exchange, f->key);
        rc = amqpc_check(c, what, err, cap);
    }
    amqpc_close(c);
    return rc;
}

/* A crash that hit no connection is an error, never a silent pass. */
static int crash(struct timeline *tl, const struct fault *f, char *err, size_t cap)
{
    if (!tl->env.run) return snprintf(err, cap, "no workers"), -1;
    int conns = bench_crash_consumers(tl->env.run, f->queue_idx, f->for_ns, err, cap);
    if (conns < 0) return -1;
    if (!conns) return snprintf(err, cap, "no consumer connection reads %s", f->queue ? f->queue : "any queue"), -1;
    return 0;
}

static int apply(struct timeline *tl, int fi, bool revert, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    /* scale-out: instance 0 acts on the broker; the others run the same
     * timeline on their own clients and proxy, and note the rest */
    const struct config *cfg = &tl->sc->cfg;
    if (cfg->sharded && cfg->instance != 0 &&
        (fault_needs_broker(f->action) || f->action == FA_EXEC || f->action == FA_UNBIND || f->action == FA_BIND)) {
        snprintf(note->detail, sizeof note->detail, "observed: instance 0 acts");
        return 0;
    }
    if (tl->env.cluster && (f->action <= FA_RESUME || f->action == FA_WAIT || fault_needs_cluster(f->action)))
        return tl_cluster_apply(tl, fi, revert, note, err, cap);
    struct broker *b = tl->env.broker;
    struct proxy_server *p = tl->env.proxy;
    enum fault_action a = f->action;
    if (revert) { /* the opposite action */
        static const enum fault_action undo[FA_COUNT] = {
            [FA_KILL] = FA_START, [FA_STOP] = FA_START, [FA_PAUSE] = FA_RESUME,
            [FA_TOXIC] = FA_UNTOXIC, [FA_DOWN] = FA_UP, [FA_START] = FA_COUNT,
            [FA_RESTART] = FA_COUNT, [FA_RESUME] = FA_COUNT, [FA_UNTOXIC] = FA_COUNT,
            [FA_UP] = FA_COUNT, [FA_DISCONNECT] = FA_COUNT, [FA_EXEC] = FA_COUNT, [FA_WAIT] = FA_COUNT,
            [FA_UNBIND] = FA_BIND, [FA_BIND] = FA_COUNT, [FA_CRASH] = FA_COUNT,
            [FA_PARTITION] = FA_COUNT, [FA_HEAL] = FA_COUNT, [FA_LOSS] = FA_COUNT, [FA_BANDWIDTH] = FA_COUNT,
            [FA_DELAY] = FA_COUNT};
        a = undo[a];
        if (a == FA_COUNT) return 0;
    }
    int rc = 0;
    switch (a) {
    case FA_KILL: return broker_kill(b, err, cap);
    case FA_STOP: return broker_stop(b, true, err, cap);
    case FA_START:
    case FA_RESTART:
        return (a == FA_START && broker_status(b) != BROKER_STOPPED) ? 0 : broker_restart(b, err, cap);
    case FA_PAUSE: return broker_pause(b, err, cap);
    case FA_RESUME: return broker_status(b) == BROKER_PAUSED ? broker_resume(b, err, cap) : 0;
    case FA_TOXIC: {
        json_t *spec = json_loads(f->toxic_json, 0, NULL);
        rc = proxy_toxic_set(p, "amqp", spec, false, err, cap);
        json_decref(spec);
        return rc;
    }
    case FA_UNTOXIC: return proxy_toxic_remove(p, "amqp", f->toxic_name, err, cap);
    case FA_DOWN: return proxy_set_enabled(p, "amqp", false, err, cap);
    case FA_UP: return proxy_set_enabled(p, "amqp", true, err, cap);
    case FA_DISCONNECT:
        rc = proxy_set_enabled(p, "amqp", false, err, cap);
        return rc ? rc : proxy_set_enabled(p, "amqp", true, err, cap);
    case FA_EXEC: return run_exec(f->command, f->timeout_ns, err, cap);
    case FA_WAIT: {
        uint64_t deadline = clock_ns() + f->timeout_ns;
        while (b && broker_status(b) != BROKER_RUNNING && clock_ns() < deadline) sleep_until(clock_ns() + 100 * NS_PER_MS);
        if (b && broker_status(b) != BROKER_RUNNING) return snprintf(err, cap, "broker not up"), -1;
        return 0;
    }
    case FA_CRASH: return crash(tl, f, err, cap);
    case FA_UNBIND: return rebind(tl, f, false, err, cap);
    case FA_BIND: return rebind(tl, f, true, err, cap);
    case FA_PARTITION: case FA_HEAL: case FA_LOSS: case FA_BANDWIDTH: case FA_DELAY: /* refused without a cluster when loaded */
    case FA_COUNT: return 0;
    }
    return 0;
}

static int step_cmp(const void *x, const void *y)
{
    const struct step *a = x, *b = y;
    return (a->at_ns > b->at_ns) - (a->at_ns < b->at_ns);
}

static void log_step(struct timeline *tl, int fault, const char *action, bool revert, double planned,
                     uint64_t t0, uint64_t t1, int rc, const char *err, const struct step_note *note)
{
    double drift = (double)t0 / 1e9 - planned;
    pthread_mutex_lock(&tl->mu);
    json_t *e = json_object();
    run_set(e, RK_F_FAULT, json_integer(fault));
    run_set(e, RK_F_ACTION, json_string(action));
    run_set(e, RK_F_REVERT, json_boolean(revert));
    run_set(e, RK_F_PLANNED, json_real(planned));
    run_set(e, RK_F_STARTED, json_real((double)t0 / 1e9));
    run_set(e, RK_F_FINISHED, json_real((double)t1 / 1e9));
    run_set(e, RK_F_DRIFT, json_real(drift));
    run_set(e, RK_F_OK, json_boolean(rc == 0));
    run_set(e, RK_F_ERROR, json_string(err));
    run_set(e, RK_F_TARGET, json_string(note ? note->target : ""));
    run_set(e, RK_F_DETAIL, json_string(note ? note->detail : ""));
    json_array_append_new(tl->log, e);
    pthread_mutex_unlock(&tl->mu);
}

/* Everything back to healthy before the drain: broker running, proxy up and
 * clean. A heal that fails is a failed step: the drain cannot be trusted. */
static void heal(struct timeline *tl)
{
    struct broker *b = tl->env.broker;
    uint64_t t0 = clock_ns() - tl->env.start_ns;
    int rc = 0;
    char err[600] = "";
    if (b) {
        enum broker_state st = broker_status(b);
        char why[500] = "";
        if (st == BROKER_PAUSED) rc = broker_resume(b, why, sizeof why);
        else if (st == BROKER_STOPPED) rc = broker_restart(b, why, sizeof why);
        if (rc) snprintf(err, sizeof err, "broker: %s", why);
    }
    struct step_note note = {"", ""};
    if (tl->env.cluster && tl_cluster_heal(tl, &note, err, sizeof err)) rc = -1;
    if (tl->env.proxy) proxy_reset(tl->env.proxy);
    /* Every binding an unbind removed is back (queue.bind is idempotent). */
    for (int i = 0; !rc && i < tl->sc->nfaults; i++)
        if (tl->sc->faults[i].action == FA_UNBIND && rebind(tl, &tl->sc->faults[i], true, err, sizeof err)) rc = -1;
    if (rc) log_err("heal FAILED: %s", err);
    if (rc || note.detail[0])
        log_step(tl, -1, "heal", false, (double)tl->sc->cfg.duration_ns / 1e9, t0, clock_ns() - tl->env.start_ns,
                 rc, err, &note);
}

static void *timeline_main(void *arg)
{
    struct timeline *tl = arg;
    struct scenario *sc = tl->sc;
    struct step *steps = xcalloc((size_t)sc->nfaults * 2 + 1, sizeof *steps);
    int n = 0;
    for (int i = 0; i < sc->nfaults; i++) {
        steps[n++] = (struct step){sc->faults[i].at_ns, i, false};
        if (sc->faults[i].for_ns) steps[n++] = (struct step){sc->faults[i].at_ns + sc->faults[i].for_ns, i, true};
    }
    qsort(steps, (size_t)n, sizeof *steps, step_cmp);
    for (int i = 0; i < n && !cli_stop; i++) {
        const struct fault *f = &sc->faults[steps[i].fault];
        if (!timeline_wait(tl, tl->env.start_ns + steps[i].at_ns)) break;
        uint64_t t0 = clock_ns() - tl->env.start_ns;
        char err[512] = "";
        struct step_note note = {"", ""};
        int rc = apply(tl, steps[i].fault, steps[i].revert, &note, err, sizeof err);
        uint64_t t1 = clock_ns() - tl->env.start_ns;
        if (!steps[i].revert) tl->injected_ns[steps[i].fault] = rc ? UINT64_MAX : t0;
        if (!rc) metrics_set_fault(steps[i].revert ? NULL : fault_action_name(f->action), note.target);
        log_note("[%6.2fs] %s%s%s%s%s%s%s", (double)t0 / 1e9, steps[i].revert ? "revert " : "",
                fault_action_name(f->action), note.target[0] ? " " : "", note.target, rc ? " FAILED: " : "",
                rc ? err : note.detail[0] ? ": " : "", rc ? "" : note.detail);
        /* Steps run one after another: a slow one (a restart takes seconds)
         * delays the next. Said here and in the report, never hidden. */
        if (t0 > steps[i].at_ns + DRIFT_WARN_NS)
            log_note("warning: %s%s planned at %.2fs started %.2fs late (steps run in order)",
                    steps[i].revert ? "revert " : "", fault_action_name(f->action),
                    (double)steps[i].at_ns / 1e9, (double)(t0 - steps[i].at_ns) / 1e9);
        log_step(tl, steps[i].fault, fault_action_name(f->action), steps[i].revert,
                 (double)steps[i].at_ns / 1e9, t0, t1, rc, err, &note);
    }
    free(steps);
    if (timeline_wait(tl, tl->env.start_ns + sc->cfg.duration_ns)) {
        heal(tl);
        metrics_set_fault(NULL, NULL); /* everything healed */
    }
    /* A broker this thread (re)started dies with it (PDEATHSIG follows the
     * forking thread): stay until bench has stopped the broker gracefully. */
    pthread_mutex_lock(&tl->mu);
    tl->idle = true;
    pthread_cond_broadcast(&tl->cv);
    while (!tl->exit) pthread_cond_wait(&tl->cv, &tl->mu);
    pthread_mutex_unlock(&tl->mu);
    return NULL;
}

static void on_started(void *ctx, const struct bench_env *env)
{
    struct timeline *tl = ctx;
    tl->env = *env;
    tl->running = pthread_create(&tl->thread, NULL, timeline_main, tl) == 0;
}

/* The workers are done: the timeline stops acting before bench frees the
 * proxy and stops the broker it may be acting on. The thread itself lives
 * on until timeline_end(). */
static void on_stopped(void *ctx)
{
    struct timeline *tl = ctx;
    pthread_mutex_lock(&tl->mu);
    tl->release = true;
    pthread_cond_broadcast(&tl->cv);
    while (tl->running && !tl->idle) pthread_cond_wait(&tl->cv, &tl->mu);
    pthread_mutex_unlock(&tl->mu);
}

/* After bench stopped the broker: the timeline thread may end. */
void timeline_end(struct timeline *tl)
{
    on_stopped(tl);
    pthread_mutex_lock(&tl->mu);
    tl->exit = true;
    pthread_cond_broadcast(&tl->cv);
    pthread_mutex_unlock(&tl->mu);
    if (tl->running) pthread_join(tl->thread, NULL);
    tl->running = false;
}

/* Unavailability, into result.availability (gates_availability): per
 * fault, when it was injected; the recovery times follow from the series. */
void timeline_availability(struct timeline *tl, json_t *result)
{
    json_t *faults = json_array();
    const struct config *cfg = &tl->sc->cfg;
    for (int i = 0; i < tl->sc->nfaults; i++) {
        enum fault_action a = tl->sc->faults[i].action;
        if (tl->injected_ns[i] == UINT64_MAX || a == FA_EXEC || a == FA_WAIT) continue;
        json_t *e = json_object();
        run_set(e, RK_AV_FAULT, json_integer(i));
        run_set(e, RK_AV_ACTION, json_string(fault_action_name(a)));
        run_set(e, RK_AV_INJECTED, json_real((double)tl->injected_ns[i] / 1e9));
        json_array_append_new(faults, e);
    }
    run_set(result, RK_AV_FAULTS, faults);
    gates_availability(result, cfg->confirm && cfg->producers, cfg->consumers > 0, (double)cfg->duration_ns / 1e9);
}

void timeline_init(struct timeline *tl, struct scenario *sc)
{
    memset(tl, 0, sizeof *tl);
    tl->sc = sc;
    tl->log = json_array();
    tl->injected_ns = xcalloc((size_t)sc->nfaults + 1, sizeof *tl->injected_ns);
    tl->node_of = xcalloc((size_t)sc->nfaults + 1, sizeof *tl->node_of);
    tl->bw_since_ns = xcalloc((size_t)sc->nfaults + 1, sizeof *tl->bw_since_ns);
    for (int i = 0; i < sc->nfaults; i++) tl->injected_ns[i] = UINT64_MAX;
    pthread_mutex_init(&tl->mu, NULL);
    pthread_condattr_t ca; /* timeline_wait counts in CLOCK_MONOTONIC */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tl->cv, &ca);
    pthread_condattr_destroy(&ca);
}

struct bench_hooks timeline_hooks(struct timeline *tl)
{
    return (struct bench_hooks){tl, on_started, on_stopped};
}

void timeline_free(struct timeline *tl)
{
    json_decref(tl->log);
    free(tl->injected_ns);
    free(tl->node_of);
    free(tl->bw_since_ns);
    pthread_mutex_destroy(&tl->mu);
    pthread_cond_destroy(&tl->cv);
}
