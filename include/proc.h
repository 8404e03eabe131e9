/* proc: what the whole process shares, below every folder: the version,
 * the exit codes and the stop flag that runs, the proxy and the timeline
 * watch. Set by cli_install_signals (cli.h). */
#ifndef LOADGEN_PROC_H
#define LOADGEN_PROC_H

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
extern volatile sig_atomic_t proc_stop;

#endif
