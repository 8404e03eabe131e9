/* capacity: the highest total rate at which a load holds an SLO. The SLO
 * ("e2e_p99=20ms,confirm_p99=50ms,backlog_growth=0"), one step's judgement
 * from its run.json, and the search: a geometric ramp to the first failing
 * rate, then a bisection of the bracket down to a precision. The command
 * (cmd_capacity.c) runs the steps and confirms the answer. */
#ifndef LOADGEN_CAPACITY_H
#define LOADGEN_CAPACITY_H

#include "run_schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CAP_MAX_TERMS 8
#define CAP_MAX_STEPS 64

struct cap_term {
    char name[24];        /* as written: e2e_p99 */
    enum run_key metric;  /* RK_LAT_E2E or RK_LAT_CONFIRM */
    enum run_key pct;     /* RK_LAT_P50 ... RK_LAT_P9999 */
    double limit_ms;
};

struct cap_slo {
    struct cap_term t[CAP_MAX_TERMS];
    int n;
    double backlog_growth; /* msg/s the queues may grow by; beyond noise (cap_judge) */
};

/* Parses "e2e_p99=20ms[,confirm_p99.9=50ms][,backlog_growth=0]". The
 * latency metrics are e2e and confirm, percentiles p50 to p99.99, limits
 * durations. -1 with the reason naming the term. */
int cap_slo_parse(const char *s, struct cap_slo *slo, char *err, size_t cap);
/* "e2e p99 <= 20 ms, confirm p99 <= 50 ms" */
void cap_slo_text(const struct cap_slo *slo, char *buf, size_t cap);

/* One step at offered rate (msg/s) judged from its run.json: appends why
 * it failed to reasons (none: it passed) and sets the step's figures in
 * step (the SLO's actual values, rates, backlog growth, broker CPU). A
 * number that could not be computed fails the step, never passes it. */
bool cap_judge(const struct cap_slo *slo, double rate, json_t *run, bool one_to_one, json_t *reasons,
               json_t *step);

struct cap_search {
    double start, factor, precision, min_rate, max_rate;
    double lo, hi; /* the highest passing below the lowest failing rate (0: none yet) */
    double passes[CAP_MAX_STEPS];
    int npass;
    bool started;
    const char *end; /* why the search ended, once it did */
};

void cap_search_init(struct cap_search *s, double start, double factor, double precision, double min_rate,
                     double max_rate);
/* The next rate to try, or 0 when the search is over (s->end says why). */
double cap_search_next(struct cap_search *s);
void cap_search_record(struct cap_search *s, double rate, bool pass);
/* "ramp" while one side of the bracket is open, then "bisect". */
const char *cap_search_phase(const struct cap_search *s);

#endif
