/* Toxiproxy's whole-proxy calls: update (enabled, listen, upstream; a
 * changed address re-binds), populate (create or replace a list, checked
 * whole before anything changes) and the Prometheus metrics text. Each runs
 * on the proxy thread through proxy_run(). */
#include "proxy_int.h"
#include "util.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POPULATE_MAX 256

struct upd {
    const char *name, *listen, *upstream;
    bool enabled;
    char *err;
    size_t cap;
    int rc;
    json_t *list, *out;
};

static void update_fn(struct proxy_server *s, void *arg)
{
    struct upd *u = arg;
    struct proxy *p = proxy_find(s, u->name);
    u->rc = -1;
    if (!p) {
        snprintf(u->err, u->cap, "no proxy %s", u->name);
        return;
    }
    struct sockaddr_storage ss, up;
    socklen_t len, uplen;
    bool relisten = u->listen && strcmp(u->listen, p->listen);
    bool reup = u->upstream && strcmp(u->upstream, p->upstream);
    if ((relisten && (strlen(u->listen) >= sizeof p->listen || proxy_parse_addr(u->listen, &ss, &len))) ||
        (reup && (strlen(u->upstream) >= sizeof p->upstream || proxy_parse_addr(u->upstream, &up, &uplen)))) {
        snprintf(u->err, u->cap, "bad %s address %s (host:port)", relisten ? "listen" : "upstream",
                 relisten ? u->listen : u->upstream);
        return;
    }
    /* Toxiproxy restarts a proxy whose address changed: its connections
     * close, and it listens again where it is told */
    bool was = p->enabled;
    if (was && (relisten || reup || !u->enabled)) proxy_unlisten(p);
    if (relisten) str_copy(p->listen, sizeof p->listen, u->listen);
    if (reup) {
        str_copy(p->upstream, sizeof p->upstream, u->upstream);
        p->up_addr = up, p->up_len = uplen;
    }
    p->enabled = false;
    if (u->enabled && (!was || relisten || reup || !p->lis) && proxy_listen(p, u->err, u->cap)) return;
    p->enabled = u->enabled;
    u->rc = 0;
}

int proxy_update(struct proxy_server *s, const char *name, const char *listen, const char *upstream, bool enabled,
                 char *err, size_t cap)
{
    struct upd u = {.name = name, .listen = listen, .upstream = upstream, .enabled = enabled, .err = err, .cap = cap};
    proxy_run(s, update_fn, &u);
    return u.rc;
}

static void populate_fn(struct proxy_server *s, void *arg)
{
    struct upd *u = arg;
    size_t n = json_array_size(u->list), i, j;
    json_t *e;
    u->rc = -1;
    if (!json_is_array(u->list)) {
        snprintf(u->err, u->cap, "bad request body: expected a JSON array of proxies");
        return;
    }
    if (n > POPULATE_MAX) {
        snprintf(u->err, u->cap, "bad request body: more than %d proxies", POPULATE_MAX);
        return;
    }
    /* every entry is checked before anything changes */
    json_array_foreach(u->list, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *listen = json_string_value(json_object_get(e, "listen"));
        const char *up = json_string_value(json_object_get(e, "upstream"));
        json_t *en = json_object_get(e, "enabled");
        struct sockaddr_storage ss;
        socklen_t len;
        if (!json_is_object(e)) {
            snprintf(u->err, u->cap, "bad request body: proxy %zu is not an object", i + 1);
            return;
        }
        if (!name || !*name || strlen(name) >= 64) {
            snprintf(u->err, u->cap, "missing required field: name at proxy %zu (1-63 bytes)", i + 1);
            return;
        }
        if (!up || !*up) {
            snprintf(u->err, u->cap, "missing required field: upstream at proxy %zu", i + 1);
            return;
        }
        if (en && !json_is_boolean(en)) {
            snprintf(u->err, u->cap, "bad request body: enabled of proxy %s is not true or false", name);
            return;
        }
        if (!listen) listen = "127.0.0.1:0";
        if (strlen(listen) >= 128 || proxy_parse_addr(listen, &ss, &len)) {
            snprintf(u->err, u->cap, "bad listen address %s of proxy %s (host:port)", listen, name);
            return;
        }
        if (strlen(up) >= 128 || proxy_parse_addr(up, &ss, &len)) {
            snprintf(u->err, u->cap, "bad upstream address %s of proxy %s (host:port)", up, name);
            return;
        }
        for (j = 0; j < i; j++)
            if (!strcmp(name, json_string_value(json_object_get(json_array_get(u->list, j), "name")))) {
                snprintf(u->err, u->cap, "bad request body: duplicate proxy name %s", name);
                return;
            }
    }
    /* then each is created, kept (the same listen and upstream: its toxics
     * and state stay) or replaced */
    u->out = json_array();
    json_array_foreach(u->list, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *listen = json_string_value(json_object_get(e, "listen"));
        const char *up = json_string_value(json_object_get(e, "upstream"));
        json_t *en = json_object_get(e, "enabled");
        if (!listen) listen = "127.0.0.1:0";
        struct proxy *p = proxy_find(s, name);
        if (p && !strcmp(p->listen, listen) && !strcmp(p->upstream, up)) {
            json_array_append_new(u->out, json_string(name));
            continue;
        }
        char err[256];
        if (p) proxy_delete(s, name, err, sizeof err);
        if (proxy_create(s, name, listen, up, en ? json_is_true(en) : true, u->err, u->cap)) return;
        json_array_append_new(u->out, json_string(name));
    }
    u->rc = 0;
}

