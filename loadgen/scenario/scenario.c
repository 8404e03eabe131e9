#include "scenario.h"
#include "scenario_int.h"
#include "route.h"
#include "topo.h"
#include "toxic.h"
#include "units.h"
#include "util.h"
#include "yamlsafe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <amqp.h>
#include <yaml.h>

static const char *const action_names[FA_COUNT] = {
    "kill", "stop", "start", "restart", "pause", "resume", "toxic", "untoxic", "down", "up",
    "disconnect", "exec", "wait", "unbind", "bind", "crash", "partition", "heal", "loss",
    "bandwidth", "delay",
};

const char *fault_action_name(enum fault_action a) { return action_names[a]; }
bool fault_needs_broker(enum fault_action a) { return a <= FA_RESUME || fault_needs_cluster(a); }
bool fault_needs_cluster(enum fault_action a) { return a >= FA_PARTITION && a <= FA_DELAY; }

void sc_err(struct ctx *x, yaml_node_t *n, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%zu:%zu: %s: ", x->path, n ? n->start_mark.line + 1 : 1,
            n ? n->start_mark.column + 1 : 1, field);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    x->errors++;
}

yaml_node_t *sc_node(struct ctx *x, int id)
{
    return yaml_document_get_node(x->doc, id);
}

const char *sc_scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar, or an error naming the field. */
const char *sc_want_scalar(struct ctx *x, yaml_node_t *n, const char *field)
{
    const char *s = sc_scalar(n);
    if (!s) sc_err(x, n, field, "expected a value, not a %s", n && n->type == YAML_MAPPING_NODE ? "mapping" : "list");
    return s;
}

int sc_want_duration(struct ctx *x, yaml_node_t *n, const char *field, uint64_t *out)
{
    const char *s = sc_want_scalar(x, n, field);
    if (!s) return -1;
    if (units_duration(s, out)) {
        sc_err(x, n, field, "'%s' is not a duration (e.g. 500ms, 10s, 1m)", s);
        return -1;
    }
    return 0;
}

/* YAML subtree -> JSON (for toxic specs). Scalars that parse as numbers or
 * booleans become those; the rest strings. */
json_t *sc_to_json(struct ctx *x, yaml_node_t *n, int depth)
{
    if (!n || depth > 16) return json_null();
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = sc_scalar(n);
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (*s && !*end && !errno && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            return d == (double)(long long)d ? json_integer((long long)d) : json_real(d);
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!strcmp(s, "true") || !strcmp(s, "false")))
            return json_boolean(!strcmp(s, "true"));
        return json_string(s);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
            json_array_append_new(a, sc_to_json(x, sc_node(x, *i), depth + 1));
        return a;
    }
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = sc_scalar(sc_node(x, p->key));
        if (k) json_object_set_new(o, k, sc_to_json(x, sc_node(x, p->value), depth + 1));
    }
    return o;
}

bool sc_is_map(struct ctx *x, yaml_node_t *n, const char *field)
{
    if (n && n->type == YAML_MAPPING_NODE) return true;
    sc_err(x, n, field, "expected a mapping (key: value lines)");
    return false;
}

/* load: and topology: keys are bench options (underscores for dashes). */
static void set_option(struct ctx *x, const char *section, const char *key, yaml_node_t *kn,
                       yaml_node_t *v)
{
    char field[160], opt[128], err[300];
    snprintf(field, sizeof field, "%s.%s", section, key);
    snprintf(opt, sizeof opt, "%s", key);
    for (char *c = opt; *c; c++)
        if (*c == '_') *c = '-';
    if (!strcmp(opt, "args") || !strcmp(opt, "queue-args")) {
        if (!sc_is_map(x, v, field)) return;
        FOREACH_PAIR(v, p) {
            const char *k = sc_scalar(sc_node(x, p->key)), *val = sc_want_scalar(x, sc_node(x, p->value), field);
            if (!k || !val) continue;
            char kv[512];
            snprintf(kv, sizeof kv, "%s=%s", k, val);
            if (config_apply(&x->sc->cfg, "queue-arg", kv, err, sizeof err))
                sc_err(x, sc_node(x, p->value), field, "%s", err);
        }
        return;
    }
    if (!strcmp(opt, "topology")) {
        sc_err(x, v, field, "give the lists in topology: (exchanges, queues, bindings, publish, policies)");
        return;
    }
    if (!strcmp(opt, "uri") || !strcmp(opt, "json") || !strcmp(opt, "proxy-api")) {
        sc_err(x, v, field, "not allowed here (give it on the command line)");
        return;
    }
    const char *val = sc_want_scalar(x, v, field);
    if (val && config_apply(&x->sc->cfg, opt, val, err, sizeof err))
        sc_err(x, strcmp(err, "unknown key") ? v : kn, field, "%s", err);
}

