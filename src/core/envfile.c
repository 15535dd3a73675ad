/*
 * Environment building and env_file parsing (see envfile.h). Later
 * definitions replace earlier ones in place, so the result keeps the order
 * of first appearance and a variable is never listed twice.
 */
#include "prodd/envfile.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const env_private[] = { "PRODD_TOKEN", "NOTIFY_SOCKET",
	"JOURNAL_STREAM", "INVOCATION_ID", "WATCHDOG_USEC", "WATCHDOG_PID",
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", NULL };

bool
env_is_private(const char *key, size_t keylen)
{
	for (int i = 0; env_private[i] != NULL; i++)
		if (strlen(env_private[i]) == keylen &&
		    memcmp(env_private[i], key, keylen) == 0)
			return true;
	/* any other WATCHDOG_* or LISTEN_* systemd may add */
	return (keylen > 9 && memcmp(key, "WATCHDOG_", 9) == 0) ||
	    (keylen > 7 && memcmp(key, "LISTEN_", 7) == 0);
}

void
envfile_free(struct cfg_env *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static bool
envfile_key_ok(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int
envfile_parse(const char *buf, size_t len, struct cfg_env **out, size_t *np,
    char *err, size_t errlen)
{
	struct cfg_env *v = NULL;
	size_t n = 0, lineno = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *le = eol ? eol : end, *eq, *vs, *ve;
		struct strbuf val = { 0 };

		p = eol ? eol + 1 : end;
		lineno++;
		while (line < le && (*line == ' ' || *line == '\t'))
			line++;
		while (le > line && (le[-1] == ' ' || le[-1] == '\t' ||
		    le[-1] == '\r'))
			le--;
		if (line == le || *line == '#')
			continue;
		if (le - line > 7 && memcmp(line, "export ", 7) == 0) {
			line += 7;
			while (line < le && *line == ' ')
				line++;
		}
		eq = memchr(line, '=', (size_t)(le - line));
		if (eq == NULL) {
			snprintf(err, errlen, "line %zu: expected KEY=VALUE", lineno);
			goto fail;
		}
		{
			const char *ke = eq;

			while (ke > line && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			if (!envfile_key_ok(line, (size_t)(ke - line))) {
				snprintf(err, errlen, "line %zu: bad variable "
				    "name '%.*s'", lineno, (int)(ke - line), line);
				goto fail;
			}
			vs = eq + 1;
			while (vs < le && (*vs == ' ' || *vs == '\t'))
				vs++;
			ve = le;
			if (vs < ve && (*vs == '"' || *vs == '\'')) {
				char q = *vs;

				if (ve - vs < 2 || ve[-1] != q) {
					snprintf(err, errlen, "line %zu: "
					    "unterminated quote", lineno);
					goto fail;
				}
				vs++;
				ve--;
				/* in double quotes, \" and \\ and \n mean what
				 * they say; nothing else is expanded */
				for (const char *c = vs; c < ve; c++) {
					if (q == '"' && *c == '\\' && c + 1 < ve &&
					    strchr("\"\\n$`", c[1]) != NULL) {
						c++;
						sb_putc(&val, *c == 'n' ? '\n' : *c);
					} else {
						sb_putc(&val, *c);
					}
				}
			} else {
				/* unquoted: a " #" starts a comment */
				for (const char *c = vs; c < ve; c++)
					if (*c == '#' && c > vs &&
					    (c[-1] == ' ' || c[-1] == '\t')) {
						ve = c;
						while (ve > vs && (ve[-1] == ' ' ||
						    ve[-1] == '\t'))
							ve--;
						break;
					}
				sb_append(&val, vs, (size_t)(ve - vs));
			}
			if (val.len > 0 && memchr(val.buf, '\0', val.len) != NULL) {
				sb_free(&val);
				snprintf(err, errlen, "line %zu: NUL byte", lineno);
				goto fail;
			}
			v = xreallocarray(v, n + 1, sizeof *v);
			v[n].key = xstrndup(line, (size_t)(ke - line));
			v[n].value = sb_steal(&val);
			n++;
		}
	}
	*out = v;
	*np = n;
	return 0;
fail:
	envfile_free(v, n);
	return -EINVAL;
}

/*
 * The variables found so far, in order of first appearance, each pointing
 * into the caller's strings, and an open-addressed table of their keys
 * (slot: index + 1, 0 empty) so that a key is looked up once, not
 * compared with every variable before it: a service's spawn builds its
 * environment from prodd's whole one.
 */
struct env_ref {
	const char *k, *v;
	size_t kl, vl;
};

struct env_acc {
	struct env_ref *r;
	size_t n;
	uint32_t *slot;
	size_t mask;
};

static size_t
env_hash(const char *k, size_t kl)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < kl; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static void
env_set(struct env_acc *a, const char *key, size_t klen, const char *val)
{
	size_t i = env_hash(key, klen) & a->mask;
	struct env_ref *e;

	for (; a->slot[i] != 0; i = (i + 1) & a->mask) {
		e = &a->r[a->slot[i] - 1];
		if (e->kl == klen && memcmp(e->k, key, klen) == 0) {
			e->v = val;
			e->vl = strlen(val);
			return;
		}
	}
	a->r[a->n] = (struct env_ref){ key, val, klen, strlen(val) };
	a->slot[i] = (uint32_t)++a->n;
}

char **
env_build(char *const *base, const struct cfg_env *file, size_t nfile,
    const struct cfg_env *conf, size_t nconf, const struct cfg_env *user,
    size_t nuser)
{
	struct env_acc a = { NULL, 0, NULL, 0 };
	size_t nbase = 0, cap = 16, bytes;
	char **out, *p;

	while (base != NULL && base[nbase] != NULL)
		nbase++;
	while (cap < 2 * (nbase + nfile + nconf + nuser))
		cap *= 2;
	a.r = xreallocarray(NULL, nbase + nfile + nconf + nuser + 1,
	    sizeof *a.r);
	a.slot = xcalloc(cap, sizeof *a.slot);
	a.mask = cap - 1;
	for (size_t i = 0; i < nbase; i++) {
		const char *eq = strchr(base[i], '=');

		if (eq == NULL || env_is_private(base[i],
		    (size_t)(eq - base[i])))
			continue;
		env_set(&a, base[i], (size_t)(eq - base[i]), eq + 1);
	}
	for (size_t i = 0; i < nfile; i++)
		env_set(&a, file[i].key, strlen(file[i].key), file[i].value);
	for (size_t i = 0; i < nconf; i++)
		env_set(&a, conf[i].key, strlen(conf[i].key), conf[i].value);
	for (size_t i = 0; i < nuser; i++)
		env_set(&a, user[i].key, strlen(user[i].key), user[i].value);
	/* one allocation: the pointers, then the strings they point to */
	bytes = (a.n + 1) * sizeof *out;
	for (size_t i = 0; i < a.n; i++)
		bytes += a.r[i].kl + a.r[i].vl + 2;
	out = xmalloc(bytes);
	p = (char *)(out + a.n + 1);
	for (size_t i = 0; i < a.n; i++) {
		out[i] = p;
		memcpy(p, a.r[i].k, a.r[i].kl);
		p += a.r[i].kl;
		*p++ = '=';
		memcpy(p, a.r[i].v, a.r[i].vl);
		p += a.r[i].vl;
		*p++ = '\0';
	}
	out[a.n] = NULL;
	free(a.r);
	free(a.slot);
	return out;
}

void
env_free(char **env)
{
	free(env);
}
