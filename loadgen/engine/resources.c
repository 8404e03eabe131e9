/* The broker's resources each second (resources.h). A thread of its own,
 * with its own AMQP connection: a slow or paused broker delays the samples,
 * never the workers. */
#include "resources.h"
#include "broker.h"
#include "cluster.h"
#include "httpget.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define RES_TIMEOUT_NS (900 * NS_PER_MS) /* a sample waits this long for a broker at most */

struct res_node {
    struct amqpc_target target;
    amqp_connection_state_t conn;
    uint64_t next_connect_ns;
};

struct res_sampler {
    const struct broker *node;
    const struct cluster *cluster;
    char *queues[RES_MAX_QUEUES];
    int nqueues;
    struct http_url mg;
    bool have_mg, warned_mg;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    _Atomic uint64_t start_ns; /* 0: not marked yet */
    struct res_sample *v, latest;
    size_t n, cap;
    bool have_latest;
    /* the previous reading, for CPU shares */
    pid_t prev_pid[RES_MAX_PIDS];
    unsigned long long prev_ticks[RES_MAX_PIDS];
    uint64_t prev_ns, prev_self_us;
    struct res_node nodes[RES_MAX_NODES]; /* nodes[0]: the series' node; the rest: a cluster's others */
    int nnodes;
    _Atomic int *attached;
    _Atomic uint64_t *forgot_gen;
    bool watch[RES_MAX_QUEUES];
    int short_streak[RES_MAX_QUEUES]; /* samples in a row with fewer consumers than subscribed */
};

static int node_pids(const struct res_sampler *s, pid_t *out)
{
    int n = 0;
    if (s->node) out[n++] = s->node->state == BROKER_STOPPED ? 0 : s->node->pid;
    if (s->cluster)
        for (int i = 0; i < s->cluster->n && n < RES_MAX_PIDS; i++) out[n++] = s->cluster->nodes[i].pid;
    return n;
}

/* utime + stime in clock ticks and resident pages of pid; -1 when gone. */
static int proc_read(pid_t pid, unsigned long long *ticks, long *pages)
{
    char path[64], buf[1024];
    if (pid <= 0) return -1;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
    if (!(f = fopen(path, "re"))) return -1;
    int ok = fscanf(f, "%*s %ld", pages) == 1;
    fclose(f);
    *ticks = ut + st;
    return ok ? 0 : -1;
}

static uint64_t self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
           (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
}

/* CPU shares since the previous reading; the first reading only sets it. */
static void sample_proc(struct res_sampler *s, struct res_sample *x, uint64_t now)
{
    pid_t pids[RES_MAX_PIDS] = {0};
    int n = node_pids(s, pids);
    double dt = (double)(now - s->prev_ns) / 1e9, hz = (double)sysconf(_SC_CLK_TCK),
           page = (double)sysconf(_SC_PAGESIZE);
    bool known = n > 0 && s->prev_ns, rss_known = n > 0;
    double cpu = 0, rss = 0;
    for (int i = 0; i < n; i++) {
        unsigned long long t;
        long pages;
        if (proc_read(pids[i], &t, &pages)) {
            known = rss_known = false; /* a node down: its share is unknown, not 0 */
            s->prev_pid[i] = 0;
            continue;
        }
        if (s->prev_pid[i] != pids[i]) known = false; /* restarted: no earlier reading */
        else cpu += (double)(t - s->prev_ticks[i]) / hz;
        s->prev_pid[i] = pids[i];
        s->prev_ticks[i] = t;
        rss += (double)pages * page;
    }
    uint64_t self = self_cpu_us();
    x->cpu_pct = known && dt > 0 ? 100 * cpu / dt : -1;
    x->rss_mb = rss_known ? rss / (1 << 20) : -1;
    x->loadgen_cpu_pct = s->prev_ns && dt > 0 ? (double)(self - s->prev_self_us) / 1e4 / dt : -1;
    s->prev_self_us = self;
    s->prev_ns = now;
}

/* Each queue's ready and consumers by passive declares on one node's
 * connection (opened when missing, at most every 2 s): 0, or -1 with the
 * connection dropped (a missing queue closes the channel: unknown). */
static int read_queues(struct res_sampler *s, struct res_node *nd, int64_t *ready_q, int64_t *consumers_q)
{
    uint64_t now = clock_ns();
    char err[512];
    if (!nd->conn) {
        if (now < nd->next_connect_ns) return -1;
        if (amqpc_open(&nd->conn, &nd->target, 0, RES_TIMEOUT_NS, "loadgen-stats", 0, err, sizeof err)) {
            nd->conn = NULL;
            nd->next_connect_ns = now + 2 * NS_PER_SEC;
            return -1;
        }
        amqp_channel_open(nd->conn, 1);
        if (amqpc_check(nd->conn, "channel.open", err, sizeof err)) goto fail;
    }
    for (int i = 0; i < s->nqueues; i++) {
        amqp_queue_declare_ok_t *ok = amqp_queue_declare(nd->conn, 1, amqp_cstring_bytes(s->queues[i]), 1, 0, 0, 0,
                                                         amqp_empty_table);
        if (!ok || amqpc_check(nd->conn, "queue.declare", err, sizeof err)) goto fail;
        ready_q[i] = ok->message_count;
        consumers_q[i] = ok->consumer_count;
    }
    amqp_maybe_release_buffers(nd->conn);
    return 0;
fail:
    amqp_destroy_connection(nd->conn); /* no close handshake with a broker that misbehaves */
    nd->conn = NULL;
    nd->next_connect_ns = now + 2 * NS_PER_SEC;
    return -1;
}

