#include "msg.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The pattern's payloads skip the CRC when their bytes match (msg.c): the
 * verdict must be the one a CRC of every byte gives, at every length,
 * split anyhow, and past the pattern msg.c keeps. */
static void test_pattern_payloads(void)
{
    const size_t lens[] = {0, 1, 255, 256, 4096, 65536, 65537, 70000};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        size_t n = lens[k], total = MSG_HEADER_LEN + n;
        unsigned char *body = malloc(total);
        msg_fill_payload(body + MSG_HEADER_LEN, n);
        struct msg_header h = {.producer = 1, .seq = k + 1, .attempt = 1, .payload_len = (uint32_t)n, .run_id = 5};
        msg_encode(body, &h, (uint32_t)crc32(0, body + MSG_HEADER_LEN, (uInt)n));
        struct msg_header out;
        CHECK(msg_decode(body, total, &out) == MSG_OK && out.seq == k + 1);
        size_t step = 1 + k * 977 % 5000;
        struct msg_decoder d;
        msg_decoder_begin(&d, total);
        for (size_t off = 0; off < total; off += step)
            msg_decoder_feed(&d, body + off, total - off < step ? total - off : step);
        CHECK(msg_decoder_finish(&d, &out) == MSG_OK);
        const size_t at[] = {0, n / 2, n - 1, 65535, 65536, 69999};
        for (size_t j = 0; j < sizeof at / sizeof *at; j++) {
            if (at[j] >= n) continue;
            body[MSG_HEADER_LEN + at[j]] ^= 0x40;
            CHECK(msg_decode(body, total, &out) == MSG_BAD_CHECKSUM);
            msg_decoder_begin(&d, total);
            for (size_t off = 0; off < total; off += step)
                msg_decoder_feed(&d, body + off, total - off < step ? total - off : step);
            CHECK(msg_decoder_finish(&d, &out) == MSG_BAD_CHECKSUM);
            body[MSG_HEADER_LEN + at[j]] ^= 0x40;
        }
        free(body);
    }
}

void test_msg(void)
{
    unsigned char body[MSG_HEADER_LEN + 100];
    for (int i = 0; i < 100; i++) body[MSG_HEADER_LEN + i] = (unsigned char)(i * 7);
    uint32_t pcrc = (uint32_t)crc32(0, body + MSG_HEADER_LEN, 100);
    struct msg_header h = {.producer = 7, .seq = 123456789012ULL, .attempt = 2, .payload_len = 100,
                           .intended_ns = 111, .sent_ns = 222, .run_id = 99};
    msg_encode(body, &h, pcrc);
    struct msg_header out;
    CHECK(msg_decode(body, sizeof body, &out) == MSG_OK);
    CHECK(out.producer == 7 && out.seq == 123456789012ULL && out.attempt == 2);
    CHECK(out.intended_ns == 111 && out.sent_ns == 222 && out.run_id == 99);
    /* Fed in odd-sized frames, the same. */
    struct msg_decoder d;
    msg_decoder_begin(&d, sizeof body);
    for (size_t off = 0; off < sizeof body; off += 13)
        msg_decoder_feed(&d, body + off, sizeof body - off < 13 ? sizeof body - off : 13);
    CHECK(msg_decoder_finish(&d, &out) == MSG_OK);
    /* Every corruption is caught. */
    body[MSG_HEADER_LEN + 50] ^= 1;
    CHECK(msg_decode(body, sizeof body, &out) == MSG_BAD_CHECKSUM);
    body[MSG_HEADER_LEN + 50] ^= 1;
    body[9] ^= 0x10; /* the sequence */
    CHECK(msg_decode(body, sizeof body, &out) == MSG_BAD_CHECKSUM);
    body[9] ^= 0x10;
    CHECK(msg_decode(body, sizeof body - 1, &out) == MSG_TRUNCATED);
    CHECK(msg_decode(body, 10, &out) == MSG_TRUNCATED);
    CHECK(msg_decode("hello world", 11, &out) == MSG_FOREIGN);
    CHECK(msg_decode("", 0, &out) == MSG_FOREIGN);
    body[2] = 9;
    CHECK(msg_decode(body, sizeof body, &out) == MSG_BAD_VERSION);
    test_pattern_payloads();
}
