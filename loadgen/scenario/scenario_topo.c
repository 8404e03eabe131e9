/* A scenario's topology given as lists, in the shape of RabbitMQ's own
 * definitions (exchanges, queues, bindings with source, destination,
 * destination_type, routing_key, arguments; policies), plus loadgen's own
 * parts: each queue's consumers and the publish routes. */
#include "lgre.h"
#include "scenario_int.h"
#include "topo.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const list_keys[] = {"exchanges", "queues", "bindings", "publish", "policies"};

bool sc_topology_is_lists(struct ctx *x, yaml_node_t *n)
{
    if (!n || n->type != YAML_MAPPING_NODE) return false;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        /* `queues: 3` is the shorthand's queue count */
        if (k && !strcmp(k, "queues") && v && v->type == YAML_SCALAR_NODE) continue;
        for (size_t i = 0; k && i < sizeof list_keys / sizeof *list_keys; i++)
            if (!strcmp(k, list_keys[i])) return true;
    }
    return false;
}

/* A name or key: a scalar of at most max - 1 bytes (AMQP short strings). */
static char *want_name(struct ctx *x, yaml_node_t *n, const char *field, size_t max, bool empty_ok)
{
    const char *s = sc_want_scalar(x, n, field);
    if (!s) return NULL;
    if ((!*s && !empty_ok) || strlen(s) >= max) {
        sc_err(x, n, field, "'%.40s' must be %s to %zu bytes", s, empty_ok ? "0" : "1", max - 1);
        return NULL;
    }
    return xstrdup(s);
}

static bool want_bool(struct ctx *x, yaml_node_t *n, const char *field, bool *out)
{
    const char *s = sc_want_scalar(x, n, field);
    if (!s) return false;
    if (!strcmp(s, "true") || !strcmp(s, "false")) return *out = s[0] == 't', true;
    sc_err(x, n, field, "'%s' is not true or false", s);
    return false;
}

static bool want_int(struct ctx *x, yaml_node_t *n, const char *field, long long lo, long long hi, long long *out)
{
    const char *s = sc_want_scalar(x, n, field);
    if (!s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        sc_err(x, n, field, "'%s' is not a whole number from %lld to %lld", s, lo, hi);
        return false;
    }
    return *out = v, true;
}

/* arguments: typed the way RabbitMQ needs them (x-message-ttl an integer,
 * x-single-active-consumer a boolean): plain numbers and true/false typed,
 * the rest strings. */
static void parse_args(struct ctx *x, yaml_node_t *n, const char *field, struct topo_arg *args, int *nargs)
{
    if (!sc_is_map(x, n, field)) return;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        const char *s = sc_want_scalar(x, v, field);
        if (!k || !s) continue;
        if (*nargs == TOPO_MAX_ARGS) {
            sc_err(x, v, field, "more than %d arguments", TOPO_MAX_ARGS);
            return;
        }
        if (strlen(k) > 255 || strlen(s) > 1024) {
            sc_err(x, v, field, "argument '%.40s' is too long", k);
            continue;
        }
        struct topo_arg *a = &args[(*nargs)++];
        memset(a, 0, sizeof *a);
        a->key = xstrdup(k);
        char *end;
        errno = 0;
        long long num = strtoll(s, &end, 10);
        bool plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (plain && *s && !*end && !errno) a->is_int = true, a->num = num;
        else if (plain && (!strcmp(s, "true") || !strcmp(s, "false"))) a->is_bool = true, a->num = s[0] == 't';
        else a->str = xstrdup(s);
    }
}

/* headers (on a route) or a headers binding's arguments: string values;
 * x-match sets match_any. */
static void parse_headers(struct ctx *x, yaml_node_t *n, const char *field, struct route_header *h, int *nh,
                          bool *match_any)
{
    if (!sc_is_map(x, n, field)) return;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        const char *s = sc_want_scalar(x, v, field);
        if (!k || !s) continue;
        if (match_any && !strcmp(k, "x-match")) {
            if (strcmp(s, "all") && strcmp(s, "any")) sc_err(x, v, field, "x-match '%s' is not all or any", s);
            *match_any = !strcmp(s, "any");
            continue;
        }
        if (*nh == ROUTE_MAX_ARGS) {
            sc_err(x, v, field, "more than %d headers", ROUTE_MAX_ARGS);
            return;
        }
        if (strlen(k) >= sizeof h->key || strlen(s) >= sizeof h->value || !*k) {
            sc_err(x, v, field, "header '%.40s': a key of 1 to %zu bytes, a value of at most %zu", k,
                   sizeof h->key - 1, sizeof h->value - 1);
            continue;
        }
        str_copy(h[*nh].key, sizeof h->key, k);
        str_copy(h[*nh].value, sizeof h->value, s);
        (*nh)++;
    }
}

