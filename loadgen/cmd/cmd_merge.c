/* `loadgen merge DIR... --out DIR` (scale-out, docs/scale-out.md): one run
 * directory from the run directories of a run's instances (--instance
 * I/N). The checker's categories are recomputed over the union of their
 * ledgers (a message published by one instance and consumed by another is
 * neither lost nor unexpected); counters, series and latency are
 * runmerge's; the verdict is recomputed, a scenario's gates included. */
#include "cli.h"
#include "gates.h"
#include "ledger.h"
#include "ledger_file.h"
#include "ledger_union.h"
#include "report.h"
#include "run_schema.h"
#include "runmerge.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_MAX 64
static void usage(void)
{
    puts("usage: loadgen merge DIR... --out DIR [--allow-missing]\n"
         "One run directory from the run directories of a run's instances (--instance I/N):\n"
         "the checker over the union of their ledgers (lost, recovered, gaps, duplicates\n"
         "across instances), counters summed, series aligned by wall clock, latency added\n"
         "exactly from the interval logs, the verdict (a scenario's gates too) recomputed.\n"
         "Refuses runs of another run id, a producer in two instances, an instance given\n"
         "twice, and a missing instance unless --allow-missing (its messages then count as\n"
         "never consumed). Exit 0 pass, 1 a gate failed, 2 bad input, 4 incomplete.");
}

/* The instance that acted on the broker (index 0) owns the fault timeline;
 * every instance's own steps (its proxy) are listed, shifted to the merged
 * clock, so a failed step anywhere fails the run. */
static void merge_faults(json_t *merged, json_t **runs, const double *off, const int *index, int nd)
{
    json_t *faults = json_array(), *avail = json_array(), *e;
    size_t k;
    bool any = false;
    for (int i = 0; i < nd; i++) {
        json_array_foreach(run_get(runs[i], RK_FAULTS), k, e) {
            json_t *c = json_deep_copy(e);
            run_set(c, RK_F_STARTED, json_real(run_num(e, RK_F_STARTED) + off[i]));
            run_set(c, RK_F_FINISHED, json_real(run_num(e, RK_F_FINISHED) + off[i]));
            json_object_set_new(c, "instance", json_integer(index[i]));
            json_array_append_new(faults, c);
            any = true;
        }
        if (index[i] != 0) continue;
        json_array_foreach(run_get(runs[i], RK_AV_FAULTS), k, e) {
            json_t *c = json_deep_copy(e);
            run_set(c, RK_AV_INJECTED, json_real(run_num(e, RK_AV_INJECTED) + off[i]));
            json_array_append_new(avail, c);
        }
    }
    if (any || run_get(merged, RK_FAULTS)) run_set(merged, RK_FAULTS, faults);
    else json_decref(faults);
    if (run_get(merged, RK_AV_FAULTS)) run_set(merged, RK_AV_FAULTS, avail);
    else json_decref(avail);
}

/* A scenario's gates as the instances recorded them (verdict.gates: name,
 * min, max), judged again over the merged run. */
static enum gate_status merged_verdict(json_t *merged, json_t *first, bool had_faults)
{
    if (!run_get(merged, RK_SCENARIO_NAME)) return gates_bench_verdict(merged);
    struct gate gs[G_COUNT];
    int n = 0;
    size_t k;
    json_t *g;
    json_array_foreach(run_get(first, RK_VERDICT_GATES), k, g) {
        int kind = gates_lookup(run_str(g, RK_G_GATE));
        if (kind < 0 || n == G_COUNT) continue; /* faults_failed: recomputed from the steps */
        json_t *mn = run_get(g, RK_G_MIN), *mx = run_get(g, RK_G_MAX);
        gs[n++] = (struct gate){.kind = (enum gate_kind)kind, .has_min = json_is_number(mn),
                                .min = json_number_value(mn), .has_max = json_is_number(mx),
                                .max = json_number_value(mx)};
    }
    return gates_verdict(gs, n, had_faults, merged, stdout);
}

