/* http_resp: the response head parser on good, bad and random bytes. */
#include "http_resp.h"
#include "jsoncap.h"
#include "util.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static long head(const char *s, struct http_resp *r)
{
    const char *why;
    return http_resp_head(s, strlen(s), r, &why);
}

static void test_heads(void)
{
    struct http_resp r;
    const char *ok = "HTTP/1.1 201 Created\r\nContent-Length: 12\r\nContent-Type: x\r\n\r\n{\"a\": 1}";
    CHECK(head(ok, &r) == (long)(strstr(ok, "\r\n\r\n") + 4 - ok));
    CHECK(r.status == 201 && r.length == 12 && !r.chunked && !r.close);
    CHECK(head("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", &r) > 0 && r.chunked);
    CHECK(head("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n", &r) > 0 && r.close && r.length == -1);
    CHECK(head("HTTP/1.0 200 OK\r\n\r\n", &r) > 0 && r.close); /* 1.0 without keep-alive closes */
    CHECK(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", &r) > 0 && !r.close);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Len", &r) == 0); /* more to come */
    CHECK(head("HTTP/1.1 200", &r) == 0);
    /* refused */
    CHECK(head("SSH-2.0-OpenSSH\r\n\r\n", &r) == -1);
    CHECK(head("garbage!", &r) == -1);
    CHECK(head("HTTP/1.1 2x0 OK\r\n\r\n", &r) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", &r) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", &r) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &r) == -1);
    /* a head that never ends is refused at 64 KiB, not buffered on */
    size_t n = HTTP_RESP_HEAD_MAX + 10;
    char *big = malloc(n + 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 21);
    memset(big + 21, 'a', n - 21);
    big[n] = 0;
    const char *why;
    CHECK(http_resp_head(big, n, &r, &why) == -1 && why);
    free(big);
}

static void test_chunk_sizes(void)
{
    CHECK(http_resp_chunk_size("1a", 2) == 26);
    CHECK(http_resp_chunk_size("0", 1) == 0);
    CHECK(http_resp_chunk_size("FF;ext=1", 8) == 255);
    CHECK(http_resp_chunk_size("", 0) == -1);
    CHECK(http_resp_chunk_size("xyz", 3) == -1);
    CHECK(http_resp_chunk_size("ffffffffffffffffff", 18) == -1); /* past 2^40 */
}

/* Random and mutated heads: never a read past len (ASan in `make asan`),
 * a length within what was given, a status in range. */
static void test_random_bytes(void)
{
    static const char seed[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
    unsigned s = 12345;
    for (int i = 0; i < 20000; i++) {
        size_t len = (s = s * 1103515245 + 12345) % sizeof seed;
        char *b = malloc(len ? len : 1);
        memcpy(b, seed, len);
        for (int k = 0; k < 3 && len; k++) {
            s = s * 1103515245 + 12345;
            b[s % len] = (char)(s >> 16);
        }
        struct http_resp r;
        const char *why;
        long h = http_resp_head(b, len, &r, &why);
        CHECK(h <= (long)len);
        if (h > 0) CHECK(r.status >= 100 && r.status <= 999);
        free(b);
    }
}

/* What a management API answer would expand to, capped before parsing
 * (before: 15 MB of [{},{},...] took 2.4 GB). */
static void json_caps(void)
{
    char why[80];
    size_t n = 15u << 20;
    char *big = xmalloc(n + 1);
    big[0] = '[';
    for (size_t i = 1; i + 3 < n; i += 3) memcpy(big + i, "{},", 3);
    big[n - 2] = '{', big[n - 1] = '}';
    big[n] = 0;
    CHECK(jsoncap_check(big, n, 200000, 64, why, sizeof why) == -1 && strstr(why, "more than 200000"));
    free(big);
    const char *ok = "{\"nodes\": [{\"name\": \"a,b:[{\\\"\", \"mem\": 1}], \"x\": {\"y\": [1, 2, 3]}}";
    CHECK(jsoncap_check(ok, strlen(ok), 30, 8, why, sizeof why) == 0);
    CHECK(jsoncap_check(ok, strlen(ok), 5, 8, why, sizeof why) == -1);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK(jsoncap_check(deep, 200, 1000, 64, why, sizeof why) == -1 && strstr(why, "deeper than 64"));
}

void test_http_resp(void)
{
    json_caps();
    test_heads();
    test_chunk_sizes();
    test_random_bytes();
}
