/* The public proxy calls: each packs its arguments, runs on the proxy
 * thread through proxy_run() and returns the result. */
#include "proxy_int.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct op {
    const char *name, *a, *b;
    bool flag;
    json_t *spec, *out;
    char *err;
    size_t cap;
    int rc;
    struct proxy_stats *stats;
    char *buf;
    size_t bufcap;
};

static char scratch[256];

static int fail(struct op *o, const char *fmt, const char *arg)
{
    char *e = o->err ? o->err : scratch;
    size_t cap = o->err ? o->cap : sizeof scratch;
    snprintf(e, cap, fmt, arg);
    return o->rc = -1;
}

static void create_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    if (!o->name[0] || strlen(o->name) >= 64) {
        fail(o, "proxy name must be 1-63 bytes%s", "");
        return;
    }
    if (proxy_find(s, o->name)) {
        fail(o, "proxy %s already exists", o->name);
        return;
    }
    struct proxy *p = xcalloc(1, sizeof *p);
    p->srv = s;
    str_copy(p->name, sizeof p->name, o->name);
    str_copy(p->listen, sizeof p->listen, o->a);
    str_copy(p->upstream, sizeof p->upstream, o->b);
    if (proxy_parse_addr(p->upstream, &p->up_addr, &p->up_len)) {
        free(p);
        fail(o, "bad upstream address %s (host:port)", o->b);
        return;
    }
    p->enabled = o->flag;
    if (p->enabled && proxy_listen(p, o->err ? o->err : scratch, o->err ? o->cap : sizeof scratch)) {
        free(p);
        o->rc = -1;
        return;
    }
    if (!p->enabled) {
        /* Still validate the address now, not at the first enable. */
        char why[300];
        if (proxy_check_listen(s, p->listen, why, sizeof why)) {
            free(p);
            fail(o, "%s", why);
            return;
        }
    }
    p->next = s->proxies;
    s->proxies = p;
    o->rc = 0;
}

int proxy_create(struct proxy_server *s, const char *name, const char *listen, const char *upstream,
                 bool enabled, char *err, size_t cap)
{
    struct op o = {.name = name, .a = listen, .b = upstream, .flag = enabled, .err = err, .cap = cap};
    proxy_run(s, create_fn, &o);
    return o.rc;
}

static void delete_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    for (struct proxy **pp = &s->proxies; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, o->name)) continue;
        struct proxy *p = *pp;
        *pp = p->next;
        proxy_unlisten(p);
        free(p);
        o->rc = 0;
        return;
    }
    fail(o, "no proxy %s", o->name);
}

int proxy_delete(struct proxy_server *s, const char *name, char *err, size_t cap)
{
    struct op o = {.name = name, .err = err, .cap = cap};
    proxy_run(s, delete_fn, &o);
    return o.rc;
}

static void enable_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    struct proxy *p = proxy_find(s, o->name);
    if (!p) {
        fail(o, "no proxy %s", o->name);
        return;
    }
    o->rc = 0;
    if (p->enabled == o->flag) return;
    if (o->flag && proxy_listen(p, o->err ? o->err : scratch, o->err ? o->cap : sizeof scratch)) {
        o->rc = -1;
        return;
    }
    if (!o->flag) proxy_unlisten(p);
    p->enabled = o->flag;
}

int proxy_set_enabled(struct proxy_server *s, const char *name, bool enabled, char *err, size_t cap)
{
    struct op o = {.name = name, .flag = enabled, .err = err, .cap = cap};
    proxy_run(s, enable_fn, &o);
    return o.rc;
}

static void addr_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    struct proxy *p = proxy_find(s, o->name);
    o->rc = p ? 0 : -1;
    if (p) str_copy(o->buf, o->bufcap, p->listen);
    if (p && o->stats) *o->stats = p->stats;
}

int proxy_listen_addr(struct proxy_server *s, const char *name, char *buf, size_t cap)
{
    struct op o = {.name = name, .buf = buf, .bufcap = cap};
    proxy_run(s, addr_fn, &o);
    return o.rc;
}

int proxy_get_stats(struct proxy_server *s, const char *name, struct proxy_stats *out)
{
    char tmp[128];
    struct op o = {.name = name, .buf = tmp, .bufcap = sizeof tmp, .stats = out};
    proxy_run(s, addr_fn, &o);
    return o.rc;
}

static void toxic_set_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    char *err = o->err ? o->err : scratch;
    size_t cap = o->err ? o->cap : sizeof scratch;
    struct proxy *p = proxy_find(s, o->name);
    if (!p) {
        fail(o, "no proxy %s", o->name);
        return;
    }
    int i = o->a ? proxy_toxic_index(p, o->a) : -1;
    if (o->flag && i < 0) {
        fail(o, "no toxic %s", o->a ? o->a : "");
        return;
    }
    struct toxic t = {0};
    if (i >= 0) t = p->toxics[i];
    if (toxic_parse(&t, o->spec, !o->flag, err, cap)) {
        o->rc = -1;
        return;
    }
    int same = proxy_toxic_index(p, t.name);
    if (!o->flag && same >= 0) {
        fail(o, "toxic %s already exists", t.name);
        return;
    }
    if (o->flag && same >= 0 && same != i) {
        fail(o, "toxic %s already exists", t.name);
        return;
    }
    if (!o->flag) {
        if (p->ntoxics == PROXY_MAX_TOXICS) {
            fail(o, "too many toxics on %s", p->name);
            return;
        }
        i = p->ntoxics++;
    } else {
        for (struct link *l = p->links; l; l = l->next) proxy_link_detach(l, i);
    }
    p->toxics[i] = t;
    /* New toxics and updates apply to live connections too. */
    for (struct link *l = p->links; l; l = l->next) proxy_link_attach(l, i);
    o->out = toxic_to_json(&t);
    o->rc = 0;
}

