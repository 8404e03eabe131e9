/* run_schema: the run.json contract, one table. Every key the writer sets
 * and a reader (gates, the page, JUnit, compare, timeline) reads is named
 * here once, with its type, when it exists, and the label a page shows for
 * it. Code names a key by its RK_ constant, so a misspelled key is a compile
 * error; docs/report-schema.md must list the same keys and types (a unit
 * test compares them), and a real run.json must match the document (a
 * broker test checks it).
 *
 * Paths: dotted object keys; "[]" is every element of an array and "*" every
 * key of an object, so "faults[].action" is the action of each fault step
 * and "latency.*.p99" the p99 of each latency metric. A key below "[]" or
 * "*" is read relative to the element (run_num(step, RK_FAULT_ACTION)). */
#ifndef LOADGEN_RUN_SCHEMA_H
#define LOADGEN_RUN_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum rs_type { RS_INT, RS_INT_NULL, RS_NUM, RS_NUM_NULL, RS_STR, RS_BOOL, RS_ARRAY, RS_OBJECT };

/* RS_RUN: only `loadgen run` writes it. RS_OPTIONAL: may be absent. RS_OPEN:
 * an object whose keys are not all listed (config: every option). */
#define RS_RUN 1u
#define RS_OPTIONAL 2u
#define RS_OPEN 4u

