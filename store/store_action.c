/*
 * NAME
 *	store_action - classify access(5) values
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_action_parse(value, act, code, xcode, text, err, errlen)
 * DESCRIPTION
 *	The actions of spec section 4, as Postfix access(5) spells them
 *	(case-insensitive):
 *
 *	OK, RELAY, all digits	permit (no text allowed)
 *	REJECT [text]		reject; text may start with a 5.X.Y code
 *	5NN [5.X.Y] text	reject with that reply code
 *	DEFER [text], TEMPFAIL [text]	tempfail; 4.X.Y code optional
 *	4NN [4.X.Y] text	tempfail with that reply code
 *	DISCARD [text]		accept and drop
 *	DUNNO			no decision (no text allowed)
 *
 *	Everything else is refused, with a reason that names the Postfix
 *	actions that are not relay decisions (HOLD, FILTER, ...) and
 *	restriction names (permit_mynetworks, ...). An all-digit value is
 *	a permit even when it looks like a reply code ("550"), as in
 *	Postfix: pop-before-smtp tables store time stamps as values.
 * DIAGNOSTICS
 *	Returns 0, or -1 with the reason in err.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

/* Postfix actions that exist but decide nothing about relaying. */
static const char *const not_relay[] = {
	"HOLD", "FILTER", "REDIRECT", "PREPEND", "BCC", "WARN", "INFO",
	"DEFER_IF_REJECT", "DEFER_IF_PERMIT", "REJECT_IF_PERMIT",
	"DELAY", "SHUNT",
};

/* word_is - does the word [s, s+n) equal w, ignoring case? */
static int
word_is(const char *s, size_t n, const char *w)
{
	return (strlen(w) == n && strncasecmp(s, w, n) == 0);
}

/* is_xcode - is [s, s+n) an enhanced status code C.SSS.DDD of class c? */
static int
is_xcode(const char *s, size_t n, int c)
{
	size_t  i = 0;
	int     part, digits;

	if (n < 5 || n > 15 || s[0] != c || s[1] != '.')
		return (0);
	for (part = 0, i = 2; part < 2; part++) {
		for (digits = 0; i < n && isdigit((unsigned char) s[i]); i++)
			digits++;
		if (digits < 1 || digits > 3)
			return (0);
		if (part == 0 && (i >= n || s[i++] != '.'))
			return (0);
	}
	return (i == n);
}

/* take_xcode - move a leading enhanced status code of class c to xcode */
static int
take_xcode(const char **text, int c, char *xcode, char *err, size_t errlen)
{
	const char *s = *text;
	size_t  n = strcspn(s, " \t");

	if (n == 0 || !isdigit((unsigned char) s[0]))
		return (0);
	if (!is_xcode(s, n, c)) {
		if (isdigit((unsigned char) s[0]) && s[1] == '.') {
			snprintf(err, errlen, "bad enhanced status code "
			    "\"%.*s\" (want %c.X.Y)", (int) n, s, c);
			return (-1);
		}
		return (0);
	}
	if (xcode != NULL)
		snprintf(xcode, 16, "%.*s", (int) n, s);
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	*text = s;
	return (0);
}

/* store_action_parse - classify an access(5) value (see store.h) */
int
store_action_parse(const char *value, enum store_action *act, char *code,
	char *xcode, const char **text, char *err, size_t errlen)
{
	const char *s = value;
	const char *rest;
	size_t  n, i;
	int     digits;

	if (code != NULL)
		code[0] = 0;
	if (xcode != NULL)
		xcode[0] = 0;
	if (text != NULL)
		*text = "";
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t");
	if (n == 0) {
		snprintf(err, errlen, "empty value");
		return (-1);
	}
	rest = s + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;

	for (i = 0, digits = 1; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			digits = 0;

	if (word_is(s, n, "OK") || word_is(s, n, "RELAY") ||
	    (digits && *rest == 0)) {
		if (*rest != 0) {
			snprintf(err, errlen, "%.*s takes no text", (int) n, s);
			return (-1);
		}
		*act = STORE_OK;
		return (0);
	}
	if (word_is(s, n, "DUNNO")) {
		if (*rest != 0) {
			snprintf(err, errlen, "DUNNO takes no text");
			return (-1);
		}
		*act = STORE_DUNNO;
		return (0);
	}
	if (digits) {
		if (n != 3 || (s[0] != '4' && s[0] != '5')) {
			snprintf(err, errlen, "reply code %.*s is neither 4NN "
			    "nor 5NN", (int) n, s);
			return (-1);
		}
		*act = s[0] == '5' ? STORE_REJECT : STORE_TEMPFAIL;
		if (code != NULL)
			snprintf(code, 4, "%.3s", s);
		if (take_xcode(&rest, s[0], xcode, err, errlen) < 0)
			return (-1);
		if (text != NULL)
			*text = rest;
		return (0);
	}
	if (word_is(s, n, "REJECT")) {
		*act = STORE_REJECT;
		if (take_xcode(&rest, '5', xcode, err, errlen) < 0)
			return (-1);
	} else if (word_is(s, n, "DEFER") || word_is(s, n, "TEMPFAIL")) {
		*act = STORE_TEMPFAIL;
		if (take_xcode(&rest, '4', xcode, err, errlen) < 0)
			return (-1);
	} else if (word_is(s, n, "DISCARD")) {
		*act = STORE_DISCARD;
	} else {
		for (i = 0; i < sizeof(not_relay) / sizeof(not_relay[0]); i++)
			if (word_is(s, n, not_relay[i])) {
				snprintf(err, errlen, "unsupported action %s: "
				    "not a relay decision", not_relay[i]);
				return (-1);
			}
		if (strcspn(s, "_") < n || word_is(s, n, "static") ||
		    word_is(s, n, "sleep")) {
			snprintf(err, errlen, "unsupported action \"%.*s\": "
			    "Postfix restriction names are not supported in "
			    "relayguard tables", (int) (n > 64 ? 64 : n), s);
			return (-1);
		}
		snprintf(err, errlen, "unknown action \"%.*s\"",
		    (int) (n > 64 ? 64 : n), s);
		return (-1);
	}
	if (text != NULL)
		*text = rest;
	return (0);
}
