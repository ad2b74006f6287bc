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
 *	chosen as for stats; but when the configuration (-c, or the
 *	default file) says "limit-state redis" and no --socket is given,
 *	they read and clear the counters in Redis themselves, so that
 *	they work from any host with the same redis section.
 * DIAGNOSTICS
 *	Exit status 0; 1 when limits IDENTITY finds no counter or reset
 *	clears none; 69 when the daemon cannot be reached; 70 when it
 *	answers an error; 74 when Redis does not answer; 78
 *	configuration error; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_limits.h"
#include "ctl/ctl_rules.h"
#include "rules/rules.h"
#include "store/limit.h"

const char cmd_limits_usage[] =
	"limits [-c conf] [--socket S] [IDENTITY]";

/* print_one - limit_list() callback: one line per window */
static int
print_one(const struct limit_info *i, void *arg)
{
	struct timespec ts;
	char    line[LIMIT_LINE_MAX];
	size_t  k;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (k = 0; k < i->nwin; k++) {
		limit_info_line(i, k, (int64_t) ts.tv_sec * LIMIT_US +
		    ts.tv_nsec / 1000, line, sizeof(line));
		fputs(line, stdout);
	}
	++*(int *) arg;
	return (0);
}

/*
 * in_redis - limits or reset against Redis itself when the configuration
 * keeps the counters there. Returns the exit status, or -1 when it does
 * not (ask the daemon).
 */
static int
in_redis(const char *word, int reset, const char *conf, const char *who)
{
	const struct rules_settings *s;
	struct limit_store *ls = NULL;
	struct timespec ts;
	struct rules *r;
	char    err[512];
	long    n;
	int     found = 0, status;

	if (ctl_rules_name(conf) == NULL)
		return (-1);
	if ((r = ctl_rules_load_flags(conf, RULES_LOAD_NO_TABLES)) == NULL)
		return (CTL_EX_CONFIG);
	s = rules_settings(r);
	if (s->limit_state == NULL ||
	    strcmp(s->limit_state, RULES_IN_REDIS) != 0 || s->redis == NULL) {
		rules_unref(r);
		return (-1);
	}
	if (limit_redis_open(s->redis, 0, &ls, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", word, err);
		rules_unref(r);
		return (CTL_EX_CONFIG);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (reset) {
		if ((n = limit_reset(ls, who)) < 0)
			status = CTL_EX_IOERR;
		else {
			printf("%ld counter%s reset\n", n, n == 1 ? "" : "s");
			status = n == 0;
		}
	} else if (limit_list(ls, who, (int64_t) ts.tv_sec * LIMIT_US +
	    ts.tv_nsec / 1000, print_one, &found) < 0)
		status = CTL_EX_IOERR;
	else {
		status = who != NULL && found == 0;
		if (status)
			fprintf(stderr, "relayguardctl: limits: no counters "
			    "for %s\n", who);
	}
	if (status == CTL_EX_IOERR)
		fprintf(stderr, "relayguardctl: %s: the counters' Redis does "
		    "not answer\n", word);
	limit_close(ls);
	rules_unref(r);
	return (status);
}

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
	if (sock == NULL && (status = in_redis(word, need, conf, who)) >= 0)
		return (status);
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
