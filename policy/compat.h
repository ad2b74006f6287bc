#ifndef RG_POLICY_COMPAT_H
#define RG_POLICY_COMPAT_H

/*
 * XXX Temporary: the session API of issue 15 (rules_fact, rules_answer,
 * rules_result.answer) until it is on main. Deleted at that merge.
 */
#ifndef RULES_QUIET
#include "rules/rules.h"

enum rules_fact {
	RULES_FACT_CLIENT, RULES_FACT_CLIENT_NAME, RULES_FACT_CLIENT_RESOLVE,
	RULES_FACT_DAEMON, RULES_FACT_HELO, RULES_FACT_TLS_VERSION,
	RULES_FACT_VERIFY, RULES_FACT_CERT_SUBJECT, RULES_FACT_CERT_ISSUER,
	RULES_FACT_SENDER, RULES_FACT_SENDER_DOMAIN, RULES_FACT_AUTH,
	RULES_FACT_AUTH_TYPE, RULES_FACT_QUEUE_ID, RULES_FACT_RCPT,
	RULES_FACT_RCPT_DOMAIN, RULES_FACT_RCPT_MAILER, RULES_NFACTS
};

enum rules_answer {
	RULES_ANSWER_CONTINUE, RULES_ANSWER_NOREPLY,
	RULES_ANSWER_ACCEPT_CONNECTION, RULES_ANSWER_ACCEPT_MESSAGE,
	RULES_ANSWER_REJECT, RULES_ANSWER_TEMPFAIL, RULES_ANSWER_DISCARD,
};

enum rules_event {
	RULES_EVENT_NONE, RULES_EVENT_ACCEPT, RULES_EVENT_RELAY,
	RULES_EVENT_REJECT, RULES_EVENT_TEMPFAIL, RULES_EVENT_DISCARD,
};

typedef struct rules_result rules_result_old;

struct rules_result_new {
	enum rules_verdict verdict;
	char	code[4];
	char	xcode[16];
	char	text[RULES_REPLY_MAX];
	char	rule[RULES_WHERE_MAX];
	int	relay;
	int	lookup_error;
	char	error[256];
	int	error_first;
	enum rules_answer answer;
	enum rules_event event;
};

#define rules_result rules_result_new
#endif

#endif
