/* worker: one thread, one event_base, many AMQP connections. Shared nothing:
 * its connections, agents, counters and histograms are touched only by this
 * thread. The bench reads a few relaxed atomics (snapshot) and receives one
 * struct interval per second through the collector queue. */
#ifndef LOADGEN_WORKER_H
#define LOADGEN_WORKER_H

#include "amqpc.h"
#include "config.h"
#include "ledger.h"
#include "msg.h"
#include "stats.h"
#include "topo.h"
#include "wire.h"

#include <amqp.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum bench_phase { PHASE_RUN, PHASE_DRAIN, PHASE_STOP };

/* What bench and all workers share, read-only after start except the phase. */
struct run_ctx {
    const struct config *cfg;
    struct amqpc_target targets[CONFIG_MAX_NODES]; /* a cluster's nodes, else one */
    int ntargets;
    uint32_t run_id;
    uint64_t start_ns;        /* CLOCK_MONOTONIC start of publishing */
    _Atomic int phase;        /* enum bench_phase */
    struct collector *rep;
    _Atomic int go;           /* bench says go (start_ns is set) */
    int nworkers;
    struct httpload *http;    /* load.http's driver (cfg->http), or NULL */
    /* a `crash` fault: the consumers of crash_queue (-1: all) drop their
     * connections and stay away until crash_until_ns; each worker acts once
     * per crash_gen and adds what it did to crash_acked / crash_conns */
    _Atomic uint64_t crash_gen, crash_until_ns;
    _Atomic int crash_queue, crash_acked, crash_conns;
    /* Consumers the broker forgot: per queue, the consumers loadgen
     * believes subscribed (consume-ok seen, connection up), and a
     * generation the resource sampler moves when the broker has listed
     * fewer for 2 samples in a row; every consumer of that queue
     * subscribed before the move then subscribes again (a reconnect). */
    _Atomic int *attached;
    _Atomic uint64_t *forgot_gen;
    int nqueues;
    struct effects *fx; /* a service run: the effects consumer (effects.h), else NULL */
};

/* Unconfirmed publish, kept until acked or nacked. */
struct inflight {
    uint64_t tag, seq, intended_ns, sent_ns;
    uint32_t attempt;
    bool done;
};


struct agent;
struct conn;
struct effects;
struct tpl_out;
struct worker;

/* Why a delivery was last dead-lettered (the first x-death entry). */
enum dl_reason { DL_NONE, DL_REJECTED, DL_EXPIRED, DL_MAXLEN, DL_DELIVERY_LIMIT };

struct pending_ack { /* a delivery in simulated processing (--consumer-delay) */
    uint64_t done_ns, tag;
    struct msg_header h;
    bool redelivered;
    uint32_t rejections;
    enum dl_reason dead_letter;
};

struct chan_rx;

/* What a connection asks of the agents on its channels: conn.c sits below
 * producer.c and consumer.c and calls up only through these (each role's
 * init sets a->ops). NULL: not this role's. */
struct agent_ops {
    int (*setup)(struct agent *a, char *err, size_t cap); /* the connector's thread: declare, consume */
    void (*attached)(struct agent *a);                      /* the loop's thread: the connection is up */
    void (*lost_connection)(struct agent *a);
    void (*on_ack)(struct agent *a, uint64_t tag, bool multiple, bool nack);
    void (*on_message)(struct agent *a, struct chan_rx *rx);
    void (*flush_acks)(struct agent *a);
    uint64_t (*oldest_unconfirmed_ns)(const struct agent *a);
};
extern const struct agent_ops producer_ops, consumer_ops;

