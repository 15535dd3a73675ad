/*
 * Service spawning (see spawn.h). The checks before uv_spawn turn the
 * usual mistakes into a clear "spawn failed: ..." reason instead of an exit
 * code 127 a second later; the exec helper does what must happen between
 * fork and exec (limits, initgroups, closing inherited descriptors).
 */
#include "prodd/spawn.h"
#include "prodd/envfile.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

const char *
spawn_helper_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("PRODD_EXEC_HELPER");
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0')
		return env;
	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", path, sizeof path - 16);
	if (n <= 0) {
		snprintf(path, sizeof path, "prodd-exec");
		return path;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
	    "prodd-exec");
	return path;
}

/* Find prog as execvp would, with the service's PATH and directory. */
static int
spawn_find(const char *prog, const char *cwd, char *const *env, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int saw_eacces = 0;

	if (strchr(prog, '/') != NULL) {
		if (prog[0] == '/' || cwd == NULL)
			snprintf(out, outlen, "%s", prog);
		else
			snprintf(out, outlen, "%s/%s", cwd, prog);
		if (access(out, X_OK) == 0) {
			struct stat st;

			if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "%s is a directory", prog);
				return -EISDIR;
			}
			return 0;
		}
		snprintf(err, errlen, "cannot run %s: %s", prog,
		    strerror(errno));
		return -errno;
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			path = env[i] + 5;
	for (const char *p = path; ; ) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		if (dl == 0)
			snprintf(out, outlen, "%s/%s", cwd ? cwd : ".", prog);
		else
			snprintf(out, outlen, "%.*s/%s", (int)dl, p, prog);
		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			saw_eacces = 1;
		}
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (saw_eacces) {
		snprintf(err, errlen, "cannot run %s: permission denied", prog);
		return -EACCES;
	}
	snprintf(err, errlen, "cannot run %s: not found in PATH (%s)", prog,
	    path);
	return -ENOENT;
}

struct spawn_user {
	uid_t uid;
	gid_t gid;
	char *name;
	struct cfg_env env[4];		/* HOME USER LOGNAME SHELL */
	size_t nenv;
};

static void
spawn_user_free(struct spawn_user *u)
{
	free(u->name);
	for (size_t i = 0; i < u->nenv; i++)
		free(u->env[i].value);
}

static int
spawn_lookup_user(const struct cfg_service *svc, struct spawn_user *u,
    char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	char *end;

	memset(u, 0, sizeof *u);
	if (svc->user == NULL && svc->group == NULL)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "'user'/'group' need prodd to run as root");
		return -EPERM;
	}
	if (svc->user != NULL) {
		unsigned long v;

		errno = 0;
		v = strtoul(svc->user, &end, 10);
		pw = *end == '\0' ? getpwuid((uid_t)v) : getpwnam(svc->user);
		if (pw == NULL) {
			snprintf(err, errlen, "unknown user '%s'", svc->user);
			return -ENOENT;
		}
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		u->name = xstrdup(pw->pw_name);
		u->env[0] = (struct cfg_env){ (char *)"HOME", xstrdup(pw->pw_dir) };
		u->env[1] = (struct cfg_env){ (char *)"USER", xstrdup(pw->pw_name) };
		u->env[2] = (struct cfg_env){ (char *)"LOGNAME",
		    xstrdup(pw->pw_name) };
		u->env[3] = (struct cfg_env){ (char *)"SHELL",
		    xstrdup(pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell :
		    "/bin/sh") };
		u->nenv = 4;
	} else {
		u->uid = 0;
		u->gid = 0;
	}
	if (svc->group != NULL) {
		struct group *gr;
		unsigned long v;

		v = strtoul(svc->group, &end, 10);
		gr = *end == '\0' ? getgrgid((gid_t)v) : getgrnam(svc->group);
		if (gr == NULL) {
			snprintf(err, errlen, "unknown group '%s'", svc->group);
			spawn_user_free(u);
			return -ENOENT;
		}
		u->gid = gr->gr_gid;
	}
	return 1;
}

static void
spawn_free_cb(uv_handle_t *h)
{
	free(h);
}

void
spawn_close(uv_process_t *proc)
{
	if (!uv_is_closing((uv_handle_t *)proc))
		uv_close((uv_handle_t *)proc, spawn_free_cb);
}

