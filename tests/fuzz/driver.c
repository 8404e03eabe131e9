/* A fixed-iteration fuzz driver for targets written for libFuzzer, for
 * machines without it: seeds (valid inputs the target builds, see
 * fuzz_seeds) mutated the way AFL's havoc stage does (bit flips, bytes,
 * interesting integers at any offset, cut, duplicated and spliced ranges),
 * deterministically from -seed, -runs times. A crash is the sanitizer's
 * report and a non-zero exit; the same -seed and -runs replay it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The target's seeds: n inputs, each malloc'd. */
int fuzz_seeds(uint8_t ***seeds, size_t **lens);

#define MAX_INPUT (1u << 20)

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t mutate(uint8_t *b, size_t n, const uint8_t *other, size_t on)
{
    static const uint64_t interesting[] = {
        0, 1, 2, 63, 64, 65, 255, 4096, 1u << 24, 1u << 27, 0x7fffffff, 0xffffffff, 0x100000000ull, ~0ull, 1ull << 63};
    int steps = 1 + (int)(rnd() % 6);
    for (int s = 0; s < steps && n; s++) {
        size_t at = rnd() % n;
        switch (rnd() % 7) {
        case 0:
            b[at] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1:
            b[at] = (uint8_t)rnd();
            break;
        case 2: { /* an interesting integer, 4 or 8 bytes little-endian */
            uint64_t v = interesting[rnd() % (sizeof interesting / sizeof *interesting)];
            size_t w = rnd() % 2 ? 8 : 4;
            for (size_t i = 0; i < w && at + i < n; i++)
                b[at + i] = (uint8_t)(v >> (8 * i));
            break;
        }
        case 3:
            n = at + 1;
            break; /* cut the tail */
        case 4: {  /* delete a range */
            size_t k = rnd() % (n - at) + 1;
            memmove(b + at, b + at + k, n - at - k);
            n -= k;
            break;
        }
        case 5: { /* duplicate a range in place */
            size_t k = rnd() % (n - at) + 1;
            if (n + k > MAX_INPUT) break;
            memmove(b + at + k, b + at, n - at);
            n += k;
            break;
        }
        default: { /* splice the other input's tail */
            size_t from = on ? rnd() % on : 0, k = on - from;
            if (at + k > MAX_INPUT) k = MAX_INPUT - at;
            memcpy(b + at, other + from, k);
            n = at + k;
        }
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    long runs = 10000;
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "-runs=", 6))
            runs = atol(argv[i] + 6);
        else if (!strncmp(argv[i], "-seed=", 6))
            rng_state ^= (uint64_t)atoll(argv[i] + 6) * 0x2545f4914f6cdd1dull;
        else
            return fprintf(stderr, "usage: %s [-runs=N] [-seed=S]\n", argv[0]), 2;
    }
    uint8_t **seeds;
    size_t *lens;
    int ns = fuzz_seeds(&seeds, &lens);
    uint8_t *buf = malloc(MAX_INPUT);
    for (int s = 0; s < ns; s++)
        LLVMFuzzerTestOneInput(seeds[s], lens[s]); /* the seeds themselves pass */
    for (long r = 0; r < runs; r++) {
        int a = (int)(rnd() % (uint64_t)ns), o = (int)(rnd() % (uint64_t)ns);
        size_t n = lens[a] < MAX_INPUT ? lens[a] : MAX_INPUT;
        memcpy(buf, seeds[a], n);
        n = mutate(buf, n, seeds[o], lens[o]);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz: %ld runs of %d seeds, no crash\n", runs, ns);
    for (int s = 0; s < ns; s++)
        free(seeds[s]);
    free(seeds), free(lens), free(buf);
    return 0;
}
