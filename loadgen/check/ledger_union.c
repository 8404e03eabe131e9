#include "ledger_union.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pq { /* one (queue, producer) */
    uint64_t *confirmed, confirmed_nbits, last;
    bool have_confirmed, have_last;
    struct seq_track *inst; /* each instance's consumer side, NULL until one is read */
    uint8_t *have;          /* per instance: 1 consumed read, 2 flagged read too */
};

struct ledger_union {
    struct ledger_file_header h;
    struct pq *pq;
    size_t npq;
    int n, cur;
    uint64_t words;
    uint8_t *seen_inst, *covered;
    struct ledger_file_header *hdr; /* each given instance's, as its header check saw it */
    char why[300];
};

struct ledger_union *ledger_union_new(const struct ledger_file_header *first, int n, char *err, size_t cap)
{
    uint64_t pairs =
        (uint64_t)(first->queues ? first->queues : 1) * (first->producers_total ? first->producers_total : 1);
    if (pairs > LEDGER_UNION_MAX_PAIRS || first->instances > 1024 || first->producers_total > 100000 || n < 1) {
        snprintf(err, cap, "%u queues x %u producers over %u instances: more than merge takes", first->queues,
                 first->producers_total, first->instances);
        return NULL;
    }
    struct ledger_union *u = xcalloc(1, sizeof *u);
    u->h = *first;
    u->n = n;
    u->npq = (size_t)pairs;
    u->pq = xcalloc(u->npq, sizeof *u->pq);
    u->seen_inst = xcalloc(first->instances, 1);
    u->covered = xcalloc(first->producers_total ? first->producers_total : 1, 1);
    u->hdr = xcalloc((size_t)n, sizeof *u->hdr);
    return u;
}

int ledger_union_header(struct ledger_union *u, int i, const struct ledger_file_header *h, char *err, size_t cap)
{
    if (i < 0 || i >= u->n) return snprintf(err, cap, "instance slot %d of %d", i, u->n), -1;
    if (h->run_id != u->h.run_id || h->instances != u->h.instances || h->queues != u->h.queues ||
        h->producers_total != u->h.producers_total)
        return snprintf(err, cap,
                        "another run (run id %08x, %u instances, %u queues, %u producers; the first: "
                        "%08x, %u, %u, %u)",
                        h->run_id, h->instances, h->queues, h->producers_total, u->h.run_id, u->h.instances,
                        u->h.queues, u->h.producers_total),
               -1;
    if (h->instance >= u->h.instances || u->seen_inst[h->instance])
        return snprintf(err, cap, "instance %u of %u is given twice", h->instance, u->h.instances), -1;
    if ((uint64_t)h->producer_base + h->producers > u->h.producers_total)
        return snprintf(err, cap, "producers %u-%u of %u", h->producer_base, h->producer_base + h->producers,
                        u->h.producers_total),
               -1;
    for (uint32_t p = h->producer_base; p < h->producer_base + h->producers; p++)
        if (u->covered[p]) return snprintf(err, cap, "producer %u is in two instances", p), -1;
    u->seen_inst[h->instance] = 1;
    u->hdr[i] = *h;
    for (uint32_t p = h->producer_base; p < h->producer_base + h->producers; p++)
        u->covered[p] = 1;
    return 0;
}

__attribute__((format(printf, 2, 3))) static int damaged(struct ledger_union *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->why, sizeof u->why, fmt, ap);
    va_end(ap);
    return 1; /* stops the reader */
}

static uint64_t highest_of(const uint64_t *w, uint64_t n)
{
    for (uint64_t i = n; i-- > 0;)
        if (w[i]) return i * 64 + 63 - (uint64_t)__builtin_clzll(w[i]);
    return 0;
}

static int on_record(void *ctx, enum ledger_file_kind kind, uint32_t q, uint32_t p, const uint64_t *w, uint64_t n)
{
    struct ledger_union *u = ctx;
    struct pq *x = &u->pq[(size_t)q * u->h.producers_total + p];
    if ((u->words += n) > LEDGER_UNION_MAX_WORDS)
        return damaged(u, "queue %u producer %u: the ledgers hold more than %llu words of sequences", q, p,
                       (unsigned long long)LEDGER_UNION_MAX_WORDS);
    /* sequences start at 1: bit 0 set would count a message nobody sent */
    if (kind != LF_LAST_SEQ && n && (w[0] & 1))
        return damaged(u, "queue %u producer %u: a set holds sequence 0 (record kind %u)", q, p, (unsigned)kind);
    if (kind == LF_CONFIRMED || kind == LF_LAST_SEQ) {
        bool *have = kind == LF_CONFIRMED ? &x->have_confirmed : &x->have_last;
        if (*have) return damaged(u, "queue %u producer %u: a producer record twice (kind %u)", q, p, (unsigned)kind);
        *have = true;
        if (kind == LF_LAST_SEQ) {
            if (w[0] >= LEDGER_FILE_MAX_WORDS * 64)
                return damaged(u, "queue %u producer %u: last sequence %llu is past %llu", q, p,
                               (unsigned long long)w[0], (unsigned long long)(LEDGER_FILE_MAX_WORDS * 64));
            x->last = w[0];
            return 0;
        }
        x->confirmed = xmalloc(n ? n * 8 : 8);
        if (n) memcpy(x->confirmed, w, n * 8);
        x->confirmed_nbits = n * 64;
        return 0;
    }
    if (!x->inst) {
        x->inst = xcalloc((size_t)u->n, sizeof *x->inst);
        x->have = xcalloc((size_t)u->n, 1);
    }
    struct seq_track *t = &x->inst[u->cur];
    uint8_t *have = &x->have[u->cur];
    /* the writer puts a consumed set, then its flagged set of the same length */
    if (kind == LF_CONSUMED) {
        if (*have) return damaged(u, "queue %u producer %u: a consumed set twice", q, p);
        *have = 1;
        t->bits = xmalloc(n ? n * 8 : 8);
        if (n) memcpy(t->bits, w, n * 8);
        t->nbits = n * 64;
        t->unique = 0;
        for (uint64_t i = 0; i < n; i++)
            t->unique += (uint64_t)__builtin_popcountll(w[i]);
        t->highest = highest_of(w, n);
        return 0;
    }
    if (*have != 1) return damaged(u, "queue %u producer %u: a flagged set without its consumed set", q, p);
    if (n * 64 != t->nbits)
        return damaged(u, "queue %u producer %u: a flagged set of %llu words for a consumed set of %llu", q, p,
                       (unsigned long long)n, (unsigned long long)(t->nbits / 64));
    *have = 2;
    t->flagged = xmalloc(n ? n * 8 : 8);
    if (n) memcpy(t->flagged, w, n * 8);
    return 0;
}

