/* Topology lists (topo.h) without a broker: the checks a scenario's lists
 * must pass, how consumers spread over queues, the settings each consumer
 * gets, and dead-letter targets from arguments or from a policy. */
#include "config.h"
#include "lgre.h"
#include "topo.h"
#include "unit.h"
#include "util.h"

#include <string.h>

#define PATTERNS "tests/data/policy-patterns.json"

static struct topo_queue *queue(struct topo *t, const char *name, int consumers)
{
    char err[200];
    struct topo_queue *q = topo_add_queue(t, err, sizeof err);
    q->name = xstrdup(name);
    q->consumers = consumers;
    return q;
}

static void arg(struct topo_queue *q, const char *key, const char *value)
{
    q->args[q->nargs].key = xstrdup(key);
    q->args[q->nargs++].str = xstrdup(value);
}

static struct topo *chain(void)
{
    char err[200];
    struct topo *t = topo_new();
    struct topo_exchange *x = topo_add_exchange(t, err, sizeof err);
    x->name = xstrdup("orders"), x->type = xstrdup("direct");
    x = topo_add_exchange(t, err, sizeof err);
    x->name = xstrdup("dead"), x->type = xstrdup("fanout");
    arg(queue(t, "work", 2), "x-dead-letter-exchange", "dead");
    queue(t, "wait", 0); /* dead-letters by policy */
    queue(t, "dlq", 1);
    struct topo_binding *b = topo_add_binding(t, err, sizeof err);
    b->source = xstrdup("orders"), b->dest = xstrdup("work"), b->key = xstrdup("k");
    b = topo_add_binding(t, err, sizeof err);
    b->source = xstrdup("dead"), b->dest = xstrdup("wait"), b->key = xstrdup("");
    struct topo_route *r = topo_add_route(t, err, sizeof err);
    r->key = xstrdup("k");
    free(t->exchange);
    t->exchange = xstrdup("orders");
    return t;
}

static void policy(struct topo *t, const char *name, const char *pattern, const char *def, int prio)
{
    char err[200];
    struct topo_policy *p = topo_add_policy(t, err, sizeof err);
    p->name = xstrdup(name), p->pattern = xstrdup(pattern), p->apply_to = xstrdup("queues");
    p->definition = xstrdup(def), p->priority = prio;
}

/* Does a policy with this pattern reach a queue of this name, in the model? */
static bool policy_reaches(const char *pattern, const char *name)
{
    struct topo *t = topo_new();
    queue(t, name, 1);
    policy(t, "p", pattern, "{\"dead-letter-exchange\":\"dx\"}", 0);
    char x[ROUTE_NAME], k[ROUTE_KEY];
    bool has_key, hit = topo_dead_letter(t, 0, x, sizeof x, k, sizeof k, &has_key);
    topo_free(t);
    return hit;
}

/* Each construct whose meaning differs between PCRE (the broker's) and
 * POSIX ERE, as the broker test (test_routing.py) finds RabbitMQ applies it. */
static void policy_patterns(void)
{
    json_error_t je;
    json_t *cases = json_load_file(PATTERNS, 0, &je), *c, *s;
    CHECK(cases != NULL);
    size_t i, k;
    json_array_foreach(json_object_get(cases, "cases"), i, c) {
        const char *pat = json_string_value(json_object_get(c, "pattern"));
        json_array_foreach(json_object_get(c, "match"), k, s) {
            if (!policy_reaches(pat, json_string_value(s)))
                fprintf(stderr, PATTERNS ": '%s' should reach '%s'\n", pat, json_string_value(s));
            CHECK(policy_reaches(pat, json_string_value(s)));
        }
        json_array_foreach(json_object_get(c, "miss"), k, s) {
            if (policy_reaches(pat, json_string_value(s)))
                fprintf(stderr, PATTERNS ": '%s' should not reach '%s'\n", pat, json_string_value(s));
            CHECK(!policy_reaches(pat, json_string_value(s)));
        }
    }
    json_decref(cases);
    /* hostile patterns cost microseconds: nesting, repetition of repetitions,
     * a catastrophic backtrack (no match within the budget, as Erlang's re) */
    char err[200];
    uint64_t t0 = clock_ns();
    CHECK(!lgre_compile("((((a{1,100}){1,100}){1,100}){1,100})", err, sizeof err) && strstr(err, "too large"));
    char deep[200] = "";
    for (int d = 0; d < 40; d++) strcat(deep, "(");
    strcat(deep, "a");
    for (int d = 0; d < 40; d++) strcat(deep, ")");
    CHECK(!lgre_compile(deep, err, sizeof err) && strstr(err, "parentheses"));
    struct lgre *re = lgre_compile("^(a+)+$", err, sizeof err);
    const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
    CHECK(re && !lgre_match(re, evil, strlen(evil)));
    lgre_free(re);
    CHECK(clock_ns() - t0 < 2 * NS_PER_SEC);
}