static void
spawn_push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

uv_process_t *
spawn_service(uv_loop_t *loop, const struct cfg_service *svc, int out_fd,
    int err_fd, uv_exit_cb exit_cb, void *data, char *err, size_t errlen)
{
	struct cfg_env *filev = NULL;
	size_t nfile = 0, nargs = 0;
	struct spawn_user user;
	char **env = NULL, **args = NULL, prog[PATH_MAX];
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];
	uv_process_t *proc = NULL;
	struct stat st;
	int has_user, rc;

	memset(&user, 0, sizeof user);
	if (svc->argc == 0) {
		snprintf(err, errlen, "type %s services cannot be run yet",
		    cfg_type_name(svc->type));
		return NULL;
	}
	if (svc->working_dir != NULL && (stat(svc->working_dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "working_dir %s: %s", svc->working_dir,
		    errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	if (svc->env_file != NULL) {
		char *buf, why[256];
		size_t len, total;

		if (file_read_bounded(svc->env_file, 1 << 20, &buf, &len, &total,
		    why, sizeof why) < 0) {
			snprintf(err, errlen, "env_file %s: %s", svc->env_file,
			    why);
			return NULL;
		}
		rc = total > len ? -EFBIG : envfile_parse(buf, len, &filev,
		    &nfile, why, sizeof why);
		free(buf);
		if (rc < 0) {
			snprintf(err, errlen, "env_file %s: %s", svc->env_file,
			    rc == -EFBIG ? "larger than 1 MiB" : why);
			return NULL;
		}
	}
	if ((has_user = spawn_lookup_user(svc, &user, err, errlen)) < 0)
		goto out;
	env = env_build(environ, filev, nfile, svc->env, svc->nenv, user.env,
	    user.nenv);
	if (spawn_find(svc->argv[0], svc->working_dir, env, prog, sizeof prog,
	    err, errlen) < 0)
		goto out;

	spawn_push(&args, &nargs, xstrdup(spawn_helper_path()));
	{
		static const char *const lname[] = { "nofile", "nproc", "core" };
		const int64_t lval[] = { svc->limits.nofile, svc->limits.nproc,
			svc->limits.core };

		for (int i = 0; i < 3; i++) {
			if (lval[i] < 0)
				continue;
			spawn_push(&args, &nargs, xstrdup("-l"));
			spawn_push(&args, &nargs, lval[i] == INT64_MAX ?
			    xasprintf("%s=unlimited", lname[i]) :
			    xasprintf("%s=%lld", lname[i], (long long)lval[i]));
		}
	}
	if (has_user > 0) {
		spawn_push(&args, &nargs, xstrdup("-g"));
		spawn_push(&args, &nargs, xasprintf("%u", (unsigned)user.gid));
		if (svc->user != NULL) {
			spawn_push(&args, &nargs, xstrdup("-u"));
			spawn_push(&args, &nargs, xasprintf("%u",
			    (unsigned)user.uid));
			spawn_push(&args, &nargs, xstrdup("-n"));
			spawn_push(&args, &nargs, xstrdup(user.name));
		}
	}
	spawn_push(&args, &nargs, xstrdup("--"));
	spawn_push(&args, &nargs, xstrdup(prog));
	for (size_t i = 1; i < svc->argc; i++)
		spawn_push(&args, &nargs, xstrdup(svc->argv[i]));

	memset(&o, 0, sizeof o);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = out_fd;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = err_fd;
	o.file = args[0];
	o.args = args;
	o.env = env;
	o.cwd = svc->working_dir;
	o.flags = UV_PROCESS_DETACHED;
	o.stdio_count = 3;
	o.stdio = stdio;
	o.exit_cb = exit_cb;
	proc = xcalloc(1, sizeof *proc);
	proc->data = data;
	if ((rc = uv_spawn(loop, proc, &o)) < 0) {
		snprintf(err, errlen, "cannot start %s: %s", args[0],
		    uv_strerror(rc));
		/* a failed uv_spawn still initialised the handle */
		uv_close((uv_handle_t *)proc, spawn_free_cb);
		proc = NULL;
	}
out:
	spawn_user_free(&user);
	envfile_free(filev, nfile);
	env_free(env);
	env_free(args);
	return proc;
}
