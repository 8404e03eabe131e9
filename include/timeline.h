/* timeline: the fault steps of a scenario applied on their own thread while
 * bench's load runs (each at its time, reverts after `for:`, the final heal),
 * the log of what was applied when, and the availability computed from it. */
#ifndef LOADGEN_TIMELINE_H
#define LOADGEN_TIMELINE_H

#include "bench.h"
#include "scenario.h"
#include "services.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct timeline {
    struct scenario *sc;
    struct bench_env env;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool release;         /* set by the stopped hook: the timeline stops acting */
    bool idle;            /* set by the thread: it acts no more */
    bool exit;            /* set after bench stopped the broker: the thread may end */
    json_t *log;          /* what was injected, when, with what outcome */
    uint64_t *injected_ns; /* per fault: actual injection time since start (UINT64_MAX: failed) */
    int *node_of;          /* per fault on a cluster: the node it acted on (its revert acts there too) */
    uint64_t *since_ns;    /* per fault: a family's own clock (bandwidth: when the limit was set) */
    struct services *svc;  /* the scenario's services (services.h), or NULL */
};

void timeline_init(struct timeline *tl, struct scenario *sc);
/* Hooks for bench_execute: start acting when publishing begins, stop when
 * the workers are done. */
struct bench_hooks timeline_hooks(struct timeline *tl);
/* After bench stopped the broker: the timeline thread ends. */
void timeline_end(struct timeline *tl);
/* result.availability: per fault, the seconds from its injection to the
 * first whole second with traffic again; the worst; the longest quiet run. */
void timeline_availability(struct timeline *tl, json_t *result);
void timeline_free(struct timeline *tl);

#endif
