/*
 * NAME
 *	fuzz_milter - libFuzzer target for the daemon's fact extraction
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Drives the path milter/filter.c takes for one connection, without
 *	libmilter: the connect socket address, the connect host name,
 *	HELO, MAIL and RCPT arguments and the macro values go through
 *	facts_set_client() and facts_set(), facts_to_rules() hands them to
 *	rules_eval() (the embedded default configuration, or the spec's
 *	relay policy), and every answer goes through reply_escape() and
 *	logline_format() as the daemon would send and log it.
 *
 *	Input: byte 0 picks the socket address family (NULL, AF_INET,
 *	AF_INET6, AF_UNIX) and the configuration; bytes 1-16 are the
 *	address; the rest is split at NUL bytes into the host name,
 *	{daemon_name}, {client_resolve}, HELO, {tls_version}, {verify},
 *	{cert_subject}, {cert_issuer}, MAIL, {auth_authen}, {auth_type},
 *	RCPT, {rcpt_mailer} and {i}; missing fields are absent.
 *
 *	Checks:
 *	1. The escaped reply is what smfi_setreply() and the MTA accept:
 *	   printable ASCII only, every '%' doubled, at most
 *	   REPLY_TEXT_MAX bytes, and unescaped it is the start of the
 *	   engine's text as text_sanitise() shows it.
 *	2. A log line holds no control character and fits its buffer.
 *	3. facts_set() keeps arguments up to FACTS_ARG_MAX and drops longer
 *	   macro values (absent, never cut).
 *	4. No relay: from a client outside the configuration's trusted
 *	   networks (or with no address), without AUTH and without a
 *	   verified certificate, a recipient the daemon permits is not
 *	   routed and is local to the configuration (rcpt-domain in the
 *	   local list; for the default, rcpt-mailer local, virtual or
 *	   lmtp).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/addr.h"
#include "common/rcpt.h"
#include "common/strbuf.h"
#include "milter/reply.h"
#include "milter/report.h"
#include "rules/rules.h"

int     LLVMFuzzerInitialize(int *, char ***);
int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char policy_text[] =
    "list trusted { 127.0.0.0/8 ::1 192.0.2.0/24 }\n"
    "list local { example.com .example.com }\n"
    "connect {\n"
    "    accept client in <trusted>\n"
    "}\n"
    "helo {\n"
    "    reject helo = bad.example \"550 5.7.1 %{helo} %{client-name} %{client}\"\n"
    "}\n"
    "rcpt {\n"
    "    reject routed and not auth \"554 5.7.1 <%{rcpt}> %{sender} %{auth}\"\n"
    "    permit rcpt-domain in <local>\n"
    "    permit auth\n"
    "    permit tls-verified\n"
    "    reject \"554 5.7.1 <%{rcpt}>: Relay access denied %{helo} %{rule}\"\n"
    "}\n";

static struct rules *rules_default, *rules_policy;

static const enum rules_fact field_ids[] = {
	RULES_FACT_CLIENT_NAME, RULES_FACT_DAEMON, RULES_FACT_CLIENT_RESOLVE,
	RULES_FACT_HELO, RULES_FACT_TLS_VERSION, RULES_FACT_VERIFY,
	RULES_FACT_CERT_SUBJECT, RULES_FACT_CERT_ISSUER, RULES_FACT_SENDER,
	RULES_FACT_AUTH, RULES_FACT_AUTH_TYPE, RULES_FACT_RCPT,
	RULES_FACT_RCPT_MAILER, RULES_FACT_QUEUE_ID,
};

#define NFIELDS	(sizeof(field_ids) / sizeof(field_ids[0]))

static const char *cur_field[NFIELDS];

/* fail - report a broken property and abort */
static void
fail(const char *what, const char *detail)
{
	size_t  i;

	fprintf(stderr, "fuzz_milter: property failed: %s\n  detail: \"%s\"\n",
	    what, detail ? detail : "");
	for (i = 0; i < NFIELDS; i++)
		fprintf(stderr, "  field %zu: %s%.200s%s\n", i,
		    cur_field[i] ? "\"" : "", cur_field[i] ? cur_field[i] :
		    "(absent)", cur_field[i] ? "\"" : "");
	abort();
}

