/* The live metrics endpoint (metrics.h). State is written by the collector
 * (main thread), the sampler and the timeline, under one mutex; the HTTP
 * thread formats it per scrape. */
#include "metrics.h"
#include "hist.h"
#include "resources.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netdb.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics {
    pthread_mutex_t mu;
    pthread_t thread;
    struct event_base *base;
    struct evconnlistener *lis;
    int conns;              /* open scrape connections, at most METRICS_MAX_CONNS */
    struct scrape *open;
    uint64_t refused_logged_ns;
    uint64_t totals[ST_COUNT];
    double rate[ST_COUNT]; /* the last second's, per second */
    struct hist *e2e, *confirm;
    struct res_sample broker;
    bool have_broker;
    char fault_action[64], fault_target[128];
    char verdict[16];
    double offered, capacity;
    uint64_t scrapes;
};

static struct metrics *M;

/* Bucket bounds in seconds: HDR counts summed at or below each. */
static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static void put_hist(struct evbuffer *b, const char *name, const char *help, const struct hist *h)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    int64_t cum = 0;
    size_t k = 0;
    double sum = 0;
    for (int i = 0; i < h->counts_len; i++) {
        int64_t c = h->counts[i];
        if (!c) continue;
        double v = (double)hist_value_at_index(h, i) / 1e9;
        while (k < NBOUNDS && v > bounds[k])
            evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %lld\n", name, bounds[k++], (long long)cum);
        cum += c;
        sum += (double)hist_median_equivalent(h, hist_value_at_index(h, i)) / 1e9 * (double)c;
    }
    while (k < NBOUNDS) evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %lld\n", name, bounds[k++], (long long)cum);
    evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.9f\n%s_count %lld\n", name, (long long)cum, name, sum,
                        name, (long long)cum);
}

static void put_gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.10g\n", name, help, name, name, v);
}

/* a label value: backslash, quote and newline escaped */
static void put_label(struct evbuffer *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') evbuffer_add_printf(b, "\\%c", *s);
        else if (*s == '\n') evbuffer_add(b, "\\n", 2);
        else evbuffer_add(b, s, 1);
    }
}

static void format(struct evbuffer *b)
{
    struct metrics *m = M;
    pthread_mutex_lock(&m->mu);
    m->scrapes++;
    for (int k = 0; k < ST_COUNT; k++) {
        const char *n = stats_counter_names[k];
        evbuffer_add_printf(b, "# HELP loadgen_%s_total loadgen's %s count (run.json totals.%s)\n"
                               "# TYPE loadgen_%s_total counter\nloadgen_%s_total %llu\n",
                            n, n, n, n, n, (unsigned long long)m->totals[k]);
    }
    evbuffer_add_printf(b, "# HELP loadgen_rate the last second's rate (msg/s)\n# TYPE loadgen_rate gauge\n");
    static const int rated[] = {ST_PUBLISHED, ST_CONFIRMED, ST_CONSUMED};
    for (size_t i = 0; i < 3; i++)
        evbuffer_add_printf(b, "loadgen_rate{kind=\"%s\"} %.10g\n", stats_counter_names[rated[i]], m->rate[rated[i]]);
    put_hist(b, "loadgen_e2e_latency_seconds", "publish (intended time) to consume, corrected", m->e2e);
    put_hist(b, "loadgen_confirm_latency_seconds", "publish (intended time) to confirm, corrected", m->confirm);
    if (m->have_broker) {
        const struct res_sample *x = &m->broker;
        if (x->cpu_pct >= 0) put_gauge(b, "loadgen_broker_cpu_percent", "the broker processes' CPU", x->cpu_pct);
        if (x->rss_mb >= 0)
            put_gauge(b, "loadgen_broker_rss_bytes", "the broker processes' RSS", x->rss_mb * (1 << 20));
        if (x->ready >= 0) put_gauge(b, "loadgen_queue_ready_messages", "the run's queues: ready", (double)x->ready);
        if (x->unacked >= 0) put_gauge(b, "loadgen_broker_unacked_messages", "management: unacked", (double)x->unacked);
        if (x->connections >= 0)
            put_gauge(b, "loadgen_broker_connections", "management: connections", (double)x->connections);
        if (x->alarms >= 0)
            put_gauge(b, "loadgen_broker_alarms", "management: alarms in effect (bits: 1 memory, 2 disk)",
                      (double)x->alarms);
    }
    evbuffer_add_printf(b, "# HELP loadgen_fault_active a scenario fault in effect (labels: which)\n"
                           "# TYPE loadgen_fault_active gauge\n");
    if (m->fault_action[0]) {
        evbuffer_add_printf(b, "loadgen_fault_active{action=\"");
        put_label(b, m->fault_action);
        evbuffer_add_printf(b, "\",target=\"");
        put_label(b, m->fault_target);
        evbuffer_add_printf(b, "\"} 1\n");
    } else {
        evbuffer_add_printf(b, "loadgen_fault_active{action=\"none\",target=\"\"} 0\n");
    }
    if (m->offered > 0) put_gauge(b, "loadgen_offered_rate", "capacity: the step's offered rate (msg/s)", m->offered);
    if (m->capacity >= 0 && m->verdict[0])
        put_gauge(b, "loadgen_capacity_rate", "capacity: the answer (msg/s; 0 none)", m->capacity);
    evbuffer_add_printf(b, "# HELP loadgen_verdict the verdict once decided\n# TYPE loadgen_verdict gauge\n");
    if (m->verdict[0]) evbuffer_add_printf(b, "loadgen_verdict{status=\"%s\"} 1\n", m->verdict);
    put_gauge(b, "loadgen_run_done", "1 once the verdict is decided", m->verdict[0] ? 1 : 0);
    pthread_mutex_unlock(&m->mu);
}

