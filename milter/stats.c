/*
 * NAME
 *	stats 3
 * SUMMARY
 *	daemon counters: sessions, recipients, per-rule decisions
 * SYNOPSIS
 *	#include "milter/stats.h"
 *
 *	struct stats *stats_new(void)
 *	void	stats_free(struct stats *st)
 *	void	stats_inc(struct stats *st, enum stats_counter c)
 *	unsigned long long stats_get(struct stats *st, enum stats_counter c)
 *	void	stats_rule(struct stats *st, const char *rule,
 *		enum stats_decision d)
 *	void	stats_declare_rule(struct stats *st, const char *rule)
 *	unsigned long long stats_rule_get(struct stats *st,
 *		const char *rule, enum stats_decision d)
 *	void	stats_format(struct stats *st, struct strbuf *out)
 *	void	stats_format_prometheus(struct stats *st, struct strbuf *out)
 * DESCRIPTION
 *	Global counters are atomic. Per-rule counters are keyed by the
 *	rule's "file:line" and count each decision the rule made (a rule
 *	that matched decided); stats_declare_rule() lists a rule with zero
 *	counts so that rules that never matched show too. Rules are kept
 *	in the order first seen. Counters survive a reload: a rule keeps
 *	its counts while its file:line stays the same.
 *
 *	stats_format() appends "name value" lines, then one line per rule:
 *	"rule FILE:LINE matched N permit N accept N reject N tempfail N
 *	discard N". stats_format_prometheus() appends the Prometheus text
 *	exposition format (version 0.0.4) with relayguard_ metric names.
 * THREADS
 *	Safe: rule counters are updated under one mutex (held for a hash
 *	lookup and an increment).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "milter/stats.h"

struct stats_rule {
	char   *name;
	unsigned long long n[STATS_NDECISIONS];
};

struct stats {
	atomic_ullong c[STATS_NCOUNTERS];
	pthread_mutex_t lock;
	struct stats_rule *rules;	/* in order first seen */
	size_t	nrules, caprules;
	size_t *hash;			/* index + 1 into rules; 0 empty */
	size_t	caphash;		/* power of two */
};

static const char *const counter_names[STATS_NCOUNTERS] = {
	[STATS_SESSIONS] = "sessions",
	[STATS_RCPT_PERMITTED] = "recipients_permitted",
	[STATS_RCPT_REJECTED] = "recipients_rejected",
	[STATS_RCPT_TEMPFAILED] = "recipients_tempfailed",
	[STATS_RCPT_DISCARDED] = "recipients_discarded",
	[STATS_RELAYS] = "relays_permitted",
	[STATS_LOOKUP_ERRORS] = "lookup_errors",
	[STATS_INTERNAL_ERRORS] = "internal_errors",
	[STATS_RELOADS] = "reloads",
	[STATS_RELOADS_REFUSED] = "reloads_refused",
};

static const char *const decision_names[STATS_NDECISIONS] = {
	[STATS_PERMIT] = "permit",
	[STATS_ACCEPT] = "accept",
	[STATS_REJECT] = "reject",
	[STATS_TEMPFAIL] = "tempfail",
	[STATS_DISCARD] = "discard",
};

/* stats_new - zeroed counters */
struct stats *
stats_new(void)
{
	struct stats *st = xcalloc(1, sizeof(*st));
	int     i;

	for (i = 0; i < STATS_NCOUNTERS; i++)
		atomic_init(&st->c[i], 0);
	pthread_mutex_init(&st->lock, NULL);
	st->caphash = 64;
	st->hash = xcalloc(st->caphash, sizeof(*st->hash));
	return (st);
}

/* stats_free - release everything; NULL-safe */
void
stats_free(struct stats *st)
{
	size_t  i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nrules; i++)
		free(st->rules[i].name);
	free(st->rules);
	free(st->hash);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* stats_inc - count one event */
void
stats_inc(struct stats *st, enum stats_counter c)
{
	atomic_fetch_add(&st->c[c], 1);
}

/* stats_get - one global counter */
unsigned long long
stats_get(struct stats *st, enum stats_counter c)
{
	return (atomic_load(&st->c[c]));
}

/* hash_str - FNV-1a */
static size_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char) *s;
		h *= 1099511628211ULL;
	}
	return ((size_t) h);
}

/* rule_find - the rule's entry, made when missing; lock held */
static struct stats_rule *
rule_find(struct stats *st, const char *name, int create)
{
	size_t  i, j;

	for (i = hash_str(name) & (st->caphash - 1); st->hash[i];
	    i = (i + 1) & (st->caphash - 1))
		if (strcmp(st->rules[st->hash[i] - 1].name, name) == 0)
			return (&st->rules[st->hash[i] - 1]);
	if (!create)
		return (NULL);
	if (st->nrules == st->caprules) {
		st->caprules = st->caprules ? 2 * st->caprules : 16;
		st->rules = xreallocarray(st->rules, st->caprules,
		    sizeof(*st->rules));
	}
	memset(&st->rules[st->nrules], 0, sizeof(st->rules[0]));
	st->rules[st->nrules].name = xstrdup(name);
	st->hash[i] = ++st->nrules;
	if (2 * st->nrules > st->caphash) {
		free(st->hash);
		st->caphash *= 2;
		st->hash = xcalloc(st->caphash, sizeof(*st->hash));
		for (j = 0; j < st->nrules; j++) {
			for (i = hash_str(st->rules[j].name) & (st->caphash - 1);
			    st->hash[i]; i = (i + 1) & (st->caphash - 1))
				;
			st->hash[i] = j + 1;
		}
	}
	return (&st->rules[st->nrules - 1]);
}

