/*
 * NAME
 *	filter 3
 * SUMMARY
 *	libmilter callbacks: gather facts, ask the engine, answer the MTA
 * SYNOPSIS
 *	#include "milter/filter.h"
 *
 *	struct smfiDesc filter_desc;
 * DESCRIPTION
 *	filter_desc is handed to smfi_register(). Its callbacks are:
 *
 *	negotiate: asks the MTA to skip headers, end of headers, body,
 *	DATA and unknown commands, and requests the macros the rules
 *	read with smfi_setsymlist(), per stage, when the MTA supports it.
 *	With delay-reject yes it also tells the MTA that HELO and MAIL
 *	get no reply (SMFIP_NR_HELO, SMFIP_NR_MAIL): the MTA sends them
 *	and goes on without waiting, which saves two round trips per
 *	message (libmilter answers "continue" itself to an MTA that cannot
 *	do this); with milter-connect-reply no, connect too
 *	(SMFIP_NR_CONN), and what connect decides (the accept of a trusted
 *	client, say) comes at the first RCPT.
 *
 *	connect, helo, envfrom, envrcpt: hand the stage's facts to the
 *	rules session (rules_session_set() keeps private copies: the
 *	callback arguments and macros are valid only during the call),
 *	run rules_eval() for the stage and give the MTA its answer. The
 *	macros asked for and copied at each stage are the rows of the
 *	fact table (rules/fact_list.h) that name one. The session takes a
 *	reference on the rules current when it starts, so a reload does
 *	not change a session in flight.
 *
 *	The engine says what the MTA must be told (rules_result.answer);
 *	this file only maps it to SMFIS_* and smfi_setreply(), and hands
 *	the result to report_result() for the log line and counters.
 *
 *	eom, abort: the message ended; the session forgets its facts and
 *	state. close: free everything (close may come without connect,
 *	and twice on one context when the MTA reuses the milter
 *	connection with SMFIC_QUIT_NC).
 *
 *	Per-connection state lives in one struct conn behind
 *	smfi_getpriv(); nothing is kept per thread, as libmilter may run
 *	one connection's callbacks on different threads.
 *
 *	Every refused recipient and every permitted relay is logged as
 *	one line, and so is an accept (report_result()).
 * DIAGNOSTICS
 *	An internal failure (no rules, no memory, smfi_setpriv() failing)
 *	logs an error and answers 451 4.3.0 (tempfail), never a permit.
 *	No-reply mode: HELO and MAIL (and connect with milter-connect-reply
 *	no) are quiet stages of the rules session
 *	(rules_quiet_stages()); the engine answers RULES_ANSWER_NOREPLY
 *	there and delivers what they decided at RCPT, where the MTA waits
 *	for an answer. The mode is set once, before smfi_main(), from the
 *	configuration the daemon starts with (live_set_quiet()), and
 *	never changes while it runs: a milter
 *	connection is negotiated once and may be reused for later SMTP
 *	sessions (SMFIC_QUIT_NC), so every callback must know, without
 *	any per-connection record, whether its stage may answer. A reload
 *	to delay-reject no therefore takes full effect at the next start.
 *
 *	Connection state is made at connect only: a HELO, MAIL or RCPT
 *	without it (which libmilter should never send) is an internal
 *	error, answered with a tempfail at RCPT.
 *	After an accept at connect the MTA sends nothing more for the
 *	session, and libmilter drops a QUIT_NC and the CONNECT after it
 *	(its state machine allows neither after an accept at CONNECT,
 *	HELO or MAIL): a HELO, MAIL or RCPT that still comes is treated as
 *	one without state, so the accepted session never decides it.
 * THREADS
 *	libmilter runs callbacks of different connections at once, and
 *	may run one connection's callbacks on different threads, never two
 *	at a time: the per-connection state behind smfi_getpriv() needs no
 *	lock, and nothing is kept per thread. The quiet stages are fixed
 *	before smfi_main() starts the threads; the rules are reached
 *	through live_get() (a reference under live's mutex).
 * BUGS
 *	Stages the rules do not use are still sent (no SMFIP_NOHELO):
 *	under reloaded rules a reused milter connection may need them.
 *	XXX Out of memory while the engine parses an address (rcpt_parse())
 *	still aborts the daemon; memory for the session and its facts
 *	answers tempfail.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/addr.h"
#include "common/log.h"
#include "milter/filter.h"
#include "milter/live.h"
#include "milter/reply.h"
#include "milter/report.h"
#include "milter/stats.h"
#include "rules/rules.h"

struct conn {
	struct rules_session *rs;
	int     accepted;		/* accepted at connect: nothing follows */
};

