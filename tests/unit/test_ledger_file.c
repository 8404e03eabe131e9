/* ledger_file: what is written reads back record by record; a file that
 * is not a whole ledger (bad magic, truncated, a record out of range) is
 * refused with the reason. */
#include "ledger_file.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct seen {
    int n;
    uint64_t sum, words;
    int kinds[8];
};

static int count(void *ctx, enum ledger_file_kind kind, uint32_t q, uint32_t p, const uint64_t *w, uint64_t n)
{
    struct seen *s = ctx;
    s->n++;
    s->kinds[kind]++;
    s->words += n;
    for (uint64_t i = 0; i < n; i++) s->sum += w[i] ^ (q * 131u + p);
    return 0;
}

void test_ledger_file(void)
{
    char path[] = "/tmp/loadgen-ledger-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    struct ledger_file_header h = {0xc0ffee, 1, 3, 2, 10, 4, 3, 0, 0}, got;
    char err[256];
    struct ledger_writer *w = ledger_file_create(path, &h, err, sizeof err);
    CHECK(w != NULL);
    uint64_t ones[1000], last = 64000;
    for (int i = 0; i < 1000; i++) ones[i] = ~0ull;
    CHECK(ledger_file_put(w, LF_CONFIRMED, 1, 5, ones, 1000) == 0);
    CHECK(ledger_file_put(w, LF_LAST_SEQ, 1, 5, &last, 1) == 0);
    CHECK(ledger_file_put(w, LF_CONSUMED, 0, 9, ones, 3) == 0);
    CHECK(ledger_file_close(w, err, sizeof err) == 0);
    struct seen s = {0};
    CHECK(ledger_file_read(path, &got, count, &s, err, sizeof err) == 0);
    CHECK(!memcmp(&got, &h, sizeof h));
    CHECK(s.n == 3 && s.kinds[LF_CONFIRMED] == 1 && s.kinds[LF_LAST_SEQ] == 1 && s.kinds[LF_CONSUMED] == 1);
    CHECK(s.words == 1004);
    uint64_t want = 0;
    for (int i = 0; i < 1000; i++) want += ~0ull ^ (1 * 131u + 5);
    want += 64000 ^ (1 * 131u + 5);
    for (int i = 0; i < 3; i++) want += ~0ull ^ (0 * 131u + 9);
    CHECK(s.sum == want);
    /* 8 KB of all-ones words are a few dozen bytes compressed */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    CHECK(ftell(f) < 400);
    fclose(f);
    /* truncated: the end record is missing */
    w = ledger_file_create(path, &h, err, sizeof err);
    ledger_file_put(w, LF_CONSUMED, 0, 9, ones, 3);
    CHECK(ledger_file_close(w, err, sizeof err) == 0);
    f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, n - 12, f); /* cut into the gzip trailer and the end record */
    fclose(f);
    memset(&s, 0, sizeof s);
    CHECK(ledger_file_read(path, &got, count, &s, err, sizeof err) == -1 && strstr(err, "truncated"));
    /* not a ledger */
    f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    CHECK(ledger_file_read(path, &got, count, &s, err, sizeof err) == -1 && strstr(err, "not a loadgen ledger"));
    /* a record out of range: producer 10 of 10 */
    w = ledger_file_create(path, &h, err, sizeof err);
    ledger_file_put(w, LF_CONSUMED, 0, 10, ones, 1);
    ledger_file_close(w, err, sizeof err);
    CHECK(ledger_file_read(path, &got, count, &s, err, sizeof err) == -1 && strstr(err, "out of range"));
    unlink(path);
}
