/*
 * NAME
 *	limits 3
 * SUMMARY
 *	rate-limit rules: count recipients, refuse over the limit
 * SYNOPSIS
 *	#include "rules/limits.h"
 *
 *	void	rules_limits_attach(struct rules *r,
 *		const struct rules_limits *l)
 *	int	rules_limits_used(const struct rules *r)
 *	int	rules_networks_used(const struct rules *r)
 *	char   *rules_client_network(const struct rules_session *s,
 *		char *buf, size_t len)
 *	char   *rules_limit_subject(const struct rules_session *s,
 *		char *buf, size_t len, int *identity)
 *
 *	#include "rules/rules_int.h"
 *
 *	int	limit_rule_check(struct rules_session *s,
 *		const struct rule *rule, struct rules_trace *trace,
 *		char *err, size_t errlen)
 *	void	limit_settle(struct rules_session *s, int permitted,
 *		struct rules_trace *trace)
 *	void	limit_rule_free(struct rule_limit *lim)
 *	int64_t	limit_now(const struct rules *r)
 *	int	limit_identity(const struct rules_session *s,
 *		enum rules_stage stage, char *buf, size_t len)
 * DESCRIPTION
 *	limit_rule_check() runs when the conditions of a rule with a
 *	limit hold. It takes one unit from the subject's counters of
 *	that limit: when every window allows it, the recipient is
 *	counted, kept in the session, and the rule does not decide (0); when
 *	a window refuses, nothing is counted and the rule decides (1).
 *	A store that fails is -1 (the caller yields on-error).
 *
 *	Only recipients that are finally permitted count: limit_settle()
 *	runs when the RCPT's answer is known and gives back what held
 *	counted unless the recipient was permitted. Counting first and
 *	giving back later, rather than looking first and counting later,
 *	means that concurrent sessions of one subject can never be
 *	admitted past the limit: the slack is zero. The price is the
 *	other way round: while a recipient that a later rule refuses is
 *	held (microseconds), a concurrent one may be refused although
 *	the limit would have let it pass.
 *
 *	The subject is rules_limit_subject(): the one function to change
 *	when the identity fact replaces the SASL login.
 *
 *	With block-after N, the N-th refusal in a row of one subject
 *	(counted by the store until its counters are idle again) is
 *	reported through the attached exceeded() hook, marked warn when
 *	the rule is (the hook then blocks nothing).
 * DIAGNOSTICS
 *	Errors are returned in err; nothing is logged.
 * THREADS
 *	Any number of sessions may check limits at once; the store does
 *	the locking. What a session holds is its own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/rules_int.h"

/* rules_limits_attach - the store the limits of r count in */
void
rules_limits_attach(struct rules *r, const struct rules_limits *l)
{
	r->limits = *l;
}

/* rules_limits_used - does a rule have a limit? */
int
rules_limits_used(const struct rules *r)
{
	size_t  i;

	for (i = 0; i < r->nall; i++)
		if (r->all_rules[i]->limit != NULL)
			return (1);
	return (0);
}

/* rules_networks_used - does a rule count networks? */
int
rules_networks_used(const struct rules *r)
{
	size_t  i;

	for (i = 0; i < r->nall; i++)
		if (r->all_rules[i]->spread != NULL)
			return (1);
	return (0);
}

/*
 * limit_identity - the identity as stage knows it, lowercased, control
 * characters as '?', cut at LIMIT_SUBJECT_MAX: 1, 0 none, -1 unknown
 * (a grant table failed)
 */
int
limit_identity(const struct rules_session *s, enum rules_stage stage,
	char *buf, size_t len)
{
	char    id[LIMIT_SUBJECT_MAX + 1];
	const char *source;
	size_t  i, n;
	int     known;

	if ((known = rules_identity(s, stage, id, sizeof(id), &source)) < 0)
		return (-1);
	if (known == 0 || id[0] == '\0')
		return (0);
	n = strlen(id);
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char) id[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char) tolower(c);
	}
	buf[n] = '\0';
	return (1);
}

/* rules_client_network - the client's /24 or /64, or "unknown" */
char   *
rules_client_network(const struct rules_session *s, char *buf, size_t len)
{
	const struct addr *client = rules_session_client(s);
	struct prefix pf;
	char    a[ADDR_STRLEN];

	if (client == NULL) {
		snprintf(buf, len, "unknown");
		return (buf);
	}
	pf.addr = *client;
	pf.len = client->family == ADDR_V4 ? 24 : 64;
	memset(pf.addr.bytes + pf.len / 8, 0, sizeof(pf.addr.bytes) -
	    (size_t) pf.len / 8);
	prefix_format(&pf, a, sizeof(a));
	snprintf(buf, len, "%s", a);
	return (buf);
}

/*
 * rules_limit_subject - the identity, else the client's network; NULL
 * when the identity cannot be known (a grant table failed)
 */
