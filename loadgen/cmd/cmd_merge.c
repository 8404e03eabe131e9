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
#include "report.h"
#include "run_schema.h"
#include "runmerge.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_MAX 64
#define MERGE_PAIRS_MAX (1u << 20) /* (queue, producer) pairs: 1M */
#define MERGE_WORDS_MAX (1ull << 29)  /* bitmap words held at once: 4 GiB, 2^35 sequences */

struct pq { /* one (queue, producer) */
    uint64_t *confirmed, confirmed_nbits, last;
    bool have_producer;
    struct seq_track *inst; /* each instance's consumer side, NULL until one is read */
};

struct merge {
    struct ledger_file_header h;
    struct pq *pq;
    int cur, n; /* the instance being read, of n */
    uint64_t words; /* held so far: the files are input, their sizes capped */
};

static int on_record(void *ctx, enum ledger_file_kind kind, uint32_t q, uint32_t p, const uint64_t *w, uint64_t n)
{
    struct merge *m = ctx;
    if (q >= m->h.queues || p >= m->h.producers_total) return 1;
    struct pq *x = &m->pq[(size_t)q * m->h.producers_total + p];
    uint64_t bytes = n * 8;
    if ((m->words += n) > MERGE_WORDS_MAX) return 1;
    switch (kind) {
    case LF_CONFIRMED:
        free(x->confirmed);
        x->confirmed = xmalloc(bytes ? bytes : 8);
        memcpy(x->confirmed, w, bytes);
        x->confirmed_nbits = n * 64;
        x->have_producer = true;
        break;
    case LF_LAST_SEQ: x->last = n ? w[0] : 0; break;
    case LF_CONSUMED:
    case LF_FLAGGED: {
        if (!x->inst) x->inst = xcalloc((size_t)m->n, sizeof *x->inst);
        struct seq_track *t = &x->inst[m->cur];
        uint64_t **dst = kind == LF_CONSUMED ? &t->bits : &t->flagged;
        free(*dst);
        *dst = xcalloc(n ? n : 1, 8);
        memcpy(*dst, w, bytes);
        if (n * 64 > t->nbits) t->nbits = n * 64;
        if (kind == LF_CONSUMED) { /* what ledger_merge reads besides the bits */
            t->unique = t->highest = 0;
            for (uint64_t i = 0; i < n; i++) {
                t->unique += (uint64_t)__builtin_popcountll(w[i]);
                if (w[i]) t->highest = i * 64 + 63 - (uint64_t)__builtin_clzll(w[i]);
            }
        }
        break;
    }
    default: break;
    }
    return 0;
}

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
    struct merge m;
    struct runmerge *rm;
    json_t *runs[MERGE_MAX];
    double epoch[MERGE_MAX], off[MERGE_MAX], e0;
    int index[MERGE_MAX];
    uint8_t *seen_inst, *covered;
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

