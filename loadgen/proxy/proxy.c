/* The proxy core. Everything here runs on the proxy thread; public calls
 * from other threads are marshalled onto it (proxy_run()) and wait. */
#include "proxy.h"
#include "proxy_int.h"
#include "toxic.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HIGH_WATER (1u << 20) /* stop reading a side while 1 MiB waits for the other */

static uint64_t now_ns(void)
{
    return clock_ns();
}

/* "host:port" with an IPv4 host or "localhost"; port 0 allowed (listen on
 * any free port). libevent's parser refuses port 0. */
int proxy_parse_addr(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(hostport, ':');
    char host[64], *end;
    if (!colon || (size_t)(colon - hostport) >= sizeof host) return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) return -1;
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) str_copy(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &in->sin_addr) != 1) return -1;
    *len = sizeof *in;
    return 0;
}

bool proxy_addr_loopback(const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    char host[64];
    if (!colon || (size_t)(colon - hostport) >= sizeof host) return false;
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    return host_is_loopback(host);
}

void proxy_server_allow_remote(struct proxy_server *s, bool on)
{
    s->allow_remote = on;
}

/* ---- links ---- */

static void link_free(struct link *l);

static void pipe_feed_dst(struct link *l, int d);

static void link_close(void *arg, bool reset)
{
    struct link *l = arg;
    if (reset) {
        struct linger lg = {1, 0};
        for (int i = 0; i < 2; i++) {
            evutil_socket_t fd = bufferevent_getfd(l->bev[i]);
            if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
    }
    link_free(l);
}

static void set_rate(void *arg, enum toxic_stream dir, int64_t bps)
{
    struct link *l = arg;
    struct bufferevent *src = l->bev[dir == TOXIC_UPSTREAM ? 0 : 1];
    if (l->rate[dir]) {
        bufferevent_set_rate_limit(src, NULL);
        ev_token_bucket_cfg_free(l->rate[dir]);
        l->rate[dir] = NULL;
    }
    if (bps > 0) {
        struct timeval tick = {0, 50000};
        size_t per_tick = (size_t)(bps / 20 > 0 ? bps / 20 : 1);
        l->rate[dir] = ev_token_bucket_cfg_new(per_tick, per_tick, EV_RATE_LIMIT_MAX,
                                                EV_RATE_LIMIT_MAX, &tick);
        bufferevent_set_rate_limit(src, l->rate[dir]);
    }
}

void proxy_link_attach(struct link *l, int i)
{
    const struct toxic *t = &l->p->toxics[i];
    struct toxic_state *st = &l->st[i];
    memset(st, 0, sizeof *st);
    st->env = &l->env[t->stream];
    l->affected[i] = t->toxicity >= 1.0 || (double)rand() / RAND_MAX < t->toxicity;
    if (l->affected[i]) l->p->toxics[i].activations++;
    if (l->affected[i] && t->ops->attach) t->ops->attach(t, st);
}

void proxy_link_detach(struct link *l, int i)
{
    const struct toxic *t = &l->p->toxics[i];
    struct toxic_state *st = &l->st[i];
    if (l->affected[i] && t->ops->detach) t->ops->detach(t, st);
    if (st->ev) event_free(st->ev);
    st->ev = NULL;
    l->affected[i] = false;
}

static void link_free(struct link *l)
{
    struct proxy *p = l->p;
    for (int i = 0; i < p->ntoxics; i++) proxy_link_detach(l, i);
    for (int d = 0; d < 2; d++) {
        struct pipe *pp = &l->pipe[d];
        for (struct chunk *c = pp->head, *n; c; c = n) {
            n = c->next;
            free(c);
        }
        if (pp->ev_release) event_free(pp->ev_release);
        if (l->rate[d]) {
            bufferevent_set_rate_limit(l->bev[d], NULL);
            ev_token_bucket_cfg_free(l->rate[d]);
        }
    }
    if (l->ev_close) event_free(l->ev_close);
    for (int i = 0; i < 2; i++)
        if (l->bev[i]) bufferevent_free(l->bev[i]);
    if (l->prev) l->prev->next = l->next;
    else p->links = l->next;
    if (l->next) l->next->prev = l->prev;
    p->stats.active--;
    free(l);
}

/* Direction d reads bev[d] (0: client, upstream) and writes bev[1-d]. */
static struct bufferevent *src_of(struct link *l, int d) { return l->bev[d]; }
static struct bufferevent *dst_of(struct link *l, int d) { return l->bev[1 - d]; }

static void backpressure(struct link *l, int d)
{
    size_t out = evbuffer_get_length(bufferevent_get_output(dst_of(l, d))) + l->pipe[d].queued;
    if (out >= HIGH_WATER) bufferevent_disable(src_of(l, d), EV_READ);
    else if (!l->pipe[d].eof) bufferevent_enable(src_of(l, d), EV_READ);
}

static void forward(struct link *l, int d, const unsigned char *data, size_t n)
{
    bufferevent_write(dst_of(l, d), data, n);
    *(d == 0 ? &l->p->stats.bytes_up : &l->p->stats.bytes_down) += n;
}

static void on_release(evutil_socket_t fd, short what, void *arg);

static void enqueue(struct link *l, int d, const unsigned char *data, size_t n, uint64_t release)
{
    struct pipe *pp = &l->pipe[d];
    if (release < pp->last_release) release = pp->last_release; /* order is preserved */
    pp->last_release = release;
    if (!pp->head && release <= now_ns()) {
        forward(l, d, data, n);
        return;
    }
    struct chunk *c = xmalloc(sizeof *c + n);
    c->next = NULL;
    c->release_ns = release;
    c->len = n;
    memcpy(c->data, data, n);
    if (pp->tail) pp->tail->next = c;
    else pp->head = c;
    pp->tail = c;
    pp->queued += n;
    if (pp->head == c) {
        /* Read the clock once: a release microseconds ahead (a slicer's
         * 10 us) may pass before a second read, and release - now would
         * wrap to a timer 584 years out, stalling the link for good. */
        uint64_t t = now_ns();
        struct timeval tv = tv_from_ns(release > t ? release - t : 0);
        evtimer_add(pp->ev_release, &tv);
    }
}

static void maybe_finish_close(struct link *l, int d);

static void on_release(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct pipe *pp = arg;
    struct link *l = pp->link;
    int d = pp == &l->pipe[0] ? 0 : 1;
    uint64_t now = now_ns();
    while (pp->head && pp->head->release_ns <= now) {
        struct chunk *c = pp->head;
        pp->head = c->next;
        if (!pp->head) pp->tail = NULL;
        pp->queued -= c->len;
        forward(l, d, c->data, c->len);
        free(c);
    }
    if (pp->head) {
        struct timeval tv = tv_from_ns(pp->head->release_ns - now);
        evtimer_add(pp->ev_release, &tv);
    }
    backpressure(l, d);
    maybe_finish_close(l, d);
}

static void pipe_feed_dst(struct link *l, int d)
{
    struct bufferevent *src = src_of(l, d);
    struct evbuffer *in = bufferevent_get_input(src);
    size_t len = evbuffer_get_length(in);
    if (!len) return;
    unsigned char *data = evbuffer_pullup(in, (ev_ssize_t)len);
    struct toxic_tx tx = {.len = len, .keep = len};
    struct proxy *p = l->p;
    for (int i = 0; i < p->ntoxics; i++) {
        const struct toxic *t = &p->toxics[i];
        if ((int)t->stream == d && l->affected[i] && t->ops->data) t->ops->data(t, &l->st[i], &tx);
    }
    uint64_t at = now_ns() + tx.delay_ns;
    if (tx.slice_avg) {
        for (size_t off = 0; off < tx.keep;) {
            size_t n = tx.slice_avg;
            if (tx.slice_var) n = n - tx.slice_var + (size_t)rand() % (2 * tx.slice_var + 1);
            if (n < 1 || n > tx.slice_avg + tx.slice_var) n = 1;
            if (n > tx.keep - off) n = tx.keep - off;
            enqueue(l, d, data + off, n, at);
            at += tx.slice_delay_ns;
            off += n;
        }
    } else if (tx.keep) {
        enqueue(l, d, data, tx.keep, at);
    }
    evbuffer_drain(in, len);
    if (tx.close_after) {
        l->pipe[d].eof = true; /* like an EOF: flush what passed, then close */
        maybe_finish_close(l, d);
        return;
    }
    backpressure(l, d);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct link *l = arg;
    pipe_feed_dst(l, bev == l->bev[0] ? 0 : 1);
}

static void on_written(struct bufferevent *bev, void *arg)
{
    struct link *l = arg;
    int d = bev == l->bev[1] ? 0 : 1; /* bev is the destination of direction d */
    backpressure(l, d);
    maybe_finish_close(l, d);
}

static void close_now(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    link_free(arg);
}

/* After direction d's source ended: once everything that passed is written,
 * close the link (after slow_close's delay, if any). */
static uint64_t close_delay(const struct link *l, int d)
{
    uint64_t delay = 0;
    for (int i = 0; i < l->p->ntoxics; i++) {
        const struct toxic *t = &l->p->toxics[i];
        if ((int)t->stream == d && l->affected[i] && t->ops->close_delay_ns)
            delay += t->ops->close_delay_ns(t);
    }
    return delay;
}

static void maybe_finish_close(struct link *l, int d)
{
    struct pipe *pp = &l->pipe[d];
    if (!pp->eof || pp->head || l->ev_close) return;
    if (evbuffer_get_length(bufferevent_get_output(dst_of(l, d)))) return;
    uint64_t delay = close_delay(l, d);
    l->ev_close = evtimer_new(l->p->srv->base, close_now, l);
    struct timeval tv = tv_from_ns(delay);
    evtimer_add(l->ev_close, &tv);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct link *l = arg;
    int d = bev == l->bev[0] ? 0 : 1; /* the direction this side feeds */
    if (what & BEV_EVENT_CONNECTED) return;
    /* A reset or failed connect: the other side is reset too, as a real
     * network would show it; unless a slow_close holds this direction's
     * close back (as Toxiproxy does: a peer that died, e.g. a killed
     * broker, is the case it is for). */
    if ((what & BEV_EVENT_ERROR) && !close_delay(l, d)) {
        link_close(l, true);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        pipe_feed_dst(l, d);
        if (!l->bev[0]) return;
        l->pipe[d].eof = true;
        bufferevent_disable(bev, EV_READ);
        maybe_finish_close(l, d);
    }
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int slen,
                      void *arg)
{
    (void)lis, (void)sa, (void)slen;
    struct proxy *p = arg;
    struct event_base *base = p->srv->base;
    struct link *l = xcalloc(1, sizeof *l);
    l->p = p;
    l->bev[0] = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    /* Our own upstream socket: libevent's would not be close-on-exec. */
    int ufd0 = socket(p->up_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    l->bev[1] = bufferevent_socket_new(base, ufd0, BEV_OPT_CLOSE_ON_FREE);
    for (int d = 0; d < 2; d++) {
        l->pipe[d].link = l;
        l->pipe[d].ev_release = evtimer_new(base, on_release, &l->pipe[d]);
        l->env[d] = (struct toxic_env){base, l, (enum toxic_stream)d, link_close, set_rate};
        bufferevent_setcb(l->bev[d], on_read, on_written, on_event, l);
        bufferevent_setwatermark(l->bev[d], EV_WRITE, HIGH_WATER / 2, 0);
    }
    l->next = p->links;
    if (p->links) p->links->prev = l;
    p->links = l;
    p->stats.accepted++;
    p->stats.active++;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bufferevent_socket_connect(l->bev[1], (struct sockaddr *)&p->up_addr, (int)p->up_len) != 0) {
        link_close(l, true);
        return;
    }
    evutil_socket_t ufd = bufferevent_getfd(l->bev[1]);
    if (ufd >= 0) setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (int i = 0; i < p->ntoxics; i++) proxy_link_attach(l, i);
    bufferevent_enable(l->bev[0], EV_READ | EV_WRITE);
    bufferevent_enable(l->bev[1], EV_READ | EV_WRITE);
}

/* ---- proxies ---- */

/* accept() failed, out of descriptors most likely (EMFILE): libevent would
 * call again at once, and log each failure, in a tight loop. Stop
 * accepting for a while instead; say so once a second at most. */
static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct proxy *p = arg;
    if (p->lis) evconnlistener_enable(p->lis);
}

