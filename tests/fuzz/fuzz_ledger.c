/* Fuzz target: `loadgen merge`'s ledger path (ledger_file_read_fd, then
 * ledger_union) on hostile bytes. The input is one or more uncompressed
 * ledgers back to back (zlib reads a plain stream as it is), split at each
 * magic; each is an instance of one merge. Built with ASan and UBSan, any
 * read past a set, wrap-around or leak is a crash. The entry point is
 * libFuzzer's: `clang -fsanitize=fuzzer,address` links it alone; driver.c
 * runs it without libFuzzer (`make test`, `make fuzz`). */
#include "ledger_file.h"
#include "ledger_union.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_FILES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const uint8_t *p, size_t n)
{
    int fd = memfd_create("ledger", MFD_CLOEXEC);
    if (fd < 0) abort(); /* the harness, not the target, failed */
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, p + off, n - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *start[MAX_FILES];
    size_t len[MAX_FILES];
    int n = 0;
    for (size_t i = 0; i + 8 <= size && n < MAX_FILES; i++)
        if (!memcmp(data + i, LEDGER_FILE_MAGIC, 8)) start[n++] = data + i;
    if (!n) return 0;
    for (int k = 0; k < n; k++)
        len[k] = (size_t)((k + 1 < n ? start[k + 1] : data + size) - start[k]);
    char err[512];
    struct ledger_union *u = NULL;
    int fds[MAX_FILES];
    for (int k = 0; k < n; k++)
        fds[k] = memfile(start[k], len[k]);
    for (int k = 0; k < n; k++) {
        struct ledger_file_header h;
        if (ledger_file_read_fd(dup(fds[k]), "fuzz", &h, NULL, NULL, err, sizeof err)) goto out;
        if (!u && !(u = ledger_union_new(&h, n, err, sizeof err))) goto out;
        if (ledger_union_header(u, k, &h, err, sizeof err)) goto out;
        lseek(fds[k], 0, SEEK_SET);
        if (ledger_union_read(u, k, dup(fds[k]), "fuzz", err, sizeof err)) goto out;
    }
    struct ledger_merge lm = {0};
    uint64_t lost = 0, recovered = 0;
    if (!ledger_union_check(u, &lm, &lost, &recovered, err, sizeof err)) {
        /* what a merge of accepted ledgers may say: never more than was sent */
        if (lm.gaps > (1ull << 40) || lm.cross_duplicates > (1ull << 40)) abort();
    }
out:
    for (int k = 0; k < n; k++)
        close(fds[k]);
    ledger_union_free(u);
    return 0;
}
