/* Private to httpload.c and httpload_report.c: the driver's threads and
 * connections. */
#ifndef LOADGEN_HTTPLOAD_INT_H
#define LOADGEN_HTTPLOAD_INT_H

#include "http_resp.h"
#include "httpload.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

enum { HL_IDLE, HL_GO, HL_FINISH, HL_STOP };

struct hthread;

/* One keep-alive connection, one request in flight at most. */
struct hconn {
    struct hthread *t;
    int idx;
    struct bufferevent *bev; /* NULL: closed, opened by the next request */
    bool connected, busy, head_done;
    struct http_resp resp;
    int body_state;
    int64_t left; /* body bytes (or chunk bytes) still to read */
    uint64_t seq, intended, sent;
};

/* One thread: its event_base, connections, counts and histograms, never
 * touched by another thread until the join. */
struct hthread {
    struct httpload *h;
    int id;
    pthread_t th;
    struct event_base *base;
    struct event *tick, *send_ev;
    struct hconn *conns;
    int nconns;
    int *idle, nidle; /* a stack: the warmest connection goes first */
    uint64_t next_seq, next_intended, quota;
    bool started, finished;
    uint64_t inflight, sent, late; /* late: sent more than 1 ms after its intended time */
    uint64_t counts[HC_COUNT];
    uint64_t (*persec)[HC_COUNT];
    size_t nsec, used_sec;
    struct hist *lat, *lat_unc;
    uint64_t *times, *ok, cap; /* keep_ids: per seq */
    char *scratch, *req;       /* a template rendered; the request being built */
    size_t scratch_cap, req_len, req_cap;
    _Atomic int done;
    _Atomic uint64_t snap_ok; /* counts[HC_2XX], for httpload_ok */
};

struct httpload {
    const struct httpload_spec *spec;
    struct schedule rate;
    uint32_t run_id, producer_base;
    bool keep_ids, head_method, joined;
    struct sockaddr_storage addr;
    socklen_t alen;
    char fixed[400]; /* " HTTP/1.1\r\nHost: host:port\r\n" */
    size_t fixed_len;
    int nthreads;
    struct hthread *t;
    _Atomic int phase;
    uint64_t start_ns, epoch_offset;
    /* merged at the join */
    uint64_t counts[HC_COUNT], sent, late;
    uint64_t (*persec)[HC_COUNT];
    size_t nsec;
    struct hist *lat, *lat_unc;
};

/* httpload_report.c: every thread's counts into h's (after the join). */
void httpload_merge(struct httpload *h);
void httpload_merged_free(struct httpload *h);

#endif
