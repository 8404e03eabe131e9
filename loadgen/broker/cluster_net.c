/* Network faults between cluster nodes (cluster.h): iptables rules inside
 * the nodes' namespaces (ours: their filter tables hold only our rules), in
 * two chains jumped to from INPUT and OUTPUT: LG-PART (partitions, DROP)
 * and LG-LOSS (statistic loss, after a counting rule per match so the loss
 * that happened can be measured). */
#include "cluster_int.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define IPTABLES_PATH "/usr/sbin/iptables"
#define CLIENTS_ADDR "10.77.0.254" /* the bridge: loadgen's side */

/* iptables ARGS... in node i's (0-based) namespace; out gets its output. */
static int ipt_out(const struct cluster *c, int i, char *out, size_t outcap, char *err, size_t cap,
                   const char *const *args)
{
    const char *argv[20] = {IPTABLES_PATH, "-w"};
    int n = 2;
    for (int k = 0; args[k] && n < 19; k++) argv[n++] = args[k];
    argv[n] = NULL;
    char buf[512];
    if (!out) out = buf, outcap = sizeof buf;
    int rc = cluster_run(argv, c->nodes[i].ns, NULL, out, outcap);
    if (rc == 0) return 0;
    return snprintf(err, cap, "iptables %s %s in %s: %s", args[0], args[1] ? args[1] : "", c->nodes[i].ns,
                    rc < 0 ? "did not run" : out), -1;
}
#define IPT(i, ...) ipt_out(c, i, NULL, 0, err, cap, (const char *const[]){__VA_ARGS__, NULL})

/* The chain exists and INPUT and OUTPUT jump to it. Drops (partition,
 * loss) are jumped to first: a delayed packet leaves its chain with the
 * queue's verdict, and must have met the drops before. */
static int chain(const struct cluster *c, int i, const char *name, char *err, size_t cap)
{
    char e2[256];
    if (ipt_out(c, i, NULL, 0, e2, sizeof e2, (const char *const[]){"-n", "-L", name, NULL}) == 0) return 0;
    const char *how = strcmp(name, "LG-DELAY") ? "-I" : "-A";
    return IPT(i, "-N", name) || IPT(i, how, "INPUT", "-j", name) || IPT(i, how, "OUTPUT", "-j", name) ? -1 : 0;
}

#define NO_NET "a loopback cluster has no links of its own to cut, drop, delay or limit: network faults need the " \
               "cluster in network namespaces (root)"

static int need_iptables(char *err, size_t cap)
{
    if (access(IPTABLES_PATH, X_OK) == 0) return 0;
    return snprintf(err, cap, "%s not found (Debian's iptables package; scripts/install-deps)", IPTABLES_PATH), -1;
}

int cluster_heal(const struct cluster *c, char *err, size_t cap)
{
    if (c->loopback) return 0;
    if (need_iptables(err, cap)) return -1;
    for (int i = 0; i < c->n; i++)
        if (chain(c, i, "LG-PART", err, cap) || IPT(i, "-F", "LG-PART")) return -1;
    return 0;
}

int cluster_cut(const struct cluster *c, const bool cut[][CLUSTER_MAX_NODES], char *err, size_t cap)
{
    if (c->loopback) return snprintf(err, cap, NO_NET), -1;
    if (cluster_heal(c, err, cap)) return -1;
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->n; j++) {
            if (i == j || !cut[i][j]) continue;
            const char *peer = c->nodes[j].addr;
            if (IPT(i, "-A", "LG-PART", "-s", peer, "-j", "DROP") || IPT(i, "-A", "LG-PART", "-d", peer, "-j", "DROP"))
                return -1;
        }
    return 0;
}

static void group_cut(const struct cluster *c, const int *group, bool cut[][CLUSTER_MAX_NODES])
{
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->n; j++) cut[i][j] = group[i] != group[j];
}

int cluster_partition(const struct cluster *c, const int *group, char *err, size_t cap)
{
    bool cut[CLUSTER_MAX_NODES][CLUSTER_MAX_NODES];
    group_cut(c, group, cut);
    return cluster_cut(c, cut, err, cap);
}

