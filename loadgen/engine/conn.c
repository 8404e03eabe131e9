/* The event-loop side of an AMQP connection. rabbitmq-c, a blocking
 * library, sets it up (the connector's thread); then a plain connection
 * leaves it (conn_own): we read the socket, cut frames (rxframes.c), write
 * (wire.c) and send heartbeats ourselves. A TLS connection keeps it: we
 * poll its socket with libevent and pull frames with a zero timeout,
 * draining what rabbitmq-c already buffered before going back to the loop
 * (a readable-event never fires for bytes already in its buffer). */
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BATCH 2048            /* frames per callback before yielding (rabbitmq-c's reader) */
#define RX_ROUNDS 8                /* full reads per callback before yielding (ours) */
#define READ_DIRECT 4 /* connections a waiting read takes one by one, without epoll */
#define POLL_MAX 64 /* sockets a poll of the read set takes; the rest stay readable for the next */
/* Service: heartbeats (rabbitmq-c sends them only inside its calls), our
 * dead-peer check, and pending multi-acks. One timer per worker walks its
 * connections in slices (worker.c): with 10,000 connections a timer each
 * meant 10,000 wake-ups a second, about 23 us of CPU apiece. A quarter
 * heartbeat is often enough. */
uint64_t conn_service_ns(const struct config *cfg)
{
    uint64_t t = cfg->heartbeat_s ? cfg->heartbeat_s * NS_PER_SEC / 4 : NS_PER_SEC;
    if (cfg->multi_ack > 1 && t > 250 * NS_PER_MS) t = 250 * NS_PER_MS;
    if (cfg->confirm_timeout_ns && t > cfg->confirm_timeout_ns / 4) t = cfg->confirm_timeout_ns / 4;
    if (t < 10 * NS_PER_MS) t = 10 * NS_PER_MS;
    return t;
}
#define BACKOFF_MIN_NS (100 * NS_PER_MS)
#define BACKOFF_MAX_NS (5 * NS_PER_SEC)

static void conn_on_writable(evutil_socket_t fd, short what, void *arg);

/* Sends c->out, over TLS when the connection has it: 0 all sent, 1 the
 * socket would block, -1 an error. */
static int out_flush(struct conn *c)
{
    c->last_tx_ns = clock_ns(); /* nothing may go: then the dead-peer check ends it */
    if (!c->tls) return wire_flush(&c->out, c->fd);
    while (c->out.off < c->out.len) {
        ssize_t n = amqpc_tls_write(c->tls, c->out.data + c->out.off, c->out.len - c->out.off);
        if (n < 0) return -1;
        if (n == 0) return 1;
        c->out.off += (size_t)n;
    }
    c->out.off = c->out.len = 0;
    return 0;
}

/* rabbitmq-c sizes its frame pools and output buffer by frame_max: with
 * 10,000 connections 128 KiB each is what made 105 KB of RSS per
 * connection. A frame that holds the largest message (header and frame
 * overhead included) is enough; larger bodies are split anyway. */
static int conn_frame_max(const struct config *cfg)
{
    uint64_t most = 0;
    for (int i = 0; i < cfg->size.n; i++)
        if (cfg->size.value[i] > most) most = cfg->size.value[i];
    uint64_t want = most + MSG_HEADER_LEN + 8 + 512; /* + room for the method and header frames */
    int fm = 8192;
    while ((uint64_t)fm < want && fm < 131072) fm *= 2;
    return fm;
}

/* The connector's thread: only c->amqp and what the setup RPCs read. */
int conn_setup(struct conn *c, char *err, size_t cap)
{
    struct worker *w = c->w;
    const struct config *cfg = w->cfg;
    char name[64];
    snprintf(name, sizeof name, "loadgen-w%d-c%d", w->id, c->index);
    if (amqpc_open(&c->amqp, &w->run->targets[c->node], (int)cfg->heartbeat_s, cfg->connect_timeout_ns, name,
                   conn_frame_max(cfg), err, cap))
        return -1;
    for (int i = 0; i < c->nagents; i++) {
        struct agent *a = c->agents[i];
        amqp_channel_open(c->amqp, (amqp_channel_t)a->channel);
        if (amqpc_check(c->amqp, "channel.open", err, cap)) goto fail;
        if (a->ops->setup(a, err, cap)) goto fail;
    }
    return 0;
fail:
    amqp_destroy_connection(c->amqp);
    c->amqp = NULL;
    return -1;
}

