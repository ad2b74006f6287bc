/*
 * NAME
 *	facts 3
 * SUMMARY
 *	per-connection facts: bounded copies of what the MTA sent
 * SYNOPSIS
 *	#include "milter/facts.h"
 *
 *	void	facts_init(struct facts *f)
 *	void	facts_clear(struct facts *f)
 *	void	facts_clear_message(struct facts *f)
 *	int	facts_set(struct facts *f, enum fact_id id, const char *value)
 *	const char *facts_get(const struct facts *f, enum fact_id id)
 *	int	facts_set_client(struct facts *f, const struct sockaddr *sa)
 *	void	facts_to_rules(const struct facts *f, struct rules_facts *rf)
 *	int	facts_name_verified(const char *name, const char *resolve)
 *	const char *facts_macro_name(enum fact_id id)
 * DESCRIPTION
 *	facts_init() makes an empty set; facts_clear() frees every copy
 *	and leaves an empty set; facts_clear_message() forgets what
 *	belongs to one message (sender, recipient, recipient mailer,
 *	queue id) and keeps the connection's facts.
 *
 *	facts_set() replaces one fact with a private copy of value (NULL
 *	makes it absent). Paths and names (HELO, MAIL, RCPT, the host
 *	name) longer than FACTS_ARG_MAX are cut to that length; macro
 *	values longer than FACTS_MACRO_MAX are dropped. It returns 0 when
 *	the value was stored whole, 1 when it was absent, -1 when it was
 *	cut or dropped.
 *
 *	facts_set_client() takes the client address from the connect
 *	callback's socket address: AF_INET, AF_INET6 (an IPv4-mapped
 *	address becomes IPv4). NULL or any other family (AF_UNIX) means
 *	no client address. Returns 0 with an address, -1 without.
 *
 *	facts_to_rules() fills the engine's view; its pointers stay valid
 *	until the next change to f.
 *
 *	facts_name_verified() says whether the MTA's host name for the
 *	client was verified (spec section 2.2): not bracketed, not
 *	"unknown", not empty, and {client_resolve} OK when the MTA sent
 *	it. The engine makes that decision for rules; the daemon uses
 *	this for its log lines, which show "unknown" like the MTA does.
 *
 *	facts_macro_name() is the MTA macro behind a fact, or NULL for
 *	facts that are callback arguments.
 * THREADS
 *	A struct facts belongs to one connection; libmilter never runs
 *	two callbacks of one connection at once.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/xalloc.h"
#include "milter/facts.h"

static const char *const macro_names[FACT_N] = {
	[FACT_CLIENT_RESOLVE] = "{client_resolve}",
	[FACT_DAEMON] = "{daemon_name}",
	[FACT_AUTH] = "{auth_authen}",
	[FACT_AUTH_TYPE] = "{auth_type}",
	[FACT_TLS_VERSION] = "{tls_version}",
	[FACT_VERIFY] = "{verify}",
	[FACT_CERT_SUBJECT] = "{cert_subject}",
	[FACT_CERT_ISSUER] = "{cert_issuer}",
	[FACT_RCPT_MAILER] = "{rcpt_mailer}",
	[FACT_QUEUE_ID] = "i",
};

/* facts_init - an empty set */
void
facts_init(struct facts *f)
{
	memset(f, 0, sizeof(*f));
}

/* facts_clear - free every copy */
void
facts_clear(struct facts *f)
{
	int     i;

	for (i = 0; i < FACT_N; i++)
		free(f->v[i]);
	facts_init(f);
}

/* facts_clear_message - forget the facts of one message */
void
facts_clear_message(struct facts *f)
{
	static const enum fact_id msg[] = {
		FACT_SENDER, FACT_RCPT, FACT_RCPT_MAILER, FACT_QUEUE_ID,
	};
	size_t  i;

	for (i = 0; i < sizeof(msg) / sizeof(msg[0]); i++) {
		free(f->v[msg[i]]);
		f->v[msg[i]] = NULL;
	}
}

/* facts_set - store a bounded private copy of one fact */
int
facts_set(struct facts *f, enum fact_id id, const char *value)
{
	size_t  len;
	int     ret = 0;

	free(f->v[id]);
	f->v[id] = NULL;
	if (value == NULL)
		return (1);
	if (macro_names[id] != NULL) {
		len = strnlen(value, FACTS_MACRO_MAX + 1);
		if (len > FACTS_MACRO_MAX)
			return (-1);
	} else {
		len = strnlen(value, FACTS_ARG_MAX + 1);
		if (len > FACTS_ARG_MAX) {
			len = FACTS_ARG_MAX;
			ret = -1;
		}
	}
	f->v[id] = xstrndup(value, len);
	return (ret);
}

/* facts_get - one fact, or NULL when absent */
const char *
facts_get(const struct facts *f, enum fact_id id)
{
	return (f->v[id]);
}

/* facts_set_client - take the client address from the socket address */
int
facts_set_client(struct facts *f, const struct sockaddr *sa)
{
	f->has_client = 0;
	f->client_text[0] = 0;
	if (sa == NULL || addr_from_sockaddr(sa, &f->client) != 0)
		return (-1);
	f->has_client = 1;
	addr_format(&f->client, f->client_text, sizeof(f->client_text));
	return (0);
}

/* facts_to_rules - the engine's view of the facts */
void
facts_to_rules(const struct facts *f, struct rules_facts *rf)
{
	memset(rf, 0, sizeof(*rf));
	rf->client = f->has_client ? &f->client : NULL;
	rf->client_name = f->v[FACT_CLIENT_NAME];
	rf->client_resolve = f->v[FACT_CLIENT_RESOLVE];
	rf->daemon = f->v[FACT_DAEMON];
	rf->helo = f->v[FACT_HELO];
	rf->sender = f->v[FACT_SENDER];
	rf->auth = f->v[FACT_AUTH];
	rf->auth_type = f->v[FACT_AUTH_TYPE];
	rf->tls_version = f->v[FACT_TLS_VERSION];
	rf->verify = f->v[FACT_VERIFY];
	rf->cert_subject = f->v[FACT_CERT_SUBJECT];
	rf->cert_issuer = f->v[FACT_CERT_ISSUER];
	rf->rcpt = f->v[FACT_RCPT];
	rf->rcpt_mailer = f->v[FACT_RCPT_MAILER];
}

/* facts_name_verified - 1 when the MTA's client host name is verified */
int
facts_name_verified(const char *name, const char *resolve)
{
	if (name == NULL || *name == 0 || *name == '[' ||
	    strcasecmp(name, "unknown") == 0)
		return (0);
	if (resolve != NULL && strcasecmp(resolve, "OK") != 0)
		return (0);
	return (1);
}

/* facts_macro_name - the MTA macro behind a fact, or NULL */
const char *
facts_macro_name(enum fact_id id)
{
	return (macro_names[id]);
}
