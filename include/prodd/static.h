/*
 * The dashboard's files (SPEC §10, daemon.dashboard_dir), looked over at
 * start and at each reload (names, sizes, bounds) and read into memory at
 * the first request, once, so that serving one is a lookup, never a read
 * on the loop. A site is a directory's regular files
 * (below it, dotfiles skipped, symlinks followed only when they stay
 * inside it), each with its content type, a strong ETag, and its
 * pre-compressed copy when FILE.gz is next to it. The default directory
 * is the build's dashboard next to the binary, else the installed one; a
 * site with no directory keeps why, for the 503 at "/". Loop thread only;
 * a leaf: no supervisor, no server.
 */
#ifndef PRODD_STATIC_H
#define PRODD_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "prodd/webpath.h"

/* Bounds of one site: the dashboard is < 1 MB; a dashboard_dir pointed
 * at a large tree by mistake is refused, not read. */
#define STATIC_MAX_FILES 1024
#define STATIC_MAX_BYTES (32u * 1024 * 1024)
#define STATIC_MAX_DEPTH 8

struct static_file {
	char *name;			/* relative: "js/app.js" */
	const char *type;		/* Content-Type (a constant) */
	char *data;
	size_t len;
	char etag[WEBPATH_ETAG_MAX];
	/* FILE.gz's bytes, when there is one: that file's data */
	const char *gz;
	size_t gz_len;
	char gz_etag[WEBPATH_ETAG_MAX];
};

struct static_site {
	char *dir;			/* absolute; NULL: no dashboard */
	char *why;			/* with no dir: why (for the 503) */
	struct static_file *files;	/* sorted by name */
	size_t nfiles;
	size_t bytes;			/* all of them */
	bool loaded;			/* false: names and sizes only, the
					 * data read at the first find */
};

/*
 * Look over the site of dir (dashboard_dir as configured, already absolute)
 * or, with dir NULL, of the default: DIR_OF_THE_BINARY/dashboard, else
 * PRODD_DATADIR/dashboard. An explicit dir that is missing, unreadable,
 * has no index.html or is over the bounds: NULL and err says why (a
 * config error). A missing default is no error: a site with dir NULL
 * and why saying what was tried and how to build it.
 */
struct static_site *static_site_load(const char *dir, char *err,
    size_t errlen);

/* The file of rel (webpath_normalize's output), or NULL. The first call
 * reads the files; if they can no longer be read, the site becomes one
 * with no dir and why saying so (the 503 at every path). */
const struct static_file *static_site_find(struct static_site *site,
    const char *rel);

void static_site_free(struct static_site *site);

#endif
