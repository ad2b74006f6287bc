/*
 * NAME
 *	cmd_compare - relayguardctl compare: replay sessions, show differences
 * SYNOPSIS
 *	relayguardctl compare [-c conf] [-v] SESSIONS
 * DESCRIPTION
 *	Reads SESSIONS ("-" for standard input), one made-up SMTP session
 *	per line, and runs each through the rules exactly as explain does
 *	(ctl_session_run()). Every recipient carries the class of answer
 *	expected for it; compare prints each recipient whose answer from
 *	the rules has another class, as
 *
 *		FILE:LINE: RCPT: expected CLASS, relayguard CLASS (RULE)
 *
 *	and a summary line. A line holds white-space separated fields:
 *
 *		client=ADDR|unix  name=HOST  resolve=OK|FAIL|TEMP|FORGED
 *		helo=NAME  sender=ADDR|<>  auth=USER  auth-type=MECH
 *		tls  cert-subject=S  cert-issuer=S  daemon=NAME
 *		mailer=M  label=TEXT  rcpt=ADDR:CLASS ...
 *
 *	and any other fact a session is given, by its name in
 *	relayguard.conf(5) (client-name=, tls-version=, ...).
 *	A value may be double-quoted (with \" and \\ escapes) to hold
 *	white space. CLASS is accept (also 2xx, 250, ok, permit), 4xx
 *	(also tempfail) or 5xx (also reject); the class is taken after
 *	the last ":" so that source routes stay whole. "#" starts a
 *	comment line; blank lines are skipped. client= and one rcpt= at
 *	least are required. A discard counts as accept, as the client
 *	sees it.
 *
 *	-v prints every recipient, not only the differences.
 * DIAGNOSTICS
 *	Exit 0 no difference, 1 some differ, 64 usage, 65 a malformed
 *	line (FILE:LINE: and the problem, nothing compared), 66 SESSIONS
 *	unreadable, 78 configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/field.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"
#include "ctl/ctl_session.h"

const char cmd_compare_usage[] = "compare [-c conf] [-v] SESSIONS";

enum class {
	CLASS_ACCEPT,
	CLASS_TEMP,
	CLASS_PERM,
};

static const char *const class_names[] = {"accept", "4xx", "5xx"};

/* One session line, parsed; strings point into the line buffer. */
struct session {
	struct ctl_facts f;
	const char *label;
	const char **rcpts;
	enum class *want;
	size_t  nrcpt;
	/* answers from the engine */
	enum class *got;
	char  (*rule)[RULES_WHERE_MAX];
	int    *decided;
};

/* class_parse - the class a word names; -1 when none */
static int
class_parse(const char *w)
{
	static const struct {
		const char *word;
		enum class class;
	} words[] = {
		{"accept", CLASS_ACCEPT}, {"2xx", CLASS_ACCEPT},
		{"250", CLASS_ACCEPT}, {"ok", CLASS_ACCEPT},
		{"permit", CLASS_ACCEPT}, {"4xx", CLASS_TEMP},
		{"tempfail", CLASS_TEMP}, {"5xx", CLASS_PERM},
		{"reject", CLASS_PERM},
	};
	size_t  i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(w, words[i].word) == 0)
			return ((int) words[i].class);
	return (-1);
}

/* verdict_class - what the client sees for a verdict */
static enum class
verdict_class(enum rules_verdict v)
{
	return (v == RULES_REJECT ? CLASS_PERM : v == RULES_TEMPFAIL ?
	    CLASS_TEMP : CLASS_ACCEPT);
}

/* fact_alias - the fact a session line's field names */
static const char *
fact_alias(const char *field)
{
	static const char *const alias[][2] = {
		{"name", "client-name"},
		{"resolve", "client-resolve"},
		{"mailer", "rcpt-mailer"},
	};
	size_t  i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(field, alias[i][0]) == 0)
			return (alias[i][1]);
	return (field);
}

/* next_field - the next field of a session line; NULL at the end */
static char *
next_field(char **cp, const char **err)
{
	char   *f;
	int     open;

	f = field_next(cp, &open);
	if (open) {
		*err = "unterminated quoted value";
		return (NULL);
	}
	return (f);
}

