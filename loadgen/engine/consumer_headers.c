/* A delivery's headers as the connection reads them, before any consumer
 * sees it: RabbitMQ's x-death (how often it was rejected, why it was last
 * dead-lettered) and a stream's x-stream-offset. Below conn.c. */
#include "worker.h"

#include <string.h>

/* x-death's reason strings, by enum dl_reason */
static const char *const dl_names[] = {"", "rejected", "expired", "maxlen", "delivery_limit"};

static enum dl_reason dl_parse(const amqp_bytes_t *b)
{
    for (int i = DL_REJECTED; i <= DL_DELIVERY_LIMIT; i++)
        if (b->len == strlen(dl_names[i]) && !memcmp(b->bytes, dl_names[i], b->len)) return (enum dl_reason)i;
    return DL_NONE;
}

int64_t consumer_stream_offset(const amqp_basic_properties_t *p)
{
    if (!p || !(p->_flags & AMQP_BASIC_HEADERS_FLAG)) return -1;
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len != 15 || memcmp(e->key.bytes, "x-stream-offset", 15)) continue;
        if (e->value.kind == AMQP_FIELD_KIND_I64) return e->value.value.i64;
        if (e->value.kind == AMQP_FIELD_KIND_U64) return (int64_t)e->value.value.u64;
        if (e->value.kind == AMQP_FIELD_KIND_I32) return e->value.value.i32;
    }
    return -1;
}

uint32_t consumer_rejections(const amqp_basic_properties_t *p, enum dl_reason *latest)
{
    *latest = DL_NONE;
    if (!p || !(p->_flags & AMQP_BASIC_HEADERS_FLAG)) return 0;
    uint32_t n = 0;
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len != 7 || memcmp(e->key.bytes, "x-death", 7) || e->value.kind != AMQP_FIELD_KIND_ARRAY)
            continue;
        /* One table per (queue, reason), each with its count. */
        for (int k = 0; k < e->value.value.array.num_entries; k++) {
            const amqp_field_value_t *v = &e->value.value.array.entries[k];
            if (v->kind != AMQP_FIELD_KIND_TABLE) continue;
            enum dl_reason why = DL_NONE;
            uint64_t count = 0;
            for (int j = 0; j < v->value.table.num_entries; j++) {
                const amqp_table_entry_t *f = &v->value.table.entries[j];
                if (f->key.len == 6 && !memcmp(f->key.bytes, "reason", 6) &&
                    (f->value.kind == AMQP_FIELD_KIND_UTF8 || f->value.kind == AMQP_FIELD_KIND_BYTES))
                    why = dl_parse(&f->value.value.bytes);
                if (f->key.len == 5 && !memcmp(f->key.bytes, "count", 5))
                    count = f->value.kind == AMQP_FIELD_KIND_I64 ? (uint64_t)f->value.value.i64
                            : f->value.kind == AMQP_FIELD_KIND_I32 ? (uint64_t)f->value.value.i32
                            : f->value.kind == AMQP_FIELD_KIND_U64 ? f->value.value.u64 : 0;
            }
            if (why == DL_REJECTED) n += (uint32_t)count;
            /* RabbitMQ puts the latest hop first */
            if (k == 0) *latest = why;
        }
    }
    return n;
}

bool consumer_death_queue(const amqp_basic_properties_t *p, char *buf, size_t cap)
{
    buf[0] = 0;
    if (!p || !(p->_flags & AMQP_BASIC_HEADERS_FLAG) || !cap) return false;
    for (int i = 0; i < p->headers.num_entries; i++) {
        const amqp_table_entry_t *e = &p->headers.entries[i];
        if (e->key.len != 7 || memcmp(e->key.bytes, "x-death", 7) || e->value.kind != AMQP_FIELD_KIND_ARRAY ||
            !e->value.value.array.num_entries)
            continue;
        const amqp_field_value_t *v = &e->value.value.array.entries[0]; /* the latest hop */
        if (v->kind != AMQP_FIELD_KIND_TABLE) return false;
        for (int j = 0; j < v->value.table.num_entries; j++) {
            const amqp_table_entry_t *f = &v->value.table.entries[j];
            if (f->key.len != 5 || memcmp(f->key.bytes, "queue", 5) ||
                (f->value.kind != AMQP_FIELD_KIND_UTF8 && f->value.kind != AMQP_FIELD_KIND_BYTES))
                continue;
            size_t n = f->value.value.bytes.len < cap - 1 ? f->value.value.bytes.len : cap - 1;
            memcpy(buf, f->value.value.bytes.bytes, n);
            buf[n] = 0;
            return true;
        }
    }
    return false;
}
