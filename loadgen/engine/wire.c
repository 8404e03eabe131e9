#include "wire.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_METHOD 1
#define FRAME_HEADER 2
#define FRAME_BODY 3
#define FRAME_HEARTBEAT 8
#define FRAME_END 0xCE
#define CLASS_CONNECTION 10
#define CONNECTION_CLOSE 50
#define CONNECTION_CLOSE_OK 51
#define CLASS_BASIC 60
#define BASIC_PUBLISH 40
#define BASIC_ACK 80
#define BASIC_NACK 120
#define FLAG_CONTENT_TYPE 0x8000
#define FLAG_CONTENT_ENCODING 0x4000
#define FLAG_HEADERS 0x2000
#define FLAG_CORRELATION_ID 0x0400
#define FLAG_MESSAGE_ID 0x0080
#define FLAG_DELIVERY_MODE 0x1000
#define FLAG_PRIORITY 0x0800

static unsigned char *reserve(struct wire_buf *b, size_t n)
{
    if (b->off == b->len) b->off = b->len = 0;
    if (b->len + n > b->cap) {
        if (b->off) { /* compact before growing */
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 512; /* grows with the batches; 10,000 x 16 KB was RSS */
            while (cap < b->len + n) cap *= 2;
            b->data = xrealloc(b->data, cap);
            b->cap = cap;
        }
    }
    unsigned char *p = b->data + b->len;
    b->len += n;
    return p;
}