static void on_accept_error(struct evconnlistener *lis, void *arg)
{
    struct proxy *p = arg;
    int e = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(lis);
    if (!p->ev_backoff) p->ev_backoff = evtimer_new(p->srv->base, on_backoff, p);
    struct timeval tv = {0, 100 * 1000};
    evtimer_add(p->ev_backoff, &tv);
    uint64_t now = clock_ns();
    if (now - p->accept_logged_ns >= NS_PER_SEC) {
        p->accept_logged_ns = now;
        log_err("proxy %s: accept on %s failed (%s): pausing 100 ms", p->name, p->listen,
                evutil_socket_error_to_string(e));
    }
}

/* A proxy whose upstream is its own listener would connect to itself for
 * ever: each accepted link opens another (20,000 descriptors in a second). */
static bool self_loop(const struct proxy *p, const struct sockaddr_storage *bound)
{
    const struct sockaddr_in *a = (const struct sockaddr_in *)bound, *u = (const struct sockaddr_in *)&p->up_addr;
    if (bound->ss_family != AF_INET || p->up_addr.ss_family != AF_INET || a->sin_port != u->sin_port) return false;
    return a->sin_addr.s_addr == u->sin_addr.s_addr || a->sin_addr.s_addr == htonl(INADDR_ANY) ||
           u->sin_addr.s_addr == htonl(INADDR_ANY);
}

