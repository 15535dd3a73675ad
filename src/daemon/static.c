/*
 * The dashboard's files in memory (see static.h). A directory walk with
 * openat/fstatat from the site's root, relative names built on the way:
 * regular files are read whole (fstat, then read to its size), dotfiles
 * are skipped, a symlink is followed only when realpath() keeps it inside
 * the root, and the whole is bounded in files, bytes and depth. Then the
 * files are sorted by name, and each X.gz next to an X becomes X's
 * compressed copy (and stays servable by its own name). At start and at
 * a reload the walk only looks (fstat: names, sizes, bounds, index.html:
 * what can make the config wrong); the first request reads it all, once
 * (static_site_fill): a prodd whose page nobody opens keeps none of it
 * (~400 KB). Reading once is the choice for the loop: after that first
 * read, a request never touches the disk, and a rebuilt dashboard shows
 * after a reload (SIGHUP, prodctl reload).
 */
#include "prodd/static.h"
#include "prodd/log.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PRODD_DATADIR
#define PRODD_DATADIR "/usr/local/share/prodd"
#endif

struct walk {
	struct static_site *site;
	bool look;			/* names and sizes only: no data */
	const char *root;		/* realpath of the site's dir */
	size_t cap;
	char *err;
	size_t errlen;
};

static int static_fail(struct walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
static_fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read size bytes of fd into a new NUL-terminated *data; 0 or an errno
 * (a file that shrank meanwhile: EIO). */
static int
static_slurp(int fd, size_t size, char **data)
{
	size_t got = 0;

	*data = xmalloc(size + 1);
	while (got < size) {
		ssize_t n = read(fd, *data + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			free(*data);
			*data = NULL;
			return e;
		}
		got += (size_t)n;
	}
	(*data)[got] = '\0';
	return 0;
}

/* Add the regular file fd (named rel) to the site: its size only when
 * the walk only looks, its bytes otherwise. Takes fd. */
static int
static_add(struct walk *w, int fd, const char *rel)
{
	struct static_site *s = w->site;
	struct static_file *f;
	struct stat st;
	char *data = NULL;
	size_t size;
	int e;

	if (fstat(fd, &st) < 0) {
		close(fd);
		return static_fail(w, "%s: %s", rel, strerror(errno));
	}
	if (s->nfiles >= STATIC_MAX_FILES) {
		close(fd);
		return static_fail(w, "more than %d files (at %s): is this the "
		    "dashboard?", STATIC_MAX_FILES, rel);
	}
	size = (size_t)st.st_size;
	if (size > STATIC_MAX_BYTES - s->bytes) {
		close(fd);
		return static_fail(w, "more than %u MiB of files (at %s): is "
		    "this the dashboard?", STATIC_MAX_BYTES >> 20, rel);
	}
	e = w->look ? 0 : static_slurp(fd, size, &data);
	close(fd);
	if (e != 0)
		return static_fail(w, "%s: %s", rel, strerror(e));
	if (s->nfiles == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		s->files = xreallocarray(s->files, w->cap, sizeof *s->files);
	}
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(rel);
	f->type = webpath_content_type(rel);
	f->data = data;
	f->len = size;
	if (data != NULL)
		webpath_etag(data, size, f->etag);
	s->bytes += size;
	return 0;
}

/* Is the absolute path inside the root? */
static bool
static_inside(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(path, root, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0');
}

/* Walk directory dfd (named prefix, "" at the root). Takes dfd. */
static int
static_walk(struct walk *w, int dfd, const char *prefix, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return static_fail(w, "%s: %s", prefix[0] ? prefix : ".",
		    strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char rel[PATH_MAX];
		struct stat st;
		int fd;

		if (e->d_name[0] == '.')
			continue;	/* ".", "..", and hidden files */
		if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", prefix,
		    prefix[0] ? "/" : "", e->d_name) >= sizeof rel)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (S_ISLNK(st.st_mode)) {
			char full[2 * PATH_MAX], real[PATH_MAX];

			snprintf(full, sizeof full, "%s/%s", w->root, rel);
			if (realpath(full, real) == NULL ||
			    !static_inside(w->root, real)) {
				log_warn(NULL, "dashboard: %s/%s points outside "
				    "the directory: not served", w->root, rel);
				continue;
			}
			if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
				continue;	/* no directory links: no loops */
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= STATIC_MAX_DEPTH)
				continue;
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				rc = static_walk(w, fd, rel, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				rc = static_fail(w, "%s: %s", rel,
				    strerror(errno));
			else
				rc = static_add(w, fd, rel);
		}
	}
	closedir(d);
	return rc;
}

static int
static_cmp(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->name,
	    ((const struct static_file *)b)->name);
}

static struct static_file *
static_lookup(const struct static_site *site, const char *rel)
{
	struct static_file key = { .name = (char *)rel };

	if (site == NULL || site->nfiles == 0)
		return NULL;
	return bsearch(&key, site->files, site->nfiles, sizeof key, static_cmp);
}

