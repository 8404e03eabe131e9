#define PCRE2_CODE_UNIT_WIDTH 8
#include "lgre.h"
#include "util.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Erlang's re stops at 10,000,000 match steps; a pattern that needs that
 * many on a queue name is a mistake either way, and a tenth of it keeps a
 * catastrophic `(a+)+$` to about 20 ms. */
#define LGRE_MATCH_LIMIT 1000000
#define LGRE_HEAP_KIB (16 * 1024)

struct lgre {
    pcre2_code *code;
    pcre2_match_context *mctx;
};

struct lgre *lgre_compile(const char *pattern, char *err, size_t cap)
{
    size_t len = strlen(pattern);
    if (len > LGRE_MAX_PATTERN) {
        snprintf(err, cap, "longer than %d bytes", LGRE_MAX_PATTERN);
        return NULL;
    }
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_parens_nest_limit(cc, LGRE_MAX_NEST);
    int code;
    PCRE2_SIZE off;
    /* A repetition of repetitions ((a{1,100}){1,100}...) is refused by PCRE2's
     * own compiled-size limit ("regular expression is too large"), in
     * microseconds: the size is computed before anything is expanded. */
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, len, 0, &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (!c) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, cap, "%s at offset %zu", (const char *)msg, (size_t)off);
        return NULL;
    }
    struct lgre *re = xcalloc(1, sizeof *re);
    re->code = c;
    re->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(re->mctx, LGRE_MATCH_LIMIT);
    pcre2_set_heap_limit(re->mctx, LGRE_HEAP_KIB);
    return re;
}

bool lgre_match(const struct lgre *re, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, re->mctx);
    pcre2_match_data_free(md);
    return rc >= 0;
}

void lgre_free(struct lgre *re)
{
    if (!re) return;
    pcre2_code_free(re->code);
    pcre2_match_context_free(re->mctx);
    free(re);
}
