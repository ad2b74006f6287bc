/*
 * NAME
 *	fuzz_eval - libFuzzer target for rule evaluation and reply text
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Runs a fixed configuration (the spec's relay policy, with replies
 *	that expand every %{...} macro) over hostile facts: the input is
 *	split at NUL bytes into the client address, client name, resolve
 *	status, daemon name, HELO, MAIL FROM, AUTH identity and type, TLS
 *	version, verify status, certificate subject and issuer, RCPT and
 *	rcpt mailer, in that order (missing fields are absent facts), and
 *	the first byte picks which stages run. It checks:
 *
 *	1. Reply text never holds a control character (CR/LF would let a
 *	   client inject SMTP replies), fits RULES_REPLY_MAX, and its code
 *	   fits the verdict.
 *	2. The relay policy holds for an outsider: a client outside
 *	   <trusted>, with no AUTH (empty counts as none) and no verified
 *	   certificate ({verify} OK, or a non-empty {cert_subject}: a
 *	   superset of what the engine counts). An accept at any stage
 *	   (which would trust the rest of the session: an open relay) is
 *	   a failure, whichever stages ran; and at RCPT a permit is a
 *	   failure unless the recipient is not routed and its rcpt-domain
 *	   is in <local>, as common/rcpt.c reads it.
 *	3. Nothing is looked up (no tables): lookup_error never appears.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/rcpt.h"
#include "common/strbuf.h"
#include "rules/rules.h"

int     LLVMFuzzerInitialize(int *, char ***);
int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char conf_text[] =
    "on-error tempfail\n"
    "recipient-delimiter \"+\"\n"
    "list trusted { 127.0.0.0/8 ::1 192.0.2.0/24 2001:db8:1::/48 }\n"
    "list local { example.com .example.com example.net }\n"
    "connect {\n"
    "    reject client-name = blocked.example \"554 5.7.1 %{client} "
	"%{client-name} %{rule}\"\n"
    "    accept client in <trusted>\n"
    "}\n"
    "helo {\n"
    "    tempfail helo = tempfail.example \"451 4.7.1 %{helo} %{client} "
	"%{client-name} %{rule}\"\n"
    "}\n"
    "mail {\n"
    "    reject sender-domain = bad.example \"550 5.7.1 %{sender} %{auth} "
	"%{helo}\"\n"
    "}\n"
    "rcpt {\n"
    "    reject routed and not auth \"554 5.7.1 <%{rcpt}> routed\"\n"
    "    permit rcpt-domain in <local>\n"
    "    permit auth\n"
    "    permit tls-verified\n"
    "    reject \"554 5.7.1 <%{rcpt}>: Relay access denied %{client} "
	"%{client-name} %{helo} %{sender} %{auth} %{rule}\"\n"
    "}\n";

static struct rules *rules;
static struct prefix trusted[4];

/* LLVMFuzzerInitialize - load the fixed configuration once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf errs = STRBUF_INIT;
	static const char *const nets[] = {"127.0.0.0/8", "::1",
	"192.0.2.0/24", "2001:db8:1::/48"};
	size_t  i;

	(void) argc;
	(void) argv;
	if ((rules = rules_load_string("fuzz.conf", conf_text, &errs)) == NULL) {
		fprintf(stderr, "fuzz_eval: configuration refused:\n%s",
		    errs.s ? errs.s : "");
		exit(1);
	}
	for (i = 0; i < 4; i++)
		if (prefix_parse(nets[i], &trusted[i], NULL, 0) != 0)
			abort();
	strbuf_free(&errs);
	return (0);
}

/* The input's fields, in order: the facts they set. */
static const enum rules_fact field_ids[] = {
	RULES_FACT_CLIENT, RULES_FACT_CLIENT_NAME, RULES_FACT_CLIENT_RESOLVE,
	RULES_FACT_DAEMON, RULES_FACT_HELO, RULES_FACT_SENDER,
	RULES_FACT_AUTH, RULES_FACT_AUTH_TYPE, RULES_FACT_TLS_VERSION,
	RULES_FACT_VERIFY, RULES_FACT_CERT_SUBJECT, RULES_FACT_CERT_ISSUER,
	RULES_FACT_RCPT,
};

#define NFIELDS	(sizeof(field_ids) / sizeof(field_ids[0]))

