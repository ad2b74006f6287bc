/*
 * NAME
 *	loginlog - recognise successful POP/IMAP logins in log lines
 * SYNOPSIS
 *	#include "common/loginlog.h"
 *
 *	int	loginlog_new(const char *format, struct loginlog **out,
 *			char *err, size_t errlen)
 *	void	loginlog_free(struct loginlog *)
 *	enum loginlog_verdict loginlog_parse(const struct loginlog *,
 *			const char *line, size_t len, time_t now,
 *			struct loginlog_event *ev, const char **why)
 *	int	loginlog_time(const char *line, size_t len, time_t now,
 *			time_t *when)
 *	void	loginlog_lines_feed(struct loginlog_lines *, const char *,
 *			size_t, void (*fn)(...), void *arg)
 * DESCRIPTION
 *	A line is parsed in two steps, each of which must succeed
 *	completely from the first byte on:
 *
 *	1. The header (parse_header): the timestamp, the host (absent in
 *	Dovecot's own log files), the program tag with an optional
 *	[pid], and ": ". RFC 5424 lines give the APP-NAME as the tag and
 *	skip PROCID, MSGID and the structured data. A line that starts
 *	with white space (a journalctl continuation line) or anything
 *	else has no header and is no login.
 *
 *	2. The message, by the format: the tag must be one of the
 *	format's programs and the message must start with its login
 *	message. Field values are taken only at fixed places, the
 *	address field must occur exactly once in the whole message, the
 *	address must be a plain IPv4 or IPv6 address, and user names
 *	must be of a safe character set, so that no text a client chose
 *	(a user name, a HELO, a recipient) can add a second address.
 *
 *	The login messages, as the servers write them:
 *	dovecot	[imap-login: |pop3-login: ][Info: ]Login: user=<U>, ...,
 *		rip=ADDR, ... (tags dovecot, imap-login, pop3-login,
 *		dovecot/imap-login, dovecot/pop3-login)
 *	courier	LOGIN, user=U, ip=[ADDR], ... (tags imapd, imapd-ssl,
 *		pop3d, pop3d-ssl, courierimaplogin, courierpop3login,
 *		imaplogin, pop3login, courier-imapd, courier-pop3d)
 *	cyrus	login: [HOST ][ADDR] U MECH User logged in[ SESSIONID=<..>]
 *		(tags imap, imaps, pop3, pop3s, each also with cyrus/)
 *	qpopper	(vX) POP login by user "U" at (HOST) ADDR[ [file:line]],
 *		and the session's Stats: U N N N N HOST ADDR (tags popper,
 *		qpopper, in.qpopper, in.popper)
 *	uw-imap	Login user=U host=[HOST ][ADDR][ nmsgs=N/N], and
 *		Authenticated user=U host=[HOST ][ADDR] mech=M (tags imapd,
 *		ipop3d, ipop2d, in.imapd, in.ipop3d)
 * DIAGNOSTICS
 *	loginlog_new() reports a bad format in err. loginlog_parse()
 *	returns a verdict and a static reason; it cannot fail.
 * THREADS
 *	A compiled format may be shared; loginlog_parse() only reads it.
 *	A struct loginlog_lines belongs to one thread.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/loginlog.h"
#include "common/xalloc.h"

/* A parsed header: where the tag and the message are. */
struct header {
	time_t	when;
	const char *prog;
	size_t	proglen;
	const char *msg;		/* up to end */
	const char *end;
};

struct loginlog;

/* A login message parser: fills ev->addr and ev->user. */
typedef enum loginlog_verdict (*msg_fn) (const struct loginlog *,
	const char *msg, const char *end, struct loginlog_event *,
	const char **why);

#define MAX_PROGS	16

struct loginlog {
	char   *name;
	msg_fn	parse;
	char   *progs[MAX_PROGS];	/* NULL-terminated tags */
	int	has_re;
	regex_t	re;
	int	user_sub;		/* regex: 2, or 0 none */
};

/*
 * Small scanning helpers. Each takes the cursor and the end and
 * returns the new cursor, or NULL when the text does not match.
 */

/* lit - the literal s */
static const char *
lit(const char *p, const char *end, const char *s)
{
	size_t  n = strlen(s);

	if (p == NULL || (size_t) (end - p) < n || memcmp(p, s, n) != 0)
		return (NULL);
	return (p + n);
}

