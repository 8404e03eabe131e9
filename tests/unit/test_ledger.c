/* The checker's set arithmetic (ledger), rate schedules, and the message
 * header's bytes pinned to docs/message-format.md. */
#include "ledger.h"
#include "msg.h"
#include "schedule.h"
#include "unit.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void add_range(struct seq_track *t, uint64_t from, uint64_t to, bool flagged)
{
    for (uint64_t s = from; s <= to; s++) ledger_add(t, s, flagged);
}

/* One thread: first copies, plain duplicates, flagged duplicates, and a
 * flag that came first (or from a failed copy) explaining one plain copy. */
static void one_thread(void)
{
    struct seq_track t = {0};
    CHECK(ledger_add(&t, 5, false) == LEDGER_FIRST);
    CHECK(ledger_add(&t, 5, false) == LEDGER_DUP_UNEXPLAINED);
    CHECK(ledger_add(&t, 5, true) == LEDGER_DUP_EXPLAINED);
    CHECK(ledger_add(&t, 5, false) == LEDGER_DUP_UNEXPLAINED);
    CHECK_EQ_U64(t.unique, 1);
    CHECK_EQ_U64(t.highest, 5);
    /* A flagged first copy explains exactly one later plain copy. */
    CHECK(ledger_add(&t, 7, true) == LEDGER_FIRST);
    CHECK(ledger_add(&t, 7, false) == LEDGER_DUP_EXPLAINED);
    CHECK(ledger_add(&t, 7, false) == LEDGER_DUP_UNEXPLAINED);
    /* A failed flagged copy (not kept) explains the first plain duplicate after it. */
    CHECK(ledger_add(&t, 9, false) == LEDGER_FIRST);
    ledger_flag(&t, 9);
    CHECK(ledger_add(&t, 9, false) == LEDGER_DUP_EXPLAINED);
    CHECK(ledger_add(&t, 9, false) == LEDGER_DUP_UNEXPLAINED);
    CHECK(ledger_seen(&t, 9) && !ledger_seen(&t, 8) && !ledger_seen(&t, 1u << 30));
    /* Far beyond the first reservation, both bitmaps grow together. */
    CHECK(ledger_add(&t, 100000, false) == LEDGER_FIRST);
    CHECK(ledger_add(&t, 100000, false) == LEDGER_DUP_UNEXPLAINED);
    CHECK_EQ_U64(t.unique, 4);
    CHECK_EQ_U64(t.highest, 100000);
    ledger_free(&t);
}

static void ordering(void)
{
    uint64_t hi = 0;
    CHECK(!ledger_order(&hi, 1, false));
    CHECK(!ledger_order(&hi, 3, false));
    CHECK(ledger_order(&hi, 2, false)); /* 2 after 3 */
    CHECK(!ledger_order(&hi, 2, true)); /* a redelivery or republish is excused */
    CHECK(!ledger_order(&hi, 3, false)); /* a repeat of the highest is not a reordering */
    CHECK_EQ_U64(hi, 3);
    CHECK(!ledger_order(&hi, 10, false));
    CHECK(ledger_order(&hi, 4, false));
    CHECK_EQ_U64(hi, 10);
}

/* Three threads' sets of one (queue, producer). */
static void merge(void)
{
    struct seq_track a = {0}, b = {0}, c = {0};
    add_range(&a, 1, 100, false);   /* thread a: 1..100 */
    add_range(&b, 91, 150, false);  /* b: 91..150 (91..100 twice: 10 cross duplicates) */
    add_range(&c, 95, 100, true);   /* c: 95..100 redelivered (6 more, explained) */
    ledger_add(&c, 200, false);     /* 151..199 never arrived: 49 gaps */
    const struct seq_track *tr[] = {&a, NULL, &b, &c};
    struct ledger_merge m = {0};
    ledger_merge(tr, 4, &m);
    CHECK_EQ_U64(m.unique, 151);
    CHECK_EQ_U64(m.gaps, 49);
    CHECK_EQ_U64(m.cross_duplicates, 16);
    CHECK_EQ_U64(m.cross_explained, 6);
    CHECK_EQ_U64(ledger_union_word(tr, 4, 1), ~0ULL);     /* 64..127 all seen */
    CHECK_EQ_U64(ledger_union_word(tr, 4, 3), 1ULL << 8); /* 200 = 3*64+8 */
    /* A sequence all three saw, each copy flagged: two are explained, not three. */
    struct seq_track x = {0}, y = {0}, z = {0};
    ledger_add(&x, 1, true), ledger_add(&y, 1, true), ledger_add(&z, 1, true);
    const struct seq_track *tr2[] = {&x, &y, &z};
    struct ledger_merge m2 = {0};
    ledger_merge(tr2, 3, &m2);
    CHECK_EQ_U64(m2.unique, 1);
    CHECK_EQ_U64(m2.cross_duplicates, 2);
    CHECK_EQ_U64(m2.cross_explained, 2);
    /* Nothing seen: nothing merged. */
    const struct seq_track *none[] = {NULL, NULL};
    struct ledger_merge m3 = {0};
    ledger_merge(none, 2, &m3);
    CHECK_EQ_U64(m3.unique + m3.gaps + m3.cross_duplicates, 0);
    ledger_free(&a), ledger_free(&b), ledger_free(&c), ledger_free(&x), ledger_free(&y), ledger_free(&z);
}