/* X(id, path, type, flags, label) */
#define RUN_SCHEMA(X)                                                                                    \
    X(SCHEMA_VERSION, "schema_version", RS_INT, 0, "schema version")                                     \
    X(TOOL_NAME, "tool.name", RS_STR, 0, "tool")                                                         \
    X(TOOL_VERSION, "tool.version", RS_STR, 0, "tool version")                                           \
    X(ENVIRONMENT, "environment", RS_OBJECT, 0, "environment")                                           \
    X(ENV_HOST, "environment.host", RS_STR, 0, "host")                                                   \
    X(ENV_OS, "environment.os", RS_STR, 0, "OS")                                                         \
    X(ENV_CPUS, "environment.cpus", RS_INT, 0, "CPUs")                                                   \
    X(ENV_LOADGEN_VERSION, "environment.loadgen_version", RS_STR, 0, "loadgen")                          \
    X(ENV_LOADGEN_COMMIT, "environment.loadgen_commit", RS_STR, 0, "commit")                             \
    X(ENV_BROKER_VERSION, "environment.broker_version", RS_STR, 0, "broker version")                     \
    X(ENV_STARTED_AT, "environment.started_at", RS_STR, 0, "started")                                    \
    X(ENV_STARTED_EPOCH, "environment.started_epoch_s", RS_NUM, 0, "started (epoch s)")                  \
    X(CONFIG, "config", RS_OBJECT, RS_OPEN, "configuration")                                             \
    X(CONFIG_URI, "config.uri", RS_STR, 0, "URI")                                                        \
    X(CONFIG_QUEUE_TYPE, "config.queue_type", RS_STR, 0, "queue type")                                   \
    X(CONFIG_RATE, "config.rate", RS_ARRAY, 0, "rate schedule")                                          \
    X(CONFIG_DURATION, "config.duration_s", RS_NUM, 0, "load duration (s)")                              \
    X(BROKER_MODE, "broker.mode", RS_STR, 0, "broker mode")                                              \
    X(BROKER_VERSION, "broker.version", RS_STR, 0, "RabbitMQ")                                           \
    X(INTERRUPTED, "interrupted", RS_BOOL, 0, "interrupted")                                             \
    X(DRAIN_ENDED, "drain.ended", RS_STR, 0, "drain ended")                                              \
    X(DRAIN_STILL_QUEUED, "drain.still_queued", RS_INT_NULL, 0, "still queued")                          \
    X(FINAL_READ, "final_read", RS_OBJECT, RS_OPTIONAL, "final read")                                   \
    X(FR_COMPLETE, "final_read.complete", RS_BOOL, RS_OPTIONAL, "final read complete")                  \
    X(FR_TIME, "final_read.time", RS_NUM, RS_OPTIONAL, "final read (s)")                                \
    X(FR_FOUND, "final_read.found_at_end", RS_INT, RS_OPTIONAL, "found at the end")                     \
    X(FR_QUEUES, "final_read.queues", RS_ARRAY, RS_OPTIONAL, "queues read at the end")                  \
    X(FRQ_QUEUE, "final_read.queues[].queue", RS_STR, RS_OPTIONAL, "queue")                             \
    X(FRQ_DECLARED, "final_read.queues[].declared_by_loadgen", RS_BOOL, RS_OPTIONAL, "declared by loadgen") \
    X(FRQ_COMPLETE, "final_read.queues[].complete", RS_BOOL, RS_OPTIONAL, "read to empty")              \
    X(FRQ_EXISTS, "final_read.queues[].exists", RS_BOOL, RS_OPTIONAL, "exists")                         \
    X(FRQ_READ, "final_read.queues[].read", RS_INT, RS_OPTIONAL, "read")                                \
    X(FRQ_DUPLICATES, "final_read.queues[].duplicates", RS_INT, RS_OPTIONAL, "copies already seen")     \
    X(FRQ_UNEXPECTED, "final_read.queues[].unexpected", RS_INT, RS_OPTIONAL, "not this run's")          \
    X(FRQ_KEPT, "final_read.queues[].left_in_place", RS_BOOL, RS_OPTIONAL, "left in place")             \
    X(FRQ_TIME, "final_read.queues[].time", RS_NUM, RS_OPTIONAL, "time (s)")                            \
    X(FRQ_REASONS, "final_read.queues[].dead_letter_reasons", RS_OBJECT, RS_OPTIONAL | RS_OPEN,         \
      "by x-death reason")                                                                               \
    X(FRQ_WHY, "final_read.queues[].why", RS_STR, RS_OPTIONAL, "why not complete")                      \
    X(HEALTH_PASS, "health.pass", RS_BOOL, 0, "health")                                                  \
    X(HEALTH_REASONS, "health.reasons", RS_ARRAY, 0, "health reasons")                                   \
    X(DURATION, "duration_s", RS_NUM, 0, "ran (s)")                                                      \
    X(MEASURED, "measured_s", RS_NUM, 0, "measured (s)")                                                 \
    X(T_PUBLISHED, "totals.published", RS_INT, 0, "attempted (publishes, incl. republishes)")            \
    X(T_CONFIRMED, "totals.confirmed", RS_INT, 0, "confirmed")                                           \
    X(T_NACKED, "totals.nacked", RS_INT, 0, "nacked")                                                    \
    X(T_RETURNED, "totals.returned", RS_INT, 0, "returned (mandatory, unroutable)")                      \
    X(T_INDETERMINATE, "totals.indeterminate", RS_INT, 0,                                                \
      "indeterminate (no confirm before the connection was lost)")                                       \
    X(T_REPUBLISHED, "totals.republished", RS_INT, 0, "republished")                                     \
    X(T_CONSUMED, "totals.consumed", RS_INT, 0, "consumed (acked deliveries)")                           \
    X(T_UNIQUE, "totals.unique", RS_INT, 0, "unique messages consumed")                                  \
    X(T_LOST, "totals.lost", RS_INT_NULL, 0, "lost (confirmed, never consumed)")                         \
    X(T_LOST_AT_MOST, "totals.lost_at_most", RS_INT_NULL, 0, "lost at most (the queues not read to empty aside)") \
    X(T_FOUND_AT_END, "totals.found_at_end", RS_INT_NULL, 0, "found at the end (the final read)")      \
    X(T_RECOVERED, "totals.recovered", RS_INT_NULL, 0, "recovered (consumed, never confirmed)")          \
    X(T_MISROUTED, "totals.misrouted", RS_INT_NULL, 0, "misrouted (in a queue their route does not reach)") \
    X(T_UNROUTABLE, "totals.unroutable", RS_INT_NULL, 0, "unroutable (confirmed, routed to no queue)")   \
    X(T_GAPS, "totals.gaps", RS_INT, 0, "gaps (missing below the highest)")                              \
    X(T_DUPLICATES, "totals.duplicates", RS_INT, 0, "copies seen by the consumer threads")               \
    X(T_DUPLICATES_TOTAL, "totals.duplicates_total", RS_INT, 0, "duplicates")                            \
    X(T_REDELIVERED, "totals.redelivered", RS_INT, 0, "redelivered (flag set)")                          \
    X(T_DUPLICATES_EXPLAINED, "totals.duplicates_explained", RS_INT, 0,                                  \
      "duplicates explained by a republish")                                                             \
    X(T_DUPLICATES_CROSS_THREAD, "totals.duplicates_cross_thread", RS_INT, 0,                            \
      "duplicates handled on another thread")                                                            \
    X(T_DUPLICATES_UNEXPLAINED, "totals.duplicates_unexplained", RS_INT, 0, "duplicates unexplained")    \
    X(T_OUT_OF_ORDER, "totals.out_of_order", RS_INT, 0, "order violations")                              \
    X(T_EFFECTS, "totals.effects", RS_INT, 0, "effects applied (idempotent consumers)")                  \
    X(T_DUPLICATE_EFFECTS, "totals.duplicate_effects", RS_INT, 0, "duplicate effects")                   \
    X(T_BAD_CHECKSUM, "totals.bad_checksum", RS_INT, 0, "bad checksum")                                  \
    X(T_BAD_FOREIGN, "totals.bad_foreign", RS_INT, 0, "foreign messages")                                \
    X(T_BAD_TRUNCATED, "totals.bad_truncated", RS_INT, 0, "truncated messages")                          \
    X(T_BAD_VERSION, "totals.bad_version", RS_INT, 0, "messages of another format version")              \
    X(T_STALE_RUN, "totals.stale_run", RS_INT, 0, "messages of an earlier run")                          \
    X(T_CONNECT_ERRORS, "totals.connect_errors", RS_INT, 0, "failed connection attempts")                \
    X(T_CONNECTION_ERRORS, "totals.connection_errors", RS_INT, 0, "connections lost")                    \
    X(T_HEARTBEAT_TIMEOUTS, "totals.heartbeat_timeouts", RS_INT, 0, "heartbeat timeouts")                \
    X(T_CHANNEL_ERRORS, "totals.channel_errors", RS_INT, 0, "channel errors")                            \
    X(T_PUBLISH_ERRORS, "totals.publish_errors", RS_INT, 0, "publish errors")                            \
    X(T_CONFIRM_TIMEOUTS, "totals.confirm_timeouts", RS_INT, 0, "confirm timeouts")                      \
    X(T_CONSUMERS_FORGOTTEN, "totals.consumers_forgotten", RS_INT, 0, "consumers the broker forgot")     \
    X(T_RECONNECTS, "totals.reconnects", RS_INT, 0, "reconnects")                                        \
    X(T_HANDLER_FAILURES, "totals.handler_failures", RS_INT, 0, "handler failures")                      \
    X(T_DEAD_LETTERED, "totals.dead_lettered", RS_INT, 0, "dead-lettered (parked, or found past a DLX)") \
    X(T_DL_REJECTED, "totals.dead_letter_rejected", RS_INT, 0, "consumed after a DLX hop: rejected")      \
    X(T_DL_EXPIRED, "totals.dead_letter_expired", RS_INT, 0, "consumed after a DLX hop: expired")         \
    X(T_DL_MAXLEN, "totals.dead_letter_maxlen", RS_INT, 0, "consumed after a DLX hop: maxlen")            \
    X(T_DL_DELIVERY_LIMIT, "totals.dead_letter_delivery_limit", RS_INT, 0, "consumed after a DLX hop: delivery limit") \
    X(T_SENT_LATE, "totals.sent_late", RS_INT, 0, "paced sends over 1 ms late")                        \
    X(T_BLOCKED, "totals.blocked", RS_INT, 0, "connection.blocked (a resource alarm)")               \
    X(T_DEAD_LETTER_QUEUE, "totals.dead_letter_queue", RS_INT_NULL, 0, "in the dead-letter queue")       \
    X(RATE_PUBLISHED, "rates.published", RS_NUM, 0, "published")                                         \
    X(RATE_CONFIRMED, "rates.confirmed", RS_NUM, 0, "confirmed")                                         \
    X(RATE_CONSUMED, "rates.consumed", RS_NUM, 0, "consumed")                                            \
    X(E_CONNECT_ERRORS, "errors.connect_errors", RS_INT, 0, "failed connection attempts")                \
    X(E_CONNECTION_ERRORS, "errors.connection_errors", RS_INT, 0, "connections lost")                    \
    X(E_HEARTBEAT_TIMEOUTS, "errors.heartbeat_timeouts", RS_INT, 0, "heartbeat timeouts")                \
    X(E_CHANNEL_ERRORS, "errors.channel_errors", RS_INT, 0, "channel errors")                            \
    X(E_PUBLISH_ERRORS, "errors.publish_errors", RS_INT, 0, "publish errors")                            \
    X(E_CONFIRM_TIMEOUTS, "errors.confirm_timeouts", RS_INT, 0, "confirm timeouts")                      \
    X(E_CONSUMERS_FORGOTTEN, "errors.consumers_forgotten", RS_INT, 0, "consumers the broker forgot")     \
    X(E_RECONNECTS, "errors.reconnects", RS_INT, 0, "reconnects")                                        \
    X(LATENCY, "latency", RS_OBJECT, 0, "latency")                                                       \
    X(LAT_E2E, "latency.e2e", RS_OBJECT, 0, "e2e")                                                       \
    X(LAT_E2E_UNCORRECTED, "latency.e2e-uncorrected", RS_OBJECT, 0, "e2e-uncorrected")                   \
    X(LAT_CONFIRM, "latency.confirm", RS_OBJECT, 0, "confirm")                                           \
    X(LAT_CONFIRM_UNCORRECTED, "latency.confirm-uncorrected", RS_OBJECT, 0, "confirm-uncorrected")       \
    X(LAT_SEND_LAG, "latency.send-lag", RS_OBJECT, 0, "send lag")                                        \
    X(LAT_COUNT, "latency.*.count", RS_INT, 0, "count")                                                  \
    X(LAT_P50, "latency.*.p50", RS_NUM, 0, "p50")                                                        \
    X(LAT_P75, "latency.*.p75", RS_NUM, 0, "p75")                                                        \
    X(LAT_P90, "latency.*.p90", RS_NUM, 0, "p90")                                                        \
    X(LAT_P95, "latency.*.p95", RS_NUM, 0, "p95")                                                        \
    X(LAT_P99, "latency.*.p99", RS_NUM, 0, "p99")                                                        \
    X(LAT_P999, "latency.*.p99.9", RS_NUM, 0, "p99.9")                                                   \
    X(LAT_P9999, "latency.*.p99.99", RS_NUM, 0, "p99.99")                                                \
    X(LAT_MAX, "latency.*.max", RS_NUM, 0, "max")                                                        \
    X(LAT_MEAN, "latency.*.mean", RS_NUM, 0, "mean")                                                     \
    X(LAT_UNIT, "latency.*.unit", RS_STR, 0, "unit")                                                     \
    X(LAT_VALUES, "latency.*.distribution.value_ms", RS_ARRAY, 0, "values (ms)")                         \
    X(LAT_PERCENTILES, "latency.*.distribution.percentile", RS_ARRAY, 0, "percentiles")                  \
    X(SERIES, "series", RS_ARRAY, 0, "per second")                                                       \
    X(S_T, "series[].t", RS_NUM, 0, "seconds since start")                                               \
    X(S_LENGTH, "series[].length", RS_NUM, 0, "length (s)")                                              \
    X(S_COUNTER, "series[].*", RS_INT, 0, "a per-message counter of totals, that second")                \
    X(S_E2E_P50, "series[].e2e_p50_ms", RS_NUM, 0, "e2e p50")                                            \
    X(S_E2E_P99, "series[].e2e_p99_ms", RS_NUM, 0, "e2e p99")                                            \
    X(S_E2E_MAX, "series[].e2e_max_ms", RS_NUM, 0, "e2e max")                                            \
    X(S_CONFIRM_P50, "series[].confirm_p50_ms", RS_NUM, 0, "confirm p50")                                \
    X(S_CONFIRM_P99, "series[].confirm_p99_ms", RS_NUM, 0, "confirm p99")                                \
    X(BROKER_RESOURCES, "broker_resources", RS_ARRAY, RS_OPTIONAL, "the broker's resources per second") \
    X(BR_T, "broker_resources[].t", RS_NUM, RS_OPTIONAL, "t (s)")                                       \
    X(BR_CPU, "broker_resources[].cpu_pct", RS_NUM_NULL, RS_OPTIONAL, "broker CPU (%)")                 \
    X(BR_RSS, "broker_resources[].rss_mb", RS_NUM_NULL, RS_OPTIONAL, "broker RSS (MB)")                 \
    X(BR_LOADGEN_CPU, "broker_resources[].loadgen_cpu_pct", RS_NUM_NULL, RS_OPTIONAL, "loadgen CPU (%)") \
    X(BR_READY, "broker_resources[].ready", RS_INT_NULL, RS_OPTIONAL, "queue depth (ready)")            \
    X(BR_READY_BY_QUEUE, "broker_resources[].ready_by_queue", RS_OBJECT, RS_OPTIONAL | RS_OPEN,          \
      "ready per queue")                                                                                 \
    X(BR_CONSUMERS, "broker_resources[].consumers", RS_INT_NULL, RS_OPTIONAL, "consumers")              \
    X(BR_UNACKED, "broker_resources[].unacked", RS_INT_NULL, RS_OPTIONAL, "unacked")                    \
    X(BR_CONNECTIONS, "broker_resources[].connections", RS_INT_NULL, RS_OPTIONAL, "connections")        \
    X(BR_CHANNELS, "broker_resources[].channels", RS_INT_NULL, RS_OPTIONAL, "channels")                 \
    X(BR_FLOW, "broker_resources[].flow", RS_INT_NULL, RS_OPTIONAL, "connections in flow control")     \
    X(BR_MEM, "broker_resources[].mem_mb", RS_NUM_NULL, RS_OPTIONAL, "broker memory (MB)")              \
    X(BR_ALARMS, "broker_resources[].alarms", RS_ARRAY, RS_OPTIONAL, "resource alarms")                 \
    X(PROC_USER_CPU, "process.user_cpu_s", RS_NUM, 0, "user CPU (s)")                                    \
    X(PROC_SYS_CPU, "process.sys_cpu_s", RS_NUM, 0, "system CPU (s)")                                    \
    X(PROC_MAX_RSS, "process.max_rss_kb", RS_INT, 0, "peak RSS (kB)")                                    \
    X(PROC_CONNECTIONS, "process.connections", RS_INT, 0, "AMQP connections")                             \
    X(PROC_SETUP, "process.setup_s", RS_NUM, 0, "connection setup (s)")                                   \
    X(SCENARIO, "scenario", RS_OBJECT, RS_RUN, "scenario")                                               \
    X(SCENARIO_NAME, "scenario.name", RS_STR, RS_RUN, "scenario")                                        \
    X(SCENARIO_FILE, "scenario.file", RS_STR, RS_RUN, "file")                                            \
    X(SCENARIO_DESCRIPTION, "scenario.description", RS_STR, RS_RUN, "description")                       \
    X(EFFECTS, "effects", RS_OBJECT, RS_RUN | RS_OPTIONAL,                                                             \
      "a service run: what the service produced, matched to the inputs loadgen published")                             \
    X(EF_QUEUE, "effects.queue", RS_STR, RS_RUN | RS_OPTIONAL, "effects queue")                                        \
    X(EF_INPUTS, "effects.inputs", RS_INT, RS_RUN | RS_OPTIONAL, "inputs published")                                   \
    X(EF_CONFIRMED, "effects.confirmed", RS_INT, RS_RUN | RS_OPTIONAL, "inputs confirmed")                             \
    X(EF_MATCHED, "effects.matched", RS_INT, RS_RUN | RS_OPTIONAL, "inputs with an effect")                            \
    X(EF_LOST, "effects.lost", RS_INT_NULL, RS_RUN | RS_OPTIONAL,                                                      \
      "lost effects (confirmed input, no effect, not parked, not queued)")                                             \
    X(EF_LOST_AT_MOST, "effects.lost_at_most", RS_INT, RS_RUN | RS_OPTIONAL, "lost effects at most")                   \
    X(EF_DUPLICATES, "effects.duplicates", RS_INT, RS_RUN | RS_OPTIONAL, "inputs with more than one effect")           \
    X(EF_EXTRA_COPIES, "effects.extra_copies", RS_INT, RS_RUN | RS_OPTIONAL, "effect copies beyond the first")         \
    X(EF_SAME_KEY, "effects.same_key_copies", RS_INT, RS_RUN | RS_OPTIONAL,                                            \
      "copies with the same key")                                                                                      \
    X(EF_UNEXPECTED, "effects.unexpected", RS_INT, RS_RUN | RS_OPTIONAL, "effects naming no input of this run")        \
    X(EF_UNEXPECTED_SAMPLE, "effects.unexpected_sample", RS_STR, RS_RUN | RS_OPTIONAL, "an unexpected id")             \
    X(EF_DUPLICATE_SAMPLE, "effects.duplicate_sample", RS_STR, RS_RUN | RS_OPTIONAL, "an input with two effects")      \
    X(EF_UNPARSABLE, "effects.unparsable", RS_INT, RS_RUN | RS_OPTIONAL, "effects without a readable id")              \
    X(EF_UNPARSABLE_SAMPLE, "effects.unparsable_sample", RS_STR, RS_RUN | RS_OPTIONAL, "an unparsable effect")         \
    X(EF_UNPARSABLE_WHY, "effects.unparsable_why", RS_STR, RS_RUN | RS_OPTIONAL, "why it could not be read")           \
    X(EF_PARKED, "effects.parked", RS_INT, RS_RUN | RS_OPTIONAL, "inputs parked in the service's dead-letter queue")   \
    X(EF_PENDING, "effects.pending", RS_INT, RS_RUN | RS_OPTIONAL, "inputs still queued at the end")                   \
    X(EF_UNCONFIRMED, "effects.unconfirmed_effects", RS_INT, RS_RUN | RS_OPTIONAL,                                     \
      "effects of inputs never confirmed")                                                                             \
    X(EF_EFFECTS, "effects.effects", RS_INT, RS_RUN | RS_OPTIONAL, "effect deliveries")                                \
    X(EF_REREADS, "effects.rereads", RS_INT, RS_RUN | RS_OPTIONAL, "effects redelivered to loadgen after a reconnect") \
    X(EF_RECONNECTS, "effects.reconnects", RS_INT, RS_RUN | RS_OPTIONAL, "effects consumer reconnects")                \
    X(EF_P99, "effects.p99_ms", RS_NUM_NULL, RS_RUN | RS_OPTIONAL,                                                     \
      "effect p99 (ms; an input without one counts as never)")                                                         \
    X(EF_LATENCY, "effects.latency", RS_OBJECT, RS_RUN | RS_OPTIONAL, "effect latency")                                \
    X(EFL_COUNT, "effects.latency.*.count", RS_INT, RS_RUN | RS_OPTIONAL, "effects timed")                             \
    X(EFL_P50, "effects.latency.*.p50_ms", RS_NUM, RS_RUN | RS_OPTIONAL, "p50 (ms)")                                   \
    X(EFL_P99, "effects.latency.*.p99_ms", RS_NUM, RS_RUN | RS_OPTIONAL, "p99 (ms)")                                   \
    X(EFL_P999, "effects.latency.*.p999_ms", RS_NUM, RS_RUN | RS_OPTIONAL, "p99.9 (ms)")                               \
    X(EFL_MAX, "effects.latency.*.max_ms", RS_NUM, RS_RUN | RS_OPTIONAL, "max (ms)")                                   \
    X(EF_PER_SECOND, "effects.per_second", RS_ARRAY, RS_RUN | RS_OPTIONAL, "effects per second")                       \
    X(EF_END_READ, "effects.end_read", RS_OBJECT, RS_RUN | RS_OPTIONAL, "end read")                                    \
    X(EF_END_COMPLETE, "effects.end_read.complete", RS_BOOL, RS_RUN | RS_OPTIONAL, "every queue read")                 \
    X(EF_END_QUEUES, "effects.end_read.queues", RS_ARRAY, RS_RUN | RS_OPTIONAL, "queues read at the end")              \
    X(EFQ_QUEUE, "effects.end_read.queues[].queue", RS_STR, RS_RUN | RS_OPTIONAL, "queue")                             \
    X(EFQ_ROLE, "effects.end_read.queues[].role", RS_STR, RS_RUN | RS_OPTIONAL, "role")                                \
    X(EFQ_FOUND, "effects.end_read.queues[].found", RS_INT, RS_RUN | RS_OPTIONAL, "inputs found")                      \
    X(EFQ_OTHER, "effects.end_read.queues[].other", RS_INT, RS_RUN | RS_OPTIONAL, "other messages")                    \
    X(EFQ_EXISTS, "effects.end_read.queues[].exists", RS_BOOL, RS_RUN | RS_OPTIONAL, "exists")                         \
    X(EFQ_ERROR, "effects.end_read.queues[].error", RS_STR, RS_RUN | RS_OPTIONAL, "why not read")                      \
    X(HTTP, "http", RS_OBJECT, RS_RUN | RS_OPTIONAL, "load.http: requests to the user's API") \
    X(HTTP_URL, "http.url", RS_STR, RS_RUN | RS_OPTIONAL, "URL") \
    X(HTTP_METHOD, "http.method", RS_STR, RS_RUN | RS_OPTIONAL, "method") \
    X(HTTP_CONNECTIONS, "http.connections", RS_INT, RS_RUN | RS_OPTIONAL, "connections") \
    X(HTTP_THREADS, "http.threads", RS_INT, RS_RUN | RS_OPTIONAL, "threads") \
    X(HTTP_SENT, "http.sent", RS_INT, RS_RUN | RS_OPTIONAL, "requests sent") \
    X(HTTP_OK, "http.ok", RS_INT, RS_RUN | RS_OPTIONAL, "answered 2xx") \
    X(HTTP_STATUS, "http.status", RS_OBJECT, RS_RUN | RS_OPTIONAL, "answers per status class") \
    X(HTTP_TIMEOUTS, "http.timeouts", RS_INT, RS_RUN | RS_OPTIONAL, "no answer in time") \
    X(HTTP_CONNECT_ERRORS, "http.connect_errors", RS_INT, RS_RUN | RS_OPTIONAL, "connection refused or failed") \
    X(HTTP_IO_ERRORS, "http.io_errors", RS_INT, RS_RUN | RS_OPTIONAL, "connection lost or a bad answer") \
    X(HTTP_ERRORS, "http.errors", RS_INT, RS_RUN | RS_OPTIONAL, "requests without a 2xx") \
    X(HTTP_ERROR_SHARE, "http.error_share", RS_NUM_NULL, RS_RUN | RS_OPTIONAL, "share of requests without a 2xx") \
    X(HTTP_LATE_SHARE, "http.late_share", RS_NUM_NULL, RS_RUN | RS_OPTIONAL, "share sent more than 1 ms late") \
    X(HTTP_RATE, "http.rate_sent", RS_NUM, RS_RUN | RS_OPTIONAL, "requests/s sent") \
    X(HTTP_P99, "http.p99_ms", RS_NUM_NULL, RS_RUN | RS_OPTIONAL, "HTTP p99 (ms, from the intended send time)") \
    X(HTTP_LATENCY, "http.latency", RS_OBJECT, RS_RUN | RS_OPTIONAL, "HTTP latency") \
    X(HTTP_SERIES, "http.series", RS_ARRAY, RS_RUN | RS_OPTIONAL, "requests per second by outcome") \
    X(EF_REJECTED_PUBLISHED, "effects.rejected_then_published", RS_INT, RS_RUN | RS_OPTIONAL,                          \
      "requests without a 2xx whose event came all the same")                                                          \
    X(SERVICES, "services", RS_ARRAY, RS_RUN | RS_OPTIONAL, "the services under test")                                 \
    X(SV_NAME, "services[].name", RS_STR, RS_RUN | RS_OPTIONAL, "service")                                             \
    X(SV_COMMAND, "services[].command", RS_ARRAY, RS_RUN | RS_OPTIONAL, "command")                                     \
    X(SV_INSTANCES, "services[].instances", RS_ARRAY, RS_RUN | RS_OPTIONAL, "instances")                               \
    X(SVI_INDEX, "services[].instances[].instance", RS_INT, RS_RUN | RS_OPTIONAL, "instance")                          \
    X(SVI_LOG, "services[].instances[].log", RS_STR, RS_RUN | RS_OPTIONAL, "log")                                      \
    X(SVI_PROXY, "services[].instances[].proxy", RS_STR, RS_RUN | RS_OPTIONAL, "its fault proxy")                      \
    X(SVI_STARTS, "services[].instances[].starts", RS_ARRAY, RS_RUN | RS_OPTIONAL, "starts")                           \
    X(SVI_EXITS, "services[].instances[].exits", RS_ARRAY, RS_RUN | RS_OPTIONAL, "exits")                              \
    X(SVE_AT, "services[].instances[].exits[].at_s", RS_NUM, RS_RUN | RS_OPTIONAL, "at (s)")                           \
    X(SVE_STATUS, "services[].instances[].exits[].status", RS_STR, RS_RUN | RS_OPTIONAL, "how it ended")               \
    X(SVE_EXPECTED, "services[].instances[].exits[].expected", RS_BOOL, RS_RUN | RS_OPTIONAL,                          \
      "caused by a fault or the end")                                                                                  \
    X(SVS_AT, "services[].instances[].starts[].at_s", RS_NUM, RS_RUN | RS_OPTIONAL, "at (s)")                          \
    X(SVS_PID, "services[].instances[].starts[].pid", RS_INT, RS_RUN | RS_OPTIONAL, "pid")                             \
    X(SV_UNEXPECTED_EXITS, "services[].unexpected_exits", RS_INT, RS_RUN | RS_OPTIONAL, "exits no fault caused")       \
    X(FAULTS, "faults", RS_ARRAY, RS_RUN, "fault steps")                                                 \
    X(F_FAULT, "faults[].fault", RS_INT, RS_RUN, "fault")                                                \
    X(F_ACTION, "faults[].action", RS_STR, RS_RUN, "action")                                             \
    X(F_REVERT, "faults[].revert", RS_BOOL, RS_RUN, "revert")                                            \
    X(F_PLANNED, "faults[].planned_s", RS_NUM, RS_RUN, "planned (s)")                                    \
    X(F_STARTED, "faults[].started_s", RS_NUM, RS_RUN, "started (s)")                                    \
    X(F_FINISHED, "faults[].finished_s", RS_NUM, RS_RUN, "finished (s)")                                 \
    X(F_DRIFT, "faults[].drift_s", RS_NUM, RS_RUN, "drift (s)")                                          \
    X(F_OK, "faults[].ok", RS_BOOL, RS_RUN, "ok")                                                        \
    X(F_ERROR, "faults[].error", RS_STR, RS_RUN, "error")                                                \
    X(F_INTERRUPTED, "faults[].interrupted", RS_BOOL, RS_RUN | RS_OPTIONAL, "cut short by Ctrl-C")        \
    X(F_TARGET, "faults[].target", RS_STR, RS_RUN, "target")                                             \
    X(F_DETAIL, "faults[].detail", RS_STR, RS_RUN, "detail")                                             \
    X(F_INSTANCE, "faults[].instance", RS_INT, RS_RUN | RS_OPTIONAL, "instance")                         \
    X(AV_FAULTS, "availability.faults", RS_ARRAY, RS_RUN, "recovery per fault")                          \
    X(CLUSTER_VIEW, "cluster_view", RS_ARRAY, RS_OPTIONAL, "the cluster's own view")                     \
    X(CV_T, "cluster_view[].t", RS_NUM, RS_OPTIONAL, "t (s)")                                            \
    X(CV_VIEW, "cluster_view[].view", RS_STR, RS_OPTIONAL, "view")                                       \
    X(AV_FAULT, "availability.faults[].fault", RS_INT, RS_RUN, "fault")                                  \
    X(AV_ACTION, "availability.faults[].action", RS_STR, RS_RUN, "action")                               \
    X(AV_INJECTED, "availability.faults[].injected_s", RS_NUM, RS_RUN, "injected (s)")                   \
    X(AV_RECOVERY, "availability.faults[].recovery_s", RS_NUM_NULL, RS_RUN, "recovery (s)")              \
    X(AV_WATCHED, "availability.faults[].watched_s", RS_NUM, RS_RUN, "watched for recovery (s)")         \
    X(AV_WORST_RECOVERY, "availability.worst_recovery_s", RS_NUM_NULL, RS_RUN, "worst recovery (s)")     \
    X(AV_LONGEST_NO_CONFIRM, "availability.longest_no_confirm_s", RS_NUM, RS_RUN,                        \
      "longest time without a confirm (s)")                                                              \
    X(MERGED, "merged", RS_OBJECT, RS_OPTIONAL, "merged")                                                \
    X(MERGED_INSTANCES, "merged.instances", RS_INT, RS_OPTIONAL, "instances merged")                     \
    X(MERGED_OF, "merged.of", RS_INT, RS_OPTIONAL, "instances in the run")                               \
    X(MERGED_RUN_ID, "merged.run_id", RS_STR, RS_OPTIONAL, "run id")                                     \
    X(MERGED_MISSING, "merged.missing", RS_STR, RS_OPTIONAL, "instances missing")                        \
    X(MERGED_FROM, "merged.from", RS_ARRAY, RS_OPTIONAL, "run directories")                              \
    X(MERGED_SERIES, "merged.series", RS_STR, RS_OPTIONAL, "series alignment")                           \
    X(CAPACITY, "capacity", RS_OBJECT, RS_OPTIONAL, "capacity")                                          \
    X(CAP_SLO, "capacity.slo", RS_STR, RS_OPTIONAL, "SLO")                                               \
    X(CAP_MSG_S, "capacity.msg_s", RS_NUM_NULL, RS_OPTIONAL, "capacity (msg/s)")                         \
    X(CAP_CONFIRMED, "capacity.confirmed", RS_BOOL, RS_OPTIONAL, "confirmed by the hold")                \
    X(CAP_REQUIRED, "capacity.required", RS_NUM_NULL, RS_OPTIONAL, "required (msg/s)")                   \
    X(CAP_FIRST_FAIL_RATE, "capacity.first_fail_rate", RS_NUM_NULL, RS_OPTIONAL, "lowest failing rate")  \
    X(CAP_FIRST_FAIL_REASONS, "capacity.first_fail_reasons", RS_ARRAY, RS_OPTIONAL, "why it failed")     \
    X(CAP_SEARCH_END, "capacity.search_end", RS_STR, RS_OPTIONAL, "search ended")                        \
    X(CAP_SEARCH_S, "capacity.search_s", RS_NUM, RS_OPTIONAL, "search (s)")                              \
    X(CAP_PRECISION, "capacity.precision", RS_NUM, RS_OPTIONAL, "precision")                             \
    X(CAP_STEP_S, "capacity.step_s", RS_NUM, RS_OPTIONAL, "step (s)")                                    \
    X(CAP_WARMUP_S, "capacity.warmup_s", RS_NUM, RS_OPTIONAL, "step warmup (s)")                         \
    X(CAP_HOLD_S, "capacity.confirm_hold_s", RS_NUM, RS_OPTIONAL, "confirm hold (s)")                    \
    X(CAP_STEPS, "capacity.steps", RS_ARRAY, RS_OPTIONAL, "steps")                                       \
    X(CS_N, "capacity.steps[].n", RS_INT, RS_OPTIONAL, "step")                                           \
    X(CS_PHASE, "capacity.steps[].phase", RS_STR, RS_OPTIONAL, "phase")                                  \
    X(CS_RATE, "capacity.steps[].rate", RS_NUM, RS_OPTIONAL, "offered (msg/s)")                          \
    X(CS_STARTED, "capacity.steps[].started_s", RS_NUM, RS_OPTIONAL, "started (s)")                      \
    X(CS_PASS, "capacity.steps[].pass", RS_BOOL, RS_OPTIONAL, "pass")                                    \
    X(CS_REASONS, "capacity.steps[].reasons", RS_ARRAY, RS_OPTIONAL, "why it failed")                    \
    X(CS_SLO, "capacity.steps[].slo", RS_OBJECT, RS_OPTIONAL | RS_OPEN, "the SLO's values (ms)")         \
    X(CS_PUBLISHED, "capacity.steps[].published_rate", RS_NUM, RS_OPTIONAL, "published (msg/s)")         \
    X(CS_CONSUMED, "capacity.steps[].consumed_rate", RS_NUM, RS_OPTIONAL, "consumed (msg/s)")            \
    X(CS_BACKLOG, "capacity.steps[].backlog_growth", RS_NUM_NULL, RS_OPTIONAL, "backlog growth (msg/s)") \
    X(CS_E2E_P50, "capacity.steps[].e2e_p50_ms", RS_NUM_NULL, RS_OPTIONAL, "e2e p50")                    \
    X(CS_E2E_P99, "capacity.steps[].e2e_p99_ms", RS_NUM_NULL, RS_OPTIONAL, "e2e p99")                    \
    X(CS_E2E_P999, "capacity.steps[].e2e_p999_ms", RS_NUM_NULL, RS_OPTIONAL, "e2e p99.9")                \
    X(CS_CONFIRM_P99, "capacity.steps[].confirm_p99_ms", RS_NUM_NULL, RS_OPTIONAL, "confirm p99")        \
    X(CS_BROKER_CPU, "capacity.steps[].broker_cpu_pct", RS_NUM_NULL, RS_OPTIONAL, "broker CPU (%)")      \
    X(CS_CPU_PER_100K, "capacity.steps[].loadgen_cpu_s_per_100k", RS_NUM_NULL, RS_OPTIONAL,              \
      "loadgen CPU-s per 100k")                                                                          \
    X(VERDICT_PASS, "verdict.pass", RS_BOOL, 0, "pass")                                                  \
    X(VERDICT_STATUS, "verdict.status", RS_STR, 0, "verdict")                                            \
    X(VERDICT_REASONS, "verdict.reasons", RS_ARRAY, 0, "reasons")                                        \
    X(VERDICT_GATES, "verdict.gates", RS_ARRAY, 0, "gates")                                              \
    X(G_GUARANTEE, "verdict.gates[].guarantee", RS_STR, 0, "guarantee")                                  \
    X(G_GATE, "verdict.gates[].gate", RS_STR, 0, "gate")                                                 \
    X(G_MIN, "verdict.gates[].min", RS_NUM_NULL, 0, "min")                                               \
    X(G_MAX, "verdict.gates[].max", RS_NUM_NULL, 0, "max")                                               \
    X(G_ACTUAL, "verdict.gates[].actual", RS_NUM_NULL, 0, "actual")                                      \
    X(G_UNIT, "verdict.gates[].unit", RS_STR, 0, "unit")                                                 \
    X(G_PASS, "verdict.gates[].pass", RS_BOOL, 0, "pass")                                                \
    X(G_STATUS, "verdict.gates[].status", RS_STR, 0, "verdict")                                          \
    X(G_REASON, "verdict.gates[].reason", RS_STR, RS_OPTIONAL, "why unknown")

