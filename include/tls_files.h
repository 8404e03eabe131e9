/* tls_files: the files --cacert, --cert and --key name, checked before any
 * broker is touched, so a wrong file is exit 2 naming it, not exit 3
 * "broker unreachable" after a handshake that never had a chance: each
 * must be a regular PEM file of at most 1 MiB (not a directory, not
 * /dev/zero), the certificates must parse and be current, the key must
 * be unencrypted (an encrypted one would make OpenSSL prompt for a
 * passphrase on the terminal) and match --cert. */
#ifndef LOADGEN_TLS_FILES_H
#define LOADGEN_TLS_FILES_H

#include <stddef.h>

/* Any of the three may be NULL. 0, or -1 with the first problem in err.
 * A key that others may read is allowed, with a warning on stderr. */
int tls_files_check(const char *cacert, const char *cert, const char *key, char *err, size_t cap);
/* OpenSSL's passphrase callback that gives none: set on every context
 * loadgen loads a key into, so nothing ever prompts. */
int tls_files_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
