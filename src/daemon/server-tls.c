/*
 * TLS on the TCP listener (see server-tls.h). The certificate chain and
 * the key are read with prodd's own bounded file reader (so a missing or
 * unreadable file says why, with its path) and parsed from memory with
 * OpenSSL; a pair goes into the SSL_CTX whole (SSL_CTX_use_cert_and_key),
 * after the key was checked against the certificate, so a bad pair never
 * half-replaces a good one. libwebsockets creates the vhost's SSL_CTX
 * (LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX, no file of its own to load) and
 * hands it over once; from then on a reload changes that context in place.
 * An SSL made before the change keeps the certificate it was made with, so
 * a rotation touches no connection in progress. TLS 1.2 is the minimum
 * whatever the system's OpenSSL configuration allows; renegotiation is
 * off. Refused handshakes are logged at debug level, once each, with the
 * peer and OpenSSL's reason.
 */
#include "prodd/server-tls.h"
#include "prodd/fileio.h"
#include "prodd/log.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A certificate chain or a key past this is not one. */
#define SRV_TLS_MAX_FILE (1024 * 1024)

/* The SSL_CTX's slot for its struct srv_tls (for the info callback). */
static int tls_ex_index = -1;

/* A certificate, the rest of its chain and its key, as read. */
struct tls_pair {
	X509 *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
};

struct srv_tls {
	SSL_CTX *ctx;			/* the vhost's, once attached */
	struct tls_pair pending;	/* read before the vhost exists */
	int key_type;			/* EVP_PKEY_RSA, EVP_PKEY_EC ... */
	char key_type_name[32];		/* "RSA", "EC" ... */
	unsigned long refused;		/* handshakes refused */
	char desc[256];			/* subject and serial in use */
};

static void
tls_pair_free(struct tls_pair *p)
{
	X509_free(p->leaf);
	sk_X509_pop_free(p->chain, X509_free);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof *p);
}

/* OpenSSL's reason for the last failure, and the queue emptied. */
static const char *
tls_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "not understood";
}

/* An encrypted key would make OpenSSL ask on the terminal: never. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static BIO *
tls_read_file(const char *path, char *err, size_t errlen)
{
	char *buf, why[256];
	size_t len, total;
	BIO *b;

	if (file_read_bounded(path, SRV_TLS_MAX_FILE, &buf, &len, &total, why,
	    sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	if (total > SRV_TLS_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    SRV_TLS_MAX_FILE);
		free(buf);
		return NULL;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: the file is empty", path);
		free(buf);
		return NULL;
	}
	/* a memory BIO that owns a copy: buf can go now */
	b = BIO_new(BIO_s_mem());
	if (b == NULL || BIO_write(b, buf, (int)len) != (int)len) {
		snprintf(err, errlen, "%s: out of memory", path);
		BIO_free(b);
		b = NULL;
	}
	free(buf);
	return b;
}

static int
tls_read_pair(const char *cert, const char *key, struct tls_pair *p,
    char *err, size_t errlen)
{
	BIO *b;
	X509 *x;

	memset(p, 0, sizeof *p);
	ERR_clear_error();
	if ((b = tls_read_file(cert, err, errlen)) == NULL)
		return -1;
	p->leaf = PEM_read_bio_X509_AUX(b, NULL, tls_no_passphrase, NULL);
	if (p->leaf == NULL) {
		snprintf(err, errlen, "%s: no PEM certificate in it (%s)", cert,
		    tls_reason());
		BIO_free(b);
		return -1;
	}
	p->chain = sk_X509_new_null();
	while ((x = PEM_read_bio_X509(b, NULL, tls_no_passphrase, NULL)) !=
	    NULL)
		sk_X509_push(p->chain, x);
	/* the end of the file is the normal way out of that loop */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE &&
	    ERR_peek_last_error() != 0) {
		snprintf(err, errlen, "%s: a certificate after the first is "
		    "damaged (%s)", cert, tls_reason());
		BIO_free(b);
		tls_pair_free(p);
		return -1;
	}
	ERR_clear_error();
	BIO_free(b);

	if ((b = tls_read_file(key, err, errlen)) == NULL) {
		tls_pair_free(p);
		return -1;
	}
	p->key = PEM_read_bio_PrivateKey(b, NULL, tls_no_passphrase, NULL);
	BIO_free(b);
	if (p->key == NULL) {
		snprintf(err, errlen, "%s: no usable PEM private key in it (%s; "
		    "an encrypted key is not supported)", key, tls_reason());
		tls_pair_free(p);
		return -1;
	}
	if (X509_check_private_key(p->leaf, p->key) != 1) {
		snprintf(err, errlen, "%s: the key does not match the "
		    "certificate in %s", key, cert);
		ERR_clear_error();
		tls_pair_free(p);
		return -1;
	}
	return 0;
}

int
srv_tls_check(const char *cert, const char *key, char *err, size_t errlen)
{
	struct tls_pair p;

	if (tls_read_pair(cert, key, &p, err, errlen) < 0)
		return -1;
	tls_pair_free(&p);
	return 0;
}

static void
tls_cfg_error(struct cfg_errors *errs, const char *file, struct cfg_mark m,
    const char *key, const char *msg)
{
	struct strbuf sb = { 0 };

	sb_printf(&sb, "%s:%d:%d: tls.%s: %s", file, m.line, m.col, key, msg);
	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
	errs->v[errs->n].mark = m;
	errs->v[errs->n].text = sb_steal(&sb);
	errs->n++;
}

