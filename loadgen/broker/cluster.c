/* A cluster of private RabbitMQ nodes in network namespaces (cluster.h).
 * The network is made with iproute2's `ip` (Debian's iproute2 package). */
#include "cluster.h"
#include "broker.h"
#include "cluster_int.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define BRIDGE "lgc-br"
#define SUBNET "10.77.0."
#define IP_PATH "/usr/sbin/ip"
#define EPMD_PATH "/usr/bin/epmd"
#define CTL_PATH "/usr/lib/rabbitmq/bin/rabbitmqctl"
#define SERVER_PATH BROKER_DEFAULT_SERVER
/* `ip ARGS...`; on failure err names the command and ip's complaint. */
static int ip(char *err, size_t cap, const char *const *args)
{
    const char *argv[16] = {IP_PATH};
    int n = 1;
    for (int i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char out[512];
    int rc = cluster_run(argv, NULL, NULL, out, sizeof out);
    if (rc == 0) return 0;
    char cmd[256] = "ip";
    for (int i = 1; i < n; i++) snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", argv[i]);
    return snprintf(err, cap, "%s: %s", cmd, rc < 0 ? "did not run" : out), -1;
}
#define IP(...) ip(err, cap, (const char *const[]){__VA_ARGS__, NULL})

static bool exists(const char *what, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, what[0] == 'n' ? "/run/netns/%s" : "/sys/class/net/%s", name);
    return access(path, F_OK) == 0;
}

bool cluster_pid_alive(pid_t pid, unsigned long long start)
{
    return pid > 0 && start && broker_proc_start(pid) == start;
}

/* Ends every process in namespace ns (ours: we made it) and removes it. */
static void remove_ns(const char *ns)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    if (access(path, F_OK) != 0) return;
    for (int round = 0; round < 50; round++) {
        char out[4096];
        const char *argv[] = {IP_PATH, "netns", "pids", ns, NULL};
        if (cluster_run(argv, NULL, NULL, out, sizeof out) != 0 || !out[0]) break;
        for (char *s = strtok(out, "\n"); s; s = strtok(NULL, "\n")) {
            long pid = strtol(s, NULL, 10);
            if (pid > 1 && pid != getpid()) kill((pid_t)pid, SIGKILL);
        }
        sleep_ns(100 * NS_PER_MS);
    }
    const char *argv[] = {IP_PATH, "netns", "delete", ns, NULL};
    cluster_run(argv, NULL, NULL, NULL, 0);
}

/* A process that is no cluster: one already exiting (a SIGKILLed beam
 * with a large heap takes a while to unmap it), or a helper of a dead node
 * (erl_child_setup, inet_gethost end when their pipe to beam closes, not
 * at once). */
