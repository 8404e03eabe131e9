/* bandwidth {rate} KB/s: a token bucket on the reading side of the stream. */
#include "toxic.h"

static void attach(const struct toxic *t, struct toxic_state *st)
{
    st->env->set_rate(st->env->link, st->env->dir, t->attr[0] * 1024);
}

static void detach(const struct toxic *t, struct toxic_state *st)
{
    (void)t;
    st->env->set_rate(st->env->link, st->env->dir, 0);
}

const struct toxic_ops toxic_bandwidth = {
    .type = "bandwidth", .attr = {"rate"}, .attach = attach, .detach = detach,
};