/* LLVMFuzzerInitialize - load both configurations once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf errs = STRBUF_INIT;

	(void) argc;
	(void) argv;
	rules_default = rules_load(NULL, &errs);
	rules_policy = rules_load_string("policy.conf", policy_text, &errs);
	if (rules_default == NULL || rules_policy == NULL) {
		fprintf(stderr, "fuzz_milter: configuration refused:\n%s",
		    errs.s ? errs.s : "");
		exit(1);
	}
	strbuf_free(&errs);
	return (0);
}

/* check_reply - property 1 */
static void
check_reply(const struct rules_result *res)
{
	char    esc[REPLY_TEXT_MAX + 1], plain[RULES_REPLY_MAX + 8];
	size_t  n, i, j;

	n = reply_escape(esc, sizeof(esc), res->text);
	if (n != strlen(esc) || n > REPLY_TEXT_MAX)
		fail("escaped reply length wrong", esc);
	text_sanitise(plain, sizeof(plain), res->text, 0);
	for (i = j = 0; i < n; i++, j++) {
		if ((unsigned char) esc[i] < 0x20 || (unsigned char) esc[i] > 0x7e)
			fail("escaped reply holds a non-printable byte", esc);
		if (esc[i] == '%' && esc[++i] != '%')
			fail("escaped reply holds a lone '%'", esc);
		if (esc[i] != plain[j])
			fail("escaped reply is not the engine's text", esc);
	}
}

/* check_logline - property 2 */
static void
check_logline(const struct rules_session *f, const struct rules_result *res)
{
	char    line[2048];
	struct logline l;
	size_t  n, i;

	report_logline(f, RULES_RCPT, res, &l);
	n = logline_format(line, sizeof(line), &l);
	if (n >= sizeof(line) || n != strlen(line))
		fail("log line length wrong", line);
	for (i = 0; i < n; i++)
		if ((unsigned char) line[i] < 0x20 || line[i] == 0x7f)
			fail("control character in a log line", line);
}

/* sockaddr_from - the connect callback's address from the input */
static const struct sockaddr *
sockaddr_from(int kind, const uint8_t *b, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *) (void *) ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) (void *) ss;
	struct sockaddr_un *sun = (struct sockaddr_un *) (void *) ss;

	memset(ss, 0, sizeof(*ss));
	switch (kind) {
	case 1:
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, b, 4);
		break;
	case 2:
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, b, 16);
		break;
	case 3:
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, b, 16);
		break;
	default:
		return (NULL);
	}
	return ((const struct sockaddr *) ss);
}

/* trusted_client - is the client in the configuration's trusted list? */
static int
trusted_client(const struct rules_session *f, int policy)
{
	static const char *const nets[] = {"127.0.0.0/8", "::1",
	"192.0.2.0/24"};
	struct prefix p;
	size_t  i, n = policy ? 3 : 2;

	if (rules_session_client(f) == NULL)
		return (0);
	for (i = 0; i < n; i++)
		if (prefix_parse(nets[i], &p, NULL, 0) == 0 &&
		    prefix_contains(&p, rules_session_client(f)))
			return (1);
	return (0);
}

/* local_recipient - property 4's reference of "local" */
static int
local_recipient(const struct rules_session *f, int policy)
{
	const char *m = rules_session_get(f, RULES_FACT_RCPT_MAILER);
	struct rcpt r;
	size_t  n;
	int     ok = 0;

	rcpt_parse(rules_session_get(f, RULES_FACT_RCPT), &r);
	if (!r.routed) {
		if (!policy)
			ok = m != NULL && (strcmp(m, "local") == 0 ||
			    strcmp(m, "virtual") == 0 || strcmp(m, "lmtp") == 0);
		else if (r.rcpt_domain != NULL) {
			n = strlen(r.rcpt_domain);
			ok = strcmp(r.rcpt_domain, "example.com") == 0 ||
			    (n > 12 && strcmp(r.rcpt_domain + n - 12,
				".example.com") == 0);
		}
	}
	rcpt_free(&r);
	return (ok);
}

