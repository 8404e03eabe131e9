#include "broker.h"
#include "broker_int.h"
#include "util.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#define EPMD_PATH "/usr/bin/epmd"
#define STOP_GRACE_MS 30000
#define MAX_OWNED 16

/* Owned nodes for broker_cleanup_all(): plain pids so a signal handler can
 * read them without locks. A slot holds 0 when free. */
static volatile sig_atomic_t owned_pid[MAX_OWNED], owned_epmd[MAX_OWNED];
static int node_seq;

static void own(const struct broker *b)
{
    for (int i = 0; i < MAX_OWNED; i++) {
        if (owned_pid[i] == b->pid || owned_pid[i] == 0) {
            owned_epmd[i] = b->epmd_pid;
            owned_pid[i] = b->pid;
            return;
        }
    }
}

static void disown_pid(pid_t pid)
{
    for (int i = 0; i < MAX_OWNED; i++)
        if (owned_pid[i] == pid) owned_pid[i] = 0;
}

static void disown_epmd(pid_t pid)
{
    for (int i = 0; i < MAX_OWNED; i++)
        if (owned_epmd[i] == pid) owned_epmd[i] = 0;
}

void broker_cleanup_all(void)
{
    for (int i = 0; i < MAX_OWNED; i++) {
        pid_t p = owned_pid[i], e = owned_epmd[i];
        if (p > 0) {
            kill(p, SIGKILL);
            kill(-p, SIGKILL); /* its own process group: erl_child_setup & co */
        }
        if (e > 0) kill(e, SIGKILL);
        owned_pid[i] = owned_epmd[i] = 0;
    }
}

static bool port_in_use(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool used = bind(fd, (struct sockaddr *)&a, sizeof a) != 0;
    close(fd);
    return used;
}

static bool port_listening(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}


static bool wait_gone(pid_t pid, bool child, int timeout_ms)
{
    for (int waited = 0; broker_alive(pid, child); waited += 20) {
        if (waited >= timeout_ms) return false;
        sleep_ns((uint64_t)(20) * NS_PER_MS);
    }
    return true;
}

/* Appends the last lines of the node's logs to err: why a start failed. */
static void append_log_tail(struct broker *b, char *err, size_t cap)
{
    const char *names[] = {"log/console.log", "log/node.log"};
    for (size_t i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", b->dir, names[i]);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        long from = size > 600 ? size - 600 : 0;
        fseek(f, from, SEEK_SET);
        char buf[601];
        size_t n = fread(buf, 1, 600, f);
        buf[n] = 0;
        fclose(f);
        if (!n) continue;
        size_t len = strlen(err);
        if (len >= cap) return;
        snprintf(err + len, cap - len, "\n--- tail of %s ---\n%s", path, buf);
    }
}

static int prepare_dir(struct broker *b, const char *extra, bool management, char *err, size_t cap)
{
    char path[600], conf[16384];
    const char *subdirs[] = {"home", "mnesia", "log"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", b->dir, subdirs[i]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST) goto fail;
    }
    /* Distribution needs a cookie; the node and any CLI share this HOME. */
    snprintf(path, sizeof path, "%s/home/.erlang.cookie", b->dir);
    /* 24 random bytes from the kernel, as 48 capital letters (a cookie is
     * an Erlang atom); a fresh one at every start, never one found there. */
    unsigned char rnd[24];
    char cookie[2 * sizeof rnd + 1];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) goto fail;
    for (size_t i = 0; i < sizeof rnd; i++) {
        cookie[2 * i] = (char)('A' + (rnd[i] >> 4));
        cookie[2 * i + 1] = (char)('A' + (rnd[i] & 15));
    }
    cookie[2 * sizeof rnd] = 0;
    if (file_write_new(path, cookie, 0400) != 0) goto fail;
    snprintf(path, sizeof path, "%s/enabled_plugins", b->dir);
    if (file_write_new(path, management ? "[rabbitmq_management].\n" : "[].\n", 0644) != 0) goto fail;
    snprintf(path, sizeof path, "%s/rabbitmq-env.conf", b->dir);
    if (file_write_new(path, "", 0644) != 0) goto fail;
    snprintf(path, sizeof path, "%s/rabbitmq.conf", b->dir);
    snprintf(conf, sizeof conf,
             "listeners.tcp.1 = 127.0.0.1:%d\n"
             "loopback_users = none\n"
             "log.console = false\n"
             "log.file.level = info\n%s",
             b->amqp_port, extra ? extra : "");
    if (file_write_new(path, conf, 0644) != 0) goto fail;
    return 0;
fail:
    snprintf(err, cap, "cannot prepare broker dir %s: %s", b->dir, strerror(errno));
    return -1;
}

