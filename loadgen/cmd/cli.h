/* cli (private to loadgen/cmd/): the subcommands' entry points and the signal handlers that set
 * proc_stop (proc.h: the exit codes and the flag). */
#ifndef LOADGEN_CLI_H
#define LOADGEN_CLI_H

#include "proc.h"

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
int cmd_http(int argc, char **argv);

#endif
