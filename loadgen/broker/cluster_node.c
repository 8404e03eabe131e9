/* Node faults on a cluster node (cluster.h): kill, stop, start, pause and
 * resume by the pid recorded at its start, never by name. */
#include "broker.h"
#include "cluster_int.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static struct cluster_node *node(struct cluster *c, int i, char *err, size_t cap)
{
    if (i < 1 || i > c->n) return snprintf(err, cap, "no node n%d (the cluster has %d)", i, c->n), NULL;
    return &c->nodes[i - 1];
}

bool cluster_node_running(const struct cluster *c, int i)
{
    return i >= 1 && i <= c->n && cluster_pid_alive(c->nodes[i - 1].pid, c->nodes[i - 1].pid_start);
}

/* Reaps the node if it is our child; true once its beam is gone. */
static bool gone(struct cluster_node *nd)
{
    waitpid(nd->pid, NULL, WNOHANG);
    return !cluster_pid_alive(nd->pid, nd->pid_start);
}

int cluster_node_kill(struct cluster *c, int i, char *err, size_t cap)
{
    struct cluster_node *nd = node(c, i, err, cap);
    if (!nd) return -1;
    if (gone(nd)) return snprintf(err, cap, "n%d is not running", i), -1;
    kill(nd->pid, SIGKILL);
    for (int k = 0; k < 100 && !gone(nd); k++) sleep_ns(20 * NS_PER_MS);
    nd->paused = false;
    return gone(nd) ? 0 : (snprintf(err, cap, "n%d survived SIGKILL for 2 s", i), -1);
}

int cluster_node_stop(struct cluster *c, int i, char *err, size_t cap)
{
    struct cluster_node *nd = node(c, i, err, cap);
    if (!nd) return -1;
    if (gone(nd)) return snprintf(err, cap, "n%d is not running", i), -1;
    if (nd->paused) kill(nd->pid, SIGCONT); /* a stopped process never sees SIGTERM */
    kill(nd->pid, SIGTERM);
    uint64_t deadline = clock_ns() + 30 * NS_PER_SEC;
    while (!gone(nd) && clock_ns() < deadline) sleep_ns(50 * NS_PER_MS);
    if (!gone(nd)) {
        log_note("n%d did not stop in 30 s: SIGKILL", i);
        kill(nd->pid, SIGKILL);
        for (int k = 0; k < 100 && !gone(nd); k++) sleep_ns(20 * NS_PER_MS);
    }
    nd->paused = false;
    return 0;
}

int cluster_node_start(struct cluster *c, int i, char *err, size_t cap)
{
    struct cluster_node *nd = node(c, i, err, cap);
    if (!nd) return -1;
    if (!gone(nd)) return 0;
    if (cluster_spawn_node(nd, c->detach) <= 0) return snprintf(err, cap, "cannot fork n%d", i), -1;
    uint64_t deadline = clock_ns() + 90 * NS_PER_SEC;
    while (!cluster_listening(nd)) {
        if (gone(nd)) return snprintf(err, cap, "n%d exited during start (log: %s/log)", i, nd->dir), -1;
        if (clock_ns() > deadline) return snprintf(err, cap, "n%d did not start in 90 s", i), -1;
        sleep_ns(100 * NS_PER_MS);
    }
    if (c->detach) cluster_save(c);
    return 0;
}

int cluster_node_pause(struct cluster *c, int i, char *err, size_t cap)
{
    struct cluster_node *nd = node(c, i, err, cap);
    if (!nd) return -1;
    if (gone(nd)) return snprintf(err, cap, "n%d is not running", i), -1;
    if (kill(nd->pid, SIGSTOP)) return snprintf(err, cap, "SIGSTOP n%d failed", i), -1;
    nd->paused = true;
    return 0;
}

int cluster_node_resume(struct cluster *c, int i, char *err, size_t cap)
{
    struct cluster_node *nd = node(c, i, err, cap);
    if (!nd) return -1;
    if (!nd->paused || gone(nd)) return 0;
    if (kill(nd->pid, SIGCONT)) return snprintf(err, cap, "SIGCONT n%d failed", i), -1;
    nd->paused = false;
    return 0;
}

int cluster_leader_of(const struct cluster *c, const char *queue, char *err, size_t cap)
{
    char why[512] = "none is running";
    for (int i = 1; i <= c->n; i++) {
        if (!cluster_node_running(c, i) || c->nodes[i - 1].paused) continue;
        char out[4096];
        const char *args[] = {"list_queues", "--quiet", "--no-table-headers", "name", "leader", NULL};
        if (cluster_ctl(c, i, args, out, sizeof out, why, sizeof why)) continue;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            char *tab = strchr(line, '\t');
            if (!tab) continue;
            *tab = 0;
            if (strcmp(line, queue)) continue;
            for (int k = 0; k < c->n; k++)
                if (!strcmp(tab + 1, c->nodes[k].name)) return k + 1;
            return snprintf(err, cap, "queue '%s' has no leader (%s): not a quorum queue or stream?", queue,
                            tab + 1), -1;
        }
        return snprintf(err, cap, "no queue '%s' on the cluster", queue), -1;
    }
    return snprintf(err, cap, "no node answered list_queues (%s)", why), -1;
}

int cluster_heal_all(struct cluster *c, char *err, size_t cap)
{
    int rc = 0;
    char why[512] = "";
    if (cluster_heal(c, why, sizeof why)) rc = -1, snprintf(err, cap, "%s", why);
    if (cluster_unloss(c, NULL, NULL, why, sizeof why)) rc = -1, snprintf(err, cap, "%s", why);
    if (cluster_unbandwidth(c, NULL, why, sizeof why)) rc = -1, snprintf(err, cap, "%s", why);
    if (cluster_undelay(c, NULL, NULL, why, sizeof why)) rc = -1, snprintf(err, cap, "%s", why);
    for (int i = 1; i <= c->n; i++) {
        if (c->nodes[i - 1].paused && cluster_node_resume(c, i, why, sizeof why))
            rc = -1, snprintf(err, cap, "%s", why);
        if (!cluster_node_running(c, i) && cluster_node_start(c, i, why, sizeof why))
            rc = -1, snprintf(err, cap, "%s", why);
    }
    return rc;
}
