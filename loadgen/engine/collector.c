#include "collector.h"
#include "hdrfmt.h"
#include "metrics.h"
#include "run_schema.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

void collector_init(struct collector *r, int nworkers, const struct config *cfg, FILE *hlog,
                   double start_epoch_s)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->nworkers = nworkers;
    r->fifo_head = xcalloc((size_t)nworkers, sizeof *r->fifo_head);
    r->fifo_tail = xcalloc((size_t)nworkers, sizeof *r->fifo_tail);
    r->finished = xcalloc((size_t)nworkers, sizeof *r->finished);
    r->cum = xcalloc((size_t)nworkers, sizeof *r->cum);
    r->warmup_ns = cfg->warmup_ns;
    r->publish_end_ns = UINT64_MAX;
    r->quiet = cfg->quiet;
    r->uncorrected = cfg->uncorrected;
    r->hlog = hlog;
    stats_hists_init(&r->measured);
    stats_hists_init(&r->merged);
    r->start_epoch_s = start_epoch_s;
}

void collector_started(struct collector *r, double start_epoch_s)
{
    r->start_epoch_s = start_epoch_s;
}

void collector_post(struct collector *r, struct interval *iv)
{
    pthread_mutex_lock(&r->mu);
    iv->next = r->inbox;
    r->inbox = iv;
    pthread_mutex_unlock(&r->mu);
}

struct interval *collector_interval(struct collector *r)
{
    pthread_mutex_lock(&r->mu);
    struct interval *iv = r->spare;
    if (iv) r->spare = iv->next;
    pthread_mutex_unlock(&r->mu);
    if (!iv) {
        iv = xcalloc(1, sizeof *iv);
        stats_hists_init(&iv->hists);
    }
    iv->next = NULL;
    return iv;
}

/* Cleared here, on the bench thread, not on the worker's. */
static void recycle(struct collector *r, struct interval *iv)
{
    stats_hists_reset(&iv->hists);
    pthread_mutex_lock(&r->mu);
    iv->next = r->spare;
    r->spare = iv;
    pthread_mutex_unlock(&r->mu);
}

static void fmt_ms(char *buf, size_t cap, int64_t ns)
{
    snprintf(buf, cap, "%.3fms", (double)ns / 1e6);
}

static void emit(struct collector *r, uint64_t index, struct stats_hists *h, double length_s)
{
    uint64_t totals[ST_COUNT] = {0};
    for (int w = 0; w < r->nworkers; w++)
        for (int k = 0; k < ST_COUNT; k++) totals[k] += r->cum[w][k];
    if (r->nseries == r->capseries) {
        r->capseries = r->capseries ? r->capseries * 2 : 64;
        r->series = xrealloc(r->series, r->capseries * sizeof *r->series);
    }
    struct series_point *p = &r->series[r->nseries++];
    memset(p, 0, sizeof *p);
    p->t_s = (double)index;
    p->length_s = length_s;
    for (int k = 0; k < ST_COUNT; k++) p->delta[k] = totals[k] - r->totals[k];
    memcpy(r->totals, totals, sizeof totals);
    int e2e = r->uncorrected ? SH_E2E_UNCORRECTED : SH_E2E;
    int conf = r->uncorrected ? SH_CONFIRM_UNCORRECTED : SH_CONFIRM;
    p->e2e_p50 = hist_value_at_percentile(h->h[e2e], 50);
    p->e2e_p99 = hist_value_at_percentile(h->h[e2e], 99);
    p->e2e_max = hist_max(h->h[e2e]);
    p->confirm_p50 = hist_value_at_percentile(h->h[conf], 50);
    p->confirm_p99 = hist_value_at_percentile(h->h[conf], 99);
    metrics_add_interval(p->delta, length_s, h->h[e2e], h->h[conf]);
    if (index * NS_PER_SEC >= r->warmup_ns) {
        stats_hists_add(&r->measured, h);
        if (index * NS_PER_SEC < r->publish_end_ns) {
            uint64_t left = r->publish_end_ns - index * NS_PER_SEC;
            r->measured_s += left < NS_PER_SEC ? (double)left / 1e9 : length_s;
            /* The second publishing ended in counts for its share of the
             * window only: its whole count over a sliver of time put a
             * drain's deliveries into the rate (a 200/s consumer read 248/s). */
            for (int k = 0; k < ST_COUNT; k++)
                r->measured_delta[k] += left < NS_PER_SEC ? p->delta[k] * left / NS_PER_SEC : p->delta[k];
        }
    }
    if (r->hlog && !r->hlog_started) {
        hdrfmt_log_header(r->hlog, r->start_epoch_s);
        r->hlog_started = true;
    }
    if (r->hlog)
        for (int k = 0; k < SH_COUNT; k++)
            hdrfmt_log_interval(r->hlog, stats_hist_names[k], (double)index, length_s, h->h[k]);
    if (!r->quiet) {
        char p50[32], p99[32];
        fmt_ms(p50, sizeof p50, p->e2e_p50);
        fmt_ms(p99, sizeof p99, p->e2e_p99);
        double l = length_s > 0.001 ? length_s : 1;
        uint64_t errors = p->delta[ST_ERR_CONNECT] + p->delta[ST_ERR_CONNECTION] +
                          p->delta[ST_ERR_HEARTBEAT] + p->delta[ST_ERR_CHANNEL] +
                          p->delta[ST_ERR_PUBLISH] + p->delta[ST_ERR_CONFIRM_TIMEOUT];
        fprintf(stderr,
                "[%4llus] pub %8.0f/s conf %8.0f/s cons %8.0f/s | e2e p50 %s p99 %s | "
                "nack %llu ret %llu err %llu reconn %llu\n",
                (unsigned long long)index + 1, (double)p->delta[ST_PUBLISHED] / l,
                (double)p->delta[ST_CONFIRMED] / l, (double)p->delta[ST_CONSUMED] / l, p50, p99,
                (unsigned long long)p->delta[ST_NACKED], (unsigned long long)p->delta[ST_RETURNED],
                (unsigned long long)errors, (unsigned long long)p->delta[ST_RECONNECTS]);
    }
}