/* stats_rule - count one decision of a rule */
void
stats_rule(struct stats *st, const char *rule, enum stats_decision d)
{
	if (rule == NULL || *rule == 0)
		return;
	pthread_mutex_lock(&st->lock);
	rule_find(st, rule, 1)->n[d]++;
	pthread_mutex_unlock(&st->lock);
}

/* stats_declare_rule - list a rule even before it matches */
void
stats_declare_rule(struct stats *st, const char *rule)
{
	if (rule == NULL || *rule == 0)
		return;
	pthread_mutex_lock(&st->lock);
	(void) rule_find(st, rule, 1);
	pthread_mutex_unlock(&st->lock);
}

/* stats_rule_get - one per-rule counter; 0 for an unknown rule */
unsigned long long
stats_rule_get(struct stats *st, const char *rule, enum stats_decision d)
{
	struct stats_rule *r;
	unsigned long long n;

	pthread_mutex_lock(&st->lock);
	r = rule_find(st, rule, 0);
	n = r ? r->n[d] : 0;
	pthread_mutex_unlock(&st->lock);
	return (n);
}

/* stats_format - "name value" lines and one line per rule */
void
stats_format(struct stats *st, struct strbuf *out)
{
	unsigned long long total;
	size_t  i;
	int     c, d;

	for (c = 0; c < STATS_NCOUNTERS; c++)
		strbuf_printf(out, "%s %llu\n", counter_names[c],
		    stats_get(st, (enum stats_counter) c));
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->nrules; i++) {
		for (total = 0, d = 0; d < STATS_NDECISIONS; d++)
			total += st->rules[i].n[d];
		strbuf_printf(out, "rule %s matched %llu", st->rules[i].name,
		    total);
		for (d = 0; d < STATS_NDECISIONS; d++)
			strbuf_printf(out, " %s %llu", decision_names[d],
			    st->rules[i].n[d]);
		strbuf_putc(out, '\n');
	}
	pthread_mutex_unlock(&st->lock);
}

/* prom_label - append a label value escaped as Prometheus requires */
static void
prom_label(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			strbuf_putc(out, '\\');
			strbuf_putc(out, *s);
		} else if (*s == '\n')
			strbuf_puts(out, "\\n");
		else
			strbuf_putc(out, *s);
	}
}

/* stats_format_prometheus - Prometheus text exposition format */
void
stats_format_prometheus(struct stats *st, struct strbuf *out)
{
	static const struct {
		enum stats_counter c;
		const char *name, *label, *help;
	}       m[] = {
		{STATS_SESSIONS, "relayguard_sessions_total", NULL,
		"SMTP sessions seen."},
		{STATS_RCPT_PERMITTED, "relayguard_recipients_total",
		"permitted", "Recipients by decision."},
		{STATS_RCPT_REJECTED, "relayguard_recipients_total",
		"rejected", NULL},
		{STATS_RCPT_TEMPFAILED, "relayguard_recipients_total",
		"tempfailed", NULL},
		{STATS_RCPT_DISCARDED, "relayguard_recipients_total",
		"discarded", NULL},
		{STATS_RELAYS, "relayguard_relays_total", NULL,
		"Recipients permitted for a non-local destination."},
		{STATS_LOOKUP_ERRORS, "relayguard_lookup_errors_total", NULL,
		"Table lookups that failed (on-error decided)."},
		{STATS_INTERNAL_ERRORS, "relayguard_internal_errors_total",
		NULL, "Callbacks that failed and tempfailed."},
		{STATS_RELOADS, "relayguard_reloads_total", NULL,
		"Configuration reloads accepted."},
		{STATS_RELOADS_REFUSED, "relayguard_reloads_refused_total",
		NULL, "Configuration reloads refused."},
	};
	size_t  i;
	int     d;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].help) {
			strbuf_printf(out, "# HELP %s %s\n", m[i].name,
			    m[i].help);
			strbuf_printf(out, "# TYPE %s counter\n", m[i].name);
		}
		if (m[i].label)
			strbuf_printf(out, "%s{decision=\"%s\"} %llu\n",
			    m[i].name, m[i].label, stats_get(st, m[i].c));
		else
			strbuf_printf(out, "%s %llu\n", m[i].name,
			    stats_get(st, m[i].c));
	}
	strbuf_puts(out, "# HELP relayguard_rule_decisions_total "
	    "Decisions made by each rule (file:line).\n"
	    "# TYPE relayguard_rule_decisions_total counter\n");
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->nrules; i++) {
		for (d = 0; d < STATS_NDECISIONS; d++) {
			strbuf_puts(out, "relayguard_rule_decisions_total{rule=\"");
			prom_label(out, st->rules[i].name);
			strbuf_printf(out, "\",decision=\"%s\"} %llu\n",
			    decision_names[d], st->rules[i].n[d]);
		}
	}
	pthread_mutex_unlock(&st->lock);
}
