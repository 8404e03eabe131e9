/* The broker's state file (<dir>/broker.json): how `loadgen broker stop
 * --dir` finds a node that another loadgen process started. */
#include "broker.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *broker_state_name(enum broker_state s)
{
    switch (s) {
    case BROKER_RUNNING: return "running";
    case BROKER_PAUSED: return "paused";
    default: return "stopped";
    }
}

int broker_save(const struct broker *b)
{
    char path[600];
    snprintf(path, sizeof path, "%s/broker.json", b->dir);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:b, s:s}", "dir", b->dir,
                          "server", b->server, "nodename", b->nodename, "uri", b->uri,
                          "amqp_port", b->amqp_port, "dist_port", b->dist_port, "epmd_port",
                          b->epmd_port, "pid", (json_int_t)b->pid, "epmd_pid",
                          (json_int_t)b->epmd_pid, "owns_dir", b->owns_dir, "state",
                          broker_state_name(b->state));
    if (!j) return -1;
    int rc = json_dump_file(j, path, JSON_INDENT(2));
    json_decref(j);
    return rc;
}

int broker_load(struct broker *b, const char *dir)
{
    memset(b, 0, sizeof *b);
    char path[600];
    snprintf(path, sizeof path, "%s/broker.json", dir);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        snprintf(b->err, sizeof b->err, "no broker state in %s: %s", path, jerr.text);
        return -1;
    }
    const char *d = "", *server = "", *name = "", *uri = "", *state = "";
    json_int_t pid = 0, epmd = 0;
    int owns = 0;
    if (json_unpack_ex(j, &jerr, 0, "{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s?b, s?s}",
                       "dir", &d, "server", &server, "nodename", &name, "uri", &uri, "amqp_port",
                       &b->amqp_port, "dist_port", &b->dist_port, "epmd_port", &b->epmd_port,
                       "pid", &pid, "epmd_pid", &epmd, "owns_dir", &owns, "state", &state)) {
        snprintf(b->err, sizeof b->err, "bad broker state in %s: %s", path, jerr.text);
        json_decref(j);
        return -1;
    }
    str_copy(b->dir, sizeof b->dir, d);
    str_copy(b->server, sizeof b->server, server);
    str_copy(b->nodename, sizeof b->nodename, name);
    str_copy(b->uri, sizeof b->uri, uri);
    b->pid = (pid_t)pid;
    b->epmd_pid = (pid_t)epmd;
    b->owns_dir = owns;
    b->detach = true; /* a node adopted from a file keeps outliving us */
    b->start_timeout_ms = 90000;
    json_decref(j);
    broker_status(b);
    return 0;
}
