/* The routing model against the cases in tests/data/routing-cases.json;
 * tests/test_routing.py publishes the same cases to RabbitMQ, so the model
 * is checked against the broker. Then what the file cannot say: an
 * exchange-binding cycle, a queue reached twice, unbind. */
#include "route.h"
#include "unit.h"

#include <string.h>

#include <jansson.h>

#define CASES "tests/data/routing-cases.json"

static struct route_model m;

static int headers_of(json_t *o, struct route_header *h, int cap)
{
    const char *k;
    json_t *v;
    int n = 0;
    json_object_foreach(o, k, v) {
        if (n == cap) break;
        snprintf(h[n].key, sizeof h[n].key, "%s", k);
        snprintf(h[n].value, sizeof h[n].value, "%s", json_string_value(v) ? json_string_value(v) : "");
        n++;
    }
    return n;
}

/* The topology of the cases file into the model. */
static void build(json_t *cases)
{
    char err[200];
    size_t i;
    json_t *e;
    route_init(&m);
    json_array_foreach(json_object_get(cases, "queues"), i, e)
        CHECK(route_add_queue(&m, json_string_value(e), err, sizeof err) >= 0);
    json_array_foreach(json_object_get(cases, "exchanges"), i, e) {
        int t = route_xtype_parse(json_string_value(json_object_get(e, "type")));
        CHECK(t >= 0 && route_add_exchange(&m, json_string_value(json_object_get(e, "name")), t, err, sizeof err) >= 0);
    }
    json_array_foreach(json_object_get(cases, "exchanges"), i, e) {
        json_t *alt = json_object_get(e, "alternate");
        if (alt)
            CHECK(route_set_alternate(&m, json_string_value(json_object_get(e, "name")), json_string_value(alt), err,
                                      sizeof err) == 0);
    }
    json_array_foreach(json_object_get(cases, "bindings"), i, e) {
        struct route_header h[ROUTE_MAX_ARGS];
        int nh = headers_of(json_object_get(e, "headers"), h, ROUTE_MAX_ARGS);
        json_t *toq = json_object_get(e, "queue");
        const char *match = json_string_value(json_object_get(e, "match"));
        const char *key = json_string_value(json_object_get(e, "key"));
        CHECK(route_bind(&m, json_string_value(json_object_get(e, "exchange")),
                         json_string_value(toq ? toq : json_object_get(e, "to_exchange")), !toq, key ? key : "", h, nh,
                         match && !strcmp(match, "any"), err, sizeof err) == 0);
    }
}

/* The queues a message reaches, as "a,b" in declaration order. */
static const char *reach(const char *x, const char *key, const struct route_header *h, int nh)
{
    static char out[512];
    bool to[ROUTE_MAX_QUEUES];
    int n = route_message(&m, x, key, h, nh, to), seen = 0;
    out[0] = 0;
    for (int q = 0; q < m.nqueues; q++)
        if (to[q]) {
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", seen++ ? "," : "", m.queues[q]);
        }
    return seen == n ? out : "count mismatch";
}

/* Keys by weight: deterministic per (producer, seq), close to the weights. */
static void picks(void)
{
    unsigned w[] = {3, 1, 0, 4};
    int n[4] = {0};
    for (uint64_t s = 1; s <= 80000; s++) n[route_pick(w, 4, 7, s)]++;
    CHECK(n[2] == 0);
    CHECK(n[0] > 28000 && n[0] < 32000 && n[1] > 9000 && n[1] < 11000 && n[3] > 38000 && n[3] < 42000);
    CHECK(route_pick(w, 4, 7, 12345) == route_pick(w, 4, 7, 12345));
    CHECK(route_pick(w, 1, 7, 12345) == 0);
}

/* Dead-letter chains: work -> (DLX fanout) retry -> (default exchange,
 * key second) second -> (DLX with the message's own key) dlq, and a retry
 * loop back to work that must end. */
