/*
 * NAME
 *	free 3
 * SUMMARY
 *	take a rule set apart
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	void	rules_free(struct rules *r)
 *
 *	#include "rules/parse_int.h"
 *
 *	void	rule_free(struct rule *rule)
 *	void	lists_drop_items(struct rules *r)
 * DESCRIPTION
 *	rules_free() releases a rule set and everything it owns: rules,
 *	lists and their compiled sets, tables (closing their stores),
 *	inline sets, interned file names and settings. It does not look
 *	at the reference count; rules_unref() calls it for the last
 *	reference, and the parser for a configuration it refuses.
 *
 *	rule_free() frees one rule (NULL-safe), for the parser dropping
 *	a rule after an error. lists_drop_items() frees the item text of
 *	every list once every use of it is compiled.
 * DIAGNOSTICS
 *	None: these functions cannot fail.
 * THREADS
 *	rules_free() runs on whichever thread drops the last reference
 *	(rules_unref()), when no other thread holds the rule set; the
 *	stores it closes are reference counted under store.c's registry
 *	lock. rule_free() and lists_drop_items() run on the loading
 *	thread, before the rule set is shared.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rules/parse_int.h"
#include "rules/rules_int.h"
#include "store/redis.h"

/* rule_free - free one rule */
void
rule_free(struct rule *rule)
{
	size_t  i;

	if (rule == NULL)
		return;
	for (i = 0; i < rule->nconds; i++)
		free(rule->conds[i].text);
	free(rule->conds);
	limit_rule_free(rule->limit);
	spread_rule_free(rule->spread);
	free(rule->reply.text);
	free(rule->where);
	free(rule->name);
	free(rule->text);
	free(rule);
}

/*
 * lists_drop_items - every use of every list is compiled once the file
 * is resolved, so the item text is no longer needed. A daemon with
 * lists of 100,000 entries keeps about 64 bytes an entry less.
 */
void
lists_drop_items(struct rules *r)
{
	struct list *l;
	size_t  i, j;

	for (i = 0; i < r->nlists; i++) {
		l = r->lists[i];
		for (j = 0; j < l->nitems; j++)
			free((void *) (uintptr_t) l->items[j].text);
		free(l->items);
		free(l->item_pos);
		l->items = NULL;
		l->item_pos = NULL;
		l->nitems = 0;
	}
}

/* rules_free - release a rule set (refs are not checked) */
void
rules_free(struct rules *r)
{
	size_t  i, j;
	int     s;

	if (r == NULL)
		return;
	for (s = 0; s < RULES_NSTAGES; s++) {
		for (i = 0; i < r->blocks[s].nrules; i++)
			rule_free(r->blocks[s].rules[i]);
		free(r->blocks[s].rules);
	}
	for (i = 0; i < r->nlists; i++) {
		struct list *l = r->lists[i];

		for (j = 0; j < l->nitems; j++)
			free((void *) (uintptr_t) l->items[j].text);
		free(l->items);
		free(l->item_pos);
		for (s = 0; s < ITEM_NTYPES; s++)
			set_free(l->compiled[s]);
		free(l->name);
		free(l);
	}
	free(r->lists);
	for (i = 0; i < r->ntables; i++) {
		store_close(r->tables[i]->store);
		free(r->tables[i]->name);
		free(r->tables[i]->path);
		free(r->tables[i]);
	}
	free(r->tables);
	redis_conf_free(r->redis);
	for (i = 0; i < r->ninline; i++)
		set_free(r->inline_sets[i]);
	free(r->inline_sets);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->all_rules);
	free(r->source);
	free(r->set_socket);
	free(r->set_control);
	free(r->set_policy);
	free(r->set_cert_identity);
	free(r->set_user);
	free(r->set_limit_state);
	free(r->set_delim);
	free(r->set_blocks);
	free(r->grants);
	store_close(r->block_store);
	free(r);
}
