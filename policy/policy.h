#ifndef RG_POLICY_H
#define RG_POLICY_H

/*
 * policy - Postfix's SMTPD access policy delegation protocol
 *
 * The words of the protocol, apart from any socket: finding where a
 * request ends, splitting it into its attributes, turning attributes
 * into the engine's facts (one table, policy/request.c), and writing
 * the "action=" line that gives an engine answer to Postfix
 * (policy/action.c). The daemon's listener (milter/policy.c) and
 * "relayguardctl explain --door policy" share them.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>

#include "rules/rules.h"

/*
 * Bounds of one request. Postfix 3.7 sends about 30 attributes and
 * well under 2 KB; anything near these limits is not Postfix.
 */
#define POLICY_REQUEST_MAX	16384	/* bytes, the empty line included */
#define POLICY_ATTR_MAX		64	/* attributes */
#define POLICY_ACTION_MAX	1024	/* an action line, NUL included */

struct policy_attr {
	const char *name;
	const char *value;
};

/* One request, split. The strings point into buf. */
struct policy_request {
	char	buf[POLICY_REQUEST_MAX + 1];
	struct policy_attr attr[POLICY_ATTR_MAX];
	size_t	nattr;
};

/*
 * policy_request_end - the length of the request at the start of text:
 * the bytes up to and including the empty line that ends it, or 0 when
 * text (len bytes) does not hold a whole request yet.
 */
extern size_t policy_request_end(const char *text, size_t len);

/*
 * policy_request_parse - split one whole request (len bytes as
 * policy_request_end() measured them) into req. Each line is
 * name=value; the name is not empty; no byte is NUL; at most
 * POLICY_ATTR_MAX lines and POLICY_REQUEST_MAX bytes; "request" is
 * "smtpd_access_policy". Returns 0, or -1 with a message in err
 * (the request is malformed: the protocol says to close the
 * connection without an answer).
 */
extern int policy_request_parse(struct policy_request *req,
	const char *text, size_t len, char *err, size_t errlen);

/*
 * policy_request_get - the value of the first attribute called name,
 * or NULL when there is none. Valid as long as req.
 */
extern const char *policy_request_get(const struct policy_request *req,
	const char *name);

/*
 * policy_request_facts - hand the request's facts to set(), one call
 * per fact the attribute table names (see policy/request.c): with
 * all, every one (the first request of a message); without, only
 * those that change from one recipient to the next (recipient, queue
 * id). An empty or missing attribute is an absent fact (value NULL),
 * but for sender and recipient, whose empty value is the null address
 * "<>" (they are put in angle brackets, as the milter sees them). Returns the largest value set() returned (0 when every call
 * returned 0; -1 first when one did).
 */
typedef int (*policy_set_fn)(void *ctx, enum rules_fact fact,
	const char *value);

extern int policy_request_facts(const struct policy_request *req, int all,
	policy_set_fn set, void *ctx);

/*
 * policy_fact_known - 1 when the door learns fact f from a request
 * (an attribute carries it, or the fact it is derived from), else 0:
 * rcpt-mailer, for one, has no attribute.
 */
extern int policy_fact_known(enum rules_fact f);

/*
 * policy_rules_warnings - append to warns one line per rule of r that
 * reads a fact the door never learns ("FILE:LINE: ..."), so that an
 * admin learns at load that such a rule cannot hold through it.
 */
struct strbuf;
extern void policy_rules_warnings(const struct rules *r,
	struct strbuf *warns);

/* What a permit answers: OK (the default) or DUNNO. */
enum policy_permit {
	POLICY_PERMIT_OK,
	POLICY_PERMIT_DUNNO,
};

/*
 * policy_action - write into buf (len bytes, at least
 * POLICY_ACTION_MAX serves any answer) the line "action=..." that
 * gives the engine's answer for a recipient to Postfix, without its
 * newline:
 *
 *	CONTINUE		OK, or DUNNO with POLICY_PERMIT_DUNNO
 *	ACCEPT_MESSAGE, ACCEPT_CONNECTION	OK
 *	REJECT, TEMPFAIL	CODE XCODE TEXT ("554 5.7.1 text")
 *	DISCARD			DISCARD TEXT
 *	anything else		451 4.3.0 Temporary internal error
 *
 * Reply text is cut to fit and every byte outside printable ASCII
 * becomes '?', so the line is always one line. Returns the length
 * written.
 */
extern size_t policy_action(char *buf, size_t len, const struct rules_result *,
	enum policy_permit permit);

#endif
