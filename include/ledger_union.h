/* ledger_union: the instances' ledgers (ledger_file.h) of one sharded run,
 * held per (queue, producer) and checked as one process would check its
 * threads' sets (ledger.h), for `loadgen merge`. The files are input, even
 * when loadgen wrote them: every set is checked against its partner and
 * its producer before any arithmetic touches it, sizes are capped before
 * memory is taken, and a file that breaks a rule is a damaged ledger, with
 * the reason, never a verdict. Free of JSON and reports: the fuzz harness
 * (tests/fuzz) drives it directly. */
#ifndef LOADGEN_LEDGER_UNION_H
#define LOADGEN_LEDGER_UNION_H

#include "ledger.h"
#include "ledger_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_UNION_MAX_PAIRS (1u << 20)   /* (queue, producer) pairs */
#define LEDGER_UNION_MAX_WORDS (1ull << 25) /* bitmap words held at once: 256 MiB, 2^31 sequences */

struct ledger_union;

/* The run's shape from its first instance's header, for n instances given;
 * NULL with the reason when it is more than a merge takes. */
struct ledger_union *ledger_union_new(const struct ledger_file_header *first, int n, char *err, size_t cap);
/* Instance i's header: the same run (id and shape), an instance not given
 * before, producers no other instance had. -1 with the reason. */
int ledger_union_header(struct ledger_union *u, int i, const struct ledger_file_header *h, char *err, size_t cap);
/* Instance i's records from fd (closed), path naming it. -1 with
 * "damaged ledger: why" (or the reader's reason). */
int ledger_union_read(struct ledger_union *u, int i, int fd, const char *path, char *err, size_t cap);
/* After every instance: the checks that need all of them (each confirmed
 * set within its producer's last sequence, each consumed sequence one its
 * producer sent), then the union's categories. -1 with the reason. */
int ledger_union_check(struct ledger_union *u, struct ledger_merge *lm, uint64_t *lost, uint64_t *recovered, char *err,
                       size_t cap);
/* Whether instance k's ledger was given. */
bool ledger_union_has(const struct ledger_union *u, uint32_t k);
const struct ledger_file_header *ledger_union_shape(const struct ledger_union *u);
void ledger_union_free(struct ledger_union *u);

#endif
