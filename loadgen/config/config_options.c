/* The options: their table (getopt_long's, shared by the command line and
 * scenario files' load: keys), config_apply by group, and the command
 * line's parse. Defaults are config_init's, cross-field checks
 * config_validate's (config.c). */
#include "config.h"
#include "route.h"
#include "topo.h"
#include "units.h"
#include "util.h"
#include <amqp.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bad(char *err, size_t cap, const char *val, const char *what)
{
    snprintf(err, cap, "'%s' is not %s", val, what);
    return -1;
}

static int int_opt(const char *val, long long min, long long max, int *out, char *err, size_t cap)
{
    uint64_t v;
    if (units_count(val, &v) || (long long)v < min || (long long)v > max) {
        char what[96];
        snprintf(what, sizeof what, "a whole number from %lld to %lld", min, max);
        return bad(err, cap, val, what);
    }
    *out = (int)v;
    return 0;
}

static int dur_opt(const char *val, uint64_t *out, char *err, size_t cap)
{
    if (units_duration(val, out)) return bad(err, cap, val, "a duration (e.g. 500ms, 30s, 2m)");
    return 0;
}

/* "k1:3,k2" into keys (and weights, 1 by default), replacing an earlier
 * list only when the whole new one is good. */
static int key_list(const char *v, bool weighted, char **keys, unsigned *weights, int *n, char *err, size_t cap)
{
    char *k[CONFIG_MAX_ARGS];
    unsigned w[CONFIG_MAX_ARGS];
    int m = 0, rc = 0;
    for (const char *s = v;;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        w[m] = 1;
        const char *colon = weighted ? memrchr(s, ':', len) : NULL;
        if (colon && colon[1] >= '0' && colon[1] <= '9') {
            char *e;
            unsigned long x = strtoul(colon + 1, &e, 10);
            if (e != s + len || x < 1 || x > 1000000) {
                rc = bad(err, cap, v, "keys with weights from 1 to 1000000 (KEY:W)");
                break;
            }
            w[m] = (unsigned)x;
            len = (size_t)(colon - s);
        }
        if (len > 255 || m == CONFIG_MAX_ARGS) {
            rc = bad(err, cap, v, "a list of at most 32 keys of at most 255 bytes");
            break;
        }
        k[m] = xmalloc(len + 1);
        memcpy(k[m], s, len);
        k[m++][len] = 0;
        if (!end) break;
        s = end + 1;
    }
    if (rc) {
        for (int i = 0; i < m; i++) free(k[i]);
        return rc;
    }
    for (int i = 0; i < *n; i++) free(keys[i]);
    for (int i = 0; i < m; i++) {
        keys[i] = k[i];
        if (weights) weights[i] = w[i];
    }
    *n = m;
    return 0;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

enum {
    O_NO_CONFIRM = 256, O_PERSISTENT, O_MANDATORY, O_MULTI_ACK, O_CDELAY, O_QUEUES, O_QTYPE,
    O_QARG, O_DURABLE, O_XTYPE, O_PREDECL, O_KEEP, O_SOFF, O_WARMUP, O_DRAIN, O_HB, O_CTO,
    O_JSON, O_HGRM, O_HLOG, O_UNCORR, O_CLOCK, O_QUIET, O_URI, O_URIFILE, O_BDIR, O_CPC, O_VIA, O_PAPI,
    O_PTOX, O_NOREPUB, O_IDEMP, O_RDIR, O_NORDIR, O_CONFTO, O_FRATE, O_FACT, O_RDELAY, O_MAXRETRY, O_ORDERING,
    O_RKEYS, O_BKEYS, O_TOPO,
    O_NODES, O_PHAND, O_BCONF, O_CONNECT, O_CNET, O_STICK, O_NORXB, O_CRATE, O_TLS, O_CACERT, O_CERT, O_KEY, O_VERIFY,
    O_MGMT, O_NOBSTATS, O_MLISTEN, O_MREMOTE, O_MLINGER, O_INST, O_RUNID, O_STARTAT, O_PIDS, O_CIDS,
};

static const struct option o[] = {
    {"uri", required_argument, NULL, O_URI},
    {"uri-file", required_argument, NULL, O_URIFILE},
    {"broker-dir", required_argument, NULL, O_BDIR},
    {"nodes", required_argument, NULL, O_NODES},
    {"partition-handling", required_argument, NULL, O_PHAND},
    {"broker-conf", required_argument, NULL, O_BCONF},
    {"connect", required_argument, NULL, O_CONNECT},
    {"cluster-network", required_argument, NULL, O_CNET},
    {"producers", required_argument, NULL, 'x'},
    {"consumers", required_argument, NULL, 'y'},
    {"threads", required_argument, NULL, 't'},
    {"channels-per-connection", required_argument, NULL, O_CPC},
    {"rate", required_argument, NULL, 'r'},
    {"send-tick", required_argument, NULL, O_STICK},
    {"no-read-batch", no_argument, NULL, O_NORXB},
    {"size", required_argument, NULL, 's'},
    {"confirm", required_argument, NULL, 'c'},
    {"no-confirm", no_argument, NULL, O_NO_CONFIRM},
    {"persistent", no_argument, NULL, O_PERSISTENT},
    {"mandatory", no_argument, NULL, O_MANDATORY},
    {"no-republish", no_argument, NULL, O_NOREPUB},
    {"prefetch", required_argument, NULL, 'q'},
    {"multi-ack", required_argument, NULL, O_MULTI_ACK},
    {"auto-ack", no_argument, NULL, 'a'},
    {"idempotent", no_argument, NULL, O_IDEMP},
    {"fail-rate", required_argument, NULL, O_FRATE},
    {"fail-action", required_argument, NULL, O_FACT},
    {"retry-delay", required_argument, NULL, O_RDELAY},
    {"max-retries", required_argument, NULL, O_MAXRETRY},
    {"ordering", required_argument, NULL, O_ORDERING},
    {"consumer-delay", required_argument, NULL, O_CDELAY},
    {"queue", required_argument, NULL, 'u'},
    {"queues", required_argument, NULL, O_QUEUES},
    {"queue-type", required_argument, NULL, O_QTYPE},
    {"queue-arg", required_argument, NULL, O_QARG},
    {"durable", no_argument, NULL, O_DURABLE},
    {"exchange", required_argument, NULL, 'e'},
    {"exchange-type", required_argument, NULL, O_XTYPE},
    {"routing-key", required_argument, NULL, 'k'},
    {"routing-keys", required_argument, NULL, O_RKEYS},
    {"binding-keys", required_argument, NULL, O_BKEYS},
    {"topology", required_argument, NULL, O_TOPO},
    {"predeclared", no_argument, NULL, O_PREDECL},
    {"keep-queues", no_argument, NULL, O_KEEP},
    {"stream-offset", required_argument, NULL, O_SOFF},
    {"duration", required_argument, NULL, 'z'},
    {"messages", required_argument, NULL, 'C'},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"drain-timeout", required_argument, NULL, O_DRAIN},
    {"heartbeat", required_argument, NULL, O_HB},
    {"connect-timeout", required_argument, NULL, O_CTO},
    {"connect-rate", required_argument, NULL, O_CRATE},
    {"tls", no_argument, NULL, O_TLS},
    {"cacert", required_argument, NULL, O_CACERT},
    {"cert", required_argument, NULL, O_CERT},
    {"key", required_argument, NULL, O_KEY},
    {"verify", required_argument, NULL, O_VERIFY},
    {"confirm-timeout", required_argument, NULL, O_CONFTO},
    {"json", required_argument, NULL, O_JSON},
    {"hgrm", required_argument, NULL, O_HGRM},
    {"hlog", required_argument, NULL, O_HLOG},
    {"uncorrected", no_argument, NULL, O_UNCORR},
    {"clock", required_argument, NULL, O_CLOCK},
    {"quiet", no_argument, NULL, O_QUIET},
    {"report-dir", required_argument, NULL, O_RDIR},
    {"no-report", no_argument, NULL, O_NORDIR},
    {"via-proxy", no_argument, NULL, O_VIA},
    {"proxy-api", required_argument, NULL, O_PAPI},
    {"proxy-toxic", required_argument, NULL, O_PTOX},
    {"management", required_argument, NULL, O_MGMT},
    {"no-broker-stats", no_argument, NULL, O_NOBSTATS},
    {"metrics-listen", required_argument, NULL, O_MLISTEN},
    {"allow-remote", no_argument, NULL, O_MREMOTE},
    {"metrics-linger", required_argument, NULL, O_MLINGER},
    {"instance", required_argument, NULL, O_INST},
    {"run-id", required_argument, NULL, O_RUNID},
    {"start-at", required_argument, NULL, O_STARTAT},
    {"producer-ids", required_argument, NULL, O_PIDS},
    {"consumer-ids", required_argument, NULL, O_CIDS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* --uri-file: the URI from a file (a mounted Kubernetes Secret), so the
 * password is on no command line (/proc/PID/cmdline) and in no
 * environment. Messages name the file, never what it holds. */
static int uri_file(struct config *c, const char *path, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > 4096) {
        snprintf(err, cap, "--uri-file %s: %s", path,
                 fd < 0 ? strerror(errno) : !S_ISREG(st.st_mode) ? "not a regular file" : "over 4 KiB: not a URI");
        if (fd >= 0) close(fd);
        return -1;
    }
    char buf[4097];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return snprintf(err, cap, "--uri-file %s: %s", path, strerror(errno)), -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    buf[n] = 0;
    if (!n || strchr(buf, '\n')) return snprintf(err, cap, "--uri-file %s: not one URI on one line", path), -1;
    set_str(&c->uri, buf);
    explicit_bzero(buf, sizeof buf);
    return 0;
}

/* The one place an option's value is checked and applied: the command
 * line (config_parse_args) and a scenario's load: keys both come here. */
/* config_apply's options for the broker and how to reach it: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_broker(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case O_URI: set_str(&c->uri, v); break;
    case O_URIFILE: return uri_file(c, v, err, cap);
    case O_BDIR: set_str(&c->broker_dir, v); break;
    case O_NODES: if (int_opt(v, 1, CONFIG_MAX_NODES, &c->nodes, err, cap)) return -1; break;
    case O_PHAND:
        if (strcmp(v, "pause_minority") && strcmp(v, "autoheal") && strcmp(v, "ignore"))
            return bad(err, cap, v, "a partition handling (pause_minority, autoheal or ignore)");
        set_str(&c->partition_handling, v);
        break;
    case O_BCONF: return config_broker_conf(c, v, err, cap);
    case O_TLS: c->tls = true; break;
    case O_CACERT: set_str(&c->tls_cacert, v); break;
    case O_CERT: set_str(&c->tls_cert, v); break;
    case O_KEY: set_str(&c->tls_key, v); break;
    case O_VERIFY:
        if (strcmp(v, "peer") && strcmp(v, "none")) return bad(err, cap, v, "peer or none");
        c->tls_no_verify = !strcmp(v, "none");
        break;
    case O_CNET:
        if (!strcmp(v, "namespaces")) c->cluster_network = CLUSTER_NET_NAMESPACES;
        else if (!strcmp(v, "loopback")) c->cluster_network = CLUSTER_NET_LOOPBACK;
        else return bad(err, cap, v, "namespaces or loopback");
        break;
    case O_CONNECT:
        if (!strcmp(v, "round-robin")) c->connect_node = 0;
        else if (v[0] != 'n' || int_opt(v + 1, 1, CONFIG_MAX_NODES, &c->connect_node, err, cap))
            return bad(err, cap, v, "round-robin or a node (n1, n2, ...)");
        break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for publishing: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_load(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case 'x': if (int_opt(v, 0, 100000, &c->producers, err, cap)) return -1; break;
    case 'y': if (int_opt(v, 0, 100000, &c->consumers, err, cap)) return -1; break;
    case 't':
        if (int_opt(v, 1, 256, &c->threads, err, cap)) return -1;
        c->threads_set = true;
        break;
    case O_CPC: if (int_opt(v, 1, 2047, &c->channels_per_conn, err, cap)) return -1; break;
    case 'r':
        if (schedule_parse(v, false, &c->rate))
            return bad(err, cap, v, "a rate (e.g. 1000, 10k, or 1000:10s,5k:10s)");
        break;
    case 's':
        if (schedule_parse(v, true, &c->size))
            return bad(err, cap, v, "a size (e.g. 16, 4KiB, or 16:10s,4KiB:10s)");
        break;
    case 'c': if (int_opt(v, 0, 1000000, &c->confirm, err, cap)) return -1; break;
    case O_NO_CONFIRM: c->confirm = 0; break;
    case O_PERSISTENT: c->persistent = true; break;
    case O_MANDATORY: c->mandatory = true; break;
    case O_NOREPUB: c->no_republish = true; break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for consuming: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_consume(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case 'q': if (int_opt(v, 0, 65535, &c->prefetch, err, cap)) return -1; break;
    case O_MULTI_ACK: if (int_opt(v, 1, 65535, &c->multi_ack, err, cap)) return -1; break;
    case 'a': c->auto_ack = true; break;
    case O_IDEMP: c->idempotent = true; break;
    case O_CDELAY: if (dur_opt(v, &c->consumer_delay_ns, err, cap)) return -1; break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for queues, exchanges and keys: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_topology(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case 'u': set_str(&c->queue, v); break;
    case O_QUEUES: if (int_opt(v, 1, 100000, &c->queues, err, cap)) return -1; break;
    case O_QTYPE:
        if (!strcmp(v, "classic")) c->queue_type = QUEUE_CLASSIC;
        else if (!strcmp(v, "quorum")) c->queue_type = QUEUE_QUORUM;
        else if (!strcmp(v, "stream")) c->queue_type = QUEUE_STREAM;
        else return bad(err, cap, v, "a queue type (classic, quorum or stream)");
        break;
    case O_QARG:
        if (c->n_queue_args == CONFIG_MAX_ARGS) return bad(err, cap, v, "allowed: too many");
        if (config_parse_arg(v, &c->queue_args[c->n_queue_args]))
            return bad(err, cap, v, "KEY=VALUE");
        c->n_queue_args++;
        break;
    case O_DURABLE: c->durable = true; break;
    case 'e': set_str(&c->exchange, v); break;
    case O_XTYPE:
        if (strcmp(v, "direct") && strcmp(v, "fanout") && strcmp(v, "topic") &&
            strcmp(v, "headers"))
            return bad(err, cap, v, "an exchange type (direct, fanout, topic or headers)");
        set_str(&c->exchange_type, v);
        break;
    case 'k': set_str(&c->routing_key, v); break;
    case O_RKEYS: return key_list(v, true, c->routing_keys, c->routing_weights, &c->n_routing_keys, err, cap);
    case O_BKEYS: return key_list(v, false, c->binding_keys, NULL, &c->n_binding_keys, err, cap);
    case O_TOPO: set_str(&c->topology_path, v); break;
    case O_PREDECL: c->predeclared = true; break;
    case O_KEEP: c->keep_queues = true; break;
    case O_SOFF: set_str(&c->stream_offset, v); break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for the run's times and timeouts: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_timing(struct config *c, int val, const char *v, char *err, size_t cap)
{
    uint64_t n;
    switch (val) {
    case 'z': if (dur_opt(v, &c->duration_ns, err, cap)) return -1; break;
    case 'C':
        if (units_count(v, &n)) return bad(err, cap, v, "a count (e.g. 1000, 10k)");
        c->messages = n;
        break;
    case O_WARMUP: if (dur_opt(v, &c->warmup_ns, err, cap)) return -1; break;
    case O_STICK:
        if (dur_opt(v, &c->send_tick_ns, err, cap)) return -1;
        if (c->send_tick_ns > NS_PER_SEC) return bad(err, cap, v, "a send tick of at most 1s");
        break;
    case O_NORXB: c->no_read_batch = true; break;
    case O_DRAIN: if (dur_opt(v, &c->drain_timeout_ns, err, cap)) return -1; break;
    case O_HB:
        if (units_count(v, &n) || n > 3600)
            return bad(err, cap, v, "a heartbeat in whole seconds (0-3600)");
        c->heartbeat_s = n;
        c->heartbeat_set = true;
        break;
    case O_CTO: if (dur_opt(v, &c->connect_timeout_ns, err, cap)) return -1; break;
    case O_CRATE: {
        char *end;
        double r = strtod(v, &end);
        if (end == v || *end || !(r >= 0) || r > 1e6)
            return bad(err, cap, v, "a rate of connection setups per second (0: no pacing)");
        c->connect_rate = r;
        break;
    }
    case O_CONFTO: if (dur_opt(v, &c->confirm_timeout_ns, err, cap)) return -1; break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for observing the broker, and the scale-out instance: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_observe(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case O_MGMT:
        if (strcmp(v, "embedded") && strncmp(v, "http://", 7))
            return bad(err, cap, v, "an http:// URL of the management API, or embedded");
        if (strlen(v) > 400) return bad(err, cap, "(too long)", "a URL of at most 400 bytes");
        set_str(&c->management, v);
        break;
    case O_NOBSTATS: c->no_broker_stats = true; break;
    case O_MLISTEN:
        if (strlen(v) > 200 || (!strchr(v, ':') && strspn(v, "0123456789") != strlen(v)))
            return bad(err, cap, v, "HOST:PORT or PORT (e.g. 127.0.0.1:9464)");
        set_str(&c->metrics_listen, v);
        break;
    case O_MREMOTE: c->allow_remote = true; break;
    case O_MLINGER: if (dur_opt(v, &c->metrics_linger_ns, err, cap)) return -1; break;
    case O_INST: case O_RUNID: case O_STARTAT: case O_PIDS: case O_CIDS:
        return config_instance_option(c, val - O_INST, v, err, cap);
    default: return 1;
    }
    return 0;
}

/* config_apply's options for the reports: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_output(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case O_JSON: set_str(&c->json_path, v); break;
    case O_HGRM: set_str(&c->hgrm_prefix, v); break;
    case O_HLOG: set_str(&c->hlog_path, v); break;
    case O_UNCORR: c->uncorrected = true; break;
    case O_CLOCK:
        if (!strcmp(v, "realtime")) c->realtime_clock = true;
        else if (!strcmp(v, "monotonic")) c->realtime_clock = false;
        else return bad(err, cap, v, "a clock (monotonic or realtime)");
        break;
    case O_QUIET: c->quiet = true; break;
    case O_RDIR: set_str(&c->report_dir, v); break;
    case O_NORDIR: c->no_report = true; break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for consumer failures and their handling: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_failure(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case O_FRATE: {
        char *end;
        double p = strtod(v, &end);
        if (end == v || *end || !(p >= 0 && p <= 1)) return bad(err, cap, v, "a probability from 0 to 1");
        c->fail_rate = p;
        break;
    }
    case O_FACT:
        if (!strcmp(v, "requeue")) c->fail_action = FAIL_REQUEUE;
        else if (!strcmp(v, "reject")) c->fail_action = FAIL_REJECT;
        else if (!strcmp(v, "retry")) c->fail_action = FAIL_RETRY;
        else return bad(err, cap, v, "a failure action (requeue, reject or retry)");
        break;
    case O_RDELAY: if (dur_opt(v, &c->retry_delay_ns, err, cap)) return -1; break;
    case O_MAXRETRY: if (int_opt(v, 0, 1000, &c->max_retries, err, cap)) return -1; break;
    case O_ORDERING:
        if (!strcmp(v, "queue")) c->order_by_queue = true;
        else if (!strcmp(v, "consumer")) c->order_by_queue = false;
        else return bad(err, cap, v, "an ordering scope (consumer or queue)");
        break;
    default: return 1;
    }
    return 0;
}

/* config_apply's options for the fault proxy: 0, -1 with err, or 1 when val is
 * not one of them. */
static int apply_proxy(struct config *c, int val, const char *v, char *err, size_t cap)
{
    switch (val) {
    case O_VIA: c->via_proxy = true; break;
    case O_PAPI:
        set_str(&c->proxy_api, v);
        c->via_proxy = true;
        break;
    case O_PTOX: {
        json_error_t je;
        json_t *j = json_loads(v, 0, &je);
        bool ok = j && json_is_object(j);
        json_decref(j);
        if (!ok) return bad(err, cap, v, "a toxic as a JSON object");
        if (c->n_proxy_toxics == CONFIG_MAX_ARGS) return bad(err, cap, v, "allowed: too many");
        c->proxy_toxics[c->n_proxy_toxics++] = xstrdup(v);
        c->via_proxy = true;
        break;
    }

    default: return 1;
    }
    return 0;
}

int config_apply(struct config *c, const char *option, const char *value, char *err, size_t cap)
{
    const struct option *opt = NULL;
    for (const struct option *x = o; x->name; x++)
        if (!strcmp(x->name, option) && strcmp(option, "help")) opt = x;
    if (!opt) return snprintf(err, cap, "unknown key"), -1;
    const char *v = value;
    if (opt->has_arg == no_argument) {
        /* A flag: set by its presence on the command line, true/false in a file. */
        if (v && !strcmp(v, "false")) return 0; /* every flag defaults to off */
        if (v && strcmp(v, "true")) return bad(err, cap, v, "true or false");
    } else if (!v) {
        return snprintf(err, cap, "needs a value"), -1;
    }
    static int (*const groups[])(struct config *, int, const char *, char *, size_t) = {
        apply_broker, apply_load, apply_consume, apply_topology, apply_timing,
        apply_observe, apply_output, apply_failure, apply_proxy,
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        int rc = groups[i](c, opt->val, v, err, cap);
        if (rc <= 0) return rc;
    }
    return 0;
}

int config_parse_args(struct config *c, int argc, char **argv)
{
    int ch, idx = -1;
    char err[512];
    optind = 0; /* glibc: full reinitialization, argv may be a new array */
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":x:y:t:r:s:c:q:au:e:k:z:C:h", o, &idx)) != -1) {
        const char *name = idx >= 0 && ch >= 256 ? o[idx].name : NULL;
        for (int i = 0; !name && o[i].name; i++)
            if (o[i].val == ch) name = o[i].name;
        idx = -1;
        if (ch == 'h') {
            config_usage(stdout);
            return 1;
        }
        if (ch == ':') {
            log_err("option %s needs a value", argv[optind - 1]);
            return -1;
        }
        if (ch == '?' || !name) {
            log_err("unknown option '%s' (see loadgen bench --help)", argv[optind - 1]);
            return -1;
        }
        if (config_apply(c, name, optarg, err, sizeof err)) {
            log_err("--%s: %s", name, err);
            return -1;
        }
    }
    if (optind < argc) {
        log_err("unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}