enum run_key {
#define RS_ENUM(id, path, type, flags, label) RK_##id,
    RUN_SCHEMA(RS_ENUM)
#undef RS_ENUM
    RK_COUNT
};

struct run_key_def {
    const char *path;
    enum rs_type type;
    unsigned flags;
    const char *label;
};
extern const struct run_key_def run_keys[RK_COUNT];

/* The type's name as docs/report-schema.md writes it ("integer or null"). */
const char *run_type_name(enum rs_type t);

/* k's own key, the last part of its path ("connect_errors", "p99.9"): a
 * series element names its counters as the totals do. */
const char *run_key_name(enum run_key k);

/* The value of k in o: o is the run, or for a key below "[]" or "*" the
 * element that holds it. NULL when absent. */
json_t *run_get(json_t *o, enum run_key k);
/* A number (NaN when absent, null or not a number), a string ("" when
 * absent), true only when the value is true. */
double run_num(json_t *o, enum run_key k);
const char *run_str(json_t *o, enum run_key k);
bool run_true(json_t *o, enum run_key k);
/* A series element's counter, named as the total is ("series[].*"):
 * run_counter(point, RK_T_CONSUMED); NaN when absent. */
double run_counter(json_t *point, enum run_key total);
/* Sets k in o (steals v), creating the objects on its path; keys below
 * "[]" or "*" set in the element o. */
void run_set(json_t *o, enum run_key k, json_t *v);

/* Whether run matches the table: each value present has its type, numbers
 * are finite and under 1e15, counts under totals are not negative, and a
 * key that every writer sets is there. -1 with the first offence, named by
 * its path ("totals.lost is not integer or null"). */
int run_schema_check(json_t *run, char *err, size_t cap);

#endif
