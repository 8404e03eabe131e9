#include "hdrfmt.h"
#include "hist.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Percentiles agree with a sorted array within the histogram's precision. */
static void percentiles_vs_sorted(void)
{
    enum { N = 200000 };
    int64_t *v = malloc(N * sizeof *v);
    struct hist *h = hist_new_default();
    for (int i = 0; i < N; i++) {
        /* log-uniform over 1 us .. 10 s: exercises many buckets */
        double e = 3.0 + 7.0 * (double)(next_rand() % 1000000) / 1e6;
        v[i] = (int64_t)pow(10, e);
        hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp64);
    const double ps[] = {1, 10, 50, 75, 90, 99, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        size_t idx = (size_t)(ps[k] / 100.0 * N + 0.5);
        if (idx < 1) idx = 1;
        int64_t want = v[idx - 1], got = hist_value_at_percentile(h, ps[k]);
        CHECK(got >= want && (double)(got - want) <= (double)want * 0.001 + 512);
        if (!(got >= want && (double)(got - want) <= (double)want * 0.001 + 512))
            fprintf(stderr, "p%g got %lld want %lld\n", ps[k], (long long)got, (long long)want);
    }
    CHECK_EQ_U64(h->total_count, N);
    CHECK(hist_max(h) >= v[N - 1] && hist_max(h) - v[N - 1] <= v[N - 1] / 1000 + 1);
    double mean = 0;
    for (int i = 0; i < N; i++) mean += (double)v[i] / N;
    CHECK(fabs(hist_mean(h) - mean) / mean < 0.001);
    free(v);
    hist_free(h);
}

static int same_counts(const struct hist *a, const struct hist *b)
{
    return a->counts_len == b->counts_len && a->total_count == b->total_count &&
           memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof *a->counts) == 0;
}

/* Merging per-thread histograms equals recording into one. */
static void merge_equals_single(void)
{
    struct hist *one = hist_new_default(), *a = hist_new_default(), *b = hist_new_default();
    for (int i = 0; i < 50000; i++) {
        int64_t x = (int64_t)(next_rand() % 5000000000ULL);
        hist_record(one, x);
        hist_record(i % 3 ? a : b, x);
    }
    hist_add(a, b);
    CHECK(same_counts(a, one));
    CHECK(hist_max(a) == hist_max(one));
    CHECK(hist_value_at_percentile(a, 99.9) == hist_value_at_percentile(one, 99.9));
    /* Different layout: count preserving. */
    struct hist *coarse = hist_new(1000, HIST_HIGHEST, 2);
    hist_add(coarse, one);
    CHECK_EQ_U64(coarse->total_count, one->total_count);
    hist_free(one), hist_free(a), hist_free(b), hist_free(coarse);
}

static void encode_roundtrip(void)
{
    struct hist *h = hist_new_default();
    for (int i = 0; i < 10000; i++) hist_record(h, (int64_t)(next_rand() % 100000000));
    hist_record(h, 3599999999999LL);
    unsigned char *enc;
    size_t len;
    CHECK(hdrfmt_encode(h, &enc, &len) == 0);
    CHECK(enc[0] == 0x1c && enc[1] == 0x84 && enc[2] == 0x93 && enc[3] == 0x14);
    char *text = hdrfmt_base64(enc, len);
    CHECK(strncmp(text, "HISTF", 5) == 0); /* what every V2-compressed log row starts with */
    size_t back_len;
    unsigned char *back = hdrfmt_unbase64(text, &back_len);
    CHECK(back && back_len == len && memcmp(back, enc, len) == 0);
    struct hist *d = hdrfmt_decode(enc, len);
    CHECK(d && same_counts(d, h));
    CHECK(d && hist_max(d) == hist_max(h));
    /* Malformed input is rejected, never trusted. */
    for (size_t cut = 0; cut < len; cut += 7) CHECK(hdrfmt_decode(enc, cut) == NULL);
    enc[20] ^= 0xff;
    struct hist *bad = hdrfmt_decode(enc, len);
    /* A flipped byte in the compressed counts never decodes to the same histogram. */
    CHECK(bad == NULL || !same_counts(bad, h));
    hist_free(bad);
    CHECK(hdrfmt_unbase64("abc", &back_len) == NULL);
    CHECK(hdrfmt_unbase64("ab!d", &back_len) == NULL);
    free(enc), free(text), free(back);
    hist_free(h), hist_free(d);
}

/* The percentile table of a fixed histogram matches a committed golden file. */
static void golden_hgrm(void)
{
    struct hist *h = hist_new_default();
    for (int64_t v = 1; v <= 10000; v++) hist_record(h, v * 1000); /* 1 us .. 10 ms */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hdrfmt_percentiles(f, h, 5, 1e6);
    fclose(f);
    FILE *g = fopen("tests/unit/golden.hgrm", "r");
    if (!g && getenv("UNIT_WRITE_GOLDEN")) {
        g = fopen("tests/unit/golden.hgrm", "w");
        fputs(buf, g);
        fclose(g);
        g = fopen("tests/unit/golden.hgrm", "r");
    }
    CHECK(g != NULL);
    if (g) {
        char want[65536];
        size_t n = fread(want, 1, sizeof want - 1, g);
        want[n] = 0;
        fclose(g);
        CHECK(n == len && memcmp(want, buf, n) == 0);
    }
    CHECK(strstr(buf, "#[Buckets =") != NULL);
    CHECK(strstr(buf, "      10.002 1.000000000000      10000") != NULL);
    free(buf);
    hist_free(h);
}

void test_hist(void)
{
    percentiles_vs_sorted();
    merge_equals_single();
    encode_roundtrip();
    golden_hgrm();
    CHECK(hist_new(0, 100, 3) == NULL);
    CHECK(hist_new(1000, 1500, 3) == NULL);
    CHECK(hist_new(1000, HIST_HIGHEST, 6) == NULL);
}