/* Lost = confirmed and never consumed, in every word up to the last one
 * published; recovered = consumed and never confirmed. */
static void durability(void)
{
    uint64_t *conf = NULL, nconf = 0;
    bits_reserve(&conf, &nconf, 130);
    for (uint64_t s = 1; s <= 130; s++) conf[s >> 6] |= 1ULL << (s & 63);
    struct seq_track a = {0}, b = {0};
    add_range(&a, 1, 60, false);
    add_range(&b, 61, 120, false);   /* 121..130 confirmed, never consumed */
    const struct seq_track *tr[] = {&a, &b};
    uint64_t lost = 0, rec = 0;
    ledger_durability(conf, nconf, 130, tr, 2, &lost, &rec);
    CHECK_EQ_U64(lost, 10);
    CHECK_EQ_U64(rec, 0);
    /* 131 consumed but its confirm never came: recovered, not lost. */
    ledger_add(&b, 131, false);
    lost = rec = 0;
    ledger_durability(conf, nconf, 131, tr, 2, &lost, &rec);
    CHECK_EQ_U64(lost, 10);
    CHECK_EQ_U64(rec, 1);
    /* Losses only in the first and in the last partial word. */
    uint64_t *c2 = NULL, n2 = 0;
    bits_reserve(&c2, &n2, 200);
    for (uint64_t s = 1; s <= 200; s++) c2[s >> 6] |= 1ULL << (s & 63);
    struct seq_track d = {0};
    add_range(&d, 2, 195, false); /* 1 and 196..200 lost */
    const struct seq_track *tr2[] = {&d};
    lost = rec = 0;
    ledger_durability(c2, n2, 200, tr2, 1, &lost, &rec);
    CHECK_EQ_U64(lost, 6);
    CHECK_EQ_U64(rec, 0);
    /* No consumer thread saw anything: everything confirmed is lost. */
    const struct seq_track *none[] = {NULL};
    lost = rec = 0;
    ledger_durability(c2, n2, 200, none, 1, &lost, &rec);
    CHECK_EQ_U64(lost, 200);
    free(conf), free(c2);
    ledger_free(&a), ledger_free(&b), ledger_free(&d);
}

