#include "crc.h"

#include <pthread.h>
#include <string.h>
#include <zlib.h>

#define POLY 0xedb88320u /* zlib's, reflected */

static uint32_t slice[8][256];
static pthread_once_t slice_once = PTHREAD_ONCE_INIT;

static void slice_fill(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        slice[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            slice[k][i] = (slice[k - 1][i] >> 8) ^ slice[0][slice[k - 1][i] & 0xff];
}

static uint32_t le32(const unsigned char *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc_small(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&slice_once, slice_fill);
    const unsigned char *p = data;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t one = le32(p) ^ crc, two = le32(p + 4);
        crc = slice[7][one & 0xff] ^ slice[6][(one >> 8) & 0xff] ^ slice[5][(one >> 16) & 0xff] ^ slice[4][one >> 24] ^
              slice[3][two & 0xff] ^ slice[2][(two >> 8) & 0xff] ^ slice[1][(two >> 16) & 0xff] ^ slice[0][two >> 24];
    }
    while (n--)
        crc = (crc >> 8) ^ slice[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* The operator is linear in crc1: its value on each bit, from zlib, then
 * each table entry as the XOR of its bits' values. */
void crc_shift_init(struct crc_shift *s, uint64_t len)
{
    uLong op = crc32_combine_gen64((z_off64_t)len);
    uint32_t bit[32];
    for (int b = 0; b < 32; b++)
        bit[b] = (uint32_t)crc32_combine_op(1ul << b, 0, op);
    s->len = len;
    for (int k = 0; k < 4; k++) {
        s->t[k][0] = 0;
        for (int i = 1; i < 256; i++) {
            int low = __builtin_ctz((unsigned)i);
            s->t[k][i] = s->t[k][i & (i - 1)] ^ bit[8 * k + low];
        }
    }
}
