/* `loadgen bench`: the options, the run (bench.c), its verdict, the report. */
#include "bench.h"
#include "cli.h"
#include "config.h"
#include "gates.h"
#include "metrics.h"
#include "report.h"
#include "scenario.h"
#include "util.h"

#include <stdio.h>

int cmd_bench(int argc, char **argv)
{
    struct config cfg;
    config_init(&cfg);
    char err[512];
    int rc = config_parse_args(&cfg, argc, argv);
    if (!rc && cfg.topology_path && scenario_load_topology(cfg.topology_path, &cfg)) rc = -1;
    if (!rc && (config_validate(&cfg, err, sizeof err) || config_instance_validate(&cfg, err, sizeof err))) {
        log_err("%s", err);
        rc = -1;
    }
    if (rc) {
        config_free(&cfg);
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    json_t *result = NULL;
    char dir[1024];
    if (cfg.metrics_listen && metrics_start(cfg.metrics_listen, cfg.allow_remote, err, sizeof err)) {
        log_err("--metrics-listen: %s", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    int exit_code = bench_execute(&cfg, NULL, &result, dir, sizeof dir);
    /* The verdict is decided once, here, and written into run.json: JUnit,
     * the page and compare only read it. */
    if (result && gates_partial(result, gates_bench_verdict(result)) == GATE_FAIL && exit_code == EXIT_OK) {
        json_t *why;
        size_t i;
        json_array_foreach(run_get(result, RK_VERDICT_REASONS), i, why)
            log_err("bench FAILED: %s", json_string_value(why));
        exit_code = EXIT_FAILED;
    }
    if (result && cfg.json_path &&
        report_write_json(cfg.json_path, result, JSON_INDENT(2) | JSON_REAL_PRECISION(10)))
        log_err("--json: cannot write %s", cfg.json_path);
    if (result && dir[0]) {
        if (report_write_dir(dir, result, err, sizeof err)) log_err("%s", err);
        else log_note("report in %s/report.html", dir);
    }
    metrics_set_verdict(result ? run_str(result, RK_VERDICT_STATUS) : "incomplete");
    metrics_stop(cfg.metrics_linger_ns);
    json_decref(result);
    config_free(&cfg);
    return exit_code;
}
