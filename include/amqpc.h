/* amqpc: blocking rabbitmq-c helpers for connection setup and topology.
 * The hot path (frames, publishes, acks) lives in conn.c; these calls block
 * with the connect/RPC timeout given and return 0 or -1 with err filled. */
#ifndef LOADGEN_AMQPC_H
#define LOADGEN_AMQPC_H

#include <amqp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

struct amqpc_target {
    char host[256];
    int port;
    char user[128], pass[128], vhost[128];
    char uri_redacted[700]; /* for messages: never shows the password */
    /* amqps:// */
    bool tls, tls_verify;        /* verify: the peer's chain and its name */
    char cacert[512], cert[512], key[512]; /* PEM files; empty: none */
};

int amqpc_parse_uri(const char *uri, struct amqpc_target *t, char *err, size_t cap);

/* TCP connect + AMQP login with the heartbeat (seconds) and frame_max
 * (0: 128 KiB). On success *out is a logged-in connection whose socket
 * loadgen may poll. */
int amqpc_open(amqp_connection_state_t *out, const struct amqpc_target *t, int heartbeat_s,
               uint64_t timeout_ns, const char *conn_name, int frame_max, char *err, size_t cap);
/* Checks the last RPC reply; on error writes "context: reason" into err. */
int amqpc_check(amqp_connection_state_t c, const char *context, char *err, size_t cap);
/* Human text of an rpc reply (server close code and text, or library error). */
void amqpc_reply_text(amqp_rpc_reply_t r, char *buf, size_t cap);
/* Graceful close (best effort) and destroy. */
void amqpc_close(amqp_connection_state_t c);

/* A TLS connection's session (an OpenSSL SSL *), for writing our own
 * encoded frames on it; rabbitmq-c keeps reading through it. */
void *amqpc_tls_session(amqp_connection_state_t c);
/* SSL_write: bytes taken, 0 when the socket would block, -1 on error. */
ssize_t amqpc_tls_write(void *session, const void *buf, size_t len);

#endif
