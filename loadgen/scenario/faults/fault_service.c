/* The user's services (services.h): service-kill (SIGKILL to the
 * instance's process group, as a crash or an OOM kill), service-stop
 * (SIGTERM, then SIGKILL after its stop_grace), service-pause (SIGSTOP
 * until the revert's SIGCONT: a GC pause, a stuck event loop),
 * service-restart (stop, then start at once); with for: the instance comes
 * back after it. service: names the service, instance: N, random or all
 * (0 by default). The same keys put a proxy fault (toxic, down,
 * disconnect) on that instance's own link to the broker. */
#include "../scenario_int.h"
#include "faults.h"
#include "services.h"
#include "timeline.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int act(struct timeline *tl, int fi, enum svc_act a, struct step_note *note, char *err, size_t cap)
{
    const struct fault *f = &tl->sc->faults[fi];
    if (!tl->svc) return snprintf(err, cap, "no services run"), -1;
    char what[96];
    int rc = services_act(tl->svc, f->service_idx, f->instance, a, what, sizeof what, err, cap);
    if (!rc) snprintf(note->target, sizeof note->target, "%s", what);
    return rc;
}

static int kill_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "SIGKILL to the process group; gone");
    return act(tl, fi, SVC_KILL, note, err, cap);
}

static int stop(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "SIGTERM (SIGKILL after the grace); gone");
    return act(tl, fi, SVC_STOP, note, err, cap);
}

static int start(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "started again");
    return act(tl, fi, SVC_START, note, err, cap);
}

static int restart(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "SIGTERM, then started again");
    return act(tl, fi, SVC_RESTART, note, err, cap);
}

static int pause_(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "SIGSTOP to the process group");
    return act(tl, fi, SVC_PAUSE, note, err, cap);
}

static int resume(struct timeline *tl, int fi, struct step_note *note, char *err, size_t cap)
{
    snprintf(note->detail, sizeof note->detail, "SIGCONT to the process group");
    return act(tl, fi, SVC_RESUME, note, err, cap);
}

static bool parse_key(struct ctx *x, struct fault *f, const char *k, yaml_node_t *v, const char *sub)
{
    if (!strcmp(k, "service")) {
        const char *s = sc_want_scalar(x, v, sub);
        if (!s) return true;
        free(f->service);
        f->service = xstrdup(s);
        if ((f->service_idx = sc_service_index(x->sc, s)) < 0)
            sc_err(x, v, sub, "'%s' is not one of the scenario's services", s);
        return true;
    }
    if (strcmp(k, "instance")) return false;
    const char *s = sc_want_scalar(x, v, sub);
    uint64_t n;
    if (!s) return true;
    if (!strcmp(s, "all"))
        f->instance = SVC_ALL;
    else if (!strcmp(s, "random"))
        f->instance = SVC_RANDOM;
    else if (units_count(s, &n) || n >= SERVICE_MAX_INSTANCES)
        sc_err(x, v, sub, "a number, random or all");
    else
        f->instance = (int)n;
    return true;
}

static const struct fault_ops actions[] = {
    {"service-kill", FN_SERVICE, kill_, start},
    {"service-stop", FN_SERVICE, stop, start},
    {"service-start", FN_SERVICE, start, NULL},
    {"service-restart", FN_SERVICE, restart, NULL},
    {"service-pause", FN_SERVICE, pause_, resume},
    {"service-resume", FN_SERVICE, resume, NULL},
    {NULL, 0, NULL, NULL},
};

/* service: and instance: on a service action, or on a proxy action (its
 * link); refused on any other. */
static void check(struct ctx *x, yaml_node_t *n, const char *field, struct fault *f, bool needs_ok)
{
    (void)needs_ok;
    bool ours = fault_needs(f, FN_SERVICE), proxy = fault_needs(f, FN_PROXY);
    if (ours && !f->service) return sc_err(x, n, field, "action %s needs service: NAME", fault_name(f));
    if (!f->service) return;
    if (!ours && !proxy)
        return sc_err(x, n, field, "action %s takes no service: (service actions and proxy faults do)", fault_name(f));
    if (f->service_idx < 0) return;
    int instances = x->sc->services[f->service_idx].instances;
    if (f->instance >= instances)
        sc_err(x, n, field, "instance %d: service %s has %d", f->instance, f->service, instances);
    if (proxy && f->instance < 0) sc_err(x, n, field, "a proxy fault acts on one instance's link: instance: N");
}

/* A service the faults left down would never drain its input. */
static int heal(struct timeline *tl, struct step_note *note, char *err, size_t cap)
{
    if (!tl->svc) return 0;
    return services_heal(tl->svc, note->detail, sizeof note->detail, err, cap);
}

const struct fault_family fault_family_service = {
    .name = "service",
    .actions = actions,
    .keys = "service, instance",
    .parse_key = parse_key,
    .check = check,
    .heal = heal,
};
