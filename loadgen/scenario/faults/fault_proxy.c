/* The proxy on the clients' link to the broker (the `amqp` proxy): toxic
 * (a Toxiproxy toxic, undone by its removal), untoxic, down (refuses and
 * drops connections; undone by up), up, disconnect (down then up: every
 * client connection dropped once). */
#include "faults.h"
#include "proxy.h"
#include "services.h"
#include "../scenario_int.h"
#include "timeline.h"
#include "toxic.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The load's proxy, or (service:) that service instance's own link. */
static struct proxy_server *which(struct timeline *tl, int fi, char *name, size_t cap, struct step_note *note)
{
    const struct fault *f = &tl->sc->faults[fi];
    struct proxy_server *s = tl->env.proxy;
    snprintf(name, cap, "amqp");
    if (f->service && (!tl->svc || services_proxy(tl->svc, f->service_idx, f->instance, &s, name, cap))) return NULL;
    if (f->service) snprintf(note->target, sizeof note->target, "%s-%d's link", f->service, f->instance);
    return s;
}

static int toxic(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    char name[64];
    struct proxy_server *s = which(tl, fi, name, sizeof name, note);
    if (!s) return snprintf(err, cap, "no such proxy"), -1;
    json_t *spec = json_loads(tl->sc->faults[fi].toxic_json, 0, NULL);
    int rc = proxy_toxic_set(s, name, spec, false, err, cap);
    json_decref(spec);
    return rc;
}

static int untoxic(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    char name[64];
    struct proxy_server *s = which(tl, fi, name, sizeof name, note);
    if (!s) return snprintf(err, cap, "no such proxy"), -1;
    return proxy_toxic_remove(s, name, tl->sc->faults[fi].toxic_name, err, cap);
}

static int down(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    char name[64];
    struct proxy_server *s = which(tl, fi, name, sizeof name, note);
    if (!s) return snprintf(err, cap, "no such proxy"), -1;
    return proxy_set_enabled(s, name, false, err, cap);
}

static int up(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    char name[64];
    struct proxy_server *s = which(tl, fi, name, sizeof name, note);
    if (!s) return snprintf(err, cap, "no such proxy"), -1;
    return proxy_set_enabled(s, name, true, err, cap);
}

static int disconnect(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    return down(tl, fi, note, err, cap) ? -1 : up(tl, fi, note, err, cap);
}

/* toxic: checked now as the proxy will check it, so a typo fails --check,
 * not the run (where a toxic that was never set tests nothing). Its name
 * is settled once every key is read (check). */
static bool parse_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (!strcmp(k, "name")) {
        const char *s = sc_want_scalar(x, v, sub);
        if (s) free(f->toxic_name), f->toxic_name = xstrdup(s);
        return true;
    }
    if (strcmp(k, "toxic")) return false;
    if (!sc_is_map(x, v, sub)) return true;
    json_t *j = sc_to_json(x, v, 0);
    json_t *probe_spec = json_deep_copy(j);
    if (!json_object_get(probe_spec, "name")) json_object_set_new(probe_spec, "name", json_string("probe"));
    struct toxic probe = {0};
    char terr[200];
    char field[64];
    snprintf(field, sizeof field, "faults[%d]", f->index);
    if (toxic_parse(&probe, probe_spec, true, terr, sizeof terr)) sc_err(x, v, field, "toxic: %s", terr);
    json_decref(probe_spec);
    free(f->toxic_json);
    f->toxic_json = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return true;
}

static bool is(const struct fault *f, const char *name)
{
    return f->ops && !strcmp(f->ops->name, name);
}

static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    if (is(f, "toxic") && !f->toxic_json)
        sc_err(x, n, field, "action toxic needs 'toxic: {type: ..., attributes: {...}}'");
    else if (is(f, "untoxic") && !f->toxic_name)
        sc_err(x, n, field, "action untoxic needs 'name: <toxic name>'");
    if (!f->toxic_json) return;
    /* the toxic's own name, else name:, else one of the fault's */
    json_t *j = json_loads(f->toxic_json, 0, NULL);
    if (!json_object_get(j, "name")) {
        char nm[64];
        snprintf(nm, sizeof nm, "fault%d", f->index);
        json_object_set_new(j, "name", json_string(f->toxic_name ? f->toxic_name : nm));
    }
    json_t *name = json_object_get(j, "name");
    free(f->toxic_name);
    f->toxic_name = xstrdup(json_is_string(name) ? json_string_value(name) : "?");
    free(f->toxic_json);
    f->toxic_json = json_dumps(j, JSON_COMPACT);
    json_decref(j);
}

static int heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    (void)note, (void)err, (void)cap;
    if (tl->env.proxy) proxy_reset(tl->env.proxy);
    return 0;
}

static const struct fault_ops actions[] = {
    {"toxic", FN_PROXY, toxic, untoxic},
    {"untoxic", FN_PROXY, untoxic, NULL},
    {"down", FN_PROXY, down, up},
    {"up", FN_PROXY, up, NULL},
    {"disconnect", FN_PROXY, disconnect, NULL},
    {NULL, 0, NULL, NULL},
};

const struct fault_family fault_family_proxy = {
    .name = "proxy", .actions = actions, .keys = "toxic, name",
    .parse_key = parse_key, .check = check, .heal = heal,
};
