/* The live metrics endpoint (metrics.h). State is written by the collector
 * (main thread), the sampler and the timeline, under one mutex; the HTTP
 * thread formats it per scrape. */
#include "metrics.h"
#include "hist.h"
#include "resources.h"
#include "stats.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
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
    struct evhttp *http;
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

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !uri ||
        (strcmp(uri, "/metrics") && strncmp(uri, "/metrics?", 9))) {
        evhttp_send_error(req, 404, "only GET /metrics");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    format(b);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
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
    struct in_addr a4;
    struct in6_addr a6;
    bool loop = !strcmp(host, "localhost") || (inet_pton(AF_INET, host, &a4) == 1 && ntohl(a4.s_addr) >> 24 == 127) ||
                (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
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
    m->http = m->base ? evhttp_new(m->base) : NULL;
    struct evhttp_bound_socket *bs = NULL;
    if (m->http) {
        evhttp_set_gencb(m->http, handle, NULL);
        evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
        evhttp_set_max_headers_size(m->http, 8192);
        evhttp_set_max_body_size(m->http, 0);
        evhttp_set_timeout(m->http, 5);
        bs = evhttp_bind_socket_with_handle(m->http, host, (uint16_t)port);
    }
    if (!bs) {
        int e = errno;
        if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1 && strcmp(host, "localhost"))
            snprintf(err, cap, "cannot serve metrics on %s: '%s' is not an address", addr, host);
        else
            snprintf(err, cap, "cannot serve metrics on %s: %s", addr, e ? strerror(e) : "bind failed");
        goto fail;
    }
    char bound[160];
    /* port 0: the kernel's pick, which a scraper needs to know */
    if (sock_bound_addr(evhttp_bound_socket_get_fd(bs), bound, sizeof bound))
        snprintf(bound, sizeof bound, "%s:%ld", host, port);
    M = m;
    if (pthread_create(&m->thread, NULL, loop_main, NULL)) {
        M = NULL;
        snprintf(err, cap, "cannot start the metrics thread");
        goto fail;
    }
    log_note("metrics at http://%s/metrics", bound);
    if (!loop) log_note("warning: the metrics endpoint is reachable from the network (--allow-remote)");
    return 0;
fail:
    if (m->http) evhttp_free(m->http);
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
    M = NULL;
    evhttp_free(m->http);
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
