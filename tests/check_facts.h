#ifndef CHECK_FACTS_H
#define CHECK_FACTS_H

/*
 * check_facts - how the engine tests give a session its facts
 *
 * rt_facts_init() and rt_eval() are in check_rules_util.c; rt_eval()
 * hands every fact to the session (rules_session_set()), then runs
 * rules_eval() for the stage.
 */
#include "common/addr.h"
#include "rules/rules.h"

/* A session's facts as a test gives them; NULL: absent. */
struct rt_facts {
	const struct addr *client;	/* NULL: no address */
	const char *client_name, *client_resolve, *daemon, *helo, *sender;
	const char *auth, *auth_type, *tls_version, *verify;
	const char *cert_subject, *cert_issuer, *rcpt, *rcpt_mailer;
};

extern void rt_facts_init(struct rt_facts *);
extern int rt_eval(struct rules_session *, enum rules_stage,
	const struct rt_facts *, struct rules_result *,
	struct rules_trace *);

#endif
