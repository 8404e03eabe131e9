/* effects_end: the verdict's numbers for a service run (effects.h). The
 * end read takes each message of the input, pending and parked queues with
 * basic.get and never acks it: closing the channel puts every one back, so
 * the user's queues are as the service left them. */
#include "effects.h"
#include "hdrfmt.h"
#include "template.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_READ_NS (30 * NS_PER_SEC)
#define END_READ_MAX 2000000

enum role { ROLE_INPUT, ROLE_PENDING, ROLE_PARKED };
static const char *const role_names[] = {"input", "pending", "parked"};

struct found { /* per producer: bitmaps of inputs found at the end */
    uint64_t *bits[2];
    uint64_t nbits[2];
};

struct end_read {
    const struct effects *e;
    uint32_t producers;
    struct found *f;
    bool complete;
    json_t *queues;
    uint64_t deadline;
    int left;
};

/* One queue, to empty; returns -1 (and err) when it could not be. */
static int read_queue(struct end_read *r, amqp_connection_state_t c, amqp_channel_t ch, const char *q, enum role role,
                      uint64_t *found, uint64_t *other, char *err, size_t cap)
{
    int slot = role == ROLE_PARKED;
    for (uint64_t n = 0;; n++) {
        if (n >= END_READ_MAX || clock_ns() > r->deadline) return snprintf(err, cap, "not read to empty in time"), -1;
        amqp_rpc_reply_t rep = amqp_basic_get(c, ch, amqp_cstring_bytes(q), 0);
        if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
            amqpc_reply_text(rep, err, cap);
            return -1;
        }
        if (rep.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return 0;
        amqp_message_t m;
        rep = amqp_read_message(c, ch, &m, 0);
        if (rep.reply_type != AMQP_RESPONSE_NORMAL) {
            amqpc_reply_text(rep, err, cap);
            return -1;
        }
        const char *id;
        size_t len;
        uint32_t run, p;
        uint64_t seq;
        bool not_string;
        if ((id = effects_header(&m.properties, TPL_ID_HEADER, &len, &not_string)) &&
            !tpl_id_parse(id, len, &run, &p, &seq) && run == r->e->ledger.run_id && p < r->producers) {
            bits_reserve(&r->f[p].bits[slot], &r->f[p].nbits[slot], seq);
            r->f[p].bits[slot][seq >> 6] |= 1ULL << (seq & 63);
            (*found)++;
        } else {
            (*other)++;
        }
        amqp_destroy_message(&m);
    }
}

/* One queue of the end read, over its passes. */
struct end_queue {
    const char *name;
    enum role role;
    amqp_channel_t ch; /* 0: not open (on this connection) */
    uint64_t found, other;
    bool missing;
    char err[300];
};

/* One pass over a queue: what it holds now. Returns how many it took. */
static uint64_t read_one(struct end_read *r, amqp_connection_state_t *c, struct end_queue *q, amqp_channel_t ch)
{
    uint64_t found = 0, other = 0;
    int rc = -1;
    if (*c) {
        rc = 0;
        if (!q->ch) {
            amqp_channel_open(*c, ch);
            rc = amqpc_check(*c, "channel.open", q->err, sizeof q->err);
            if (!rc) q->ch = ch;
        }
        if (!rc) rc = read_queue(r, *c, q->ch, q->name, q->role, &found, &other, q->err, sizeof q->err);
    } else {
        snprintf(q->err, sizeof q->err, "%s", r->e->error[0] ? r->e->error : "no connection");
    }
    q->found += found, q->other += other;
    if (!rc) return found + other;
    /* 404: a queue the service never declared held nothing */
    q->missing = strstr(q->err, "NOT_FOUND") != NULL;
    if (!q->missing) r->complete = false;
    if (*c && !q->missing) amqpc_close(*c), *c = NULL; /* a connection error: the read is incomplete */
    return 0;
}

static amqp_connection_state_t open_any(const struct effects *e)
{
    for (int i = 0; i < e->nnodes; i++) {
        amqp_connection_state_t c;
        char err[300];
        if (!amqpc_open(&c, &e->nodes[i], 30, 5 * NS_PER_SEC, "loadgen-end-read", 0, err, sizeof err)) return c;
    }
    return NULL;
}

/* Every message taken stays unacked on this connection until the read
 * ends, so it cannot move; one not yet taken can: a retry queue's TTL
 * dead-letters it into the input already read. So passes over every queue
 * until two in a row, 100 ms apart, find nothing (requeues of the stopped
 * services' unacked messages land in that time too). */
