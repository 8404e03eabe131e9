/* `loadgen cluster ...`: a RabbitMQ cluster in network namespaces by hand
 * (cluster.h), for users and tests. */
#include "cli.h"
#include "cluster.h"
#include "units.h"
#include "util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: loadgen cluster <action> [options]\n"
          "\n"
          "actions (as root: network namespaces and a bridge, 10.77.0.0/24):\n"
          "  start    boot N detached nodes, each in its own namespace (10.77.0.N), join\n"
          "           them into one cluster, print one AMQP URI per node\n"
          "  status   the nodes' own view: running nodes and partitions (rabbitmqctl);\n"
          "           --node N: node N's only\n"
          "  stop     stop every node and remove the namespaces, veths and bridge\n"
          "  partition --groups 1/2,3   cut the nodes of different groups off from each\n"
          "           other (iptables DROP in their namespaces, both ways); clients still\n"
          "           reach every node. --isolate N: N alone against the rest\n"
          "  heal     remove the partition\n"
          "  loss --node N --percent P [--peer M|clients]   drop P% of the packets on\n"
          "           node N's links (each direction), or only those to/from node M or the\n"
          "           clients; adds to the loss already set\n"
          "  unloss   remove all loss; prints the packets the rules saw and dropped\n"
          "  delay --node N --latency L [--jitter J] [--peer M|clients] --for D   hold\n"
          "           node N's packets L +- J each way, in order, for D (in the foreground:\n"
          "           the delay is a thread of this command); prints what it held\n"
          "  bandwidth --node N --rate R   limit node N's links to R each way (tc TBF; e.g.\n"
          "           1mbit); unbandwidth removes every limit\n"
          "  node-kill|node-stop|node-start|node-pause|node-resume --node N   a node\n"
          "           fault: SIGKILL, SIGTERM, boot again (it rejoins), SIGSTOP, SIGCONT\n"
          "\n"
          "options:\n"
          "  --nodes N        nodes to start (1-5, default 3)\n"
          "  --partition-handling M   pause_minority, autoheal or ignore (RabbitMQ's default)\n"
          "  --loopback       no namespaces (no root needed): nodes on 127.0.0.1 ports of their\n"
          "                   own; node faults work, network faults do not\n"
          "  --dir DIR        data dirs and state file (default: a temp dir, removed by stop;\n"
          "                   status and stop find it in /run/loadgen-cluster)\n",
          f);
}

static int load(struct cluster *c, const char *dir)
{
    char path[600] = "", err[512];
    if (!dir) {
        FILE *f = fopen("/run/loadgen-cluster", "re");
        if (f && fgets(path, sizeof path, f)) path[strcspn(path, "\n")] = 0;
        if (f) fclose(f);
        if (!path[0]) {
            log_err("cluster: no cluster is running (no /run/loadgen-cluster)");
            return -1;
        }
        dir = path;
    }
    if (cluster_load(c, dir, err, sizeof err)) {
        log_err("cluster: %s", err);
        return -1;
    }
    return 0;
}

/* "1/2,3" (groups by '/', nodes by ','), or --isolate N; every node must
 * be in exactly one group. */
static int parse_groups(const struct cluster *c, const char *groups, const char *isolate, int *group, char *err,
                        size_t cap)
{
    if (!groups == !isolate) return snprintf(err, cap, "give --groups 1/2,3 or --isolate N"), -1;
    for (int i = 0; i < c->n; i++) group[i] = -1;
    if (isolate) {
        char *end;
        long n = strtol(isolate, &end, 10);
        if (*end || n < 1 || n > c->n)
            return snprintf(err, cap, "--isolate '%s': a node from 1 to %d", isolate, c->n), -1;
        for (int i = 0; i < c->n; i++) group[i] = i + 1 == n;
        return 0;
    }
    int g = 0;
    for (const char *p = groups; *p;) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > c->n)
            return snprintf(err, cap, "--groups '%s': node numbers 1 to %d", groups, c->n), -1;
        if (group[n - 1] >= 0) return snprintf(err, cap, "--groups '%s': node %ld twice", groups, n), -1;
        group[n - 1] = g;
        if (*end == '/') g++;
        else if (*end && *end != ',') return snprintf(err, cap, "--groups '%s': use 1/2,3", groups), -1;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < c->n; i++)
        if (group[i] < 0) return snprintf(err, cap, "--groups '%s': node %d is in no group", groups, i + 1), -1;
    return 0;
}

