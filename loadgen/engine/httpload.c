/* httpload's threads: the schedule, the connections, the responses.
 * httpload_report.c merges and reports what they counted. */
#include "httpload_int.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICK_US 5000
#define CHUNK_LINE_MAX 4096
#define SERIES_MAX_S 86400

static void dispatch(struct hthread *t);

/* ---- what each request leaves behind ---- */

static void count(struct hthread *t, int cls, uint64_t now)
{
    t->counts[cls]++;
    uint64_t s = now > t->h->start_ns ? (now - t->h->start_ns) / NS_PER_SEC : 0;
    if (s >= SERIES_MAX_S) s = SERIES_MAX_S - 1;
    if (s >= t->nsec) {
        size_t n = t->nsec ? t->nsec : 64;
        while (n <= s)
            n *= 2;
        t->persec = xrealloc(t->persec, n * sizeof *t->persec);
        memset(t->persec + t->nsec, 0, (n - t->nsec) * sizeof *t->persec);
        t->nsec = n;
    }
    t->persec[s][cls]++;
    if (s + 1 > t->used_sec) t->used_sec = s + 1;
}

/* A request on c ends: answered (cls from its status) or failed. */
static void request_end(struct hconn *c, int cls)
{
    struct hthread *t = c->t;
    uint64_t now = clock_ns();
    count(t, cls, now);
    if (cls <= HC_5XX) {
        hist_record(t->lat, (int64_t)(now - c->intended));
        hist_record(t->lat_unc, (int64_t)(now - c->sent));
    }
    if (cls == HC_2XX && t->h->keep_ids) t->ok[(c->seq) >> 6] |= 1ULL << (c->seq & 63);
    if (cls == HC_2XX) atomic_store_explicit(&t->snap_ok, t->counts[HC_2XX], memory_order_relaxed);
    c->busy = false;
    t->inflight--;
}

static void conn_close(struct hconn *c)
{
    if (c->bev) bufferevent_free(c->bev);
    c->bev = NULL;
    c->connected = false;
}

static void idle_push(struct hconn *c)
{
    c->t->idle[c->t->nidle++] = c->idx;
}

/* The request failed (cls: timeout, connect or I/O): the connection goes,
 * the next request opens a new one. */
static void conn_fail(struct hconn *c, int cls)
{
    bool was_busy = c->busy;
    if (was_busy) request_end(c, cls);
    conn_close(c);
    if (was_busy) {
        idle_push(c);
        dispatch(c->t);
    }
}

static void conn_done(struct hconn *c)
{
    int st = c->resp.status;
    request_end(c, st < 200 ? HC_1XX : st < 300 ? HC_2XX : st < 400 ? HC_3XX : st < 500 ? HC_4XX : HC_5XX);
    if (c->resp.close) conn_close(c);
    idle_push(c);
    dispatch(c->t);
}

/* ---- reading a response ---- */

enum { BODY_LENGTH, BODY_TO_EOF, CH_SIZE, CH_DATA, CH_CRLF, CH_TRAILER };

/* The body of the response on c, as far as in has it: 1 complete, 0 more
 * to come, -1 malformed. */