int proxy_check_listen(const struct proxy_server *s, const char *listen, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (proxy_parse_addr(listen, &ss, &len)) return snprintf(err, cap, "bad listen address %s (host:port)", listen), -1;
    if (!s->allow_remote && !proxy_addr_loopback(listen))
        return snprintf(err, cap, "listen address %s is not loopback: a proxy reachable from the network relays "
                        "to its upstream for anyone (loadgen proxy --allow-remote to mean it)", listen), -1;
    return 0;
}

int proxy_listen(struct proxy *p, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (proxy_check_listen(p->srv, p->listen, err, cap)) return -1;
    proxy_parse_addr(p->listen, &ss, &len);
    p->lis = evconnlistener_new_bind(p->srv->base, on_accept, p,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
                                     (struct sockaddr *)&ss, (int)len);
    if (!p->lis) {
        snprintf(err, cap, "cannot listen on %s: %s", p->listen, strerror(errno));
        return -1;
    }
    struct sockaddr_storage b;
    socklen_t bl = sizeof b;
    if (getsockname(evconnlistener_get_fd(p->lis), (struct sockaddr *)&b, &bl) == 0 && self_loop(p, &b)) {
        evconnlistener_free(p->lis);
        p->lis = NULL;
        return snprintf(err, cap, "upstream %s is the proxy's own listen address %s: it would connect to itself",
                        p->upstream, p->listen), -1;
    }
    evconnlistener_set_error_cb(p->lis, on_accept_error);
    if (p->srv->allow_remote && !proxy_addr_loopback(p->listen))
        log_note("warning: proxy %s listens on %s, reachable from the network (--allow-remote)", p->name, p->listen);
    /* Port 0: remember the real one, so re-enabling binds the same. */
    char got[sizeof p->listen];
    if (sock_bound_addr(evconnlistener_get_fd(p->lis), got, sizeof got) == 0)
        snprintf(p->listen, sizeof p->listen, "%s", got);
    return 0;
}

