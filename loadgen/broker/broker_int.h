/* Private to loadgen/broker/: what broker.c shares with broker_ctl.c. */
#ifndef LOADGEN_BROKER_INT_H
#define LOADGEN_BROKER_INT_H

#include "broker.h"

/* The node's environment (HOME and cookie, names, ports, paths), set in a
 * child before exec: for the server and for rabbitmqctl alike. */
void broker_set_env(const struct broker *b);

#endif
