/*
 * The request guards of the TCP listener, as pure decisions: the bearer
 * token (compared in constant time), the Host header (DNS rebinding), the
 * Origin header (CORS, never a wildcard) and the per-address rate limit (a
 * token bucket on a clock the caller passes in). The server hands over
 * header strings, the peer's address and the time; nothing here reads a
 * file, a socket or a clock. One guard per server; its settings can be
 * replaced at any time (a reload).
 */
#ifndef PRODD_GUARD_H
#define PRODD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prodd/config.h"

struct guard;

/* What a mutating request's Authorization header amounts to. */
enum guard_auth {
	GUARD_AUTH_OK,
	GUARD_AUTH_NO_TOKEN,	/* none configured: 403, changes refused */
	GUARD_AUTH_MISSING,	/* no (or an empty) header: 401 */
	GUARD_AUTH_WRONG,	/* not "Bearer TOKEN" with our token: 403 */
};

/* A guard that accepts the Host names localhost, 127.0.0.1 and ::1 only,
 * has no token, no extra origin and no rate limit. */
struct guard *guard_new(void);
void guard_free(struct guard *g);

/* The token, taken over (NULL: none, so changes over TCP are refused).
 * The previous one is wiped before it is freed. */
void guard_set_token(struct guard *g, char *token);
bool guard_has_token(const struct guard *g);

/* The accepted Host names: localhost, 127.0.0.1, ::1, listen_host (the
 * address prodd listens on; may be NULL) and every name of hosts. */
void guard_set_hosts(struct guard *g, const char *listen_host,
    const struct cfg_strv *hosts);

/* The origins allowed besides a page's own (each compared whole: an entry
 * "*" is an origin like any other and never matches everything). */
void guard_set_origins(struct guard *g, const struct cfg_strv *origins);

/*
 * rate requests per window_ms per address (rate 0: no limit). When the
 * rate or the window changes, every address starts again with a full
 * bucket of the new size; an unchanged setting keeps the buckets.
 */
void guard_set_rate(struct guard *g, int rate, int64_t window_ms);

/* a == b, in time that depends on the length of secret only. */
bool guard_token_equal(const char *secret, const char *given);

/*
 * The name part of a Host header value: without the port, and without the
 * brackets of an IPv6 literal ("[::1]:8003" -> "::1"). False when the value
 * is malformed (an unclosed '[', text after ']' that is not a port, an
 * IPv6 literal without brackets).
 */
bool guard_host_name(const char *host, const char **name, size_t *len);

/* May a request with this Host header be served? NULL or "" (no header:
 * HTTP/1.0; a browser always sends one) is accepted. Case-insensitive;
 * the port is not compared. */
bool guard_host_ok(const struct guard *g, const char *host);

/* May a request with this Origin header be served, given its Host header?
 * A page's own origin (http:// or https:// and the Host as sent) and the
 * configured origins are; NULL or "" (no Origin) is too. */
bool guard_origin_ok(const struct guard *g, const char *origin,
    const char *host);

/* The Authorization header of a mutating request (NULL: absent). */
enum guard_auth guard_bearer(const struct guard *g, const char *authorization);

/*
 * One request from addr at now_ms (a monotonic clock): true when its
 * bucket has a token (which it takes), else false with *retry_after_s,
 * the first whole second after a token is back (at least 1). Always true with no
 * limit. Each address has its own bucket, whatever its hash: an address
 * is forgotten only once its bucket is full again (when it would start
 * afresh anyway). At most 16384 addresses are remembered at once; past
 * that, while every one of them is still being limited, a new address is
 * refused (retry after 1 s) rather than let an address under its limit
 * be forgotten.
 */
bool guard_rate_take(struct guard *g, const char *addr, int64_t now_ms,
    int *retry_after_s);

#endif
