/* Seeds for fuzz_ledger.c: sharded runs as bench_write_ledger writes them,
 * uncompressed: producers split over instances, consumed and flagged sets
 * in pairs, a confirmed set and last sequence per producer. */
#include "ledger_file.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int fuzz_seeds(uint8_t ***seeds, size_t **lens);

struct out {
    uint8_t *b;
    size_t n;
};

static void put(struct out *o, uint64_t v, int bytes)
{
    o->b = realloc(o->b, o->n + (size_t)bytes);
    for (int i = 0; i < bytes; i++)
        o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

static void record(struct out *o, int kind, uint32_t q, uint32_t p, const uint64_t *w, uint64_t n)
{
    put(o, (uint64_t)kind, 1), put(o, q, 4), put(o, p, 4), put(o, n, 8);
    for (uint64_t i = 0; i < n; i++)
        put(o, w[i], 8);
}

/* instances over one run: queues, producers, last sequence each */
static void run(struct out *o, uint32_t instances, uint32_t queues, uint32_t producers, uint64_t last)
{
    uint64_t words = last / 64 + 1, set[64] = {0}, none[64] = {0};
    for (uint64_t s = 1; s <= last; s++)
        set[s / 64] |= 1ull << (s % 64);
    for (uint32_t i = 0; i < instances; i++) {
        uint32_t base = producers * i / instances, mine = producers * (i + 1) / instances - base;
        for (int k = 0; k < 8; k++)
            put(o, (uint64_t)(uint8_t)LEDGER_FILE_MAGIC[k], 1);
        const uint32_t h[9] = {0x5ca1e, i, instances, queues, producers, base, mine, i, 1};
        for (int k = 0; k < 9; k++)
            put(o, h[k], 4);
        for (uint32_t q = 0; q < queues; q++)
            for (uint32_t p = 0; p < producers; p++) {
                record(o, LF_CONSUMED, q, p, set, words);
                record(o, LF_FLAGGED, q, p, i == 1 ? set : none, words);
            }
        for (uint32_t p = base; p < base + mine; p++) {
            record(o, LF_CONFIRMED, 0, p, set, words);
            record(o, LF_LAST_SEQ, 0, p, &last, 1);
        }
        record(o, LF_END, 0, 0, NULL, 0);
    }
}

int fuzz_seeds(uint8_t ***seeds, size_t **lens)
{
    static const uint32_t shapes[][4] = {{1, 1, 1, 100}, {3, 1, 4, 600}, {2, 2, 2, 64}, {3, 1, 3, 1000}};
    int n = (int)(sizeof shapes / sizeof *shapes);
    *seeds = calloc((size_t)n, sizeof **seeds);
    *lens = calloc((size_t)n, sizeof **lens);
    for (int i = 0; i < n; i++) {
        struct out o = {0};
        run(&o, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3]);
        (*seeds)[i] = o.b, (*lens)[i] = o.n;
    }
    return n;
}
