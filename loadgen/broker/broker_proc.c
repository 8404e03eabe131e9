/* The node's process as the OS sees it, below the rest of the module:
 * alive (and reaped), running or paused (from /proc), and a free loopback
 * port for its listeners. */
#include "broker.h"
#include "broker_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* True while pid exists; reaps it when it is our child. */
bool broker_alive(pid_t pid, bool child)
{
    if (pid <= 0) return false;
    if (child) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return false;
        return true;
    }
    return kill(pid, 0) == 0 || errno == EPERM;
}

int broker_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

enum broker_state broker_status(struct broker *b)
{
    if (b->pid <= 0 || !broker_alive(b->pid, b->is_child)) {
        b->state = BROKER_STOPPED;
        return b->state;
    }
    /* Another process may have paused it: ask /proc, the source of truth. */
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)b->pid);
    FILE *f = fopen(path, "re");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        char *p = strrchr(buf, ')');
        if (p && p[1] == ' ') b->state = (p[2] == 'T') ? BROKER_PAUSED : BROKER_RUNNING;
    }
    return b->state;
}
