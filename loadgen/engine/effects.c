/* effects: the effects queue's consumer thread (effects.h). Blocking
 * rabbitmq-c on its own connection: effects come at the service's pace,
 * far below what one blocking consumer takes. */
#include "effects.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define PREFETCH 1000
#define ACK_EVERY 200
#define POLL_US 100000
#define RETRY_NS (300 * NS_PER_MS)
#define EMPTY_NS (500 * NS_PER_MS) /* stopping: the queue gave nothing for this long */

const char *effects_header(const amqp_basic_properties_t *p, const char *name, size_t *len, bool *not_string)
{
    *not_string = false;
    for (int i = 0; (p->_flags & AMQP_BASIC_HEADERS_FLAG) && i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len != strlen(name) || memcmp(e->key.bytes, name, e->key.len)) continue;
        if (e->value.kind != AMQP_FIELD_KIND_UTF8 && e->value.kind != AMQP_FIELD_KIND_BYTES) {
            *not_string = true;
            return NULL;
        }
        *len = e->value.value.bytes.len;
        return e->value.value.bytes.bytes;
    }
    return NULL;
}

/* The id of one effect per the spec; NULL with why when it has none. */
static const char *effect_id(const struct effects_spec *sp, const amqp_message_t *m, char *scratch, size_t cap,
                             size_t *len, const char **why)
{
    const amqp_basic_properties_t *p = &m->properties;
    const char *id = NULL;
    switch (sp->id_from) {
    case EID_JSON:
        if (effect_json_id(m->body.bytes, m->body.len, sp->id_key, scratch, cap, &id, len, why)) return NULL;
        return id;
    case EID_BODY:
        *len = m->body.len;
        return m->body.bytes;
    case EID_CORRELATION_ID:
        if (!(p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG)) return *why = "no correlation_id", NULL;
        *len = p->correlation_id.len;
        return p->correlation_id.bytes;
    case EID_MESSAGE_ID:
        if (!(p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)) return *why = "no message_id", NULL;
        *len = p->message_id.len;
        return p->message_id.bytes;
    case EID_HEADER: {
        bool not_string;
        if ((id = effects_header(p, sp->id_key, len, &not_string))) return id;
        return *why = not_string ? "the header is not a string" : "no such header", NULL;
    }
    }
    return NULL;
}

/* The effect's idempotency key (spec->key_from), or NULL. */
static const char *effect_key(const struct effects_spec *sp, const amqp_message_t *m, size_t *len)
{
    const amqp_basic_properties_t *p = &m->properties;
    if (sp->key_from == EID_MESSAGE_ID && (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)) {
        *len = p->message_id.len;
        return p->message_id.bytes;
    }
    bool not_string;
    return sp->key_from == EID_HEADER ? effects_header(p, sp->key_name, len, &not_string) : NULL;
}

static amqp_connection_state_t subscribe(struct effects *e, int node, char *err, size_t cap)
{
    amqp_connection_state_t c;
    if (amqpc_open(&c, &e->nodes[node], 30, 5 * NS_PER_SEC, "loadgen-effects", 0, err, cap)) return NULL;
    amqp_channel_open(c, 1);
    if (amqpc_check(c, "channel.open", err, cap)) goto fail;
    amqp_basic_qos(c, 1, 0, PREFETCH, 0);
    if (amqpc_check(c, "basic.qos", err, cap)) goto fail;
    amqp_basic_consume(c, 1, amqp_cstring_bytes(e->spec->queue), amqp_cstring_bytes("loadgen-effects"), 0, 0, 0,
                       amqp_empty_table);
    if (amqpc_check(c, "effects.queue", err, cap)) goto fail;
    return c;
fail:
    amqpc_close(c);
    return NULL;
}

