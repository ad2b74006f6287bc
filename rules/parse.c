/*
 * NAME
 *	parse 3
 * SUMMARY
 *	parse and compile a relayguard configuration
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	struct rules *rules_parse(const char *name, const char *text,
 *		unsigned flags, struct strbuf *errs)
 *
 *	#include "rules/parse_int.h"
 *
 *	void	perr_at(struct parser *p, const struct source_pos *pos,
 *		const char *fmt, ...)
 *	int	check_items(struct parser *p, const struct items *it,
 *		enum item_type type, const char *fact, const char *usage)
 *	struct set *build_set(const struct items *it, enum item_type type)
 * DESCRIPTION
 *	A hand-written recursive-descent parser for the language of spec
 *	section 2:
 *
 *	file	 := { stmt NL }
 *	stmt	 := setting VALUE | list | table | include | block
 *		  | "cert-identity" "<" NAME ">"
 *	list	 := "list" NAME ( "{" items "}" | "file" STRING )
 *	table	 := "table" NAME [ "dynamic" ] STRING
 *		  | "table" NAME "dynamic" "redis"
 *	redis	 := "redis" "{" { WORD VALUE NL } "}"	(store/redis_conf.c)
 *	include	 := "include" STRING
 *	block	 := STAGE "{" { rule NL | include NL } "}"
 *	rule	 := ACTION [ conds ] [ STRING ] [ MARK ... ]
 *		  | "check" FACT "<" NAME ">" [ MARK ... ]
 *	MARK	 := "weak-ok" | "warn" | "name" STRING
 *	conds	 := cond { "and" cond } [ "and" limit ] | limit
 *	cond	 += [ OWNERMODE ] "sender" "not" "owned-by" FACT "in" "<" NAME ">"
 *		  | [ "not" ] FACT "blocked"
 *	OWNERMODE := "authenticated" | "known" | "unauthenticated"
 *	limit	 := "limit" RATE { RATE } [ "per" "identity" ]
 *		    [ "except" set ] [ "block-after" N [ "for" DURATION ] ]
 *		  | "networks" K "/" PERIOD [ "per" "identity" ]
 *		    [ "except" set ] [ "block" [ "for" DURATION ] ]
 *	cond	 := [ "not" ] ( FLAG | FACT "in" set | FACT "=" item )
 *	set	 := "<" NAME ">" | "{" items "}"
 *
 *	Errors are appended to errs as "file:line:col: error: message"
 *	saying what was expected and what was found. After an error the
 *	parser skips to the end of the line (or the closing brace of an
 *	item list) and goes on, so that every error is reported. Names
 *	of lists and tables are resolved when the whole file has been
 *	read (a rule may name a list defined further down; resolve.c),
 *	and the rule set is refused, and freed (free.c), if there was
 *	any error. perr_at(), check_items() and build_set() are the
 *	parser's, shared with resolve.c.
 *
 *	A list's items are kept as text and compiled once per item type
 *	it is used with; a bad item is reported at its own position (in
 *	the list file for "list NAME file"), with where the list was
 *	used.
 *
 *	With RULES_PARSE_FILE in flags, name is a file on disk; include
 *	and list file paths are relative to the directory of the
 *	including file. With RULES_LOAD_NO_TABLES, table files are not
 *	opened (their stores stay NULL); with RULES_LOAD_NO_LISTS, list
 *	files are not read (those lists are empty).
 * DIAGNOSTICS
 *	rules_parse() returns NULL when there was any error.
 * THREADS
 *	Reentrant: the parser's state (struct parser) and the rule set
 *	it builds belong to the calling thread until rules_parse()
 *	returns; the keyword and setting tables are read-only.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "rules/lex.h"
#include "rules/owner.h"
#include "rules/parse_int.h"
#include "rules/rules_int.h"
#include "store/redis.h"
#include "store/spread.h"

#define FILE_MAX	(64 * 1024 * 1024)

enum kw_kind {
	KW_SETTING,
	KW_ACTION,
	KW_STAGE,
	KW_LIST,
	KW_TABLE,
	KW_INCLUDE,
	KW_REDIS,
};

struct keyword {
	const char *name;
	enum kw_kind kind;
	int     id;
};

/* Sorted by name: searched with bsearch(). */
static const struct keyword keywords[] = {
	{"accept", KW_ACTION, ACT_ACCEPT},
	{"blocks", KW_SETTING, SET_BLOCKS},
	{"cert-identity", KW_SETTING, SET_CERT_IDENTITY},
	{"check", KW_ACTION, ACT_CHECK},
	{"connect", KW_STAGE, RULES_CONNECT},
	{"control", KW_SETTING, SET_CONTROL},
	{"delay-reject", KW_SETTING, SET_DELAY_REJECT},
	{"discard", KW_ACTION, ACT_DISCARD},
	{"helo", KW_STAGE, RULES_HELO},
	{"include", KW_INCLUDE, 0},
	{"limit-state", KW_SETTING, SET_LIMIT_STATE},
	{"list", KW_LIST, 0},
	{"log-level", KW_SETTING, SET_LOG_LEVEL},
	{"mail", KW_STAGE, RULES_MAIL},
	{"max-connections", KW_SETTING, SET_MAX_CONNECTIONS},
	{"milter-connect-reply", KW_SETTING, SET_MILTER_CONNECT_REPLY},
	{"milter-timeout", KW_SETTING, SET_MILTER_TIMEOUT},
	{"on-error", KW_SETTING, SET_ON_ERROR},
	{"open-relay", KW_SETTING, SET_OPEN_RELAY},
	{"permit", KW_ACTION, ACT_PERMIT},
	{"policy", KW_SETTING, SET_POLICY},
	{"policy-permit", KW_SETTING, SET_POLICY_PERMIT},
	{"rcpt", KW_STAGE, RULES_RCPT},
	{"recipient-delimiter", KW_SETTING, SET_DELIMITER},
	{"redis", KW_REDIS, 0},
	{"reject", KW_ACTION, ACT_REJECT},
	{"socket", KW_SETTING, SET_SOCKET},
	{"table", KW_TABLE, 0},
	{"tempfail", KW_ACTION, ACT_TEMPFAIL},
	{"user", KW_SETTING, SET_USER},
};

static const char *const setting_names[SET_NSETTINGS] = {
	"socket", "control", "user", "on-error", "delay-reject",
	"recipient-delimiter", "log-level", "open-relay",
	"milter-timeout", "max-connections", "blocks", "limit-state",
	"policy", "policy-permit", "milter-connect-reply", "cert-identity",
};

/* perr - report an error at the current token */
static void
perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
perr(struct parser *p, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rules_error(p->errs, &p->nerr, p->lex->file, p->lex->tok.line,
	    p->lex->tok.col, "%s", msg);
}

/* perr_at - report an error at a position */
void
perr_at(struct parser *p, const struct source_pos *pos, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rules_error(p->errs, &p->nerr, pos->file, pos->line, pos->col, "%s",
	    msg);
}

/* found - how the current token reads in a message */
static const char *
found(struct parser *p, char *buf, size_t len)
{
	lex_describe(&p->lex->tok, buf, len);
	return (buf);
}

/* expected - "expected WHAT, found TOKEN" */
static void
expected(struct parser *p, const char *what)
{
	char    buf[100];

	/* A bad token was reported by the lexer: say nothing more. */
	if (p->lex->tok.type == TOK_BAD)
		return;
	perr(p, "expected %s, found %s", what, found(p, buf, sizeof(buf)));
}

/* intern - keep a file name for the lifetime of the rule set */
static const char *
intern(struct rules *r, const char *file)
{
	size_t  i;

	for (i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i], file) == 0)
			return (r->files[i]);
	r->files = xreallocarray(r->files, r->nfiles + 1, sizeof(*r->files));
	r->files[r->nfiles] = xstrdup(file);
	return (r->files[r->nfiles++]);
}

