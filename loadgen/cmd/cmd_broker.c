/* `loadgen broker ...`: the embedded node by hand, for users and tests. */
#include "broker.h"
#include "cli.h"
#include "units.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: loadgen broker <action> [options]\n"
          "\n"
          "actions:\n"
          "  start    start a detached node, print its AMQP URI (state kept in --dir)\n"
          "  run      start a node in the foreground until Ctrl-C, then stop it\n"
          "  stop     graceful stop (SIGTERM), then SIGKILL after 30 s\n"
          "  kill     SIGKILL the node's beam process (data kept)\n"
          "  restart  start the node again on the same data, name and ports\n"
          "  pause    SIGSTOP the node          resume   SIGCONT it\n"
          "  status   print running/paused/stopped and the URI\n"
          "\n"
          "options:\n"
          "  --dir DIR        data dir and state file (default: $XDG_RUNTIME_DIR/loadgen-broker,\n"
          "                   else ${TMPDIR:-/tmp}/loadgen-UID/broker, removed by stop;\n"
          "                   `run` without --dir uses a temp dir)\n"
          "  --port N         AMQP port on 127.0.0.1 (default: a free one)\n"
          "  --server PATH    rabbitmq-server script (default " BROKER_DEFAULT_SERVER ")\n"
          "  --timeout DUR    start timeout (default 90s)\n"
          "  --tls            also a TLS listener with a throwaway CA: start prints its\n"
          "                   amqps:// URI; DIR/tls holds ca.pem, client.pem, client.key\n"
          "  --management     enable rabbitmq_management on a free loopback port: start\n"
          "                   prints its http:// URL on a second line (for --management URL)\n",
          f);
}

/* The options after the action into o: EXIT_OK, or the exit code (-1: --help). */
static int parse_opts(const char *action, int argc, char **argv, struct broker_opts *o)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},    {"port", required_argument, NULL, 'p'},
        {"server", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
        {"tls", no_argument, NULL, 'T'},          {"help", no_argument, NULL, 'h'},
        {"management", no_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 's': o->server = optarg; break;
        case 'p':
            if (units_count(optarg, &v) || v == 0 || v > 65535) {
                log_err("--port: '%s' is not a port number (1-65535)", optarg);
                return EXIT_USAGE;
            }
            o->amqp_port = (int)v;
            break;
        case 't':
            if (units_duration(optarg, &v) || v < NS_PER_SEC) {
                log_err("--timeout: '%s' is not a duration of at least 1s", optarg);
                return EXIT_USAGE;
            }
            o->start_timeout_ms = (int)(v / NS_PER_MS);
            break;
        case 'T': o->tls = true; break;
        case 'M': o->management = true; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        log_err("broker %s: unexpected argument '%s'", action, argv[optind]);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* start (detached) or run (in the foreground until Ctrl-C or the node ends). */
static int start_node(struct broker_opts *o, bool fg, bool use_default)
{
    struct broker b;
    char err[2048];
    o->detach = !fg;
    o->cancel = &proc_stop;
    o->owns_dir = use_default;
    if (broker_start(&b, o, err, sizeof err)) {
        log_err("broker start failed: %s", err);
        return b.refused ? EXIT_USAGE : proc_stop ? EXIT_INTERRUPTED : EXIT_BROKER;
    }
    printf("%s\n", b.tls_uri[0] ? b.tls_uri : b.uri);
    if (b.mgmt_url[0]) printf("%s\n", b.mgmt_url);
    log_note("node %s (pid %ld) up; data in %s", b.nodename, (long)b.pid, b.dir);
    if (b.tls_uri[0])
        log_note("TLS: amqps on port %d (plain AMQP at %s); connect with --cacert %s/tls/ca.pem", b.tls_port,
                 b.uri, b.dir);
    fflush(stdout);
    if (!fg) return EXIT_OK;
    while (!proc_stop && broker_status(&b) != BROKER_STOPPED) sleep_ns(200 * NS_PER_MS);
    if (broker_stop(&b, false, err, sizeof err)) {
        log_err("broker stop: %s", err);
        return EXIT_BROKER;
    }
    return EXIT_OK;
}

/* stop, kill, restart, pause, resume, status of the node in o->dir. */
static int act_on_node(const char *action, const struct broker_opts *o, bool use_default)
{
    struct broker b;
    char state[700], err[2048];
    snprintf(state, sizeof state, "%s/broker.json", o->dir);
    if (use_default && access(state, F_OK) != 0) {
        log_err("broker %s: no node was started without --dir (nothing in %s); give --dir DIR", action, o->dir);
        return EXIT_USAGE;
    }
    if (broker_load(&b, o->dir, err, sizeof err)) {
        log_err("%s", err);
        return EXIT_BROKER;
    }
    int rc;
    if (strcmp(action, "stop") == 0) rc = broker_stop(&b, !b.owns_dir, err, sizeof err);
    else if (strcmp(action, "kill") == 0) rc = broker_kill(&b, err, sizeof err);
    else if (strcmp(action, "restart") == 0) rc = broker_restart(&b, err, sizeof err);
    else if (strcmp(action, "pause") == 0) rc = broker_pause(&b, err, sizeof err);
    else if (strcmp(action, "resume") == 0) rc = broker_resume(&b, err, sizeof err);
    else { /* status */
        printf("%s %s pid=%ld\n", broker_state_name(broker_status(&b)), b.uri, (long)b.pid);
        return b.state == BROKER_STOPPED ? EXIT_FAILED : EXIT_OK;
    }
    if (rc) {
        log_err("broker %s: %s", action, err);
        return EXIT_BROKER;
    }
    if (strcmp(action, "restart") == 0) printf("%s\n", b.uri);
    return EXIT_OK;
}

int cmd_broker(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? EXIT_OK : EXIT_USAGE;
    }
    const char *action = argv[1];
    static const char *const actions[] = {"start", "run", "stop", "kill", "restart", "pause", "resume", "status"};
    bool known = false;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) known = known || !strcmp(action, actions[i]);
    if (!known) { /* a usage error, before any state dir is looked at */
        log_err("broker: unknown action '%s'", action);
        usage(stderr);
        return EXIT_USAGE;
    }
    struct broker_opts o = {0};
    int rc = parse_opts(action, argc, argv, &o);
    if (rc != EXIT_OK) return rc < 0 ? EXIT_OK : rc;
    char defdir[600], err[2048];
    bool fg = strcmp(action, "run") == 0;
    /* Without --dir a detached node lives in the default state dir, so a
     * plain `broker stop` finds it (and removes the dir). */
    bool use_default = !o.dir && !fg;
    if (use_default) {
        if (broker_default_dir(defdir, sizeof defdir, err, sizeof err)) {
            log_err("broker %s: %s", action, err);
            return EXIT_USAGE;
        }
        o.dir = defdir;
    }
    if (strcmp(action, "start") == 0 || fg) return start_node(&o, fg, use_default);
    return act_on_node(action, &o, use_default);
}