static void end_read(struct end_read *r, const char *const *inputs, int ninputs)
{
    const struct effects_spec *sp = r->e->spec;
    int n = 0, cap = ninputs + sp->npending + sp->nparked;
    struct end_queue *qs = xcalloc((size_t)(cap ? cap : 1), sizeof *qs);
    for (int i = 0; i < ninputs; i++) qs[n++] = (struct end_queue){.name = inputs[i], .role = ROLE_INPUT};
    for (int i = 0; i < sp->npending; i++) qs[n++] = (struct end_queue){.name = sp->pending[i], .role = ROLE_PENDING};
    for (int i = 0; i < sp->nparked; i++) qs[n++] = (struct end_queue){.name = sp->parked[i], .role = ROLE_PARKED};
    amqp_connection_state_t c = open_any(r->e);
    for (int empty = 0, pass = 0; empty < 2 && r->complete; pass++) {
        if (pass) sleep_ns(empty ? 100 * NS_PER_MS : 0);
        uint64_t took = 0;
        for (int i = 0; i < n && r->complete; i++)
            if (!qs[i].missing) took += read_one(r, &c, &qs[i], (amqp_channel_t)(2 + i));
        empty = took ? 0 : empty + 1;
    }
    for (int i = 0; i < n; i++) {
        if (!r->complete && !qs[i].err[0] && !qs[i].missing)
            snprintf(qs[i].err, sizeof qs[i].err, "not read to empty: the end read stopped at an earlier error");
        json_t *o = json_object();
        json_object_set_new(o, "queue", json_string(qs[i].name));
        json_object_set_new(o, "role", json_string(role_names[qs[i].role]));
        if (qs[i].err[0]) json_object_set_new(o, "error", json_string(qs[i].err));
        json_object_set_new(o, "found", json_integer((json_int_t)qs[i].found));
        json_object_set_new(o, "other", json_integer((json_int_t)qs[i].other));
        json_object_set_new(o, "exists", json_boolean(!qs[i].missing));
        json_array_append_new(r->queues, o);
    }
    free(qs);
    if (c) amqpc_close(c); /* every message taken goes back */
}

static json_t *lat_json(const struct hist *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)h->total_count));
    json_object_set_new(o, "p50_ms", json_real((double)hist_value_at_percentile(h, 50) / 1e6));
    json_object_set_new(o, "p99_ms", json_real((double)hist_value_at_percentile(h, 99) / 1e6));
    json_object_set_new(o, "p999_ms", json_real((double)hist_value_at_percentile(h, 99.9) / 1e6));
    json_object_set_new(o, "max_ms", json_real((double)hist_max(h) / 1e6));
    return o;
}

/* p99 over the confirmed inputs, one never answered counting as forever:
 * null (never) once more than 1% have no effect. */
static json_t *p99_with_missing(const struct hist *h, uint64_t matched, uint64_t missing)
{
    uint64_t total = matched + missing;
    if (!total) return json_null();
    uint64_t rank = (uint64_t)ceil(0.99 * (double)total);
    if (rank > matched) return json_null();
    return json_real((double)hist_value_at_percentile(h, 100.0 * (double)rank / (double)matched) / 1e6);
}

/* Latency of every first effect, from its input's intended (corrected) and
 * actual (uncorrected) send time, and effects per second of the run. */
static void latencies(const struct effects *e, const struct effects_producer *prod, int nprod, uint64_t start_ns,
                      struct hist *hc, struct hist *hu, json_t *per_second)
{
    for (size_t i = 0; i < e->ledger.nrecs; i++) {
        const struct effect_rec *r = &e->ledger.recs[i];
        if (r->at_ns >= start_ns) {
            size_t sec = (size_t)((r->at_ns - start_ns) / NS_PER_SEC);
            while (json_array_size(per_second) <= sec && sec < 100000)
                json_array_append_new(per_second, json_integer(0));
            json_t *v = json_array_get(per_second, sec);
            if (v) json_integer_set(v, json_integer_value(v) + 1);
        }
        if ((int)r->producer >= nprod || r->seq >= prod[r->producer].ntimes) continue;
        const uint64_t *t = &prod[r->producer].times[2 * r->seq];
        if (!t[0]) continue; /* never published: counted unexpected */
        hist_record(hc, r->at_ns > t[0] ? (int64_t)(r->at_ns - t[0]) : 0);
        hist_record(hu, r->at_ns > t[1] ? (int64_t)(r->at_ns - t[1]) : 0);
    }
}

static void write_hgrm(const char *prefix, const struct hist *hc, const struct hist *hu)
{
    const struct hist *h[2] = {hc, hu};
    static const char *const names[2] = {"effect", "effect-uncorrected"};
    for (int k = 0; k < 2; k++) hdrfmt_write_hgrm(prefix, names[k], h[k]);
}

