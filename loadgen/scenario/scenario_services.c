/* A scenario's services: (the user's processes), effects: (where their
 * results arrive) and the message the load publishes to them (load: keys
 * body, headers, content_type, content_encoding, message_id,
 * correlation_id). docs/services.md. */
#include "httpget.h"
#include "lgre.h"
#include "scenario_int.h"
#include "units.h"
#include "util.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READY_TIMEOUT_NS (60 * NS_PER_SEC)
#define STOP_GRACE_NS (5 * NS_PER_SEC)
#define EFFECTS_QUIET_NS (3 * NS_PER_SEC)

bool sc_parse_message_key(struct ctx *x, const char *key, yaml_node_t *v)
{
    struct msg_template *m = &x->sc->tpl;
    char field[96];
    snprintf(field, sizeof field, "load.%s", key);
    if (!strcmp(key, "body"))
        sc_want_tpl(x, v, field, &m->body);
    else if (!strcmp(key, "message_id"))
        sc_want_tpl(x, v, field, &m->message_id);
    else if (!strcmp(key, "correlation_id"))
        sc_want_tpl(x, v, field, &m->correlation_id);
    else if (!strcmp(key, "content_type") || !strcmp(key, "content_encoding")) {
        const char *s = sc_want_scalar(x, v, field);
        char **dst = key[8] == 't' ? &m->content_type : &m->content_encoding;
        if (s && strlen(s) > 255)
            sc_err(x, v, field, "longer than 255 bytes");
        else if (s)
            free(*dst), *dst = xstrdup(s);
    } else if (!strcmp(key, "headers")) {
        if (!sc_is_map(x, v, field)) return true;
        FOREACH_PAIR(v, p)
        {
            const char *k = sc_scalar(sc_node(x, p->key));
            if (!k || strlen(k) > 255 || !strcmp(k, TPL_ID_HEADER)) {
                sc_err(x, sc_node(x, p->key), field, "a header name of 1-255 bytes, not %s", TPL_ID_HEADER);
                continue;
            }
            if (m->nheaders == TPL_MAX_HEADERS) {
                sc_err(x, sc_node(x, p->key), field, "at most %d headers", TPL_MAX_HEADERS);
                break;
            }
            char sub[400];
            snprintf(sub, sizeof sub, "%s.%s", field, k);
            sc_want_tpl(x, sc_node(x, p->value), sub, &m->header_values[m->nheaders]);
            m->header_keys[m->nheaders++] = xstrdup(k);
        }
    } else {
        return false;
    }
    x->sc->has_tpl = true;
    return true;
}

static void parse_command(struct ctx *x, yaml_node_t *v, const char *field, struct service_spec *s)
{
    if (v->type == YAML_SCALAR_NODE) {
        char *a = sc_expand_ports(x, v, field, sc_scalar(v));
        if (a) s->argv[s->argc++] = a;
        return;
    }
    if (v->type != YAML_SEQUENCE_NODE) return sc_err(x, v, field, "a list: [program, arg, ...]");
    FOREACH_ITEM(v, it)
    {
        const char *a = sc_want_scalar(x, sc_node(x, *it), field);
        if (!a) return;
        if (s->argc == SERVICE_MAX_ARGS) return sc_err(x, v, field, "at most %d arguments", SERVICE_MAX_ARGS);
        char *e = sc_expand_ports(x, sc_node(x, *it), field, a);
        if (!e) return;
        s->argv[s->argc++] = e;
    }
}

