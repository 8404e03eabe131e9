#include "worker.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TICK_NS (100 * NS_PER_MS)

static void on_tick(evutil_socket_t fd, short what, void *arg);

/* Each service period is walked in SERVICE_SLICES wake-ups, a slice of
 * the connections each, so 5,000 connections do not hold the loop (and
 * the sends due meanwhile) for one long walk. */
#define SERVICE_SLICES 8

static void on_service(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    int k = w->service_slice, from = (int)((long long)w->nconns * k / SERVICE_SLICES),
        to = (int)((long long)w->nconns * (k + 1) / SERVICE_SLICES);
    w->service_slice = (k + 1) % SERVICE_SLICES;
    for (int i = from; i < to; i++)
        if (!w->conns[i].connecting) conn_service(&w->conns[i]);
}
static void on_interval(evutil_socket_t fd, short what, void *arg);

/* Agents point at their queue's name: a copy each was 512 bytes an agent,
 * 5 MB at 10,000 connections. */
static const char *queue_name(struct worker *w, int q)
{
    if (!w->queue_names[q]) {
        char name[256];
        config_queue_name(w->cfg, q, name, sizeof name);
        w->queue_names[q] = xstrdup(name);
    }
    return w->queue_names[q];
}

/* Connections: producers and consumers never share one (like PerfTest), and
 * producer and consumer connections alternate so round-robin over threads
 * spreads both kinds. */
struct worker *worker_create_all(struct run_ctx *run, int *nworkers)
{
    const struct config *cfg = run->cfg;
    int cpc = cfg->channels_per_conn;
    int pconns = (cfg->producers + cpc - 1) / cpc, cconns = (cfg->consumers + cpc - 1) / cpc;
    int nconns = pconns + cconns, T = cfg->threads;
    struct worker *ws = xcalloc((size_t)T, sizeof *ws);
    /* order[k] = connection k's (is_producer, index among its kind) */
    int *kind = xcalloc((size_t)nconns, sizeof *kind), *idx = xcalloc((size_t)nconns, sizeof *idx);
    for (int k = 0, p = 0, c = 0; k < nconns; k++) {
        bool take_p = p < pconns && (c >= cconns || p <= c);
        kind[k] = take_p;
        idx[k] = take_p ? p++ : c++;
    }
    for (int t = 0; t < T; t++) {
        struct worker *w = &ws[t];
        w->id = t;
        w->connector.efd = -1;
        w->run = run;
        w->cfg = cfg;
        /* timerfd-precise timers: epoll's millisecond rounding would add
         * up to 1 ms of send lag to every scheduled publish. */
        struct event_config *ec = event_config_new();
        event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
        w->base = event_base_new_with_config(ec);
        event_config_free(ec);
        w->nproducers_total = cfg->producers_total; /* global ids (scale-out) */
        w->track = xcalloc((size_t)cfg->queues, sizeof *w->track);
        w->queue_highest = xcalloc((size_t)cfg->queues, sizeof *w->queue_highest);
        w->queue_names = xcalloc((size_t)cfg->queues, sizeof *w->queue_names);
        w->rng = (run->run_id ^ 0x9e3779b97f4a7c15ULL) + (uint64_t)t * 0x2545f4914f6cdd1dULL;
        stats_hists_init(&w->hists);
        for (int k = t; k < nconns; k += T) {
            w->nconns++;
            int first = idx[k] * cpc, total = kind[k] ? cfg->producers : cfg->consumers;
            w->nagents += (first + cpc <= total) ? cpc : total - first;
        }
        w->conns = xcalloc((size_t)w->nconns, sizeof *w->conns);
        w->agents = xcalloc((size_t)w->nagents, sizeof *w->agents);
        int ci = 0, ai = 0;
        for (int k = t; k < nconns; k += T, ci++) {
            struct conn *c = &w->conns[ci];
            c->w = w;
            c->index = k;
            /* a cluster: producers from n1 on, consumers from n2 on, so a
             * message usually crosses nodes as it does in production */
            if (run->ntargets > 1)
                c->node = cfg->connect_node ? cfg->connect_node - 1 : (idx[k] + !kind[k]) % run->ntargets;
            int first = idx[k] * cpc, total = kind[k] ? cfg->producers : cfg->consumers;
            int n = (first + cpc <= total) ? cpc : total - first;
            c->agents = xcalloc((size_t)n, sizeof *c->agents);
            c->rx = xcalloc((size_t)n, sizeof *c->rx);
            c->nagents = n;
            c->ev_reconnect = event_new(w->base, -1, 0, conn_on_reconnect, c);
            for (int j = 0; j < n; j++) {
                struct agent *a = &w->agents[ai++];
                a->producer = kind[k];
                /* the global id: this instance's share starts at its base */
                a->id = (kind[k] ? cfg->producer_base : cfg->consumer_base) + first + j;
                a->channel = j + 1;
                a->conn = c;
                a->queue_idx = a->id % cfg->queues;
                if (!a->producer && cfg->topo)
                    a->queue_idx = topo_consumer_queue(cfg->topo, cfg->consumers_total, a->id);
                config_consumer_settings(cfg, a->queue_idx, &a->set);
                a->queue = queue_name(w, a->queue_idx);
                a->routing_key = cfg->routing_key ? cfg->routing_key : a->queue;
                c->agents[j] = a;
                if (a->producer) {
                    producer_init(a, w);
                    a->limit = UINT64_MAX;
                    if (cfg->messages) {
                        uint64_t P = (uint64_t)cfg->producers_total;
                        a->limit = cfg->messages / P + ((uint64_t)a->id < cfg->messages % P);
                    }
                } else {
                    consumer_init(a, w);
                }
            }
        }
        for (int k = 0; cfg->topo && k < cfg->topo->nroutes; k++) {
            const struct topo_route *r = &cfg->topo->routes[k];
            const char *keys[ROUTE_MAX_ARGS], *values[ROUTE_MAX_ARGS];
            for (int i = 0; i < r->nheaders; i++) keys[i] = r->headers[i].key, values[i] = r->headers[i].value;
            if (!w->route_headers) w->route_headers = xcalloc((size_t)cfg->topo->nroutes, sizeof *w->route_headers);
            wire_table_strings(&w->route_headers[k], keys, values, r->nheaders);
            w->nroute_headers = k + 1;
        }
        w->ev_tick = event_new(w->base, -1, EV_PERSIST, on_tick, w);
        w->ev_service = event_new(w->base, -1, EV_PERSIST, on_service, w);
        w->ev_interval = event_new(w->base, -1, 0, on_interval, w);
        rxb_init(w);
        rxf_init(w); /* without it (no memory) connections keep rabbitmq-c's reader */
    }
    free(kind);
    free(idx);
    *nworkers = T;
    return ws;
}

