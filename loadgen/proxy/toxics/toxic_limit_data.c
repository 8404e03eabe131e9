/* limit_data {bytes}: the connection closes once that many bytes passed. */
#include "toxic.h"

static void data(const struct toxic *t, struct toxic_state *st, struct toxic_tx *tx)
{
    int64_t left = t->attr[0] - st->n;
    if (left <= 0) {
        tx->keep = 0;
        tx->close_after = true;
        return;
    }
    if ((int64_t)tx->keep >= left) {
        tx->keep = (size_t)left;
        tx->close_after = true;
    }
    st->n += (int64_t)tx->keep;
}

const struct toxic_ops toxic_limit_data = {
    .type = "limit_data", .attr = {"bytes"}, .data = data,
};