/* digits - between min and max decimal digits; *val their value */
static const char *
digits(const char *p, const char *end, int min, int max, int *val)
{
	int     n = 0, v = 0;

	if (p == NULL)
		return (NULL);
	while (p < end && n < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return (NULL);
	if (val != NULL)
		*val = v;
	return (p);
}

/* span - the longest run of bytes for which ok() holds, at least one */
static const char *
span(const char *p, const char *end, int (*ok) (int))
{
	const char *s = p;

	if (p == NULL)
		return (NULL);
	while (p < end && ok((unsigned char) *p))
		p++;
	return (p > s ? p : NULL);
}

/* count - occurrences of s in [p, end) */
static int
count(const char *p, const char *end, const char *s)
{
	size_t  n = strlen(s);
	int     c = 0;

	while ((size_t) (end - p) >= n) {
		const char *q = memchr(p, s[0], (size_t) (end - p) - n + 1);

		if (q == NULL)
			break;
		if (memcmp(q, s, n) == 0)
			c++;
		p = q + 1;
	}
	return (c);
}

/* Character classes. */
static int
is_user(int c)
{
	return (isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
	    c == '@' || c == '+' || c == '-'));
}

static int
is_host(int c)
{
	return (isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
	    c == '-'));
}

static int
is_addr(int c)
{
	return (isascii(c) && (isxdigit(c) || c == '.' || c == ':'));
}

static int
is_tag(int c)
{
	return (isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
	    c == '-' || c == '/'));
}

static int
is_hostfield(int c)
{
	return (c > ' ' && c < 127);
}

static int
is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

/*
 * Timestamps.
 */

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/*
 * local_time - a local calendar time to time_t. mktime() would do, but
 * glibc's checks the time zone file on every call, which costs more
 * than the rest of a line; localtime_r() does not. The offset from UTC
 * is that at the result, so a line near a DST change is right too.
 */
static time_t
local_time(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;
	time_t  utc, t;

	utc = (time_t) ((days_from_civil(y, mon, d) * 24 + h) * 3600 +
	    mi * 60 + s);
	if (localtime_r(&utc, &tm) == NULL)
		return ((time_t) -1);
	t = utc - tm.tm_gmtoff;
	if (localtime_r(&t, &tm) == NULL)
		return ((time_t) -1);
	return (utc - tm.tm_gmtoff);
}

/* fraction - optional ".digits" */
static const char *
fraction(const char *p, const char *end)
{
	const char *q;

	if (p != NULL && p < end && *p == '.' &&
	    (q = digits(p + 1, end, 1, 9, NULL)) != NULL)
		return (q);
	return (p);
}

/* hms - "hh:mm:ss" with range checks */
static const char *
hms(const char *p, const char *end, int *h, int *mi, int *s)
{
	p = digits(p, end, 2, 2, h);
	p = lit(p, end, ":");
	p = digits(p, end, 2, 2, mi);
	p = lit(p, end, ":");
	p = digits(p, end, 2, 2, s);
	if (p == NULL || *h > 23 || *mi > 59 || *s > 60)
		return (NULL);
	return (fraction(p, end));
}

/* classic_time - "Mmm dd hh:mm:ss[.frac]" (dd space- or zero-padded) */
static const char *
classic_time(const char *p, const char *end, time_t now, time_t *when)
{
	struct tm tm;
	int     mon, d = 0, h = 0, mi = 0, s = 0, y;
	time_t  t;

	if (end - p < 15)
		return (NULL);
	for (mon = 0; mon < 12; mon++)
		if (memcmp(p, months[mon], 3) == 0)
			break;
	if (mon == 12 || p[3] != ' ')
		return (NULL);
	p += 4;
	if (*p == ' ')
		p++;
	p = digits(p, end, 1, 2, &d);
	p = lit(p, end, " ");
	p = hms(p, end, &h, &mi, &s);
	if (p == NULL || d < 1 || d > 31)
		return (NULL);
	/* The year is the latest that puts the line at most a day ahead. */
	(void) localtime_r(&now, &tm);
	y = tm.tm_year + 1900;
	t = local_time(y, mon + 1, d, h, mi, s);
	if (t != (time_t) -1 && t > now + 86400)
		t = local_time(y - 1, mon + 1, d, h, mi, s);
	*when = t;
	return (p);
}

