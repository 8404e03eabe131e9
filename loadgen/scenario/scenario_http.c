/* A scenario's load.http (the requests loadgen sends to a user's API,
 * httpload.h) and {port:NAME}, the free loopback port a service listens
 * on and the URL names. docs/services.md "Test your own API". */
#include "broker.h"
#include "scenario_int.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_TIMEOUT_NS (10 * NS_PER_SEC)
#define HTTP_CONNECTIONS 16

static int port_of(struct ctx *x, yaml_node_t *n, const char *field, const char *name, size_t len)
{
    struct scenario *sc = x->sc;
    for (int i = 0; i < sc->nports; i++)
        if (strlen(sc->ports[i].name) == len && !memcmp(sc->ports[i].name, name, len)) return sc->ports[i].port;
    if (sc->nports == SCENARIO_MAX_PORTS) return sc_err(x, n, field, "at most %d {port:NAME}", SCENARIO_MAX_PORTS), -1;
    int p = broker_free_port(); /* free now: the service binds it a moment later */
    if (p < 0) return sc_err(x, n, field, "no free loopback port"), -1;
    memcpy(sc->ports[sc->nports].name, name, len);
    sc->ports[sc->nports].name[len] = 0;
    sc->ports[sc->nports++].port = p;
    return p;
}

char *sc_expand_ports(struct ctx *x, yaml_node_t *n, const char *field, const char *in)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = in; *p;) {
        const char *e;
        if (strncmp(p, "{port:", 6) || !(e = strchr(p + 6, '}'))) {
            out[len++] = *p++;
            continue;
        }
        const char *name = p + 6;
        size_t nl = (size_t)(e - name);
        bool ok = nl > 0 && nl < 32;
        for (size_t i = 0; ok && i < nl; i++)
            ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_';
        if (!ok) {
            sc_err(x, n, field, "{port:NAME}: NAME is 1-31 characters of a-z, 0-9 and _");
            return free(out), NULL;
        }
        int port = port_of(x, n, field, name, nl);
        x->port_refs++;
        if (port > 0 && port != x->svc_port) x->svc_ports++, x->svc_port = port;
        if (port < 0) return free(out), NULL;
        cap += 8;
        out = xrealloc(out, cap);
        len += (size_t)snprintf(out + len, cap - len, "%d", port);
        p = e + 1;
    }
    out[len] = 0;
    return out;
}

static void headers(struct ctx *x, yaml_node_t *v, struct httpload_spec *h)
{
    if (!sc_is_map(x, v, "load.http.headers")) return;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key)), *val;
        char sub[200], err[300];
        snprintf(sub, sizeof sub, "load.http.headers.%s", k ? k : "?");
        if (!(val = sc_want_scalar(x, sc_node(x, p->value), sub))) continue;
        int rc = httpload_spec_header(h, k ? k : "", val, err, sizeof err);
        if (rc) sc_err(x, sc_node(x, rc == -1 ? p->key : p->value), rc == -1 ? "load.http.headers" : sub, "%s", err);
    }
}

void sc_parse_http(struct ctx *x, yaml_node_t *v)
{
    struct httpload_spec *h = &x->sc->http;
    if (!sc_is_map(x, v, "load.http")) return;
    x->sc->has_http = true;
    h->connections = HTTP_CONNECTIONS;
    h->threads = 1;
    h->timeout_ns = HTTP_TIMEOUT_NS;
    h->line = (int)v->start_mark.line + 1;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *val = sc_node(x, p->value);
        char sub[96];
        snprintf(sub, sizeof sub, "load.http.%s", k ? k : "?");
        if (!k) continue;
        if (!strcmp(k, "method")) {
            const char *m = sc_want_scalar(x, val, sub);
            char err[100];
            if (m && httpload_spec_method(h, m, err, sizeof err)) sc_err(x, val, sub, "%s", err);
        } else if (!strcmp(k, "url")) {
            const char *u = sc_want_scalar(x, val, sub);
            char *e = u ? sc_expand_ports(x, val, sub, u) : NULL, err[400];
            if (e && httpload_spec_url(h, e, err, sizeof err)) sc_err(x, val, sub, "%s", err);
            free(e);
        } else if (!strcmp(k, "body"))
            sc_want_tpl(x, val, sub, &h->body);
        else if (!strcmp(k, "headers"))
            headers(x, val, h);
        else if (!strcmp(k, "connections"))
            sc_want_int(x, val, sub, 1, HTTPLOAD_MAX_CONNECTIONS, &h->connections);
        else if (!strcmp(k, "threads"))
            sc_want_int(x, val, sub, 1, HTTPLOAD_MAX_THREADS, &h->threads);
        else if (!strcmp(k, "timeout")) {
            if (!sc_want_duration(x, val, sub, &h->timeout_ns) && !h->timeout_ns)
                sc_err(x, val, sub, "a duration above 0");
        } else
            sc_err(x, sc_node(x, p->key), sub,
                   "unknown key (method, url, body, headers, connections, threads, timeout)");
    }
    if (!h->method) h->method = xstrdup(h->body.set ? "POST" : "GET");
    if (!h->url) sc_err(x, v, "load.http", "needs url: http://127.0.0.1:{port:NAME}/path");
}
