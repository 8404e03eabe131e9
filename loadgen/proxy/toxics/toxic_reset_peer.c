/* reset_peer {timeout} ms: the connection is reset (RST, SO_LINGER {1,0})
 * after the timeout, at once when 0. */
#include "toxic.h"
#include "util.h"

static void fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct toxic_state *st = arg;
    st->env->close(st->env->link, true);
}

static void attach(const struct toxic *t, struct toxic_state *st)
{
    st->ev = evtimer_new(st->env->base, fire, st);
    struct timeval tv = tv_from_ns((uint64_t)t->attr[0] * NS_PER_MS);
    evtimer_add(st->ev, &tv);
}

const struct toxic_ops toxic_reset_peer = {
    .type = "reset_peer", .attr = {"timeout"}, .attach = attach,
};
