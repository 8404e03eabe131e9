/* The process-wide stop flag (proc.h); the signal handler that sets it is
 * the command line's (cmd/main.c), which also ends owned brokers. */
#include "proc.h"

volatile sig_atomic_t proc_stop;
