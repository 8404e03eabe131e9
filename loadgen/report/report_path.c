/* Reading run.json by dotted paths ("totals.lost", "latency.e2e.p99.9"):
 * pure, so the gates and their unit tests need nothing else of report. */
#include "report_path.h"

#include <math.h>
#include <string.h>

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

double report_num(json_t *o, const char *path)
{
    json_t *v = at_path(o, path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *report_str(json_t *o, const char *path)
{
    json_t *v = at_path(o, path);
    return json_is_string(v) ? json_string_value(v) : "";
}
