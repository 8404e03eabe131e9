/* The embedded broker of a run: one private node (broker.h), or with
 * --nodes N a cluster in network namespaces (cluster.h); the clients'
 * targets on it; policies set with rabbitmqctl. */
#include "amqpc.h"
#include "bench.h"
#include "bench_int.h"
#include "broker.h"
#include "proc.h"
#include "cluster.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_broker_start(struct bench_broker *bb, const struct config *cfg, char *err, size_t cap)
{
    memset(bb, 0, sizeof *bb);
    if (cfg->uri && cfg->broker_dir) {
        /* A node `loadgen broker start --dir D` started (a broker the
         * instances of a sharded run share): the faults act on its
         * recorded pid; it is its starter's to stop. */
        if (broker_load(&bb->node, cfg->broker_dir, err, cap)) return EXIT_USAGE;
        if (broker_status(&bb->node) != BROKER_RUNNING)
            return snprintf(err, cap, "--broker-dir %s: its node %s is not running", cfg->broker_dir,
                            bb->node.nodename), EXIT_BROKER;
        bb->have_node = bb->adopted = true;
        log_note("faults act on node %s (pid %ld, %s) from %s", bb->node.nodename, (long)bb->node.pid, bb->node.uri,
                 cfg->broker_dir);
        return EXIT_OK;
    }
    if (cfg->uri) return EXIT_OK;
    if (cfg->nodes > 1) {
        char conf[5200];
        snprintf(conf, sizeof conf, "cluster_partition_handling = %s\n%s",
                 cfg->partition_handling ? cfg->partition_handling : "pause_minority",
                 cfg->broker_conf ? cfg->broker_conf : "");
        struct cluster_opts co = {.nodes = cfg->nodes, .conf = conf, .loopback = config_cluster_loopback(cfg)};
        log_note("starting an embedded cluster of %d nodes %s...", cfg->nodes,
                 co.loopback ? "on loopback (no network namespaces: no network faults)" : "in network namespaces");
        uint64_t t0 = clock_ns();
        int crc = cluster_start(&bb->cluster, &co, err, cap);
        if (crc) return crc;
        bb->have_cluster = true;
        /* watch the leaders of the replicated queues */
        const char *qs[8];
        char names[8][256];
        int nq = 0;
        for (int i = 0; i < cfg->queues && nq < 8; i++) {
            struct consumer_settings s;
            config_consumer_settings(cfg, i, &s);
            if (s.type != QUEUE_CLASSIC) qs[nq] = config_queue_name(cfg, i, names[nq], sizeof names[nq]), nq++;
        }
        char verr[256];
        if (!(bb->view = cluster_view_start(&bb->cluster, qs, nq, verr, sizeof verr)))
            log_note("warning: no view of the cluster in this run: %s", verr);
        log_note("cluster of %d nodes up in %.1f s (%s ... %s)", cfg->nodes, (double)(clock_ns() - t0) / 1e9,
                 bb->cluster.nodes[0].name, bb->cluster.nodes[cfg->nodes - 1].name);
        return EXIT_OK;
    }
    struct broker_opts bo = {.dir = cfg->broker_dir, .cancel = &proc_stop, .conf = cfg->broker_conf, .tls = cfg->tls,
                           .management = cfg->management && !strcmp(cfg->management, "embedded")};
    log_note("starting embedded RabbitMQ node...");
    if (broker_start(&bb->node, &bo, err, cap))
        return proc_stop ? EXIT_INTERRUPTED : bb->node.refused ? EXIT_USAGE : EXIT_BROKER;
    bb->have_node = true;
    log_note("embedded node %s (pid %ld) at %s", bb->node.nodename, (long)bb->node.pid, bb->node.uri);
    return EXIT_OK;
}

int bench_broker_targets(struct bench_broker *bb, const struct config *cfg, struct run_ctx *run, char *err,
                         size_t cap)
{
    run->ntargets = bb->have_cluster ? bb->cluster.n : 1;
    for (int i = 0; i < run->ntargets; i++) {
        const char *uri = bb->have_cluster ? bb->cluster.nodes[i].uri
                          : cfg->uri       ? cfg->uri
                          : cfg->tls       ? bb->node.tls_uri
                                           : bb->node.uri;
        struct amqpc_target *t = &run->targets[i];
        if (amqpc_parse_uri(uri, t, err, cap)) return -1;
        t->tls_verify = !cfg->tls_no_verify;
        if (cfg->tls_cacert) str_copy(t->cacert, sizeof t->cacert, cfg->tls_cacert);
        else if (cfg->tls) {
            char ca[sizeof bb->node.dir + 16];
            snprintf(ca, sizeof ca, "%s/tls/ca.pem", bb->node.dir);
            str_copy(t->cacert, sizeof t->cacert, ca);
        }
        if (cfg->tls_cert) str_copy(t->cert, sizeof t->cert, cfg->tls_cert);
        if (cfg->tls_key) str_copy(t->key, sizeof t->key, cfg->tls_key);
    }
    return 0;
}

