/* The run.json contract: the table in run_schema.h against the table in
 * docs/report-schema.md (same keys, types and "when", both ways), every
 * counter the workers write is in it, and typed access reads and writes
 * each key where its path says. */
#include "run_schema.h"
#include "stats.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DOC "docs/report-schema.md"

static int find_key(const char *path)
{
    for (int k = 0; k < RK_COUNT; k++)
        if (!strcmp(run_keys[k].path, path)) return k;
    return -1;
}

static void when_of(unsigned flags, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s", flags & RS_RUN ? "run" : "",
             (flags & RS_RUN) && (flags & (RS_OPTIONAL | RS_OPEN)) ? ", " : "",
             flags & RS_OPTIONAL ? "optional" : flags & RS_OPEN ? "open" : "", flags ? "" : "always");
}

/* Rows "| `path` | type | when | meaning |" of the document's run.json table. */
static void against_the_document(void)
{
    FILE *f = fopen(DOC, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[2048], when[64];
    bool seen[RK_COUNT] = {0};
    int rows = 0;
    bool in_section = false; /* the table under "## run.json", not the files table */
    while (fgets(line, sizeof line, f)) {
        char path[256], type[64], w[64];
        if (!strncmp(line, "## ", 3)) in_section = !strncmp(line, "## run.json", 11);
        if (!in_section) continue;
        if (sscanf(line, "| `%255[^`]` | %63[^|]| %63[^|]|", path, type, w) != 3) continue;
        for (char *e = type + strlen(type); e > type && e[-1] == ' ';) *--e = 0;
        for (char *e = w + strlen(w); e > w && e[-1] == ' ';) *--e = 0;
        rows++;
        int k = find_key(path);
        if (k < 0) {
            fprintf(stderr, DOC ": `%s` is not in run_schema.h\n", path);
            CHECK(k >= 0);
            continue;
        }
        seen[k] = true;
        if (strcmp(type, run_type_name(run_keys[k].type))) {
            fprintf(stderr, DOC ": `%s` is %s, run_schema.h says %s\n", path, type, run_type_name(run_keys[k].type));
            CHECK(!"types agree");
        }
        when_of(run_keys[k].flags, when, sizeof when);
        if (strcmp(w, when)) {
            fprintf(stderr, DOC ": `%s` is %s, run_schema.h says %s\n", path, w, when);
            CHECK(!"when agrees");
        }
    }
    fclose(f);
    for (int k = 0; k < RK_COUNT; k++)
        if (!seen[k]) {
            fprintf(stderr, "run_schema.h: `%s` is not in " DOC "\n", run_keys[k].path);
            CHECK(seen[k]);
        }
    CHECK(rows == RK_COUNT);
}

static void table_itself(void)
{
    for (int k = 0; k < RK_COUNT; k++) {
        CHECK(run_keys[k].path && run_keys[k].label && *run_keys[k].label);
        CHECK(find_key(run_keys[k].path) == k); /* unique */
    }
    /* Every counter the workers count is a documented total. */
    char path[128];
    for (int c = 0; c < ST_COUNT; c++) {
        snprintf(path, sizeof path, "totals.%s", stats_counter_names[c]);
        if (find_key(path) < 0) fprintf(stderr, "run_schema.h: no %s\n", path);
        CHECK(find_key(path) >= 0);
    }
    for (int h = 0; h < SH_COUNT; h++) {
        snprintf(path, sizeof path, "latency.%s", stats_hist_names[h]);
        CHECK(find_key(path) >= 0);
    }
}

static void access(void)
{
    json_t *run = json_object();
    run_set(run, RK_T_LOST, json_integer(3));
    run_set(run, RK_DRAIN_ENDED, json_string("complete"));
    run_set(run, RK_INTERRUPTED, json_true());
    CHECK(run_num(run, RK_T_LOST) == 3 && !strcmp(run_str(run, RK_DRAIN_ENDED), "complete"));
    CHECK(run_true(run, RK_INTERRUPTED) && !run_true(run, RK_VERDICT_PASS));
    CHECK(json_integer_value(json_object_get(json_object_get(run, "totals"), "lost")) == 3);
    CHECK(isnan(run_num(run, RK_T_UNIQUE)) && !strcmp(run_str(run, RK_SCENARIO_NAME), ""));
    run_set(run, RK_T_LOST, json_null()); /* null reads as not a number */
    CHECK(isnan(run_num(run, RK_T_LOST)) && json_is_null(run_get(run, RK_T_LOST)));
    /* Keys below "[]" and "*" are read in the element; "p99.9" is one key. */
    json_t *metric = json_object();
    run_set(metric, RK_LAT_P999, json_real(2.5));
    run_set(metric, RK_LAT_VALUES, json_array());
    CHECK(json_number_value(json_object_get(metric, "p99.9")) == 2.5 && run_num(metric, RK_LAT_P999) == 2.5);
    CHECK(json_is_array(json_object_get(json_object_get(metric, "distribution"), "value_ms")));
    json_object_set_new(json_object_get(run, "totals"), "x", json_integer(1));
    json_t *lat = json_object();
    json_object_set_new(lat, "e2e", metric);
    run_set(run, RK_LATENCY, lat);
    CHECK(run_num(run_get(run, RK_LAT_E2E), RK_LAT_P999) == 2.5);
    json_t *step = json_pack("{s:s, s:f}", "action", "kill", "started_s", 1.5);
    CHECK(!strcmp(run_str(step, RK_F_ACTION), "kill") && run_num(step, RK_F_STARTED) == 1.5);
    CHECK(run_get(run, RK_S_COUNTER) == NULL); /* a wildcard names no one value */
    json_decref(step);
    json_decref(run);
}

void test_run_schema(void)
{
    table_itself();
    against_the_document();
    access();
}
