/* slicer {average_size, size_variation, delay us}: data is cut into small
 * pieces sent delay apart (stresses the peer's frame reassembly). */
#include "toxic.h"
#include "util.h"

static void data(const struct toxic *t, struct toxic_state *st, struct toxic_tx *tx)
{
    (void)st;
    tx->slice_avg = (size_t)(t->attr[0] > 0 ? t->attr[0] : 1);
    tx->slice_var = (size_t)t->attr[1];
    tx->slice_delay_ns = (uint64_t)t->attr[2] * NS_PER_US;
}

const struct toxic_ops toxic_slicer = {
    .type = "slicer", .attr = {"average_size", "size_variation", "delay"}, .data = data,
};
