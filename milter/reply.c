/*
 * NAME
 *	reply 3
 * SUMMARY
 *	safe SMTP reply text and log lines
 * SYNOPSIS
 *	#include "milter/reply.h"
 *
 *	size_t	text_sanitise(char *out, size_t outlen, const char *in,
 *		int flags)
 *	size_t	reply_escape(char *out, size_t outlen, const char *text)
 *	size_t	log_escape(char *out, size_t outlen, const char *in,
 *		int flags)
 *	size_t	logline_format(char *buf, size_t len,
 *		const struct logline *l)
 * DESCRIPTION
 *	text_sanitise() copies in to out (outlen bytes including the NUL,
 *	outlen > 0) replacing every byte that is not printable ASCII by
 *	'?'. With TEXT_UTF8, well-formed UTF-8 sequences of printable
 *	characters are kept whole; invalid ones become one '?' per byte.
 *	The result is cut at a character boundary when it does not fit.
 *	Returns the length of out. in NULL yields "".
 *
 *	reply_escape() makes text fit for smfi_setreply(): sanitised to
 *	printable ASCII, every '%' doubled (the MTA treats a lone '%' as
 *	a format), never more than REPLY_TEXT_MAX bytes and never cut
 *	inside a "%%" pair. Returns the length of out.
 *
 *	log_escape() copies untrusted text to out (outlen bytes including
 *	the NUL) as one log token: every byte outside printable ASCII
 *	(0x21-0x7e) and every one of \ = ; [ ] < > , becomes \xHH (two
 *	lowercase hex digits). With LOG_ESCAPE_TEXT (a reply text) spaces,
 *	< > and , are kept. The result is cut when it does not fit, never
 *	inside an escape. Returns the length of out.
 *
 *	logline_format() writes one decision with Postfix's field names:
 *
 *	QUEUEID: ACTION: STAGE from NAME[ADDR]: CODE XCODE TEXT;
 *	from=<S> to=<R> helo=<H> client=NAME[ADDR] sasl_username=A
 *	identity=I identity_source=SRC rule=WHERE
 *
 *	("permitted" replaces the reply for a relay, "nothing done
 *	(warn)" for what a rule marked warn would have done, "NOQUEUE" a missing
 *	queue id, "-" a missing rule, "unknown" a missing name and "local"
 *	a missing address; sasl_username= is left out when the session did
 *	not authenticate, identity= and identity_source= when the session
 *	has no identity). Every value is escaped with log_escape() and cut
 *	at LOGLINE_VALUE_MAX (the reply text at 512), so a client cannot
 *	end a field early, start another field, or put a [ADDR] or
 *	name=value token anywhere but where this function writes one; the
 *	line never holds a control character and is cut to len. Returns
 *	the length written.
 * THREADS
 *	Reentrant: no static state.
 */
#include <string.h>

#include "milter/reply.h"

/* utf8_len - length of a well-formed printable UTF-8 sequence at s, or 0 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned int cp;
	size_t  n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp < 0xa0))
		return (0);
	return (n);
}

/* text_sanitise - printable copy of untrusted text */
size_t
text_sanitise(char *out, size_t outlen, const char *in, int flags)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t  o = 0, n;

	if (outlen == 0)
		return (0);
	if (s == NULL) {
		out[0] = 0;
		return (0);
	}
	while (*s) {
		if (*s >= 0x20 && *s < 0x7f) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char) *s++;
		} else if ((flags & TEXT_UTF8) && (n = utf8_len(s)) > 0) {
			if (o + n >= outlen)
				break;
			memcpy(out + o, s, n);
			o += n;
			s += n;
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			s++;
		}
	}
	out[o] = 0;
	return (o);
}

/* reply_escape - sanitise text and double every '%' for smfi_setreply */
size_t
reply_escape(char *out, size_t outlen, const char *text)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t  o = 0, max;

	if (outlen == 0)
		return (0);
	max = outlen - 1 < REPLY_TEXT_MAX ? outlen - 1 : REPLY_TEXT_MAX;
	for (; s != NULL && *s; s++) {
		if (*s == '%') {
			if (o + 2 > max)
				break;
			out[o++] = '%';
			out[o++] = '%';
		} else {
			if (o + 1 > max)
				break;
			out[o++] = (*s >= 0x20 && *s < 0x7f) ? (char) *s : '?';
		}
	}
	out[o] = 0;
	return (o);
}

/* put - append a string to the line, cut at the end of buf */
static void
put(char *buf, size_t len, size_t *o, const char *s)
{
	size_t  n = strlen(s);

	if (*o + 1 >= len)
		return;
	if (n > len - 1 - *o)
		n = len - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = 0;
}

