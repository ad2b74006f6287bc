/*
 * NAME
 *	check_rules_util - what the rules suite's files share
 * SYNOPSIS
 *	#include "tests/check_rules_util.h"
 *
 *	void	rt_setup(void)
 *	void	rt_teardown(void)
 *	struct rules *rt_rules(int conf)
 *	const char *rt_conf_name(int conf)
 *	const char *rt_tmpdir(void)
 *
 *	void	rt_facts_init(struct rt_facts *f)
 *	int	rt_eval(struct rules_session *s, enum rules_stage st,
 *		    const struct rt_facts *f, struct rules_result *res,
 *		    struct rules_trace *t)
 *	void	rt_run_session(const struct dcase *c, struct rules *r,
 *		    struct rules_result *res, struct rules_trace *t)
 *	const char *rt_verdict_word(enum rules_verdict v)
 * DESCRIPTION
 *	The fixture of the tcases that use the loaded configurations:
 *	rt_setup() makes a temporary directory (rt_tmpdir()), compiles
 *	the test tables into it and loads every configuration of enum
 *	conf_id; rt_rules() and rt_conf_name() return one of them and its
 *	file name; rt_teardown() frees them and removes the directory.
 *	The configurations and tables are in check_rules_util.c.
 *
 *	Every test reaches the engine through rt_facts_init() and
 *	rt_eval(), so that a change of the engine's interface is made
 *	here once. struct rt_facts names a session's facts as the cases
 *	give them; rt_eval() hands every one to the session
 *	(rules_session_set()) and runs the stage. rt_run_session() runs one decision case (struct dcase)
 *	stage by stage up to the stage it checks; rt_verdict_word() is
 *	the cases' name for a verdict.
 * DIAGNOSTICS
 *	Failures are Check assertions.
 */
#ifndef CHECK_RULES_UTIL_H
#define CHECK_RULES_UTIL_H

#include <check.h>

#include "rules/rules.h"
#include "tests/check_facts.h"

enum conf_id {
	C_MAIN, C_FACTS, C_ACTIONS, C_DELAY, C_MATCH, C_HACK, C_DNS, C_DNS2,
	C_FLAGS, C_TABLES, C_TABLES_REJ, C_TABLES_ACC, C_MISSING, C_NOBLOCK,
	C_ORDER, C_NCONFS,
};

enum { R_SKIP, R_NO, R_YES };


struct dcase {
	const char *label;
	int     conf;
	const char *client, *cname, *resolve, *daemon, *helo, *sender;
	const char *auth, *authtype, *tlsv, *verify, *subj, *issuer;
	const char *rcpt, *mailer;
	int     at;			/* stage + 1 to check; 0: rcpt */
	const char *want;		/* permit accept reject tempfail discard */
	int     line;			/* deciding rule, 0: none */
	const char *reply;		/* "code xcode text"; NULL: not checked */
	int     relay;
	int     lookup_error;		/* R_SKIP, R_NO, R_YES */
};

#define AT_CONNECT	1
#define AT_HELO		2
#define AT_MAIL		3

extern void rt_setup(void);
extern void rt_teardown(void);
extern struct rules *rt_rules(int);
extern const char *rt_conf_name(int);
extern const char *rt_tmpdir(void);

extern void rt_run_session(const struct dcase *, struct rules *,
	struct rules_result *, struct rules_trace *);
extern const char *rt_verdict_word(enum rules_verdict);

/* The theme files' tests, added to the tcases of rules_suite(). */
extern void rules_decision_tests(TCase *);
extern void rules_tables_tests(TCase *);
extern void rules_answer_tests(TCase *);
extern void rules_reply_tests(TCase *);
extern void rules_session_tests(TCase *);
extern void rules_stats_tests(TCase *, TCase *);

#endif
