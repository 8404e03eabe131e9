#include "crc.h"
#include "unit.h"

#include <zlib.h>

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint32_t next32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)rng;
}

/* crc.h must give zlib's values: the message format names zlib's CRC, and
 * a peer (tests/tools/inject.py) computes it with zlib. Every length and
 * alignment up to 300 bytes, from random starting CRCs. */
static void test_crc_small(void)
{
    unsigned char buf[320];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)next32();
    int bad = 0;
    for (size_t n = 0; n <= 300; n++)
        for (size_t off = 0; off < 8; off++) {
            uint32_t start = n % 3 ? next32() : 0;
            if (crc_small(start, buf + off, n) != (uint32_t)crc32(start, buf + off, (uInt)n)) bad++;
        }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(crc_small(0, "123456789", 9), 0xcbf43926u); /* the check value */
}

static void test_crc_shift(void)
{
    const uint64_t lens[] = {0, 1, 4, 44, 208, 256, 4096, 65536, 1ull << 31, (1ull << 40) + 7};
    static struct crc_shift s;
    int bad = 0;
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        crc_shift_init(&s, lens[k]);
        CHECK_EQ_U64(s.len, lens[k]);
        for (int i = 0; i < 2000; i++) {
            uint32_t a = i ? next32() : 0xffffffffu, b = next32();
            if (crc_shift_combine(&s, a, b) != (uint32_t)crc32_combine64(a, b, (z_off64_t)lens[k])) bad++;
        }
    }
    CHECK_EQ_U64(bad, 0);
}

void test_crc(void)
{
    test_crc_small();
    test_crc_shift();
}
