/*
 * NAME
 *	cmd_explain - relayguardctl explain: show how the rules decide
 * SYNOPSIS
 *	relayguardctl explain [-c conf] [--json] --client ADDR
 *		[--client-name NAME] [--client-resolve OK|FAIL|TEMP|FORGED]
 *		[--helo NAME | --no-helo] [--sender ADDR] [--rcpt ADDR]... [--auth USER]
 *		[--auth-type MECH] [--tls] [--cert-subject S]
 *		[--cert-issuer S] [--cert-fingerprint F] [--daemon NAME]
 *		[--rcpt-mailer M]... [--door milter|policy]
 * DESCRIPTION
 *	Evaluates the rules for one made-up session through the same
 *	rules_eval() calls the daemon makes (connect, helo, mail, then one
 *	rcpt per --rcpt; ctl_session_run(), shared with compare), with a
 *	trace, and prints stage by stage each rule
 *	tried, whether it matched and why not, and each stage's answer,
 *	then the decision for every recipient with its reply text.
 *
 *	--client takes an IPv4 or IPv6 address, or "unix" for a client on
 *	a Unix socket (no address). --client-resolve gives Sendmail's
 *	{client_resolve} (default: not set, as with Postfix). --tls sets
 *	{tls_version}; --cert-subject is what Postfix sends for a
 *	verified client certificate, --cert-fingerprint its
 *	fingerprint (for cert-identity). --rcpt-mailer given once applies to
 *	every recipient; given as often as --rcpt, the n-th goes with the
 *	n-th recipient.
 *
 *	Every other fact a session is given (rules/fact_list.h) has an
 *	option of its name: --tls-version V, --verify V, --queue-id ID.
 *
 *	--no-helo skips the helo stage, as for a client that sends MAIL
 *	without HELO (the MTA then never calls the milter's helo step).
 *
 *	A refusal at connect, helo or mail without delay-reject ends the
 *	session there, as the MTA would; a discard at mail ends the
 *	message.
 *
 *	Each stage shows the engine's verdict ("=>"), its reply, and what
 *	the MTA is told through the milter door ("answer:": continue, no
 *	reply, accept connection, accept message, reject, tempfail,
 *	discard message), HELO and MAIL being quiet stages when the
 *	daemon runs them so (delay-reject yes).
 *
 *	--door policy shows the session as the policy door runs it for
 *	Postfix: connect, HELO and MAIL quiet (their decisions come at
 *	each RCPT), and for each recipient the line Postfix receives
 *	("action: action=OK", policy/action.c), with policy-permit as the
 *	configuration says. Postfix sends the policy door no rcpt-mailer,
 *	so --rcpt-mailer is refused with it.
 *
 *	--json prints the same as one JSON object, with the session's
 *	facts by name.
 * DIAGNOSTICS
 *	Exit 0 every recipient permitted (or discarded), 1 some refused
 *	permanently, 2 some tempfailed (and none refused permanently), 64
 *	usage error, 78 configuration error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"
#include "ctl/ctl_session.h"
#include "policy/policy.h"

const char cmd_explain_usage[] =
	"explain [-c conf] [--json] --client ADDR [--client-name NAME] "
	"[--client-resolve R] [--helo NAME | --no-helo] [--sender ADDR] [--rcpt ADDR]... "
	"[--auth USER] [--auth-type MECH] [--tls] [--cert-subject S] "
	"[--cert-issuer S] [--cert-fingerprint F] [--daemon NAME] "
	"[--rcpt-mailer M]... "
	"[--door milter|policy]";

enum {
	OPT_RCPT = 256, OPT_RCPT_MAILER, OPT_TLS, OPT_JSON, OPT_NO_HELO,
	OPT_DOOR,
	OPT_FACT,			/* OPT_FACT + enum rules_fact */
};

/* The options that are not one fact each. */
static const struct option fixed_opts[] = {
	{"rcpt", required_argument, NULL, OPT_RCPT},
	{"rcpt-mailer", required_argument, NULL, OPT_RCPT_MAILER},
	{"tls", no_argument, NULL, OPT_TLS},
	{"json", no_argument, NULL, OPT_JSON},
	{"no-helo", no_argument, NULL, OPT_NO_HELO},
	{"door", required_argument, NULL, OPT_DOOR},
};

#define NFIXED	(sizeof(fixed_opts) / sizeof(fixed_opts[0]))

/* What the command line asks for. */
struct request {
	const char *conf;
	struct ctl_facts f;
	const char **rcpts, **mailers;
	size_t  nrcpt, nmailer;
	int     json, no_helo;
	int     policy;			/* --door policy */
};

