/*
 * The request guards (see guard.h): which Host and Origin headers are
 * served, whether a bearer token is ours, and the token buckets of the
 * rate limit. Pure: the server passes in header values, the peer's address
 * as text and the loop's clock, and turns the answers into 401/403/429.
 */
#include "prodd/guard.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The rate limit's table of addresses: chained, grown by doubling from
 * GUARD_SLOTS_MIN up to GUARD_ADDRS_MAX addresses. */
#define GUARD_SLOTS_MIN 256
#define GUARD_ADDRS_MAX 16384
/* a full table is swept at most this often */
#define GUARD_SWEEP_MS 1000

struct guard_bucket {
	struct guard_bucket *next;	/* in its slot's chain */
	double tokens;
	int64_t at_ms;
	char addr[64];
};

struct guard {
	char *token;
	char **hosts;			/* accepted Host names */
	size_t nhosts;
	char **origins;			/* cors_origins */
	size_t norigins;
	int rate;			/* per window; 0 off */
	int64_t window_ms;
	struct guard_bucket **slots;	/* allocated with the first limit */
	size_t nslots;			/* a power of two */
	size_t naddrs;			/* buckets in the table */
	int64_t swept_ms;		/* the last sweep of a full table */
	bool swept;
};

/* Every address forgotten: each starts again with a full bucket. */
static void
guard_rate_clear(struct guard *g)
{
	for (size_t i = 0; i < g->nslots; i++) {
		struct guard_bucket *b = g->slots[i], *next;

		for (; b != NULL; b = next) {
			next = b->next;
			free(b);
		}
	}
	free(g->slots);
	g->slots = NULL;
	g->nslots = 0;
	g->naddrs = 0;
	g->swept = false;
}

static void
guard_strs_free(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static void
guard_strs_add(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

struct guard *
guard_new(void)
{
	struct guard *g = xcalloc(1, sizeof *g);

	guard_set_hosts(g, NULL, NULL);
	g->window_ms = 60000;
	return g;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	guard_set_token(g, NULL);
	guard_strs_free(&g->hosts, &g->nhosts);
	guard_strs_free(&g->origins, &g->norigins);
	guard_rate_clear(g);
	free(g);
}

void
guard_set_token(struct guard *g, char *token)
{
	if (g->token != NULL) {
		explicit_bzero(g->token, strlen(g->token));
		free(g->token);
	}
	g->token = token;
}

bool
guard_has_token(const struct guard *g)
{
	return g->token != NULL;
}

void
guard_set_hosts(struct guard *g, const char *listen_host,
    const struct cfg_strv *hosts)
{
	guard_strs_free(&g->hosts, &g->nhosts);
	guard_strs_add(&g->hosts, &g->nhosts, "localhost");
	guard_strs_add(&g->hosts, &g->nhosts, "127.0.0.1");
	guard_strs_add(&g->hosts, &g->nhosts, "::1");
	if (listen_host != NULL && listen_host[0] != '\0')
		guard_strs_add(&g->hosts, &g->nhosts, listen_host);
	for (size_t i = 0; hosts != NULL && i < hosts->n; i++)
		guard_strs_add(&g->hosts, &g->nhosts, hosts->v[i]);
}

void
guard_set_origins(struct guard *g, const struct cfg_strv *origins)
{
	guard_strs_free(&g->origins, &g->norigins);
	for (size_t i = 0; origins != NULL && i < origins->n; i++)
		guard_strs_add(&g->origins, &g->norigins, origins->v[i]);
}

void
guard_set_rate(struct guard *g, int rate, int64_t window_ms)
{
	if (rate < 0)
		rate = 0;
	if (window_ms <= 0)
		window_ms = 60000;
	if (rate == g->rate && window_ms == g->window_ms)
		return;
	g->rate = rate;
	g->window_ms = window_ms;
	/* a new size: every address starts again with a full bucket */
	guard_rate_clear(g);
}

bool
guard_token_equal(const char *secret, const char *given)
{
	size_t a = strlen(secret), b = strlen(given);
	unsigned char diff = (unsigned char)(a != b);

	/* constant time in the length of the secret */
	for (size_t i = 0; i < a; i++)
		diff |= (unsigned char)(secret[i] ^ (i < b ? given[i] : 0));
	return diff == 0;
}

/* "" or ":" followed by digits only. */
static bool
guard_port_ok(const char *s)
{
	if (*s == '\0')
		return true;
	if (*s++ != ':')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool
guard_host_name(const char *host, const char **name, size_t *len)
{
	const char *end;

	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || !guard_port_ok(end + 1))
			return false;
		*name = host + 1;
		*len = (size_t)(end - host - 1);
		return true;
	}
	end = strchr(host, ':');
	if (end != NULL && strchr(end + 1, ':') != NULL)
		return false;	/* an IPv6 literal needs its brackets */
	if (end == NULL)
		end = host + strlen(host);
	if (!guard_port_ok(end))
		return false;
	*name = host;
	*len = (size_t)(end - host);
	return true;
}

bool
guard_host_ok(const struct guard *g, const char *host)
{
	const char *name;
	size_t len;

	if (host == NULL || host[0] == '\0')
		return true;
	if (!guard_host_name(host, &name, &len) || len == 0)
		return false;
	for (size_t i = 0; i < g->nhosts; i++)
		if (strlen(g->hosts[i]) == len &&
		    strncasecmp(g->hosts[i], name, len) == 0)
			return true;
	return false;
}

/* origin == scheme + host, case-insensitively. */
static bool
guard_own_origin(const char *origin, const char *scheme, const char *host)
{
	size_t n = strlen(scheme);

	return strncasecmp(origin, scheme, n) == 0 &&
	    strcasecmp(origin + n, host) == 0;
}

bool
guard_origin_ok(const struct guard *g, const char *origin, const char *host)
{
	if (origin == NULL || origin[0] == '\0')
		return true;
	if (host != NULL && host[0] != '\0' &&
	    (guard_own_origin(origin, "http://", host) ||
	    guard_own_origin(origin, "https://", host)))
		return true;
	for (size_t i = 0; i < g->norigins; i++)
		if (strcasecmp(g->origins[i], origin) == 0)
			return true;
	return false;
}

enum guard_auth
guard_bearer(const struct guard *g, const char *authorization)
{
	if (g->token == NULL)
		return GUARD_AUTH_NO_TOKEN;
	if (authorization == NULL || authorization[0] == '\0')
		return GUARD_AUTH_MISSING;
	if (strncasecmp(authorization, "Bearer ", 7) != 0 ||
	    !guard_token_equal(g->token, authorization + 7))
		return GUARD_AUTH_WRONG;
	return GUARD_AUTH_OK;
}

/*
 * The slot of addr: FNV-1a over the text, seeded with the guard's own
 * address (different in each run of prodd, with ASLR), so that which
 * addresses share a chain cannot be worked out from outside.
 */
static size_t
guard_slot(const struct guard *g, const char *addr, size_t nslots)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)(uintptr_t)g;

	for (const char *c = addr; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	return (size_t)h & (nslots - 1);
}

