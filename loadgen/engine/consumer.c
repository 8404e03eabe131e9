/* Consumer: decodes each delivery as its frames arrive, records latency at
 * ack time, tracks sequences per (queue, producer). --consumer-delay models a
 * single-threaded handler: deliveries queue behind one another without
 * blocking the event loop, and the prefetch bounds how many wait. */
#include "declare.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ACK_HOLD_TICKS 4

static void on_ack_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    consumer_flush_acks(arg);
}

void consumer_init(struct agent *a, struct worker *w)
{
    a->ops = &consumer_ops;
    a->ev_complete = event_new(w->base, -1, 0, consumer_on_complete, a);
    a->ev_ack = event_new(w->base, -1, 0, on_ack_tick, a);
    const struct config *cfg = w->cfg;
    for (int i = 0; i < cfg->rate.n && cfg->multi_ack == 1 && cfg->send_tick_ns; i++)
        if (cfg->rate.value[i]) a->coalesce_acks = true; /* a paced run */
}

void consumer_free(struct agent *a)
{
    if (a->ev_complete) event_free(a->ev_complete);
    if (a->ev_ack) event_free(a->ev_ack);
    free(a->pend);
    free(a->highest);
    free(a->high_keys);
    free(a->park_body);
    free(a->dlq);
}

int consumer_setup(struct agent *a, char *err, size_t cap)
{
    struct conn *c = a->conn;
    const struct config *cfg = c->w->cfg;
    amqp_channel_t ch = (amqp_channel_t)a->channel;
    if (!cfg->predeclared && declare_recover(c->amqp, a->channel, cfg, a->queue_idx, err, cap))
        return -1;
    if (a->set.prefetch) {
        amqp_basic_qos(c->amqp, ch, 0, (uint16_t)a->set.prefetch, 0);
        if (amqpc_check(c->amqp, "basic.qos", err, cap)) return -1;
    }
    amqp_table_entry_t e;
    amqp_table_t args = {0, NULL};
    if (a->set.type == QUEUE_STREAM) {
        /* After a reconnect a stream consumer goes on after the last
         * message it got (a stream keeps them): "next" again would skip
         * what was published while it was away. */
        char *end = "";
        long long off = a->stream_next > 0 ? a->stream_next : strtoll(cfg->stream_offset, &end, 10);
        e.key = amqp_cstring_bytes("x-stream-offset");
        if (*end == 0) { /* an offset: ours, or a number given */
            e.value.kind = AMQP_FIELD_KIND_I64;
            e.value.value.i64 = off;
        } else {
            e.value.kind = AMQP_FIELD_KIND_UTF8;
            e.value.value.bytes = amqp_cstring_bytes(cfg->stream_offset);
        }
        args = (amqp_table_t){1, &e};
    }
    amqp_basic_consume(c->amqp, ch, amqp_cstring_bytes(a->queue), amqp_empty_bytes, 0,
                       cfg->auto_ack, 0, args);
    char what[300];
    snprintf(what, sizeof what, "basic.consume on queue '%s'", a->queue);
    return amqpc_check(c->amqp, what, err, cap);
}

static void ack(struct agent *a, uint64_t tag)
{
    const struct config *cfg = a->conn->w->cfg;
    if (cfg->auto_ack) return;
    a->unacked++;
    a->last_tag = tag;
    /* While sending is paced and deliveries come close together, acks are
     * coalesced into one multiple ack: each write wakes the broker, and a
     * paced run's deliveries come in several small bursts per tick. A
     * quarter of the prefetch window goes at once, so a consumer is never
     * held by its own acks; the rest within ACK_HOLD_TICKS ticks (at 10k
     * msg/s a 1-tick hold cost a wake-up of its own each tick: 1.11 against
     * 1.00 CPU-s per 100k messages). Unpaced, deliveries come in
     * large reads and each read's acks already go in one write; a sparse
     * consumer (1 msg/s) acks at once, in the wake-up of its delivery. */
    if (a->coalesce_acks && a->dense) {
        if (a->unacked < (a->set.prefetch ? (uint64_t)(a->set.prefetch + 3) / 4 : 64)) {
            if (!event_pending(a->ev_ack, EV_TIMEOUT, NULL)) {
                struct timeval tv = tv_from_ns(ACK_HOLD_TICKS * cfg->send_tick_ns);
                event_add(a->ev_ack, &tv);
            }
            return;
        }
    } else if (a->unacked < (uint64_t)cfg->multi_ack)
        return;
    /* multiple when earlier ones were held, by the tick or --multi-ack */
    wire_ack(&a->conn->out, (uint16_t)a->channel, tag, a->unacked > 1 || cfg->multi_ack > 1);
    a->unacked = 0;
    if (a->coalesce_acks) event_del(a->ev_ack); /* nothing held: no wake-up for it */
}

