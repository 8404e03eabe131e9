/* lgre: regular expressions as RabbitMQ matches them. The broker applies a
 * policy with Erlang's re, which is PCRE: `^work\d$` means a digit there,
 * and POSIX ERE would read it as a literal 'd'. So every pattern loadgen
 * models or a user writes (policies, ready.log) is compiled with PCRE2,
 * bytes not UTF-8 (Erlang's re without the unicode option). Patterns are
 * input: length, nesting, compiled size and the work of one match are
 * bounded, so a hostile pattern costs milliseconds, not gigabytes. */
#ifndef LOADGEN_LGRE_H
#define LOADGEN_LGRE_H

#include <stdbool.h>
#include <stddef.h>

#define LGRE_MAX_PATTERN 1024 /* bytes */
#define LGRE_MAX_NEST 32      /* parentheses deep */

struct lgre;

/* The compiled pattern, or NULL with why and where in err ("missing
 * closing parenthesis at offset 4"); free with lgre_free. */
struct lgre *lgre_compile(const char *pattern, char *err, size_t cap);
/* Whether the pattern matches somewhere in s (unanchored, as re:run). A
 * match that runs out of its budget is no match, as Erlang's re reports
 * nomatch past its match limit. */
bool lgre_match(const struct lgre *re, const char *s, size_t len);
void lgre_free(struct lgre *re);

#endif
