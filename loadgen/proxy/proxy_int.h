/* proxy_int: the proxy's internal structures, shared by proxy.c (data path),
 * proxy_ops.c (public calls) and proxy_api.c (HTTP). Proxy thread only. */
#ifndef LOADGEN_PROXY_INT_H
#define LOADGEN_PROXY_INT_H

#include "proxy.h"
#include "toxic.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <sys/socket.h>

#define PROXY_MAX_TOXICS 16

struct chunk {
    struct chunk *next;
    uint64_t release_ns;
    size_t len;
    unsigned char data[];
};

struct link;

struct pipe { /* one direction: 0 upstream (client->server), 1 downstream */
    struct link *link;
    struct chunk *head, *tail; /* delayed data, in order */
    size_t queued;
    uint64_t last_release;
    struct event *ev_release;
    bool eof;
};

struct proxy;

struct link {
    struct proxy *p;
    struct link *next, *prev;
    struct bufferevent *bev[2]; /* 0: client side, 1: upstream side */
    struct pipe pipe[2];
    struct toxic_env env[2];
    struct toxic_state st[PROXY_MAX_TOXICS];
    bool affected[PROXY_MAX_TOXICS];
    struct ev_token_bucket_cfg *rate[2];
    struct event *ev_close;
};

struct proxy {
    struct proxy_server *srv;
    struct proxy *next;
    char name[64];
    char listen[128], upstream[128];
    struct sockaddr_storage up_addr;
    socklen_t up_len;
    bool enabled;
    struct evconnlistener *lis;
    struct toxic toxics[PROXY_MAX_TOXICS];
    int ntoxics;
    struct link *links;
    struct proxy_stats stats;
    struct event *ev_backoff; /* accept failed (out of descriptors): listening again after it */
    uint64_t accept_logged_ns;
};

struct proxy_server {
    pthread_t thread;
    struct event_base *base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct proxy *proxies;
    struct evhttp *http;
    bool allow_remote;
};

/* Runs fn on the proxy thread and waits (directly when already on it). */
void proxy_run(struct proxy_server *s, void (*fn)(struct proxy_server *, void *), void *arg);
int proxy_listen(struct proxy *p, char *err, size_t cap);
/* listen is an address this server may listen on (loopback unless
 * allow_remote): 0, or -1 with the reason. */
int proxy_check_listen(const struct proxy_server *s, const char *listen, char *err, size_t cap);
void proxy_unlisten(struct proxy *p);
struct proxy *proxy_find(struct proxy_server *s, const char *name);
int proxy_toxic_index(struct proxy *p, const char *name);
void proxy_link_attach(struct link *l, int toxic);
void proxy_link_detach(struct link *l, int toxic);

#endif
