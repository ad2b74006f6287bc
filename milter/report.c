/*
 * NAME
 *	report 3
 * SUMMARY
 *	log and count one decision of the engine
 * SYNOPSIS
 *	#include "milter/report.h"
 *
 *	const char *report_stage_name(enum rules_stage stage)
 *	void	report_result(const struct rules_session *s,
 *		enum rules_stage stage, const struct rules_result *res)
 *	void	report_logline(const struct rules_session *s,
 *		enum rules_stage stage, const struct rules_result *res,
 *		struct logline *l)
 * DESCRIPTION
 *	report_result() does, for a door into the engine (the milter, the
 *	policy listener), what follows a rules_eval() call whatever the
 *	door: a lookup error is counted and logged (as an error the first
 *	time a table fails, as debug after that); a debug line names the
 *	verdict and the deciding rule; the result's event (a refusal, a
 *	permitted relay, an accept, a discard) is logged as one line (see
 *	logline_format()) with the session's facts and identity, after
 *	a line for what a rule marked warn would have done; the recipient
 *	counters follow what the MTA is told at RCPT; a refusal of a
 *	blocked identity is counted at whatever stage it is told; an
 *	internal error is logged and counted.
 *
 *	report_logline() fills the fields of that line (its strings point
 *	into s and res).
 *
 *	An accept is logged because the MTA stops asking for the rest of
 *	the connection or message, so the recipients it then relays are
 *	never seen one by one: the accept line is the trail of those
 *	relays.
 * THREADS
 *	Reentrant: the counters are atomics and the log is thread-safe.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "milter/live.h"
#include "milter/reply.h"
#include "milter/report.h"
#include "milter/stats.h"

/* report_stage_name - the stage as the MTA's log names it */
const char *
report_stage_name(enum rules_stage stage)
{
	static const char *const names[RULES_NSTAGES] = {
		[RULES_CONNECT] = "CONNECT",
		[RULES_HELO] = "HELO",
		[RULES_MAIL] = "MAIL",
		[RULES_RCPT] = "RCPT",
	};

	return ((unsigned) stage < RULES_NSTAGES ? names[stage] : "?");
}

/* report_logline - the fields of a result's log line */
void
report_logline(const struct rules_session *s, enum rules_stage stage,
	const struct rules_result *res, struct logline *lp)
{
	struct logline l;
	int     refusal = res->event == RULES_EVENT_REJECT ||
	    res->event == RULES_EVENT_TEMPFAIL;

	memset(&l, 0, sizeof(l));
	l.queue_id = rules_session_get(s, RULES_FACT_QUEUE_ID);
	l.action = rules_event_name(res->event);
	l.stage = report_stage_name(stage);
	l.client_name = rules_session_client_name(s);
	l.client_addr = rules_session_get(s, RULES_FACT_CLIENT);
	l.code = refusal ? res->code : "";
	l.xcode = res->xcode;
	l.text = res->text;
	l.helo = rules_session_get(s, RULES_FACT_HELO);
	l.sender = rules_session_get(s, RULES_FACT_SENDER);
	l.rcpt = rules_session_get(s, RULES_FACT_RCPT);
	l.auth = rules_session_get(s, RULES_FACT_AUTH);
	l.identity = res->identity;
	l.identity_source = res->identity_source;
	l.rule = res->rule;
	*lp = l;
}

/*
 * log_event - the one line of a refusal, relay, accept or discard; or,
 * with warn, of what a rule marked warn would have done (action
 * "warn-reject", ...; the reply is "nothing done (warn)")
 */
static void
log_event(const struct rules_session *s, enum rules_stage stage,
	const struct rules_result *res, int warn)
{
	char    line[2048], action[32];
	struct logline l;

	/* Not formatted for nothing: a busy daemon logs at warning. */
	if (log_get_level() < LOG_LEVEL_INFO)
		return;
	report_logline(s, stage, res, &l);
	if (warn) {
		snprintf(action, sizeof(action), "warn-%s",
		    res->warn_verdict == RULES_CONTINUE ? "permit" :
		    rules_verdict_name(res->warn_verdict));
		l.action = action;
		l.code = "";
		l.rule = res->warn_rule;
		l.warn = 1;
	}
	logline_format(line, sizeof(line), &l);
	log_info("%s", line);
}

/* count_rcpt - the recipient counters: what the MTA is told at RCPT */
static void
count_rcpt(struct stats *st, const struct rules_result *res)
{
	switch (res->answer) {
	case RULES_ANSWER_CONTINUE:
	case RULES_ANSWER_ACCEPT_MESSAGE:
		stats_inc(st, STATS_RCPT_PERMITTED);
		if (res->event == RULES_EVENT_RELAY)
			stats_inc(st, STATS_RELAYS);
		break;
	case RULES_ANSWER_REJECT:
		stats_inc(st, STATS_RCPT_REJECTED);
		break;
	case RULES_ANSWER_TEMPFAIL:
		stats_inc(st, STATS_RCPT_TEMPFAILED);
		break;
	case RULES_ANSWER_DISCARD:
		stats_inc(st, STATS_RCPT_DISCARDED);
		break;
	default:
		break;
	}
}

/* report_result - log and count one decision */
void
report_result(const struct rules_session *s, enum rules_stage stage,
	const struct rules_result *res)
{
	struct stats *st = live_stats();
	const char *qid = rules_session_get(s, RULES_FACT_QUEUE_ID);
	char    err[sizeof(res->error)];

	if (res->internal_error) {
		log_error("%s: internal error: the session lost a fact (out "
		    "of memory); answering tempfail", report_stage_name(stage));
		stats_inc(st, STATS_INTERNAL_ERRORS);
		return;
	}
	if (res->lookup_error) {
		stats_inc(st, STATS_LOOKUP_ERRORS);
		text_sanitise(err, sizeof(err), res->error, TEXT_UTF8);
		if (res->error_first)
			log_error("lookup error: %s (rule %s: on-error decides)",
			    err, res->rule[0] ? res->rule : "-");
		else
			log_debug("lookup error: %s", err);
	}
	log_debug("%s: %s: %s%s rule %s", qid ? qid : "NOQUEUE",
	    report_stage_name(stage), rules_verdict_name(res->verdict),
	    res->relay ? " (relay)" : "", res->rule[0] ? res->rule : "-");
	if (res->warned)
		log_event(s, stage, res, 1);
	if (res->event != RULES_EVENT_NONE)
		log_event(s, stage, res, 0);
	if (stage == RULES_RCPT)
		count_rcpt(st, res);
	if (res->blocked && (res->answer == RULES_ANSWER_REJECT ||
	    res->answer == RULES_ANSWER_TEMPFAIL))
		stats_inc(st, STATS_BLOCKED_REFUSALS);
}
