/* Reads wait for the send tick (cfg->read_batch): a paced run's worker
 * sleeps once per tick instead of three times.
 *
 * Each tick's publishes come back as confirms on the producer's connection
 * and as deliveries on the consumer's, 0.3-0.4 ms later and apart: woken for
 * each, a paced 10k msg/s 1p1c run slept 2,600 times a second, and the
 * wake-ups (the context switch, epoll_wait, the timerfd) were most of its
 * 1.3 CPU-s per 100k messages. While a producer on the worker is due again
 * within one tick, the connections' read events are off and that producer's
 * wake-up reads what arrived: a few sockets one by one, more through one
 * epoll set of this worker's sockets polled without blocking
 * (conn_read_waiting). With our own reads (conn.c, rxframes.c) that was
 * 1.37 against 0.71 CPU-s per 100k (bench/run-bench).
 *
 * A read that waited is not a later arrival: each socket keeps the kernel's
 * receive time (SO_TIMESTAMPNS), and latency is taken from it. The kernel
 * merges queued segments and keeps the newest one's time, so a read that
 * gathered a tick's arrivals overstates its earlier messages by at most
 * their spread, never understates them. If no producer reads for two ticks
 * (they finished, are blocked, or the run is draining) the read events come
 * back on: waiting never outlasts two ticks. */
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void rxb_resume(struct worker *w)
{
    if (!w->rxb.deferred) return;
    w->rxb.deferred = false;
    for (int i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (!c->up || !c->ev_read) continue;
        event_add(c->ev_read, NULL);
        /* what the last read held (acks, conn.c) goes with a read now */
        if (wire_pending(&c->out)) event_active(c->ev_read, EV_READ, 0);
    }
}

static void on_backstop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    rxb_resume(arg);
}

void rxb_init(struct worker *w)
{
    w->rxb.epfd = -1;
    w->rxb.buf = xmalloc(RXB_BUF);
    if (!w->cfg->read_batch) return;
    w->rxb.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->rxb.epfd < 0) return; /* reads go on as they come */
    w->rxb.ev_backstop = event_new(w->base, -1, 0, on_backstop, w);
}

void rxb_free(struct worker *w)
{
    if (w->rxb.ev_backstop) event_free(w->rxb.ev_backstop);
    if (w->rxb.epfd >= 0) close(w->rxb.epfd);
    free(w->rxb.buf);
}

bool rxb_attach(struct conn *c)
{
    struct worker *w = c->w;
    c->rx_ns = 0;
    c->stamped = false;
    if (w->rxb.epfd < 0 || c->tls) return true;
    /* Our own descriptor of the socket: rabbitmq-c closes its own on a
     * heartbeat timeout, and the connector thread may get that number for
     * a new socket before we take the old one out of the set. */
    int on = 1, fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (fd < 0) return true;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
        epoll_ctl(w->rxb.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return true;
    }
    c->rx_fd = fd;
    c->stamped = true;
    return !w->rxb.deferred;
}

void rxb_detach(struct conn *c)
{
    if (!c->stamped) return;
    epoll_ctl(c->w->rxb.epfd, EPOLL_CTL_DEL, c->rx_fd, NULL);
    close(c->rx_fd);
    c->stamped = false;
}

void rxb_defer(struct worker *w, uint64_t next_ns)
{
    const struct config *cfg = w->cfg;
    if (!w->rxb.ev_backstop || next_ns > cfg->send_tick_ns) return;
    if (atomic_load_explicit(&w->run->phase, memory_order_relaxed) != PHASE_RUN) return;
    if (!w->rxb.deferred) {
        for (int i = 0; i < w->nconns; i++) {
            struct conn *c = &w->conns[i];
            if (!c->stamped) return; /* one not in the set (TLS): no waiting */
        }
        w->rxb.deferred = true;
        for (int i = 0; i < w->nconns; i++)
            if (w->conns[i].up && w->conns[i].ev_read) event_del(w->conns[i].ev_read);
    }
    struct timeval tv = tv_from_ns(2 * cfg->send_tick_ns);
    event_add(w->rxb.ev_backstop, &tv);
}

/* The receive time comes with the bytes, in the same recvmsg: a peek for
 * it before rabbitmq-c's own recv was a second syscall per read. */
ssize_t rxb_recv(struct conn *c, unsigned char *buf)
{
    char ctl[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {buf, RXB_BUF};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (c->stamped) mh.msg_control = ctl, mh.msg_controllen = sizeof ctl;
    ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
    if (n <= 0) return n;
    uint64_t now = clock_ns();
    c->last_rx_ns = c->rx_ns = now;
    for (struct cmsghdr *cm = c->stamped ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_TIMESTAMPNS) continue;
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        uint64_t real = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
        /* the stamp is CLOCK_REALTIME; a stamp ahead of the clock or a
         * minute old is a step of the clock, not an arrival: now */
        uint64_t now_real = clock_realtime_ns();
        uint64_t age = now_real > real ? now_real - real : 0;
        if (age <= 60 * NS_PER_SEC) c->rx_ns = now - age;
        break;
    }
    return n;
}

uint64_t conn_rx_ns(const struct conn *c)
{
    return c->stamped && c->rx_ns ? c->rx_ns : clock_ns();
}