static void schedules(void)
{
    struct schedule s;
    CHECK(schedule_parse("1000", false, &s) == 0);
    CHECK(s.n == 1 && s.value[0] == 1000 && s.dur_ns[0] == 0);
    CHECK_EQ_U64(schedule_at(&s, 999 * NS_PER_SEC), 1000);
    CHECK(schedule_parse("1000:10s,5k:2s,20k", false, &s) == 0);
    CHECK(s.n == 3 && s.value[1] == 5000 && s.value[2] == 20000);
    CHECK_EQ_U64(s.dur_ns[0], 10 * NS_PER_SEC);
    CHECK_EQ_U64(schedule_at(&s, 0), 1000);
    CHECK_EQ_U64(schedule_at(&s, 10 * NS_PER_SEC - 1), 1000);
    CHECK_EQ_U64(schedule_at(&s, 10 * NS_PER_SEC), 5000);
    CHECK_EQ_U64(schedule_at(&s, 12 * NS_PER_SEC - 1), 5000);
    CHECK_EQ_U64(schedule_at(&s, 12 * NS_PER_SEC), 20000);
    /* The last step holds until the end, whatever duration it was given. */
    CHECK(schedule_parse("100:1s,200:1s", false, &s) == 0);
    CHECK_EQ_U64(s.dur_ns[1], 0);
    CHECK_EQ_U64(schedule_at(&s, 60 * NS_PER_SEC), 200);
    CHECK(schedule_parse("16:1s,4KiB", true, &s) == 0);
    CHECK_EQ_U64(s.value[1], 4096);
    const char *bad[] = {"", ",", "fast", "100:", "100:0s", "100:soon", "100:1s,,x", "-5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(schedule_parse(bad[i], false, &s) == -1);
    /* At most SCHEDULE_MAX_STEPS steps. */
    char many[SCHEDULE_MAX_STEPS * 8 + 16] = "";
    for (int i = 0; i <= SCHEDULE_MAX_STEPS; i++) strcat(many, i ? ",1:1s" : "1:1s");
    CHECK(schedule_parse(many, false, &s) == -1);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A header built by hand from docs/message-format.md: offsets, widths,
 * little-endian order and the checksum's coverage. */
static void message_bytes(void)
{
    enum { PAY = 20 };
    unsigned char doc[MSG_HEADER_LEN + PAY], ours[MSG_HEADER_LEN + PAY];
    CHECK(MSG_HEADER_LEN == 48);
    memset(doc, 0, sizeof doc);
    msg_fill_payload(doc + MSG_HEADER_LEN, PAY);
    memcpy(ours + MSG_HEADER_LEN, doc + MSG_HEADER_LEN, PAY);
    doc[0] = 'L', doc[1] = 'G', doc[2] = 1, doc[3] = MSG_FLAG_REALTIME;
    put_le(doc + 4, 0x01020304, 4);
    put_le(doc + 8, 0x1112131415161718ULL, 8);
    put_le(doc + 16, 3, 4);
    put_le(doc + 20, PAY, 4);
    put_le(doc + 24, 0x2122232425262728ULL, 8);
    put_le(doc + 32, 0x3132333435363738ULL, 8);
    put_le(doc + 40, 0xA1B2C3D4, 4);
    uLong crc = crc32(crc32(0, doc, 44), doc + MSG_HEADER_LEN, PAY);
    put_le(doc + 44, crc, 4);
    struct msg_header h = {.flags = MSG_FLAG_REALTIME, .producer = 0x01020304, .seq = 0x1112131415161718ULL,
                           .attempt = 3, .payload_len = PAY, .intended_ns = 0x2122232425262728ULL,
                           .sent_ns = 0x3132333435363738ULL, .run_id = 0xA1B2C3D4};
    msg_encode(ours, &h, (uint32_t)crc32(0, ours + MSG_HEADER_LEN, PAY));
    CHECK(memcmp(doc, ours, sizeof doc) == 0);
    struct msg_header out;
    CHECK(msg_decode(doc, sizeof doc, &out) == MSG_OK);
    CHECK(out.producer == 0x01020304 && out.seq == 0x1112131415161718ULL && out.attempt == 3);
    CHECK(out.payload_len == PAY && out.run_id == 0xA1B2C3D4 && out.flags == MSG_FLAG_REALTIME);
    CHECK(out.intended_ns == 0x2122232425262728ULL && out.sent_ns == 0x3132333435363738ULL);
    /* The checksum covers bytes 0..43 and the payload, and sits at 44. */
    doc[43] ^= 0x80;
    CHECK(msg_decode(doc, sizeof doc, &out) == MSG_BAD_CHECKSUM);
    doc[43] ^= 0x80;
    doc[44] ^= 1;
    CHECK(msg_decode(doc, sizeof doc, &out) == MSG_BAD_CHECKSUM);
    doc[44] ^= 1;
    doc[sizeof doc - 1] ^= 1;
    CHECK(msg_decode(doc, sizeof doc, &out) == MSG_BAD_CHECKSUM);
}

/* One queue of a routed topology holds only the messages routed to it: the
 * even sequences here. Lost and recovered count among those; an odd one
 * that came out of it is misrouted. */
static void routed(void)
{
    uint64_t *conf = NULL, nconf = 0, *route = NULL, nroute = 0;
    bits_reserve(&conf, &nconf, 200);
    bits_reserve(&route, &nroute, 200);
    for (uint64_t s = 1; s <= 150; s++) conf[s >> 6] |= 1ULL << (s & 63); /* 151..200 never confirmed */
    for (uint64_t s = 2; s <= 200; s += 2) route[s >> 6] |= 1ULL << (s & 63);
    struct seq_track a = {0}, b = {0};
    for (uint64_t s = 2; s <= 140; s += 2) ledger_add(&a, s, false); /* 142..150 even: lost (5) */
    ledger_add(&b, 160, false);                                      /* routed, never confirmed: recovered */
    ledger_add(&b, 7, false);                                        /* odd: not routed here */
    ledger_add(&b, 199, false);
    ledger_add(&b, 300, false);                                      /* never published at all */
    const struct seq_track *tr[] = {&a, &b};
    struct ledger_route_counts c = {0};
    struct ledger_route r = {.expected = route};
    ledger_durability_routed(conf, nconf, 200, &r, tr, 2, &c);
    CHECK_EQ_U64(c.lost, 5);
    CHECK_EQ_U64(c.recovered, 1);
    CHECK_EQ_U64(c.misrouted, 3);
    /* highest seen is 300 (never published): routed evens 142..158 and
     * 162..200 are holes (9 + 20); odd ones and 201..300 are not routed here */
    CHECK_EQ_U64(c.gaps, 29);
    CHECK_EQ_U64(c.dead_lettered, 0);

    /* The queue dead-letters: 142 and 144 came out of its dead-letter
     * queue (dead-lettered, not lost, not gaps); 7 was allowed here (it
     * came back through a retry loop), so it is not misrouted. */
    uint64_t *dl = NULL, ndl = 0, *ok = NULL, nok = 0;
    bits_reserve(&dl, &ndl, 200);
    bits_reserve(&ok, &nok, 200);
    dl[142 >> 6] |= 1ULL << (142 & 63);
    dl[144 >> 6] |= 1ULL << (144 & 63);
    dl[2 >> 6] |= 1ULL << 2;                   /* also consumed here: not counted twice */
    ok[0] |= 1ULL << 7;
    struct ledger_route_counts d = {0};
    struct ledger_route r2 = {.expected = route, .allowed = ok, .elsewhere = dl};
    ledger_durability_routed(conf, nconf, 200, &r2, tr, 2, &d);
    CHECK_EQ_U64(d.lost, 3);
    CHECK_EQ_U64(d.dead_lettered, 2);
    CHECK_EQ_U64(d.misrouted, 2);
    CHECK_EQ_U64(d.gaps, 27);
    free(dl);
    free(ok);
    ledger_free(&a);
    ledger_free(&b);
    free(conf);
    free(route);
}

void test_ledger(void)
{
    one_thread();
    ordering();
    merge();
    durability();
    routed();
}

void test_schedule(void)
{
    schedules();
}

void test_msg_bytes(void)
{
    message_bytes();
}

/* Every category from the merge and the threads' own counts. */
void test_ledger_totals(void)
{
    struct ledger_merge m = {.unique = 100, .gaps = 2, .cross_duplicates = 6, .cross_explained = 5};
    struct ledger_totals t = {0};
    ledger_totals_finish(&t, &m, 10, 4, 120, false);
    CHECK_EQ_U64(t.unique, 100);
    CHECK_EQ_U64(t.gaps, 2);
    CHECK_EQ_U64(t.duplicates, 16);
    CHECK_EQ_U64(t.duplicates_explained, 9);
    CHECK_EQ_U64(t.duplicates_unexplained, 7);
    CHECK_EQ_U64(t.duplicates_cross_thread, 6);
    CHECK_EQ_U64(t.effects, 120);
    CHECK_EQ_U64(t.duplicate_effects, 20);
    /* Idempotent: the copies another thread applied first are not applied again. */
    struct ledger_totals i = {0};
    ledger_totals_finish(&i, &m, 10, 4, 106, true);
    CHECK_EQ_U64(i.effects, 100);
    CHECK_EQ_U64(i.duplicate_effects, 0);
    /* More explained than counted (a flag explaining a copy counted apart) never wraps. */
    struct ledger_merge z = {.unique = 1};
    struct ledger_totals w = {0};
    ledger_totals_finish(&w, &z, 1, 3, 0, true);
    CHECK_EQ_U64(w.duplicates_unexplained, 0);
    CHECK_EQ_U64(w.effects, 0);
}