/* Each key of an item's mapping: k its name, v its value, sub "field.k"
 * for messages. */
#define EACH_KEY(n, field, sub, k, v)                                                                     \
    FOREACH_PAIR(n, p)                                                                                    \
    if (!item_key(x, p, field, sub, sizeof sub, &k, &v)) continue; else

static bool item_key(struct ctx *x, yaml_node_pair_t *p, const char *field, char *sub, size_t cap, const char **k,
                     yaml_node_t **v)
{
    *k = sc_scalar(sc_node(x, p->key));
    *v = sc_node(x, p->value);
    if (!*k || !*v) return false;
    snprintf(sub, cap, "%s.%s", field, *k);
    return true;
}

/* The line an item starts on, and whether its entry could be added. */
static bool item_start(struct ctx *x, yaml_node_t *n, const char *field, const void *entry, const char *err, int *line)
{
    if (!entry) {
        sc_err(x, n, field, "%s", err);
        return false;
    }
    *line = (int)n->start_mark.line + 1;
    return true;
}

static void parse_exchange(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160], err[200];
    if (!sc_is_map(x, n, field)) return;
    struct topo_exchange *e = topo_add_exchange(t, err, sizeof err);
    if (!item_start(x, n, field, e, err, e ? &e->line : NULL)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "name")) free(e->name), e->name = want_name(x, v, sub, ROUTE_NAME, false);
        else if (!strcmp(k, "type")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s && route_xtype_parse(s) < 0 && strcmp(s, "x-consistent-hash"))
                sc_err(x, v, sub, "'%s' is not direct, fanout, topic, headers or x-consistent-hash", s);
            else if (s) free(e->type), e->type = xstrdup(s);
        } else if (!strcmp(k, "durable")) want_bool(x, v, sub, &e->durable);
        else if (!strcmp(k, "auto_delete")) want_bool(x, v, sub, &e->auto_delete);
        else if (!strcmp(k, "internal")) want_bool(x, v, sub, &e->internal);
        else if (!strcmp(k, "alternate_exchange"))
            free(e->alternate), e->alternate = want_name(x, v, sub, ROUTE_NAME, false);
        else if (!strcmp(k, "arguments")) parse_args(x, v, sub, e->args, &e->nargs);
        else sc_err(x, sc_node(x, p->key), sub, "unknown key (name, type, durable, auto_delete, internal, "
                                                "alternate_exchange, arguments)");
    }
    /* RabbitMQ's own spelling of the alternate exchange is an argument */
    for (int i = 0; i < e->nargs; i++)
        if (!strcmp(e->args[i].key, "alternate-exchange") && e->args[i].str && !e->alternate)
            e->alternate = xstrdup(e->args[i].str);
    if (!e->name) sc_err(x, n, field, "an exchange needs a name");
    if (!e->type) e->type = xstrdup("direct");
    if (!e->name) e->name = xstrdup("?");
}

static void parse_consumers(struct ctx *x, struct topo_queue *q, yaml_node_t *n, const char *field)
{
    char sub[200];
    long long v64;
    if (n->type == YAML_SCALAR_NODE) {
        if (want_int(x, n, field, 0, TOPO_MAX_CONSUMERS, &v64)) q->consumers = (int)v64;
        return;
    }
    if (!sc_is_map(x, n, field)) return;
    q->consumers = 1;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "count")) {
            if (want_int(x, v, sub, 0, TOPO_MAX_CONSUMERS, &v64)) q->consumers = (int)v64;
        } else if (!strcmp(k, "prefetch")) {
            if (want_int(x, v, sub, 0, 65535, &v64)) q->prefetch = (int)v64;
        } else if (!strcmp(k, "fail_rate")) {
            const char *s = sc_want_scalar(x, v, sub);
            char *end;
            double d = s ? strtod(s, &end) : NAN;
            if (s && (*end || !(d >= 0 && d <= 1))) sc_err(x, v, sub, "'%s' is not a probability from 0 to 1", s);
            else if (s) q->fail_rate = d;
        } else if (!strcmp(k, "fail_action")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s && !strcmp(s, "requeue")) q->fail_action = FAIL_REQUEUE;
            else if (s && !strcmp(s, "reject")) q->fail_action = FAIL_REJECT;
            else if (s) sc_err(x, v, sub, "'%s' is not requeue or reject (retry builds its own queues: declare "
                                       "them here instead)", s);
        } else if (!strcmp(k, "consumer_delay")) {
            uint64_t ns;
            if (!sc_want_duration(x, v, sub, &ns)) q->consumer_delay_ns = (int64_t)ns;
        } else
            sc_err(x, sc_node(x, p->key), sub, "unknown key (count, prefetch, fail_rate, fail_action, consumer_delay)");
    }
}

