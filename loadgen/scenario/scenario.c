/* The scenario file: name, broker, topology, load, faults, expect, read
 * into a struct scenario (each fault by scenario_fault.c) and checked. */
#include "scenario.h"
#include "scenario_int.h"
#include "route.h"
#include "topo.h"
#include "units.h"
#include "util.h"
#include "yamlsafe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <amqp.h>
#include <yaml.h>

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
    if (!strcmp(gate_defs[g].unit, "share")) { /* 0.05, or 5% */
        char *end;
        double d = strtod(s, &end);
        if (end != s && *end == '%' && !end[1]) d /= 100, end++;
        if (end == s || *end || !(d >= 0 && d <= 1)) {
            sc_err(x, v, field, "'%s' is not a share from 0 to 1 (0.05 or 5%%)", s);
            return -1;
        }
        *out = d;
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
            sc_err(x, sc_node(x, p->key), field, "unknown gate (%s)", gates_names());
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
                else if (b && (!strcmp(b, "max") || (!strcmp(b, "max_share") && !strcmp(gate_defs[g].unit, "share"))))
                    gt.has_max = !gate_value(x, gt.kind, sc_node(x, q->value), sub, &gt.max);
                else sc_err(x, sc_node(x, q->key), sub, "expected min or max%s",
                            strcmp(gate_defs[g].unit, "share") ? "" : " (or max_share)");
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
                if (key && !strcmp(k, "load") && !strcmp(key, "consumers")) x->consumers_node = sc_node(x, q->value);
                if (key && !strcmp(k, "load") && !strcmp(key, "body")) x->body_node = sc_node(x, q->value);
                if (key && !strcmp(k, "load") && sc_parse_message_key(x, key, sc_node(x, q->value))) continue;
                if (key && !strcmp(k, "load") && !strcmp(key, "http")) {
                    sc_parse_http(x, sc_node(x, q->value));
                    continue;
                }
                if (key) set_option(x, k, key, sc_node(x, q->key), sc_node(x, q->value));
            }
        } else if (!strcmp(k, "name") || !strcmp(k, "description")) {
            const char *s = sc_want_scalar(x, v, k);
            if (s) *(k[0] == 'n' ? &sc->name : &sc->description) = xstrdup(s);
        } else if (!strcmp(k, "broker")) {
            sc_parse_broker(x, v);
        } else if (!strcmp(k, "services")) {
            sc_parse_services(x, v);
        } else if (!strcmp(k, "effects")) {
            sc_parse_effects(x, v);
        } else if (!strcmp(k, "faults")) {
            faults = v;
        } else if (!strcmp(k, "expect")) {
            expect = v;
        } else {
            sc_err(x, sc_node(x, p->key), k, "unknown key (name, description, broker, topology, load, "
                                          "services, effects, faults, expect)");
        }
    }
    sc_finish_services(x, root);
    char err[300];
    if (sc->cfg.topo && !x->errors && config_apply_topology(&sc->cfg, err, sizeof err))
        sc_err(x, topo_node, "topology", "%s", err);
    if (faults) {
        if (faults->type != YAML_SEQUENCE_NODE) sc_err(x, faults, "faults", "expected a list of steps");
        else {
            int i = 0;
            for (yaml_node_item_t *it = faults->data.sequence.items.start; it < faults->data.sequence.items.top; it++)
                sc_parse_fault(x, sc_node(x, *it), i++);
        }
    }
    if (expect) parse_expect(x, expect);
    if (!sc->name) sc_err(x, root, "name", "a scenario needs a name");
    for (int i = 0; sc->cfg.uri && i < sc->nfaults; i++)
        if (fault_needs(&sc->faults[i], FN_BROKER)) {
            fprintf(stderr, "%s:%d:1: faults[%d].action: %s needs the embedded broker (remove broker.uri, "
                            "or use exec)\n", x->path, sc->faults[i].line, i,
                    fault_name(&sc->faults[i]));
            x->errors++;
        }
}

/* A gate that would be "n/a" after the whole run is refused now. */
static void check_computable(struct ctx *x)
{
    struct gate_load load;
    config_gate_load(&x->sc->cfg, &load);
    for (int i = 0; i < x->sc->ngates; i++) {
        const struct gate *g = &x->sc->gates[i];
        const char *why = gates_computable(g->kind, &load);
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
    struct ctx x = {path, &doc, &sc, 0, NULL, NULL, 0, 0, 0, NULL};
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
    sc_errors_end(&x);
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
    struct ctx x = {path, &doc, sc, 0, NULL, NULL, 0, 0, 0, NULL};
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
    sc_errors_end(&x);
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
        free(sc->faults[i].service);
    }
    free(sc->faults);
    sc_free_services(sc);
    free(sc->path), free(sc->name), free(sc->description);
    config_free(&sc->cfg);
    memset(sc, 0, sizeof *sc);
}
