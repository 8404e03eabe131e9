/* final_read: every queue of the run read to empty by fresh connections
 * once the drain is over (final_read.h). Blocking rabbitmq-c calls: the
 * workers are gone, nothing else shares the thread. */
#include "final_read.h"
#include "declare.h"
#include "msg.h"
#include "topo.h"
#include "util.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define QUIET_NS (300 * NS_PER_MS)    /* no delivery for this long: ask the depth */
#define STALLED_NS (5 * NS_PER_SEC)   /* ready messages, none delivered for this long: not readable here */
#define ACK_EVERY 256
#define OWNED_PREFETCH 2000
#define MAX_PASSES 4 /* a retry queue's TTL can move messages back while the others are read */

struct reader {
    const struct config *cfg;
    const struct amqpc_target *nodes;
    int n, cur;
    amqp_connection_state_t c; /* channel 1 open: passive declares */
    amqp_channel_t next_ch;
    uint32_t run_id;
    uint64_t max_seq, deadline;
    struct final_read *fr;
};

static const char *const reason_names[FR_REASONS] = {"none", "rejected", "expired", "maxlen", "delivery_limit"};

bool final_read_applies(const struct config *cfg)
{
    return cfg->consumers > 0 && cfg->producers > 0 && !cfg->sharded;
}

static struct final_queue *add_queue(struct final_read *fr, const char *name, int index, int origin, bool kept)
{
    for (int i = 0; i < fr->nq; i++)
        if (!strcmp(fr->q[i].name, name)) return NULL;
    fr->q = xrealloc(fr->q, (size_t)(fr->nq + 1) * sizeof *fr->q);
    struct final_queue *q = &fr->q[fr->nq++];
    memset(q, 0, sizeof *q);
    str_copy(q->name, sizeof q->name, name);
    q->index = index;
    q->origin = origin;
    q->kept = kept;
    return q;
}

static int run_queue_index(const struct config *cfg, const char *name)
{
    char buf[256];
    for (int i = 0; i < cfg->queues; i++)
        if (!strcmp(config_queue_name(cfg, i, buf, sizeof buf), name)) return i;
    return -1;
}

/* Queue i's own dead-letter exchange and key: the shorthand's args or
 * the lists' arguments and policies. */
static bool dead_letter_of(const struct config *cfg, int i, char *x, size_t xcap, char *k, size_t kcap)
{
    bool has_key = false;
    k[0] = 0;
    if (cfg->topo) return topo_dead_letter(cfg->topo, i, x, xcap, k, kcap, &has_key);
    bool have = false;
    for (int a = 0; a < cfg->n_queue_args; a++) {
        const struct topo_arg *arg = &cfg->queue_args[a];
        if (!arg->str) continue;
        if (!strcmp(arg->key, "x-dead-letter-exchange")) str_copy(x, xcap, arg->str), have = true;
        if (!strcmp(arg->key, "x-dead-letter-routing-key")) str_copy(k, kcap, arg->str);
    }
    return have;
}

/* The queues to read: the run's own (and a retry pattern's retry queue),
 * then the dead-letter targets loadgen did not declare. A stream is a log
 * its consumers read from an offset: there is no backlog to take. */
static void plan(struct final_read *fr, const struct config *cfg)
{
    char name[256], side[256], x[256], k[256];
    bool kept = cfg->predeclared || cfg->keep_queues;
    for (int i = 0; i < cfg->queues; i++) {
        struct consumer_settings s;
        config_consumer_settings(cfg, i, &s);
        struct final_queue *q = add_queue(fr, config_queue_name(cfg, i, name, sizeof name), i, -1, kept);
        if (q && s.type == QUEUE_STREAM)
            q->skip = q->complete = true, snprintf(q->why, sizeof q->why, "a stream: not read");
        if (config_retrying(cfg)) add_queue(fr, declare_side_queue(name, "retry", side, sizeof side), i, -1, kept);
    }
    for (int i = 0; i < cfg->queues && !config_retrying(cfg); i++) {
        if (!dead_letter_of(cfg, i, x, sizeof x, k, sizeof k)) continue;
        config_queue_name(cfg, i, name, sizeof name);
        if (x[0]) { /* a named exchange: the lists declare it and the model follows it */
            if (!cfg->topo) {
                struct final_queue *q = add_queue(fr, x, -1, i, true);
                if (q) q->skip = true, snprintf(q->why, sizeof q->why, "dead-letter exchange '%.80s' of '%.80s' is "
                                                "not loadgen's: where it routes is not known", x, name);
            }
            continue;
        }
        const char *target = k[0] ? k : name; /* without a key, the message's own: its queue's name */
        if (run_queue_index(cfg, target) < 0) add_queue(fr, target, -1, i, true);
    }
}

