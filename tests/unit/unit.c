#include "unit.h"

int unit_failures, unit_checks;

static const struct {
    const char *name;
    void (*fn)(void);
} suites[] = {
    {"units", test_units},
    {"hist", test_hist},
    {"crc", test_crc},
    {"msg", test_msg},
    {"rxframes", test_rxframes},
    {"bits", test_bits},
    {"ledger", test_ledger},
    {"ledger-totals", test_ledger_totals},
    {"schedule", test_schedule},
    {"msg-bytes", test_msg_bytes},
    {"gates", test_gates},
    {"capacity", test_capacity},
    {"ledger_file", test_ledger_file},
    {"effects", test_effects},
    {"http_resp", test_http_resp},
    {"junit", test_junit},
    {"run_schema", test_run_schema},
    {"config", test_config},
    {"route", test_route},
    {"topo", test_topo},
    {"partition", test_partition},
};

int main(void)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        int before = unit_failures;
        suites[i].fn();
        printf("%-12s %s\n", suites[i].name, unit_failures == before ? "ok" : "FAILED");
    }
    printf("%d passed, %d failed\n", unit_checks - unit_failures, unit_failures);
    return unit_failures ? 1 : 0;
}
