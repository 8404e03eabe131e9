/* unit: a tiny test harness for pure modules. */
#ifndef LOADGEN_UNIT_H
#define LOADGEN_UNIT_H

#include <stdio.h>

extern int unit_failures, unit_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        unit_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            unit_failures++;                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);             \
        unit_checks++;                                                                             \
        if (a_ != b_) {                                                                            \
            unit_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a, a_, b_); \
        }                                                                                          \
    } while (0)

/* Each test file defines one suite function, listed in unit.c. */
void test_units(void);
void test_rxframes(void);
void test_partition(void);
void test_hist(void);
void test_crc(void);
void test_msg(void);
void test_bits(void);
void test_ledger(void);
void test_ledger_totals(void);
void test_schedule(void);
void test_msg_bytes(void);
void test_gates(void);
void test_capacity(void);
void test_ledger_file(void);
void test_effects(void);
void test_http_resp(void);
void test_junit(void);
void test_run_schema(void);
void test_config(void);
void test_topo(void);
void test_route(void);

#endif