static void parse_ready(struct ctx *x, yaml_node_t *v, const char *field, struct service_spec *s)
{
    if (!sc_is_map(x, v, field)) return;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *val = sc_node(x, p->value);
        char sub[160];
        snprintf(sub, sizeof sub, "%s.%s", field, k ? k : "?");
        if (k && !strcmp(k, "timeout")) {
            sc_want_duration(x, val, sub, &s->ready_timeout_ns);
            continue;
        }
        if (s->ready != READY_NONE) {
            sc_err(x, val, sub, "one of consumers, log, tcp, http, delay");
            continue;
        }
        const char *str = k ? sc_want_scalar(x, val, sub) : NULL;
        if (!str) continue;
        char why[200];
        struct lgre *re;
        if (!strcmp(k, "consumers"))
            s->ready = READY_CONSUMERS, s->ready_arg = xstrdup(str);
        else if (!strcmp(k, "log")) {
            if (!(re = lgre_compile(str, why, sizeof why)))
                sc_err(x, val, sub, "not a regular expression (PCRE): %s", why);
            else
                lgre_free(re), s->ready = READY_LOG, s->ready_arg = xstrdup(str);
        } else if (!strcmp(k, "tcp")) {
            char *e = sc_expand_ports(x, val, sub, str); /* tcp: "{port:api}" */
            uint64_t port;
            if (e && (units_count(e, &port) || port < 1 || port > 65535 - SERVICE_MAX_INSTANCES))
                sc_err(x, val, sub, "'%s' is not a port (1 to %d, or {port:NAME})", str, 65535 - SERVICE_MAX_INSTANCES);
            else if (e)
                s->ready = READY_TCP, s->ready_port = (int)port;
            free(e);
        } else if (!strcmp(k, "http")) {
            char *u = sc_expand_ports(x, val, sub, str);
            struct http_url hu;
            char err[300];
            if (u && u[0] == '/') /* a path: on the one port the service names, once it is parsed */
                s->ready = READY_HTTP, s->ready_arg = u, x->ready_node = val;
            else if (u && http_url_parse(u, &hu, err, sizeof err))
                sc_err(x, val, sub, "%s: %s", str, err), free(u);
            else if (u)
                s->ready = READY_HTTP, s->ready_arg = u;
        } else if (!strcmp(k, "delay")) {
            if (!sc_want_duration(x, val, sub, &s->ready_delay_ns)) s->ready = READY_DELAY;
        } else
            sc_err(x, sc_node(x, p->key), sub, "unknown key (consumers, log, tcp, http, delay, timeout)");
    }
}

static void service_key(struct ctx *x, const char *k, yaml_node_t *v, const char *sub, struct service_spec *s)
{
    if (!strcmp(k, "name")) {
        const char *n = sc_want_scalar(x, v, sub);
        bool ok = n && n[0] && strlen(n) <= 40;
        for (const char *c = n; ok && *c; c++)
            ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
        if (!ok)
            sc_err(x, v, sub, "1-40 characters of a-z, 0-9 and _");
        else
            s->name = xstrdup(n);
    } else if (!strcmp(k, "command"))
        parse_command(x, v, sub, s);
    else if (!strcmp(k, "instances"))
        sc_want_int(x, v, sub, 1, SERVICE_MAX_INSTANCES, &s->instances);
    else if (!strcmp(k, "ready"))
        parse_ready(x, v, sub, s);
    else if (!strcmp(k, "stop_grace"))
        sc_want_duration(x, v, sub, &s->stop_grace_ns);
    else if (!strcmp(k, "restart")) {
        const char *r = sc_want_scalar(x, v, sub);
        if (r && strcmp(r, "on-failure") && strcmp(r, "no")) sc_err(x, v, sub, "on-failure or no");
        s->restart_on_failure = r && !strcmp(r, "on-failure");
    } else if (!strcmp(k, "env")) {
        if (!sc_is_map(x, v, sub)) return;
        FOREACH_PAIR(v, q)
        {
            const char *ek = sc_scalar(sc_node(x, q->key)), *ev = sc_want_scalar(x, sc_node(x, q->value), sub);
            if (!ek || !ev || !ek[0] || strchr(ek, '=') || s->nenv == SERVICE_MAX_ENV) {
                sc_err(x, sc_node(x, q->key), sub, "NAME: value pairs, at most %d", SERVICE_MAX_ENV);
                continue;
            }
            char *e = sc_expand_ports(x, sc_node(x, q->value), sub, ev);
            if (!e) continue;
            size_t len = strlen(ek) + strlen(e) + 2;
            s->env[s->nenv] = xmalloc(len);
            snprintf(s->env[s->nenv++], len, "%s=%s", ek, e);
            free(e);
        }
    } else
        sc_err(x, v, sub, "unknown key (name, command, instances, env, ready, restart, stop_grace)");
}

