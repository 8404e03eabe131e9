/* hdrfmt: HdrHistogram-compatible output of a struct hist.
 * - percentile distribution text (.hgrm), as HistogramLogProcessor prints it;
 * - V2 compressed encoding (cookie 0x1c849314 around zlib-deflated V2
 *   payload, zig-zag LEB128 counts) and its base64 form;
 * - interval log (.hlog) format 1.3, tagged rows. */
#ifndef LOADGEN_HDRFMT_H
#define LOADGEN_HDRFMT_H

#include "hist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HDRFMT_V2_COOKIE 0x1c849313
#define HDRFMT_V2_COMPRESSED_COOKIE 0x1c849314
/* The largest total count a decoded histogram may hold: 2^53, where doubles
 * stop counting in units. */
#define HDRFMT_MAX_COUNT ((int64_t)1 << 53)

/* Walks the percentile distribution as the .hgrm table does: fn gets each
 * row's value (the histogram's unit), percentile (0..1) and cumulative count;
 * `last` marks the closing 100% row. */
typedef void (*hdrfmt_point_fn)(void *ctx, int64_t value, double percentile, int64_t cum, bool last);
void hdrfmt_percentile_walk(const struct hist *h, int ticks_per_half_distance, hdrfmt_point_fn fn,
                            void *ctx);

/* Percentile table with ticks_per_half_distance ticks (5 is the classic),
 * values divided by value_scale (1e6: ns printed as ms). */
void hdrfmt_percentiles(FILE *f, const struct hist *h, int ticks_per_half_distance,
                        double value_scale);
/* That table (5 ticks, ns as ms) into PREFIX-NAME.hgrm; logs a file it
 * cannot write. */
void hdrfmt_write_hgrm(const char *prefix, const char *name, const struct hist *h);

/* Compressed V2 bytes of h; returns 0 and a malloc'd buffer (caller frees). */
int hdrfmt_encode(const struct hist *h, unsigned char **out, size_t *len);
/* Decodes compressed (0x1c849314) or plain (0x1c849313) V2 bytes into a new
 * histogram; returns NULL on any malformation (never reads past len). */
struct hist *hdrfmt_decode(const unsigned char *buf, size_t len);

/* Standard base64 with padding; malloc'd NUL-terminated string. */
char *hdrfmt_base64(const unsigned char *buf, size_t len);
/* Returns malloc'd bytes or NULL when s is not base64. */
unsigned char *hdrfmt_unbase64(const char *s, size_t *len);

/* Interval log writer. start_epoch_s labels the log; rows carry seconds
 * relative to it. */
void hdrfmt_log_header(FILE *f, double start_epoch_s);
/* One row; tag may be NULL. Returns 0 or -1 (encoding failed). */
int hdrfmt_log_interval(FILE *f, const char *tag, double start_s, double length_s,
                        const struct hist *h);

/* Reads an interval log's rows in order: fn(ctx, tag ("" untagged),
 * start_s, length_s, h) for each (h freed after the call); fn non-zero
 * stops. Returns 0, the line number of a malformed row, or -1 when fn
 * stopped; lines (may be NULL): the lines read, the last one the row fn
 * stopped at. */
typedef int (*hdrfmt_row_fn)(void *ctx, const char *tag, double start_s, double length_s, const struct hist *h);
long hdrfmt_log_read(FILE *f, hdrfmt_row_fn fn, void *ctx, long *lines);

#endif
