/* runmerge.h: counters, series and latency of a run's instances added up. */
#include "runmerge.h"
#include "hdrfmt.h"
#include "hist.h"
#include "report.h"
#include "run_schema.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RM_TAGS 8
#define RM_ROWS_MAX (4 * 1000 * 1000) /* 64 instances, an hour, 5 tags: 1.2M */
#define RM_SECONDS_MAX (7 * 24 * 3600)

struct rm_row {
    long second; /* of the merged run */
    int tag;
    double length_s;
    unsigned char *enc; /* the interval's histogram, compressed again: rows stay small */
    size_t len;
};

struct runmerge {
    char tag[RM_TAGS][32];
    struct hist *measured[RM_TAGS];
    int ntags;
    struct rm_row *rows;
    size_t nrows, caprows;
    json_t *runs; /* borrowed run.json of each instance, with its offset */
    double offset_s, warmup_s;
    const char *err;
};

struct runmerge *runmerge_new(void)
{
    struct runmerge *m = xcalloc(1, sizeof *m);
    m->runs = json_array();
    return m;
}

void runmerge_free(struct runmerge *m)
{
    if (!m) return;
    for (int t = 0; t < m->ntags; t++) hist_free(m->measured[t]);
    for (size_t i = 0; i < m->nrows; i++) free(m->rows[i].enc);
    free(m->rows);
    json_decref(m->runs);
    free(m);
}

static int tag_index(struct runmerge *m, const char *tag)
{
    for (int i = 0; i < m->ntags; i++)
        if (!strcmp(m->tag[i], tag)) return i;
    if (m->ntags == RM_TAGS) return -1;
    str_copy(m->tag[m->ntags], sizeof m->tag[0], tag);
    m->measured[m->ntags] = hist_new_default();
    return m->ntags++;
}

/* Rows of the measured window (start >= warmup, as the collector counts
 * them) go into the tag's totals: the sum of the instances' counts. Every
 * row is kept for the per-second series and the merged log. */
static int on_row(void *ctx, const char *tag, double start_s, double length_s, const struct hist *h)
{
    struct runmerge *m = ctx;
    int t = tag_index(m, tag);
    if (t < 0) return m->err = "more than 8 tags", 1;
    if (h->total_count > HDRFMT_MAX_COUNT - m->measured[t]->total_count) return m->err = "counts overflow", 1;
    double at = start_s + m->offset_s;
    if (!(start_s >= 0 && at < RM_SECONDS_MAX && length_s >= 0 && length_s <= 3600))
        return m->err = "interval out of range", 1;
    if (start_s + 1e-9 >= m->warmup_s) hist_add(m->measured[t], h);
    if (m->nrows == RM_ROWS_MAX) return m->err = "more than 4,000,000 intervals", 1;
    if (m->nrows == m->caprows) {
        m->caprows = m->caprows ? m->caprows * 2 : 1024;
        m->rows = xrealloc(m->rows, m->caprows * sizeof *m->rows);
    }
    struct rm_row *r = &m->rows[m->nrows];
    if (hdrfmt_encode(h, &r->enc, &r->len)) return m->err = "cannot encode", 1;
    r->second = (long)floor(at + 0.5);
    r->tag = t;
    r->length_s = length_s;
    m->nrows++;
    return 0;
}

int runmerge_add(struct runmerge *m, json_t *run, const char *hlog_path, double offset_s, char *err, size_t cap)
{
    FILE *f = fopen(hlog_path, "re");
    if (!f) return snprintf(err, cap, "cannot read %s", hlog_path), -1;
    m->offset_s = offset_s;
    m->warmup_s = json_number_value(json_object_get(run_get(run, RK_CONFIG), "warmup_s"));
    m->err = NULL;
    long at = 0, bad = hdrfmt_log_read(f, on_row, m, &at);
    fclose(f);
    if (bad > 0) return snprintf(err, cap, "%s:%ld: not an interval row", hlog_path, bad), -1;
    if (bad < 0) return snprintf(err, cap, "%s:%ld: %s", hlog_path, at, m->err ? m->err : "unreadable"), -1;
    json_array_append_new(m->runs, json_pack("{s:O, s:f}", "run", run, "offset", offset_s));
    return 0;
}

static int by_second(const void *a, const void *b)
{
    const struct rm_row *x = a, *y = b;
    if (x->second != y->second) return x->second < y->second ? -1 : 1;
    return x->tag - y->tag;
}

