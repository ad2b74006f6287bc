/*
 * NAME
 *	reply 3
 * SUMMARY
 *	reply templates of reject and tempfail rules
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	int	rules_reply_parse(const char *s, int cls, struct reply *rp,
 *		char *err, size_t errlen)
 * DESCRIPTION
 *	Splits "554 5.7.1 text" for an action of class cls ('5' for
 *	reject, '4' for tempfail) and checks it once, when the file
 *	loads, so that the daemon never hands the MTA a reply it would
 *	refuse: the code (optional) must be of the action's class with a
 *	second digit 0 to 5; the enhanced status code (optional, added as
 *	cls.7.1 when missing) must be class.subject.detail of the same
 *	class; the text must be printable ASCII, at most 400
 *	characters, and only known %{macros}: client, client-name, helo,
 *	sender, rcpt, auth, rule. Any other '%' is text.
 * DIAGNOSTICS
 *	Returns 0, or -1 with the reason in err (rp->text is then not
 *	allocated).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "rules/rules_int.h"

#define REPLY_TEXT_MAX	400

/*
 * The %{macros} of reply templates: the load-time check and the
 * expansion (eval.c) both read this table. A fact is shown as set,
 * mailboxes without their angle brackets; absent or empty, as absent.
 */
const struct reply_macro rules_reply_macros[] = {
	{"client", RULES_FACT_CLIENT, "unknown"},
	{"client-name", RULES_FACT_CLIENT_NAME, "unknown"},
	{"helo", RULES_FACT_HELO, ""},
	{"sender", RULES_FACT_SENDER, ""},
	{"rcpt", RULES_FACT_RCPT, ""},
	{"auth", RULES_FACT_AUTH, ""},
	{"rule", REPLY_MACRO_RULE, ""},
	{NULL, 0, NULL},
};

/* rules_reply_macro - the macro named by name[0..len), or NULL */
const struct reply_macro *
rules_reply_macro(const char *name, size_t len)
{
	const struct reply_macro *m;

	for (m = rules_reply_macros; m->name != NULL; m++)
		if (strlen(m->name) == len && strncmp(name, m->name, len) == 0)
			return (m);
	return (NULL);
}

/* macro_ok - reply template check: known %{macros}; other '%' are text */
static int
macro_ok(const char *t, char *err, size_t errlen)
{
	const struct reply_macro *m;
	struct strbuf known = STRBUF_INIT;
	const char *e;

	for (; *t; t++) {
		if ((unsigned char) *t < ' ' || *t == 0x7f) {
			snprintf(err, errlen, "control character in reply");
			return (-1);
		}
		if ((unsigned char) *t >= 0x80) {
			snprintf(err, errlen, "non-ASCII character in reply "
			    "(SMTP replies are ASCII)");
			return (-1);
		}
		if (*t != '%' || t[1] != '{')
			continue;
		if ((e = strchr(t, '}')) == NULL) {
			snprintf(err, errlen, "unterminated %%{ in reply");
			return (-1);
		}
		if (rules_reply_macro(t + 2, (size_t) (e - t - 2)) == NULL) {
			for (m = rules_reply_macros; m->name != NULL; m++)
				strbuf_printf(&known, "%s%s", m == rules_reply_macros ?
				    "" : ", ", m->name);
			snprintf(err, errlen, "unknown macro %%{%.*s} in reply "
			    "(known: %s)", (int) (e - t - 2 > 40 ? 40 : e - t - 2),
			    t + 2, strbuf_str(&known));
			strbuf_free(&known);
			return (-1);
		}
		t = e;
	}
	return (0);
}

/*
 * rules_reply_parse - split "554 5.7.1 text" for an action whose class
 * is cls ('5' or '4'); codes are optional, the enhanced code is added
 * when missing. Returns 0 or -1 with err.
 */
int
rules_reply_parse(const char *s, int cls, struct reply *rp, char *err,
	size_t errlen)
{
	const char *t = s;
	size_t  n;

	memset(rp, 0, sizeof(*rp));
	rp->given = 1;
	if (isdigit((unsigned char) t[0]) && isdigit((unsigned char) t[1]) &&
	    isdigit((unsigned char) t[2]) && (t[3] == ' ' || t[3] == '\0')) {
		if (t[0] != cls) {
			snprintf(err, errlen, "%s needs a %cNN reply code, "
			    "found %.3s", cls == '5' ? "reject" : "tempfail",
			    cls, t);
			return (-1);
		}
		if (t[1] > '5') {
			snprintf(err, errlen, "bad reply code %.3s "
			    "(the second digit is 0 to 5)", t);
			return (-1);
		}
		memcpy(rp->code, t, 3);
		t += 3;
		while (*t == ' ')
			t++;
		/* An enhanced status code: class.subject.detail */
		if (isdigit((unsigned char) t[0]) && t[1] == '.') {
			const char *x = t + 2;
			size_t  a = 0, b = 0;

			while (isdigit((unsigned char) x[a]))
				a++;
			if (a >= 1 && a <= 3 && x[a] == '.') {
				while (isdigit((unsigned char) x[a + 1 + b]))
					b++;
			}
			if (a < 1 || a > 3 || b < 1 || b > 3 ||
			    (x[a + 1 + b] != ' ' && x[a + 1 + b] != '\0')) {
				snprintf(err, errlen, "bad enhanced status code "
				    "(expected class.subject.detail, e.g. %c.7.1)",
				    cls);
				return (-1);
			}
			if (t[0] != cls) {
				snprintf(err, errlen, "enhanced status code "
				    "%.*s does not match reply code %s",
				    (int) (a + b + 3), t, rp->code);
				return (-1);
			}
			n = a + b + 3;
			memcpy(rp->xcode, t, n);
			rp->xcode[n] = '\0';
			t += n;
			while (*t == ' ')
				t++;
		}
	}
	if (rp->code[0] == '\0')
		snprintf(rp->code, sizeof(rp->code), "%s",
		    cls == '5' ? "554" : "451");
	if (rp->xcode[0] == '\0')
		snprintf(rp->xcode, sizeof(rp->xcode), "%c.7.1", cls);
	if (strlen(t) > REPLY_TEXT_MAX) {
		snprintf(err, errlen, "reply text longer than %d characters",
		    REPLY_TEXT_MAX);
		return (-1);
	}
	if (macro_ok(t, err, errlen) < 0)
		return (-1);
	rp->text = xstrdup(t);
	return (0);
}