/* LLVMFuzzerTestOneInput - one connection, one recipient */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa;
	struct addr a;
	struct rules_result res;
	struct rules_session *sess;
	const char *v, *auth, *verify, *subject;
	char   *buf, *p, *end;
	size_t  nf = 0, i, len;
	int     policy, stage, rc, accepted = 0;

	if (size < 17)
		return (0);
	policy = (data[0] >> 2) & 1;
	buf = malloc(size - 16);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 17, size - 17);
	buf[size - 17] = '\0';
	end = buf + size - 17;
	memset(cur_field, 0, sizeof(cur_field));
	for (p = buf; nf < NFIELDS && p <= end; p += strlen(p) + 1)
		cur_field[nf++] = p;

	sess = rules_session_new(policy ? rules_policy : rules_default, 0);
	if (sess == NULL)
		abort();
	sa = sockaddr_from(data[0] & 3, data + 1, &ss);
	rules_session_set_client(sess, sa != NULL &&
	    addr_from_sockaddr(sa, &a) == 0 ? &a : NULL);
	for (i = 0; i < NFIELDS; i++) {
		rc = rules_session_set(sess, field_ids[i], cur_field[i]);
		v = rules_session_get(sess, field_ids[i]);
		if (cur_field[i] == NULL) {
			if (rc != 0 || v != NULL)
				fail("an absent value is present", NULL);
			continue;
		}
		len = strlen(cur_field[i]);
		if (rules_fact_info(field_ids[i])->macro != NULL) {
			if (len > RULES_MACRO_MAX ? (rc != 1 || v != NULL) :
			    (rc != 0 || v == NULL || strcmp(v, cur_field[i]) != 0))
				fail("macro value not kept whole or dropped",
				    cur_field[i]);
		} else if (v == NULL || strlen(v) != (len > RULES_ARG_MAX ?
			RULES_ARG_MAX : len) || strncmp(v, cur_field[i],
			strlen(v)) != 0 || rc != (len > RULES_ARG_MAX ? 1 : 0)) {
			fail("argument not kept or not cut at RULES_ARG_MAX",
			    cur_field[i]);
		}
	}

	for (stage = RULES_CONNECT; stage < RULES_NSTAGES; stage++) {
		memset(&res, 0, sizeof(res));
		(void) rules_eval(sess, (enum rules_stage) stage, &res, NULL);
		check_reply(&res);
		check_logline(sess, &res);
		if (res.verdict == RULES_ACCEPT) {
			accepted = 1;
			break;
		}
		if (res.verdict != RULES_CONTINUE)
			break;
	}

	/* Property 4: what reached RCPT and was permitted. */
	auth = rules_session_get(sess, RULES_FACT_AUTH);
	verify = rules_session_get(sess, RULES_FACT_VERIFY);
	subject = rules_session_get(sess, RULES_FACT_CERT_SUBJECT);
	if (accepted && !trusted_client(sess, policy))
		fail("an outsider's connection was accepted", NULL);
	if (stage == RULES_NSTAGES && res.verdict == RULES_CONTINUE &&
	    !trusted_client(sess, policy) && (auth == NULL || *auth == '\0') &&
	    (verify == NULL || strcasecmp(verify, "OK") != 0) &&
	    (subject == NULL || *subject == '\0') &&
	    !local_recipient(sess, policy))
		fail("relay permitted to a foreign or routed recipient", NULL);

	rules_session_free(sess);
	free(buf);
	return (0);
}
