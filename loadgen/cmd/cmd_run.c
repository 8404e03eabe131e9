/* `loadgen run scenario.yaml`: the command line and the wiring: the load of
 * bench, the fault timeline (timeline.c), then the gates (gates.c): exit 0
 * when all hold, 1 when any fails, 4 when one could not be decided. */
#include "bench.h"
#include "cli.h"
#include "gates.h"
#include "metrics.h"
#include "preflight.h"
#include "report.h"
#include "run_schema.h"
#include "scenario.h"
#include "services.h"
#include "timeline.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Availability first (recovery and unavailable read it), then the gates. */
static int evaluate(struct scenario *sc, json_t *result, struct timeline *tl)
{
    timeline_availability(tl, result);
    bool part = sc->cfg.sharded;
    enum gate_status v = gates_partial(result, gates_verdict(sc->gates, sc->ngates, sc->nfaults > 0, result,
                                                             part ? NULL : stdout));
    if (part)
        printf("verdict: %s (instance %d of %d; `loadgen merge` decides the run)\n",
               v == GATE_FAIL ? "FAIL" : v == GATE_UNKNOWN ? "INCOMPLETE" : "PARTIAL", sc->cfg.instance,
               sc->cfg.instances);
    return v == GATE_FAIL ? EXIT_FAILED : v == GATE_UNKNOWN ? EXIT_INCOMPLETE : EXIT_OK;
}

/* The command line: what it sets on the scenario's load. */
struct run_args {
    const char *json_path, *uri, *report_dir, *metrics, *linger, *mgmt, *path;
    bool check_only, no_report;
    char **paths; /* --check: every file given */
    int npaths;
    const char *shard[6][2];
};

static void run_usage(void)
{
    puts("usage: loadgen run SCENARIO.yaml [--json FILE] [--uri URI]\n"
         "       loadgen run --check SCENARIO.yaml...\n"
         "                   [--report-dir DIR | --no-report] [--management URL|embedded]\n"
         "                   [--metrics-listen HOST:PORT [--metrics-linger DUR]]\n"
         "                   [--instance I/N --run-id HEX|--start-at EPOCH [--producer-ids A-B]\n"
         "                    [--consumer-ids A-B]] [--broker-dir DIR]\n"
         "Runs the scenario's load with its faults, drains, checks its gates.\n"
         "--check: validate the files only, one line each (exit 2 if any is bad).\n"
         "Exit 0 all gates hold, 1 a gate failed, 2 bad scenario file, 3 broker\n"
         "failure, 4 incomplete (a gate could not be judged), 130 interrupted.\n"
         "Format: docs/scenarios.md\n"
         "The run directory (default reports/<UTC time>-<name>/) gets run.json,\n"
         "latency-*.hgrm, latency.hlog, report.html and junit.xml.\n"
         "--instance: one of N processes running the load together (docs/scale-out.md);\n"
         "instance 0 runs the broker faults, on the node of --broker-dir DIR (started by\n"
         "`loadgen broker start --dir DIR`); `loadgen merge` gives the run's verdict.");
}

/* EXIT_OK to go on, or the exit code (-1: --help, done). */
static int parse_args(struct run_args *a, int argc, char **argv)
{
    static const struct option o[] = {
        {"json", required_argument, NULL, 'j'}, {"uri", required_argument, NULL, 'u'},
        {"check", no_argument, NULL, 'c'},      {"help", no_argument, NULL, 'h'},
        {"report-dir", required_argument, NULL, 'r'}, {"no-report", no_argument, NULL, 'n'},
        {"metrics-listen", required_argument, NULL, 'm'}, {"metrics-linger", required_argument, NULL, 'l'},
        {"management", required_argument, NULL, 'g'},
        /* scale-out (docs/scale-out.md): passed to the scenario's load */
        {"instance", required_argument, NULL, 'I'}, {"run-id", required_argument, NULL, 'R'},
        {"start-at", required_argument, NULL, 'S'}, {"producer-ids", required_argument, NULL, 'P'},
        {"consumer-ids", required_argument, NULL, 'C'}, {"broker-dir", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0},
    };
    static const char shards[] = "IRSPCB"; /* in the order of a->shard */
    static const char *const names[6] = {"instance", "run-id", "start-at", "producer-ids", "consumer-ids",
                                         "broker-dir"};
    for (int i = 0; i < 6; i++) a->shard[i][0] = names[i];
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
        const char *sh = ch ? strchr(shards, ch) : NULL;
        if (sh) a->shard[sh - shards][1] = optarg;
        else if (ch == 'j') a->json_path = optarg;
        else if (ch == 'u') a->uri = optarg;
        else if (ch == 'c') a->check_only = true;
        else if (ch == 'r') a->report_dir = optarg;
        else if (ch == 'n') a->no_report = true;
        else if (ch == 'm') a->metrics = optarg;
        else if (ch == 'l') a->linger = optarg;
        else if (ch == 'g') a->mgmt = optarg;
        else if (ch == 'h') return run_usage(), -1;
        else return EXIT_USAGE;
    }
    if (optind >= argc || (optind != argc - 1 && !a->check_only)) {
        log_err("run: give exactly one scenario file (--check takes several; loadgen run --help)");
        return EXIT_USAGE;
    }
    a->path = argv[optind]; /* loading re-runs getopt: optind changes */
    a->paths = argv + optind;
    a->npaths = argc - optind;
    return EXIT_OK;
}

