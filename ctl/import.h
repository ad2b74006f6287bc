#ifndef RG_IMPORT_H
#define RG_IMPORT_H

/*
 * import - what the importers (import_postfix.c, import_sendmail.c)
 * share: the configuration being written, its tables, and the lists of
 * what could not be translated.
 */
#include <stddef.h>

#include "common/strbuf.h"
#include "rules/rules.h"

struct imp {
	const char *source;		/* what was imported, for the header */
	const char *tabledir;		/* where compiled tables go */
	int	delay_reject;
	struct strbuf untrans;		/* "#   what: why\n" */
	int	nuntrans;
	struct strbuf errs;		/* hard errors, one per line */
	int	nerr;
	struct strbuf notes;		/* "#   text\n" for the header */
	struct strbuf lists;		/* list statements */
	struct strbuf tables;		/* table statements */
	struct strbuf compile;		/* compile commands, shell syntax */
	struct strbuf block[RULES_NSTAGES];
	char  **tsrc;			/* table sources already declared */
	char  **tname;
	int    *tpermits;		/* that table has permitting values */
	size_t	ntables;
	char  **gpath;			/* table sources the import writes */
	char  **gtext;
	size_t	ngen;
};

/* imp_init, imp_free - an empty import */
extern void imp_init(struct imp *, const char *source, const char *tabledir);
extern void imp_free(struct imp *);

/* imp_untranslatable - record something with no relayguard equivalent */
extern void imp_untranslatable(struct imp *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* imp_error - record an error: nothing will be written */
extern void imp_error(struct imp *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* imp_note - a line for the header of the output */
extern void imp_note(struct imp *, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* imp_rule - append one line to the block of a stage */
extern void imp_rule(struct imp *, enum rules_stage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * imp_table - declare the table compiled from access(5) source src
 * (once per source) and return its name, valid as long as the import.
 * what names the parameter for messages. The source is read and each
 * value checked as relayguardctl compile would; *permits says whether
 * some value permits. Returns NULL after recording an error.
 */
extern const char *imp_table(struct imp *, const char *what, const char *src,
	int *permits);

/*
 * imp_gen_table - declare a table whose access(5) source the import
 * writes (text, owned by the import after the call) as
 * TABLEDIR/name.access; returns the table's name.
 */
extern const char *imp_gen_table(struct imp *, const char *name, char *text);

/* imp_write_generated - write the generated sources; 0, or -1 (printed) */
extern int imp_write_generated(struct imp *);

/*
 * imp_list_items - the keys of access(5) or list source src, appended
 * to sb separated by spaces; 0, or -1 after recording an error.
 */
extern int imp_list_items(struct imp *, const char *what, const char *src,
	struct strbuf *sb);

/* imp_quote - append s to sb as a relayguard string ("...") */
extern void imp_quote(struct strbuf *sb, const char *s);

/*
 * imp_read_text - a whole file as a string (free with free(3)); NULL
 * with errno set when it cannot be read.
 */
extern char *imp_read_text(const char *path);

/*
 * imp_output - the whole configuration into out: header, the
 * untranslated list, settings, lists, tables, blocks.
 */
extern void imp_output(struct imp *, struct strbuf *out);

#endif
