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
          "  loss --node N --percent P [--peer M|clients]   drop P%% of the packets on\n"
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
        if (*end || n < 1 || n > c->n) return snprintf(err, cap, "--isolate '%s': a node from 1 to %d", isolate, c->n), -1;
        for (int i = 0; i < c->n; i++) group[i] = i + 1 == n;
        return 0;
    }
    int g = 0;
    for (const char *p = groups; *p;) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 1 || n > c->n) return snprintf(err, cap, "--groups '%s': node numbers 1 to %d", groups, c->n), -1;
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

int cmd_cluster(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"nodes", required_argument, NULL, 'n'}, {"dir", required_argument, NULL, 'd'},
        {"groups", required_argument, NULL, 'g'}, {"isolate", required_argument, NULL, 'i'},
        {"node", required_argument, NULL, 'N'}, {"percent", required_argument, NULL, 'p'},
        {"peer", required_argument, NULL, 'P'}, {"rate", required_argument, NULL, 'R'},
        {"latency", required_argument, NULL, 'L'}, {"jitter", required_argument, NULL, 'J'},
        {"for", required_argument, NULL, 'F'}, {"loopback", no_argument, NULL, 'l'}, {"partition-handling", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && !strcmp(argv[1], "--help");
        usage(help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    const char *action = argv[1], *dir = NULL, *groups = NULL, *isolate = NULL, *handling = NULL;
    int nodes = 3, only = 0, peer = -1, c;
    bool loopback = false;
    double percent = 0;
    uint64_t bits = 0, latency = 0, jitter = 0, for_ns = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            nodes = (int)strtol(optarg, &end, 10);
            if (*end || nodes < 1 || nodes > CLUSTER_MAX_NODES) {
                log_err("cluster: --nodes '%s': a number from 1 to %d", optarg, CLUSTER_MAX_NODES);
                return EXIT_USAGE;
            }
            break;
        case 'd': dir = optarg; break;
        case 'l': loopback = true; break;
        case 'g': groups = optarg; break;
        case 'N': only = atoi(optarg); break;
        case 'i': isolate = optarg; break;
        case 'p': percent = strtod(optarg, &end); break;
        case 'L':
        case 'J':
        case 'F':
            if (units_duration(optarg, c == 'L' ? &latency : c == 'J' ? &jitter : &for_ns)) {
                log_err("cluster: '%s' is not a duration (e.g. 100ms)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'R':
            if (units_bitrate(optarg, &bits)) {
                log_err("cluster: --rate '%s': 8kbit to 100gbit (e.g. 500kbit, 10mbit)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'P': peer = !strcmp(optarg, "clients") ? 0 : atoi(optarg); break;
        case 'H':
            if (strcmp(optarg, "pause_minority") && strcmp(optarg, "autoheal") && strcmp(optarg, "ignore")) {
                log_err("cluster: --partition-handling '%s': pause_minority, autoheal or ignore", optarg);
                return EXIT_USAGE;
            }
            handling = optarg;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    struct cluster cl;
    char err[1024];
    if (!strcmp(action, "start")) {
        uint64_t t0 = clock_ns();
        char conf[128] = "";
        if (handling) snprintf(conf, sizeof conf, "cluster_partition_handling = %s\n", handling);
        struct cluster_opts co = {.nodes = nodes, .dir = dir, .conf = conf, .detach = true, .loopback = loopback};
        if (cluster_start(&cl, &co, err, sizeof err)) {
            log_err("cluster: %s", err);
            return EXIT_BROKER;
        }
        log_note("%d nodes up and joined in %.1f s; data in %s", nodes, (double)(clock_ns() - t0) / 1e9, cl.dir);
        for (int i = 0; i < cl.n; i++) printf("%s\n", cl.nodes[i].uri);
        if (loopback) log_note("a loopback cluster: give --dir %s to status, node-* and stop", cl.dir);
        return EXIT_OK;
    }
    if (!strcmp(action, "stop")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        cluster_stop(&cl, err, sizeof err);
        log_note("cluster stopped%s", cl.loopback ? "" : "; namespaces, veths and bridge removed");
        return EXIT_OK;
    }
    if (!strcmp(action, "status")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        printf("%d of %d nodes running\n", cluster_alive(&cl), cl.n);
        for (int i = 1; i <= cl.n; i++) {
            if (only && i != only) continue;
            char out[8192];
            const char *args[] = {"cluster_status", "--formatter", "json", NULL};
            if (cluster_ctl(&cl, i, args, out, sizeof out, err, sizeof err)) {
                printf("%s: %s\n", cl.nodes[i - 1].name, err);
                continue;
            }
            /* the node's own view: who runs, who it cannot reach */
            const char *js = strchr(out, '{');
            json_t *j = js ? json_loads(js, 0, NULL) : NULL, *run = json_object_get(j, "running_nodes"),
                   *parts = json_object_get(j, "partitions"), *v;
            size_t k;
            printf("%s: running", cl.nodes[i - 1].name);
            json_array_foreach(run, k, v) printf(" %s", json_string_value(v));
            printf("; partitions: %s\n", json_object_size(parts) ? "" : "none");
            const char *who;
            json_object_foreach(parts, who, v) {
                printf("  %s cannot reach", who);
                json_array_foreach(v, k, run) printf(" %s", json_string_value(run));
                printf("\n");
            }
            if (!j) printf("%s: unreadable cluster_status: %.200s\n", cl.nodes[i - 1].name, out);
            json_decref(j);
        }
        return EXIT_OK;
    }
    if (!strcmp(action, "partition") || !strcmp(action, "heal")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        if (!strcmp(action, "heal")) {
            if (cluster_heal(&cl, err, sizeof err)) {
                log_err("cluster: %s", err);
                return EXIT_BROKER;
            }
            log_note("partition healed");
            return EXIT_OK;
        }
        int group[CLUSTER_MAX_NODES];
        if (parse_groups(&cl, groups, isolate, group, err, sizeof err)) {
            log_err("cluster partition: %s", err);
            return EXIT_USAGE;
        }
        if (cluster_partition(&cl, group, err, sizeof err) || cluster_partition_check(&cl, group, err, sizeof err)) {
            log_err("cluster: %s", err);
            return EXIT_BROKER;
        }
        log_note("partitioned (verified: no node reaches one on another side)");
        return EXIT_OK;
    }
    if (!strcmp(action, "loss") || !strcmp(action, "unloss")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        if (action[0] == 'l') {
            if (cluster_loss(&cl, only, percent, peer, err, sizeof err)) {
                log_err("cluster loss: %s", err);
                return EXIT_USAGE;
            }
            return EXIT_OK;
        }
        uint64_t seen = 0, dropped = 0;
        if (cluster_unloss(&cl, &seen, &dropped, err, sizeof err)) {
            log_err("cluster: %s", err);
            return EXIT_BROKER;
        }
        printf("loss removed: the rules saw %llu packets and dropped %llu (%.1f%%)\n", (unsigned long long)seen,
               (unsigned long long)dropped, seen ? 100.0 * (double)dropped / (double)seen : 0.0);
        return EXIT_OK;
    }
    if (!strcmp(action, "delay")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        if (!latency || !for_ns || jitter > latency || latency > 10 * NS_PER_SEC) {
            log_err("cluster delay: give --latency (at most 10s), --for, and a --jitter not above the latency");
            return EXIT_USAGE;
        }
        if (cluster_delay(&cl, only, latency, jitter, peer, err, sizeof err)) {
            log_err("cluster delay: %s", err);
            cluster_undelay(&cl, NULL, NULL, err, sizeof err);
            return EXIT_USAGE;
        }
        uint64_t until = clock_ns() + for_ns;
        while (!proc_stop && clock_ns() < until) sleep_ns(50 * NS_PER_MS);
        uint64_t held = 0, hold_ns = 0;
        int rc = cluster_undelay(&cl, &held, &hold_ns, err, sizeof err);
        printf("delay removed: held %llu packets, %.2f ms each on average\n", (unsigned long long)held,
               held ? (double)hold_ns / (double)held / 1e6 : 0.0);
        if (rc) log_err("cluster delay: %s", err);
        return rc ? EXIT_BROKER : EXIT_OK;
    }
    if (!strcmp(action, "bandwidth") || !strcmp(action, "unbandwidth")) {
        if (load(&cl, dir)) return EXIT_USAGE;
        uint64_t bytes = 0;
        if (action[0] == 'b' ? cluster_bandwidth(&cl, only, bits, err, sizeof err)
                             : cluster_unbandwidth(&cl, &bytes, err, sizeof err)) {
            log_err("cluster %s: %s", action, err);
            return action[0] == 'b' ? EXIT_USAGE : EXIT_BROKER;
        }
        if (action[0] == 'u') printf("limits removed: %llu bytes went through them\n", (unsigned long long)bytes);
        return EXIT_OK;
    }
    static const char *const node_actions[] = {"node-kill", "node-stop", "node-start", "node-pause", "node-resume",
                                               NULL};
    for (int k = 0; node_actions[k]; k++) {
        if (strcmp(action, node_actions[k])) continue;
        if (load(&cl, dir)) return EXIT_USAGE;
        cl.detach = true; /* a node booted by this command outlives it */
        int (*fn[])(struct cluster *, int, char *, size_t) = {cluster_node_kill, cluster_node_stop,
                                                              cluster_node_start, cluster_node_pause,
                                                              cluster_node_resume};
        if (fn[k](&cl, only, err, sizeof err)) {
            log_err("cluster %s: %s", action, err);
            return EXIT_BROKER;
        }
        return EXIT_OK;
    }
    log_err("cluster: unknown action '%s'", action);
    usage(stderr);
    return EXIT_USAGE;
}
