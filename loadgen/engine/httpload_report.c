/* What httpload's threads counted, merged and reported; the spec's URL. */
#include "httpload_int.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const http_class_names[HC_COUNT] = {"1xx", "2xx",     "3xx",           "4xx",
                                                "5xx", "timeout", "connect_error", "io_error"};

void httpload_merge(struct httpload *h)
{
    h->lat = hist_new_default();
    h->lat_unc = hist_new_default();
    for (int i = 0; i < h->nthreads; i++) {
        const struct hthread *t = &h->t[i];
        for (int k = 0; k < HC_COUNT; k++)
            h->counts[k] += t->counts[k];
        h->sent += t->sent;
        h->late += t->late;
        hist_add(h->lat, t->lat);
        hist_add(h->lat_unc, t->lat_unc);
        if (t->used_sec > h->nsec) {
            h->persec = xrealloc(h->persec, t->used_sec * sizeof *h->persec);
            memset(h->persec + h->nsec, 0, (t->used_sec - h->nsec) * sizeof *h->persec);
            h->nsec = t->used_sec;
        }
        for (size_t s = 0; s < t->used_sec; s++)
            for (int k = 0; k < HC_COUNT; k++)
                h->persec[s][k] += t->persec[s][k];
    }
}

void httpload_merged_free(struct httpload *h)
{
    hist_free(h->lat), hist_free(h->lat_unc);
    free(h->persec);
}

int httpload_threads(const struct httpload *h)
{
    return h->nthreads;
}

void httpload_sent(const struct httpload *h, int thread, struct httpload_sent *out)
{
    const struct hthread *t = &h->t[thread];
    uint64_t last = t->next_seq - 1;
    *out = (struct httpload_sent){t->ok, t->ok ? t->cap : 0, last, t->times, t->times ? last : 0};
}

void httpload_totals(const struct httpload *h, uint64_t *classes, uint64_t *sent)
{
    memcpy(classes, h->counts, sizeof h->counts);
    *sent = h->sent;
}

const struct hist *httpload_latency(const struct httpload *h, bool corrected)
{
    return corrected ? h->lat : h->lat_unc;
}

static uint64_t errors_of(const uint64_t *c)
{
    uint64_t e = 0;
    for (int k = 0; k < HC_COUNT; k++)
        if (k != HC_2XX) e += c[k];
    return e;
}

json_t *httpload_json(const struct httpload *h, double measured_s)
{
    const struct httpload_spec *s = h->spec;
    json_t *o = json_object(), *st = json_object(), *lat = json_object(), *series = json_array();
    json_object_set_new(o, "url", json_string(s->url));
    json_object_set_new(o, "method", json_string(s->method));
    json_object_set_new(o, "connections", json_integer(s->connections));
    json_object_set_new(o, "threads", json_integer(h->nthreads));
    json_object_set_new(o, "sent", json_integer((json_int_t)h->sent));
    for (int k = HC_1XX; k <= HC_5XX; k++)
        json_object_set_new(st, http_class_names[k], json_integer((json_int_t)h->counts[k]));
    json_object_set_new(o, "status", st);
    json_object_set_new(o, "ok", json_integer((json_int_t)h->counts[HC_2XX]));
    json_object_set_new(o, "timeouts", json_integer((json_int_t)h->counts[HC_TIMEOUT]));
    json_object_set_new(o, "connect_errors", json_integer((json_int_t)h->counts[HC_CONNECT]));
    json_object_set_new(o, "io_errors", json_integer((json_int_t)h->counts[HC_IO]));
    uint64_t errs = errors_of(h->counts);
    json_object_set_new(o, "errors", json_integer((json_int_t)errs));
    json_object_set_new(o, "error_share", h->sent ? json_real((double)errs / (double)h->sent) : json_null());
    json_object_set_new(o, "late_share", h->sent ? json_real((double)h->late / (double)h->sent) : json_null());
    json_object_set_new(o, "rate_sent", json_real(measured_s > 0 ? (double)h->sent / measured_s : 0));
    json_object_set_new(lat, "corrected", report_latency_json(h->lat));
    json_object_set_new(lat, "uncorrected", report_latency_json(h->lat_unc));
    json_object_set_new(o, "latency", lat);
    json_object_set_new(
        o, "p99_ms", h->lat->total_count ? json_real((double)hist_value_at_percentile(h->lat, 99) / 1e6) : json_null());
    for (size_t i = 0; i < h->nsec; i++) {
        json_t *row = json_object();
        json_object_set_new(row, "t", json_integer((json_int_t)i));
        for (int k = 0; k < HC_COUNT; k++)
            if (h->persec[i][k])
                json_object_set_new(row, http_class_names[k], json_integer((json_int_t)h->persec[i][k]));
        json_array_append_new(series, row);
    }
    json_object_set_new(o, "series", series);
    return o;
}

void httpload_print(const struct httpload *h, double measured_s)
{
    double m = measured_s > 0 ? measured_s : 1;
    printf("\nhttp %s %s: %llu sent (%.0f/s)", h->spec->method, h->spec->url, (unsigned long long)h->sent,
           (double)h->sent / m);
    for (int k = 0; k < HC_COUNT; k++)
        if (h->counts[k]) printf("  %s %llu", http_class_names[k], (unsigned long long)h->counts[k]);
    uint64_t errs = errors_of(h->counts);
    printf("\nhttp errors %llu (%.2f%% of sent); sent more than 1 ms late %.2f%%\n", (unsigned long long)errs,
           h->sent ? 100.0 * (double)errs / (double)h->sent : 0.0,
           h->sent ? 100.0 * (double)h->late / (double)h->sent : 0.0);
    printf("http latency (ms)  p50      p90      p99    p99.9      max    count\n");
    for (int c = 0; c < 2; c++) {
        const struct hist *l = c ? h->lat_unc : h->lat;
        printf("%-14s %8.3f %8.3f %8.3f %8.3f %8.3f %8lld\n", c ? "uncorrected" : "corrected",
               (double)hist_value_at_percentile(l, 50) / 1e6, (double)hist_value_at_percentile(l, 90) / 1e6,
               (double)hist_value_at_percentile(l, 99) / 1e6, (double)hist_value_at_percentile(l, 99.9) / 1e6,
               (double)hist_max(l) / 1e6, (long long)l->total_count);
    }
}
