#include "report.h"
#include "hist.h"
#include "hdrfmt.h"
#include "proc.h"
#include "junit.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef LOADGEN_COMMIT
#define LOADGEN_COMMIT "unknown"
#endif

int report_mkdirs(const char *path, char *err, size_t cap)
{
    char buf[1024];
    str_copy(buf, sizeof buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST) goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST) goto fail;
    return 0;
fail:
    snprintf(err, cap, "cannot create %s: %s", buf, strerror(errno));
    return -1;
}

int report_prepare_dir(const struct config *cfg, char *dir, size_t cap, char *err, size_t errcap)
{
    if (cfg->report_dir) {
        str_copy(dir, cap, cfg->report_dir);
    } else {
        char stamp[32], name[64];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        /* The name goes into a path: keep it to a safe alphabet. */
        const char *src = cfg->name ? cfg->name : "bench";
        size_t n = 0;
        for (; *src && n < sizeof name - 1; src++)
            name[n++] = (char)((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
                                       (*src >= '0' && *src <= '9') || *src == '-' || *src == '.'
                                   ? *src : '_');
        name[n] = 0;
        snprintf(dir, cap, "reports/%s-%s", stamp, name);
        /* Two runs in one second get their own directories. */
        struct stat st;
        for (int i = 2; stat(dir, &st) == 0 && i < 100; i++)
            snprintf(dir, cap, "reports/%s-%s-%d", stamp, name, i);
    }
    return report_mkdirs(dir, err, errcap);
}

int report_write_json(const char *path, json_t *j, size_t flags)
{
    FILE *f = file_create(path);
    int rc = f ? json_dumpf(j, f, flags) : -1;
    if (f && fclose(f)) rc = -1;
    return rc;
}

int report_write_dir(const char *dir, json_t *run, char *err, size_t cap)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    if (report_write_json(path, run, JSON_INDENT(2) | JSON_REAL_PRECISION(15)))
        return snprintf(err, cap, "cannot write %s: %s", path, strerror(errno)), -1;
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    if (junit_write(path, run, err, cap)) return -1;
    snprintf(path, sizeof path, "%s/report.html", dir);
    return report_html_write(path, run, err, cap);
}

json_t *report_load(const char *dir_or_file, char *err, size_t cap)
{
    char path[1200];
    size_t n = strlen(dir_or_file);
    if (n > 5 && !strcmp(dir_or_file + n - 5, ".json"))
        str_copy(path, sizeof path, dir_or_file);
    else
        snprintf(path, sizeof path, "%s/run.json", dir_or_file);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)REPORT_LOAD_MAX) {
        snprintf(err, cap, "%s: %s", path, S_ISREG(st.st_mode) ? "larger than 64 MiB: not a run.json loadgen wrote"
                                                                  : "not a regular file");
        close(fd);
        return NULL;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    for (ssize_t r; got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0;)
        got += (size_t)r;
    close(fd);
    json_error_t je;
    json_t *j = json_loadb(buf, got, 0, &je);
    free(buf);
    if (!j) {
        snprintf(err, cap, "%s: %s", path, je.text);
        return NULL;
    }
    if (!json_is_object(j) || !json_is_integer(run_get(j, RK_SCHEMA_VERSION))) {
        snprintf(err, cap, "%s: not a loadgen run.json (no schema_version)", path);
        json_decref(j);
        return NULL;
    }
    if (json_integer_value(run_get(j, RK_SCHEMA_VERSION)) > REPORT_SCHEMA_VERSION) {
        snprintf(err, cap, "%s: schema_version %lld is newer than this loadgen reads (%d)", path,
                 (long long)json_integer_value(run_get(j, RK_SCHEMA_VERSION)),
                 REPORT_SCHEMA_VERSION);
        json_decref(j);
        return NULL;
    }
    return j;
}

void report_set_environment(json_t *run, const char *broker_version, double started_epoch_s)
{
    struct utsname u;
    char os[400] = "unknown", host[256] = "unknown", started[64];
    if (uname(&u) == 0) {
        snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
        str_copy(host, sizeof host, u.nodename);
    }
    time_t t = (time_t)started_epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    run_set(run, RK_ENV_HOST, json_string(host));
    run_set(run, RK_ENV_OS, json_string(os));
    run_set(run, RK_ENV_CPUS, json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    run_set(run, RK_ENV_LOADGEN_VERSION, json_string(LOADGEN_VERSION));
    run_set(run, RK_ENV_LOADGEN_COMMIT, json_string(LOADGEN_COMMIT));
    run_set(run, RK_ENV_BROKER_VERSION, json_string(broker_version));
    run_set(run, RK_ENV_STARTED_AT, json_string(started));
    run_set(run, RK_ENV_STARTED_EPOCH, json_real(round(started_epoch_s * 1e3) / 1e3));
}

static void dist_point(void *ctx, int64_t value, double p, int64_t cum, bool last)
{
    (void)cum, (void)last;
    json_t **arrs = ctx;
    json_array_append_new(arrs[0], json_real((double)value / 1e6));
    json_array_append_new(arrs[1], json_real(p));
}

json_t *report_latency_json(const struct hist *h)
{
    static const double ps[] = {50, 75, 90, 95, 99, 99.9, 99.99};
    static const enum run_key keys[] = {RK_LAT_P50, RK_LAT_P75, RK_LAT_P90, RK_LAT_P95,
                                        RK_LAT_P99, RK_LAT_P999, RK_LAT_P9999};
    json_t *o = json_object();
    run_set(o, RK_LAT_COUNT, json_integer(h->total_count));
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        run_set(o, keys[i], json_real((double)hist_value_at_percentile(h, ps[i]) / 1e6));
    run_set(o, RK_LAT_MAX, json_real((double)hist_max(h) / 1e6));
    run_set(o, RK_LAT_MEAN, json_real(hist_mean(h) / 1e6));
    run_set(o, RK_LAT_UNIT, json_string("ms"));
    /* The .hgrm rows, for the percentile plot of report.html and compare. */
    json_t *arrs[2] = {json_array(), json_array()};
    hdrfmt_percentile_walk(h, 5, dist_point, arrs);
    run_set(o, RK_LAT_VALUES, arrs[0]);
    run_set(o, RK_LAT_PERCENTILES, arrs[1]);
    return o;
}
