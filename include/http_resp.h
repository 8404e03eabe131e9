/* http_resp: the head of an HTTP/1.x response and a chunked body's size
 * lines, parsed from bytes a server sent (hostile input: every length is
 * checked, nothing is read past len). Pure, so it is unit-tested and
 * fuzzed alone; httpload.h reads its responses with it. */
#ifndef LOADGEN_HTTP_RESP_H
#define LOADGEN_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_RESP_HEAD_MAX (64 * 1024) /* a longer head is an error, never buffered on */

struct http_resp {
    int status;     /* 100-999 */
    int64_t length; /* Content-Length; -1: none given */
    bool chunked;   /* Transfer-Encoding: chunked (it wins over a length) */
    bool close;     /* Connection: close, or HTTP/1.0 without keep-alive */
};

/* Parses the head at the start of [p, p+len): the head's length (through
 * the blank line) with *r filled, 0 when the blank line has not come yet
 * (and len < HTTP_RESP_HEAD_MAX), or -1 with why (not HTTP, a bad status
 * line, a bad or conflicting Content-Length, a head too long). */
long http_resp_head(const char *p, size_t len, struct http_resp *r, const char **why);

/* A chunk-size line without its CRLF ("1a", "1a;ext=x"): the size, or -1
 * when it is not hex or larger than 2^40. */
int64_t http_resp_chunk_size(const char *line, size_t len);

#endif
