/*
 * NAME
 *	lex 3
 * SUMMARY
 *	lexer of the relayguard configuration language
 * SYNOPSIS
 *	#include "rules/lex.h"
 *
 *	void	lex_init(struct lexer *lex, const char *file,
 *		const char *text, size_t len, struct strbuf *errs, int *nerr)
 *	void	lex_next(struct lexer *lex)
 *	void	lex_free(struct lexer *lex)
 *	void	lex_describe(const struct token *tok, char *buf, size_t len)
 *	void	rules_error(struct strbuf *errs, int *nerr, const char *file,
 *		int line, int col, const char *fmt, ...)
 * DESCRIPTION
 *	Tokens: bare words, "strings" (only \" and \\ are escapes),
 *	/regex/ and /regex/i, <name> set references, the item <> (a
 *	word), { } and =. A # outside a string or regex starts a comment
 *	to the end of the line. Newlines are tokens: the parser decides
 *	where they matter (one statement per line, free inside { }).
 *
 *	lex_describe() writes how a token reads in an error message
 *	("'word'", "string \"...\"", "end of line").
 *
 *	rules_error() appends "file:line:col: error: message\n" and
 *	counts the error.
 * DIAGNOSTICS
 *	Unterminated strings and regexes, unknown escapes and control
 *	characters are reported through rules_error(); the token is then
 *	TOK_BAD.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules/lex.h"

/* rules_error - append one error line and count it */
void
rules_error(struct strbuf *errs, int *nerr, const char *file, int line,
	int col, const char *fmt, ...)
{
	va_list ap;
	size_t  start = errs->len, i;

	if (line > 0)
		strbuf_printf(errs, "%s:%d:%d: error: ", file, line, col);
	else
		strbuf_printf(errs, "%s: error: ", file);
	va_start(ap, fmt);
	strbuf_vprintf(errs, fmt, ap);
	va_end(ap);
	/*
	 * Messages quote the text, and errors reach terminals and logs:
	 * a control character (ESC, CR, NUL-free garbage) shows as '?'.
	 */
	for (i = start; i < errs->len; i++)
		if ((unsigned char) errs->s[i] < 0x20 || errs->s[i] == 0x7f)
			errs->s[i] = '?';
	strbuf_putc(errs, '\n');
	(*nerr)++;
}

/* lex_init - start reading text */
void
lex_init(struct lexer *lex, const char *file, const char *text, size_t len,
	struct strbuf *errs, int *nerr)
{
	memset(lex, 0, sizeof(*lex));
	lex->file = file;
	lex->text = text;
	lex->len = len;
	lex->line = 1;
	lex->errs = errs;
	lex->nerr = nerr;
	lex->tok.type = TOK_NL;
	lex->tok.text = "";
}

/* lex_free - release the token buffer */
void
lex_free(struct lexer *lex)
{
	strbuf_free(&lex->buf);
}

/* lex_err - report an error at a byte offset */
static void
lex_err(struct lexer *lex, size_t at, const char *msg)
{
	rules_error(lex->errs, lex->nerr, lex->file, lex->line,
	    (int) (at - lex->linestart) + 1, "%s", msg);
}

/* is_delim - does this byte end a bare word? */
static int
is_delim(int c)
{
	return (c < ' ' || c == 0x7f || c == ' ' || c == '{' || c == '}' ||
	    c == '"' || c == '#' || c == '=');
}

/* lex_describe - a token as error messages name it */
void
lex_describe(const struct token *tok, char *buf, size_t len)
{
	switch (tok->type) {
	case TOK_EOF:
		snprintf(buf, len, "end of file");
		break;
	case TOK_NL:
		snprintf(buf, len, "end of line");
		break;
	case TOK_WORD:
		snprintf(buf, len, "'%.60s'", tok->text);
		break;
	case TOK_STRING:
		snprintf(buf, len, "string \"%.60s\"", tok->text);
		break;
	case TOK_REGEX:
		snprintf(buf, len, "regex /%.60s/", tok->text);
		break;
	case TOK_SETREF:
		snprintf(buf, len, "<%.60s>", tok->text);
		break;
	case TOK_LBRACE:
		snprintf(buf, len, "'{'");
		break;
	case TOK_RBRACE:
		snprintf(buf, len, "'}'");
		break;
	case TOK_EQ:
		snprintf(buf, len, "'='");
		break;
	default:
		snprintf(buf, len, "a bad token");
		break;
	}
}

/* lex_string - a "string" starting at lex->pos */
static void
lex_string(struct lexer *lex)
{
	size_t  start = lex->pos;
	int     bad = 0;
	int     c;

	lex->pos++;
	for (;;) {
		c = lex->pos < lex->len ? (unsigned char) lex->text[lex->pos] : 0;
		if (c == '\0' || c == '\n') {
			lex_err(lex, start, "unterminated string");
			lex->tok.type = TOK_BAD;
			return;
		}
		if (c == '"') {
			lex->pos++;
			break;
		}
		if (c == '\\') {
			int     n = lex->pos + 1 < lex->len ?
			(unsigned char) lex->text[lex->pos + 1] : 0;

			if (n == '"' || n == '\\') {
				strbuf_putc(&lex->buf, n);
				lex->pos += 2;
				continue;
			}
			if (!bad)
				lex_err(lex, lex->pos, "unknown escape in string "
				    "(only \\\" and \\\\ are escapes)");
			bad = 1;
			lex->pos++;
			continue;
		}
		if (c < ' ' && c != '\t') {
			if (!bad)
				lex_err(lex, lex->pos, "control character in string");
			bad = 1;
		}
		strbuf_putc(&lex->buf, c);
		lex->pos++;
	}
	lex->tok.type = bad ? TOK_BAD : TOK_STRING;
}