/*
 * iso_time - "YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm]"; without a
 * zone the time is local.
 */
static const char *
iso_time(const char *p, const char *end, time_t *when)
{
	int     y = 0, mon = 0, d = 0, h = 0, mi = 0, s = 0, zh = 0, zm = 0;
	int     sign = 0;

	p = digits(p, end, 4, 4, &y);
	p = lit(p, end, "-");
	p = digits(p, end, 2, 2, &mon);
	p = lit(p, end, "-");
	p = digits(p, end, 2, 2, &d);
	p = lit(p, end, "T");
	p = hms(p, end, &h, &mi, &s);
	if (p == NULL || mon < 1 || mon > 12 || d < 1 || d > 31)
		return (NULL);
	if (p < end && *p == 'Z') {
		p++;
		sign = 1;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		p = digits(p + 1, end, 2, 2, &zh);
		if (p != NULL && p < end && *p == ':')
			p++;
		p = digits(p, end, 2, 2, &zm);
		if (p == NULL || zh > 23 || zm > 59)
			return (NULL);
	}
	if (sign == 0)
		*when = local_time(y, mon, d, h, mi, s);
	else
		*when = (time_t) ((days_from_civil(y, mon, d) * 24 + h) * 3600 +
		    mi * 60 + s - sign * (zh * 3600 + zm * 60));
	return (p);
}

/* tag - "prog[pid]:" followed by a space, or the end */
static const char *
tag(const char *p, const char *end, struct header *h)
{
	const char *q = span(p, end, is_tag);

	if (q == NULL || q - p >= LOGINLOG_PROG_MAX)
		return (NULL);
	h->prog = p;
	h->proglen = (size_t) (q - p);
	if (q < end && *q == '[') {
		q = span(q + 1, end, is_digit);
		q = lit(q, end, "]");
	}
	q = lit(q, end, ":");
	if (q == NULL)
		return (NULL);
	if (q == end)
		return (q);
	return (lit(q, end, " "));
}

/* sd_skip - RFC 5424 STRUCTURED-DATA: "-" or "[id k="v"...]..." */
static const char *
sd_skip(const char *p, const char *end)
{
	if (p < end && *p == '-')
		return (p + 1);
	if (p >= end || *p != '[')
		return (NULL);
	while (p < end && *p == '[') {
		int     quoted = 0;

		for (p++; p < end; p++) {
			if (quoted) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '"')
					quoted = 0;
			} else if (*p == '"')
				quoted = 1;
			else if (*p == ']')
				break;
		}
		if (p >= end)
			return (NULL);
		p++;				/* past ']' */
	}
	return (p);
}

