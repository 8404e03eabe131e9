/* The broker's state file (<dir>/broker.json): how `loadgen broker stop
 * --dir` finds a node that another loadgen process started. */
#include "broker.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *broker_state_name(enum broker_state s)
{
    switch (s) {
    case BROKER_RUNNING: return "running";
    case BROKER_PAUSED: return "paused";
    default: return "stopped";
    }
}

unsigned long long broker_proc_start(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    /* A zombie is dead: it holds its pid until reaped, which an orphan's
     * new parent (a container's pid 1) may never do. */
    if (p && p[1] == ' ' && p[2] == 'Z') return 0;
    for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Written beside and renamed over: a symlink planted at broker.json is
 * replaced, never followed. */
int broker_save(const struct broker *b)
{
    char path[600];
    snprintf(path, sizeof path, "%s/broker.json", b->dir);
    json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:b, s:s}",
                          "owner_pid", (json_int_t)b->owner_pid, "owner_start", (json_int_t)b->owner_start,
                          "dir",
                          b->dir, "server", b->server, "nodename", b->nodename, "uri", b->uri,
                          "amqp_port", b->amqp_port, "dist_port", b->dist_port, "epmd_port",
                          b->epmd_port, "pid", (json_int_t)b->pid, "epmd_pid",
                          (json_int_t)b->epmd_pid, "pid_start", (json_int_t)b->pid_start,
                          "epmd_start", (json_int_t)b->epmd_start, "owns_dir", b->owns_dir,
                          "state", broker_state_name(b->state));
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text) return -1;
    int rc = file_replace(path, text, 0600);
    free(text);
    return rc;
}

int broker_load(struct broker *b, const char *dir, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    char path[600];
    snprintf(path, sizeof path, "%s/broker.json", dir);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        snprintf(err, cap, "no broker state in %s: %s", path, jerr.text);
        return -1;
    }
    const char *d = "", *server = "", *name = "", *uri = "", *state = "";
    json_int_t pid = 0, epmd = 0, pid_start = 0, epmd_start = 0, owner = 0, owner_start = 0;
    int owns = 0;
    if (json_unpack_ex(j, &jerr, 0, "{s?I, s?I, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s?I, s?I, s?b, s?s}",
                       "owner_pid", &owner, "owner_start", &owner_start, "dir", &d, "server", &server, "nodename",
                       &name, "uri", &uri, "amqp_port", &b->amqp_port, "dist_port", &b->dist_port, "epmd_port",
                       &b->epmd_port, "pid", &pid, "epmd_pid", &epmd, "pid_start", &pid_start, "epmd_start",
                       &epmd_start, "owns_dir", &owns, "state", &state)) {
        snprintf(err, cap, "bad broker state in %s: %s", path, jerr.text);
        json_decref(j);
        return -1;
    }
    str_copy(b->dir, sizeof b->dir, d);
    str_copy(b->server, sizeof b->server, server);
    str_copy(b->nodename, sizeof b->nodename, name);
    str_copy(b->uri, sizeof b->uri, uri);
    /* A pid that is another process now (or that no start time vouches
     * for) is forgotten: signalling it would hit a stranger. */
    b->owner_pid = (pid_t)owner;
    b->owner_start = (unsigned long long)owner_start;
    b->pid_start = (unsigned long long)pid_start;
    b->epmd_start = (unsigned long long)epmd_start;
    b->pid = pid > 0 && pid_start && broker_proc_start((pid_t)pid) == b->pid_start ? (pid_t)pid : 0;
    b->epmd_pid = epmd > 0 && epmd_start && broker_proc_start((pid_t)epmd) == b->epmd_start
                      ? (pid_t)epmd : 0;
    if (pid > 0 && !b->pid) log_info("%s: pid %lld is no longer the node: not signalled", path, (long long)pid);
    b->owns_dir = owns;
    b->detach = true; /* a node adopted from a file keeps outliving us */
    b->start_timeout_ms = 90000;
    json_decref(j);
    broker_status(b);
    return 0;
}

int broker_dir_check(const char *dir, char *err, size_t cap)
{
    struct stat st;
    if (lstat(dir, &st) != 0) return snprintf(err, cap, "%s: %s", dir, strerror(errno)), -1;
    if (!S_ISDIR(st.st_mode))
        return snprintf(err, cap, "%s is not a directory (a symlink is refused too)", dir), -1;
    if (st.st_uid != geteuid())
        return snprintf(err, cap, "%s is owned by uid %ld, not by us", dir, (long)st.st_uid), -1;
    if (st.st_mode & 022)
        return snprintf(err, cap, "%s is writable by others (mode %04o): a planted cookie or "
                        "config would run in the node", dir, (unsigned)(st.st_mode & 07777)), -1;
    return 0;
}

static int make_private_dir(const char *dir, char *err, size_t cap)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return snprintf(err, cap, "cannot create %s: %s", dir, strerror(errno)), -1;
    return broker_dir_check(dir, err, cap);
}

int broker_default_dir(char *buf, size_t cap, char *err, size_t errcap)
{
    const char *run = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
    if (run && *run) {
        snprintf(buf, cap, "%s/loadgen-broker", run);
        return 0;
    }
    char parent[512];
    snprintf(parent, sizeof parent, "%s/loadgen-%ld", tmp && *tmp ? tmp : "/tmp", (long)geteuid());
    if (make_private_dir(parent, err, errcap)) return -1;
    snprintf(buf, cap, "%s/broker", parent);
    return 0;
}

void broker_clean_stale(void)
{
    const char *tmp = getenv("TMPDIR");
    const char *base = tmp && *tmp ? tmp : "/tmp";
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "loadgen-broker-", 15)) continue;
        char dir[1024], err[256];
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        if (broker_dir_check(dir, err, sizeof err)) continue; /* not ours */
        struct broker b;
        struct stat st;
        bool stale;
        /* Stale: the loadgen that made it is gone (its pid is another
         * process or none) and so is its node. A loadgen still booting one
         * is alive, so its dir stays. */
        if (broker_load(&b, dir, err, sizeof err) == 0)
            stale = !b.pid && !b.epmd_pid &&
                    (!b.owner_pid || broker_proc_start(b.owner_pid) != b.owner_start);
        else stale = stat(dir, &st) == 0 && time(NULL) - st.st_mtime > 600;
        if (stale) rm_tree(dir);
    }
    closedir(d);
}