static void parse_service(struct ctx *x, yaml_node_t *n, int i)
{
    struct scenario *sc = x->sc;
    char field[64];
    snprintf(field, sizeof field, "services[%d]", i);
    if (!sc_is_map(x, n, field)) return;
    if (sc->nservices == SERVICES_MAX) return sc_err(x, n, field, "at most %d services", SERVICES_MAX);
    struct service_spec *s = &sc->services[sc->nservices++];
    *s = (struct service_spec){.instances = 1,
                               .ready_timeout_ns = READY_TIMEOUT_NS,
                               .stop_grace_ns = STOP_GRACE_NS,
                               .line = (int)n->start_mark.line + 1};
    char *copy = xstrdup(x->path);
    s->dir = xstrdup(dirname(copy));
    free(copy);
    int refs_before = x->port_refs;
    x->svc_port = 0, x->svc_ports = 0;
    FOREACH_PAIR(n, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        char sub[128];
        snprintf(sub, sizeof sub, "%s.%s", field, k ? k : "?");
        if (k) service_key(x, k, sc_node(x, p->value), sub, s);
    }
    if (s->ready == READY_HTTP && s->ready_arg[0] == '/') {
        if (x->svc_ports != 1) {
            sc_err(x, x->ready_node, field, "ready.http: a path needs the service to name one {port:NAME} "
                                           "(or give the whole URL)");
        } else {
            size_t len = strlen(s->ready_arg) + 32;
            char *u = xmalloc(len);
            snprintf(u, len, "http://127.0.0.1:%d%s", x->svc_port, s->ready_arg);
            free(s->ready_arg);
            s->ready_arg = u;
        }
    }
    if (x->port_refs > refs_before && s->instances > 1)
        sc_err(x, n, field, "{port:NAME} is one port: every instance would bind it (instances: 1)");
    if (!s->name) return sc_err(x, n, field, "a service needs a name");
    for (int j = 0; j < sc->nservices - 1; j++)
        if (!strcmp(sc->services[j].name, s->name)) sc_err(x, n, field, "a second service called %s", s->name);
    if (!s->argc) return sc_err(x, n, field, "a service needs a command: [program, args...]");
    char path[1024], why[1200];
    if (service_resolve(s, path, sizeof path, why, sizeof why)) sc_err(x, n, field, "command: %s", why);
}

void sc_parse_services(struct ctx *x, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) return sc_err(x, v, "services", "a list of services (name, command, ...)");
    int i = 0;
    FOREACH_ITEM(v, it) parse_service(x, sc_node(x, *it), i++);
}

static void parse_id(struct ctx *x, yaml_node_t *v, struct effects_spec *e)
{
    static const struct {
        const char *key;
        enum effect_id_from from;
    } kinds[] = {{"json", EID_JSON},
                 {"header", EID_HEADER},
                 {"correlation_id", EID_CORRELATION_ID},
                 {"message_id", EID_MESSAGE_ID},
                 {"body", EID_BODY}};
    const char *s = sc_scalar(v);
    if (s) { /* a bare word: correlation_id, message_id or body */
        for (size_t i = 2; i < sizeof kinds / sizeof kinds[0]; i++)
            if (!strcmp(s, kinds[i].key)) e->id_from = kinds[i].from, e->id_key = xstrdup(s);
    } else if (v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top - v->data.mapping.pairs.start == 1) {
        yaml_node_pair_t *p = v->data.mapping.pairs.start;
        const char *k = sc_scalar(sc_node(x, p->key)), *arg = sc_scalar(sc_node(x, p->value));
        for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
            if (!strcmp(k, kinds[i].key) && (i >= 2 || (arg && arg[0])))
                e->id_from = kinds[i].from, e->id_key = xstrdup(i >= 2 ? k : arg);
    }
    if (!e->id_key) sc_err(x, v, "effects.id", "one of {json: KEY}, {header: NAME}, correlation_id, message_id, body");
}