static void parse_fault(struct ctx *x, yaml_node_t *n, int idx)
{
    char field[64];
    snprintf(field, sizeof field, "faults[%d]", idx);
    if (!sc_is_map(x, n, field)) return;
    struct scenario *sc = x->sc;
    struct fault f = {.line = (int)n->start_mark.line + 1, .action = FA_COUNT, .peer = -1};
    bool have_at = false;
    yaml_node_t *toxic = NULL;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        char sub[96];
        snprintf(sub, sizeof sub, "%s.%s", field, k ? k : "?");
        if (!k) sc_err(x, sc_node(x, p->key), field, "keys must be plain words");
        else if (!strcmp(k, "at")) have_at = sc_want_duration(x, v, sub, &f.at_ns) == 0;
        else if (!strcmp(k, "for")) sc_want_duration(x, v, sub, &f.for_ns);
        else if (!strcmp(k, "timeout")) sc_want_duration(x, v, sub, &f.timeout_ns);
        else if (!strcmp(k, "action")) {
            const char *a = sc_want_scalar(x, v, sub);
            for (int i = 0; a && i < FA_COUNT; i++)
                if (!strcmp(a, action_names[i])) f.action = (enum fault_action)i;
            if (a && f.action == FA_COUNT)
                sc_err(x, v, sub, "unknown action '%s' (kill, stop, start, restart, pause, resume, "
                                  "toxic, untoxic, down, up, disconnect, exec, wait, unbind, bind, crash, "
                                  "partition, heal, loss, bandwidth, delay)", a);
        } else if (!strcmp(k, "toxic")) {
            if (sc_is_map(x, v, sub)) toxic = v;
        } else if (!strcmp(k, "name")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s) f.toxic_name = xstrdup(s);
        } else if (!strcmp(k, "command")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s) f.command = xstrdup(s);
        } else if (!strcmp(k, "queue") || !strcmp(k, "key")) {
            const char *s = sc_want_scalar(x, v, sub);
            if (s) {
                char **dst = k[0] == 'q' ? &f.queue : &f.key;
                free(*dst);
                *dst = xstrdup(s);
            }
        } else if (!sc_cluster_fault_key(x, &f, k, v, sub))
            sc_err(x, sc_node(x, p->key), sub, "unknown key (at, action, for, toxic, name, command, timeout, queue, "
                                              "key, node, groups, isolate, shape, percent, peer, rate, latency, jitter)");
    }
    if (!have_at) sc_err(x, n, field, "needs 'at: <time since start>'");
    sc_check_cluster_fault(x, n, field, &f);
    if (f.action == FA_COUNT) {
        if (!x->errors) sc_err(x, n, field, "needs 'action'");
    } else if (f.action == FA_TOXIC && !toxic) {
        sc_err(x, n, field, "action toxic needs 'toxic: {type: ..., attributes: {...}}'");
    } else if (f.action == FA_UNTOXIC && !f.toxic_name) {
        sc_err(x, n, field, "action untoxic needs 'name: <toxic name>'");
    } else if (f.action == FA_EXEC && !f.command) {
        sc_err(x, n, field, "action exec needs 'command: <shell command>'");
    } else if (f.action == FA_CRASH) {
        /* the consumers of one of the scenario's queues, or all */
        char qn[256];
        f.queue_idx = -1;
        for (int i = 0; f.queue && i < sc->cfg.queues; i++)
            if (!strcmp(config_queue_name(&sc->cfg, i, qn, sizeof qn), f.queue)) f.queue_idx = i;
        if (f.queue && f.queue_idx < 0) sc_err(x, n, field, "queue '%s' is not one of the topology's queues", f.queue);
        if (!sc->cfg.consumers) sc_err(x, n, field, "action crash needs consumers");
    } else if (f.action == FA_UNBIND || f.action == FA_BIND) {
        /* One of the scenario's own queues, bound to its exchange: the
         * checker's model keeps the declared binding, so what the broker
         * stops routing is found missing. */
        char qn[256];
        int qi = -1;
        for (int i = 0; f.queue && i < sc->cfg.queues; i++)
            if (!strcmp(config_queue_name(&sc->cfg, i, qn, sizeof qn), f.queue)) qi = i;
        if (!sc->cfg.exchange[0]) sc_err(x, n, field, "action %s needs topology.exchange", action_names[f.action]);
        else if (!f.queue) sc_err(x, n, field, "action %s needs 'queue: <one of the topology's queues>'", action_names[f.action]);
        else if (qi < 0) sc_err(x, n, field, "queue '%s' is not one of the topology's queues", f.queue);
        else if (sc->cfg.topo) {
            /* the declared binding from the publish exchange to that queue */
            const struct topo_binding *b = NULL;
            for (int i = 0; i < sc->cfg.topo->nbindings; i++) {
                const struct topo_binding *c = &sc->cfg.topo->bindings[i];
                if (!c->to_exchange && !strcmp(c->source, sc->cfg.exchange) && !strcmp(c->dest, f.queue) &&
                    (!f.key || !strcmp(f.key, c->key)))
                    b = c;
            }
            if (!b) sc_err(x, n, field, "no binding of '%s' to publish.exchange '%s'%s%s in topology.bindings", f.queue,
                           sc->cfg.exchange, f.key ? " with key " : "", f.key ? f.key : "");
            else if (b->nargs) sc_err(x, n, field, "action %s of a headers binding is not supported", action_names[f.action]);
            else if (!f.key) f.key = xstrdup(b->key);
        } else if (!f.key) f.key = xstrdup(config_binding_key(&sc->cfg, qi, f.queue));
    }
    if (toxic) {
        json_t *j = sc_to_json(x, toxic, 0);
        if (!json_object_get(j, "name")) {
            char nm[64];
            snprintf(nm, sizeof nm, "fault%d", idx);
            json_object_set_new(j, "name", json_string(f.toxic_name ? f.toxic_name : nm));
        }
        /* Checked now as the proxy will check it, so a typo fails --check,
         * not the run (where a toxic that was never set tests nothing). */
        struct toxic probe = {0};
        char terr[200];
        if (toxic_parse(&probe, j, true, terr, sizeof terr)) sc_err(x, toxic, field, "toxic: %s", terr);
        free(f.toxic_name);
        f.toxic_name = xstrdup(json_is_string(json_object_get(j, "name"))
                                   ? json_string_value(json_object_get(j, "name")) : "?");
        f.toxic_json = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    }
    if (!f.timeout_ns) f.timeout_ns = 60 * NS_PER_SEC;
    if (have_at && sc->cfg.duration_ns && f.at_ns > sc->cfg.duration_ns && !sc->cfg.messages)
        sc_err(x, n, field, "at %.3fs is beyond the run (load.duration %.3fs)", (double)f.at_ns / 1e9,
               (double)sc->cfg.duration_ns / 1e9);
    sc->faults = xrealloc(sc->faults, (size_t)(sc->nfaults + 1) * sizeof *sc->faults);
    sc->faults[sc->nfaults++] = f;
}

