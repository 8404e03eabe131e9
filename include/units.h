/* units: strict unit-aware parsers for option and scenario values.
 * Each returns 0 on success and stores the value; -1 when the text is not a
 * number with a known suffix (nothing is stored). Junk never parses as 0. */
#ifndef LOADGEN_UNITS_H
#define LOADGEN_UNITS_H

#include <stdint.h>

/* "250us", "500ms", "2s", "1m", "1h", "1.5s"; a bare number is seconds. */
int units_duration(const char *s, uint64_t *ns);
/* "100", "10k", "2M", "1G" (powers of 1000); fractions allowed if the result
 * is whole ("1.5k"). */
int units_count(const char *s, uint64_t *out);
/* "512", "4KiB", "1MiB", "1GiB" (powers of 1024), "4KB"/"4k" (powers of 1000). */
int units_size(const char *s, uint64_t *bytes);
/* A bit rate in tc's decimal units: "500kbit", "10mbit", "1gbit", "8000bit"
 * (8 kbit/s to 100 gbit/s). 0 or -1. */
int units_bitrate(const char *s, uint64_t *bits_per_s);

#endif
