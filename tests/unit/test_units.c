#include "unit.h"
#include "units.h"
#include "util.h"

#include <stdlib.h>

void test_units(void)
{
    uint64_t v;
    CHECK(units_duration("500ms", &v) == 0 && v == 500 * NS_PER_MS);
    CHECK(units_duration("2s", &v) == 0 && v == 2 * NS_PER_SEC);
    CHECK(units_duration("1.5s", &v) == 0 && v == 1500 * NS_PER_MS);
    CHECK(units_duration("250us", &v) == 0 && v == 250 * NS_PER_US);
    CHECK(units_duration("1m", &v) == 0 && v == 60 * NS_PER_SEC);
    CHECK(units_duration("3", &v) == 0 && v == 3 * NS_PER_SEC);
    CHECK(units_duration("abc", &v) == -1);
    CHECK(units_duration("5x", &v) == -1);
    CHECK(units_duration("", &v) == -1);
    CHECK(units_duration("-1s", &v) == -1);
    CHECK(units_count("10k", &v) == 0 && v == 10000);
    CHECK(units_count("1.5k", &v) == 0 && v == 1500);
    CHECK(units_count("2M", &v) == 0 && v == 2000000);
    CHECK(units_count("1.5", &v) == -1);
    CHECK(units_count("12abc", &v) == -1);
    CHECK(units_size("4KiB", &v) == 0 && v == 4096);
    CHECK(units_size("1MiB", &v) == 0 && v == 1048576);
    CHECK(units_size("4k", &v) == 0 && v == 4000);
    CHECK(units_size("16", &v) == 0 && v == 16);
    CHECK(units_size("1.5B", &v) == -1);
    CHECK(units_bitrate("500kbit", &v) == 0 && v == 500000);
    CHECK(units_bitrate("1.5mbit", &v) == 0 && v == 1500000);
    CHECK(units_bitrate("8000bit", &v) == 0 && v == 8000);
    CHECK(units_bitrate("1mb", &v) == -1 && units_bitrate("7kbit", &v) == -1 && units_bitrate("-1mbit", &v) == -1);
    CHECK(units_bitrate("mbit", &v) == -1 && units_bitrate("200gbit", &v) == -1 && units_bitrate("nanmbit", &v) == -1);
}

void test_bits(void)
{
    uint64_t *b = NULL, n = 0;
    bits_reserve(&b, &n, 10);
    CHECK(n == 4096 && b[0] == 0);
    b[0] = 5;
    bits_reserve(&b, &n, 100000);
    CHECK(n == 131072 && b[0] == 5 && b[100000 >> 6] == 0 && b[n / 64 - 1] == 0);
    bits_reserve(&b, &n, 5);
    CHECK(n == 131072);
    /* need == nbits must grow: bit nbits is past the end. */
    b[n / 64 - 1] = 1ULL << 63;
    bits_reserve(&b, &n, 131072);
    CHECK(n == 262144 && b[131071 >> 6] == 1ULL << 63 && b[131072 >> 6] == 0 && b[0] == 5);
    free(b);
    uint64_t *c = NULL, m = 0;
    bits_reserve(&c, &m, 0); /* the first reservation is 4096 bits, zeroed */
    CHECK(m == 4096 && c[63] == 0);
    free(c);
}
