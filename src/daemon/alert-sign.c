/*
 * The webhook's secret and signature: webhook_secret_file read (one
 * trailing newline stripped; unreadable or empty is a config error, with
 * the key's FILE:LINE:COL), and X-Prodd-Signature: sha256=HEX, the
 * HMAC-SHA256 of the body with the secret. HMAC is libcrypto's: prodd has
 * it in the process anyway (libwebsockets links libssl), and a hand-made
 * SHA-256 would be code to get wrong for nothing.
 */
#include "prodd/alertd.h"
#include "prodd/fileio.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
alertd_read_secret(const struct cfg *cfg, char **secret, size_t *len,
    char *err, size_t errlen)
{
	char *buf = NULL, why[256];
	size_t n = 0, total = 0;

	*secret = NULL;
	*len = 0;
	if (cfg->alert_secret_file == NULL)
		return 0;
	if (file_read_bounded(cfg->alert_secret_file, 65536, &buf, &n, &total,
	    why, sizeof why) < 0) {
		snprintf(err, errlen, "%s:%d:%d: 'webhook_secret_file': cannot "
		    "read %s: %s", cfg->path, cfg->alert_secret_mark.line,
		    cfg->alert_secret_mark.col, cfg->alert_secret_file, why);
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		free(buf);
		snprintf(err, errlen, "%s:%d:%d: 'webhook_secret_file': %s is "
		    "empty", cfg->path, cfg->alert_secret_mark.line,
		    cfg->alert_secret_mark.col, cfg->alert_secret_file);
		return -1;
	}
	buf[n] = '\0';
	*secret = buf;
	*len = n;
	return 0;
}

void
alertd_sign(const char *secret, size_t secret_len, const char *body,
    size_t len, char *hdr, size_t hdrlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t at;

	HMAC(EVP_sha256(), secret, (int)secret_len,
	    (const unsigned char *)body, len, mac, &maclen);
	at = (size_t)snprintf(hdr, hdrlen, "X-Prodd-Signature: sha256=");
	for (unsigned int i = 0; i < maclen && at + 3 <= hdrlen; i++)
		at += (size_t)snprintf(hdr + at, hdrlen - at, "%02x", mac[i]);
}
