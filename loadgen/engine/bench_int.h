/* Private to loadgen/engine/: what bench.c shares with bench_check.c. */
#ifndef LOADGEN_BENCH_INT_H
#define LOADGEN_BENCH_INT_H

#include "ledger.h"
#include "worker.h"

/* Unions every worker's sequence bitmaps per (queue, producer) and, with
 * the threads' own counts (t), computes every checker category: lost,
 * misrouted, unroutable and dead-lettered per (message, queue). */
struct ledger_totals bench_check_sequences(struct worker *ws, int n, const struct config *cfg, const uint64_t *t);

#endif
