/*
 * NAME
 *	facts 3
 * SUMMARY
 *	the clause registry: facts, flags, their stages and item types
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	const struct fact_def *rules_fact_find(const char *name)
 *	const struct rules_fact_info *rules_fact_info(enum rules_fact f)
 *	int	rules_fact_by_name(const char *name, enum rules_fact *out)
 *	const struct flag_def *rules_flag_find(const char *name)
 *	size_t	rules_fact_uses(const struct rules *r, enum rules_fact f,
 *		int (*fn)(const char *where, const char *text, void *),
 *		void *arg)
 * DESCRIPTION
 *	The rows of fact_list.h, expanded twice: rules_facts_tab for the
 *	parser and the evaluator (the first stage that knows a fact, the
 *	type of the items it is matched against, which selects the match
 *	function in set.c, and its lookup order in tables, store.h), and
 *	rules_fact_info() for the daemon and relayguardctl (the MTA macro,
 *	the stages it is sent at, its scope). The parser refuses a fact
 *	used before its stage, an item of the wrong type and a fact no
 *	rule may test; the evaluator picks the matcher. Flags have a table
 *	of their own.
 *
 *	rules_fact_uses() finds the rules of a loaded set that read a
 *	fact: a condition on it, or a check of it. A door that never
 *	learns a fact (the policy door has no rcpt-mailer) warns of them.
 * DIAGNOSTICS
 *	The find functions return NULL for an unknown name.
 */
#include <string.h>

#include "rules/rules_int.h"

/* Indexed by enum rules_fact: the rows of fact_list.h. */
const struct fact_def rules_facts_tab[RULES_NFACTS] = {
#define FACT_DEF(id, name, macro, sent, stage, item, lookup, scope, from) \
	{name, RULES_FACT_##id, stage, ITEM_##item, STORE_##lookup},
	RULES_FACT_LIST(FACT_DEF)
#undef FACT_DEF
};

/* The public view of the same rows. */
static const struct rules_fact_info fact_info[RULES_NFACTS] = {
#define FACT_INFO(id, name, macro, sent, stage, item, lookup, scope, from) \
	{name, macro, sent, stage, RULES_SCOPE_##scope, RULES_FACT_##from, \
	ITEM_##item != ITEM_NONE},
	RULES_FACT_LIST(FACT_INFO)
#undef FACT_INFO
};

/* Indexed by enum flag_id. */
const struct flag_def rules_flags_tab[FLAG_NFLAGS] = {
	{"auth", FLAG_AUTH, RULES_MAIL},
	{"tls", FLAG_TLS, RULES_HELO},
	{"tls-verified", FLAG_TLS_VERIFIED, RULES_HELO},
	{"routed", FLAG_ROUTED, RULES_RCPT},
	{"unqualified", FLAG_UNQUALIFIED, RULES_RCPT},
};

const char *const rules_item_type_names[ITEM_NTYPES] = {
	"address", "domain", "mailbox", "string",
};

const char *const rules_stage_names[RULES_NSTAGES] = {
	"connect", "helo", "mail", "rcpt",
};

const char *const rules_action_names[ACT_NACTIONS] = {
	"permit", "accept", "reject", "tempfail", "discard", "check",
};

/* rules_fact_info - a fact's row */
const struct rules_fact_info *
rules_fact_info(enum rules_fact f)
{
	return ((unsigned) f < RULES_NFACTS ? &fact_info[f] : NULL);
}

/* rules_fact_by_name - a fact by its name; 0, or -1 when unknown */
int
rules_fact_by_name(const char *name, enum rules_fact *out)
{
	int     i;

	for (i = 0; i < RULES_NFACTS; i++)
		if (strcmp(fact_info[i].name, name) == 0) {
			*out = (enum rules_fact) i;
			return (0);
		}
	return (-1);
}

/* rules_fact_find - a fact rules may test, by name; NULL if none */
const struct fact_def *
rules_fact_find(const char *name)
{
	enum rules_fact f;

	if (rules_fact_by_name(name, &f) < 0 ||
	    rules_facts_tab[f].type == ITEM_NONE)
		return (NULL);
	return (&rules_facts_tab[f]);
}

/* rules_flag_find - look a flag up by name */
const struct flag_def *
rules_flag_find(const char *name)
{
	int     i;

	for (i = 0; i < FLAG_NFLAGS; i++)
		if (strcmp(rules_flags_tab[i].name, name) == 0)
			return (&rules_flags_tab[i]);
	return (NULL);
}

/* rules_fact_uses - the rules that read fact f (rules.h) */
size_t
rules_fact_uses(const struct rules *r, enum rules_fact f,
	int (*fn) (const char *where, const char *text, void *), void *arg)
{
	const struct block *b;
	const struct rule *rule;
	size_t  i, j, k, n = 0;
	int     reads;

	for (i = 0; i < RULES_NSTAGES; i++) {
		b = &r->blocks[i];
		for (j = 0; j < b->nrules; j++) {
			rule = b->rules[j];
			reads = rule->action == ACT_CHECK &&
			    rule->check_fact == (int) f;
			for (k = 0; k < rule->nconds && !reads; k++)
				reads = rule->conds[k].kind != COND_FLAG &&
				    rule->conds[k].id == (int) f;
			if (!reads)
				continue;
			n++;
			if (fn(rule->where, rule->text, arg) != 0)
				return (n);
		}
	}
	return (n);
}