void collector_process(struct collector *r)
{
    pthread_mutex_lock(&r->mu);
    struct interval *in = r->inbox;
    r->inbox = NULL;
    pthread_mutex_unlock(&r->mu);
    /* The inbox is newest first: reverse into per-worker FIFOs. */
    struct interval *rev = NULL;
    while (in) {
        struct interval *n = in->next;
        in->next = rev;
        rev = in;
        in = n;
    }
    while (rev) {
        struct interval *n = rev->next;
        rev->next = NULL;
        int w = rev->worker;
        if (r->fifo_tail[w]) r->fifo_tail[w]->next = rev;
        else r->fifo_head[w] = rev;
        r->fifo_tail[w] = rev;
        rev = n;
    }
    for (;;) {
        uint64_t i = r->next_index;
        bool ready = true, any = false;
        for (int w = 0; w < r->nworkers; w++) {
            struct interval *h = r->fifo_head[w];
            if (h && h->index == i) any = true;
            else if (!r->finished[w]) ready = false;
        }
        if (!ready || !any) break;
        struct stats_hists *merged = &r->merged;
        double length = 1.0;
        for (int w = 0; w < r->nworkers; w++) {
            struct interval *h = r->fifo_head[w];
            if (!h || h->index != i) continue;
            memcpy(r->cum[w], h->counters, sizeof h->counters);
            stats_hists_add(merged, &h->hists);
            if (h->final) {
                r->finished[w] = true;
                if (h->length_s < length) length = h->length_s;
            }
            r->fifo_head[w] = h->next;
            if (!h->next) r->fifo_tail[w] = NULL;
            recycle(r, h);
        }
        emit(r, i, merged, length);
        stats_hists_reset(merged);
        r->next_index++;
    }
}

void collector_free(struct collector *r)
{
    for (int w = 0; w < r->nworkers; w++) {
        for (struct interval *h = r->fifo_head[w], *n; h; h = n) {
            n = h->next;
            stats_hists_free(&h->hists);
            free(h);
        }
    }
    free(r->fifo_head), free(r->fifo_tail), free(r->finished), free(r->cum), free(r->series);
    for (struct interval *h = r->spare, *n; h; h = n) {
        n = h->next;
        stats_hists_free(&h->hists);
        free(h);
    }
    stats_hists_free(&r->measured);
    stats_hists_free(&r->merged);
    pthread_mutex_destroy(&r->mu);
}

json_t *collector_series_json(const struct collector *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nseries; i++) {
        const struct series_point *p = &r->series[i];
        json_t *o = json_object();
        run_set(o, RK_S_T, json_real(p->t_s));
        run_set(o, RK_S_LENGTH, json_real(p->length_s));
        for (int k = 0; k < ST_COUNT; k++)
            json_object_set_new(o, stats_counter_names[k], json_integer((json_int_t)p->delta[k]));
        run_set(o, RK_S_E2E_P50, json_real((double)p->e2e_p50 / 1e6));
        run_set(o, RK_S_E2E_P99, json_real((double)p->e2e_p99 / 1e6));
        run_set(o, RK_S_E2E_MAX, json_real((double)p->e2e_max / 1e6));
        run_set(o, RK_S_CONFIRM_P50, json_real((double)p->confirm_p50 / 1e6));
        run_set(o, RK_S_CONFIRM_P99, json_real((double)p->confirm_p99 / 1e6));
        json_array_append_new(a, o);
    }
    return a;
}
