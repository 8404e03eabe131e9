#include "schedule.h"
#include "units.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int schedule_parse(const char *s, bool sizes, struct schedule *out)
{
    memset(out, 0, sizeof *out);
    char *copy = xstrdup(s), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (out->n == SCHEDULE_MAX_STEPS) goto bad;
        char *colon = strchr(tok, ':');
        if (colon) *colon = 0;
        uint64_t v, d = 0;
        if ((sizes ? units_size(tok, &v) : units_count(tok, &v)) != 0) goto bad;
        if (colon && (units_duration(colon + 1, &d) || d == 0)) goto bad;
        out->value[out->n] = v;
        out->dur_ns[out->n] = d;
        out->n++;
    }
    if (out->n == 0) goto bad;
    out->dur_ns[out->n - 1] = 0;
    free(copy);
    return rc;
bad:
    free(copy);
    return -1;
}

uint64_t schedule_at(const struct schedule *s, uint64_t t)
{
    for (int i = 0; i < s->n; i++) {
        if (s->dur_ns[i] == 0 || t < s->dur_ns[i]) return s->value[i];
        t -= s->dur_ns[i];
    }
    return s->value[s->n - 1];
}