/* Forks a probe into from's namespace: a TCP connect to to's AMQP port.
 * Exit 0: reached (refused counts: the host answered), 1: cut. */
static pid_t probe(const struct cluster *c, int from, int to)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s", c->nodes[from - 1].ns);
    int nfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nfd < 0 || setns(nfd, CLONE_NEWNET) != 0) _exit(2);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5672)};
    inet_pton(AF_INET, c->nodes[to - 1].addr, &a.sin_addr);
    if (fd < 0) _exit(2);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 || errno == ECONNREFUSED) _exit(0);
    if (errno != EINPROGRESS) _exit(1);
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, 1000) <= 0) _exit(1); /* a dropped SYN: no answer at all */
    int e = 0;
    socklen_t len = sizeof e;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
    _exit(e == 0 || e == ECONNREFUSED ? 0 : 1);
}

static bool probe_result(pid_t pid)
{
    int st = 0;
    if (pid < 0) return false;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int cluster_cut_check(const struct cluster *c, const bool cut[][CLUSTER_MAX_NODES], char *err, size_t cap)
{
    /* all probes at once: a cut one waits its full second */
    pid_t pids[CLUSTER_MAX_NODES][CLUSTER_MAX_NODES];
    for (int i = 1; i <= c->n; i++)
        for (int j = 1; j <= c->n; j++) pids[i - 1][j - 1] = i == j ? 0 : probe(c, i, j);
    int rc = 0;
    for (int i = 1; i <= c->n; i++)
        for (int j = 1; j <= c->n; j++) {
            if (i == j) continue;
            bool is_cut = cut[i - 1][j - 1];
            if (probe_result(pids[i - 1][j - 1]) == is_cut && !rc)
                rc = -1, snprintf(err, cap, "partition not in effect: n%d %s n%d", i,
                                  is_cut ? "still reaches" : "cannot reach", j);
        }
    return rc;
}

int cluster_partition_check(const struct cluster *c, const int *group, char *err, size_t cap)
{
    bool cut[CLUSTER_MAX_NODES][CLUSTER_MAX_NODES];
    group_cut(c, group, cut);
    return cluster_cut_check(c, cut, err, cap);
}

/* What every fault on node i's links (to peer, as for loss) needs. */
static int link_fault_check(const struct cluster *c, int i, int peer, char *err, size_t cap)
{
    if (c->loopback) return snprintf(err, cap, NO_NET), -1;
    if (need_iptables(err, cap)) return -1;
    if (i < 1 || i > c->n) return snprintf(err, cap, "no node n%d", i), -1;
    if (peer > c->n || peer == i) return snprintf(err, cap, "no peer n%d for n%d", peer, i), -1;
    return 0;
}

/* The address a peer-limited rule matches: node peer's, the clients'
 * (peer 0), or none (-1: every packet). */
static const char *peer_addr(const struct cluster *c, int peer)
{
    return peer > 0 ? c->nodes[peer - 1].addr : peer == 0 ? CLIENTS_ADDR : NULL;
}

int cluster_loss(const struct cluster *c, int i, double percent, int peer, char *err, size_t cap)
{
    if (link_fault_check(c, i, peer, err, cap)) return -1;
    if (!(percent > 0 && percent <= 100))
        return snprintf(err, cap, "loss percent %.3g: above 0, at most 100", percent), -1;
    char prob[32];
    snprintf(prob, sizeof prob, "%.6f", percent / 100);
    const char *addr = peer_addr(c, peer);
    int k = i - 1;
    if (chain(c, k, "LG-LOSS", err, cap)) return -1;
    if (!addr)
        return IPT(k, "-A", "LG-LOSS") ||
               IPT(k, "-A", "LG-LOSS", "-m", "statistic", "--mode", "random", "--probability", prob, "-j", "DROP");
    return IPT(k, "-A", "LG-LOSS", "-s", addr) || IPT(k, "-A", "LG-LOSS", "-d", addr) ||
           IPT(k, "-A", "LG-LOSS", "-s", addr, "-m", "statistic", "--mode", "random", "--probability", prob, "-j",
               "DROP") ||
           IPT(k, "-A", "LG-LOSS", "-d", addr, "-m", "statistic", "--mode", "random", "--probability", prob, "-j",
               "DROP");
}

/* Sums the LG-LOSS counters of node i (0-based): packets of the counting
 * rules (no target) and of the DROP rules. */
static int loss_counters(const struct cluster *c, int i, uint64_t *seen, uint64_t *dropped, char *err, size_t cap)
{
    char out[4096];
    if (ipt_out(c, i, out, sizeof out, err, cap, (const char *const[]){"-n", "-v", "-x", "-L", "LG-LOSS", NULL}))
        return -1;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long pk;
        char target[32] = "";
        /* "    pkts bytes target prot opt in out source destination ..." */
        if (sscanf(line, " %llu %*u %31s", &pk, target) < 2) continue;
        if (!strcmp(target, "DROP")) *dropped += pk;
        else *seen += pk;
    }
    return 0;
}

