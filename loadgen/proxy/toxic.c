#include "toxic.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct toxic_ops *const registry[] = {
    &toxic_latency, &toxic_bandwidth, &toxic_slow_close, &toxic_timeout,
    &toxic_reset_peer, &toxic_slicer, &toxic_limit_data,
};

const struct toxic_ops *toxic_find(const char *type)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (!strcmp(registry[i]->type, type)) return registry[i];
    return NULL;
}

static int attr_index(const struct toxic_ops *ops, const char *name)
{
    for (int i = 0; i < TOXIC_MAX_ATTRS && ops->attr[i]; i++)
        if (!strcmp(ops->attr[i], name)) return i;
    return -1;
}

int toxic_parse(struct toxic *t, json_t *spec, bool create, char *err, size_t cap)
{
    if (!json_is_object(spec)) {
        snprintf(err, cap, "toxic must be a JSON object");
        return -1;
    }
    struct toxic n = *t;
    json_t *v;
    if ((v = json_object_get(spec, "type"))) {
        const struct toxic_ops *ops = json_is_string(v) ? toxic_find(json_string_value(v)) : NULL;
        if (!ops) {
            snprintf(err, cap, "unknown toxic type %s", json_is_string(v) ? json_string_value(v) : "(not a string)");
            return -1;
        }
        if (!create && ops != t->ops) {
            snprintf(err, cap, "a toxic's type cannot change");
            return -1;
        }
        n.ops = ops;
    } else if (create) {
        snprintf(err, cap, "toxic needs a type");
        return -1;
    }
    if ((v = json_object_get(spec, "stream"))) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (!strcmp(s, "upstream")) n.stream = TOXIC_UPSTREAM;
        else if (!strcmp(s, "downstream")) n.stream = TOXIC_DOWNSTREAM;
        else {
            snprintf(err, cap, "stream must be \"upstream\" or \"downstream\"");
            return -1;
        }
    } else if (create) {
        n.stream = TOXIC_DOWNSTREAM;
    }
    if ((v = json_object_get(spec, "toxicity"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
            snprintf(err, cap, "toxicity must be a number from 0 to 1");
            return -1;
        }
        n.toxicity = json_number_value(v);
    } else if (create) {
        n.toxicity = 1.0;
    }
    if ((v = json_object_get(spec, "name"))) {
        if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) >= sizeof n.name) {
            snprintf(err, cap, "name must be a non-empty string under 64 bytes");
            return -1;
        }
        str_copy(n.name, sizeof n.name, json_string_value(v));
    } else if (create) {
        snprintf(n.name, sizeof n.name, "%s_%s", n.ops->type,
                 n.stream == TOXIC_UPSTREAM ? "upstream" : "downstream");
    }
    if (create) memset(n.attr, 0, sizeof n.attr);
    json_t *attrs = json_object_get(spec, "attributes");
    if (attrs && !json_is_object(attrs)) {
        snprintf(err, cap, "attributes must be an object");
        return -1;
    }
    const char *key;
    json_object_foreach(attrs, key, v) {
        int i = attr_index(n.ops, key);
        double d = json_is_number(v) ? json_number_value(v) : -1;
        if (i < 0) {
            snprintf(err, cap, "toxic %s has no attribute %s", n.ops->type, key);
            return -1;
        }
        if (d < 0 || d > 9e15 || floor(d) != d) {
            snprintf(err, cap, "attribute %s must be a non-negative integer", key);
            return -1;
        }
        n.attr[i] = (int64_t)d;
    }
    *t = n;
    return 0;
}

json_t *toxic_to_json(const struct toxic *t)
{
    json_t *attrs = json_object();
    for (int i = 0; i < TOXIC_MAX_ATTRS && t->ops->attr[i]; i++)
        json_object_set_new(attrs, t->ops->attr[i], json_integer(t->attr[i]));
    return json_pack("{s:s, s:s, s:s, s:f, s:o}", "name", t->name, "type", t->ops->type, "stream",
                     t->stream == TOXIC_UPSTREAM ? "upstream" : "downstream", "toxicity",
                     t->toxicity, "attributes", attrs);
}
