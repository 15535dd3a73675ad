/*
 * man-keys: writes services.yaml(5)'s key reference from the key table the
 * parser itself uses (cfg_schema_walk), so that the page and the parser
 * cannot disagree (SPEC §9). `man-keys TEMPLATE` copies the template to
 * stdout and replaces its line `.\" @KEYS@` with one roff subsection per
 * section of the file (top level, daemon, services[], ...) and one tagged
 * paragraph per key: its full name, type, default, bounds or values, what
 * a change of it needs at a reload, its description and an example.
 * `man-keys --list` prints each key's full name (daemon.listen,
 * services[].health_check.url, ...), one a line, for the tests that check
 * that the generated page names every key.
 */
#include "prodd/config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
	FILE *out;
	char section[256];	/* the last section a heading was written for
				 * (a copy: the walk frees its labels) */
	bool list;
};

/*
 * The text of a paragraph, wrapped at a space before a word that would
 * end past column 72, or at any space past column 60, so that no input
 * line is long (mandoc -Tlint); roff fills the paragraph again. raw: s is
 * roff already (font changes), else its special characters are escaped.
 */
static int col;

static void
put(FILE *out, const char *s, bool raw)
{
	for (; *s != '\0'; s++) {
		if (*s == ' ' && (col >= 60 ||
		    col + 1 + (int)strcspn(s + 1, " ") > 72)) {
			fputc('\n', out);
			col = 0;
			continue;
		}
		if (col == 0 && (*s == '.' || *s == '\''))
			col += fprintf(out, "\\&");
		if (raw || (*s != '\\' && *s != '-')) {
			fputc(*s, out);
			col++;
		} else {
			col += fprintf(out, "%s", *s == '-' ? "\\-" : "\\e");
		}
	}
}

/* Ends the current text line, if one is open. */
static void
end_line(FILE *out)
{
	if (col != 0)
		fputc('\n', out);
	col = 0;
}

/* A request line (".TP") of its own. */
static void
request(FILE *out, const char *s)
{
	end_line(out);
	fputs(s, out);
	fputc('\n', out);
}

/* The walk names the sections under the top level ".daemon", ".alerts". */
static const char *
section_name(const char *section)
{
	return section[0] == '.' ? section + 1 : section;
}

static void
full_name(const struct cfg_key_doc *d, char *buf, size_t len)
{
	const char *section = section_name(d->section);

	if (section[0] == '\0')
		snprintf(buf, len, "%s", d->name);
	else
		snprintf(buf, len, "%s.%s", section, d->name);
}

static void
heading(struct gen *g, const char *section)
{
	const char *title = section[0] == '\0' ? "Top level" : section;

	if (strcmp(g->section, title) == 0)
		return;
	snprintf(g->section, sizeof g->section, "%s", title);
	end_line(g->out);
	fputs(".SS ", g->out);
	col = 4;
	put(g->out, title, false);
	end_line(g->out);
}

static void
emit_key(const struct cfg_key_doc *d, void *arg)
{
	struct gen *g = arg;
	char name[256];

	full_name(d, name, sizeof name);
	if (g->list) {
		printf("%s\n", name);
		return;
	}
	heading(g, section_name(d->section));
	request(g->out, ".TP");
	fputs(".B ", g->out);
	col = 3;
	put(g->out, name, false);
	end_line(g->out);
	/* the facts, in one paragraph: type, default, bounds or values,
	 * what a change needs at a reload */
	put(g->out, "(", true);
	if (d->is_section)
		put(g->out, "a mapping: its keys follow", false);
	else
		put(g->out, d->type != NULL ? d->type : "value", false);
	if (d->def != NULL && d->def[0] != '\0') {
		put(g->out, "; default \\fB", true);
		put(g->out, d->def, false);
		put(g->out, "\\fR", true);
	}
	if (d->lo != NULL && d->hi != NULL) {
		put(g->out, "; from ", false);
		put(g->out, d->lo, false);
		put(g->out, " to ", false);
		put(g->out, d->hi, false);
	}
	if (d->choices != NULL) {
		put(g->out, "; one of", false);
		for (size_t i = 0; d->choices[i] != NULL; i++) {
			put(g->out, i == 0 ? " \\fB" : ", \\fB", true);
			put(g->out, d->choices[i], false);
			put(g->out, "\\fR", true);
		}
	}
	put(g->out, "; a change ", false);
	put(g->out, cfg_change_name(d->change), false);
	put(g->out, ")", true);
	if (d->doc != NULL && d->doc[0] != '\0') {
		request(g->out, ".br");
		put(g->out, d->doc, false);
	}
	if (d->example != NULL && d->example[0] != '\0') {
		request(g->out, ".br");
		put(g->out, "Example: \\fB", true);
		put(g->out, d->name, false);
		put(g->out, ": ", false);
		put(g->out, d->example, false);
		put(g->out, "\\fR", true);
	}
	end_line(g->out);
}

int
main(int argc, char **argv)
{
	struct gen g = { .out = stdout };
	char line[4096];
	bool done = false;
	FILE *in;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		g.list = true;
		cfg_schema_walk(emit_key, &g);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: man-keys TEMPLATE | man-keys --list\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof line, in) != NULL) {
		if (strncmp(line, ".\\\" @KEYS@", 10) == 0) {
			cfg_schema_walk(emit_key, &g);
			end_line(stdout);
			done = true;
			continue;
		}
		fputs(line, stdout);
	}
	fclose(in);
	if (!done) {
		fprintf(stderr, "%s: no line .\\\" @KEYS@\n", argv[1]);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