static int read_body(struct hconn *c, struct evbuffer *in)
{
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        switch (c->body_state) {
        case BODY_LENGTH: {
            size_t n = avail < (uint64_t)c->left ? avail : (size_t)c->left;
            evbuffer_drain(in, n);
            c->left -= (int64_t)n;
            return c->left == 0;
        }
        case BODY_TO_EOF:
            evbuffer_drain(in, avail);
            return 0;
        case CH_DATA: {
            size_t n = avail < (uint64_t)c->left ? avail : (size_t)c->left;
            evbuffer_drain(in, n);
            c->left -= (int64_t)n;
            if (c->left) return 0;
            c->body_state = CH_CRLF;
            break;
        }
        case CH_CRLF: {
            if (avail < 2) return 0;
            char crlf[2];
            evbuffer_remove(in, crlf, 2);
            if (crlf[0] != '\r' || crlf[1] != '\n') return -1;
            c->body_state = CH_SIZE;
            break;
        }
        case CH_SIZE:
        case CH_TRAILER: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF_STRICT);
            if (!line) return avail > CHUNK_LINE_MAX ? -1 : 0;
            int64_t sz = c->body_state == CH_SIZE ? http_resp_chunk_size(line, len) : (int64_t)len;
            free(line);
            if (c->body_state == CH_TRAILER) {
                if (sz == 0) return 1;
                break;
            }
            if (sz < 0) return -1;
            c->left = sz;
            c->body_state = sz ? CH_DATA : CH_TRAILER;
            break;
        }
        }
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct hconn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (evbuffer_get_length(in)) {
        if (!c->busy) return conn_fail(c, HC_IO); /* an answer nobody asked for */
        if (!c->head_done) {
            size_t n = evbuffer_get_length(in);
            if (n > HTTP_RESP_HEAD_MAX) n = HTTP_RESP_HEAD_MAX;
            const char *why;
            long hl = http_resp_head((const char *)evbuffer_pullup(in, (ssize_t)n), n, &c->resp, &why);
            if (hl < 0) return conn_fail(c, HC_IO);
            if (hl == 0) return;
            evbuffer_drain(in, (size_t)hl);
            if (c->resp.status < 200) continue; /* 100 Continue: the answer follows */
            c->head_done = true;
            bool none = c->resp.status == 204 || c->resp.status == 304 || c->t->h->head_method;
            c->body_state = c->resp.chunked ? CH_SIZE : c->resp.length >= 0 || none ? BODY_LENGTH : BODY_TO_EOF;
            c->left = none ? 0 : c->resp.length;
            if (c->body_state == BODY_TO_EOF) c->resp.close = true;
        }
        int r = read_body(c, in);
        if (r < 0) return conn_fail(c, HC_IO);
        if (r == 0) return;
        conn_done(c);
        if (!c->bev) return;
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct hconn *c = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        int one = 1;
        setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return;
    }
    /* a body that runs to the close ends with it */
    if ((what & BEV_EVENT_EOF) && c->busy && c->head_done && c->body_state == BODY_TO_EOF) {
        conn_done(c);
        return;
    }
    if (!c->busy) { /* the server closed an idle keep-alive connection: reopen when needed */
        conn_close(c);
        return;
    }
    conn_fail(c, c->connected ? HC_IO : HC_CONNECT);
}

/* ---- sending ---- */

/* The request is built whole in t->req, then written in one call. */
static void put(struct hthread *t, const char *p, size_t n)
{
    if (t->req_len + n > t->req_cap) {
        while (t->req_len + n > t->req_cap)
            t->req_cap = t->req_cap ? t->req_cap * 2 : 4096;
        t->req = xrealloc(t->req, t->req_cap);
    }
    memcpy(t->req + t->req_len, p, n);
    t->req_len += n;
}

/* Renders tp into t->scratch; its length. */
static size_t render(struct hthread *t, const struct tpl *tp, const struct tpl_vars *v)
{
    size_t n = tpl_render(tp, v, t->scratch, t->scratch_cap);
    if (n >= t->scratch_cap) {
        t->scratch_cap = n + 1;
        t->scratch = xrealloc(t->scratch, t->scratch_cap);
        tpl_render(tp, v, t->scratch, t->scratch_cap);
    }
    return n;
}

static void build_request(struct hthread *t, const struct tpl_vars *v)
{
    const struct httpload *h = t->h;
    const struct httpload_spec *s = h->spec;
    t->req_len = 0;
    put(t, s->method, strlen(s->method));
    put(t, " ", 1);
    put(t, t->scratch, render(t, &s->path, v));
    put(t, h->fixed, h->fixed_len); /* " HTTP/1.1\r\nHost: ...\r\n" */
    for (int i = 0; i < s->nheaders; i++) {
        put(t, s->header_keys[i], strlen(s->header_keys[i]));
        put(t, ": ", 2);
        put(t, t->scratch, render(t, &s->header_values[i], v));
        put(t, "\r\n", 2);
    }
    if (s->body.set) {
        size_t n = render(t, &s->body, v);
        char cl[48];
        put(t, cl, (size_t)snprintf(cl, sizeof cl, "Content-Length: %zu\r\n\r\n", n));
        put(t, t->scratch, n);
    } else {
        put(t, "\r\n", 2);
    }
}

static void keep_times(struct hthread *t, uint64_t seq, uint64_t intended, uint64_t now)
{
    if (seq >= t->cap) {
        uint64_t n = t->cap ? t->cap * 2 : 4096;
        while (n <= seq)
            n *= 2;
        /* cap is a power of two: the bitmap has cap / 64 words, all of them new ones zeroed */
        size_t had = (size_t)(t->cap / 64), words = (size_t)(n / 64);
        t->times = xrealloc(t->times, (size_t)n * 2 * sizeof *t->times);
        t->ok = xrealloc(t->ok, words * sizeof *t->ok);
        memset(t->ok + had, 0, (words - had) * sizeof *t->ok);
        t->cap = n;
    }
    t->times[(seq - 1) * 2] = intended;
    t->times[(seq - 1) * 2 + 1] = now;
}

