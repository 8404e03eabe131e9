/* Open-loop producer: each message has an intended send time from the rate
 * schedule (wrk2 style); a stall (confirm window full, socket full, broker
 * blocked) delays sending but not the intended times, so latency measured
 * from them shows the stall. Catch-up goes in bounded batches.
 *
 * A retrying client: what was unconfirmed when the connection died, and
 * what the broker nacked, has an unknown fate; it is republished first after
 * the reconnect, same sequence, attempt + 1, same intended time (so the
 * outage shows in its latency). --no-republish models a naive client.
 *
 * Paced sending is released in ticks (--send-tick, 1 ms by default): a
 * tick releases the messages whose places in the rate schedule fall
 * between it and the next tick (so a run's last tick is inside its
 * duration). Every producer's ticks fall on one grid from the start, so
 * one wake-up sends what is due for all of them in one write each. A
 * wake-up costs about 23 us of CPU on a 2-core VM (measured with a bare
 * clock_nanosleep loop), which at 10k msg/s, one per message, was most of
 * the client's cost. The due time is the intended time, so latency stays
 * measured from it; send-lag records how late each send still was. */
#include "declare.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SEND_BATCH 128
#define BLOCKED_RETRY_NS (1 * NS_PER_MS)
/* A nack says the broker refused (a full queue with reject-publish, a
 * failing quorum queue): republishing at once would hammer it. Republishes
 * wait a backoff (as reconnects do, doubling per nack in a row, reset by a
 * confirm), and the unconfirmed window shrinks like TCP's congestion window:
 * halved per nack, grown by one per confirm back up to --confirm. */
#define NACK_BACKOFF_MIN_NS (100 * NS_PER_MS)
#define NACK_BACKOFF_MAX_NS (5 * NS_PER_SEC)

static void schedule(struct agent *a, uint64_t delay_ns)
{
    struct timeval tv = tv_from_ns(delay_ns);
    event_add(a->ev_send, &tv);
}

static void set_payload(struct agent *a, uint64_t len)
{
    if (len + MSG_HEADER_LEN > a->body_cap) {
        a->body_cap = len + MSG_HEADER_LEN;
        a->body = xrealloc(a->body, a->body_cap);
    }
    /* The crc is computed once per size. */
    msg_fill_payload(a->body + MSG_HEADER_LEN, len);
    a->payload_len = len;
    a->payload_crc = (uint32_t)crc32(0, a->body + MSG_HEADER_LEN, (uInt)len);
}

#define RING_FIRST 8

/* Doubles the ring (at most to `most`), its entries in order from 0. */
static void ring_grow(struct agent *a, uint64_t most)
{
    uint64_t cap = a->ring_cap * 2 < most ? a->ring_cap * 2 : most;
    struct inflight *n = xcalloc((size_t)cap, sizeof *n);
    for (uint64_t i = 0; i < a->ring_count; i++) n[i] = a->ring[(a->ring_head + i) % a->ring_cap];
    free(a->ring);
    a->ring = n;
    a->ring_head = 0;
    a->ring_cap = cap;
}

void producer_init(struct agent *a, struct worker *w)
{
    a->ops = &producer_ops;
    const struct config *cfg = w->cfg;
    a->seq = 1;
    a->next_tag = 1;
    /* The ring starts small: 5,000 producers at 1 msg/s never had more
     * than one message in flight, yet a full ring each was 5 KB of RSS. */
    a->ring_cap = cfg->confirm < RING_FIRST ? (uint64_t)cfg->confirm : RING_FIRST;
    if (a->ring_cap) a->ring = xcalloc((size_t)a->ring_cap, sizeof *a->ring);
    a->cwnd = (uint64_t)cfg->confirm;
    set_payload(a, schedule_at(&cfg->size, 0));
    if (cfg->tpl) producer_tpl_init(a);
    a->ev_send = event_new(w->base, -1, 0, producer_pump, a);
}

void producer_free(struct agent *a)
{
    if (a->ev_send) event_free(a->ev_send);
    free(a->ring);
    free(a->retry);
    free(a->body);
    free(a->confirmed);
    producer_tpl_free(a);
}

