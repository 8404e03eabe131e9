/* hist: a log-linear HDR histogram with HdrHistogram's bucket layout, so its
 * counts array encodes to the HdrHistogram V2 format unchanged (see hdrfmt.h).
 * Not thread-safe: one owner per histogram; merge after the fact. */
#ifndef LOADGEN_HIST_H
#define LOADGEN_HIST_H

#include <stdbool.h>
#include <stdint.h>

struct hist {
    int64_t lowest, highest;
    int sig_figs;
    int unit_magnitude;
    int sub_bucket_half_count_magnitude;
    int sub_bucket_count, sub_bucket_half_count;
    int64_t sub_bucket_mask;
    int bucket_count, counts_len;
    int64_t total_count, min_value, max_value;
    int64_t saturated; /* values above `highest`, recorded as `highest` */
    int64_t *counts;
};

/* Latency histograms: nanoseconds, 1 us .. 1 h, 3 significant digits. */
#define HIST_LOWEST 1000
#define HIST_HIGHEST 3600000000000LL
#define HIST_SIG 3

/* Returns NULL when lowest < 1, highest < 2 * lowest or sig not in 1..5. */
struct hist *hist_new(int64_t lowest, int64_t highest, int sig_figs);
/* hist_new(HIST_LOWEST, HIST_HIGHEST, HIST_SIG). */
struct hist *hist_new_default(void);
void hist_free(struct hist *h);
void hist_reset(struct hist *h);

/* Records v (negative counts as 0; above highest is clamped and counted in
 * saturated). */
void hist_record(struct hist *h, int64_t v);
void hist_record_n(struct hist *h, int64_t v, int64_t n);
/* Adds every count of src into dst; exact when layouts match, otherwise
 * each src bucket lands at its median value. Count preserving either way. */
void hist_add(struct hist *dst, const struct hist *src);

/* The HdrHistogram definitions: highest value equivalent to the value at
 * that percentile (0..100); 0 for an empty histogram. */
int64_t hist_value_at_percentile(const struct hist *h, double percentile);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
int64_t hist_max(const struct hist *h);
int64_t hist_min(const struct hist *h);

/* Bucket arithmetic, exposed for the encoder and the iterators. */
int hist_counts_index_for(const struct hist *h, int64_t v);
int64_t hist_value_at_index(const struct hist *h, int index);
int64_t hist_lowest_equivalent(const struct hist *h, int64_t v);
int64_t hist_highest_equivalent(const struct hist *h, int64_t v);
int64_t hist_median_equivalent(const struct hist *h, int64_t v);
/* Rebuilds totals, min and max from counts[] (after decoding). */
void hist_recount(struct hist *h);

#endif