static void send_request(struct hconn *c, uint64_t seq, uint64_t intended, uint64_t now)
{
    struct hthread *t = c->t;
    const struct httpload *h = t->h;
    if (h->keep_ids) keep_times(t, seq, intended, now);
    if (!c->bev) {
        /* our own socket: CLOEXEC, so the services loadgen forks inherit none */
        int fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        c->bev = fd < 0 ? NULL : bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (c->bev) {
            bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
            bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        } else if (fd >= 0) {
            close(fd);
        }
        if (!c->bev || bufferevent_socket_connect(c->bev, (const struct sockaddr *)&h->addr, (int)h->alen) < 0) {
            conn_close(c);
            c->busy = true, c->seq = seq, c->intended = intended, c->sent = now;
            t->inflight++;
            request_end(c, HC_CONNECT);
            idle_push(c);
            return;
        }
    }
    struct tpl_vars v = {h->run_id, h->producer_base + (uint32_t)t->id, seq, h->epoch_offset + intended};
    build_request(t, &v);
    /* straight to the socket when nothing waits before it: no write event
     * to arm and disarm per request (libevent's bufferevent would) */
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t off = 0;
    if (c->connected && !evbuffer_get_length(out)) {
        ssize_t w = send(bufferevent_getfd(c->bev), t->req, t->req_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) off = (size_t)w;
    }
    if (off < t->req_len) evbuffer_add(out, t->req + off, t->req_len - off);
    c->busy = true, c->head_done = false;
    c->seq = seq, c->intended = intended, c->sent = now;
    t->inflight++;
    t->sent++;
    if (now - intended > NS_PER_MS) t->late++;
}

/* The rate this thread sends at, t ns into the run (0: no limit). */
static double thread_rate(const struct hthread *t, uint64_t at)
{
    uint64_t r = schedule_at(&t->h->rate, at);
    return r ? (double)r / t->h->nthreads : 0;
}

/* Sends every request that is due while a connection is free; arms the
 * send timer for the next one. */
static void dispatch(struct hthread *t)
{
    struct httpload *h = t->h;
    if (atomic_load_explicit(&h->phase, memory_order_relaxed) != HL_GO || t->finished) return;
    uint64_t now = clock_ns();
    while (t->nidle > 0) {
        if (t->quota && t->next_seq > t->quota) {
            t->finished = true;
            return;
        }
        double r = thread_rate(t, t->next_intended - h->start_ns);
        uint64_t due = r > 0 ? t->next_intended : now;
        if (due > now) {
            uint64_t wait = due - now;
            struct timeval tv = {(time_t)(wait / NS_PER_SEC), (suseconds_t)(wait % NS_PER_SEC / 1000)};
            evtimer_add(t->send_ev, &tv);
            return;
        }
        struct hconn *c = &t->conns[t->idle[--t->nidle]];
        send_request(c, t->next_seq++, due, now);
        t->next_intended = r > 0 ? t->next_intended + (uint64_t)(1e9 / r) : now;
    }
}

static void on_send(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    dispatch(arg);
}

/* Every TICK_US: the phase the run is in (wrk's stop flag). */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct hthread *t = arg;
    int phase = atomic_load(&t->h->phase);
    if (phase == HL_GO && !t->started) {
        t->started = true;
        /* the threads' schedules interleave rather than all firing at once */
        uint64_t r = schedule_at(&t->h->rate, 0);
        t->next_intended = t->h->start_ns + (r ? (uint64_t)t->id * NS_PER_SEC / r : 0);
        dispatch(t);
    }
    if (phase >= HL_FINISH) t->finished = true;
    /* timeouts: a sweep each tick, not a timer armed per request */
    uint64_t now = clock_ns(), limit = t->h->spec->timeout_ns;
    for (int i = 0; i < t->nconns; i++)
        if (t->conns[i].busy && now - t->conns[i].sent > limit) conn_fail(&t->conns[i], HC_TIMEOUT);
    if (phase == HL_STOP) {
        for (int i = 0; i < t->nconns; i++)
            if (t->conns[i].busy) conn_fail(&t->conns[i], HC_TIMEOUT);
        event_base_loopbreak(t->base);
    }
    atomic_store(&t->done, t->finished && !t->inflight);
}

static void *thread_main(void *arg)
{
    struct hthread *t = arg;
    event_base_dispatch(t->base);
    atomic_store(&t->done, 1);
    return NULL;
}

/* ---- the driver ---- */

