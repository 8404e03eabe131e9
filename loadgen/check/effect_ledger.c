#include "effect_ledger.h"
#include "template.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void effects_spec_free(struct effects_spec *s)
{
    if (!s) return;
    free(s->queue), free(s->id_key), free(s->key_name), free(s->sqlite_file), free(s->sqlite_query);
    for (int i = 0; i < s->nparked; i++)
        free(s->parked[i]);
    for (int i = 0; i < s->npending; i++)
        free(s->pending[i]);
    memset(s, 0, sizeof *s);
}

void effect_ledger_init(struct effect_ledger *l, uint32_t run_id, uint32_t producers)
{
    memset(l, 0, sizeof *l);
    l->run_id = run_id;
    l->producers = producers;
    l->seen = xcalloc(producers ? producers : 1, sizeof *l->seen);
}

void effect_ledger_free(struct effect_ledger *l)
{
    for (uint32_t p = 0; l->seen && p < l->producers; p++)
        ledger_free(&l->seen[p]);
    for (uint32_t p = 0; l->keys && p < l->producers; p++)
        free(l->keys[p]);
    free(l->keys), free(l->nkeys);
    free(l->seen);
    free(l->recs);
    memset(l, 0, sizeof *l);
}

static void sample(char *dst, const char *s, size_t len)
{
    size_t n = len < EFFECT_SAMPLE - 1 ? len : EFFECT_SAMPLE - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    dst[n] = 0;
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

/* Past the JSON string starting at s (the opening quote); *esc: it holds
 * a backslash. NULL when unterminated. */
static const char *skip_string(const char *s, const char *end, bool *esc)
{
    *esc = false;
    for (s++; s < end; s++) {
        if (*s == '\\')
            *esc = true, s++;
        else if (*s == '"')
            return s + 1;
    }
    return NULL;
}

/* Past one JSON value (scalars, or a nested object or array by depth). */
static const char *skip_value(const char *s, const char *end)
{
    int depth = 0;
    bool esc;
    while (s < end) {
        if (*s == '"') {
            if (!(s = skip_string(s, end, &esc))) return NULL;
        } else if (*s == '{' || *s == '[') {
            depth++, s++;
        } else if (*s == '}' || *s == ']') {
            if (!depth) return s;
            depth--, s++;
            if (!depth) return s;
        } else if (*s == ',' && !depth) {
            return s;
        } else {
            s++;
        }
        if (!depth && s < end && (*s == ',' || *s == '}')) return s;
    }
    return depth ? NULL : s;
}

/* The slow path, for a key or value with escapes: jansson decodes. */
static int json_id_slow(const char *body, size_t len, const char *key, char *scratch, size_t cap, const char **id,
                        size_t *idlen, const char **why)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *v = json_is_object(j) ? json_object_get(j, key) : NULL;
    int rc = -1;
    if (!json_is_object(j))
        *why = "not a JSON object";
    else if (!v)
        *why = "no such key";
    else if (!json_is_string(v))
        *why = "the key's value is not a string";
    else if (json_string_length(v) >= cap)
        *why = "the id is too long";
    else {
        memcpy(scratch, json_string_value(v), json_string_length(v));
        *id = scratch, *idlen = json_string_length(v), rc = 0;
    }
    json_decref(j);
    return rc;
}

/* A hand scan of the top level (ids are plain ASCII): a JSON parse per
 * effect would cost more than the rest of the matching together. */
int effect_json_id(const char *body, size_t len, const char *key, char *scratch, size_t cap, const char **id,
                   size_t *idlen, const char **why)
{
    const char *s = skip_ws(body, body + len), *end = body + len;
    size_t klen = strlen(key);
    if (s == end || *s != '{') return *why = "not a JSON object", -1;
    s = skip_ws(s + 1, end);
    while (s < end && *s == '"') {
        bool esc;
        const char *k = s + 1, *ke = skip_string(s, end, &esc);
        if (!ke) break;
        if (esc) return json_id_slow(body, len, key, scratch, cap, id, idlen, why);
        bool match = (size_t)(ke - 1 - k) == klen && !memcmp(k, key, klen);
        s = skip_ws(ke, end);
        if (s == end || *s != ':') break;
        s = skip_ws(s + 1, end);
        if (match) {
            if (s == end || *s != '"') return *why = "the key's value is not a string", -1;
            const char *ve = skip_string(s, end, &esc);
            if (!ve) break;
            if (esc) return json_id_slow(body, len, key, scratch, cap, id, idlen, why);
            *id = s + 1, *idlen = (size_t)(ve - 1 - (s + 1));
            return 0;
        }
        if (!(s = skip_value(s, end))) break;
        s = skip_ws(s, end);
        if (s < end && *s == ',')
            s = skip_ws(s + 1, end);
        else
            break;
    }
    /* a malformed body or the key absent: jansson says which */
    return json_id_slow(body, len, key, scratch, cap, id, idlen, why);
}

