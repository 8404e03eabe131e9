/* A scenario's load.http (the requests loadgen sends to a user's API,
 * httpload.h) and {port:NAME}, the free loopback port a service listens
 * on and the URL names. docs/services.md "Test your own API". */
#include "scenario_int.h"
#include "units.h"
#include "util.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_TIMEOUT_NS (10 * NS_PER_SEC)
#define HTTP_CONNECTIONS 16

/* A port the kernel has free on 127.0.0.1 now (the service binds it a
 * moment later, as Testcontainers' free-port helpers do); -1 on failure. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) && !getsockname(fd, (struct sockaddr *)&a, &len))
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static int port_of(struct ctx *x, yaml_node_t *n, const char *field, const char *name, size_t len)
{
    struct scenario *sc = x->sc;
    for (int i = 0; i < sc->nports; i++)
        if (strlen(sc->ports[i].name) == len && !memcmp(sc->ports[i].name, name, len)) return sc->ports[i].port;
    if (sc->nports == SCENARIO_MAX_PORTS) return sc_err(x, n, field, "at most %d {port:NAME}", SCENARIO_MAX_PORTS), -1;
    int p = free_port();
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

static void want_tpl(struct ctx *x, yaml_node_t *v, const char *field, struct tpl *t)
{
    const char *s = sc_want_scalar(x, v, field);
    char err[300];
    if (s && tpl_compile(t, s, err, sizeof err)) sc_err(x, v, field, "%s", err);
}

static void want_count(struct ctx *x, yaml_node_t *v, const char *field, int max, int *out)
{
    const char *s = sc_want_scalar(x, v, field);
    uint64_t u;
    if (s && (units_count(s, &u) || !u || u > (uint64_t)max))
        sc_err(x, v, field, "'%s' is not a whole number from 1 to %d", s, max);
    else if (s)
        *out = (int)u;
}

static void headers(struct ctx *x, yaml_node_t *v, struct httpload_spec *h)
{
    if (!sc_is_map(x, v, "load.http.headers")) return;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        bool ok = k && k[0] && strlen(k) < 128 && strcspn(k, " :\r\n\t") == strlen(k);
        if (!ok || h->nheaders == TPL_MAX_HEADERS) {
            sc_err(x, sc_node(x, p->key), "load.http.headers", "header names without blanks or ':', at most %d",
                   TPL_MAX_HEADERS);
            continue;
        }
        if (!strcasecmp(k, "content-length") || !strcasecmp(k, "host") || !strcasecmp(k, "transfer-encoding")) {
            sc_err(x, sc_node(x, p->key), "load.http.headers", "%s is loadgen's to send", k);
            continue;
        }
        char sub[200];
        snprintf(sub, sizeof sub, "load.http.headers.%s", k);
        want_tpl(x, sc_node(x, p->value), sub, &h->header_values[h->nheaders]);
        h->header_keys[h->nheaders++] = xstrdup(k);
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
            if (m && (!m[0] || strlen(m) > 16 || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m)))
                sc_err(x, val, sub, "an upper-case method (GET, POST, PUT)");
            else if (m)
                free(h->method), h->method = xstrdup(m);
        } else if (!strcmp(k, "url")) {
            const char *u = sc_want_scalar(x, val, sub);
            char *e = u ? sc_expand_ports(x, val, sub, u) : NULL, err[400];
            if (e && httpload_spec_url(h, e, err, sizeof err)) sc_err(x, val, sub, "%s", err);
            free(e);
        } else if (!strcmp(k, "body"))
            want_tpl(x, val, sub, &h->body);
        else if (!strcmp(k, "headers"))
            headers(x, val, h);
        else if (!strcmp(k, "connections"))
            want_count(x, val, sub, HTTPLOAD_MAX_CONNECTIONS, &h->connections);
        else if (!strcmp(k, "threads"))
            want_count(x, val, sub, HTTPLOAD_MAX_THREADS, &h->threads);
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
