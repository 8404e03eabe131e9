/* timeout {timeout} ms: no data passes; the connection is closed after the
 * timeout, or never when 0 (a blackhole until the toxic is removed). */
#include "toxic.h"
#include "util.h"

static void fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct toxic_state *st = arg;
    st->env->close(st->env->link, false);
}

static void attach(const struct toxic *t, struct toxic_state *st)
{
    if (!t->attr[0]) return;
    st->ev = evtimer_new(st->env->base, fire, st);
    struct timeval tv = tv_from_ns((uint64_t)t->attr[0] * NS_PER_MS);
    evtimer_add(st->ev, &tv);
}

static void data(const struct toxic *t, struct toxic_state *st, struct toxic_tx *tx)
{
    (void)t, (void)st;
    tx->keep = 0;
}

const struct toxic_ops toxic_timeout = {
    .type = "timeout", .attr = {"timeout"}, .attach = attach, .data = data,
};