static int gate_value(struct ctx *x, enum gate_kind g, yaml_node_t *v, const char *field, double *out)
{
    const char *s = sc_want_scalar(x, v, field);
    if (!s) return -1;
    uint64_t u;
    if (!strcmp(gate_defs[g].unit, "ms")) {
        if (units_duration(s, &u)) {
            sc_err(x, v, field, "'%s' is not a duration (e.g. 200ms, 15s)", s);
            return -1;
        }
        *out = (double)u / 1e6;
        return 0;
    }
    if (units_count(s, &u)) {
        sc_err(x, v, field, "'%s' is not a whole number", s);
        return -1;
    }
    *out = (double)u;
    return 0;
}

static void parse_expect(struct ctx *x, yaml_node_t *n)
{
    if (!sc_is_map(x, n, "expect")) return;
    FOREACH_PAIR(n, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        char field[96];
        snprintf(field, sizeof field, "expect.%s", k ? k : "?");
        int g = gates_lookup(k);
        if (g < 0) {
            sc_err(x, sc_node(x, p->key), field, "unknown gate (lost, unexpected, duplicates, "
                   "unexplained_duplicates, order_violations, recovery, e2e_p50, e2e_p99, "
                   "confirm_p99, throughput, consumed, indeterminate, duplicate_effects, dead_lettered, unavailable)");
            continue;
        }
        if (x->sc->ngates == SCENARIO_MAX_GATES) {
            sc_err(x, v, field, "too many gates");
            continue;
        }
        yaml_node_t *kn = sc_node(x, p->key);
        struct gate gt = {.kind = (enum gate_kind)g, .line = (int)kn->start_mark.line + 1,
                          .col = (int)kn->start_mark.column + 1};
        if (v->type == YAML_MAPPING_NODE) {
            FOREACH_PAIR(v, q) {
                const char *b = sc_scalar(sc_node(x, q->key));
                char sub[128];
                snprintf(sub, sizeof sub, "%s.%s", field, b ? b : "?");
                if (b && !strcmp(b, "min")) gt.has_min = !gate_value(x, gt.kind, sc_node(x, q->value), sub, &gt.min);
                else if (b && !strcmp(b, "max")) gt.has_max = !gate_value(x, gt.kind, sc_node(x, q->value), sub, &gt.max);
                else sc_err(x, sc_node(x, q->key), sub, "expected min or max");
            }
        } else {
            /* A bare value: the most allowed (a floor for throughput/consumed). */
            bool floor = gate_defs[gt.kind].floor;
            double d;
            if (!gate_value(x, gt.kind, v, field, &d)) {
                if (floor) gt.has_min = true, gt.min = d;
                else gt.has_max = true, gt.max = d;
            }
        }
        x->sc->gates[x->sc->ngates++] = gt;
    }
}

