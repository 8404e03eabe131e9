/* The fault timeline of `loadgen run`: a thread that applies each fault
 * step (and its revert) at its time while bench's load runs, heals
 * everything after the publishing time, and logs what happened; and the
 * availability computed from those times and the run's series. It is a
 * scheduler: what a step does is its family's (faults/faults.h). */
#include "timeline.h"
#include "metrics.h"
#include "faults/faults.h"
#include "proc.h"
#include "gates.h"
#include "run_schema.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRIFT_WARN_NS NS_PER_SEC

struct step { /* a fault, or the revert of one with `for` */
    uint64_t at_ns;
    int fault;
    bool revert;
};


/* Sleeps until `at` unless the run ends first (a `messages:` run can end
 * before its duration): false then, and the timeline must not touch the
 * broker or proxy any more. */
static bool timeline_wait(struct timeline *tl, uint64_t at)
{
    pthread_mutex_lock(&tl->mu);
    while (!tl->release && !proc_stop && clock_ns() < at) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t next = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec + 100 * NS_PER_MS;
        ts.tv_sec = (time_t)(next / NS_PER_SEC);
        ts.tv_nsec = (long)(next % NS_PER_SEC);
        pthread_cond_timedwait(&tl->cv, &tl->mu, &ts);
    }
    bool go_on = !tl->release && !proc_stop;
    pthread_mutex_unlock(&tl->mu);
    return go_on;
}

/* One step: the fault's apply, or its revert. A scale-out instance other
 * than 0 runs the same timeline on its own clients and proxy, and notes
 * what instance 0 does to the broker they share. */
static int apply(struct timeline *tl, int fi, bool revert, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    const struct config *cfg = &tl->sc->cfg;
    if (cfg->sharded && cfg->instance != 0 && fault_needs(f, FN_SHARED)) {
        snprintf(note->detail, sizeof note->detail, "observed: instance 0 acts");
        return 0;
    }
    int (*step)(struct timeline *, int, struct step_note *, char *, size_t) = revert ? f->ops->revert : f->ops->apply;
    return step ? step(tl, fi, note, err, cap) : 0;
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
    /* cut short by Ctrl-C: what the step would have done is unknown */
    if (rc != 0 && proc_stop) run_set(e, RK_F_INTERRUPTED, json_true());
    run_set(e, RK_F_TARGET, json_string(note ? note->target : ""));
    run_set(e, RK_F_DETAIL, json_string(note ? note->detail : ""));
    json_array_append_new(tl->log, e);
    pthread_mutex_unlock(&tl->mu);
}

/* Everything back to healthy before the drain: each family heals what its
 * faults may have left (faults.c gives the order). A heal that fails is a
 * failed step: the drain cannot be trusted. */
static void heal(struct timeline *tl)
{
    uint64_t t0 = clock_ns() - tl->env.start_ns;
    int rc = 0;
    char err[600] = "";
    struct step_note note = {"", ""};
    for (const struct fault_family *const *fam = fault_families; *fam; fam++) {
        char why[600] = "";
        if ((*fam)->heal && (*fam)->heal(tl, &note, why, sizeof why) && !rc) {
            rc = -1;
            snprintf(err, sizeof err, "%s", why);
        }
    }
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
    for (int i = 0; i < n && !proc_stop; i++) {
        const struct fault *f = &sc->faults[steps[i].fault];
        if (!timeline_wait(tl, tl->env.start_ns + steps[i].at_ns)) break;
        uint64_t t0 = clock_ns() - tl->env.start_ns;
        char err[512] = "";
        struct step_note note = {"", ""};
        int rc = apply(tl, steps[i].fault, steps[i].revert, &note, err, sizeof err);
        uint64_t t1 = clock_ns() - tl->env.start_ns;
        if (!steps[i].revert) tl->injected_ns[steps[i].fault] = rc ? UINT64_MAX : t0;
        if (!rc) metrics_set_fault(steps[i].revert ? NULL : fault_name(f), note.target);
        log_note("[%6.2fs] %s%s%s%s%s%s%s", (double)t0 / 1e9, steps[i].revert ? "revert " : "",
                fault_name(f), note.target[0] ? " " : "", note.target, rc ? " FAILED: " : "",
                rc ? err : note.detail[0] ? ": " : "", rc ? "" : note.detail);
        /* Steps run one after another: a slow one (a restart takes seconds)
         * delays the next. Said here and in the report, never hidden. */
        if (t0 > steps[i].at_ns + DRIFT_WARN_NS)
            log_note("warning: %s%s planned at %.2fs started %.2fs late (steps run in order)",
                    steps[i].revert ? "revert " : "", fault_name(f),
                    (double)steps[i].at_ns / 1e9, (double)(t0 - steps[i].at_ns) / 1e9);
        log_step(tl, steps[i].fault, fault_name(f), steps[i].revert,
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
        const struct fault *f = &tl->sc->faults[i];
        if (tl->injected_ns[i] == UINT64_MAX || fault_needs(f, FN_STEP)) continue;
        json_t *e = json_object();
        run_set(e, RK_AV_FAULT, json_integer(i));
        run_set(e, RK_AV_ACTION, json_string(fault_name(f)));
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
    tl->since_ns = xcalloc((size_t)sc->nfaults + 1, sizeof *tl->since_ns);
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
    return (struct bench_hooks){.ctx = tl, .started = on_started, .stopped = on_stopped};
}

void timeline_free(struct timeline *tl)
{
    json_decref(tl->log);
    free(tl->injected_ns);
    free(tl->node_of);
    free(tl->since_ns);
    pthread_mutex_destroy(&tl->mu);
    pthread_cond_destroy(&tl->cv);
}
