/* services: the user's own processes under test (a scenario's services:).
 * loadgen starts each instance in a process group it owns (gone after the
 * run, on Ctrl-C, and with loadgen itself through PDEATHSIG), gives it
 * AMQP_URL through that instance's own fault proxy, logs its output to the
 * run directory, waits until it is ready, and acts on it for the fault
 * timeline (kill, stop, pause, restart). One supervisor thread forks every
 * instance and reaps it, so a restarted one dies with loadgen too.
 * docs/services.md. */
#ifndef LOADGEN_SERVICES_H
#define LOADGEN_SERVICES_H

#include "amqpc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SERVICE_MAX_ARGS 32
#define SERVICE_MAX_ENV 32
#define SERVICE_MAX_INSTANCES 16
#define SERVICES_MAX 8

enum svc_ready { READY_NONE, READY_CONSUMERS, READY_LOG, READY_TCP, READY_DELAY, READY_HTTP };

struct service_spec {
    char *name;
    char *argv[SERVICE_MAX_ARGS + 1]; /* argv[0] as written; relative paths are the scenario folder's */
    int argc;
    int instances;
    char *env[SERVICE_MAX_ENV]; /* "KEY=VALUE" */
    int nenv;
    enum svc_ready ready;
    char *ready_arg; /* READY_CONSUMERS: the queue; READY_LOG: the regex; READY_HTTP: the URL */
    int ready_port;  /* READY_TCP: instance i listens on this + i (SERVICE_PORT) */
    uint64_t ready_delay_ns, ready_timeout_ns;
    bool restart_on_failure; /* restart: on-failure */
    uint64_t stop_grace_ns;  /* SIGTERM, then SIGKILL after this */
    char *dir;               /* the scenario's folder: the working directory */
    int line;
};
void service_spec_free(struct service_spec *s);
/* The program argv[0] names, resolved (the scenario folder for a relative
 * path, else PATH) into buf: 0, or -1 with why (missing, not executable). */
int service_resolve(const struct service_spec *s, char *buf, size_t cap, char *why, size_t wcap);

enum svc_act { SVC_KILL, SVC_STOP, SVC_PAUSE, SVC_RESUME, SVC_START, SVC_RESTART };
#define SVC_ALL (-1)
#define SVC_RANDOM (-2)

struct services;
struct proxy_server;

struct services_env {
    const struct amqpc_target *nodes; /* the broker's nodes, as loadgen reaches them */
    int nnodes;
    const char *run_dir; /* logs go to RUN_DIR/services/ ("": none kept) */
    uint32_t run_id;
};

struct services *services_new(const struct service_spec *specs, int n);
/* Proxies, every instance, then each service's ready check: EXIT_OK, or an
 * exit code (proc.h) with err (an instance that exits before it is ready
 * names its log). */
int services_start(struct services *s, const struct services_env *env, char *err, size_t cap);
/* A fault on service svc's instance (or SVC_ALL, SVC_RANDOM): 0 with what
 * it did in note, or -1 with err (nothing running to act on). Waits until
 * the process is gone (kill, stop) or started. */
int services_act(struct services *s, int svc, int instance, enum svc_act act, char *note, size_t ncap, char *err,
                 size_t cap);
/* The fault proxy of svc's instance (its link to node 1): the server and
 * the proxy's name; -1 when there is none. */
int services_proxy(struct services *s, int svc, int instance, struct proxy_server **server, char *name, size_t cap);
int services_count_instances(const struct services *s, int svc);
/* Back to healthy after the faults: every paused instance resumed, every
 * one not running started, every link's toxics removed and enabled. 0, or
 * -1 with err. */
int services_heal(struct services *s, char *note, size_t ncap, char *err, size_t cap);
/* Every instance ends: SIGTERM, then SIGKILL after its grace. */
void services_stop(struct services *s);
/* run.json's "services"; times from start_ns (CLOCK_MONOTONIC). */
json_t *services_json(struct services *s, uint64_t start_ns);
void services_free(struct services *s);

#endif
