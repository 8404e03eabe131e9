/* yamlsafe: what a scenario file may not do to us, checked on the event
 * stream before libyaml builds a document. A crafted file must cost
 * milliseconds and kilobytes, never a billion-laughs expansion or a parser
 * walking 200,000 levels. Errors print as "file:line:col: reason". */
#ifndef LOADGEN_YAMLSAFE_H
#define LOADGEN_YAMLSAFE_H

#include <stdio.h>
#include <yaml.h>

#define YAMLSAFE_MAX_BYTES (1 << 20) /* a scenario is a few KiB */
#define YAMLSAFE_MAX_DEPTH 32        /* ours needs 5 */
#define YAMLSAFE_MAX_EVENTS 100000
#define YAMLSAFE_MAX_KEYS 1000       /* per mapping: duplicate checks stay cheap */

/* Refuses aliases (expansion), nesting deeper than YAMLSAFE_MAX_DEPTH, more
 * than one document, and oversized input, stopping at the first event that
 * breaks a rule. Leaves f rewound. Returns the number of errors printed (a
 * syntax error is left for the loader to report). */
int yamlsafe_scan(const char *path, FILE *f);
/* Refuses duplicate keys in any mapping of a loaded document (the second
 * one is named); returns the number of errors printed. */
int yamlsafe_duplicates(const char *path, yaml_document_t *doc);

#endif