int cluster_unloss(const struct cluster *c, uint64_t *seen, uint64_t *dropped, char *err, size_t cap)
{
    if (c->loopback) return (seen ? *seen = 0 : 0), (dropped ? *dropped = 0 : 0), 0;
    if (need_iptables(err, cap)) return -1;
    uint64_t s = 0, d = 0;
    for (int i = 0; i < c->n; i++) {
        if (chain(c, i, "LG-LOSS", err, cap) || loss_counters(c, i, &s, &d, err, cap) || IPT(i, "-F", "LG-LOSS"))
            return -1;
    }
    if (seen) *seen = s;
    if (dropped) *dropped = d;
    return 0;
}

#define TC_PATH "/usr/sbin/tc"

/* tc ARGS... in node i's (0-based) namespace, or ours (i < 0). */
static int tc(const struct cluster *c, int i, char *out, size_t outcap, char *err, size_t cap,
              const char *const *args)
{
    const char *argv[24] = {TC_PATH};
    int n = 1;
    for (int k = 0; args[k] && n < 23; k++) argv[n++] = args[k];
    argv[n] = NULL;
    char buf[512];
    if (!out) out = buf, outcap = sizeof buf;
    int rc = cluster_run(argv, i >= 0 ? c->nodes[i].ns : NULL, NULL, out, outcap);
    if (rc == 0) return 0;
    return snprintf(err, cap, "tc %s %s: %s", args[0], args[1] ? args[1] : "", rc < 0 ? "did not run" : out), -1;
}

int cluster_bandwidth(const struct cluster *c, int i, uint64_t bits_per_s, char *err, size_t cap)
{
    if (c->loopback) return snprintf(err, cap, NO_NET), -1;
    if (access(TC_PATH, X_OK) != 0) return snprintf(err, cap, "%s not found (Debian's iproute2)", TC_PATH), -1;
    if (i < 1 || i > c->n) return snprintf(err, cap, "no node n%d", i), -1;
    if (bits_per_s < 8000) return snprintf(err, cap, "bandwidth below 8 kbit/s"), -1;
    /* 20 ms of traffic, at least a few full frames, in the bucket */
    uint64_t burst = bits_per_s / 8 / 50;
    if (burst < 16384) burst = 16384;
    char rate[32], bst[32], host[32];
    snprintf(rate, sizeof rate, "%llubit", (unsigned long long)bits_per_s);
    snprintf(bst, sizeof bst, "%llub", (unsigned long long)burst);
    snprintf(host, sizeof host, "lgc-h%d", i);
    /* the node's egress (eth0 in its namespace) and its ingress (the host
     * side of its veth, whose egress is toward the node) */
    const char *node_dev[] = {"qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", rate, "burst", bst,
                              "latency", "200ms", NULL};
    const char *host_dev[] = {"qdisc", "replace", "dev", host, "root", "tbf", "rate", rate, "burst", bst,
                              "latency", "200ms", NULL};
    return tc(c, i - 1, NULL, 0, err, cap, node_dev) || tc(c, -1, NULL, 0, err, cap, host_dev) ? -1 : 0;
}