void consumer_flush_acks(struct agent *a)
{
    if (!a->unacked || !a->conn->up) return;
    a->unacked = 0;
    wire_ack(&a->conn->out, (uint16_t)a->channel, a->last_tag, true);
    conn_flush(a->conn);
}

void consumer_lost_connection(struct agent *a)
{
    /* Unacked deliveries go back to the queue; the broker redelivers them. */
    a->unacked = 0;
    if (a->subscribed) atomic_fetch_sub(&a->conn->w->run->attached[a->queue_idx], 1);
    a->subscribed = false;
    if (a->ev_ack) event_del(a->ev_ack);
    a->pend_head = a->pend_count = 0;
    a->busy_until_ns = 0;
    if (a->ev_complete) event_del(a->ev_complete);
}

/* A message counts as consumed once processed and acked (or, with
 * auto-ack, processed): one dropped from a crashed handler's queue is not. */
static void record(struct agent *a, const struct msg_header *h, bool redelivered, enum dl_reason dl, uint64_t now)
{
    struct worker *w = a->conn->w;
    worker_track(w, a, h->producer, h->seq, redelivered, h->attempt, true, dl != DL_NONE);
    if (dl != DL_NONE) w->counters[ST_DL_REJECTED + (dl - DL_REJECTED)]++;
    uint64_t intended = h->intended_ns, sent = h->sent_ns;
    if (h->flags & MSG_FLAG_REALTIME) now = clock_realtime_ns() - (clock_ns() - now); /* now may be an arrival */
    w->counters[ST_CONSUMED]++;
    hist_record(w->hists.h[SH_E2E], (int64_t)(now - intended));
    hist_record(w->hists.h[SH_E2E_UNCORRECTED], (int64_t)(now - sent));
}

