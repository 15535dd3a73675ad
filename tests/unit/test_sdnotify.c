/*
 * prodd under systemd, the parts that need no manager: the STATUS= line
 * of given counts; whether stderr is the journal's stream (JOURNAL_STREAM
 * against fstat of fd 2, malformed values refused); the MESSAGE_IDs (one
 * per event kind, 32 hex digits, all different); and a log record through
 * the sink ends nowhere else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prodd/events.h"
#include "prodd/journal.h"
#include "prodd/log.h"
#include "prodd/sdnotify.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_status_text(void **state)
{
	struct sdn_counts c = { .total = 12, .alive = 12, .healthy = 11,
		.starting = 1 };
	char buf[256];

	(void)state;
	sdnotify_format_status(&c, buf, sizeof buf);
	assert_string_equal(buf, "12/12 running, 11 healthy, 1 starting");
	memset(&c, 0, sizeof c);
	c.total = 3;
	c.alive = 3;
	c.healthy = 3;
	sdnotify_format_status(&c, buf, sizeof buf);
	assert_string_equal(buf, "3/3 running, 3 healthy");
	memset(&c, 0, sizeof c);
	c.total = 5;
	c.alive = 2;
	c.unhealthy = 1;
	c.stopping = 1;
	c.backoff = 1;
	c.failed = 2;
	c.shutting_down = true;
	sdnotify_format_status(&c, buf, sizeof buf);
	assert_string_equal(buf, "shutting down: 2/5 running, 0 healthy, "
	    "1 unhealthy, 1 stopping, 1 restarting, 2 failed");
	memset(&c, 0, sizeof c);
	sdnotify_format_status(&c, buf, sizeof buf);
	assert_string_equal(buf, "0/0 running, 0 healthy");
}

enum env_form { ENV_EXACT, ENV_TRAILING, ENV_DASH, ENV_DEV_ONLY };

/* JOURNAL_STREAM set in a form from fstat of a file (ours, or another),
 * fd 2 pointed at ours: what journal_stream_is_stderr says */
static bool
with_stderr_file(enum env_form form, bool use_other)
{
	char path[] = "/tmp/test_sdnotify.XXXXXX", other[] =
	    "/tmp/test_sdnotify.XXXXXX", env[128];
	int fd = mkstemp(path), ofd = mkstemp(other), saved = dup(2);
	struct stat st;
	bool r;

	assert_true(fd >= 0 && ofd >= 0 && saved >= 0);
	assert_int_equal(fstat(use_other ? ofd : fd, &st), 0);
	switch (form) {
	case ENV_EXACT:
		snprintf(env, sizeof env, "%llu:%llu",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		break;
	case ENV_TRAILING:
		snprintf(env, sizeof env, "%llu:%llux",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		break;
	case ENV_DASH:
		snprintf(env, sizeof env, "%llu-%llu",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		break;
	case ENV_DEV_ONLY:
		snprintf(env, sizeof env, "%llu",
		    (unsigned long long)st.st_dev);
		break;
	}
	setenv("JOURNAL_STREAM", env, 1);
	dup2(fd, 2);
	r = journal_stream_is_stderr();
	dup2(saved, 2);
	close(saved);
	close(fd);
	close(ofd);
	unlink(path);
	unlink(other);
	return r;
}

static void
test_journal_stream(void **state)
{
	(void)state;
	assert_true(with_stderr_file(ENV_EXACT, false));
	/* inherited from a parent whose stderr was the journal */
	assert_false(with_stderr_file(ENV_EXACT, true));
	assert_false(with_stderr_file(ENV_TRAILING, false));
	assert_false(with_stderr_file(ENV_DASH, false));
	assert_false(with_stderr_file(ENV_DEV_ONLY, false));
	setenv("JOURNAL_STREAM", "", 1);
	assert_false(journal_stream_is_stderr());
	unsetenv("JOURNAL_STREAM");
	assert_false(journal_stream_is_stderr());
}

static void
test_message_ids(void **state)
{
	const char *seen[EVENT_DAEMON + 1];

	(void)state;
	for (int k = EVENT_STATE; k <= EVENT_DAEMON; k++) {
		const char *id = journal_message_id(event_kind_name(
		    (enum event_kind)k));

		assert_non_null(id);
		assert_int_equal(strlen(id), 32);
		for (int i = 0; i < 32; i++)
			assert_true(isxdigit((unsigned char)id[i]) &&
			    !isupper((unsigned char)id[i]));
		for (int j = EVENT_STATE; j < k; j++)
			assert_string_not_equal(seen[j], id);
		seen[k] = id;
	}
	assert_null(journal_message_id("nonsense"));
}

static int sink_calls;
static char sink_msg[128], sink_svc[64];

static int
test_sink(enum log_level level, const char *service, const char *metadata,
    const char *message)
{
	(void)level;
	(void)metadata;
	sink_calls++;
	snprintf(sink_msg, sizeof sink_msg, "%s", message);
	snprintf(sink_svc, sizeof sink_svc, "%s", service ? service : "");
	return sink_calls == 1 ? 0 : -1;	/* the second: refused */
}

static void
test_sink_never_both(void **state)
{
	char path[] = "/tmp/test_sdnotify.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct stat st;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	log_set_sink(test_sink);
	log_emit(LOG_LVL_NOTICE, "rag", NULL, "taken %d", 1);
	fstat(fd, &st);
	assert_int_equal(st.st_size, 0);	/* taken: not on stderr */
	log_emit(LOG_LVL_NOTICE, NULL, NULL, "refused %d", 2);
	fstat(fd, &st);
	assert_true(st.st_size > 0);		/* refused: on stderr */
	log_set_sink(NULL);
	dup2(saved, 2);
	close(saved);
	close(fd);
	unlink(path);
	assert_int_equal(sink_calls, 2);
	assert_string_equal(sink_msg, "refused 2");
	assert_string_equal(sink_svc, "");
	assert_int_equal(log_format_parse("auto"), LOG_FORMAT_AUTO);
	assert_int_equal(log_format_parse("journal"), LOG_FORMAT_JOURNAL);
	assert_int_equal(log_format_parse("syslog"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_journal_stream),
		cmocka_unit_test(test_message_ids),
		cmocka_unit_test(test_sink_never_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