/* In the child: own process group so a terminal's Ctrl-C reaches loadgen
 * only (which then stops the node itself); die with loadgen unless detached. */
static void child_setup(const struct broker *b, const char *log)
{
    if (b->detach)
        setsid();
    else {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644)
                  : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    /* Nothing of ours leaks into the node: an inherited listening socket
     * (the proxy's port) would outlive us in a restarted beam. */
    close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
}

static int start_epmd(struct broker *b, char *err, size_t cap)
{
    if (b->epmd_pid > 0 && broker_alive(b->epmd_pid, b->epmd_child)) return 0;
    char port[16];
    snprintf(port, sizeof port, "%d", b->epmd_port);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        child_setup(b, NULL);
        setenv("ERL_EPMD_PORT", port, 1);
        setenv("ERL_EPMD_ADDRESS", "127.0.0.1", 1); /* never on the network: it names the node */
        execl(EPMD_PATH, "epmd", "-address", "127.0.0.1", "-port", port, (char *)NULL);
        _exit(127);
    }
    b->epmd_pid = pid;
    b->epmd_start = broker_proc_start(pid);
    b->epmd_child = true;
    for (int waited = 0; !port_listening(b->epmd_port); waited += 20) {
        if (!broker_alive(pid, true) || waited > 10000) {
            snprintf(err, cap, "epmd (%s) did not start on port %d", EPMD_PATH,
                     b->epmd_port);
            b->epmd_pid = 0;
            return -1;
        }
        sleep_ns((uint64_t)(20) * NS_PER_MS);
    }
    return 0;
}

void broker_set_env(const struct broker *b)
{
    env_setf("HOME", "%s/home", b->dir);
    env_setf("RABBITMQ_NODENAME", "%s", b->nodename);
    env_setf("RABBITMQ_USE_LONGNAME", "false");
    env_setf("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env_setf("RABBITMQ_NODE_PORT", "%d", b->amqp_port);
    env_setf("RABBITMQ_DIST_PORT", "%d", b->dist_port);
    env_setf("ERL_EPMD_PORT", "%d", b->epmd_port);
    env_setf("RABBITMQ_MNESIA_BASE", "%s/mnesia", b->dir);
    env_setf("RABBITMQ_LOG_BASE", "%s/log", b->dir);
    env_setf("RABBITMQ_LOGS", "%s/log/node.log", b->dir);
    env_setf("RABBITMQ_ENABLED_PLUGINS_FILE", "%s/enabled_plugins", b->dir);
    env_setf("RABBITMQ_CONFIG_FILE", "%s/rabbitmq.conf", b->dir);
    env_setf("RABBITMQ_ADVANCED_CONFIG_FILE", "%s/advanced.config", b->dir);
    env_setf("RABBITMQ_CONF_ENV_FILE", "%s/rabbitmq-env.conf", b->dir);
    env_setf("RABBITMQ_PID_FILE", "%s/beam.pid", b->dir);
    env_setf("ERL_CRASH_DUMP", "%s/log/erl_crash.dump", b->dir);
    /* ALLOW_INPUT makes the script exec erl in place, so our child pid is
     * beam.smp itself; -noinput then keeps the shell off stdin. Our own epmd
     * is already up, so the VM must not spawn a daemon one we could not own. */
    env_setf("RABBITMQ_ALLOW_INPUT", "1");
    env_setf("ERL_EPMD_ADDRESS", "127.0.0.1");
    /* Erlang distribution with a known cookie is remote code execution: its
     * listener binds loopback only (and the cookie is random, 0400). */
    env_setf("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
        "-noinput -start_epmd false -kernel inet_dist_use_interface {127,0,0,1}");
}

/* One AMQP login: the node is ready when its listener accepts guest. */
static bool amqp_ready(int port)
{
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(conn);
    struct timeval tv = {1, 0};
    bool ok = false;
    if (s && amqp_socket_open_noblock(s, "127.0.0.1", port, &tv) == AMQP_STATUS_OK) {
        amqp_set_handshake_timeout(conn, &tv);
        amqp_set_rpc_timeout(conn, &tv);
        amqp_rpc_reply_t r =
            amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
        ok = r.reply_type == AMQP_RESPONSE_NORMAL;
        if (ok) amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn);
    return ok;
}

static void end_group(pid_t pid)
{
    /* Helpers beam started (erl_child_setup, inet_gethost) are in its group. */
    if (pid > 0) kill(-pid, SIGKILL);
}

static int spawn_node(struct broker *b, char *err, size_t cap)
{
    if (start_epmd(b, err, cap)) return -1;
    if (port_in_use(b->amqp_port)) {
        snprintf(err, cap, "AMQP port %d on 127.0.0.1 is already in use",
                 b->amqp_port);
        return -1;
    }
    if (access(b->server, X_OK) != 0) {
        snprintf(err, cap, "cannot execute RabbitMQ server %s: %s", b->server,
                 strerror(errno));
        return -1;
    }
    char log[600];
    snprintf(log, sizeof log, "%s/log/console.log", b->dir);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, cap, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        child_setup(b, log);
        broker_set_env(b);
        execl(b->server, b->server, (char *)NULL);
        int e = errno; /* reaches the parent only if exec failed (CLOEXEC) */
        if (write(pfd[1], &e, sizeof e) < 0) _exit(126);
        _exit(127);
    }
    close(pfd[1]);
    int e = 0;
    ssize_t n = read(pfd[0], &e, sizeof e);
    close(pfd[0]);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        snprintf(err, cap, "cannot execute RabbitMQ server %s: %s", b->server,
                 strerror(e));
        return -1;
    }
    b->pid = pid;
    b->pid_start = broker_proc_start(pid);
    b->is_child = true;
    b->state = BROKER_RUNNING;
    if (!b->detach) own(b);

    uint64_t deadline = clock_ns() + (uint64_t)b->start_timeout_ms * NS_PER_MS;
    while (!amqp_ready(b->amqp_port)) {
        if (b->cancel && *b->cancel) { /* Ctrl-C: do not sit out a 90 s boot */
            snprintf(err, cap, "interrupted while RabbitMQ node %s was booting", b->nodename);
            kill(pid, SIGKILL);
            wait_gone(pid, true, 5000);
            end_group(pid);
            disown_pid(pid);
            b->pid = 0;
            return -1;
        }
        if (!broker_alive(pid, true)) {
            snprintf(err, cap, "RabbitMQ node %s exited during start", b->nodename);
            append_log_tail(b, err, cap);
            disown_pid(pid);
            b->pid = 0;
            return -1;
        }
        if (clock_ns() > deadline) {
            snprintf(err, cap,
                     "RabbitMQ node %s did not accept AMQP on port %d within %d ms", b->nodename,
                     b->amqp_port, b->start_timeout_ms);
            append_log_tail(b, err, cap);
            kill(pid, SIGKILL);
            wait_gone(pid, true, 5000);
            disown_pid(pid);
            b->pid = 0;
            return -1;
        }
        sleep_ns((uint64_t)(100) * NS_PER_MS);
    }
    b->state = BROKER_RUNNING;
    return 0;
}