/* here - the current token's position */
static struct source_pos
here(struct parser *p)
{
	struct source_pos pos;

	pos.file = p->lex->file;
	pos.line = p->lex->tok.line;
	pos.col = p->lex->tok.col;
	return (pos);
}

/* tok_is - is the current token this bare word? */
static int
tok_is(struct parser *p, const char *word)
{
	return (p->lex->tok.type == TOK_WORD &&
	    strcmp(p->lex->tok.text, word) == 0);
}

/* at_eol - is the current token the end of a statement? */
static int
at_eol(struct parser *p)
{
	return (p->lex->tok.type == TOK_NL || p->lex->tok.type == TOK_EOF);
}

/*
 * sync - skip to the end of the line, over whole { } groups. In a
 * block, a '}' that closes the block is left for the block.
 */
static void
sync(struct parser *p, int in_block)
{
	int     depth = 0;

	for (;;) {
		switch (p->lex->tok.type) {
		case TOK_EOF:
			return;
		case TOK_NL:
			if (depth == 0)
				return;
			break;
		case TOK_LBRACE:
			depth++;
			break;
		case TOK_RBRACE:
			if (depth == 0 && in_block)
				return;
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		lex_next(p->lex);
	}
}

/* expect_eol - the statement must end here */
static void
expect_eol(struct parser *p, int in_block)
{
	if (at_eol(p) || (in_block && p->lex->tok.type == TOK_RBRACE))
		return;
	expected(p, "end of line");
	sync(p, in_block);
}

/* keyword_cmp - bsearch comparison */
static int
keyword_cmp(const void *key, const void *elt)
{
	return (strcmp(key, ((const struct keyword *) elt)->name));
}

/* keyword_find - look a bare word up in the keyword table */
static const struct keyword *
keyword_find(const char *word)
{
	return (bsearch(word, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), keyword_cmp));
}

/* name_ok - list and table names: letters, digits, - _ . */
static int
name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return (0);
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && strchr("-_.", *s) == NULL)
			return (0);
	return (1);
}

/* resolve_path - a path relative to the directory of the current file */
static char *
resolve_path(const char *current, const char *path)
{
	const char *slash;
	char   *out;
	size_t  n;

	if (path[0] == '/' || (slash = strrchr(current, '/')) == NULL)
		return (xstrdup(path));
	n = (size_t) (slash - current) + 1 + strlen(path) + 1;
	out = xmalloc(n);
	snprintf(out, n, "%.*s/%s", (int) (slash - current), current, path);
	return (out);
}

/* read_file - the whole file in memory; NULL with errno */
static char *
read_file(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char    buf[65536];
	struct stat st;
	FILE   *fp;
	size_t  n;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		errno = EISDIR;
		return (NULL);
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		strbuf_append(&sb, buf, n);
		if (sb.len > FILE_MAX) {
			fclose(fp);
			strbuf_free(&sb);
			errno = EFBIG;
			return (NULL);
		}
	}
	if (ferror(fp)) {
		int     e = errno;

		fclose(fp);
		strbuf_free(&sb);
		errno = e ? e : EIO;
		return (NULL);
	}
	fclose(fp);
	strbuf_puts(&sb, "");
	*len = sb.len;
	return (strbuf_detach(&sb));
}

/* name_taken - report a duplicate list or table name */
static int
name_taken(struct parser *p, const char *name)
{
	const struct source_pos *first = NULL;
	struct list *l;
	struct table *t;

	if ((l = find_list(p->r, name)) != NULL)
		first = &l->pos;
	else if ((t = find_table(p->r, name)) != NULL)
		first = &t->pos;
	if (first == NULL)
		return (0);
	perr(p, "duplicate name '%s' (first defined at %s:%d)", name,
	    first->file, first->line);
	return (1);
}

/* items_add - append one item */
static void
items_add(struct items *it, const char *text, int regex, int icase,
	struct source_pos pos)
{
	it->v = xreallocarray(it->v, it->n + 1, sizeof(*it->v));
	it->pos = xreallocarray(it->pos, it->n + 1, sizeof(*it->pos));
	it->v[it->n].text = xstrdup(text);
	it->v[it->n].regex = regex;
	it->v[it->n].icase = icase;
	it->pos[it->n] = pos;
	it->n++;
}

/* items_free - free items not handed over */
static void
items_free(struct items *it)
{
	size_t  i;

	for (i = 0; i < it->n; i++)
		free((void *) (uintptr_t) it->v[i].text);
	free(it->v);
	free(it->pos);
}

/* parse_items - "{" items "}" across lines; current token is "{" */
static void
parse_items(struct parser *p, struct items *it)
{
	struct source_pos open = here(p);
	char    what[100];

	lex_next(p->lex);
	for (;;) {
		switch (p->lex->tok.type) {
		case TOK_NL:
			break;
		case TOK_RBRACE:
			lex_next(p->lex);
			return;
		case TOK_EOF:
			snprintf(what, sizeof(what), "'}' to close the item list "
			    "opened at line %d", open.line);
			expected(p, what);
			return;
		case TOK_WORD:
		case TOK_STRING:
		case TOK_REGEX:
			items_add(it, p->lex->tok.text,
			    p->lex->tok.type == TOK_REGEX, p->lex->tok.icase,
			    here(p));
			break;
		case TOK_BAD:
			break;
		default:
			expected(p, "an item or '}'");
			break;
		}
		lex_next(p->lex);
	}
}

/* check_items - report every item that is wrong for the type */
int
check_items(struct parser *p, const struct items *it, enum item_type type,
	const char *fact, const char *usage)
{
	struct source_pos pos;
	char    err[256];
	size_t  i, at;
	int     bad = 0;

	for (i = 0; i < it->n; i++) {
		if (it->v[i].regex && type != ITEM_ADDRESS &&
		    rules_rx_check(it->v[i].text, &at, err, sizeof(err)) < 0) {
			/*
			 * Point at the culprit inside /.../. XXX an escaped
			 * slash before it ("\/") puts the column one short.
			 */
			pos = it->pos[i];
			pos.col += 1 + (int) at;
			perr_at(p, &pos, "/%s/: %s", it->v[i].text, err);
			bad = 1;
			continue;
		}
		if (set_item_check(type, &it->v[i], err, sizeof(err)) == 0)
			continue;
		perr_at(p, &it->pos[i], "%s%s%s is not a valid %s item for %s: "
		    "%s%s", it->v[i].regex ? "/" : "'", it->v[i].text,
		    it->v[i].regex ? "/" : "'", rules_item_type_names[type],
		    fact, err, usage);
		bad = 1;
	}
	return (bad ? -1 : 0);
}

/* build_set - compile checked items */
struct set *
build_set(const struct items *it, enum item_type type)
{
	char    err[256];
	size_t  bad;

	return (set_build(type, it->v, it->n, &bad, err, sizeof(err)));
}