/* Consumes until told to stop (then until the queue is empty a moment). */
static void consume(struct effects *e, amqp_connection_state_t c, uint64_t *last_any)
{
    uint64_t pending = 0, last_tag = 0;
    char scratch[256];
    for (;;) {
        int stop = atomic_load(&e->stop);
        if (stop && clock_ns() - *last_any >= EMPTY_NS) break;
        amqp_envelope_t env;
        struct timeval tv = {0, POLL_US};
        amqp_maybe_release_buffers(c);
        amqp_rpc_reply_t r = amqp_consume_message(c, &env, &tv, 0);
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
            if (pending) amqp_basic_ack(c, 1, last_tag, 1), pending = 0;
            continue;
        }
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            amqpc_reply_text(r, e->error, sizeof e->error);
            return;
        }
        uint64_t now = clock_ns();
        *last_any = now;
        size_t len = 0;
        const char *why = NULL, *id = effect_id(e->spec, &env.message, scratch, sizeof scratch, &len, &why);
        size_t klen = 0;
        const char *key = effect_key(e->spec, &env.message, &klen);
        effect_ledger_add_keyed(&e->ledger, id, len, why, env.message.body.bytes, env.message.body.len, env.redelivered,
                                now, key, klen);
        atomic_store_explicit(&e->snap_matched, e->ledger.nrecs, memory_order_relaxed);
        atomic_store_explicit(&e->snap_last_ns, now, memory_order_relaxed);
        last_tag = env.delivery_tag;
        if (++pending >= ACK_EVERY) amqp_basic_ack(c, 1, last_tag, 1), pending = 0;
        amqp_destroy_envelope(&env);
    }
    if (pending) amqp_basic_ack(c, 1, last_tag, 1);
    amqpc_close(c);
    e->error[0] = 0;
    atomic_store(&e->stop, 2); /* done */
}

static void *run(void *arg)
{
    struct effects *e = arg;
    uint64_t last_any = clock_ns();
    for (int node = 0; atomic_load(&e->stop) < 2;) {
        char err[300];
        amqp_connection_state_t c = subscribe(e, node, err, sizeof err);
        if (!c) {
            snprintf(e->error, sizeof e->error, "%s", err);
            /* stopping with no broker to read from: what is left stays unread */
            if (atomic_load(&e->stop) && clock_ns() - last_any >= 5 * NS_PER_SEC) break;
            node = (node + 1) % e->nnodes;
            sleep_ns(RETRY_NS);
            continue;
        }
        if (atomic_exchange(&e->subscribed, 1)) e->reconnects++;
        consume(e, c, &last_any);
        if (atomic_load(&e->stop) < 2) amqpc_close(c), sleep_ns(RETRY_NS);
    }
    return NULL;
}

int effects_start(struct effects *e, const struct effects_spec *spec, const struct amqpc_target *nodes, int n,
                  uint32_t run_id, uint32_t producers, uint64_t timeout_ns, char *err, size_t cap)
{
    memset(e, 0, sizeof *e);
    e->spec = spec;
    e->nnodes = n < 5 ? n : 5;
    memcpy(e->nodes, nodes, (size_t)e->nnodes * sizeof *nodes);
    effect_ledger_init(&e->ledger, run_id, producers);
    if (!spec->queue) return 0; /* read from a database at the end */
    /* the queue must exist (the service declared it, or the topology
     * lists it): a passive declare, which takes nothing from it */
    uint64_t until = clock_ns() + timeout_ns;
    for (;;) {
        amqp_connection_state_t c;
        int rc = amqpc_open(&c, &e->nodes[0], 30, 5 * NS_PER_SEC, "loadgen-effects", 0, err, cap);
        if (!rc) {
            amqp_channel_open(c, 1);
            rc = amqpc_check(c, "channel.open", err, cap);
            if (!rc) amqp_queue_declare(c, 1, amqp_cstring_bytes(spec->queue), 1, 0, 0, 0, amqp_empty_table);
            if (!rc) rc = amqpc_check(c, "effects.queue", err, cap);
            amqpc_close(c);
        }
        if (!rc) break;
        if (clock_ns() >= until) return -1;
        sleep_ns(RETRY_NS);
    }
    if (pthread_create(&e->thread, NULL, run, e)) return snprintf(err, cap, "cannot start a thread"), -1;
    e->started = true;
    until = clock_ns() + timeout_ns;
    while (!atomic_load(&e->subscribed) && clock_ns() < until)
        sleep_ns(5 * NS_PER_MS);
    if (!atomic_load(&e->subscribed)) return snprintf(err, cap, "effects.queue: %s", e->error), -1;
    return 0;
}

void effects_stop(struct effects *e, uint64_t timeout_ns)
{
    if (!e->started) return;
    (void)timeout_ns;
    if (!atomic_load(&e->stop)) atomic_store(&e->stop, 1);
    pthread_join(e->thread, NULL);
    e->started = false;
}

void effects_free(struct effects *e)
{
    effects_stop(e, 0);
    effect_ledger_free(&e->ledger);
}
