/* A topology given as lists (topo.h): storage, checks and the model. */
#include "lgre.h"
#include "topo.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct topo *topo_new(void)
{
    struct topo *t = xcalloc(1, sizeof *t);
    t->exchange = xstrdup("");
    return t;
}

static void free_args(struct topo_arg *a, int n)
{
    for (int i = 0; i < n; i++) free(a[i].key), free(a[i].str);
}

void topo_free(struct topo *t)
{
    if (!t) return;
    for (int i = 0; i < t->nexchanges; i++) {
        struct topo_exchange *x = &t->exchanges[i];
        free(x->name), free(x->type), free(x->alternate);
        free_args(x->args, x->nargs);
    }
    for (int i = 0; i < t->nqueues; i++) {
        free(t->queues[i].name);
        free_args(t->queues[i].args, t->queues[i].nargs);
    }
    for (int i = 0; i < t->nbindings; i++)
        free(t->bindings[i].source), free(t->bindings[i].dest), free(t->bindings[i].key);
    for (int i = 0; i < t->nroutes; i++) free(t->routes[i].key);
    for (int i = 0; i < t->npolicies; i++) {
        struct topo_policy *p = &t->policies[i];
        free(p->name), free(p->pattern), free(p->apply_to), free(p->definition);
    }
    free(t->exchanges), free(t->queues), free(t->bindings), free(t->exchange);
    free(t);
}