/* The command's options, for every action. */
struct args {
    const char *action, *dir, *groups, *isolate, *handling;
    int nodes, only, peer;
    bool loopback;
    double percent;
    uint64_t bits, latency, jitter, for_ns;
    struct cluster cl; /* the cluster the state file names, once loaded */
    char err[1024];
};

/* EXIT_OK to go on, or the exit code (-1: --help, done). */
static int parse_args(struct args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"nodes", required_argument, NULL, 'n'}, {"dir", required_argument, NULL, 'd'},
        {"groups", required_argument, NULL, 'g'}, {"isolate", required_argument, NULL, 'i'},
        {"node", required_argument, NULL, 'N'}, {"percent", required_argument, NULL, 'p'},
        {"peer", required_argument, NULL, 'P'}, {"rate", required_argument, NULL, 'R'},
        {"latency", required_argument, NULL, 'L'}, {"jitter", required_argument, NULL, 'J'},
        {"for", required_argument, NULL, 'F'}, {"loopback", no_argument, NULL, 'l'},
        {"partition-handling", required_argument, NULL, 'H'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            a->nodes = (int)strtol(optarg, &end, 10);
            if (*end || a->nodes < 1 || a->nodes > CLUSTER_MAX_NODES) {
                log_err("cluster: --nodes '%s': a number from 1 to %d", optarg, CLUSTER_MAX_NODES);
                return EXIT_USAGE;
            }
            break;
        case 'd': a->dir = optarg; break;
        case 'l': a->loopback = true; break;
        case 'g': a->groups = optarg; break;
        case 'N': a->only = atoi(optarg); break;
        case 'i': a->isolate = optarg; break;
        case 'p': a->percent = strtod(optarg, &end); break;
        case 'L':
        case 'J':
        case 'F':
            if (units_duration(optarg, c == 'L' ? &a->latency : c == 'J' ? &a->jitter : &a->for_ns)) {
                log_err("cluster: '%s' is not a duration (e.g. 100ms)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'R':
            if (units_bitrate(optarg, &a->bits)) {
                log_err("cluster: --rate '%s': 8kbit to 100gbit (e.g. 500kbit, 10mbit)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'P': a->peer = !strcmp(optarg, "clients") ? 0 : atoi(optarg); break;
        case 'H':
            if (strcmp(optarg, "pause_minority") && strcmp(optarg, "autoheal") && strcmp(optarg, "ignore")) {
                log_err("cluster: --partition-handling '%s': pause_minority, autoheal or ignore", optarg);
                return EXIT_USAGE;
            }
            a->handling = optarg;
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int act_start(struct args *a)
{
    uint64_t t0 = clock_ns();
    char conf[128] = "";
    if (a->handling) snprintf(conf, sizeof conf, "cluster_partition_handling = %s\n", a->handling);
    struct cluster_opts co = {.nodes = a->nodes, .dir = a->dir, .conf = conf, .detach = true, .loopback = a->loopback};
    int rc = cluster_start(&a->cl, &co, a->err, sizeof a->err);
    if (rc) {
        log_err("cluster: %s", a->err);
        return rc;
    }
    log_note("%d nodes up and joined in %.1f s; data in %s", a->nodes, (double)(clock_ns() - t0) / 1e9, a->cl.dir);
    for (int i = 0; i < a->cl.n; i++) printf("%s\n", a->cl.nodes[i].uri);
    if (a->loopback) log_note("a loopback cluster: give --dir %s to status, node-* and stop", a->cl.dir);
    return EXIT_OK;
}

static int act_stop(struct args *a)
{
    cluster_stop(&a->cl, a->err, sizeof a->err);
    log_note("cluster stopped%s", a->cl.loopback ? "" : "; namespaces, veths and bridge removed");
    return EXIT_OK;
}

/* Each node's own view: who runs, who it cannot reach. */
static void node_status(struct args *a, int i)
{
    struct cluster *cl = &a->cl;
    char out[8192];
    const char *argv[] = {"cluster_status", "--formatter", "json", NULL};
    if (cluster_ctl(cl, i, argv, out, sizeof out, a->err, sizeof a->err)) {
        printf("%s: %s\n", cl->nodes[i - 1].name, a->err);
        return;
    }
    const char *js = strchr(out, '{');
    json_t *j = js ? json_loads(js, 0, NULL) : NULL, *run = json_object_get(j, "running_nodes"),
           *parts = json_object_get(j, "partitions"), *v;
    size_t k;
    printf("%s: running", cl->nodes[i - 1].name);
    json_array_foreach(run, k, v) printf(" %s", json_string_value(v));
    printf("; partitions: %s\n", json_object_size(parts) ? "" : "none");
    const char *who;
    json_object_foreach(parts, who, v) {
        printf("  %s cannot reach", who);
        json_array_foreach(v, k, run) printf(" %s", json_string_value(run));
        printf("\n");
    }
    if (!j) printf("%s: unreadable cluster_status: %.200s\n", cl->nodes[i - 1].name, out);
    json_decref(j);
}

static int act_status(struct args *a)
{
    printf("%d of %d nodes running\n", cluster_alive(&a->cl), a->cl.n);
    for (int i = 1; i <= a->cl.n; i++)
        if (!a->only || i == a->only) node_status(a, i);
    return EXIT_OK;
}

static int act_heal(struct args *a)
{
    if (cluster_heal(&a->cl, a->err, sizeof a->err)) {
        log_err("cluster: %s", a->err);
        return EXIT_BROKER;
    }
    log_note("partition healed");
    return EXIT_OK;
}

static int act_partition(struct args *a)
{
    int group[CLUSTER_MAX_NODES];
    if (parse_groups(&a->cl, a->groups, a->isolate, group, a->err, sizeof a->err)) {
        log_err("cluster partition: %s", a->err);
        return EXIT_USAGE;
    }
    if (cluster_partition(&a->cl, group, a->err, sizeof a->err) ||
        cluster_partition_check(&a->cl, group, a->err, sizeof a->err)) {
        log_err("cluster: %s", a->err);
        return EXIT_BROKER;
    }
    log_note("partitioned (verified: no node reaches one on another side)");
    return EXIT_OK;
}

static int act_loss(struct args *a)
{
    if (cluster_loss(&a->cl, a->only, a->percent, a->peer, a->err, sizeof a->err)) {
        log_err("cluster loss: %s", a->err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int act_unloss(struct args *a)
{
    uint64_t seen = 0, dropped = 0;
    if (cluster_unloss(&a->cl, &seen, &dropped, a->err, sizeof a->err)) {
        log_err("cluster: %s", a->err);
        return EXIT_BROKER;
    }
    printf("loss removed: the rules saw %llu packets and dropped %llu (%.1f%%)\n", (unsigned long long)seen,
           (unsigned long long)dropped, seen ? 100.0 * (double)dropped / (double)seen : 0.0);
    return EXIT_OK;
}

/* Held for --for, then removed: the delay lives in this process's NFQUEUE thread. */
static int act_delay(struct args *a)
{
    if (!a->latency || !a->for_ns || a->jitter > a->latency || a->latency > 10 * NS_PER_SEC) {
        log_err("cluster delay: give --latency (at most 10s), --for, and a --jitter not above the latency");
        return EXIT_USAGE;
    }
    if (cluster_delay(&a->cl, a->only, a->latency, a->jitter, a->peer, a->err, sizeof a->err)) {
        log_err("cluster delay: %s", a->err);
        cluster_undelay(&a->cl, NULL, NULL, a->err, sizeof a->err);
        return EXIT_USAGE;
    }
    uint64_t until = clock_ns() + a->for_ns;
    while (!proc_stop && clock_ns() < until) sleep_ns(50 * NS_PER_MS);
    uint64_t held = 0, hold_ns = 0;
    int rc = cluster_undelay(&a->cl, &held, &hold_ns, a->err, sizeof a->err);
    printf("delay removed: held %llu packets, %.2f ms each on average\n", (unsigned long long)held,
           held ? (double)hold_ns / (double)held / 1e6 : 0.0);
    if (rc) log_err("cluster delay: %s", a->err);
    return rc ? EXIT_BROKER : EXIT_OK;
}

static int act_bandwidth(struct args *a)
{
    if (cluster_bandwidth(&a->cl, a->only, a->bits, a->err, sizeof a->err)) {
        log_err("cluster bandwidth: %s", a->err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int act_unbandwidth(struct args *a)
{
    uint64_t bytes = 0;
    if (cluster_unbandwidth(&a->cl, &bytes, a->err, sizeof a->err)) {
        log_err("cluster unbandwidth: %s", a->err);
        return EXIT_BROKER;
    }
    printf("limits removed: %llu bytes went through them\n", (unsigned long long)bytes);
    return EXIT_OK;
}

/* node-*: on --node; a node booted by this command outlives it. */
static int act_node(struct args *a, int (*fn)(struct cluster *, int, char *, size_t))
{
    a->cl.detach = true;
    if (fn(&a->cl, a->only, a->err, sizeof a->err)) {
        log_err("cluster %s: %s", a->action, a->err);
        return EXIT_BROKER;
    }
    return EXIT_OK;
}

static int act_node_kill(struct args *a) { return act_node(a, cluster_node_kill); }
static int act_node_stop(struct args *a) { return act_node(a, cluster_node_stop); }
static int act_node_start(struct args *a) { return act_node(a, cluster_node_start); }
static int act_node_pause(struct args *a) { return act_node(a, cluster_node_pause); }
static int act_node_resume(struct args *a) { return act_node(a, cluster_node_resume); }

/* Every action but start acts on the cluster the state file (or --dir) names. */
static const struct {
    const char *name;
    int (*run)(struct args *a);
    bool loads;
} actions[] = {
    {"start", act_start, false}, {"stop", act_stop, true}, {"status", act_status, true},
    {"partition", act_partition, true}, {"heal", act_heal, true}, {"loss", act_loss, true},
    {"unloss", act_unloss, true}, {"delay", act_delay, true}, {"bandwidth", act_bandwidth, true},
    {"unbandwidth", act_unbandwidth, true}, {"node-kill", act_node_kill, true}, {"node-stop", act_node_stop, true},
    {"node-start", act_node_start, true}, {"node-pause", act_node_pause, true},
    {"node-resume", act_node_resume, true},
};

int cmd_cluster(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && !strcmp(argv[1], "--help");
        usage(help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    struct args *a = xcalloc(1, sizeof *a);
    a->action = argv[1], a->nodes = 3, a->peer = -1;
    int rc = parse_args(a, argc, argv);
    if (rc != EXIT_OK) {
        free(a);
        return rc < 0 ? EXIT_OK : rc;
    }
    rc = -1;
    for (size_t k = 0; rc < 0 && k < sizeof actions / sizeof actions[0]; k++)
        if (!strcmp(a->action, actions[k].name))
            rc = actions[k].loads && load(&a->cl, a->dir) ? EXIT_USAGE : actions[k].run(a);
    if (rc < 0) {
        log_err("cluster: unknown action '%s'", a->action);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    free(a);
    return rc;
}