int broker_start(struct broker *b, const struct broker_opts *o, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->detach = o->detach;
    b->start_timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms : 90000;
    str_copy(b->server, sizeof b->server, o->server ? o->server : BROKER_DEFAULT_SERVER);
    b->cancel = o->cancel;
    if (o->dir) {
        if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, cap, "cannot create broker dir %s: %s", o->dir,
                     strerror(errno));
            return -1;
        }
        char why[700];
        if (broker_dir_check(o->dir, why, sizeof why)) {
            snprintf(err, cap, "unsafe broker dir: %s", why);
            b->refused = true;
            return -1;
        }
        b->owns_dir = o->owns_dir;
        struct broker old;
        if (broker_load(&old, o->dir, why, sizeof why) == 0 && old.pid > 0) {
            snprintf(err, cap, "a node is already running in %s (pid %ld, %s)", o->dir,
                     (long)old.pid, old.uri);
            b->refused = true;
            return -1;
        }
        char *real = realpath(o->dir, NULL);
        str_copy(b->dir, sizeof b->dir, real ? real : o->dir);
        free(real);
    } else {
        broker_clean_stale(); /* temp dirs of a loadgen that was SIGKILLed */
        const char *tmp = getenv("TMPDIR");
        snprintf(b->dir, sizeof b->dir, "%s/loadgen-broker-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(b->dir)) {
            snprintf(err, cap, "cannot create temp dir: %s", strerror(errno));
            return -1;
        }
        b->owns_dir = true;
        /* Claimed before the boot: a SIGKILL or a double Ctrl-C from here
         * on leaves a dir the next start recognises as stale. */
        b->owner_pid = getpid();
        b->owner_start = broker_proc_start(b->owner_pid);
    }
    b->amqp_port = o->amqp_port > 0 ? o->amqp_port : broker_free_port();
    b->dist_port = broker_free_port();
    b->epmd_port = broker_free_port();
    if (b->amqp_port <= 0 || b->dist_port <= 0 || b->epmd_port <= 0) {
        snprintf(err, cap, "cannot find free loopback ports");
        goto fail;
    }
    snprintf(b->nodename, sizeof b->nodename, "loadgen-%ld-%d@localhost", (long)getpid(),
             ++node_seq);
    snprintf(b->uri, sizeof b->uri, "amqp://guest:guest@127.0.0.1:%d/%%2f", b->amqp_port);
    char extra[12288];
    snprintf(extra, sizeof extra, "%s", o->conf ? o->conf : "");
    if (o->tls && broker_tls_listener(b, extra, sizeof extra, err, cap)) goto fail;
    if (o->management) {
        /* statistics each second (5 s by default): the run's resource
         * series samples them */
        int port = broker_free_port();
        size_t len = strlen(extra);
        if (port <= 0 || len + 200 > sizeof extra) {
            snprintf(err, cap, "cannot find a free loopback port for the management API");
            goto fail;
        }
        snprintf(extra + len, sizeof extra - len,
                 "management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %d\ncollect_statistics_interval = 1000\n",
                 port);
        snprintf(b->mgmt_url, sizeof b->mgmt_url, "http://guest:guest@127.0.0.1:%d", port);
    }
    if (prepare_dir(b, extra, o->management, err, cap)) goto fail;
    if (b->owns_dir) broker_save(b);
    if (spawn_node(b, err, cap)) goto fail;
    broker_save(b);
    return 0;
