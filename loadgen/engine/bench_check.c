/* bench_check: after the drain, the workers' sequence sets against what
 * was confirmed and where each message had to go (the checker's
 * categories, ledger.h; the routing model, route.h). */
#include "bench_int.h"
#include "ledger_file.h"
#include "gates.h"
#include "ledger.h"
#include "route.h"
#include "topo.h"
#include "declare.h"
#include "final_read.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The sets of (queue q, producer p), NULL where none: thread t's at
 * tr[t], then what the final read found in q, then what it found in a
 * dead-letter target loadgen did not declare that left q (TRACKS(n) in all). */
#define TRACKS(n) ((n) + 2)
static void tracks_of(struct worker *ws, int n, const struct final_read *fr, int q, int p, const struct seq_track **tr)
{
    for (int t = 0; t < n; t++) tr[t] = ws[t].track[q] ? &ws[t].track[q][p] : NULL;
    tr[n] = final_read_found(fr, q, p);
    tr[n + 1] = final_read_parked(fr, q, p);
}

/* Route k's key and headers (topology lists give headers). */
static void route_of(const struct config *cfg, const struct agent *a, int k, const char **key,
                     const struct route_header **h, int *nh)
{
    *key = cfg->n_routing_keys ? cfg->routing_keys[k] : a->routing_key;
    *h = NULL, *nh = 0;
    if (cfg->topo && k < cfg->topo->nroutes) *h = cfg->topo->routes[k].headers, *nh = cfg->topo->routes[k].nheaders;
}

static void set_bit(uint64_t *b, uint64_t s)
{
    b[s >> 6] |= 1ULL << (s & 63);
}

static bool bit(const uint64_t *b, uint64_t s)
{
    return b[s >> 6] >> (s & 63) & 1;
}

/* Producer a's messages behind a named exchange or a topology: which
 * queues each route reaches (the model), which route each sequence took
 * (route_pick), then per queue the sequences it must hold. A queue with a
 * dead-letter exchange may pass a message on (rejected, expired, over its
 * length): found downstream, it is dead-lettered, not lost, and allowed
 * there. Confirmed messages whose route reaches no queue are unroutable
 * (returned instead, with mandatory). */
static void routed_durability(struct worker *ws, int n, const struct final_read *fr, const struct config *cfg,
                              const struct route_model *model,
                              const struct agent *a, const struct seq_track **tr, struct ledger_totals *s)
{
    uint64_t last = a->seq - 1, words = last / 64 + 1;
    int nk = cfg->n_routing_keys ? cfg->n_routing_keys : 1, nq = cfg->queues;
    bool (*to)[ROUTE_MAX_QUEUES] = xcalloc((size_t)nk, sizeof *to);
    /* dl[k * nq + q]: where a message of route k dead-lettered out of q may go */
    bool (*dl)[ROUTE_MAX_QUEUES] = NULL;
    bool any_dl = false;
    for (int q = 0; q < nq; q++) any_dl |= model->dead_letter[q].set;
    if (any_dl) dl = xcalloc((size_t)nk * (size_t)nq, sizeof *dl);
    for (int k = 0; k < nk; k++) {
        const char *rk;
        const struct route_header *h;
        int nh;
        route_of(cfg, a, k, &rk, &h, &nh);
        route_message(model, cfg->exchange, rk, h, nh, to[k]);
        for (int q = 0; dl && q < nq; q++)
            if (to[k][q]) route_dead_letter_reach(model, q, rk, h, nh, dl[k * nq + q]);
    }
    unsigned char *key = xcalloc(last + 1, 1);
    for (uint64_t q = 1; nk > 1 && q <= last; q++)
        key[q] = (unsigned char)route_pick(cfg->routing_weights, nk, (uint32_t)a->id, q);
    uint64_t *route = xcalloc(words, sizeof *route), *reached = xcalloc(words, sizeof *reached);
    uint64_t *allowed = NULL, *elsewhere = NULL, **found = NULL;
    if (dl) {
        allowed = xcalloc(words, sizeof *allowed);
        elsewhere = xcalloc(words, sizeof *elsewhere);
        found = xcalloc((size_t)nq, sizeof *found);
        for (int r = 0; r < nq; r++) {
            found[r] = xcalloc(words, sizeof **found);
            tracks_of(ws, n, fr, r, a->id, tr);
            for (uint64_t wd = 0; wd < words; wd++) found[r][wd] = ledger_union_word(tr, TRACKS(n), wd);
        }
    }
    struct ledger_route_counts c = {0};
    for (int q = 0; q < nq; q++) {
        int keys_here = 0;
        for (int k = 0; k < nk; k++) keys_here += to[k][q];
        /* all of 1..last when every key reaches q, none when no key does;
         * sequence by sequence only in between */
        for (uint64_t wd = 0; wd < words; wd++) route[wd] = keys_here == nk ? ~0ULL : 0;
        if (keys_here == nk) {
            route[0] &= ~1ULL; /* sequences start at 1 */
            if (last % 64 != 63) route[words - 1] &= (1ULL << (last % 64 + 1)) - 1;
        }
        for (uint64_t sq = 1; keys_here && keys_here < nk && sq <= last; sq++)
            if (to[key[sq]][q]) set_bit(route, sq);
        for (uint64_t wd = 0; wd < words; wd++) reached[wd] |= route[wd];
        struct ledger_route lr = {.expected = route};
        if (dl) {
            memset(allowed, 0, words * sizeof *allowed);
            memset(elsewhere, 0, words * sizeof *elsewhere);
            for (uint64_t sq = 1; sq <= last; sq++) {
                int k = key[sq];
                for (int p = 0; p < nq; p++) /* dead-lettered here from p */
                    if (to[k][p] && dl[k * nq + p][q]) {
                        set_bit(allowed, sq);
                        break;
                    }
                if (!to[k][q]) continue;
                for (int r = 0; r < nq; r++) /* found downstream of q */
                    if (dl[k * nq + q][r] && bit(found[r], sq)) {
                        set_bit(elsewhere, sq);
                        break;
                    }
            }
            lr.allowed = allowed, lr.elsewhere = elsewhere;
        }
        tracks_of(ws, n, fr, q, a->id, tr);
        ledger_durability_routed(a->confirmed, a->confirmed_nbits, last, &lr, tr, TRACKS(n), &c);
    }
    if (s->have_lost) s->lost += c.lost, s->recovered += c.recovered;
    s->misrouted += c.misrouted;
    s->gaps += c.gaps;
    s->dead_lettered += c.dead_lettered;
    for (uint64_t wd = 0; s->have_unroutable && wd < words; wd++) {
        uint64_t conf = wd < a->confirmed_nbits / 64 ? a->confirmed[wd] : 0;
        s->unroutable += (uint64_t)__builtin_popcountll(conf & ~reached[wd]);
    }
    for (int r = 0; found && r < nq; r++) free(found[r]);
    free(found);
    free(allowed);
    free(elsewhere);
    free(dl);
    free(route);
    free(reached);
    free(key);
    free(to);
}