/* Each X.gz next to an X: X's compressed copy (the .gz's own bytes: it
 * stays a file of its own too). */
static void
static_pair_gz(struct static_site *s)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		struct static_file *gz = &s->files[i], *f;
		size_t n = strlen(gz->name);
		char base[PATH_MAX];

		if (n <= 3 || strcmp(gz->name + n - 3, ".gz") != 0)
			continue;
		snprintf(base, sizeof base, "%.*s", (int)(n - 3), gz->name);
		if ((f = static_lookup(s, base)) == NULL)
			continue;
		f->gz = gz->data;
		f->gz_len = gz->len;
		memcpy(f->gz_etag, gz->etag, sizeof f->gz_etag);
	}
}

static void
static_files_free(struct static_site *site)
{
	for (size_t i = 0; i < site->nfiles; i++) {
		free(site->files[i].name);
		free(site->files[i].data);
	}
	free(site->files);
	site->files = NULL;
	site->nfiles = site->bytes = 0;
}

void
static_site_free(struct static_site *site)
{
	if (site == NULL)
		return;
	static_files_free(site);
	free(site->dir);
	free(site->why);
	free(site);
}

/* Read dir into a new site (look: names and sizes only); NULL with err. */
static struct static_site *
static_read(const char *dir, bool look, char *err, size_t errlen)
{
	char root[PATH_MAX];
	struct static_site *s;
	struct walk w;
	struct stat st;
	int fd;

	if (realpath(dir, root) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return NULL;
	}
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(root);
	memset(&w, 0, sizeof w);
	w.site = s;
	w.look = look;
	w.root = s->dir;
	w.err = err;
	w.errlen = errlen;
	if (static_walk(&w, fd, "", 0) < 0) {
		char why[512];

		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s: %s", dir, why);
		static_site_free(s);
		return NULL;
	}
	if (s->nfiles > 0)
		qsort(s->files, s->nfiles, sizeof *s->files, static_cmp);
	if (static_lookup(s, WEBPATH_INDEX) == NULL) {
		snprintf(err, errlen, "%s: no %s in it", dir, WEBPATH_INDEX);
		static_site_free(s);
		return NULL;
	}
	s->loaded = !look;
	if (!look)
		static_pair_gz(s);
	return s;
}

/* The first request: the files themselves. A site that can no longer be
 * read (removed, over the bounds since) becomes no site, saying why. */
static void
static_site_fill(struct static_site *site)
{
	char err[PATH_MAX + 256];
	struct static_site *full = static_read(site->dir, false, err,
	    sizeof err);

	static_files_free(site);
	if (full == NULL) {
		log_warn(NULL, "dashboard: %s: not served", err);
		site->why = xasprintf("the dashboard could not be read: %s; "
		    "fix it, then reload prodd", err);
		free(site->dir);
		site->dir = NULL;
		return;
	}
	site->files = full->files;
	site->nfiles = full->nfiles;
	site->bytes = full->bytes;
	site->loaded = true;
	full->files = NULL;
	full->nfiles = 0;
	static_site_free(full);
	log_info(NULL, "dashboard: read %s (%zu files, %zu bytes) at its "
	    "first request", site->dir, site->nfiles, site->bytes);
}

const struct static_file *
static_site_find(struct static_site *site, const char *rel)
{
	if (site != NULL && site->dir != NULL && !site->loaded)
		static_site_fill(site);
	return static_lookup(site, rel);
}

struct static_site *
static_site_load(const char *dir, char *err, size_t errlen)
{
	char exe[PATH_MAX], cand[2][PATH_MAX], why[2][PATH_MAX + 100];
	struct static_site *s;
	ssize_t n;

	if (dir != NULL)
		return static_read(dir, true, err, errlen);
	/* the build's dashboard next to the binary, then the installed one */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(cand[0], sizeof cand[0], "%.*s/dashboard",
		    (int)(sizeof cand[0] - 11), exe);
	} else {
		snprintf(cand[0], sizeof cand[0], "(the binary's directory: "
		    "%s)", strerror(errno));
	}
	snprintf(cand[1], sizeof cand[1], "%s/dashboard", PRODD_DATADIR);
	for (int i = 0; i < 2; i++) {
		if (i == 0 && n <= 0) {
			snprintf(why[0], sizeof why[0], "%.*s",
			    (int)(sizeof why[0] - 1), cand[0]);
			continue;
		}
		if ((s = static_read(cand[i], true, why[i], sizeof why[i])) !=
		    NULL)
			return s;
	}
	s = xcalloc(1, sizeof *s);
	s->why = xasprintf("no dashboard: tried %s; %s. Build it with 'make "
	    "dashboard' (or 'make install' it), or set daemon.dashboard_dir",
	    why[0], why[1]);
	return s;
}
