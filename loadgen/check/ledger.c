#include "ledger.h"
#include "util.h"

#include <stdlib.h>

void ledger_reserve(struct seq_track *t, uint64_t seq)
{
    uint64_t had = t->nbits;
    bits_reserve(&t->bits, &t->nbits, seq);
    if (t->nbits != had) bits_reserve(&t->flagged, &had, seq);
}

bool ledger_seen(const struct seq_track *t, uint64_t seq)
{
    return seq < t->nbits && (t->bits[seq >> 6] >> (seq & 63) & 1);
}

void ledger_flag(struct seq_track *t, uint64_t seq)
{
    ledger_reserve(t, seq);
    t->flagged[seq >> 6] |= 1ULL << (seq & 63);
}

enum ledger_copy ledger_add(struct seq_track *t, uint64_t seq, bool flagged)
{
    ledger_reserve(t, seq);
    uint64_t bit = 1ULL << (seq & 63), *word = &t->bits[seq >> 6], *fw = &t->flagged[seq >> 6];
    if (seq > t->highest) t->highest = seq;
    if (!(*word & bit)) {
        *word |= bit;
        if (flagged) *fw |= bit;
        t->unique++;
        return LEDGER_FIRST;
    }
    /* A copy explained by the broker (redelivered flag) or by the producer
     * (a republish after an unknown outcome). The flagged copy may come
     * first: a republish overtakes its original when the original took a
     * detour (a retry queue, a requeue); the first copy's flag then explains
     * one later plain copy, once. */
    if (flagged) return LEDGER_DUP_EXPLAINED;
    if (*fw & bit) {
        *fw &= ~bit;
        return LEDGER_DUP_EXPLAINED;
    }
    return LEDGER_DUP_UNEXPLAINED;
}

void ledger_free(struct seq_track *t)
{
    free(t->bits);
    free(t->flagged);
    t->bits = t->flagged = NULL;
    t->nbits = 0;
}

bool ledger_order(uint64_t *highest, uint64_t seq, bool excused)
{
    bool violation = seq < *highest && !excused;
    if (seq > *highest) *highest = seq;
    return violation;
}

uint64_t ledger_union_word(const struct seq_track *const *tr, int n, uint64_t wd)
{
    uint64_t v = 0;
    for (int t = 0; t < n; t++)
        if (tr[t] && wd < tr[t]->nbits / 64) v |= tr[t]->bits[wd];
    return v;
}

/* Copies of one word's sequences seen by more than one thread: each thread
 * after the first holds one duplicate, explained when that thread's first
 * copy carried the redelivered flag or a republish's attempt (which thread
 * saw the original is unknown, so at most all but one are explained). */
static uint64_t cross_explained_word(const struct seq_track *const *tr, int n, uint64_t wd)
{
    uint64_t acc = 0, twice = 0, explained = 0;
    for (int t = 0; t < n; t++) {
        if (!tr[t] || wd >= tr[t]->nbits / 64) continue;
        twice |= acc & tr[t]->bits[wd];
        acc |= tr[t]->bits[wd];
    }
    for (uint64_t m = twice; m; m &= m - 1) {
        uint64_t bit = m & -m, seen = 0, flagged = 0;
        for (int t = 0; t < n; t++) {
            if (!tr[t] || wd >= tr[t]->nbits / 64) continue;
            seen += (tr[t]->bits[wd] & bit) != 0;
            flagged += (tr[t]->flagged[wd] & bit) != 0;
        }
        explained += flagged < seen - 1 ? flagged : seen - 1;
    }
    return explained;
}

