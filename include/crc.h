/* crc: zlib's CRC-32 (the one docs/message-format.md names), faster where a
 * message pays for it on every send and every delivery.
 *
 * crc_small() is crc32() eight bytes a step (slice-by-8): a message
 * header's 44 bytes took zlib's byte-at-a-time path (it braids from 47
 * bytes on), 44 dependent table reads.
 *
 * crc_shift_init() tabulates crc32_combine()'s operator for one length as four
 * byte tables: crc32_combine_op multiplies bit by bit (32 steps) each time. */
#ifndef LOADGEN_CRC_H
#define LOADGEN_CRC_H

#include <stddef.h>
#include <stdint.h>

/* The same value as zlib's crc32(crc, p, n). */
uint32_t crc_small(uint32_t crc, const void *p, size_t n);

/* crc32_combine(crc1, crc2, len2) for one len2, tabulated once. */
struct crc_shift {
    uint64_t len;
    uint32_t t[4][256];
};

/* Fills s for len (never fails: no allocation). */
void crc_shift_init(struct crc_shift *s, uint64_t len);
static inline uint32_t crc_shift_combine(const struct crc_shift *s, uint32_t crc1, uint32_t crc2)
{
    return s->t[0][crc1 & 0xff] ^ s->t[1][(crc1 >> 8) & 0xff] ^ s->t[2][(crc1 >> 16) & 0xff] ^ s->t[3][crc1 >> 24] ^
           crc2;
}

#endif
