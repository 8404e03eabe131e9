/* A throwaway certificate authority for an embedded node's TLS listener
 * (`broker start --tls`, `bench --tls`): a CA, a server certificate for
 * localhost and 127.0.0.1, and a client certificate, all P-256 and valid
 * for two days, made with libcrypto (no openssl command needed). Keys are
 * written 0600 with file_write_new (O_NOFOLLOW, O_CLOEXEC, O_EXCL). */
#include "broker_int.h"
#include "util.h"

#include <errno.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate for key, named cn, signed by (issuer, ikey) or by itself. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, bool ca, const char *san)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    if (!x || RAND_bytes(serial, sizeof serial) != 1) goto fail;
    serial[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn) goto fail;
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"loadgen throwaway", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509 *iss = issuer ? issuer : x;
    if (add_ext(x, iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
        add_ext(x, iss, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") ||
        add_ext(x, iss, NID_subject_key_identifier, "hash"))
        goto fail;
    if (san && add_ext(x, iss, NID_subject_alt_name, san)) goto fail;
    if (!ca && add_ext(x, iss, NID_ext_key_usage, san ? "serverAuth" : "clientAuth")) goto fail;
    if (!X509_sign(x, ikey ? ikey : key, EVP_sha256())) goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* PEM text of a certificate or a key, written to dir/name. */
static int write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return -1;
    int ok = x ? PEM_write_bio_X509(b, x) : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char path[700], *text = xmalloc((size_t)n + 1);
    memcpy(text, data, (size_t)n);
    text[n] = 0;
    BIO_free(b);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = ok ? file_write_new(path, text, k ? 0600 : 0644) : -1;
    OPENSSL_cleanse(text, (size_t)n);
    free(text);
    return rc;
}

static int tls_make(const char *dir, char *err, size_t cap)
{
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"), *cli_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL, *cli = NULL;
    int rc = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, cap, "cannot make %s: %s", dir, strerror(errno));
        goto out;
    }
    /* rabbitmq-c checks the name with X509_check_host, which reads DNS names
     * only: 127.0.0.1 is there as one too, so amqps://127.0.0.1 verifies */
    if (!ca_key || !srv_key || !cli_key || !(ca = make_cert(ca_key, "loadgen throwaway CA", NULL, NULL, true, NULL)) ||
        !(srv = make_cert(srv_key, "localhost", ca, ca_key, false, "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1")) ||
        !(cli = make_cert(cli_key, "loadgen client", ca, ca_key, false, NULL))) {
        snprintf(err, cap, "cannot make the TLS certificates (libcrypto)");
        goto out;
    }
    if (write_pem(dir, "ca.pem", ca, NULL) || write_pem(dir, "server.pem", srv, NULL) ||
        write_pem(dir, "server.key", NULL, srv_key) || write_pem(dir, "client.pem", cli, NULL) ||
        write_pem(dir, "client.key", NULL, cli_key)) {
        snprintf(err, cap, "cannot write the TLS certificates in %s: %s", dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    X509_free(ca), X509_free(srv), X509_free(cli);
    EVP_PKEY_free(ca_key), EVP_PKEY_free(srv_key), EVP_PKEY_free(cli_key);
    return rc;
}

int broker_tls_listener(struct broker *b, char *conf, size_t conf_cap, char *err, size_t cap)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/tls", b->dir);
    b->tls_port = broker_free_port();
    if (b->tls_port <= 0) return snprintf(err, cap, "cannot find a free loopback port"), -1;
    if (tls_make(dir, err, cap)) return -1;
    size_t len = strlen(conf);
    /* verify_peer with fail_if_no_peer_cert false: a client certificate is
     * checked when given, and not required */
    int n = snprintf(conf + len, conf_cap - len,
                     "listeners.ssl.default = 127.0.0.1:%d\n"
                     "ssl_options.cacertfile = %s/ca.pem\n"
                     "ssl_options.certfile = %s/server.pem\n"
                     "ssl_options.keyfile = %s/server.key\n"
                     "ssl_options.verify = verify_peer\n"
                     "ssl_options.fail_if_no_peer_cert = false\n",
                     b->tls_port, dir, dir, dir);
    if (n < 0 || (size_t)n >= conf_cap - len) return snprintf(err, cap, "rabbitmq.conf lines too long"), -1;
    snprintf(b->tls_uri, sizeof b->tls_uri, "amqps://guest:guest@127.0.0.1:%d/%%2f", b->tls_port);
    return 0;
}
