/*
 * NAME
 *	resolve 3
 * SUMMARY
 *	give every <name> of a parsed configuration its list or table
 * SYNOPSIS
 *	#include "rules/parse_int.h"
 *
 *	void	parse_resolve(struct parser *p)
 *	struct list *find_list(struct rules *r, const char *name)
 *	struct table *find_table(struct rules *r, const char *name)
 * DESCRIPTION
 *	A rule may name a list or table defined further down the file,
 *	so names are resolved once the whole configuration has been read
 *	(parse.c, rules_parse()). parse_resolve() goes through the
 *	parser's references: a condition "FACT in <name>" gets the list
 *	compiled for the fact's item type (once per type, the items
 *	checked and reported at their own position with where the list
 *	was used) or the table; "check FACT <name>" gets its static
 *	table; "cert-identity <name>" gets its static table.
 *
 *	find_list() and find_table() return the list or table of that
 *	name defined so far, or NULL.
 * DIAGNOSTICS
 *	Errors are reported through the parser (perr_at()): an unknown
 *	name, a list where check needs a table, a dynamic table with
 *	check or with another fact than client, a bad list item.
 * THREADS
 *	Runs inside rules_parse(), on the loading thread, on a rule set
 *	no other thread can see yet.
 */
#include <stdio.h>
#include <string.h>

#include "rules/parse_int.h"
#include "rules/rules_int.h"

/* find_list, find_table - a name defined so far */
struct list *
find_list(struct rules *r, const char *name)
{
	size_t  i;

	for (i = 0; i < r->nlists; i++)
		if (strcmp(r->lists[i]->name, name) == 0)
			return (r->lists[i]);
	return (NULL);
}

struct table *
find_table(struct rules *r, const char *name)
{
	size_t  i;

	for (i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i]->name, name) == 0)
			return (r->tables[i]);
	return (NULL);
}

/* list_set - the list compiled for a type (reported when bad) */
static const struct set *
list_set(struct parser *p, struct list *l, const struct fact_def *f,
	const struct source_pos *use)
{
	struct items it;
	char    usage[200];

	if (l->compiled[f->type] != NULL)
		return (l->compiled[f->type]);
	if (l->failed[f->type])
		return (NULL);
	it.v = l->items;
	it.pos = l->item_pos;
	it.n = l->nitems;
	snprintf(usage, sizeof(usage), " (list %s is used with %s at %s:%d:%d)",
	    l->name, f->name, use->file, use->line, use->col);
	if (check_items(p, &it, f->type, f->name, usage) < 0 ||
	    (l->compiled[f->type] = build_set(&it, f->type)) == NULL) {
		l->failed[f->type] = 1;
		return (NULL);
	}
	return (l->compiled[f->type]);
}

/* cert_map - the table of "cert-identity <name>": a static one */
static void
cert_map(struct parser *p)
{
	const char *name = p->r->set_cert_identity;
	struct table *t;

	if (name == NULL)
		return;
	if ((t = find_table(p->r, name)) == NULL)
		perr_at(p, &p->r->cert_identity_pos, "cert-identity: %s <%s>",
		    find_list(p->r, name) ? "needs a table, not the list" :
		    "unknown table", name);
	else if (t->dynamic)
		perr_at(p, &p->r->cert_identity_pos, "cert-identity needs a "
		    "static table mapping certificates to logins "
		    "(relayguardctl compile -l), and <%s> is dynamic", name);
	else
		p->r->cert_map = t;
}

/* parse_resolve - give every <name> its list or table */
void
parse_resolve(struct parser *p)
{
	const struct fact_def *f;
	struct list *l;
	struct table *t;
	struct ref *ref;
	size_t  i;

	for (i = 0; i < p->nrefs; i++) {
		ref = &p->refs[i];
		f = &rules_facts_tab[ref->fact];
		l = find_list(p->r, ref->name);
		t = l ? NULL : find_table(p->r, ref->name);
		if (l == NULL && t == NULL) {
			perr_at(p, &ref->pos, "unknown list or table <%s>",
			    ref->name);
			continue;
		}
		if (ref->rule == NULL)	/* a rule dropped after an error */
			continue;
		if (ref->cond != (size_t) -1 &&
		    ref->rule->conds[ref->cond].kind == COND_OWNER) {
			if (t == NULL || t->dynamic)
				perr_at(p, &ref->pos, "owned-by needs a static "
				    "table holding a login map (relayguardctl "
				    "compile -l), and <%s> is %s", ref->name,
				    t == NULL ? "a list" : "dynamic");
			else
				ref->rule->conds[ref->cond].table = t;
			continue;
		}
		if (ref->cond == (size_t) -1) {
			if (t == NULL)
				perr_at(p, &ref->pos, "check needs a table, and "
				    "<%s> is a list (use a rule with '%s in <%s>')",
				    ref->name, f->name, ref->name);
			else if (t->dynamic)
				perr_at(p, &ref->pos, "check needs a static table, "
				    "and <%s> is dynamic (use 'permit client in "
				    "<%s>')", ref->name, ref->name);
			else
				ref->rule->check_table = t;
			continue;
		}
		if (l != NULL) {
			ref->rule->conds[ref->cond].set =
			    list_set(p, l, f, &ref->pos);
			continue;
		}
		if (t->dynamic && ref->fact != RULES_FACT_CLIENT) {
			perr_at(p, &ref->pos, "dynamic table <%s> holds client "
			    "addresses: it can only be used with client, not %s",
			    ref->name, f->name);
			continue;
		}
		ref->rule->conds[ref->cond].kind = COND_TABLE;
		ref->rule->conds[ref->cond].table = t;
	}
	cert_map(p);
}

