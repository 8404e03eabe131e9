#include "httpget.h"
#include "jsoncap.h"
#include "util.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_BODY_MAX (16u << 20)
/* 10,000 connections at 3 values each, /api/overview's few hundred: room to spare */
#define HTTP_JSON_VALUES_MAX 200000

static int unescape(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            unsigned v;
            if (i + 2 >= n || sscanf(src + i + 1, "%2x", &v) != 1) return -1;
            c = (char)v;
            i += 2;
        }
        if (o + 1 >= cap) return -1;
        dst[o++] = c;
    }
    dst[o] = 0;
    return 0;
}

int http_url_parse(const char *url, struct http_url *u, char *err, size_t cap)
{
    memset(u, 0, sizeof *u);
    if (strncmp(url, "http://", 7)) return snprintf(err, cap, "not an http:// URL"), -1;
    const char *p = url + 7, *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *ue = colon ? colon : at;
        if (unescape(u->user, sizeof u->user, p, (size_t)(ue - p)) ||
            (colon && unescape(u->pass, sizeof u->pass, colon + 1, (size_t)(at - colon - 1))))
            return snprintf(err, cap, "bad user or password in the URL"), -1;
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *he = colon ? colon : end;
    if (he == p || (size_t)(he - p) >= sizeof u->host) return snprintf(err, cap, "no host in the URL"), -1;
    memcpy(u->host, p, (size_t)(he - p));
    if (colon) {
        size_t n = (size_t)(end - colon - 1);
        if (!n || n >= sizeof u->port || strspn(colon + 1, "0123456789") < n)
            return snprintf(err, cap, "bad port in the URL"), -1;
        memcpy(u->port, colon + 1, n);
    } else {
        str_copy(u->port, sizeof u->port, "80");
    }
    if (slash) {
        size_t n = strlen(slash);
        while (n && slash[n - 1] == '/') n--;
        if (n >= sizeof u->prefix || memchr(slash, ' ', n) || memchr(slash, '\r', n) || memchr(slash, '\n', n))
            return snprintf(err, cap, "bad path in the URL"), -1;
        memcpy(u->prefix, slash, n);
    }
    return 0;
}

static void base64(const char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

/* Waits for ev on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
    for (;;) {
        uint64_t now = clock_ns();
        if (now >= deadline) return 0;
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)((deadline - now) / NS_PER_MS) + 1);
        if (r < 0 && errno == EINTR) continue;
        return r < 0 ? -1 : r > 0;
    }
}

static int dial(const struct http_url *u, uint64_t deadline, char *err, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc) return snprintf(err, cap, "%s: %s", u->host, gai_strerror(rc)), -1;
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        int soerr = errno;
        socklen_t len = sizeof soerr;
        if (soerr == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
            break;
        snprintf(err, cap, "cannot connect to %s:%s: %s", u->host, u->port,
                 soerr == EINPROGRESS ? "timed out" : strerror(soerr));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* All n bytes of req, by the deadline: 0, -1 (errno says why), -2 late. */
static int send_all(int fd, const char *req, int n, uint64_t deadline)
{
    for (int sent = 0; sent < n;) {
        if (wait_fd(fd, POLLOUT, deadline) != 1) return -2;
        ssize_t w = send(fd, req + sent, (size_t)(n - sent), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
        if (w > 0) sent += (int)w;
    }
    return 0;
}

json_t *http_get_json(const struct http_url *u, const char *path, uint64_t timeout_ns, char *err, size_t cap)
{
    uint64_t deadline = clock_ns() + timeout_ns;
    snprintf(err, cap, "cannot connect to %s:%s", u->host, u->port);
    int fd = dial(u, deadline, err, cap);
    if (fd < 0) return NULL;
    char cred[260], auth[360], req[1200];
    snprintf(cred, sizeof cred, "%s:%s", u->user, u->pass);
    base64(cred, strlen(cred), auth);
    int n = snprintf(req, sizeof req,
                     "GET %s%s HTTP/1.0\r\nHost: %s:%s\r\nAuthorization: Basic %s\r\nAccept: application/json\r\n"
                     "Connection: close\r\n\r\n",
                     u->prefix, path, u->host, u->port, auth);
    json_t *out = NULL;
    char *buf = NULL;
    size_t len = 0, bcap = 0;
    int sr = send_all(fd, req, n, deadline);
    if (sr == -2) goto timeout;
    if (sr) {
        snprintf(err, cap, "%s:%s: %s", u->host, u->port, strerror(errno));
        goto done;
    }
    for (;;) {
        if (len + 65536 + 1 > bcap) {
            if (bcap >= HTTP_BODY_MAX) {
                snprintf(err, cap, "%s: the answer exceeds %u bytes", path, HTTP_BODY_MAX);
                goto done;
            }
            bcap = bcap ? bcap * 2 : 65536 * 2;
            buf = xrealloc(buf, bcap);
        }
        if (wait_fd(fd, POLLIN, deadline) != 1) goto timeout;
        ssize_t r = recv(fd, buf + len, bcap - len - 1, 0);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            snprintf(err, cap, "%s:%s: %s", u->host, u->port, strerror(errno));
            goto done;
        }
        len += (size_t)r;
    }
    buf[len] = 0;
    int status = 0;
    char *body = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 || !body) {
        snprintf(err, cap, "%s: not an HTTP answer", path);
        goto done;
    }
    if (status != 200) {
        snprintf(err, cap, "%s: HTTP %d%s", path, status, status == 401 ? " (user or password refused)" : "");
        goto done;
    }
    json_error_t je;
    char why[80];
    /* a management API answer is input: its expansion is capped too */
    if (jsoncap_check(body + 4, len - (size_t)(body + 4 - buf), HTTP_JSON_VALUES_MAX, 64, why, sizeof why)) {
        snprintf(err, cap, "%s: the answer holds %s", path, why);
        goto done;
    }
    out = json_loads(body + 4, 0, &je);
    if (!out) snprintf(err, cap, "%s: not JSON: %s", path, je.text);
    goto done;
timeout:
    snprintf(err, cap, "%s:%s%s: no answer in %.1f s", u->host, u->port, path, (double)timeout_ns / 1e9);
done:
    free(buf);
    close(fd);
    return out;
}

int http_get_status(const struct http_url *u, const char *path, uint64_t timeout_ns, char *err, size_t cap)
{
    uint64_t deadline = clock_ns() + timeout_ns;
    snprintf(err, cap, "cannot connect to %s:%s", u->host, u->port);
    int fd = dial(u, deadline, err, cap);
    if (fd < 0) return -1;
    char req[1200], buf[64];
    int n = snprintf(req, sizeof req, "GET %s%s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", u->prefix, path,
                     u->host, u->port);
    int status = -1;
    size_t len = 0;
    if (n >= (int)sizeof req) {
        snprintf(err, cap, "the URL is too long");
        goto done;
    }
    if (send_all(fd, req, n, deadline)) {
        snprintf(err, cap, "%s:%s: cannot send", u->host, u->port);
        goto done;
    }
    /* the status line is all we read: "HTTP/1.1 200" */
    while (len < 12) {
        if (wait_fd(fd, POLLIN, deadline) != 1) {
            snprintf(err, cap, "%s:%s%s: no answer in %.1f s", u->host, u->port, path, (double)timeout_ns / 1e9);
            goto done;
        }
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) break;
        if (r > 0) len += (size_t)r;
    }
    buf[len] = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 || status < 100 || status > 999) {
        status = -1;
        snprintf(err, cap, "%s: not an HTTP answer", path);
    }
done:
    close(fd);
    return status;
}
