/*
 * A descriptor limit this machine cannot grant, for t-nofile.sh: preloaded
 * into prodd, it makes getrlimit, setrlimit and sysconf(_SC_OPEN_MAX)
 * report RLIMIT_NOFILE with the hard limit FAKE_NOFILE_HARD (systemd's
 * 524288, say), while the real limit stays what the machine allows (raising
 * a hard limit takes CAP_SYS_RESOURCE). A soft limit set past the real
 * hard one is remembered, and the real one set to the real hard limit.
 * Everything else goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static rlim_t fake_cur, fake_max;
static int fake_on;

static int (*real_getrlimit)(__rlimit_resource_t, struct rlimit *);
static int (*real_setrlimit)(__rlimit_resource_t, const struct rlimit *);
static long (*real_sysconf)(int);

/* Looked at again until FAKE_NOFILE_HARD is seen: a sanitizer's runtime
 * asks for limits before the environment is there. */
static void
fake_init(void)
{
	const char *h;
	struct rlimit rl;

	if (real_getrlimit == NULL) {
		real_getrlimit = (int (*)(__rlimit_resource_t,
		    struct rlimit *))dlsym(RTLD_NEXT, "getrlimit");
		real_setrlimit = (int (*)(__rlimit_resource_t,
		    const struct rlimit *))dlsym(RTLD_NEXT, "setrlimit");
		real_sysconf = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
	}
	if (fake_on || (h = getenv("FAKE_NOFILE_HARD")) == NULL ||
	    real_getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	fake_max = strtoull(h, NULL, 10);
	fake_cur = rl.rlim_cur;
	fake_on = 1;
}

int
getrlimit(__rlimit_resource_t r, struct rlimit *rl)
{
	fake_init();
	if (!fake_on || r != RLIMIT_NOFILE)
		return real_getrlimit(r, rl);
	rl->rlim_cur = fake_cur;
	rl->rlim_max = fake_max;
	return 0;
}

int
setrlimit(__rlimit_resource_t r, const struct rlimit *rl)
{
	struct rlimit real;

	fake_init();
	if (!fake_on || r != RLIMIT_NOFILE)
		return real_setrlimit(r, rl);
	if (rl->rlim_cur > fake_max || real_getrlimit(r, &real) != 0)
		return -1;
	fake_cur = rl->rlim_cur;
	real.rlim_cur = rl->rlim_cur < real.rlim_max ? rl->rlim_cur :
	    real.rlim_max;
	return real_setrlimit(r, &real);
}

long
sysconf(int name)
{
	fake_init();
	if (fake_on && name == _SC_OPEN_MAX)
		return (long)fake_cur;
	return real_sysconf(name);
}
