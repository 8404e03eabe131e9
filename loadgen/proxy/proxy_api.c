/* Toxiproxy's HTTP API (2.x) on evhttp, served by the proxy thread:
 *   GET/POST /proxies, POST /populate, GET/POST/PATCH/DELETE /proxies/{name},
 *   GET/POST /proxies/{name}/toxics, GET/POST/PATCH/DELETE /proxies/{name}/toxics/{toxic},
 *   POST /reset, GET /version, GET /metrics (Prometheus text). Errors as
 *   Toxiproxy's: {"error": text, "status": code}, its texts for the
 *   common ones ("proxy not found", "toxic already exists", ...). */
#include "proc.h"
#include "proxy_int.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_MAX_BODY (1 << 20)
#define API_MAX_HEADERS (64 << 10)

json_t *proxy_toxic_set_json(struct proxy_server *s, const char *proxy, const char *toxic,
                             json_t *spec, char *err, size_t cap);

static void reply(struct evhttp_request *req, int code, json_t *body)
{
    struct evbuffer *b = evbuffer_new();
    if (body) {
        char *text = json_dumps(body, JSON_COMPACT);
        evbuffer_add_printf(b, "%s\n", text);
        free(text);
        json_decref(body);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    }
    evhttp_send_reply(req, code, code < 300 ? "OK" : "Error", b);
    evbuffer_free(b);
}

static void error(struct evhttp_request *req, int code, const char *msg)
{
    reply(req, code, json_pack("{s:s, s:i}", "error", msg, "status", code));
}

static int code_for(const char *err)
{
    if (!strncmp(err, "no proxy", 8) || !strncmp(err, "no toxic", 8)) return 404;
    if (strstr(err, "already exists")) return 409;
    return 400;
}

/* An operation's error in Toxiproxy's words where it has them (clients
 * match on them), else ours. */
static void op_error(struct evhttp_request *req, const char *err)
{
    int code = code_for(err);
    const char *msg = !strncmp(err, "no proxy", 8)                         ? "proxy not found"
                      : !strncmp(err, "no toxic", 8)                       ? "toxic not found"
                      : code == 409 && !strncmp(err, "proxy ", 6)          ? "proxy already exists"
                      : code == 409 && !strncmp(err, "toxic ", 6)          ? "toxic already exists"
                                                                           : err;
    error(req, code, msg);
}

static json_t *body_json_of(struct evhttp_request *req, bool want_array, char *err, size_t cap)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n > API_MAX_BODY) {
        snprintf(err, cap, "body too large");
        return NULL;
    }
    char *text = xmalloc(n + 1);
    evbuffer_copyout(in, text, n);
    text[n] = 0;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    free(text);
    if (!j) snprintf(err, cap, "bad request body: %s (line %d, column %d)", je.text, je.line, je.column);
    else if (!json_is_object(j) && !want_array) {
        snprintf(err, cap, "bad request body: expected an object");
        json_decref(j);
        j = NULL;
    }
    return j;
}

static json_t *body_json(struct evhttp_request *req, char *err, size_t cap)
{
    return body_json_of(req, false, err, cap);
}

enum verb { V_DONE, V_DELETE, V_POST };

/* The shape every resource shares: GET shows cur; DELETE (where allowed)
 * and POST (with its parsed body) go back to the caller; the rest is
 * answered here. Takes ownership of cur. */
static enum verb verb_of(struct evhttp_request *req, int method, json_t *cur, bool can_delete,
                         json_t **body)
{
    char err[512];
    if (method == EVHTTP_REQ_GET) {
        reply(req, 200, cur);
        return V_DONE;
    }
    json_decref(cur);
    if (method == EVHTTP_REQ_DELETE && can_delete) return V_DELETE;
    /* an update: POST, or PATCH (Toxiproxy 2.4 on) */
    if (method != EVHTTP_REQ_POST && method != EVHTTP_REQ_PATCH) {
        error(req, 405, "method not allowed");
        return V_DONE;
    }
    if (!(*body = body_json(req, err, sizeof err))) {
        error(req, 400, err);
        return V_DONE;
    }
    return V_POST;
}