struct agent {
    bool producer;
    const struct agent_ops *ops;
    int id;              /* global producer or consumer index */
    int channel;
    int queue_idx;
    const char *queue;       /* the worker's name table (worker.c's queue_name): one copy per queue */
    const char *routing_key; /* cfg->routing_key, else queue */
    struct conn *conn;
    /* producer */
    uint64_t seq, limit;              /* next sequence; publish up to limit */
    uint64_t next_intended_ns, intended_rem; /* place in the rate schedule, and the ns fraction (x rate) */
    uint64_t next_tag;
    struct inflight *ring;            /* grows to cfg->confirm as the window fills */
    uint64_t ring_head, ring_count, ring_cap;
    struct inflight *retry;           /* unconfirmed at a connection loss, or nacked */
    uint64_t retry_head, retry_count, retry_cap;
    uint64_t nack_backoff_ns, retry_after_ns; /* after a nack: republish no sooner */
    uint64_t cwnd;                    /* unconfirmed allowed: halved per nack, grows per confirm */
    uint64_t *confirmed;              /* bit s: sequence s was confirmed */
    uint64_t confirmed_nbits;
    unsigned char *body;              /* header + payload buffer */
    uint64_t body_cap, payload_len;
    uint32_t payload_crc;
    struct event *ev_send;
    bool done;
    struct tpl_out *tpl;              /* a templated load (cfg->tpl): the message being built */
    uint64_t *times;                  /* with cfg->effects: per seq, its intended and first send time */
    uint64_t ntimes;
    /* consumer */
    struct consumer_settings set;        /* its queue's settings, else the load's */
    uint64_t unacked, last_tag;
    int64_t stream_next;        /* a stream consumer resumes here after a reconnect (-1: the configured offset) */
    uint64_t busy_until_ns;
    struct pending_ack *pend;
    uint64_t pend_head, pend_count, pend_cap;
    struct event *ev_complete;
    struct event *ev_ack;                /* coalesced acks go at the end of a send tick */
    bool coalesce_acks;                  /* a paced run: see consumer.c's ack() */
    bool dense;                          /* its last two deliveries came within two send ticks */
    uint64_t last_delivery_ns;
    uint64_t *highest; /* per producer: ordering is judged per consumer (worker.c's highest_of) */
    uint32_t *high_keys, high_cap, high_n;
    bool subscribed;     /* counted in run->attached[queue_idx] */
    uint64_t forgot_seen; /* run->forgot_gen[queue_idx] when it subscribed */
    unsigned char *park_body; /* a failed message rebuilt for QUEUE.dlq */
    size_t park_cap;
    char *dlq;                /* QUEUE.dlq, named at the first park */
};

/* Content in progress on one channel (deliver/return + header + bodies). */
struct chan_rx {
    bool active, is_return;
    uint64_t tag;
    bool redelivered;
    uint32_t rejections;  /* x-death: times rejected from a queue (retry pattern) */
    enum dl_reason dead_letter; /* x-death: the latest dead-letter hop's reason */
    int64_t stream_offset;      /* a stream's x-stream-offset header, -1 none */
    uint64_t body_size;
    struct msg_decoder dec;
};

struct conn {
    struct worker *w;
    int index;
    amqp_connection_state_t amqp;
    int fd;
    void *tls;               /* amqps: the TLS session our own writes go through */
    bool up;
    struct event *ev_read, *ev_write, *ev_reconnect;
    struct wire_buf out;     /* our encoded publishes and acks */
    bool write_blocked;      /* out has bytes the kernel would not take yet */
    uint32_t frame_max;
    uint64_t last_rx_ns;     /* last bytes from the broker: our dead-peer check */
    uint64_t last_pump_ns;   /* last call into rabbitmq-c's frame reader (TLS) */
    uint64_t last_tx_ns;     /* last bytes we sent: our heartbeats (conn_service) */
    bool stamped;            /* in the worker's read set, with kernel receive times (rxbatch.c) */
    int rx_fd;               /* our descriptor of the socket in that set */
    uint64_t rx_ns;          /* CLOCK_MONOTONIC arrival of the newest bytes read (0: none stamped) */
    unsigned char *part;     /* a frame the last read cut (rxframes.c), allocated when one is */
    uint32_t part_len, part_cap;
    bool own_fd;             /* rabbitmq-c is gone (conn_own): fd is ours to close */
    struct agent **agents; /* by channel - 1 */
    struct chan_rx *rx;    /* by channel - 1 */
    int nagents;
    uint64_t backoff_ns;
    int node;                /* run->targets[node]: where it connects (next one after a failure) */
    uint64_t down_until_ns;  /* a crashed consumer stays away until then */
    uint64_t bytes_since_check;
    int sndbuf;
    /* while connecting is set the connector thread owns the connection */
    bool connecting;
    bool initial;            /* its first setup, before the run starts */
    int setup_rc;
    char *setup_error;       /* why setup_rc is not 0 (heap; a 512-byte array here was 5 MB at 10k conns) */
};

/* connector.c: a worker's setup thread (see there). */
struct connector {
    pthread_t thread;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn **todo, **done;
    int cap, todo_head, ntodo, ndone;
    uint64_t every_ns; /* pacing: one setup per this (0: no pacing) */
    int efd;           /* eventfd: the loop's "connections are ready" */
    /* the blocking setup it runs for each connection (conn_setup): given,
     * so the connector stays below the connections it sets up */
    int (*setup)(struct conn *c, char *err, size_t cap);
};
int connector_init(struct connector *k, int nconns, double rate_per_s, int (*setup)(struct conn *, char *, size_t),
                   char *err, size_t cap);