static void parse_queue(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160], err[200];
    if (!sc_is_map(x, n, field)) return;
    struct topo_queue *q = topo_add_queue(t, err, sizeof err);
    if (!item_start(x, n, field, q, err, q ? &q->line : NULL)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "name")) free(q->name), q->name = want_name(x, v, sub, ROUTE_NAME, false);
        else if (!strcmp(k, "type")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s && !strcmp(s, "classic")) q->type = QUEUE_CLASSIC;
            else if (s && !strcmp(s, "quorum")) q->type = QUEUE_QUORUM;
            else if (s && !strcmp(s, "stream")) q->type = QUEUE_STREAM;
            else if (s) sc_err(x, v, sub, "'%s' is not classic, quorum or stream", s);
        } else if (!strcmp(k, "durable")) want_bool(x, v, sub, &q->durable);
        else if (!strcmp(k, "arguments")) parse_args(x, v, sub, q->args, &q->nargs);
        else if (!strcmp(k, "consumers")) parse_consumers(x, q, v, sub);
        else sc_err(x, sc_node(x, p->key), sub, "unknown key (name, type, durable, arguments, consumers)");
    }
    for (int i = 0; i < q->nargs; i++) {
        const struct topo_arg *a = &q->args[i];
        if (!strcmp(a->key, "x-queue-type"))
            sc_err(x, n, field, "give the queue's type as 'type: %s', not as x-queue-type", a->str ? a->str : "?");
        if (!strncmp(a->key, "x-dead-letter-", 14) && !a->str)
            sc_err(x, n, field, "%s must be a string", a->key);
    }
    if (q->type != QUEUE_CLASSIC && !q->durable) sc_err(x, n, field, "quorum queues and streams are durable");
    if (!q->name) sc_err(x, n, field, "a queue needs a name");
    if (!q->name) q->name = xstrdup("?");
}

static void parse_binding(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160], err[200];
    if (!sc_is_map(x, n, field)) return;
    struct topo_binding *b = topo_add_binding(t, err, sizeof err);
    if (!item_start(x, n, field, b, err, b ? &b->line : NULL)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "source")) free(b->source), b->source = want_name(x, v, sub, ROUTE_NAME, false);
        else if (!strcmp(k, "destination")) free(b->dest), b->dest = want_name(x, v, sub, ROUTE_NAME, false);
        else if (!strcmp(k, "destination_type")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s && strcmp(s, "queue") && strcmp(s, "exchange")) sc_err(x, v, sub, "'%s' is not queue or exchange", s);
            else if (s) b->to_exchange = s[0] == 'e';
        } else if (!strcmp(k, "routing_key")) free(b->key), b->key = want_name(x, v, sub, ROUTE_KEY, true);
        else if (!strcmp(k, "arguments")) parse_headers(x, v, sub, b->args, &b->nargs, &b->match_any);
        else sc_err(x, sc_node(x, p->key), sub, "unknown key (source, destination, destination_type, routing_key, "
                                                "arguments)");
    }
    if (!b->source || !b->dest) sc_err(x, n, field, "a binding needs a source and a destination");
    if (!b->source) b->source = xstrdup("?");
    if (!b->dest) b->dest = xstrdup("?");
    if (!b->key) b->key = xstrdup("");
}

static void parse_route(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160], err[200];
    long long w;
    if (!sc_is_map(x, n, field)) return;
    struct topo_route *r = topo_add_route(t, err, sizeof err);
    if (!item_start(x, n, field, r, err, r ? &r->line : NULL)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "routing_key")) free(r->key), r->key = want_name(x, v, sub, ROUTE_KEY, true);
        else if (!strcmp(k, "headers")) parse_headers(x, v, sub, r->headers, &r->nheaders, NULL);
        else if (!strcmp(k, "weight")) {
            if (want_int(x, v, sub, 0, 1000000, &w)) r->weight = (unsigned)w;
        } else if (!strcmp(k, "priority")) {
            if (want_int(x, v, sub, 0, 255, &w)) r->priority = (int)w;
        } else sc_err(x, sc_node(x, p->key), sub, "unknown key (routing_key, headers, weight, priority)");
    }
    if (!r->key) r->key = xstrdup("");
}

