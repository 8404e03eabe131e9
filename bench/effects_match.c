/* The effect matching's cost (issue 28: at most 0.2 CPU-s per 100k
 * effects): N JSON receipts, as a service publishes them, each read for
 * its id, matched to its input and recorded, then the judgement of every
 * input. Prints CPU seconds per 100k; asserts nothing (bench/run-bench). */
#include "effect_ledger.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    uint32_t run = 0x5eed1234, producers = 4;
    char **bodies = malloc((size_t)n * sizeof *bodies);
    for (long i = 0; i < n; i++) {
        char id[TPL_ID_MAX], b[256];
        tpl_id_format(id, sizeof id, run, (uint32_t)(i % producers), (uint64_t)(i / producers + 1));
        snprintf(b, sizeof b, "{\"status\": \"paid\", \"amount\": %ld, \"order_id\": \"%s\", \"lines\": [1, 2]}", i,
                 id);
        bodies[i] = strdup(b);
    }
    struct effect_ledger l;
    effect_ledger_init(&l, run, producers);
    double t0 = cpu_s();
    char scratch[256];
    for (long i = 0; i < n; i++) {
        const char *id, *why;
        size_t len, blen = strlen(bodies[i]);
        if (effect_json_id(bodies[i], blen, "order_id", scratch, sizeof scratch, &id, &len, &why)) id = NULL;
        effect_ledger_add(&l, id, len, why, bodies[i], blen, false, (uint64_t)i);
    }
    double t1 = cpu_s();
    uint64_t per = (uint64_t)(n / producers + 1);
    uint64_t *confirmed = calloc(per / 64 + 2, sizeof *confirmed);
    memset(confirmed, 0xff, (per / 64 + 2) * sizeof *confirmed);
    struct effect_totals t = {0};
    for (uint32_t p = 0; p < producers; p++) {
        struct effect_input_sets in = {confirmed, (per / 64 + 2) * 64, (uint64_t)(n / producers), NULL, 0, NULL, 0};
        effect_ledger_judge(&l, p, &in, &t);
    }
    double t2 = cpu_s();
    printf("effect matching: %ld effects, %.3f CPU-s per 100k to read and match, %.3f CPU-s per 100k to judge "
           "(matched %llu, lost %llu, unparsable %llu)\n",
           n, (t1 - t0) / (double)n * 1e5, (t2 - t1) / (double)n * 1e5, (unsigned long long)t.matched,
           (unsigned long long)t.lost, (unsigned long long)l.unparsable);
    effect_ledger_free(&l);
    for (long i = 0; i < n; i++)
        free(bodies[i]);
    free(bodies), free(confirmed);
    return 0;
}
