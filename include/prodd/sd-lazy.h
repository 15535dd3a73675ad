/*
 * libsystemd, loaded at its first use rather than with prodd (as libcurl
 * is: curl-lazy.h). prodd calls it only under a service manager
 * (NOTIFY_SOCKET set) or with its stderr on the journal; linked, it and
 * what it brings (libgcrypt, libgpg-error, liblz4, liblzma, libzstd, libcap)
 * cost every prodd ~200 kB of PSS and their loading time. These wrappers
 * have sd_notify(3)'s, sd_watchdog_enabled(3)'s and sd_journal_sendv(3)'s
 * contracts; when the library cannot be loaded they return -ENOSYS.
 * Any thread (the load happens once).
 */
#ifndef PRODD_SD_LAZY_H
#define PRODD_SD_LAZY_H

#include <stdint.h>
#include <sys/uio.h>

/* The library's file name; the environment variable PRODD_LIBSYSTEMD
 * names another. */
#define SD_LAZY_SONAME "libsystemd.so.0"

int sd_lazy_notify(int unset_environment, const char *state);
int sd_lazy_watchdog_enabled(int unset_environment, uint64_t *usec);
int sd_lazy_journal_sendv(const struct iovec *iov, int n);

#endif
