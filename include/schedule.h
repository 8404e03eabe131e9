/* schedule: a value that changes over the run ("1000:10s,5k:10s"), for the
 * rate and the message size. */
#ifndef LOADGEN_SCHEDULE_H
#define LOADGEN_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define SCHEDULE_MAX_STEPS 64

/* Piecewise: value[i] for dur_ns[i], then the next; the last step holds
 * until the end. */
struct schedule {
    int n;
    uint64_t value[SCHEDULE_MAX_STEPS];
    uint64_t dur_ns[SCHEDULE_MAX_STEPS]; /* 0 on the last step: forever */
};

/* Parses "V" or "V:DUR,V:DUR,..." (values by units_count, or units_size
 * when sizes); -1 on a malformed schedule. */
int schedule_parse(const char *s, bool sizes, struct schedule *out);
/* Value of a schedule at t ns since the start. */
uint64_t schedule_at(const struct schedule *s, uint64_t t_ns);

#endif
