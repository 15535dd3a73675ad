/*
 * libsystemd, loaded when first needed (see sd-lazy.h): one dlopen under
 * pthread_once, then each call goes through the function dlsym found.
 */
#include "prodd/sd-lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct {
	int (*notify)(int unset_environment, const char *state);
	int (*watchdog_enabled)(int unset_environment, uint64_t *usec);
	int (*journal_sendv)(const struct iovec *iov, int n);
} sd_lazy;
static pthread_once_t sd_lazy_once = PTHREAD_ONCE_INIT;

/* One function by name into its slot (NULL when it is missing). */
static void
sd_lazy_sym(void *dl, void *slot, size_t size, const char *name)
{
	void *f = dlsym(dl, name);

	/* a data pointer to a function pointer: what dlsym(3) prescribes */
	if (f != NULL)
		memcpy(slot, &f, size);
}

static void
sd_lazy_load(void)
{
	const char *file = getenv("PRODD_LIBSYSTEMD");
	void *dl;

	if (file == NULL || file[0] == '\0')
		file = SD_LAZY_SONAME;
	/* never closed: prodd keeps talking to its manager until it exits */
	dl = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (dl == NULL)
		return;
	sd_lazy_sym(dl, &sd_lazy.notify, sizeof sd_lazy.notify, "sd_notify");
	sd_lazy_sym(dl, &sd_lazy.watchdog_enabled,
	    sizeof sd_lazy.watchdog_enabled, "sd_watchdog_enabled");
	sd_lazy_sym(dl, &sd_lazy.journal_sendv, sizeof sd_lazy.journal_sendv,
	    "sd_journal_sendv");
}

int
sd_lazy_notify(int unset_environment, const char *state)
{
	pthread_once(&sd_lazy_once, sd_lazy_load);
	return sd_lazy.notify != NULL ?
	    sd_lazy.notify(unset_environment, state) : -ENOSYS;
}

int
sd_lazy_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	pthread_once(&sd_lazy_once, sd_lazy_load);
	return sd_lazy.watchdog_enabled != NULL ?
	    sd_lazy.watchdog_enabled(unset_environment, usec) : -ENOSYS;
}

int
sd_lazy_journal_sendv(const struct iovec *iov, int n)
{
	pthread_once(&sd_lazy_once, sd_lazy_load);
	return sd_lazy.journal_sendv != NULL ?
	    sd_lazy.journal_sendv(iov, n) : -ENOSYS;
}
