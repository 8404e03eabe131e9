/* final_read: after the drain, fresh connections read every queue of the
 * run to empty, as Jepsen's total-queue checker ends with a final drain.
 * What the run's consumers did not take (a backlog they never reached, a
 * queue nobody consumes, a dead-letter queue a person inspects later) is
 * found here instead of being counted lost; a queue that cannot be read to
 * empty leaves `lost` unknown, never 0 and never a loss. */
#ifndef LOADGEN_FINAL_READ_H
#define LOADGEN_FINAL_READ_H

#include "amqpc.h"
#include "config.h"
#include "ledger.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The reasons of x-death, as consumer_headers.c names them. */
enum { FR_REASONS = 5 };

struct final_queue {
    char name[256];
    int index;  /* the run's queue whose set it fills; -1: none */
    int origin; /* a dead-letter target loadgen did not declare: the queue whose x-dead-letter-* reach it */
    bool kept;  /* read without acking, so closing the channel leaves every message where it was */
    bool complete, missing, skip; /* skip: not readable (a stream, an exchange not loadgen's) */
    uint64_t read, duplicates, foreign, unattributed;
    uint64_t reasons[FR_REASONS]; /* by the latest x-death hop */
    double secs;
    char why[240]; /* why it is not complete; for a missing dead-letter target, the loss path */
};

struct final_read {
    bool ran, complete;
    int nq;
    struct final_queue *q;
    int nqueues, nproducers;
    /* [run queue][producer]: sequences read from that queue (or from its
     * retry queue) at the end; NULL rows where none were */
    struct seq_track **found;
    /* [origin queue][producer]: in a dead-letter target loadgen did not
     * declare, attributed by x-death to the queue they left */
    struct seq_track **parked;
    double secs;
    uint64_t found_at_end; /* this run's messages read, every queue */
};

/* Whether the run's checker can use a final read: consumers to compare
 * with, one process that sees every consumer (not a scale-out instance). */
bool final_read_applies(const struct config *cfg);
/* Reads every queue of cfg to empty through nodes[0..n) (the next node
 * when one does not serve), until timeout_ns in all; a sequence above
 * max_seq (none was published) is not this run's. Fills fr; fr->complete
 * says whether every queue was read to empty. */
void final_read_run(struct final_read *fr, const struct config *cfg, const struct amqpc_target *nodes, int n,
                    uint32_t run_id, uint64_t max_seq, uint64_t timeout_ns);
/* The first queue that was not read to empty, with why, into buf. */
const char *final_read_why(const struct final_read *fr, char *buf, size_t cap);
/* run.json's final_read. */
json_t *final_read_json(const struct final_read *fr);
/* Row p of queue q's found (or parked) sets; NULL when none. */
const struct seq_track *final_read_found(const struct final_read *fr, int q, int p);
const struct seq_track *final_read_parked(const struct final_read *fr, int q, int p);
void final_read_free(struct final_read *fr);

#endif
