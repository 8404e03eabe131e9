/* `loadgen bench`: the options, the run (bench.c), its verdict, the report. */
#include "bench.h"
#include "cli.h"
#include "config.h"
#include "report.h"
#include "util.h"

#include <stdio.h>

int cmd_bench(int argc, char **argv)
{
    struct config cfg;
    config_init(&cfg);
    int rc = config_parse_args(&cfg, argc, argv);
    if (rc || config_validate(&cfg)) {
        config_free(&cfg);
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    json_t *result = NULL;
    char dir[1024];
    int exit_code = bench_execute(&cfg, NULL, &result, dir, sizeof dir);
    json_t *health = json_object_get(result, "health"), *why;
    size_t i;
    if (exit_code == EXIT_OK && health && !json_is_true(json_object_get(health, "pass"))) {
        json_array_foreach(json_object_get(health, "reasons"), i, why)
            fprintf(stderr, "loadgen: bench FAILED: %s\n", json_string_value(why));
        exit_code = EXIT_FAILED;
    }
    if (result && cfg.json_path &&
        report_write_json(cfg.json_path, result, JSON_INDENT(2) | JSON_REAL_PRECISION(10)))
        log_err("--json: cannot write %s", cfg.json_path);
    if (result && dir[0] && report_write_dir(dir, result) == 0)
        fprintf(stderr, "loadgen: report in %s/report.html\n", dir);
    json_decref(result);
    config_free(&cfg);
    return exit_code;
}
