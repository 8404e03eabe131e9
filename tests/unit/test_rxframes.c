/* rxframes.c: the broker's bytes, cut anywhere by reads, give the same
 * frames; bytes that are no frames give an error, never a crash, and
 * leave the worker's decoder good for the next connection. */
#include "unit.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

static unsigned char *put(unsigned char *p, const void *b, size_t n) { return (unsigned char *)memcpy(p, b, n) + n; }

static unsigned char *frame(unsigned char *p, uint8_t type, uint16_t ch, const unsigned char *body, uint32_t n)
{
    unsigned char head[7] = {type, (unsigned char)(ch >> 8), (unsigned char)ch, (unsigned char)(n >> 24),
                             (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
    p = put(put(p, head, 7), body, n);
    *p++ = 0xCE;
    return p;
}

struct seen {
    int n, acks, bodies, headers, delivers;
    uint64_t tag;
    size_t body_bytes;
    amqp_boolean_t redelivered, multiple;
    char ctag[256], exchange[256], key[256];
};
static struct seen got;

static bool on_frame(struct conn *c, amqp_frame_t *f)
{
    (void)c;
    got.n++;
    if (f->frame_type == AMQP_FRAME_METHOD && f->payload.method.id == AMQP_BASIC_ACK_METHOD) {
        got.acks++;
        got.tag = ((amqp_basic_ack_t *)f->payload.method.decoded)->delivery_tag;
        got.multiple = ((amqp_basic_ack_t *)f->payload.method.decoded)->multiple;
    }
    if (f->frame_type == AMQP_FRAME_METHOD && f->payload.method.id == AMQP_BASIC_DELIVER_METHOD) {
        amqp_basic_deliver_t *m = f->payload.method.decoded;
        got.delivers++, got.tag = m->delivery_tag, got.redelivered = m->redelivered;
        snprintf(got.ctag, sizeof got.ctag, "%.*s", (int)m->consumer_tag.len, (char *)m->consumer_tag.bytes);
        snprintf(got.exchange, sizeof got.exchange, "%.*s", (int)m->exchange.len, (char *)m->exchange.bytes);
        snprintf(got.key, sizeof got.key, "%.*s", (int)m->routing_key.len, (char *)m->routing_key.bytes);
    }
    if (f->frame_type == AMQP_FRAME_HEADER) got.headers++;
    if (f->frame_type == AMQP_FRAME_BODY) got.bodies++, got.body_bytes += f->payload.body_fragment.len;
    return true;
}

/* basic.ack 7, a heartbeat, a content header (300 bytes) and its body. */
static size_t stream(unsigned char *out)
{
    unsigned char ack[] = {0, 60, 0, 80, 0, 0, 0, 0, 0, 0, 0, 7, 0};
    unsigned char hb[1], header[14] = {0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2C, 0, 0};
    unsigned char body[300];
    memset(body, 'x', sizeof body);
    unsigned char *p = frame(out, AMQP_FRAME_METHOD, 1, ack, sizeof ack);
    p = frame(p, AMQP_FRAME_HEARTBEAT, 0, hb, 0);
    p = frame(p, AMQP_FRAME_HEADER, 1, header, sizeof header);
    p = frame(p, AMQP_FRAME_BODY, 1, body, sizeof body);
    return (size_t)(p - out);
}

static unsigned char *shortstr(unsigned char *p, const char *s)
{
    *p++ = (unsigned char)strlen(s);
    return put(p, s, strlen(s));
}

static unsigned char *u64be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

/* basic.deliver and basic.ack, which rxframes.c decodes itself: the
 * fields that were put in come out; a frame cut anywhere inside its
 * arguments is an error (rabbitmq-c's verdict), never a read past it. */
static void test_own_decoding(struct conn *c)
{
    const char *strs[] = {"", "a", "amq.ctag-Xz1", "loadgen-bench-0"};
    char long_key[256];
    memset(long_key, 'k', 255), long_key[255] = 0;
    unsigned char args[1024], fr[1100];
    for (int k = 0; k < 5; k++) {
        const char *ctag = strs[k % 4], *ex = strs[(k + 1) % 4], *key = k == 4 ? long_key : strs[(k + 2) % 4];
        unsigned char *a = put(args, "\0\x3c\0\x3c", 4);
        a = shortstr(a, ctag), a = u64be(a, 0x0102030405060708ull + (uint64_t)k), *a++ = (unsigned char)(k & 1);
        a = shortstr(shortstr(a, ex), key);
        size_t alen = (size_t)(a - args);
        memset(&got, 0, sizeof got);
        CHECK(rxf_feed(c, fr, (size_t)(frame(fr, AMQP_FRAME_METHOD, 1, args, (uint32_t)alen) - fr), on_frame) == 0);
        CHECK(got.delivers == 1 && got.tag == 0x0102030405060708ull + (uint64_t)k && got.redelivered == (k & 1));
        CHECK(strcmp(got.ctag, ctag) == 0 && strcmp(got.exchange, ex) == 0 && strcmp(got.key, key) == 0);
        for (size_t cut = 5; cut < alen; cut++) { /* the frame alone on the heap: ASan sees a read past it */
            size_t flen = (size_t)(frame(fr, AMQP_FRAME_METHOD, 1, args, (uint32_t)cut) - fr);
            unsigned char *h = malloc(flen);
            memcpy(h, fr, flen);
            memset(&got, 0, sizeof got);
            CHECK(rxf_feed(c, h, flen, on_frame) != 0 && got.delivers == 0);
            rxf_forget(c);
            free(h);
        }
    }
    unsigned char ack[13] = {0, 60, 0, 80};
    u64be(ack + 4, 1ull << 40), ack[12] = 1;
    memset(&got, 0, sizeof got);
    CHECK(rxf_feed(c, fr, (size_t)(frame(fr, AMQP_FRAME_METHOD, 2, ack, sizeof ack) - fr), on_frame) == 0);
    CHECK(got.acks == 1 && got.tag == 1ull << 40 && got.multiple);
    /* a body whose end byte is wrong is no frame */
    unsigned char *e = frame(fr, AMQP_FRAME_BODY, 1, args, 10);
    e[-1] = 0;
    memset(&got, 0, sizeof got);
    CHECK(rxf_feed(c, fr, (size_t)(e - fr), on_frame) != 0 && got.bodies == 0);
    rxf_forget(c);
}

void test_rxframes(void)
{
    struct worker w = {0};
    struct conn c = {.w = &w, .frame_max = 8192};
    CHECK(rxf_init(&w));
    unsigned char s[1024];
    size_t n = stream(s);
    /* every cut into two reads, and reads of every size */
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&got, 0, sizeof got);
        CHECK(rxf_feed(&c, s, cut, on_frame) == 0);
        CHECK(rxf_feed(&c, s + cut, n - cut, on_frame) == 0);
        CHECK(got.n == 3 && got.acks == 1 && got.tag == 7 && got.headers == 1 && got.bodies == 1);
        CHECK(got.body_bytes == 300 && c.part_len == 0);
    }
    for (size_t step = 1; step <= 64; step++) {
        memset(&got, 0, sizeof got);
        for (size_t off = 0; off < n; off += step)
            CHECK(rxf_feed(&c, s + off, n - off < step ? n - off : step, on_frame) == 0);
        CHECK(got.n == 3 && got.body_bytes == 300);
    }
    /* a frame above frame_max is refused before it is read */
    unsigned char big[8] = {AMQP_FRAME_BODY, 0, 1, 0, 0, 0x40, 0, 0};
    CHECK(rxf_feed(&c, big, sizeof big, on_frame) == AMQP_STATUS_BAD_AMQP_DATA);
    rxf_forget(&c);
    /* noise: an error or frames, never a crash; then a good stream decodes */
    srand(7);
    for (int round = 0; round < 2000; round++) {
        unsigned char junk[96];
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
        if (round % 3 == 0) junk[3] = junk[4] = junk[5] = 0; /* sizes a frame could have */
        if (rxf_feed(&c, junk, sizeof junk, on_frame) != 0) rxf_forget(&c);
        rxf_forget(&c);
    }
    memset(&got, 0, sizeof got);
    CHECK(rxf_feed(&c, s, n, on_frame) == 0 && got.n == 3 && got.tag == 7);
    rxf_forget(&c);
    test_own_decoding(&c);
    rxf_free(&w);
}