/* rfc5424 - after "<PRI>1 ": TS HOST APP PROCID MSGID SD [MSG] */
static const char *
rfc5424(const char *p, const char *end, struct header *h)
{
	const char *q;

	if (p < end && *p == '-') {
		h->when = (time_t) -1;
		p++;
	} else
		p = iso_time(p, end, &h->when);
	p = lit(p, end, " ");
	p = span(p, end, is_hostfield);		/* HOSTNAME */
	p = lit(p, end, " ");
	q = span(p, end, is_tag);		/* APP-NAME */
	if (q == NULL || q - p >= LOGINLOG_PROG_MAX ||
	    (q - p == 1 && *p == '-'))
		return (NULL);
	h->prog = p;
	h->proglen = (size_t) (q - p);
	p = lit(q, end, " ");
	p = span(p, end, is_hostfield);		/* PROCID */
	p = lit(p, end, " ");
	p = span(p, end, is_hostfield);		/* MSGID */
	p = lit(p, end, " ");
	if (p == NULL || (p = sd_skip(p, end)) == NULL)
		return (NULL);
	if (p == end)
		return (p);
	p = lit(p, end, " ");
	if (p != NULL && end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;				/* the UTF-8 BOM */
	return (p);
}

/* parse_header - the whole header; 0 with h filled, or -1 */
static int
parse_header(const char *p, const char *end, time_t now, struct header *h)
{
	const char *q;

	memset(h, 0, sizeof(*h));
	h->end = end;
	h->when = (time_t) -1;
	if (p < end && *p == '<') {		/* <PRI> */
		p = digits(p + 1, end, 1, 3, NULL);
		p = lit(p, end, ">");
		if (p == NULL)
			return (-1);
		if ((q = lit(p, end, "1 ")) != NULL) {
			if ((p = rfc5424(q, end, h)) == NULL)
				return (-1);
			h->msg = p;
			return (0);
		}
	} else if ((q = lit(p, end, "1 ")) != NULL && end - q > 4 &&
	    (isdigit((unsigned char) *q) || *q == '-')) {
		/* RFC 5424 without <PRI>, as some files keep it */
		if ((p = rfc5424(q, end, h)) == NULL)
			return (-1);
		h->msg = p;
		return (0);
	}
	if (p < end && isdigit((unsigned char) *p))
		p = iso_time(p, end, &h->when);
	else
		p = classic_time(p, end, now, &h->when);
	p = lit(p, end, " ");
	if (p == NULL)
		return (-1);
	/* Dovecot's own log: no host, the tag comes at once. */
	if ((q = tag(p, end, h)) != NULL) {
		h->msg = q;
		return (0);
	}
	p = span(p, end, is_hostfield);
	p = lit(p, end, " ");
	if (p == NULL || (q = tag(p, end, h)) == NULL)
		return (-1);
	h->msg = q;
	return (0);
}

/*
 * Fields.
 */

/* take_addr - copy and parse a plain address from [p, q) */
static int
take_addr(const char *p, const char *q, struct addr *a)
{
	char    buf[ADDR_STRLEN];

	if (p == NULL || q == NULL || q <= p || q - p >= ADDR_STRLEN ||
	    span(p, q, is_addr) != q)
		return (-1);
	memcpy(buf, p, (size_t) (q - p));
	buf[q - p] = 0;
	return (addr_parse(buf, a));
}

/* take_user - copy a user name of the safe character set from [p, q) */
static int
take_user(const char *p, const char *q, char *user)
{
	if (p == NULL || q == NULL || q <= p ||
	    q - p >= LOGINLOG_USER_MAX || span(p, q, is_user) != q)
		return (-1);
	memcpy(user, p, (size_t) (q - p));
	user[q - p] = 0;
	return (0);
}

/* field_end - the end of a ", "-separated field starting at p */
static const char *
field_end(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ',')
		q++;
	return (q);
}

#define REFUSE(reason) do { *why = (reason); \
	return (LOGINLOG_REFUSED); } while (0)
#define OTHER(reason) do { *why = (reason); \
	return (LOGINLOG_OTHER); } while (0)

/* msg_dovecot - "[imap-login: ][Info: ]Login: user=<U>, ... rip=A, ..." */
static enum loginlog_verdict
msg_dovecot(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	const char *q, *u, *r = NULL;
	const char *svc = NULL;

	(void) f;
	if (strcmp(ev->prog, "dovecot") == 0) {
		if ((q = lit(p, end, "imap-login: ")) == NULL &&
		    (q = lit(p, end, "pop3-login: ")) == NULL)
			OTHER("not a login message");
		p = q;
	} else {
		svc = strchr(ev->prog, '/') ? strchr(ev->prog, '/') + 1 :
		    ev->prog;
		/* The service may repeat itself as a prefix. */
		if ((q = lit(p, end, svc)) != NULL &&
		    (q = lit(q, end, ": ")) != NULL)
			p = q;
	}
	if ((q = lit(p, end, "Info: ")) != NULL)
		p = q;
	if ((p = lit(p, end, "Login: user=<")) == NULL)
		OTHER("not a login message");
	u = p;
	while (p < end && *p != '>')
		p++;
	if (take_user(u, p, ev->user) < 0)
		REFUSE("bad user name");
	if ((p = lit(p, end, ">")) == NULL || (p < end &&
	    (p = lit(p, end, ", ")) == NULL))
		REFUSE("bad user field");
	if (count(u, end, "rip=") != 1)
		REFUSE("not exactly one rip=");
	for (q = p; q < end; q = lit(field_end(q, end), end, ", ")) {
		if (q == NULL)
			REFUSE("bad field list");
		if (lit(q, end, "rip=") != NULL) {
			r = q + 4;
			break;
		}
	}
	if (r == NULL)
		REFUSE("no rip=");
	if (take_addr(r, field_end(r, end), &ev->addr) < 0)
		REFUSE("bad address");
	return (LOGINLOG_LOGIN);
}

