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
 *	With filter_set_noreply(1) it also tells the MTA that HELO and
 *	MAIL get no reply (SMFIP_NR_HELO, SMFIP_NR_MAIL): the MTA sends
 *	them and goes on without waiting, which saves two round trips per
 *	message (libmilter answers "continue" itself to an MTA that cannot
 *	do this).
 *
 *	connect, helo, envfrom, envrcpt: copy the stage's facts (the
 *	callback arguments and macros are valid only during the call),
 *	run rules_eval() for the stage and turn its verdict into the
 *	reply. The session takes a reference on the rules current when
 *	it starts, so a reload does not change a session in flight.
 *
 *	eom, abort: the message ended; forget its facts and the engine's
 *	message state. close: free everything (close may come without
 *	connect, and twice on one context when the MTA reuses the milter
 *	connection with SMFIC_QUIT_NC).
 *
 *	Per-connection state lives in one struct conn behind
 *	smfi_getpriv(); nothing is kept per thread, as libmilter may run
 *	one connection's callbacks on different threads.
 *
 *	Every refused recipient and every permitted relay is logged as
 *	one line (see logline_format()), and so is an accept at connect,
 *	HELO or MAIL: SMFIS_ACCEPT makes the MTA stop calling the filter
 *	for the connection or message, so the recipients it then relays
 *	are not seen one by one. Lookup errors are logged once per
 *	failing table, as the engine reports them.
 * DIAGNOSTICS
 *	An internal failure (no rules, smfi_setpriv() failing) logs an
 *	error and answers 451 4.3.0 (tempfail), never a permit.
 *	No-reply mode: what the rules decide at HELO and MAIL is delivered
 *	at RCPT, where the MTA waits for an answer. A refusal is kept by
 *	the engine for each RCPT (rules_session_delay(), as delay-reject
 *	does); an accept makes the first RCPT answer SMFIS_ACCEPT, which
 *	accepts the message (the "accept" line is logged then); a discard
 *	makes the first RCPT answer SMFIS_DISCARD. The mode is set once,
 *	before smfi_main(), from the configuration the daemon starts with
 *	(delay-reject yes), and never changes while it runs: a milter
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
 * BUGS
 *	Stages the rules do not use are still sent (no SMFIP_NOHELO):
 *	under reloaded rules a reused milter connection may need them.
 */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "milter/facts.h"
#include "milter/filter.h"
#include "milter/live.h"
#include "milter/reply.h"
#include "milter/stats.h"
#include "rules/rules.h"

struct conn {
	struct rules_session *rs;
	struct facts f;
	int     discard;		/* a connection-level discard */
	int     discard_msg;		/* a discard at MAIL (no-reply mode) */
	int     broken;			/* an internal error at HELO or MAIL */
	int     accepted;		/* accepted at connect: nothing follows */
};

/* HELO and MAIL answer nothing; see filter_set_noreply(). */
static int noreply;

/* filter_set_noreply - choose no-reply mode, before smfi_main() */
void
filter_set_noreply(int on)
{
	noreply = on != 0;
}

/* filter_get_noreply - is no-reply mode on? */
int
filter_get_noreply(void)
{
	return (noreply);
}

static const char *const stage_names[RULES_NSTAGES] = {
	[RULES_CONNECT] = "CONNECT",
	[RULES_HELO] = "HELO",
	[RULES_MAIL] = "MAIL",
	[RULES_RCPT] = "RCPT",
};

/* conn_free - release a connection's state; NULL-safe */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	rules_session_free(c->rs);
	facts_clear(&c->f);
	free(c);
}