/* The libmilter stage of each engine stage, for smfi_setsymlist(). */
static const int symlist_stage[RULES_NSTAGES] = {
	[RULES_CONNECT] = SMFIM_CONNECT,
	[RULES_HELO] = SMFIM_HELO,
	[RULES_MAIL] = SMFIM_ENVFROM,
	[RULES_RCPT] = SMFIM_ENVRCPT,
};

/* conn_free - release a connection's state; NULL-safe */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	rules_session_free(c->rs);
	free(c);
}

/* conn_new - the connection's state, made at connect; NULL on failure */
static struct conn *
conn_new(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct rules *r;

	/* A CONNECT without close in between: start over. */
	if (c != NULL) {
		(void) smfi_setpriv(ctx, NULL);
		conn_free(c);
	}
	if ((r = live_get()) == NULL)
		return (NULL);
	if ((c = calloc(1, sizeof(*c))) != NULL)
		c->rs = rules_session_new(r, live_quiet());
	rules_unref(r);
	if (c == NULL || c->rs == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
		conn_free(c);
		return (NULL);
	}
	stats_inc(live_stats(), STATS_SESSIONS);
	return (c);
}

/*
 * session_of - the connection's state for a command after connect, or
 * NULL when there is none or its session was accepted at connect (the
 * MTA sends nothing more for that session, so a command means the
 * milter connection was reused and libmilter dropped the new CONNECT:
 * the facts of the accepted session must not decide it)
 */
static struct conn *
session_of(SMFICTX *ctx, const char *where)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->accepted) {
		log_error("%s: a command after the session was accepted at "
		    "connect (a reused milter connection whose CONNECT "
		    "libmilter dropped?); refusing its facts", where);
		return (NULL);
	}
	return (c);
}

/* internal_error - fail closed: log and tempfail */
static sfsistat
internal_error(SMFICTX *ctx, const char *where)
{
	log_error("%s: internal error: no session state; answering tempfail",
	    where);
	stats_inc(live_stats(), STATS_INTERNAL_ERRORS);
	(void) smfi_setreply(ctx, "451", "4.3.0",
	    "Temporary internal error");
	return (SMFIS_TEMPFAIL);
}

/* no_state - a command without session state */
static sfsistat
no_state(SMFICTX *ctx, enum rules_stage stage, const char *where)
{
	/* A quiet stage answers nothing; RCPT finds no state and tempfails. */
	if (live_quiet() & RULES_QUIET(stage))
		return (SMFIS_NOREPLY);
	return (internal_error(ctx, where));
}

/* set_fact - hand one fact to the session, saying what was cut */
static void
set_fact(struct conn *c, enum rules_fact f, const char *v)
{
	const struct rules_fact_info *fi = rules_fact_info(f);

	switch (rules_session_set(c->rs, f, v)) {
	case 1:
		if (fi->macro != NULL)
			log_warning("macro %s: value longer than %d bytes "
			    "ignored", fi->macro, RULES_MACRO_MAX);
		else
			log_warning("%s: argument longer than %d bytes cut",
			    fi->name, RULES_ARG_MAX);
		break;
	case -1:
		log_error("%s: out of memory; the session will be "
		    "tempfailed", fi->name);
		break;
	}
}

/*
 * copy_macros - the stage's macros, as the fact table lists them. An
 * absent macro leaves a connection or message fact as an earlier
 * stage gave it (the MTA sends some only once); at connect, and for a
 * recipient's facts, absent means absent.
 */