/* Every number of src's object key into dst's: integers summed, reals
 * summed (rates over the same window add up). */
static void sum_object(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v, *d;
    json_object_foreach(src, k, v) {
        d = json_object_get(dst, k);
        if (json_is_integer(v) && json_is_integer(d))
            json_object_set_new(dst, k, json_integer(json_integer_value(d) + json_integer_value(v)));
        else if (json_is_number(v) && json_is_number(d))
            json_object_set_new(dst, k, json_real(json_number_value(d) + json_number_value(v)));
        else if (json_is_number(v) && (!d || json_is_null(d)))
            json_object_set(dst, k, v);
    }
}

static json_t *zeroed(json_t *o)
{
    json_t *z = json_deep_copy(o), *v;
    const char *k;
    json_object_foreach(z, k, v) {
        if (json_is_integer(v)) json_object_set_new(z, k, json_integer(0));
        else if (json_is_real(v)) json_object_set_new(z, k, json_real(0));
    }
    return z;
}

/* The series: each instance's second t lands in the merged second
 * round(t + offset); its counters add up (latency: merged_rows). */
static json_t *merged_series(struct runmerge *m)
{
    long last = -1;
    size_t i;
    json_t *e, *pt;
    json_array_foreach(m->runs, i, e) {
        double off = json_number_value(json_object_get(e, "offset"));
        size_t k;
        json_array_foreach(run_get(json_object_get(e, "run"), RK_SERIES), k, pt) {
            long s = (long)floor(run_num(pt, RK_S_T) + off + 0.5);
            if (s > last && s < RM_SECONDS_MAX) last = s;
        }
    }
    json_t *out = json_array();
    for (long s = 0; s <= last; s++) json_array_append_new(out, json_null());
    json_array_foreach(m->runs, i, e) {
        double off = json_number_value(json_object_get(e, "offset"));
        size_t k;
        json_array_foreach(run_get(json_object_get(e, "run"), RK_SERIES), k, pt) {
            long s = (long)floor(run_num(pt, RK_S_T) + off + 0.5);
            if (s < 0 || s > last) continue;
            json_t *o = json_array_get(out, (size_t)s);
            if (json_is_null(o)) {
                o = zeroed(pt);
                json_array_set_new(out, (size_t)s, o);
                run_set(o, RK_S_T, json_real((double)s));
                run_set(o, RK_S_LENGTH, json_real(0));
            }
            double len = run_num(pt, RK_S_LENGTH);
            json_t *keep = json_real(fmax(len, run_num(o, RK_S_LENGTH)));
            json_t *t = json_real((double)s);
            sum_object(o, pt);
            run_set(o, RK_S_LENGTH, keep);
            run_set(o, RK_S_T, t);
        }
    }
    /* a second no instance reported (a late start): an empty one */
    json_array_foreach(out, i, e)
        if (json_is_null(e)) {
            json_t *z = json_object();
            run_set(z, RK_S_T, json_real((double)i));
            run_set(z, RK_S_LENGTH, json_real(1));
            json_array_set_new(out, i, z);
        }
    return out;
}

/* Each (second, tag) group of rows added into one histogram, once: the
 * second's latency in the series comes from it, not from the instances'
 * own percentiles, and so does the merged log's row. */
static void merged_rows(struct runmerge *m, json_t *series, bool uncorrected, FILE *hlog, double start_epoch_s)
{
    const char *e2e = uncorrected ? "e2e-uncorrected" : "e2e", *conf = uncorrected ? "confirm-uncorrected" : "confirm";
    if (hlog) hdrfmt_log_header(hlog, start_epoch_s);
    struct hist *h = hist_new_default();
    for (size_t a = 0, b; a < m->nrows; a = b) {
        double len = 0;
        hist_reset(h);
        for (b = a; b < m->nrows && m->rows[b].second == m->rows[a].second && m->rows[b].tag == m->rows[a].tag; b++) {
            struct hist *x = hdrfmt_decode(m->rows[b].enc, m->rows[b].len);
            if (x) hist_add(h, x), hist_free(x);
            len = fmax(len, m->rows[b].length_s);
        }
        json_t *o = json_array_get(series, (size_t)m->rows[a].second);
        const char *tag = m->tag[m->rows[a].tag];
        if (o && !strcmp(tag, e2e)) {
            run_set(o, RK_S_E2E_P50, json_real((double)hist_value_at_percentile(h, 50) / 1e6));
            run_set(o, RK_S_E2E_P99, json_real((double)hist_value_at_percentile(h, 99) / 1e6));
            run_set(o, RK_S_E2E_MAX, json_real((double)hist_max(h) / 1e6));
        } else if (o && !strcmp(tag, conf)) {
            run_set(o, RK_S_CONFIRM_P50, json_real((double)hist_value_at_percentile(h, 50) / 1e6));
            run_set(o, RK_S_CONFIRM_P99, json_real((double)hist_value_at_percentile(h, 99) / 1e6));
        }
        if (hlog) hdrfmt_log_interval(hlog, tag, (double)m->rows[a].second, len, h);
    }
    hist_free(h);
}