static void set_int(json_t *o, const char *k, uint64_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

json_t *effects_judge(struct effects *e, const struct effects_producer *prod, int nprod, const char *const *inputs,
                      int ninputs, uint64_t start_ns, const char *hgrm_prefix, const char *state_dir)
{
    char dberr[600] = "";
    bool db_ok = !e->spec->sqlite_file || !effects_read_sqlite(e, state_dir, dberr, sizeof dberr);
    struct end_read r = {.e = e,
                         .producers = e->ledger.producers,
                         .complete = true,
                         .queues = json_array(),
                         .deadline = clock_ns() + END_READ_NS};
    r.f = xcalloc(r.producers ? r.producers : 1, sizeof *r.f);
    end_read(&r, inputs, ninputs);
    if (!db_ok) r.complete = false; /* effects unread: a missing one is not known lost */
    struct effect_totals t = {0};
    for (int p = 0; p < nprod; p++) {
        struct effect_input_sets in = {prod[p].confirmed, prod[p].confirmed_nbits, prod[p].last, NULL, 0, NULL, 0};
        if ((uint32_t)p < r.producers) {
            in.pending = r.f[p].bits[0], in.pending_nbits = r.f[p].nbits[0];
            in.parked = r.f[p].bits[1], in.parked_nbits = r.f[p].nbits[1];
        }
        effect_ledger_judge(&e->ledger, (uint32_t)p, &in, &t);
    }
    effect_ledger_finish(&e->ledger, &t);
    struct hist *hc = hist_new_default(), *hu = hist_new_default();
    json_t *o = json_object(), *per_second = json_array(), *lat = json_object();
    if (e->spec->queue) latencies(e, prod, nprod, start_ns, hc, hu, per_second);
    json_object_set_new(o, "queue", json_string(e->spec->queue ? e->spec->queue : e->spec->sqlite_file));
    set_int(o, "inputs", t.inputs), set_int(o, "confirmed", t.confirmed), set_int(o, "matched", t.matched);
    /* some confirmed inputs found nowhere, but a queue could not be read: a bound, not a claim */
    json_object_set_new(o, "lost", r.complete || !t.lost ? json_integer((json_int_t)t.lost) : json_null());
    set_int(o, "lost_at_most", t.lost);
    set_int(o, "duplicates", t.duplicates), set_int(o, "extra_copies", e->ledger.extra_copies);
    set_int(o, "same_key_copies", e->ledger.same_key_copies);
    set_int(o, "unexpected", t.unexpected), set_int(o, "unparsable", e->ledger.unparsable);
    json_object_set_new(o, "unexpected_sample", json_string(e->ledger.unexpected_sample));
    json_object_set_new(o, "unparsable_sample", json_string(e->ledger.unparsable_sample));
    json_object_set_new(o, "duplicate_sample", json_string(e->ledger.duplicate_sample));
    json_object_set_new(o, "unparsable_why", json_string(e->ledger.unparsable_why));
    set_int(o, "parked", t.parked), set_int(o, "pending", t.pending);
    set_int(o, "unconfirmed_effects", t.unconfirmed_effects), set_int(o, "effects", e->ledger.effects);
    set_int(o, "rereads", e->ledger.rereads), set_int(o, "reconnects", e->reconnects);
    json_t *p99 = e->spec->queue ? p99_with_missing(hc, (uint64_t)hc->total_count, t.lost + t.pending) : json_null();
    json_object_set_new(o, "p99_ms", p99);
    json_object_set_new(lat, "corrected", lat_json(hc));
    json_object_set_new(lat, "uncorrected", lat_json(hu));
    json_object_set_new(o, "latency", lat);
    json_object_set_new(o, "per_second", per_second);
    json_t *er = json_object();
    if (!db_ok) {
        json_t *q = json_object();
        json_object_set_new(q, "queue", json_string(e->spec->sqlite_file));
        json_object_set_new(q, "role", json_string("effects"));
        json_object_set_new(q, "error", json_string(dberr));
        json_object_set_new(q, "found", json_integer(0)), json_object_set_new(q, "other", json_integer(0));
        json_object_set_new(q, "exists", json_boolean(true));
        json_array_append_new(r.queues, q);
        r.complete = false;
    }
    json_object_set_new(er, "complete", json_boolean(r.complete));
    json_object_set_new(er, "queues", r.queues);
    json_object_set_new(o, "end_read", er);
    if (hgrm_prefix) write_hgrm(hgrm_prefix, hc, hu);
    hist_free(hc), hist_free(hu);
    for (uint32_t p = 0; p < r.producers; p++)
        free(r.f[p].bits[0]), free(r.f[p].bits[1]);
    free(r.f);
    return o;
}
