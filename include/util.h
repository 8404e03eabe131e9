/* util: the one clock, allocation wrappers and diagnostics shared by every module. */
#ifndef LOADGEN_UTIL_H
#define LOADGEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* Monotonic nanoseconds (CLOCK_MONOTONIC): every duration and latency. */
uint64_t clock_ns(void);
/* Wall-clock nanoseconds since the epoch (CLOCK_REALTIME): labels only. */
uint64_t clock_realtime_ns(void);

/* Sleeps ns of CLOCK_MONOTONIC time (restarting after signals is not needed:
 * callers re-check their stop flags). */
void sleep_ns(uint64_t ns);
/* A duration in ns as the struct timeval libevent and rabbitmq-c take. */
struct timeval tv_from_ns(uint64_t ns);

/* Allocation that never returns NULL: out-of-memory aborts with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* "loadgen: <message>\n" on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress and status ("embedded node up"): the same line, not an error. */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only when verbose logging was turned on with log_set_verbose(1). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(int on);

/* Grows a bitmap (zero-filled, doubling from 4096 bits) so bit `need` exists.
 * Sequence sets: one bit per message keeps millions of ids in a few MiB. */
void bits_reserve(uint64_t **bits, uint64_t *nbits, uint64_t need);

/* A new or truncated file for writing, opened O_NOFOLLOW | O_CLOEXEC (a
 * symlink planted at path is refused, not written through); NULL + errno. */
FILE *file_create(const char *path);
/* A new file holding text, with mode: whatever was at path (a planted file,
 * a symlink to follow) is removed first, never written through. 0 or -1. */
int file_write_new(const char *path, const char *text, mode_t mode);
/* Replaces path with text at once (a temp file beside it, renamed over
 * it): a reader sees the old file or the new one, never half of one. */
int file_replace(const char *path, const char *text, mode_t mode);
/* setenv(name, printf(fmt, ...)), for a child's environment before exec. */
void env_setf(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes dir and everything below it, never following symlinks. */
void rm_tree(const char *dir);

/* Whether host (no port; IPv6 bare or in brackets) is loopback:
 * localhost, 127.0.0.0/8 or ::1. */
bool host_is_loopback(const char *host);
/* "host:port" (IPv6 as "[host]:port") of the socket fd is bound to: with
 * port 0, the port the kernel picked. 0, or -1 if it cannot be read. */
int sock_bound_addr(int fd, char *buf, size_t cap);

/* snprintf into a fixed buffer; truncation is silent by design (messages). */
void str_copy(char *dst, size_t cap, const char *src);

#endif
