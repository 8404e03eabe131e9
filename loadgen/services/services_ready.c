/* What each instance is given (its fault proxy, its environment, its log)
 * and how loadgen knows it is ready. */
#include "httpget.h"
#include "lgre.h"
#include "proc.h"
#include "proxy.h"
#include "services_int.h"
#include "util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READY_POLL_NS (100 * NS_PER_MS)
#define LOG_SCAN_MAX (4 << 20)

extern char **environ;

/* "%2F" for "/": a vhost in a URI is percent-encoded. */
static void uri_escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
    }
    out[n] = 0;
}

static void add_env(struct svc_instance *in, const char *k, const char *v)
{
    if (in->nenv >= (int)(sizeof in->envp / sizeof in->envp[0]) - 1) return;
    size_t len = strlen(k) + strlen(v) + 2;
    char *e = xmalloc(len);
    snprintf(e, len, "%s=%s", k, v);
    in->envp[in->nenv++] = e;
    in->envp[in->nenv] = NULL;
}

/* The instance's proxy to each node; AMQP_URL is node 1's, AMQP_URLS all. */
static int proxies(struct services *s, struct svc_service *sv, struct svc_instance *in, const struct services_env *env,
                   char *urls, size_t ucap, char *err, size_t cap)
{
    size_t ul = 0;
    urls[0] = 0;
    for (int n = 0; n < env->nnodes; n++) {
        const struct amqpc_target *t = &env->nodes[n];
        char name[64], up[300], addr[64], user[400], pass[400], vhost[400];
        snprintf(name, sizeof name, n ? "svc-%s-%d-n%d" : "svc-%s-%d", sv->spec->name, in->index, n + 1);
        snprintf(up, sizeof up, "%s:%d", strcmp(t->host, "localhost") ? t->host : "127.0.0.1", t->port);
        if (proxy_create(s->proxy, name, "127.0.0.1:0", up, true, err, cap) ||
            proxy_listen_addr(s->proxy, name, addr, sizeof addr))
            return -1;
        if (!n) snprintf(in->proxy, sizeof in->proxy, "%s", name), snprintf(in->listen, sizeof in->listen, "%s", addr);
        uri_escape(t->user, user, sizeof user), uri_escape(t->pass, pass, sizeof pass);
        uri_escape(t->vhost, vhost, sizeof vhost);
        ul += (size_t)snprintf(urls + ul, ul < ucap ? ucap - ul : 0, "%s%s://%s:%s@%s/%s", n ? "," : "",
                               t->tls ? "amqps" : "amqp", user, pass, addr, vhost);
    }
    return 0;
}

int svc_build_env(struct services *s, struct svc_service *sv, struct svc_instance *in, const struct services_env *env,
                  char *err, size_t cap)
{
    char urls[4096], num[32];
    if (proxies(s, sv, in, env, urls, sizeof urls, err, cap)) return -1;
    if (env->run_dir && env->run_dir[0])
        snprintf(in->log, sizeof in->log, "%s/services/%s-%d.log", env->run_dir, sv->spec->name, in->index);
    /* loadgen's environment, less what it sets; then the scenario's env: */
    static const char *const ours[] = {"AMQP_URL=",       "AMQP_URLS=",       "SERVICE_NAME=", "SERVICE_INSTANCE=",
                                       "LOADGEN_RUN_ID=", "LOADGEN_RUN_DIR=", "SERVICE_PORT="};
    for (char **e = environ; e && *e; e++) {
        bool skip = false;
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
            skip |= !strncmp(*e, ours[i], strlen(ours[i]));
        for (int i = 0; i < sv->spec->nenv; i++)
            skip |= !strncmp(*e, sv->spec->env[i], (size_t)(strchr(sv->spec->env[i], '=') - sv->spec->env[i] + 1));
        if (!skip && in->nenv < 200) in->envp[in->nenv++] = xstrdup(*e), in->envp[in->nenv] = NULL;
    }
    char first[1024];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(urls, ","), urls);
    add_env(in, "AMQP_URL", first);
    add_env(in, "AMQP_URLS", urls);
    add_env(in, "SERVICE_NAME", sv->spec->name);
    snprintf(num, sizeof num, "%d", in->index);
    add_env(in, "SERVICE_INSTANCE", num);
    snprintf(num, sizeof num, "%08x", env->run_id);
    add_env(in, "LOADGEN_RUN_ID", num);
    /* where a service may keep its state for the run (a dedup database) */
    char state[1100];
    snprintf(state, sizeof state, "%s/services", env->run_dir);
    add_env(in, "LOADGEN_RUN_DIR", env->run_dir && env->run_dir[0] ? state : "/tmp");
    if (sv->spec->ready == READY_TCP) {
        snprintf(num, sizeof num, "%d", sv->spec->ready_port + in->index);
        add_env(in, "SERVICE_PORT", num);
    }
    for (int i = 0; i < sv->spec->nenv; i++) {
        char k[256];
        snprintf(k, sizeof k, "%.*s", (int)strcspn(sv->spec->env[i], "="), sv->spec->env[i]);
        add_env(in, k, strchr(sv->spec->env[i], '=') + 1);
    }
    return 0;
}

