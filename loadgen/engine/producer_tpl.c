/* A templated load (template.h): the message a user's service expects,
 * rendered per publish. A republish renders the same id and time (both
 * come from the sequence and its intended time). */
#include "template.h"
#include "util.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

struct tpl_out {
    char *body;
    size_t cap;
    char id[TPL_ID_MAX], message_id[256], correlation_id[256];
    char values[TPL_MAX_HEADERS][256];
    struct wire_table headers;
};

void producer_tpl_init(struct agent *a)
{
    a->tpl = xcalloc(1, sizeof *a->tpl);
}

void producer_tpl_free(struct agent *a)
{
    if (!a->tpl) return;
    free(a->tpl->body);
    wire_table_free(&a->tpl->headers);
    free(a->tpl);
    a->tpl = NULL;
    free(a->times);
}

void producer_tpl_times(struct agent *a, uint64_t seq, uint64_t intended, uint64_t now)
{
    if (2 * seq + 1 >= 2 * a->ntimes) {
        uint64_t n = a->ntimes ? a->ntimes : 1024;
        while (n <= seq)
            n *= 2;
        a->times = xrealloc(a->times, 2 * n * sizeof *a->times);
        memset(a->times + 2 * a->ntimes, 0, 2 * (n - a->ntimes) * sizeof *a->times);
        a->ntimes = n;
    }
    a->times[2 * seq] = intended;
    a->times[2 * seq + 1] = now;
}

size_t producer_tpl_render(struct agent *a, uint64_t seq, uint64_t intended, uint64_t now, const void **body,
                           struct wire_props *pr)
{
    const struct worker *w = a->conn->w;
    const struct msg_template *m = w->cfg->tpl;
    struct tpl_out *o = a->tpl;
    struct tpl_vars v = {w->run->run_id, (uint32_t)a->id, seq, clock_realtime_ns() - (now - intended)};
    size_t len = tpl_render(&m->body, &v, o->body, o->cap);
    if (len >= o->cap) {
        o->cap = len + 1;
        o->body = xrealloc(o->body, o->cap);
        tpl_render(&m->body, &v, o->body, o->cap);
    }
    *body = o->body;
    tpl_id_format(o->id, sizeof o->id, v.run_id, v.producer, seq);
    const char *keys[TPL_MAX_HEADERS + 1], *vals[TPL_MAX_HEADERS + 1];
    keys[0] = TPL_ID_HEADER, vals[0] = o->id;
    for (int i = 0; i < m->nheaders; i++) {
        tpl_render(&m->header_values[i], &v, o->values[i], sizeof o->values[i]);
        keys[i + 1] = m->header_keys[i], vals[i + 1] = o->values[i];
    }
    wire_table_free(&o->headers);
    wire_table_strings(&o->headers, keys, vals, m->nheaders + 1);
    pr->headers = &o->headers;
    pr->content_type = m->content_type;
    pr->content_encoding = m->content_encoding;
    pr->message_id = pr->correlation_id = NULL;
    if (m->message_id.set)
        tpl_render(&m->message_id, &v, o->message_id, sizeof o->message_id), pr->message_id = o->message_id;
    if (m->correlation_id.set)
        tpl_render(&m->correlation_id, &v, o->correlation_id, sizeof o->correlation_id),
            pr->correlation_id = o->correlation_id;
    return len;
}