char   *
rules_limit_subject(const struct rules_session *s, char *buf, size_t len,
	int *identity)
{
	int     known = limit_identity(s, RULES_RCPT, buf, len);

	if (known < 0)
		return (NULL);
	*identity = known;
	return (known ? buf : rules_client_network(s, buf, len));
}

/* limit_now - the attached clock, or the real one */
int64_t
limit_now(const struct rules *r)
{
	struct timespec ts;

	if (r->limits.now != NULL)
		return (r->limits.now(r->limits.arg));
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * LIMIT_US + ts.tv_nsec / 1000);
}

/* windows_text - "37 of 100/hour left, 420 of 500/day left" */
static void
windows_text(const struct rule_limit *lim, const uint32_t *left, char *buf,
	size_t len)
{
	char    w[40];
	size_t  i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < lim->nwin && o < len; i++) {
		limit_window_format(&lim->win[i], w, sizeof(w));
		o += (size_t) snprintf(buf + o, len - o, "%s%u of %s left",
		    i ? ", " : "", left[i], w);
	}
}

/* limit_rule_check - count one recipient; 1 over the limit, 0 counted */
int
limit_rule_check(struct rules_session *s, const struct rule *rule,
	struct rules_trace *trace, char *err, size_t errlen)
{
	const struct rules *r = s->r;
	struct limit_held *held = &s->held;
	const struct rule_limit *lim = rule->limit;
	struct limit_answer ans;
	struct limit_key key;
	struct rules_limit_event ev;
	char    left[300], w[40];

	if (r->limits.store == NULL) {
		snprintf(err, errlen, "%s: no rate counter store", lim->name);
		return (-1);
	}
	if (held->n >= LIMIT_HELD_MAX) {
		snprintf(err, errlen, "%s: too many limits for one recipient",
		    lim->name);
		return (-1);
	}
	if (held->subject[0] == '\0') {
		if (rules_limit_subject(s, held->subject,
		    sizeof(held->subject), &held->identity) == NULL) {
			held->subject[0] = '\0';
			snprintf(err, errlen, "%s: the identity is unknown (a "
			    "grant table failed)", lim->name);
			return (-1);
		}
		held->now = limit_now(r);
	}
	key.subject = held->subject;
	key.name = lim->name;
	if (limit_take(r->limits.store, &key, lim->win, lim->nwin, held->now,
	    1, &ans) < 0) {
		snprintf(err, errlen, "%s: rate counter store failed for %s",
		    lim->name, held->subject);
		return (-1);
	}
	if (trace)
		windows_text(lim, ans.left, left, sizeof(left));
	if (ans.allowed) {
		held->lim[held->n++] = lim;
		if (trace)
			trace_add(trace, rule->stage, rule->where, rule->text,
			    RULES_TRACE_NO_MATCH, "%s: under the limit, recipient counted "
			    "(%s)", held->subject, left);
		return (0);
	}
	if (trace) {
		limit_window_format(&lim->win[ans.window], w, sizeof(w));
		trace_add(trace, rule->stage, rule->where, rule->text,
		    RULES_TRACE_MATCH,
		    "%s: over the limit %s (%s); allows again in %lld s; "
		    "refused %lu time%s in a row", held->subject, w, left,
		    (long long) ((ans.again - held->now + LIMIT_US - 1) /
		    LIMIT_US), ans.denials, ans.denials == 1 ? "" : "s");
	}
	if (lim->block_after != 0 && ans.denials == lim->block_after &&
	    r->limits.exceeded != NULL) {
		ev.rules = r;
		ev.subject = held->subject;
		ev.identity = held->identity;
		ev.limit = lim->name;
		ev.where = rule->where;
		ev.denials = ans.denials;
		ev.networks = 0;
		ev.network = NULL;
		ev.block_ttl = lim->block_ttl;
		ev.warn = rule->warn;
		r->limits.exceeded(r->limits.arg, &ev);
	}
	return (1);
}

/* limit_settle - keep the counted recipient if permitted, else give back */
void
limit_settle(struct rules_session *s, int permitted,
	struct rules_trace *trace)
{
	const struct rules *r = s->r;
	struct limit_held *held = &s->held;
	struct limit_key key;
	size_t  i;

	if (!permitted && held->n > 0) {
		key.subject = held->subject;
		for (i = 0; i < held->n; i++) {
			key.name = held->lim[i]->name;
			(void) limit_give(r->limits.store, &key,
			    held->lim[i]->win, held->lim[i]->nwin, held->now, 1);
		}
		if (trace)
			trace_add(trace, RULES_RCPT, "", "", RULES_TRACE_NOTE,
			    "the recipient was not permitted: not counted "
			    "against %zu limit%s", held->n,
			    held->n == 1 ? "" : "s");
	}
	held->n = 0;
	held->subject[0] = '\0';
	held->now = 0;
}

/* limit_rule_free - NULL-safe */
void
limit_rule_free(struct rule_limit *lim)
{
	if (lim == NULL)
		return;
	free(lim->name);
	free(lim->text);
	free(lim);
}