/* parse_list_file - read "list NAME file PATH" items */
static void
parse_list_file(struct parser *p, const char *path, struct items *it)
{
	struct source_pos pos = here(p);
	const char *file;
	char   *full, *text, *line, *end, *s, *e, *hash;
	size_t  len;
	int     lineno = 0;

	if ((p->flags & RULES_LOAD_NO_LISTS) != 0)
		return;
	full = resolve_path(p->lex->file, path);
	if ((text = read_file(full, &len)) == NULL) {
		perr_at(p, &pos, "cannot read list file '%s': %s", full,
		    strerror(errno));
		free(full);
		return;
	}
	file = intern(p->r, full);
	free(full);
	for (line = text; line < text + len; line = end + 1) {
		lineno++;
		if ((end = memchr(line, '\n', (size_t) (text + len - line))) == NULL)
			end = text + len;
		*end = '\0';
		/* A '#' at the start or after white space begins a comment. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || isspace((unsigned char) hash[-1])) {
				*hash = '\0';
				break;
			}
		for (s = line; isspace((unsigned char) *s); s++)
			 /* void */ ;
		for (e = s + strlen(s); e > s && isspace((unsigned char) e[-1]); e--)
			 /* void */ ;
		*e = '\0';
		if (*s == '\0')
			continue;
		pos.file = file;
		pos.line = lineno;
		pos.col = (int) (s - line) + 1;
		if (s[0] == '/' && e - s >= 2 && (e[-1] == '/' ||
		    (e[-1] == 'i' && e - s >= 3 && e[-2] == '/'))) {
			int     icase = e[-1] == 'i';

			e[icase ? -2 : -1] = '\0';
			items_add(it, s + 1, 1, icase, pos);
		} else {
			items_add(it, s, 0, 0, pos);
		}
	}
	free(text);
}

/*
 * decl_name - the NAME of "list NAME" or "table NAME" (what): a copy
 * for the caller to free, or NULL when it is missing, malformed or
 * taken (reported, and the parser moved to the next line).
 */
static char *
decl_name(struct parser *p, const char *what, struct source_pos *pos)
{
	char    want[64];

	lex_next(p->lex);
	if (p->lex->tok.type != TOK_WORD) {
		snprintf(want, sizeof(want), "a %s name after '%s'", what, what);
		expected(p, want);
		sync(p, 0);
		return (NULL);
	}
	*pos = here(p);
	if (!name_ok(p->lex->tok.text)) {
		perr(p, "bad %s name '%s' (letters, digits, '-', '_', '.')",
		    what, p->lex->tok.text);
		sync(p, 0);
		return (NULL);
	}
	if (name_taken(p, p->lex->tok.text)) {
		sync(p, 0);
		return (NULL);
	}
	return (xstrdup(p->lex->tok.text));
}

/* parse_list - "list NAME { items }" or "list NAME file PATH" */
static void
parse_list(struct parser *p)
{
	struct items it = {0};
	struct list *l;
	struct source_pos pos;
	char   *name;

	if ((name = decl_name(p, "list", &pos)) == NULL)
		return;
	lex_next(p->lex);
	if (p->lex->tok.type == TOK_LBRACE) {
		parse_items(p, &it);
	} else if (tok_is(p, "file")) {
		lex_next(p->lex);
		if (p->lex->tok.type != TOK_STRING) {
			expected(p, "a quoted file name after 'file'");
			sync(p, 0);
			free(name);
			return;
		}
		parse_list_file(p, p->lex->tok.text, &it);
		lex_next(p->lex);
	} else {
		char    what[120];

		snprintf(what, sizeof(what), "'{' or 'file' after list %s", name);
		expected(p, what);
		sync(p, 0);
		free(name);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->name = name;
	l->pos = pos;
	l->items = it.v;
	l->item_pos = it.pos;
	l->nitems = it.n;
	p->r->lists = xreallocarray(p->r->lists, p->r->nlists + 1,
	    sizeof(*p->r->lists));
	p->r->lists[p->r->nlists++] = l;
	expect_eol(p, 0);
}

/* parse_table - "table NAME [dynamic] PATH" */
static void
parse_table(struct parser *p)
{
	struct table *t;
	struct source_pos pos, ppos;
	char   *name, *path;
	char    err[256];
	int     dynamic = 0;

	if ((name = decl_name(p, "table", &pos)) == NULL)
		return;
	lex_next(p->lex);
	if (tok_is(p, "dynamic")) {
		dynamic = 1;
		lex_next(p->lex);
	}
	if (dynamic && tok_is(p, "redis")) {
		/* Opened when the whole file is read (open_redis_tables). */
		t = xcalloc(1, sizeof(*t));
		t->name = name;
		t->pos = pos;
		t->path = xstrdup("redis");
		t->dynamic = t->redis = 1;
		p->r->tables = xreallocarray(p->r->tables, p->r->ntables + 1,
		    sizeof(*p->r->tables));
		p->r->tables[p->r->ntables++] = t;
		lex_next(p->lex);
		expect_eol(p, 0);
		return;
	}
	if (p->lex->tok.type != TOK_STRING) {
		expected(p, dynamic ? "a quoted file name or 'redis' after "
		    "'dynamic'" :
		    "'dynamic' or a quoted file name");
		sync(p, 0);
		free(name);
		return;
	}
	ppos = here(p);
	path = resolve_path(p->lex->file, p->lex->tok.text);
	t = xcalloc(1, sizeof(*t));
	t->name = name;
	t->pos = pos;
	t->path = path;
	t->dynamic = dynamic;
	err[0] = '\0';
	if ((p->flags & RULES_LOAD_NO_TABLES) != 0)
		t->store = NULL;
	else if (store_open(path, dynamic, &t->store, err, sizeof(err)) < 0) {
		perr_at(p, &ppos, "cannot open table '%s': %s", path,
		    err[0] ? err : "error");
		t->store = NULL;
	}
	p->r->tables = xreallocarray(p->r->tables, p->r->ntables + 1,
	    sizeof(*p->r->tables));
	p->r->tables[p->r->ntables++] = t;
	lex_next(p->lex);
	expect_eol(p, 0);
}

/* parse_redis - "redis { NAME VALUE ... }": the values go to store/ */
static void
parse_redis(struct parser *p)
{
	struct source_pos pos = here(p);
	char    name[64], err[512];

	if (p->r->redis != NULL) {
		perr(p, "a second redis section (the first is at %s:%d)",
		    p->r->redis_pos.file, p->r->redis_pos.line);
		sync(p, 0);
		return;
	}
	p->r->settings.redis = p->r->redis = redis_conf_new();
	p->r->redis_pos = pos;
	lex_next(p->lex);
	if (p->lex->tok.type != TOK_LBRACE) {
		expected(p, "'{' after redis");
		sync(p, 0);
		return;
	}
	for (lex_next(p->lex);; lex_next(p->lex)) {
		if (p->lex->tok.type == TOK_NL)
			continue;
		if (p->lex->tok.type == TOK_RBRACE || p->lex->tok.type ==
		    TOK_EOF)
			break;
		if (p->lex->tok.type != TOK_WORD) {
			expected(p, "a redis setting or '}'");
			sync(p, 1);
			if (p->lex->tok.type != TOK_NL)
				break;
			continue;
		}
		snprintf(name, sizeof(name), "%s", p->lex->tok.text);
		lex_next(p->lex);
		if (p->lex->tok.type != TOK_WORD &&
		    p->lex->tok.type != TOK_STRING) {
			expected(p, "a value");
			sync(p, 1);
		} else {
			if (redis_conf_set(p->r->redis, name, p->lex->tok.text,
			    p->lex->file, err, sizeof(err)) < 0)
				perr(p, "%s", err);
			lex_next(p->lex);
			expect_eol(p, 1);
		}
		if (p->lex->tok.type != TOK_NL)
			break;
	}
	if (p->lex->tok.type != TOK_RBRACE) {
		expected(p, "'}' closing the redis section");
		return;
	}
	if (redis_conf_check(p->r->redis, err, sizeof(err)) < 0)
		perr_at(p, &pos, "%s", err);
	lex_next(p->lex);
	expect_eol(p, 0);
}

/*
 * open_redis_tables - "table NAME dynamic redis" once the file is read.
 * Also under RULES_LOAD_NO_TABLES: opening one connects nothing, and
 * relayguardctl reaches such a table only through its handle.
 */
static void
open_redis_tables(struct parser *p)
{
	const struct rules_settings *s = &p->r->settings;
	struct table *t;
	char    err[256];
	size_t  i;

	if (p->r->redis == NULL && s->blocks != NULL &&
	    strcmp(s->blocks, RULES_IN_REDIS) == 0)
		perr_at(p, &p->setting_pos[SET_BLOCKS], "blocks redis but "
		    "there is no redis section");
	if (p->r->redis == NULL && s->limit_state != NULL &&
	    strcmp(s->limit_state, RULES_IN_REDIS) == 0)
		perr_at(p, &p->setting_pos[SET_LIMIT_STATE], "limit-state "
		    "redis but there is no redis section");
	for (i = 0; i < p->r->ntables; i++) {
		t = p->r->tables[i];
		if (!t->redis)
			continue;
		if (p->r->redis == NULL)
			perr_at(p, &t->pos, "table %s is 'dynamic redis' but "
			    "there is no redis section", t->name);
		else if (p->nerr == 0 && store_open_redis(p->r->redis,
		    t->name, &t->store, err, sizeof(err)) < 0)
			perr_at(p, &t->pos, "%s", err);
	}
}

/* parse_seconds - "30", "30s", "2m"; 0, or -1 when malformed */
static int
parse_seconds(const char *v, int *out)
{
	char   *end;
	long    n;

	if (*v < '0' || *v > '9')
		return (-1);
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || n > 100000)
		return (-1);
	if (strcmp(end, "m") == 0)
		n *= 60;
	else if (*end != 0 && strcmp(end, "s") != 0)
		return (-1);
	*out = (int) n;
	return (0);
}