/* msg_courier - "LOGIN, user=U, ip=[A], ..." */
static enum loginlog_verdict
msg_courier(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	const char *q;

	(void) f;
	if ((p = lit(p, end, "LOGIN, user=")) == NULL)
		OTHER("not a login message");
	q = field_end(p, end);
	if (take_user(p, q, ev->user) < 0)
		REFUSE("bad user name");
	if (count(p, end, "ip=[") != 1)
		REFUSE("not exactly one ip=");
	if ((p = lit(q, end, ", ip=[")) == NULL)
		REFUSE("no ip= after user=");
	for (q = p; q < end && *q != ']'; q++)
		;
	if (take_addr(p, q, &ev->addr) < 0)
		REFUSE("bad address");
	p = lit(q, end, "]");
	if (p == NULL || (p < end && lit(p, end, ", ") == NULL))
		REFUSE("bad ip= field");
	return (LOGINLOG_LOGIN);
}

/* host_addr - "[HOST ][A]" (bracket counted by the caller) */
static const char *
host_addr(const char *p, const char *end, struct addr *a)
{
	const char *q;

	if (p != NULL && p < end && *p != '[') {
		p = span(p, end, is_host);
		p = lit(p, end, " ");
	}
	p = lit(p, end, "[");
	if (p == NULL)
		return (NULL);
	for (q = p; q < end && *q != ']'; q++)
		;
	if (take_addr(p, q, a) < 0)
		return (NULL);
	return (lit(q, end, "]"));
}

/* msg_cyrus - "login: [HOST ][A] U MECH User logged in[ SESSIONID=<..>]" */
static enum loginlog_verdict
msg_cyrus(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	const char *q;

	(void) f;
	if ((p = lit(p, end, "login: ")) == NULL)
		OTHER("not a login message");
	if (count(p, end, "[") != 1)
		REFUSE("not exactly one [address]");
	if ((p = host_addr(p, end, &ev->addr)) == NULL)
		REFUSE("bad host [address]");
	p = lit(p, end, " ");
	q = p == NULL ? NULL : memchr(p, ' ', (size_t) (end - p));
	if (q == NULL || take_user(p, q, ev->user) < 0)
		REFUSE("bad user name");
	p = span(q + 1, end, is_tag);		/* the mechanism, +TLS */
	if (p != NULL && p < end && *p == '+')
		p = span(p + 1, end, is_tag);
	p = lit(p, end, " User logged in");
	if (p == NULL || (p < end && lit(p, end, " SESSIONID=<") == NULL))
		REFUSE("bad login message");
	return (LOGINLOG_LOGIN);
}

/*
 * msg_qpopper - "(vX) POP login by user "U" at (HOST) A[ [file:n]]" or
 * "Stats: U N N N N HOST A"
 */
static enum loginlog_verdict
msg_qpopper(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	const char *q, *a;
	int     i;

	(void) f;
	if ((q = lit(p, end, "Stats: ")) != NULL) {
		p = q;
		q = span(p, end, is_user);
		if (q == NULL || q == end || *q != ' ' ||
		    take_user(p, q, ev->user) < 0)
			REFUSE("bad user name");
		p = q;
		for (i = 0; i < 4; i++) {
			p = lit(p, end, " ");
			p = span(p, end, is_digit);
		}
		p = lit(p, end, " ");
		p = span(p, end, is_host);
		p = lit(p, end, " ");
		if (p == NULL || take_addr(p, end, &ev->addr) < 0)
			REFUSE("bad Stats fields");
		return (LOGINLOG_LOGIN);
	}
	if ((p = lit(p, end, "(v")) == NULL)
		OTHER("not a login message");
	p = span(p, end, is_tag);
	if ((p = lit(p, end, ") POP login by user \"")) == NULL)
		OTHER("not a login message");
	if (count(p, end, "\"") != 1 || count(p, end, "(") != 1)
		REFUSE("bad user or host field");
	q = memchr(p, '"', (size_t) (end - p));
	if (q == NULL || take_user(p, q, ev->user) < 0)
		REFUSE("bad user name");
	p = lit(q, end, "\" at (");
	p = span(p, end, is_host);
	p = lit(p, end, ") ");
	if (p == NULL)
		REFUSE("bad host field");
	a = p;
	p = span(p, end, is_addr);
	if (p == NULL || take_addr(a, p, &ev->addr) < 0)
		REFUSE("bad address");
	if (p < end) {
		/* only qpopper's own " [pop_log.c:244]" may follow */
		p = lit(p, end, " [");
		p = span(p, end, is_tag);
		p = lit(p, end, ":");
		p = span(p, end, is_digit);
		p = lit(p, end, "]");
		if (p != end)
			REFUSE("trailing text");
	}
	return (LOGINLOG_LOGIN);
}

