/*
 * NAME
 *	compile 3
 * SUMMARY
 *	what the evaluator needs to know about a parsed rule set
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	void	rules_finish(struct rules *r)
 * DESCRIPTION
 *	Runs once, after a configuration parsed without error, and
 *	derives from the rules:
 *
 *	shows_local: a rule with a positive condition on rcpt,
 *	rcpt-domain or rcpt-mailer, or a check of one of them; a
 *	recipient it permits is not a relay.
 *
 *	name_helps, accept_on_name: whether a client-name rule could
 *	have prevented a reject (spec section 2.3, see eval.c).
 *
 *	memo slots: conditions that test the same fact against the same
 *	set or table share a slot, so that the answer is computed once
 *	per evaluation.
 *
 *	all_rules: every rule, for the statistics iterator.
 *
 *	grants, block_store: the dynamic tables the identity fact asks
 *	(identity.c), and the account blocks table when a rule tests
 *	"blocked" (a missing file holds no block; one that cannot be
 *	opened fails every such lookup: on-error).
 */
#include <string.h>

#include "common/xalloc.h"
#include "rules/rules_int.h"

/* cond_is - does the condition test fact id positively? */
static int
cond_is(const struct cond *c, int id, int neg)
{
	return (c->kind != COND_FLAG && c->id == id && c->neg == neg);
}

/*
 * assign_memo - conditions that test the same fact against the same
 * set or table share a slot, so a block that asks "client in <nets>"
 * ten times looks it up once per evaluation. Only pairs used more than
 * once get a slot.
 */
static void
assign_memo(struct rules *r)
{
	struct cond *c, *seen[RULES_MEMO_MAX * 4];
	size_t  nseen = 0, i, j, k;
	int     s, next = 0;

	for (s = 0; s < RULES_NSTAGES; s++)
		for (i = 0; i < r->blocks[s].nrules; i++)
			for (j = 0; j < r->blocks[s].rules[i]->nconds; j++) {
				c = &r->blocks[s].rules[i]->conds[j];
				c->memo = -1;
				if (c->kind != COND_SET && c->kind != COND_TABLE)
					continue;
				for (k = 0; k < nseen; k++)
					if (seen[k]->id == c->id &&
					    seen[k]->set == c->set &&
					    seen[k]->table == c->table)
						break;
				if (k < nseen) {
					if (seen[k]->memo < 0 &&
					    next < RULES_MEMO_MAX)
						seen[k]->memo = next++;
					c->memo = seen[k]->memo;
				} else if (nseen < sizeof(seen) / sizeof(seen[0]))
					seen[nseen++] = c;
			}
	/* A first occurrence got its slot after later ones were seen. */
	for (s = 0; s < RULES_NSTAGES; s++)
		for (i = 0; i < r->blocks[s].nrules; i++)
			for (j = 0; j < r->blocks[s].rules[i]->nconds; j++) {
				c = &r->blocks[s].rules[i]->conds[j];
				for (k = 0; k < nseen; k++)
					if ((c->kind == COND_SET ||
					    c->kind == COND_TABLE) &&
					    seen[k]->id == c->id &&
					    seen[k]->set == c->set &&
					    seen[k]->table == c->table)
						c->memo = seen[k]->memo;
			}
}

/* rules_finish - derived facts: relay, uncertain DNS, stats */
void
rules_finish(struct rules *r)
{
	struct block *b;
	struct rule *rule;
	size_t  i, j;
	int     s, helps;

	for (s = 0; s < RULES_NSTAGES; s++) {
		b = &r->blocks[s];
		helps = 0;
		for (i = 0; i < b->nrules; i++) {
			int     name_pos = 0, name_neg = 0;

			rule = b->rules[i];
			for (j = 0; j < rule->nconds; j++) {
				const struct cond *c = &rule->conds[j];

				if (!c->neg && c->kind != COND_FLAG &&
				    (c->id == RULES_FACT_RCPT || c->id == RULES_FACT_RCPT_DOMAIN ||
				    c->id == RULES_FACT_RCPT_MAILER))
					rule->shows_local = 1;
				name_pos |= cond_is(c, RULES_FACT_CLIENT_NAME, 0);
				name_neg |= cond_is(c, RULES_FACT_CLIENT_NAME, 1);
			}
			if (rule->action == ACT_CHECK) {
				if (rule->check_fact == RULES_FACT_RCPT ||
				    rule->check_fact == RULES_FACT_RCPT_DOMAIN ||
				    rule->check_fact == RULES_FACT_RCPT_MAILER)
					rule->shows_local = 1;
				if (rule->check_fact == RULES_FACT_CLIENT_NAME)
					name_pos = 1;
			}
			rule->name_helps = helps || name_neg;
			if (name_pos && rule->action != ACT_REJECT &&
			    rule->action != ACT_TEMPFAIL)
				helps = 1;
			if (name_pos && rule->action == ACT_ACCEPT)
				b->accept_on_name = 1;
			r->all_rules = xreallocarray(r->all_rules, r->nall + 1,
			    sizeof(*r->all_rules));
			r->all_rules[r->nall++] = rule;
		}
	}
	assign_memo(r);
	for (i = 0; i < r->ntables; i++)
		if (r->tables[i]->dynamic && r->tables[i]->store != NULL) {
			r->grants = xreallocarray(r->grants, r->ngrants + 1,
			    sizeof(*r->grants));
			r->grants[r->ngrants++] = r->tables[i]->store;
		}
	if (r->wants_blocks) {
		char    err[256];

		/* A failed open leaves NULL: lookups then fail closed. */
		(void) rules_blocks_open(r, NULL, 0, &r->block_store, err,
		    sizeof(err));
	}
}

