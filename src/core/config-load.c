/*
 * services.yaml's entry points. The file is checked in three passes:
 * bytes (size, UTF-8, NUL), YAML events (syntax, aliases, one document),
 * then the document tree against the key tables (config-nodes.c), with
 * the whole-file rules last (config-check.c). Every problem found is
 * recorded and the walk goes on, so one run reports all of a file's
 * errors, sorted by position; a file with any error yields no config. A
 * valid one is finished here: derived commands (shell, fastapi, docker),
 * defaults that depend on who runs prodd, and the file's own directory.
 */
#include "config-int.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* finishing: derived values and defaults that depend on the caller */

static void
cfg_finish_service(struct cfg_service *s, const char *dir)
{
	char port[16];

	if (s->shell && s->command != NULL) {
		units_argv_free(s->argv);
		s->argv = xcalloc(4, sizeof *s->argv);
		s->argv[0] = xstrdup("/bin/sh");
		s->argv[1] = xstrdup("-c");
		s->argv[2] = xstrdup(s->command);
		s->argc = 3;
	}
	if (s->type == CFG_TYPE_FASTAPI && s->argv == NULL && s->app != NULL) {
		snprintf(port, sizeof port, "%d", s->port);
		s->argv = xcalloc(7, sizeof *s->argv);
		s->argv[0] = xstrdup("uvicorn");
		s->argv[1] = xstrdup(s->app);
		s->argv[2] = xstrdup("--host");
		s->argv[3] = xstrdup("127.0.0.1");
		s->argv[4] = xstrdup("--port");
		s->argv[5] = xstrdup(port);
		s->argc = 6;
	}
	if (s->type == CFG_TYPE_DOCKER) {
		/* docker run --rm --init --name prodd-NAME IMAGE [command...];
		 * without image, command's first word is the image (SPEC §2,
		 * the seed's form: command: nginx:latest) */
		char **argv = xcalloc(s->argc + 8, sizeof *argv);
		size_t n = 0, first = 0;

		if (s->image == NULL && s->argc > 0) {
			s->image = xstrdup(s->argv[0]);
			first = 1;
		}
		argv[n++] = xstrdup("docker");
		argv[n++] = xstrdup("run");
		argv[n++] = xstrdup("--rm");
		argv[n++] = xstrdup("--init");
		argv[n++] = xstrdup("--name");
		argv[n++] = xasprintf("prodd-%s", s->name);
		argv[n++] = xstrdup(s->image);
		for (size_t i = first; i < s->argc; i++)
			argv[n++] = xstrdup(s->argv[i]);
		units_argv_free(s->argv);
		s->argv = argv;
		s->argc = n;
	}
	if (s->argv == NULL)
		s->argv = xcalloc(1, sizeof *s->argv);	/* systemd: no argv */
	/* commands, like paths, are relative to the file's directory */
	if (s->working_dir == NULL)
		s->working_dir = xstrdup(dir);
	if (s->health.kind == CFG_HEALTH_TCP && s->health.tcp_host == NULL)
		s->health.tcp_host = xstrdup("127.0.0.1");
	/* a fastapi service without a check: its conventional endpoint */
	if (s->type == CFG_TYPE_FASTAPI && s->health.kind == CFG_HEALTH_NONE &&
	    s->port > 0) {
		s->health.kind = CFG_HEALTH_URL;
		s->health.url = xasprintf("http://127.0.0.1:%d/api/health",
		    s->port);
	}
}

