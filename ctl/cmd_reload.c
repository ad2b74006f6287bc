/*
 * NAME
 *	cmd_reload - relayguardctl reload
 * SYNOPSIS
 *	relayguardctl reload [-c conf] [--socket S] [-P pidfile]
 * DESCRIPTION
 *	Asks the running daemon to load its configuration again, over
 *	the control socket, and reports the result: "reloaded", or every
 *	error of the refused file (the daemon keeps its running rules).
 *
 *	When the control socket cannot be reached, sends SIGUSR1 to the
 *	pid in the pid file (default /run/relayguard/relayguard.pid)
 *	instead; the result is then only in the daemon's log.
 * DIAGNOSTICS
 *	Exit status 0 reloaded (or signalled); 78 the daemon refused the
 *	configuration; 69 the daemon cannot be reached; 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"

const char cmd_reload_usage[] =
	"reload [-c conf] [--socket S] [-P pidfile]";

/* signal_daemon - SIGUSR1 to the pid in the pid file; 0 or -1 */
static int
signal_daemon(const char *pidfile, long *pid)
{
	FILE   *fp;
	int     ok;

	if ((fp = fopen(pidfile, "r")) == NULL)
		return (-1);
	ok = fscanf(fp, "%ld", pid) == 1 && *pid > 1;
	fclose(fp);
	if (!ok) {
		errno = EINVAL;
		return (-1);
	}
	return (kill((pid_t) *pid, SIGUSR1));
}

/* cmd_reload - reload the daemon's configuration */
int
cmd_reload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"pidfile", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf reply = STRBUF_INIT;
	const char *conf = NULL, *sock = NULL, *pidfile = CONTROL_DEFAULT_PIDFILE;
	const char *body;
	char   *spec, err[512];
	int     ch, status, ret;
	long    pid = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:P:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			fprintf(stderr, "usage: relayguardctl %s\n",
			    cmd_reload_usage);
			return (CTL_EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: relayguardctl %s\n", cmd_reload_usage);
		return (CTL_EX_USAGE);
	}
	if ((spec = control_client_socket("reload", conf, sock, &status)) == NULL)
		return (status);
	ret = control_client_request(spec, "reload", &reply, err, sizeof(err));
	if (ret == 0) {
		printf("reloaded\n");
		status = CTL_EX_OK;
	} else if (ret > 0) {
		body = strchr(strbuf_str(&reply), '\n');
		fprintf(stderr, "relayguardctl: reload: %.*s\n",
		    body ? (int) (body - reply.s) : (int) reply.len, reply.s);
		if (body && body[1])
			fputs(body + 1, stderr);
		status = strncmp(reply.s, "error configuration", 19) == 0 ?
		    CTL_EX_CONFIG : CTL_EX_SOFTWARE;
	} else if (signal_daemon(pidfile, &pid) == 0) {
		printf("control socket unreachable (%s); sent SIGUSR1 to pid "
		    "%ld: see the daemon's log for the result\n", err, pid);
		status = CTL_EX_OK;
	} else {
		fprintf(stderr, "relayguardctl: reload: cannot reach the "
		    "daemon: %s; pid file %s: %s\n", err, pidfile,
		    strerror(errno));
		status = CTL_EX_UNAVAILABLE;
	}
	strbuf_free(&reply);
	free(spec);
	return (status);
}