static bool leftover(long pid, char *comm, size_t cap)
{
    char path[64], stat[512] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    snprintf(comm, cap, "?");
    FILE *f = fopen(path, "re");
    if (f && !fgets(stat, sizeof stat, f)) stat[0] = 0;
    if (f) fclose(f);
    char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    if (!open || !close || close < open) return true; /* gone already */
    snprintf(comm, cap, "%.*s", (int)(close - open - 1), open + 1);
    char state = 0;
    unsigned long flags = 0;
    /* after the comm: state ppid pgrp session tty_nr tpgid flags */
    if (sscanf(close + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2) return true;
    if (state == 'Z' || state == 'X' || (flags & 0x4)) return true; /* PF_EXITING */
    return !strcmp(comm, "erl_child_setup") || !strcmp(comm, "inet_gethost");
}

/* The lgc-n* namespaces that hold a process other than a dead node's
 * helpers, "lgc-n1 (12 beam.smp, 34 epmd), ..." in live; how many. A state
 * file can be lost (/run is a tmpfs, another user removed it): processes in
 * our namespaces are a cluster all the same. */
static int live_namespaces(char *live, size_t cap)
{
    int n = 0;
    live[0] = 0;
    for (int i = 1; i <= CLUSTER_MAX_NODES; i++) {
        char ns[24], out[512], procs[160] = "";
        snprintf(ns, sizeof ns, "lgc-n%d", i);
        if (!exists("netns", ns)) continue;
        const char *argv[] = {IP_PATH, "netns", "pids", ns, NULL};
        if (cluster_run(argv, NULL, NULL, out, sizeof out) != 0 || !out[0]) continue;
        bool alive = false;
        for (char *s = strtok(out, "\n"); s; s = strtok(NULL, "\n")) {
            long pid = strtol(s, NULL, 10);
            char comm[32];
            if (leftover(pid, comm, sizeof comm)) continue;
            size_t l = strlen(procs);
            snprintf(procs + l, sizeof procs - l, "%s%ld %s", alive ? ", " : "", pid, comm);
            alive = true;
        }
        if (!alive) continue;
        size_t l = strlen(live);
        snprintf(live + l, cap - l, "%s%s (%s)", n ? ", " : "", ns, procs);
        n++;
    }
    return n;
}

/* One cluster in namespaces per machine: the names (lgc-*) are fixed. The
 * lock is held by whoever starts one until it is stopped, or its process
 * ends (a detached `cluster start` hands over to the namespace check). */
static int take_lock(struct cluster *c, char *err, size_t cap)
{
    int fd = open("/run/loadgen-cluster.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return snprintf(err, cap, "/run/loadgen-cluster.lock: %s", strerror(errno)), -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return snprintf(err, cap, "another loadgen is starting or running a cluster in network namespaces (it "
                                  "holds /run/loadgen-cluster.lock): one cluster per machine"), -1;
    }
    c->locked = true;
    c->lock_fd = fd;
    return 0;
}

static void cluster_unlock(struct cluster *c)
{
    if (c->locked) close(c->lock_fd); /* closing releases the flock */
    c->locked = false;
}

/* Removes every lgc-* object: namespaces (with what runs in them), veths
 * and the bridge. */
static void teardown(int n)
{
    for (int i = 1; i <= CLUSTER_MAX_NODES || i <= n; i++) {
        char ns[16], veth[16];
        snprintf(ns, sizeof ns, "lgc-n%d", i);
        snprintf(veth, sizeof veth, "lgc-h%d", i);
        remove_ns(ns);
        if (exists("link", veth)) {
            const char *argv[] = {IP_PATH, "link", "delete", veth, NULL};
            cluster_run(argv, NULL, NULL, NULL, 0);
        }
    }
    if (exists("link", BRIDGE)) {
        const char *argv[] = {IP_PATH, "link", "delete", BRIDGE, NULL};
        cluster_run(argv, NULL, NULL, NULL, 0);
    }
}

static int make_network(int n, char *err, size_t cap)
{
    if (IP("link", "add", BRIDGE, "type", "bridge") || IP("addr", "add", SUBNET "254/24", "dev", BRIDGE) ||
        IP("link", "set", BRIDGE, "up"))
        return -1;
    for (int i = 1; i <= n; i++) {
        char ns[16], host[16], peer[16], addr[24];
        snprintf(ns, sizeof ns, "lgc-n%d", i);
        snprintf(host, sizeof host, "lgc-h%d", i);
        snprintf(peer, sizeof peer, "lgc-p%d", i);
        snprintf(addr, sizeof addr, SUBNET "%d/24", i);
        if (IP("netns", "add", ns) || IP("link", "add", host, "type", "veth", "peer", "name", peer) ||
            IP("link", "set", peer, "netns", ns) || IP("-n", ns, "link", "set", peer, "name", "eth0") ||
            IP("-n", ns, "addr", "add", addr, "dev", "eth0") || IP("-n", ns, "link", "set", "eth0", "up") ||
            IP("-n", ns, "link", "set", "lo", "up") || IP("link", "set", host, "master", BRIDGE) ||
            IP("link", "set", host, "up"))
            return -1;
    }
    return 0;
}

/* Node i's (1-based) names: namespace, address, Erlang name, dir, URI. */
static struct cluster_node *name_node(struct cluster *c, int i)
{
    struct cluster_node *nd = &c->nodes[i - 1];
    snprintf(nd->dir, sizeof nd->dir, "%s/n%d", c->dir, i);
    if (c->loopback) { /* ports from cluster_start or the state file */
        nd->ns[0] = 0;
        snprintf(nd->addr, sizeof nd->addr, "127.0.0.1");
        snprintf(nd->name, sizeof nd->name, "lgc%d-%d@localhost", i, nd->epmd_port);
        snprintf(nd->uri, sizeof nd->uri, "amqp://guest:guest@127.0.0.1:%d/%%2f", nd->port);
        return nd;
    }
    nd->port = 5672, nd->epmd_port = 4369;
    snprintf(nd->ns, sizeof nd->ns, "lgc-n%d", i);
    snprintf(nd->addr, sizeof nd->addr, SUBNET "%d", i);
    snprintf(nd->name, sizeof nd->name, "rabbit@" SUBNET "%d", i);
    snprintf(nd->dir, sizeof nd->dir, "%s/n%d", c->dir, i);
    snprintf(nd->uri, sizeof nd->uri, "amqp://guest:guest@" SUBNET "%d:5672/%%2f", i);
    return nd;
}

static int prepare_node(struct cluster *c, int i, const char *cookie, const char *extra, char *err, size_t cap)
{
    struct cluster_node *nd = name_node(c, i);
    char path[700], conf[5120];
    const char *sub[] = {"", "/home", "/mnesia", "/log"};
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s%s", nd->dir, sub[k]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST) goto fail;
    }
    snprintf(path, sizeof path, "%s/home/.erlang.cookie", nd->dir);
    if (file_write_new(path, cookie, 0400)) goto fail;
    snprintf(path, sizeof path, "%s/enabled_plugins", nd->dir);
    if (file_write_new(path, "[].\n", 0644)) goto fail;
    snprintf(path, sizeof path, "%s/rabbitmq-env.conf", nd->dir);
    if (file_write_new(path, "", 0644)) goto fail;
    /* clients come over the bridge: guest may log in from there */
    snprintf(conf, sizeof conf, "listeners.tcp.default = %s:%d\nloopback_users = none\nlog.console = false\n%s",
             nd->addr, nd->port, extra ? extra : "");
    snprintf(path, sizeof path, "%s/rabbitmq.conf", nd->dir);
    if (file_write_new(path, conf, 0644)) goto fail;
    return 0;
fail:
    return snprintf(err, cap, "cannot prepare %s: %s", path, strerror(errno)), -1;
}