static bool dispatch(struct conn *c, amqp_frame_t *f);

static void events_new(struct conn *c)
{
    struct worker *w = c->w;
    c->ev_write = event_new(w->base, c->fd, EV_WRITE, conn_on_writable, c);
    c->ev_read = event_new(w->base, c->fd, EV_READ | EV_PERSIST, conn_on_read, c);
}

static void events_free(struct conn *c)
{
    if (c->ev_read) event_free(c->ev_read);
    if (c->ev_write) event_free(c->ev_write);
    c->ev_read = c->ev_write = NULL;
}

/* A plain connection leaves rabbitmq-c once it is at a frame boundary with
 * nothing buffered: we keep a descriptor of the socket and free the rest
 * (rxframes.c says what that saves). Its close closes only its own
 * descriptor. False while rabbitmq-c still holds bytes of ours. */
static bool conn_own(struct conn *c)
{
    if (c->tls || !c->amqp || !c->w->rxf_dec) return false;
    if (amqp_frames_enqueued(c->amqp) || amqp_data_in_buffer(c->amqp) || !amqp_release_buffers_ok(c->amqp))
        return false;
    int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return false;
    bool evs = c->ev_read != NULL, reading = evs && event_pending(c->ev_read, EV_READ, NULL);
    events_free(c); /* they watch the number rabbitmq-c closes now */
    amqp_destroy_connection(c->amqp);
    c->amqp = NULL;
    c->fd = fd;
    c->own_fd = true;
    if (!evs) return true;
    events_new(c);
    if (reading) event_add(c->ev_read, NULL);
    if (c->write_blocked) event_add(c->ev_write, NULL);
    return true;
}

/* Our close: connection.close, then the broker's close-ok, so what we
 * sent before is all read (closing with bytes unread would reset the
 * connection). The frames before it are dropped: they are the broker's
 * to requeue. */
static bool until_close_ok(struct conn *c, amqp_frame_t *f)
{
    (void)c;
    return !(f->channel == 0 && f->frame_type == AMQP_FRAME_METHOD &&
             f->payload.method.id == AMQP_CONNECTION_CLOSE_OK_METHOD);
}

static void own_close(struct conn *c)
{
    wire_connection_close(&c->out, false);
    uint64_t until = clock_ns() + 2 * NS_PER_SEC;
    while (clock_ns() < until) {
        if (out_flush(c) < 0) return;
        struct pollfd pfd = {c->fd, POLLIN | (wire_pending(&c->out) ? POLLOUT : 0), 0};
        if (poll(&pfd, 1, 100) < 0) return;
        if (!(pfd.revents & POLLIN)) continue;
        ssize_t n = recv(c->fd, c->w->rxb.buf, RXB_BUF, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
        if (n > 0 && rxf_feed(c, c->w->rxb.buf, (size_t)n, until_close_ok)) return; /* close-ok, or garbage */
    }
}

/* The loop's thread: c is set up (conn_setup returned 0). */
void conn_attach(struct conn *c)
{
    struct worker *w = c->w;
    for (int i = 0; i < c->nagents; i++) {
        struct agent *a = c->agents[i];
        a->ops->attached(a);
    }
    c->fd = amqp_get_sockfd(c->amqp);
    c->tls = w->run->targets[c->node].tls ? amqpc_tls_session(c->amqp) : NULL;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->frame_max = (uint32_t)amqp_get_frame_max(c->amqp);
    c->out.off = c->out.len = 0;
    c->write_blocked = false;
    c->last_rx_ns = c->last_pump_ns = c->last_tx_ns = clock_ns();
    socklen_t len = sizeof c->sndbuf;
    if (getsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &c->sndbuf, &len) != 0) c->sndbuf = 65536;
    memset(c->rx, 0, (size_t)c->nagents * sizeof *c->rx);
    conn_own(c);
    events_new(c);
    if (rxb_attach(c)) event_add(c->ev_read, NULL); /* else a producer's tick reads it (rxbatch.c) */
    /* Deliveries that came with basic.consume-ok wait in rabbitmq-c's
     * queue, where no readable event will ever point at them. */
    if (c->amqp && (amqp_frames_enqueued(c->amqp) || amqp_data_in_buffer(c->amqp)))
        event_active(c->ev_read, EV_READ, 0);
    c->up = true;
    w->nup++;
    c->backoff_ns = 0;
    for (int i = 0; i < c->nagents && w->started; i++)
        if (c->agents[i]->producer) event_active(c->agents[i]->ev_send, EV_TIMEOUT, 0);
}

