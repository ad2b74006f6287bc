/*
 * NAME
 *	cmd_explain - relayguardctl explain: show how the rules decide
 * SYNOPSIS
 *	relayguardctl explain [-c conf] [--json] --client ADDR
 *		[--client-name NAME] [--client-resolve OK|FAIL|TEMP|FORGED]
 *		[--helo NAME | --no-helo] [--sender ADDR] [--rcpt ADDR]... [--auth USER]
 *		[--auth-type MECH] [--tls] [--cert-subject S]
 *		[--cert-issuer S] [--daemon NAME] [--rcpt-mailer M]...
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
 *	verified client certificate. --rcpt-mailer given once applies to
 *	every recipient; given as often as --rcpt, the n-th goes with the
 *	n-th recipient.
 *
 *	--no-helo skips the helo stage, as for a client that sends MAIL
 *	without HELO (the MTA then never calls the milter's helo step).
 *
 *	A refusal at connect, helo or mail without delay-reject ends the
 *	session there, as the MTA would; a discard at mail ends the
 *	message.
 *
 *	--json prints the same as one JSON object.
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

const char cmd_explain_usage[] =
	"explain [-c conf] [--json] --client ADDR [--client-name NAME] "
	"[--client-resolve R] [--helo NAME | --no-helo] [--sender ADDR] [--rcpt ADDR]... "
	"[--auth USER] [--auth-type MECH] [--tls] [--cert-subject S] "
	"[--cert-issuer S] [--daemon NAME] [--rcpt-mailer M]...";

enum {
	OPT_CLIENT = 256, OPT_CLIENT_NAME, OPT_CLIENT_RESOLVE, OPT_HELO,
	OPT_SENDER, OPT_RCPT, OPT_AUTH, OPT_AUTH_TYPE, OPT_TLS,
	OPT_CERT_SUBJECT, OPT_CERT_ISSUER, OPT_DAEMON, OPT_RCPT_MAILER,
	OPT_JSON, OPT_NO_HELO,
};

static const struct option longopts[] = {
	{"client", required_argument, NULL, OPT_CLIENT},
	{"client-name", required_argument, NULL, OPT_CLIENT_NAME},
	{"client-resolve", required_argument, NULL, OPT_CLIENT_RESOLVE},
	{"helo", required_argument, NULL, OPT_HELO},
	{"sender", required_argument, NULL, OPT_SENDER},
	{"rcpt", required_argument, NULL, OPT_RCPT},
	{"auth", required_argument, NULL, OPT_AUTH},
	{"auth-type", required_argument, NULL, OPT_AUTH_TYPE},
	{"tls", no_argument, NULL, OPT_TLS},
	{"cert-subject", required_argument, NULL, OPT_CERT_SUBJECT},
	{"cert-issuer", required_argument, NULL, OPT_CERT_ISSUER},
	{"daemon", required_argument, NULL, OPT_DAEMON},
	{"rcpt-mailer", required_argument, NULL, OPT_RCPT_MAILER},
	{"json", no_argument, NULL, OPT_JSON},
	{"no-helo", no_argument, NULL, OPT_NO_HELO},
	{NULL, 0, NULL, 0},
};

struct out {
	int     json;
	int     first_stage;
	struct strbuf decisions;
	int     first_decision;
	const char **rcpts;
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
	size_t  i;
	int     first = 1;

	if (!o->json) {
		if (rcpt)
			printf("%s %s\n", rules_stage_name(stage), rcpt);
		else
			printf("%s\n", rules_stage_name(stage));
		for (i = 0; rules_trace_step(t, i, &st) == 0; i++) {
			if (strcmp(st.outcome, "result") == 0)
				printf("  => %s%s%s%s\n", st.detail,
				    st.where[0] ? " (" : "", st.where,
				    st.where[0] ? ")" : "");
			else if (strcmp(st.outcome, "reply") == 0)
				printf("     reply: %s\n", st.detail);
			else if (st.text[0])
				printf("  %s  %s\n      %s: %s\n", st.where, st.text,
				    st.outcome, st.detail);
			else
				printf("  %s: %s\n", st.outcome, st.detail);
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
		if (strcmp(st.outcome, "result") == 0 ||
		    strcmp(st.outcome, "reply") == 0)
			continue;
		strbuf_puts(&sb, first ? "\n      {" : ",\n      {");
		first = 0;
		strbuf_puts(&sb, "\"rule\": ");
		json_str(&sb, st.where);
		strbuf_puts(&sb, ", \"text\": ");
		json_str(&sb, st.text);
		strbuf_puts(&sb, ", \"outcome\": ");
		json_str(&sb, st.outcome);
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

/* cmd_explain - evaluate one made-up session with a trace */
int
cmd_explain(int argc, char **argv)
{
	struct rules_facts f;
	struct rules *r;
	struct addr client;
	struct out o;
	const char *conf = NULL, **rcpts = NULL, **mailers = NULL;
	size_t  nrcpt = 0, nmailer = 0;
	int     c, have_client = 0, status, no_helo = 0;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	o.first_stage = o.first_decision = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case OPT_CLIENT:
			if (strcmp(optarg, "unix") == 0)
				f.client = NULL;
			else if (addr_parse(optarg, &client) < 0) {
				free(rcpts);
				free(mailers);
				return (usage("--client: not an address"));
			} else
				f.client = &client;
			have_client = 1;
			break;
		case OPT_CLIENT_NAME:
			f.client_name = optarg;
			break;
		case OPT_CLIENT_RESOLVE:
			f.client_resolve = optarg;
			break;
		case OPT_HELO:
			f.helo = optarg;
			break;
		case OPT_SENDER:
			f.sender = optarg;
			break;
		case OPT_RCPT:
			rcpts = xreallocarray(rcpts, nrcpt + 1, sizeof(*rcpts));
			rcpts[nrcpt++] = optarg;
			break;
		case OPT_AUTH:
			f.auth = optarg;
			break;
		case OPT_AUTH_TYPE:
			f.auth_type = optarg;
			break;
		case OPT_TLS:
			f.tls_version = "TLSv1.3";
			break;
		case OPT_CERT_SUBJECT:
			f.cert_subject = optarg;
			if (f.tls_version == NULL)
				f.tls_version = "TLSv1.3";
			break;
		case OPT_CERT_ISSUER:
			f.cert_issuer = optarg;
			break;
		case OPT_DAEMON:
			f.daemon = optarg;
			break;
		case OPT_RCPT_MAILER:
			mailers = xreallocarray(mailers, nmailer + 1,
			    sizeof(*mailers));
			mailers[nmailer++] = optarg;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_NO_HELO:
			no_helo = 1;
			break;
		default:
			free(rcpts);
			free(mailers);
			return (usage(NULL));
		}
	}
	if (optind != argc || !have_client || (nmailer > 1 && nmailer != nrcpt) ||
	    (no_helo && f.helo != NULL)) {
		free(rcpts);
		free(mailers);
		return (usage(optind != argc ? "unexpected argument" :
		    !have_client ? "--client is required" :
		    no_helo && f.helo ? "--helo and --no-helo exclude each other" :
		    "give --rcpt-mailer once, or once per --rcpt"));
	}
	if ((r = ctl_rules_load(conf)) == NULL) {
		free(rcpts);
		free(mailers);
		return (CTL_EX_CONFIG);
	}
	if (o.json) {
		printf("{\"configuration\": ");
		fflush(stdout);
		{
			struct strbuf sb = STRBUF_INIT;

			json_str(&sb, rules_source(r));
			fputs(strbuf_str(&sb), stdout);
			strbuf_free(&sb);
		}
		printf(",\n  \"stages\": [");
	} else
		printf("configuration: %s\n", rules_source(r));

	o.rcpts = rcpts;
	status = ctl_session_run(r, &f, rcpts, nrcpt, mailers, nmailer,
	    CTL_SESSION_TRACE | (no_helo ? CTL_SESSION_NO_HELO : 0),
	    &explain_ops, &o);
	if (o.json) {
		printf("],\n  \"decisions\": [%s],\n  \"exit\": %d}\n",
		    strbuf_str(&o.decisions), status);
	} else {
		printf("decision\n%s", o.decisions.len ? strbuf_str(&o.decisions) :
		    nrcpt == 0 && status != 0 ?
		    "  every recipient would be refused (delay-reject)\n" :
		    nrcpt == 0 ? "  no recipients given\n" : "");
	}
	strbuf_free(&o.decisions);
	rules_unref(r);
	free(rcpts);
	free(mailers);
	return (status);
}
