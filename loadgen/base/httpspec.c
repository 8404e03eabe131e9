#include "httpspec.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int httpload_spec_url(struct httpload_spec *s, const char *url, char *err, size_t cap)
{
    /* never echo a password: a URL with user info is not shown */
    const char *auth = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    size_t alen = strcspn(auth, "/");
    bool userinfo = memchr(auth, '@', alen) != NULL;
    const char *shown = userinfo ? "(a URL with user info)" : url;
    if (userinfo) return snprintf(err, cap, "%s: no user info in the URL", shown), -1;
    if (strncmp(url, "http://", 7)) return snprintf(err, cap, "%s: an http:// URL (https is not supported)", shown), -1;
    const char *host = url + 7, *slash = strchr(host, '/');
    size_t hl = slash ? (size_t)(slash - host) : strlen(host);
    const char *colon = memchr(host, ':', hl);
    size_t nl = colon ? (size_t)(colon - host) : hl;
    if (!nl || nl >= sizeof s->host) return snprintf(err, cap, "%s: no host", shown), -1;
    memcpy(s->host, host, nl);
    s->host[nl] = 0;
    if (colon) {
        size_t pl = hl - nl - 1;
        char *end;
        char buf[8] = {0};
        if (!pl || pl > 5) return snprintf(err, cap, "%s: the port is 1-65535", shown), -1;
        memcpy(buf, colon + 1, pl);
        long p = strtol(buf, &end, 10);
        if (*end || p < 1 || p > 65535) return snprintf(err, cap, "%s: the port is 1-65535", shown), -1;
        snprintf(s->port, sizeof s->port, "%ld", p);
    } else {
        snprintf(s->port, sizeof s->port, "80");
    }
    const char *path = slash ? slash : "/";
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return snprintf(err, cap, "%s: a space or control character in the path", shown), -1;
    struct tpl t = {0};
    char why[300];
    if (tpl_compile(&t, path, why, sizeof why)) return snprintf(err, cap, "%s: %s", shown, why), -1;
    tpl_free(&s->path);
    s->path = t;
    free(s->url);
    s->url = xstrdup(url);
    return 0;
}

int httpload_spec_method(struct httpload_spec *s, const char *m, char *err, size_t cap)
{
    size_t n = strlen(m);
    if (!n || n > 16 || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
        return snprintf(err, cap, "an upper-case method (GET, POST, PUT)"), -1;
    free(s->method);
    s->method = xstrdup(m);
    return 0;
}

int httpload_spec_header(struct httpload_spec *s, const char *name, const char *value, char *err, size_t cap)
{
    size_t n = strlen(name);
    if (!n || n >= 128 || strcspn(name, " :\r\n\t") != n || s->nheaders == TPL_MAX_HEADERS)
        return snprintf(err, cap, "header names without blanks or ':', at most %d", TPL_MAX_HEADERS), -1;
    if (!strcasecmp(name, "content-length") || !strcasecmp(name, "host") || !strcasecmp(name, "transfer-encoding"))
        return snprintf(err, cap, "%s is loadgen's to send", name), -1;
    /* a CR or LF would end the header early and smuggle in another */
    if (strpbrk(value, "\r\n")) return snprintf(err, cap, "a header value without CR or LF"), -2;
    if (tpl_compile(&s->header_values[s->nheaders], value, err, cap)) return -2;
    s->header_keys[s->nheaders++] = xstrdup(name);
    return 0;
}

void httpload_spec_free(struct httpload_spec *s)
{
    free(s->method), free(s->url);
    tpl_free(&s->path), tpl_free(&s->body);
    for (int i = 0; i < s->nheaders; i++)
        free(s->header_keys[i]), tpl_free(&s->header_values[i]);
    memset(s, 0, sizeof *s);
}