/* Tear down the socket and events; producers and consumers forget what was
 * in flight (it is indeterminate now). */
void conn_down(struct conn *c, bool graceful)
{
    rxb_detach(c);
    events_free(c);
    for (int i = 0; i < c->nagents; i++) {
        struct agent *a = c->agents[i];
        if (graceful && c->up && a->ops->flush_acks) a->ops->flush_acks(a);
        a->ops->lost_connection(a);
    }
    if (graceful && c->up) {
        /* Our buffered acks must reach the broker before the close. */
        for (int i = 0; i < 20 && out_flush(c) == 1; i++) {
            struct pollfd pfd = {c->fd, POLLOUT, 0};
            poll(&pfd, 1, 50);
        }
    }
    if (c->own_fd) {
        if (graceful && c->up) own_close(c); /* after any frame a read cut */
        close(c->fd);
        c->own_fd = false;
    }
    rxf_forget(c);
    c->out.off = c->out.len = 0;
    c->tls = NULL;
    if (c->amqp) {
        if (graceful && c->up) amqpc_close(c->amqp);
        else amqp_destroy_connection(c->amqp);
        c->amqp = NULL;
    }
    if (c->up) c->w->nup--;
    c->up = false;
}

void conn_fail(struct conn *c, enum stats_counter category, const char *why)
{
    struct worker *w = c->w;
    w->counters[category]++;
    log_info("worker %d conn %d: %s", w->id, c->index, why);
    conn_down(c, false);
    if (atomic_load_explicit(&w->run->phase, memory_order_relaxed) == PHASE_STOP) return;
    /* On a cluster the next try goes to the next node (PerfTest's and the
     * Java client's address list). */
    if (w->run->ntargets > 1) c->node = (c->node + 1) % w->run->ntargets;
    /* Exponential backoff with jitter, so a broker restart is not met by a
     * synchronized thundering herd. */
    c->backoff_ns = c->backoff_ns ? c->backoff_ns * 2 : BACKOFF_MIN_NS;
    if (c->backoff_ns > BACKOFF_MAX_NS) c->backoff_ns = BACKOFF_MAX_NS;
    uint64_t delay = c->backoff_ns / 2 + (uint64_t)rand() % (c->backoff_ns / 2 + 1);
    struct timeval tv = tv_from_ns(delay);
    event_add(c->ev_reconnect, &tv);
}

void conn_on_reconnect(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    if (atomic_load_explicit(&c->w->run->phase, memory_order_relaxed) == PHASE_STOP) return;
    uint64_t now = clock_ns();
    if (now < c->down_until_ns) { /* a crashed consumer: not back yet */
        struct timeval tv = tv_from_ns(c->down_until_ns - now);
        event_add(c->ev_reconnect, &tv);
        return;
    }
    connector_submit(&c->w->connector, c); /* back through worker.c's on_connected() */
}

