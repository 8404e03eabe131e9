/* `loadgen http URL`: the open-loop HTTP driver alone (httpload.h), wrk2's
 * way: requests at --rate from their intended send times, latency
 * corrected and uncorrected, status classes and errors. No broker. */
#include "cli.h"
#include "hdrfmt.h"
#include "httpload.h"
#include "units.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: loadgen http URL [--rate R|R:DUR,...] [--duration D] [--requests N]\n"
                            "                        [--connections C] [--threads T] [--method M] [--body TEXT]\n"
                            "                        [--header 'Name: value'] [--timeout D] [--json FILE]\n"
                            "Sends requests to URL (http://host:port/path) open-loop: each at its intended\n"
                            "time on the rate's schedule (0: as fast as the connections answer), latency from\n"
                            "that time (corrected) and from the actual send. The path, body and header values\n"
                            "take template.h's placeholders ({id}, {seq}, {time}, ...). Defaults: rate 0,\n"
                            "duration 10s, 16 connections, 1 thread, GET, timeout 10s.\n";

static int bad(const char *opt, const char *why)
{
    fprintf(stderr, "loadgen http: %s: %s\n%s", opt, why, usage);
    return EXIT_USAGE;
}

/* "Name: value" into s; -1 with why. */
static int header(struct httpload_spec *s, const char *h, char *err, size_t cap)
{
    const char *colon = strchr(h, ':');
    if (!colon) return snprintf(err, cap, "'Name: value'"), -1;
    char *name = xstrdup(h);
    name[colon - h] = 0;
    const char *v = colon + 1;
    while (*v == ' ')
        v++;
    int rc = httpload_spec_header(s, name, v, err, cap);
    free(name);
    return rc ? -1 : 0;
}

static int parse(int argc, char **argv, struct httpload_spec *s, struct schedule *rate, uint64_t *dur,
                 uint64_t *requests, const char **json)
{
    const char *url = NULL;
    char err[400];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(usage, stdout), 1;
        if (a[0] != '-') {
            if (url) return bad(a, "one URL");
            url = a;
            continue;
        }
        if (!v) return bad(a, "needs a value");
        i++;
        if (!strcmp(a, "--rate")) {
            if (schedule_parse(v, false, rate)) return bad(a, "a rate (1000, 20k) or a schedule (1k:10s,5k:10s)");
        } else if (!strcmp(a, "--duration")) {
            if (units_duration(v, dur) || !*dur) return bad(a, "a duration (10s)");
        } else if (!strcmp(a, "--requests")) {
            if (units_count(v, requests)) return bad(a, "a count");
        } else if (!strcmp(a, "--connections")) {
            if (units_count(v, &n) || !n || n > HTTPLOAD_MAX_CONNECTIONS) return bad(a, "1-4096");
            s->connections = (int)n;
        } else if (!strcmp(a, "--threads")) {
            if (units_count(v, &n) || !n || n > HTTPLOAD_MAX_THREADS) return bad(a, "1-16");
            s->threads = (int)n;
        } else if (!strcmp(a, "--method")) {
            if (httpload_spec_method(s, v, err, sizeof err)) return bad(a, err);
        } else if (!strcmp(a, "--body")) {
            if (tpl_compile(&s->body, v, err, sizeof err)) return bad(a, err);
        } else if (!strcmp(a, "--header")) {
            if (header(s, v, err, sizeof err)) return bad(a, err);
        } else if (!strcmp(a, "--timeout")) {
            if (units_duration(v, &s->timeout_ns) || !s->timeout_ns) return bad(a, "a duration (10s)");
        } else if (!strcmp(a, "--json")) {
            *json = v;
        } else {
            return bad(a, "unknown option");
        }
    }
    if (!url) return bad("URL", "missing");
    if (httpload_spec_url(s, url, err, sizeof err)) return bad("URL", err);
    return 0;
}

int cmd_http(int argc, char **argv)
{
    struct httpload_spec s = {.connections = 16, .threads = 1, .timeout_ns = 10 * NS_PER_SEC};
    s.method = xstrdup("GET");
    struct schedule rate = {.n = 1};
    uint64_t dur = 10 * NS_PER_SEC, requests = 0;
    const char *json = NULL;
    int rc = parse(argc, argv, &s, &rate, &dur, &requests, &json);
    if (rc) {
        httpload_spec_free(&s);
        return rc == 1 ? EXIT_OK : rc;
    }
    char err[400];
    struct httpload *h = httpload_new(&s, &rate, requests, 0, 0, false, err, sizeof err);
    if (!h) {
        fprintf(stderr, "loadgen http: %s\n", err);
        httpload_spec_free(&s);
        return EXIT_USAGE;
    }
    uint64_t start = clock_ns();
    httpload_go(h, start);
    while (!proc_stop && clock_ns() - start < dur && !(requests && httpload_done(h)))
        sleep_ns(10 * NS_PER_MS);
    double measured = (double)(clock_ns() - start) / 1e9;
    httpload_finish(h);
    uint64_t until = clock_ns() + s.timeout_ns + NS_PER_SEC;
    while (!proc_stop && !httpload_done(h) && clock_ns() < until)
        sleep_ns(10 * NS_PER_MS);
    httpload_join(h);
    httpload_print(h, measured);
    if (json) {
        FILE *f = file_create(json);
        json_t *o = httpload_json(h, measured);
        if (!f || json_dumpf(o, f, JSON_INDENT(2))) fprintf(stderr, "loadgen http: cannot write %s\n", json);
        if (f) fclose(f);
        json_decref(o);
    }
    httpload_free(h);
    httpload_spec_free(&s);
    return proc_stop ? EXIT_INTERRUPTED : EXIT_OK;
}
