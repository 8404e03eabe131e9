/* proxy: a TCP fault proxy with Toxiproxy's model. Each proxy listens on one
 * address and forwards every accepted connection (a "link": two linked
 * bufferevents with watermark back-pressure) to its upstream, through the
 * toxics configured on it. All proxies of a server run on one thread with
 * its own event_base, so load threads are never slowed by them.
 *
 * Calls below are safe from any thread: they run on the proxy thread and
 * wait. Each returns 0 or -1 with a message in err (when err is given). */
#ifndef LOADGEN_PROXY_H
#define LOADGEN_PROXY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct proxy_server;

struct proxy_stats {
    uint64_t accepted, active, bytes_up, bytes_down;
};

/* "host:port" (an IPv4 host or "localhost"; port 0: any free port) into a
 * socket address: 0, or -1 when it is not one. */
int proxy_parse_addr(const char *hostport, struct sockaddr_storage *ss, socklen_t *len);

/* Whether host:port names a loopback address (127.0.0.0/8, localhost, ::1). */
bool proxy_addr_loopback(const char *hostport);

/* Starts the proxy thread. Returns NULL if libevent cannot be set up. */
struct proxy_server *proxy_server_new(void);
/* Off (the default): a proxy, or the API, that would listen on anything but
 * loopback is refused. loadgen is a test harness on CI machines: one API
 * call must not expose the loopback-only embedded broker to the network.
 * On: `loadgen proxy --allow-remote`, which says so when it binds one. */
void proxy_server_allow_remote(struct proxy_server *s, bool on);
/* Closes every proxy and link, stops and joins the thread. */
void proxy_server_free(struct proxy_server *s);

/* listen/upstream are "host:port"; a listen port of 0 picks a free one
 * (proxy_listen_addr() tells which). */
int proxy_create(struct proxy_server *s, const char *name, const char *listen,
                 const char *upstream, bool enabled, char *err, size_t cap);
int proxy_delete(struct proxy_server *s, const char *name, char *err, size_t cap);
/* Disabled: the listener closes (new connections refused) and every link is
 * closed; enabled: listening again on the same address. */
int proxy_set_enabled(struct proxy_server *s, const char *name, bool enabled, char *err,
                      size_t cap);
int proxy_listen_addr(struct proxy_server *s, const char *name, char *buf, size_t cap);
int proxy_get_stats(struct proxy_server *s, const char *name, struct proxy_stats *out);

/* Adds or updates a toxic from Toxiproxy's JSON shape:
 * {"name":..., "type":..., "stream":"upstream"|"downstream", "toxicity":0..1,
 *  "attributes":{...}}. Missing name: "<type>_<stream>". update: the toxic
 * must exist and only the given fields change. */
int proxy_toxic_set(struct proxy_server *s, const char *proxy, json_t *spec, bool update,
                    char *err, size_t cap);
int proxy_toxic_remove(struct proxy_server *s, const char *proxy, const char *toxic, char *err,
                       size_t cap);
/* Toxiproxy's proxy update: enabled, and listen/upstream when not NULL. A
 * changed address closes the proxy's connections and re-binds. */
int proxy_update(struct proxy_server *s, const char *name, const char *listen, const char *upstream, bool enabled,
                 char *err, size_t cap);
/* Toxiproxy's populate: list is a JSON array of {name, listen, upstream,
 * enabled}, all checked before anything changes; each proxy is created,
 * kept (same listen and upstream: its toxics stay) or replaced. Returns the
 * proxies' JSON (borrowed from *done), or NULL with the reason; *done
 * always gets those applied before a failure (caller frees). */
json_t *proxy_populate(struct proxy_server *s, json_t *list, json_t **done, char *err, size_t cap);
/* Prometheus text of every proxy's bytes and connections and every
 * toxic's activations, appended to an evbuffer. */
void proxy_metrics_text(struct proxy_server *s, void *evbuffer);
/* Enables every proxy and removes every toxic (Toxiproxy's POST /reset). */
void proxy_reset(struct proxy_server *s);

/* JSON views as Toxiproxy's API shows them. NULL when not found. */
json_t *proxy_json(struct proxy_server *s, const char *name);
json_t *proxy_all_json(struct proxy_server *s);
json_t *proxy_toxics_json(struct proxy_server *s, const char *proxy);
json_t *proxy_toxic_json(struct proxy_server *s, const char *proxy, const char *toxic);

/* The HTTP API on addr ("127.0.0.1:8474"; port 0 picks a free one), served
 * by the proxy thread; bound gets the address it listens on. */
int proxy_api_start(struct proxy_server *s, const char *addr, char *bound, size_t bound_cap, char *err,
                    size_t cap);

#endif
