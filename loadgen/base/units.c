#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    const char *suffix;
    double mult;
};

/* Parses "<number><suffix>" where suffix is one of table (exact match). */
static int parse(const char *s, const struct unit *table, double bare, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0) return -1;
    if (*end == 0) {
        *out = v * bare;
        return 0;
    }
    for (const struct unit *u = table; u->suffix; u++) {
        if (strcmp(end, u->suffix) == 0) {
            *out = v * u->mult;
            return 0;
        }
    }
    return -1;
}

static int to_u64(double v, uint64_t *out)
{
    if (v > 1.8e19) return -1;
    double r = llround(v);
    if (fabs(v - r) > 1e-6 * (v > 1 ? v : 1)) return -1;
    *out = (uint64_t)r;
    return 0;
}

int units_duration(const char *s, uint64_t *ns)
{
    static const struct unit t[] = {
        {"ns", 1},   {"us", 1e3},   {"ms", 1e6},     {"s", 1e9},
        {"m", 6e10}, {"min", 6e10}, {"h", 3.6e12},   {NULL, 0},
    };
    double v;
    if (parse(s, t, 1e9, &v)) return -1;
    return to_u64(v, ns);
}

int units_count(const char *s, uint64_t *out)
{
    static const struct unit t[] = {
        {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {NULL, 0},
    };
    double v;
    if (parse(s, t, 1, &v)) return -1;
    return to_u64(v, out);
}

int units_size(const char *s, uint64_t *bytes)
{
    static const struct unit t[] = {
        {"B", 1},     {"k", 1e3},          {"K", 1e3},           {"KB", 1e3}, {"kB", 1e3},
        {"MB", 1e6},  {"GB", 1e9},         {"KiB", 1024.0},      {"MiB", 1048576.0},
        {"GiB", 1073741824.0}, {NULL, 0},
    };
    double v;
    if (parse(s, t, 1, &v)) return -1;
    return to_u64(v, bytes);
}

int units_bitrate(const char *s, uint64_t *bits_per_s)
{
    char *end;
    errno = 0;
    double r = strtod(s, &end);
    if (end == s || errno || !(r > 0)) return -1;
    double mul = !strcmp(end, "bit") ? 1 : !strcmp(end, "kbit") ? 1e3 : !strcmp(end, "mbit") ? 1e6
                 : !strcmp(end, "gbit") ? 1e9 : 0;
    if (!mul || r * mul < 8000 || r * mul > 1e11) return -1;
    *bits_per_s = (uint64_t)(r * mul);
    return 0;
}
