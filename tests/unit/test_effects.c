/* A service run's pure parts: the message template, the run-unique id and
 * its strict parse, the JSON id scanner (against jansson on hostile
 * bodies), and the effect ledger's arithmetic: first copy, the service's
 * duplicate, loadgen's own re-read, unexpected, unparsable, and each
 * confirmed input judged matched, parked, pending or lost. */
#include "effect_ledger.h"
#include "template.h"
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void template_rendering(void)
{
    struct tpl t = {0};
    char err[200], out[256];
    CHECK(tpl_compile(&t, "{\"order_id\": \"{id}\", \"n\": {seq}, \"p\": {producer}, \"at\": \"{time}\"}", err,
                      sizeof err) == 0);
    struct tpl_vars v = {0x00abcdef, 3, 42, 1765000000123000000ULL};
    size_t n = tpl_render(&t, &v, out, sizeof out);
    CHECK(!strcmp(out, "{\"order_id\": \"00abcdef-3-42\", \"n\": 42, \"p\": 3, \"at\": \"2025-12-06T05:46:40.123Z\"}"));
    CHECK(n == strlen(out));
    /* too small: cut, NUL-terminated, the whole length returned */
    char small[8];
    CHECK(tpl_render(&t, &v, small, sizeof small) == n && strlen(small) == 7);
    CHECK(tpl_names_message(&t));
    tpl_free(&t);
    /* braces that name no word are text; a word that is no placeholder is an error */
    CHECK(tpl_compile(&t, "{}{ {\"a\":{\"b\":1}}}", err, sizeof err) == 0);
    CHECK(tpl_render(&t, &v, out, sizeof out) && !strcmp(out, "{}{ {\"a\":{\"b\":1}}}"));
    CHECK(!tpl_names_message(&t));
    CHECK(tpl_compile(&t, "x {ID} y", err, sizeof err) == -1 && strstr(err, "{ID}"));
    CHECK(!strcmp(out, "{}{ {\"a\":{\"b\":1}}}")); /* t untouched by the failure */
    tpl_free(&t);
    CHECK(tpl_compile(&t, "{run}-{producer}-{seq}", err, sizeof err) == 0 && tpl_names_message(&t));
    tpl_free(&t);
}

static void ids(void)
{
    char buf[TPL_ID_MAX];
    uint32_t r, p;
    uint64_t s;
    size_t n = tpl_id_format(buf, sizeof buf, 0xffffffffu, 4294967295u, UINT64_MAX);
    CHECK(n < TPL_ID_MAX && tpl_id_parse(buf, n, &r, &p, &s) == 0 && r == 0xffffffffu && s == UINT64_MAX);
    static const char *const bad[] = {
        "",
        "00abcdef",
        "00abcdef-1",
        "00abcdef-1-",
        "00abcdef--1",
        "00abcde-1-1",
        "00abcdeff-1-1",
        "00ABCDEF-1-1",
        "00abcdef-1-0",
        "00abcdef-01-1",
        "00abcdef-1-01",
        "00abcdef-1-1-1",
        "00abcdef-4294967296-1",
        "00abcdef-1-18446744073709551616",
        "00abcdef-1-1 ",
        " 00abcdef-1-1",
        "00abcdef-+1-1",
        "00abcdef-1-1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(tpl_id_parse(bad[i], strlen(bad[i]), &r, &p, &s) != 0);
    CHECK(tpl_id_parse("00abcdef-0-7", 12, &r, &p, &s) == 0 && r == 0xabcdef && p == 0 && s == 7);
}

/* The scanner agrees with jansson: same id, or both refuse. */
static void json_scanner(void)
{
    static const char *const bodies[] = {
        "{\"order_id\": \"00abcdef-0-1\"}",
        "  {\"a\": {\"order_id\": \"nested\"}, \"order_id\": \"top\"}",
        "{\"a\": [1, {\"x\": \"}\"}, \"]\"], \"order_id\": \"after-array\"}",
        "{\"a\": \"\\\"order_id\\\": \\\"fake\\\"\", \"order_id\": \"real\"}",
        "{\"order_\\u0069d\": \"escaped-key\"}",
        "{\"order_id\": \"esc\\u0061ped\"}",
        "{\"order_id\": 17}",
        "{\"order_id\": null}",
        "{\"other\": \"x\"}",
        "[\"order_id\", \"x\"]",
        "not json",
        "",
        "{\"order_id\": \"unterminated",
        "{\"order_id\" \"no colon\"}",
        "{\"a\": {\"b\": [[[[",
        "{\"order_id\": \"x\"} trailing",
    };
    char scratch[64];
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        const char *b = bodies[i], *id = NULL, *why = NULL;
        size_t len = 0;
        int rc = effect_json_id(b, strlen(b), "order_id", scratch, sizeof scratch, &id, &len, &why);
        json_t *j = json_loadb(b, strlen(b), 0, NULL);
        json_t *v = json_is_object(j) ? json_object_get(j, "order_id") : NULL;
        if (json_is_string(v)) {
            CHECK(rc == 0 && len == json_string_length(v) && !memcmp(id, json_string_value(v), len));
        } else if (j) {
            CHECK(rc == -1 && why);
        }
        json_decref(j);
    }
    /* byte noise never reads out of bounds (ASan) and always answers */
    unsigned seed = 7;
    char body[96];
    for (int k = 0; k < 20000; k++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof body);
        for (size_t i = 0; i < len; i++)
            body[i] = "{}[]\":,\\ ao_rdi1x"[rand_r(&seed) % 18];
        const char *id, *why;
        size_t idl;
        int rc = effect_json_id(body, len, "order_id", scratch, sizeof scratch, &id, &idl, &why);
        CHECK(rc == 0 || (rc == -1 && why));
        if (rc == 0) CHECK(idl < sizeof body + sizeof scratch);
    }
}