/* The scale-out options and --uri on the loaded scenario, and the faults
 * they leave possible: an exit code. */
static int apply_target(const struct run_args *a, struct scenario *sc)
{
    char serr[512];
    for (int i = 0; i < 6; i++)
        if (a->shard[i][1] && config_apply(&sc->cfg, a->shard[i][0], a->shard[i][1], serr, sizeof serr))
            return log_err("--%s: %s", a->shard[i][0], serr), EXIT_USAGE;
    if (a->uri) {
        free(sc->cfg.uri);
        sc->cfg.uri = xstrdup(a->uri);
    }
    if (config_instance_validate(&sc->cfg, serr, sizeof serr)) return log_err("%s: %s", a->path, serr), EXIT_USAGE;
    /* one supervisor and one effect ledger per run: not yet merged across instances */
    if (sc->cfg.sharded && (sc->nservices || sc->cfg.effects || sc->cfg.http))
        return log_err("%s: services and effects run in one loadgen process; --instance is not supported with them",
                       a->path), EXIT_USAGE;
    for (int i = 0; a->uri && i < sc->nfaults; i++)
        if (fault_needs(&sc->faults[i], FN_CLUSTER))
            return log_err("%s: fault %s needs the embedded cluster (--nodes); it cannot run with --uri", a->path,
                           fault_name(&sc->faults[i])), EXIT_USAGE;
    /* another instance acts on the broker, or --broker-dir names the node */
    bool observer = sc->cfg.sharded && sc->cfg.instance != 0;
    for (int i = 0; a->uri && !sc->cfg.broker_dir && !observer && i < sc->nfaults; i++)
        if (fault_needs(&sc->faults[i], FN_BROKER))
            return log_err("%s: fault %s needs the embedded broker; with --uri give the node's --broker-dir",
                           a->path, fault_name(&sc->faults[i])), EXIT_USAGE;
    char perr[1200];
    if (a->json_path && preflight_output(a->json_path, perr, sizeof perr))
        return log_err("--json: %s", perr), EXIT_USAGE;
    return EXIT_OK;
}

/* The reports' and the metrics endpoint's options, then the endpoint. */
static int apply_outputs(const struct run_args *a, struct scenario *sc)
{
    /* proxy faults need the load to go through it; on a cluster the
     * clients go to every node and the faults are the network's */
    sc->cfg.via_proxy = sc->cfg.nodes < 2;
    free(sc->cfg.name);
    sc->cfg.name = xstrdup(sc->name);
    if (a->report_dir) {
        free(sc->cfg.report_dir);
        sc->cfg.report_dir = xstrdup(a->report_dir);
    }
    if (a->no_report) sc->cfg.no_report = true;
    char merr[512];
    const char *mopt[][2] = {{"metrics-listen", a->metrics}, {"metrics-linger", a->linger}, {"management", a->mgmt}};
    for (int i = 0; i < 3; i++)
        if (mopt[i][1] && (config_apply(&sc->cfg, mopt[i][0], mopt[i][1], merr, sizeof merr) ||
                           config_validate_broker(&sc->cfg, merr, sizeof merr)))
            return log_err("--%s: %s", mopt[i][0], merr), EXIT_USAGE;
    if (sc->cfg.metrics_listen && metrics_start(sc->cfg.metrics_listen, sc->cfg.allow_remote, merr, sizeof merr))
        return log_err("--metrics-listen: %s", merr), EXIT_USAGE;
    return EXIT_OK;
}

