#include "hdrfmt.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define V2_HEADER 40

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Mirrors HdrHistogram's percentile iterator: a tick may repeat within one
 * bucket; once the last count is reached only the 100% line remains. */
void hdrfmt_percentile_walk(const struct hist *h, int ticks, hdrfmt_point_fn fn, void *ctx)
{
    int64_t total = h->total_count, cum = 0, value = 0;
    double to = 0.0;
    int i = -1;
    while (total > 0) {
        if (i >= 0 && h->counts[i] && to <= 100.0 * (double)cum / (double)total) {
            value = hist_highest_equivalent(h, hist_value_at_index(h, i));
            fn(ctx, value, to / 100.0, cum, false);
            int64_t half = (int64_t)pow(2, (double)((int64_t)(log(100.0 / (100.0 - to)) / log(2)) + 1));
            to += 100.0 / (double)(ticks * half);
            if (cum >= total) break;
            continue;
        }
        if (cum >= total || ++i >= h->counts_len) break;
        cum += h->counts[i];
    }
    if (total > 0) {
        if (i >= 0 && i < h->counts_len) value = hist_highest_equivalent(h, hist_value_at_index(h, i));
        fn(ctx, value, 1.0, total, true);
    }
}

struct hgrm_ctx {
    FILE *f;
    int dp;
    double scale;
};

static void hgrm_row(void *arg, int64_t value, double p, int64_t cum, bool last)
{
    struct hgrm_ctx *c = arg;
    if (last)
        fprintf(c->f, "%12.*f %2.12f %10lld\n", c->dp, (double)value / c->scale, p, (long long)cum);
    else
        fprintf(c->f, "%12.*f %2.12f %10lld %14.2f\n", c->dp, (double)value / c->scale, p,
                (long long)cum, 1.0 / (1.0 - p));
}

void hdrfmt_percentiles(FILE *f, const struct hist *h, int ticks, double scale)
{
    struct hgrm_ctx c = {f, h->sig_figs, scale};
    int dp = h->sig_figs;
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    hdrfmt_percentile_walk(h, ticks, hgrm_row, &c);
    fprintf(f, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", dp, hist_mean(h) / scale, dp,
            hist_stddev(h) / scale);
    fprintf(f, "#[Max     = %12.*f, Total count    = %12lld]\n", dp, (double)hist_max(h) / scale,
            (long long)h->total_count);
    fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", h->bucket_count, h->sub_bucket_count);
}

/* Zig-zag LEB128 as HdrHistogram writes it: 7 bits a byte for 8 bytes, the
 * ninth byte carries the top 8 bits whole. */
