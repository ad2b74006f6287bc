/*
 * NAME
 *	ctl_session - one made-up session through the engine
 * SYNOPSIS
 *	#include "ctl/ctl_session.h"
 *
 *	int ctl_session_run(struct rules *r, struct rules_facts *f,
 *		const char *const *rcpts, size_t nrcpt,
 *		const char *const *mailers, size_t nmailer, int flags,
 *		const struct ctl_session_ops *ops, void *ctx)
 * DESCRIPTION
 *	The rules_eval() calls the daemon makes for one connection:
 *	connect, helo and mail, then rcpt once per recipient. A refusal
 *	at connect, helo or mail without delay-reject ends the session
 *	there, as the MTA would; a discard ends the message. explain
 *	prints what happens; compare checks it against expectations.
 * DIAGNOSTICS
 *	None: the engine cannot fail (errors become on-error verdicts).
 */
#include <stddef.h>

#include "ctl/ctl_session.h"

/* refusal - whether a verdict ends the session before RCPT */
static int
refusal(enum rules_verdict v)
{
	return (v == RULES_REJECT || v == RULES_TEMPFAIL || v == RULES_DISCARD);
}

/* ctl_session_run - evaluate the stages of one session */
int
ctl_session_run(struct rules *r, struct rules_facts *f,
	const char *const *rcpts, size_t nrcpt,
	const char *const *mailers, size_t nmailer, int flags,
	const struct ctl_session_ops *ops, void *ctx)
{
	struct rules_session *sess = rules_session_new(r);
	struct rules_result res;
	struct rules_trace *t;
	int     refused = 0, tempfailed = 0, ended = 0, stage;
	size_t  i;

	for (stage = RULES_CONNECT; stage < RULES_RCPT && !ended; stage++) {
		if (stage == RULES_HELO && (flags & CTL_SESSION_NO_HELO))
			continue;
		t = flags & CTL_SESSION_TRACE ? rules_trace_new() : NULL;
		rules_eval(sess, (enum rules_stage) stage, f, &res, t);
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
		f->rcpt = rcpts[i];
		f->rcpt_mailer = nmailer == 0 ? NULL :
		    nmailer == 1 ? mailers[0] : mailers[i];
		t = flags & CTL_SESSION_TRACE ? rules_trace_new() : NULL;
		rules_eval(sess, RULES_RCPT, f, &res, t);
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
