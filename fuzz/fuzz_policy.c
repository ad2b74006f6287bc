/*
 * NAME
 *	fuzz_policy - libFuzzer target for the policy protocol's words
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Reads the input as the policy door reads a connection: request
 *	after request (policy_request_end()), each split with
 *	policy_request_parse() and turned into facts with
 *	policy_request_facts(); the last bytes also serve as the reply
 *	text of an answer for policy_action(). Properties beyond "no
 *	crash, no leak, no UB":
 *
 *	1. A request ends with an empty line, and within the input.
 *	2. A parsed request has 1 to POLICY_ATTR_MAX attributes, names
 *	   that are not empty and hold no '=', no newline in a name or a
 *	   value, and request=smtpd_access_policy; it is refused when
 *	   over POLICY_REQUEST_MAX bytes.
 *	3. Every fact value is a C string no longer than the request;
 *	   sender and recipient are in angle brackets.
 *	4. An action line starts with "action=", is printable ASCII
 *	   without a newline, and fits its buffer.
 *
 *	A failed property aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fail - report a broken property and abort */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_policy: property failed: %s\n", what);
	abort();
}

/* check_fact - property 3 */
static int
check_fact(void *ctx, enum rules_fact f, const char *v)
{
	size_t  len = *(size_t *) ctx, n;

	if (v == NULL)
		return (0);
	n = strlen(v);
	if (n > len + 2)
		fail("a fact longer than its request");
	if ((f == RULES_FACT_SENDER || f == RULES_FACT_RCPT) &&
	    (n < 2 || v[0] != '<' || v[n - 1] != '>'))
		fail("sender or recipient without angle brackets");
	return (0);
}

/* check_request - properties 2 and 3 for one parsed request */
static void
check_request(const struct policy_request *req, size_t len)
{
	const char *type;
	size_t  i;

	if (len > POLICY_REQUEST_MAX)
		fail("an oversized request was accepted");
	if (req->nattr < 1 || req->nattr > POLICY_ATTR_MAX)
		fail("attribute count out of bounds");
	for (i = 0; i < req->nattr; i++) {
		if (*req->attr[i].name == 0 || strchr(req->attr[i].name, '='))
			fail("empty name or = in a name");
		if (strchr(req->attr[i].name, '\n') ||
		    strchr(req->attr[i].value, '\n'))
			fail("newline in an attribute");
	}
	type = policy_request_get(req, "request");
	if (type == NULL || strcmp(type, "smtpd_access_policy") != 0)
		fail("a request of another type was accepted");
	(void) policy_request_facts(req, 1, check_fact, &len);
	(void) policy_request_facts(req, 0, check_fact, &len);
}

/* check_action - property 4 */
static void
check_action(const uint8_t *data, size_t size)
{
	static const char *const codes[] = {"554", "451", "", "5", "4\n1"};
	struct rules_result res;
	char    buf[POLICY_ACTION_MAX];
	size_t  n, i;

	memset(&res, 0, sizeof(res));
	n = size < sizeof(res.text) - 1 ? size : sizeof(res.text) - 1;
	memcpy(res.text, data, n);
	res.answer = (enum rules_answer) (size % 8);
	snprintf(res.code, sizeof(res.code), "%s", codes[size % 5]);
	snprintf(res.xcode, sizeof(res.xcode), "%.*s", (int) (size % 12),
	    (const char *) data);
	n = policy_action(buf, sizeof(buf), &res,
	    size % 2 ? POLICY_PERMIT_OK : POLICY_PERMIT_DUNNO);
	if (n != strlen(buf) || n >= sizeof(buf))
		fail("action length");
	if (strncmp(buf, "action=", 7) != 0)
		fail("action line without action=");
	for (i = 0; i < n; i++)
		if ((unsigned char) buf[i] < 0x20 || (unsigned char) buf[i] > 0x7e)
			fail("control or non-ASCII byte in an action line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy_request req;
	const char *text = (const char *) data;
	char    err[128];
	size_t  o = 0, end;

	while (o < size && (end = policy_request_end(text + o, size - o)) > 0) {
		if (end > size - o || text[o + end - 1] != '\n' ||
		    (end > 1 && text[o + end - 2] != '\n'))
			fail("a request end that is no empty line");
		if (policy_request_parse(&req, text + o, end, err,
		    sizeof(err)) == 0)
			check_request(&req, end);
		else if (*err == 0)
			fail("a refusal without a message");
		o += end;
	}
	check_action(data, size);
	return (0);
}