void proxy_unlisten(struct proxy *p)
{
    if (p->lis) evconnlistener_free(p->lis);
    p->lis = NULL;
    if (p->ev_backoff) event_free(p->ev_backoff);
    p->ev_backoff = NULL;
    while (p->links) link_free(p->links);
}

struct proxy *proxy_find(struct proxy_server *s, const char *name)
{
    for (struct proxy *p = s->proxies; p; p = p->next)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

int proxy_toxic_index(struct proxy *p, const char *name)
{
    for (int i = 0; i < p->ntoxics; i++)
        if (!strcmp(p->toxics[i].name, name)) return i;
    return -1;
}

/* ---- the proxy thread ---- */

static void *loop_main(void *arg)
{
    struct proxy_server *s = arg;
    event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

struct proxy_server *proxy_server_new(void)
{
    static int threads_on;
    if (!threads_on) {
        evthread_use_pthreads(); /* only to queue calls from other threads */
        threads_on = 1;
    }
    struct proxy_server *s = xcalloc(1, sizeof *s);
    /* Precise timers: libevent's default clock on Linux is the coarse
     * monotonic one (a tick of 4 ms here) and epoll waits in whole ms, so
     * a chunk due at arrival + 5 ms went out up to 4 ms late. With the
     * flag it uses CLOCK_MONOTONIC and a timerfd (microseconds). */
    struct event_config *ec = event_config_new();
    if (ec) event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
    s->base = ec ? event_base_new_with_config(ec) : NULL;
    if (ec) event_config_free(ec);
    if (!s->base) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, loop_main, s)) {
        event_base_free(s->base);
        free(s);
        return NULL;
    }
    return s;
}

struct call {
    struct proxy_server *s;
    void (*fn)(struct proxy_server *, void *);
    void *arg;
    bool done;
};

static void trampoline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct call *c = arg;
    c->fn(c->s, c->arg);
    pthread_mutex_lock(&c->s->mu);
    c->done = true;
    pthread_cond_broadcast(&c->s->cv);
    pthread_mutex_unlock(&c->s->mu);
}

void proxy_run(struct proxy_server *s, void (*fn)(struct proxy_server *, void *), void *arg)
{
    if (pthread_equal(pthread_self(), s->thread)) {
        fn(s, arg);
        return;
    }
    struct call c = {s, fn, arg, false};
    struct timeval zero = {0, 0};
    event_base_once(s->base, -1, EV_TIMEOUT, trampoline, &c, &zero);
    pthread_mutex_lock(&s->mu);
    while (!c.done) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static void shutdown_fn(struct proxy_server *s, void *arg)
{
    (void)arg;
    while (s->proxies) {
        struct proxy *p = s->proxies;
        s->proxies = p->next;
        proxy_unlisten(p);
        free(p);
    }
    if (s->http) evhttp_free(s->http);
    s->http = NULL;
    event_base_loopbreak(s->base);
}

void proxy_server_free(struct proxy_server *s)
{
    if (!s) return;
    proxy_run(s, shutdown_fn, NULL);
    pthread_join(s->thread, NULL);
    event_base_free(s->base);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
