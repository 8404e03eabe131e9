/* Delay on a cluster node's links (cluster.h). The kernel here has no
 * netem, so packets go to an NFQUEUE (iptables, inside the node's
 * namespace) and a thread of ours holds each one for the latency (plus a
 * uniform jitter) before it accepts it (Debian's libnetfilter-queue). The
 * thread enters the node's namespace alone (setns acts on the calling
 * thread): the queue is the namespace's.
 *
 * Packets leave in the order they came (FIFO: a packet's release time is
 * at least its predecessor's), so jitter stretches gaps but never reorders
 * a TCP stream, unlike netem's default. The rule carries --queue-bypass
 * and the queue fails open: if the thread is gone or the queue is full,
 * packets pass undelayed rather than vanish. */
#include "cluster_int.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING 65536 /* packets held at once; beyond, they pass undelayed */

struct cluster_delay {
    pthread_t thread;
    char ns[24];
    uint16_t qnum;
    uint64_t latency_ns, jitter_ns;
    atomic_bool stop;
    /* the thread's own */
    struct nfq_q_handle *qh;
    uint32_t ids[RING];
    uint64_t due[RING], got[RING];
    unsigned head, tail;
    uint64_t last_due, rng;
    /* for the caller, after the thread ended */
    uint64_t held, overflow, hold_ns_sum;
    /* start handshake */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready; /* 0 waiting, 1 up, -1 failed */
    char err[160];
};

static uint64_t jitter(struct cluster_delay *d)
{
    d->rng ^= d->rng << 13, d->rng ^= d->rng >> 7, d->rng ^= d->rng << 17; /* xorshift64 */
    return d->jitter_ns ? d->rng % (2 * d->jitter_ns + 1) : 0;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *m, struct nfq_data *nfad, void *arg)
{
    (void)m;
    struct cluster_delay *d = arg;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfad);
    if (!ph) return 0;
    uint32_t id = ntohl(ph->packet_id);
    if (d->tail - d->head == RING) { /* full: this one passes now */
        d->overflow++;
        nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
        return 0;
    }
    uint64_t now = clock_ns();
    uint64_t due = now + d->latency_ns + jitter(d) - d->jitter_ns; /* latency +- jitter */
    if (due < now) due = now;
    if (due < d->last_due) due = d->last_due; /* never ahead of an earlier packet */
    d->last_due = due;
    unsigned k = d->tail++ % RING;
    d->ids[k] = id, d->due[k] = due, d->got[k] = now;
    return 0;
}

/* Accepts every held packet due by now (all with stop): one batch verdict
 * up to the last due id, as they are in order. */
static void release(struct cluster_delay *d, bool all)
{
    uint64_t now = clock_ns();
    unsigned n = 0;
    uint32_t last = 0;
    while (d->head != d->tail && (all || d->due[d->head % RING] <= now)) {
        unsigned k = d->head++ % RING;
        last = d->ids[k];
        d->hold_ns_sum += now - d->got[k];
        d->held++;
        n++;
    }
    if (n) nfq_set_verdict_batch(d->qh, last, NF_ACCEPT);
}

static void started(struct cluster_delay *d, int rc, const char *why)
{
    pthread_mutex_lock(&d->mu);
    d->ready = rc;
    if (why) str_copy(d->err, sizeof d->err, why);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void *delay_main(void *arg)
{
    struct cluster_delay *d = arg;
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s", d->ns);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
        if (nsfd >= 0) close(nsfd);
        started(d, -1, "cannot enter the node's network namespace");
        return NULL;
    }
    close(nsfd);
    struct nfq_handle *h = nfq_open();
    if (!h) {
        started(d, -1, "nfq_open failed (nfnetlink_queue)");
        return NULL;
    }
    d->qh = nfq_create_queue(h, d->qnum, on_packet, d);
    if (!d->qh || nfq_set_mode(d->qh, NFQNL_COPY_META, 0) < 0) {
        nfq_close(h);
        started(d, -1, "cannot create the NFQUEUE");
        return NULL;
    }
    nfq_set_queue_maxlen(d->qh, RING);
    nfq_set_queue_flags(d->qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
    int fd = nfq_fd(h), big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    started(d, 1, NULL);
    char buf[4096] __attribute__((aligned));
    while (!atomic_load(&d->stop)) {
        int timeout = 5;
        if (d->head != d->tail) {
            uint64_t now = clock_ns(), next = d->due[d->head % RING];
            timeout = next > now ? (int)((next - now) / NS_PER_MS) : 0;
            if (timeout > 5) timeout = 5;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout) > 0)
            for (;;) {
                ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r <= 0) break; /* EAGAIN; ENOBUFS: the kernel dropped some (fail-open passes them) */
                nfq_handle_packet(h, buf, (int)r);
            }
        release(d, false);
    }
    release(d, true);
    nfq_destroy_queue(d->qh);
    nfq_close(h);
    return NULL;
}

int cluster_delay_start(struct cluster_delay **out, const char *ns, uint16_t qnum, uint64_t latency_ns,
                        uint64_t jitter_ns, char *err, size_t cap)
{
    struct cluster_delay *d = xcalloc(1, sizeof *d);
    str_copy(d->ns, sizeof d->ns, ns);
    d->qnum = qnum, d->latency_ns = latency_ns, d->jitter_ns = jitter_ns;
    if (getrandom(&d->rng, sizeof d->rng, 0) != (ssize_t)sizeof d->rng || !d->rng) d->rng = clock_ns() | 1;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, delay_main, d)) {
        free(d);
        return snprintf(err, cap, "cannot start the delay thread"), -1;
    }
    pthread_mutex_lock(&d->mu);
    while (!d->ready) pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    if (d->ready < 0) {
        pthread_join(d->thread, NULL);
        snprintf(err, cap, "%s: %s", ns, d->err);
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void cluster_delay_stop(struct cluster_delay *d, uint64_t *held, uint64_t *hold_ns_sum)
{
    if (!d) return;
    atomic_store(&d->stop, true);
    pthread_join(d->thread, NULL);
    if (held) *held += d->held;
    if (hold_ns_sum) *hold_ns_sum += d->hold_ns_sum;
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}
