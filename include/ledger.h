/* ledger: the checker's sequence sets, free of threads and sockets so the
 * checker's arithmetic is unit-tested on synthetic sets. One seq_track per
 * (queue, producer) per consumer thread; the merge unions the threads' sets. */
#ifndef LOADGEN_LEDGER_H
#define LOADGEN_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

struct seq_track {
    uint64_t highest, unique;
    uint64_t *bits; /* bit s set when sequence s was seen */
    uint64_t nbits;
    /* bit s set when this thread's first copy of s carried an explanation
     * (redelivered flag or attempt > 1), or when the consumer failed a
     * flagged copy: a later plain copy is then an explained duplicate. Same
     * size as bits. */
    uint64_t *flagged;
};

enum ledger_copy { LEDGER_FIRST, LEDGER_DUP_EXPLAINED, LEDGER_DUP_UNEXPLAINED };

/* Room for seq in both bitmaps (seq >= 1). */
void ledger_reserve(struct seq_track *t, uint64_t seq);
bool ledger_seen(const struct seq_track *t, uint64_t seq);
/* A flagged copy was seen but not kept (a failed handler): it explains one
 * later plain copy. */
void ledger_flag(struct seq_track *t, uint64_t seq);
/* Records one copy of seq; flagged: it carried an explanation. */
enum ledger_copy ledger_add(struct seq_track *t, uint64_t seq, bool flagged);
void ledger_free(struct seq_track *t);

/* Ordering: *highest is the highest seq seen on this path. A lower one is a
 * violation unless excused (a redelivery or a republish). */
bool ledger_order(uint64_t *highest, uint64_t seq, bool excused);

/* One (queue, producer) over n threads' sets (NULL: that thread saw none). */
struct ledger_merge {
    uint64_t unique;           /* distinct sequences in the union */
    uint64_t gaps;             /* holes below the highest seen */
    uint64_t cross_duplicates; /* copies seen by more than one thread */
    uint64_t cross_explained;  /* of those, explained by a flagged copy */
};
void ledger_merge(const struct seq_track *const *tr, int n, struct ledger_merge *m);
/* Word wd of the union of the threads' seen bitmaps. */
uint64_t ledger_union_word(const struct seq_track *const *tr, int n, uint64_t wd);

/* Every checker category of a run, typed: what run.json's totals hold. */
struct ledger_totals {
    uint64_t unique, gaps;
    uint64_t duplicates;              /* extra copies: a thread's own, plus cross-thread */
    uint64_t duplicates_explained;    /* redelivered flag, republish, or an earlier flag */
    uint64_t duplicates_unexplained;
    uint64_t duplicates_cross_thread; /* copies another thread had seen first */
    uint64_t effects;                 /* effects applied (idempotent: once per message) */
    uint64_t duplicate_effects;       /* effects beyond one per unique message */
    bool have_lost;                   /* computable: confirms, consumers, a modelled topology */
    uint64_t lost, recovered;         /* confirmed never consumed / consumed never confirmed, per (message, queue) */
    bool have_misrouted;              /* computable: consumers, a modelled topology */
    uint64_t misrouted;               /* messages consumed from a queue their route does not reach */
    bool have_unroutable;             /* computable: confirms, a modelled topology */
    uint64_t unroutable;              /* confirmed, routed to no queue, not mandatory */
    uint64_t dead_lettered;           /* (message, queue) found only downstream its dead-letter exchange */
};
/* The categories from the merged sets (m) and the threads' own counts: the
 * copies each thread saw again (dups, of which explained) and the effects
 * it applied. Idempotent consumers share one dedup inbox for the run, like
 * the database a real one keeps: a copy that another thread applied first
 * is not applied again, whatever the thread count. lost and recovered are
 * ledger_durability's, set by the caller. */
void ledger_totals_finish(struct ledger_totals *t, const struct ledger_merge *m, uint64_t dups,
                          uint64_t explained, uint64_t effects, bool idempotent);

/* Durability, Jepsen's total-queue way, for one producer whose sequences
 * 1..last were published: confirmed and never consumed is lost; consumed and
 * never confirmed was recovered. */
void ledger_durability(const uint64_t *confirmed, uint64_t confirmed_nbits, uint64_t last,
                       const struct seq_track *const *tr, int n, uint64_t *lost, uint64_t *recovered);
/* The same for one queue that must hold only some of the producer's
 * sequences: lost and recovered among those, misrouted the others that
 * came out of it; gaps: routed sequences missing below the highest seen
 * (ledger_merge's gaps would count the ones routed elsewhere too). */
struct ledger_route {
    const uint64_t *expected;  /* bit s: message s routes to this queue */
    const uint64_t *allowed;   /* bit s: s may come out of it (routed here, or dead-lettered here
                                * from a queue it routes to); NULL: expected */
    const uint64_t *elsewhere; /* bit s: s came out of a queue this queue dead-letters into
                                * (not lost: dead-lettered); NULL: none */
};
struct ledger_route_counts {
    uint64_t lost, recovered, misrouted, gaps, dead_lettered;
};
void ledger_durability_routed(const uint64_t *confirmed, uint64_t confirmed_nbits, uint64_t last,
                              const struct ledger_route *r, const struct seq_track *const *tr, int n,
                              struct ledger_route_counts *c);

#endif