/* topology.policies, set with rabbitmqctl before anything is declared
 * (AMQP cannot set a policy); on a cluster, through node 1. */
int bench_broker_policies(struct bench_broker *bb, const struct config *cfg, char *err, size_t cap)
{
    if (!bb->have_node && !bb->have_cluster)
        return snprintf(err, cap, "loadgen sets policies on its embedded node only (AMQP cannot set them): "
                        "set them on the broker yourself and remove topology.policies"), -1;
    for (int i = 0; i < cfg->topo->npolicies; i++) {
        const struct topo_policy *p = &cfg->topo->policies[i];
        char prio[16], out[1024];
        snprintf(prio, sizeof prio, "%d", p->priority);
        const char *args[] = {"set_policy", "--apply-to", p->apply_to, "--priority", prio, "--",
                              p->name, p->pattern, p->definition, NULL};
        if (bb->have_cluster ? cluster_ctl(&bb->cluster, 1, args, out, sizeof out, err, cap)
                             : broker_ctl(&bb->node, args, err, cap))
            return -1;
        log_info("policy '%s' set on %s", p->name, p->pattern);
    }
    return 0;
}

json_t *bench_broker_view(struct bench_broker *bb)
{
    json_t *j = cluster_view_stop(bb->view);
    bb->view = NULL;
    return j;
}

/* Whether a consumer of stream q can start on node t now: a stream's
 * replicas start after its declaration, and a consume on a node without
 * one yet is refused (406 "does not have a replica on the local node"). */
static bool stream_consumable(const struct amqpc_target *t, const char *q, uint64_t timeout_ns)
{
    amqp_connection_state_t c;
    char err[512];
    if (amqpc_open(&c, t, 0, timeout_ns, "loadgen-setup", 0, err, sizeof err)) return false;
    amqp_channel_open(c, 1);
    bool ok = amqpc_check(c, "channel.open", err, sizeof err) == 0;
    if (ok) {
        amqp_basic_qos(c, 1, 0, 1, 0);
        ok = amqpc_check(c, "basic.qos", err, sizeof err) == 0;
    }
    if (ok) {
        amqp_table_entry_t e = {amqp_cstring_bytes("x-stream-offset"),
                                {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes("next")}};
        amqp_table_t args = {1, &e};
        amqp_basic_consume(c, 1, amqp_cstring_bytes(q), amqp_empty_bytes, 0, 0, 0, args);
        ok = amqpc_check(c, "basic.consume", err, sizeof err) == 0;
    }
    amqpc_close(c);
    return ok;
}

int bench_broker_streams_ready(struct bench_broker *bb, const struct config *cfg, const struct run_ctx *run,
                               char *err, size_t cap)
{
    if (!bb->have_cluster || !cfg->consumers) return 0;
    uint64_t deadline = clock_ns() + 30 * NS_PER_SEC;
    char name[256];
    for (int i = 0; i < cfg->queues; i++) {
        struct consumer_settings s;
        config_consumer_settings(cfg, i, &s);
        if (s.type != QUEUE_STREAM) continue;
        config_queue_name(cfg, i, name, sizeof name);
        for (int k = 0; k < run->ntargets; k++)
            while (!stream_consumable(&run->targets[k], name, cfg->connect_timeout_ns)) {
                if (clock_ns() > deadline)
                    return snprintf(err, cap, "stream '%s' has no replica on n%d 30 s after its declaration", name,
                                    k + 1), -1;
                sleep_ns(200 * NS_PER_MS);
            }
    }
    return 0;
}

void bench_broker_stop(struct bench_broker *bb)
{
    char err[1024];
    json_decref(bench_broker_view(bb));
    if (bb->have_node && !bb->adopted && broker_stop(&bb->node, false, err, sizeof err))
        log_err("embedded broker stop: %s", err);
    if (bb->have_cluster) {
        cluster_stop(&bb->cluster, err, sizeof err);
        log_note("cluster stopped%s", bb->cluster.loopback ? "" : "; namespaces, veths and bridge removed");
    }
    bb->have_node = bb->have_cluster = false;
}

int bench_broker_open(const struct config *cfg, struct bench_broker **out)
{
    *out = NULL;
    if (cfg->uri) return EXIT_OK;
    struct bench_broker *bb = xcalloc(1, sizeof *bb);
    char err[2048];
    int rc = bench_broker_start(bb, cfg, err, sizeof err);
    if (rc != EXIT_OK) {
        log_err("embedded %s failed to start: %s", cfg->nodes > 1 ? "cluster" : "broker", err);
        free(bb);
        return rc;
    }
    *out = bb;
    return EXIT_OK;
}

const char *bench_broker_uri(const struct bench_broker *bb, const struct config *cfg)
{
    if (!bb) return NULL;
    if (bb->have_cluster) return bb->cluster.nodes[0].uri;
    return cfg->tls ? bb->node.tls_uri : bb->node.uri;
}

void bench_broker_close(struct bench_broker *bb)
{
    if (!bb) return;
    bench_broker_stop(bb);
    free(bb);
}