static void judge(const struct effect_ledger *l, uint32_t p, uint64_t last, const uint64_t *conf,
                  const uint64_t *parked, const uint64_t *pending, struct effect_totals *t)
{
    struct effect_input_sets in = {conf, 128, last, parked, 128, pending, 128};
    effect_ledger_judge(l, p, &in, t);
}

static void ledger_arithmetic(void)
{
    struct effect_ledger l;
    effect_ledger_init(&l, 0xabcdef, 2);
    char id[TPL_ID_MAX];
    for (uint64_t s = 1; s <= 10; s++) { /* producer 0: 1..10 answered, 3 twice by the service */
        size_t n = tpl_id_format(id, sizeof id, 0xabcdef, 0, s);
        effect_ledger_add(&l, id, n, NULL, id, n, false, s * 1000);
        if (s == 3) effect_ledger_add(&l, id, n, NULL, id, n, false, s * 1000 + 1);
        if (s == 4) effect_ledger_add(&l, id, n, NULL, id, n, true, s * 1000 + 1); /* our own re-read */
    }
    size_t n = tpl_id_format(id, sizeof id, 0x123, 0, 1); /* another run */
    effect_ledger_add(&l, id, n, NULL, id, n, false, 1);
    n = tpl_id_format(id, sizeof id, 0xabcdef, 7, 1); /* no such producer */
    effect_ledger_add(&l, id, n, NULL, id, n, false, 1);
    n = tpl_id_format(id, sizeof id, 0xabcdef, 0, 99); /* a sequence never published */
    effect_ledger_add(&l, id, n, NULL, id, n, false, 1);
    effect_ledger_add(&l, NULL, 0, "no such key", "{\"x\": 1}", 8, false, 1);
    CHECK_EQ_U64(l.effects, 16);
    CHECK_EQ_U64(l.rereads, 1);
    CHECK_EQ_U64(l.extra_copies, 1);
    CHECK(!strcmp(l.duplicate_sample, "00abcdef-0-3"));
    CHECK_EQ_U64(l.unexpected, 2);
    CHECK(!strcmp(l.unexpected_sample, "00000123-0-1"));
    CHECK(l.unparsable == 1 && !strcmp(l.unparsable_why, "no such key") && !strcmp(l.unparsable_sample, "{\"x\": 1}"));
    CHECK_EQ_U64(l.nrecs, 11);
    /* producer 1 published 1..6, confirmed 1..5: none answered; 2 parked, 3 pending */
    uint64_t conf[2] = {0x3e, 0}, all[2] = {~0ULL, ~0ULL}, parked[2] = {1 << 2, 0}, pending[2] = {1 << 3, 0};
    struct effect_totals t = {0};
    judge(&l, 0, 10, all, NULL, NULL, &t);
    judge(&l, 1, 6, conf, parked, pending, &t);
    effect_ledger_finish(&l, &t);
    CHECK_EQ_U64(t.inputs, 16);
    CHECK_EQ_U64(t.confirmed, 15);
    CHECK_EQ_U64(t.matched, 10);
    CHECK_EQ_U64(t.duplicates, 1);
    CHECK_EQ_U64(t.parked, 1);
    CHECK_EQ_U64(t.pending, 1);
    CHECK_EQ_U64(t.lost, 3);       /* 1, 4 and 5 of producer 1; 6 was never confirmed */
    CHECK_EQ_U64(t.unexpected, 3); /* another run, no such producer, seq 99 */
    effect_ledger_free(&l);
}

/* An idempotency key: a copy with the first copy's key is the same
 * effect again; a copy with another key (or none) is a second effect. */
static void keyed_copies(void)
{
    struct effect_ledger l;
    effect_ledger_init(&l, 1, 1);
    char id[TPL_ID_MAX];
    size_t n = tpl_id_format(id, sizeof id, 1, 0, 5);
    effect_ledger_add_keyed(&l, id, n, NULL, id, n, false, 1, "receipt-5", 9);
    effect_ledger_add_keyed(&l, id, n, NULL, id, n, false, 2, "receipt-5", 9);
    CHECK(l.same_key_copies == 1 && l.extra_copies == 0);
    effect_ledger_add_keyed(&l, id, n, NULL, id, n, false, 3, "f3a1-uuid", 9);
    CHECK(l.same_key_copies == 1 && l.extra_copies == 1);
    n = tpl_id_format(id, sizeof id, 1, 0, 6000); /* grows the key table */
    effect_ledger_add_keyed(&l, id, n, NULL, id, n, false, 4, "k", 1);
    effect_ledger_add_keyed(&l, id, n, NULL, id, n, false, 5, NULL, 0); /* no key: a second effect */
    CHECK(l.same_key_copies == 1 && l.extra_copies == 2);
    effect_ledger_free(&l);
}

void test_effects(void)
{
    keyed_copies();
    template_rendering();
    ids();
    json_scanner();
    ledger_arithmetic();
}
