/* cli: subcommand entry points, exit codes and the process-wide stop flag. */
#ifndef LOADGEN_CLI_H
#define LOADGEN_CLI_H

#include <signal.h>

#define LOADGEN_VERSION "0.1.0"

enum exit_code {
    EXIT_OK = 0,
    EXIT_FAILED = 1,    /* the run completed but a gate or guarantee failed */
    EXIT_USAGE = 2,     /* bad option, bad config or scenario file */
    EXIT_BROKER = 3,    /* broker unreachable, failed to start, or setup failed */
    EXIT_INCOMPLETE = 4, /* no gate failed, but one could not be decided (drain gave up) */
    EXIT_INTERRUPTED = 130,
};

/* Set (to the signal number) by the first SIGINT/SIGTERM: runs stop early and
 * still write their reports. A second signal ends owned brokers and exits. */
extern volatile sig_atomic_t cli_stop;

/* Installs the SIGINT/SIGTERM handlers and the atexit broker cleanup. */
void cli_install_signals(void);

int cmd_broker(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_capacity(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_hlog(int argc, char **argv);

#endif
