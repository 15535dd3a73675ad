/*
 * TLS on the TCP listener (server-tls.c): daemon.tls's certificate chain
 * and key, read and checked here with OpenSSL, and put into the SSL_CTX
 * that libwebsockets makes for prodd's vhost; TLS 1.2 is the oldest
 * version offered. At a reload the files are read again and, when they
 * are good, replace the pair in that same SSL_CTX: the listener and the
 * connections already made go on, the next handshakes get the new
 * certificate. A refused handshake (plain HTTP on the port, an old
 * protocol version) is logged once at debug level. Loop thread only.
 */
#ifndef PRODD_SERVER_TLS_H
#define PRODD_SERVER_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "prodd/config.h"

struct srv_tls;
struct lws_context_creation_info;

/*
 * Check that cert (a PEM chain, the server's certificate first) and key
 * (a PEM private key) can be read and belong together. Returns 0, or -1
 * with "PATH: why" in err.
 */
int srv_tls_check(const char *cert, const char *key, char *err,
    size_t errlen);

/*
 * The same for a loaded config's daemon.tls, each problem appended to
 * errs as "FILE:LINE:COL: message" at the key naming the file (as the
 * loader's own errors). Returns the number added.
 */
int srv_tls_check_cfg(const struct cfg *cfg, struct cfg_errors *errs);

/* A TLS setup with cert and key read now; NULL with err when they cannot
 * be used. */
struct srv_tls *srv_tls_new(const char *cert, const char *key, char *err,
    size_t errlen);
void srv_tls_free(struct srv_tls *t);

/* The options the context and the vhost need for TLS (the vhost's own
 * SSL_CTX, filled by srv_tls_attach). */
void srv_tls_context_info(struct lws_context_creation_info *info);
void srv_tls_vhost_info(struct lws_context_creation_info *info);

/*
 * The vhost's SSL_CTX (libwebsockets' LOAD_EXTRA_SERVER_VERIFY_CERTS
 * callback gives it): the minimum version, the refusal log, and the pair.
 * Returns 0, or -1 when the pair does not go in.
 */
int srv_tls_attach(struct srv_tls *t, void *ssl_ctx);

/*
 * Read cert and key again and, when they are good, use them for every
 * handshake from now on. Returns 0, or -1 with "PATH: why" in err and the
 * pair in use unchanged.
 */
int srv_tls_reload(struct srv_tls *t, const char *cert, const char *key,
    char *err, size_t errlen);

/* Handshakes refused so far (each logged at debug level). */
unsigned long srv_tls_refusals(const struct srv_tls *t);

/* The subject and serial of the certificate in use, for the log. */
void srv_tls_describe(const struct srv_tls *t, char *buf, size_t len);

#endif