/* The run's queues on the first node: the depth and consumers the series
 * shows. On a cluster the consumers the watch compares are the most any
 * node lists: in a partition each side lists only the consumers of its own
 * copy of the queue, and a consumer served on the other side is not one
 * the broker forgot. */
static void sample_depth(struct res_sampler *s, struct res_sample *x)
{
    x->ready = x->consumers = -1;
    if (!s->nnodes || !s->nqueues) return;
    if (read_queues(s, &s->nodes[0], x->ready_q, x->consumers_q)) return;
    x->ready = x->consumers = 0;
    for (int i = 0; i < s->nqueues; i++) x->ready += x->ready_q[i], x->consumers += x->consumers_q[i];
    memcpy(x->watch_q, x->consumers_q, sizeof x->watch_q);
    int64_t ready_q[RES_MAX_QUEUES], consumers_q[RES_MAX_QUEUES];
    for (int k = 1; s->attached && k < s->nnodes; k++) { /* only the watch reads the other nodes */
        if (read_queues(s, &s->nodes[k], ready_q, consumers_q)) continue;
        for (int i = 0; i < s->nqueues; i++)
            if (consumers_q[i] > x->watch_q[i]) x->watch_q[i] = consumers_q[i];
    }
}

/* Consumers the broker forgot: it lists fewer on a queue than loadgen has
 * subscribed there, with no basic.cancel and no error on their
 * connections. Two samples in a row (one may fall between a consumer's
 * consume-ok and the count) move the queue's generation, and its consumers
 * subscribe again (worker.c). A sample that could not be read is no
 * reading: the streak waits. Other clients' consumers on the queue can only
 * hide a shortfall, never make one. */
static void watch_consumers(struct res_sampler *s, const struct res_sample *x)
{
    if (!s->attached || x->consumers < 0) return;
    for (int i = 0; i < s->nqueues; i++) {
        if (!s->watch[i]) continue;
        if (x->watch_q[i] >= atomic_load(&s->attached[i])) {
            s->short_streak[i] = 0;
            continue;
        }
        if (++s->short_streak[i] < 2) continue;
        s->short_streak[i] = 0;
        atomic_fetch_add(&s->forgot_gen[i], 1);
    }
}

static int64_t jint(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b) v = json_object_get(v, b);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static void sample_management(struct res_sampler *s, struct res_sample *x)
{
    x->unacked = x->connections = x->channels = x->flow = -1;
    x->mem_mb = -1;
    x->alarms = -1;
    if (!s->have_mg) return;
    char err[512];
    json_t *ov = http_get_json(&s->mg, "/api/overview", RES_TIMEOUT_NS, err, sizeof err), *nodes = NULL;
    if (ov) nodes = http_get_json(&s->mg, "/api/nodes?columns=name,mem_used,mem_alarm,disk_free_alarm",
                                  RES_TIMEOUT_NS, err, sizeof err);
    if (!ov || !json_is_array(nodes)) {
        if (!s->warned_mg)
            log_note("warning: --management: %s (sampling goes on)", ov && nodes ? "/api/nodes: not a list" : err);
        s->warned_mg = true;
        json_decref(ov), json_decref(nodes);
        return;
    }
    x->unacked = jint(ov, "queue_totals", "messages_unacknowledged");
    x->connections = jint(ov, "object_totals", "connections");
    x->channels = jint(ov, "object_totals", "channels");
    size_t i;
    json_t *n;
    double mem = 0;
    int alarms = 0;
    json_array_foreach(nodes, i, n) {
        int64_t m = jint(n, "mem_used", NULL);
        if (m < 0) mem = -1;
        else if (mem >= 0) mem += (double)m / (1 << 20);
        if (json_is_true(json_object_get(n, "mem_alarm"))) alarms |= RES_ALARM_MEMORY;
        if (json_is_true(json_object_get(n, "disk_free_alarm"))) alarms |= RES_ALARM_DISK;
    }
    x->mem_mb = json_array_size(nodes) ? mem : -1;
    x->alarms = alarms;
    json_decref(ov), json_decref(nodes);
    /* credit flow: the broker slowing publishers down before any alarm */
    json_t *conns = http_get_json(&s->mg, "/api/connections?columns=state", RES_TIMEOUT_NS, err, sizeof err);
    if (json_is_array(conns)) {
        x->flow = 0;
        json_array_foreach(conns, i, n) x->flow +=
            !strcmp(json_string_value(json_object_get(n, "state")) ?: "", "flow");
    }
    json_decref(conns);
}

