#include "hist.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int bucket_index(const struct hist *h, int64_t v)
{
    int pow2ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));
    return pow2ceiling - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
}

static int sub_bucket_index(const struct hist *h, int64_t v, int bi)
{
    return (int)(v >> (bi + h->unit_magnitude));
}

static int counts_index(const struct hist *h, int bi, int sbi)
{
    return ((bi + 1) << h->sub_bucket_half_count_magnitude) + (sbi - h->sub_bucket_half_count);
}

static int64_t value_from(const struct hist *h, int bi, int sbi)
{
    return (int64_t)sbi << (bi + h->unit_magnitude);
}

struct hist *hist_new(int64_t lowest, int64_t highest, int sig)
{
    if (lowest < 1 || sig < 1 || sig > 5 || highest < 2 * lowest) return NULL;
    struct hist *h = xcalloc(1, sizeof *h);
    h->lowest = lowest;
    h->highest = highest;
    h->sig_figs = sig;
    int64_t largest_single_unit = 2 * (int64_t)pow(10, sig);
    int sbcm = (int)ceil(log((double)largest_single_unit) / log(2));
    h->sub_bucket_half_count_magnitude = (sbcm > 1 ? sbcm : 1) - 1;
    h->unit_magnitude = (int)floor(log((double)lowest) / log(2));
    /* HdrHistogram's own limit: beyond it the bucket arithmetic overflows
     * int64 (a crafted header, lowest 2^59 with 1 digit, looped forever). */
    if (h->unit_magnitude + h->sub_bucket_half_count_magnitude > 61) {
        free(h);
        return NULL;
    }
    h->sub_bucket_count = 1 << (h->sub_bucket_half_count_magnitude + 1);
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << h->unit_magnitude;
    int64_t smallest_untrackable = (int64_t)h->sub_bucket_count << h->unit_magnitude;
    int buckets = 1;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    h->bucket_count = buckets;
    h->counts_len = (buckets + 1) * h->sub_bucket_half_count;
    h->counts = xcalloc((size_t)h->counts_len, sizeof *h->counts);
    hist_reset(h);
    return h;
}

struct hist *hist_new_default(void)
{
    return hist_new(HIST_LOWEST, HIST_HIGHEST, HIST_SIG);
}

void hist_free(struct hist *h)
{
    if (!h) return;
    free(h->counts);
    free(h);
}

void hist_reset(struct hist *h)
{
    memset(h->counts, 0, (size_t)h->counts_len * sizeof *h->counts);
    h->total_count = 0;
    h->saturated = 0;
    h->min_value = INT64_MAX;
    h->max_value = 0;
}

int hist_counts_index_for(const struct hist *h, int64_t v)
{
    int bi = bucket_index(h, v);
    return counts_index(h, bi, sub_bucket_index(h, v, bi));
}

void hist_record_n(struct hist *h, int64_t v, int64_t n)
{
    if (v < 0) v = 0;
    if (v > h->highest) {
        v = h->highest;
        h->saturated += n;
    }
    int i = hist_counts_index_for(h, v);
    if (i < 0 || i >= h->counts_len) return;
    h->counts[i] += n;
    h->total_count += n;
    if (v > h->max_value) h->max_value = v;
    if (v < h->min_value && v != 0) h->min_value = v;
}

void hist_record(struct hist *h, int64_t v)
{
    hist_record_n(h, v, 1);
}

int64_t hist_value_at_index(const struct hist *h, int index)
{
    int bi = (index >> h->sub_bucket_half_count_magnitude) - 1;
    int sbi = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;
    if (bi < 0) {
        sbi -= h->sub_bucket_half_count;
        bi = 0;
    }
    return value_from(h, bi, sbi);
}

static int64_t equivalent_range(const struct hist *h, int64_t v)
{
    int bi = bucket_index(h, v);
    int sbi = sub_bucket_index(h, v, bi);
    int adjusted = sbi >= h->sub_bucket_count ? bi + 1 : bi;
    return (int64_t)1 << (h->unit_magnitude + adjusted);
}

int64_t hist_lowest_equivalent(const struct hist *h, int64_t v)
{
    int bi = bucket_index(h, v);
    return value_from(h, bi, sub_bucket_index(h, v, bi));
}

int64_t hist_highest_equivalent(const struct hist *h, int64_t v)
{
    return hist_lowest_equivalent(h, v) + equivalent_range(h, v) - 1;
}

int64_t hist_median_equivalent(const struct hist *h, int64_t v)
{
    return hist_lowest_equivalent(h, v) + (equivalent_range(h, v) >> 1);
}

void hist_add(struct hist *dst, const struct hist *src)
{
    bool same = dst->counts_len == src->counts_len && dst->unit_magnitude == src->unit_magnitude &&
                dst->sub_bucket_half_count_magnitude == src->sub_bucket_half_count_magnitude;
    if (same) {
        for (int i = 0; i < src->counts_len; i++) dst->counts[i] += src->counts[i];
        dst->total_count += src->total_count;
        dst->saturated += src->saturated;
        if (src->max_value > dst->max_value) dst->max_value = src->max_value;
        if (src->min_value < dst->min_value) dst->min_value = src->min_value;
        return;
    }
    for (int i = 0; i < src->counts_len; i++)
        if (src->counts[i])
            hist_record_n(dst, hist_median_equivalent(src, hist_value_at_index(src, i)),
                          src->counts[i]);
}

void hist_recount(struct hist *h)
{
    h->total_count = 0;
    h->min_value = INT64_MAX;
    h->max_value = 0;
    for (int i = 0; i < h->counts_len; i++) {
        if (!h->counts[i]) continue;
        int64_t v = hist_value_at_index(h, i);
        h->total_count += h->counts[i];
        if (v > h->max_value) h->max_value = v;
        if (v < h->min_value && v != 0) h->min_value = v;
    }
}

int64_t hist_value_at_percentile(const struct hist *h, double p)
{
    if (h->total_count == 0) return 0;
    double req = p < 100.0 ? p : 100.0;
    int64_t want = (int64_t)((req / 100.0) * (double)h->total_count + 0.5);
    if (want < 1) want = 1;
    int64_t seen = 0;
    for (int i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            int64_t v = hist_value_at_index(h, i);
            return p == 0.0 ? hist_lowest_equivalent(h, v) : hist_highest_equivalent(h, v);
        }
    }
    return 0;
}

double hist_mean(const struct hist *h)
{
    if (!h->total_count) return 0;
    double sum = 0;
    for (int i = 0; i < h->counts_len; i++)
        if (h->counts[i])
            sum += (double)h->counts[i] * (double)hist_median_equivalent(h, hist_value_at_index(h, i));
    return sum / (double)h->total_count;
}

double hist_stddev(const struct hist *h)
{
    if (!h->total_count) return 0;
    double mean = hist_mean(h), sum = 0;
    for (int i = 0; i < h->counts_len; i++) {
        if (!h->counts[i]) continue;
        double d = (double)hist_median_equivalent(h, hist_value_at_index(h, i)) - mean;
        sum += d * d * (double)h->counts[i];
    }
    return sqrt(sum / (double)h->total_count);
}

int64_t hist_max(const struct hist *h)
{
    return h->max_value ? hist_highest_equivalent(h, h->max_value) : 0;
}

int64_t hist_min(const struct hist *h)
{
    if (h->counts[0] > 0) return 0;
    return h->min_value == INT64_MAX ? 0 : hist_lowest_equivalent(h, h->min_value);
}
