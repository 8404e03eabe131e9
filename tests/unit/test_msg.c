#include "msg.h"
#include "unit.h"

#include <string.h>
#include <zlib.h>

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
}