static void proxies(struct proxy_server *s, struct evhttp_request *req, int method)
{
    char err[512];
    if (method == EVHTTP_REQ_GET) {
        reply(req, 200, proxy_all_json(s));
        return;
    }
    if (method != EVHTTP_REQ_POST) {
        error(req, 405, "method not allowed");
        return;
    }
    json_t *j = body_json(req, err, sizeof err);
    if (!j) {
        error(req, 400, err);
        return;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *listen = json_string_value(json_object_get(j, "listen"));
    const char *upstream = json_string_value(json_object_get(j, "upstream"));
    json_t *en = json_object_get(j, "enabled");
    if (!name || !*name) {
        error(req, 400, "missing required field: name");
    } else if (!upstream || !*upstream) {
        error(req, 400, "missing required field: upstream");
    } else if (proxy_create(s, name, listen ? listen : "127.0.0.1:0", upstream, en ? json_is_true(en) : true, err,
                            sizeof err)) {
        op_error(req, err);
    } else {
        reply(req, 201, proxy_json(s, name));
    }
    json_decref(j);
}

static void one_proxy(struct proxy_server *s, struct evhttp_request *req, int method, const char *name)
{
    char err[512];
    json_t *cur = proxy_json(s, name);
    if (!cur) {
        error(req, 404, "proxy not found");
        return;
    }
    bool was = json_is_true(json_object_get(cur, "enabled"));
    json_t *j = NULL;
    switch (verb_of(req, method, cur, true, &j)) {
    case V_DONE: return;
    case V_DELETE:
        proxy_delete(s, name, err, sizeof err);
        reply(req, 204, NULL);
        return;
    case V_POST: break;
    }
    /* Toxiproxy's update: the fields given change, the rest stay (its
     * clients send the whole proxy back, listen and upstream included) */
    json_t *en = json_object_get(j, "enabled"), *li = json_object_get(j, "listen"),
           *up = json_object_get(j, "upstream");
    if (en && !json_is_boolean(en)) {
        error(req, 400, "bad request body: enabled must be true or false");
    } else if ((li && !json_is_string(li)) || (up && !json_is_string(up))) {
        error(req, 400, "bad request body: listen and upstream are strings");
    } else if (proxy_update(s, name, json_string_value(li), json_string_value(up), en ? json_is_true(en) : was, err,
                            sizeof err)) {
        op_error(req, err);
    } else {
        reply(req, 200, proxy_json(s, name));
    }
    json_decref(j);
}

static void toxics(struct proxy_server *s, struct evhttp_request *req, int method, const char *proxy,
                   const char *toxic)
{
    char err[512];
    json_t *cur = toxic ? proxy_toxic_json(s, proxy, toxic) : proxy_toxics_json(s, proxy);
    char addr[160];
    if (!cur && (!toxic || proxy_listen_addr(s, proxy, addr, sizeof addr))) {
        error(req, 404, "proxy not found");
        return;
    }
    if (!cur) {
        error(req, 404, "toxic not found");
        return;
    }
    json_t *j = NULL;
    switch (verb_of(req, method, cur, toxic != NULL, &j)) {
    case V_DONE: return;
    case V_DELETE:
        proxy_toxic_remove(s, proxy, toxic, err, sizeof err);
        reply(req, 204, NULL);
        return;
    case V_POST: break;
    }
    json_t *out = proxy_toxic_set_json(s, proxy, toxic, j, err, sizeof err);
    if (out) reply(req, 200, out);
    else op_error(req, err);
    json_decref(j);
}

/* POST /populate: 201 {"proxies": [...]}; on an error its status, with
 * the error and the proxies applied before it. */
static void populate(struct proxy_server *s, struct evhttp_request *req)
{
    char err[512];
    json_t *list = body_json_of(req, true, err, sizeof err), *done = NULL;
    if (!list) {
        error(req, 400, err);
        return;
    }
    json_t *ok = proxy_populate(s, list, &done, err, sizeof err);
    json_decref(list);
    if (ok) {
        reply(req, 201, json_pack("{s:o}", "proxies", done));
        return;
    }
    int code = code_for(err);
    reply(req, code, json_pack("{s:s, s:i, s:o}", "error", err, "status", code, "proxies", done));
}

static void metrics(struct proxy_server *s, struct evhttp_request *req)
{
    struct evbuffer *b = evbuffer_new();
    proxy_metrics_text(s, b);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

/* Any web page the user visits could otherwise drive the API (a form or
 * fetch to 127.0.0.1): refuse what looks like a browser, as Toxiproxy does
 * (its check is the User-Agent; a cross-site request also carries Origin),
 * and take writes only as JSON, which a plain form cannot send. */
static bool refused(struct evhttp_request *req, int method)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *ua = evhttp_find_header(h, "User-Agent"), *origin = evhttp_find_header(h, "Origin");
    if ((ua && !strncmp(ua, "Mozilla/", 8)) || origin) {
        error(req, 403, "browsers are not allowed to use the proxy API");
        return true;
    }
    const char *ct = evhttp_find_header(h, "Content-Type");
    bool body = evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0;
    if ((method == EVHTTP_REQ_POST || method == EVHTTP_REQ_PATCH) && body &&
        (!ct || strncasecmp(ct, "application/json", 16))) {
        error(req, 415, "a request body must be Content-Type: application/json");
        return true;
    }
    return false;
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct proxy_server *s = arg;
    int method = evhttp_request_get_command(req);
    if (refused(req, method)) return;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    char *seg[5] = {0}, *copy = xstrdup(path ? path : "/"), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, "/", &save); t && n < 5; t = strtok_r(NULL, "/", &save)) {
        char *dec = evhttp_uridecode(t, 0, NULL);
        seg[n++] = dec;
    }
    if (n == 1 && !strcmp(seg[0], "version") && method == EVHTTP_REQ_GET)
        reply(req, 200, json_pack("{s:s}", "version", "loadgen-proxy " LOADGEN_VERSION));
    else if (n == 1 && !strcmp(seg[0], "populate") && method == EVHTTP_REQ_POST)
        populate(s, req);
    else if (n == 1 && !strcmp(seg[0], "metrics") && method == EVHTTP_REQ_GET)
        metrics(s, req);
    else if (n == 1 && !strcmp(seg[0], "reset") && method == EVHTTP_REQ_POST) {
        proxy_reset(s);
        reply(req, 204, NULL);
    } else if (n == 1 && !strcmp(seg[0], "proxies"))
        proxies(s, req, method);
    else if (n == 2 && !strcmp(seg[0], "proxies"))
        one_proxy(s, req, method, seg[1]);
    else if ((n == 3 || n == 4) && !strcmp(seg[0], "proxies") && !strcmp(seg[2], "toxics"))
        toxics(s, req, method, seg[1], n == 4 ? seg[3] : NULL);
    else
        error(req, 404, "no such endpoint");
    for (int i = 0; i < n; i++) free(seg[i]);
    free(copy);
}

