/*
 * The pure side of serving the dashboard's static files (SPEC §10): a
 * request path made into a file name relative to the dashboard directory
 * (or refused: "..", ".", control bytes, backslashes), the content type of
 * a file name, whether an Accept-Encoding allows gzip, a strong ETag for
 * some bytes and whether an If-None-Match matches it, and the
 * Content-Security-Policy prodd writes. No I/O: daemon/static.c reads the
 * files, server-http.c writes the headers.
 */
#ifndef PRODD_WEBPATH_H
#define PRODD_WEBPATH_H

#include <stdbool.h>
#include <stddef.h>

/* The policy of SPEC §10, on every response prodd writes: nothing inline,
 * nothing from another origin, no frames. */
#define WEBPATH_CSP							\
	"default-src 'none'; script-src 'self'; style-src 'self'; "	\
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; "	\
	"manifest-src 'self'; base-uri 'none'; form-action 'none'; "	\
	"frame-ancestors 'none'"

/* The file a directory's path names. */
#define WEBPATH_INDEX "index.html"

/* "\"" 16 hex "-" up to 16 hex "\"" and the NUL */
#define WEBPATH_ETAG_MAX 40

/*
 * The file path names, relative to the dashboard directory, into out:
 * "/" and "" give "index.html", "/a/" gives "a/index.html", "/js/app.js"
 * "js/app.js"; empty segments ("//") are skipped. path is the decoded path
 * without the query. Returns false -- a bad request -- for a path not
 * starting with '/', a "." or ".." segment, a backslash, a control byte
 * (NUL cannot occur: the caller checks the decoded length), or a result
 * that does not fit.
 */
bool webpath_normalize(const char *path, char *out, size_t outlen);

/* The Content-Type for name by its extension (case-insensitive);
 * "application/octet-stream" when unknown. A string constant. */
const char *webpath_content_type(const char *name);

/* Does an Accept-Encoding header value allow gzip? A "gzip" (or
 * "x-gzip") coding with q > 0, or "*" with q > 0 and no gzip of q=0.
 * NULL (no header): no. */
bool webpath_accepts_gzip(const char *accept_encoding);

/* A strong ETag for len bytes at data: "\"HASH-LEN\"" (FNV-1a, 64 bits;
 * cache validation, not security). out has WEBPATH_ETAG_MAX bytes. */
void webpath_etag(const void *data, size_t len, char *out);

/* Does an If-None-Match header value match etag? "*" matches anything; a
 * list of entity tags is compared weakly ("W/" ignored), as RFC 9110
 * §13.1.2 says for If-None-Match. NULL: no. */
bool webpath_etag_match(const char *if_none_match, const char *etag);

#endif
