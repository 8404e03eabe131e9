/* effects: what a user's service produces, read while the run goes.
 * A scenario's `effects:` block names the queue the service publishes its
 * results to and where each result names its input (template.h's ids);
 * loadgen consumes that queue on its own thread, straight from the broker
 * (never through a fault proxy), and matches every effect to an input
 * (effect_ledger.h). At the end it reads, without taking them, the queues
 * where inputs may still wait (the input queue, a retry queue) or be
 * parked (the service's dead-letter queue), and judges each confirmed
 * input: an effect, parked, pending, or lost. docs/services.md. */
#ifndef LOADGEN_EFFECTS_H
#define LOADGEN_EFFECTS_H

#include "amqpc.h"
#include "effect_ledger.h"
#include "hist.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>


/* The consumer of the effects queue while the run goes. */
struct effects {
    const struct effects_spec *spec;
    struct amqpc_target nodes[5];
    int nnodes;
    pthread_t thread;
    bool started;
    _Atomic int stop;                            /* 1: drain the queue and end */
    _Atomic int subscribed;                      /* 1 once the first basic.consume-ok came */
    _Atomic uint64_t snap_matched, snap_last_ns; /* for the drain (any thread) */
    struct effect_ledger ledger;                 /* the thread's until effects_stop */
    uint64_t reconnects;
    char error[300]; /* the last failure, for the report */
};

/* Starts the thread and waits (up to timeout_ns) until it consumes:
 * 0, or -1 with err (the queue does not exist, the broker refused). */
int effects_start(struct effects *e, const struct effects_spec *spec, const struct amqpc_target *nodes, int n,
                  uint32_t run_id, uint32_t producers, uint64_t timeout_ns, char *err, size_t cap);
/* Takes what is left in the queue (until it has been empty for a moment,
 * timeout_ns at most), then ends the thread. */
void effects_stop(struct effects *e, uint64_t timeout_ns);
void effects_free(struct effects *e);

/* effects_sqlite.c: the rows of spec->sqlite_query in spec->sqlite_file
 * ({run}: the run id; relative: to dir, the services' state folder), each
 * an effect (no latency); 0, or -1 with err (the verdict's end read is
 * then incomplete). */
int effects_read_sqlite(struct effects *e, const char *dir, char *err, size_t cap);

/* The string header `name` of a delivery (its bytes, *len), or NULL:
 * absent, or *not_string when it holds another type. */
const char *effects_header(const amqp_basic_properties_t *p, const char *name, size_t *len, bool *not_string);

/* One producer's inputs, as the engine kept them. */
struct effects_producer {
    const uint64_t *confirmed;
    uint64_t confirmed_nbits, last;
    const uint64_t *times; /* per seq: intended and first send time (2 per seq, CLOCK_MONOTONIC) */
    uint64_t ntimes;       /* seqs in times */
};

/* The end read and the verdict's numbers: reads (and leaves in place) the
 * input queues, spec->pending and spec->parked on a fresh connection,
 * judges every input, and returns run.json's "effects" object. inputs
 * names the load's queues. With hgrm_prefix, the effect latency also goes
 * to PREFIX-effect.hgrm and PREFIX-effect-uncorrected.hgrm. A database's
 * effects are read first (state_dir: where a relative file is). Never NULL. */
json_t *effects_judge(struct effects *e, const struct effects_producer *prod, int nprod, const char *const *inputs,
                      int ninputs, uint64_t start_ns, const char *hgrm_prefix, const char *state_dir);

#endif