/*
 * msg_uw - "Login user=U host=[HOST ][A][ nmsgs=N/N]" or
 * "Authenticated user=U host=[HOST ][A] mech=M"
 */
static enum loginlog_verdict
msg_uw(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	const char *q;
	int     authenticated = 0;

	(void) f;
	if ((q = lit(p, end, "Login user=")) == NULL) {
		if ((q = lit(p, end, "Authenticated user=")) == NULL)
			OTHER("not a login message");
		authenticated = 1;
	}
	p = q;
	if (count(p, end, "[") != 1 || count(p, end, "host=") != 1)
		REFUSE("not exactly one host=[address]");
	q = memchr(p, ' ', (size_t) (end - p));
	if (q == NULL || take_user(p, q, ev->user) < 0)
		REFUSE("bad user name");
	p = lit(q, end, " host=");
	if ((p = host_addr(p, end, &ev->addr)) == NULL)
		REFUSE("bad host [address]");
	if (p == end) {
		if (authenticated)
			REFUSE("no mech= field");
		return (LOGINLOG_LOGIN);
	}
	if (authenticated) {
		p = lit(p, end, " mech=");
		if (span(p, end, is_tag) != end)
			REFUSE("bad mech= field");
		return (LOGINLOG_LOGIN);
	}
	p = lit(p, end, " nmsgs=");
	p = span(p, end, is_digit);
	p = lit(p, end, "/");
	if (span(p, end, is_digit) != end)
		REFUSE("bad nmsgs= field");
	return (LOGINLOG_LOGIN);
}

/* msg_regex - the administrator's expression, anchored at the start */
static enum loginlog_verdict
msg_regex(const struct loginlog *f, const char *p, const char *end,
	struct loginlog_event *ev, const char **why)
{
	char    buf[LOGINLOG_LINE_MAX + 1];
	regmatch_t m[3];
	size_t  n = (size_t) (end - p);

	if (n > LOGINLOG_LINE_MAX || memchr(p, 0, n) != NULL)
		OTHER("not a login message");
	memcpy(buf, p, n);
	buf[n] = 0;
	if (regexec(&f->re, buf, 3, m, 0) != 0 || m[0].rm_so != 0)
		OTHER("not a login message");
	if (m[1].rm_so < 0 || take_addr(buf + m[1].rm_so, buf + m[1].rm_eo,
	    &ev->addr) < 0)
		REFUSE("bad address");
	if (f->user_sub > 0 && m[2].rm_so >= 0 &&
	    m[2].rm_eo > m[2].rm_so && take_user(buf + m[2].rm_so,
	    buf + m[2].rm_eo, ev->user) < 0)
		REFUSE("bad user name");
	return (LOGINLOG_LOGIN);
}

/* The built-in formats. */
static const struct builtin {
	const char *name;
	msg_fn	parse;
	const char *progs[MAX_PROGS];
}       builtins[] = {
	{"dovecot", msg_dovecot, {"dovecot", "imap-login", "pop3-login",
	"dovecot/imap-login", "dovecot/pop3-login", NULL}},
	{"courier", msg_courier, {"imapd", "imapd-ssl", "pop3d", "pop3d-ssl",
		"courierimaplogin", "courierpop3login", "imaplogin",
	"pop3login", "courier-imapd", "courier-pop3d", NULL}},
	{"cyrus", msg_cyrus, {"imap", "imaps", "pop3", "pop3s", "cyrus/imap",
	"cyrus/imaps", "cyrus/pop3", "cyrus/pop3s", NULL}},
	{"qpopper", msg_qpopper, {"popper", "qpopper", "in.qpopper",
	"in.popper", NULL}},
	{"uw-imap", msg_uw, {"imapd", "ipop3d", "ipop2d", "in.imapd",
	"in.ipop3d", NULL}},
};