static void drop(struct reader *r)
{
    if (r->c) amqp_destroy_connection(r->c);
    r->c = NULL;
}

static amqp_connection_state_t conn(struct reader *r, char *err, size_t cap)
{
    for (int tries = 0; !r->c && tries < r->n; tries++) {
        const struct amqpc_target *t = &r->nodes[r->cur];
        if (amqpc_open(&r->c, t, 0, r->cfg->connect_timeout_ns, "loadgen-final-read", 0, err, cap) == 0) {
            amqp_channel_open(r->c, 1);
            if (amqpc_check(r->c, "channel.open", err, cap) == 0) {
                r->next_ch = 2;
                break;
            }
            drop(r);
        }
        r->cur = (r->cur + 1) % r->n;
    }
    return r->c;
}

/* Ready messages by a passive declare on channel 1; -1 (and the
 * connection dropped) when it fails. A missing queue: -2. */
static int64_t depth(struct reader *r, const char *queue, char *err, size_t cap)
{
    amqp_queue_declare_ok_t *ok = amqp_queue_declare(r->c, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
    amqp_rpc_reply_t rep = amqp_get_rpc_reply(r->c);
    if (ok && rep.reply_type == AMQP_RESPONSE_NORMAL) return ok->message_count;
    amqpc_reply_text(rep, err, cap);
    bool missing = rep.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && rep.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
                   ((amqp_channel_close_t *)rep.reply.decoded)->reply_code == 404;
    if (missing) { /* the channel is closed: open it again */
        amqp_channel_close_ok_t close_ok;
        amqp_send_method(r->c, 1, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
        amqp_channel_open(r->c, 1);
        if (amqpc_check(r->c, "channel.open", err, cap)) drop(r);
        return -2;
    }
    drop(r);
    return -1;
}

static void note(struct reader *r, struct final_queue *q, const amqp_envelope_t *env)
{
    struct msg_header h;
    char from[256];
    enum dl_reason why;
    if (msg_decode(env->message.body.bytes, env->message.body.len, &h) != MSG_OK || h.run_id != r->run_id ||
        (int)h.producer >= r->fr->nproducers || !h.seq || h.seq > r->max_seq) {
        q->foreign++;
        return;
    }
    q->read++;
    consumer_rejections(&env->message.properties, &why);
    if ((int)why < FR_REASONS) q->reasons[why]++;
    int idx = q->index;
    struct seq_track **rows = r->fr->found;
    if (idx < 0) { /* outside the run's queues: the queue it was dead-lettered from */
        rows = r->fr->parked;
        idx = consumer_death_queue(&env->message.properties, from, sizeof from) ? run_queue_index(r->cfg, from)
                                                                                   : -1;
        if (idx < 0) {
            q->unattributed++;
            return;
        }
    }
    if (!rows[idx]) rows[idx] = xcalloc((size_t)r->fr->nproducers, sizeof **rows);
    bool flagged = env->redelivered || h.attempt > 1;
    if (ledger_add(&rows[idx][h.producer], h.seq, flagged) != LEDGER_FIRST) q->duplicates++;
}

/* One attempt on the current node: consume on a fresh channel until the
 * broker holds none ready. 1: read to empty; 0: not (why in q->why, and
 * the node may be the cause: the caller tries the next); -1: deadline. */
static int read_once(struct reader *r, struct final_queue *q)
{
    char err[512];
    if (!conn(r, err, sizeof err)) return snprintf(q->why, sizeof q->why, "no node serves: %.200s", err), 0;
    int64_t d = depth(r, q->name, err, sizeof err);
    if (d == -2) { /* only a dead-letter target may be missing: what reached it was dropped */
        q->missing = q->complete = true;
        snprintf(q->why, sizeof q->why, "does not exist: the broker drops what is dead-lettered to it");
        return 1;
    }
    if (d < 0) return snprintf(q->why, sizeof q->why, "queue.declare: %.200s", err), 0;
    if (d == 0) return 1; /* nobody else holds them: the workers are gone */
    amqp_channel_t ch = r->next_ch++;
    amqp_channel_open(r->c, ch);
    amqp_basic_qos(r->c, ch, 0, q->kept ? 0 : OWNED_PREFETCH, 0);
    amqp_basic_consume(r->c, ch, amqp_cstring_bytes(q->name), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    if (amqpc_check(r->c, "basic.consume", err, sizeof err)) {
        drop(r);
        return snprintf(q->why, sizeof q->why, "%.200s", err), 0;
    }
    uint64_t last = clock_ns(), unacked_tag = 0;
    int unacked = 0, rc = -1;
    while (clock_ns() < r->deadline) {
        amqp_envelope_t env;
        struct timeval tv = {0, 100000};
        amqp_maybe_release_buffers(r->c);
        amqp_rpc_reply_t rep = amqp_consume_message(r->c, &env, &tv, 0);
        if (rep.reply_type == AMQP_RESPONSE_NORMAL) {
            note(r, q, &env);
            last = clock_ns();
            unacked_tag = env.delivery_tag;
            amqp_destroy_envelope(&env);
            if (!q->kept && ++unacked >= ACK_EVERY) amqp_basic_ack(r->c, ch, unacked_tag, 1), unacked = 0;
            continue;
        }
        bool timeout = rep.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && rep.library_error == AMQP_STATUS_TIMEOUT;
        if (!timeout) { /* a cancel, a channel or connection closed: this node does not serve it now */
            amqpc_reply_text(rep, err, sizeof err);
            snprintf(q->why, sizeof q->why, "consuming: %.200s", err);
            rc = 0;
            break;
        }
        if (unacked) amqp_basic_ack(r->c, ch, unacked_tag, 1), unacked = 0;
        if (clock_ns() - last < QUIET_NS) continue;
        d = depth(r, q->name, err, sizeof err);
        if (d == 0) {
            rc = 1;
            break;
        }
        if (d < 0) {
            snprintf(q->why, sizeof q->why, "queue.declare: %.200s", err);
            rc = 0;
            break;
        }
        if (clock_ns() - last >= STALLED_NS) {
            snprintf(q->why, sizeof q->why, "%lld ready, none delivered for %.0f s", (long long)d,
                     (double)STALLED_NS / 1e9);
            rc = 0;
            break;
        }
    }
    if (rc < 0) snprintf(q->why, sizeof q->why, "not empty when the final read's time was up");
    /* Closing the channel returns what was not acked: all of a kept queue. */
    if (r->c) {
        amqp_channel_close(r->c, ch, AMQP_REPLY_SUCCESS);
        if (amqp_get_rpc_reply(r->c).reply_type != AMQP_RESPONSE_NORMAL) drop(r);
    }
    if (rc == 0) drop(r), r->cur = (r->cur + 1) % r->n;
    return rc;
}

/* Every node in turn until one reads it to empty. */
static void read_queue(struct reader *r, struct final_queue *q)
{
    uint64_t t0 = clock_ns();
    int rc = 0;
    for (int tries = 0; tries < r->n && rc == 0; tries++) rc = read_once(r, q);
    if (rc == 1) {
        q->complete = true;
        if (!q->missing) q->why[0] = 0;
    }
    q->secs += (double)(clock_ns() - t0) / 1e9;
}

void final_read_run(struct final_read *fr, const struct config *cfg, const struct amqpc_target *nodes, int n,
                    uint32_t run_id, uint64_t max_seq, uint64_t timeout_ns)
{
    memset(fr, 0, sizeof *fr);
    fr->nqueues = cfg->queues;
    fr->nproducers = cfg->producers_total;
    fr->found = xcalloc((size_t)cfg->queues, sizeof *fr->found);
    fr->parked = xcalloc((size_t)cfg->queues, sizeof *fr->parked);
    plan(fr, cfg);
    fr->ran = true;
    uint64_t t0 = clock_ns();
    struct reader r = {.cfg = cfg, .nodes = nodes, .n = n > 0 ? n : 1, .run_id = run_id, .max_seq = max_seq,
                       .deadline = t0 + timeout_ns, .fr = fr};
    /* Queues read and acked first, again while a pass still found
     * something (a TTL queue can feed one already read); then the kept
     * ones, once: what they hold stays. */
    uint64_t before = UINT64_MAX;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        uint64_t total = 0;
        for (int i = 0; i < fr->nq; i++) {
            struct final_queue *q = &fr->q[i];
            if (q->kept || q->skip) continue;
            q->complete = false;
            read_queue(&r, q);
            total += q->read + q->foreign;
        }
        if (total == before || total == 0) break;
        before = total;
    }
    for (int i = 0; i < fr->nq; i++) {
        struct final_queue *q = &fr->q[i];
        if (q->kept && !q->skip) read_queue(&r, q);
    }
    drop(&r);
    fr->complete = true;
    for (int i = 0; i < fr->nq; i++) fr->complete &= fr->q[i].complete, fr->found_at_end += fr->q[i].read;
    fr->secs = (double)(clock_ns() - t0) / 1e9;
}

const char *final_read_why(const struct final_read *fr, char *buf, size_t cap)
{
    buf[0] = 0;
    for (int i = 0; i < fr->nq; i++)
        if (!fr->q[i].complete) {
            snprintf(buf, cap, "final read: '%s' not read to empty (%s)", fr->q[i].name, fr->q[i].why);
            break;
        }
    return buf;
}

json_t *final_read_json(const struct final_read *fr)
{
    json_t *o = json_object(), *qs = json_array();
    json_object_set_new(o, "complete", json_boolean(fr->complete));
    json_object_set_new(o, "time", json_real(fr->secs));
    for (int i = 0; i < fr->nq; i++) {
        const struct final_queue *q = &fr->q[i];
        json_t *e = json_object(), *why = json_object();
        json_object_set_new(e, "queue", json_string(q->name));
        json_object_set_new(e, "declared_by_loadgen", json_boolean(q->index >= 0));
        json_object_set_new(e, "complete", json_boolean(q->complete));
        json_object_set_new(e, "exists", json_boolean(!q->missing));
        json_object_set_new(e, "read", json_integer((json_int_t)q->read));
        json_object_set_new(e, "duplicates", json_integer((json_int_t)q->duplicates));
        json_object_set_new(e, "unexpected", json_integer((json_int_t)(q->foreign + q->unattributed)));
        json_object_set_new(e, "left_in_place", json_boolean(q->kept));
        json_object_set_new(e, "time", json_real(q->secs));
        for (int k = 1; k < FR_REASONS; k++)
            if (q->reasons[k]) json_object_set_new(why, reason_names[k], json_integer((json_int_t)q->reasons[k]));
        json_object_set_new(e, "dead_letter_reasons", why);
        if (q->why[0]) json_object_set_new(e, "why", json_string(q->why));
        json_array_append_new(qs, e);
    }
    json_object_set_new(o, "found_at_end", json_integer((json_int_t)fr->found_at_end));
    json_object_set_new(o, "queues", qs);
    return o;
}

static const struct seq_track *row(struct seq_track **rows, const struct final_read *fr, int q, int p)
{
    if (!fr || !fr->ran || q < 0 || q >= fr->nqueues || p < 0 || p >= fr->nproducers || !rows[q]) return NULL;
    return rows[q][p].highest ? &rows[q][p] : NULL;
}

const struct seq_track *final_read_found(const struct final_read *fr, int q, int p)
{
    return fr ? row(fr->found, fr, q, p) : NULL;
}

const struct seq_track *final_read_parked(const struct final_read *fr, int q, int p)
{
    return fr ? row(fr->parked, fr, q, p) : NULL;
}

void final_read_free(struct final_read *fr)
{
    for (int q = 0; fr->found && q < fr->nqueues; q++)
        for (int k = 0; k < 2; k++) {
            struct seq_track *rows = k ? fr->parked[q] : fr->found[q];
            for (int p = 0; rows && p < fr->nproducers; p++) ledger_free(&rows[p]);
            free(rows);
        }
    free(fr->found);
    free(fr->parked);
    free(fr->q);
    memset(fr, 0, sizeof *fr);
}