struct out {
	int     json;
	int     first_stage;
	struct strbuf decisions;
	int     first_decision;
	const char **rcpts;
	unsigned quiet;			/* the milter door's quiet stages */
	int     policy;			/* --door policy: the action lines */
	enum policy_permit permit;	/* what a permit answers there */
};

/* usage - print the usage line; returns EX_USAGE */
static int
usage(const char *msg)
{
	return (ctl_usage("explain", msg));
}

/* json_str - append a JSON string literal */
static void
json_str(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			strbuf_printf(sb, "\\%c", c);
		else if (c < 0x20)
			strbuf_printf(sb, "\\u%04x", c);
		else
			strbuf_putc(sb, c);
	}
	strbuf_putc(sb, '"');
}

/* verdict_word - how explain names a verdict */
static const char *
verdict_word(enum rules_verdict v)
{
	return (v == RULES_CONTINUE ? "permit" : rules_verdict_name(v));
}

/* print_stage - one rules_eval() call: its trace and its answer */
static void
print_stage(struct out *o, enum rules_stage stage, const char *rcpt,
	const struct rules_trace *t, const struct rules_result *res)
{
	struct rules_trace_step st;
	struct strbuf sb = STRBUF_INIT;
	char    action[POLICY_ACTION_MAX];
	size_t  i;
	int     first = 1;

	if (!o->json) {
		if (rcpt)
			printf("%s %s\n", rules_stage_name(stage), rcpt);
		else
			printf("%s\n", rules_stage_name(stage));
		for (i = 0; rules_trace_step(t, i, &st) == 0; i++) {
			if (st.outcome == RULES_TRACE_RESULT)
				printf("  => %s%s%s%s\n", st.detail,
				    st.where[0] ? " (" : "", st.where,
				    st.where[0] ? ")" : "");
			else if (st.outcome == RULES_TRACE_REPLY)
				printf("     reply: %s\n", st.detail);
			else if (st.text[0])
				printf("  %s  %s\n      %s: %s\n", st.where, st.text,
				    rules_trace_outcome_name(st.outcome),
				    st.detail);
			else
				printf("  %s: %s\n",
				    rules_trace_outcome_name(st.outcome),
				    st.detail);
		}
		printf("     answer: %s\n", rules_answer_name(res->answer));
		if (o->policy && stage == RULES_RCPT) {
			policy_action(action, sizeof(action), res, o->permit);
			printf("     action: %s\n", action);
		}
		return;
	}
	strbuf_puts(&sb, o->first_stage ? "\n    {" : ",\n    {");
	o->first_stage = 0;
	strbuf_puts(&sb, "\"stage\": ");
	json_str(&sb, rules_stage_name(stage));
	if (rcpt) {
		strbuf_puts(&sb, ", \"rcpt\": ");
		json_str(&sb, rcpt);
	}
	strbuf_puts(&sb, ", \"steps\": [");
	for (i = 0; rules_trace_step(t, i, &st) == 0; i++) {
		if (st.outcome == RULES_TRACE_RESULT ||
		    st.outcome == RULES_TRACE_REPLY)
			continue;
		strbuf_puts(&sb, first ? "\n      {" : ",\n      {");
		first = 0;
		strbuf_puts(&sb, "\"rule\": ");
		json_str(&sb, st.where);
		strbuf_puts(&sb, ", \"text\": ");
		json_str(&sb, st.text);
		strbuf_puts(&sb, ", \"outcome\": ");
		json_str(&sb, rules_trace_outcome_name(st.outcome));
		strbuf_puts(&sb, ", \"detail\": ");
		json_str(&sb, st.detail);
		strbuf_puts(&sb, "}");
	}
	strbuf_puts(&sb, "],\n      \"result\": {\"verdict\": ");
	json_str(&sb, verdict_word(res->verdict));
	strbuf_puts(&sb, ", \"rule\": ");
	json_str(&sb, res->rule);
	strbuf_puts(&sb, ", \"code\": ");
	json_str(&sb, res->code);
	strbuf_puts(&sb, ", \"xcode\": ");
	json_str(&sb, res->xcode);
	strbuf_puts(&sb, ", \"text\": ");
	json_str(&sb, res->text);
	strbuf_printf(&sb, ", \"relay\": %s, \"lookup_error\": %s",
	    res->relay ? "true" : "false", res->lookup_error ? "true" : "false");
	if (res->lookup_error) {
		strbuf_puts(&sb, ", \"error\": ");
		json_str(&sb, res->error);
	}
	strbuf_puts(&sb, ", \"answer\": ");
	json_str(&sb, rules_answer_name(res->answer));
	if (o->policy && stage == RULES_RCPT) {
		policy_action(action, sizeof(action), res, o->permit);
		strbuf_puts(&sb, ", \"action\": ");
		json_str(&sb, action);
	}
	strbuf_puts(&sb, "}}");
	fputs(strbuf_str(&sb), stdout);
	strbuf_free(&sb);
}

