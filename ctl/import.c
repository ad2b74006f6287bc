/*
 * NAME
 *	import - the part of relayguardctl import both importers share
 * SYNOPSIS
 *	#include "ctl/import.h"
 *
 *	void	imp_init(struct imp *, const char *source,
 *		const char *tabledir)
 *	void	imp_untranslatable(struct imp *, const char *fmt, ...)
 *	void	imp_error(struct imp *, const char *fmt, ...)
 *	void	imp_note(struct imp *, const char *fmt, ...)
 *	void	imp_rule(struct imp *, enum rules_stage, const char *fmt, ...)
 *	const char *imp_table(struct imp *, const char *what,
 *		const char *src, int *permits)
 *	int	imp_list_items(struct imp *, const char *what,
 *		const char *src, struct strbuf *sb)
 *	void	imp_output(struct imp *, struct strbuf *out)
 *	void	imp_free(struct imp *)
 * DESCRIPTION
 *	An importer fills a struct imp with rules per stage, lists,
 *	tables, notes, untranslatable items and errors; imp_output()
 *	writes the configuration in a fixed order, so that importing the
 *	same input twice gives the same bytes.
 *
 *	Table sources are read here, each value checked with the same
 *	store_action_parse() compile uses: a value compile would refuse
 *	is recorded as untranslatable with its file and line, before
 *	anything is written.
 * DIAGNOSTICS
 *	Errors and untranslatable items are collected, never printed:
 *	cmd_import.c decides what to print and whether to write.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ctl/import.h"
#include "store/store.h"

/* imp_init - an empty import */
void
imp_init(struct imp *imp, const char *source, const char *tabledir)
{
	memset(imp, 0, sizeof(*imp));
	imp->source = source;
	imp->tabledir = tabledir;
	imp->delay_reject = 1;
}

/* imp_free - release everything */
void
imp_free(struct imp *imp)
{
	size_t  i;

	strbuf_free(&imp->untrans);
	strbuf_free(&imp->errs);
	strbuf_free(&imp->notes);
	strbuf_free(&imp->lists);
	strbuf_free(&imp->tables);
	strbuf_free(&imp->compile);
	for (i = 0; i < RULES_NSTAGES; i++)
		strbuf_free(&imp->block[i]);
	for (i = 0; i < imp->ntables; i++) {
		free(imp->tsrc[i]);
		free(imp->tname[i]);
	}
	for (i = 0; i < imp->ngen; i++) {
		free(imp->gpath[i]);
		free(imp->gtext[i]);
	}
	free(imp->gpath);
	free(imp->gtext);
	free(imp->tsrc);
	free(imp->tname);
	free(imp->tpermits);
}

/* line_printf - append "#   " + formatted text + newline */
static void
line_printf(struct strbuf *sb, const char *prefix, const char *fmt,
	va_list ap)
{
	strbuf_puts(sb, prefix);
	strbuf_vprintf(sb, fmt, ap);
	strbuf_putc(sb, '\n');
}

/* imp_untranslatable - record an item with no equivalent */
void
imp_untranslatable(struct imp *imp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_printf(&imp->untrans, "#   ", fmt, ap);
	va_end(ap);
	imp->nuntrans++;
}

/* imp_error - record an error */
void
imp_error(struct imp *imp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_printf(&imp->errs, "", fmt, ap);
	va_end(ap);
	imp->nerr++;
}

/* imp_note - a header note */
void
imp_note(struct imp *imp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_printf(&imp->notes, "#   ", fmt, ap);
	va_end(ap);
}

/* imp_rule - one line of a block */
void
imp_rule(struct imp *imp, enum rules_stage stage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_printf(&imp->block[stage], "    ", fmt, ap);
	va_end(ap);
}

/* imp_quote - a relayguard string literal */
void
imp_quote(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

/* shell_quote - a shell word in single quotes */
static void
shell_quote(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_puts(sb, "'\\''");
		else
			strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '\'');
}

/* imp_read_text - a whole file; NULL with errno */
char   *
imp_read_text(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char    buf[8192];
	size_t  n;
	FILE   *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_append(&sb, buf, n);
	if (ferror(fp)) {
		int     saved = errno;

		fclose(fp);
		strbuf_free(&sb);
		errno = saved;
		return (NULL);
	}
	fclose(fp);
	strbuf_puts(&sb, "");
	return (strbuf_detach(&sb));
}

/*
 * each_entry - call fn for each "key value" entry of access(5) text:
 * comments and blank lines skipped, continuation lines joined. fn gets
 * the line number of the entry's first line. Lines with a control
 * character are refused with their number.
 */
