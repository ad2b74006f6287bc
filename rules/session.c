/*
 * NAME
 *	session 3
 * SUMMARY
 *	one SMTP session: its facts, its state, and what the MTA is told
 * SYNOPSIS
 *	#include "rules/rules.h"
 *
 *	struct rules_session *rules_session_new(struct rules *r,
 *		unsigned quiet)
 *	void	rules_session_free(struct rules_session *s)
 *	struct rules *rules_session_rules(const struct rules_session *s)
 *	int	rules_session_set(struct rules_session *s, enum rules_fact f,
 *		const char *value)
 *	void	rules_session_set_client(struct rules_session *s,
 *		const struct addr *a)
 *	const char *rules_session_get(const struct rules_session *s,
 *		enum rules_fact f)
 *	const struct addr *rules_session_client(
 *		const struct rules_session *s)
 *	const char *rules_session_client_name(
 *		const struct rules_session *s)
 *	void	rules_session_end_message(struct rules_session *s)
 *	enum rules_verdict rules_session_pending(
 *		const struct rules_session *s)
 *	int	rules_eval(struct rules_session *s, enum rules_stage stage,
 *		struct rules_result *res, struct rules_trace *trace)
 *	const char *rules_answer_name(enum rules_answer a)
 *	const char *rules_event_name(enum rules_event e)
 * DESCRIPTION
 *	A door into the engine (the milter, the policy listener,
 *	relayguardctl explain) makes one session per SMTP session, hands
 *	it each fact as the MTA tells it (rules_session_set(): a bounded
 *	private copy; everything derived from the fact is forgotten), and
 *	asks rules_eval() at each stage. The facts are the rows of
 *	fact_list.h; their scope says which rules_session_end_message()
 *	forgets.
 *
 *	rules_eval() has the stage decided (rules_evaluate(), eval.c),
 *	then says what the MTA must be told (answer()) and what the door
 *	logs. A discard is a message action: decided at connect or helo
 *	it holds for each message of the connection, delivered at MAIL
 *	(or at the first RCPT after a quiet MAIL). A quiet stage (quiet
 *	bit RULES_QUIET(stage)) answers RULES_ANSWER_NOREPLY: its refusal
 *	is delayed to each RCPT, its accept kept as session state, its
 *	discard delivered at the first RCPT, and an accept is logged when
 *	it is delivered.
 * DIAGNOSTICS
 *	rules_session_new() returns NULL when out of memory. A session
 *	that could not copy a fact is broken: the fact is absent (which
 *	could turn a refusal into a permit), so every later answer the MTA
 *	waits for is 451 4.3.0 with internal_error set.
 * THREADS
 *	A session is used by one thread at a time; any number of
 *	sessions may evaluate the same rules at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/rcpt.h"
#include "rules/rules_int.h"

/* rules_answer_name - how explain names what the MTA is told */
const char *
rules_answer_name(enum rules_answer a)
{
	static const char *const names[] = {
		[RULES_ANSWER_CONTINUE] = "continue",
		[RULES_ANSWER_NOREPLY] = "no reply",
		[RULES_ANSWER_ACCEPT_CONNECTION] = "accept connection",
		[RULES_ANSWER_ACCEPT_MESSAGE] = "accept message",
		[RULES_ANSWER_REJECT] = "reject",
		[RULES_ANSWER_TEMPFAIL] = "tempfail",
		[RULES_ANSWER_DISCARD] = "discard message",
	};

	return ((unsigned) a <= RULES_ANSWER_DISCARD ? names[a] : "?");
}

/* rules_event_name - the action word of a log line */
const char *
rules_event_name(enum rules_event e)
{
	static const char *const names[] = {
		[RULES_EVENT_NONE] = "none",
		[RULES_EVENT_ACCEPT] = "accept",
		[RULES_EVENT_RELAY] = "relay",
		[RULES_EVENT_REJECT] = "reject",
		[RULES_EVENT_TEMPFAIL] = "tempfail",
		[RULES_EVENT_DISCARD] = "discard",
	};

	return ((unsigned) e <= RULES_EVENT_DISCARD ? names[e] : "?");
}

/* rules_session_new - a session under rules r (takes a reference) */
struct rules_session *
rules_session_new(struct rules *r, unsigned quiet)
{
	struct rules_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return (NULL);
	s->r = rules_ref(r);
	s->quiet = quiet & RULES_QUIET_ALL;
	return (s);
}