static void parse_publish(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160];
    if (!sc_is_map(x, n, field)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "exchange")) {
            char *s = want_name(x, v, sub, ROUTE_NAME, true);
            if (s) free(t->exchange), t->exchange = s;
        } else if (!strcmp(k, "routes")) {
            if (v->type != YAML_SEQUENCE_NODE) {
                sc_err(x, v, sub, "expected a list of routes");
                continue;
            }
            int i = 0;
            FOREACH_ITEM(v, it) {
                char item[200];
                snprintf(item, sizeof item, "%s[%d]", sub, i++);
                parse_route(x, t, sc_node(x, *it), item);
            }
        } else
            sc_err(x, sc_node(x, p->key), sub, "unknown key (exchange, routes)");
    }
}

static void parse_policy(struct ctx *x, struct topo *t, yaml_node_t *n, const char *field)
{
    char sub[160], err[200];
    long long prio;
    if (!sc_is_map(x, n, field)) return;
    struct topo_policy *p0 = topo_add_policy(t, err, sizeof err);
    if (!item_start(x, n, field, p0, err, p0 ? &p0->line : NULL)) return;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, field, sub, k, v) {
        if (!strcmp(k, "name")) free(p0->name), p0->name = want_name(x, v, sub, 256, false);
        else if (!strcmp(k, "pattern")) {
            free(p0->pattern);
            p0->pattern = want_name(x, v, sub, 1024, false);
            char why[200];
            struct lgre *re = p0->pattern ? lgre_compile(p0->pattern, why, sizeof why) : NULL;
            if (p0->pattern && !re)
                sc_err(x, v, sub, "'%s' is not a regular expression as RabbitMQ reads it (PCRE): %s", p0->pattern,
                       why);
            lgre_free(re);
        }
        else if (!strcmp(k, "apply_to")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s && strcmp(s, "queues") && strcmp(s, "exchanges") && strcmp(s, "all"))
                sc_err(x, v, sub, "'%s' is not queues, exchanges or all", s);
            else if (s) free(p0->apply_to), p0->apply_to = xstrdup(s);
        } else if (!strcmp(k, "priority")) {
            if (want_int(x, v, sub, -1000, 1000, &prio)) p0->priority = (int)prio;
        } else if (!strcmp(k, "definition")) {
            if (!sc_is_map(x, v, sub)) continue;
            json_t *j = sc_to_json(x, v, 0);
            free(p0->definition);
            p0->definition = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(j);
        } else
            sc_err(x, sc_node(x, p->key), sub, "unknown key (name, pattern, apply_to, definition, priority)");
    }
    if (!p0->name || !p0->pattern || !p0->definition)
        sc_err(x, n, field, "a policy needs a name, a pattern and a definition");
    if (!p0->name) p0->name = xstrdup("?");
    if (!p0->pattern) p0->pattern = xstrdup(".*");
    if (!p0->definition) p0->definition = xstrdup("{}");
    if (!p0->apply_to) p0->apply_to = xstrdup("all");
}

typedef void (*item_parser)(struct ctx *, struct topo *, yaml_node_t *, const char *);

void sc_parse_topology_lists(struct ctx *x, yaml_node_t *n)
{
    struct topo *t = topo_new();
    char sub[160];
    int errors = x->errors;
    const char *k;
    yaml_node_t *v;
    EACH_KEY(n, "topology", sub, k, v) {
        item_parser f = !strcmp(k, "exchanges") ? parse_exchange
                      : !strcmp(k, "queues")    ? parse_queue
                      : !strcmp(k, "bindings")  ? parse_binding
                      : !strcmp(k, "policies")  ? parse_policy : NULL;
        if (!strcmp(k, "publish")) {
            parse_publish(x, t, v, sub);
        } else if (!f) {
            sc_err(x, sc_node(x, p->key), sub, "unknown key with topology lists (exchanges, queues, bindings, "
                                               "publish, policies): the single-queue keys are a shorthand, not "
                                               "mixed with lists");
        } else if (v->type != YAML_SEQUENCE_NODE) {
            sc_err(x, v, sub, "expected a list");
        } else {
            int i = 0;
            FOREACH_ITEM(v, it) {
                char item[200];
                snprintf(item, sizeof item, "%s[%d]", sub, i++);
                f(x, t, sc_node(x, *it), item);
            }
        }
    }
    if (x->errors != errors) {
        topo_free(t);
        return;
    }
    char err[300];
    int line;
    topo_default_route(t);
    if (topo_check(t, err, sizeof err, &line)) {
        fprintf(stderr, "%s:%d:1: topology: %s\n", x->path, line ? line : (int)n->start_mark.line + 1, err);
        x->errors++;
        topo_free(t);
        return;
    }
    topo_free(x->sc->cfg.topo);
    x->sc->cfg.topo = t;
}
