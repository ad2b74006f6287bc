/*
 * NAME
 *	mlscenario - read milterload's scenario file
 * SYNOPSIS
 *	#include "bench/mlscenario.h"
 *
 *	struct session *scenario_load(const char *path, size_t *count)
 *	void scenario_free(struct session *sessions, size_t count)
 * DESCRIPTION
 *	scenario_load() reads the sessions of a scenario file ("-" is
 *	standard input; the format is in bench/README and in
 *	bench/milterload.c) and returns them, their number in *count.
 *	scenario_free() releases what it returned.
 * DIAGNOSTICS
 *	This is program code: scenario_load() prints every error as
 *	"file:line: message" and exits 65 after a syntax error, 66 when
 *	the file cannot be read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "common/field.h"
#include "common/xalloc.h"
#include "bench/mlscenario.h"

/* parse_answer - parse an expectation; 0 on success, -1 on error */
static int
parse_answer(const char *s, struct answer *a)
{
	static const struct {
		const char *name;
		char    kind;
	}       kinds[] = {
		{"continue", SMFIR_CONTINUE},
		{"accept", SMFIR_ACCEPT},
		{"discard", SMFIR_DISCARD},
		{"reject", SMFIR_REJECT},
		{"tempfail", SMFIR_TEMPFAIL},
	};
	const char *colon = strchr(s, ':');
	size_t  klen = colon ? (size_t) (colon - s) : strlen(s);
	size_t  i;
	char   *end;
	long    code;

	a->kind = 0;
	a->code = 0;
	if (klen == 3 && (s[0] == '4' || s[0] == '5') && colon == NULL) {
		code = strtol(s, &end, 10);
		if (*end != 0 || code < 400 || code > 599)
			return (-1);
		a->kind = s[0] == '4' ? SMFIR_TEMPFAIL : SMFIR_REJECT;
		a->code = (int) code;
		return (0);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == klen &&
		    strncmp(kinds[i].name, s, klen) == 0)
			a->kind = kinds[i].kind;
	if (a->kind == 0)
		return (-1);
	if (colon == NULL)
		return (0);
	if (a->kind != SMFIR_REJECT && a->kind != SMFIR_TEMPFAIL)
		return (-1);
	code = strtol(colon + 1, &end, 10);
	if (*end != 0 || code < 400 || code > 599 ||
	    (a->kind == SMFIR_REJECT) != (code >= 500))
		return (-1);
	a->code = (int) code;
	return (0);
}

/* stage_of - macro stage by name, or -1 */
static int
stage_of(const char *s)
{
	static const char *const names[] = {"connect", "helo", "mail", "rcpt"};
	int     i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return (i);
	return (-1);
}

/* strip_braces - a macro name without its braces, in a new string */
static char *
strip_braces(const char *name)
{
	size_t  len = strlen(name);

	if (len >= 2 && name[0] == '{' && name[len - 1] == '}')
		return (xstrndup(name + 1, len - 2));
	return (xstrdup(name));
}

