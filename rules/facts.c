/*
 * NAME
 *	facts 3
 * SUMMARY
 *	the clause registry: facts, flags, their stages and item types
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	const struct fact_def *rules_fact_find(const char *name)
 *	const struct flag_def *rules_flag_find(const char *name)
 * DESCRIPTION
 *	One table says, for each fact of spec section 2.2, the first stage
 *	that knows it, the type of the items it is matched against (which
 *	selects the match function, set.c) and the lookup order used in
 *	tables (store.h). The parser uses it to refuse a fact used before
 *	its stage and an item of the wrong type; the evaluator uses it to
 *	pick the matcher. Flags have a table of their own.
 * DIAGNOSTICS
 *	The find functions return NULL for an unknown name.
 */
#include <string.h>

#include "rules/rules_int.h"

/* Indexed by enum fact_id. */
const struct fact_def rules_facts_tab[FACT_NFACTS] = {
	{"client", FACT_CLIENT, RULES_CONNECT, ITEM_ADDRESS, STORE_CLIENT},
	{"client-name", FACT_CLIENT_NAME, RULES_CONNECT, ITEM_DOMAIN,
	STORE_DOMAIN},
	{"daemon", FACT_DAEMON, RULES_CONNECT, ITEM_STRING, STORE_EXACT},
	{"helo", FACT_HELO, RULES_HELO, ITEM_DOMAIN, STORE_DOMAIN},
	{"cert-subject", FACT_CERT_SUBJECT, RULES_HELO, ITEM_STRING,
	STORE_EXACT},
	{"cert-issuer", FACT_CERT_ISSUER, RULES_HELO, ITEM_STRING, STORE_EXACT},
	{"sender", FACT_SENDER, RULES_MAIL, ITEM_MAILBOX, STORE_MAILBOX},
	{"sender-domain", FACT_SENDER_DOMAIN, RULES_MAIL, ITEM_DOMAIN,
	STORE_DOMAIN},
	{"auth", FACT_AUTH, RULES_MAIL, ITEM_STRING, STORE_EXACT},
	{"auth-type", FACT_AUTH_TYPE, RULES_MAIL, ITEM_STRING, STORE_EXACT},
	{"rcpt", FACT_RCPT, RULES_RCPT, ITEM_MAILBOX, STORE_MAILBOX},
	{"rcpt-domain", FACT_RCPT_DOMAIN, RULES_RCPT, ITEM_DOMAIN, STORE_DOMAIN},
	{"rcpt-mailer", FACT_RCPT_MAILER, RULES_RCPT, ITEM_STRING, STORE_EXACT},
	{"identity", FACT_IDENTITY, RULES_CONNECT, ITEM_STRING, STORE_EXACT},
	{"identity-source", FACT_IDENTITY_SOURCE, RULES_CONNECT, ITEM_STRING,
	STORE_EXACT},
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

/* rules_fact_find - look a fact up by name */
const struct fact_def *
rules_fact_find(const char *name)
{
	int     i;

	for (i = 0; i < FACT_NFACTS; i++)
		if (strcmp(rules_facts_tab[i].name, name) == 0)
			return (&rules_facts_tab[i]);
	return (NULL);
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
