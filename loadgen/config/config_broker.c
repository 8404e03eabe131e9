/* config: the embedded broker's settings: cluster size, partition handling,
 * extra rabbitmq.conf lines, and the node clients connect to first; and
 * TLS (amqps:// or the embedded node's --tls). */
#include "config.h"
#include "tls_files.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BROKER_CONF_MAX 4096

/* Keys loadgen writes itself: the node must listen where we look for it. */
static const char *const reserved[] = {"listeners.", "loopback_users", "cluster_partition_handling",
                                       "log.console", "cluster_formation.", "ssl_options.", NULL};

int config_broker_conf(struct config *c, const char *kv, char *err, size_t cap)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return snprintf(err, cap, "'%s' is not KEY=VALUE", kv), -1;
    size_t klen = (size_t)(eq - kv);
    while (klen && kv[klen - 1] == ' ') klen--;
    const char *val = eq + 1;
    while (*val == ' ') val++;
    if (!klen || !*val) return snprintf(err, cap, "'%s' is not KEY=VALUE", kv), -1;
    /* a rabbitmq.conf key: dotted words; a value on one line */
    for (size_t i = 0; i < klen; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-", kv[i]))
            return snprintf(err, cap, "key '%.*s': lower-case words joined by dots", (int)klen, kv), -1;
    for (const char *s = val; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return snprintf(err, cap, "value of '%.*s': one line, "
                                                                      "printable", (int)klen, kv), -1;
    for (int i = 0; reserved[i]; i++)
        if (!strncmp(kv, reserved[i], strlen(reserved[i])))
            return snprintf(err, cap, "'%.*s' is set by loadgen%s", (int)klen, kv,
                            strstr(reserved[i], "partition") ? " (use partition_handling)" : ""), -1;
    size_t old = c->broker_conf ? strlen(c->broker_conf) : 0, add = klen + strlen(val) + 5;
    if (old + add > BROKER_CONF_MAX)
        return snprintf(err, cap, "more than %d bytes of broker config", BROKER_CONF_MAX), -1;
    c->broker_conf = realloc(c->broker_conf, old + add + 1);
    if (!c->broker_conf) abort();
    snprintf(c->broker_conf + old, add + 1, "%.*s = %s\n", (int)klen, kv, val);
    return 0;
}

bool config_cluster_loopback(const struct config *c)
{
    return c->cluster_network == CLUSTER_NET_LOOPBACK || (c->cluster_network == CLUSTER_NET_AUTO && geteuid() != 0);
}

int config_validate_broker(const struct config *c, char *err, size_t cap)
{
    if (c->nodes > 1 && c->uri)
        return snprintf(err, cap, "--nodes starts an embedded cluster: it cannot go with --uri"), -1;
    if ((c->partition_handling || c->broker_conf) && c->uri)
        return snprintf(err, cap, "--partition-handling and --broker-conf set up the embedded broker: not with --uri"),
               -1;
    if (c->partition_handling && c->nodes < 2)
        return snprintf(err, cap, "--partition-handling needs a cluster (--nodes 2 or more)"), -1;
    if (c->connect_node > (c->nodes > 1 ? c->nodes : 1))
        return snprintf(err, cap, "--connect n%d: there %s only %d node%s", c->connect_node,
                        c->nodes > 1 ? "are" : "is", c->nodes > 1 ? c->nodes : 1, c->nodes > 1 ? "s" : ""), -1;
    if (c->nodes > 1 && c->via_proxy)
        return snprintf(err, cap, "--via-proxy goes to one node: not with --nodes (use network faults)"), -1;
    if (c->management && !strcmp(c->management, "embedded") && (c->uri || c->nodes > 1))
        return snprintf(err, cap, "--management embedded enables the plugin on one embedded node: with --uri "
                        "or --nodes give the API's URL (http://user:pass@host:port)"), -1;
    return config_validate_tls(c, err, cap);
}

bool config_uri_tls(const struct config *c)
{
    return c->uri && !strncmp(c->uri, "amqps://", 8);
}

int config_validate_tls(const struct config *c, char *err, size_t cap)
{
    bool amqps = config_uri_tls(c);
    if (c->tls && c->uri)
        return snprintf(err, cap, "--tls gives the embedded node a TLS listener: with --uri write amqps://"), -1;
    if (c->tls && c->nodes > 1) return snprintf(err, cap, "--tls is for a single embedded node, not --nodes"), -1;
    if (c->tls && c->via_proxy) return snprintf(err, cap, "--tls cannot go --via-proxy (the proxy speaks TCP)"), -1;
    if ((c->tls_cacert || c->tls_cert || c->tls_key || c->tls_no_verify) && !amqps && !c->tls)
        return snprintf(err, cap, "--cacert, --cert, --key and --verify are for TLS: an amqps:// --uri, or --tls"),
               -1;
    if (!c->tls_cert != !c->tls_key) return snprintf(err, cap, "--cert and --key go together"), -1;
    return tls_files_check(c->tls_cacert, c->tls_cert, c->tls_key, err, cap);
}
