/*
 * NAME
 *	rules 3
 * SUMMARY
 *	load, share and inspect a relayguard configuration
 * SYNOPSIS
 *	#include "rules/rules.h"
 *
 *	struct rules *rules_load(const char *path, struct strbuf *errs)
 *	struct rules *rules_load_flags(const char *path, unsigned flags,
 *		struct strbuf *errs)
 *	struct rules *rules_load_string(const char *name, const char *text,
 *		struct strbuf *errs)
 *	const char *rules_default_text(void)
 *	struct rules *rules_ref(struct rules *r)
 *	void	rules_unref(struct rules *r)
 *	const struct rules_settings *rules_settings(const struct rules *r)
 *	const char *rules_source(const struct rules *r)
 *	unsigned rules_quiet_stages(const struct rules *r)
 *	const char *rules_stat_name(enum rules_stat_verdict v)
 *	size_t	rules_rule_count(const struct rules *r)
 *	int	rules_rule_stats(const struct rules *r, size_t i,
 *		struct rules_rule_stats *st)
 *	size_t	rules_list_count(const struct rules *r)
 *	size_t	rules_table_count(const struct rules *r)
 *	int	rules_table_info(const struct rules *r, size_t i,
 *		const char **name, const char **path, int *dynamic)
 *	size_t	rules_warnings(const struct rules *r, struct strbuf *out)
 * DESCRIPTION
 *	rules_load() reads a file (or, for a NULL path, the embedded
 *	default configuration of spec section 6) and compiles it
 *	(parse.c). The result is immutable and shared: rules_ref() and
 *	rules_unref() count references with atomics, and the last unref
 *	frees it, so a reload can swap rule sets while sessions keep the
 *	one they started with. rules_load_flags() with
 *	RULES_LOAD_NO_TABLES opens no table and RULES_LOAD_NO_LISTS
 *	reads no list file, for tools that want only the settings or the
 *	tables' paths.
 *
 *	rules_warnings() lists what loads but is probably not meant:
 *	with "on-error accept", every rule that looks something up in a
 *	table and may refuse (reject, tempfail, discard, check) permits
 *	the stage when that lookup fails, instead of refusing; a permit
 *	or accept with a table condition permits every client then.
 * DIAGNOSTICS
 *	rules_load() returns NULL after appending every error to errs,
 *	one "file:line:col: error: message" line each. A file that
 *	cannot be read is reported as "file: error: cannot read the
 *	configuration file: reason" (no line and column).
 * THREADS
 *	Loading is reentrant: every load builds its own rule set, with
 *	no state shared between loads. A loaded rule set is never
 *	changed (rules_int.h), so any number of threads may read it;
 *	rules_ref() and rules_unref() are atomic, and the thread that
 *	drops the last reference frees it (free.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "rules/lex.h"
#include "rules/rules_int.h"

/*
 * The embedded default (spec section 6): loopback is trusted,
 * authenticated clients may relay, mail for the MTA's local transports
 * is accepted, everything else is refused.
 */
static const char default_text[] =
"# relayguard embedded default configuration (relayguard.conf(5))\n"
"list loopback { 127.0.0.0/8 ::1 }\n"
"\n"
"connect {\n"
"    accept  client in <loopback>            # local programs and the MTA itself\n"
"}\n"
"rcpt {\n"
"    reject  routed and not auth             \"554 5.7.1 Source routing and %-hacks are not allowed\"\n"
"    permit  auth                            # SASL-authenticated clients may relay\n"
"    permit  rcpt-mailer in { local virtual lmtp }   # the MTA delivers it here\n"
"    reject  \"554 5.7.1 <%{rcpt}>: Relay access denied\"\n"
"}\n";

/* rules_default_text - the embedded default configuration */
const char *
rules_default_text(void)
{
	return (default_text);
}

/* rules_load_string - parse text named name */
struct rules *
rules_load_string(const char *name, const char *text, struct strbuf *errs)
{
	return (rules_parse(name, text, 0, errs));
}

/* rules_load - parse a file, or the default for NULL */
struct rules *
rules_load(const char *path, struct strbuf *errs)
{
	return (rules_load_flags(path, 0, errs));
}