/* {file: orders-{run}.db, query: "SELECT order_id FROM paid"}: a relative
 * file is the services' state folder's (LOADGEN_RUN_DIR). */
static void parse_sqlite(struct ctx *x, yaml_node_t *v, struct effects_spec *e)
{
    if (!sc_is_map(x, v, "effects.sqlite")) return;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        const char *s = sc_want_scalar(x, sc_node(x, p->value), "effects.sqlite");
        if (!k || !s) continue;
        if (!strcmp(k, "file"))
            free(e->sqlite_file), e->sqlite_file = xstrdup(s);
        else if (!strcmp(k, "query"))
            free(e->sqlite_query), e->sqlite_query = xstrdup(s);
        else
            sc_err(x, sc_node(x, p->key), "effects.sqlite", "unknown key (file, query)");
    }
    if (!e->sqlite_file || !e->sqlite_query)
        sc_err(x, v, "effects.sqlite", "needs file: and query: (its first column names the input)");
    else if (strncasecmp(e->sqlite_query, "select", 6))
        sc_err(x, v, "effects.sqlite.query", "a SELECT (the database is opened read-only)");
}

/* key: message_id or {header: NAME}: the effect's idempotency key */
static void parse_key(struct ctx *x, yaml_node_t *v, struct effects_spec *e)
{
    const char *s = sc_scalar(v);
    if (s && !strcmp(s, "message_id")) {
        e->key_from = EID_MESSAGE_ID;
        return;
    }
    if (v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top - v->data.mapping.pairs.start == 1) {
        yaml_node_pair_t *p = v->data.mapping.pairs.start;
        const char *k = sc_scalar(sc_node(x, p->key)), *name = sc_scalar(sc_node(x, p->value));
        if (k && !strcmp(k, "header") && name && name[0]) {
            e->key_from = EID_HEADER;
            free(e->key_name);
            e->key_name = xstrdup(name);
            return;
        }
    }
    sc_err(x, v, "effects.key", "message_id or {header: NAME}");
}

static int queue_list(struct ctx *x, yaml_node_t *v, const char *field, char **out)
{
    int n = 0;
    if (sc_scalar(v)) {
        out[n++] = xstrdup(sc_scalar(v));
        return n;
    }
    if (v->type != YAML_SEQUENCE_NODE) return sc_err(x, v, field, "a queue or a list of queues"), 0;
    FOREACH_ITEM(v, it)
    {
        const char *q = sc_want_scalar(x, sc_node(x, *it), field);
        if (q && n < EFFECTS_MAX_QUEUES) out[n++] = xstrdup(q);
    }
    return n;
}

void sc_parse_effects(struct ctx *x, yaml_node_t *v)
{
    struct effects_spec *e = &x->sc->effects;
    if (!sc_is_map(x, v, "effects")) return;
    x->sc->has_effects = true;
    e->quiet_ns = EFFECTS_QUIET_NS;
    e->key_from = -1;
    e->line = (int)v->start_mark.line + 1;
    FOREACH_PAIR(v, p)
    {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *val = sc_node(x, p->value);
        char sub[96];
        snprintf(sub, sizeof sub, "effects.%s", k ? k : "?");
        if (!k) continue;
        if (!strcmp(k, "queue")) {
            const char *q = sc_want_scalar(x, val, sub);
            if (q) free(e->queue), e->queue = xstrdup(q);
        } else if (!strcmp(k, "id"))
            parse_id(x, val, e);
        else if (!strcmp(k, "parked"))
            e->nparked = queue_list(x, val, sub, e->parked);
        else if (!strcmp(k, "pending"))
            e->npending = queue_list(x, val, sub, e->pending);
        else if (!strcmp(k, "quiet"))
            sc_want_duration(x, val, sub, &e->quiet_ns);
        else if (!strcmp(k, "sqlite"))
            parse_sqlite(x, val, e);
        else if (!strcmp(k, "key"))
            parse_key(x, val, e);
        else
            sc_err(x, sc_node(x, p->key), sub, "unknown key (queue, id, key, parked, pending, quiet, sqlite)");
    }
    if (!e->queue && !e->sqlite_file)
        sc_err(x, v, "effects", "effects need the queue the service publishes its results to (queue:), or sqlite:");
    if (e->queue && e->sqlite_file) sc_err(x, v, "effects", "one source of effects: queue: or sqlite:");
    if (e->queue && !e->id_key && !x->errors)
        sc_err(x, v, "effects", "effects need id: where each result names its input");
}

