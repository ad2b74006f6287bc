#ifndef RG_RULES_LEX_H
#define RG_RULES_LEX_H

/*
 * lex - tokens of the relayguard configuration language
 *
 * Internal to rules/. The lexer reads one file's text held in memory;
 * lex_next() moves to the next token, which stays in lex->tok (its text
 * is valid until the next call). Lexical errors are appended to errs as
 * "file:line:col: error: ..." and counted; the lexer then yields
 * TOK_BAD and carries on, so that every error of a file is reported.
 */
#include <stddef.h>

#include "common/strbuf.h"

enum tok_type {
	TOK_EOF,
	TOK_NL,			/* end of line (newlines inside { } too) */
	TOK_WORD,		/* bare word: keyword, name, item */
	TOK_STRING,		/* "double quoted", escapes removed */
	TOK_REGEX,		/* /regex/ or /regex/i (icase set) */
	TOK_SETREF,		/* <name>, text is the name */
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_EQ,
	TOK_BAD,		/* a lexical error, already reported */
};

struct token {
	enum tok_type type;
	const char *text;	/* NUL-terminated; valid until lex_next() */
	int     line, col;	/* 1-based */
	size_t  start, end;	/* byte offsets of the token in the text */
	int     icase;		/* TOK_REGEX with the i flag */
};

struct lexer {
	const char *file;
	const char *text;
	size_t  len;
	size_t  pos;
	int     line;
	size_t  linestart;
	struct strbuf buf;
	struct token tok;
	struct strbuf *errs;
	int    *nerr;
};

extern void lex_init(struct lexer *, const char *file, const char *text,
	size_t len, struct strbuf *errs, int *nerr);
extern void lex_next(struct lexer *);
extern void lex_free(struct lexer *);
extern void lex_describe(const struct token *, char *, size_t);
extern void rules_error(struct strbuf *errs, int *nerr, const char *file,
	int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
