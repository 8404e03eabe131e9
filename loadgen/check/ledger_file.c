#include "ledger_file.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct ledger_writer {
    gzFile gz;
    int failed;
};

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *b)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static void wr(struct ledger_writer *w, const void *p, size_t n)
{
    if (!w->failed && n && gzwrite(w->gz, p, (unsigned)n) != (int)n) w->failed = 1;
}

struct ledger_writer *ledger_file_create(const char *path, const struct ledger_file_header *h, char *err, size_t cap)
{
    /* O_NOFOLLOW: a link planted at path is refused, not written through */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    gzFile gz = fd >= 0 ? gzdopen(fd, "wb6") : NULL;
    if (!gz) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        if (fd >= 0) close(fd);
        return NULL;
    }
    struct ledger_writer *w = xcalloc(1, sizeof *w);
    w->gz = gz;
    unsigned char b[8 + 9 * 4];
    memcpy(b, LEDGER_FILE_MAGIC, 8);
    const uint32_t f[9] = {h->run_id, h->instance, h->instances, h->queues, h->producers_total,
                           h->producer_base, h->producers, h->consumer_base, h->consumers};
    for (int i = 0; i < 9; i++) put_u32(b + 8 + 4 * i, f[i]);
    wr(w, b, sizeof b);
    return w;
}

int ledger_file_put(struct ledger_writer *w, enum ledger_file_kind kind, uint32_t queue, uint32_t producer,
                    const uint64_t *words, uint64_t n)
{
    unsigned char b[1 + 4 + 4 + 8], word[8];
    b[0] = (unsigned char)kind;
    put_u32(b + 1, queue);
    put_u32(b + 5, producer);
    put_u64(b + 9, n);
    wr(w, b, sizeof b);
    for (uint64_t i = 0; i < n; i++) {
        put_u64(word, words[i]);
        wr(w, word, 8);
    }
    return w->failed ? -1 : 0;
}

int ledger_file_close(struct ledger_writer *w, char *err, size_t cap)
{
    ledger_file_put(w, LF_END, 0, 0, NULL, 0);
    int rc = gzclose(w->gz) != Z_OK || w->failed ? -1 : 0;
    if (rc) snprintf(err, cap, "cannot write the ledger: %s", strerror(errno ? errno : EIO));
    free(w);
    return rc;
}

static int rd(gzFile gz, void *p, size_t n)
{
    return gzread(gz, p, (unsigned)n) == (int)n ? 0 : -1;
}

/* n words of a record: the buffer grows as the words arrive, so a record
 * that claims 2^24 words in a file that holds ten costs ten. */
static int rd_words(gzFile gz, uint64_t **words, size_t *capw, uint64_t n)
{
    for (uint64_t got = 0; got < n;) {
        uint64_t chunk = n - got < (1u << 16) ? n - got : (1u << 16);
        if (got + chunk > *capw) {
            *capw = got + chunk > 2 * *capw ? got + chunk : 2 * *capw;
            if (*capw > n) *capw = n;
            *words = xrealloc(*words, *capw * 8);
        }
        if (rd(gz, (unsigned char *)(*words + got), chunk * 8)) return -1;
        got += chunk;
    }
    return 0;
}

int ledger_file_read(const char *path, struct ledger_file_header *h, ledger_file_fn fn, void *ctx, char *err,
                     size_t cap)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    return ledger_file_read_fd(fd, path, h, fn, ctx, err, cap);
}

int ledger_file_read_fd(int fd, const char *path, struct ledger_file_header *h, ledger_file_fn fn, void *ctx,
                        char *err, size_t cap)
{
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
        close(fd);
        return -1;
    }
    unsigned char b[8 + 9 * 4];
    int rc = -1;
    uint64_t *words = NULL;
    size_t capw = 0;
    if (rd(gz, b, sizeof b) || memcmp(b, LEDGER_FILE_MAGIC, 8)) {
        snprintf(err, cap, "%s: not a loadgen ledger (%s)", path, LEDGER_FILE_MAGIC);
        goto out;
    }
    uint32_t f[9];
    for (int i = 0; i < 9; i++) f[i] = get_u32(b + 8 + 4 * i);
    *h = (struct ledger_file_header){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]};
    if (!h->instances || h->instance >= h->instances || h->queues > 65536 || h->producers_total > 100000 ||
        h->producer_base + (uint64_t)h->producers > h->producers_total) {
        snprintf(err, cap, "%s: a header field is out of range", path);
        goto out;
    }
    if (!fn) { /* the header was all that was wanted */
        rc = 0;
        goto out;
    }
    for (;;) {
        unsigned char r[17];
        if (rd(gz, r, sizeof r)) {
            snprintf(err, cap, "%s: truncated (no end record)", path);
            goto out;
        }
        enum ledger_file_kind kind = r[0];
        uint32_t q = get_u32(r + 1), p = get_u32(r + 5);
        uint64_t n = get_u64(r + 9);
        if (kind == LF_END) break;
        /* a producer's own records (confirmed, last) only for this instance's producers */
        int own = (kind != LF_CONFIRMED && kind != LF_LAST_SEQ) ||
                   (p >= h->producer_base && p - h->producer_base < h->producers);
        if (kind >= LF_KINDS || n > LEDGER_FILE_MAX_WORDS || q >= (h->queues ? h->queues : 1) ||
            p >= h->producers_total || (kind == LF_LAST_SEQ && n != 1) || !own) {
            snprintf(err, cap, "%s: a record is out of range (kind %u, queue %u, producer %u, %llu words)", path,
                     (unsigned)kind, q, p, (unsigned long long)n);
            goto out;
        }
        if (rd_words(gz, &words, &capw, n)) {
            snprintf(err, cap, "%s: truncated record", path);
            goto out;
        }
        unsigned char *raw = (unsigned char *)words;
        for (uint64_t i = 0; i < n; i++) words[i] = get_u64(raw + 8 * i); /* in place: word i from its own bytes */
        int stop = fn(ctx, kind, q, p, words, n);
        if (stop) {
            rc = stop;
            goto out;
        }
    }
    rc = 0;
out:
    free(words);
    gzclose(gz);
    return rc;
}
