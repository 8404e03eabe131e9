/* cluster_proc: the processes of a cluster (cluster_int.h): a command or a
 * node forked into its namespace with the node's environment, and a
 * command run to its end with a deadline. */
#include "cluster_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK "-kernel net_ticktime 5" /* a partition is noticed in ~7 s (measured), not 60 */

/* The node's environment: its own HOME (cookie), paths, long name on its
 * address, its namespace's epmd. Set in a child before exec. */
static void node_env(const struct cluster_node *nd)
{
    bool lo = !nd->ns[0];
    env_setf("HOME", "%s/home", nd->dir);
    env_setf("RABBITMQ_NODENAME", "%s", nd->name);
    env_setf("RABBITMQ_USE_LONGNAME", lo ? "false" : "true");
    env_setf("RABBITMQ_NODE_IP_ADDRESS", "%s", nd->addr);
    env_setf("RABBITMQ_NODE_PORT", "%d", nd->port);
    env_setf("ERL_EPMD_ADDRESS", "%s", nd->addr);
    env_setf("ERL_EPMD_PORT", "%d", nd->epmd_port);
    if (lo) env_setf("RABBITMQ_DIST_PORT", "%d", nd->dist_port);
    env_setf("RABBITMQ_MNESIA_BASE", "%s/mnesia", nd->dir);
    env_setf("RABBITMQ_LOG_BASE", "%s/log", nd->dir);
    env_setf("RABBITMQ_LOGS", "%s/log/node.log", nd->dir);
    env_setf("RABBITMQ_ENABLED_PLUGINS_FILE", "%s/enabled_plugins", nd->dir);
    env_setf("RABBITMQ_CONFIG_FILE", "%s/rabbitmq.conf", nd->dir);
    env_setf("RABBITMQ_ADVANCED_CONFIG_FILE", "%s/advanced.config", nd->dir);
    env_setf("RABBITMQ_CONF_ENV_FILE", "%s/rabbitmq-env.conf", nd->dir);
    env_setf("RABBITMQ_PID_FILE", "%s/beam.pid", nd->dir);
    env_setf("ERL_CRASH_DUMP", "%s/log/erl_crash.dump", nd->dir);
    env_setf("RABBITMQ_ALLOW_INPUT", "1"); /* the script execs erl: our child is beam itself */
    /* the distribution listener binds the node's own address, as AMQP and
     * epmd do (Erlang's default is every interface: 0.0.0.0:25672) */
    char tuple[32];
    snprintf(tuple, sizeof tuple, "{%s}", nd->addr);
    for (char *p = tuple; *p; p++)
        if (*p == '.') *p = ',';
    env_setf("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
             "-noinput -start_epmd false -kernel inet_dist_use_interface %s " TICK, tuple);
    env_setf("RABBITMQ_CTL_ERL_ARGS", TICK);
}

/* (cluster_int.h) PDEATHSIG follows the forking thread: a node restarted
 * by the timeline's thread lives as long as that thread. */
pid_t cluster_spawn(const char *const *argv, const char *ns, const struct cluster_node *nd, int out_fd, bool detach)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    if (detach)
        setsid();
    else {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    if (ns && *ns) {
        char path[64];
        snprintf(path, sizeof path, "/run/netns/%s", ns);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(126);
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (in >= 0) dup2(in, 0);
    dup2(out_fd >= 0 ? out_fd : null, 1);
    dup2(out_fd >= 0 ? out_fd : null, 2);
    close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGPIPE, SIG_DFL);
    if (nd) node_env(nd);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int cluster_run(const char *const *argv, const char *ns, const struct cluster_node *nd, char *out, size_t cap)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
    pid_t pid = cluster_spawn(argv, ns, nd, pfd[1], false);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return -1;
    }
    size_t len = 0;
    char buf[4096];
    uint64_t deadline = clock_ns() + 60 * NS_PER_SEC;
    bool late = false;
    for (;;) {
        uint64_t now = clock_ns();
        if (now >= deadline) {
            late = true;
            break;
        }
        struct pollfd p = {pfd[0], POLLIN, 0};
        if (poll(&p, 1, (int)((deadline - now) / NS_PER_MS) + 1) <= 0) continue;
        if (len == sizeof buf - 1) memmove(buf, buf + len / 2, len - len / 2), len -= len / 2;
        ssize_t r = read(pfd[0], buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(pfd[0]);
    buf[len] = 0;
    if (late) kill(-pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = 0;
    if (out) str_copy(out, cap, buf);
    if (late) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