static void
each_entry(struct imp *imp, const char *what, const char *src, char *text,
	void (*fn) (struct imp *, const char *, const char *, size_t,
	    char *, char *, void *), void *ctx)
{
	struct strbuf ent = STRBUF_INIT;
	size_t  lineno = 0, entline = 0;
	char   *line, *next, *key, *val, *p;

	for (line = text; line && *line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		for (p = line; *p; p++)
			if ((unsigned char) *p < ' ' && *p != '\t' && *p != '\r') {
				imp_error(imp, "%s: %s:%zu: control character "
				    "in the table source", what, src, lineno);
				strbuf_free(&ent);
				return;
			}
		if (*line == '#')
			continue;
		if ((*line == ' ' || *line == '\t') && ent.len > 0) {
			for (p = line; *p == ' ' || *p == '\t'; p++)
				;
			if (*p && *p != '#') {
				strbuf_putc(&ent, ' ');
				strbuf_puts(&ent, p);
			}
			continue;
		}
		if (ent.len > 0) {
			key = ent.s;
			val = key + strcspn(key, " \t\r");
			if (*val)
				*val++ = 0;
			val += strspn(val, " \t\r");
			fn(imp, what, src, entline, key, val, ctx);
			strbuf_reset(&ent);
		}
		for (p = line; *p == ' ' || *p == '\t' || *p == '\r'; p++)
			;
		if (*p == 0 || *p == '#')
			continue;
		strbuf_puts(&ent, p);
		entline = lineno;
	}
	if (ent.len > 0) {
		key = ent.s;
		val = key + strcspn(key, " \t\r");
		if (*val)
			*val++ = 0;
		val += strspn(val, " \t\r");
		fn(imp, what, src, entline, key, val, ctx);
	}
	strbuf_free(&ent);
}

/* check_value - one table entry: a value compile accepts */
static void
check_value(struct imp *imp, const char *what, const char *src,
	size_t line, char *key, char *val, void *ctx)
{
	enum store_action act;
	const char *text;
	char    code[4], xcode[16], err[256];
	size_t  n;
	int    *permits = ctx;

	(void) key;
	n = strlen(val);
	while (n > 0 && (val[n - 1] == '\r' || val[n - 1] == ' '))
		val[--n] = 0;
	if (store_action_parse(val, &act, code, xcode, &text, err,
	    sizeof(err)) < 0) {
		imp_untranslatable(imp, "%s: %s:%zu: value \"%s\": %s", what,
		    src, line, val, err);
		return;
	}
	if (act == STORE_OK)
		*permits = 1;
}

/* table_name - a relayguard name for the table of src */
static void
table_name(struct imp *imp, const char *src, struct strbuf *sb)
{
	const char *base = strrchr(src, '/');
	const char *end;
	size_t  i, n = 1, start;
	int     clash;


	base = base ? base + 1 : src;
	start = sb->len;
	/* The sources sendmail import writes are NAME.access. */
	end = base + strlen(base);
	if (end - base > 7 && strcmp(end - 7, ".access") == 0)
		end -= 7;
	for (; base < end; base++)
		strbuf_putc(sb, isalnum((unsigned char) *base) || *base == '-' ||
		    *base == '_' ? *base : '-');
	if (sb->len == start)
		strbuf_puts(sb, "table");
	do {
		clash = 0;
		for (i = 0; i < imp->ntables; i++)
			if (strcmp(imp->tname[i], sb->s + start) == 0)
				clash = 1;
		if (clash) {
			/* Drop an earlier suffix, add the next one. */
			char   *dash = strrchr(sb->s + start, '.');

			if (dash && n > 1)
				sb->len = (size_t) (dash - sb->s);
			sb->s[sb->len] = 0;
			strbuf_printf(sb, ".%zu", ++n);
		}
	} while (clash);
}

/* declare - a table from src: its statement and compile command */
static const char *
declare(struct imp *imp, const char *src, int perm, int *permits)
{
	struct strbuf name = STRBUF_INIT;

	table_name(imp, src, &name);
	imp->tsrc = xreallocarray(imp->tsrc, imp->ntables + 1,
	    sizeof(*imp->tsrc));
	imp->tname = xreallocarray(imp->tname, imp->ntables + 1,
	    sizeof(*imp->tname));
	imp->tpermits = xreallocarray(imp->tpermits, imp->ntables + 1,
	    sizeof(*imp->tpermits));
	imp->tsrc[imp->ntables] = xstrdup(src);
	imp->tname[imp->ntables] = strbuf_detach(&name);
	imp->tpermits[imp->ntables] = perm;
	*permits = perm;
	{
		struct strbuf dst = STRBUF_INIT;

		strbuf_printf(&dst, "%s/%s.lmdb", imp->tabledir,
		    imp->tname[imp->ntables]);
		strbuf_printf(&imp->tables, "table %s ",
		    imp->tname[imp->ntables]);
		imp_quote(&imp->tables, strbuf_str(&dst));
		strbuf_printf(&imp->tables, "    # from %s\n", src);
		strbuf_puts(&imp->compile, "relayguardctl compile ");
		shell_quote(&imp->compile, src);
		strbuf_putc(&imp->compile, ' ');
		shell_quote(&imp->compile, strbuf_str(&dst));
		strbuf_putc(&imp->compile, '\n');
		strbuf_free(&dst);
	}
	return (imp->tname[imp->ntables++]);
}

