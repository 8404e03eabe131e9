#include "amqpc.h"
#include "config.h"
#include "tls_files.h"
#include "util.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Percent-encodes all but RFC 3986's unreserved characters, so the vhost
 * "/" reads back as the URI a user would write (amqp://host:5672/%2F). */
static const char *uri_escape(const char *s, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s && n + 4 <= cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            buf[n++] = (char)c;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        }
    }
    buf[n] = 0;
    return buf;
}

int amqpc_parse_uri(const char *uri, struct amqpc_target *t, char *err, size_t cap)
{
    char *copy = xstrdup(uri);
    struct amqp_connection_info info;
    memset(t, 0, sizeof *t);
    if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK) {
        char red[600];
        snprintf(err, cap, "'%s' is not an AMQP URI", config_redact_uri(uri, red, sizeof red));
        free(copy);
        return -1;
    }
    t->tls = info.ssl;
    t->tls_verify = true;
    str_copy(t->host, sizeof t->host, info.host);
    t->port = info.port;
    str_copy(t->user, sizeof t->user, info.user);
    str_copy(t->pass, sizeof t->pass, info.password);
    str_copy(t->vhost, sizeof t->vhost, info.vhost);
    char user[3 * sizeof t->user], vhost[3 * sizeof t->vhost];
    snprintf(t->uri_redacted, sizeof t->uri_redacted, "%s://%s@%s:%d/%s", t->tls ? "amqps" : "amqp",
             uri_escape(t->user, user, sizeof user),
             t->host, t->port, uri_escape(t->vhost, vhost, sizeof vhost));
    free(copy);
    return 0;
}

void amqpc_reply_text(amqp_rpc_reply_t r, char *buf, size_t cap)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: snprintf(buf, cap, "ok"); break;
    case AMQP_RESPONSE_NONE: snprintf(buf, cap, "missing RPC reply"); break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(buf, cap, "%s", amqp_error_string2(r.library_error));
        break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            amqp_connection_close_t *m = r.reply.decoded;
            snprintf(buf, cap, "server closed the connection: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            amqp_channel_close_t *m = r.reply.decoded;
            snprintf(buf, cap, "server closed the channel: %u %.*s", m->reply_code,
                     (int)m->reply_text.len, (char *)m->reply_text.bytes);
        } else {
            snprintf(buf, cap, "unexpected server method 0x%08X", r.reply.id);
        }
        break;
    }
}

int amqpc_check(amqp_connection_state_t c, const char *context, char *err, size_t cap)
{
    amqp_rpc_reply_t r = amqp_get_rpc_reply(c);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return 0;
    char why[256];
    amqpc_reply_text(r, why, sizeof why);
    snprintf(err, cap, "%s: %s", context, why);
    return -1;
}

/* rabbitmq-c says only "a socket error occurred": one more connect of our
 * own (error path only) finds the reason, e.g. "Connection refused". */
static const char *connect_error(const struct amqpc_target *t, uint64_t timeout_ns, char *buf, size_t cap)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    int g = getaddrinfo(t->host, port, &hints, &ai);
    if (g) return snprintf(buf, cap, "cannot resolve the host: %s", gai_strerror(g)), buf;
    int e = ETIMEDOUT;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        socklen_t len = sizeof e;
        if (poll(&p, 1, (int)(timeout_ns / NS_PER_MS)) == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
    } else {
        e = fd < 0 ? errno : errno ? errno : 0;
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    snprintf(buf, cap, "%s", e ? strerror(e) : "a socket error occurred");
    return buf;
}

/* The SSL of a connection is rabbitmq-c's; its context (one per
 * connection) is reachable. The info callback sees the SSL as the
 * handshake starts and parks it in the context's app data. */
static void tls_info(const SSL *ssl, int where, int ret)
{
    (void)ret;
    if (where & SSL_CB_HANDSHAKE_START) SSL_CTX_set_app_data(SSL_get_SSL_CTX(ssl), (void *)ssl);
}

/* OpenSSL says why (the broker's alert: "certificate expired", "unknown
 * ca"); rabbitmq-c only "a SSL error occurred". */
static const char *tls_failed(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    char why[160] = "is it the broker's TLS port?";
    if (e) ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    snprintf(buf, cap, "TLS handshake failed (%.150s)", why);
    return buf;
}