/* parse_setting - NAME VALUE */
static void
parse_setting(struct parser *p, int id)
{
	struct rules_settings *s = &p->r->settings;
	struct source_pos pos = here(p);
	const char *v;
	char    what[100];

	if (p->setting_pos[id].file != NULL) {
		perr(p, "%s is already set at %s:%d", setting_names[id],
		    p->setting_pos[id].file, p->setting_pos[id].line);
		sync(p, 0);
		return;
	}
	p->setting_pos[id] = pos;
	lex_next(p->lex);
	if (id == SET_CERT_IDENTITY) {
		/* A table name, resolved with the others (resolve.c). */
		if (p->lex->tok.type != TOK_SETREF) {
			expected(p, "a table <name> after cert-identity");
			sync(p, 0);
			return;
		}
		p->r->set_cert_identity = xstrdup(p->lex->tok.text);
		p->r->cert_identity_pos = here(p);
		lex_next(p->lex);
		expect_eol(p, 0);
		return;
	}
	if (p->lex->tok.type != TOK_WORD && p->lex->tok.type != TOK_STRING) {
		snprintf(what, sizeof(what), "a value after %s",
		    setting_names[id]);
		expected(p, what);
		sync(p, 0);
		return;
	}
	v = p->lex->tok.text;
	switch (id) {
	case SET_SOCKET:
	case SET_CONTROL:
	case SET_USER:
	case SET_BLOCKS:
	case SET_LIMIT_STATE:
	case SET_POLICY:
		if (*v == '\0') {
			perr(p, "%s must not be empty", setting_names[id]);
			break;
		}
		if (id == SET_BLOCKS)
			s->blocks = p->r->set_blocks = xstrdup(v);
		else if (id == SET_SOCKET)
			s->socket = p->r->set_socket = xstrdup(v);
		else if (id == SET_CONTROL)
			s->control = p->r->set_control = xstrdup(v);
		else if (id == SET_LIMIT_STATE)
			s->limit_state = p->r->set_limit_state = xstrdup(v);
		else if (id == SET_POLICY)
			s->policy = p->r->set_policy = xstrdup(v);
		else
			s->user = p->r->set_user = xstrdup(v);
		break;
	case SET_ON_ERROR:
		if (strcmp(v, "tempfail") == 0)
			s->on_error = RULES_ON_ERROR_TEMPFAIL;
		else if (strcmp(v, "reject") == 0)
			s->on_error = RULES_ON_ERROR_REJECT;
		else if (strcmp(v, "accept") == 0)
			s->on_error = RULES_ON_ERROR_ACCEPT;
		else
			expected(p, "tempfail, reject or accept");
		break;
	case SET_DELAY_REJECT:
		if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
			s->delay_reject = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0)
			s->delay_reject = 0;
		else
			expected(p, "yes or no");
		break;
	case SET_DELIMITER:
		if (*v == '\0' || strpbrk(v, "@<>\" \t%!") != NULL ||
		    strlen(v) > 8) {
			perr(p, "bad recipient-delimiter \"%s\" (one or more "
			    "characters such as \"+\" or \"+-\"; not @, %%, !, "
			    "quotes or white space)", v);
			break;
		}
		s->recipient_delimiter = p->r->set_delim = xstrdup(v);
		break;
	case SET_LOG_LEVEL:
		if (strcmp(v, "error") == 0)
			s->log_level = 0;
		else if (strcmp(v, "warning") == 0)
			s->log_level = 1;
		else if (strcmp(v, "info") == 0)
			s->log_level = 2;
		else if (strcmp(v, "debug") == 0)
			s->log_level = 3;
		else
			expected(p, "error, warning, info or debug");
		break;
	case SET_OPEN_RELAY:
		if (strcmp(v, "allow") == 0)
			s->open_relay_allow = 1;
		else if (strcmp(v, "refuse") == 0)
			s->open_relay_allow = 0;
		else
			expected(p, "refuse or allow");
		break;
	case SET_MILTER_TIMEOUT:
		if (parse_seconds(v, &s->milter_timeout) < 0 ||
		    s->milter_timeout < 1 || s->milter_timeout > 3600)
			perr(p, "bad milter-timeout \"%s\" (seconds from 1 to "
			    "3600, with an optional unit s or m: 30s, 2m)", v);
		break;
	case SET_MILTER_CONNECT_REPLY:
		if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
			s->milter_connect_reply = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0)
			s->milter_connect_reply = 0;
		else
			expected(p, "yes or no");
		break;
	case SET_POLICY_PERMIT:
		if (strcmp(v, "ok") == 0)
			s->policy_permit_dunno = 0;
		else if (strcmp(v, "dunno") == 0)
			s->policy_permit_dunno = 1;
		else
			expected(p, "ok or dunno");
		break;
	case SET_MAX_CONNECTIONS:
		if (parse_seconds(v, &s->max_connections) < 0 ||
		    strspn(v, "0123456789") != strlen(v) ||
		    s->max_connections < 1 || s->max_connections > 60000)
			perr(p, "bad max-connections \"%s\" (a number from 1 "
			    "to 60000)", v);
		break;
	}
	lex_next(p->lex);
	expect_eol(p, 0);
}

/* slice - source text from start to end, white space collapsed */
static char *
slice(struct parser *p, size_t start, size_t end)
{
	struct strbuf sb = STRBUF_INIT;
	size_t  i;
	int     sp = 0;

	for (i = start; i < end && i < p->lex->len; i++) {
		int     c = (unsigned char) p->lex->text[i];

		if (c == '#') {	/* a comment inside a multi-line set */
			while (i < end && p->lex->text[i] != '\n')
				i++;
			sp = 1;
			continue;
		}
		if (isspace(c)) {
			sp = 1;
			continue;
		}
		if (sp && sb.len > 0)
			strbuf_putc(&sb, ' ');
		sp = 0;
		strbuf_putc(&sb, c);
	}
	strbuf_puts(&sb, "");
	return (strbuf_detach(&sb));
}

/* add_cond - append a condition to a rule; returns its index */
static size_t
add_cond(struct rule *rule, struct cond *c)
{
	rule->conds = xreallocarray(rule->conds, rule->nconds + 1,
	    sizeof(*rule->conds));
	rule->conds[rule->nconds] = *c;
	return (rule->nconds++);
}