static void server_close(struct conn *c, amqp_frame_t *f)
{
    char why[300];
    if (f->payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_t *m = f->payload.method.decoded;
        snprintf(why, sizeof why, "server closed the connection: %u %.*s", m->reply_code,
                 (int)m->reply_text.len, (char *)m->reply_text.bytes);
        amqp_connection_close_ok_t ok = {0};
        if (c->amqp) amqp_send_method(c->amqp, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        else wire_connection_close(&c->out, true), out_flush(c);
        conn_fail(c, ST_ERR_CONNECTION, why);
    } else {
        amqp_channel_close_t *m = f->payload.method.decoded;
        snprintf(why, sizeof why, "server closed channel %u: %u %.*s", f->channel, m->reply_code,
                 (int)m->reply_text.len, (char *)m->reply_text.bytes);
        /* A closed channel loses its producer or consumer: start over. */
        conn_fail(c, ST_ERR_CHANNEL, why);
    }
}

/* Returns false when the connection failed (c may be down). */
static bool dispatch(struct conn *c, amqp_frame_t *f)
{
    if (f->channel == 0) {
        if (f->frame_type == AMQP_FRAME_METHOD && f->payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
            server_close(c, f);
            return false;
        }
        /* A resource alarm: the broker stops reading publishers until
         * unblocked. Counted: capacity fails a step on it. */
        if (f->frame_type == AMQP_FRAME_METHOD && f->payload.method.id == AMQP_CONNECTION_BLOCKED_METHOD)
            c->w->counters[ST_BLOCKED]++;
        return true;
    }
    int idx = f->channel - 1;
    if (idx >= c->nagents) return true;
    struct agent *a = c->agents[idx];
    struct chan_rx *rx = &c->rx[idx];
    switch (f->frame_type) {
    case AMQP_FRAME_METHOD:
        switch (f->payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            amqp_basic_ack_t *m = f->payload.method.decoded;
            if (a->ops->on_ack) a->ops->on_ack(a, m->delivery_tag, m->multiple, false);
            break;
        }
        case AMQP_BASIC_NACK_METHOD: {
            amqp_basic_nack_t *m = f->payload.method.decoded;
            if (a->ops->on_ack) a->ops->on_ack(a, m->delivery_tag, m->multiple, true);
            break;
        }
        case AMQP_BASIC_RETURN_METHOD:
            c->w->counters[ST_RETURNED]++;
            memset(rx, 0, sizeof *rx);
            rx->active = rx->is_return = true;
            break;
        case AMQP_BASIC_DELIVER_METHOD: {
            amqp_basic_deliver_t *m = f->payload.method.decoded;
            memset(rx, 0, sizeof *rx);
            rx->active = true;
            rx->tag = m->delivery_tag;
            rx->redelivered = m->redelivered;
            break;
        }
        case AMQP_CHANNEL_CLOSE_METHOD:
            server_close(c, f);
            return false;
        case AMQP_BASIC_CANCEL_METHOD:
            conn_fail(c, ST_ERR_CHANNEL, "broker cancelled the consumer (queue deleted?)");
            return false;
        default: break;
        }
        break;
    case AMQP_FRAME_HEADER:
        if (!rx->active) break;
        rx->body_size = f->payload.properties.body_size;
        rx->rejections = 0;
        rx->dead_letter = DL_NONE;
        rx->stream_offset = a->set.type == QUEUE_STREAM ? consumer_stream_offset(f->payload.properties.decoded) : -1;
        if (config_retrying(c->w->cfg) || c->w->cfg->topo)
            rx->rejections = consumer_rejections(f->payload.properties.decoded, &rx->dead_letter);
        msg_decoder_begin(&rx->dec, rx->body_size);
        if (rx->body_size == 0) {
            if (!rx->is_return && a->ops->on_message) a->ops->on_message(a, rx);
            rx->active = false;
        }
        break;
    case AMQP_FRAME_BODY:
        if (!rx->active) break;
        msg_decoder_feed(&rx->dec, f->payload.body_fragment.bytes, f->payload.body_fragment.len);
        if (rx->dec.seen >= rx->body_size) {
            if (!rx->is_return && a->ops->on_message) a->ops->on_message(a, rx);
            rx->active = false;
        }
        break;
    default: break;
    }
    return true;
}

static enum stats_counter category_of(int status)
{
    return status == AMQP_STATUS_HEARTBEAT_TIMEOUT ? ST_ERR_HEARTBEAT : ST_ERR_CONNECTION;
}

/* rabbitmq-c's reader (TLS, and what it buffered during setup). The
 * first call reads the socket; after that only what rabbitmq-c already
 * buffered, since one more call on an empty buffer costs a recv and a poll
 * for nothing. Returns false if c failed. */
static bool pump_lib(struct conn *c)
{
    struct timeval zero = {0, 0};
    for (int n = 0; n < READ_BATCH; n++) {
        if (n > 0 && !amqp_frames_enqueued(c->amqp) && !amqp_data_in_buffer(c->amqp)) return true;
        amqp_frame_t f;
        int st = amqp_simple_wait_frame_noblock(c->amqp, &f, &zero);
        if (st == AMQP_STATUS_TIMEOUT) return true;
        if (st != AMQP_STATUS_OK) {
            char why[200];
            snprintf(why, sizeof why, "connection lost: %s", amqp_error_string2(st));
            conn_fail(c, category_of(st), why);
            return false;
        }
        c->last_rx_ns = clock_ns();
        if (!dispatch(c, &f) || !c->up) return false;
    }
    /* Yield to other connections; come back for what is still buffered. */
    if (c->ev_read) event_active(c->ev_read, EV_READ, 0);
    return true;
}