void connector_submit(struct connector *k, struct conn *c);
/* Wakes the loop's on_connected (any thread). */
void connector_signal(struct connector *k);
/* Takes up to max finished setups (c->setup_rc says how it went). */
int connector_take(struct connector *k, struct conn **out, int max);
/* Forgets the setups not started yet. */
void connector_drop_pending(struct connector *k);
void connector_stop(struct connector *k);
void connector_free(struct connector *k);

struct interval {
    int worker;
    uint64_t index;           /* second since start */
    bool final;
    double length_s;             /* 1.0, or less for a final partial second */
    uint64_t counters[ST_COUNT]; /* cumulative at the interval end */
    struct stats_hists hists;    /* this interval only */
    struct interval *next;
};

struct worker {
    int id;
    pthread_t thread;
    struct run_ctx *run;
    const struct config *cfg;
    struct event_base *base;
    struct conn *conns;
    int nconns;
    struct agent *agents;
    int nagents;
    uint64_t counters[ST_COUNT];
    struct stats_hists hists;
    struct event *ev_tick, *ev_interval, *ev_service;
    int service_slice;        /* the next slice of conns[] the service timer walks */
    uint64_t interval_index;
    bool flushed_at_stop;
    struct seq_track **track; /* [queue][producer], lazily allocated */
    uint64_t **queue_highest; /* [queue][producer]: --ordering queue (one thread) */
    char **queue_names;       /* [queue]: named once for the agents on it, lazily */
    uint64_t rng;             /* handler failures: xorshift64* state */
    int nproducers_total;
    struct wire_table *route_headers; /* per route of cfg->topo: its headers, encoded once */
    int nroute_headers;
    uint64_t crash_seen;              /* the last run->crash_gen acted on */
    uint64_t forgot_sum;              /* the sum of run->forgot_gen[] last walked for */
    int nup;                          /* connections up (conn.c keeps it) */
    struct connector connector;
    struct event *ev_connected;       /* the connector's eventfd */
    int initial_left;                 /* first setups not back yet */
    bool started;                     /* saw run->go */
    _Atomic int ready;                /* 0 connecting, 1 every connection up, -1 a setup failed */
    /* read by bench without locks */
    _Atomic uint64_t snap_published, snap_consumed, snap_inflight, snap_confirmed, snap_unique;
    uint64_t unique_total; /* distinct (queue, producer, seq) this thread saw */
    _Atomic int snap_producers_done, snap_up;
    _Atomic int snap_phase; /* the phase its last snapshot saw: in_flight is read only from PHASE_DRAIN on */
    int nproducers;
    struct {
        int epfd;                  /* every stamped connection's socket, polled at a producer's tick */
        bool deferred;             /* the read events are off: a producer's tick reads */
        struct event *ev_backstop; /* two ticks with no read: the read events come back on */
        unsigned char *buf;        /* RXB_BUF: what one read of a connection brings (conn.c's pump_own) */
    } rxb;
    amqp_connection_state_t rxf_dec; /* rabbitmq-c's frame decoder for our reads (rxframes.c) */
    char setup_error[512];
};

/* Assigns agents to connections and connections to workers (round-robin). */
struct worker *worker_create_all(struct run_ctx *run, int *nworkers);
/* Starts the thread: its loop runs at once (heartbeats flow) while its
 * connector sets up the connections; w->ready says when all are up (or -1
 * with a message in w->setup_error). Publishing starts at run->go. */
int worker_start(struct worker *w);
/* Wakes w's loop to look at run->go and run->phase (any thread). */
void worker_wake(struct worker *w);
void worker_join(struct worker *w);
void worker_destroy_all(struct worker *ws, int n);

/* conn.c: the event-loop side of one AMQP connection. conn_setup is the
 * blocking part (the connector's thread); conn_attach puts a set-up
 * connection into the loop. */
int conn_setup(struct conn *c, char *err, size_t cap);
void conn_attach(struct conn *c);
void conn_fail(struct conn *c, enum stats_counter category, const char *why);
void conn_down(struct conn *c, bool graceful);
void conn_on_read(evutil_socket_t fd, short what, void *arg);
/* A producer's wake-up: reads what arrived while the read events were off. */
void conn_read_waiting(struct worker *w);
/* Its service (heartbeats, dead-peer check, pending acks): every
 * conn_service_ns, from the worker's service timer. */
void conn_service(struct conn *c);
uint64_t conn_service_ns(const struct config *cfg);
void conn_on_reconnect(evutil_socket_t fd, short what, void *arg);
bool conn_can_write(struct conn *c);
/* Sends out; on a partial write waits for EV_WRITE. -1 if c failed. */
int conn_flush(struct conn *c);

/* rxbatch.c: in a paced run (cfg->read_batch) reads wait for the next send
 * tick, and latency is taken from the kernel's receive time. */