/* add_ref - remember a <name> to resolve later */
static void
add_ref(struct parser *p, struct rule *rule, size_t cond, int fact,
	struct source_pos pos)
{
	p->refs = xreallocarray(p->refs, p->nrefs + 1, sizeof(*p->refs));
	p->refs[p->nrefs].rule = rule;
	p->refs[p->nrefs].cond = cond;
	p->refs[p->nrefs].name = xstrdup(p->lex->tok.text);
	p->refs[p->nrefs].fact = fact;
	p->refs[p->nrefs].pos = pos;
	p->nrefs++;
}

/* inline_set - compile items for a fact; NULL (reported) when bad */
static const struct set *
inline_set(struct parser *p, struct items *it, const struct fact_def *f)
{
	struct set *set;

	if (check_items(p, it, f->type, f->name, "") < 0)
		return (NULL);
	if ((set = build_set(it, f->type)) == NULL)
		return (NULL);
	p->r->inline_sets = xreallocarray(p->r->inline_sets, p->r->ninline + 1,
	    sizeof(*p->r->inline_sets));
	p->r->inline_sets[p->r->ninline++] = set;
	return (set);
}

/* stage_ok - may a fact or flag of stage fs be used in stage s? */
static int
stage_ok(struct parser *p, const struct source_pos *pos, const char *what,
	enum rules_stage fs, enum rules_stage s)
{
	if (fs <= s)
		return (1);
	perr_at(p, pos, "%s is not known in the %s stage (it is known from %s "
	    "on)", what, rules_stage_names[s], rules_stage_names[fs]);
	return (0);
}

/*
 * cond_setref - a condition ending at the <name> under the cursor:
 * kept (its name resolved later) unless bad; returns 0
 */
static int
cond_setref(struct parser *p, struct rule *rule, struct cond *c,
	size_t start, int bad)
{
	c->text = slice(p, start, p->lex->tok.end);
	if (!bad)
		add_ref(p, rule, add_cond(rule, c), c->id, here(p));
	else
		free(c->text);
	lex_next(p->lex);
	return (0);
}

/*
 * parse_owner - "[MODE] sender not owned-by FACT in <logins>", Postfix's
 * sender login mismatch restrictions (owner.c); the caller has read
 * the mode word (NULL: none) and "sender". Only a refusing rule may
 * hold one: the condition says who must not send, never who may.
 */
static int
parse_owner(struct parser *p, struct rule *rule, enum rules_stage stage,
	size_t start, const char *mode, const struct source_pos *pos)
{
	const struct fact_def *f;
	struct source_pos fpos;
	struct cond c;
	int     bad = 0;

	memset(&c, 0, sizeof(c));
	c.kind = COND_OWNER;
	c.mode = mode == NULL ? OWNER_MISMATCH :
	    strcmp(mode, "authenticated") == 0 ? OWNER_AUTHENTICATED :
	    strcmp(mode, "known") == 0 ? OWNER_KNOWN : OWNER_UNAUTHENTICATED;
	if (!tok_is(p, "not")) {
		expected(p, "'not owned-by' after sender");
		return (-1);
	}
	lex_next(p->lex);
	if (!tok_is(p, "owned-by")) {
		expected(p, "'owned-by' after 'sender not'");
		return (-1);
	}
	lex_next(p->lex);
	fpos = here(p);
	if (p->lex->tok.type != TOK_WORD ||
	    (f = rules_fact_find(p->lex->tok.text)) == NULL ||
	    (f->id != RULES_FACT_IDENTITY && f->id != RULES_FACT_AUTH)) {
		expected(p, "identity or auth after 'owned-by'");
		return (-1);
	}
	c.id = (int) f->id;
	if (!stage_ok(p, pos, "sender", RULES_MAIL, stage) ||
	    !stage_ok(p, &fpos, f->name, f->stage, stage))
		bad = 1;
	if (rule->action != ACT_REJECT && rule->action != ACT_TEMPFAIL &&
	    rule->action != ACT_DISCARD) {
		perr_at(p, pos, "an ownership condition refuses: use it in a "
		    "reject, tempfail or discard rule, not %s",
		    rules_action_names[rule->action]);
		bad = 1;
	}
	lex_next(p->lex);
	if (!tok_is(p, "in")) {
		expected(p, "'in <login-map>'");
		return (-1);
	}
	lex_next(p->lex);
	if (p->lex->tok.type != TOK_SETREF) {
		expected(p, "a table <name> holding the login map");
		return (-1);
	}
	return (cond_setref(p, rule, &c, start, bad));
}

/*
 * parse_blocked - "FACT blocked": the identity (or SASL login) is in
 * the account blocks table; the caller has read the fact's name.
 */
static int
parse_blocked(struct parser *p, struct rule *rule, enum rules_stage stage,
	size_t start, struct cond *c, const char *name,
	const struct source_pos *pos)
{
	const struct fact_def *f = rules_fact_find(name);

	if (f == NULL || (f->id != RULES_FACT_IDENTITY && f->id != RULES_FACT_AUTH)) {
		perr_at(p, pos, "only identity or auth can be blocked");
		return (-1);
	}
	c->kind = COND_BLOCKED;
	c->id = (int) f->id;
	c->text = slice(p, start, p->lex->tok.end);
	lex_next(p->lex);
	if (stage_ok(p, pos, f->name, f->stage, stage)) {
		add_cond(rule, c);
		p->r->wants_blocks = 1;
	} else
		free(c->text);
	return (0);
}

/* parse_cond - one condition; returns -1 after a syntax error */
static int
parse_cond(struct parser *p, struct rule *rule, enum rules_stage stage)
{
	const struct fact_def *f;
	const struct flag_def *fl;
	struct source_pos pos;
	struct cond c;
	struct items it = {0};
	size_t  start = p->lex->tok.start;
	char    name[80];
	int     bad = 0;

	memset(&c, 0, sizeof(c));
	if (tok_is(p, "not")) {
		c.neg = 1;
		lex_next(p->lex);
	}
	if (p->lex->tok.type != TOK_WORD) {
		expected(p, "a fact or flag");
		return (-1);
	}
	pos = here(p);
	snprintf(name, sizeof(name), "%s", p->lex->tok.text);
	lex_next(p->lex);
	if (!c.neg && (strcmp(name, "authenticated") == 0 ||
	    strcmp(name, "known") == 0 || strcmp(name, "unauthenticated") == 0)) {
		if (!tok_is(p, "sender")) {
			expected(p, "sender after the ownership mode");
			return (-1);
		}
		pos = here(p);
		lex_next(p->lex);
		return (parse_owner(p, rule, stage, start, name, &pos));
	}
	if (strcmp(name, "sender") == 0 && tok_is(p, "not")) {
		if (c.neg) {
			perr_at(p, &pos, "an ownership condition cannot be "
			    "negated");
			return (-1);
		}
		return (parse_owner(p, rule, stage, start, NULL, &pos));
	}
	if (tok_is(p, "blocked"))
		return (parse_blocked(p, rule, stage, start, &c, name, &pos));
	if (tok_is(p, "in") || p->lex->tok.type == TOK_EQ) {
		int     eq = p->lex->tok.type == TOK_EQ;

		if ((f = rules_fact_find(name)) == NULL) {
			if (rules_flag_find(name) != NULL)
				perr_at(p, &pos, "%s is a flag: it stands alone, "
				    "without '%s'", name, eq ? "=" : "in");
			else
				perr_at(p, &pos, "unknown fact '%s'", name);
			bad = 1;
		} else if (!stage_ok(p, &pos, f->name, f->stage, stage))
			bad = 1;
		c.id = f ? (int) f->id : 0;
		lex_next(p->lex);
		if (!eq && p->lex->tok.type == TOK_SETREF) {
			c.kind = COND_SET;
			return (cond_setref(p, rule, &c, start, bad));
		}
		if (!eq && p->lex->tok.type == TOK_LBRACE) {
			parse_items(p, &it);
		} else if (eq && (p->lex->tok.type == TOK_WORD ||
			    p->lex->tok.type == TOK_STRING ||
			    p->lex->tok.type == TOK_REGEX)) {
			items_add(&it, p->lex->tok.text,
			    p->lex->tok.type == TOK_REGEX, p->lex->tok.icase,
			    here(p));
			lex_next(p->lex);
		} else {
			expected(p, eq ? "an item after '='" :
			    "<name> or { items } after 'in'");
			return (-1);
		}
		c.kind = COND_SET;
		c.text = slice(p, start, it.n ? p->lex->tok.start : start);
		{
			/* trim to the end of the last token read */
			char   *e = c.text + strlen(c.text);

			while (e > c.text && e[-1] == ' ')
				*--e = '\0';
		}
		if (!bad && (c.set = inline_set(p, &it, f)) != NULL)
			add_cond(rule, &c);
		else
			free(c.text);
		items_free(&it);
		return (0);
	}
	if ((fl = rules_flag_find(name)) == NULL) {
		char    buf[100];

		if ((f = rules_fact_find(name)) != NULL)
			perr_at(p, &pos, "fact '%s' needs 'in SET' or '= ITEM', "
			    "found %s", name, found(p, buf, sizeof(buf)));
		else
			perr_at(p, &pos, "unknown fact or flag '%s'", name);
		return (0);
	}
	if (!stage_ok(p, &pos, fl->name, fl->stage, stage))
		return (0);
	c.kind = COND_FLAG;
	c.id = (int) fl->id;
	c.text = slice(p, start, p->lex->tok.start);
	{
		char   *e = c.text + strlen(c.text);

		while (e > c.text && e[-1] == ' ')
			*--e = '\0';
	}
	add_cond(rule, &c);
	return (0);
}