/* Grows a list by one zeroed entry, up to max. */
static void *grow(void **list, int *n, size_t size, int max, const char *what, char *err, size_t cap)
{
    if (*n >= max) return snprintf(err, cap, "more than %d %s", max, what), NULL;
    *list = xrealloc(*list, (size_t)(*n + 1) * size);
    void *e = (char *)*list + (size_t)*n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

struct topo_exchange *topo_add_exchange(struct topo *t, char *err, size_t cap)
{
    struct topo_exchange *x =
        grow((void **)&t->exchanges, &t->nexchanges, sizeof *x, TOPO_MAX_EXCHANGES, "exchanges", err, cap);
    if (x) x->durable = true;
    return x;
}

struct topo_queue *topo_add_queue(struct topo *t, char *err, size_t cap)
{
    struct topo_queue *q = grow((void **)&t->queues, &t->nqueues, sizeof *q, TOPO_MAX_QUEUES, "queues", err, cap);
    if (!q) return NULL;
    q->durable = true;
    q->consumers = q->prefetch = q->fail_action = -1;
    q->fail_rate = -1;
    q->consumer_delay_ns = -1;
    return q;
}

struct topo_binding *topo_add_binding(struct topo *t, char *err, size_t cap)
{
    return grow((void **)&t->bindings, &t->nbindings, sizeof(struct topo_binding), TOPO_MAX_BINDINGS, "bindings",
                err, cap);
}

struct topo_route *topo_add_route(struct topo *t, char *err, size_t cap)
{
    if (t->nroutes == TOPO_MAX_ROUTES) return snprintf(err, cap, "more than %d routes", TOPO_MAX_ROUTES), NULL;
    struct topo_route *r = &t->routes[t->nroutes++];
    memset(r, 0, sizeof *r);
    r->weight = 1;
    r->priority = -1;
    return r;
}

void topo_default_route(struct topo *t)
{
    if (t->nroutes || *t->exchange || t->nqueues != 1) return;
    struct topo_route *r = &t->routes[t->nroutes++];
    memset(r, 0, sizeof *r);
    r->weight = 1;
    r->key = xstrdup(t->queues[0].name);
}

struct topo_policy *topo_add_policy(struct topo *t, char *err, size_t cap)
{
    if (t->npolicies == TOPO_MAX_POLICIES)
        return snprintf(err, cap, "more than %d policies", TOPO_MAX_POLICIES), NULL;
    struct topo_policy *p = &t->policies[t->npolicies++];
    memset(p, 0, sizeof *p);
    return p;
}

const char *topo_queue_arg(const struct topo_queue *q, const char *key)
{
    for (int i = 0; i < q->nargs; i++)
        if (!strcmp(q->args[i].key, key)) return q->args[i].str;
    return NULL;
}

long long topo_queue_num(const struct topo_queue *q, const char *key)
{
    for (int i = 0; i < q->nargs; i++)
        if (!strcmp(q->args[i].key, key) && q->args[i].is_int) return q->args[i].num;
    return -1;
}

/* The policy RabbitMQ applies to queue q: the highest priority one whose
 * pattern matches its name, matched as the broker's re does (lgre.h). */
static const struct topo_policy *queue_policy(const struct topo *t, const struct topo_queue *q)
{
    const struct topo_policy *best = NULL;
    for (int i = 0; i < t->npolicies; i++) {
        const struct topo_policy *p = &t->policies[i];
        if (!strcmp(p->apply_to, "exchanges")) continue;
        char err[200];
        struct lgre *re = lgre_compile(p->pattern, err, sizeof err);
        if (!re) continue; /* --check refused it; the broker would too */
        bool match = lgre_match(re, q->name, strlen(q->name));
        lgre_free(re);
        if (match && (!best || p->priority > best->priority)) best = p;
    }
    return best;
}

bool topo_dead_letter(const struct topo *t, int qi, char *exchange, size_t xcap, char *key, size_t kcap, bool *has_key)
{
    const struct topo_queue *q = &t->queues[qi];
    const char *x = topo_queue_arg(q, "x-dead-letter-exchange"), *k = topo_queue_arg(q, "x-dead-letter-routing-key");
    *has_key = false;
    if (x) { /* the queue's own arguments win over a policy */
        str_copy(exchange, xcap, x);
        if (k) str_copy(key, kcap, k), *has_key = true;
        return true;
    }
    const struct topo_policy *p = queue_policy(t, q);
    json_t *d = p ? json_loads(p->definition, 0, NULL) : NULL;
    const char *px = json_string_value(json_object_get(d, "dead-letter-exchange"));
    const char *pk = json_string_value(json_object_get(d, "dead-letter-routing-key"));
    if (px) {
        str_copy(exchange, xcap, px);
        if (pk) str_copy(key, kcap, pk), *has_key = true;
    }
    json_decref(d);
    return px != NULL;
}

static int find_exchange(const struct topo *t, const char *name)
{
    for (int i = 0; i < t->nexchanges; i++)
        if (!strcmp(t->exchanges[i].name, name)) return i;
    return -1;
}

static int find_queue(const struct topo *t, const char *name)
{
    for (int i = 0; i < t->nqueues; i++)
        if (!strcmp(t->queues[i].name, name)) return i;
    return -1;
}

int topo_queue_consumers(const struct topo *t, int n, int i)
{
    bool listed = false;
    for (int k = 0; k < t->nqueues; k++) listed |= t->queues[k].consumers >= 0;
    if (listed) return t->queues[i].consumers > 0 ? t->queues[i].consumers : 0;
    return n / t->nqueues + (i < n % t->nqueues);
}

int topo_consumer_queue(const struct topo *t, int consumers, int c)
{
    for (int i = 0; i < t->nqueues; i++) {
        int k = topo_queue_consumers(t, consumers, i);
        if (c < k) return i;
        c -= k;
    }
    return 0;
}

#define FAIL(ln, ...) return (*line = (ln), snprintf(err, cap, __VA_ARGS__), -1)

int topo_check(const struct topo *t, char *err, size_t cap, int *line)
{
    *line = 0;
    if (!t->nqueues) FAIL(0, "topology.queues: at least one queue");
    for (int i = 0; i < t->nexchanges; i++) {
        const struct topo_exchange *x = &t->exchanges[i];
        if (find_exchange(t, x->name) != i) FAIL(x->line, "exchange '%s' is declared twice", x->name);
        if (x->alternate && find_exchange(t, x->alternate) < 0)
            FAIL(x->line, "exchange '%s': alternate-exchange '%s' is not in topology.exchanges", x->name, x->alternate);
    }
    for (int i = 0; i < t->nqueues; i++) {
        const struct topo_queue *q = &t->queues[i];
        if (find_queue(t, q->name) != i) FAIL(q->line, "queue '%s' is declared twice", q->name);
        char dlx[ROUTE_NAME], dkey[ROUTE_KEY];
        bool has_key;
        if (topo_dead_letter(t, i, dlx, sizeof dlx, dkey, sizeof dkey, &has_key) && *dlx && find_exchange(t, dlx) < 0)
            FAIL(q->line, "queue '%s': x-dead-letter-exchange '%s' is not in topology.exchanges", q->name, dlx);
        if (q->type == QUEUE_STREAM && topo_queue_arg(q, "x-dead-letter-exchange"))
            FAIL(q->line, "queue '%s': a stream does not dead-letter", q->name);
    }
    for (int i = 0; i < t->nbindings; i++) {
        const struct topo_binding *b = &t->bindings[i];
        if (find_exchange(t, b->source) < 0)
            FAIL(b->line, "binding: source '%s' is not in topology.exchanges", b->source);
        if (b->to_exchange ? find_exchange(t, b->dest) < 0 : find_queue(t, b->dest) < 0)
            FAIL(b->line, "binding: %s '%s' is not in topology.%s", b->to_exchange ? "exchange" : "queue", b->dest,
                 b->to_exchange ? "exchanges" : "queues");
    }
    if (*t->exchange && find_exchange(t, t->exchange) < 0)
        FAIL(0, "publish.exchange '%s' is not in topology.exchanges", t->exchange);
    if (!t->nroutes) FAIL(0, "publish.routes: at least one route (key, headers, weight)");
    unsigned total = 0;
    for (int i = 0; i < t->nroutes; i++) total += t->routes[i].weight;
    if (!total) FAIL(t->routes[0].line, "publish.routes: the weights add up to 0");
    for (int i = 0; i < t->npolicies; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(t->policies[i].name, t->policies[k].name))
                FAIL(t->policies[i].line, "policy '%s' is declared twice", t->policies[i].name);
    return 0;
}

const char *topo_queue_type_name(enum queue_type type)
{
    return type == QUEUE_QUORUM ? "quorum" : type == QUEUE_STREAM ? "stream" : "classic";
}

int topo_model(const struct topo *t, struct route_model *m, char *err, size_t cap)
{
    route_init(m);
    for (int i = 0; i < t->nexchanges; i++) {
        int type = route_xtype_parse(t->exchanges[i].type);
        if (type < 0) return snprintf(err, cap, "exchange type '%s' is not modelled", t->exchanges[i].type), -1;
        if (route_add_exchange(m, t->exchanges[i].name, type, err, cap) < 0) return -1;
    }
    for (int i = 0; i < t->nexchanges; i++)
        if (t->exchanges[i].alternate &&
            route_set_alternate(m, t->exchanges[i].name, t->exchanges[i].alternate, err, cap))
            return -1;
    for (int i = 0; i < t->nqueues; i++)
        if (route_add_queue(m, t->queues[i].name, err, cap) < 0) return -1;
    for (int i = 0; i < t->nqueues; i++) {
        char dlx[ROUTE_NAME], dkey[ROUTE_KEY];
        bool has_key;
        if (topo_dead_letter(t, i, dlx, sizeof dlx, dkey, sizeof dkey, &has_key) &&
            route_set_dead_letter(m, t->queues[i].name, dlx, has_key ? dkey : NULL, err, cap))
            return -1;
    }
    for (int i = 0; i < t->nbindings; i++) {
        const struct topo_binding *b = &t->bindings[i];
        if (route_bind(m, b->source, b->dest, b->to_exchange, b->key, b->args, b->nargs, b->match_any, err, cap))
            return -1;
    }
    return 0;
}

static json_t *args_json(const struct topo_arg *a, int n)
{
    json_t *o = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(o, a[i].key, a[i].is_bool ? json_boolean(a[i].num)
                                         : a[i].is_int ? json_integer(a[i].num) : json_string(a[i].str));
    return o;
}

static json_t *headers_json(const struct route_header *h, int n)
{
    json_t *o = json_object();
    for (int i = 0; i < n; i++) json_object_set_new(o, h[i].key, json_string(h[i].value));
    return o;
}

json_t *topo_to_json(const struct topo *t)
{
    json_t *o = json_object(), *xs = json_array(), *qs = json_array(), *bs = json_array(), *rs = json_array(),
           *ps = json_array();
    for (int i = 0; i < t->nexchanges; i++) {
        const struct topo_exchange *x = &t->exchanges[i];
        json_array_append_new(xs, json_pack("{s:s, s:s, s:b, s:b, s:o, s:o}", "name", x->name, "type", x->type,
                                            "durable", x->durable, "auto_delete", x->auto_delete, "alternate",
                                            x->alternate ? json_string(x->alternate) : json_null(), "arguments",
                                            args_json(x->args, x->nargs)));
    }
    for (int i = 0; i < t->nqueues; i++) {
        const struct topo_queue *q = &t->queues[i];
        json_array_append_new(qs, json_pack("{s:s, s:s, s:b, s:o, s:i}", "name", q->name, "type",
                                            topo_queue_type_name(q->type), "durable", q->durable, "arguments",
                                            args_json(q->args, q->nargs), "consumers", q->consumers));
    }
    for (int i = 0; i < t->nbindings; i++) {
        const struct topo_binding *b = &t->bindings[i];
        json_array_append_new(bs, json_pack("{s:s, s:s, s:b, s:s, s:o}", "source", b->source, "destination", b->dest,
                                            "to_exchange", b->to_exchange, "key", b->key, "arguments",
                                            headers_json(b->args, b->nargs)));
    }
    for (int i = 0; i < t->nroutes; i++)
        json_array_append_new(rs, json_pack("{s:s, s:I, s:o}", "key", t->routes[i].key, "weight",
                                            (json_int_t)t->routes[i].weight, "headers",
                                            headers_json(t->routes[i].headers, t->routes[i].nheaders)));
    for (int i = 0; i < t->npolicies; i++)
        json_array_append_new(ps, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", t->policies[i].name, "pattern",
                                            t->policies[i].pattern, "apply_to", t->policies[i].apply_to,
                                            "definition", t->policies[i].definition, "priority",
                                            t->policies[i].priority));
    json_object_set_new(o, "exchanges", xs);
    json_object_set_new(o, "queues", qs);
    json_object_set_new(o, "bindings", bs);
    json_object_set_new(o, "publish", json_pack("{s:s, s:o}", "exchange", t->exchange, "routes", rs));
    json_object_set_new(o, "policies", ps);
    return o;
}
