#include "setupconn.h"
#include "declare.h"
#include "topo.h"
#include "util.h"

#include <string.h>

int setupconn_open(struct setupconn *a, const struct amqpc_target *t, uint64_t timeout_ns, char *err,
               size_t cap)
{
    memset(a, 0, sizeof *a);
    a->target = *t;
    a->timeout_ns = timeout_ns;
    return amqpc_open(&a->c, &a->target, 0, timeout_ns, "loadgen-setup", 0, err, cap);
}

void setupconn_set_nodes(struct setupconn *a, const struct amqpc_target *t, int n)
{
    for (int i = 0; i < n && i < CONFIG_MAX_NODES; i++) a->nodes[i] = t[i];
    a->nnodes = n < CONFIG_MAX_NODES ? n : CONFIG_MAX_NODES;
    a->cur = 0;
}

amqp_connection_state_t setupconn_conn(struct setupconn *a)
{
    if (a->c) return a->c;
    uint64_t now = clock_ns();
    if (now < a->next_try_ns) return NULL;
    a->next_try_ns = now + NS_PER_SEC;
    char err[512];
    if (amqpc_open(&a->c, &a->target, 0, a->timeout_ns, "loadgen-setup", 0, err, sizeof err)) {
        log_info("setup connection: %s", err);
        if (a->nnodes > 1) a->cur = (a->cur + 1) % a->nnodes, a->target = a->nodes[a->cur];
        return NULL;
    }
    amqp_channel_open(a->c, 1);
    if (amqpc_check(a->c, "channel.open", err, sizeof err)) {
        setupconn_drop(a);
        return NULL;
    }
    return a->c;
}

void setupconn_drop(struct setupconn *a)
{
    if (a->c) amqp_destroy_connection(a->c);
    a->c = NULL;
}

int64_t setupconn_queue_depth(struct setupconn *a, const struct config *cfg)
{
    if (cfg->queue_type == QUEUE_STREAM) return -1;
    amqp_connection_state_t c = setupconn_conn(a);
    if (!c) return -1;
    char name[256];
    int64_t total = 0;
    for (int i = 0; i < cfg->queues; i++) {
        /* a queue nobody consumes never empties: waiting for it would only
         * run the drain to its timeout; the final read reads it */
        if (cfg->topo && !topo_queue_consumers(cfg->topo, cfg->consumers_total, i)) continue;
        int64_t n = declare_queue_depth(c, config_queue_name(cfg, i, name, sizeof name));
        if (n < 0) {
            setupconn_drop(a); /* a failed passive declare closed the channel too */
            return -1;
        }
        total += n;
    }
    return total;
}

int64_t setupconn_dead_lettered(struct setupconn *a, const struct config *cfg)
{
    if (!config_retrying(cfg)) return -1;
    amqp_connection_state_t c = setupconn_conn(a);
    int64_t n = c ? declare_dead_lettered(c, cfg) : -1;
    if (c && n < 0) setupconn_drop(a);
    return n;
}

void setupconn_close(struct setupconn *a)
{
    if (a->c) amqpc_close(a->c);
    a->c = NULL;
}
