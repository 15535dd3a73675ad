/*
 * libcurl, loaded when first needed (see curl-lazy.h).
 */
#include "prodd/curl-lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct curl_lazy curl_lazy;
static void *curl_lazy_dl;
static int curl_lazy_users;	/* loads not yet unloaded: health checks,
				 * alert deliveries */

/* One function by name into its slot: 0, or -1 with the reason. */
static int
curl_lazy_sym(void *slot, size_t size, const char *name, char *err,
    size_t errlen)
{
	void *f = dlsym(curl_lazy_dl, name);

	if (f == NULL) {
		snprintf(err, errlen, "libcurl has no %s", name);
		return -1;
	}
	/* a data pointer to a function pointer: what dlsym(3) prescribes */
	memcpy(slot, &f, size);
	return 0;
}

#define CURL_LAZY_SYM(field, name) \
	curl_lazy_sym(&curl_lazy.field, sizeof curl_lazy.field, name, err, \
	    errlen)

const struct curl_lazy *
curl_lazy_load(char *err, size_t errlen)
{
	const char *why, *file = getenv("PRODD_LIBCURL");

	if (curl_lazy_dl != NULL) {
		curl_lazy_users++;
		return &curl_lazy;
	}
	if (file == NULL || file[0] == '\0')
		file = CURL_LAZY_SONAME;
	/* RTLD_NODELETE: an unload forgets the library but leaves it mapped.
	 * libcurl brings libraries with thread-local storage of their own;
	 * unmapped, their stale TLS entries crash LeakSanitizer's walk of the
	 * threads at exit (and a second load finds it mapped anyway). */
	curl_lazy_dl = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (curl_lazy_dl == NULL) {
		why = dlerror();
		/* dlerror names the file */
		if (why != NULL)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "cannot load %s", file);
		return NULL;
	}
	if (CURL_LAZY_SYM(global_init, "curl_global_init") < 0 ||
	    CURL_LAZY_SYM(global_cleanup, "curl_global_cleanup") < 0 ||
	    CURL_LAZY_SYM(easy_init, "curl_easy_init") < 0 ||
	    CURL_LAZY_SYM(easy_cleanup, "curl_easy_cleanup") < 0 ||
	    CURL_LAZY_SYM(easy_setopt, "curl_easy_setopt") < 0 ||
	    CURL_LAZY_SYM(easy_getinfo, "curl_easy_getinfo") < 0 ||
	    CURL_LAZY_SYM(easy_strerror, "curl_easy_strerror") < 0 ||
	    CURL_LAZY_SYM(multi_init, "curl_multi_init") < 0 ||
	    CURL_LAZY_SYM(multi_cleanup, "curl_multi_cleanup") < 0 ||
	    CURL_LAZY_SYM(multi_setopt, "curl_multi_setopt") < 0 ||
	    CURL_LAZY_SYM(multi_add_handle, "curl_multi_add_handle") < 0 ||
	    CURL_LAZY_SYM(multi_remove_handle, "curl_multi_remove_handle") < 0 ||
	    CURL_LAZY_SYM(multi_assign, "curl_multi_assign") < 0 ||
	    CURL_LAZY_SYM(multi_socket_action, "curl_multi_socket_action") < 0 ||
	    CURL_LAZY_SYM(multi_info_read, "curl_multi_info_read") < 0 ||
	    CURL_LAZY_SYM(multi_strerror, "curl_multi_strerror") < 0 ||
	    CURL_LAZY_SYM(slist_append, "curl_slist_append") < 0 ||
	    CURL_LAZY_SYM(slist_free_all, "curl_slist_free_all") < 0) {
		dlclose(curl_lazy_dl);
		curl_lazy_dl = NULL;
		memset(&curl_lazy, 0, sizeof curl_lazy);
		return NULL;
	}
	curl_lazy_users = 1;
	return &curl_lazy;
}

void
curl_lazy_unload(void)
{
	/* the last user's unload closes it */
	if (curl_lazy_users > 0 && --curl_lazy_users > 0)
		return;
	if (curl_lazy_dl != NULL)
		dlclose(curl_lazy_dl);
	curl_lazy_dl = NULL;
	memset(&curl_lazy, 0, sizeof curl_lazy);
}