/* Our own reads (plain TCP, once set up: conn_own): one recvmsg brings
 * the bytes and, stamped, their arrival time, and rxframes.c cuts them
 * into frames. rabbitmq-c's reader took a peek for the time, a recv for
 * the bytes and a recv more to learn the socket was empty; a short read
 * says that here. Heartbeats are ours (conn_service). Returns false if c
 * failed. */
static bool pump_own(struct conn *c)
{
    unsigned char *buf = c->w->rxb.buf;
    for (int round = 0; round < RX_ROUNDS; round++) {
        ssize_t n = rxb_recv(c, buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
        char why[200];
        if (n <= 0) {
            snprintf(why, sizeof why, "connection lost: %s", n ? strerror(errno) : "the broker closed the socket");
            conn_fail(c, ST_ERR_CONNECTION, why);
            return false;
        }
        int rc = rxf_feed(c, buf, (size_t)n, dispatch);
        if (rc == 1) return false; /* dispatch failed c */
        if (rc) {
            snprintf(why, sizeof why, "connection lost: %s", amqp_error_string2(rc));
            conn_fail(c, ST_ERR_CONNECTION, why);
            return false;
        }
        if (!c->up) return false;
        if (n < RXB_BUF) return true; /* the socket is empty */
    }
    if (c->ev_read) event_active(c->ev_read, EV_READ, 0); /* yield; come back for the rest */
    return true;
}

/* Reads wait while our own writes are pending: rabbitmq-c's heartbeat
 * writes must never land inside a half-written frame of ours, and a
 * consumer whose acks cannot go out takes no more deliveries. Returns false
 * if c failed. */
static bool pump_frames(struct conn *c)
{
    if (c->write_blocked) return true;
    /* While reads wait for the tick, what a read queued (a consumer's held
     * acks) goes out before the next read of its socket, not after: that
     * segment carries the TCP ACK of the bytes about to be read, so the
     * read sends no ACK of its own. A paced consumer's reads sent 1,000
     * bare ACKs a second (8% of a paced run's CPU went to those). */
    bool ack_first = c->w->rxb.deferred && c->stamped && !c->amqp;
    if (ack_first && conn_flush(c)) return false;
    if (c->amqp) {
        c->last_pump_ns = clock_ns();
        if (!pump_lib(c)) return false;
        amqp_maybe_release_buffers(c->amqp);
        conn_own(c); /* what it held from setup is read */
    } else if (!pump_own(c)) {
        return false;
    }
    if (ack_first && c->w->rxb.deferred) return true; /* the next read, or rxb_resume, sends them */
    return conn_flush(c) == 0; /* acks queued while dispatching */
}

int conn_flush(struct conn *c)
{
    if (!c->up || !wire_pending(&c->out)) return 0;
    int rc = out_flush(c);
    if (rc < 0) {
        char why[200];
        snprintf(why, sizeof why, "connection lost: write: %s", strerror(errno));
        conn_fail(c, ST_ERR_CONNECTION, why);
        return -1;
    }
    c->write_blocked = rc == 1;
    if (rc == 1) event_add(c->ev_write, NULL);
    return 0;
}

static void conn_on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    if (conn_flush(c) || c->write_blocked) return;
    for (int i = 0; i < c->nagents; i++)
        if (c->agents[i]->producer) event_active(c->agents[i]->ev_send, EV_TIMEOUT, 0);
    pump_frames(c);
}

void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    /* Bytes arrived: the peer is alive. rabbitmq-c's reader swallows
     * heartbeat frames without returning them, so counting only returned
     * frames would call an idle but healthy connection dead (our reads
     * count their bytes). */
    if (c->amqp) c->last_rx_ns = clock_ns();
    if (c->up) pump_frames(c);
}

/* A producer's tick while reads wait (rxbatch.c): the sockets of the
 * worker's read set that have bytes, without blocking. A few are each
 * read at once: a paced tick brings bytes to each (confirms, deliveries),
 * and an epoll_wait to learn that was one syscall more a tick. */