int proxy_toxic_set(struct proxy_server *s, const char *proxy, json_t *spec, bool update,
                    char *err, size_t cap)
{
    const char *name = NULL;
    json_t *n = json_object_get(spec, "name");
    if (update && json_is_string(n)) name = json_string_value(n);
    struct op o = {.name = proxy, .a = name, .spec = spec, .flag = update, .err = err, .cap = cap};
    proxy_run(s, toxic_set_fn, &o);
    json_decref(o.out);
    return o.rc;
}

/* For the HTTP API: update by the toxic's name in the URL, returns JSON. */
json_t *proxy_toxic_set_json(struct proxy_server *s, const char *proxy, const char *toxic,
                             json_t *spec, char *err, size_t cap);
json_t *proxy_toxic_set_json(struct proxy_server *s, const char *proxy, const char *toxic,
                             json_t *spec, char *err, size_t cap)
{
    struct op o = {.name = proxy, .a = toxic, .spec = spec, .flag = toxic != NULL, .err = err, .cap = cap};
    proxy_run(s, toxic_set_fn, &o);
    return o.rc ? NULL : o.out;
}

static void remove_at(struct proxy *p, int i)
{
    for (struct link *l = p->links; l; l = l->next) {
        proxy_link_detach(l, i);
        memmove(&l->st[i], &l->st[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof l->st[0]);
        memmove(&l->affected[i], &l->affected[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof l->affected[0]);
    }
    memmove(&p->toxics[i], &p->toxics[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof p->toxics[0]);
    p->ntoxics--;
    /* Held data of a removed toxic flows again: read what waited. */
    for (struct link *l = p->links; l; l = l->next)
        for (int d = 0; d < 2; d++)
            if (!l->pipe[d].eof) bufferevent_enable(l->bev[d], EV_READ);
}

static void toxic_rm_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    struct proxy *p = proxy_find(s, o->name);
    int i = p ? proxy_toxic_index(p, o->a) : -1;
    if (i < 0) {
        fail(o, p ? "no toxic %s" : "no proxy %s", p ? o->a : o->name);
        return;
    }
    remove_at(p, i);
    o->rc = 0;
}

int proxy_toxic_remove(struct proxy_server *s, const char *proxy, const char *toxic, char *err,
                       size_t cap)
{
    struct op o = {.name = proxy, .a = toxic, .err = err, .cap = cap};
    proxy_run(s, toxic_rm_fn, &o);
    return o.rc;
}

static void reset_fn(struct proxy_server *s, void *arg)
{
    (void)arg;
    for (struct proxy *p = s->proxies; p; p = p->next) {
        while (p->ntoxics) remove_at(p, p->ntoxics - 1);
        if (!p->enabled && proxy_listen(p, scratch, sizeof scratch) == 0) p->enabled = true;
    }
}

void proxy_reset(struct proxy_server *s)
{
    proxy_run(s, reset_fn, NULL);
}

static json_t *one_json(struct proxy *p)
{
    json_t *toxics = json_array();
    for (int i = 0; i < p->ntoxics; i++) json_array_append_new(toxics, toxic_to_json(&p->toxics[i]));
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:{s:I, s:I, s:I, s:I}}", "name", p->name,
                     "listen", p->listen, "upstream", p->upstream, "enabled", p->enabled, "toxics",
                     toxics, "stats", "accepted", (json_int_t)p->stats.accepted, "active",
                     (json_int_t)p->stats.active, "bytes_up", (json_int_t)p->stats.bytes_up,
                     "bytes_down", (json_int_t)p->stats.bytes_down);
}

static void json_fn(struct proxy_server *s, void *arg)
{
    struct op *o = arg;
    if (!o->name) {
        o->out = json_object();
        for (struct proxy *p = s->proxies; p; p = p->next) json_object_set_new(o->out, p->name, one_json(p));
        return;
    }
    struct proxy *p = proxy_find(s, o->name);
    if (!p) return;
    if (!o->flag) {
        o->out = one_json(p);
        return;
    }
    if (!o->a) {
        o->out = json_array();
        for (int i = 0; i < p->ntoxics; i++) json_array_append_new(o->out, toxic_to_json(&p->toxics[i]));
        return;
    }
    int i = proxy_toxic_index(p, o->a);
    if (i >= 0) o->out = toxic_to_json(&p->toxics[i]);
}

json_t *proxy_json(struct proxy_server *s, const char *name)
{
    struct op o = {.name = name};
    proxy_run(s, json_fn, &o);
    return o.out;
}

json_t *proxy_all_json(struct proxy_server *s)
{
    struct op o = {0};
    proxy_run(s, json_fn, &o);
    return o.out;
}

json_t *proxy_toxics_json(struct proxy_server *s, const char *proxy)
{
    struct op o = {.name = proxy, .flag = true};
    proxy_run(s, json_fn, &o);
    return o.out;
}

json_t *proxy_toxic_json(struct proxy_server *s, const char *proxy, const char *toxic)
{
    struct op o = {.name = proxy, .a = toxic, .flag = true};
    proxy_run(s, json_fn, &o);
    return o.out;
}