/* A TCP connect to the node's AMQP port from the root namespace. */
bool cluster_listening(const struct cluster_node *nd)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)nd->port)};
    inet_pton(AF_INET, nd->addr, &a.sin_addr);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

pid_t cluster_spawn_node(struct cluster_node *nd, bool detach)
{
    char log[700];
    snprintf(log, sizeof log, "%s/log/console.log", nd->dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    const char *server[] = {SERVER_PATH, NULL};
    nd->pid = cluster_spawn(server, nd->ns, nd, fd, detach);
    if (fd >= 0) close(fd);
    nd->pid_start = broker_proc_start(nd->pid);
    nd->paused = false;
    return nd->pid;
}

static int boot(struct cluster *c, bool detach, char *err, size_t cap)
{
    for (int i = 0; i < c->n; i++) {
        struct cluster_node *nd = &c->nodes[i];
        char port[16];
        snprintf(port, sizeof port, "%d", nd->epmd_port);
        const char *epmd[] = {EPMD_PATH, "-address", nd->addr, "-port", port, NULL};
        if (c->loopback && i > 0) continue; /* one epmd on loopback, node 1's */
        nd->epmd_pid = cluster_spawn(epmd, nd->ns, nd, -1, detach);
        nd->epmd_start = broker_proc_start(nd->epmd_pid);
    }
    sleep_ns(200 * NS_PER_MS); /* epmd listening before the nodes register */
    for (int i = 0; i < c->n; i++) cluster_spawn_node(&c->nodes[i], detach);
    uint64_t deadline = clock_ns() + 120 * NS_PER_SEC;
    for (int i = 0; i < c->n; i++) {
        struct cluster_node *nd = &c->nodes[i];
        while (!cluster_listening(nd)) {
            if (proc_stop) return snprintf(err, cap, "interrupted while node %s was booting", nd->name), -1;
            if (!cluster_pid_alive(nd->pid, nd->pid_start)) {
                waitpid(nd->pid, NULL, WNOHANG);
                return snprintf(err, cap, "node %s exited during start (log: %s/log)", nd->name, nd->dir), -1;
            }
            if (clock_ns() > deadline) return snprintf(err, cap, "node %s did not start in 120 s", nd->name), -1;
            sleep_ns(100 * NS_PER_MS);
        }
    }
    char out[1024];
    for (int i = 2; i <= c->n; i++) {
        if (proc_stop) return snprintf(err, cap, "interrupted while joining the nodes"), -1;
        const char *stop[] = {"stop_app", NULL}, *join[] = {"join_cluster", c->nodes[0].name, NULL},
                   *start[] = {"start_app", NULL};
        if (cluster_ctl(c, i, stop, out, sizeof out, err, cap) || cluster_ctl(c, i, join, out, sizeof out, err, cap) ||
            cluster_ctl(c, i, start, out, sizeof out, err, cap))
            return -1;
    }
    /* start_app can return before the joined node's AMQP listener is back
     * (measured: connections refused just after a start): wait for it */
    deadline = clock_ns() + 60 * NS_PER_SEC;
    for (int i = 0; i < c->n; i++)
        while (!cluster_listening(&c->nodes[i])) {
            if (proc_stop) return snprintf(err, cap, "interrupted while the nodes were joining"), -1;
            if (clock_ns() > deadline)
                return snprintf(err, cap, "node %s does not serve AMQP after joining", c->nodes[i].name), -1;
            sleep_ns(100 * NS_PER_MS);
        }
    return 0;
}

int cluster_ctl(const struct cluster *c, int i, const char *const *args, char *out, size_t outcap, char *err,
                size_t cap)
{
    if (i < 1 || i > c->n) return snprintf(err, cap, "no node %d", i), -1;
    const struct cluster_node *nd = &c->nodes[i - 1];
    const char *argv[24] = {CTL_PATH, "-n", nd->name};
    int n = 3;
    for (int k = 0; args[k] && n < 23; k++) argv[n++] = args[k];
    argv[n] = NULL;
    int rc = cluster_run(argv, nd->ns, nd, out, outcap);
    if (rc == 0) return 0;
    const char *last = out ? strrchr(out, '\n') : NULL;
    return snprintf(err, cap, "rabbitmqctl %s on %s: %s", args[0], nd->name,
                    rc < 0 ? "no answer in 60 s" : last ? last + 1 : out ? out : "failed"), -1;
}

int cluster_alive(const struct cluster *c)
{
    int n = 0;
    for (int i = 0; i < c->n; i++) n += cluster_pid_alive(c->nodes[i].pid, c->nodes[i].pid_start);
    return n;
}

/* One cluster in namespaces per machine: the lock, then a running cluster
 * refused (by its state file, or by processes in lgc-* namespaces when the
 * file is gone) and the leftovers of a dead one removed. 0 with the lock
 * held, or EXIT_USAGE. */
static int claim_machine(struct cluster *c, char *err, size_t cap)
{
    if (take_lock(c, err, cap)) return EXIT_USAGE;
    if (!exists("link", BRIDGE) && !exists("netns", "lgc-n1")) return 0;
    char state[600] = "", live[800], e2[256];
    FILE *f = fopen("/run/loadgen-cluster", "re");
    if (f && fgets(state, sizeof state, f)) state[strcspn(state, "\n")] = 0;
    if (f) fclose(f);
    struct cluster old;
    int refused = 0;
    if (state[0] && cluster_load(&old, state, e2, sizeof e2) == 0 && cluster_alive(&old))
        refused = snprintf(err, cap, "a cluster is running (loadgen cluster stop --dir %s)", state);
    else if (live_namespaces(live, sizeof live))
        refused = snprintf(err, cap, "a cluster is running without its state file: namespaces %s; stop it with "
                           "`loadgen cluster stop --dir DIR` (its data dir), or end those processes first", live);
    if (refused) {
        cluster_unlock(c);
        return EXIT_USAGE;
    }
    log_info("removing the leftovers of a cluster that is gone");
    teardown(CLUSTER_MAX_NODES);
    return 0;
}

/* cluster_start once the machine is claimed: ports, dir, cookie, network,
 * nodes. On failure after the network exists, cluster_stop removes it. */
static int start_claimed(struct cluster *c, const struct cluster_opts *o, char *err, size_t cap)
{
    int n = o->nodes;
    const char *dir = o->dir;
    if (c->loopback) {
        int epmd = broker_free_port();
        for (int i = 0; i < n; i++) {
            c->nodes[i].epmd_port = epmd;
            c->nodes[i].port = broker_free_port();
            c->nodes[i].dist_port = broker_free_port();
            if (epmd <= 0 || c->nodes[i].port <= 0 || c->nodes[i].dist_port <= 0)
                return snprintf(err, cap, "cannot find free loopback ports"), EXIT_BROKER;
        }
    }
    c->n = n;
    if (dir) {
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return snprintf(err, cap, "%s: %s", dir, strerror(errno)), EXIT_USAGE;
        if (broker_dir_check(dir, err, cap)) return EXIT_USAGE;
        str_copy(c->dir, sizeof c->dir, dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(c->dir, sizeof c->dir, "%s/loadgen-cluster-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(c->dir)) return snprintf(err, cap, "mkdtemp: %s", strerror(errno)), EXIT_BROKER;
        c->owns_dir = true;
    }
    /* one random cookie for all nodes: 48 capital letters from getrandom */
    unsigned char rnd[24];
    char cookie[49];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return snprintf(err, cap, "getrandom failed"), EXIT_BROKER;
    for (size_t i = 0; i < sizeof rnd; i++)
        cookie[2 * i] = (char)('A' + (rnd[i] >> 4)), cookie[2 * i + 1] = (char)('A' + (rnd[i] & 15));
    cookie[48] = 0;
    int rc = c->loopback ? 0 : make_network(n, err, cap);
    for (int i = 1; !rc && i <= n; i++) rc = prepare_node(c, i, cookie, o->conf, err, cap);
    if (!rc && c->loopback) rc = cluster_save(c);
    else if (!rc) {
        char path[600];
        snprintf(path, sizeof path, "%s\n", c->dir);
        unlink("/run/loadgen-cluster");
        rc = file_write_new("/run/loadgen-cluster", path, 0600) || cluster_save(c);
        if (rc) snprintf(err, cap, "cannot write the cluster's state: %s", strerror(errno));
    }
    if (!rc) rc = boot(c, c->detach, err, cap);
    if (!rc) rc = cluster_save(c);
    if (rc) {
        char e2[128];
        cluster_stop(c, e2, sizeof e2);
        return proc_stop ? EXIT_INTERRUPTED : EXIT_BROKER;
    }
    return EXIT_OK;
}

int cluster_start(struct cluster *c, const struct cluster_opts *o, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    c->detach = o->detach;
    c->loopback = o->loopback;
    if (o->nodes < 1 || o->nodes > CLUSTER_MAX_NODES)
        return snprintf(err, cap, "--nodes: 1 to %d", CLUSTER_MAX_NODES), EXIT_USAGE;
    if (!c->loopback && geteuid() != 0)
        return snprintf(err, cap, "a cluster in network namespaces needs root (ip netns, bridges); without root use "
                                  "a loopback cluster (--loopback, broker.network: loopback), which has no network "
                                  "faults"), EXIT_BROKER;
    if (!c->loopback && access(IP_PATH, X_OK) != 0)
        return snprintf(err, cap, "%s not found (Debian's iproute2)", IP_PATH), EXIT_BROKER;
    int rc = c->loopback ? 0 : claim_machine(c, err, cap);
    if (!rc && (rc = start_claimed(c, o, err, cap))) cluster_unlock(c);
    return rc;
}

static void end_pid(pid_t pid, unsigned long long start, int sig)
{
    if (cluster_pid_alive(pid, start)) kill(pid, sig);
}

int cluster_stop(struct cluster *c, char *err, size_t cap)
{
    (void)err, (void)cap;
    for (int i = 0; i < CLUSTER_MAX_NODES; i++) { /* delay threads leave the namespaces first */
        cluster_delay_stop(c->delay[i], NULL, NULL);
        c->delay[i] = NULL;
    }
    for (int i = 0; i < c->n; i++) end_pid(c->nodes[i].pid, c->nodes[i].pid_start, SIGTERM);
    uint64_t deadline = clock_ns() + 30 * NS_PER_SEC;
    while (cluster_alive(c) && clock_ns() < deadline) {
        for (int i = 0; i < c->n; i++) waitpid(c->nodes[i].pid, NULL, WNOHANG);
        sleep_ns(100 * NS_PER_MS);
    }
    for (int i = 0; i < c->n; i++) {
        end_pid(c->nodes[i].pid, c->nodes[i].pid_start, SIGKILL);
        end_pid(c->nodes[i].epmd_pid, c->nodes[i].epmd_start, SIGKILL);
        waitpid(c->nodes[i].pid, NULL, WNOHANG);
        waitpid(c->nodes[i].epmd_pid, NULL, WNOHANG);
    }
    if (!c->loopback) {
        teardown(c->n);
        unlink("/run/loadgen-cluster");
    }
    if (c->owns_dir) rm_tree(c->dir);
    cluster_unlock(c);
    return 0;
}

int cluster_save(const struct cluster *c)
{
    json_t *nodes = json_array();
    for (int i = 0; i < c->n; i++) {
        const struct cluster_node *nd = &c->nodes[i];
        json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:i, s:i}", "ns", nd->ns,
                                               "addr", nd->addr, "name", nd->name, "uri", nd->uri, "pid",
                                               (json_int_t)nd->pid, "pid_start", (json_int_t)nd->pid_start,
                                               "epmd_pid", (json_int_t)nd->epmd_pid, "epmd_start",
                                               (json_int_t)nd->epmd_start, "port", nd->port, "dist_port",
                                               nd->dist_port, "epmd_port", nd->epmd_port));
    }
    json_t *j = json_pack("{s:s, s:b, s:b, s:o}", "dir", c->dir, "owns_dir", c->owns_dir, "loopback", c->loopback,
                          "nodes", nodes);
    char path[600];
    snprintf(path, sizeof path, "%s/cluster.json", c->dir);
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    int rc = text ? file_replace(path, text, 0600) : -1;
    free(text);
    return rc;
}

