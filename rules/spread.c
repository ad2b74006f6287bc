/*
 * NAME
 *	spread 3
 * SUMMARY
 *	networks rules: one identity logging in from too many networks
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	int	spread_rule_check(struct rules_session *s,
 *		const struct rule *rule, struct rules_trace *trace,
 *		char *err, size_t errlen)
 *	void	spread_rule_free(struct rule_spread *sp)
 * DESCRIPTION
 *	spread_rule_check() runs when the conditions of a rule
 *	"networks K/PERIOD" hold. It notes the client's network (its /24
 *	or /64, rules_client_network()) for the session's identity in
 *	the attached spread store and decides (1) when the identity has
 *	been seen from more than K distinct networks within PERIOD, this
 *	one included; otherwise the rule does not decide (0). A session
 *	without an identity is not counted (0): a stranger has no
 *	account to steal. A store that fails, or an identity that cannot
 *	be known, is -1 (the caller yields on-error).
 *
 *	When the network is a new one and takes the identity over K, the
 *	attached exceeded() hook is told (once per such network), with
 *	the rule's block time when it says "block" and marked warn when
 *	the rule is: the daemon blocks the identity, or only logs.
 *	Further recipients from networks already seen are refused by the
 *	rule, without a new report, until the networks age out.
 * DIAGNOSTICS
 *	Errors are returned in err; nothing is logged.
 * THREADS
 *	Any number of sessions may check at once; the store does the
 *	locking.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rules/rules_int.h"
#include "store/spread.h"

/* report - tell the exceeded() hook about a new network over K */
static void
report(const struct rules *r, const struct rule *rule, const char *id,
	const char *net, unsigned networks)
{
	struct rules_limit_event ev = {0};

	if (r->limits.exceeded == NULL)
		return;
	ev.rules = r;
	ev.subject = id;
	ev.identity = 1;
	ev.limit = rule->spread->name;
	ev.where = rule->where;
	ev.networks = networks;
	ev.network = net;
	ev.block_ttl = rule->spread->block ? rule->spread->block_ttl : 0;
	ev.warn = rule->warn;
	r->limits.exceeded(r->limits.arg, &ev);
}

/* spread_rule_check - note the network; 1 over K, 0 not, -1 error */
int
spread_rule_check(struct rules_session *s, const struct rule *rule,
	struct rules_trace *trace, char *err, size_t errlen)
{
	const struct rules *r = s->r;
	const struct rule_spread *sp = rule->spread;
	struct spread_answer ans;
	struct limit_key key;
	char    id[LIMIT_SUBJECT_MAX + 1], net[SPREAD_NET_MAX], w[40];
	struct limit_window win = {sp->max, sp->period};
	int     known;

	if (r->limits.spread == NULL) {
		snprintf(err, errlen, "%s: no networks store", sp->name);
		return (-1);
	}
	if ((known = limit_identity(s, rule->stage, id, sizeof(id))) < 0) {
		snprintf(err, errlen, "%s: the identity is unknown (a grant "
		    "table failed)", sp->name);
		return (-1);
	}
	if (known == 0 || rules_session_client(s) == NULL) {
		if (trace)
			trace_add(trace, rule->stage, rule->where, rule->text,
			    RULES_TRACE_NO_MATCH, "no %s: networks are not "
			    "counted", known ? "client address" : "identity");
		return (0);
	}
	rules_client_network(s, net, sizeof(net));
	key.subject = id;
	key.name = sp->name;
	if (spread_note(r->limits.spread, &key, net, sp->max, sp->period,
	    limit_now(r), &ans, err, errlen) < 0)
		return (-1);
	limit_window_format(&win, w, sizeof(w));
	if (ans.networks <= sp->max) {
		if (trace)
			trace_add(trace, rule->stage, rule->where, rule->text,
			    RULES_TRACE_NO_MATCH, "%s: %u network%s of %s "
			    "(%s%s)", id, ans.networks, ans.networks == 1 ?
			    "" : "s", w, net, ans.added ? ", new" : "");
		return (0);
	}
	if (trace)
		trace_add(trace, rule->stage, rule->where, rule->text,
		    RULES_TRACE_MATCH, "%s: more than %s (%s%s)%s", id, w, net,
		    ans.added ? ", new" : "", ans.added && sp->block ?
		    rule->warn ? "; would block the identity" :
		    "; the identity is blocked" : "");
	if (ans.added)
		report(r, rule, id, net, ans.networks);
	return (1);
}

/* spread_rule_free - NULL-safe */
void
spread_rule_free(struct rule_spread *sp)
{
	if (sp == NULL)
		return;
	free(sp->name);
	free(sp->text);
	free(sp);
}
