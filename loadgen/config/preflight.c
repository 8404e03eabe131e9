#include "preflight.h"
#include "proxy.h"
#include "toxic.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int preflight_output(const char *path, char *err, size_t cap)
{
    char dir[1024];
    str_copy(dir, sizeof dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash) str_copy(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return snprintf(err, cap, "%s: directory %s does not exist", path, dir), -1;
    if (access(dir, W_OK) != 0)
        return snprintf(err, cap, "%s: directory %s is not writable: %s", path, dir, strerror(errno)), -1;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return snprintf(err, cap, "%s is %s, not a file", path,
                        S_ISDIR(st.st_mode) ? "a directory" : S_ISLNK(st.st_mode) ? "a symlink" : "special"),
               -1;
    return 0;
}

/* The API address parses and can be bound now (it is bound for real once
 * the broker is up; a port taken in between still fails then). */
static int check_api(const char *addr, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (proxy_parse_addr(addr, &ss, &len))
        return snprintf(err, cap, "bad address %s (host:port)", addr), -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return snprintf(err, cap, "%s: %s", addr, strerror(errno)), -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&ss, len);
    int e = errno;
    close(fd);
    if (rc) return snprintf(err, cap, "cannot listen on %s: %s", addr, strerror(e)), -1;
    return 0;
}

int preflight_config(const struct config *cfg)
{
    char err[1200], path[1100];
    int bad = 0;
    const struct { const char *opt, *path; } outs[] = {
        {"--json", cfg->json_path}, {"--hlog", cfg->hlog_path}, {"--hgrm", cfg->hgrm_prefix}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (!outs[i].path) continue;
        snprintf(path, sizeof path, "%s%s", outs[i].path, i == 2 ? "-e2e.hgrm" : "");
        if (preflight_output(path, err, sizeof err)) {
            log_err("%s: %s", outs[i].opt, err);
            bad = 1;
        }
    }
    if (cfg->proxy_api && check_api(cfg->proxy_api, err, sizeof err)) {
        log_err("--proxy-api: %s", err);
        bad = 1;
    }
    for (int i = 0; i < cfg->n_proxy_toxics; i++) {
        json_error_t je;
        json_t *spec = json_loads(cfg->proxy_toxics[i], 0, &je);
        struct toxic t = {0};
        if (!spec) {
            log_err("--proxy-toxic %s: not JSON: %s", cfg->proxy_toxics[i], je.text);
            bad = 1;
        } else if (toxic_parse(&t, spec, true, err, sizeof err)) {
            log_err("--proxy-toxic %s: %s", cfg->proxy_toxics[i], err);
            bad = 1;
        }
        json_decref(spec);
    }
    return bad ? -1 : 0;
}
