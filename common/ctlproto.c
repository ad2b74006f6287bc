/*
 * NAME
 *	ctlproto 3
 * SUMMARY
 *	the words of the control and grantd sockets, in one place
 * SYNOPSIS
 *	#include "common/ctlproto.h"
 *
 *	const char *ctlproto_request_line(enum ctlproto_request req)
 *	int	ctlproto_request_parse(const char *line)
 *	const char *ctlproto_answer_line(enum ctlproto_answer a)
 *	enum ctlproto_answer ctlproto_answer_parse(const char *reply)
 *	int	ctlproto_answer_ok(enum ctlproto_answer a)
 *	size_t	ctlproto_args(const char *line, const char *word)
 *	const char *ctlproto_socket_path(const char *spec)
 * DESCRIPTION
 *	The daemon (milter/control.c) writes, and relayguardctl
 *	(ctl/control_client.c) reads, the lines of the tables below; the
 *	two sides compare enum values, never message text. See
 *	ctlproto.h for each function's contract.
 * DIAGNOSTICS
 *	None: these functions cannot fail. The strings they return are
 *	constants, or point into the caller's argument
 *	(ctlproto_socket_path()).
 * THREADS
 *	Reentrant: read-only tables.
 */
#include <string.h>

#include "common/ctlproto.h"

static const char *const requests[CTLPROTO_NREQUESTS] = {
	[CTLPROTO_STATS] = "stats",
	[CTLPROTO_STATS_PROMETHEUS] = "stats prometheus",
	[CTLPROTO_RELOAD] = "reload",
};

static const char *const answers[CTLPROTO_ANSWER_OTHER] = {
	[CTLPROTO_OK] = "ok",
	[CTLPROTO_OK_RELOADED] = "ok reloaded",
	[CTLPROTO_ERR_PERMISSION] = "error permission denied",
	[CTLPROTO_ERR_EMPTY] = "error empty request",
	[CTLPROTO_ERR_CONFIG] = "error configuration refused; the running "
	    "configuration stays",
	[CTLPROTO_ERR_UNKNOWN] = "error unknown request (stats, stats "
	    "prometheus, reload)",
};

/* ctlproto_request_line - the request's line */
const char *
ctlproto_request_line(enum ctlproto_request req)
{
	return ((unsigned) req < CTLPROTO_NREQUESTS ? requests[req] : "");
}

/* ctlproto_request_parse - the request of a line, or -1 */
int
ctlproto_request_parse(const char *line)
{
	int     i;

	for (i = 0; i < CTLPROTO_NREQUESTS; i++)
		if (strcmp(line, requests[i]) == 0)
			return (i);
	return (-1);
}

/* ctlproto_answer_line - the status line of an answer */
const char *
ctlproto_answer_line(enum ctlproto_answer a)
{
	return ((unsigned) a < CTLPROTO_ANSWER_OTHER ? answers[a] : "");
}

/* ctlproto_answer_parse - the answer whose status line starts reply */
enum ctlproto_answer
ctlproto_answer_parse(const char *reply)
{
	size_t  len = strcspn(reply, "\n");
	int     i;

	for (i = 0; i < CTLPROTO_ANSWER_OTHER; i++)
		if (strlen(answers[i]) == len &&
		    memcmp(reply, answers[i], len) == 0)
			return ((enum ctlproto_answer) i);
	return (CTLPROTO_ANSWER_OTHER);
}

/* ctlproto_answer_ok - is a an "ok" answer? */
int
ctlproto_answer_ok(enum ctlproto_answer a)
{
	return (a == CTLPROTO_OK || a == CTLPROTO_OK_RELOADED);
}

/* ctlproto_args - the offset of what follows "word " in line, or 0 */
size_t
ctlproto_args(const char *line, const char *word)
{
	size_t  n = strlen(word);

	if (strncmp(line, word, n) != 0 || line[n] != ' ')
		return (0);
	return (n + 1);
}

/* ctlproto_socket_path - the file of a socket specification, or NULL */
const char *
ctlproto_socket_path(const char *spec)
{
	static const char *const prefixes[] = {"unix:", "local:"};
	size_t  i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(spec, prefixes[i], n) == 0)
			return (spec + n);
	}
	return (*spec == '/' ? spec : NULL);
}