/* Per producer and queue: every confirmed message must have come out of
 * every queue its route reaches (lost: it did not; recovered: consumed
 * though never confirmed), and none out of a queue it does not reach
 * (misrouted). Jepsen's total-queue check, once per (message, queue). */
static void durability(struct worker *ws, int n, const struct final_read *fr, const struct config *cfg,
                       struct ledger_totals *s)
{
    struct gate_load load;
    config_gate_load(cfg, &load);
    /* an instance of a sharded run sees one side of some messages: its
     * lost is `loadgen merge`'s, over every instance's ledger */
    s->have_lost = !gates_computable(G_LOST, &load) && !cfg->sharded;
    s->have_misrouted = !gates_computable(G_MISROUTED, &load);
    /* with mandatory the broker returns them: `returned`, not unroutable */
    s->have_unroutable = !gates_computable(G_UNROUTABLE, &load);
    if (!s->have_misrouted && !s->have_unroutable) return;
    struct route_model *model = NULL;
    char err[300];
    if (config_routed(cfg)) {
        model = xmalloc(sizeof *model);
        if (declare_route_model(cfg, model, err, sizeof err)) {
            log_info("no routing model (%s): lost, misrouted and unroutable unknown", err);
            s->have_lost = s->have_misrouted = s->have_unroutable = false;
            free(model);
            return;
        }
    }
    const struct seq_track **tr = xcalloc((size_t)TRACKS(n), sizeof *tr);
    if (model) s->gaps = 0;
    for (int t = 0; t < n; t++) {
        for (int i = 0; i < ws[t].nagents; i++) {
            struct agent *a = &ws[t].agents[i];
            if (!a->producer) continue;
            if (model) {
                /* gaps are counted per route here (see below): the merge's
                 * counted the sequences routed elsewhere too */
                routed_durability(ws, n, fr, cfg, model, a, tr, s);
                continue;
            }
            /* the default exchange: its own queue, and only that one */
            for (int q = 0; q < cfg->queues; q++) {
                tracks_of(ws, n, fr, q, a->id, tr);
                if (q == a->queue_idx) {
                    if (s->have_lost)
                        ledger_durability(a->confirmed, a->confirmed_nbits, a->seq - 1, tr, TRACKS(n), &s->lost,
                                          &s->recovered);
                } else {
                    struct ledger_merge m = {0};
                    ledger_merge(tr, TRACKS(n), &m);
                    s->misrouted += m.unique;
                }
            }
        }
    }
    if (cfg->mandatory) s->unroutable = 0;
    free(tr);
    free(model);
}

/* Unions every worker's sequence bitmaps per (queue, producer): messages
 * seen by several threads count once; holes below the highest are gaps.
 * With the threads' own counts (t), every checker category. */
/* What the final read found of (q, p): the copies the run's consumers had
 * taken already (its queue's duplicates), and those only in a dead-letter
 * target loadgen did not declare (dead-lettered, by the queue they left). */