/* trim_end - drop trailing blanks of a slice */
static char *
trim_end(char *s)
{
	char   *e = s + strlen(s);

	while (e > s && e[-1] == ' ')
		*--e = '\0';
	return (s);
}

/*
 * parse_except - "except SET" after a limit or networks clause: a
 * negated condition on the identity, added to the rule's conditions
 * so that exempt identities never reach the counters. Returns 0 (also
 * when there is no except), or -1 after a syntax error.
 */
static int
parse_except(struct parser *p, struct rule *rule)
{
	const struct fact_def *who = &rules_facts_tab[RULES_FACT_IDENTITY];
	struct items it = {0};
	struct cond c;
	size_t  cstart;

	if (!tok_is(p, "except"))
		return (0);
	memset(&c, 0, sizeof(c));
	c.kind = COND_SET;
	c.neg = 1;
	c.id = (int) who->id;
	cstart = p->lex->tok.start;
	lex_next(p->lex);
	if (p->lex->tok.type == TOK_SETREF) {
		c.text = slice(p, cstart, p->lex->tok.end);
		add_ref(p, rule, add_cond(rule, &c), c.id, here(p));
		lex_next(p->lex);
	} else if (p->lex->tok.type == TOK_LBRACE) {
		parse_items(p, &it);
		c.text = trim_end(slice(p, cstart, p->lex->tok.start));
		if ((c.set = inline_set(p, &it, who)) != NULL)
			add_cond(rule, &c);
		else
			free(c.text);
		items_free(&it);
	} else {
		expected(p, "<list> or { identities } after except");
		return (-1);
	}
	return (0);
}

/*
 * parse_subject - what a limit or networks clause counts: "[per
 * identity]"; then its text (from start) into *text, then its
 * exemptions. Returns 0, or -1 after a syntax error.
 */
static int
parse_subject(struct parser *p, struct rule *rule, size_t start,
	char **text)
{
	if (tok_is(p, "per")) {
		lex_next(p->lex);
		if (!tok_is(p, "identity")) {
			expected(p, "identity after per");
			return (-1);
		}
		lex_next(p->lex);
	}
	*text = trim_end(slice(p, start, p->lex->tok.start));
	return (parse_except(p, rule));
}

/*
 * parse_duration - "for DURATION" (1h, 2d, 30m) into *secs; nothing
 * when there is no "for". Returns 0, or -1 after a syntax error.
 */
static int
parse_duration(struct parser *p, int *secs)
{
	struct limit_window dur;
	char    err[256];

	if (!tok_is(p, "for"))
		return (0);
	lex_next(p->lex);
	snprintf(err, sizeof(err), "1/%s", p->lex->tok.text);
	if (p->lex->tok.type != TOK_WORD ||
	    limit_window_parse(err, &dur, err, sizeof(err)) < 0) {
		expected(p, "a duration such as 1h or 2d after for");
		return (-1);
	}
	*secs = (int) dur.period;
	lex_next(p->lex);
	return (0);
}

/*
 * parse_networks - "networks K/PERIOD [per identity] [except SET]
 * [block [for DURATION]]" (rules/spread.c). Returns -1 after a syntax
 * error.
 */
static int
parse_networks(struct parser *p, struct rule *rule)
{
	struct rule_spread *sp = xcalloc(1, sizeof(*sp));
	struct limit_window w;
	size_t  start = p->lex->tok.start;
	char    err[256];

	rule->spread = sp;
	if (rule->action != ACT_TEMPFAIL && rule->action != ACT_REJECT)
		perr(p, "networks needs tempfail or reject: the answer over "
		    "the count");
	lex_next(p->lex);
	if (p->lex->tok.type != TOK_WORD ||
	    limit_window_parse(p->lex->tok.text, &w, err, sizeof(err)) < 0) {
		expected(p, "a count after networks, such as 3/hour");
		return (-1);
	}
	if (w.count > SPREAD_MAX) {
		perr(p, "networks counts at most %d networks", SPREAD_MAX);
		return (-1);
	}
	sp->max = w.count;
	sp->period = w.period;
	lex_next(p->lex);
	if (parse_subject(p, rule, start, &sp->text) < 0)
		return (-1);
	if (tok_is(p, "block")) {
		sp->block = 1;
		sp->block_ttl = 3600;
		lex_next(p->lex);
		if (parse_duration(p, &sp->block_ttl) < 0)
			return (-1);
	}
	return (0);
}

/*
 * parse_limit - the limit of a rule (rules/limits.c): rates, then what
 * is counted, the exemptions (a negated condition on the identity,
 * added before the limit is looked at) and when to report an account.
 * Returns -1 after a syntax error.
 */