static void
copy_macros(SMFICTX *ctx, struct conn *c, enum rules_stage stage)
{
	const struct rules_fact_info *fi;
	const char *v;
	int     f;

	for (f = 0; f < RULES_NFACTS; f++) {
		fi = rules_fact_info((enum rules_fact) f);
		if (fi->macro == NULL || !(fi->sent & RULES_FACT_AT(stage)))
			continue;
		v = smfi_getsymval(ctx, (char *) (uintptr_t) fi->macro);
		if (v == NULL && stage != RULES_CONNECT &&
		    fi->scope != RULES_SCOPE_RECIPIENT)
			continue;
		set_fact(c, (enum rules_fact) f, v);
	}
}

/* set_reply - hand the engine's reply to the MTA, escaped */
static void
set_reply(SMFICTX *ctx, const struct rules_result *res)
{
	char    text[REPLY_TEXT_MAX + 1];

	if (res->code[0] == 0)
		return;
	reply_escape(text, sizeof(text), res->text);
	if (smfi_setreply(ctx, (char *) (uintptr_t) res->code,
	    res->xcode[0] ? (char *) (uintptr_t) res->xcode : NULL,
	    text[0] ? text : NULL) != MI_SUCCESS)
		log_warning("smfi_setreply refused \"%s %s %s\"; the MTA "
		    "uses its default reply", res->code, res->xcode, text);
}

/* decide - evaluate one stage and give the MTA the engine's answer */
static sfsistat
decide(SMFICTX *ctx, struct conn *c, enum rules_stage stage)
{
	struct rules_result res;

	(void) rules_eval(c->rs, stage, &res, NULL);
	report_result(c->rs, stage, &res);
	switch (res.answer) {
	case RULES_ANSWER_CONTINUE:
		return (SMFIS_CONTINUE);
	case RULES_ANSWER_NOREPLY:
		return (SMFIS_NOREPLY);
	case RULES_ANSWER_ACCEPT_CONNECTION:
		if (stage == RULES_CONNECT)
			c->accepted = 1;
		return (SMFIS_ACCEPT);
	case RULES_ANSWER_ACCEPT_MESSAGE:
		return (SMFIS_ACCEPT);
	case RULES_ANSWER_REJECT:
		set_reply(ctx, &res);
		return (SMFIS_REJECT);
	case RULES_ANSWER_DISCARD:
		return (SMFIS_DISCARD);
	case RULES_ANSWER_TEMPFAIL:
	default:
		set_reply(ctx, &res);
		return (SMFIS_TEMPFAIL);
	}
}

/* filter_negotiate - skip what we never read, ask for the macros */
static sfsistat
filter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	unsigned long f2, unsigned long f3, unsigned long *pf0,
	unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long skip = SMFIP_NOHDRS | SMFIP_NOBODY | SMFIP_NOEOH |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA;
	const struct rules_fact_info *fi;
	char    list[512];
	size_t  len;
	int     stage, f;

	/* libmilter offers the NR flags even when the MTA lacks them. */
	if (live_quiet() & RULES_QUIET(RULES_CONNECT))
		skip |= SMFIP_NR_CONN;
	if (live_quiet() & RULES_QUIET(RULES_HELO))
		skip |= SMFIP_NR_HELO;
	if (live_quiet() & RULES_QUIET(RULES_MAIL))
		skip |= SMFIP_NR_MAIL;
	(void) f2;
	(void) f3;
	*pf0 = f0 & SMFIF_SETSYMLIST;
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	if (!(*pf0 & SMFIF_SETSYMLIST)) {
		log_debug("the MTA cannot take a macro list; configure its "
		    "milter macros (see relayguard(8))");
		return (SMFIS_CONTINUE);
	}
	for (stage = 0; stage < RULES_NSTAGES; stage++) {
		list[0] = '\0';
		for (f = 0, len = 0; f < RULES_NFACTS; f++) {
			fi = rules_fact_info((enum rules_fact) f);
			if (fi->macro != NULL &&
			    (fi->sent & RULES_FACT_AT(stage)) &&
			    len + strlen(fi->macro) + 2 < sizeof(list))
				len += (size_t) snprintf(list + len,
				    sizeof(list) - len, "%s%s", len ? " " : "",
				    fi->macro);
		}
		if (len > 0 && smfi_setsymlist(ctx, symlist_stage[stage],
		    list) != MI_SUCCESS)
			log_warning("smfi_setsymlist %d failed",
			    symlist_stage[stage]);
	}
	return (SMFIS_CONTINUE);
}