#define NBUILTINS	(sizeof(builtins) / sizeof(builtins[0]))

/* loginlog_new - compile a format */
int
loginlog_new(const char *format, struct loginlog **out, char *err,
	size_t errlen)
{
	struct loginlog *f;
	const char *p, *colon, *comma;
	size_t  i, n;
	int     rc;

	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(format);
	if (strncmp(format, "regex:", 6) == 0) {
		p = format + 6;
		if ((colon = strchr(p, ':')) == NULL || colon == p) {
			snprintf(err, errlen, "%s: a regex format is "
			    "regex:PROGRAM[,PROGRAM...]:EXPRESSION", format);
			goto bad;
		}
		for (n = 0; p < colon; p = comma + 1) {
			comma = memchr(p, ',', (size_t) (colon - p));
			if (comma == NULL)
				comma = colon;
			if (comma == p || span(p, comma, is_tag) != comma ||
			    comma - p >= LOGINLOG_PROG_MAX) {
				snprintf(err, errlen, "%s: bad program name "
				    "(letters, digits, . _ - / only)", format);
				goto bad;
			}
			if (n == MAX_PROGS - 1) {
				snprintf(err, errlen, "%s: more than %d "
				    "programs", format, MAX_PROGS - 1);
				goto bad;
			}
			f->progs[n++] = xstrndup(p, (size_t) (comma - p));
			if (comma == colon)
				break;
		}
		if ((rc = regcomp(&f->re, colon + 1, REG_EXTENDED)) != 0) {
			char    msg[256];

			regerror(rc, &f->re, msg, sizeof(msg));
			snprintf(err, errlen, "%s: %s", colon + 1, msg);
			goto bad;
		}
		f->has_re = 1;
		if (f->re.re_nsub < 1) {
			snprintf(err, errlen, "%s: no subexpression for the "
			    "address", colon + 1);
			goto bad;
		}
		f->user_sub = f->re.re_nsub >= 2 ? 2 : 0;
		f->parse = msg_regex;
		*out = f;
		return (0);
	}
	for (i = 0; i < NBUILTINS; i++)
		if (strcmp(format, builtins[i].name) == 0)
			break;
	if (i == NBUILTINS) {
		snprintf(err, errlen, "unknown format: %s (dovecot, courier, "
		    "cyrus, qpopper, uw-imap or regex:PROGRAM:RE)", format);
		goto bad;
	}
	f->parse = builtins[i].parse;
	for (n = 0; builtins[i].progs[n] != NULL; n++)
		f->progs[n] = xstrdup(builtins[i].progs[n]);
	*out = f;
	return (0);

bad:
	loginlog_free(f);
	return (-1);
}

/* loginlog_free - release a format */
void
loginlog_free(struct loginlog *f)
{
	size_t  i;

	if (f == NULL)
		return;
	for (i = 0; i < MAX_PROGS && f->progs[i] != NULL; i++)
		free(f->progs[i]);
	if (f->has_re)
		regfree(&f->re);
	free(f->name);
	free(f);
}

/* loginlog_name - the format's name */
const char *
loginlog_name(const struct loginlog *f)
{
	return (f->name);
}

