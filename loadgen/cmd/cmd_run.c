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

int cmd_run(int argc, char **argv)
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
    const char *json_path = NULL, *uri = NULL, *report_dir = NULL, *metrics = NULL, *linger = NULL, *mgmt = NULL;
    bool check_only = false, no_report = false;
    const char *shard[6][2] = {{"instance", NULL}, {"run-id", NULL}, {"start-at", NULL},
                               {"producer-ids", NULL}, {"consumer-ids", NULL}, {"broker-dir", NULL}};
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
        switch (ch) {
        case 'j': json_path = optarg; break;
        case 'u': uri = optarg; break;
        case 'c': check_only = true; break;
        case 'r': report_dir = optarg; break;
        case 'n': no_report = true; break;
        case 'm': metrics = optarg; break;
        case 'l': linger = optarg; break;
        case 'g': mgmt = optarg; break;
        case 'I': shard[0][1] = optarg; break;
        case 'R': shard[1][1] = optarg; break;
        case 'S': shard[2][1] = optarg; break;
        case 'P': shard[3][1] = optarg; break;
        case 'C': shard[4][1] = optarg; break;
        case 'B': shard[5][1] = optarg; break;
        case 'h':
            puts("usage: loadgen run SCENARIO.yaml [--json FILE] [--uri URI] [--check]\n"
                 "                   [--report-dir DIR | --no-report] [--management URL|embedded]\n"
                 "                   [--metrics-listen HOST:PORT [--metrics-linger DUR]]\n"
                 "                   [--instance I/N --run-id HEX|--start-at EPOCH [--producer-ids A-B]\n"
                 "                    [--consumer-ids A-B]] [--broker-dir DIR]\n"
                 "Runs the scenario's load with its faults, drains, checks its gates.\n"
                 "--check: validate the file only. Exit 0 all gates hold, 1 a gate failed,\n"
                 "2 bad scenario file, 3 broker failure. Format: docs/scenarios.md\n"
                 "The run directory (default reports/<UTC time>-<name>/) gets run.json,\n"
                 "latency-*.hgrm, latency.hlog, report.html and junit.xml.\n"
                 "--instance: one of N processes running the load together (docs/scale-out.md);\n"
                 "instance 0 runs the broker faults, on the node of --broker-dir DIR (started by\n"
                 "`loadgen broker start --dir DIR`); `loadgen merge` gives the run's verdict.");
            return EXIT_OK;
        default: return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        log_err("run: give exactly one scenario file (loadgen run --help)");
        return EXIT_USAGE;
    }
    const char *path = argv[optind]; /* loading re-runs getopt: optind changes */
    struct scenario sc;
    if (scenario_load(path, &sc)) {
        scenario_free(&sc);
        return EXIT_USAGE;
    }
    char serr[512];
    for (int i = 0; i < 6; i++)
        if (shard[i][1] && config_apply(&sc.cfg, shard[i][0], shard[i][1], serr, sizeof serr)) {
            log_err("--%s: %s", shard[i][0], serr);
            scenario_free(&sc);
            return EXIT_USAGE;
        }
    if (uri) {
        free(sc.cfg.uri);
        sc.cfg.uri = xstrdup(uri);
    }
    if (config_instance_validate(&sc.cfg, serr, sizeof serr)) {
        log_err("%s: %s", path, serr);
        scenario_free(&sc);
        return EXIT_USAGE;
    }
    for (int i = 0; uri && i < sc.nfaults; i++)
        if (fault_needs(&sc.faults[i], FN_CLUSTER)) {
            log_err("%s: fault %s needs the embedded cluster (--nodes); it cannot run with --uri", path,
                    fault_name(&sc.faults[i]));
            scenario_free(&sc);
            return EXIT_USAGE;
        }
    /* another instance acts on the broker, or --broker-dir names the node */
    bool observer = sc.cfg.sharded && sc.cfg.instance != 0;
    if (uri && !sc.cfg.broker_dir && !observer) {
        for (int i = 0; i < sc.nfaults; i++)
            if (fault_needs(&sc.faults[i], FN_BROKER)) {
                log_err("%s: fault %s needs the embedded broker; with --uri give the node's --broker-dir",
                        path, fault_name(&sc.faults[i]));
                scenario_free(&sc);
                return EXIT_USAGE;
            }
    }
    char perr[1200];
    if (json_path && preflight_output(json_path, perr, sizeof perr)) {
        log_err("--json: %s", perr);
        scenario_free(&sc);
        return EXIT_USAGE;
    }
    if (check_only) {
        printf("%s: ok (%d faults, %d gates)\n", path, sc.nfaults, sc.ngates);
        scenario_free(&sc);
        return EXIT_OK;
    }
    /* proxy faults need the load to go through it; on a cluster the
     * clients go to every node and the faults are the network's */
    sc.cfg.via_proxy = sc.cfg.nodes < 2;
    free(sc.cfg.name);
    sc.cfg.name = xstrdup(sc.name);
    if (report_dir) {
        free(sc.cfg.report_dir);
        sc.cfg.report_dir = xstrdup(report_dir);
    }
    if (no_report) sc.cfg.no_report = true;
    char merr[512];
    const char *mopt[][2] = {{"metrics-listen", metrics}, {"metrics-linger", linger}, {"management", mgmt}};
    for (int i = 0; i < 3; i++)
        if (mopt[i][1] && (config_apply(&sc.cfg, mopt[i][0], mopt[i][1], merr, sizeof merr) ||
                           config_validate_broker(&sc.cfg, merr, sizeof merr))) {
            log_err("--%s: %s", mopt[i][0], merr);
            scenario_free(&sc);
            return EXIT_USAGE;
        }
    if (sc.cfg.metrics_listen && metrics_start(sc.cfg.metrics_listen, merr, sizeof merr)) {
        log_err("--metrics-listen: %s", merr);
        scenario_free(&sc);
        return EXIT_USAGE;
    }
    log_note("scenario %s: %s", sc.name, sc.description ? sc.description : "");
    struct timeline tl;
    timeline_init(&tl, &sc);
    struct bench_hooks hooks = timeline_hooks(&tl);
    json_t *result = NULL;
    char dir[1024];
    int rc = bench_execute(&sc.cfg, &hooks, &result, dir, sizeof dir);
    timeline_end(&tl);
    if (result) {
        run_set(result, RK_SCENARIO_NAME, json_string(sc.name));
        run_set(result, RK_SCENARIO_FILE, json_string(sc.path));
        run_set(result, RK_SCENARIO_DESCRIPTION, json_string(sc.description ? sc.description : ""));
        run_set(result, RK_FAULTS, json_incref(tl.log));
        int verdict = evaluate(&sc, result, &tl);
        if (rc == EXIT_OK) rc = verdict;
        if (json_path && report_write_json(json_path, result, JSON_INDENT(2) | JSON_REAL_PRECISION(10)))
            log_err("--json: cannot write %s", json_path);
        char err[1400];
        if (dir[0] && report_write_dir(dir, result, err, sizeof err)) log_err("%s", err);
        else if (dir[0]) log_note("report in %s/report.html", dir);
    }
    metrics_set_verdict(result ? run_str(result, RK_VERDICT_STATUS) : "incomplete");
    metrics_stop(sc.cfg.metrics_linger_ns);
    json_decref(result);
    timeline_free(&tl);
    scenario_free(&sc);
    return rc;
}