/* session_parse - one line into sess; 0, or -1 with a message in err */
static int
session_parse(char *line, struct session *sess, struct strbuf *err)
{
	const char *ferr = NULL;
	char   *cp = line, *fld, *val, *colon;
	int     have_client = 0, cls;
	struct addr a;

	while ((fld = next_field(&cp, &ferr)) != NULL) {
		if (strcmp(fld, "tls") == 0) {
			sess->f.v[RULES_FACT_TLS_VERSION] = "TLSv1.3";
			continue;
		}
		if ((val = strchr(fld, '=')) == NULL) {
			strbuf_printf(err, "field \"%s\" is not NAME=VALUE", fld);
			return (-1);
		}
		*val++ = 0;
		if (strcmp(fld, "client") == 0) {
			if (strcmp(val, "unix") != 0 && addr_parse(val, &a) < 0) {
				strbuf_printf(err, "client=%s: not an address", val);
				return (-1);
			}
			sess->f.v[RULES_FACT_CLIENT] = val;
			have_client = 1;
		} else if (strcmp(fld, "label") == 0)
			sess->label = val;
		else if (strcmp(fld, "rcpt") == 0) {
			if ((colon = strrchr(val, ':')) == NULL ||
			    (cls = class_parse(colon + 1)) < 0) {
				strbuf_printf(err, "rcpt=%s: want ADDRESS:CLASS "
				    "(CLASS accept, 4xx or 5xx)", val);
				return (-1);
			}
			*colon = 0;
			sess->rcpts = xreallocarray(sess->rcpts, sess->nrcpt + 1,
			    sizeof(*sess->rcpts));
			sess->want = xreallocarray(sess->want, sess->nrcpt + 1,
			    sizeof(*sess->want));
			sess->rcpts[sess->nrcpt] = val;
			sess->want[sess->nrcpt++] = (enum class) cls;
		} else if (ctl_facts_set(&sess->f, fact_alias(fld), val) < 0) {
			strbuf_printf(err, "unknown field \"%s\"", fld);
			return (-1);
		}
		/* A certificate comes with TLS. */
		if (strcmp(fld, "cert-subject") == 0 &&
		    sess->f.v[RULES_FACT_TLS_VERSION] == NULL)
			sess->f.v[RULES_FACT_TLS_VERSION] = "TLSv1.3";
	}
	if (ferr) {
		strbuf_puts(err, ferr);
		return (-1);
	}
	if (!have_client) {
		strbuf_puts(err, "client= is required");
		return (-1);
	}
	if (sess->nrcpt == 0) {
		strbuf_puts(err, "no rcpt=ADDRESS:CLASS");
		return (-1);
	}
	return (0);
}

/* on_stage - ctl_session callback: compare needs no stage output */
static void
on_stage(void *ctx, enum rules_stage stage, const char *rcpt,
	const struct rules_trace *t, const struct rules_result *res)
{
	(void) ctx;
	(void) stage;
	(void) rcpt;
	(void) t;
	(void) res;
}

/* on_decide - ctl_session callback: record the class of an answer */
static void
on_decide(void *ctx, enum rules_stage stage, size_t idx,
	const struct rules_result *res)
{
	struct session *sess = ctx;
	size_t  i, lo = idx, hi = idx + 1;

	(void) stage;
	if (idx == CTL_SESSION_ALL) {
		lo = 0;
		hi = sess->nrcpt;
	}
	for (i = lo; i < hi && i < sess->nrcpt; i++) {
		sess->got[i] = verdict_class(res->verdict);
		snprintf(sess->rule[i], sizeof(sess->rule[i]), "%s",
		    res->rule[0] ? res->rule : "no rule");
		sess->decided[i] = 1;
	}
}

static const struct ctl_session_ops compare_ops = {
	.stage = on_stage,
	.decide = on_decide,
};

/* session_free - what session_parse() and the run allocated */
static void
session_free(struct session *sess)
{
	free(sess->rcpts);
	free(sess->want);
	free(sess->got);
	free(sess->rule);
	free(sess->decided);
}

