/*
 * NAME
 *	action 3
 * SUMMARY
 *	the engine's answer as a Postfix policy action
 * SYNOPSIS
 *	#include "policy/policy.h"
 *
 *	size_t	policy_action(char *buf, size_t len,
 *		const struct rules_result *res, enum policy_permit permit)
 * DESCRIPTION
 *	The one place where an answer of the engine becomes what Postfix
 *	reads from the policy door, shared by the daemon and
 *	"relayguardctl explain --door policy". Postfix treats the action
 *	as an access(5) table result in the restriction list that holds
 *	check_policy_service:
 *
 *	OK	the recipient is permitted and the rest of that list is
 *		skipped (relayguard is the relay decision)
 *	DUNNO	relayguard has no objection; the list goes on with its
 *		next restriction (policy-permit dunno)
 *	5NN X.Y.Z text, 4NN X.Y.Z text	the recipient is refused with
 *		exactly that reply
 *	DISCARD text	the message is accepted and dropped
 *
 *	An accept (of the connection or the message) answers OK whatever
 *	policy-permit says: it means no more checks. Only RCPT answers
 *	come here; any other answer is an internal error, and fails
 *	closed with a tempfail.
 * THREADS
 *	Reentrant.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

/* clean - the text with every byte outside printable ASCII as '?' */
static void
clean(char *out, size_t len, const char *in)
{
	size_t  o;

	for (o = 0; in[o] && o + 1 < len; o++)
		out[o] = (in[o] >= 0x20 && in[o] < 0x7f) ? in[o] : '?';
	out[o] = '\0';
}

/* policy_action - the "action=" line for one RCPT answer */
size_t
policy_action(char *buf, size_t len, const struct rules_result *res,
	enum policy_permit permit)
{
	char    code[sizeof(res->code)], xcode[sizeof(res->xcode)];
	char    text[sizeof(res->text)];
	int     n;

	clean(code, sizeof(code), res->code);
	clean(xcode, sizeof(xcode), res->xcode);
	clean(text, sizeof(text), res->text);
	switch (res->answer) {
	case RULES_ANSWER_CONTINUE:
		n = snprintf(buf, len, "action=%s",
		    permit == POLICY_PERMIT_DUNNO ? "DUNNO" : "OK");
		break;
	case RULES_ANSWER_ACCEPT_MESSAGE:
	case RULES_ANSWER_ACCEPT_CONNECTION:
		n = snprintf(buf, len, "action=OK");
		break;
	case RULES_ANSWER_REJECT:
	case RULES_ANSWER_TEMPFAIL:
		if (strlen(code) == 3 && code[0] == (res->answer ==
		    RULES_ANSWER_REJECT ? '5' : '4')) {
			n = snprintf(buf, len, "action=%s%s%s%s%s", code,
			    *xcode ? " " : "", xcode, *text ? " " : "", text);
			break;
		}
		/* The engine always gives a code; if not, say it safely. */
		n = snprintf(buf, len, "action=%s", res->answer ==
		    RULES_ANSWER_REJECT ? "554 5.7.1 Access denied" :
		    "451 4.3.0 Temporary internal error");
		break;
	case RULES_ANSWER_DISCARD:
		n = snprintf(buf, len, "action=DISCARD%s%s", *text ? " " : "",
		    text);
		break;
	default:
		n = snprintf(buf, len, "action=451 4.3.0 Temporary internal "
		    "error");
		break;
	}
	if (n < 0)
		n = 0;
	return ((size_t) n < len ? (size_t) n : len ? len - 1 : 0);
}