/* forget - drop what was derived from fact f */
static void
forget(struct rules_session *s, enum rules_fact f)
{
	switch (f) {
	case RULES_FACT_SENDER:
		if (s->snd.have)
			rcpt_free(&s->snd.r);
		s->snd.have = 0;
		break;
	case RULES_FACT_CLIENT_NAME:
	case RULES_FACT_CLIENT_RESOLVE:
		s->cn.have = 0;
		break;
	case RULES_FACT_HELO:
		s->helo.have = 0;
		break;
	default:
		break;
	}
}

/* rules_session_free - NULL-safe */
void
rules_session_free(struct rules_session *s)
{
	int     i;

	if (s == NULL)
		return;
	forget(s, RULES_FACT_SENDER);
	for (i = 0; i < RULES_NFACTS; i++)
		free(s->v[i]);
	rules_unref(s->r);
	free(s);
}

/* rules_session_rules - the rules of a session */
struct rules *
rules_session_rules(const struct rules_session *s)
{
	return (s->r);
}

/* rules_session_set_client - the client address, or none */
void
rules_session_set_client(struct rules_session *s, const struct addr *a)
{
	s->has_client = a != NULL;
	s->client_text[0] = '\0';
	if (a != NULL) {
		s->client = *a;
		addr_format(a, s->client_text, sizeof(s->client_text));
	}
}

/* rules_session_set - keep a bounded private copy of one fact */
int
rules_session_set(struct rules_session *s, enum rules_fact f,
	const char *value)
{
	const struct rules_fact_info *fi = rules_fact_info(f);
	struct addr a;
	size_t  len;
	int     ret = 0;

	if (fi == NULL || fi->from != f)
		return (1);
	if (f == RULES_FACT_CLIENT) {
		if (value == NULL || strcmp(value, "unix") == 0) {
			rules_session_set_client(s, NULL);
			return (0);
		}
		if (addr_parse(value, &a) < 0) {
			rules_session_set_client(s, NULL);
			return (1);
		}
		rules_session_set_client(s, &a);
		return (0);
	}
	forget(s, f);
	free(s->v[f]);
	s->v[f] = NULL;
	if (value == NULL)
		return (0);
	if (fi->macro != NULL) {
		if ((len = strnlen(value, RULES_MACRO_MAX + 1)) > RULES_MACRO_MAX)
			return (1);
	} else if ((len = strnlen(value, RULES_ARG_MAX + 1)) > RULES_ARG_MAX) {
		len = RULES_ARG_MAX;
		ret = 1;
	}
	if ((s->v[f] = strndup(value, len)) == NULL) {
		s->broken = 1;
		return (-1);
	}
	return (ret);
}

/* rules_session_get - a fact as set, or NULL */
const char *
rules_session_get(const struct rules_session *s, enum rules_fact f)
{
	if (f == RULES_FACT_CLIENT)
		return (s->has_client ? s->client_text : NULL);
	return ((unsigned) f < RULES_NFACTS ? s->v[f] : NULL);
}

/* rules_session_client - the client address, or NULL */
const struct addr *
rules_session_client(const struct rules_session *s)
{
	return (s->has_client ? &s->client : NULL);
}

/* rules_session_end_message - forget the message's facts and state */
void
rules_session_end_message(struct rules_session *s)
{
	const struct rules_fact_info *fi;
	enum rules_fact f;

	if (s == NULL)
		return;
	for (f = 0; f < RULES_NFACTS; f++) {
		fi = rules_fact_info(f);
		if (fi->scope != RULES_SCOPE_CONNECTION && fi->from == f) {
			forget(s, f);
			free(s->v[f]);
			s->v[f] = NULL;
		}
	}
	s->pending[RULES_MAIL].set = 0;
	if (s->accept_rule != NULL && s->accept_stage == RULES_MAIL)
		s->accept_rule = NULL;
	s->discard_msg = 0;
}

/* rules_session_pending - a delayed refusal, or RULES_CONTINUE */
enum rules_verdict
rules_session_pending(const struct rules_session *s)
{
	int     i;

	for (i = 0; i < RULES_RCPT; i++)
		if (s->pending[i].set)
			return (s->pending[i].verdict);
	return (RULES_CONTINUE);
}