/* lex_regex - a /regex/ or /regex/i starting at lex->pos */
static void
lex_regex(struct lexer *lex)
{
	size_t  start = lex->pos;
	int     c;

	lex->pos++;
	for (;;) {
		c = lex->pos < lex->len ? (unsigned char) lex->text[lex->pos] : 0;
		if (c == '\0' || c == '\n') {
			lex_err(lex, start, "unterminated regular expression "
			    "(expected a closing '/')");
			lex->tok.type = TOK_BAD;
			return;
		}
		if (c == '/') {
			lex->pos++;
			break;
		}
		if (c == '\\' && lex->pos + 1 < lex->len &&
		    lex->text[lex->pos + 1] == '/') {
			strbuf_putc(&lex->buf, '/');
			lex->pos += 2;
			continue;
		}
		strbuf_putc(&lex->buf, c);
		lex->pos++;
	}
	lex->tok.type = TOK_REGEX;
	if (lex->pos < lex->len && lex->text[lex->pos] == 'i' &&
	    (lex->pos + 1 >= lex->len ||
	    is_delim((unsigned char) lex->text[lex->pos + 1]))) {
		lex->tok.icase = 1;
		lex->pos++;
	} else if (lex->pos < lex->len &&
	    !is_delim((unsigned char) lex->text[lex->pos])) {
		lex_err(lex, lex->pos, "unknown flag after /regex/ (only i "
		    "is known; quote a path or text that starts with '/')");
		while (lex->pos < lex->len &&
		    !is_delim((unsigned char) lex->text[lex->pos]))
			lex->pos++;
		lex->tok.type = TOK_BAD;
	}
}

/* lex_next - read the next token into lex->tok */
void
lex_next(struct lexer *lex)
{
	int     c;

	strbuf_reset(&lex->buf);
	strbuf_puts(&lex->buf, "");
	lex->tok.icase = 0;
	for (;;) {
		c = lex->pos < lex->len ? (unsigned char) lex->text[lex->pos] : 0;
		if (c == '#') {
			while (lex->pos < lex->len && lex->text[lex->pos] != '\n')
				lex->pos++;
			continue;
		}
		if (c == '\n' || c == '\0' || !isspace(c))
			break;
		lex->pos++;
	}
	lex->tok.line = lex->line;
	lex->tok.col = (int) (lex->pos - lex->linestart) + 1;
	lex->tok.start = lex->pos;
	if (c == '\0' && lex->pos >= lex->len) {
		lex->tok.type = TOK_EOF;
	} else if (c == '\n') {
		lex->tok.type = TOK_NL;
		lex->pos++;
		lex->line++;
		lex->linestart = lex->pos;
		lex->tok.end = lex->pos - 1;
		lex->tok.text = "";
		return;
	} else if (c == '{' || c == '}' || c == '=') {
		lex->tok.type = c == '{' ? TOK_LBRACE :
		    c == '}' ? TOK_RBRACE : TOK_EQ;
		strbuf_putc(&lex->buf, c);
		lex->pos++;
	} else if (c == '"') {
		lex_string(lex);
	} else if (c == '/') {
		lex_regex(lex);
	} else if (c == '<' && lex->pos + 1 < lex->len &&
	    lex->text[lex->pos + 1] == '>') {
		strbuf_puts(&lex->buf, "<>");
		lex->pos += 2;
		lex->tok.type = TOK_WORD;
	} else if (c == '<') {
		size_t  start = lex->pos++;

		while (lex->pos < lex->len &&
		    (isalnum((unsigned char) lex->text[lex->pos]) ||
		    strchr("-_.", lex->text[lex->pos]) != NULL))
			strbuf_putc(&lex->buf, lex->text[lex->pos++]);
		if (lex->pos < lex->len && lex->text[lex->pos] == '>' &&
		    lex->buf.len > 0) {
			lex->pos++;
			lex->tok.type = TOK_SETREF;
		} else {
			lex_err(lex, start, "bad set reference "
			    "(expected <name>: letters, digits, '-', '_', '.')");
			while (lex->pos < lex->len &&
			    !is_delim((unsigned char) lex->text[lex->pos]))
				lex->pos++;
			lex->tok.type = TOK_BAD;
		}
	} else if (c < ' ' || c == 0x7f) {
		lex_err(lex, lex->pos, "control character");
		lex->pos++;
		lex->tok.type = TOK_BAD;
	} else {
		while (lex->pos < lex->len &&
		    !is_delim((unsigned char) lex->text[lex->pos]))
			strbuf_putc(&lex->buf, lex->text[lex->pos++]);
		lex->tok.type = TOK_WORD;
	}
	lex->tok.end = lex->pos;
	lex->tok.text = strbuf_str(&lex->buf);
}
