#ifndef RG_RULES_FACT_LIST_H
#define RG_RULES_FACT_LIST_H

/*
 * fact_list - every fact of an SMTP session, in one table
 *
 * One row per fact; each column is used where it is needed, by
 * expanding RULES_FACT_LIST() with a macro that picks it:
 *
 *	ID	RULES_FACT_<ID> (enum rules_fact, rules.h)
 *	NAME	its name in the configuration, explain's option and the
 *		JSON output
 *	MACRO	the MTA macro it comes from, or NULL: a callback argument
 *		(client, client-name, helo, sender, rcpt) or derived
 *	SENT	the stages at which the MTA is asked for that macro
 *		(RULES_FACT_AT() bits); 0 when it has no macro
 *	STAGE	the first stage that knows it
 *	ITEM	the type of the items it is matched against (rules_int.h
 *		ITEM_*); NONE: no rule may test it (it only serves other
 *		facts, the flags or the log)
 *	LOOKUP	the lookup order in tables (store.h STORE_*)
 *	SCOPE	CONNECTION, MESSAGE (cleared when a message ends) or
 *		RECIPIENT (cleared when a message ends, replaced by the next)
 *	FROM	the fact it is derived from, or itself when the MTA gives it
 *
 * Adding a fact is one row here plus, when its value is not a plain
 * string, its extractor in eval.c. identity and identity-source are
 * derived at each evaluation from auth, the grants of the client and
 * the verified certificate (identity.c); FROM names auth only to mark
 * them derived: no door sets them. A fact with a MACRO needs nothing
 * else in the milter: negotiate asks for it and every stage in SENT
 * copies it.
 */

#define RULES_FACT_AT(stage)	(1u << (stage))

/* X(ID, NAME, MACRO, SENT, STAGE, ITEM, LOOKUP, SCOPE, FROM) */
#define RULES_FACT_LIST(X) \
	X(CLIENT, "client", NULL, 0, \
	    RULES_CONNECT, ADDRESS, CLIENT, CONNECTION, CLIENT) \
	X(CLIENT_NAME, "client-name", NULL, 0, \
	    RULES_CONNECT, DOMAIN, DOMAIN, CONNECTION, CLIENT_NAME) \
	X(CLIENT_RESOLVE, "client-resolve", "{client_resolve}", \
	    RULES_FACT_AT(RULES_CONNECT), \
	    RULES_CONNECT, NONE, EXACT, CONNECTION, CLIENT_RESOLVE) \
	X(DAEMON, "daemon", "{daemon_name}", RULES_FACT_AT(RULES_CONNECT), \
	    RULES_CONNECT, STRING, EXACT, CONNECTION, DAEMON) \
	X(HELO, "helo", NULL, 0, \
	    RULES_HELO, DOMAIN, DOMAIN, CONNECTION, HELO) \
	X(TLS_VERSION, "tls-version", "{tls_version}", \
	    RULES_FACT_AT(RULES_HELO) | RULES_FACT_AT(RULES_MAIL), \
	    RULES_HELO, NONE, EXACT, CONNECTION, TLS_VERSION) \
	X(VERIFY, "verify", "{verify}", \
	    RULES_FACT_AT(RULES_HELO) | RULES_FACT_AT(RULES_MAIL), \
	    RULES_HELO, NONE, EXACT, CONNECTION, VERIFY) \
	X(CERT_SUBJECT, "cert-subject", "{cert_subject}", \
	    RULES_FACT_AT(RULES_HELO) | RULES_FACT_AT(RULES_MAIL), \
	    RULES_HELO, STRING, EXACT, CONNECTION, CERT_SUBJECT) \
	X(CERT_ISSUER, "cert-issuer", "{cert_issuer}", \
	    RULES_FACT_AT(RULES_HELO) | RULES_FACT_AT(RULES_MAIL), \
	    RULES_HELO, STRING, EXACT, CONNECTION, CERT_ISSUER) \
	X(CERT_FINGERPRINT, "cert-fingerprint", "{cert_fp}", \
	    RULES_FACT_AT(RULES_HELO) | RULES_FACT_AT(RULES_MAIL), \
	    RULES_HELO, STRING, EXACT, CONNECTION, CERT_FINGERPRINT) \
	X(SENDER, "sender", NULL, 0, \
	    RULES_MAIL, MAILBOX, MAILBOX, MESSAGE, SENDER) \
	X(SENDER_DOMAIN, "sender-domain", NULL, 0, \
	    RULES_MAIL, DOMAIN, DOMAIN, MESSAGE, SENDER) \
	X(AUTH, "auth", "{auth_authen}", RULES_FACT_AT(RULES_MAIL), \
	    RULES_MAIL, STRING, EXACT, CONNECTION, AUTH) \
	X(AUTH_TYPE, "auth-type", "{auth_type}", RULES_FACT_AT(RULES_MAIL), \
	    RULES_MAIL, STRING, EXACT, CONNECTION, AUTH_TYPE) \
	X(QUEUE_ID, "queue-id", "i", \
	    RULES_FACT_AT(RULES_MAIL) | RULES_FACT_AT(RULES_RCPT), \
	    RULES_MAIL, NONE, EXACT, MESSAGE, QUEUE_ID) \
	X(RCPT, "rcpt", NULL, 0, \
	    RULES_RCPT, MAILBOX, MAILBOX, RECIPIENT, RCPT) \
	X(RCPT_DOMAIN, "rcpt-domain", NULL, 0, \
	    RULES_RCPT, DOMAIN, DOMAIN, RECIPIENT, RCPT) \
	X(RCPT_MAILER, "rcpt-mailer", "{rcpt_mailer}", \
	    RULES_FACT_AT(RULES_RCPT), \
	    RULES_RCPT, STRING, EXACT, RECIPIENT, RCPT_MAILER) \
	X(IDENTITY, "identity", NULL, 0, \
	    RULES_CONNECT, STRING, EXACT, CONNECTION, AUTH) \
	X(IDENTITY_SOURCE, "identity-source", NULL, 0, \
	    RULES_CONNECT, STRING, EXACT, CONNECTION, AUTH)

#endif
