/* `loadgen merge DIR... --out DIR` (scale-out, work in progress on branch
 * issue16): unions the instances' ledgers and recomputes the checker's
 * categories over the union; sums the counters. Not yet: the hlog merge
 * (latency), series alignment, the gates of a scenario, the report page. */
#include "cli.h"
#include "gates.h"
#include "hdrfmt.h"
#include "hist.h"
#include "ledger.h"
#include "ledger_file.h"
#include "report.h"
#include "run_schema.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_MAX 64

struct pq { /* one (queue, producer) */
    uint64_t *confirmed, confirmed_nbits, last;
    bool have_producer;
    struct seq_track inst[MERGE_MAX]; /* each instance's consumer side */
};

struct merge {
    struct ledger_file_header h;
    struct pq *pq;
    int cur; /* the instance being read */
};

static int on_record(void *ctx, enum ledger_file_kind kind, uint32_t q, uint32_t p, const uint64_t *w, uint64_t n)
{
    struct merge *m = ctx;
    struct pq *x = &m->pq[(size_t)q * m->h.producers_total + p];
    uint64_t bytes = n * 8;
    switch (kind) {
    case LF_CONFIRMED:
        free(x->confirmed);
        x->confirmed = xmalloc(bytes ? bytes : 8);
        memcpy(x->confirmed, w, bytes);
        x->confirmed_nbits = n * 64;
        x->have_producer = true;
        break;
    case LF_LAST_SEQ: x->last = w[0]; break;
    case LF_CONSUMED:
    case LF_FLAGGED: {
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

#define MERGE_TAGS 8

struct tags {
    char name[MERGE_TAGS][32];
    struct hist *h[MERGE_TAGS];
    int n;
    double from_s; /* the instance's warmup: its measured window starts there */
    int overflow;
};

/* Rows of the measured window (start >= warmup, as the reporter counts
 * them), added per tag: the merged histogram is exact, the sum of the
 * instances' counts, never an average of percentiles. */
static int on_row(void *ctx, const char *tag, double start_s, double length_s, const struct hist *h)
{
    (void)length_s;
    struct tags *t = ctx;
    if (start_s + 1e-9 < t->from_s) return 0;
    int i = 0;
    while (i < t->n && strcmp(t->name[i], tag)) i++;
    if (i == t->n) {
        if (t->n == MERGE_TAGS) return t->overflow = 1;
        str_copy(t->name[i], sizeof t->name[i], tag);
        t->h[i] = hist_new_default();
        t->n++;
    }
    if (h->total_count > HDRFMT_MAX_COUNT - t->h[i]->total_count) return t->overflow = 1;
    hist_add(t->h[i], h);
    return 0;
}

int cmd_merge(int argc, char **argv)
{
    struct tags tags = {0};
    const char *out = NULL, *dirs[MERGE_MAX];
    int nd = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            puts("usage: loadgen merge DIR... --out DIR\n"
                 "Unions the ledgers of a run's instances (--instance I/N) and recomputes the\n"
                 "checker's categories over the union; sums the counters. (work in progress)");
            return EXIT_OK;
        } else if (argv[i][0] == '-' || nd == MERGE_MAX) {
            log_err("merge: unexpected '%s' (loadgen merge --help)", argv[i]);
            return EXIT_USAGE;
        } else dirs[nd++] = argv[i];
    }
    if (!out || nd < 1) {
        log_err("merge: give the instances' run directories and --out DIR");
        return EXIT_USAGE;
    }
    struct merge m = {0};
    json_t *runs[MERGE_MAX] = {0};
    char err[1400], path[1200];
    int rc = EXIT_OK;
    uint64_t covered[2][100000 / 64 + 1] = {{0}};
    for (int i = 0; i < nd && rc == EXIT_OK; i++) {
        if (!(runs[i] = report_load(dirs[i], err, sizeof err))) {
            log_err("merge: %s", err);
            rc = EXIT_USAGE;
            break;
        }
        snprintf(path, sizeof path, "%s/ledger.bin", dirs[i]);
        struct ledger_file_header h;
        m.cur = i;
        /* the header first, to size the table and check the run */
        if (ledger_file_read(path, &h, NULL, NULL, err, sizeof err)) {
            log_err("merge: %s", err);
            rc = EXIT_USAGE;
            break;
        }
        if (i == 0) {
            m.h = h;
            m.pq = xcalloc((size_t)(h.queues ? h.queues : 1) * (h.producers_total ? h.producers_total : 1), sizeof *m.pq);
        } else if (h.run_id != m.h.run_id || h.queues != m.h.queues || h.producers_total != m.h.producers_total) {
            log_err("merge: %s is another run (run id %08x, %u queues, %u producers; the first: %08x, %u, %u)", dirs[i],
                    h.run_id, h.queues, h.producers_total, m.h.run_id, m.h.queues, m.h.producers_total);
            rc = EXIT_USAGE;
            break;
        }
        for (uint32_t p = h.producer_base; p < h.producer_base + h.producers; p++) {
            if (covered[0][p / 64] >> (p % 64) & 1) {
                log_err("merge: producer %u is in two instances (%s and an earlier one)", p, dirs[i]);
                rc = EXIT_USAGE;
            }
            covered[0][p / 64] |= 1ull << (p % 64);
        }
        if (rc == EXIT_OK && ledger_file_read(path, &h, on_record, &m, err, sizeof err)) {
            log_err("merge: %s", err);
            rc = EXIT_USAGE;
        }
        snprintf(path, sizeof path, "%s/latency.hlog", dirs[i]);
        FILE *hl = rc == EXIT_OK ? fopen(path, "re") : NULL;
        if (rc == EXIT_OK && !hl) {
            log_err("merge: cannot read %s", path);
            rc = EXIT_USAGE;
        }
        if (hl) {
            tags.from_s = json_number_value(json_object_get(json_object_get(runs[i], "config"), "warmup_s"));
            long bad = hdrfmt_log_read(hl, on_row, &tags);
            fclose(hl);
            if (bad) {
                log_err("merge: %s:%ld: %s", path, bad, tags.overflow ? "too many tags or values" : "not an interval row");
                rc = EXIT_USAGE;
            }
        }
    }
    if (rc == EXIT_OK) {
        struct ledger_merge lm = {0};
        uint64_t lost = 0, recovered = 0;
        const struct seq_track *tr[MERGE_MAX];
        for (uint32_t q = 0; q < m.h.queues; q++)
            for (uint32_t p = 0; p < m.h.producers_total; p++) {
                struct pq *x = &m.pq[(size_t)q * m.h.producers_total + p];
                for (int i = 0; i < nd; i++) tr[i] = x->inst[i].nbits ? &x->inst[i] : NULL;
                ledger_merge(tr, nd, &lm);
                if (x->have_producer)
                    ledger_durability(x->confirmed, x->confirmed_nbits, x->last, tr, nd, &lost, &recovered);
            }
        json_t *merged = json_deep_copy(runs[0]), *tot = json_object_get(merged, "totals");
        /* counters: the sum over instances */
        const char *k;
        json_t *v;
        json_object_foreach(tot, k, v) {
            if (!json_is_integer(v)) continue;
            json_int_t sum = 0;
            for (int i = 0; i < nd; i++) sum += json_integer_value(json_object_get(json_object_get(runs[i], "totals"), k));
            json_object_set_new(tot, k, json_integer(sum));
        }
        /* the checker over the union: copies seen by two instances are
         * duplicates across them */
        uint64_t dups = (uint64_t)json_integer_value(json_object_get(tot, "duplicates_total"));
        run_set(merged, RK_T_UNIQUE, json_integer((json_int_t)lm.unique));
        run_set(merged, RK_T_GAPS, json_integer((json_int_t)lm.gaps));
        run_set(merged, RK_T_DUPLICATES_TOTAL, json_integer((json_int_t)(dups + lm.cross_duplicates)));
        run_set(merged, RK_T_LOST, json_integer((json_int_t)lost));
        run_set(merged, RK_T_RECOVERED, json_integer((json_int_t)recovered));
        /* latency: the instances' measured rows added per tag */
        json_t *lat = json_object_get(merged, "latency");
        for (int t = 0; t < tags.n; t++)
            if (json_object_get(lat, tags.name[t])) json_object_set_new(lat, tags.name[t], report_latency_json(tags.h[t]));
        json_object_set_new(merged, "merged", json_pack("{s:i, s:s}", "instances", nd, "note",
                                                        "series and scenario gates are not merged yet"));
        gates_bench_verdict(merged);
        if (report_mkdirs(out, err, sizeof err)) {
            log_err("merge: --out: %s", err);
            rc = EXIT_USAGE;
        } else {
            snprintf(path, sizeof path, "%s/run.json", out);
            if (report_write_json(path, merged, JSON_INDENT(2))) rc = EXIT_USAGE;
            printf("merged %d instances: unique %llu, lost %llu, recovered %llu, gaps %llu, cross-instance "
                   "duplicates %llu -> %s\n",
                   nd, (unsigned long long)lm.unique, (unsigned long long)lost, (unsigned long long)recovered,
                   (unsigned long long)lm.gaps, (unsigned long long)lm.cross_duplicates, path);
        }
        json_decref(merged);
    }
    for (int i = 0; i < nd; i++) json_decref(runs[i]);
    for (int t = 0; t < tags.n; t++) hist_free(tags.h[t]);
    if (m.pq) {
        for (size_t j = 0; j < (size_t)(m.h.queues ? m.h.queues : 1) * (m.h.producers_total ? m.h.producers_total : 1); j++) {
            free(m.pq[j].confirmed);
            for (int i = 0; i < nd; i++) free(m.pq[j].inst[i].bits), free(m.pq[j].inst[i].flagged);
        }
        free(m.pq);
    }
    return rc;
}