/* conn_new - the connection's state, made at connect */
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
	c = xcalloc(1, sizeof(*c));
	facts_init(&c->f);
	c->rs = rules_session_new(r);
	rules_unref(r);
	if (c->rs != NULL && noreply) {
		rules_session_delay(c->rs, RULES_HELO);
		rules_session_delay(c->rs, RULES_MAIL);
	}
	if (c->rs == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
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

/* copy_macro - keep a private copy of one macro's value */
static void
copy_macro(SMFICTX *ctx, struct conn *c, enum fact_id id, int keep)
{
	const char *name = facts_macro_name(id);
	const char *v;

	v = smfi_getsymval(ctx, (char *) (uintptr_t) name);
	if (v == NULL && keep)
		return;
	if (facts_set(&c->f, id, v) < 0)
		log_warning("macro %s: value longer than %d bytes ignored",
		    name, FACTS_MACRO_MAX);
}

/* copy_arg - keep a private copy of one callback argument */
static void
copy_arg(struct conn *c, enum fact_id id, const char *v, const char *what)
{
	if (facts_set(&c->f, id, v) < 0)
		log_warning("%s: argument longer than %d bytes cut", what,
		    FACTS_ARG_MAX);
}

/* log_decision - one line for a refusal or a relay */
static void
log_decision(struct conn *c, enum rules_stage stage, const char *action,
	const struct rules_result *res)
{
	char    line[2048];
	struct logline l;
	const char *name = facts_get(&c->f, FACT_CLIENT_NAME);

	memset(&l, 0, sizeof(l));
	l.queue_id = facts_get(&c->f, FACT_QUEUE_ID);
	l.action = action;
	l.stage = stage_names[stage];
	l.client_name = facts_name_verified(name,
	    facts_get(&c->f, FACT_CLIENT_RESOLVE)) ? name : "unknown";
	l.client_addr = c->f.has_client ? c->f.client_text : NULL;
	l.code = res->code;
	l.xcode = res->xcode;
	l.text = res->text;
	l.helo = facts_get(&c->f, FACT_HELO);
	l.sender = facts_get(&c->f, FACT_SENDER);
	l.rcpt = facts_get(&c->f, FACT_RCPT);
	l.auth = facts_get(&c->f, FACT_AUTH);
	l.identity = res->identity;
	l.identity_source = res->identity_source;
	l.rule = res->rule;
	l.warn = strncmp(action, "warn-", 5) == 0;
	logline_format(line, sizeof(line), &l);
	log_info("%s", line);
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

/* decide - evaluate one stage and answer */
static sfsistat
decide(SMFICTX *ctx, struct conn *c, enum rules_stage stage)
{
	struct rules_facts rf;
	struct rules_result res;
	struct stats *st = live_stats();
	char    err[sizeof(res.error)];

	facts_to_rules(&c->f, &rf);
	memset(&res, 0, sizeof(res));
	(void) rules_eval(c->rs, stage, &rf, &res, NULL);
	res.code[sizeof(res.code) - 1] = 0;
	res.xcode[sizeof(res.xcode) - 1] = 0;
	res.text[sizeof(res.text) - 1] = 0;
	res.rule[sizeof(res.rule) - 1] = 0;
	res.error[sizeof(res.error) - 1] = 0;
	if (res.lookup_error) {
		stats_inc(st, STATS_LOOKUP_ERRORS);
		text_sanitise(err, sizeof(err), res.error, TEXT_UTF8);
		if (res.error_first)
			log_error("lookup error: %s (rule %s: on-error decides)",
			    err, res.rule[0] ? res.rule : "-");
		else
			log_debug("lookup error: %s", err);
	}
	if (res.warned) {
		struct rules_result w = res;
		char    action[32];

		/* What a warn rule would have done, and nothing else. */
		snprintf(action, sizeof(action), "warn-%s",
		    res.warn_verdict == RULES_CONTINUE ? "permit" :
		    rules_verdict_name(res.warn_verdict));
		w.code[0] = 0;
		memcpy(w.rule, res.warn_rule, sizeof(w.rule));
		w.rule[sizeof(w.rule) - 1] = 0;
		log_decision(c, stage, action, &w);
	}
	log_debug("%s: %s: %s%s rule %s", facts_get(&c->f, FACT_QUEUE_ID) ?
	    facts_get(&c->f, FACT_QUEUE_ID) : "NOQUEUE", stage_names[stage],
	    rules_verdict_name(res.verdict), res.relay ? " (relay)" : "",
	    res.rule[0] ? res.rule : "-");

	switch (res.verdict) {
	case RULES_CONTINUE:
	case RULES_ACCEPT:
		if (stage == RULES_RCPT) {
			stats_inc(st, STATS_RCPT_PERMITTED);
			if (res.verdict == RULES_ACCEPT) {
				/*
				 * An accept from an earlier stage (the engine
				 * never accepts in rcpt), delivered here in
				 * no-reply mode: SMFIS_ACCEPT accepts the rest
				 * of the message, as it would have there.
				 */
				res.code[0] = 0;
				log_decision(c, stage, "accept", &res);
				return (SMFIS_ACCEPT);
			}
			if (res.relay) {
				stats_inc(st, STATS_RELAYS);
				res.code[0] = 0;
				log_decision(c, stage, "relay", &res);
			}
			return (SMFIS_CONTINUE);
		}
		if (res.verdict == RULES_ACCEPT) {
			/*
			 * The MTA stops asking for this connection or
			 * message, so its recipients are never seen: log
			 * the accept itself, the trail of those relays.
			 */
			res.code[0] = 0;
			if (!noreply || stage == RULES_CONNECT)
				log_decision(c, stage, "accept", &res);
			if (stage == RULES_CONNECT)
				c->accepted = 1;
			return (SMFIS_ACCEPT);
		}
		if (c->discard && stage == RULES_MAIL)
			return (SMFIS_DISCARD);
		return (SMFIS_CONTINUE);
	case RULES_REJECT:
	case RULES_TEMPFAIL:
		if (stage == RULES_RCPT)
			stats_inc(st, res.verdict == RULES_REJECT ?
			    STATS_RCPT_REJECTED : STATS_RCPT_TEMPFAILED);
		set_reply(ctx, &res);
		log_decision(c, stage, res.verdict == RULES_REJECT ?
		    "reject" : "tempfail", &res);
		return (res.verdict == RULES_REJECT ? SMFIS_REJECT :
		    SMFIS_TEMPFAIL);
	case RULES_DISCARD:
		log_decision(c, stage, "discard", &res);
		if (stage == RULES_CONNECT || stage == RULES_HELO) {
			/* Discard is a message action: apply it at MAIL. */
			c->discard = 1;
			return (SMFIS_CONTINUE);
		}
		if (stage == RULES_RCPT)
			stats_inc(st, STATS_RCPT_DISCARDED);
		return (SMFIS_DISCARD);
	default:
		log_error("%s: unknown verdict %d; answering tempfail",
		    stage_names[stage], (int) res.verdict);
		stats_inc(st, STATS_INTERNAL_ERRORS);
		(void) smfi_setreply(ctx, "451", "4.3.0",
		    "Temporary internal error");
		return (SMFIS_TEMPFAIL);
	}
}

/* filter_negotiate - skip what we never read, ask for the macros */
static sfsistat
filter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	unsigned long f2, unsigned long f3, unsigned long *pf0,
	unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	static const struct {
		int     where;
		const char *list;
	}       macros[] = {
		{SMFIM_CONNECT, "{daemon_name} {client_resolve}"},
		{SMFIM_HELO, "{tls_version} {cert_subject} {cert_issuer} "
		"{verify}"},
		{SMFIM_ENVFROM, "i {auth_authen} {auth_type} {tls_version} "
		"{cert_subject} {cert_issuer} {verify}"},
		{SMFIM_ENVRCPT, "i {rcpt_mailer}"},
	};
	unsigned long skip = SMFIP_NOHDRS | SMFIP_NOBODY | SMFIP_NOEOH |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA;
	size_t  i;

	/* libmilter offers the NR flags even when the MTA lacks them. */
	if (noreply)
		skip |= SMFIP_NR_HELO | SMFIP_NR_MAIL;
	(void) f2;
	(void) f3;
	*pf0 = f0 & SMFIF_SETSYMLIST;
	*pf1 = f1 & skip;
	*pf2 = 0;
	*pf3 = 0;
	if (*pf0 & SMFIF_SETSYMLIST) {
		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
			if (smfi_setsymlist(ctx, macros[i].where,
			    (char *) (uintptr_t) macros[i].list) != MI_SUCCESS)
				log_warning("smfi_setsymlist %d failed",
				    macros[i].where);
	} else
		log_debug("the MTA cannot take a macro list; configure its "
		    "milter macros (see relayguard(8))");
	return (SMFIS_CONTINUE);
}

/*
 * quiet - no-reply mode: HELO and MAIL answer nothing; what they
 * decided waits for RCPT (see the description above)
 */
static sfsistat
quiet(struct conn *c, enum rules_stage stage, sfsistat r)
{
	switch (r) {
	case SMFIS_CONTINUE:
	case SMFIS_ACCEPT:			/* the engine keeps it */
		break;
	case SMFIS_DISCARD:
		if (stage == RULES_MAIL)
			c->discard_msg = 1;
		else
			c->discard = 1;
		break;
	default:
		/* A refusal the engine did not delay, an internal error. */
		log_error("%s: answer %d cannot be given in no-reply mode; "
		    "recipients will be tempfailed", stage_names[stage], r);
		stats_inc(live_stats(), STATS_INTERNAL_ERRORS);
		c->broken = 1;
		break;
	}
	return (SMFIS_NOREPLY);
}

/* filter_connect - the client's address and host name */
static sfsistat
filter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn *c = conn_new(ctx);

	if (c == NULL)
		return (internal_error(ctx, "connect"));
	(void) facts_set_client(&c->f, sa);
	copy_arg(c, FACT_CLIENT_NAME, hostname, "connect host name");
	copy_macro(ctx, c, FACT_DAEMON, 0);
	copy_macro(ctx, c, FACT_CLIENT_RESOLVE, 0);
	return (decide(ctx, c, RULES_CONNECT));
}