static unsigned char *put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v;
    return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    return put16(put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static unsigned char *put64(unsigned char *p, uint64_t v)
{
    return put32(put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

static unsigned char *frame_start(unsigned char *p, uint8_t type, uint16_t ch, uint32_t size)
{
    *p++ = type;
    return put32(put16(p, ch), size);
}

static unsigned char *shortstr(unsigned char *p, const char *s, size_t n)
{
    *p++ = (unsigned char)n;
    memcpy(p, s, n);
    return p + n;
}

void wire_table_strings(struct wire_table *t, const char *const *keys, const char *const *values, int n)
{
    size_t len = 4;
    for (int i = 0; i < n; i++) len += 1 + strnlen(keys[i], 255) + 1 + 4 + strlen(values[i]);
    unsigned char *p = t->data = xmalloc(len);
    t->len = len;
    p = put32(p, (uint32_t)(len - 4));
    for (int i = 0; i < n; i++) {
        size_t vl = strlen(values[i]);
        p = shortstr(p, keys[i], strnlen(keys[i], 255));
        *p++ = 'S'; /* long string */
        p = put32(p, (uint32_t)vl);
        memcpy(p, values[i], vl);
        p += vl;
    }
}

void wire_table_free(struct wire_table *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

void wire_publish(struct wire_buf *b, uint16_t ch, const char *exchange, const char *rkey,
                  bool mandatory, uint8_t delivery_mode, int priority, const struct wire_table *headers,
                  const void *body, size_t body_len, uint32_t frame_max)
{
    struct wire_props pr = {.delivery_mode = delivery_mode, .priority = priority, .headers = headers};
    wire_publish_props(b, ch, exchange, rkey, mandatory, &pr, body, body_len, frame_max);
}

static size_t short_len(const char *s)
{
    return s ? strnlen(s, 255) : 0;
}

void wire_publish_props(struct wire_buf *b, uint16_t ch, const char *exchange, const char *rkey, bool mandatory,
                        const struct wire_props *pr, const void *body, size_t body_len, uint32_t frame_max)
{
    size_t tl = pr->headers ? pr->headers->len : 0;
    size_t xl = strlen(exchange), kl = strlen(rkey);
    if (xl > 255) xl = 255;
    if (kl > 255) kl = 255;
    size_t ctl = short_len(pr->content_type), cel = short_len(pr->content_encoding),
           cil = short_len(pr->correlation_id), mil = short_len(pr->message_id);
    size_t chunk = frame_max > 8 ? frame_max - 8 : 131064;
    size_t nbody = (body_len + chunk - 1) / chunk;
    uint32_t msize = (uint32_t)(4 + 2 + 1 + xl + 1 + kl + 1), hsize = (uint32_t)(2 + 2 + 8 + 2 + tl + 1);
    hsize += pr->priority >= 0;
    hsize += (uint32_t)((pr->content_type ? 1 + ctl : 0) + (pr->content_encoding ? 1 + cel : 0) +
                        (pr->correlation_id ? 1 + cil : 0) + (pr->message_id ? 1 + mil : 0));
    unsigned char *p = reserve(b, 8 + msize + 8 + hsize + nbody * 8 + body_len);
    p = frame_start(p, FRAME_METHOD, ch, msize);
    p = put16(put16(p, CLASS_BASIC), BASIC_PUBLISH);
    p = put16(p, 0); /* reserved-1 (ticket) */
    p = shortstr(p, exchange, xl);
    p = shortstr(p, rkey, kl);
    *p++ = mandatory ? 1 : 0;
    *p++ = FRAME_END;
    p = frame_start(p, FRAME_HEADER, ch, hsize);
    p = put16(put16(p, CLASS_BASIC), 0);
    p = put64(p, body_len);
    uint16_t flags = FLAG_DELIVERY_MODE | (tl ? FLAG_HEADERS : 0) | (pr->priority >= 0 ? FLAG_PRIORITY : 0) |
                     (pr->content_type ? FLAG_CONTENT_TYPE : 0) | (pr->content_encoding ? FLAG_CONTENT_ENCODING : 0) |
                     (pr->correlation_id ? FLAG_CORRELATION_ID : 0) | (pr->message_id ? FLAG_MESSAGE_ID : 0);
    p = put16(p, flags);
    /* properties go in flag order, highest bit first */
    if (pr->content_type) p = shortstr(p, pr->content_type, ctl);
    if (pr->content_encoding) p = shortstr(p, pr->content_encoding, cel);
    if (tl) memcpy(p, pr->headers->data, tl), p += tl;
    *p++ = pr->delivery_mode;
    if (pr->priority >= 0) *p++ = (unsigned char)pr->priority;
    if (pr->correlation_id) p = shortstr(p, pr->correlation_id, cil);
    if (pr->message_id) p = shortstr(p, pr->message_id, mil);
    *p++ = FRAME_END;
    const unsigned char *src = body;
    for (size_t left = body_len; left;) {
        size_t n = left < chunk ? left : chunk;
        p = frame_start(p, FRAME_BODY, ch, (uint32_t)n);
        memcpy(p, src, n);
        p += n;
        *p++ = FRAME_END;
        src += n;
        left -= n;
    }
}

void wire_heartbeat(struct wire_buf *b, int fd)
{
    static const unsigned char frame[8] = {FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END};
    ssize_t n = wire_pending(b) ? 0 : send(fd, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
    size_t sent = n > 0 ? (size_t)n : 0; /* a failed send: the flush that follows tries again and reports */
    if (sent < sizeof frame) memcpy(reserve(b, sizeof frame - sent), frame + sent, sizeof frame - sent);
}

void wire_connection_close(struct wire_buf *b, bool ok)
{
    uint32_t size = ok ? 4 : 4 + 2 + 1 + 2 + 2;
    unsigned char *p = reserve(b, 8 + size);
    p = frame_start(p, FRAME_METHOD, 0, size);
    p = put16(put16(p, CLASS_CONNECTION), ok ? CONNECTION_CLOSE_OK : CONNECTION_CLOSE);
    if (!ok) { /* reply-code 200, reply-text "", class 0, method 0 */
        p = put16(p, 200);
        *p++ = 0;
        p = put16(put16(p, 0), 0);
    }
    *p = FRAME_END;
}

void wire_ack(struct wire_buf *b, uint16_t ch, uint64_t tag, bool multiple)
{
    unsigned char *p = reserve(b, 8 + 13);
    p = frame_start(p, FRAME_METHOD, ch, 13);
    p = put16(put16(p, CLASS_BASIC), BASIC_ACK);
    p = put64(p, tag);
    *p++ = multiple ? 1 : 0;
    *p = FRAME_END;
}

void wire_nack(struct wire_buf *b, uint16_t ch, uint64_t tag, bool requeue)
{
    unsigned char *p = reserve(b, 8 + 13);
    p = frame_start(p, FRAME_METHOD, ch, 13);
    p = put16(put16(p, CLASS_BASIC), BASIC_NACK);
    p = put64(p, tag);
    *p++ = requeue ? 2 : 0; /* bit 0 multiple, bit 1 requeue */
    *p = FRAME_END;
}

int wire_flush(struct wire_buf *b, int fd)
{
    while (b->off < b->len) {
        ssize_t n = send(fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (n > 0) {
            b->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return -1;
    }
    b->off = b->len = 0;
    return 0;
}

void wire_free(struct wire_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