/* b's tokens at now_ms (refilled since its last request, up to rate). */
static double
guard_tokens_at(const struct guard *g, const struct guard_bucket *b,
    int64_t now_ms)
{
	double t = b->tokens;

	if (now_ms > b->at_ms)
		t += (double)(now_ms - b->at_ms) * (double)g->rate /
		    (double)g->window_ms;
	return t > g->rate ? g->rate : t;
}

/* Drop the addresses whose buckets are full again: one that comes back
 * gets a full bucket, which is what it has now. */
static void
guard_rate_sweep(struct guard *g, int64_t now_ms)
{
	for (size_t i = 0; i < g->nslots; i++) {
		struct guard_bucket **pp = &g->slots[i], *b;

		while ((b = *pp) != NULL) {
			if (guard_tokens_at(g, b, now_ms) >= g->rate) {
				*pp = b->next;
				free(b);
				g->naddrs--;
			} else {
				pp = &b->next;
			}
		}
	}
}

/* Twice the slots, each chain spread over the new table. */
static void
guard_rate_grow(struct guard *g)
{
	size_t n = g->nslots * 2;
	struct guard_bucket **slots = xcalloc(n, sizeof *slots);

	for (size_t i = 0; i < g->nslots; i++) {
		struct guard_bucket *b = g->slots[i], *next;

		for (; b != NULL; b = next) {
			size_t k = guard_slot(g, b->addr, n);

			next = b->next;
			b->next = slots[k];
			slots[k] = b;
		}
	}
	free(g->slots);
	g->slots = slots;
	g->nslots = n;
}

/* addr's bucket, a new full one for a new address; NULL when the table
 * holds GUARD_ADDRS_MAX addresses that are all still limited. */
static struct guard_bucket *
guard_rate_bucket(struct guard *g, const char *whole, int64_t now_ms)
{
	struct guard_bucket *b;
	char addr[sizeof b->addr];
	size_t k;

	/* as it is kept (a peer's address is far shorter anyway) */
	snprintf(addr, sizeof addr, "%s", whole);

	if (g->slots == NULL) {
		g->nslots = GUARD_SLOTS_MIN;
		g->slots = xcalloc(g->nslots, sizeof *g->slots);
	}
	k = guard_slot(g, addr, g->nslots);
	for (b = g->slots[k]; b != NULL; b = b->next)
		if (strcmp(b->addr, addr) == 0)
			return b;
	if (g->naddrs >= g->nslots) {
		if (g->nslots < GUARD_ADDRS_MAX) {
			/* a sweep that leaves the table half full is not worth
			 * the next one so soon: grow too */
			guard_rate_sweep(g, now_ms);
			if (g->naddrs >= g->nslots / 2)
				guard_rate_grow(g);
		} else if (!g->swept || now_ms - g->swept_ms >=
		    GUARD_SWEEP_MS) {
			/* full: a sweep at most once in GUARD_SWEEP_MS, so
			 * that newcomers past the bound cost no more than
			 * others */
			guard_rate_sweep(g, now_ms);
			g->swept = true;
			g->swept_ms = now_ms;
		}
		if (g->naddrs >= g->nslots)
			return NULL;
		k = guard_slot(g, addr, g->nslots);
	}
	b = xcalloc(1, sizeof *b);
	memcpy(b->addr, addr, sizeof addr);
	b->tokens = g->rate;
	b->at_ms = now_ms;
	b->next = g->slots[k];
	g->slots[k] = b;
	g->naddrs++;
	return b;
}

bool
guard_rate_take(struct guard *g, const char *addr, int64_t now_ms,
    int *retry_after_s)
{
	struct guard_bucket *b;
	double per_ms;

	if (g->rate <= 0)
		return true;
	per_ms = (double)g->rate / (double)g->window_ms;
	if ((b = guard_rate_bucket(g, addr, now_ms)) == NULL) {
		/* more addresses under their limit than the table holds: a
		 * newcomer waits for one of them to be forgotten, rather than
		 * push out an address that is being limited */
		*retry_after_s = 1;
		return false;
	}
	b->tokens = guard_tokens_at(g, b, now_ms);
	if (now_ms > b->at_ms)
		b->at_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return true;
	}
	*retry_after_s = (int)((1.0 - b->tokens) / per_ms / 1000.0) + 1;
	return false;
}
