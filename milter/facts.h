#ifndef RG_MILTER_FACTS_H
#define RG_MILTER_FACTS_H

/*
 * facts - what the MTA told the daemon about one SMTP connection
 *
 * The libmilter callbacks hand over strings that are valid only during
 * the callback. struct facts keeps bounded private copies for the
 * whole connection and builds the struct rules_facts the engine reads.
 */
#include <stddef.h>

#include "common/addr.h"
#include "rules/rules.h"

struct sockaddr;

enum fact_id {
	FACT_CLIENT_NAME,
	FACT_CLIENT_RESOLVE,
	FACT_DAEMON,
	FACT_HELO,
	FACT_SENDER,
	FACT_AUTH,
	FACT_AUTH_TYPE,
	FACT_TLS_VERSION,
	FACT_VERIFY,
	FACT_CERT_SUBJECT,
	FACT_CERT_ISSUER,
	FACT_RCPT,
	FACT_RCPT_MAILER,
	FACT_QUEUE_ID,
	FACT_N,
};

/*
 * Bounds. Client-supplied paths and names longer than FACTS_ARG_MAX
 * are cut there: that is still longer than anything rcpt_parse() or
 * domain_normalise() accepts, so they stay malformed. A macro value
 * longer than FACTS_MACRO_MAX is dropped (absent), because a cut
 * string could match a rule the whole one would not.
 */
#define FACTS_ARG_MAX	4096
#define FACTS_MACRO_MAX	1024

struct facts {
	char   *v[FACT_N];		/* owned copies; NULL: absent */
	struct addr client;
	int	has_client;		/* client holds an address */
	char	client_text[ADDR_STRLEN];	/* "" without an address */
};

extern void facts_init(struct facts *);
extern void facts_clear(struct facts *);
extern void facts_clear_message(struct facts *);
extern int facts_set(struct facts *, enum fact_id, const char *);
extern const char *facts_get(const struct facts *, enum fact_id);
extern int facts_set_client(struct facts *, const struct sockaddr *);
extern void facts_to_rules(const struct facts *, struct rules_facts *);
extern int facts_name_verified(const char *name, const char *resolve);
extern const char *facts_macro_name(enum fact_id);

#endif
