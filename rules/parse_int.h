#ifndef RG_RULES_PARSE_INT_H
#define RG_RULES_PARSE_INT_H

/*
 * parse_int - the parser's state, shared by the files of the parser:
 * parse.c (statements, rules, settings), resolve.c (names resolved
 * once the whole file is read) and free.c (taking a rule set apart).
 * Nothing outside these three files includes it.
 */
#include <stddef.h>

#include "common/strbuf.h"
#include "rules/rules_int.h"

struct lexer;

#define INCLUDE_DEPTH	16

enum setting_id {
	SET_SOCKET,
	SET_CONTROL,
	SET_USER,
	SET_ON_ERROR,
	SET_DELAY_REJECT,
	SET_DELIMITER,
	SET_LOG_LEVEL,
	SET_OPEN_RELAY,
	SET_MILTER_TIMEOUT,
	SET_MAX_CONNECTIONS,
	SET_BLOCKS,
	SET_LIMIT_STATE,
	SET_POLICY,
	SET_POLICY_PERMIT,
	SET_MILTER_CONNECT_REPLY,
	SET_CERT_IDENTITY,
	SET_NSETTINGS,
};

/* A <name> to resolve when the whole configuration has been read. */
struct ref {
	struct rule *rule;
	size_t  cond;			/* index, or (size_t) -1 for check */
	char   *name;
	int     fact;
	struct source_pos pos;
};

struct parser {
	struct rules *r;
	struct strbuf *errs;
	int     nerr;
	struct lexer *lex;
	const char *stack[INCLUDE_DEPTH + 1];	/* files being read */
	int     depth;
	struct source_pos setting_pos[SET_NSETTINGS];
	struct ref *refs;
	size_t  nrefs;
	unsigned flags;			/* RULES_LOAD_*, RULES_PARSE_FILE */
};

/* Items read from { ... } or a list file. */
struct items {
	struct set_item *v;
	struct source_pos *pos;
	size_t  n;
};

/* parse.c */
extern void perr_at(struct parser *, const struct source_pos *,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern int check_items(struct parser *, const struct items *,
	enum item_type, const char *fact, const char *usage);
extern struct set *build_set(const struct items *, enum item_type);

/* resolve.c */
extern struct list *find_list(struct rules *, const char *name);
extern struct table *find_table(struct rules *, const char *name);
extern void parse_resolve(struct parser *);

/* free.c */
extern void rule_free(struct rule *);
extern void lists_drop_items(struct rules *);

#endif