int cluster_load(struct cluster *c, const char *dir, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    char path[600];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je), *nodes = json_object_get(j, "nodes");
    if (!j || !json_is_array(nodes) || json_array_size(nodes) < 1 || json_array_size(nodes) > CLUSTER_MAX_NODES) {
        json_decref(j);
        return snprintf(err, cap, "%s: no cluster state (%s)", path, j ? "bad nodes" : je.text), -1;
    }
    str_copy(c->dir, sizeof c->dir, dir);
    c->owns_dir = json_is_true(json_object_get(j, "owns_dir"));
    c->loopback = json_is_true(json_object_get(j, "loopback"));
    c->n = (int)json_array_size(nodes);
    for (int i = 0; i < c->n; i++) {
        struct cluster_node *nd = &c->nodes[i];
        json_t *o = json_array_get(nodes, (size_t)i);
        /* names come from the index, not the file: a tampered state file
         * cannot point us at another namespace (a loopback node's ports do) */
        if (c->loopback) {
            nd->port = (int)json_integer_value(json_object_get(o, "port"));
            nd->dist_port = (int)json_integer_value(json_object_get(o, "dist_port"));
            nd->epmd_port = (int)json_integer_value(json_object_get(o, "epmd_port"));
        }
        name_node(c, i + 1);
        nd->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        nd->pid_start = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
        nd->epmd_pid = (pid_t)json_integer_value(json_object_get(o, "epmd_pid"));
        nd->epmd_start = (unsigned long long)json_integer_value(json_object_get(o, "epmd_start"));
    }
    json_decref(j);
    return 0;
}
