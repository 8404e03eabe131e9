/* wire: AMQP 0-9-1 frames for the hot path (basic.publish + content,
 * basic.ack) and for the life of a connection rabbitmq-c left (heartbeat,
 * close) encoded straight into a connection's output buffer, so a batch of
 * messages costs one write() instead of rabbitmq-c's three send()s per
 * publish. Setup and frame decoding stay with rabbitmq-c. */
#ifndef LOADGEN_WIRE_H
#define LOADGEN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_buf {
    unsigned char *data;
    size_t len, off, cap; /* bytes [off, len) are waiting to be written */
};

/* A message's headers, encoded once as an AMQP field table (its 4-byte
 * length first): what a route of a headers exchange carries. */
struct wire_table {
    unsigned char *data;
    size_t len;
};

/* Encodes n string headers (keys of at most 255 bytes). */
void wire_table_strings(struct wire_table *t, const char *const *keys, const char *const *values, int n);
void wire_table_free(struct wire_table *t);

/* headers: NULL for none; priority: -1 for none. */
void wire_publish(struct wire_buf *b, uint16_t channel, const char *exchange, const char *routing_key,
                  bool mandatory, uint8_t delivery_mode, int priority, const struct wire_table *headers,
                  const void *body, size_t body_len, uint32_t frame_max);
/* The basic properties a templated message carries (template.h): a
 * property is sent when not NULL (short strings, cut at 255 bytes). */
struct wire_props {
    const char *content_type, *content_encoding, *correlation_id, *message_id;
    const struct wire_table *headers; /* NULL: none */
    uint8_t delivery_mode;            /* 1 transient, 2 persistent */
    int priority;                     /* -1: none */
};
void wire_publish_props(struct wire_buf *b, uint16_t channel, const char *exchange, const char *routing_key,
                        bool mandatory, const struct wire_props *props, const void *body, size_t body_len,
                        uint32_t frame_max);
/* A heartbeat frame, so the broker hears from an idle connection: straight
 * to the socket when nothing waits in b (an idle connection needs no
 * buffer), else (or what a send did not take) queued in b for wire_flush,
 * which reports a socket error. */
void wire_heartbeat(struct wire_buf *b, int fd);
/* connection.close (200, no text), or its close-ok when ok. */
void wire_connection_close(struct wire_buf *b, bool ok);
void wire_ack(struct wire_buf *b, uint16_t channel, uint64_t tag, bool multiple);
/* basic.nack of one delivery: requeue, or drop/dead-letter it. */
void wire_nack(struct wire_buf *b, uint16_t channel, uint64_t tag, bool requeue);

static inline size_t wire_pending(const struct wire_buf *b)
{
    return b->len - b->off;
}

/* Writes what it can to a non-blocking fd. Returns 0 when all was written,
 * 1 when some remains (EAGAIN), -1 on a socket error (errno set). */
int wire_flush(struct wire_buf *b, int fd);
void wire_free(struct wire_buf *b);

#endif
