/* latency {latency, jitter} ms: each chunk waits latency +/- jitter; the
 * proxy keeps chunks in order whatever their jitter. */
#include "toxic.h"
#include "util.h"

#include <stdlib.h>

static void data(const struct toxic *t, struct toxic_state *st, struct toxic_tx *tx)
{
    (void)st;
    int64_t ms = t->attr[0];
    if (t->attr[1]) ms += (rand() % (2 * t->attr[1] + 1)) - t->attr[1];
    if (ms > 0) tx->delay_ns += (uint64_t)ms * NS_PER_MS;
}

const struct toxic_ops toxic_latency = {
    .type = "latency", .attr = {"latency", "jitter"}, .data = data,
};