void producer_attached(struct agent *a)
{
    a->next_tag = 1; /* a new channel numbers its publishes from 1 */
    a->ring_head = a->ring_count = 0;
}

/* The connector's thread: RPCs only, no agent state. */
int producer_setup(struct agent *a, char *err, size_t cap)
{
    struct conn *c = a->conn;
    /* A non-durable exchange is gone after a broker crash: publishing to it
     * would close the channel at every attempt. */
    if (!c->w->cfg->predeclared && declare_recover(c->amqp, a->channel, c->w->cfg, -1, err, cap)) return -1;
    if (!c->w->cfg->confirm) return 0;
    amqp_confirm_select(c->amqp, (amqp_channel_t)a->channel);
    return amqpc_check(c->amqp, "confirm.select", err, cap);
}

uint64_t producer_oldest_unconfirmed_ns(const struct agent *a)
{
    return a->ring_count ? a->ring[a->ring_head].sent_ns : 0;
}

uint64_t producer_inflight(const struct agent *a)
{
    return a->ring_count + a->retry_count;
}

static void retry_push(struct agent *a, const struct inflight *e)
{
    if (a->retry_count == a->retry_cap) {
        uint64_t cap = a->retry_cap ? a->retry_cap * 2 : 64;
        struct inflight *n = xcalloc(cap, sizeof *n);
        for (uint64_t i = 0; i < a->retry_count; i++) n[i] = a->retry[(a->retry_head + i) % a->retry_cap];
        free(a->retry);
        a->retry = n;
        a->retry_cap = cap;
        a->retry_head = 0;
    }
    a->retry[(a->retry_head + a->retry_count++) % a->retry_cap] = *e;
}

void producer_lost_connection(struct agent *a)
{
    const struct config *cfg = a->conn->w->cfg;
    /* No confirm will come for these: their outcome is unknown. */
    a->conn->w->counters[ST_INDETERMINATE] += a->ring_count;
    for (uint64_t i = 0; i < a->ring_count && !cfg->no_republish; i++) {
        struct inflight *e = &a->ring[(a->ring_head + i) % a->ring_cap];
        if (!e->done) retry_push(a, e);
    }
    a->ring_head = a->ring_count = 0;
    a->retry_after_ns = 0; /* the reconnect backoff already waited */
    event_del(a->ev_send);
}

static void publish(struct agent *a, uint64_t seq, uint32_t attempt, uint64_t intended, uint64_t now)
{
    struct conn *c = a->conn;
    struct worker *w = c->w;
    const struct config *cfg = w->cfg;
    uint64_t want = schedule_at(&cfg->size, now - w->run->start_ns);
    if (want != a->payload_len) set_payload(a, want);
    struct msg_header h = {.producer = (uint32_t)a->id, .seq = seq, .attempt = attempt,
                           .payload_len = (uint32_t)a->payload_len, .intended_ns = intended,
                           .sent_ns = now, .run_id = w->run->run_id};
    if (cfg->realtime_clock) {
        uint64_t rt = clock_realtime_ns();
        h.flags = MSG_FLAG_REALTIME;
        h.intended_ns = rt - (now - intended);
        h.sent_ns = rt;
    }
    msg_encode(a->body, &h, a->payload_crc);
    size_t len = MSG_HEADER_LEN + a->payload_len;
    const char *key = a->routing_key;
    const struct wire_table *headers = NULL;
    int priority = -1;
    if (config_routed(cfg) && cfg->n_routing_keys) {
        /* the route the checker recomputes from (producer, seq) */
        int k = route_pick(cfg->routing_weights, cfg->n_routing_keys, (uint32_t)a->id, seq);
        key = cfg->routing_keys[k];
        priority = cfg->routing_priority[k] - 1;
        if (k < w->nroute_headers && w->route_headers[k].len > 4) headers = &w->route_headers[k];
    }
    if (cfg->tpl) {
        struct wire_props pr = {.delivery_mode = cfg->persistent ? 2 : 1, .priority = priority};
        const void *body;
        len = producer_tpl_render(a, seq, intended, now, &body, &pr);
        wire_publish_props(&c->out, (uint16_t)a->channel, cfg->exchange, key, cfg->mandatory, &pr, body, len,
                           c->frame_max);
        if (cfg->effects && attempt == 1) producer_tpl_times(a, seq, intended, now);
    } else {
        wire_publish(&c->out, (uint16_t)a->channel, cfg->exchange, key, cfg->mandatory, cfg->persistent ? 2 : 1,
                     priority, headers, a->body, len, c->frame_max);
    }
    w->counters[attempt > 1 ? ST_REPUBLISHED : ST_PUBLISHED]++;
    c->bytes_since_check += len + 32;
    if (cfg->confirm) {
        if (a->ring_count == a->ring_cap) ring_grow(a, (uint64_t)cfg->confirm);
        struct inflight *e = &a->ring[(a->ring_head + a->ring_count) % a->ring_cap];
        *e = (struct inflight){.tag = a->next_tag, .seq = seq, .intended_ns = intended,
                               .sent_ns = now, .attempt = attempt};
        a->ring_count++;
    }
    a->next_tag++;
}