static uint64_t inflight(struct worker *w)
{
    uint64_t n = 0;
    for (int i = 0; i < w->nagents; i++)
        if (w->agents[i].producer) n += producer_inflight(&w->agents[i]);
    return n;
}

/* Every tick (100 ms): with 10,000 idle connections two walks over them
 * here were a fifth of the loop's CPU. bench reads the messages in flight
 * only while draining. */
static void snapshot(struct worker *w, int phase)
{
    atomic_store_explicit(&w->snap_published, w->counters[ST_PUBLISHED], memory_order_relaxed);
    atomic_store_explicit(&w->snap_confirmed, w->counters[ST_CONFIRMED], memory_order_relaxed);
    /* A parked message is done with, like a consumed one: the drain counts both. */
    atomic_store_explicit(&w->snap_consumed, w->counters[ST_CONSUMED] + w->counters[ST_DEAD_LETTERED],
                          memory_order_relaxed);
    if (phase != PHASE_RUN) atomic_store_explicit(&w->snap_inflight, inflight(w), memory_order_relaxed);
    atomic_store_explicit(&w->snap_unique, w->unique_total, memory_order_relaxed);
    atomic_store_explicit(&w->snap_producers_done, w->nproducers, memory_order_relaxed);
    atomic_store_explicit(&w->snap_up, w->nup, memory_order_release);
    atomic_store_explicit(&w->snap_phase, phase, memory_order_release);
}

static void post(struct worker *w, bool final)
{
    struct interval *iv = collector_interval(w->run->rep);
    struct stats_hists cleared = iv->hists;
    iv->worker = w->id;
    iv->index = w->interval_index++;
    iv->final = final;
    iv->length_s = 1.0;
    if (final) {
        uint64_t now = clock_ns(), from = w->run->start_ns + iv->index * NS_PER_SEC;
        iv->length_s = now > from ? (double)(now - from) / 1e9 : 0.0;
    }
    memcpy(iv->counters, w->counters, sizeof iv->counters);
    iv->hists = w->hists; /* hand over; go on with cleared ones */
    w->hists = cleared;
    collector_post(w->run->rep, iv);
}

/* Fires at each whole second since the start, so intervals hold exactly
 * one second of events. */
static void arm_interval(struct worker *w)
{
    uint64_t at = w->run->start_ns + (w->interval_index + 1) * NS_PER_SEC, now = clock_ns();
    uint64_t d = at > now ? at - now : 0;
    struct timeval tv = tv_from_ns(d);
    event_add(w->ev_interval, &tv);
}

