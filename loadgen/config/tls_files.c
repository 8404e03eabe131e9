#include "tls_files.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLS_FILE_MAX (1 << 20)

int tls_files_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* path opened as a stream if it is a regular file of a sane size. */
static FILE *open_pem(const char *opt, const char *path, struct stat *st, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return snprintf(err, cap, "%s %s: cannot read it: %s", opt, path, strerror(errno)), NULL;
    if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size > TLS_FILE_MAX || st->st_size == 0) {
        snprintf(err, cap, "%s %s: %s", opt, path,
                 !S_ISREG(st->st_mode) ? "not a regular file (a PEM file)"
                 : st->st_size == 0    ? "empty"
                                       : "larger than 1 MiB: not a PEM file");
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) close(fd);
    return f;
}

static const char *ssl_why(void)
{
    static __thread char buf[200];
    unsigned long e = ERR_peek_last_error();
    if (!e) return "no PEM data";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

static X509 *read_cert(const char *opt, const char *path, char *err, size_t cap)
{
    struct stat st;
    FILE *f = open_pem(opt, path, &st, err, cap);
    if (!f) return NULL;
    X509 *x = PEM_read_X509(f, NULL, tls_files_no_passphrase, NULL);
    fclose(f);
    if (!x) {
        snprintf(err, cap, "%s %s: not a PEM certificate (%s)", opt, path, ssl_why());
        return NULL;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0 || X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
        char when[64] = "?";
        BIO *b = BIO_new(BIO_s_mem());
        bool expired = X509_cmp_current_time(X509_get0_notAfter(x)) <= 0;
        if (b && ASN1_TIME_print(b, expired ? X509_get0_notAfter(x) : X509_get0_notBefore(x))) {
            int n = BIO_read(b, when, sizeof when - 1);
            when[n > 0 ? n : 0] = 0;
        }
        BIO_free(b);
        snprintf(err, cap, "%s %s: the certificate %s %s", opt, path, expired ? "expired on" : "is not valid before",
                 when);
        X509_free(x);
        return NULL;
    }
    return x;
}

int tls_files_check(const char *cacert, const char *cert, const char *key, char *err, size_t cap)
{
    X509 *ca = NULL, *crt = NULL;
    EVP_PKEY *pk = NULL;
    int rc = -1;
    if (cacert && !(ca = read_cert("--cacert", cacert, err, cap))) goto out;
    if (cert && !(crt = read_cert("--cert", cert, err, cap))) goto out;
    if (key) {
        struct stat st;
        FILE *f = open_pem("--key", key, &st, err, cap);
        if (!f) goto out;
        pk = PEM_read_PrivateKey(f, NULL, tls_files_no_passphrase, NULL);
        fclose(f);
        if (!pk) {
            const char *why = ssl_why();
            bool enc = strstr(why, "bad decrypt") || strstr(why, "password") || strstr(why, "passphrase");
            snprintf(err, cap, "--key %s: %s", key,
                     enc ? "an encrypted key: loadgen reads keys without a passphrase (openssl pkey -in KEY -out "
                           "PLAIN)"
                         : "not a PEM private key");
            goto out;
        }
        if (st.st_mode & 077)
            log_note("warning: --key %s can be read by others (mode %04o): chmod 600 it", key,
                     (unsigned)(st.st_mode & 0777));
    }
    if (crt && pk && X509_check_private_key(crt, pk) != 1) {
        ERR_clear_error();
        snprintf(err, cap, "--key %s is not the key of --cert %s", key, cert);
        goto out;
    }
    rc = 0;
out:
    X509_free(ca), X509_free(crt), EVP_PKEY_free(pk);
    return rc;
}
