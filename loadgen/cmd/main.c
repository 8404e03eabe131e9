/* loadgen: AMQP 0-9-1 load generator and fault harness; git-style subcommands. */
#include "broker.h"
#include "cli.h"
#include "util.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig)
{
    if (proc_stop) {
        /* Second signal: the user insists. Leave no broker behind. */
        broker_cleanup_all();
        _exit(EXIT_INTERRUPTED);
    }
    proc_stop = sig;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    atexit(broker_cleanup_all);
}

static void usage(FILE *f)
{
    fputs("usage: loadgen <command> [options]\n"
          "\n"
          "commands:\n"
          "  bench    drive producers and consumers against a broker, measure latency\n"
          "  run      run a scenario: load + faults on a timeline + guarantee checks\n"
          "  capacity find the highest rate at which a load holds an SLO (ramp + bisection)\n"
          "  broker   start/stop/kill/restart/pause/resume/status a private RabbitMQ node\n"
          "  cluster  start/status/stop a RabbitMQ cluster in network namespaces (root)\n"
          "  proxy    TCP fault proxy with toxics and a Toxiproxy-compatible HTTP API\n"
          "  report   regenerate a run directory's report.html and junit.xml\n"
          "  compare  compare runs (or groups of repeated runs) side by side\n"
          "  merge    merge the run directories of a scale-out run's instances into one verdict\n"
          "  hlog     read an HdrHistogram interval log: percentiles per tag\n"
          "  http     drive an HTTP URL open-loop (wrk2's way), no broker\n"
          "  version  print the version\n"
          "\n"
          "`loadgen <command> --help` describes each command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    cli_install_signals();
    /* rabbitmq-c callocs 128 KiB per connection (its receive buffer) and
     * mallocs frame pools: mapped, the pages it never touches are never
     * resident. glibc's dynamic threshold would move such blocks to the
     * heap after the first free, where calloc touches them all (105 KB of
     * RSS per connection). A fixed threshold keeps them mapped. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    /* Thousands of connections need as many descriptors: the soft limit
     * goes up to the hard one (the embedded broker inherits it). bench
     * says when even that is not enough. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < (1 << 20) ? rl.rlim_max : (1 << 20);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "capacity") == 0) return cmd_capacity(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0) return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "broker") == 0) return cmd_broker(argc - 1, argv + 1);
    if (strcmp(cmd, "cluster") == 0) return cmd_cluster(argc - 1, argv + 1);
    if (strcmp(cmd, "proxy") == 0) return cmd_proxy(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0) return cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "hlog") == 0) return cmd_hlog(argc - 1, argv + 1);
    if (strcmp(cmd, "http") == 0) return cmd_http(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("loadgen %s\n", LOADGEN_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    log_err("unknown command '%s'", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