static int resolve(struct httpload *h, char *err, size_t cap)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(h->spec->host, h->spec->port, &hints, &ai);
    if (rc || !ai) return snprintf(err, cap, "%s: %s", h->spec->host, gai_strerror(rc)), -1;
    memcpy(&h->addr, ai->ai_addr, ai->ai_addrlen);
    h->alen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

struct httpload *httpload_new(const struct httpload_spec *s, const struct schedule *rate, uint64_t requests,
                              uint32_t run_id, uint32_t producer_base, bool keep_ids, char *err, size_t cap)
{
    struct httpload *h = xcalloc(1, sizeof *h);
    h->spec = s;
    h->rate = *rate;
    h->run_id = run_id;
    h->producer_base = producer_base;
    h->keep_ids = keep_ids;
    h->head_method = !strcmp(s->method, "HEAD");
    if (resolve(h, err, cap)) return free(h), NULL;
    bool default_port = !strcmp(s->port, "80");
    h->fixed_len = (size_t)snprintf(h->fixed, sizeof h->fixed, " HTTP/1.1\r\nHost: %s%s%s\r\n", s->host,
                                    default_port ? "" : ":", default_port ? "" : s->port);
    h->nthreads = s->threads > 0 ? s->threads : 1;
    int nconn = s->connections > 0 ? s->connections : 1;
    if (nconn < h->nthreads) h->nthreads = nconn;
    h->t = xcalloc((size_t)h->nthreads, sizeof *h->t);
    for (int i = 0; i < h->nthreads; i++) {
        struct hthread *t = &h->t[i];
        t->h = h;
        t->id = i;
        t->nconns = nconn / h->nthreads + (i < nconn % h->nthreads);
        if (requests) t->quota = requests / (uint64_t)h->nthreads + ((uint64_t)i < requests % (uint64_t)h->nthreads);
        if (requests && !t->quota) t->finished = true;
        t->next_seq = 1;
        struct event_config *ec = event_config_new();
        event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
        t->base = event_base_new_with_config(ec);
        event_config_free(ec);
        t->conns = xcalloc((size_t)t->nconns, sizeof *t->conns);
        t->idle = xcalloc((size_t)t->nconns, sizeof *t->idle);
        for (int k = t->nconns - 1; k >= 0; k--) {
            t->conns[k] = (struct hconn){.t = t, .idx = k};
            t->idle[t->nidle++] = k;
        }
        t->send_ev = evtimer_new(t->base, on_send, t);
        t->tick = event_new(t->base, -1, EV_PERSIST, on_tick, t);
        struct timeval tv = {0, TICK_US};
        event_add(t->tick, &tv);
        t->lat = hist_new_default();
        t->lat_unc = hist_new_default();
        t->scratch_cap = 4096;
        t->scratch = xmalloc(t->scratch_cap);
        pthread_create(&t->th, NULL, thread_main, t);
    }
    return h;
}

void httpload_go(struct httpload *h, uint64_t start_ns)
{
    h->start_ns = start_ns;
    h->epoch_offset = clock_realtime_ns() - clock_ns();
    atomic_store(&h->phase, HL_GO);
}

void httpload_finish(struct httpload *h)
{
    if (atomic_load(&h->phase) < HL_FINISH) atomic_store(&h->phase, HL_FINISH);
}

bool httpload_done(struct httpload *h)
{
    for (int i = 0; i < h->nthreads; i++)
        if (!atomic_load(&h->t[i].done)) return false;
    return true;
}

uint64_t httpload_ok(struct httpload *h)
{
    uint64_t n = 0;
    for (int i = 0; i < h->nthreads; i++)
        n += atomic_load_explicit(&h->t[i].snap_ok, memory_order_relaxed);
    return n;
}

void httpload_join(struct httpload *h)
{
    if (h->joined) return;
    atomic_store(&h->phase, HL_STOP);
    for (int i = 0; i < h->nthreads; i++)
        pthread_join(h->t[i].th, NULL);
    h->joined = true;
    httpload_merge(h);
}

void httpload_free(struct httpload *h)
{
    if (!h) return;
    httpload_join(h);
    for (int i = 0; i < h->nthreads; i++) {
        struct hthread *t = &h->t[i];
        for (int k = 0; k < t->nconns; k++) {
            conn_close(&t->conns[k]);
        }
        event_free(t->send_ev);
        event_free(t->tick);
        event_base_free(t->base);
        hist_free(t->lat), hist_free(t->lat_unc);
        free(t->conns), free(t->idle), free(t->req), free(t->times), free(t->ok), free(t->persec), free(t->scratch);
    }
    free(h->t);
    httpload_merged_free(h);
    free(h);
}