void conn_read_waiting(struct worker *w)
{
    if (!w->rxb.deferred) return;
    if (w->nconns <= READ_DIRECT) {
        for (int i = 0; i < w->nconns; i++)
            if (w->conns[i].up && w->conns[i].stamped) conn_on_read(w->conns[i].fd, EV_READ, &w->conns[i]);
        return;
    }
    struct epoll_event evs[POLL_MAX];
    int n = epoll_wait(w->rxb.epfd, evs, POLL_MAX, 0);
    for (int i = 0; i < n; i++) {
        struct conn *c = evs[i].data.ptr;
        if (c->up && c->stamped) conn_on_read(c->fd, EV_READ, c);
    }
}

void conn_service(struct conn *c)
{
    if (!c->up) return;
    /* Our own dead-peer check: it also covers the time reads wait for a
     * blocked write, when rabbitmq-c is not called and cannot check. */
    uint64_t hb = c->w->cfg->heartbeat_s * NS_PER_SEC, quiet = hb * 3 / 4;
    struct pollfd pfd = {c->fd, POLLIN, 0};
    /* bytes waiting count too (reads wait while a write is blocked); a
     * connection that read lately needs no look (the broker's heartbeat
     * comes every hb/2 when it has nothing else to say) */
    if (hb && clock_ns() - c->last_rx_ns > quiet && poll(&pfd, 1, 0) > 0) c->last_rx_ns = clock_ns();
    if (hb && clock_ns() - c->last_rx_ns > 2 * hb) {
        conn_fail(c, ST_ERR_HEARTBEAT, "connection lost: no data from the broker for two heartbeats");
        return;
    }
    /* Socket data comes through conn_on_read. The service pumps what
     * rabbitmq-c buffered during setup, and (TLS) a connection no read
     * woke for 3/4 of a heartbeat, since rabbitmq-c sends its heartbeat
     * only inside its calls. A pump on every service was a recv and a poll
     * that found nothing, 4,000 of each a second at 10,000 idle
     * connections. A connection rabbitmq-c left sends its own: one after
     * 3/4 of a heartbeat with nothing sent (rabbitmq-c waited a whole one;
     * the broker gives up after two). */
    bool buffered = c->amqp && (amqp_frames_enqueued(c->amqp) || amqp_data_in_buffer(c->amqp));
    if ((buffered || (c->amqp && hb && clock_ns() - c->last_pump_ns > quiet)) && !pump_frames(c)) return;
    if (!c->amqp && hb && clock_ns() - c->last_tx_ns >= quiet) {
        c->last_tx_ns = clock_ns();
        wire_heartbeat(&c->out, c->fd);
        if (conn_flush(c)) return;
    }
    /* A 0-9-1 client cannot withdraw a publish: giving up on a confirm means
     * dropping the connection, so its unconfirmed messages become
     * indeterminate and are republished after the reconnect. */
    uint64_t ct = c->w->cfg->confirm_timeout_ns, now = clock_ns();
    for (int i = 0; ct && i < c->nagents; i++) {
        const struct agent *a = c->agents[i];
        uint64_t oldest = a->ops->oldest_unconfirmed_ns ? a->ops->oldest_unconfirmed_ns(a) : 0;
        if (oldest && now - oldest > ct) {
            conn_fail(c, ST_ERR_CONFIRM_TIMEOUT, "no publisher confirm within the --confirm-timeout");
            return;
        }
    }
    for (int i = 0; i < c->nagents && c->up; i++)
        if (c->agents[i]->ops->flush_acks) c->agents[i]->ops->flush_acks(c->agents[i]);
}

/* rabbitmq-c writes block without a deadline; we only write while the
 * kernel send queue is well below the buffer, so a write never blocks the
 * loop when the broker stops reading (flow control, pause, blackhole). */
bool conn_can_write(struct conn *c)
{
    if (c->write_blocked) return false;
    if (wire_pending(&c->out) > (size_t)c->sndbuf / 4) return false;
    if (c->bytes_since_check < (uint64_t)c->sndbuf / 16) return true;
    int queued = 0;
    if (ioctl(c->fd, SIOCOUTQ, &queued) != 0) return true;
    c->bytes_since_check = 0;
    return queued < c->sndbuf / 4;
}