/* parse_line - parse one scenario line into a session; 0 or -1 */
static int
parse_line(char *line, int lineno, struct session *s, char *err, size_t elen)
{
	char   *tok, *val, *cur = line;
	const char *mailer = "smtp";
	size_t  rcap = 0, mcap = 0;
	unsigned char buf[sizeof(struct in6_addr)];
	int     open;	/* an open quote runs to the end of the line */

	memset(s, 0, sizeof(*s));
	s->line = lineno;
	s->family = SMFIA_INET;
	s->addr = xstrdup("192.0.2.1");
	s->port = 54321;
	s->helo = xstrdup("client.bench.test");
	s->from = xstrdup("<>");
	s->daemon = xstrdup("milterload");
	s->auth_type = xstrdup("PLAIN");

	while ((tok = field_next(&cur, &open)) != NULL) {
		if ((val = strchr(tok, '=')) == NULL) {
			snprintf(err, elen, "field without '=': %s", tok);
			return (-1);
		}
		*val++ = 0;
		if (strcmp(tok, "client") == 0) {
			free(s->addr);
			s->addr = xstrdup(val);
			if (strcmp(val, "unix") == 0)
				s->family = SMFIA_UNIX;
			else if (strcmp(val, "unknown") == 0)
				s->family = SMFIA_UNKNOWN;
			else if (inet_pton(AF_INET, val, buf) == 1)
				s->family = SMFIA_INET;
			else if (inet_pton(AF_INET6, val, buf) == 1)
				s->family = SMFIA_INET6;
			else {
				snprintf(err, elen, "bad client address: %s", val);
				return (-1);
			}
		} else if (strcmp(tok, "port") == 0) {
			char   *end;
			unsigned long p = strtoul(val, &end, 10);

			if (*end || p > 65535) {
				snprintf(err, elen, "bad port: %s", val);
				return (-1);
			}
			s->port = (unsigned) p;
		} else if (strcmp(tok, "name") == 0) {
			free(s->name);
			s->name = xstrdup(val);
		} else if (strcmp(tok, "helo") == 0) {
			free(s->helo);
			s->helo = xstrdup(val);
		} else if (strcmp(tok, "from") == 0) {
			free(s->from);
			s->from = xstrdup(val);
		} else if (strcmp(tok, "auth") == 0) {
			free(s->auth);
			s->auth = xstrdup(val);
		} else if (strcmp(tok, "auth-type") == 0) {
			free(s->auth_type);
			s->auth_type = xstrdup(val);
		} else if (strcmp(tok, "daemon") == 0) {
			free(s->daemon);
			s->daemon = xstrdup(val);
		} else if (strcmp(tok, "mailer") == 0) {
			mailer = val;
		} else if (strcmp(tok, "macro") == 0) {
			char   *colon = strchr(val, ':'), *eq;
			struct macro *m;

			if (colon == NULL || (eq = strchr(colon, '=')) == NULL) {
				snprintf(err, elen, "macro= wants STAGE:NAME=VALUE");
				return (-1);
			}
			*colon = 0;
			*eq = 0;
			if (stage_of(val) < 0 || colon[1] == 0) {
				snprintf(err, elen, "bad macro stage or name: %s", val);
				return (-1);
			}
			if (s->nmacros == mcap)
				s->macros = xreallocarray(s->macros,
				    mcap = mcap ? 2 * mcap : 4, sizeof(*m));
			m = &s->macros[s->nmacros++];
			m->stage = stage_of(val);
			m->name = strip_braces(colon + 1);
			m->value = xstrdup(eq + 1);
		} else if (strncmp(tok, "expect-", 7) == 0) {
			int     st = stage_of(tok + 7);

			if (st < 0 || st > 2 ||
			    parse_answer(val, &s->want[ST_CONNECT + st]) < 0) {
				snprintf(err, elen, "bad %s: %s", tok, val);
				return (-1);
			}
		} else if (strcmp(tok, "rcpt") == 0) {
			char   *gt = strrchr(val, '>');
			struct rcpt *r;

			if (val[0] != '<' || gt == NULL) {
				snprintf(err, elen, "rcpt= wants <address>[=E]: %s",
				    val);
				return (-1);
			}
			if (s->nrcpts == rcap)
				s->rcpts = xreallocarray(s->rcpts,
				    rcap = rcap ? 2 * rcap : 4, sizeof(*r));
			r = &s->rcpts[s->nrcpts++];
			r->mailer = xstrdup(mailer);
			r->want.kind = SMFIR_CONTINUE;
			r->want.code = 0;
			if (gt[1] == '=') {
				if (parse_answer(gt + 2, &r->want) < 0) {
					snprintf(err, elen, "bad expectation: %s",
					    gt + 2);
					return (-1);
				}
			} else if (gt[1] != 0) {
				snprintf(err, elen, "junk after rcpt address: %s",
				    gt + 1);
				return (-1);
			}
			r->addr = xstrndup(val, (size_t) (gt + 1 - val));
		} else {
			snprintf(err, elen, "unknown field: %s", tok);
			return (-1);
		}
	}
	if (s->nrcpts == 0) {
		snprintf(err, elen, "session without rcpt=");
		return (-1);
	}
	if (s->name == NULL) {
		size_t  len = strlen(s->addr) + 3;

		s->name = xmalloc(len);
		if (s->family == SMFIA_INET || s->family == SMFIA_INET6)
			snprintf(s->name, len, "[%s]", s->addr);
		else
			snprintf(s->name, len, "%s", "localhost");
	}
	return (0);
}

/* session_free - release what a session holds */
static void
session_free(struct session *s)
{
	size_t  j;

	free(s->addr);
	free(s->name);
	free(s->helo);
	free(s->from);
	free(s->auth);
	free(s->auth_type);
	free(s->daemon);
	for (j = 0; j < s->nmacros; j++) {
		free(s->macros[j].name);
		free(s->macros[j].value);
	}
	free(s->macros);
	for (j = 0; j < s->nrcpts; j++) {
		free(s->rcpts[j].addr);
		free(s->rcpts[j].mailer);
	}
	free(s->rcpts);
}

/* scenario_free - release n sessions */
void
scenario_free(struct session *sessions, size_t nsessions)
{
	size_t  i;

	for (i = 0; i < nsessions; i++)
		session_free(&sessions[i]);
	free(sessions);
}

/* scenario_load - read the scenario file; exits on error */
struct session *
scenario_load(const char *path, size_t *count)
{
	struct session *sessions = NULL;
	size_t  nsessions = 0;
	FILE   *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char   *line = NULL, err[256];
	size_t  cap = 0, scap = 0;
	ssize_t len;
	int     lineno = 0, errors = 0;

	if (fp == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		exit(66);
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char   *p = line;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0 || *p == '#')
			continue;
		if (nsessions == scap)
			sessions = xreallocarray(sessions,
			    scap = scap ? 2 * scap : 64, sizeof(*sessions));
		if (parse_line(p, lineno, &sessions[nsessions], err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "milterload: %s:%d: %s\n", path, lineno, err);
			session_free(&sessions[nsessions]);
			errors++;
			continue;
		}
		nsessions++;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (errors) {
		scenario_free(sessions, nsessions);
		exit(65);
	}
	if (nsessions == 0) {
		fprintf(stderr, "milterload: %s: no sessions\n", path);
		exit(65);
	}
	*count = nsessions;
	return (sessions);
}