/* decide - record the decision for one recipient (or the session) */
static void
decide(struct out *o, const char *rcpt, enum rules_verdict v,
	const char *rule, const char *code, const char *xcode,
	const char *text)
{
	struct strbuf *sb = &o->decisions;

	if (!o->json) {
		strbuf_printf(sb, "  %s: %s", rcpt, verdict_word(v));
		if (rule[0])
			strbuf_printf(sb, " (%s)", rule);
		if (code[0])
			strbuf_printf(sb, ": %s %s %s", code, xcode, text);
		strbuf_putc(sb, '\n');
		return;
	}
	strbuf_puts(sb, o->first_decision ? "\n    {" : ",\n    {");
	o->first_decision = 0;
	strbuf_puts(sb, "\"rcpt\": ");
	json_str(sb, rcpt);
	strbuf_puts(sb, ", \"verdict\": ");
	json_str(sb, verdict_word(v));
	strbuf_puts(sb, ", \"rule\": ");
	json_str(sb, rule);
	strbuf_puts(sb, ", \"reply\": ");
	if (code[0]) {
		struct strbuf r = STRBUF_INIT;

		strbuf_printf(&r, "%s %s %s", code, xcode, text);
		json_str(sb, strbuf_str(&r));
		strbuf_free(&r);
	} else
		json_str(sb, "");
	strbuf_puts(sb, "}");
}

/* on_stage - ctl_session callback: print one stage */
static void
on_stage(void *ctx, enum rules_stage stage, const char *rcpt,
	const struct rules_trace *t, const struct rules_result *res)
{
	print_stage(ctx, stage, rcpt, t, res);
}

/* on_decide - ctl_session callback: record one decision */
static void
on_decide(void *ctx, enum rules_stage stage, size_t idx,
	const struct rules_result *res)
{
	struct out *o = ctx;

	decide(o, idx == CTL_SESSION_ALL ? rules_stage_name(stage) :
	    o->rcpts[idx], res->verdict, res->rule, res->code, res->xcode,
	    res->text);
}

static const struct ctl_session_ops explain_ops = {
	.stage = on_stage,
	.decide = on_decide,
};

/* options - the long options: the fixed ones, then one per fact */
static struct option *
options(void)
{
	struct option *o = xcalloc(NFIXED + RULES_NFACTS + 1, sizeof(*o));
	const struct rules_fact_info *fi;
	size_t  n = NFIXED;
	int     f;

	memcpy(o, fixed_opts, sizeof(fixed_opts));
	for (f = 0; f < RULES_NFACTS; f++) {
		fi = rules_fact_info((enum rules_fact) f);
		if (fi->from != (enum rules_fact) f || f == RULES_FACT_RCPT ||
		    f == RULES_FACT_RCPT_MAILER)
			continue;
		o[n].name = fi->name;
		o[n].has_arg = required_argument;
		o[n++].val = OPT_FACT + f;
	}
	return (o);
}

/* request_free - what parse_options() allocated */
static void
request_free(struct request *rq)
{
	free(rq->rcpts);
	free(rq->mailers);
}

