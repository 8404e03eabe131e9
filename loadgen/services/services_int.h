/* Private to loadgen/services/: the supervisor's state. */
#ifndef LOADGEN_SERVICES_INT_H
#define LOADGEN_SERVICES_INT_H

#include "services.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define SVC_EVENTS 64

struct svc_event {
    uint64_t at_ns;
    long value;    /* a start: the pid; an exit: the wait status */
    bool expected; /* an exit a fault or the end caused */
};

struct svc_instance {
    int index;
    pid_t pid; /* 0: not running */
    bool paused, expect_exit;
    uint64_t start_at_ns;       /* the supervisor starts it at this time (0: not asked) */
    char proxy[64], listen[64]; /* its fault proxy (link to node 1) */
    char log[1100];
    char *envp[SERVICE_MAX_ENV + 256];
    int nenv;
    struct svc_event starts[SVC_EVENTS], exits[SVC_EVENTS];
    int nstarts, nexits;
    uint64_t unexpected_exits;
};

struct svc_service {
    const struct service_spec *spec;
    char path[1024]; /* argv[0] resolved */
    struct svc_instance inst[SERVICE_MAX_INSTANCES];
};

struct services {
    struct svc_service svc[SERVICES_MAX];
    int n;
    struct proxy_server *proxy;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    bool stopping, quit;
    uint64_t rng;
};

/* services_ready.c: the environment each instance gets, and the ready checks. */
int svc_build_env(struct services *s, struct svc_service *sv, struct svc_instance *in, const struct services_env *env,
                  char *err, size_t cap);
int svc_wait_ready(struct services *s, struct svc_service *sv, const struct services_env *env, char *err, size_t cap);
/* The last lines of an instance's log, for a message. */
void svc_log_tail(const struct svc_instance *in, char *buf, size_t cap);

#endif
