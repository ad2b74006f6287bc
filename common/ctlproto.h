#ifndef RG_CTLPROTO_H
#define RG_CTLPROTO_H

/*
 * ctlproto - what relayguard and relayguardctl agree on: the default
 * paths, the control socket's requests and answers (spec section 7,
 * milter/control.c), and the grantd socket's (ctl/cmd_grantd.c).
 */
#include <stddef.h>

/* Default paths, where neither the command line nor the file says. */
#define RG_DEFAULT_CONF		"/etc/relayguard/relayguard.conf"
#define RG_DEFAULT_CONTROL	"unix:/run/relayguard/control.sock"
#define RG_DEFAULT_PIDFILE	"/run/relayguard/relayguard.pid"
#define RG_DEFAULT_GRANTS	"/var/lib/relayguard/popauth.lmdb"
/*
 * Below Postfix's queue directory, so that a chrooted smtpd (Debian's
 * stock master.cf) reaches it as "unix:relayguard/relayguard.sock".
 */
#define RG_DEFAULT_SOCKET	"unix:/var/spool/postfix/relayguard/relayguard.sock"

/* The control socket's requests: one line each. */
enum ctlproto_request {
	CTLPROTO_STATS,			/* "stats" */
	CTLPROTO_STATS_PROMETHEUS,	/* "stats prometheus" */
	CTLPROTO_RELOAD,		/* "reload" */
	CTLPROTO_NREQUESTS,
};

/*
 * The control socket's answers: a status line, "ok ..." or "error ...",
 * then the body. CTLPROTO_ANSWER_OTHER is what the client makes of a
 * status line it does not know: an error.
 */
enum ctlproto_answer {
	CTLPROTO_OK,			/* "ok", the body follows */
	CTLPROTO_OK_RELOADED,		/* "ok reloaded" */
	CTLPROTO_ERR_PERMISSION,	/* "error permission denied" */
	CTLPROTO_ERR_EMPTY,		/* "error empty request" */
	CTLPROTO_ERR_CONFIG,		/* a refused reload; the errors follow */
	CTLPROTO_ERR_UNKNOWN,		/* "error unknown request (...)" */
	CTLPROTO_ANSWER_OTHER,
};

/* ctlproto_request_line - the request's line, without its newline */
extern const char *ctlproto_request_line(enum ctlproto_request);

/*
 * ctlproto_request_parse - the request a line (without CR/LF) asks
 * for, or -1 when it is none of them.
 */
extern int ctlproto_request_parse(const char *line);

/*
 * ctlproto_answer_line - the status line of an answer, without its
 * newline; "" for CTLPROTO_ANSWER_OTHER.
 */
extern const char *ctlproto_answer_line(enum ctlproto_answer);

/*
 * ctlproto_answer_parse - which answer the first line of reply is.
 * A status line that is not one of the table's is CTLPROTO_ANSWER_OTHER.
 */
extern enum ctlproto_answer ctlproto_answer_parse(const char *reply);

/* ctlproto_answer_ok - 1 for the "ok" answers, 0 for every other */
extern int ctlproto_answer_ok(enum ctlproto_answer);

/*
 * The grantd socket: the request "grant ADDRESS USER", the answer
 * "ok" or "error: REASON", one line each.
 */
#define GRANTPROTO_GRANT	"grant"
#define GRANTPROTO_OK		"ok"
#define GRANTPROTO_ERROR	"error:"
#define GRANTPROTO_LINE_MAX	512	/* a request line's bytes, newline and NUL */

/*
 * ctlproto_args - where the arguments of line start when its first
 * word is word and a blank follows; 0 when line is not that request.
 */
extern size_t ctlproto_args(const char *line, const char *word);

/*
 * ctlproto_socket_path - the file of a socket specification:
 * "unix:PATH" or "local:PATH" give PATH (which may be relative, for
 * the caller to refuse), "/PATH" itself; NULL for anything else
 * ("inet:...", "none", ""). Points into spec.
 */
extern const char *ctlproto_socket_path(const char *spec);

#endif