/* filter_helo - the HELO/EHLO argument and the TLS facts so far */
static sfsistat
filter_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = session_of(ctx, "helo");
	sfsistat r;

	if (c == NULL) {
		/* RCPT finds no state either, and tempfails. */
		if (noreply)
			return (SMFIS_NOREPLY);
		return (internal_error(ctx, "helo"));
	}
	copy_arg(c, FACT_HELO, helo, "HELO");
	copy_macro(ctx, c, FACT_TLS_VERSION, 1);
	copy_macro(ctx, c, FACT_CERT_SUBJECT, 1);
	copy_macro(ctx, c, FACT_CERT_ISSUER, 1);
	copy_macro(ctx, c, FACT_VERIFY, 1);
	r = decide(ctx, c, RULES_HELO);
	return (noreply ? quiet(c, RULES_HELO, r) : r);
}

/* filter_envfrom - a new message: the sender and the SASL identity */
static sfsistat
filter_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = session_of(ctx, "envfrom");
	sfsistat r;

	if (c == NULL) {
		if (noreply)
			return (SMFIS_NOREPLY);
		return (internal_error(ctx, "envfrom"));
	}
	rules_session_end_message(c->rs);
	facts_clear_message(&c->f);
	c->discard_msg = 0;
	copy_arg(c, FACT_SENDER, argv ? argv[0] : NULL, "MAIL FROM");
	copy_macro(ctx, c, FACT_AUTH, 1);
	copy_macro(ctx, c, FACT_AUTH_TYPE, 1);
	copy_macro(ctx, c, FACT_TLS_VERSION, 1);
	copy_macro(ctx, c, FACT_CERT_SUBJECT, 1);
	copy_macro(ctx, c, FACT_CERT_ISSUER, 1);
	copy_macro(ctx, c, FACT_VERIFY, 1);
	copy_macro(ctx, c, FACT_QUEUE_ID, 1);
	r = decide(ctx, c, RULES_MAIL);
	return (noreply ? quiet(c, RULES_MAIL, r) : r);
}

/* filter_envrcpt - one recipient */
static sfsistat
filter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = session_of(ctx, "envrcpt");

	if (c == NULL || c->broken)
		return (internal_error(ctx, "envrcpt"));
	copy_arg(c, FACT_RCPT, argv ? argv[0] : NULL, "RCPT TO");
	copy_macro(ctx, c, FACT_RCPT_MAILER, 0);
	copy_macro(ctx, c, FACT_QUEUE_ID, 1);
	if (c->discard || c->discard_msg) {
		/* A discard from HELO or MAIL, kept in no-reply mode. */
		stats_inc(live_stats(), STATS_RCPT_DISCARDED);
		return (SMFIS_DISCARD);
	}
	return (decide(ctx, c, RULES_RCPT));
}

/* end_message - forget one message */
static sfsistat
end_message(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		rules_session_end_message(c->rs);
		facts_clear_message(&c->f);
		c->discard_msg = 0;
	}
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