/* rules_load_flags - rules_load() with RULES_LOAD_* flags */
struct rules *
rules_load_flags(const char *path, unsigned flags, struct strbuf *errs)
{
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;
	char    buf[65536];
	FILE   *fp;
	size_t  n;
	int     nerr = 0;

	flags &= RULES_LOAD_NO_TABLES | RULES_LOAD_NO_LISTS;
	if (path == NULL)
		return (rules_parse("(default)", default_text, flags, errs));
	if ((fp = fopen(path, "r")) == NULL) {
		rules_error(errs, &nerr, path, 0, 0, "cannot read "
		    "the configuration file: %s", strerror(errno));
		return (NULL);
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_append(&sb, buf, n);
	if (ferror(fp)) {
		rules_error(errs, &nerr, path, 0, 0, "cannot read "
		    "the configuration file: %s", strerror(errno ? errno : EIO));
		fclose(fp);
		strbuf_free(&sb);
		return (NULL);
	}
	fclose(fp);
	if (memchr(strbuf_str(&sb), '\0', sb.len) != NULL) {
		rules_error(errs, &nerr, path, 0, 0, "binary file (NUL byte)");
		strbuf_free(&sb);
		return (NULL);
	}
	r = rules_parse(path, strbuf_str(&sb), flags | RULES_PARSE_FILE, errs);
	strbuf_free(&sb);
	return (r);
}

/* rules_ref - take a reference */
struct rules *
rules_ref(struct rules *r)
{
	if (r != NULL)
		atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return (r);
}

/* rules_unref - drop a reference; the last one frees */
void
rules_unref(struct rules *r)
{
	if (r != NULL &&
	    atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		rules_free(r);
}

/* rules_settings - the daemon settings */
const struct rules_settings *
rules_settings(const struct rules *r)
{
	return (&r->settings);
}

/* rules_quiet_stages - the stages the milter door leaves unanswered */
unsigned
rules_quiet_stages(const struct rules *r)
{
	if (!r->settings.delay_reject)
		return (0);
	return (RULES_QUIET(RULES_HELO) | RULES_QUIET(RULES_MAIL) |
	    (r->settings.milter_connect_reply ? 0 :
	    RULES_QUIET(RULES_CONNECT)));
}

/* rules_stat_name - what a rule's counter counts: "permit", ... */
const char *
rules_stat_name(enum rules_stat_verdict v)
{
	static const char *const names[RULES_NSTAT] = {
		[RULES_STAT_PERMIT] = "permit",
		[RULES_STAT_ACCEPT] = "accept",
		[RULES_STAT_REJECT] = "reject",
		[RULES_STAT_TEMPFAIL] = "tempfail",
		[RULES_STAT_DISCARD] = "discard",
		[RULES_STAT_ERROR] = "error",
	};

	return ((unsigned) v < RULES_NSTAT ? names[v] : "?");
}

/* rules_source - the configuration's name */
const char *
rules_source(const struct rules *r)
{
	return (r->source);
}

/* rules_rule_count - number of rules */
size_t
rules_rule_count(const struct rules *r)
{
	return (r->nall);
}

/* rules_rule_stats - one rule's counters */
int
rules_rule_stats(const struct rules *r, size_t i, struct rules_rule_stats *st)
{
	const struct rule *rule;
	int     k;

	if (i >= r->nall)
		return (-1);
	rule = r->all_rules[i];
	st->where = rule->where;
	st->name = rule->name;
	st->label = rule->name ? rule->name : rule->where;
	st->text = rule->text;
	st->stage = rule->stage;
	st->matched = atomic_load_explicit(&rule->matched, memory_order_relaxed);
	st->warn = rule->warn;
	for (k = 0; k < RULES_NSTAT; k++) {
		st->count[k] = atomic_load_explicit(&rule->stats[k],
		    memory_order_relaxed);
		st->warned[k] = atomic_load_explicit(&rule->warned[k],
		    memory_order_relaxed);
	}
	return (0);
}

/* rules_list_count, rules_table_count - how many of each */
size_t
rules_list_count(const struct rules *r)
{
	return (r->nlists);
}

size_t
rules_table_count(const struct rules *r)
{
	return (r->ntables);
}

/* rules_table_info - the i-th table */
int
rules_table_info(const struct rules *r, size_t i, const char **name,
	const char **path, int *dynamic)
{
	if (i >= r->ntables)
		return (-1);
	*name = r->tables[i]->name;
	*path = r->tables[i]->path;
	*dynamic = r->tables[i]->dynamic;
	return (0);
}

/* rules_table_store - the i-th table's handle (see rules.h) */
struct store *
rules_table_store(const struct rules *r, size_t i)
{
	return (i < r->ntables ? r->tables[i]->store : NULL);
}

/* rule_looks_up - does the rule read a table (a condition or a check)? */
static int
rule_looks_up(const struct rule *rule)
{
	size_t  j;

	if (rule->action == ACT_CHECK)
		return (1);
	for (j = 0; j < rule->nconds; j++)
		if (rule->conds[j].kind == COND_TABLE)
			return (1);
	return (0);
}

/*
 * rules_warnings - append one line per warning to out, as
 * "file:line: warning: message\n"; returns how many
 */
size_t
rules_warnings(const struct rules *r, struct strbuf *out)
{
	const struct rule *rule;
	size_t  i, n = 0;

	if (r->settings.on_error != RULES_ON_ERROR_ACCEPT)
		return (0);
	for (i = 0; i < r->nall; i++) {
		rule = r->all_rules[i];
		if (!rule_looks_up(rule))
			continue;
		if (rule->action == ACT_PERMIT || rule->action == ACT_ACCEPT)
			strbuf_printf(out, "%s: warning: on-error accept: a "
			    "failed table lookup in this %s rule lets every "
			    "client through, as if the rule matched\n",
			    rule->where, rules_action_names[rule->action]);
		else if (rule->action == ACT_CHECK)
			strbuf_printf(out, "%s: warning: on-error accept: a "
			    "failed lookup in this check permits the stage, "
			    "even where the table would refuse\n", rule->where);
		else
			strbuf_printf(out, "%s: warning: on-error accept: a "
			    "failed table lookup in this %s rule permits the "
			    "stage instead of refusing it\n", rule->where,
			    rules_action_names[rule->action]);
		n++;
	}
	return (n);
}
