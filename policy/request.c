/*
 * NAME
 *	request 3
 * SUMMARY
 *	policy requests: their end, their attributes, their facts
 * SYNOPSIS
 *	#include "common/strbuf.h"
#include "policy/policy.h"
 *
 *	size_t	policy_request_end(const char *text, size_t len)
 *	int	policy_request_parse(struct policy_request *req,
 *		const char *text, size_t len, char *err, size_t errlen)
 *	const char *policy_request_get(const struct policy_request *req,
 *		const char *name)
 *	int	policy_request_facts(const struct policy_request *req,
 *		int all, policy_set_fn set, void *ctx)
 *	int	policy_fact_known(enum rules_fact f)
 *	void	policy_rules_warnings(const struct rules *r,
 *		struct strbuf *warns)
 * DESCRIPTION
 *	A request of Postfix's policy delegation protocol is a sequence
 *	of "name=value" lines ended by an empty line. Postfix writes
 *	"\n" alone; so does this parser expect (a "\r" is part of a
 *	value, where the engine's bounds and checks see it).
 *
 *	policy_request_end() finds the empty line; the caller keeps what
 *	follows it for the next request (Postfix may send the next one
 *	before it has read the answer: pipelining costs nothing here).
 *
 *	policy_request_parse() copies the request and splits it in the
 *	copy, so req holds everything it points to.
 *
 *	policy_request_facts() maps attributes to facts with one table,
 *	attrs[] below: the same facts the milter door takes from
 *	libmilter's callbacks and macros, in the same form:
 *
 *	client_address	client (text)
 *	client_name	client-name: Postfix's verified name, "unknown"
 *			when it has none, which the engine takes as
 *			absent, as it does the milter's "[addr]"
 *	reverse_client_name  {client_resolve}: OK when client_name is
 *			verified, FORGED when only the reverse name is
 *			known, FAIL when neither is
 *	policy_context	{daemon_name} (smtpd_policy_service_policy_context,
 *			what milter_macro_daemon_name is to the milter)
 *	helo_name	helo
 *	encryption_protocol  {tls_version}
 *	ccert_subject, ccert_issuer  {cert_subject}, {cert_issuer},
 *			xtext-decoded (Postfix sends them only for a
 *			verified certificate, as it does the macros)
 *	ccert_fingerprint  {cert_fp}, cert-fingerprint (as Postfix
 *			writes it: hex bytes with colons)
 *	sender		MAIL FROM in angle brackets ("<>" when empty:
 *			the null sender)
 *	sasl_username	{auth_authen}
 *	sasl_method	{auth_type}
 *	queue_id	i
 *	recipient	RCPT TO in angle brackets
 *
 *	Everything else (instance and protocol_state, which the door
 *	reads itself; ccert_pubkey_fingerprint, size, ...) is no fact of the
 *	rules and is ignored, as the protocol asks. Postfix has no
 *	attribute for {verify} or {rcpt_mailer}: those facts are absent
 *	through this door.
 *
 *	policy_fact_known() says whether the door learns a fact: from an
 *	attribute, or derived from one that it learns.
 *	policy_rules_warnings() appends a line to warns for each rule that
 *	reads a fact the door never learns, so that the daemon says at
 *	start and at each reload which rules cannot hold through it.
 * DIAGNOSTICS
 *	See policy.h.
 * THREADS
 *	Reentrant: no static state but the constant table.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"

/* How an attribute's value becomes its fact's. */
#define ATTR_PLAIN	0
#define ATTR_BRACKETS	(1 << 0)	/* "<value>", and "<>" for empty */
#define ATTR_XTEXT	(1 << 1)	/* +XX stands for byte XX */
#define ATTR_RESOLVE	(1 << 2)	/* {client_resolve} from both names */
#define ATTR_EACH	(1 << 3)	/* may change at each recipient */

static const struct attr_fact {
	const char *name;
	enum rules_fact fact;
	int     how;
} attrs[] = {
	{"client_address", RULES_FACT_CLIENT, ATTR_PLAIN},
	{"client_name", RULES_FACT_CLIENT_NAME, ATTR_PLAIN},
	{"reverse_client_name", RULES_FACT_CLIENT_RESOLVE, ATTR_RESOLVE},
	{"policy_context", RULES_FACT_DAEMON, ATTR_PLAIN},
	{"helo_name", RULES_FACT_HELO, ATTR_PLAIN},
	{"encryption_protocol", RULES_FACT_TLS_VERSION, ATTR_PLAIN},
	{"ccert_subject", RULES_FACT_CERT_SUBJECT, ATTR_XTEXT},
	{"ccert_issuer", RULES_FACT_CERT_ISSUER, ATTR_XTEXT},
	{"ccert_fingerprint", RULES_FACT_CERT_FINGERPRINT, ATTR_PLAIN},
	{"sender", RULES_FACT_SENDER, ATTR_BRACKETS},
	{"sasl_username", RULES_FACT_AUTH, ATTR_PLAIN},
	{"sasl_method", RULES_FACT_AUTH_TYPE, ATTR_PLAIN},
	{"queue_id", RULES_FACT_QUEUE_ID, ATTR_EACH},
	{"recipient", RULES_FACT_RCPT, ATTR_BRACKETS | ATTR_EACH},
};

/* policy_request_end - the length of the first whole request, or 0 */
size_t
policy_request_end(const char *text, size_t len)
{
	const char *nl;
	size_t  o = 0;

	while (o < len && (nl = memchr(text + o, '\n', len - o)) != NULL) {
		if (nl == text + o)
			return ((size_t) (nl - text) + 1);
		o = (size_t) (nl - text) + 1;
	}
	return (0);
}