/* The endpoint answers one GET /metrics per connection, then closes. Its
 * own server, not evhttp: evhttp's timeout restarts with each byte, so a
 * client dripping one every few seconds was kept for ever, and it has no
 * cap on connections. Here a request has METRICS_REQ_SEC from accept to its
 * last header line, and at most METRICS_MAX_CONNS are open at once. */
#define METRICS_MAX_CONNS 64
#define METRICS_MAX_HEAD 8192
#define METRICS_REQ_SEC 5

struct scrape {
    struct bufferevent *bev;
    struct event *deadline;
    bool answered;
    struct scrape *prev, *next; /* M->open: freed at metrics_stop */
};

static void scrape_close(struct scrape *s)
{
    M->conns--;
    if (s->prev) s->prev->next = s->next;
    else M->open = s->next;
    if (s->next) s->next->prev = s->prev;
    event_free(s->deadline);
    bufferevent_free(s->bev);
    free(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    scrape_close(arg);
}

static void on_sent(struct bufferevent *bev, void *arg)
{
    struct scrape *s = arg;
    if (s->answered && !evbuffer_get_length(bufferevent_get_output(bev))) scrape_close(s);
}

static void answer(struct scrape *s, int status, const char *reason, struct evbuffer *body)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
                        "Connection: close\r\n\r\n", status, reason, evbuffer_get_length(body));
    evbuffer_add_buffer(out, body);
    s->answered = true;
    bufferevent_disable(s->bev, EV_READ);
}

static void on_request(struct bufferevent *bev, void *arg)
{
    struct scrape *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (s->answered) return;
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    struct evbuffer *body = evbuffer_new();
    if (end.pos < 0 && evbuffer_get_length(in) < METRICS_MAX_HEAD) {
        evbuffer_free(body);
        return; /* more to come, within the deadline */
    }
    char line[64] = "";
    evbuffer_copyout(in, line, sizeof line - 1);
    line[strcspn(line, "\r\n")] = 0;
    if (end.pos < 0) {
        evbuffer_add_printf(body, "request head over %d bytes\n", METRICS_MAX_HEAD);
        answer(s, 431, "Request Header Fields Too Large", body);
    } else if (strncmp(line, "GET /metrics ", 13) && strncmp(line, "GET /metrics?", 13)) {
        evbuffer_add_printf(body, "only GET /metrics\n");
        answer(s, 404, "Not Found", body);
    } else {
        format(body);
        answer(s, 200, "OK", body);
    }
    evbuffer_free(body);
    on_sent(bev, s);
}

static void on_conn_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) scrape_close(arg);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)lis, (void)sa, (void)len, (void)arg;
    if (M->conns >= METRICS_MAX_CONNS) { /* a scraper needs one; hundreds are an attack */
        evutil_closesocket(fd);
        uint64_t now = clock_ns();
        if (now - M->refused_logged_ns >= NS_PER_SEC)
            log_note("metrics: %d connections open, refusing more", METRICS_MAX_CONNS), M->refused_logged_ns = now;
        return;
    }
    struct scrape *s = xcalloc(1, sizeof *s);
    s->bev = bufferevent_socket_new(M->base, fd, BEV_OPT_CLOSE_ON_FREE);
    s->deadline = evtimer_new(M->base, on_deadline, s);
    struct timeval tv = {METRICS_REQ_SEC, 0};
    evtimer_add(s->deadline, &tv);
    bufferevent_setcb(s->bev, on_request, on_sent, on_conn_event, s);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
    s->next = M->open;
    if (M->open) M->open->prev = s;
    M->open = s;
    M->conns++;
}