void rxb_init(struct worker *w);
void rxb_free(struct worker *w);
/* Puts c in the read set; false when its read event must stay off. */
bool rxb_attach(struct conn *c);
void rxb_detach(struct conn *c);
/* A producer is due again in next_ns: within a tick, reads wait for it. */
void rxb_defer(struct worker *w, uint64_t next_ns);
/* Reads go on as bytes come again (a window is full: its answers are due). */
void rxb_resume(struct worker *w);
/* One read of c's socket into buf (RXB_BUF bytes): n, 0 at its end, -1
 * with errno. c->rx_ns gets the kernel's time of the bytes when stamped. */
#define RXB_BUF (64 * 1024)
ssize_t rxb_recv(struct conn *c, unsigned char *buf);
/* rxframes.c: our reads' bytes cut into whole frames, decoded by one
 * rabbitmq-c decoder per worker. on_frame returns false when c failed. */
typedef bool (*rxf_on_frame)(struct conn *c, amqp_frame_t *f);
bool rxf_init(struct worker *w);
void rxf_free(struct worker *w);
/* 0, 1 when on_frame said c failed, or an AMQP_STATUS_ (bad frames). */
int rxf_feed(struct conn *c, const unsigned char *p, size_t n, rxf_on_frame on_frame);
/* Drops a cut frame (the connection is down). */
void rxf_forget(struct conn *c);
/* When the bytes being handled arrived (now, without a stamp). */
uint64_t conn_rx_ns(const struct conn *c);

/* producer.c / consumer.c */
void producer_init(struct agent *a, struct worker *w);
int producer_setup(struct agent *a, char *err, size_t cap);
void producer_attached(struct agent *a);
void producer_pump(evutil_socket_t fd, short what, void *arg);
void producer_on_ack(struct agent *a, uint64_t tag, bool multiple, bool nack);
void producer_lost_connection(struct agent *a);
void producer_free(struct agent *a);
uint64_t producer_inflight(const struct agent *a);
/* CLOCK_MONOTONIC send time of the oldest unconfirmed publish, 0 if none. */
uint64_t producer_oldest_unconfirmed_ns(const struct agent *a);
/* producer_tpl.c: a templated load's message (cfg->tpl) for seq: the body
 * into *body, its properties into *pr (valid until the next call). */
void producer_tpl_init(struct agent *a);
size_t producer_tpl_render(struct agent *a, uint64_t seq, uint64_t intended, uint64_t now, const void **body,
                           struct wire_props *pr);
void producer_tpl_free(struct agent *a);
/* Its intended and first send time, kept for the effects' latency. */
void producer_tpl_times(struct agent *a, uint64_t seq, uint64_t intended, uint64_t now);

void consumer_init(struct agent *a, struct worker *w);
int consumer_setup(struct agent *a, char *err, size_t cap);
void consumer_on_message(struct agent *a, struct chan_rx *rx);
void consumer_flush_acks(struct agent *a);
void consumer_lost_connection(struct agent *a);
void consumer_on_complete(evutil_socket_t fd, short what, void *arg);
void consumer_free(struct agent *a);
/* Times the message was rejected from a queue, from its x-death header;
 * *latest: the reason of its latest dead-letter hop. */
uint32_t consumer_rejections(const amqp_basic_properties_t *p, enum dl_reason *latest);
/* The queue of the latest x-death hop (the queue the message left) into
 * buf; false when there is none. */
bool consumer_death_queue(const amqp_basic_properties_t *p, char *buf, size_t cap);
/* A stream delivery's x-stream-offset header; -1 when there is none. */
int64_t consumer_stream_offset(const amqp_basic_properties_t *p);

/* collector.c: queues one interval (takes ownership) for the bench thread,
 * which merges the queued intervals when it polls (there is no collector
 * thread). */
void collector_post(struct collector *r, struct interval *iv);
/* An interval for a worker's next second: a merged one, its histograms
 * cleared, or a new one. Each second's five 200 KB histograms were mapped
 * and unmapped (page faults, a TLB shootdown) on the worker's thread. */
struct interval *collector_interval(struct collector *r);

/* Sequence tracking shared by a worker's consumers. processed: the handler
 * ran (effects, ordering); false for a message parked in a dead-letter queue,
 * which is accounted for but not processed. */
void worker_track(struct worker *w, struct agent *consumer, uint32_t producer, uint64_t seq,
                  bool redelivered, uint32_t attempt, bool processed, bool dead_lettered);
/* A redelivered or republished copy that the handler failed: it comes back
 * through a dead-letter hop without the redelivered flag, and that later
 * copy is explained by this one (one credit per sequence). */
void worker_note_explained(struct worker *w, struct agent *consumer, uint32_t producer, uint64_t seq);

#endif