int
srv_tls_check_cfg(const struct cfg *cfg, struct cfg_errors *errs)
{
	const struct cfg_daemon *d = &cfg->daemon;
	char err[PATH_MAX + 256];
	size_t klen = strlen(d->tls_key != NULL ? d->tls_key : "");

	if (d->tls_cert == NULL || d->tls_key == NULL)
		return 0;
	if (srv_tls_check(d->tls_cert, d->tls_key, err, sizeof err) == 0)
		return 0;
	/* at the key naming the file the message is about */
	if (strncmp(err, d->tls_key, klen) == 0 && err[klen] == ':')
		tls_cfg_error(errs, cfg->path, d->tls_key_mark, "key", err);
	else
		tls_cfg_error(errs, cfg->path, d->tls_cert_mark, "cert", err);
	return 1;
}

static void
tls_describe(X509 *x, char *buf, size_t len)
{
	char subject[160] = "?", *serial = NULL;
	BIGNUM *bn;

	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	if ((bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL)) != NULL)
		serial = BN_bn2hex(bn);
	snprintf(buf, len, "%s, serial %s", subject, serial ? serial : "?");
	OPENSSL_free(serial);
	BN_free(bn);
}

static const char *
tls_key_type(const EVP_PKEY *k)
{
	const char *n = EVP_PKEY_get0_type_name(k);

	return n != NULL ? n : "?";
}

struct srv_tls *
srv_tls_new(const char *cert, const char *key, char *err, size_t errlen)
{
	struct srv_tls *t = xcalloc(1, sizeof *t);

	if (tls_read_pair(cert, key, &t->pending, err, errlen) < 0) {
		free(t);
		return NULL;
	}
	tls_describe(t->pending.leaf, t->desc, sizeof t->desc);
	t->key_type = EVP_PKEY_get_base_id(t->pending.key);
	snprintf(t->key_type_name, sizeof t->key_type_name, "%s",
	    tls_key_type(t->pending.key));
	return t;
}

void
srv_tls_free(struct srv_tls *t)
{
	if (t == NULL)
		return;
	/* the SSL_CTX is the vhost's: lws frees it */
	tls_pair_free(&t->pending);
	free(t);
}

void
srv_tls_context_info(struct lws_context_creation_info *info)
{
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
}

void
srv_tls_vhost_info(struct lws_context_creation_info *info)
{
	/* an SSL_CTX without a file for lws to load: srv_tls_attach fills it */
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
	/* HTTP/1.1 only, as on the plain port: lws would offer h2 by ALPN,
	 * whose streams the server's transactions were not written for */
	info->alpn = "http/1.1";
}

/* Where a refused handshake came from. */
static void
tls_peer(const SSL *ssl, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getpeername(SSL_get_fd(ssl), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *a = (void *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (void *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/*
 * A server handshake step ends: ret <= 0 with an error queued is a
 * refusal (plain HTTP, an old version, no shared cipher); without one it
 * only waits for more bytes. The queue is left as it is for lws.
 */
static void
tls_info_cb(const SSL *ssl, int where, int ret)
{
	struct srv_tls *t;
	unsigned long e;
	const char *why;
	char peer[INET6_ADDRSTRLEN + 8];

	if ((where & SSL_CB_ACCEPT_EXIT) != SSL_CB_ACCEPT_EXIT || ret > 0)
		return;
	if ((e = ERR_peek_last_error()) == 0)
		return;
	why = ERR_reason_error_string(e);
	t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ex_index);
	if (t != NULL)
		t->refused++;
	tls_peer(ssl, peer, sizeof peer);
	log_debug(NULL, "https: handshake from %s refused: %s", peer,
	    why != NULL ? why : "not understood");
}

/* Put pair p into ctx, whole. */
static int
tls_use(SSL_CTX *ctx, struct tls_pair *p, char *err, size_t errlen)
{
	if (SSL_CTX_use_cert_and_key(ctx, p->leaf, p->key, p->chain, 1) != 1) {
		snprintf(err, errlen, "the certificate cannot be used (%s)",
		    tls_reason());
		return -1;
	}
	return 0;
}

int
srv_tls_attach(struct srv_tls *t, void *ssl_ctx)
{
	SSL_CTX *ctx = ssl_ctx;
	char err[256];

	if (t == NULL || ctx == NULL)
		return -1;
	t->ctx = ctx;
	if (tls_ex_index < 0)
		tls_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	SSL_CTX_set_ex_data(ctx, tls_ex_index, t);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_info_callback(ctx, tls_info_cb);
	if (tls_use(ctx, &t->pending, err, sizeof err) < 0) {
		log_error(NULL, "https: %s", err);
		return -1;
	}
	tls_pair_free(&t->pending);
	return 0;
}

int
srv_tls_reload(struct srv_tls *t, const char *cert, const char *key,
    char *err, size_t errlen)
{
	struct tls_pair p;
	int rc;

	if (t->ctx == NULL) {
		snprintf(err, errlen, "TLS is not set up");
		return -1;
	}
	if (tls_read_pair(cert, key, &p, err, errlen) < 0)
		return -1;
	/* an SSL_CTX holds one certificate per key type: one of another
	 * type would be offered beside the old one, not instead of it */
	if (EVP_PKEY_get_base_id(p.key) != t->key_type) {
		snprintf(err, errlen, "%s: a key of another type (%s, was %s) "
		    "needs a restart of prodd", key, tls_key_type(p.key),
		    t->key_type_name);
		tls_pair_free(&p);
		return -1;
	}
	if ((rc = tls_use(t->ctx, &p, err, errlen)) == 0)
		tls_describe(p.leaf, t->desc, sizeof t->desc);
	tls_pair_free(&p);
	return rc;
}

unsigned long
srv_tls_refusals(const struct srv_tls *t)
{
	return t->refused;
}

void
srv_tls_describe(const struct srv_tls *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s", t->desc);
}
