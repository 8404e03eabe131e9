#include "http_resp.h"

#include <string.h>
#include <strings.h>

/* The end of the line starting at p (its '\r'), or NULL within [p, end). */
static const char *line_end(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n') return p;
    return NULL;
}

static bool header_is(const char *p, const char *colon, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(colon - p) == n && !strncasecmp(p, name, n);
}

/* The value between the colon and the line's end, without blanks. */
static void value_of(const char **v, const char **e)
{
    while (*v < *e && (**v == ' ' || **v == '\t'))
        (*v)++;
    while (*e > *v && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static bool has_token(const char *v, const char *e, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = v; p + n <= e; p++)
        if (!strncasecmp(p, tok, n) && (p == v || p[-1] == ' ' || p[-1] == ',') &&
            (p + n == e || p[n] == ' ' || p[n] == ','))
            return true;
    return false;
}

static int64_t decimal(const char *v, const char *e)
{
    if (v == e || e - v > 15) return -1;
    int64_t n = 0;
    for (; v < e; v++) {
        if (*v < '0' || *v > '9') return -1;
        n = n * 10 + (*v - '0');
    }
    return n;
}

long http_resp_head(const char *p, size_t len, struct http_resp *r, const char **why)
{
    const char *end = p + (len > HTTP_RESP_HEAD_MAX ? HTTP_RESP_HEAD_MAX : len);
    *r = (struct http_resp){.length = -1};
    *why = NULL;
    const char *le = line_end(p, end);
    if (!le) {
        if (len >= HTTP_RESP_HEAD_MAX) return *why = "response head longer than 64 KiB", -1;
        /* refuse junk early rather than buffering it */
        if (len >= 5 && strncmp(p, "HTTP/", 5)) return *why = "not an HTTP response", -1;
        return 0;
    }
    if (le - p < 12 || strncmp(p, "HTTP/1.", 7) || p[8] != ' ') return *why = "bad status line", -1;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') return *why = "bad status code", -1;
        st = st * 10 + p[i] - '0';
    }
    if (st < 100 || (le - p > 12 && p[12] != ' ')) return *why = "bad status code", -1;
    r->status = st;
    bool http10 = p[7] == '0', keep_alive = false;
    for (const char *l = le + 2;;) {
        const char *e = line_end(l, end);
        if (!e) {
            if (len >= HTTP_RESP_HEAD_MAX) return *why = "response head longer than 64 KiB", -1;
            return 0;
        }
        if (e == l) { /* the blank line */
            if (http10 && !keep_alive) r->close = true;
            return (long)(e + 2 - p);
        }
        const char *colon = memchr(l, ':', (size_t)(e - l));
        if (!colon || colon == l) return *why = "bad header line", -1;
        const char *v = colon + 1, *ve = e;
        value_of(&v, &ve);
        if (header_is(l, colon, "content-length")) {
            int64_t n = decimal(v, ve);
            if (n < 0 || (r->length >= 0 && r->length != n)) return *why = "bad Content-Length", -1;
            r->length = n;
        } else if (header_is(l, colon, "transfer-encoding")) {
            if (has_token(v, ve, "chunked"))
                r->chunked = true;
            else
                return *why = "a transfer encoding other than chunked", -1;
        } else if (header_is(l, colon, "connection")) {
            if (has_token(v, ve, "close")) r->close = true;
            if (has_token(v, ve, "keep-alive")) keep_alive = true;
        }
        l = e + 2;
    }
}

int64_t http_resp_chunk_size(const char *line, size_t len)
{
    int64_t n = 0;
    size_t i = 0;
    for (; i < len && line[i] != ';' && line[i] != ' '; i++) {
        char c = line[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0 || n > ((int64_t)1 << 36)) return -1;
        n = n * 16 + d;
    }
    return i ? n : -1;
}