/* parse_options - the command line into rq; 0, or an exit status */
static int
parse_options(int argc, char **argv, struct request *rq)
{
	struct option *longopts = options();
	struct addr a;
	const char *err = NULL;
	int     c;

	optind = 1;
	while (err == NULL &&
	    (c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (c == 'c')
			rq->conf = optarg;
		else if (c == OPT_RCPT) {
			rq->rcpts = xreallocarray(rq->rcpts, rq->nrcpt + 1,
			    sizeof(*rq->rcpts));
			rq->rcpts[rq->nrcpt++] = optarg;
		} else if (c == OPT_RCPT_MAILER) {
			rq->mailers = xreallocarray(rq->mailers,
			    rq->nmailer + 1, sizeof(*rq->mailers));
			rq->mailers[rq->nmailer++] = optarg;
		} else if (c == OPT_TLS)
			rq->f.v[RULES_FACT_TLS_VERSION] = "TLSv1.3";
		else if (c == OPT_JSON)
			rq->json = 1;
		else if (c == OPT_NO_HELO)
			rq->no_helo = 1;
		else if (c == OPT_DOOR && strcmp(optarg, "policy") == 0)
			rq->policy = 1;
		else if (c == OPT_DOOR && strcmp(optarg, "milter") != 0)
			err = "--door: milter or policy";
		else if (c >= OPT_FACT && c < OPT_FACT + RULES_NFACTS) {
			rq->f.v[c - OPT_FACT] = optarg;
			/* A certificate comes with TLS. */
			if (c == OPT_FACT + RULES_FACT_CERT_SUBJECT &&
			    rq->f.v[RULES_FACT_TLS_VERSION] == NULL)
				rq->f.v[RULES_FACT_TLS_VERSION] = "TLSv1.3";
			if (c == OPT_FACT + RULES_FACT_CLIENT &&
			    strcmp(optarg, "unix") != 0 &&
			    addr_parse(optarg, &a) < 0)
				err = "--client: not an address";
		} else
			err = "";
	}
	free(longopts);
	if (err == NULL && optind != argc)
		err = "unexpected argument";
	else if (err == NULL && rq->f.v[RULES_FACT_CLIENT] == NULL)
		err = "--client is required";
	else if (err == NULL && rq->no_helo && rq->f.v[RULES_FACT_HELO])
		err = "--helo and --no-helo exclude each other";
	else if (err == NULL && rq->nmailer > 1 && rq->nmailer != rq->nrcpt)
		err = "give --rcpt-mailer once, or once per --rcpt";
	else if (err == NULL && rq->policy && rq->nmailer > 0)
		err = "--rcpt-mailer: Postfix sends the policy door none";
	if (err == NULL)
		return (0);
	request_free(rq);
	return (usage(err[0] ? err : NULL));
}

/* print_facts - the session's facts, as a JSON object */
static void
print_facts(const struct ctl_facts *f)
{
	struct strbuf sb = STRBUF_INIT;
	int     i, first = 1;

	strbuf_puts(&sb, ",\n  \"facts\": {");
	for (i = 0; i < RULES_NFACTS; i++) {
		if (f->v[i] == NULL)
			continue;
		strbuf_puts(&sb, first ? "" : ", ");
		first = 0;
		json_str(&sb, rules_fact_info((enum rules_fact) i)->name);
		strbuf_puts(&sb, ": ");
		json_str(&sb, f->v[i]);
	}
	strbuf_puts(&sb, "}");
	fputs(strbuf_str(&sb), stdout);
	strbuf_free(&sb);
}

/* run - explain the session rq asks for under r; the exit status */
static int
run(struct rules *r, struct request *rq)
{
	struct strbuf sb = STRBUF_INIT;
	struct out o;
	int     status;

	memset(&o, 0, sizeof(o));
	o.first_stage = o.first_decision = 1;
	o.json = rq->json;
	o.rcpts = rq->rcpts;
	o.policy = rq->policy;
	o.permit = rules_settings(r)->policy_permit_dunno ?
	    POLICY_PERMIT_DUNNO : POLICY_PERMIT_OK;
	if (o.json) {
		json_str(&sb, rules_source(r));
		printf("{\"configuration\": %s", strbuf_str(&sb));
		strbuf_free(&sb);
		print_facts(&rq->f);
		printf(",\n  \"stages\": [");
	} else
		printf("configuration: %s\n", rules_source(r));
	status = ctl_session_run(r, &rq->f, rq->rcpts, rq->nrcpt,
	    rq->mailers, rq->nmailer, CTL_SESSION_TRACE |
	    (rq->no_helo ? CTL_SESSION_NO_HELO : 0) |
	    (rq->policy ? CTL_SESSION_POLICY : 0), &explain_ops, &o);
	if (o.json)
		printf("],\n  \"decisions\": [%s],\n  \"exit\": %d}\n",
		    strbuf_str(&o.decisions), status);
	else
		printf("decision\n%s", o.decisions.len ?
		    strbuf_str(&o.decisions) : rq->nrcpt == 0 && status != 0 ?
		    "  every recipient would be refused (delay-reject)\n" :
		    rq->nrcpt == 0 ? "  no recipients given\n" : "");
	strbuf_free(&o.decisions);
	return (status);
}

/* cmd_explain - evaluate one made-up session with a trace */
int
cmd_explain(int argc, char **argv)
{
	struct request rq;
	struct rules *r;
	int     status;

	memset(&rq, 0, sizeof(rq));
	if ((status = parse_options(argc, argv, &rq)) != 0)
		return (status);
	if ((r = ctl_rules_load(rq.conf)) == NULL) {
		request_free(&rq);
		return (CTL_EX_CONFIG);
	}
	status = run(r, &rq);
	rules_unref(r);
	request_free(&rq);
	return (status);
}
