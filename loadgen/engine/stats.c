#include "stats.h"

#include <stddef.h>

const char *const stats_counter_names[ST_COUNT] = {
    "published", "confirmed", "nacked", "returned", "consumed", "redelivered", "duplicates",
    "out_of_order", "indeterminate", "bad_foreign", "bad_truncated", "bad_version",
    "bad_checksum", "stale_run", "connect_errors", "connection_errors", "heartbeat_timeouts",
    "channel_errors", "publish_errors", "confirm_timeouts", "consumers_forgotten", "reconnects", "republished",
    "duplicates_explained",
    "effects", "handler_failures", "dead_lettered",
    "dead_letter_rejected", "dead_letter_expired", "dead_letter_maxlen", "dead_letter_delivery_limit",
    "sent_late",
    "blocked",
};

const char *const stats_hist_names[SH_COUNT] = {"e2e", "e2e-uncorrected", "confirm",
                                                "confirm-uncorrected", "send-lag"};

void stats_hists_init(struct stats_hists *s)
{
    for (int i = 0; i < SH_COUNT; i++) s->h[i] = hist_new_default();
}

void stats_hists_free(struct stats_hists *s)
{
    for (int i = 0; i < SH_COUNT; i++) {
        hist_free(s->h[i]);
        s->h[i] = NULL;
    }
}

void stats_hists_reset(struct stats_hists *s)
{
    for (int i = 0; i < SH_COUNT; i++) hist_reset(s->h[i]);
}

void stats_hists_add(struct stats_hists *dst, const struct stats_hists *src)
{
    for (int i = 0; i < SH_COUNT; i++) hist_add(dst->h[i], src->h[i]);
}