/* loginlog_parse - classify one line */
enum loginlog_verdict
loginlog_parse(const struct loginlog *f, const char *line, size_t len,
	time_t now, struct loginlog_event *ev, const char **why)
{
	const char *dummy, *end = line + len;
	struct header h;
	size_t  i;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(ev, 0, sizeof(*ev));
	ev->when = (time_t) -1;
	if (len > 0 && line[len - 1] == '\r')
		end--;
	if (len > LOGINLOG_LINE_MAX)
		OTHER("line too long");
	if (memchr(line, 0, len) != NULL)
		OTHER("NUL byte in line");
	if (parse_header(line, end, now, &h) < 0)
		OTHER("no syslog header");
	memcpy(ev->prog, h.prog, h.proglen);
	ev->prog[h.proglen] = 0;
	ev->when = h.when;
	for (i = 0; i < MAX_PROGS && f->progs[i] != NULL; i++)
		if (strcmp(ev->prog, f->progs[i]) == 0)
			break;
	if (i == MAX_PROGS || f->progs[i] == NULL)
		OTHER("not the server's program");
	return (f->parse(f, h.msg, end, ev, why));
}

/* loginlog_parse_msg - classify a message whose tag and time are known */
enum loginlog_verdict
loginlog_parse_msg(const struct loginlog *f, const char *prog,
	size_t proglen, const char *msg, size_t len, time_t when,
	struct loginlog_event *ev, const char **why)
{
	const char *dummy;
	size_t  i;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(ev, 0, sizeof(*ev));
	ev->when = when;
	if (proglen == 0 || proglen >= LOGINLOG_PROG_MAX)
		OTHER("not the server's program");
	if (memchr(prog, 0, proglen) != NULL)
		OTHER("NUL byte in program tag");
	memcpy(ev->prog, prog, proglen);
	ev->prog[proglen] = 0;
	for (i = 0; i < MAX_PROGS && f->progs[i] != NULL; i++)
		if (strcmp(ev->prog, f->progs[i]) == 0)
			break;
	if (i == MAX_PROGS || f->progs[i] == NULL)
		OTHER("not the server's program");
	if (len > LOGINLOG_LINE_MAX)
		OTHER("line too long");
	if (memchr(msg, 0, len) != NULL)
		OTHER("NUL byte in line");
	if (memchr(msg, '\n', len) != NULL)
		OTHER("newline in message");
	return (f->parse(f, msg, msg + len, ev, why));
}

/* loginlog_time - the header's timestamp */
int
loginlog_time(const char *line, size_t len, time_t now, time_t *when)
{
	struct header h;

	if (parse_header(line, line + len, now, &h) < 0 ||
	    h.when == (time_t) -1)
		return (-1);
	*when = h.when;
	return (0);
}

/* loginlog_lines_feed - split a byte stream into lines */
void
loginlog_lines_feed(struct loginlog_lines *lb, const char *data, size_t n,
	void (*fn) (const char *, size_t, unsigned long long, void *),
	void *arg)
{
	const char *nl;
	size_t  k;

	while (n > 0) {
		nl = memchr(data, '\n', n);
		k = nl != NULL ? (size_t) (nl - data) : n;
		if (nl != NULL && lb->len == 0 && !lb->skipping &&
		    k <= LOGINLOG_LINE_MAX) {
			/* a whole line in data: no copy */
			lb->off += k + 1;
			fn(data, k, lb->off, arg);
			data += k + 1;
			n -= k + 1;
			continue;
		}
		if (lb->skipping) {
			/* inside an overlong line: drop up to its end */
		} else if (lb->len + k > LOGINLOG_LINE_MAX) {
			lb->skipping = 1;
			lb->len = 0;
			lb->dropped++;
		} else {
			if (lb->len + k + 1 > lb->cap) {
				lb->cap = lb->len + k + 1 < 4096 ? 4096 :
				    (lb->len + k + 1) * 2;
				lb->buf = xrealloc(lb->buf, lb->cap);
			}
			memcpy(lb->buf + lb->len, data, k);
			lb->len += k;
		}
		lb->off += k;
		if (nl == NULL)
			return;
		lb->off++;
		if (!lb->skipping) {
			lb->buf[lb->len] = 0;
			fn(lb->buf, lb->len, lb->off, arg);
		}
		lb->skipping = 0;
		lb->len = 0;
		data += k + 1;
		n -= k + 1;
	}
}

/* loginlog_lines_reset - forget the partial line */
void
loginlog_lines_reset(struct loginlog_lines *lb, unsigned long long off)
{
	lb->len = 0;
	lb->skipping = 0;
	lb->off = off;
}

/* loginlog_lines_free - release the buffer */
void
loginlog_lines_free(struct loginlog_lines *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = lb->cap = 0;
}