/* The tick at or before t (ns since the start of publishing). */
static uint64_t due_tick(uint64_t t, uint64_t tick)
{
    return tick ? t / tick * tick : t;
}

static void finish(struct agent *a)
{
    if (a->done) return;
    a->done = true;
    a->conn->w->nproducers++;
}

static void pump(struct agent *a);

/* Publishes go to the connection's buffer; one write sends the batch. */
void producer_pump(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct agent *a = arg;
    pump(a);
    if (a->conn->up) conn_flush(a->conn);
    conn_read_waiting(a->conn->w); /* after the sends: reads that waited must not delay them */
}

static void pump(struct agent *a)
{
    struct conn *c = a->conn;
    struct worker *w = c->w;
    const struct config *cfg = w->cfg;
    if (!c->up) return;
    uint64_t start = w->run->start_ns;
    uint64_t now = clock_ns();
    for (int n = 0; n < SEND_BATCH; n++) {
        bool held = a->retry_count && now < a->retry_after_ns;
        bool retry = a->retry_count > 0 && !held;
        if (!retry && !a->done &&
            (atomic_load_explicit(&w->run->phase, memory_order_relaxed) != PHASE_RUN ||
             a->seq > a->limit || (now - start >= cfg->duration_ns && !cfg->messages)))
            finish(a);
        if (!retry && a->done) { /* retries go on while draining */
            if (held) schedule(a, a->retry_after_ns - now);
            return;
        }
        if (cfg->confirm && a->ring_count >= a->cwnd) { /* acks re-pump: read them as they come */
            rxb_resume(w);
            return;
        }
        if (!conn_can_write(c)) {
            schedule(a, BLOCKED_RETRY_NS);
            return;
        }
        if (retry) {
            struct inflight e = a->retry[a->retry_head];
            a->retry_head = (a->retry_head + 1) % a->retry_cap;
            a->retry_count--;
            publish(a, e.seq, e.attempt + 1, e.intended_ns, now);
            continue;
        }
        uint64_t intended = now;
        uint64_t rate = schedule_at(&cfg->rate, a->next_intended_ns - start);
        if (rate) {
            if (!cfg->messages && a->next_intended_ns - start >= cfg->duration_ns) {
                finish(a); /* its place is past the end: not part of the run */
                continue;
            }
            uint64_t due = start + due_tick(a->next_intended_ns - start, cfg->send_tick_ns);
            if (due > now) {
                uint64_t at = held && a->retry_after_ns < due ? a->retry_after_ns : due;
                schedule(a, at - now);
                rxb_defer(w, at - now);
                return;
            }
            intended = due;
            /* exact places (the remainder carried), so a run has exactly
             * rate x duration messages */
            uint64_t every = NS_PER_SEC * (uint64_t)cfg->producers_total; /* every producer's share, all instances */
            a->intended_rem += every % rate;
            a->next_intended_ns += every / rate + a->intended_rem / rate;
            a->intended_rem %= rate;
            hist_record(w->hists.h[SH_SEND_LAG], (int64_t)(now - due));
            if (now - due > NS_PER_MS) w->counters[ST_SENT_LATE]++;
        }
        publish(a, a->seq++, 1, intended, now);
        if ((n & 7) == 7) now = clock_ns();
    }
    event_active(a->ev_send, EV_TIMEOUT, 0); /* yield to the loop, then go on */
}

