/* Private to loadgen/broker/: what broker.c shares with its other files. */
#ifndef LOADGEN_BROKER_INT_H
#define LOADGEN_BROKER_INT_H

#include "broker.h"

/* The node's environment (HOME and cookie, names, ports, paths), set in a
 * child before exec: for the server and for rabbitmqctl alike. */
void broker_set_env(const struct broker *b);

/* broker_proc.c: true while pid exists; reaps it when it is our child. */
bool broker_alive(pid_t pid, bool child);

/* broker_tls.c: a throwaway CA and certificates in b->dir/tls, and the
 * TLS listener's rabbitmq.conf lines appended to conf; sets b->tls_port
 * and b->tls_uri. */
int broker_tls_listener(struct broker *b, char *conf, size_t conf_cap, char *err, size_t cap);

#endif