fail:
    if (b->epmd_pid > 0) {
        kill(b->epmd_pid, SIGKILL);
        wait_gone(b->epmd_pid, true, 2000);
        b->epmd_pid = 0;
    }
    if (b->owns_dir) rm_tree(b->dir);
    return -1;
}

static int stop_beam(struct broker *b, int sig, int grace_ms, char *err, size_t cap)
{
    if (b->pid <= 0 || !broker_alive(b->pid, b->is_child)) {
        end_group(b->pid);
        disown_pid(b->pid);
        b->pid = 0;
        b->state = BROKER_STOPPED;
        return 0;
    }
    if (b->state == BROKER_PAUSED) kill(b->pid, SIGCONT);
    kill(b->pid, sig);
    if (!wait_gone(b->pid, b->is_child, grace_ms)) {
        kill(b->pid, SIGKILL);
        if (!wait_gone(b->pid, b->is_child, 10000)) {
            snprintf(err, cap, "node %s (pid %ld) did not die after SIGKILL",
                     b->nodename, (long)b->pid);
            return -1;
        }
    }
    end_group(b->pid);
    disown_pid(b->pid);
    b->pid = 0;
    b->state = BROKER_STOPPED;
    return 0;
}

int broker_stop(struct broker *b, bool keep_dir, char *err, size_t cap)
{
    int rc = stop_beam(b, SIGTERM, STOP_GRACE_MS, err, cap);
    if (b->epmd_pid > 0) {
        kill(b->epmd_pid, SIGTERM);
        if (!wait_gone(b->epmd_pid, b->epmd_child, 3000)) kill(b->epmd_pid, SIGKILL);
        wait_gone(b->epmd_pid, b->epmd_child, 3000);
        disown_epmd(b->epmd_pid);
        b->epmd_pid = 0;
    }
    if (rc == 0 && !keep_dir && b->owns_dir) rm_tree(b->dir);
    else broker_save(b);
    return rc;
}

int broker_kill(struct broker *b, char *err, size_t cap)
{
    if (b->pid <= 0) {
        snprintf(err, cap, "node %s is not running", b->nodename);
        return -1;
    }
    int rc = stop_beam(b, SIGKILL, 10000, err, cap);
    broker_save(b);
    return rc;
}

int broker_restart(struct broker *b, char *err, size_t cap)
{
    if (b->pid > 0 && stop_beam(b, SIGTERM, STOP_GRACE_MS, err, cap)) return -1;
    if (spawn_node(b, err, cap)) return -1;
    broker_save(b);
    return 0;
}

static int signal_beam(struct broker *b, int sig, enum broker_state to, char *err, size_t cap)
{
    if (b->pid <= 0 || !broker_alive(b->pid, b->is_child)) {
        snprintf(err, cap, "node %s is not running", b->nodename);
        return -1;
    }
    if (kill(b->pid, sig) != 0) {
        snprintf(err, cap, "signal to pid %ld: %s", (long)b->pid, strerror(errno));
        return -1;
    }
    b->state = to;
    broker_save(b);
    return 0;
}

int broker_pause(struct broker *b, char *err, size_t cap)
{
    return signal_beam(b, SIGSTOP, BROKER_PAUSED, err, cap);
}

int broker_resume(struct broker *b, char *err, size_t cap)
{
    return signal_beam(b, SIGCONT, BROKER_RUNNING, err, cap);
}

