/* `loadgen report DIR`: regenerates report.html and junit.xml from run.json. */
#include "cli.h"
#include "gates.h"
#include "hdrfmt.h"
#include "junit.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cmd_report(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: loadgen report RUN_DIR\n"
              "Regenerates RUN_DIR/report.html and RUN_DIR/junit.xml from RUN_DIR/run.json.\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    char err[1400], path[1200];
    struct stat st;
    if (stat(argv[1], &st) == 0 && !S_ISDIR(st.st_mode)) {
        log_err("report: %s is a file, not a run directory (give the directory that holds run.json)",
                argv[1]);
        return EXIT_USAGE;
    }
    json_t *run = report_load(argv[1], err, sizeof err);
    if (!run) {
        log_err("report: %s", err);
        return EXIT_USAGE;
    }
    /* A bench run.json written before bench runs had a verdict. */
    if (!run_get(run, RK_VERDICT_PASS) && !run_get(run, RK_SCENARIO)) gates_bench_verdict(run);
    snprintf(path, sizeof path, "%s/report.html", argv[1]);
    int rc = report_html_write(path, run, err, sizeof err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/junit.xml", argv[1]);
        rc = junit_write(path, run, err, sizeof err);
    }
    json_decref(run);
    if (rc) {
        log_err("report: %s", err);
        return EXIT_USAGE;
    }
    printf("%s/report.html\n", argv[1]);
    return EXIT_OK;
}