static int
parse_limit(struct parser *p, struct rule *rule, enum rules_stage stage)
{
	struct rule_limit *lim = xcalloc(1, sizeof(*lim));
	size_t  start = p->lex->tok.start, i;
	char    err[256], *end;
	unsigned long n;

	rule->limit = lim;
	if (stage != RULES_RCPT)
		perr(p, "limit counts recipients: it is allowed only in rcpt");
	else if (rule->action != ACT_TEMPFAIL && rule->action != ACT_REJECT)
		perr(p, "limit needs tempfail or reject: the answer over the "
		    "limit");
	lex_next(p->lex);
	while (p->lex->tok.type == TOK_WORD &&
	    isdigit((unsigned char) p->lex->tok.text[0])) {
		if (lim->nwin == LIMIT_WINDOWS_MAX) {
			perr(p, "a limit has at most %d rates", LIMIT_WINDOWS_MAX);
			return (-1);
		}
		if (limit_window_parse(p->lex->tok.text, &lim->win[lim->nwin],
		    err, sizeof(err)) < 0) {
			perr(p, "%s", err);
			return (-1);
		}
		for (i = 0; i < lim->nwin; i++)
			if (lim->win[i].period == lim->win[lim->nwin].period)
				perr(p, "two rates over the same period");
		lim->nwin++;
		lex_next(p->lex);
	}
	if (lim->nwin == 0) {
		expected(p, "a rate after limit, such as 100/hour");
		return (-1);
	}
	if (parse_subject(p, rule, start, &lim->text) < 0)
		return (-1);
	if (tok_is(p, "block-after")) {
		lex_next(p->lex);
		n = strtoul(p->lex->tok.text, &end, 10);
		if (p->lex->tok.type != TOK_WORD || *end != '\0' || n < 1 ||
		    n > LIMIT_COUNT_MAX) {
			expected(p, "a number of refusals after block-after");
			return (-1);
		}
		lim->block_after = n;
		lim->block_ttl = 3600;
		lex_next(p->lex);
		if (parse_duration(p, &lim->block_ttl) < 0)
			return (-1);
	}
	return (0);
}

/*
 * parse_rule_name - the LABEL of 'name "LABEL"' at the end of a rule:
 * 1 to 64 letters, digits, '.', '_' and '-', unique in the
 * configuration, so that statistics can name the rule whatever lines
 * are added above it. Returns 0, or -1 after an error.
 */
static int
parse_rule_name(struct parser *p, struct rule *rule)
{
	const char *s;
	size_t  len, st, i;

	if (p->lex->tok.type != TOK_STRING) {
		expected(p, "a quoted rule name after 'name'");
		return (-1);
	}
	s = p->lex->tok.text;
	len = strlen(s);
	if (len == 0 || len > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len) {
		perr(p, "rule name \"%s\": use 1 to 64 letters, digits, '.', "
		    "'_' and '-'", s);
		return (-1);
	}
	for (st = 0; st < RULES_NSTAGES; st++)
		for (i = 0; i < p->r->blocks[st].nrules; i++)
			if (p->r->blocks[st].rules[i]->name != NULL &&
			    strcmp(p->r->blocks[st].rules[i]->name, s) == 0) {
				perr(p, "rule name \"%s\" is already used at %s",
				    s, p->r->blocks[st].rules[i]->where);
				return (-1);
			}
	rule->name = xstrdup(s);
	return (0);
}

/* parse_rule - one rule in a stage block */
static void
parse_rule(struct parser *p, enum rules_stage stage)
{
	const struct keyword *kw;
	const struct fact_def *f;
	struct rule *rule;
	struct source_pos pos = here(p);
	size_t  start = p->lex->tok.start, end;
	char    where[RULES_WHERE_MAX];
	char    err[256];
	int     nerr = p->nerr;

	kw = p->lex->tok.type == TOK_WORD ? keyword_find(p->lex->tok.text) : NULL;
	if (kw == NULL || kw->kind != KW_ACTION) {
		expected(p, "an action (permit, accept, reject, tempfail, "
		    "discard or check)");
		sync(p, 1);
		return;
	}
	rule = xcalloc(1, sizeof(*rule));
	rule->action = (enum action) kw->id;
	rule->stage = stage;
	snprintf(where, sizeof(where), "%s:%d", pos.file, pos.line);
	rule->where = xstrdup(where);
	if (rule->action == ACT_ACCEPT && stage == RULES_RCPT)
		perr(p, "accept is not allowed in rcpt (use permit)");
	lex_next(p->lex);
	end = p->lex->tok.start;
	if (rule->action == ACT_CHECK) {
		struct source_pos fpos = here(p);

		if (p->lex->tok.type != TOK_WORD) {
			expected(p, "a fact after 'check'");
			goto bad;
		}
		if ((f = rules_fact_find(p->lex->tok.text)) == NULL) {
			perr(p, "unknown fact '%s'", p->lex->tok.text);
			goto bad;
		}
		rule->check_fact = (int) f->id;
		stage_ok(p, &fpos, f->name, f->stage, stage);
		lex_next(p->lex);
		if (p->lex->tok.type != TOK_SETREF) {
			char    what[100];

			snprintf(what, sizeof(what), "a table <name> after check %s",
			    f->name);
			expected(p, what);
			goto bad;
		}
		add_ref(p, rule, (size_t) -1, rule->check_fact, here(p));
		end = p->lex->tok.end;
		lex_next(p->lex);
	} else {
		if (p->lex->tok.type == TOK_WORD && !tok_is(p, "name") &&
		    !tok_is(p, "weak-ok") && !tok_is(p, "warn")) {
			for (;;) {
				if (tok_is(p, "limit") || tok_is(p, "networks")) {
					if ((tok_is(p, "limit") ? parse_limit(p,
					    rule, stage) : parse_networks(p, rule)) < 0)
						goto bad;
					end = p->lex->tok.start;
					break;
				}
				if (parse_cond(p, rule, stage) < 0)
					goto bad;
				end = p->lex->tok.start;
				if (!tok_is(p, "and"))
					break;
				lex_next(p->lex);
			}
		}
		if (p->lex->tok.type == TOK_STRING) {
			int     cls = rule->action == ACT_REJECT ? '5' :
			rule->action == ACT_TEMPFAIL ? '4' : 0;

			if (cls == 0)
				perr(p, "%s takes no reply text",
				    rules_action_names[rule->action]);
			else if (rules_reply_parse(p->lex->tok.text, cls,
				    &rule->reply, err, sizeof(err)) < 0)
				perr(p, "%s", err);
			end = p->lex->tok.end;
			lex_next(p->lex);
		}
	}
	/* The rule's marks, in any order: name "label", weak-ok, warn. */
	for (;;) {
		if (tok_is(p, "name") && rule->name == NULL) {
			lex_next(p->lex);
			if (parse_rule_name(p, rule) < 0)
				goto bad;
		} else if (tok_is(p, "warn") && !rule->warn) {
			rule->warn = 1;	/* not part of the rule's text */
		} else if (tok_is(p, "weak-ok") && !rule->weak_ok) {
			if (rule->action != ACT_PERMIT &&
			    rule->action != ACT_ACCEPT &&
			    rule->action != ACT_CHECK)
				perr(p, "weak-ok marks a permit, accept or check "
				    "rule, not %s", rules_action_names[rule->action]);
			rule->weak_ok = 1;	/* not part of the rule's text */
		} else
			break;
		lex_next(p->lex);
	}
	if (!at_eol(p) && p->lex->tok.type != TOK_RBRACE) {
		expected(p, rule->action == ACT_CHECK ?
		    "name, weak-ok, warn or end of line" :
		    "'and', a reply string, name, weak-ok, warn or end of line");
		goto bad;
	}
	if (p->nerr != nerr)
		goto drop;
	if (rule->limit != NULL) {
		rule->limit->name = xstrdup(rule->name ? rule->name : rule->where);
		if (!rule->reply.given && rules_reply_parse(
		    rule->action == ACT_REJECT ? LIMIT_REPLY_REJECT :
		    LIMIT_REPLY_TEMPFAIL, rule->action == ACT_REJECT ? '5' : '4',
		    &rule->reply, err, sizeof(err)) < 0)
			perr(p, "%s", err);	/* cannot happen */
	}
	if (rule->spread != NULL) {
		rule->spread->name = xstrdup(rule->name ? rule->name :
		    rule->where);
		if (!rule->reply.given && rules_reply_parse(
		    rule->action == ACT_REJECT ? SPREAD_REPLY_REJECT :
		    SPREAD_REPLY_TEMPFAIL, rule->action == ACT_REJECT ? '5' :
		    '4', &rule->reply, err, sizeof(err)) < 0)
			perr(p, "%s", err);	/* cannot happen */
	}
	rule->text = slice(p, start, end);
	{
		char   *e = rule->text + strlen(rule->text);

		while (e > rule->text && e[-1] == ' ')
			*--e = '\0';
	}
	{
		struct block *b = &p->r->blocks[stage];

		b->rules = xreallocarray(b->rules, b->nrules + 1,
		    sizeof(*b->rules));
		b->rules[b->nrules++] = rule;
	}
	return;
bad:
	sync(p, 1);
drop:
	/*
	 * The rule is not kept, but its names are still checked, so that
	 * an unknown list on the same line is reported too.
	 */
	{
		size_t  i;

		for (i = 0; i < p->nrefs; i++)
			if (p->refs[i].rule == rule)
				p->refs[i].rule = NULL;
	}
	rule_free(rule);
}