static void on_interval(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    uint64_t now = clock_ns();
    while (now >= w->run->start_ns + (w->interval_index + 1) * NS_PER_SEC) post(w, false);
    arm_interval(w);
}

/* A `crash` fault: the consumer connections reading the queue drop without
 * an AMQP close, as a killed process's do (the broker requeues their
 * unacked deliveries), and reconnect once the crash is over. */
static void crash_consumers(struct worker *w)
{
    struct run_ctx *run = w->run;
    uint64_t gen = atomic_load(&run->crash_gen);
    if (gen == w->crash_seen) return;
    w->crash_seen = gen;
    int queue = atomic_load(&run->crash_queue), n = 0;
    uint64_t until = atomic_load(&run->crash_until_ns);
    for (int i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        bool hit = false;
        for (int j = 0; j < c->nagents; j++)
            hit |= !c->agents[j]->producer && (queue < 0 || c->agents[j]->queue_idx == queue);
        if (!hit) continue;
        n++;
        c->down_until_ns = until;
        if (c->up) conn_fail(c, ST_ERR_CONNECTION, "consumer crashed (scenario fault)");
    }
    atomic_fetch_add(&run->crash_conns, n);
    atomic_fetch_add(&run->crash_acked, 1);
}

/* The broker lists fewer consumers of a queue than this worker believes
 * subscribed (resources.c moved the queue's forgot_gen): those that had no
 * delivery for FORGOT_IDLE_NS subscribe again, on a new connection, as
 * after a basic.cancel; each is counted. A count says how many, not which:
 * a consumer still getting deliveries is not the forgotten one (in a
 * partition the sampler's node lists only its side's consumers), and the
 * next move of the generation finds one that fell idle since. */
