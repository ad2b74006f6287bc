#ifndef RG_MILTER_REPORT_H
#define RG_MILTER_REPORT_H

/*
 * report - the log lines and counters of one decision, for every door
 */
#include "rules/rules.h"

struct logline;

/* report_stage_name - "CONNECT", "HELO", "MAIL", "RCPT" */
extern const char *report_stage_name(enum rules_stage);

/* report_result - log and count what rules_eval() answered */
extern void report_result(const struct rules_session *, enum rules_stage,
	const struct rules_result *);

/* report_logline - the fields of the result's log line, into *l */
extern void report_logline(const struct rules_session *, enum rules_stage,
	const struct rules_result *, struct logline *);

#endif