/* The timeline's hooks, and the services around them: they start before
 * the clients connect, and stop once the timeline is done acting. */
struct run_hooks {
    struct bench_hooks tl;
    struct timeline *t;
    struct scenario *sc;
    struct services *svc;
    uint64_t start_ns;
};

static int on_prepare(void *ctx, const struct bench_env *env, char *err, size_t cap)
{
    struct run_hooks *h = ctx;
    if (!h->sc->nservices) return EXIT_OK;
    h->svc = h->t->svc = services_new(h->sc->services, h->sc->nservices);
    struct services_env se = {env->nodes, env->nnodes, env->dir, env->run_id};
    return services_start(h->svc, &se, err, cap);
}

static void on_started(void *ctx, const struct bench_env *env)
{
    struct run_hooks *h = ctx;
    h->start_ns = env->start_ns;
    h->tl.started(h->tl.ctx, env);
}

static void on_stopped(void *ctx)
{
    struct run_hooks *h = ctx;
    h->tl.stopped(h->tl.ctx);
    services_stop(h->svc);
}

/* The load with the timeline, then the verdict and the reports. */
static int run_scenario(const struct run_args *a, struct scenario *sc)
{
    log_note("scenario %s: %s", sc->name, sc->description ? sc->description : "");
    struct timeline tl;
    timeline_init(&tl, sc);
    struct run_hooks rh = {timeline_hooks(&tl), &tl, sc, NULL, 0};
    struct bench_hooks hooks = {.ctx = &rh, .prepare = on_prepare, .started = on_started, .stopped = on_stopped};
    json_t *result = NULL;
    char dir[1024];
    int rc = bench_execute(&sc->cfg, &hooks, &result, dir, sizeof dir);
    timeline_end(&tl);
    if (result && rh.svc) run_set(result, RK_SERVICES, services_json(rh.svc, rh.start_ns));
    services_free(rh.svc);
    tl.svc = NULL;
    if (result) {
        run_set(result, RK_SCENARIO_NAME, json_string(sc->name));
        run_set(result, RK_SCENARIO_FILE, json_string(sc->path));
        run_set(result, RK_SCENARIO_DESCRIPTION, json_string(sc->description ? sc->description : ""));
        run_set(result, RK_FAULTS, json_incref(tl.log));
        int verdict = evaluate(sc, result, &tl);
        if (rc == EXIT_OK) rc = verdict;
        if (a->json_path && report_write_json(a->json_path, result, JSON_INDENT(2) | JSON_REAL_PRECISION(10)))
            log_err("--json: cannot write %s", a->json_path);
        char err[1400];
        if (dir[0] && report_write_dir(dir, result, err, sizeof err)) log_err("%s", err);
        else if (dir[0]) log_note("report in %s/report.html", dir);
    }
    metrics_set_verdict(result ? run_str(result, RK_VERDICT_STATUS) : "incomplete");
    metrics_stop(sc->cfg.metrics_linger_ns);
    json_decref(result);
    timeline_free(&tl);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    int rc = parse_args(&a, argc, argv);
    if (rc != EXIT_OK) return rc < 0 ? EXIT_OK : rc;
    struct scenario sc;
    if (a.check_only && a.npaths > 1) { /* each file, one line each */
        for (int i = 0; i < a.npaths; i++) {
            a.path = a.paths[i];
            int one = scenario_load(a.path, &sc) ? EXIT_USAGE : apply_target(&a, &sc);
            if (one == EXIT_OK) printf("%s: ok (%d faults, %d gates)\n", a.path, sc.nfaults, sc.ngates);
            if (one != EXIT_OK) rc = one;
            scenario_free(&sc);
        }
        return rc;
    }
    if (scenario_load(a.path, &sc)) rc = EXIT_USAGE;
    if (rc == EXIT_OK) rc = apply_target(&a, &sc);
    if (rc == EXIT_OK && a.check_only) {
        printf("%s: ok (%d faults, %d gates)\n", a.path, sc.nfaults, sc.ngates);
        scenario_free(&sc);
        return EXIT_OK;
    }
    if (rc == EXIT_OK) rc = apply_outputs(&a, &sc);
    if (rc == EXIT_OK) rc = run_scenario(&a, &sc);
    scenario_free(&sc);
    return rc;
}
