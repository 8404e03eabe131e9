/* effect_ledger: what a user's service produced, matched to what loadgen
 * published (template.h's ids). Pure: no threads, no sockets, so the
 * matching is unit-tested and benchmarked alone. One owner (the effects
 * consumer's thread) until the run ends. */
#ifndef LOADGEN_EFFECT_LEDGER_H
#define LOADGEN_EFFECT_LEDGER_H

#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where an effect names its input (effects.id in a scenario). */
enum effect_id_from { EID_JSON, EID_HEADER, EID_CORRELATION_ID, EID_MESSAGE_ID, EID_BODY };

/* A scenario's effects: block (docs/services.md). */
#define EFFECTS_MAX_QUEUES 8

/* The scenario's effects: block. */
struct effects_spec {
    char *queue; /* where the service's results arrive */
    enum effect_id_from id_from;
    char *id_key; /* EID_JSON: the top-level key; EID_HEADER: the header */
    /* key: the effect's idempotency key (EID_MESSAGE_ID or EID_HEADER:
     * key_name; -1 none): a copy with its first copy's key is the same
     * effect delivered again, not a second effect */
    int key_from;
    char *key_name;
    char *parked[EFFECTS_MAX_QUEUES]; /* the service's dead-letter queues */
    int nparked;
    char *pending[EFFECTS_MAX_QUEUES]; /* other queues inputs may wait in (a retry queue) */
    int npending;
    uint64_t quiet_ns;                /* the drain: no new effect for this long, inputs drained: done */
    char *sqlite_file, *sqlite_query; /* or from a database the service writes, read at the end */
    int line;
};
void effects_spec_free(struct effects_spec *s);

#define EFFECT_SAMPLE 160

/* One effect's first copy: which input, and when it was consumed. */
struct effect_rec {
    uint32_t producer;
    uint64_t seq, at_ns;
};

struct effect_ledger {
    uint32_t run_id;
    uint32_t producers;      /* ids 0..producers-1 are this run's */
    struct seq_track *seen;  /* per producer: bits = has an effect, flagged = has more than one */
    struct effect_rec *recs; /* first copies, in arrival order */
    size_t nrecs, cap;
    uint64_t effects;         /* every delivery from the effects queue */
    uint64_t rereads;         /* a redelivered copy of an effect already counted (our own re-read) */
    uint64_t extra_copies;    /* copies beyond the first that the service published */
    uint64_t same_key_copies; /* copies with their first copy's idempotency key: one effect, again */
    uint64_t **keys;          /* per producer, per seq: the first copy's key hash (0: none) */
    uint64_t *nkeys;
    uint64_t unexpected, unparsable;
    char unexpected_sample[EFFECT_SAMPLE], unparsable_sample[EFFECT_SAMPLE], unparsable_why[64];
    char duplicate_sample[EFFECT_SAMPLE]; /* the id of the first input seen twice */
};

void effect_ledger_init(struct effect_ledger *l, uint32_t run_id, uint32_t producers);
void effect_ledger_free(struct effect_ledger *l);

/* The id text of a JSON body's top-level key (a string value): 0 with
 * [*id, *id + *len) pointing into body (or into scratch, when the string
 * had escapes), or -1 with why ("not a JSON object", "no key order_id",
 * "order_id is not a string"). */
int effect_json_id(const char *body, size_t len, const char *key, char *scratch, size_t scratch_cap, const char **id,
                   size_t *idlen, const char **why);

/* Records one delivered effect whose id text is [id, id+len) (NULL: the
 * id could not be read, why says so; body is then kept as the sample).
 * redelivered: the broker's flag: a copy of one loadgen already counted
 * is its own re-read after a reconnect, not the service's duplicate. */
void effect_ledger_add(struct effect_ledger *l, const char *id, size_t len, const char *why, const char *body,
                       size_t body_len, bool redelivered, uint64_t now_ns);
/* The same with the effect's idempotency key (key NULL: none): a later copy
 * whose key equals the first copy's is counted in same_key_copies, not as
 * a duplicate; a different key (or none) is a second effect. */
void effect_ledger_add_keyed(struct effect_ledger *l, const char *id, size_t len, const char *why, const char *body,
                             size_t body_len, bool redelivered, uint64_t now_ns, const char *key, size_t klen);

/* What became of one producer's inputs. */
struct effect_input_sets {
    const uint64_t *confirmed; /* bit s: input s confirmed by the broker (NULL: none) */
    uint64_t confirmed_nbits;
    uint64_t last;          /* inputs 1..last were published */
    const uint64_t *parked; /* bit s: found in the service's dead-letter queue at the end */
    uint64_t parked_nbits;
    const uint64_t *pending; /* bit s: found still queued at the end */
    uint64_t pending_nbits;
};

struct effect_totals {
    uint64_t inputs, confirmed;
    uint64_t matched;             /* inputs with at least one effect */
    uint64_t lost;                /* confirmed, no effect, neither parked nor pending */
    uint64_t duplicates;          /* inputs with more than one effect */
    uint64_t unexpected;          /* effects that name no input of this run (plus copies naming an unpublished seq) */
    uint64_t parked, pending;     /* confirmed, no effect, found parked / still queued */
    uint64_t unconfirmed_effects; /* effects of inputs whose confirm never came (published all the same) */
};

/* Adds producer p's inputs to t. */
void effect_ledger_judge(const struct effect_ledger *l, uint32_t p, const struct effect_input_sets *in,
                         struct effect_totals *t);
/* Effects naming a producer beyond l->producers (or a seq beyond what was
 * published: counted by effect_ledger_judge) are unexpected. */
void effect_ledger_finish(const struct effect_ledger *l, struct effect_totals *t);

#endif