void runmerge_finish(struct runmerge *m, json_t *merged, FILE *hlog)
{
    qsort(m->rows, m->nrows, sizeof *m->rows, by_second);
    static const char *const objs[] = {"totals", "errors", "rates"}; /* every counter under them */
    for (size_t o = 0; o < sizeof objs / sizeof objs[0]; o++) {
        json_t *z = zeroed(json_object_get(merged, objs[o]));
        size_t i;
        json_t *e;
        json_array_foreach(m->runs, i, e) sum_object(z, json_object_get(json_object_get(e, "run"), objs[o]));
        json_object_set_new(merged, objs[o], z);
    }
    double dur = 0, measured = 0, user = 0, sys = 0, setup = 0;
    json_int_t rss = 0, conns = 0, queued = -1;
    const char *ended = NULL;
    json_t *reasons = json_array(), *e, *why;
    size_t i, k;
    json_array_foreach(m->runs, i, e) {
        json_t *r = json_object_get(e, "run");
        dur = fmax(dur, run_num(r, RK_DURATION));
        measured = fmax(measured, run_num(r, RK_MEASURED));
        user += run_num(r, RK_PROC_USER_CPU), sys += run_num(r, RK_PROC_SYS_CPU);
        setup = fmax(setup, run_num(r, RK_PROC_SETUP));
        if (json_integer_value(run_get(r, RK_PROC_MAX_RSS)) > rss)
            rss = json_integer_value(run_get(r, RK_PROC_MAX_RSS));
        conns += json_integer_value(run_get(r, RK_PROC_CONNECTIONS));
        /* the drain is as complete as its least complete instance */
        const char *d = run_str(r, RK_DRAIN_ENDED);
        if (!ended || (strcmp(d, "complete") && strcmp(d, "idle"))) ended = d;
        json_t *sq = run_get(r, RK_DRAIN_STILL_QUEUED);
        if (json_is_integer(sq) && json_integer_value(sq) > queued) queued = json_integer_value(sq);
        json_array_foreach(run_get(r, RK_HEALTH_REASONS), k, why) {
            char line[400];
            snprintf(line, sizeof line, "instance %zu: %s", i, json_string_value(why));
            json_array_append_new(reasons, json_string(line));
        }
        if (run_true(r, RK_INTERRUPTED)) run_set(merged, RK_INTERRUPTED, json_true());
    }
    run_set(merged, RK_DURATION, json_real(dur));
    run_set(merged, RK_MEASURED, json_real(measured));
    run_set(merged, RK_PROC_USER_CPU, json_real(user));
    run_set(merged, RK_PROC_SYS_CPU, json_real(sys));
    run_set(merged, RK_PROC_MAX_RSS, json_integer(rss));
    run_set(merged, RK_PROC_CONNECTIONS, json_integer(conns));
    run_set(merged, RK_PROC_SETUP, json_real(setup));
    run_set(merged, RK_DRAIN_ENDED, json_string(ended ? ended : "interrupted"));
    run_set(merged, RK_DRAIN_STILL_QUEUED, queued >= 0 ? json_integer(queued) : json_null());
    run_set(merged, RK_HEALTH_PASS, json_boolean(json_array_size(reasons) == 0));
    run_set(merged, RK_HEALTH_REASONS, reasons);
    json_t *lat = run_get(merged, RK_LATENCY);
    for (int t = 0; t < m->ntags; t++) {
        if (json_object_get(lat, m->tag[t])) json_object_set_new(lat, m->tag[t], report_latency_json(m->measured[t]));
    }
    bool unc = json_is_true(json_object_get(run_get(merged, RK_CONFIG), "uncorrected"));
    json_t *series = merged_series(m);
    merged_rows(m, series, unc, hlog, run_num(merged, RK_ENV_STARTED_EPOCH));
    run_set(merged, RK_SERIES, series);
}