static void at_end(const struct seq_track **tr, int n, struct final_read *fr, int q, struct ledger_totals *s)
{
    const struct seq_track *found = tr[n], *parked = tr[n + 1];
    if (!found && !parked) return;
    uint64_t again = 0, words = 0;
    for (int t = 0; t < TRACKS(n); t++)
        if (tr[t] && tr[t]->nbits / 64 > words) words = tr[t]->nbits / 64;
    for (uint64_t wd = 0; wd < words; wd++) {
        uint64_t run = ledger_union_word(tr, n, wd), f = found && wd < found->nbits / 64 ? found->bits[wd] : 0;
        uint64_t pk = parked && wd < parked->nbits / 64 ? parked->bits[wd] : 0;
        again += (uint64_t)__builtin_popcountll(f & run);
        s->dead_lettered += (uint64_t)__builtin_popcountll(pk & ~run & ~f);
    }
    for (int i = 0; i < fr->nq; i++)
        if (fr->q[i].index == q) {
            fr->q[i].duplicates += again;
            break;
        }
}

struct ledger_totals bench_check_sequences(struct worker *ws, int n, const struct config *cfg, const uint64_t *t,
                                           struct final_read *fr)
{
    struct ledger_totals s = {0};
    struct ledger_merge m = {0};
    const struct seq_track **tr = xcalloc((size_t)TRACKS(n), sizeof *tr);
    for (int q = 0; q < cfg->queues; q++) {
        for (int p = 0; p < cfg->producers_total; p++) {
            tracks_of(ws, n, fr, q, p, tr);
            ledger_merge(tr, TRACKS(n), &m);
            at_end(tr, n, fr, q, &s);
        }
    }
    free(tr);
    ledger_totals_finish(&s, &m, t[ST_DUPLICATES], t[ST_DUP_EXPLAINED], t[ST_EFFECTS], cfg->idempotent);
    durability(ws, n, fr, cfg, &s);
    return s;
}

/* Scale-out: this instance's sets for `loadgen merge` (ledger_file.h): per
 * (queue, global producer) the union of its consumer threads' seen and
 * flagged bitmaps, and per local producer its confirmed bitmap and last
 * sequence. */
int bench_write_ledger(struct worker *ws, int n, const struct config *cfg, uint32_t run_id, const char *path,
                       char *err, size_t cap)
{
    struct ledger_file_header h = {run_id, (uint32_t)cfg->instance, (uint32_t)(cfg->instances ? cfg->instances : 1),
                                   (uint32_t)cfg->queues, (uint32_t)cfg->producers_total,
                                   (uint32_t)cfg->producer_base, (uint32_t)cfg->producers,
                                   (uint32_t)cfg->consumer_base, (uint32_t)cfg->consumers};
    struct ledger_writer *lw = ledger_file_create(path, &h, err, cap);
    if (!lw) return -1;
    const struct seq_track **tr = xcalloc((size_t)TRACKS(n), sizeof *tr);
    uint64_t *seen = NULL, *flagged = NULL;
    size_t capw = 0;
    int rc = 0;
    for (int q = 0; q < cfg->queues && !rc; q++) {
        for (int p = 0; p < cfg->producers_total && !rc; p++) {
            tracks_of(ws, n, NULL, q, p, tr);
            uint64_t words = 0;
            for (int t = 0; t < n; t++)
                if (tr[t] && tr[t]->nbits / 64 > words) words = tr[t]->nbits / 64;
            if (!words) continue;
            if (words > capw) {
                capw = words;
                seen = xrealloc(seen, capw * 8);
                flagged = xrealloc(flagged, capw * 8);
            }
            for (uint64_t wd = 0; wd < words; wd++) {
                seen[wd] = ledger_union_word(tr, n, wd);
                flagged[wd] = 0;
                for (int t = 0; t < n; t++)
                    if (tr[t] && tr[t]->flagged && wd < tr[t]->nbits / 64) flagged[wd] |= tr[t]->flagged[wd];
            }
            rc = ledger_file_put(lw, LF_CONSUMED, (uint32_t)q, (uint32_t)p, seen, words) ||
                 ledger_file_put(lw, LF_FLAGGED, (uint32_t)q, (uint32_t)p, flagged, words);
        }
    }
    for (int t = 0; t < n && !rc; t++)
        for (int i = 0; i < ws[t].nagents && !rc; i++) {
            struct agent *a = &ws[t].agents[i];
            if (!a->producer) continue;
            uint64_t last = a->seq - 1;
            rc = ledger_file_put(lw, LF_CONFIRMED, (uint32_t)a->queue_idx, (uint32_t)a->id, a->confirmed,
                                 a->confirmed_nbits / 64) ||
                 ledger_file_put(lw, LF_LAST_SEQ, (uint32_t)a->queue_idx, (uint32_t)a->id, &last, 1);
        }
    free(tr), free(seen), free(flagged);
    if (rc) snprintf(err, cap, "cannot write %s", path);
    return ledger_file_close(lw, rc ? err + strlen(err) : err, rc ? cap - strlen(err) : cap) || rc ? -1 : 0;
}
