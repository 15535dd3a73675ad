/*
 * prodctl's human output: uptimes and memory sizes short enough for a
 * table column ("3h4m", "104.9M" — approximate on purpose, unlike the exact
 * forms of units.c that a config file needs), ANSI colours for states and
 * health, and a table whose columns are padded by visible width, so that
 * colour codes and UTF-8 reasons do not push columns out of line.
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool
ctl_want_color(const struct ctl_opts *o)
{
	const char *nc = getenv("NO_COLOR");

	/* https://no-color.org: set at all (even empty) means no colour. */
	if (o->no_color || nc != NULL)
		return false;
	return isatty(STDOUT_FILENO) != 0;
}

enum ctl_color
ctl_state_color(const char *state)
{
	static const struct {
		const char *state;
		enum ctl_color color;
	} map[] = {
		{ "running", CTL_COLOR_GREEN },
		{ "starting", CTL_COLOR_YELLOW },
		{ "waiting", CTL_COLOR_YELLOW },
		{ "stopping", CTL_COLOR_YELLOW },
		{ "backoff", CTL_COLOR_YELLOW },
		{ "unhealthy", CTL_COLOR_RED },
		{ "failed", CTL_COLOR_RED },
	};

	if (state == NULL)
		return CTL_COLOR_NONE;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strcmp(map[i].state, state) == 0)
			return map[i].color;
	return CTL_COLOR_NONE;
}

enum ctl_color
ctl_health_color(const char *status)
{
	if (status == NULL)
		return CTL_COLOR_NONE;
	if (strcmp(status, "healthy") == 0)
		return CTL_COLOR_GREEN;
	if (strcmp(status, "unhealthy") == 0)
		return CTL_COLOR_RED;
	if (strcmp(status, "degraded") == 0 || strcmp(status, "unknown") == 0)
		return CTL_COLOR_YELLOW;
	return CTL_COLOR_NONE;
}

static const char *
ctl_color_code(enum ctl_color c)
{
	switch (c) {
	case CTL_COLOR_GREEN:
		return "\033[32m";
	case CTL_COLOR_YELLOW:
		return "\033[33m";
	case CTL_COLOR_RED:
		return "\033[31m";
	case CTL_COLOR_DIM:
		return "\033[2m";
	case CTL_COLOR_BOLD:
		return "\033[1m";
	case CTL_COLOR_NONE:
		break;
	}
	return "";
}

void
ctl_fputs_color(FILE *f, bool color, enum ctl_color c, const char *s)
{
	if (!color || c == CTL_COLOR_NONE) {
		fputs(s, f);
		return;
	}
	fprintf(f, "%s%s\033[0m", ctl_color_code(c), s);
}

void
ctl_format_uptime(double secs, char *buf, size_t size)
{
	long long s;

	if (!isfinite(secs) || secs < 0) {
		snprintf(buf, size, "-");
		return;
	}
	s = (long long)secs;
	/* Two units at most: the second one is all a glance needs. */
	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600 && s % 60 != 0)
		snprintf(buf, size, "%lldm%llds", s / 60, s % 60);
	else if (s < 3600)
		snprintf(buf, size, "%lldm", s / 60);
	else if (s < 86400 && s % 3600 / 60 != 0)
		snprintf(buf, size, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh", s / 3600);
	else if (s % 86400 / 3600 != 0)
		snprintf(buf, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	else
		snprintf(buf, size, "%lldd", s / 86400);
}

void
ctl_format_bytes(double bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	int u = -1;

	if (!isfinite(bytes) || bytes < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, size, "%.0fB", bytes);
		return;
	}
	/* Powers of 1024, as memory_limit: 100M in services.yaml means. */
	while (bytes >= 1024 && u < (int)sizeof units - 2) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f%c", bytes, units[u]);
}

/* ---- tables ----------------------------------------------------------- */

struct ctl_cell {
	char *text;
	enum ctl_color color;
};

struct ctl_table {
	size_t ncols;
	size_t n, cap;		/* cells */
	struct ctl_cell *cells;
};

struct ctl_table *
ctl_table_new(size_t ncols)
{
	struct ctl_table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	return t;
}

void
ctl_table_add(struct ctl_table *t, enum ctl_color c, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->cells = xreallocarray(t->cells, t->cap, sizeof *t->cells);
	}
	t->cells[t->n].text = xstrdup(s != NULL ? s : "");
	t->cells[t->n].color = c;
	t->n++;
}

/* Columns a string takes on a terminal: one per UTF-8 code point. */
static size_t
ctl_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void
ctl_table_print(const struct ctl_table *t, FILE *f, bool color)
{
	size_t *width = xcalloc(t->ncols, sizeof *width);

	for (size_t i = 0; i < t->n; i++) {
		size_t w = ctl_width(t->cells[i].text);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (size_t row = 0; row * t->ncols < t->n; row++) {
		const struct ctl_cell *r = t->cells + row * t->ncols;
		size_t ncells = t->n - row * t->ncols, last = 0;

		if (ncells > t->ncols)
			ncells = t->ncols;
		/* No padding after the last non-empty cell: no trailing
		 * blanks for a pipe to trip over. */
		for (size_t c = 0; c < ncells; c++)
			if (r[c].text[0] != '\0')
				last = c;
		for (size_t c = 0; c <= last && c < ncells; c++) {
			ctl_fputs_color(f, color, r[c].color, r[c].text);
			if (c < last)
				fprintf(f, "%*s", (int)(width[c] + 2 -
				    ctl_width(r[c].text)), "");
		}
		fputc('\n', f);
	}
	free(width);
}

void
ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t);
}

void
ctl_table_num(struct ctl_table *t, const cJSON *obj, const char *key,
    enum ctl_cell_kind kind)
{
	char buf[32];
	double v;

	if (!ctl_json_num(obj, key, &v))
		snprintf(buf, sizeof buf, "-");
	else if (kind == CTL_CELL_BYTES)
		ctl_format_bytes(v, buf, sizeof buf);
	else if (kind == CTL_CELL_PERCENT)
		snprintf(buf, sizeof buf, "%.1f%%", v);
	else
		snprintf(buf, sizeof buf, "%.0f", v);
	ctl_table_add(t, CTL_COLOR_NONE, buf);
}

void
ctl_table_health(struct ctl_table *t, const cJSON *svc)
{
	const cJSON *health = cJSON_GetObjectItemCaseSensitive(svc, "health");
	const char *hs = ctl_json_str(health, "status");
	char buf[64];
	double v;

	if (hs == NULL || strcmp(hs, "none") == 0) {
		ctl_table_add(t, CTL_COLOR_NONE, "-");
		return;
	}
	if (ctl_json_num(health, "last_latency_ms", &v))
		snprintf(buf, sizeof buf, "%s %.1fms", hs, v);
	else
		snprintf(buf, sizeof buf, "%s", hs);
	ctl_table_add(t, ctl_health_color(hs), buf);
}