void svc_log_tail(const struct svc_instance *in, char *buf, size_t cap)
{
    buf[0] = 0;
    int fd = in->log[0] ? open(in->log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END), from = end > (off_t)cap - 1 ? end - (off_t)cap + 1 : 0;
    ssize_t n = pread(fd, buf, cap - 1, from);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 32 && *p != '\n') *p = '?';
}

/* The queue's consumers, by a passive declare; -1 unknown. */
static long consumers_of(const struct services_env *env, const char *queue)
{
    amqp_connection_state_t c;
    char err[300];
    if (amqpc_open(&c, &env->nodes[0], 30, 5 * NS_PER_SEC, "loadgen-ready", 0, err, sizeof err)) return -1;
    long n = -1;
    amqp_channel_open(c, 1);
    if (!amqpc_check(c, "channel.open", err, sizeof err)) {
        amqp_queue_declare_ok_t *ok = amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
        if (ok) n = (long)ok->consumer_count;
    }
    amqpc_close(c);
    return n;
}

static bool log_matches(const struct svc_instance *in, const struct lgre *re)
{
    int fd = in->log[0] ? open(in->log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd < 0) return false;
    char *buf = xmalloc(LOG_SCAN_MAX + 1);
    ssize_t n = read(fd, buf, LOG_SCAN_MAX);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    bool m = lgre_match(re, buf, (size_t)(n > 0 ? n : 0));
    free(buf);
    return m;
}

static bool tcp_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* A 2xx from url (http://127.0.0.1:PORT/healthz). */
static bool http_ready(const char *url)
{
    struct http_url u;
    char err[300];
    if (http_url_parse(url, &u, err, sizeof err)) return false;
    /* http_url_parse keeps the path as the prefix */
    int st = http_get_status(&u, u.prefix[0] ? "" : "/", NS_PER_SEC, err, sizeof err);
    return st >= 200 && st < 300;
}

/* Ready yet? Every instance for log and tcp; the queue's count for consumers. */
static bool ready_now(struct svc_service *sv, const struct services_env *env, const struct lgre *re)
{
    const struct service_spec *sp = sv->spec;
    if (sp->ready == READY_CONSUMERS) return consumers_of(env, sp->ready_arg) >= sp->instances;
    if (sp->ready == READY_HTTP) return http_ready(sp->ready_arg);
    for (int k = 0; k < sp->instances; k++) {
        if (sp->ready == READY_LOG && !log_matches(&sv->inst[k], re)) return false;
        if (sp->ready == READY_TCP && !tcp_open(sp->ready_port + k)) return false;
    }
    return true;
}

int svc_wait_ready(struct services *s, struct svc_service *sv, const struct services_env *env, char *err, size_t cap)
{
    const struct service_spec *sp = sv->spec;
    struct lgre *re = NULL;
    if (sp->ready == READY_LOG && !(re = lgre_compile(sp->ready_arg, err, cap)))
        return snprintf(err, cap, "services.%s.ready.log: a bad regular expression", sp->name), EXIT_USAGE;
    uint64_t from = clock_ns(), until = from + sp->ready_timeout_ns;
    int rc = EXIT_OK;
    for (;;) {
        if (sp->ready == READY_NONE || (sp->ready == READY_DELAY && clock_ns() - from >= sp->ready_delay_ns)) break;
        if (sp->ready != READY_DELAY && ready_now(sv, env, re)) break;
        for (int k = 0; k < sp->instances; k++) {
            pthread_mutex_lock(&s->mu);
            bool gone = sv->inst[k].pid == 0;
            pthread_mutex_unlock(&s->mu);
            if (!gone) continue;
            char tail[600];
            svc_log_tail(&sv->inst[k], tail, sizeof tail);
            snprintf(err, cap, "service %s-%d exited before it was ready; its log (%s) ends:\n%s", sp->name, k,
                     sv->inst[k].log[0] ? sv->inst[k].log : "not kept", tail);
            rc = EXIT_BROKER; /* a setup that failed: nothing was measured */
            goto out;
        }
        if (proc_stop) {
            rc = EXIT_INTERRUPTED;
            snprintf(err, cap, "interrupted while waiting for service %s", sp->name);
            goto out;
        }
        if (clock_ns() >= until) {
            char tail[400];
            svc_log_tail(&sv->inst[0], tail, sizeof tail);
            snprintf(err, cap, "service %s not ready after %.0f s (ready: %s); its log (%s) ends:\n%s", sp->name,
                     (double)sp->ready_timeout_ns / 1e9,
                     sp->ready == READY_CONSUMERS ? "consumers"
                     : sp->ready == READY_LOG     ? "log"
                                                  : "tcp",
                     sv->inst[0].log[0] ? sv->inst[0].log : "not kept", tail);
            rc = EXIT_BROKER; /* a setup that failed: nothing was measured */
            goto out;
        }
        sleep_ns(READY_POLL_NS);
    }
    log_note("service %s: %d instance%s ready in %.1f s", sp->name, sp->instances, sp->instances == 1 ? "" : "s",
             (double)(clock_ns() - from) / 1e9);
out:
    lgre_free(re);
    return rc;
}
