/* slow_close {delay} ms: when this stream's source closes, the other side is
 * closed only after the delay. */
#include "toxic.h"
#include "util.h"

static uint64_t close_delay_ns(const struct toxic *t)
{
    return (uint64_t)t->attr[0] * NS_PER_MS;
}

const struct toxic_ops toxic_slow_close = {
    .type = "slow_close", .attr = {"delay"}, .close_delay_ns = close_delay_ns,
};