/* load.http: loadgen sends requests, publishes nothing and consumes
 * nothing but the effects (the API's events). */
static void finish_http(struct ctx *x, yaml_node_t *root)
{
    struct scenario *sc = x->sc;
    struct config *cfg = &sc->cfg;
    const struct httpload_spec *h = &sc->http;
    if (sc->has_tpl)
        sc_err(x, x->body_node ? x->body_node : root, "load",
               "load.http sends its own body and headers (load.http.body): the AMQP message keys do not apply");
    if (x->consumers_node && cfg->consumers > 0)
        sc_err(x, x->consumers_node, "load.consumers", "load.http sends requests: loadgen's consumers would have "
                                                        "nothing to read (the events are effects:)");
    cfg->http = h;
    cfg->producers = cfg->consumers = 0;
    if (!cfg->topo) cfg->predeclared = true;
    if (sc->has_effects) cfg->effects = &sc->effects;
    bool named = tpl_names_message(&h->path) || tpl_names_message(&h->body);
    for (int i = 0; i < h->nheaders; i++) named = named || tpl_names_message(&h->header_values[i]);
    if (sc->has_effects && !named)
        sc_err(x, root, "load.http.body", "the API cannot name the request in its event: put {id} in the body, "
                                          "the URL or a header");
}

/* After the whole file: the load the services imply. loadgen publishes
 * and the services consume; the service declares its queues unless the
 * topology lists them. */
void sc_finish_services(struct ctx *x, yaml_node_t *root)
{
    struct scenario *sc = x->sc;
    struct config *cfg = &sc->cfg;
    if (!sc->nservices && !sc->has_effects && !sc->has_tpl && !sc->has_http) return;
    if (x->errors) return;
    if (sc->has_http) {
        finish_http(x, root);
        return;
    }
    if (!sc->tpl.body.set) {
        char err[100];
        tpl_compile(&sc->tpl.body, "{\"id\": \"{id}\"}", err, sizeof err);
        if (!sc->tpl.content_type) sc->tpl.content_type = xstrdup("application/json");
    }
    cfg->tpl = &sc->tpl;
    if (sc->has_effects) cfg->effects = &sc->effects;
    if (x->consumers_node && cfg->consumers > 0)
        sc_err(x, x->consumers_node, "load.consumers",
               "the services consume the load: loadgen's own consumers would take "
               "their input (leave consumers out)");
    cfg->consumers = 0;
    if (!cfg->topo) cfg->predeclared = true;
    if (sc->has_effects && !tpl_names_message(&sc->tpl.body) && !sc->tpl.message_id.set && !sc->tpl.correlation_id.set)
        sc_err(x, x->body_node ? x->body_node : root, "load.body",
               "the service cannot name its input: put {id} in the body (or message_id)");
}

void sc_free_services(struct scenario *sc)
{
    for (int i = 0; i < sc->nservices; i++)
        service_spec_free(&sc->services[i]);
    effects_spec_free(&sc->effects);
    httpload_spec_free(&sc->http);
    msg_template_free(&sc->tpl);
}

int sc_service_index(const struct scenario *sc, const char *name)
{
    for (int i = 0; i < sc->nservices; i++)
        if (!strcmp(sc->services[i].name, name)) return i;
    return -1;
}
