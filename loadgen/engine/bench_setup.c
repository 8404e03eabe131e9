/* bench's setup once the broker is up (bench_int.h: bench_setup): the
 * setup connection, policies and topology; the broker's resources sampled
 * each second; the proxy the load goes through; the hlog; the descriptor
 * limit. Each step logs why it failed and returns the exit code. */
#include "amqpc.h"
#include "bench_int.h"
#include "proc.h"
#include "proxy.h"
#include "declare.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void server_version(amqp_connection_state_t c, char *buf, size_t cap)
{
    str_copy(buf, cap, "unknown");
    amqp_table_t *props = amqp_get_server_properties(c);
    for (int i = 0; props && i < props->num_entries; i++) {
        amqp_table_entry_t *e = &props->entries[i];
        if (e->key.len == 7 && !memcmp(e->key.bytes, "version", 7) &&
            e->value.kind == AMQP_FIELD_KIND_UTF8)
            snprintf(buf, cap, "%.*s", (int)e->value.value.bytes.len, (char *)e->value.value.bytes.bytes);
    }
}

/* The setup connection (direct, never through the proxy), policies, the
 * topology, streams ready. */
static int setup_broker(struct bench_state *b)
{
    const struct config *cfg = &b->cfg;
    char err[2048];
    if (setupconn_open(&b->adm, &b->run.targets[0], cfg->connect_timeout_ns, err, sizeof err)) {
        log_err("broker unreachable: %s", err);
        return EXIT_BROKER;
    }
    b->have_adm = true;
    setupconn_set_nodes(&b->adm, b->run.targets, b->run.ntargets);
    server_version(b->adm.c, b->version, sizeof b->version);
    if (cfg->topo && cfg->topo->npolicies && bench_broker_policies(b->bb, cfg, err, sizeof err)) {
        log_err("policies: %s", err);
        return cfg->uri ? EXIT_USAGE : EXIT_BROKER;
    }
    if (!cfg->predeclared && declare_topology(b->adm.c, cfg, err, sizeof err)) {
        log_err("setup failed on %s: %s", b->run.targets[0].uri_redacted, err);
        return EXIT_BROKER;
    }
    if (bench_broker_streams_ready(b->bb, cfg, &b->run, err, sizeof err)) {
        log_err("setup failed: %s", err);
        return EXIT_BROKER;
    }
    return EXIT_OK;
}

/* The broker's own resources, sampled direct (never through the proxy);
 * or the management API alone. */
static int start_sampler(struct bench_state *b)
{
    const struct config *cfg = &b->cfg;
    char err[2048];
    if (cfg->no_broker_stats && !cfg->management) return EXIT_OK;
    bool stats = !cfg->no_broker_stats; /* else the management API alone */
    struct res_opts ro = {.node = stats && b->bb->have_node ? &b->bb->node : NULL,
                          .cluster = stats && b->bb->have_cluster ? &b->bb->cluster : NULL,
                          .targets = b->run.targets,
                          .ntargets = stats ? b->run.ntargets : 0,
                          .management = !cfg->management                      ? NULL
                                        : strcmp(cfg->management, "embedded") ? cfg->management
                                                                             : b->bb->node.mgmt_url};
    char qn[RES_MAX_QUEUES][256];
    for (int i = 0; i < cfg->queues && ro.nqueues < RES_MAX_QUEUES; i++)
        ro.queues[ro.nqueues] = config_queue_name(cfg, i, qn[ro.nqueues], sizeof qn[0]), ro.nqueues++;
    /* what the workers believe subscribed, compared with the broker's count */
    if (stats && cfg->consumers) {
        b->run.nqueues = cfg->queues;
        b->run.attached = xcalloc((size_t)cfg->queues, sizeof *b->run.attached);
        b->run.forgot_gen = xcalloc((size_t)cfg->queues, sizeof *b->run.forgot_gen);
        ro.attached = b->run.attached;
        ro.forgot_gen = b->run.forgot_gen;
        for (int i = 0; i < ro.nqueues; i++) {
            struct consumer_settings cs;
            config_consumer_settings(cfg, i, &cs);
            ro.watch[i] = cs.type != QUEUE_STREAM;
        }
    }
    if (!(b->res = res_start(&ro, err, sizeof err))) {
        log_err("--management: %s", err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Setup went direct; the load goes through the proxy, with its toxics and
 * its API if asked for. */
static int start_proxy(struct bench_state *b)
{
    const struct config *cfg = &b->cfg;
    char err[2048];
    if (!cfg->via_proxy) return EXIT_OK;
    char up[300], addr[128];
    snprintf(up, sizeof up, "%s:%d", strcmp(b->run.targets[0].host, "localhost") ? b->run.targets[0].host : "127.0.0.1",
             b->run.targets[0].port);
    b->proxy = proxy_server_new();
    if (!b->proxy || proxy_create(b->proxy, "amqp", "127.0.0.1:0", up, true, err, sizeof err)) {
        log_err("--via-proxy: %s", b->proxy ? err : "cannot start the proxy");
        return EXIT_USAGE;
    }
    for (int i = 0; i < cfg->n_proxy_toxics; i++) {
        json_t *spec = json_loads(cfg->proxy_toxics[i], 0, NULL);
        int bad = proxy_toxic_set(b->proxy, "amqp", spec, false, err, sizeof err);
        json_decref(spec);
        if (bad) {
            log_err("--proxy-toxic %s: %s", cfg->proxy_toxics[i], err);
            return EXIT_USAGE;
        }
    }
    char api_bound[160] = "";
    if (cfg->proxy_api && proxy_api_start(b->proxy, cfg->proxy_api, api_bound, sizeof api_bound, err, sizeof err)) {
        log_err("--proxy-api: %s", err);
        return EXIT_USAGE;
    }
    proxy_listen_addr(b->proxy, "amqp", addr, sizeof addr);
    char *colon = strrchr(addr, ':');
    *colon = 0;
    str_copy(b->run.targets[0].host, sizeof b->run.targets[0].host, addr);
    b->run.targets[0].port = atoi(colon + 1);
    log_note("load goes through proxy %s:%d%s%s", addr, b->run.targets[0].port,
            cfg->proxy_api ? ", API on http://" : "", api_bound);
    return EXIT_OK;
}

/* The hlog, and enough descriptors for every connection. */
static int start_outputs(struct bench_state *b)
{
    const struct config *cfg = &b->cfg;
    if (cfg->hlog_path && !(b->hlog = file_create(cfg->hlog_path))) {
        log_err("--hlog: cannot write %s", cfg->hlog_path);
        return EXIT_USAGE;
    }

    /* main() raised the soft descriptor limit to the hard one already */
    int cpc = cfg->channels_per_conn;
    long long need = (cfg->producers + cpc - 1) / cpc + (cfg->consumers + cpc - 1) / cpc;
    /* through the proxy: its two sockets each, too; reads that wait for
     * the tick: a second descriptor each (rxbatch.c) */
    need = need * ((cfg->via_proxy ? 3 : 1) + cfg->read_batch) + 64;
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        (rlim_t)need > nofile.rlim_cur) {
        log_err("this load needs about %lld file descriptors, the limit is %llu (the hard limit: raise it with "
                "ulimit -Hn as root, or use --channels-per-connection)",
                need, (unsigned long long)nofile.rlim_cur);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int bench_setup(struct bench_state *b)
{
    int rc = setup_broker(b);
    if (rc == EXIT_OK) rc = start_sampler(b);
    if (rc == EXIT_OK) rc = start_proxy(b);
    return rc == EXIT_OK ? start_outputs(b) : rc;
}
