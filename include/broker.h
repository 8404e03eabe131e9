/* broker: a private RabbitMQ node that loadgen starts, owns and ends by pid.
 *
 * The node runs Debian's /usr/lib/rabbitmq/bin/rabbitmq-server directly (no
 * systemd, no su wrappers) with a private HOME, cookie, data and log dirs, a
 * unique node name, its own epmd and free loopback ports. Every call returns
 * 0 or -1; on -1, err holds a one-line reason (and the log tail when a start
 * fails). Nothing is ever killed by name: only the pids recorded here.
 */
#ifndef LOADGEN_BROKER_H
#define LOADGEN_BROKER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define BROKER_DEFAULT_SERVER "/usr/lib/rabbitmq/bin/rabbitmq-server"

enum broker_state { BROKER_STOPPED, BROKER_RUNNING, BROKER_PAUSED };

struct broker_opts {
    const char *dir;        /* data dir; NULL = a new temp dir, removed on stop */
    const char *server;     /* rabbitmq-server script; NULL = BROKER_DEFAULT_SERVER */
    int amqp_port;          /* 0 = pick a free one */
    int start_timeout_ms;   /* 0 = 90000 */
    bool detach;            /* outlive this process (`loadgen broker start`) */
    volatile sig_atomic_t *cancel; /* set (e.g. by Ctrl-C): stop waiting for the boot */
    bool owns_dir;          /* dir is loadgen's: removed by a failed start or a final stop */
    const char *conf;       /* more rabbitmq.conf lines (config_broker_conf), or NULL */
    bool tls;               /* also a TLS listener, with a throwaway CA in DIR/tls */
    bool management;        /* rabbitmq_management on a free loopback port */
};

struct broker {
    char dir[512];
    char server[512];
    char nodename[96];
    char uri[128];
    char tls_uri[128];  /* amqps:// when started with tls, else empty; CA in DIR/tls/ca.pem */
    char mgmt_url[128]; /* http:// of rabbitmq_management when started with it, else empty */
    int amqp_port, dist_port, epmd_port, tls_port;
    pid_t pid;       /* the beam.smp process (exec'd in place of the script) */
    pid_t epmd_pid;  /* our private epmd */
    /* /proc start times of pid and epmd_pid: a recorded pid is signalled only
     * while it is still the process we started (pids get reused). */
    unsigned long long pid_start, epmd_start;
    pid_t owner_pid; /* the loadgen that made a temp dir: while it lives the dir is not stale */
    unsigned long long owner_start;
    bool is_child;   /* beam is our child (waitpid), not adopted from a state file */
    bool epmd_child; /* likewise for epmd */
    bool owns_dir;   /* remove dir when stopped for good */
    bool detach;
    int start_timeout_ms;
    enum broker_state state;
    volatile sig_atomic_t *cancel;
    bool refused;    /* the failure is the caller's input (dir unsafe, node already running) */
};

/* Starts a node and waits until it accepts an AMQP login. The node is
 * registered for broker_cleanup_all() unless opts->detach. */
int broker_start(struct broker *b, const struct broker_opts *opts, char *err, size_t cap);
/* Graceful stop (SIGTERM, wait up to 30 s, then SIGKILL); also ends epmd.
 * keep_dir: keep the data so broker_restart() can start it again. */
int broker_stop(struct broker *b, bool keep_dir, char *err, size_t cap);
/* SIGKILL of the beam process only (a crash); epmd and data stay. */
int broker_kill(struct broker *b, char *err, size_t cap);
/* Starts the node again on the same data dir, name and ports; waits for it. */
int broker_restart(struct broker *b, char *err, size_t cap);
/* SIGSTOP / SIGCONT of the beam process. */
int broker_pause(struct broker *b, char *err, size_t cap);
int broker_resume(struct broker *b, char *err, size_t cap);
/* Runs Debian's rabbitmqctl against the node (its cookie, its epmd) with
 * args (NULL-terminated, e.g. "set_policy", ...), waiting up to 60 s; on
 * failure err holds its last line of output. */
int broker_ctl(struct broker *b, const char *const *args, char *err, size_t cap);
/* Refreshes b->state from the pids (a reaped or vanished beam is STOPPED). */
enum broker_state broker_status(struct broker *b);
const char *broker_state_name(enum broker_state s);

/* State file <dir>/broker.json, so `loadgen broker stop --dir` can find a
 * node started by another process. */
int broker_save(const struct broker *b);
/* Loads the state; a pid whose /proc start time differs from the recorded
 * one is another process now and is forgotten (0), never signalled. */
int broker_load(struct broker *b, const char *dir, char *err, size_t cap);
/* Start time of pid in clock ticks since boot (/proc/PID/stat field 22), 0
 * if there is no such process or it is a zombie. */
unsigned long long broker_proc_start(pid_t pid);
/* 0 if dir is a real directory (not a symlink) owned by us and writable by
 * no one else; else -1 with the reason. */
int broker_dir_check(const char *dir, char *err, size_t cap);
/* The state dir used when none is given: $XDG_RUNTIME_DIR/loadgen-broker,
 * else ${TMPDIR:-/tmp}/loadgen-UID/broker (its parent made 0700 here). */
int broker_default_dir(char *buf, size_t cap, char *err, size_t errcap);
/* Removes temp dirs (TMPDIR/loadgen-broker-*) of ours left by a loadgen that
 * was SIGKILLed: those whose recorded node is gone, or with no state file
 * and untouched for 10 minutes. */
void broker_clean_stale(void);

/* A free TCP port on 127.0.0.1 (bound and released), -1. */
int broker_free_port(void);

/* Ends every registered (owned, not detached) node at once with SIGKILL.
 * Async-signal-safe: usable from a signal handler and atexit. */
void broker_cleanup_all(void);

#endif