/* policy_request_parse - split one request into its attributes */
int
policy_request_parse(struct policy_request *req, const char *text,
	size_t len, char *err, size_t errlen)
{
	char   *line, *nl, *eq, *end;
	const char *type;

	req->nattr = 0;
	if (len > POLICY_REQUEST_MAX) {
		snprintf(err, errlen, "request longer than %d bytes",
		    POLICY_REQUEST_MAX);
		return (-1);
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in request");
		return (-1);
	}
	memcpy(req->buf, text, len);
	req->buf[len] = '\0';
	end = req->buf + len;
	for (line = req->buf; line < end && *line != '\n'; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t) (end - line))) == NULL)
			break;
		*nl = '\0';
		if ((eq = strchr(line, '=')) == NULL || eq == line) {
			snprintf(err, errlen, "attribute %zu is not name=value",
			    req->nattr + 1);
			return (-1);
		}
		if (req->nattr == POLICY_ATTR_MAX) {
			snprintf(err, errlen, "more than %d attributes",
			    POLICY_ATTR_MAX);
			return (-1);
		}
		*eq = '\0';
		req->attr[req->nattr].name = line;
		req->attr[req->nattr].value = eq + 1;
		req->nattr++;
	}
	if (line + 1 != end) {
		snprintf(err, errlen, "request not ended by an empty line, or "
		    "more after it");
		return (-1);
	}
	if ((type = policy_request_get(req, "request")) == NULL) {
		snprintf(err, errlen, "no request attribute");
		return (-1);
	}
	if (strcmp(type, "smtpd_access_policy") != 0) {
		snprintf(err, errlen, "request type is not smtpd_access_policy");
		return (-1);
	}
	return (0);
}

/* policy_request_get - the first value of an attribute, or NULL */
const char *
policy_request_get(const struct policy_request *req, const char *name)
{
	size_t  i;

	for (i = 0; i < req->nattr; i++)
		if (strcmp(req->attr[i].name, name) == 0)
			return (req->attr[i].value);
	return (NULL);
}

/* hexval - the value of a hex digit, or -1 */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * xtext_decode - RFC 3461 xtext into out (len bytes with the NUL); a
 * "+" without two hex digits, or one that stands for NUL, stays as it
 * is: the value is then not what Postfix meant, and no rule's item
 * written for the decoded text matches it.
 */
static void
xtext_decode(char *out, size_t len, const char *in)
{
	size_t  o = 0;
	int     hi, lo;

	for (; *in && o + 1 < len; in++) {
		if (*in == '+' && (hi = hexval((unsigned char) in[1])) >= 0 &&
		    (lo = hexval((unsigned char) in[2])) >= 0 &&
		    hi * 16 + lo != 0) {
			out[o++] = (char) (hi * 16 + lo);
			in += 2;
		} else
			out[o++] = *in;
	}
	out[o] = '\0';
}

/* known_name - a client name Postfix knows ("unknown" when it does not) */
static int
known_name(const char *name)
{
	return (name != NULL && *name != '\0' &&
	    strcasecmp(name, "unknown") != 0);
}

/* policy_request_facts - the request's facts, through set() */
int
policy_request_facts(const struct policy_request *req, int all,
	policy_set_fn set, void *ctx)
{
	char    buf[POLICY_REQUEST_MAX + 3];
	const char *v;
	size_t  i;
	int     r, ret = 0;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (!all && !(attrs[i].how & ATTR_EACH))
			continue;
		v = policy_request_get(req, attrs[i].name);
		if (attrs[i].how & ATTR_RESOLVE) {
			v = known_name(policy_request_get(req, "client_name")) ?
			    "OK" : known_name(v) ? "FORGED" : "FAIL";
		} else if ((attrs[i].how & ATTR_BRACKETS) && v != NULL) {
			snprintf(buf, sizeof(buf), "<%s>", v);
			v = buf;
		} else if (v == NULL || *v == '\0') {
			v = NULL;
		} else if (attrs[i].how & ATTR_XTEXT) {
			xtext_decode(buf, sizeof(buf), v);
			v = buf;
		}
		r = set(ctx, attrs[i].fact, v);
		if (r < 0 || ret < 0)
			ret = -1;
		else if (r > ret)
			ret = r;
	}
	return (ret);
}

/* policy_fact_known - 1 when the door learns fact f */
int
policy_fact_known(enum rules_fact f)
{
	enum rules_fact from = rules_fact_info(f)->from;
	size_t  i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (attrs[i].fact == from)
			return (1);
	return (0);
}

struct unknown_use {
	struct strbuf *warns;
	const char *fact;
};

/* warn_use - one warning line for a rule that reads an unknown fact */
static int
warn_use(const char *where, const char *text, void *arg)
{
	struct unknown_use *u = arg;

	strbuf_printf(u->warns, "%s: \"%s\" reads %s, which Postfix's policy "
	    "requests never carry: through the policy door it is absent\n",
	    where ? where : "(rules)", text ? text : "", u->fact);
	return (0);
}

/* policy_rules_warnings - rules that read what the door never learns */
void
policy_rules_warnings(const struct rules *r, struct strbuf *warns)
{
	struct unknown_use u;
	int     f;

	u.warns = warns;
	for (f = 0; f < RULES_NFACTS; f++) {
		if (!rules_fact_info((enum rules_fact) f)->matchable ||
		    policy_fact_known((enum rules_fact) f))
			continue;
		u.fact = rules_fact_info((enum rules_fact) f)->name;
		(void) rules_fact_uses(r, (enum rules_fact) f, warn_use, &u);
	}
}
