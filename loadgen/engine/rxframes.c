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
 * of a read waits in the connection's own buffer, allocated only then. */
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

/* One whole frame: its size is known and within frame_max. */
static int one(struct conn *c, const unsigned char *p, size_t len, rxf_on_frame on_frame)
{
    if (p[0] == AMQP_FRAME_HEARTBEAT && len == 8 && p[7] == AMQP_FRAME_END) return 0; /* alive: counted on read */
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