/* fail - report a broken property and abort */
static void
fail(const char *what, const struct rules_session *f,
	const struct rules_result *res)
{
	size_t  i;
	const char *v;

	fprintf(stderr, "fuzz_eval: property failed: %s\n", what);
	for (i = 0; i < NFIELDS; i++) {
		v = rules_session_get(f, field_ids[i]);
		fprintf(stderr, "  %s=\"%s\"\n", rules_fact_info(
		    field_ids[i])->name, v ? v : "(null)");
	}
	fprintf(stderr, "  verdict=%d code=%s xcode=%s rule=%s\n  text=\"%s\"\n",
	    (int) res->verdict, res->code, res->xcode, res->rule, res->text);
	abort();
}

/* check_reply - property 1 and 3 */
static void
check_reply(const struct rules_session *f, const struct rules_result *res)
{
	size_t  len = strnlen(res->text, sizeof(res->text)), i;
	char    want = 0;

	if (len == sizeof(res->text))
		fail("reply text not terminated", f, res);
	for (i = 0; i < len; i++)
		if ((unsigned char) res->text[i] < 0x20 || res->text[i] == 0x7f)
			fail("control character in the reply text", f, res);
	if (res->lookup_error)
		fail("lookup error without a table", f, res);
	if (res->verdict == RULES_REJECT)
		want = '5';
	else if (res->verdict == RULES_TEMPFAIL)
		want = '4';
	else if (res->code[0] != '\0' && res->verdict != RULES_DISCARD)
		fail("reply code on a permit", f, res);
	if (want && (res->code[0] != want || strlen(res->code) != 3 ||
		res->xcode[0] != want))
		fail("reply code does not fit the verdict", f, res);
}

/* is_local - rcpt-domain in { example.com .example.com example.net } */
static int
is_local(const char *d)
{
	size_t  n;

	if (d == NULL)
		return (0);
	if (strcmp(d, "example.com") == 0 || strcmp(d, "example.net") == 0)
		return (1);
	n = strlen(d);
	return (n > 12 && strcmp(d + n - 12, ".example.com") == 0);
}

/* LLVMFuzzerTestOneInput - one session's facts */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_session *sess;
	struct rules_result res;
	struct addr client;
	const char *field[NFIELDS], *auth, *verify, *subject;
	char   *buf, *p, *end;
	int     nf = 0, stages, stage, have_client, untrusted, outsider, i;
	struct rcpt r;

	if (size < 1)
		return (0);
	stages = data[0];
	buf = malloc(size);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	end = buf + size - 1;
	memset(field, 0, sizeof(field));
	for (p = buf; nf < (int) NFIELDS && p <= end; p += strlen(p) + 1)
		field[nf++] = p;

	if ((sess = rules_session_new(rules, 0)) == NULL)
		abort();
	have_client = field[0] != NULL && addr_parse(field[0], &client) == 0;
	rules_session_set_client(sess, have_client ? &client : NULL);
	for (i = 1; i < (int) NFIELDS; i++)
		if (rules_session_set(sess, field_ids[i], field[i]) < 0)
			abort();
	auth = rules_session_get(sess, RULES_FACT_AUTH);
	verify = rules_session_get(sess, RULES_FACT_VERIFY);
	subject = rules_session_get(sess, RULES_FACT_CERT_SUBJECT);

	/* Property 2 is about outsiders. */
	untrusted = 1;
	for (i = 0; i < 4 && have_client; i++)
		if (prefix_contains(&trusted[i], &client))
			untrusted = 0;
	outsider = untrusted && (auth == NULL || auth[0] == '\0') &&
	    (verify == NULL || strcasecmp(verify, "OK") != 0) &&
	    (subject == NULL || subject[0] == '\0');

	for (stage = RULES_CONNECT; stage < RULES_NSTAGES; stage++) {
		/* RCPT always runs; bits 0-2 skip the earlier stages. */
		if (stage != RULES_RCPT && (stages & (1 << stage)))
			continue;
		memset(&res, 0, sizeof(res));
		rules_eval(sess, (enum rules_stage) stage, &res, NULL);
		check_reply(sess, &res);
		/* An accept trusts the rest of the session: never for them. */
		if (outsider && res.verdict == RULES_ACCEPT)
			fail("accept for an outsider", sess, &res);
		if (res.verdict == RULES_ACCEPT)
			break;
		if (outsider && stage == RULES_RCPT &&
		    res.verdict == RULES_CONTINUE) {
			rcpt_parse(rules_session_get(sess, RULES_FACT_RCPT), &r);
			if (r.routed || !is_local(r.rcpt_domain))
				fail("relay permitted to a foreign or routed "
				    "recipient", sess, &res);
			rcpt_free(&r);
		}
	}
	rules_session_free(sess);
	free(buf);
	return (0);
}