/* One merge: the instances' run directories, what was read of them. */
struct job {
    const char *out, *dirs[MERGE_MAX];
    int nd;
    bool allow_missing;
    struct ledger_union *u;
    struct runmerge *rm;
    json_t *runs[MERGE_MAX];
    double epoch[MERGE_MAX], off[MERGE_MAX], e0;
    int index[MERGE_MAX];
    char missing[400]; /* the instances not given, "1, 3" */
    char err[1400], path[1200];
};

/* EXIT_OK to go on, or the exit code (usage, --help). */
static int parse_args(struct job *j, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 == argc) {
                log_err("merge: --out needs a directory (--out DIR)");
                return EXIT_USAGE;
            }
            j->out = argv[++i];
        }
        else if (!strcmp(argv[i], "--allow-missing")) j->allow_missing = true;
        else if (!strcmp(argv[i], "--help")) return usage(), -1;
        else if (argv[i][0] == '-') {
            log_err("merge: unknown option '%s' (loadgen merge --help)", argv[i]);
            return EXIT_USAGE;
        } else if (j->nd == MERGE_MAX) {
            log_err("merge: at most %d instances", MERGE_MAX);
            return EXIT_USAGE;
        } else j->dirs[j->nd++] = argv[i];
    }
    if (!j->out || j->nd < 1) {
        log_err("merge: give the instances' run directories and --out DIR (loadgen merge --help)");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Instance i's run.json and ledger.bin. */
static int read_instance(struct job *j, int i)
{
    struct ledger_file_header h;
    snprintf(j->path, sizeof j->path, "%s/ledger.bin", j->dirs[i]);
    if (!(j->runs[i] = report_load(j->dirs[i], j->err, sizeof j->err))) {
        log_err("merge: %s", j->err);
        return EXIT_USAGE;
    }
    json_t *inst = json_object_get(run_get(j->runs[i], RK_CONFIG), "instance");
    if (!json_is_object(inst)) {
        log_err("merge: %s is not an instance of a sharded run (no config.instance: run with --instance I/N)",
                j->dirs[i]);
        return EXIT_USAGE;
    }
    if (run_schema_check(j->runs[i], j->err, sizeof j->err)) {
        log_err("merge: %s/run.json: %s (docs/report-schema.md)", j->dirs[i], j->err);
        return EXIT_USAGE;
    }
    if (ledger_file_read(j->path, &h, NULL, NULL, j->err, sizeof j->err)) {
        log_err("merge: %s", j->err);
        return EXIT_USAGE;
    }
    char id[16];
    snprintf(id, sizeof id, "%08x", h.run_id);
    const char *rid = json_string_value(json_object_get(inst, "run_id"));
    if (!rid || strcmp(rid, id)) {
        log_err("merge: %s: run.json is of run %s, its ledger.bin of run %s", j->dirs[i], rid ? rid : "(none)", id);
        return EXIT_USAGE;
    }
    if (!j->u && !(j->u = ledger_union_new(&h, j->nd, j->err, sizeof j->err))) {
        log_err("merge: %s: %s", j->path, j->err);
        return EXIT_USAGE;
    }
    if (ledger_union_header(j->u, i, &h, j->err, sizeof j->err)) {
        log_err("merge: %s: %s", j->dirs[i], j->err);
        return EXIT_USAGE;
    }
    j->index[i] = (int)h.instance;
    int fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || ledger_union_read(j->u, i, fd, j->path, j->err, sizeof j->err)) {
        if (fd < 0) snprintf(j->err, sizeof j->err, "cannot read %s: %s", j->path, strerror(errno));
        log_err("merge: %s", j->err);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    j->epoch[i] = run_num(j->runs[i], RK_ENV_STARTED_EPOCH);
    if (isnan(j->epoch[i])) {
        log_err("merge: %s: no environment.started_epoch_s", j->dirs[i]);
        rc = EXIT_USAGE;
    }
    if (j->epoch[i] < j->e0) j->e0 = j->epoch[i];
    return rc;
}

/* Every instance given (or --allow-missing); the series and latency of
 * each, aligned by wall clock; the output directory. */
static int gather(struct job *j)
{
    const struct ledger_file_header *shape = ledger_union_shape(j->u);
    for (uint32_t k = 0; k < shape->instances; k++)
        if (!ledger_union_has(j->u, k) && strlen(j->missing) < sizeof j->missing - 16)
            snprintf(j->missing + strlen(j->missing), sizeof j->missing - strlen(j->missing), "%s%u",
                     j->missing[0] ? ", " : "", k);
    if (j->missing[0] && !j->allow_missing) {
        log_err("merge: instance %s of %u missing (give every instance's run directory, or --allow-missing)",
                j->missing, shape->instances);
        return EXIT_USAGE;
    }
    for (int i = 0; i < j->nd; i++) {
        j->off[i] = j->epoch[i] - j->e0;
        snprintf(j->path, sizeof j->path, "%s/latency.hlog", j->dirs[i]);
        if (runmerge_add(j->rm, j->runs[i], j->path, j->off[i], j->err, sizeof j->err)) {
            log_err("merge: %s", j->err);
            return EXIT_USAGE;
        }
    }
    if (report_mkdirs(j->out, j->err, sizeof j->err)) {
        log_err("merge: --out: %s", j->err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The categories as one process derives them from its threads: the
 * instances (summed) stand for the threads, the union adds the copies seen
 * by two of them; lost by the rule of one process, over the whole load
 * (the instances checked their routing model before writing ledgers). */
static void set_totals(json_t *merged, const struct ledger_merge *lm, uint64_t lost, uint64_t recovered)
{
    struct ledger_totals lt = {0};
    json_int_t own_cross = json_integer_value(run_get(merged, RK_T_DUPLICATES_CROSS_THREAD));
    ledger_totals_finish(&lt, lm, (uint64_t)json_integer_value(run_get(merged, RK_T_DUPLICATES_TOTAL)),
                         (uint64_t)json_integer_value(run_get(merged, RK_T_DUPLICATES_EXPLAINED)),
                         (uint64_t)json_integer_value(run_get(merged, RK_T_EFFECTS)),
                         json_is_true(json_object_get(run_get(merged, RK_CONFIG), "idempotent")));
    run_set(merged, RK_T_UNIQUE, json_integer((json_int_t)lt.unique));
    run_set(merged, RK_T_GAPS, json_integer((json_int_t)lt.gaps));
    run_set(merged, RK_T_DUPLICATES_TOTAL, json_integer((json_int_t)lt.duplicates));
    run_set(merged, RK_T_DUPLICATES_EXPLAINED, json_integer((json_int_t)lt.duplicates_explained));
    run_set(merged, RK_T_DUPLICATES_UNEXPLAINED, json_integer((json_int_t)lt.duplicates_unexplained));
    run_set(merged, RK_T_DUPLICATES_CROSS_THREAD, json_integer(own_cross + (json_int_t)lt.duplicates_cross_thread));
    run_set(merged, RK_T_EFFECTS, json_integer((json_int_t)lt.effects));
    run_set(merged, RK_T_DUPLICATE_EFFECTS, json_integer((json_int_t)lt.duplicate_effects));
    json_t *cfg = run_get(merged, RK_CONFIG), *inst = json_object_get(cfg, "instance");
    struct gate_load load = {.confirm = json_integer_value(json_object_get(cfg, "confirm")) > 0,
                             .producers = (int)json_integer_value(json_object_get(inst, "producers_total")),
                             .consumers = (int)json_integer_value(json_object_get(inst, "consumers_total"))};
    bool have_lost = !gates_computable(G_LOST, &load);
    run_set(merged, RK_T_LOST, have_lost ? json_integer((json_int_t)lost) : json_null());
    run_set(merged, RK_T_RECOVERED, have_lost ? json_integer((json_int_t)recovered) : json_null());
    json_object_set_new(cfg, "producers", json_integer(load.producers));
    json_object_set_new(cfg, "consumers", json_integer(load.consumers));
}

/* The merged run directory and its verdict: the exit code. */
static int write_merged(struct job *j)
{
    struct ledger_merge lm = {0};
    uint64_t lost = 0, recovered = 0;
    if (ledger_union_check(j->u, &lm, &lost, &recovered, j->err, sizeof j->err)) {
        log_err("merge: %s", j->err);
        return EXIT_USAGE;
    }
    uint32_t of = ledger_union_shape(j->u)->instances;
    json_t *merged = json_deep_copy(j->runs[0]);
    run_set(merged, RK_ENV_STARTED_EPOCH, json_real(j->e0));
    snprintf(j->path, sizeof j->path, "%s/latency.hlog", j->out);
    FILE *hl = file_create(j->path);
    if (!hl) log_err("merge: cannot write %s", j->path);
    runmerge_finish(j->rm, merged, hl);
    if (hl && fclose(hl)) log_err("merge: cannot write %s", j->path);
    set_totals(merged, &lm, lost, recovered);
    json_t *cfg = run_get(merged, RK_CONFIG), *inst = json_object_get(cfg, "instance");
    json_t *from = json_array();
    for (int i = 0; i < j->nd; i++) json_array_append_new(from, json_string(j->dirs[i]));
    json_object_set_new(merged, "merged",
                        json_pack("{s:i, s:i, s:O, s:s, s:o, s:s}", "instances", j->nd, "of", (int)of,
                                  "run_id", json_object_get(inst, "run_id"), "missing", j->missing, "from", from,
                                  "series", "aligned by wall clock to the second"));
    json_object_del(cfg, "instance");
    merge_faults(merged, j->runs, j->off, j->index, j->nd);
    bool had_faults = json_array_size(run_get(merged, RK_FAULTS)) > 0;
    bool confirming = json_integer_value(json_object_get(cfg, "confirm")) > 0;
    json_int_t ptot = json_integer_value(json_object_get(cfg, "producers"));
    json_int_t ctot = json_integer_value(json_object_get(cfg, "consumers"));
    if (run_get(merged, RK_AV_FAULTS))
        gates_availability(merged, confirming && ptot > 0, ctot > 0, run_num(merged, RK_CONFIG_DURATION));
    printf("merged %d of %u instances: unique %llu, lost %llu, recovered %llu, gaps %llu, cross-instance "
           "duplicates %llu\n",
           j->nd, of, (unsigned long long)lm.unique, (unsigned long long)lost,
           (unsigned long long)recovered, (unsigned long long)lm.gaps, (unsigned long long)lm.cross_duplicates);
    enum gate_status v = merged_verdict(merged, j->runs[0], had_faults);
    if (j->missing[0]) {
        char why[500];
        snprintf(why, sizeof why, "instance %s of %u missing from the merge: its messages count as never "
                 "consumed", j->missing, of);
        json_array_append_new(run_get(merged, RK_VERDICT_REASONS), json_string(why));
        log_note("%s", why);
    }
    int rc;
    if (report_write_dir(j->out, merged, j->err, sizeof j->err)) {
        log_err("merge: %s", j->err);
        rc = EXIT_USAGE;
    } else {
        log_note("report in %s/report.html", j->out);
        rc = v == GATE_FAIL ? EXIT_FAILED : v == GATE_UNKNOWN ? EXIT_INCOMPLETE : EXIT_OK;
        if (!run_get(merged, RK_SCENARIO_NAME))
            printf("verdict: %s\n", rc == EXIT_FAILED ? "FAIL" : rc == EXIT_INCOMPLETE ? "INCOMPLETE" : "PASS");
    }
    json_decref(merged);
    return rc;
}

static void job_free(struct job *j)
{
    for (int i = 0; i < j->nd; i++) json_decref(j->runs[i]);
    runmerge_free(j->rm);
    ledger_union_free(j->u);
    free(j);
}

int cmd_merge(int argc, char **argv)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->e0 = INFINITY;
    int rc = parse_args(j, argc, argv);
    if (rc != EXIT_OK) {
        free(j);
        return rc < 0 ? EXIT_OK : rc;
    }
    j->rm = runmerge_new();
    for (int i = 0; i < j->nd && rc == EXIT_OK; i++) rc = read_instance(j, i);
    if (rc == EXIT_OK) rc = gather(j);
    if (rc == EXIT_OK) rc = write_merged(j);
    job_free(j);
    return rc;
}