static void parse_stream(struct parser *, const char *, const char *, size_t,
	int, enum rules_stage);

/* parse_include - "include PATH", at top level or in a block */
static void
parse_include(struct parser *p, int in_block, enum rules_stage stage)
{
	struct source_pos pos;
	char   *full, *text, *real;
	const char *file;
	size_t  len;
	int     i;

	lex_next(p->lex);
	if (p->lex->tok.type != TOK_STRING) {
		expected(p, "a quoted file name after 'include'");
		sync(p, in_block);
		return;
	}
	pos = here(p);
	full = resolve_path(p->lex->file, p->lex->tok.text);
	lex_next(p->lex);
	expect_eol(p, in_block);
	if (p->depth >= INCLUDE_DEPTH) {
		perr_at(p, &pos, "includes nested deeper than %d", INCLUDE_DEPTH);
		free(full);
		return;
	}
	if ((real = realpath(full, NULL)) == NULL) {
		perr_at(p, &pos, "cannot read include file '%s': %s", full,
		    strerror(errno));
		free(full);
		return;
	}
	for (i = 0; i < p->depth; i++) {
		if (strcmp(p->stack[i], real) == 0) {
			perr_at(p, &pos, "include loop: '%s' is already being "
			    "read", full);
			free(full);
			free(real);
			return;
		}
	}
	if ((text = read_file(full, &len)) == NULL) {
		perr_at(p, &pos, "cannot read include file '%s': %s", full,
		    strerror(errno));
		free(full);
		free(real);
		return;
	}
	file = intern(p->r, full);
	free(full);
	p->stack[p->depth++] = real;
	parse_stream(p, file, text, len, in_block, stage);
	p->depth--;
	free(real);
	free(text);
}

/* parse_block - STAGE "{" rules "}" */
static void
parse_block(struct parser *p, enum rules_stage stage)
{
	int     open_line;
	char    what[100];

	lex_next(p->lex);
	while (p->lex->tok.type == TOK_NL)
		lex_next(p->lex);
	if (p->lex->tok.type != TOK_LBRACE) {
		snprintf(what, sizeof(what), "'{' after %s",
		    rules_stage_names[stage]);
		expected(p, what);
		sync(p, 0);
		return;
	}
	open_line = p->lex->tok.line;
	lex_next(p->lex);
	for (;;) {
		switch (p->lex->tok.type) {
		case TOK_NL:
			lex_next(p->lex);
			continue;
		case TOK_RBRACE:
			lex_next(p->lex);
			expect_eol(p, 0);
			return;
		case TOK_EOF:
			snprintf(what, sizeof(what), "'}' to close the %s block "
			    "opened at line %d", rules_stage_names[stage],
			    open_line);
			expected(p, what);
			return;
		default:
			break;
		}
		if (tok_is(p, "include"))
			parse_include(p, 1, stage);
		else
			parse_rule(p, stage);
		if (p->lex->tok.type == TOK_NL)
			lex_next(p->lex);
	}
}

/* parse_statement - one top-level statement */
static void
parse_statement(struct parser *p)
{
	const struct keyword *kw;

	if (p->lex->tok.type != TOK_WORD) {
		expected(p, "a setting, list, table, include or a connect, "
		    "helo, mail or rcpt block");
		sync(p, 0);
		if (p->lex->tok.type == TOK_RBRACE)
			lex_next(p->lex);
		return;
	}
	if ((kw = keyword_find(p->lex->tok.text)) == NULL) {
		perr(p, "unknown statement '%s' (expected a setting, list, "
		    "table, include or a connect, helo, mail or rcpt block)",
		    p->lex->tok.text);
		sync(p, 0);
		return;
	}
	switch (kw->kind) {
	case KW_SETTING:
		parse_setting(p, kw->id);
		break;
	case KW_LIST:
		parse_list(p);
		break;
	case KW_TABLE:
		parse_table(p);
		break;
	case KW_INCLUDE:
		parse_include(p, 0, RULES_CONNECT);
		break;
	case KW_REDIS:
		parse_redis(p);
		break;
	case KW_STAGE:
		parse_block(p, (enum rules_stage) kw->id);
		break;
	case KW_ACTION:
		perr(p, "rule '%s' outside a connect, helo, mail or rcpt block",
		    p->lex->tok.text);
		sync(p, 0);
		break;
	}
}

/*
 * parse_stream - read one file's text: statements, or (in_block) the
 * rules of an included file inside a block.
 */
static void
parse_stream(struct parser *p, const char *file, const char *text,
	size_t len, int in_block, enum rules_stage stage)
{
	struct lexer lex, *saved = p->lex;

	lex_init(&lex, file, text, len, p->errs, &p->nerr);
	p->lex = &lex;
	lex_next(&lex);
	for (;;) {
		if (lex.tok.type == TOK_EOF)
			break;
		if (lex.tok.type == TOK_NL) {
			lex_next(&lex);
			continue;
		}
		if (in_block) {
			if (tok_is(p, "include"))
				parse_include(p, 1, stage);
			else if (lex.tok.type == TOK_RBRACE) {
				expected(p, "a rule ('}' closes a block only in "
				    "the file that opened it)");
				lex_next(&lex);
			} else
				parse_rule(p, stage);
		} else
			parse_statement(p);
	}
	lex_free(&lex);
	p->lex = saved;
}

/* rules_parse - parse and compile; NULL when there was any error */
struct rules *
rules_parse(const char *name, const char *text, unsigned flags,
	struct strbuf *errs)
{
	struct parser p;
	struct rules *r;
	char   *real = NULL;
	size_t  i;

	memset(&p, 0, sizeof(p));
	r = xcalloc(1, sizeof(*r));
	atomic_init(&r->refs, 1);
	r->source = xstrdup(name);
	r->settings.on_error = RULES_ON_ERROR_TEMPFAIL;
	r->settings.delay_reject = 1;
	r->settings.milter_connect_reply = 1;
	r->settings.blocks = RULES_BLOCKS_DEFAULT;
	r->settings.log_level = 2;	/* LOG_LEVEL_INFO */
	r->settings.milter_timeout = RULES_MILTER_TIMEOUT_DEFAULT;
	r->settings.max_connections = RULES_MAX_CONNECTIONS_DEFAULT;
	p.r = r;
	p.errs = errs;
	p.flags = flags;
	if ((flags & RULES_PARSE_FILE) != 0 &&
	    (real = realpath(name, NULL)) != NULL)
		p.stack[p.depth++] = real;
	parse_stream(&p, intern(r, name), text, strlen(text), 0, RULES_CONNECT);
	parse_resolve(&p);
	open_redis_tables(&p);
	free(real);
	for (i = 0; i < p.nrefs; i++)
		free(p.refs[i].name);
	free(p.refs);
	if (p.nerr > 0) {
		rules_free(r);
		return (NULL);
	}
	lists_drop_items(r);
	rules_finish(r);
	return (r);
}
