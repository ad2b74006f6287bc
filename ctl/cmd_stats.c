/*
 * NAME
 *	cmd_stats - relayguardctl stats
 * SYNOPSIS
 *	relayguardctl stats [-c conf] [--socket S] [--prometheus]
 * DESCRIPTION
 *	Prints the running daemon's counters, read from its control
 *	socket: "name value" lines (sessions, recipients permitted,
 *	rejected, tempfailed, discarded, relays, lookup errors, reloads)
 *	and one "rule FILE:LINE matched N permit N ..." line per rule, or
 *	the Prometheus text format with --prometheus.
 * DIAGNOSTICS
 *	Exit status 0; 69 when the daemon cannot be reached; 78 when the
 *	configuration does not load; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"

const char cmd_stats_usage[] =
	"stats [-c conf] [--socket S] [--prometheus]";

/* cmd_stats - print the daemon's counters */
int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"prometheus", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf reply = STRBUF_INIT;
	const char *conf = NULL, *sock = NULL, *body;
	char   *spec, err[512];
	int     ch, prom = 0, status, ret;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:p", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'p':
			prom = 1;
			break;
		default:
			fprintf(stderr, "usage: relayguardctl %s\n",
			    cmd_stats_usage);
			return (CTL_EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: relayguardctl %s\n", cmd_stats_usage);
		return (CTL_EX_USAGE);
	}
	if ((spec = control_client_socket("stats", conf, sock, &status)) == NULL)
		return (status);
	ret = control_client_request(spec, prom ? "stats prometheus" : "stats",
	    &reply, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "relayguardctl: stats: cannot reach the "
		    "daemon: %s\n", err);
		status = CTL_EX_UNAVAILABLE;
	} else if (ret > 0) {
		fprintf(stderr, "relayguardctl: stats: %s", strbuf_str(&reply));
		status = CTL_EX_SOFTWARE;
	} else {
		body = strchr(strbuf_str(&reply), '\n');
		fputs(body ? body + 1 : "", stdout);
		status = CTL_EX_OK;
	}
	strbuf_free(&reply);
	free(spec);
	return (status);
}
