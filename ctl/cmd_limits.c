/*
 * NAME
 *	cmd_limits - relayguardctl limits and reset
 * SYNOPSIS
 *	relayguardctl limits [-c conf] [--socket S] [IDENTITY]
 *	relayguardctl reset [-c conf] [--socket S] IDENTITY
 * DESCRIPTION
 *	limits prints the running daemon's rate counters that are not
 *	idle, of IDENTITY or of everyone, one line per window of a limit:
 *
 *	    SUBJECT LIMIT RATE left N next Ss full Ss refused N
 *
 *	left is what the window still admits now, next the seconds until
 *	it admits one more, full the seconds until it is back to RATE,
 *	refused how often the limit refused in a row. A subject is an
 *	identity, or the client's network ("192.0.2.0/24") for clients
 *	without one.
 *
 *	reset clears every counter of IDENTITY (a network is given as
 *	listed).
 *
 *	Both ask the daemon over its control socket (milter/control.c),
 *	chosen as for stats.
 * DIAGNOSTICS
 *	Exit status 0; 1 when limits IDENTITY finds no counter or reset
 *	clears none; 69 when the daemon cannot be reached; 70 when it
 *	answers an error; 78 configuration error; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_limits.h"
#include "store/limit.h"

const char cmd_limits_usage[] =
	"limits [-c conf] [--socket S] [IDENTITY]";

/*
 * ctl_limits_ask - parse the options of limits or reset, send
 * "word [IDENTITY]" and print the answer's body. Returns the exit status.
 */
int
ctl_limits_ask(const char *word, int need, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf reply = STRBUF_INIT, req = STRBUF_INIT;
	const char *conf = NULL, *sock = NULL, *body, *who;
	enum ctlproto_answer answer;
	enum ctl_ask ret;
	char    err[512];
	int     ch, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:", longopts, NULL)) != -1) {
		if (ch == 'c')
			conf = optarg;
		else if (ch == 's')
			sock = optarg;
		else
			return (ctl_usage(word, NULL));
	}
	if (argc - optind > 1 || argc - optind < need)
		return (ctl_usage(word, NULL));
	who = optind < argc ? argv[optind] : NULL;
	if (who != NULL && (*who == '\0' || strlen(who) > LIMIT_SUBJECT_MAX ||
	    strpbrk(who, "\r\n") != NULL))
		return (ctl_usage(word, "bad identity"));
	strbuf_printf(&req, "%s%s%s", word, who ? " " : "", who ? who : "");
	ret = ctl_control_ask_line(word, conf, sock, strbuf_str(&req), &reply,
	    &answer, err, sizeof(err));
	body = strchr(strbuf_str(&reply), '\n');
	body = body ? body + 1 : "";
	if (ret == CTL_ASK_CONFIG)
		status = CTL_EX_CONFIG;
	else if (ret == CTL_ASK_UNREACHABLE) {
		fprintf(stderr, "relayguardctl: %s: cannot reach the daemon: "
		    "%s\n", word, err);
		status = CTL_EX_UNAVAILABLE;
	} else if (ret == CTL_ASK_REFUSED) {
		fprintf(stderr, "relayguardctl: %s: %s", word,
		    strbuf_str(&reply));
		status = CTL_EX_SOFTWARE;
	} else if (need) {
		/* "N counters reset": none is status 1 */
		fputs(body, stdout);
		status = strncmp(body, "0 ", 2) == 0;
	} else {
		fputs(body, stdout);
		status = who != NULL && *body == '\0';
		if (status)
			fprintf(stderr, "relayguardctl: limits: no counters "
			    "for %s\n", who);
	}
	strbuf_free(&req);
	strbuf_free(&reply);
	return (status);
}

/* cmd_limits - the daemon's rate counters */
int
cmd_limits(int argc, char **argv)
{
	return (ctl_limits_ask(CTLPROTO_LIMITS_WORD, 0, argc, argv));
}