/* log_escape - untrusted text as one log token; see the header */
size_t
log_escape(char *out, size_t outlen, const char *in, int flags)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *) in;
	const char *special;
	size_t  o = 0;

	if (outlen == 0)
		return (0);
	special = (flags & LOG_ESCAPE_TEXT) ? "\\=;[]" : "\\=;[]<>,";
	for (; s != NULL && *s; s++) {
		if ((*s > 0x20 && *s < 0x7f && strchr(special, *s) == NULL) ||
		    (*s == ' ' && (flags & LOG_ESCAPE_TEXT))) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char) *s;
		} else {
			/* Never cut inside an escape. */
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*s >> 4];
			out[o++] = hex[*s & 0x0f];
		}
	}
	out[o] = 0;
	return (o);
}

/* put_value - append one escaped value of at most max bytes */
static void
put_value(char *buf, size_t len, size_t *o, const char *v, size_t max,
	int flags)
{
	char    tmp[REPLY_TEXT_MAX + 1];

	if (max >= sizeof(tmp))
		max = sizeof(tmp) - 1;
	log_escape(tmp, max + 1, v, flags);
	put(buf, len, o, tmp);
}

/* put_path - append a MAIL or RCPT argument, without its brackets */
static void
put_path(char *buf, size_t len, size_t *o, const char *raw)
{
	char    tmp[LOGLINE_VALUE_MAX + 1];
	size_t  n;

	if (raw != NULL && *raw == '<')
		raw++;
	n = raw ? strnlen(raw, sizeof(tmp) - 1) : 0;
	if (n > 0)
		memcpy(tmp, raw, n);
	tmp[n] = 0;
	if (n > 0 && tmp[n - 1] == '>' && raw[n] == 0)
		tmp[n - 1] = 0;
	put_value(buf, len, o, tmp, LOGLINE_VALUE_MAX, 0);
}

/* put_client - NAME[ADDR], both escaped */
static void
put_client(char *buf, size_t len, size_t *o, const struct logline *l)
{
	put_value(buf, len, o, l->client_name && *l->client_name ?
	    l->client_name : "unknown", LOGLINE_VALUE_MAX, 0);
	put(buf, len, o, "[");
	put_value(buf, len, o, l->client_addr && *l->client_addr ?
	    l->client_addr : "local", 64, 0);
	put(buf, len, o, "]");
}

/* logline_format - one decision in the MTA's log style */
size_t
logline_format(char *buf, size_t len, const struct logline *l)
{
	size_t  o = 0;

	if (len == 0)
		return (0);
	buf[0] = 0;
	put_value(buf, len, &o, l->queue_id && *l->queue_id ? l->queue_id :
	    "NOQUEUE", 64, 0);
	put(buf, len, &o, ": ");
	put_value(buf, len, &o, l->action ? l->action : "?", 32, 0);
	put(buf, len, &o, ": ");
	put_value(buf, len, &o, l->stage ? l->stage : "?", 32, 0);
	put(buf, len, &o, " from ");
	put_client(buf, len, &o, l);
	put(buf, len, &o, ": ");
	if (l->code && *l->code) {
		put_value(buf, len, &o, l->code, 3, 0);
		if (l->xcode && *l->xcode) {
			put(buf, len, &o, " ");
			put_value(buf, len, &o, l->xcode, 15, 0);
		}
		if (l->text && *l->text) {
			put(buf, len, &o, " ");
			put_value(buf, len, &o, l->text, 512, LOG_ESCAPE_TEXT);
		}
	} else
		put(buf, len, &o, l->warn ? "nothing done (warn)" :
		    "permitted");
	put(buf, len, &o, "; from=<");
	put_path(buf, len, &o, l->sender);
	put(buf, len, &o, "> to=<");
	put_path(buf, len, &o, l->rcpt);
	put(buf, len, &o, "> helo=<");
	put_value(buf, len, &o, l->helo, LOGLINE_VALUE_MAX, 0);
	put(buf, len, &o, "> client=");
	put_client(buf, len, &o, l);
	if (l->auth && *l->auth) {
		put(buf, len, &o, " sasl_username=");
		put_value(buf, len, &o, l->auth, LOGLINE_VALUE_MAX, 0);
	}
	if (l->identity && *l->identity) {
		put(buf, len, &o, " identity=");
		put_value(buf, len, &o, l->identity, LOGLINE_VALUE_MAX, 0);
		put(buf, len, &o, " identity_source=");
		put_value(buf, len, &o, l->identity_source ?
		    l->identity_source : "-", LOGLINE_VALUE_MAX, 0);
	}
	put(buf, len, &o, " rule=");
	put_value(buf, len, &o, l->rule && *l->rule ? l->rule : "-",
	    LOGLINE_VALUE_MAX + 64, 0);
	return (o);
}
