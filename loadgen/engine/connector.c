/* connector: each worker's setup thread. rabbitmq-c's connection setup
 * (TCP connect, login, channel.open, declarations, basic.consume) is a
 * series of blocking RPCs; done in the event loop, thousands of them starve
 * the connections already open (their heartbeats expire: 5,000 + 5,000
 * connections once gave 8,891 heartbeat timeouts). Here a thread does the
 * blocking part and hands each ready connection back to its loop through an
 * eventfd; the loop owns it from then on. Setups are paced by
 * --connect-rate (this worker's share), so a reconnect storm after a broker
 * restart reaches the broker at that rate too.
 *
 * Ownership: a connection submitted here is the connector's until the loop
 * takes it back in connector_take(); the loop does not touch it (nor its
 * agents' connection state) meanwhile. */
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

void connector_signal(struct connector *k)
{
    uint64_t one = 1;
    /* an eventfd counter that cannot overflow here: nothing to handle */
    if (k->efd >= 0 && write(k->efd, &one, sizeof one) < 0) {
    }
}

static void *connector_main(void *arg)
{
    struct connector *k = arg;
    uint64_t next = 0;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->stop && !k->ntodo) pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop) break;
        /* pace: wait for this setup's turn, unless told to stop */
        uint64_t now = clock_ns();
        if (k->every_ns && next > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t at = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec + (next - now);
            ts.tv_sec = (time_t)(at / NS_PER_SEC);
            ts.tv_nsec = (long)(at % NS_PER_SEC);
            pthread_cond_timedwait(&k->cv, &k->mu, &ts);
            continue; /* check stop and the queue again */
        }
        next = (next > now ? next : now) + k->every_ns;
        struct conn *c = k->todo[k->todo_head];
        k->todo_head = (k->todo_head + 1) % k->cap;
        k->ntodo--;
        pthread_mutex_unlock(&k->mu);
        char err[512];
        c->setup_rc = k->setup(c, err, sizeof err);
        free(c->setup_error);
        c->setup_error = c->setup_rc ? xstrdup(err) : NULL;
        pthread_mutex_lock(&k->mu);
        k->done[k->ndone++] = c;
        connector_signal(k);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

int connector_init(struct connector *k, int nconns, double rate_per_s, int (*setup)(struct conn *, char *, size_t),
                   char *err, size_t cap)
{
    memset(k, 0, sizeof *k);
    k->setup = setup;
    k->cap = nconns > 0 ? nconns : 1;
    k->todo = xcalloc((size_t)k->cap, sizeof *k->todo);
    k->done = xcalloc((size_t)k->cap, sizeof *k->done);
    k->every_ns = rate_per_s > 0 ? (uint64_t)(1e9 / rate_per_s) : 0;
    k->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (k->efd < 0) {
        snprintf(err, cap, "eventfd: %s", strerror(errno));
        return -1;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&k->thread, NULL, connector_main, k)) {
        snprintf(err, cap, "cannot start a setup thread");
        return -1;
    }
    k->started = true;
    return 0;
}

void connector_submit(struct connector *k, struct conn *c)
{
    c->connecting = true;
    pthread_mutex_lock(&k->mu);
    k->todo[(k->todo_head + k->ntodo++) % k->cap] = c;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

int connector_take(struct connector *k, struct conn **out, int max)
{
    uint64_t v;
    if (read(k->efd, &v, sizeof v) < 0) { /* nothing signalled: fine */
    }
    pthread_mutex_lock(&k->mu);
    int n = k->ndone < max ? k->ndone : max;
    memcpy(out, k->done, (size_t)n * sizeof *out);
    memmove(k->done, k->done + n, (size_t)(k->ndone - n) * sizeof *k->done);
    k->ndone -= n;
    pthread_mutex_unlock(&k->mu);
    for (int i = 0; i < n; i++) out[i]->connecting = false;
    if (k->ndone) connector_signal(k); /* more than max: come back */
    return n;
}

void connector_drop_pending(struct connector *k)
{
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < k->ntodo; i++) k->todo[(k->todo_head + i) % k->cap]->connecting = false;
    k->ntodo = 0;
    pthread_mutex_unlock(&k->mu);
}

void connector_stop(struct connector *k)
{
    if (!k->started) return;
    pthread_mutex_lock(&k->mu);
    k->stop = true;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    k->started = false;
    /* what was never started goes back to the loop's side, down */
    for (int i = 0; i < k->ntodo; i++) k->todo[(k->todo_head + i) % k->cap]->connecting = false;
    k->ntodo = 0;
    for (int i = 0; i < k->ndone; i++) k->done[i]->connecting = false;
}

void connector_free(struct connector *k)
{
    connector_stop(k);
    if (k->efd >= 0) close(k->efd);
    k->efd = -1;
    free(k->todo);
    free(k->done);
    k->todo = k->done = NULL;
}