/* The first instance sets the run's shape; the others must be of it. */
static int check_header(struct job *j, int i, const struct ledger_file_header *h)
{
    struct merge *m = &j->m;
    if (i == 0) {
        m->h = *h;
        uint64_t pairs = (uint64_t)(h->queues ? h->queues : 1) * (h->producers_total ? h->producers_total : 1);
        if (pairs > MERGE_PAIRS_MAX || h->instances > 1024 || h->producers_total > 100000) {
            log_err("merge: %s: %u queues x %u producers over %u instances: more than merge takes", j->path,
                    h->queues, h->producers_total, h->instances);
            return EXIT_USAGE;
        }
        m->pq = xcalloc(pairs, sizeof *m->pq);
        j->seen_inst = xcalloc(h->instances, 1);
        j->covered = xcalloc(h->producers_total ? h->producers_total : 1, 1);
    } else if (h->run_id != m->h.run_id || h->instances != m->h.instances || h->queues != m->h.queues ||
               h->producers_total != m->h.producers_total) {
        log_err("merge: %s is another run (run id %08x, %u instances, %u queues, %u producers; %s: %08x, %u, "
                "%u, %u)", j->dirs[i], h->run_id, h->instances, h->queues, h->producers_total, j->dirs[0],
                m->h.run_id, m->h.instances, m->h.queues, m->h.producers_total);
        return EXIT_USAGE;
    }
    if (h->instance >= m->h.instances || j->seen_inst[h->instance]++) {
        log_err("merge: %s: instance %u of %u is given twice", j->dirs[i], h->instance, m->h.instances);
        return EXIT_USAGE;
    }
    j->index[i] = (int)h->instance;
    if ((uint64_t)h->producer_base + h->producers > m->h.producers_total) {
        log_err("merge: %s: producers %u-%u of %u", j->dirs[i], h->producer_base, h->producer_base + h->producers,
                m->h.producers_total);
        return EXIT_USAGE;
    }
    for (uint32_t p = h->producer_base; p < h->producer_base + h->producers; p++)
        if (j->covered[p]++) {
            log_err("merge: producer %u is in two instances (%s and an earlier one)", p, j->dirs[i]);
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
    if (!json_is_object(json_object_get(run_get(j->runs[i], RK_CONFIG), "instance"))) {
        log_err("merge: %s is not an instance of a sharded run (no config.instance: run with --instance I/N)",
                j->dirs[i]);
        return EXIT_USAGE;
    }
    if (ledger_file_read(j->path, &h, NULL, NULL, j->err, sizeof j->err)) {
        log_err("merge: %s", j->err);
        return EXIT_USAGE;
    }
    int rc = check_header(j, i, &h);
    if (rc != EXIT_OK) return rc;
    j->m.cur = i;
    int lr = ledger_file_read(j->path, &h, on_record, &j->m, j->err, sizeof j->err);
    if (lr > 0) snprintf(j->err, sizeof j->err, "%s: the ledgers hold more than %llu words of sequences", j->path,
                         (unsigned long long)MERGE_WORDS_MAX);
    if (lr) {
        log_err("merge: %s", j->err);
        rc = EXIT_USAGE;
    }
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
    for (uint32_t k = 0; k < j->m.h.instances; k++)
        if (!j->seen_inst[k] && strlen(j->missing) < sizeof j->missing - 16)
            snprintf(j->missing + strlen(j->missing), sizeof j->missing - strlen(j->missing), "%s%u",
                     j->missing[0] ? ", " : "", k);
    if (j->missing[0] && !j->allow_missing) {
        log_err("merge: instance %s of %u missing (give every instance's run directory, or --allow-missing)",
                j->missing, j->m.h.instances);
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

/* The checker over the union of the instances' sets, per (queue, producer). */
static void check_union(struct job *j, struct ledger_merge *lm, uint64_t *lost, uint64_t *recovered)
{
    const struct seq_track **tr = xcalloc((size_t)j->nd, sizeof *tr);
    for (uint32_t q = 0; q < j->m.h.queues; q++)
        for (uint32_t p = 0; p < j->m.h.producers_total; p++) {
            struct pq *x = &j->m.pq[(size_t)q * j->m.h.producers_total + p];
            for (int i = 0; i < j->nd; i++) tr[i] = x->inst && x->inst[i].nbits ? &x->inst[i] : NULL;
            ledger_merge(tr, j->nd, lm);
            if (x->have_producer)
                ledger_durability(x->confirmed, x->confirmed_nbits, x->last, tr, j->nd, lost, recovered);
        }
    free(tr);
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
    check_union(j, &lm, &lost, &recovered);
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
                        json_pack("{s:i, s:i, s:O, s:s, s:o, s:s}", "instances", j->nd, "of", (int)j->m.h.instances,
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
           j->nd, j->m.h.instances, (unsigned long long)lm.unique, (unsigned long long)lost,
           (unsigned long long)recovered, (unsigned long long)lm.gaps, (unsigned long long)lm.cross_duplicates);
    enum gate_status v = merged_verdict(merged, j->runs[0], had_faults);
    if (j->missing[0]) {
        char why[500];
        snprintf(why, sizeof why, "instance %s of %u missing from the merge: its messages count as never "
                 "consumed", j->missing, j->m.h.instances);
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
    struct merge *m = &j->m;
    for (int i = 0; i < j->nd; i++) json_decref(j->runs[i]);
    runmerge_free(j->rm);
    if (m->pq) {
        for (size_t k = 0;
             k < (size_t)(m->h.queues ? m->h.queues : 1) * (m->h.producers_total ? m->h.producers_total : 1); k++) {
            free(m->pq[k].confirmed);
            for (int i = 0; m->pq[k].inst && i < j->nd; i++)
                free(m->pq[k].inst[i].bits), free(m->pq[k].inst[i].flagged);
            free(m->pq[k].inst);
        }
        free(m->pq);
    }
    free(j->seen_inst), free(j->covered);
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
    j->m.n = j->nd;
    j->rm = runmerge_new();
    for (int i = 0; i < j->nd && rc == EXIT_OK; i++) rc = read_instance(j, i);
    if (rc == EXIT_OK) rc = gather(j);
    if (rc == EXIT_OK) rc = write_merged(j);
    job_free(j);
    return rc;
}
