/* msg: the binary header at the start of every message body.
 * Layout (little-endian), see docs/message-format.md:
 *   0 u16 magic 'L','G'   2 u8 version   3 u8 flags (bit 0: times are CLOCK_REALTIME)
 *   4 u32 producer id     8 u64 sequence (per producer, from 1)
 *  16 u32 attempt (1 = first publish)   20 u32 payload length
 *  24 u64 intended send time (ns)       32 u64 actual send time (ns)
 *  40 u32 run id                        44 u32 crc32 of bytes 0..43 + payload
 *  48 payload */
#ifndef LOADGEN_MSG_H
#define LOADGEN_MSG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define MSG_HEADER_LEN 48
#define MSG_VERSION 1
#define MSG_FLAG_REALTIME 0x01

struct msg_header {
    uint8_t flags;
    uint32_t producer;
    uint64_t seq;
    uint32_t attempt;
    uint32_t payload_len;
    uint64_t intended_ns;
    uint64_t sent_ns;
    uint32_t run_id;
};

enum msg_status {
    MSG_OK = 0,
    MSG_TRUNCATED = -1,   /* body shorter than the header or its payload length */
    MSG_FOREIGN = -2,     /* no magic: not a loadgen message */
    MSG_BAD_VERSION = -3,
    MSG_BAD_CHECKSUM = -4,
};

const char *msg_status_name(enum msg_status s);

/* Writes the header into body[0..47]; payload_crc is crc32(0, payload, len)
 * computed once per payload, so each message costs a crc32_combine only. */
void msg_encode(unsigned char *body, const struct msg_header *h, uint32_t payload_crc);

/* The payload every producer sends: incompressible-ish filler that depends
 * only on the length, so a consumer can rebuild a message from its header
 * (a handler parking a failed message in a dead-letter queue). */
void msg_fill_payload(unsigned char *payload, size_t len);

/* Streaming decoder: bodies arrive in frames; nothing is copied but the header. */
struct msg_decoder {
    unsigned char hdr[MSG_HEADER_LEN];
    uint64_t body_len, seen;
    uint32_t crc;
    bool plain; /* the payload so far is msg_fill_payload's: its CRC is known (msg.c) */
};

void msg_decoder_begin(struct msg_decoder *d, uint64_t body_len);
void msg_decoder_feed(struct msg_decoder *d, const void *data, size_t len);
/* Valid only once all body_len bytes were fed; fills h on MSG_OK. */
enum msg_status msg_decoder_finish(struct msg_decoder *d, struct msg_header *h);

/* Whole-body convenience for tests and tools. */
enum msg_status msg_decode(const void *body, size_t len, struct msg_header *h);

#endif