void ledger_merge(const struct seq_track *const *tr, int n, struct ledger_merge *m)
{
    uint64_t highest = 0, nbits = 0, sum_unique = 0;
    for (int t = 0; t < n; t++) {
        if (!tr[t]) continue;
        if (tr[t]->highest > highest) highest = tr[t]->highest;
        if (tr[t]->nbits > nbits) nbits = tr[t]->nbits;
        sum_unique += tr[t]->unique;
    }
    if (!highest) return;
    uint64_t uni = 0;
    for (uint64_t wd = 0; wd < nbits / 64; wd++) {
        uni += (uint64_t)__builtin_popcountll(ledger_union_word(tr, n, wd));
        if (n > 1) m->cross_explained += cross_explained_word(tr, n, wd);
    }
    m->unique += uni;
    m->cross_duplicates += sum_unique - uni;
    m->gaps += highest - uni;
}

void ledger_durability_routed(const uint64_t *confirmed, uint64_t confirmed_nbits, uint64_t last,
                              const struct ledger_route *r, const struct seq_track *const *tr, int n,
                              struct ledger_route_counts *c)
{
    uint64_t words = last / 64 + 1, highest = 0;
    for (int t = 0; t < n; t++)
        if (tr[t] && tr[t]->highest > highest) highest = tr[t]->highest;
    for (uint64_t wd = 0; wd < words; wd++) {
        uint64_t conf = wd < confirmed_nbits / 64 ? confirmed[wd] : 0;
        uint64_t cons = ledger_union_word(tr, n, wd), in = r->expected[wd];
        uint64_t ok = r->allowed ? r->allowed[wd] | in : in, dl = r->elsewhere ? r->elsewhere[wd] & ~cons : 0;
        c->lost += (uint64_t)__builtin_popcountll(conf & in & ~cons & ~dl);
        c->dead_lettered += (uint64_t)__builtin_popcountll(in & dl);
        c->recovered += (uint64_t)__builtin_popcountll(cons & in & ~conf);
        c->misrouted += (uint64_t)__builtin_popcountll(cons & ~ok);
        if (wd <= highest / 64) { /* routed here, below the highest seen, not seen nor dead-lettered */
            uint64_t below =
                wd < highest / 64 ? ~0ULL : (highest % 64 == 63 ? ~0ULL : (1ULL << (highest % 64 + 1)) - 1);
            c->gaps += (uint64_t)__builtin_popcountll(in & ~cons & ~dl & below);
        }
    }
    /* copies of sequences above last (none are published) are misrouted too */
    uint64_t nbits = 0;
    for (int t = 0; t < n; t++)
        if (tr[t] && tr[t]->nbits > nbits) nbits = tr[t]->nbits;
    for (uint64_t wd = words; wd < nbits / 64; wd++)
        c->misrouted += (uint64_t)__builtin_popcountll(ledger_union_word(tr, n, wd));
}

void ledger_durability(const uint64_t *confirmed, uint64_t confirmed_nbits, uint64_t last,
                       const struct seq_track *const *tr, int n, uint64_t *lost, uint64_t *recovered)
{
    uint64_t words = last / 64 + 1;
    for (uint64_t wd = 0; wd < words; wd++) {
        uint64_t conf = wd < confirmed_nbits / 64 ? confirmed[wd] : 0;
        uint64_t cons = ledger_union_word(tr, n, wd);
        *lost += (uint64_t)__builtin_popcountll(conf & ~cons);
        *recovered += (uint64_t)__builtin_popcountll(cons & ~conf);
    }
}

void ledger_totals_finish(struct ledger_totals *t, const struct ledger_merge *m, uint64_t dups,
                          uint64_t explained, uint64_t effects, bool idempotent)
{
    t->unique = m->unique;
    t->gaps = m->gaps;
    t->duplicates_cross_thread = m->cross_duplicates;
    t->duplicates = dups + m->cross_duplicates;
    t->duplicates_explained = explained + m->cross_explained;
    t->duplicates_unexplained = t->duplicates > t->duplicates_explained ? t->duplicates - t->duplicates_explained : 0;
    /* Each thread dedups its own copies; those it applied first that another
     * thread had too are the cross-thread duplicates. */
    if (idempotent) effects -= effects > m->cross_duplicates ? m->cross_duplicates : effects;
    t->effects = effects;
    t->duplicate_effects = effects > m->unique ? effects - m->unique : 0;
}
