/* scenario: a YAML fault timeline over a bench load, with gates.
 * scenario_load() prints every error as "file:line:column: field: reason"
 * and returns -1; it never crashes on any input. Format: docs/scenarios.md. */
#ifndef LOADGEN_SCENARIO_H
#define LOADGEN_SCENARIO_H

#include "config.h"

#include <stdbool.h>
#include <stdint.h>

enum fault_action {
    FA_KILL, FA_STOP, FA_START, FA_RESTART, FA_PAUSE, FA_RESUME, /* the embedded broker */
    FA_TOXIC, FA_UNTOXIC, FA_DOWN, FA_UP, FA_DISCONNECT,         /* the proxy */
    FA_EXEC, FA_WAIT, FA_COUNT
};

struct fault {
    uint64_t at_ns, for_ns;    /* for_ns: revert after (0: no revert) */
    enum fault_action action;
    char *toxic_json;          /* FA_TOXIC: the toxic, as Toxiproxy JSON */
    char *toxic_name;          /* FA_TOXIC/FA_UNTOXIC: its name */
    char *command;             /* FA_EXEC */
    uint64_t timeout_ns;       /* FA_EXEC / FA_WAIT */
    int line;
};

enum gate_kind {
    G_LOST, G_UNEXPECTED, G_DUPLICATES, G_UNEXPLAINED_DUPLICATES, G_ORDER_VIOLATIONS,
    G_RECOVERY, G_E2E_P50, G_E2E_P99, G_CONFIRM_P99, G_THROUGHPUT, G_CONSUMED, G_INDETERMINATE,
    G_DUPLICATE_EFFECTS, G_DEAD_LETTERED, G_UNAVAILABLE, G_COUNT
};

struct gate {
    enum gate_kind kind;
    bool has_min, has_max;
    double min, max; /* durations in ms, counts as counts, throughput in msg/s */
    int line, col;   /* where the file names it */
};

#define SCENARIO_MAX_GATES 16

struct scenario {
    char *path, *name, *description;
    struct config cfg;
    struct fault *faults;
    int nfaults;
    struct gate gates[SCENARIO_MAX_GATES];
    int ngates;
};

int scenario_load(const char *path, struct scenario *sc);
void scenario_free(struct scenario *sc);

const char *fault_action_name(enum fault_action a);
const char *gate_name(enum gate_kind g);
/* "ms" for latency and time gates, "/s" for throughput, "" for counts. */
const char *gate_unit(enum gate_kind g);
bool fault_needs_broker(enum fault_action a);

#endif
