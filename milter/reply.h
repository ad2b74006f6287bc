#ifndef RG_MILTER_REPLY_H
#define RG_MILTER_REPLY_H

/*
 * reply - SMTP reply text and log lines made safe from client data
 */
#include <stddef.h>

/* Flags for text_sanitise(). */
#define TEXT_UTF8	(1 << 0)	/* keep valid UTF-8 sequences */

/*
 * The longest reply text handed to smfi_setreply(), after escaping;
 * libmilter refuses a reply longer than 980 bytes in all.
 */
#define REPLY_TEXT_MAX	900

/* Each value in a log line is cut to this many bytes. */
#define LOGLINE_VALUE_MAX	256

extern size_t text_sanitise(char *out, size_t outlen, const char *in,
	int flags);
extern size_t reply_escape(char *out, size_t outlen, const char *text);

/* Flags for log_escape(). */
#define LOG_ESCAPE_TEXT	(1 << 0)	/* reply text: keep spaces, < > , */

extern size_t log_escape(char *out, size_t outlen, const char *in,
	int flags);

/* One decision, as logged. Any string may be NULL. */
struct logline {
	const char *queue_id;	/* NULL: "NOQUEUE" */
	const char *action;	/* "reject", "tempfail", "discard", "relay",
				 * "accept" */
	const char *stage;	/* "CONNECT", "HELO", "MAIL", "RCPT" */
	const char *client_name;	/* verified name, else "unknown" */
	const char *client_addr;	/* NULL: no address (Unix socket) */
	const char *code;	/* "554"; NULL or "" for a permit */
	const char *xcode;
	const char *text;
	const char *helo;
	const char *sender;	/* raw MAIL argument */
	const char *rcpt;	/* raw RCPT argument */
	const char *auth;
	const char *rule;	/* file:line; NULL or "": none */
	const char *identity;	/* NULL or "": none (left out) */
	const char *identity_source;	/* "auth", "grant", "cert" */
	int	warn;		/* a warn rule's line: nothing was done */
};

extern size_t logline_format(char *buf, size_t len, const struct logline *);

#endif
