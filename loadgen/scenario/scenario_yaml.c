/* The scenario parser's helpers (scenario_int.h), below every other file
 * of the folder: errors as file:line:col: field: reason, scalars,
 * durations, YAML to JSON, a queue by name, a fault's name and needs. */
#include "scenario_int.h"
#include "faults/faults.h"
#include "units.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hostile file can hold thousands of items past a cap, each an error:
 * the first SC_ERRORS_SHOWN are printed, then a count (sc_errors_end). */
#define SC_ERRORS_SHOWN 20

void sc_errors_end(struct ctx *x)
{
    if (x->errors > SC_ERRORS_SHOWN)
        fprintf(stderr, "%s: %d more errors not shown (the first %d above)\n", x->path, x->errors - SC_ERRORS_SHOWN,
                SC_ERRORS_SHOWN);
}

void sc_err(struct ctx *x, yaml_node_t *n, const char *field, const char *fmt, ...)
{
    if (x->errors++ >= SC_ERRORS_SHOWN) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%zu:%zu: %s: ", x->path, n ? n->start_mark.line + 1 : 1,
            n ? n->start_mark.column + 1 : 1, field);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
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

int sc_want_int(struct ctx *x, yaml_node_t *v, const char *field, int min, int max, int *out)
{
    const char *s = sc_want_scalar(x, v, field);
    uint64_t u;
    if (!s) return -1;
    if (units_count(s, &u) || u < (uint64_t)min || u > (uint64_t)max)
        return sc_err(x, v, field, "'%s' is not a whole number from %d to %d", s, min, max), -1;
    *out = (int)u;
    return 0;
}

void sc_want_tpl(struct ctx *x, yaml_node_t *v, const char *field, struct tpl *t)
{
    const char *s = sc_want_scalar(x, v, field);
    char err[300];
    if (s && tpl_compile(t, s, err, sizeof err)) sc_err(x, v, field, "%s", err);
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

const char *fault_name(const struct fault *f) { return f->ops ? f->ops->name : "?"; }
bool fault_needs(const struct fault *f, unsigned needs) { return f->ops && (f->ops->needs & needs) == needs; }

int sc_queue_index(const struct config *cfg, const char *name)
{
    char qn[256];
    for (int i = 0; name && i < cfg->queues; i++)
        if (!strcmp(config_queue_name(cfg, i, qn, sizeof qn), name)) return i;
    return -1;
}
