#ifndef RG_LOGINLOG_H
#define RG_LOGINLOG_H

/*
 * loginlog - recognise successful POP/IMAP logins in log lines
 *
 * A grant of relay access must come only from a line that the POP or
 * IMAP server itself wrote, so a line counts as a login only when all
 * of this holds:
 *
 *  - it starts with a syslog header this module parses completely:
 *    classic "Mmm dd hh:mm:ss host prog[pid]: msg" (journalctl's
 *    "short" and "short-precise" too), ISO 8601 / RFC 3339 timestamps
 *    ("short-iso", rsyslog's default on Debian 12), RFC 5424 with or
 *    without "<PRI>", and Dovecot's own log_path files
 *    ("Mmm dd hh:mm:ss imap-login: Info: msg", no host);
 *  - the program tag is one the format's server logs under;
 *  - the message starts with the server's login message;
 *  - the fields parse strictly: exactly one client address field,
 *    a valid address, a user name of [A-Za-z0-9._@+-] only.
 *
 * Anything else is not a login, whatever text it carries further on:
 * client-chosen text in HELO, sender, recipient or user names lives
 * inside other programs' messages or after the login message's start.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <time.h>

#include "common/addr.h"

#define LOGINLOG_USER_MAX	128	/* longest user name kept, with NUL */
#define LOGINLOG_PROG_MAX	64	/* longest program tag, with NUL */
#define LOGINLOG_LINE_MAX	16384	/* longer lines are dropped whole */

/* What loginlog_parse() made of a line. */
enum loginlog_verdict {
	LOGINLOG_OTHER = 0,	/* not a login of this format: ignore */
	LOGINLOG_LOGIN = 1,	/* a successful login: the event is filled */
	LOGINLOG_REFUSED = 2,	/* the server's login message, but a field
				 * fails the strict checks: no grant */
};

/* One successful login. */
struct loginlog_event {
	struct addr addr;		/* the client */
	char	user[LOGINLOG_USER_MAX];/* "" when the format has none */
	char	prog[LOGINLOG_PROG_MAX];/* the program tag of the line */
	time_t	when;			/* the line's time; (time_t) -1 none */
};

struct loginlog;			/* a compiled format, opaque */

/*
 * loginlog_new - compile a format: "dovecot", "courier", "cyrus",
 * "qpopper", "uw-imap", or "regex:PROGRAMS:RE" where PROGRAMS is a
 * comma-separated list of program tags and RE a POSIX extended
 * regular expression matched against the message (after the syslog
 * header) that must match at its start; its first subexpression is
 * the address, its second, if any, the user.
 * Returns 0 with *out set (free with loginlog_free), or -1 with a
 * message in err.
 */
extern int loginlog_new(const char *format, struct loginlog **out,
	char *err, size_t errlen);

/* loginlog_free - release a format; NULL-safe. */
extern void loginlog_free(struct loginlog *);

/* loginlog_name - the format's name as given to loginlog_new. */
extern const char *loginlog_name(const struct loginlog *);

/*
 * loginlog_parse - classify one log line (without its newline; it
 * need not be NUL-terminated). now anchors the year of classic syslog
 * timestamps, which have none: the latest year that does not put the
 * line more than a day into the future. Classic timestamps and ISO
 * ones without a zone are local time.
 * Returns the verdict; ev is filled for LOGINLOG_LOGIN (and partly
 * for LOGINLOG_REFUSED: prog and when). *why (may be NULL) receives a
 * short static reason for LOGINLOG_OTHER and LOGINLOG_REFUSED.
 */
extern enum loginlog_verdict loginlog_parse(const struct loginlog *,
	const char *line, size_t len, time_t now, struct loginlog_event *ev,
	const char **why);

/*
 * loginlog_parse_msg - classify a message that comes with its program
 * tag and time already separated (a journal entry's SYSLOG_IDENTIFIER
 * and timestamp): the same checks as loginlog_parse() after the
 * header. prog need not be NUL-terminated. when is stored in ev.
 */
extern enum loginlog_verdict loginlog_parse_msg(const struct loginlog *,
	const char *prog, size_t proglen, const char *msg, size_t len,
	time_t when, struct loginlog_event *ev, const char **why);

/*
 * loginlog_time - parse just the header's timestamp of a line, as
 * loginlog_parse does. Returns 0 with *when set, or -1.
 */
extern int loginlog_time(const char *line, size_t len, time_t now,
	time_t *when);

/*
 * Lines from a byte stream. loginlog_lines_feed() appends data and
 * calls fn for every complete line (without its newline); a line
 * longer than LOGINLOG_LINE_MAX is dropped whole, its tail included,
 * so that no part of it is ever taken for a line of its own. fn's
 * off is the stream offset just past the line's newline.
 */
struct loginlog_lines {
	char   *buf;			/* the incomplete last line */
	size_t	len, cap;
	int	skipping;		/* inside an overlong line */
	unsigned long long dropped;	/* overlong lines dropped */
	unsigned long long off;		/* stream offset of buf[len] */
};

extern void loginlog_lines_feed(struct loginlog_lines *, const char *data,
	size_t n, void (*fn) (const char *line, size_t len,
	unsigned long long off, void *arg), void *arg);

/* loginlog_lines_reset - forget the partial line; start at off. */
extern void loginlog_lines_reset(struct loginlog_lines *,
	unsigned long long off);

/* loginlog_lines_free - release the buffer. */
extern void loginlog_lines_free(struct loginlog_lines *);

#endif
