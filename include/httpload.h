/* httpload: an open-loop HTTP/1.1 load driver, wrk2's way. Each thread
 * owns an event_base and its keep-alive connections (one request in flight
 * on each); requests are due on the rate's schedule and wait for a free
 * connection when none is, so latency counts from each request's intended
 * send time (corrected) and from its actual send (uncorrected). Each
 * request renders the spec's templates with its run-unique id
 * (template.h: producer = the thread's id, seq from 1), so the checker can
 * follow it to the event it caused (effects.h). `loadgen http` drives a
 * URL alone; a scenario's load.http drives a user's API (docs/services.md). */
#ifndef LOADGEN_HTTPLOAD_H
#define LOADGEN_HTTPLOAD_H

#include "hist.h"
#include "httpspec.h"
#include "schedule.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What became of each request, per second and in all. */
enum http_class { HC_1XX, HC_2XX, HC_3XX, HC_4XX, HC_5XX, HC_TIMEOUT, HC_CONNECT, HC_IO, HC_COUNT };
extern const char *const http_class_names[HC_COUNT]; /* "1xx" ... "timeout", "connect_error", "io_error" */

struct httpload;

/* Resolves the host and starts the threads, idle until httpload_go: NULL
 * with err when the host does not resolve. rate: total requests per second
 * (0: as fast as the connections answer); requests: a total to send (0:
 * until httpload_finish); producer_base: the first thread's producer id in
 * the ids; keep_ids: keep each request's times and outcome for
 * httpload_sent (16 bytes a request). s must outlive h. */
struct httpload *httpload_new(const struct httpload_spec *s, const struct schedule *rate, uint64_t requests,
                              uint32_t run_id, uint32_t producer_base, bool keep_ids, char *err, size_t cap);
/* Sending starts now (CLOCK_MONOTONIC start). */
void httpload_go(struct httpload *h, uint64_t start_ns);
/* No request is sent from now on; those in flight get their answer or time out. */
void httpload_finish(struct httpload *h);
/* Every thread has sent its last request (a requests total) or finished,
 * and none is in flight. */
bool httpload_done(struct httpload *h);
/* Requests answered with a 2xx so far (any thread, while it runs). */
uint64_t httpload_ok(struct httpload *h);
/* Ends the threads (in-flight requests count as timeouts) and merges what
 * they counted; the numbers below are final after it. */
void httpload_join(struct httpload *h);
void httpload_free(struct httpload *h);

/* One thread's requests, for the effects checker: ok bit s: request s got
 * a 2xx; times: per seq, its intended and actual send time. */
struct httpload_sent {
    const uint64_t *ok;
    uint64_t ok_nbits, last;
    const uint64_t *times;
    uint64_t ntimes;
};
int httpload_threads(const struct httpload *h);
void httpload_sent(const struct httpload *h, int thread, struct httpload_sent *out);

/* After httpload_join: totals per class, and run.json's "http" object
 * (counts, rates, error share, corrected and uncorrected latency, the
 * per-second series). */
void httpload_totals(const struct httpload *h, uint64_t *classes, uint64_t *sent);
const struct hist *httpload_latency(const struct httpload *h, bool corrected);
json_t *httpload_json(const struct httpload *h, double measured_s);
/* The summary lines a run prints. */
void httpload_print(const struct httpload *h, double measured_s);

#endif