void test_topo(void)
{
    policy_patterns();
    char err[300];
    int line;
    struct config cfg;
    config_init(&cfg);
    cfg.topo = chain();
    /* "wait" has no consumers: accepted, the final read takes what it holds */
    policy(cfg.topo, "low", "^wa", "{\"dead-letter-exchange\":\"orders\"}", 0);
    policy(cfg.topo, "high", "^wait$", "{\"dead-letter-exchange\":\"\",\"dead-letter-routing-key\":\"dlq\"}", 5);
    policy(cfg.topo, "other", "^dlq$", "{\"message-ttl\":5}", 9);
    CHECK(config_apply_topology(&cfg, err, sizeof err) == 0);
    CHECK(cfg.queues == 3 && cfg.consumers == 3 && !strcmp(cfg.exchange, "orders") && cfg.n_routing_keys == 1);
    /* consumers 0 and 1 read work, 2 reads dlq */
    CHECK(topo_consumer_queue(cfg.topo, 3, 0) == 0 && topo_consumer_queue(cfg.topo, 3, 1) == 0);
    CHECK(topo_consumer_queue(cfg.topo, 3, 2) == 2);
    char name[64], x[ROUTE_NAME], k[ROUTE_KEY];
    CHECK(!strcmp(config_queue_name(&cfg, 1, name, sizeof name), "wait"));
    bool has_key;
    /* the argument wins; else the highest-priority matching policy */
    CHECK(topo_dead_letter(cfg.topo, 0, x, sizeof x, k, sizeof k, &has_key) && !strcmp(x, "dead") && !has_key);
    CHECK(topo_dead_letter(cfg.topo, 1, x, sizeof x, k, sizeof k, &has_key) && !strcmp(x, "") && has_key &&
          !strcmp(k, "dlq"));
    CHECK(!topo_dead_letter(cfg.topo, 2, x, sizeof x, k, sizeof k, &has_key));
    static struct route_model m;
    CHECK(topo_model(cfg.topo, &m, err, sizeof err) == 0);
    bool to[ROUTE_MAX_QUEUES];
    CHECK(route_message(&m, "orders", "k", NULL, 0, to) == 1 && to[0]);
    CHECK(route_dead_letter_reach(&m, 0, "k", NULL, 0, to) == 2 && to[1] && to[2]);
    /* per-queue consumer settings over the load's */
    cfg.prefetch = 10;
    cfg.topo->queues[2].prefetch = 300;
    cfg.topo->queues[0].fail_rate = 0.25;
    cfg.topo->queues[0].fail_action = FAIL_REJECT;
    struct consumer_settings s;
    config_consumer_settings(&cfg, 0, &s);
    CHECK(s.prefetch == 10 && s.fail_rate == 0.25 && s.fail_action == FAIL_REJECT);
    config_consumer_settings(&cfg, 2, &s);
    CHECK(s.prefetch == 300 && s.fail_rate == 0);
    CHECK(config_validate(&cfg, err, sizeof err) == 0);
    cfg.topo->queues[0].fail_rate = 1;
    CHECK(config_validate(&cfg, err, sizeof err) == -1 && strstr(err, "'work'"));
    cfg.topo->queues[0].fail_rate = 0.25;
    /* references that do not resolve name the entry's line */
    cfg.topo->bindings[1].line = 17;
    free(cfg.topo->bindings[1].source);
    cfg.topo->bindings[1].source = xstrdup("nope");
    CHECK(topo_check(cfg.topo, err, sizeof err, &line) == -1 && line == 17 && strstr(err, "'nope'"));
    json_t *j = topo_to_json(cfg.topo);
    CHECK(json_array_size(json_object_get(j, "queues")) == 3 && json_array_size(json_object_get(j, "policies")) == 3);
    json_decref(j);
    /* caps: hostile files cannot grow the lists without bound */
    struct topo *big = topo_new();
    int n = 0;
    while (topo_add_queue(big, err, sizeof err)) n++;
    CHECK(n == TOPO_MAX_QUEUES && strstr(err, "more than"));
    for (int i = 0; i < big->nqueues; i++) big->queues[i].name = xstrdup("q");
    topo_free(big);
    config_free(&cfg);
}
