/* The run.json contract table (run_schema.h) and typed access through it. */
#include "run_schema.h"

#include <math.h>
#include <string.h>

const struct run_key_def run_keys[RK_COUNT] = {
#define RS_ROW(id, path, type, flags, label) [RK_##id] = {path, type, flags, label},
    RUN_SCHEMA(RS_ROW)
#undef RS_ROW
};

/* Keys may hold dots ("p99.9"): at each level the longest prefix of the
 * remaining path that names a key wins. */
static json_t *at_path(json_t *o, const char *path)
{
    char key[128];
    while (o && *path) {
        size_t len = strlen(path), n = len;
        json_t *next = NULL;
        for (;;) {
            if (n < sizeof key) {
                memcpy(key, path, n);
                key[n] = 0;
                if ((next = json_object_get(o, key))) break;
            }
            while (n > 0 && path[--n] != '.') {}
            if (n == 0) return NULL;
        }
        o = next;
        path += n < len ? n + 1 : n;
    }
    return o;
}

const char *run_type_name(enum rs_type t)
{
    static const char *const names[] = {
        [RS_INT] = "integer", [RS_INT_NULL] = "integer or null", [RS_NUM] = "number",
        [RS_NUM_NULL] = "number or null", [RS_STR] = "string", [RS_BOOL] = "boolean",
        [RS_ARRAY] = "array", [RS_OBJECT] = "object",
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* The part of k's path read from its element: after the last "[]." or
 * "*."; the whole path for a key of the run itself. NULL for the wildcard
 * rows themselves ("latency.*"), which name no one value. */
static const char *relative(enum run_key k)
{
    const char *p = run_keys[k].path, *rel = p, *s;
    for (s = p; *s; s++) {
        if (s[0] == '[' && s[1] == ']' && s[2] == '.') rel = s + 3;
        if (s[0] == '*' && (s == p || s[-1] == '.')) {
            if (s[1] != '.') return NULL;
            rel = s + 2;
        }
    }
    return rel;
}

const char *run_key_name(enum run_key k)
{
    if ((unsigned)k >= RK_COUNT) return "";
    const char *p = run_keys[k].path, *name = p;
    for (const char *s = p; *s; s++)
        if (s[0] == '.' && (((s[1] | 32) >= 'a' && (s[1] | 32) <= 'z') || s[1] == '*')) name = s + 1;
    return name;
}

json_t *run_get(json_t *o, enum run_key k)
{
    const char *rel = (unsigned)k < RK_COUNT ? relative(k) : NULL;
    return rel ? at_path(o, rel) : NULL;
}

double run_num(json_t *o, enum run_key k)
{
    json_t *v = run_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *run_str(json_t *o, enum run_key k)
{
    json_t *v = run_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

double run_counter(json_t *point, enum run_key total)
{
    json_t *v = at_path(point, run_key_name(total));
    return json_is_number(v) ? json_number_value(v) : NAN;
}

bool run_true(json_t *o, enum run_key k)
{
    return json_is_true(run_get(o, k));
}

/* A dot ends a key only when a letter follows: "p99.9" is one key. */
void run_set(json_t *o, enum run_key k, json_t *v)
{
    const char *rel = (unsigned)k < RK_COUNT ? relative(k) : NULL;
    char key[128];
    while (rel && o && json_is_object(o)) {
        size_t n = 0;
        while (rel[n] && !(rel[n] == '.' && ((rel[n + 1] | 32) >= 'a' && (rel[n + 1] | 32) <= 'z'))) n++;
        if (n >= sizeof key) break;
        memcpy(key, rel, n);
        key[n] = 0;
        if (!rel[n]) {
            json_object_set_new(o, key, v);
            return;
        }
        json_t *next = json_object_get(o, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(o, key, next);
        }
        o = next;
        rel += n + 1;
    }
    json_decref(v);
}