static void *sampler_main(void *arg)
{
    struct res_sampler *s = arg;
    uint64_t k = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        uint64_t start = atomic_load(&s->start_ns), now = clock_ns();
        if (!start) { /* not marked: look again soon */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 50 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            continue;
        }
        uint64_t due = start + k * NS_PER_SEC;
        if (now < due) {
            struct timespec ts = {(time_t)(due / NS_PER_SEC), (long)(due % NS_PER_SEC)};
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&s->mu);
        struct res_sample x;
        memset(&x, 0, sizeof x);
        x.t_s = (double)(now - start) / 1e9;
        sample_proc(s, &x, now);
        sample_depth(s, &x);
        watch_consumers(s, &x);
        sample_management(s, &x);
        pthread_mutex_lock(&s->mu);
        if (k > 0) { /* sample 0 is the baseline of the CPU shares */
            if (s->n == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 64;
                s->v = xrealloc(s->v, s->cap * sizeof *s->v);
            }
            s->v[s->n++] = x;
            s->latest = x;
            s->have_latest = true;
        }
        /* a slow broker skips seconds rather than queueing them */
        k = (clock_ns() - start) / NS_PER_SEC + 1;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct res_sampler *res_start(const struct res_opts *o, char *err, size_t cap)
{
    struct res_sampler *s = xcalloc(1, sizeof *s);
    if (o->management && http_url_parse(o->management, &s->mg, err, cap)) {
        free(s);
        return NULL;
    }
    s->have_mg = o->management != NULL;
    s->node = o->node;
    s->cluster = o->cluster;
    for (int i = 0; i < o->ntargets && i < RES_MAX_NODES; i++) s->nodes[s->nnodes++].target = o->targets[i];
    s->attached = o->attached;
    s->forgot_gen = o->forgot_gen;
    memcpy(s->watch, o->watch, sizeof s->watch);
    for (int i = 0; i < o->nqueues && i < RES_MAX_QUEUES; i++) s->queues[s->nqueues++] = xstrdup(o->queues[i]);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->th, NULL, sampler_main, s)) {
        snprintf(err, cap, "cannot start the sampler thread");
        for (int i = 0; i < s->nqueues; i++) free(s->queues[i]);
        free(s);
        return NULL;
    }
    return s;
}

void res_mark(struct res_sampler *s, uint64_t start_ns)
{
    if (!s) return;
    atomic_store(&s->start_ns, start_ns ? start_ns : 1);
    pthread_mutex_lock(&s->mu);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int res_latest(struct res_sampler *s, struct res_sample *out)
{
    if (!s) return -1;
    pthread_mutex_lock(&s->mu);
    bool have = s->have_latest;
    if (have) *out = s->latest;
    pthread_mutex_unlock(&s->mu);
    return have ? 0 : -1;
}

static json_t *num_or_null(double v, double scale)
{
    return v < 0 ? json_null() : json_real((double)(long long)(v * scale + 0.5) / scale);
}

static json_t *int_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *res_stop(struct res_sampler *s)
{
    if (!s) return NULL;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    for (int k = 0; k < s->nnodes; k++)
        if (s->nodes[k].conn) amqpc_close(s->nodes[k].conn);
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const struct res_sample *x = &s->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "t", json_real(x->t_s));
        json_object_set_new(o, "cpu_pct", num_or_null(x->cpu_pct, 10));
        json_object_set_new(o, "rss_mb", num_or_null(x->rss_mb, 10));
        json_object_set_new(o, "loadgen_cpu_pct", num_or_null(x->loadgen_cpu_pct, 10));
        json_object_set_new(o, "ready", int_or_null(x->ready));
        json_object_set_new(o, "consumers", int_or_null(x->consumers));
        if (x->ready >= 0 && s->nqueues > 1) { /* one queue: ready is its own */
            json_t *q = json_object();
            for (int k = 0; k < s->nqueues; k++) json_object_set_new(q, s->queues[k], json_integer(x->ready_q[k]));
            json_object_set_new(o, "ready_by_queue", q);
        }
        json_object_set_new(o, "unacked", int_or_null(x->unacked));
        json_object_set_new(o, "connections", int_or_null(x->connections));
        json_object_set_new(o, "channels", int_or_null(x->channels));
        json_object_set_new(o, "flow", int_or_null(x->flow));
        json_object_set_new(o, "mem_mb", num_or_null(x->mem_mb, 10));
        if (x->alarms >= 0) {
            json_t *al = json_array();
            if (x->alarms & RES_ALARM_MEMORY) json_array_append_new(al, json_string("memory"));
            if (x->alarms & RES_ALARM_DISK) json_array_append_new(al, json_string("disk"));
            json_object_set_new(o, "alarms", al);
        }
        json_array_append_new(a, o);
    }
    for (int i = 0; i < s->nqueues; i++) free(s->queues[i]);
    free(s->v);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return a;
}