/* FNV-1a, never 0 (0: no key) */
static uint64_t key_hash(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
    return h | 1;
}

static uint64_t *key_slot(struct effect_ledger *l, uint32_t p, uint64_t seq)
{
    if (!l->keys) l->keys = xcalloc(l->producers, sizeof *l->keys), l->nkeys = xcalloc(l->producers, sizeof *l->nkeys);
    if (seq >= l->nkeys[p]) {
        uint64_t n = l->nkeys[p] ? l->nkeys[p] : 1024;
        while (n <= seq)
            n *= 2;
        l->keys[p] = xrealloc(l->keys[p], n * sizeof *l->keys[p]);
        memset(l->keys[p] + l->nkeys[p], 0, (n - l->nkeys[p]) * sizeof *l->keys[p]);
        l->nkeys[p] = n;
    }
    return &l->keys[p][seq];
}

void effect_ledger_add(struct effect_ledger *l, const char *id, size_t len, const char *why, const char *body,
                       size_t body_len, bool redelivered, uint64_t now_ns)
{
    effect_ledger_add_keyed(l, id, len, why, body, body_len, redelivered, now_ns, NULL, 0);
}

void effect_ledger_add_keyed(struct effect_ledger *l, const char *id, size_t len, const char *why, const char *body,
                             size_t body_len, bool redelivered, uint64_t now_ns, const char *key, size_t klen)
{
    l->effects++;
    uint32_t run, p;
    uint64_t seq;
    if (!id) {
        if (!l->unparsable++) {
            sample(l->unparsable_sample, body, body_len);
            snprintf(l->unparsable_why, sizeof l->unparsable_why, "%s", why ? why : "no id");
        }
        return;
    }
    if (tpl_id_parse(id, len, &run, &p, &seq) || run != l->run_id || p >= l->producers) {
        if (!l->unexpected++) sample(l->unexpected_sample, id, len);
        return;
    }
    struct seq_track *t = &l->seen[p];
    uint64_t kh = key ? key_hash(key, klen) : 0;
    if (ledger_seen(t, seq)) {
        if (redelivered) {
            l->rereads++;
            return;
        }
        /* the service published the same effect again (at-least-once output with a stable key) */
        if (kh && seq < (l->nkeys ? l->nkeys[p] : 0) && l->keys[p][seq] == kh) {
            l->same_key_copies++;
            return;
        }
        if (!l->extra_copies++) sample(l->duplicate_sample, id, len);
        ledger_flag(t, seq);
        return;
    }
    ledger_add(t, seq, false);
    if (kh) *key_slot(l, p, seq) = kh;
    if (l->nrecs == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->recs = xrealloc(l->recs, l->cap * sizeof *l->recs);
    }
    l->recs[l->nrecs++] = (struct effect_rec){p, seq, now_ns};
}

static bool bit(const uint64_t *b, uint64_t nbits, uint64_t s)
{
    return b && s < nbits && (b[s >> 6] >> (s & 63) & 1);
}

void effect_ledger_judge(const struct effect_ledger *l, uint32_t p, const struct effect_input_sets *in,
                         struct effect_totals *t)
{
    const struct seq_track *seen = p < l->producers ? &l->seen[p] : NULL;
    t->inputs += in->last;
    for (uint64_t s = 1; s <= in->last; s++) {
        bool conf = bit(in->confirmed, in->confirmed_nbits, s), eff = seen && ledger_seen(seen, s);
        t->confirmed += conf;
        if (eff) {
            t->matched++;
            t->duplicates += bit(seen->flagged, seen->nbits, s);
            t->unconfirmed_effects += !conf;
        } else if (conf) {
            if (bit(in->parked, in->parked_nbits, s))
                t->parked++;
            else if (bit(in->pending, in->pending_nbits, s))
                t->pending++;
            else
                t->lost++;
        }
    }
    /* effects naming a sequence this producer never published */
    for (uint64_t s = in->last + 1; seen && s < seen->nbits; s++)
        if (ledger_seen(seen, s)) t->unexpected++;
}

void effect_ledger_finish(const struct effect_ledger *l, struct effect_totals *t)
{
    t->unexpected += l->unexpected;
}