json_t *proxy_populate(struct proxy_server *s, json_t *list, json_t **done, char *err, size_t cap)
{
    struct upd u = {.list = list, .err = err, .cap = cap};
    proxy_run(s, populate_fn, &u);
    /* the proxies as they are now: those done, also when one failed */
    json_t *names = u.out ? u.out : json_array(), *out = json_array(), *name;
    size_t i;
    json_array_foreach(names, i, name) {
        json_t *one = proxy_json(s, json_string_value(name));
        if (one) json_array_append_new(out, one);
    }
    json_decref(names);
    *done = out;
    return u.rc ? NULL : out;
}

/* a label value of the text format: \ " and newline escaped */
static void label(struct evbuffer *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') evbuffer_add_printf(b, "\\%c", *v);
        else if (*v == '\n') evbuffer_add(b, "\\n", 2);
        else evbuffer_add(b, v, 1);
    }
}

static void metrics_fn(struct proxy_server *s, void *arg)
{
    struct evbuffer *b = arg;
    static const struct {
        const char *name, *help, *type;
    } fam[] = {
        {"loadgen_proxy_received_bytes_total", "bytes read from the client (upstream direction)", "counter"},
        {"loadgen_proxy_sent_bytes_total", "bytes read from the upstream (downstream direction)", "counter"},
        {"loadgen_proxy_connections_total", "connections accepted", "counter"},
        {"loadgen_proxy_connections_active", "connections open now", "gauge"},
        {"loadgen_proxy_enabled", "1 while the proxy listens", "gauge"},
        {"loadgen_toxic_activations_total", "connections a toxic was applied to (its toxicity passed)", "counter"},
    };
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name, fam[f].type);
        for (struct proxy *p = s->proxies; p; p = p->next) {
            if (f == 5) {
                for (int i = 0; i < p->ntoxics; i++) {
                    evbuffer_add_printf(b, "%s{proxy=\"", fam[f].name);
                    label(b, p->name);
                    evbuffer_add_printf(b, "\",toxic=\"");
                    label(b, p->toxics[i].name);
                    evbuffer_add_printf(b, "\",type=\"%s\"} %llu\n", p->toxics[i].ops->type,
                                        (unsigned long long)p->toxics[i].activations);
                }
                continue;
            }
            uint64_t v = f == 0 ? p->stats.bytes_up : f == 1 ? p->stats.bytes_down : f == 2 ? p->stats.accepted
                         : f == 3 ? p->stats.active : p->enabled;
            evbuffer_add_printf(b, "%s{proxy=\"", fam[f].name);
            label(b, p->name);
            evbuffer_add_printf(b, "\",listener=\"");
            label(b, p->listen);
            evbuffer_add_printf(b, "\",upstream=\"");
            label(b, p->upstream);
            evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)v);
        }
    }
}

void proxy_metrics_text(struct proxy_server *s, void *evbuffer)
{
    proxy_run(s, metrics_fn, evbuffer);
}