#define FORGOT_IDLE_NS NS_PER_SEC
static void resubscribe_forgotten(struct worker *w, uint64_t now)
{
    struct run_ctx *run = w->run;
    if (!run->forgot_gen) return;
    /* generations only grow: an unchanged sum means none moved */
    uint64_t sum = 0;
    for (int q = 0; q < w->cfg->queues; q++) sum += atomic_load_explicit(&run->forgot_gen[q], memory_order_relaxed);
    if (sum == w->forgot_sum) return;
    w->forgot_sum = sum;
    for (int i = 0; i < w->nagents; i++) {
        struct agent *a = &w->agents[i];
        if (a->producer || !a->subscribed) continue;
        uint64_t gen = atomic_load_explicit(&run->forgot_gen[a->queue_idx], memory_order_relaxed);
        if (gen == a->forgot_seen || !a->conn->up) continue;
        a->forgot_seen = gen;
        if (now - a->last_delivery_ns < FORGOT_IDLE_NS) continue;
        conn_fail(a->conn, ST_CONSUMERS_FORGOTTEN, "the broker no longer lists this consumer: subscribing again");
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    uint64_t now = clock_ns();
    crash_consumers(w);
    resubscribe_forgotten(w, now);
    int phase = atomic_load_explicit(&w->run->phase, memory_order_relaxed);
    if (phase != PHASE_RUN) {
        for (int i = 0; i < w->nagents; i++) {
            struct agent *a = &w->agents[i];
            if (a->producer && !a->done) {
                a->done = true;
                w->nproducers++;
                if (a->retry_count) event_active(a->ev_send, EV_TIMEOUT, 0);
                else event_del(a->ev_send);
            }
        }
    }
    snapshot(w, phase);
    if (phase == PHASE_STOP) {
        event_del(w->ev_interval);
        while (now >= w->run->start_ns + (w->interval_index + 1) * NS_PER_SEC) post(w, false);
        for (int i = 0; i < w->nconns; i++)
            if (!w->conns[i].connecting) conn_down(&w->conns[i], true);
        snapshot(w, phase);
        post(w, true);
        event_base_loopbreak(w->base);
    }
}

/* run->go: publishing starts now. */
static void worker_go(struct worker *w)
{
    w->started = true;
    for (int i = 0; i < w->nagents; i++) {
        struct agent *a = &w->agents[i];
        if (a->producer) {
            /* Spread producers evenly over one send interval, so a thousand
             * producers at 1 msg/s are not a thousand-message burst. */
            uint64_t rate = schedule_at(&w->cfg->rate, 0), phase = 0;
            if (rate) {
                uint64_t every = NS_PER_SEC * (uint64_t)w->cfg->producers_total / rate;
                phase = every * (uint64_t)a->id / (uint64_t)w->cfg->producers_total;
            }
            a->next_intended_ns = w->run->start_ns + phase;
            if (a->conn->up) event_active(a->ev_send, EV_TIMEOUT, 0);
        }
    }
    struct timeval tv = {0, TICK_NS / 1000};
    event_add(w->ev_tick, &tv);
    arm_interval(w);
}

/* Setups the connector finished: into the loop, or into the backoff. */
static void on_connected(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct worker *w = arg;
    int phase = atomic_load(&w->run->phase);
    struct conn *got[64];
    int n;
    while ((n = connector_take(&w->connector, got, 64)) > 0) {
        for (int i = 0; i < n; i++) {
            struct conn *c = got[i];
            bool first = c->initial;
            c->initial = false;
            if (c->setup_rc == 0 && phase == PHASE_STOP) {
                amqp_destroy_connection(c->amqp);
                c->amqp = NULL;
            } else if (c->setup_rc == 0) {
                conn_attach(c);
                if (!first) w->counters[ST_RECONNECTS]++;
            } else if (first) { /* the run cannot start: say why */
                if (atomic_load(&w->ready) == 0) {
                    str_copy(w->setup_error, sizeof w->setup_error, c->setup_error);
                    atomic_store(&w->ready, -1);
                }
                connector_drop_pending(&w->connector);
            } else {
                conn_fail(c, ST_ERR_CONNECT, c->setup_error);
            }
            if (first && --w->initial_left == 0 && atomic_load(&w->ready) == 0) atomic_store(&w->ready, 1);
        }
    }
    if (w->started) return;
    if (phase == PHASE_STOP) { /* before the start: a setup failed, or Ctrl-C */
        for (int i = 0; i < w->nconns; i++)
            if (!w->conns[i].connecting) conn_down(&w->conns[i], true);
        event_base_loopbreak(w->base);
    } else if (atomic_load(&w->run->go)) {
        worker_go(w);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->initial_left = w->nconns;
    if (!w->nconns) atomic_store(&w->ready, 1);
    for (int i = 0; i < w->nconns; i++) {
        w->conns[i].initial = true;
        connector_submit(&w->connector, &w->conns[i]);
    }
    event_base_dispatch(w->base);
    connector_stop(&w->connector);
    return NULL;
}

int worker_start(struct worker *w)
{
    /* this worker's share of --connect-rate */
    double rate = w->cfg->connect_rate > 0 ? w->cfg->connect_rate / w->run->nworkers : 0;
    if (connector_init(&w->connector, w->nconns, rate, conn_setup, w->setup_error, sizeof w->setup_error)) {
        atomic_store(&w->ready, -1);
        return -1;
    }
    w->ev_connected = event_new(w->base, w->connector.efd, EV_READ | EV_PERSIST, on_connected, w);
    event_add(w->ev_connected, NULL);
    struct timeval tv = tv_from_ns(conn_service_ns(w->cfg) / SERVICE_SLICES);
    event_add(w->ev_service, &tv);
    return pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_wake(struct worker *w)
{
    connector_signal(&w->connector); /* on_connected also looks at go and the phase */
}

void worker_join(struct worker *w)
{
    if (w->thread) pthread_join(w->thread, NULL);
    w->thread = 0;
}

void worker_destroy_all(struct worker *ws, int n)
{
    for (int t = 0; t < n; t++) {
        struct worker *w = &ws[t];
        connector_free(&w->connector); /* its thread is gone before the connections go */
        for (int i = 0; i < w->nconns; i++) {
            struct conn *c = &w->conns[i];
            if (c->up || c->amqp) conn_down(c, false);
            event_free(c->ev_reconnect);
            free(c->agents);
            free(c->rx);
            free(c->setup_error);
            wire_free(&c->out);
        }
        for (int k = 0; k < w->nroute_headers; k++) wire_table_free(&w->route_headers[k]);
        free(w->route_headers);
        for (int i = 0; i < w->nagents; i++) {
            if (w->agents[i].producer) producer_free(&w->agents[i]);
            else consumer_free(&w->agents[i]);
        }
        for (int q = 0; q < w->cfg->queues; q++) {
            if (!w->track[q]) continue;
            for (int p = 0; p < w->nproducers_total; p++) ledger_free(&w->track[q][p]);
            free(w->track[q]);
        }
        for (int q = 0; q < w->cfg->queues; q++) free(w->queue_highest[q]), free(w->queue_names[q]);
        free(w->queue_names);
        free(w->track);
        free(w->queue_highest);
        free(w->conns);
        free(w->agents);
        event_free(w->ev_tick);
        event_free(w->ev_service);
        rxb_free(w);
        rxf_free(w);
        event_free(w->ev_interval);
        if (w->ev_connected) event_free(w->ev_connected);
        stats_hists_free(&w->hists);
        event_base_free(w->base);
    }
    free(ws);
}
