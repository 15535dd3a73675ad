/*
 * libcurl, loaded at the first url health check rather than with prodd.
 * Linked, libcurl brings 27 more libraries (TLS, Kerberos, LDAP, ...):
 * ~13 ms of dynamic loading at every start of prodd, ~3 MiB of mapped
 * files and ~0.5 MiB of anonymous memory, which a configuration without
 * url checks has no use for. The functions prodd calls, by dlsym; the
 * types and constants are <curl/curl.h>'s.
 */
#ifndef PRODD_CURL_LAZY_H
#define PRODD_CURL_LAZY_H

#include <stddef.h>

#include <curl/curl.h>

/* The library's file name: libcurl4's, the ABI <curl/curl.h> describes.
 * The environment variable PRODD_LIBCURL names another (tests use it). */
#define CURL_LAZY_SONAME "libcurl.so.4"

struct curl_lazy {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *e);
	CURLcode (*easy_setopt)(CURL *e, CURLoption o, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO i, ...);
	const char *(*easy_strerror)(CURLcode rc);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev,
	    int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	const char *(*multi_strerror)(CURLMcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l,
	    const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The library, loaded now if it is not yet; NULL with the reason in err
 * (no such library, a function missing) when it cannot be. */
const struct curl_lazy *curl_lazy_load(char *err, size_t errlen);
/* Unload it (after curl_global_cleanup): each load is paired with one
 * unload, and the last one closes the library; the next load starts again. */
void curl_lazy_unload(void);

#endif
