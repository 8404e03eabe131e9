/* Frames of our own reads: a plain TCP connection, once set up, leaves
 * rabbitmq-c (conn.c's conn_own), and its bytes are cut into frames here.
 *
 * rabbitmq-c kept per connection a 128 KiB receive buffer, a 64 KiB pool
 * page for channel 0 and an output buffer, about 22 KB of RSS each
 * (resident pages of its mappings and pools) that a set-up connection no
 * longer needs: rabbitmq-c sets it up, and we read, write and send
 * heartbeats ourselves. Its decoder is still the one that turns a frame
 * into a method or properties (amqp_handle_input): one per worker, fed
 * only whole frames, so it is back at a frame boundary after each and no
 * connection's half frame can mix with another's. A frame cut by the end
 * of a read waits in the connection's own buffer, allocated only then.
 *
 * The frames a run is made of are decoded here (fast()): a message's
 * body, a confirm (basic.ack) and a delivery (basic.deliver). rabbitmq-c
 * copies every frame into its buffer first and takes its method from a
 * pool: 4% of a paced run's CPU. Any other frame, or one that is off in
 * any way (its end byte, a string past its end), goes to rabbitmq-c. */
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#define FRAME_HEAD 7 /* type, channel, size */
#define FRAME_MAX_ALL (131072 + 8) /* conn.c asks for at most 128 KiB frames */

/* A decoder at a frame boundary: it starts out expecting the broker's
 * protocol header, so it is given one. */
static amqp_connection_state_t decoder_new(void)
{
    amqp_connection_state_t d = amqp_new_connection();
    if (!d) return NULL;
    static const unsigned char hello[8] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    amqp_frame_t f;
    amqp_bytes_t in = {sizeof hello, (void *)hello};
    if (amqp_handle_input(d, in, &f) != (int)sizeof hello || !amqp_release_buffers_ok(d) ||
        amqp_tune_connection(d, 0, FRAME_MAX_ALL, 0) != AMQP_STATUS_OK) {
        amqp_destroy_connection(d);
        return NULL;
    }
    return d;
}

bool rxf_init(struct worker *w)
{
    w->rxf_dec = decoder_new();
    return w->rxf_dec != NULL;
}

void rxf_free(struct worker *w)
{
    if (w->rxf_dec) amqp_destroy_connection(w->rxf_dec);
    w->rxf_dec = NULL;
}

