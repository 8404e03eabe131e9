/* httpspec: what each request of an HTTP load is (a scenario's load.http,
 * `loadgen http`'s options): the method, the URL split into where it goes
 * and a path template, the body and header templates (template.h), and
 * the connections. httpload.h sends them. */
#ifndef LOADGEN_HTTPSPEC_H
#define LOADGEN_HTTPSPEC_H

#include "template.h"

#include <stdint.h>

#define HTTPLOAD_MAX_THREADS 16
#define HTTPLOAD_MAX_CONNECTIONS 4096

/* What each request is. */
struct httpload_spec {
    char *method;                       /* GET, POST, PUT, PATCH, DELETE */
    char *url;                          /* as given, for the report */
    char host[256], port[8];            /* where it goes */
    struct tpl path, body;              /* body unset: none */
    char *header_keys[TPL_MAX_HEADERS]; /* sent as given, values templated */
    struct tpl header_values[TPL_MAX_HEADERS];
    int nheaders;
    int connections, threads;
    uint64_t timeout_ns; /* no answer by then: a timeout, the connection is closed */
    int line;            /* where the scenario gives it (0: the command line) */
};
/* "http://host[:port]/path" into s's host, port and path template (no
 * https, no user info); 0, or -1 with why. */
int httpload_spec_url(struct httpload_spec *s, const char *url, char *err, size_t cap);
/* The method: 1-16 upper-case letters (GET, POST); 0, or -1 with why. */
int httpload_spec_method(struct httpload_spec *s, const char *method, char *err, size_t cap);
/* One more header: a name without blanks or ':' (Host, Content-Length and
 * Transfer-Encoding are loadgen's to send), a value template without CR or
 * LF. 0; -1 with why when the name is refused (or there are
 * TPL_MAX_HEADERS already); -2 with why when the value is. */
int httpload_spec_header(struct httpload_spec *s, const char *name, const char *value, char *err, size_t cap);
void httpload_spec_free(struct httpload_spec *s);

#endif