static size_t zz_put(unsigned char *p, int64_t signed_v)
{
    uint64_t v = ((uint64_t)signed_v << 1) ^ (uint64_t)(signed_v >> 63);
    size_t n = 0;
    while (n < 8) {
        if (v >> 7 == 0) {
            p[n++] = (unsigned char)v;
            return n;
        }
        p[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static int zz_get(const unsigned char *p, size_t len, size_t *off, int64_t *out)
{
    uint64_t v = 0;
    int shift = 0;
    for (int n = 0; n < 9; n++) {
        if (*off >= len) return -1;
        unsigned char b = p[(*off)++];
        if (n == 8) {
            v |= (uint64_t)b << 56;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return 0;
}

int hdrfmt_encode(const struct hist *h, unsigned char **out, size_t *len)
{
    int max_index = h->max_value ? hist_counts_index_for(h, h->max_value) + 1 : 0;
    if (max_index > h->counts_len) max_index = h->counts_len;
    unsigned char *raw = xmalloc(V2_HEADER + (size_t)max_index * 9 + 9);
    size_t n = V2_HEADER;
    for (int i = 0; i < max_index;) {
        if (h->counts[i] == 0) {
            int64_t zeros = 0;
            while (i < max_index && h->counts[i] == 0) zeros++, i++;
            n += zeros > 1 ? zz_put(raw + n, -zeros) : zz_put(raw + n, 0);
        } else {
            n += zz_put(raw + n, h->counts[i++]);
        }
    }
    put32(raw, HDRFMT_V2_COOKIE);
    put32(raw + 4, (uint32_t)(n - V2_HEADER));
    put32(raw + 8, 0); /* normalizing index offset */
    put32(raw + 12, (uint32_t)h->sig_figs);
    put64(raw + 16, (uint64_t)h->lowest);
    put64(raw + 24, (uint64_t)h->highest);
    double ratio = 1.0;
    uint64_t bits;
    memcpy(&bits, &ratio, sizeof bits);
    put64(raw + 32, bits);

    uLongf clen = compressBound((uLong)n);
    unsigned char *buf = xmalloc(8 + clen);
    if (compress(buf + 8, &clen, raw, (uLong)n) != Z_OK) {
        free(raw);
        free(buf);
        return -1;
    }
    free(raw);
    put32(buf, HDRFMT_V2_COMPRESSED_COOKIE);
    put32(buf + 4, (uint32_t)clen);
    *out = buf;
    *len = 8 + clen;
    return 0;
}

static struct hist *decode_plain(const unsigned char *p, size_t len)
{
    if (len < V2_HEADER || get32(p) != HDRFMT_V2_COOKIE) return NULL;
    size_t payload = get32(p + 4);
    int sig = (int)get32(p + 12);
    int64_t lowest = (int64_t)get64(p + 16), highest = (int64_t)get64(p + 24);
    if (payload > len - V2_HEADER || get32(p + 8) != 0) return NULL;
    if (highest > INT64_MAX / 4) return NULL;
    struct hist *h = hist_new(lowest, highest, sig);
    if (!h) return NULL;
    size_t off = V2_HEADER, end = V2_HEADER + payload;
    int idx = 0;
    int64_t total = 0;
    while (off < end) {
        int64_t c;
        if (zz_get(p, end, &off, &c)) goto bad;
        if (c < 0) {
            if (c == INT64_MIN || -c > h->counts_len - idx) goto bad;
            idx += (int)-c;
        } else {
            /* Counts past 2^53 lose their units in the doubles of the
             * percentile walk (which then never ends); refuse them. */
            if (idx >= h->counts_len || c > HDRFMT_MAX_COUNT - total) goto bad;
            total += c;
            h->counts[idx++] = c;
        }
    }
    hist_recount(h);
    return h;
bad:
    hist_free(h);
    return NULL;
}

struct hist *hdrfmt_decode(const unsigned char *buf, size_t len)
{
    if (len < 8) return NULL;
    uint32_t cookie = get32(buf);
    if (cookie == HDRFMT_V2_COOKIE) return decode_plain(buf, len);
    if (cookie != HDRFMT_V2_COMPRESSED_COOKIE) return NULL;
    size_t clen = get32(buf + 4);
    if (clen > len - 8) return NULL;
    /* The plain form starts with its own length: inflate the header first. */
    unsigned char head[V2_HEADER];
    uLongf hl = V2_HEADER;
    z_stream zs = {0};
    if (inflateInit(&zs) != Z_OK) return NULL;
    zs.next_in = (unsigned char *)buf + 8;
    zs.avail_in = (uInt)clen;
    zs.next_out = head;
    zs.avail_out = (uInt)hl;
    int zr = inflate(&zs, Z_SYNC_FLUSH);
    inflateEnd(&zs);
    if ((zr != Z_OK && zr != Z_STREAM_END) || zs.avail_out != 0) return NULL;
    size_t plain_len = V2_HEADER + (size_t)get32(head + 4);
    if (plain_len > (size_t)64 << 20) return NULL;
    unsigned char *plain = xmalloc(plain_len);
    uLongf out_len = (uLongf)plain_len;
    struct hist *h = NULL;
    if (uncompress(plain, &out_len, buf + 8, (uLong)clen) == Z_OK && out_len == plain_len)
        h = decode_plain(plain, plain_len);
    free(plain);
    return h;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *hdrfmt_base64(const unsigned char *in, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *o = 0;
    return out;
}

unsigned char *hdrfmt_unbase64(const char *s, size_t *len)
{
    size_t n = strlen(s);
    if (n % 4) return NULL;
    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + k];
            const char *p = c ? strchr(b64, c) : NULL;
            if (c == '=' && i + 4 == n && k >= 2) {
                pad++;
                v <<= 6;
            } else if (p && !pad) {
                v = v << 6 | (uint32_t)(p - b64);
            } else {
                free(out);
                return NULL;
            }
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2) out[o++] = (unsigned char)(v >> 8);
        if (pad < 1) out[o++] = (unsigned char)v;
    }
    *len = o;
    return out;
}

void hdrfmt_log_header(FILE *f, double start)
{
    time_t t = (time_t)start;
    struct tm tm;
    char when[64];
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%a %b %d %H:%M:%S UTC %Y", &tm);
    fprintf(f, "#[Histogram log format version 1.3]\n");
    fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s]\n", start, when);
    fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", start);
    fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
               "\"Interval_Compressed_Histogram\"\n");
}

int hdrfmt_log_interval(FILE *f, const char *tag, double start_s, double length_s,
                        const struct hist *h)
{
    unsigned char *enc;
    size_t len;
    if (hdrfmt_encode(h, &enc, &len)) return -1;
    char *text = hdrfmt_base64(enc, len);
    /* Interval_Max in milliseconds, HistogramLogWriter's default unit ratio. */
    if (tag) fprintf(f, "Tag=%s,", tag);
    fprintf(f, "%.3f,%.3f,%.3f,%s\n", start_s, length_s, (double)hist_max(h) / 1e6, text);
    free(enc);
    free(text);
    return 0;
}

/* One data row: [Tag=NAME,]start,length,max,BASE64. */
static int log_row(char *line, hdrfmt_row_fn fn, void *ctx, int *stopped)
{
    const char *tag = "";
    if (!strncmp(line, "Tag=", 4)) {
        char *comma = strchr(line, ',');
        if (!comma) return -1;
        *comma = 0;
        tag = line + 4;
        line = comma + 1;
    }
    char *end;
    double start = strtod(line, &end);
    if (end == line || *end != ',') return -1;
    double length = strtod(end + 1, &end);
    if (*end != ',') return -1;
    char *b64 = strchr(end + 1, ',');
    if (!b64) return -1;
    b64++;
    b64[strcspn(b64, "\r\n")] = 0;
    size_t len;
    unsigned char *bytes = hdrfmt_unbase64(b64, &len);
    struct hist *h = bytes ? hdrfmt_decode(bytes, len) : NULL;
    free(bytes);
    if (!h) return -1;
    *stopped = fn(ctx, tag, start, length, h);
    hist_free(h);
    return 0;
}

long hdrfmt_log_read(FILE *f, hdrfmt_row_fn fn, void *ctx, long *lines)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0, rc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (line[0] == '#' || line[0] == '"' || line[0] == '\n') continue;
        int stopped = 0;
        if (log_row(line, fn, ctx, &stopped)) {
            rc = lineno;
            break;
        }
        if (stopped) {
            rc = -1;
            break;
        }
    }
    free(line);
    if (lines) *lines = lineno;
    return rc;
}

void hdrfmt_write_hgrm(const char *prefix, const char *name, const struct hist *h)
{
    char path[1200];
    snprintf(path, sizeof path, "%s-%s.hgrm", prefix, name);
    FILE *f = file_create(path);
    if (!f) {
        log_err("cannot write %s", path);
        return;
    }
    hdrfmt_percentiles(f, h, 5, 1e6);
    fclose(f);
}