void rxf_forget(struct conn *c)
{
    free(c->part);
    c->part = NULL;
    c->part_len = c->part_cap = 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

/* A short string at *at of the method arguments [*, end): its bytes. */
static bool shortstr(const unsigned char **at, const unsigned char *end, amqp_bytes_t *s)
{
    if (*at >= end || (size_t)(end - *at) < 1u + **at) return false;
    *s = (amqp_bytes_t){**at, (void *)(*at + 1)};
    *at += 1 + s->len;
    return true;
}

/* Whether fast() took the whole frame at p; *rc is then one()'s result. */
static bool fast(struct conn *c, const unsigned char *p, size_t len, rxf_on_frame on_frame, int *rc)
{
    if (p[len - 1] != AMQP_FRAME_END) return false;
    amqp_frame_t f = {.frame_type = p[0], .channel = (amqp_channel_t)(p[1] << 8 | p[2])};
    const unsigned char *args = p + FRAME_HEAD + 4, *end = p + len - 1;
    amqp_basic_ack_t ack;
    amqp_basic_deliver_t dlv;
    if (f.frame_type == AMQP_FRAME_BODY) {
        f.payload.body_fragment = (amqp_bytes_t){len - FRAME_HEAD - 1, (void *)(p + FRAME_HEAD)};
    } else if (f.frame_type != AMQP_FRAME_METHOD || len < FRAME_HEAD + 4 + 1) {
        return false;
    } else if ((f.payload.method.id = be32(p + FRAME_HEAD)) == AMQP_BASIC_ACK_METHOD) {
        if (end - args != 9) return false;
        ack = (amqp_basic_ack_t){.delivery_tag = be64(args), .multiple = args[8] & 1};
        f.payload.method.decoded = &ack;
    } else if (f.payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
        const unsigned char *at = args;
        if (!shortstr(&at, end, &dlv.consumer_tag) || end - at < 9) return false;
        dlv.delivery_tag = be64(at), dlv.redelivered = at[8] & 1, at += 9;
        if (!shortstr(&at, end, &dlv.exchange) || !shortstr(&at, end, &dlv.routing_key) || at != end) return false;
        f.payload.method.decoded = &dlv;
    } else {
        return false;
    }
    *rc = on_frame(c, &f) ? 0 : 1;
    return true;
}

/* One whole frame: its size is known and within frame_max. */
static int one(struct conn *c, const unsigned char *p, size_t len, rxf_on_frame on_frame)
{
    if (p[0] == AMQP_FRAME_HEARTBEAT && len == 8 && p[7] == AMQP_FRAME_END) return 0; /* alive: counted on read */
    int rc;
    if (fast(c, p, len, on_frame, &rc)) return rc;
    struct worker *w = c->w;
    amqp_frame_t f;
    amqp_bytes_t in = {len, (void *)p};
    int used = amqp_handle_input(w->rxf_dec, in, &f);
    if (used != (int)len || !amqp_release_buffers_ok(w->rxf_dec)) {
        /* not a frame after all: a decoder left inside one would cut the
         * next connection's bytes wrong, so it starts afresh */
        amqp_destroy_connection(w->rxf_dec);
        w->rxf_dec = decoder_new();
        return used < 0 ? used : AMQP_STATUS_BAD_AMQP_DATA;
    }
    if (f.frame_type == 0) return 0; /* a frame rabbitmq-c ignores */
    return on_frame(c, &f) ? 0 : 1;
}

/* The length of the frame whose head (FRAME_HEAD bytes) is at p, or 0
 * when it is above frame_max (*err set). */
static size_t frame_len(const struct conn *c, const unsigned char *p, int *err)
{
    uint64_t len = (uint64_t)be32(p + 3) + FRAME_HEAD + 1;
    if (len <= c->frame_max && len <= FRAME_MAX_ALL) return (size_t)len;
    *err = AMQP_STATUS_BAD_AMQP_DATA;
    return 0;
}

/* Bytes of a whole frame at p, or 0 when what is there is not one yet. */
static size_t whole(const struct conn *c, const unsigned char *p, size_t avail, int *err)
{
    if (avail < FRAME_HEAD) return 0;
    size_t len = frame_len(c, p, err);
    return len && avail >= len ? len : 0;
}

static void keep(struct conn *c, const unsigned char *p, size_t n)
{
    if (c->part_len + n > c->part_cap) {
        size_t cap = c->part_cap ? c->part_cap : 512;
        while (cap < c->part_len + n) cap *= 2;
        c->part = xrealloc(c->part, cap);
        c->part_cap = (uint32_t)cap;
    }
    memcpy(c->part + c->part_len, p, n);
    c->part_len += (uint32_t)n;
}

int rxf_feed(struct conn *c, const unsigned char *p, size_t n, rxf_on_frame on_frame)
{
    struct worker *w = c->w;
    int err = 0, rc = 0;
    if (!w->rxf_dec) return AMQP_STATUS_NO_MEMORY;
    if (c->part_len) { /* complete the frame the last read cut: its head, then the rest */
        if (c->part_len < FRAME_HEAD) {
            size_t take = FRAME_HEAD - c->part_len < n ? FRAME_HEAD - c->part_len : n;
            keep(c, p, take), p += take, n -= take;
            if (c->part_len < FRAME_HEAD) return 0;
        }
        size_t need = frame_len(c, c->part, &err);
        if (!need) return err;
        size_t take = need - c->part_len < n ? need - c->part_len : n;
        keep(c, p, take), p += take, n -= take;
        if (c->part_len < need) return 0;
        c->part_len = 0;
        if ((rc = one(c, c->part, need, on_frame))) return rc;
    }
    for (size_t len; (len = whole(c, p, n, &err)); p += len, n -= len)
        if ((rc = one(c, p, len, on_frame))) return rc;
    if (err) return err;
    if (n) keep(c, p, n);
    amqp_maybe_release_buffers(w->rxf_dec);
    return 0;
}
