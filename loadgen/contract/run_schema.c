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

/* A run.json from elsewhere (merge's instances) is input: every value the
 * table names must have its type, and a number a sane size, or a reader
 * would copy a string total through as 0, or 1e308 into a sum. */
#define RS_NUM_MAX 1e15

static int check_value(json_t *v, const struct run_key_def *d, const char *where, char *err, size_t cap)
{
    enum rs_type t = d->type;
    bool ok = t == RS_STR      ? json_is_string(v)
              : t == RS_BOOL   ? json_is_boolean(v)
              : t == RS_ARRAY  ? json_is_array(v)
              : t == RS_OBJECT ? json_is_object(v)
              : json_is_null(v) ? t == RS_INT_NULL || t == RS_NUM_NULL
              : t == RS_INT || t == RS_INT_NULL ? json_is_integer(v)
                                                : json_is_number(v);
    if (!ok) return snprintf(err, cap, "%s is not %s", where, run_type_name(t)), -1;
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (!isfinite(x) || fabs(x) > RS_NUM_MAX)
            return snprintf(err, cap, "%s: %g is out of range", where, x), -1;
        if (x < 0 && !strncmp(d->path, "totals.", 7))
            return snprintf(err, cap, "%s: a count cannot be negative (%g)", where, x), -1;
    }
    return 0;
}

/* path below o: "a.b" a value, "a[].b" each element of array a, "a.*.b"
 * each member of object a. */
static int check_at(json_t *o, const char *path, const struct run_key_def *d, char *where, size_t wcap, char *err,
                    size_t cap)
{
    const char *arr = strstr(path, "[]"), *star = path[0] == '*' ? path : strstr(path, ".*");
    if (star && star != path) star++; /* the '*' itself */
    const char *cut = arr && (!star || arr < star) ? arr : star;
    if (!cut) {
        json_t *v = at_path(o, path);
        size_t wl = strlen(where);
        snprintf(where + wl, wcap - wl, "%s%s", wl ? "." : "", path);
        int rc = v ? check_value(v, d, where, err, cap)
                 : d->flags & (RS_OPTIONAL | RS_RUN) ? 0
                 : (snprintf(err, cap, "%s is missing", where), -1);
        where[wl] = 0;
        return rc;
    }
    char head[128];
    size_t hn = (size_t)(cut - path) - (cut == star && cut != path); /* "a.*": head "a" */
    if (hn >= sizeof head) return 0;
    memcpy(head, path, hn);
    head[hn] = 0;
    json_t *c = hn ? at_path(o, head) : o;
    const char *rest = cut + (cut == arr ? 2 : 1);
    if (*rest == '.') rest++;
    if (!c || (!*rest && cut == arr)) return 0; /* the array's own row checks it */
    size_t wl = strlen(where);
    int rc = 0;
    if (cut == arr && json_is_array(c)) {
        size_t i;
        json_t *e;
        json_array_foreach(c, i, e) {
            snprintf(where + wl, wcap - wl, "%s%s[%zu]", wl ? "." : "", head, i);
            if ((rc = check_at(e, rest, d, where, wcap, err, cap))) break;
        }
    } else if (cut == star && json_is_object(c)) {
        const char *k;
        json_t *e;
        json_object_foreach(c, k, e) {
            snprintf(where + wl, wcap - wl, "%s%s%s%.40s", wl ? "." : "", head, hn ? "." : "", k);
            if ((rc = *rest ? (json_is_object(e) ? check_at(e, rest, d, where, wcap, err, cap) : 0)
                            : check_value(e, d, where, err, cap)))
                break;
        }
    }
    where[wl] = 0;
    return rc;
}

int run_schema_check(json_t *run, char *err, size_t cap)
{
    if (!json_is_object(run)) return snprintf(err, cap, "not a JSON object"), -1;
    for (int k = 0; k < RK_COUNT; k++) {
        char where[400] = "";
        size_t pl = strlen(run_keys[k].path);
        if (run_keys[k].path[pl - 1] == '*') continue; /* a family's row ("series[].*"): its members have rows */
        if (check_at(run, run_keys[k].path, &run_keys[k], where, sizeof where, err, cap)) return -1;
    }
    return 0;
}