/* rules_session_client_name - the verified host name, or "unknown" */
const char *
rules_session_client_name(const struct rules_session *s)
{
	const char *n = rules_name_verified(s);

	return (n != NULL ? n : "unknown");
}

/* internal_error - a broken session: tempfail what the MTA waits for */
static void
internal_error(struct rules_session *s, enum rules_stage stage,
	struct rules_result *res, struct rules_trace *trace)
{
	res->verdict = RULES_TEMPFAIL;
	res->internal_error = 1;
	res->answer = RULES_ANSWER_TEMPFAIL;
	snprintf(res->code, sizeof(res->code), "451");
	snprintf(res->xcode, sizeof(res->xcode), "4.3.0");
	snprintf(res->text, sizeof(res->text), "Temporary internal error");
	if (stage < RULES_RCPT && (s->quiet & RULES_QUIET(stage)))
		res->answer = RULES_ANSWER_NOREPLY;
	trace_add(trace, stage, "", "", RULES_TRACE_NOTE, "the session lost "
	    "a fact (out of memory): tempfail");
}

/* discarded - the message was discarded earlier: no rules run */
static void
discarded(struct rules_session *s, enum rules_stage stage,
	struct rules_result *res, struct rules_trace *trace)
{
	res->verdict = RULES_DISCARD;
	res->answer = RULES_ANSWER_DISCARD;
	trace_add(trace, stage, "", "", RULES_TRACE_SKIPPED, "the %s is "
	    "discarded (decided before a stage that answers nothing): no "
	    "rules run", s->discard ? "connection" : "message");
	trace_add(trace, stage, "", "", RULES_TRACE_RESULT, "discard");
}

/*
 * answer - what the MTA must be told of a verdict, and what is logged.
 * A discard is a message action: decided at connect or helo, it
 * applies to each message of the connection (at MAIL, or at the first
 * RCPT after a quiet MAIL). A quiet stage answers nothing; what it
 * decided comes at RCPT (refusals were delayed by evaluate(); an
 * accept is kept as session state; a discard here).
 */
static void
answer(struct rules_session *s, enum rules_stage stage,
	struct rules_result *res)
{
	int     quiet = stage < RULES_RCPT && (s->quiet & RULES_QUIET(stage));

	switch (res->verdict) {
	case RULES_CONTINUE:
		res->answer = RULES_ANSWER_CONTINUE;
		if (stage == RULES_RCPT && res->relay)
			res->event = RULES_EVENT_RELAY;
		else if (stage == RULES_MAIL && s->discard) {
			res->answer = RULES_ANSWER_DISCARD;
			s->discard_msg = quiet;
		}
		break;
	case RULES_ACCEPT:
		res->answer = stage <= RULES_HELO ?
		    RULES_ANSWER_ACCEPT_CONNECTION : RULES_ANSWER_ACCEPT_MESSAGE;
		/* Quiet: logged when it is delivered, at RCPT. */
		res->event = quiet ? RULES_EVENT_NONE : RULES_EVENT_ACCEPT;
		break;
	case RULES_REJECT:
		res->answer = RULES_ANSWER_REJECT;
		res->event = RULES_EVENT_REJECT;
		break;
	case RULES_TEMPFAIL:
		res->answer = RULES_ANSWER_TEMPFAIL;
		res->event = RULES_EVENT_TEMPFAIL;
		break;
	case RULES_DISCARD:
		res->event = RULES_EVENT_DISCARD;
		if (stage < RULES_MAIL) {
			s->discard = 1;
			res->answer = RULES_ANSWER_CONTINUE;
		} else {
			res->answer = RULES_ANSWER_DISCARD;
			s->discard_msg = quiet;
		}
		break;
	}
	if (quiet)
		res->answer = RULES_ANSWER_NOREPLY;
}

/* rules_eval - decide one stage and what the MTA is told */
int
rules_eval(struct rules_session *s, enum rules_stage stage,
	struct rules_result *res, struct rules_trace *trace)
{
	memset(res, 0, sizeof(*res));
	if (s->broken)
		internal_error(s, stage, res, trace);
	else if (stage == RULES_RCPT && (s->discard || s->discard_msg))
		discarded(s, stage, res, trace);
	else {
		rules_evaluate(s, stage, res, trace);
		answer(s, stage, res);
	}
	return (0);
}
