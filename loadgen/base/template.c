#include "template.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    enum tpl_kind kind;
} names[] = {
    {"id", TPL_ID}, {"seq", TPL_SEQ}, {"producer", TPL_PRODUCER}, {"run", TPL_RUN}, {"time", TPL_TIME},
};

static void add(struct tpl_part **parts, int *n, enum tpl_kind k, const char *lit, size_t len)
{
    *parts = xrealloc(*parts, (size_t)(*n + 1) * sizeof **parts);
    struct tpl_part *p = &(*parts)[(*n)++];
    p->kind = k;
    p->len = len;
    p->lit = NULL;
    if (k == TPL_LIT) {
        p->lit = xmalloc(len + 1);
        memcpy(p->lit, lit, len);
        p->lit[len] = 0;
    }
}

/* The placeholder at s ("{id}"), or -1: braces that do not name a word
 * are text, so a JSON body needs no escaping. *bad: a word in braces that
 * is no placeholder (a typo). */
static int placeholder(const char *s, size_t *len, bool *bad)
{
    size_t n = 1;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_')
        n++;
    *bad = false;
    if (n == 1 || s[n] != '}') return -1;
    *len = n + 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n - 1 && !memcmp(names[i].name, s + 1, n - 1)) return (int)i;
    *bad = true;
    return -1;
}

int tpl_compile(struct tpl *t, const char *src, char *err, size_t cap)
{
    struct tpl_part *parts = NULL;
    int n = 0;
    const char *lit = src;
    for (const char *s = src; *s;) {
        size_t len;
        bool bad;
        int k = *s == '{' ? placeholder(s, &len, &bad) : -1;
        if (k < 0 && *s == '{' && bad) {
            snprintf(err, cap, "unknown placeholder %.*s (use {id}, {seq}, {producer}, {run}, {time})", (int)len, s);
            struct tpl tmp = {parts, n, true};
            tpl_free(&tmp);
            return -1;
        }
        if (k < 0) {
            s++;
            continue;
        }
        if (s > lit) add(&parts, &n, TPL_LIT, lit, (size_t)(s - lit));
        add(&parts, &n, names[k].kind, NULL, 0);
        s += len;
        lit = s;
    }
    if (*lit) add(&parts, &n, TPL_LIT, lit, strlen(lit));
    tpl_free(t);
    t->parts = parts;
    t->n = n;
    t->set = true;
    return 0;
}

size_t tpl_id_format(char *buf, size_t cap, uint32_t run, uint32_t producer, uint64_t seq)
{
    return (size_t)snprintf(buf, cap, "%08x-%u-%llu", run, producer, (unsigned long long)seq);
}

/* Digits of [s, s+len) as an unsigned number no larger than max. */
static int number(const char *s, size_t len, int base, uint64_t max, uint64_t *out)
{
    if (!len || len > 20) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] >= '0' && s[i] <= '9'                 ? s[i] - '0'
                : base == 16 && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                                           : -1;
        if (d < 0 || v > (max - (uint64_t)d) / (uint64_t)base) return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

int tpl_id_parse(const char *s, size_t len, uint32_t *run, uint32_t *producer, uint64_t *seq)
{
    const char *d1 = memchr(s, '-', len);
    if (!d1 || d1 - s != 8) return -1;
    const char *rest = d1 + 1, *end = s + len;
    const char *d2 = memchr(rest, '-', (size_t)(end - rest));
    uint64_t r, p, q;
    if (!d2 || number(s, 8, 16, UINT32_MAX, &r) || number(rest, (size_t)(d2 - rest), 10, UINT32_MAX, &p) ||
        number(d2 + 1, (size_t)(end - d2 - 1), 10, UINT64_MAX, &q) || q == 0)
        return -1;
    /* one spelling per id: no leading zeros */
    if ((d2 - rest > 1 && rest[0] == '0') || (end - d2 - 1 > 1 && d2[1] == '0')) return -1;
    *run = (uint32_t)r, *producer = (uint32_t)p, *seq = q;
    return 0;
}

static size_t put(char *out, size_t cap, size_t at, const char *s, size_t len)
{
    if (at < cap) memcpy(out + at, s, at + len < cap ? len : cap - at);
    return at + len;
}

size_t tpl_render(const struct tpl *t, const struct tpl_vars *v, char *out, size_t cap)
{
    size_t at = 0;
    char num[64];
    for (int i = 0; i < t->n; i++) {
        const struct tpl_part *p = &t->parts[i];
        size_t len = 0;
        switch (p->kind) {
        case TPL_LIT:
            at = put(out, cap, at, p->lit, p->len);
            continue;
        case TPL_ID:
            len = tpl_id_format(num, sizeof num, v->run_id, v->producer, v->seq);
            break;
        case TPL_SEQ:
            len = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)v->seq);
            break;
        case TPL_PRODUCER:
            len = (size_t)snprintf(num, sizeof num, "%u", v->producer);
            break;
        case TPL_RUN:
            len = (size_t)snprintf(num, sizeof num, "%08x", v->run_id);
            break;
        case TPL_TIME: {
            time_t sec = (time_t)(v->epoch_ns / 1000000000ULL);
            struct tm tm;
            gmtime_r(&sec, &tm);
            len = strftime(num, sizeof num, "%Y-%m-%dT%H:%M:%S", &tm);
            len += (size_t)snprintf(num + len, sizeof num - len, ".%03uZ", (unsigned)(v->epoch_ns / 1000000ULL % 1000));
            break;
        }
        }
        at = put(out, cap, at, num, len);
    }
    if (cap) out[at < cap ? at : cap - 1] = 0;
    return at;
}

bool tpl_names_message(const struct tpl *t)
{
    bool run = false, producer = false, seq = false;
    for (int i = 0; i < t->n; i++) {
        if (t->parts[i].kind == TPL_ID) return true;
        run |= t->parts[i].kind == TPL_RUN;
        producer |= t->parts[i].kind == TPL_PRODUCER;
        seq |= t->parts[i].kind == TPL_SEQ;
    }
    return run && producer && seq;
}

void tpl_free(struct tpl *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->parts[i].lit);
    free(t->parts);
    memset(t, 0, sizeof *t);
}

void msg_template_free(struct msg_template *m)
{
    if (!m) return;
    tpl_free(&m->body), tpl_free(&m->message_id), tpl_free(&m->correlation_id);
    free(m->content_type), free(m->content_encoding);
    for (int i = 0; i < m->nheaders; i++)
        free(m->header_keys[i]), tpl_free(&m->header_values[i]);
    memset(m, 0, sizeof *m);
}