int ledger_union_read(struct ledger_union *u, int i, int fd, const char *path, char *err, size_t cap)
{
    struct ledger_file_header h;
    u->cur = i;
    u->why[0] = 0;
    int rc = ledger_file_read_fd(fd, path, &h, on_record, u, err, cap);
    if (rc > 0)
        snprintf(err, cap, "%s: damaged ledger: %s", path, u->why);
    else if (!rc && memcmp(&h, &u->hdr[i], sizeof h))
        rc = 1, snprintf(err, cap, "%s: damaged ledger: its header changed between two reads", path);
    for (size_t k = 0; !rc && k < u->npq; k++) /* every consumed set came with its flagged set */
        if (u->pq[k].have && u->pq[k].have[i] == 1)
            rc = 1, snprintf(err, cap,
                             "%s: damaged ledger: queue %zu producer %zu: a consumed set without its "
                             "flagged set",
                             path, k / (u->h.producers_total ? u->h.producers_total : 1),
                             k % (u->h.producers_total ? u->h.producers_total : 1));
    return rc ? -1 : 0;
}

int ledger_union_check(struct ledger_union *u, struct ledger_merge *lm, uint64_t *lost, uint64_t *recovered, char *err,
                       size_t cap)
{
    uint32_t np = u->h.producers_total ? u->h.producers_total : 1;
    for (size_t k = 0; k < u->npq; k++) {
        struct pq *x = &u->pq[k];
        uint32_t q = (uint32_t)(k / np), p = (uint32_t)(k % np);
        if (x->have_confirmed != x->have_last)
            return snprintf(err, cap,
                            "damaged ledger: queue %u producer %u: a confirmed set without a last "
                            "sequence, or the other way",
                            q, p),
                   -1;
        if (!x->have_last) continue;
        if (highest_of(x->confirmed, x->confirmed_nbits / 64) > x->last)
            return snprintf(err, cap,
                            "damaged ledger: queue %u producer %u: confirmed sequence %llu past the "
                            "last sent, %llu",
                            q, p, (unsigned long long)highest_of(x->confirmed, x->confirmed_nbits / 64),
                            (unsigned long long)x->last),
                   -1;
        for (int i = 0; x->inst && i < u->n; i++)
            if (x->inst[i].highest > x->last)
                return snprintf(err, cap,
                                "damaged ledger: queue %u producer %u: consumed sequence %llu past the "
                                "last sent, %llu",
                                q, p, (unsigned long long)x->inst[i].highest, (unsigned long long)x->last),
                       -1;
    }
    const struct seq_track **tr = xcalloc((size_t)u->n, sizeof *tr);
    for (size_t k = 0; k < u->npq; k++) {
        struct pq *x = &u->pq[k];
        for (int i = 0; i < u->n; i++)
            tr[i] = x->inst && x->inst[i].nbits ? &x->inst[i] : NULL;
        ledger_merge(tr, u->n, lm);
        if (x->have_last) ledger_durability(x->confirmed, x->confirmed_nbits, x->last, tr, u->n, lost, recovered);
    }
    free(tr);
    return 0;
}

bool ledger_union_has(const struct ledger_union *u, uint32_t k)
{
    return k < u->h.instances && u->seen_inst[k];
}

const struct ledger_file_header *ledger_union_shape(const struct ledger_union *u)
{
    return &u->h;
}

void ledger_union_free(struct ledger_union *u)
{
    if (!u) return;
    for (size_t k = 0; k < u->npq; k++) {
        free(u->pq[k].confirmed);
        for (int i = 0; u->pq[k].inst && i < u->n; i++)
            free(u->pq[k].inst[i].bits), free(u->pq[k].inst[i].flagged);
        free(u->pq[k].inst), free(u->pq[k].have);
    }
    free(u->pq), free(u->seen_inst), free(u->covered), free(u->hdr);
    free(u);
}
