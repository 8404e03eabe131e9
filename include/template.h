/* template: what loadgen publishes to a user's service (scenario `load:`
 * keys body, headers, message_id, correlation_id): text with placeholders,
 * compiled once and rendered per publish. Placeholders:
 *   {id}        the message's run-unique id, "RRRRRRRR-P-S": the run id in
 *               hex, the producer's global id, its sequence (from 1)
 *   {seq} {producer} {run}   those parts alone
 *   {time}      the intended send time, RFC 3339 UTC with milliseconds
 * Other braces are text (a JSON body needs no escaping); a word in braces
 * that is no placeholder ({ID}) is an error.
 * Every templated message also carries the header x-loadgen-id = {id}, so
 * loadgen can name a message it finds parked or still queued at the end. */
#ifndef LOADGEN_TEMPLATE_H
#define LOADGEN_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPL_MAX_HEADERS 16
#define TPL_ID_HEADER "x-loadgen-id"
#define TPL_ID_MAX 48 /* "ffffffff-4294967295-18446744073709551615" and the NUL */

enum tpl_kind { TPL_LIT, TPL_ID, TPL_SEQ, TPL_PRODUCER, TPL_RUN, TPL_TIME };

struct tpl_part {
    enum tpl_kind kind;
    char *lit; /* TPL_LIT */
    size_t len;
};

struct tpl {
    struct tpl_part *parts;
    int n;
    bool set;
};

/* What one message's placeholders stand for. */
struct tpl_vars {
    uint32_t run_id, producer;
    uint64_t seq;
    uint64_t epoch_ns; /* the intended send time, CLOCK_REALTIME */
};

/* The message a templated load publishes. */
struct msg_template {
    struct tpl body, message_id, correlation_id;
    char *content_type, *content_encoding; /* NULL: not sent */
    char *header_keys[TPL_MAX_HEADERS];
    struct tpl header_values[TPL_MAX_HEADERS];
    int nheaders;
};

/* Compiles src: 0, or -1 with the reason in err (an unknown placeholder).
 * t is untouched on failure. */
int tpl_compile(struct tpl *t, const char *src, char *err, size_t cap);
/* Renders into out (NUL-terminated when cap > 0); returns the length the
 * whole text needs, like snprintf. */
size_t tpl_render(const struct tpl *t, const struct tpl_vars *v, char *out, size_t cap);
/* Does the template name the message ({id}, or {run} with {producer} and {seq})? */
bool tpl_names_message(const struct tpl *t);
void tpl_free(struct tpl *t);
void msg_template_free(struct msg_template *m);

/* The id of (run, producer, seq) into buf (TPL_ID_MAX bytes). */
size_t tpl_id_format(char *buf, size_t cap, uint32_t run, uint32_t producer, uint64_t seq);
/* Parses an id of exactly len bytes: 0, or -1 when it is not one (wrong
 * shape, a number out of range, seq 0). */
int tpl_id_parse(const char *s, size_t len, uint32_t *run, uint32_t *producer, uint64_t *seq);

#endif