static void parse_top(struct ctx *x, yaml_node_t *root)
{
    struct scenario *sc = x->sc;
    if (!root || root->type != YAML_MAPPING_NODE) {
        sc_err(x, root, "(top)", "a scenario is a mapping with name, load, faults and expect");
        return;
    }
    yaml_node_t *faults = NULL, *expect = NULL, *topo_node = root;
    /* load and topology first: faults are checked against the duration. */
    FOREACH_PAIR(root, p) {
        const char *k = sc_scalar(sc_node(x, p->key));
        yaml_node_t *v = sc_node(x, p->value);
        if (!k) {
            sc_err(x, sc_node(x, p->key), "(top)", "keys must be plain words");
        } else if (!strcmp(k, "topology") && sc_topology_is_lists(x, v)) {
            sc_parse_topology_lists(x, v);
            topo_node = v;
        } else if (!strcmp(k, "load") || !strcmp(k, "topology")) {
            if (!sc_is_map(x, v, k)) continue;
            FOREACH_PAIR(v, q) {
                const char *key = sc_scalar(sc_node(x, q->key));
                if (key) set_option(x, k, key, sc_node(x, q->key), sc_node(x, q->value));
            }
        } else if (!strcmp(k, "name") || !strcmp(k, "description")) {
            const char *s = sc_want_scalar(x, v, k);
            if (s) *(k[0] == 'n' ? &sc->name : &sc->description) = xstrdup(s);
        } else if (!strcmp(k, "broker")) {
            sc_parse_broker(x, v);
        } else if (!strcmp(k, "faults")) {
            faults = v;
        } else if (!strcmp(k, "expect")) {
            expect = v;
        } else {
            sc_err(x, sc_node(x, p->key), k, "unknown key (name, description, broker, topology, load, "
                                          "faults, expect)");
        }
    }
    char err[300];
    if (sc->cfg.topo && !x->errors && config_apply_topology(&sc->cfg, err, sizeof err))
        sc_err(x, topo_node, "topology", "%s", err);
    if (faults) {
        if (faults->type != YAML_SEQUENCE_NODE) sc_err(x, faults, "faults", "expected a list of steps");
        else {
            int i = 0;
            for (yaml_node_item_t *it = faults->data.sequence.items.start; it < faults->data.sequence.items.top; it++)
                parse_fault(x, sc_node(x, *it), i++);
        }
    }
    if (expect) parse_expect(x, expect);
    if (!sc->name) sc_err(x, root, "name", "a scenario needs a name");
    for (int i = 0; sc->cfg.uri && i < sc->nfaults; i++)
        if (fault_needs_broker(sc->faults[i].action)) {
            fprintf(stderr, "%s:%d:1: faults[%d].action: %s needs the embedded broker (remove broker.uri, "
                            "or use exec)\n", x->path, sc->faults[i].line, i,
                    action_names[sc->faults[i].action]);
            x->errors++;
        }
}

/* Why a gate cannot be computed for this load, or NULL. Such a gate would
 * be "n/a" after the whole run: refuse it now. */
