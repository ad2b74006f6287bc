/*
 * NAME
 *	ctl_session - one made-up session through the engine
 * SYNOPSIS
 *	#include "ctl/ctl_session.h"
 *
 *	int ctl_facts_set(struct ctl_facts *f, const char *name,
 *		const char *value)
 *	int ctl_session_run(struct rules *r, const struct ctl_facts *f,
 *		const char *const *rcpts, size_t nrcpt,
 *		const char *const *mailers, size_t nmailer, int flags,
 *		const struct ctl_session_ops *ops, void *ctx)
 * DESCRIPTION
 *	The rules_eval() calls the daemon makes for one connection:
 *	connect, helo and mail, then rcpt once per recipient. A refusal
 *	at connect, helo or mail without delay-reject ends the session
 *	there, as the MTA would; a discard ends the message. explain
 *	prints what happens; compare checks it against expectations.
 *
 *	The session's facts are set before the first stage (the engine
 *	reads only what a stage may know), the recipient's before each
 *	RCPT.
 * DIAGNOSTICS
 *	ctl_session_run() cannot fail: the engine turns errors into
 *	on-error verdicts, and out of memory aborts relayguardctl.
 */
#include <stddef.h>
#include <stdlib.h>

#include "ctl/ctl_session.h"

/* refusal - whether a verdict ends the session before RCPT */
static int
refusal(enum rules_verdict v)
{
	return (v == RULES_REJECT || v == RULES_TEMPFAIL || v == RULES_DISCARD);
}

/* ctl_facts_set - one fact of a made-up session, by name */
int
ctl_facts_set(struct ctl_facts *f, const char *name, const char *value)
{
	enum rules_fact id;

	if (rules_fact_by_name(name, &id) < 0 ||
	    rules_fact_info(id)->from != id)
		return (-1);
	f->v[id] = value;
	return (0);
}

/* session_new - a session holding the facts of f, quiet as the door */
static struct rules_session *
session_new(struct rules *r, const struct ctl_facts *f, int flags)
{
	struct rules_session *sess;
	int     i;

	if ((sess = rules_session_new(r, flags & CTL_SESSION_POLICY ?
	    RULES_QUIET_ALL : rules_quiet_stages(r))) == NULL)
		abort();
	for (i = 0; i < RULES_NFACTS; i++)
		if (f->v[i] != NULL && i != RULES_FACT_RCPT &&
		    i != RULES_FACT_RCPT_MAILER &&
		    rules_session_set(sess, (enum rules_fact) i, f->v[i]) < 0)
			abort();
	return (sess);
}

/* ctl_session_run - evaluate the stages of one session */
int
ctl_session_run(struct rules *r, const struct ctl_facts *f,
	const char *const *rcpts, size_t nrcpt,
	const char *const *mailers, size_t nmailer, int flags,
	const struct ctl_session_ops *ops, void *ctx)
{
	struct rules_session *sess = session_new(r, f, flags);
	struct rules_result res;
	struct rules_trace *t;
	int     refused = 0, tempfailed = 0, ended = 0, stage;
	size_t  i;

	for (stage = RULES_CONNECT; stage < RULES_RCPT && !ended; stage++) {
		if (stage == RULES_HELO && (flags & CTL_SESSION_NO_HELO))
			continue;
		t = flags & CTL_SESSION_TRACE ? rules_trace_new() : NULL;
		rules_eval(sess, (enum rules_stage) stage, &res, t);
		ops->stage(ctx, (enum rules_stage) stage, NULL, t, &res);
		rules_trace_free(t);
		if (refusal(res.verdict)) {
			ended = 1;
			refused |= res.verdict == RULES_REJECT;
			tempfailed |= res.verdict == RULES_TEMPFAIL;
			ops->decide(ctx, (enum rules_stage) stage,
			    CTL_SESSION_ALL, &res);
		}
	}
	for (i = 0; i < nrcpt && !ended; i++) {
		if (rules_session_set(sess, RULES_FACT_RCPT, rcpts[i]) < 0 ||
		    rules_session_set(sess, RULES_FACT_RCPT_MAILER,
		    nmailer == 0 ? NULL : nmailer == 1 ? mailers[0] :
		    mailers[i]) < 0)
			abort();
		t = flags & CTL_SESSION_TRACE ? rules_trace_new() : NULL;
		rules_eval(sess, RULES_RCPT, &res, t);
		ops->stage(ctx, RULES_RCPT, rcpts[i], t, &res);
		rules_trace_free(t);
		refused |= res.verdict == RULES_REJECT;
		tempfailed |= res.verdict == RULES_TEMPFAIL;
		ops->decide(ctx, RULES_RCPT, i, &res);
		if (res.verdict == RULES_DISCARD)
			ended = 1;
	}
	if (nrcpt == 0 && !ended) {
		enum rules_verdict p = rules_session_pending(sess);

		refused |= p == RULES_REJECT;
		tempfailed |= p == RULES_TEMPFAIL;
	}
	rules_session_free(sess);
	return (refused ? 1 : tempfailed ? 2 : 0);
}