static void mark_confirmed(struct agent *a, uint64_t seq)
{
    bits_reserve(&a->confirmed, &a->confirmed_nbits, seq);
    a->confirmed[seq >> 6] |= 1ULL << (seq & 63);
}

static void complete(struct agent *a, struct inflight *e, bool nack, uint64_t now)
{
    struct worker *w = a->conn->w;
    if (nack) {
        w->counters[ST_NACKED]++;
        if (!w->cfg->no_republish) retry_push(a, e);
        return;
    }
    w->counters[ST_CONFIRMED]++;
    mark_confirmed(a, e->seq);
    hist_record(w->hists.h[SH_CONFIRM], (int64_t)(now - e->intended_ns));
    hist_record(w->hists.h[SH_CONFIRM_UNCORRECTED], (int64_t)(now - e->sent_ns));
}

void producer_on_ack(struct agent *a, uint64_t tag, bool multiple, bool nack)
{
    const struct config *cfg = a->conn->w->cfg;
    if (!cfg->confirm || !a->ring_count) return;
    uint64_t cap = a->ring_cap, now = conn_rx_ns(a->conn);
    bool was_full = a->ring_count >= a->cwnd;
    uint64_t before = a->ring_count;
    struct inflight *head = &a->ring[a->ring_head];
    if (tag < head->tag) return; /* stale or duplicate */
    if (multiple) {
        while (a->ring_count && a->ring[a->ring_head].tag <= tag) {
            struct inflight *e = &a->ring[a->ring_head];
            if (!e->done) complete(a, e, nack, now);
            a->ring_head = (a->ring_head + 1) % cap;
            a->ring_count--;
        }
    } else {
        uint64_t off = tag - head->tag;
        if (off >= a->ring_count) return;
        struct inflight *e = &a->ring[(a->ring_head + off) % cap];
        if (!e->done) complete(a, e, nack, now);
        e->done = true;
    }
    /* Entries answered one by one beyond a multiple ack are done too. */
    while (a->ring_count && a->ring[a->ring_head].done) {
        a->ring_head = (a->ring_head + 1) % cap;
        a->ring_count--;
    }
    if (nack && !cfg->no_republish && now >= a->retry_after_ns) {
        /* Once per round: the nacks that arrive while we already hold back
         * answer publishes sent before the hold. */
        a->nack_backoff_ns = a->nack_backoff_ns ? a->nack_backoff_ns * 2 : NACK_BACKOFF_MIN_NS;
        if (a->nack_backoff_ns > NACK_BACKOFF_MAX_NS) a->nack_backoff_ns = NACK_BACKOFF_MAX_NS;
        a->retry_after_ns = now + a->nack_backoff_ns / 2 + (uint64_t)rand() % (a->nack_backoff_ns / 2 + 1);
        a->cwnd = a->cwnd > 1 ? a->cwnd / 2 : 1;
    } else if (!nack) {
        a->nack_backoff_ns = 0;
        a->cwnd += before - a->ring_count;
        if (a->cwnd > (uint64_t)cfg->confirm) a->cwnd = (uint64_t)cfg->confirm;
    }
    if ((was_full && a->ring_count < a->cwnd) || a->retry_count) event_active(a->ev_send, EV_TIMEOUT, 0);
}

const struct agent_ops producer_ops = {
    .setup = producer_setup, .attached = producer_attached, .lost_connection = producer_lost_connection,
    .on_ack = producer_on_ack, .oldest_unconfirmed_ns = producer_oldest_unconfirmed_ns,
};
