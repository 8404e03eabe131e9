/* stats: one thread's counters and latency histograms. Owned and written
 * only by its worker; handed to the collector once per interval. */
#ifndef LOADGEN_STATS_H
#define LOADGEN_STATS_H

#include "hist.h"

#include <stdint.h>

enum stats_counter {
    ST_PUBLISHED, ST_CONFIRMED, ST_NACKED, ST_RETURNED, ST_CONSUMED, ST_REDELIVERED,
    ST_DUPLICATES, ST_OUT_OF_ORDER, ST_INDETERMINATE, ST_BAD_FOREIGN, ST_BAD_TRUNCATED,
    ST_BAD_VERSION, ST_BAD_CHECKSUM, ST_STALE_RUN, ST_ERR_CONNECT, ST_ERR_CONNECTION,
    ST_ERR_HEARTBEAT, ST_ERR_CHANNEL, ST_ERR_PUBLISH, ST_ERR_CONFIRM_TIMEOUT,
    ST_CONSUMERS_FORGOTTEN, /* a consumer the broker no longer listed: subscribed again (resources.c) */
    ST_RECONNECTS, ST_REPUBLISHED,
    ST_DUP_EXPLAINED, ST_EFFECTS, ST_HANDLER_FAILED, ST_DEAD_LETTERED,
    /* consumed after a dead-letter hop, by the latest x-death reason */
    ST_DL_REJECTED, ST_DL_EXPIRED, ST_DL_MAXLEN, ST_DL_DELIVERY_LIMIT,
    ST_SENT_LATE, /* a paced first send more than 1 ms after its intended time */
    ST_BLOCKED,   /* connection.blocked: the broker stopped reading publishers (an alarm) */
    ST_COUNT
};

/* send-lag: a paced first send's actual minus intended time (the send
 * accuracy: corrected and uncorrected latencies differ by it) */
enum stats_hist { SH_E2E, SH_E2E_UNCORRECTED, SH_CONFIRM, SH_CONFIRM_UNCORRECTED, SH_SEND_LAG, SH_COUNT };

extern const char *const stats_counter_names[ST_COUNT];
extern const char *const stats_hist_names[SH_COUNT];

struct stats_hists {
    struct hist *h[SH_COUNT];
};

void stats_hists_init(struct stats_hists *s);
void stats_hists_free(struct stats_hists *s);
void stats_hists_reset(struct stats_hists *s);
void stats_hists_add(struct stats_hists *dst, const struct stats_hists *src);

#endif