static void *loop_main(void *arg)
{
    (void)arg;
    event_base_loop(M->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

int metrics_start(const char *addr, bool remote, char *err, size_t cap)
{
    if (M) return 0;
    char host[128] = "127.0.0.1";
    const char *colon = strrchr(addr, ':'), *port_s = colon ? colon + 1 : addr;
    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535 || (colon && (size_t)(colon - addr) >= sizeof host))
        return snprintf(err, cap, "'%s' is not HOST:PORT, [IPV6]:PORT or PORT", addr), -1;
    if (colon && colon > addr) snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') /* "[::1]": getaddrinfo takes it bare */
        memmove(host, host + 1, hl - 2), host[hl - 2] = 0;
    bool loop = host_is_loopback(host);
    if (!loop && !remote)
        return snprintf(err, cap, "'%s' is not a loopback address: the metrics would be served to the network "
                        "(--allow-remote to mean it)", addr), -1;
    evthread_use_pthreads();
    struct metrics *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    m->e2e = hist_new_default();
    m->confirm = hist_new_default();
    m->capacity = -1;
    m->base = event_base_new();
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%ld", port);
    int gai = getaddrinfo(host, ps, &hints, &ai);
    if (gai) {
        snprintf(err, cap, "cannot serve metrics on %s: '%s' is not an address (%s)", addr, host, gai_strerror(gai));
        goto fail;
    }
    M = m; /* the listener's callbacks find it there */
    errno = 0;
    m->lis = m->base ? evconnlistener_new_bind(m->base, on_accept, NULL,
                                               LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 64,
                                               ai->ai_addr, (int)ai->ai_addrlen)
                     : NULL;
    freeaddrinfo(ai);
    if (!m->lis) {
        M = NULL;
        snprintf(err, cap, "cannot serve metrics on %s: %s", addr, errno ? strerror(errno) : "bind failed");
        goto fail;
    }
    char bound[160];
    /* port 0: the kernel's pick, which a scraper needs to know */
    if (sock_bound_addr(evconnlistener_get_fd(m->lis), bound, sizeof bound))
        snprintf(bound, sizeof bound, "%s:%ld", host, port);
    if (pthread_create(&m->thread, NULL, loop_main, NULL)) {
        M = NULL;
        snprintf(err, cap, "cannot start the metrics thread");
        goto fail;
    }
    log_note("metrics at http://%s/metrics", bound);
    if (!loop) log_note("warning: the metrics endpoint is reachable from the network (--allow-remote)");
    return 0;
fail:
    if (m->lis) evconnlistener_free(m->lis);
    if (m->base) event_base_free(m->base);
    hist_free(m->e2e), hist_free(m->confirm);
    free(m);
    return -1;
}

void metrics_stop(uint64_t linger_ns)
{
    struct metrics *m = M;
    if (!m) return;
    if (linger_ns) log_note("metrics: serving the final values %.0f s more", (double)linger_ns / 1e9);
    for (uint64_t end = clock_ns() + linger_ns; clock_ns() < end;) sleep_ns(50 * NS_PER_MS);
    event_base_loopbreak(m->base);
    pthread_join(m->thread, NULL);
    while (m->open) scrape_close(m->open);
    evconnlistener_free(m->lis);
    M = NULL;
    event_base_free(m->base);
    hist_free(m->e2e), hist_free(m->confirm);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void metrics_add_interval(const uint64_t *delta, double length_s, const struct hist *e2e, const struct hist *confirm)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    for (int k = 0; k < ST_COUNT; k++) {
        m->totals[k] += delta[k];
        m->rate[k] = length_s > 0.001 ? (double)delta[k] / length_s : 0;
    }
    hist_add(m->e2e, e2e);
    hist_add(m->confirm, confirm);
    pthread_mutex_unlock(&m->mu);
}

void metrics_set_broker(const struct res_sample *x)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->broker = *x;
    m->have_broker = true;
    pthread_mutex_unlock(&m->mu);
}

void metrics_set_fault(const char *action, const char *target)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    str_copy(m->fault_action, sizeof m->fault_action, action ? action : "");
    str_copy(m->fault_target, sizeof m->fault_target, target ? target : "");
    pthread_mutex_unlock(&m->mu);
}

void metrics_set_verdict(const char *status)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    str_copy(m->verdict, sizeof m->verdict, status);
    pthread_mutex_unlock(&m->mu);
}

void metrics_set_offered(double msg_s)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->offered = msg_s;
    pthread_mutex_unlock(&m->mu);
}

void metrics_set_capacity(double msg_s)
{
    struct metrics *m = M;
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->capacity = msg_s;
    pthread_mutex_unlock(&m->mu);
}