/* imp_table - declare (once) the table compiled from src */
const char *
imp_table(struct imp *imp, const char *what, const char *src, int *permits)
{
	char   *text;
	size_t  i;
	int     perm = 0;

	for (i = 0; i < imp->ntables; i++)
		if (strcmp(imp->tsrc[i], src) == 0) {
			*permits = imp->tpermits[i];
			return (imp->tname[i]);
		}
	if ((text = imp_read_text(src)) == NULL) {
		imp_error(imp, "%s: table source %s: %s", what, src,
		    strerror(errno));
		return (NULL);
	}
	each_entry(imp, what, src, text, check_value, &perm);
	free(text);
	return (declare(imp, src, perm, permits));
}

/* imp_gen_table - a table whose source the import writes */
const char *
imp_gen_table(struct imp *imp, const char *name, char *text)
{
	struct strbuf path = STRBUF_INIT;
	const char *t;
	int     permits;

	strbuf_printf(&path, "%s/%s.access", imp->tabledir, name);
	imp->gpath = xreallocarray(imp->gpath, imp->ngen + 1,
	    sizeof(*imp->gpath));
	imp->gtext = xreallocarray(imp->gtext, imp->ngen + 1,
	    sizeof(*imp->gtext));
	imp->gpath[imp->ngen] = xstrdup(strbuf_str(&path));
	imp->gtext[imp->ngen++] = text;
	t = declare(imp, strbuf_str(&path), 0, &permits);
	strbuf_free(&path);
	return (t);
}

/* imp_write_generated - write the generated table sources */
int
imp_write_generated(struct imp *imp)
{
	size_t  i;
	FILE   *fp;

	for (i = 0; i < imp->ngen; i++) {
		if ((fp = fopen(imp->gpath[i], "w")) == NULL ||
		    fputs(imp->gtext[i], fp) == EOF || fclose(fp) != 0) {
			fprintf(stderr, "relayguardctl: import: %s: %s\n",
			    imp->gpath[i], strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/* add_key - each_entry callback: append the key */
static void
add_key(struct imp *imp, const char *what, const char *src, size_t line,
	char *key, char *val, void *ctx)
{
	struct strbuf *sb = ctx;

	(void) imp;
	(void) what;
	(void) src;
	(void) line;
	(void) val;
	if (sb->len)
		strbuf_putc(sb, ' ');
	strbuf_puts(sb, key);
}

/* imp_list_items - the keys of a table or list source */
int
imp_list_items(struct imp *imp, const char *what, const char *src,
	struct strbuf *sb)
{
	char   *text;
	int     before = imp->nerr;

	if ((text = imp_read_text(src)) == NULL) {
		imp_error(imp, "%s: %s: %s", what, src, strerror(errno));
		return (-1);
	}
	each_entry(imp, what, src, text, add_key, sb);
	free(text);
	return (imp->nerr > before ? -1 : 0);
}

/* imp_output - the configuration, in a fixed order */
void
imp_output(struct imp *imp, struct strbuf *out)
{
	static const char *const names[RULES_NSTAGES] = {
		"connect", "helo", "mail", "rcpt",
	};
	int     i;

	strbuf_printf(out, "# relayguard.conf imported from %s\n",
	    imp->source);
	strbuf_puts(out, "# by relayguardctl import. Check it with "
	    "relayguard -n -c FILE and\n# relayguardctl compare before "
	    "using it.\n");
	if (imp->nuntrans) {
		strbuf_puts(out, "#\n# NOT TRANSLATED (imported with "
		    "--partial; these decide nothing here):\n");
		strbuf_puts(out, strbuf_str(&imp->untrans));
	}
	if (imp->notes.len) {
		strbuf_puts(out, "#\n# Notes:\n");
		strbuf_puts(out, strbuf_str(&imp->notes));
	}
	if (imp->compile.len) {
		const char *p = strbuf_str(&imp->compile), *nl;

		strbuf_puts(out, "#\n# Build the tables with:\n");
		for (; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			strbuf_puts(out, "#   ");
			strbuf_append(out, p, (size_t) (nl - p) + 1);
		}
	}
	strbuf_printf(out, "\ndelay-reject  %s\n",
	    imp->delay_reject ? "yes" : "no");
	if (imp->lists.len) {
		strbuf_putc(out, '\n');
		strbuf_puts(out, strbuf_str(&imp->lists));
	}
	if (imp->tables.len) {
		strbuf_putc(out, '\n');
		strbuf_puts(out, strbuf_str(&imp->tables));
	}
	for (i = 0; i < RULES_NSTAGES; i++) {
		if (imp->block[i].len == 0)
			continue;
		strbuf_printf(out, "\n%s {\n%s}\n", names[i],
		    strbuf_str(&imp->block[i]));
	}
}