static void
cfg_finish(struct cfg *c, const struct cfg_context *ctx)
{
	struct cfg_daemon *d = &c->daemon;

	if (d->state_dir == NULL) {
		if (ctx->root)
			d->state_dir = xstrdup("/run/prodd");
		else if (ctx->xdg_runtime_dir != NULL &&
		    ctx->xdg_runtime_dir[0] == '/')
			d->state_dir = xasprintf("%s/prodd", ctx->xdg_runtime_dir);
		else
			d->state_dir = xasprintf("/tmp/prodd-%u", ctx->uid);
	}
	if (d->control_socket == NULL)
		d->control_socket = xasprintf("%s/prodd.sock", d->state_dir);
	if (d->log_dir == NULL) {
		if (ctx->root)
			d->log_dir = xstrdup("/var/log/prodd");
		else if (ctx->xdg_state_home != NULL &&
		    ctx->xdg_state_home[0] == '/')
			d->log_dir = xasprintf("%s/prodd/logs",
			    ctx->xdg_state_home);
		else if (ctx->home != NULL && ctx->home[0] == '/')
			d->log_dir = xasprintf("%s/.local/state/prodd/logs",
			    ctx->home);
		else
			d->log_dir = xasprintf("%s/logs", d->state_dir);
	}
	if (d->disks.n == 0)
		cfg_strv_push(&d->disks, "/");
	for (size_t i = 0; i < c->nservices; i++)
		cfg_finish_service(&c->services[i], c->dir);
}

/* ------------------------------------------------------------------ */
/* entry points */

static struct cfg_mark
cfg_offset_mark(const char *buf, size_t off)
{
	struct cfg_mark m = { 1, 1 };
	size_t i = 0;

	while (i < off) {
		if (buf[i] == '\n') {
			m.line++;
			m.col = 1;
			i++;
		} else {
			/* columns count characters, as libyaml's marks do */
			size_t k = utf8_seq_len((const unsigned char *)buf + i,
			    off - i);

			i += k ? k : 1;
			m.col++;
		}
	}
	return m;
}

static void
cfg_yaml_error(struct pctx *p, yaml_parser_t *y, const char *buf)
{
	struct cfg_mark m;

	if (y->error == YAML_READER_ERROR) {
		m = cfg_offset_mark(buf, y->problem_offset);
		cfg_err(p, m, "YAML error: %s", y->problem ? y->problem :
		    "cannot read the file");
		return;
	}
	m.line = (int)y->problem_mark.line + 1;
	m.col = (int)y->problem_mark.column + 1;
	if (y->context != NULL)
		cfg_err(p, m, "YAML syntax error: %s (%s at line %d column %d)",
		    y->problem ? y->problem : "unknown problem", y->context,
		    (int)y->context_mark.line + 1,
		    (int)y->context_mark.column + 1);
	else
		cfg_err(p, m, "YAML syntax error: %s",
		    y->problem ? y->problem : "unknown problem");
}

/*
 * The event pass: syntax errors, aliases (refused: shared nodes make
 * "billion laughs" expansions possible) and extra documents. Returns true
 * when the document API may load the buffer.
 */