/* xorshift64*: the worker's own generator, no shared state. */
static double rand01(struct worker *w)
{
    w->rng ^= w->rng >> 12, w->rng ^= w->rng << 25, w->rng ^= w->rng >> 27;
    return (double)((w->rng * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* A message that failed too often goes to QUEUE.dlq, rebuilt byte for byte
 * from its header (the payload depends only on its length), then is acked. */
static void park(struct agent *a, const struct msg_header *h)
{
    struct conn *c = a->conn;
    size_t len = MSG_HEADER_LEN + h->payload_len;
    if (len > a->park_cap) {
        a->park_body = xrealloc(a->park_body, len);
        a->park_cap = len;
    }
    msg_fill_payload(a->park_body + MSG_HEADER_LEN, h->payload_len);
    uint32_t crc = (uint32_t)crc32(0, a->park_body + MSG_HEADER_LEN, (uInt)h->payload_len);
    msg_encode(a->park_body, h, crc);
    if (!a->dlq) {
        char name[256];
        a->dlq = xstrdup(declare_side_queue(a->queue, "dlq", name, sizeof name));
    }
    wire_publish(&c->out, (uint16_t)a->channel, "", a->dlq, false, 2, -1, NULL, a->park_body, len, c->frame_max);
}

/* The handler's outcome: processed and acked, or failed (--fail-rate): nacked
 * with requeue, nacked to be dropped or dead-lettered, or parked. */
static void handle(struct agent *a, uint64_t tag, const struct msg_header *h, bool redelivered,
                   uint32_t rejections, enum dl_reason dl, uint64_t now)
{
    struct worker *w = a->conn->w;
    const struct config *cfg = w->cfg;
    if (a->set.fail_rate > 0 && rand01(w) < a->set.fail_rate) {
        w->counters[ST_HANDLER_FAILED]++;
        if (redelivered || h->attempt > 1) worker_note_explained(w, a, h->producer, h->seq);
        if (a->set.fail_action == FAIL_RETRY && rejections >= (uint32_t)cfg->max_retries) {
            park(a, h);
            worker_track(w, a, h->producer, h->seq, redelivered, h->attempt, false, false);
            w->counters[ST_DEAD_LETTERED]++;
            ack(a, tag);
            return;
        }
        wire_nack(&a->conn->out, (uint16_t)a->channel, tag, a->set.fail_action == FAIL_REQUEUE);
        return;
    }
    record(a, h, redelivered, dl, now);
    ack(a, tag);
}

static void arm(struct agent *a, uint64_t now)
{
    if (!a->pend_count) return;
    uint64_t at = a->pend[a->pend_head].done_ns, d = at > now ? at - now : 0;
    struct timeval tv = tv_from_ns(d);
    event_add(a->ev_complete, &tv);
}

void consumer_on_complete(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct agent *a = arg;
    uint64_t now = clock_ns();
    while (a->pend_count && a->pend[a->pend_head].done_ns <= now && a->conn->up) {
        struct pending_ack *p = &a->pend[a->pend_head];
        a->pend_head = (a->pend_head + 1) % a->pend_cap;
        a->pend_count--;
        handle(a, p->tag, &p->h, p->redelivered, p->rejections, p->dead_letter, now);
    }
    if (a->conn->up && !conn_flush(a->conn) && a->conn->up) arm(a, now);
}

static void defer(struct agent *a, uint64_t tag, const struct msg_header *h, bool redelivered,
                  uint32_t rejections, enum dl_reason dl, uint64_t now)
{
    if (a->pend_count == a->pend_cap) {
        uint64_t ncap = a->pend_cap ? a->pend_cap * 2 : 64;
        struct pending_ack *n = xcalloc(ncap, sizeof *n);
        for (uint64_t i = 0; i < a->pend_count; i++) n[i] = a->pend[(a->pend_head + i) % a->pend_cap];
        free(a->pend);
        a->pend = n;
        a->pend_cap = ncap;
        a->pend_head = 0;
    }
    uint64_t start = a->busy_until_ns > now ? a->busy_until_ns : now;
    a->busy_until_ns = start + a->set.consumer_delay_ns;
    a->pend[(a->pend_head + a->pend_count) % a->pend_cap] =
        (struct pending_ack){.done_ns = a->busy_until_ns, .tag = tag, .h = *h,
                             .redelivered = redelivered, .rejections = rejections,
                             .dead_letter = dl};
    if (++a->pend_count == 1) arm(a, now);
}

void consumer_on_message(struct agent *a, struct chan_rx *rx)
{
    struct worker *w = a->conn->w;
    uint64_t now = conn_rx_ns(a->conn);
    /* deliveries within two send ticks of each other: more are coming
     * (reads that wait for the tick come a tick apart, rxbatch.c) */
    a->dense = now - a->last_delivery_ns < 2 * w->cfg->send_tick_ns;
    a->last_delivery_ns = now;
    if (rx->stream_offset >= 0) a->stream_next = rx->stream_offset + 1;
    if (rx->redelivered) w->counters[ST_REDELIVERED]++;
    struct msg_header h;
    enum msg_status st = msg_decoder_finish(&rx->dec, &h);
    if (st != MSG_OK || h.run_id != w->run->run_id) {
        /* Counted, never trusted: acked so it does not come back. */
        w->counters[st == MSG_FOREIGN         ? ST_BAD_FOREIGN
                    : st == MSG_TRUNCATED     ? ST_BAD_TRUNCATED
                    : st == MSG_BAD_VERSION   ? ST_BAD_VERSION
                    : st == MSG_BAD_CHECKSUM  ? ST_BAD_CHECKSUM
                                              : ST_STALE_RUN]++;
        ack(a, rx->tag);
        return;
    }
    if (a->set.consumer_delay_ns) {
        defer(a, rx->tag, &h, rx->redelivered, rx->rejections, rx->dead_letter, now);
        return;
    }
    handle(a, rx->tag, &h, rx->redelivered, rx->rejections, rx->dead_letter, now);
}

static void attached(struct agent *a)
{
    struct run_ctx *run = a->conn->w->run;
    a->unacked = 0;
    if (!run->attached || a->queue_idx >= run->nqueues) return;
    a->forgot_seen = atomic_load(&run->forgot_gen[a->queue_idx]);
    atomic_fetch_add(&run->attached[a->queue_idx], 1);
    a->subscribed = true;
}

const struct agent_ops consumer_ops = {
    .setup = consumer_setup, .attached = attached, .lost_connection = consumer_lost_connection,
    .on_message = consumer_on_message, .flush_acks = consumer_flush_acks,
};
