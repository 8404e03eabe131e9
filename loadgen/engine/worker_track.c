/* The worker's sequence sets, filled by its consumers: each delivery into
 * its (queue, producer) set, copies explained or not, the effects, and the
 * order per consumer or per queue. Below consumer.c (worker.h). */
#include "ledger.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>

/* A consumer's highest sequence per producer. Dense for up to 256
 * producers; beyond, an open-addressing map of the producers it saw: with
 * 5,000 producers and 5,000 consumers dense arrays were 200 MB, while each
 * consumer of a shared queue sees a few dozen producers a minute. */
#define HIGHEST_DENSE_MAX 256

static uint64_t *highest_of(struct worker *w, struct agent *a, uint32_t producer)
{
    if (w->nproducers_total <= HIGHEST_DENSE_MAX) {
        if (!a->highest) a->highest = xcalloc((size_t)w->nproducers_total, sizeof *a->highest);
        return &a->highest[producer];
    }
    if (a->high_n * 10 >= a->high_cap * 7) { /* grow (from empty, too) and rehash */
        uint32_t cap = a->high_cap ? a->high_cap * 2 : 16, *keys = xcalloc(cap, sizeof *keys);
        uint64_t *vals = xcalloc(cap, sizeof *vals);
        for (uint32_t i = 0; i < a->high_cap; i++) {
            if (!a->high_keys[i]) continue;
            uint32_t j = (a->high_keys[i] * 2654435761u) & (cap - 1);
            while (keys[j]) j = (j + 1) & (cap - 1);
            keys[j] = a->high_keys[i];
            vals[j] = a->highest[i];
        }
        free(a->high_keys);
        free(a->highest);
        a->high_keys = keys;
        a->highest = vals;
        a->high_cap = cap;
    }
    uint32_t key = producer + 1, j = (key * 2654435761u) & (a->high_cap - 1);
    while (a->high_keys[j] && a->high_keys[j] != key) j = (j + 1) & (a->high_cap - 1);
    if (!a->high_keys[j]) {
        a->high_keys[j] = key;
        a->high_n++;
    }
    return &a->highest[j];
}

/* Ordering per consumer excuses redeliveries (the broker says it is a copy
 * it sent before); per queue it does not: a requeued message processed
 * after later ones is exactly what competing consumers do to order. A
 * republish (attempt > 1) is the producer's reordering, excused in both. */
static void check_order(struct worker *w, struct agent *a, int queue, uint32_t producer, uint64_t seq,
                        bool redelivered, uint32_t attempt)
{
    uint64_t *hi;
    if (w->cfg->order_by_queue) {
        if (!w->queue_highest[queue])
            w->queue_highest[queue] = xcalloc((size_t)w->nproducers_total, sizeof **w->queue_highest);
        hi = &w->queue_highest[queue][producer];
        redelivered = false;
    } else {
        hi = highest_of(w, a, producer);
    }
    if (ledger_order(hi, seq, redelivered || attempt > 1)) w->counters[ST_OUT_OF_ORDER]++;
}

/* The (queue, producer) sets; NULL for a header that names no producer or
 * queue of this run. */
static struct seq_track *track_of(struct worker *w, int queue, uint32_t producer, uint64_t seq)
{
    if ((int)producer >= w->nproducers_total || queue >= w->cfg->queues || seq == 0) return NULL;
    if (!w->track[queue]) w->track[queue] = xcalloc((size_t)w->nproducers_total, sizeof **w->track);
    return &w->track[queue][producer];
}

void worker_note_explained(struct worker *w, struct agent *a, uint32_t producer, uint64_t seq)
{
    struct seq_track *t = track_of(w, a->queue_idx, producer, seq);
    if (t) ledger_flag(t, seq);
}

void worker_track(struct worker *w, struct agent *a, uint32_t producer, uint64_t seq,
                  bool redelivered, uint32_t attempt, bool processed, bool dead_lettered)
{
    int queue = a->queue_idx;
    struct seq_track *t = track_of(w, queue, producer, seq);
    if (!t) return;
    /* a dead-letter hop reorders by design: the queue's order is the order
     * of failures, not of publishing */
    if (processed && !dead_lettered) check_order(w, a, queue, producer, seq, redelivered, attempt);
    enum ledger_copy copy = ledger_add(t, seq, redelivered || attempt > 1);
    /* The effect of handling it: once per id with a dedup inbox, else every copy. */
    if (processed && (copy == LEDGER_FIRST || !w->cfg->idempotent)) w->counters[ST_EFFECTS]++;
    switch (copy) {
    case LEDGER_FIRST: w->unique_total++; break;
    case LEDGER_DUP_EXPLAINED: w->counters[ST_DUP_EXPLAINED]++; /* fall through */
    case LEDGER_DUP_UNEXPLAINED: w->counters[ST_DUPLICATES]++; break;
    }
}