static bool
cfg_scan_events(struct pctx *p, const char *buf, size_t len)
{
	yaml_parser_t y;
	yaml_event_t ev;
	int docs = 0;
	bool ok = true, done = false;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&y, &ev)) {
			cfg_yaml_error(p, &y, buf);
			ok = false;
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			cfg_err(p, (struct cfg_mark){ (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1 }, "YAML aliases are "
			    "not allowed ('*%s'): write the value out",
			    (const char *)ev.data.alias.anchor);
			ok = false;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs == 2) {
				cfg_err(p, (struct cfg_mark){
				    (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1 },
				    "only one YAML document is allowed per file");
				ok = false;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	return ok;
}

static char *
cfg_dirname(const char *path, const struct cfg_context *ctx)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if (dir[0] != '/' && ctx->cwd != NULL && ctx->cwd[0] == '/') {
		char *abs = strcmp(dir, ".") == 0 ? xstrdup(ctx->cwd) :
		    xasprintf("%s/%s", ctx->cwd, dir);

		free(dir);
		dir = abs;
	}
	return dir;
}

struct cfg *
cfg_load_buffer(const char *path, const char *buf, size_t len,
    const struct cfg_context *ctx, struct cfg_errors *errs)
{
	static const struct cfg_context root_ctx = { .root = true };
	struct pctx p = { .path = path, .errs = errs, .ctx = ctx };
	struct cfg *c = xcalloc(1, sizeof *c);
	yaml_parser_t y;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t bad;

	if (ctx == NULL)
		ctx = p.ctx = &root_ctx;
	errs->v = NULL;
	errs->n = 0;
	c->path = xstrdup(path);
	c->dir = cfg_dirname(path, ctx);
	p.cfg = c;
	cfg_section_defaults(&cfg_root_section, c);

	if (len > CFG_MAX_FILE_SIZE) {
		cfg_err(&p, (struct cfg_mark){ 1, 1 }, "the file is %.1f MiB; "
		    "the limit is 1 MiB", (double)len / (1024 * 1024));
		goto fail;
	}
	if ((bad = utf8_first_invalid(buf, len)) != len) {
		cfg_err(&p, cfg_offset_mark(buf, bad), "invalid UTF-8 (byte "
		    "0x%02x); the file must be UTF-8 text",
		    (unsigned char)buf[bad]);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		cfg_err(&p, cfg_offset_mark(buf, (size_t)((const char *)
		    memchr(buf, '\0', len) - buf)), "NUL byte in the file");
		goto fail;
	}
	if (!cfg_scan_events(&p, buf, len))
		goto fail;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&y, &doc)) {
		cfg_yaml_error(&p, &y, buf);
		yaml_parser_delete(&y);
		goto fail;
	}
	yaml_parser_delete(&y);
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root)) {
		cfg_err(&p, (struct cfg_mark){ 1, 1 }, "the file is empty; "
		    "expected a mapping with a 'services' list");
	} else if (root->type != YAML_MAPPING_NODE) {
		cfg_nerr(&p, root, "the top level must be a mapping with a "
		    "'services' list, not %s", cfg_kind_noun(root));
	} else {
		yaml_node_t *seen_services = NULL;

		cfg_check_mappings(&p);
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		    pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);

			if (k->type == YAML_SCALAR_NODE &&
			    strcmp(cfg_scalar(k), "services") == 0)
				seen_services = k;
		}
		cfg_parse_section(&p, &cfg_root_section, root, c, "the top level");
		if (seen_services == NULL)
			cfg_nerr(&p, root, "missing 'services' (a list of the "
			    "services to run)");
		cfg_check_references(&p);
	}
	yaml_document_delete(&doc);
	if (errs->n > 0)
		goto fail;
	cfg_finish(c, ctx);
	return c;
fail:
	if (p.dropped > 0) {
		struct cfg_mark last = errs->v[errs->n - 1].mark;

		/* not through cfg_err: that one is full */
		errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
		errs->v[errs->n].mark = last;
		errs->v[errs->n].mark.line = INT32_MAX;
		errs->v[errs->n].text = xasprintf("%s: %zu more errors not shown",
		    path, p.dropped);
		errs->n++;
	}
	qsort(errs->v, errs->n, sizeof *errs->v, cfg_err_cmp);
	cfg_free(c);
	return NULL;
}

struct cfg *
cfg_load_file(const char *path, const struct cfg_context *ctx,
    struct cfg_errors *errs)
{
	char *buf, why[256];
	size_t len, total;
	struct cfg *c;

	errs->v = NULL;
	errs->n = 0;
	if (file_read_bounded(path, CFG_MAX_FILE_SIZE, &buf, &len, &total, why,
	    sizeof why) < 0) {
		errs->v = xcalloc(1, sizeof *errs->v);
		errs->v[0].text = xasprintf("%s: %s", path, why);
		errs->n = 1;
		return NULL;
	}
	if (total > CFG_MAX_FILE_SIZE) {
		free(buf);
		errs->v = xcalloc(1, sizeof *errs->v);
		errs->v[0].mark = (struct cfg_mark){ 1, 1 };
		errs->v[0].text = xasprintf("%s:1:1: the file is %.1f MiB; the "
		    "limit is 1 MiB", path, (double)total / (1024 * 1024));
		errs->n = 1;
		return NULL;
	}
	c = cfg_load_buffer(path, buf, len, ctx, errs);
	free(buf);
	return c;
}