static void dead_letters(void)
{
    static struct route_model d;
    char err[200];
    bool to[ROUTE_MAX_QUEUES];
    route_init(&d);
    CHECK(route_add_exchange(&d, "retry-x", RX_FANOUT, err, sizeof err) == 0);
    CHECK(route_add_exchange(&d, "dead-x", RX_DIRECT, err, sizeof err) == 1);
    const char *qs[] = {"work", "retry", "second", "dlq", "other"};
    for (int i = 0; i < 5; i++) CHECK(route_add_queue(&d, qs[i], err, sizeof err) == i);
    CHECK(route_bind(&d, "retry-x", "retry", false, "", NULL, 0, false, err, sizeof err) == 0);
    CHECK(route_bind(&d, "dead-x", "dlq", false, "order", NULL, 0, false, err, sizeof err) == 0);
    CHECK(route_bind(&d, "dead-x", "other", false, "invoice", NULL, 0, false, err, sizeof err) == 0);
    CHECK(route_dead_letter_reach(&d, 0, "order", NULL, 0, to) == 0); /* no DLX: nowhere */
    CHECK(route_set_dead_letter(&d, "work", "retry-x", NULL, err, sizeof err) == 0);
    CHECK(route_set_dead_letter(&d, "retry", "", "second", err, sizeof err) == 0);
    CHECK(route_set_dead_letter(&d, "second", "dead-x", NULL, err, sizeof err) == 0);
    CHECK(route_set_dead_letter(&d, "nope", "dead-x", NULL, err, sizeof err) == -1 && strstr(err, "nope"));
    CHECK(route_dead_letter_reach(&d, 0, "order", NULL, 0, to) == 3);
    CHECK(to[1] && to[2] && to[3] && !to[0] && !to[4]);
    /* the message's own key picks the DLQ at the end of the chain */
    CHECK(route_dead_letter_reach(&d, 0, "invoice", NULL, 0, to) == 3 && to[4] && !to[3]);
    CHECK(route_dead_letter_reach(&d, 2, "order", NULL, 0, to) == 1 && to[3]);
    /* a retry loop back to work ends, and work itself is not downstream */
    CHECK(route_set_dead_letter(&d, "retry", "", "work", err, sizeof err) == 0);
    CHECK(route_dead_letter_reach(&d, 0, "order", NULL, 0, to) == 1 && to[1] && !to[0]);
}

void test_route(void)
{
    dead_letters();
    picks();
    json_error_t je;
    json_t *cases = json_load_file(CASES, 0, &je), *c;
    CHECK(cases != NULL);
    if (!cases) return;
    size_t i;
    json_array_foreach(json_object_get(cases, "topics"), i, c) {
        const char *pattern = json_string_value(json_array_get(c, 0)), *key = json_string_value(json_array_get(c, 1));
        bool want = json_is_true(json_array_get(c, 2)), got = route_topic_match(pattern, key);
        if (got != want) fprintf(stderr, CASES ": topic '%s' vs '%s': model says %d\n", pattern, key, got);
        CHECK(got == want);
    }
    build(cases);
    json_array_foreach(json_object_get(cases, "messages"), i, c) {
        struct route_header h[ROUTE_MAX_ARGS];
        int nh = headers_of(json_object_get(c, "headers"), h, ROUTE_MAX_ARGS);
        char want[512] = "";
        size_t k;
        json_t *q;
        json_array_foreach(json_object_get(c, "reach"), k, q)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", k ? "," : "", json_string_value(q));
        const char *got = reach(json_string_value(json_object_get(c, "exchange")),
                                json_string_value(json_object_get(c, "key")), h, nh);
        /* reach() lists in declaration order, as the file does */
        if (strcmp(got, want)) fprintf(stderr, CASES ": message %zu reaches %s, expected %s\n", i, got, want);
        CHECK(!strcmp(got, want));
    }
    json_decref(cases);
    char err[200];
    CHECK(route_add_exchange(&m, "orders", RX_TOPIC, err, sizeof err) == -1 && strstr(err, "twice"));
    CHECK(route_bind(&m, "nope", "d1", false, "k", NULL, 0, false, err, sizeof err) == -1 && strstr(err, "nope"));
    CHECK(route_bind(&m, "dir", "nope", false, "k", NULL, 0, false, err, sizeof err) == -1);
    /* an e2e cycle ends; a queue reached twice counts once */
    CHECK(route_bind(&m, "fan", "orders", true, "", NULL, 0, false, err, sizeof err) == 0);
    CHECK(route_bind(&m, "orders", "svc-a", false, "orders.#", NULL, 0, false, err, sizeof err) == 0);
    CHECK(!strcmp(reach("orders", "orders.x.shipped", NULL, 0), "all-orders,svc-a,svc-b,svc-c"));
    /* unbind: the route is gone */
    CHECK(route_unbind(&m, "orders", "created", false, "orders.*.created") == 0);
    CHECK(route_unbind(&m, "orders", "created", false, "orders.*.created") == -1);
    CHECK(!strcmp(reach("orders", "orders.eu.created", NULL, 0), "all-orders,svc-a"));
}