static int tls_setup(amqp_socket_t *s, const struct amqpc_target *t, char *err, size_t cap)
{
    /* an encrypted key must never make OpenSSL prompt on the terminal */
    SSL_CTX_set_default_passwd_cb(amqp_ssl_socket_get_context(s), tls_files_no_passphrase);
    if (t->cacert[0] && amqp_ssl_socket_set_cacert(s, t->cacert) != AMQP_STATUS_OK)
        return snprintf(err, cap, "--cacert %s: not a readable PEM certificate file", t->cacert), -1;
    if (t->cert[0] && amqp_ssl_socket_set_key(s, t->cert, t->key) != AMQP_STATUS_OK)
        return snprintf(err, cap, "--cert %s / --key %s: not a readable PEM certificate and its key", t->cert,
                        t->key), -1;
    if (!t->cacert[0]) SSL_CTX_set_default_verify_paths(amqp_ssl_socket_get_context(s));
    amqp_ssl_socket_set_verify_peer(s, t->tls_verify);
    amqp_ssl_socket_set_verify_hostname(s, t->tls_verify);
    SSL_CTX_set_info_callback(amqp_ssl_socket_get_context(s), tls_info);
    return 0;
}

void *amqpc_tls_session(amqp_connection_state_t c)
{
    SSL *ssl = SSL_CTX_get_app_data((SSL_CTX *)amqp_ssl_socket_get_context(amqp_get_socket(c)));
    /* our buffer may move between a write that would block and its retry
     * (partial writes rabbitmq-c's context enables already) */
    if (ssl) SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ssl;
}

ssize_t amqpc_tls_write(void *session, const void *buf, size_t len)
{
    ERR_clear_error();
    int n = SSL_write(session, buf, len > (1 << 30) ? (1 << 30) : (int)len);
    if (n > 0) return n;
    int e = SSL_get_error(session, n);
    return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
}

int amqpc_open(amqp_connection_state_t *out, const struct amqpc_target *t, int heartbeat_s,
               uint64_t timeout_ns, const char *conn_name, int frame_max, char *err, size_t cap)
{
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = t->tls ? amqp_ssl_socket_new(c) : amqp_tcp_socket_new(c);
    struct timeval tv = tv_from_ns(timeout_ns);
    if (!s) {
        snprintf(err, cap, "cannot create socket");
        goto fail;
    }
    if (t->tls && tls_setup(s, t, err, cap)) goto fail;
    int st = amqp_socket_open_noblock(s, t->host, t->port, &tv);
    if (st != AMQP_STATUS_OK) {
        char why[200];
        const char *tls_why = st == AMQP_STATUS_SSL_PEER_VERIFY_FAILED
                                  ? "TLS: the broker's certificate is not trusted (--cacert names the CA that "
                                    "signed it; --verify none skips the check)"
                              : st == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED
                                  ? "TLS: the broker's certificate does not name this host (--verify none skips "
                                    "the check)"
                              : st == AMQP_STATUS_SSL_CONNECTION_FAILED || st == AMQP_STATUS_SSL_ERROR
                                  ? tls_failed(why, sizeof why)
                                  : NULL;
        snprintf(err, cap, "cannot connect to %s: %s", t->uri_redacted,
                 tls_why                          ? tls_why
                 : st == AMQP_STATUS_SOCKET_ERROR ? connect_error(t, timeout_ns, why, sizeof why)
                                                  : amqp_error_string2(st));
        goto fail;
    }
    amqp_set_handshake_timeout(c, &tv);
    amqp_set_rpc_timeout(c, &tv);
    /* consumer_cancel_notify: without it the broker drops a consumer
     * silently when its queue's node fails (a cluster), and the consumer
     * would wait forever on an open channel; with it a basic.cancel comes
     * and the consumer starts over. connection.blocked: an alarm is told
     * (capacity fails a step on it). rabbitmq-c merges these with its own. */
    static const char *const caps[] = {"consumer_cancel_notify", "publisher_confirms", "basic.nack",
                                       "exchange_exchange_bindings", "authentication_failure_close",
                                       "connection.blocked"};
    amqp_table_entry_t cap_entries[6];
    for (int i = 0; i < 6; i++)
        cap_entries[i] = (amqp_table_entry_t){amqp_cstring_bytes(caps[i]),
                                              {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}};
    amqp_table_entry_t prop[2] = {
        {amqp_cstring_bytes("connection_name"),
         {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(conn_name)}},
        {amqp_cstring_bytes("capabilities"), {.kind = AMQP_FIELD_KIND_TABLE, .value.table = {6, cap_entries}}},
    };
    amqp_table_t props = {2, prop};
    amqp_rpc_reply_t r = amqp_login_with_properties(c, t->vhost, 0, frame_max ? frame_max : 131072, heartbeat_s, &props,
                                                    AMQP_SASL_METHOD_PLAIN, t->user, t->pass);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char why[256];
        amqpc_reply_text(r, why, sizeof why);
        snprintf(err, cap, "cannot log in to %s: %s", t->uri_redacted, why);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    amqp_destroy_connection(c);
    return -1;
}

void amqpc_close(amqp_connection_state_t c)
{
    if (!c) return;
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}