/* cmd_compare - replay the sessions of a file through the rules */
int
cmd_compare(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct session *all = NULL;
	struct rules *r;
	const char *conf = NULL, *name;
	char  **lines = NULL, *line = NULL;
	size_t  cap = 0, nsess = 0, nlines = 0, nrcpt = 0, ndiff = 0, i, j;
	size_t *lineno = NULL, n = 0;
	ssize_t len;
	FILE   *fp;
	int     c, verbose = 0, bad = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "c:v")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			return (ctl_usage("compare", NULL));
		}
	}
	if (optind + 1 != argc) {
		return (ctl_usage("compare", NULL));
	}
	name = argv[optind];
	if (strcmp(name, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(name, "r")) == NULL) {
		fprintf(stderr, "relayguardctl: compare: %s: %s\n", name,
		    strerror(errno));
		return (CTL_EX_NOINPUT);
	}
	/* Read and check every line first: a bad file compares nothing. */
	while ((len = getline(&line, &cap, fp)) >= 0) {
		struct session s;
		char   *p;

		n++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == 0 || *p == '#')
			continue;
		memset(&s, 0, sizeof(s));
		lines = xreallocarray(lines, nlines + 1, sizeof(*lines));
		lines[nlines] = xstrdup(p);
		strbuf_reset(&err);
		if (session_parse(lines[nlines], &s, &err) < 0) {
			fprintf(stderr, "relayguardctl: compare: %s:%zu: %s\n",
			    name, n, strbuf_str(&err));
			bad = 1;
			session_free(&s);
			nlines++;
			continue;
		}
		all = xreallocarray(all, nsess + 1, sizeof(*all));
		lineno = xreallocarray(lineno, nsess + 1, sizeof(*lineno));
		all[nsess] = s;
		lineno[nsess++] = n;
		nlines++;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	strbuf_free(&err);
	if (!bad && nsess == 0) {
		fprintf(stderr, "relayguardctl: compare: %s: no sessions\n", name);
		bad = 1;
	}
	r = bad ? NULL : ctl_rules_load(conf);
	for (i = 0; r != NULL && i < nsess; i++) {
		struct session *s = &all[i];

		s->got = xcalloc(s->nrcpt, sizeof(*s->got));
		s->rule = xcalloc(s->nrcpt, sizeof(*s->rule));
		s->decided = xcalloc(s->nrcpt, sizeof(*s->decided));
		(void) ctl_session_run(r, &s->f, s->rcpts, s->nrcpt,
		    &s->f.v[RULES_FACT_RCPT_MAILER],
		    s->f.v[RULES_FACT_RCPT_MAILER] ? 1 : 0, 0, &compare_ops, s);
		for (j = 0; j < s->nrcpt; j++) {
			/* After a discard the message is gone: 250 to the rest. */
			if (!s->decided[j]) {
				s->got[j] = CLASS_ACCEPT;
				snprintf(s->rule[j], sizeof(s->rule[j]),
				    "message discarded");
			}
			nrcpt++;
			if (s->got[j] != s->want[j])
				ndiff++;
			if (s->got[j] != s->want[j] || verbose)
				printf("%s:%zu: %s%s%s: expected %s, relayguard %s "
				    "(%s)%s\n", name, lineno[i],
				    s->label ? s->label : "", s->label ? ": " : "",
				    s->rcpts[j], class_names[s->want[j]],
				    class_names[s->got[j]], s->rule[j],
				    s->got[j] != s->want[j] ? "" : " same");
		}
	}
	if (r != NULL)
		printf("compare: %zu sessions, %zu recipients, %zu differ\n",
		    nsess, nrcpt, ndiff);
	for (i = 0; i < nsess; i++)
		session_free(&all[i]);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	free(all);
	free(lineno);
	if (bad)
		return (CTL_EX_DATAERR);
	if (r == NULL)
		return (CTL_EX_CONFIG);
	rules_unref(r);
	return (ndiff ? 1 : 0);
}