/* Whether dev's root qdisc is a tbf; *sent += its "Sent N bytes". */
static bool tbf_stat(const struct cluster *c, int i, const char *dev, uint64_t *sent)
{
    char out[1024], err[256];
    const char *args[] = {"-s", "qdisc", "show", "dev", dev, "root", NULL};
    if (tc(c, i, out, sizeof out, err, sizeof err, args) || !strstr(out, "tbf")) return false;
    const char *s = strstr(out, "Sent ");
    if (s && sent) *sent += strtoull(s + 5, NULL, 10);
    return true;
}

int cluster_unbandwidth(const struct cluster *c, uint64_t *bytes, char *err, size_t cap)
{
    if (c->loopback) return (bytes ? *bytes = 0 : 0), 0;
    if (access(TC_PATH, X_OK) != 0) return snprintf(err, cap, "%s not found (Debian's iproute2)", TC_PATH), -1;
    uint64_t sum = 0;
    for (int i = 0; i < c->n; i++) {
        char host[32], e2[256] = "";
        snprintf(host, sizeof host, "lgc-h%d", i + 1);
        if (tbf_stat(c, i, "eth0", &sum))
            tc(c, i, NULL, 0, e2, sizeof e2, (const char *const[]){"qdisc", "del", "dev", "eth0", "root", NULL});
        if (tbf_stat(c, -1, host, &sum))
            tc(c, -1, NULL, 0, e2, sizeof e2, (const char *const[]){"qdisc", "del", "dev", host, "root", NULL});
        if (tbf_stat(c, i, "eth0", NULL) || tbf_stat(c, -1, host, NULL))
            return snprintf(err, cap, "n%d: the tbf qdisc is still there: %s", i + 1, e2), -1;
    }
    if (bytes) *bytes = sum;
    return 0;
}

int cluster_delay(struct cluster *c, int i, uint64_t latency_ns, uint64_t jitter_ns, int peer, char *err, size_t cap)
{
    if (link_fault_check(c, i, peer, err, cap)) return -1;
    if (c->delay[i - 1]) return snprintf(err, cap, "n%d is delayed already", i), -1;
    char q[16];
    uint16_t qnum = (uint16_t)(100 + i);
    snprintf(q, sizeof q, "%u", qnum);
    /* the thread listens before the rules send it packets */
    if (cluster_delay_start(&c->delay[i - 1], c->nodes[i - 1].ns, qnum, latency_ns, jitter_ns, err, cap)) return -1;
    const char *addr = peer_addr(c, peer);
    int k = i - 1;
    if (chain(c, k, "LG-DELAY", err, cap)) return -1;
    if (!addr) return IPT(k, "-A", "LG-DELAY", "-j", "NFQUEUE", "--queue-num", q, "--queue-bypass");
    return IPT(k, "-A", "LG-DELAY", "-s", addr, "-j", "NFQUEUE", "--queue-num", q, "--queue-bypass") ||
           IPT(k, "-A", "LG-DELAY", "-d", addr, "-j", "NFQUEUE", "--queue-num", q, "--queue-bypass");
}

int cluster_undelay(struct cluster *c, uint64_t *held, uint64_t *hold_ns, char *err, size_t cap)
{
    if (c->loopback) return (held ? *held = 0 : 0), (hold_ns ? *hold_ns = 0 : 0), 0;
    if (need_iptables(err, cap)) return -1;
    uint64_t h = 0, ns = 0;
    int rc = 0;
    for (int i = 0; i < c->n; i++) {
        /* rules first: what comes after passes undelayed (bypass) */
        if (chain(c, i, "LG-DELAY", err, cap) || IPT(i, "-F", "LG-DELAY")) rc = -1;
        cluster_delay_stop(c->delay[i], &h, &ns);
        c->delay[i] = NULL;
    }
    if (held) *held = h;
    if (hold_ns) *hold_ns = ns;
    return rc;
}
