/* ledger_file: an instance's sequence sets on disk, for `loadgen merge`
 * (scale-out). A gzip stream of little-endian records, docs/scale-out.md:
 * a header, then (kind, queue, producer, n, n words) records, then an end
 * record. Bitmaps are stored as words; gzip folds the runs of all-ones a
 * clean run is made of. Reading caps every size: the file is input. */
#ifndef LOADGEN_LEDGER_FILE_H
#define LOADGEN_LEDGER_FILE_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_FILE_MAGIC "LGLEDG01"
#define LEDGER_FILE_MAX_WORDS (1ull << 24) /* 2^30 sequences per set, 128 MiB */

struct ledger_file_header {
    uint32_t run_id, instance, instances, queues, producers_total;
    uint32_t producer_base, producers, consumer_base, consumers;
};

enum ledger_file_kind {
    LF_END = 0,
    LF_CONSUMED = 1,  /* bitmap: sequences this instance's consumers saw, (queue, producer) */
    LF_FLAGGED = 2,   /* bitmap: of those, first seen with an explanation (redelivered, attempt > 1) */
    LF_CONFIRMED = 3, /* bitmap: sequences the broker confirmed, the producer's (its queue, producer) */
    LF_LAST_SEQ = 4,  /* one word: the highest sequence the producer sent */
    LF_KINDS
};

struct ledger_writer;

struct ledger_writer *ledger_file_create(const char *path, const struct ledger_file_header *h, char *err, size_t cap);
int ledger_file_put(struct ledger_writer *w, enum ledger_file_kind kind, uint32_t queue, uint32_t producer,
                    const uint64_t *words, uint64_t n);
/* Writes the end record and closes; -1 with the reason (then the file is
 * not a ledger: a reader refuses it). */
int ledger_file_close(struct ledger_writer *w, char *err, size_t cap);

/* Each record in order; fn returns non-zero to stop (returned); fn NULL:
 * the header only. -1 with the reason for a file that is not a whole
 * ledger. */
typedef int (*ledger_file_fn)(void *ctx, enum ledger_file_kind kind, uint32_t queue, uint32_t producer,
                              const uint64_t *words, uint64_t n);
int ledger_file_read(const char *path, struct ledger_file_header *h, ledger_file_fn fn, void *ctx, char *err,
                     size_t cap);
/* The same from fd, which it closes; path names it in messages. Records
 * are checked against the header: a producer's confirmed set and last
 * sequence only for the instance's own producers. A record's words are
 * read as they arrive: a size claimed but not there costs nothing. */
int ledger_file_read_fd(int fd, const char *path, struct ledger_file_header *h, ledger_file_fn fn, void *ctx,
                        char *err, size_t cap);

#endif