/* filter_connect - the client's address and host name */
static sfsistat
filter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn *c = conn_new(ctx);
	struct addr a;

	if (c == NULL) {
		/*
		 * A quiet connect must not answer (the MTA would read it as
		 * the answer to a later command): log here, and RCPT finds
		 * no state and tempfails.
		 */
		if (live_quiet() & RULES_QUIET(RULES_CONNECT)) {
			log_error("connect: internal error: no session state; "
			    "the recipients will be tempfailed");
			stats_inc(live_stats(), STATS_INTERNAL_ERRORS);
			return (SMFIS_NOREPLY);
		}
		return (internal_error(ctx, "connect"));
	}
	/* AF_UNIX and other families: no client address. */
	rules_session_set_client(c->rs, sa != NULL &&
	    addr_from_sockaddr(sa, &a) == 0 ? &a : NULL);
	set_fact(c, RULES_FACT_CLIENT_NAME, hostname);
	copy_macros(ctx, c, RULES_CONNECT);
	return (decide(ctx, c, RULES_CONNECT));
}

/* filter_helo - the HELO/EHLO argument and the TLS facts so far */
static sfsistat
filter_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = session_of(ctx, "helo");

	if (c == NULL)
		return (no_state(ctx, RULES_HELO, "helo"));
	set_fact(c, RULES_FACT_HELO, helo);
	copy_macros(ctx, c, RULES_HELO);
	return (decide(ctx, c, RULES_HELO));
}

/* filter_envfrom - a new message: the sender and the SASL identity */
static sfsistat
filter_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = session_of(ctx, "envfrom");

	if (c == NULL)
		return (no_state(ctx, RULES_MAIL, "envfrom"));
	rules_session_end_message(c->rs);
	set_fact(c, RULES_FACT_SENDER, argv ? argv[0] : NULL);
	copy_macros(ctx, c, RULES_MAIL);
	return (decide(ctx, c, RULES_MAIL));
}

/* filter_envrcpt - one recipient */
static sfsistat
filter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = session_of(ctx, "envrcpt");

	if (c == NULL)
		return (internal_error(ctx, "envrcpt"));
	set_fact(c, RULES_FACT_RCPT, argv ? argv[0] : NULL);
	copy_macros(ctx, c, RULES_RCPT);
	return (decide(ctx, c, RULES_RCPT));
}

/* end_message - forget one message */
static sfsistat
end_message(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		rules_session_end_message(c->rs);
	return (SMFIS_CONTINUE);
}

/* filter_eom - the message was accepted by everyone */
static sfsistat
filter_eom(SMFICTX *ctx)
{
	return (end_message(ctx));
}

/* filter_abort - RSET, QUIT or a refusal ended the message */
static sfsistat
filter_abort(SMFICTX *ctx)
{
	return (end_message(ctx));
}

/* filter_close - the connection ended; NULL-safe */
static sfsistat
filter_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		(void) smfi_setpriv(ctx, NULL);
		conn_free(c);
	}
	return (SMFIS_CONTINUE);
}

struct smfiDesc filter_desc = {
	.xxfi_name = "relayguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_SETSYMLIST,
	.xxfi_connect = filter_connect,
	.xxfi_helo = filter_helo,
	.xxfi_envfrom = filter_envfrom,
	.xxfi_envrcpt = filter_envrcpt,
	.xxfi_header = NULL,
	.xxfi_eoh = NULL,
	.xxfi_body = NULL,
	.xxfi_eom = filter_eom,
	.xxfi_abort = filter_abort,
	.xxfi_close = filter_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = filter_negotiate,
};
