#ifndef RG_CTL_SESSION_H
#define RG_CTL_SESSION_H

/*
 * ctl_session - drive the engine through one made-up SMTP session
 *
 * explain and compare both run a session through the same sequence of
 * rules_eval() calls the daemon makes: connect, helo, mail, then one
 * rcpt per recipient. This module is that sequence, written once.
 */
#include <stddef.h>

#include "rules/rules.h"

struct ctl_session_ops {
	/*
	 * stage - called after each rules_eval(); rcpt is NULL before
	 * the rcpt stage; t is NULL unless a trace was asked for.
	 */
	void	(*stage) (void *ctx, enum rules_stage, const char *rcpt,
		    const struct rules_trace *t, const struct rules_result *);

	/*
	 * decide - the answer for recipient number idx, or, with idx
	 * CTL_SESSION_ALL, the refusal that ended the session at stage
	 * before any recipient (the MTA applies it to every recipient).
	 */
	void	(*decide) (void *ctx, enum rules_stage stage, size_t idx,
		    const struct rules_result *);
};

#define CTL_SESSION_ALL	((size_t) -1)

/* Flags of ctl_session_run(). */
#define CTL_SESSION_TRACE	(1 << 0)	/* a trace per stage */
#define CTL_SESSION_NO_HELO	(1 << 1)	/* the client sends no HELO */
#define CTL_SESSION_POLICY	(1 << 2)	/* through the policy door: every
						 * stage before RCPT quiet */

/*
 * The facts of a made-up session, by fact (rules/fact_list.h); NULL:
 * absent. RULES_FACT_CLIENT is an address as text ("unix": none);
 * rcpt and rcpt-mailer are given per recipient to ctl_session_run().
 */
struct ctl_facts {
	const char *v[RULES_NFACTS];
};

/*
 * ctl_facts_set - set fact name to value: 0, or -1 when name is no
 * fact a session can be given (derived or unknown)
 */
extern int ctl_facts_set(struct ctl_facts *, const char *name,
	const char *value);

/*
 * ctl_session_run - evaluate one session under r, with the stages the
 * milter door leaves unanswered quiet as the daemon makes them
 * (rules_quiet_stages()). f holds the session's facts; mailers is
 * empty, one for all, or one per recipient. flags: TRACE
 * asks for a trace per stage; NO_HELO skips the helo stage, as for a
 * client that sends MAIL without HELO; POLICY makes every stage before
 * RCPT quiet, as the policy door does. Returns the explain exit status: 0 every recipient
 * permitted (or discarded), 1 some refused permanently, 2 some
 * tempfailed and none refused permanently. This function cannot fail.
 */
extern int ctl_session_run(struct rules *r, const struct ctl_facts *f,
	const char *const *rcpts, size_t nrcpt,
	const char *const *mailers, size_t nmailer, int flags,
	const struct ctl_session_ops *ops, void *ctx);

#endif