static const char *not_computable(const struct config *cfg, enum gate_kind g)
{
    for (int i = 0; cfg->topo && i < cfg->topo->nexchanges && (g == G_LOST || g == G_MISROUTED || g == G_UNROUTABLE);
         i++)
        if (route_xtype_parse(cfg->topo->exchanges[i].type) < 0)
            return "the routing model does not know this exchange type (x-consistent-hash): where messages must go "
                   "is unknown";
    switch (g) {
    case G_LOST:
        if (cfg->exchange[0] && cfg->queues > ROUTE_MAX_QUEUES)
            return "more queues behind the exchange than the routing model holds (256)";
        if (!cfg->confirm) return "needs publisher confirms (load.confirm): 'lost' means confirmed and never consumed";
        if (!cfg->consumers) return "needs consumers";
        return NULL;
    case G_MISROUTED:
        if (cfg->exchange[0] && cfg->queues > ROUTE_MAX_QUEUES)
            return "more queues behind the exchange than the routing model holds (256)";
        return cfg->consumers ? NULL : "needs consumers";
    case G_UNROUTABLE:
        if (cfg->exchange[0] && cfg->queues > ROUTE_MAX_QUEUES)
            return "more queues behind the exchange than the routing model holds (256)";
        return cfg->confirm ? NULL : "needs publisher confirms (load.confirm)";
    case G_CONFIRM_P99:
        return cfg->confirm && cfg->producers ? NULL : "needs producers with publisher confirms";
    case G_CONSUMED: case G_THROUGHPUT: case G_E2E_P50: case G_E2E_P99: case G_DUPLICATES:
    case G_UNEXPLAINED_DUPLICATES: case G_ORDER_VIOLATIONS: case G_DUPLICATE_EFFECTS:
        return cfg->consumers && cfg->producers ? NULL : "needs producers and consumers";
    default: return NULL;
    }
}

static void check_computable(struct ctx *x)
{
    for (int i = 0; i < x->sc->ngates; i++) {
        const struct gate *g = &x->sc->gates[i];
        const char *why = not_computable(&x->sc->cfg, g->kind);
        if (!why) continue;
        fprintf(stderr, "%s:%d:%d: expect.%s: cannot be computed for this load: %s\n", x->path, g->line,
                g->col, gate_defs[g->kind].name, why);
        x->errors++;
    }
}

/* Opens and loads a YAML file within yamlsafe's limits; -1 after printing. */
static int load_doc(const char *path, yaml_document_t *doc)
{
    FILE *f = fopen(path, "rbe");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    if (yamlsafe_scan(path, f)) {
        fclose(f);
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    if (!yaml_parser_load(&parser, doc)) {
        fprintf(stderr, "%s:%zu:%zu: YAML: %s%s%s\n", path, parser.problem_mark.line + 1,
                parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error",
                parser.context ? " " : "", parser.context ? parser.context : "");
        rc = -1;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

int scenario_load_topology(const char *path, struct config *cfg)
{
    yaml_document_t doc;
    if (load_doc(path, &doc)) return -1;
    struct scenario sc = {0};
    sc.cfg = *cfg; /* the lists land in sc.cfg.topo */
    struct ctx x = {path, &doc, &sc, 0};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    x.errors += yamlsafe_duplicates(path, &doc);
    if (!x.errors && !sc_topology_is_lists(&x, root))
        sc_err(&x, root, "(top)", "a topology file is a mapping with exchanges, queues, bindings, publish and "
                                  "policies");
    else if (!x.errors) sc_parse_topology_lists(&x, root);
    char err[300];
    if (!x.errors && config_apply_topology(&sc.cfg, err, sizeof err)) sc_err(&x, root, "topology", "%s", err);
    *cfg = sc.cfg;
    yaml_document_delete(&doc);
    return x.errors ? -1 : 0;
}

int scenario_load(const char *path, struct scenario *sc)
{
    memset(sc, 0, sizeof *sc);
    config_init(&sc->cfg);
    sc->cfg.drain_timeout_ns = 60 * NS_PER_SEC;
    sc->path = xstrdup(path);
    yaml_document_t doc;
    if (load_doc(path, &doc)) return -1;
    struct ctx x = {path, &doc, sc, 0};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    x.errors += yamlsafe_duplicates(path, &doc);
    if (!root) sc_err(&x, NULL, "(top)", "the file is empty");
    else if (!x.errors) parse_top(&x, root);
    yaml_document_delete(&doc);
    char err[512];
    if (!x.errors && config_validate(&sc->cfg, err, sizeof err)) {
        log_err("%s: %s", path, err);
        x.errors++;
    }
    if (!x.errors) check_computable(&x);
    return x.errors ? -1 : 0;
}

void scenario_free(struct scenario *sc)
{
    for (int i = 0; i < sc->nfaults; i++) {
        free(sc->faults[i].toxic_json);
        free(sc->faults[i].toxic_name);
        free(sc->faults[i].queue);
        free(sc->faults[i].key);
        free(sc->faults[i].command);
        free(sc->faults[i].leader_of);
    }
    free(sc->faults);
    free(sc->path), free(sc->name), free(sc->description);
    config_free(&sc->cfg);
    memset(sc, 0, sizeof *sc);
}