struct api_op {
    const char *addr;
    char *bound; /* the address it listens on (port 0: the kernel's pick) */
    size_t bound_cap;
    char *err;
    size_t cap;
    int rc;
};

static void api_fn(struct proxy_server *s, void *arg)
{
    struct api_op *o = arg;
    char host[128];
    const char *colon = strrchr(o->addr, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : -1;
    if (!colon || port < 0 || port > 65535 || !colon[1] || (size_t)(colon - o->addr) >= sizeof host) {
        snprintf(o->err, o->cap, "bad API address %s (host:port)", o->addr);
        o->rc = -1;
        return;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - o->addr), o->addr);
    if (!s->allow_remote && !proxy_addr_loopback(o->addr)) {
        snprintf(o->err, o->cap, "API address %s is not loopback: anyone who reaches it can create proxies to "
                 "anywhere (--allow-remote to mean it)", o->addr);
        o->rc = -1;
        return;
    }
    if (s->allow_remote && !proxy_addr_loopback(o->addr))
        log_note("warning: the proxy API on %s is reachable from the network (--allow-remote)", o->addr);
    if (!s->http) {
        s->http = evhttp_new(s->base);
        evhttp_set_gencb(s->http, handle, s);
        evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
        /* Enforced while reading, not after buffering a 200 MB body. */
        evhttp_set_max_body_size(s->http, API_MAX_BODY);
        evhttp_set_max_headers_size(s->http, API_MAX_HEADERS);
    }
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, host, (uint16_t)port);
    if (!bs) {
        snprintf(o->err, o->cap, "cannot serve the API on %s (in use?)", o->addr);
        o->rc = -1;
        return;
    }
    if (sock_bound_addr(evhttp_bound_socket_get_fd(bs), o->bound, o->bound_cap))
        snprintf(o->bound, o->bound_cap, "%s", o->addr);
    o->rc = 0;
}

int proxy_api_start(struct proxy_server *s, const char *addr, char *bound, size_t bound_cap, char *err,
                    size_t cap)
{
    struct api_op o = {addr, bound, bound_cap, err, cap, -1};
    proxy_run(s, api_fn, &o);
    return o.rc;
}
