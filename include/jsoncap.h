/* jsoncap: how much a JSON text would expand to, before it is parsed. A
 * byte cap is not enough: 15 MB of `[{},{},...]` is five million nodes,
 * 2.4 GB once jansson has built them. One pass over the bytes counts the
 * values and the nesting, strings skipped, with nothing allocated. */
#ifndef LOADGEN_JSONCAP_H
#define LOADGEN_JSONCAP_H

#include <stddef.h>

/* 0 when text (n bytes) holds at most max_values values (containers,
 * members and elements; a bound, not an exact count) nested at most
 * max_depth deep; -1 with which limit in why. Not a validator: the parser
 * still refuses what is not JSON. */
int jsoncap_check(const char *text, size_t n, size_t max_values, int max_depth, char *why, size_t cap);

#endif
