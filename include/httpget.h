/* httpget: one blocking HTTP/1.0 GET with basic auth and a deadline, for
 * the management API (resources.h). Plain http only; the body is capped. */
#ifndef LOADGEN_HTTPGET_H
#define LOADGEN_HTTPGET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct http_url {
    char host[256], port[8], user[128], pass[128], prefix[256];
};

/* "http://[user[:pass]@]host[:port][/prefix]" (user and pass may be
 * %-encoded). -1 with the reason. */
int http_url_parse(const char *url, struct http_url *u, char *err, size_t cap);
/* GET prefix+path, expecting 200 and a JSON body (at most 16 MiB), within
 * timeout_ns. The body parsed, or NULL with the reason. */
json_t *http_get_json(const struct http_url *u, const char *path, uint64_t timeout_ns, char *err, size_t cap);
/* GET prefix+path without credentials (a service's health check): the
 * answer's status, or -1 with the reason (no connection, no answer). */
int http_get_status(const struct http_url *u, const char *path, uint64_t timeout_ns, char *err, size_t cap);

#endif
