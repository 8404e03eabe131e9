/* broker_ctl: Debian's rabbitmqctl against the embedded node (broker.h). */
#include "broker.h"
#include "broker_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL_PATH "/usr/lib/rabbitmq/bin/rabbitmqctl"

int broker_ctl(struct broker *b, const char *const *args, char *err, size_t cap)
{
    if (broker_status(b) != BROKER_RUNNING) return snprintf(err, cap, "node %s is not running", b->nodename), -1;
    const char *argv[24] = {"rabbitmqctl", "-n", b->nodename};
    int n = 3;
    for (int i = 0; args[i] && n < 23; i++) argv[n++] = args[i];
    argv[n] = NULL;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return snprintf(err, cap, "pipe: %s", strerror(errno)), -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return snprintf(err, cap, "fork: %s", strerror(errno)), -1;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: a hung CLI is ended with its helpers */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in >= 0) dup2(in, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close_range(3, ~0U, 0);
        broker_set_env(b); /* the node's HOME (cookie) and epmd port */
        execv(CTL_PATH, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    /* keep the tail of what it said, for the error */
    char out[2048] = "";
    size_t len = 0;
    uint64_t deadline = clock_ns() + 60 * NS_PER_SEC;
    bool timed_out = false;
    for (;;) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        uint64_t now = clock_ns();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        if (poll(&p, 1, (int)((deadline - now) / NS_PER_MS) + 1) <= 0) continue;
        if (len == sizeof out - 1) { /* drop the older half */
            memmove(out, out + len / 2, len - len / 2);
            len -= len / 2;
        }
        ssize_t r = read(pfd[0], out + len, sizeof out - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    out[len] = 0;
    close(pfd[0]);
    if (timed_out) kill(-pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (timed_out) return snprintf(err, cap, "rabbitmqctl %s: no answer in 60 s", args[0]), -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' ')) out[--len] = 0;
    const char *last = strrchr(out, '\n');
    return snprintf(err, cap, "rabbitmqctl %s failed (%s %d): %s", args[0], WIFEXITED(st) ? "exit" : "signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last ? last + 1 : out), -1;
}
