/* `loadgen proxy`: the fault proxy standalone, a Toxiproxy replacement. */
#include "cli.h"
#include "proxy.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: loadgen proxy [--name N] --listen HOST:PORT --upstream HOST:PORT [--api HOST:PORT] [--allow-remote]\n"
          "       loadgen proxy --config proxies.json [--api HOST:PORT]\n"
          "       loadgen proxy [--api HOST:PORT]       (API only; default 127.0.0.1:8474)\n"
          "\n"
          "Forwards TCP connections through toxics (latency, bandwidth, slow_close, timeout,\n"
          "reset_peer, slicer, limit_data) managed over a Toxiproxy-compatible HTTP API.\n"
          "--config: a JSON array of {\"name\", \"listen\", \"upstream\", \"enabled\"}, as\n"
          "toxiproxy-server -config and POST /populate take it.\n"
          "The API is Toxiproxy's (2.x): its clients work unchanged; GET /metrics gives\n"
          "Prometheus text (bytes and connections per proxy, activations per toxic).\n"
          "Every address (proxies and the API) must be loopback: --allow-remote lets a\n"
          "proxy or the API listen on others (0.0.0.0), with a warning.\n"
          "Runs until Ctrl-C.\n",
          f);
}

/* toxiproxy-server -config: the same JSON array as POST /populate, through
 * the same code. */
static int load_config(struct proxy_server *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > (1 << 20)) {
        log_err("%s: larger than 1 MiB", path);
        return -1;
    }
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je), *done = NULL;
    if (!j) {
        log_err("%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    char err[512];
    json_t *ok = proxy_populate(s, j, &done, err, sizeof err);
    json_decref(j);
    if (!ok) log_err("%s: %s", path, err);
    size_t i;
    json_t *p;
    json_array_foreach(ok, i, p)
        log_note("proxy %s %s -> %s%s", json_string_value(json_object_get(p, "name")),
                 json_string_value(json_object_get(p, "listen")), json_string_value(json_object_get(p, "upstream")),
                 json_is_true(json_object_get(p, "enabled")) ? "" : " (disabled)");
    json_decref(done);
    return ok ? 0 : -1;
}

int cmd_proxy(int argc, char **argv)
{
    static const struct option o[] = {
        {"name", required_argument, NULL, 'n'},   {"listen", required_argument, NULL, 'l'},
        {"upstream", required_argument, NULL, 'u'}, {"api", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"allow-remote", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *name = "proxy", *listen = NULL, *upstream = NULL, *api = NULL, *config = NULL;
    bool remote = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
        switch (ch) {
        case 'n': name = optarg; break;
        case 'l': listen = optarg; break;
        case 'u': upstream = optarg; break;
        case 'a': api = optarg; break;
        case 'c': config = optarg; break;
        case 'r': remote = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc || (!listen != !upstream)) {
        if (optind < argc) log_err("proxy: unexpected argument '%s'", argv[optind]);
        else log_err("proxy: --listen and --upstream go together");
        return EXIT_USAGE;
    }
    if (!listen && !config && !api) api = "127.0.0.1:8474";
    struct proxy_server *s = proxy_server_new();
    if (!s) {
        log_err("proxy: cannot start the event loop");
        return EXIT_FAILED;
    }
    proxy_server_allow_remote(s, remote);
    char err[512];
    int rc = EXIT_OK;
    if (listen) {
        if (proxy_create(s, name, listen, upstream, true, err, sizeof err)) {
            log_err("proxy %s: %s", name, err);
            rc = EXIT_USAGE;
            goto out;
        }
        char addr[128];
        proxy_listen_addr(s, name, addr, sizeof addr);
        printf("%s\n", addr);
        log_note("proxy %s %s -> %s", name, addr, upstream);
    }
    if (config && load_config(s, config)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (api) {
        char bound[160];
        if (proxy_api_start(s, api, bound, sizeof bound, err, sizeof err)) {
            log_err("proxy: %s", err);
            rc = EXIT_USAGE;
            goto out;
        }
        log_note("proxy API on http://%s", bound);
    }
    fflush(stdout);
    while (!proc_stop) {
        sleep_ns(100 * NS_PER_MS);
    }
out:
    proxy_server_free(s);
    return rc;
}
