/* metrics: Prometheus text (exposition format 0.0.4) at http://ADDR/metrics
 * while the runs of this process go on, on a libevent thread of its own.
 * One server per process: the counters add up over every run it serves
 * (capacity's steps), as a Prometheus counter must. Every setter is a
 * no-op while no server runs. */
#ifndef LOADGEN_METRICS_H
#define LOADGEN_METRICS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct hist;
struct res_sample;

/* Binds addr ("HOST:PORT", "[V6]:PORT", or "PORT" on 127.0.0.1) and
 * serves; a host other than loopback only with remote. -1 with the reason. */
int metrics_start(const char *addr, bool remote, char *err, size_t cap);
/* Serves linger_ns more (the final values for a last scrape), then ends. */
void metrics_stop(uint64_t linger_ns);

/* One collector second: counter deltas (ST_COUNT of them), its length, and
 * its corrected e2e and confirm histograms. */
void metrics_add_interval(const uint64_t *delta, double length_s, const struct hist *e2e,
                          const struct hist *confirm);
void metrics_set_broker(const struct res_sample *x);
/* The fault now in effect (NULL: none). */
void metrics_set_fault(const char *action, const char *target);
void metrics_set_verdict(const char *status);
void metrics_set_offered(double msg_s);
void metrics_set_capacity(double msg_s);

#endif
