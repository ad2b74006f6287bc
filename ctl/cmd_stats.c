/*
 * NAME
 *	cmd_stats - relayguardctl stats
 * SYNOPSIS
 *	relayguardctl stats [-c conf] [--socket S] [--prometheus]
 *		[--output FILE]
 * DESCRIPTION
 *	Prints the running daemon's counters, read from its control
 *	socket: "name value" lines (sessions, recipients permitted,
 *	rejected, tempfailed, discarded, relays, lookup errors, reloads)
 *	and one "rule FILE:LINE matched N permit N ..." line per rule, or
 *	the Prometheus text format with --prometheus.
 *
 *	--output FILE writes to FILE instead of standard output, for
 *	node_exporter's textfile collector: to FILE.tmp.PID, then
 *	rename(2)d over FILE (mode 0644), so that a reader sees the old
 *	file or the new one, never half of one. With --prometheus the
 *	file ends with "relayguard_up 1", or, when the daemon cannot be
 *	reached or answers an error, holds only "relayguard_up 0" (the
 *	exit status is still 69 or 70), so that an alert sees a dead
 *	daemon instead of the last counters it wrote.
 * DIAGNOSTICS
 *	Exit status 0; 69 when the daemon cannot be reached; 70 when it
 *	answers an error; 74 when FILE cannot be written; 78 when the
 *	configuration does not load; 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"

const char cmd_stats_usage[] =
	"stats [-c conf] [--socket S] [--prometheus] [--output FILE]";

/* write_atomic - text to path through a temporary file; 0 or -1 */
static int
write_atomic(const char *path, const char *text)
{
	char   *tmp;
	size_t  len = strlen(path) + 32;
	FILE   *fp;
	int     ok, saved;

	tmp = malloc(len);
	if (tmp == NULL)
		return (-1);
	snprintf(tmp, len, "%s.tmp.%ld", path, (long) getpid());
	(void) unlink(tmp);
	if ((fp = fopen(tmp, "wx")) == NULL) {
		fprintf(stderr, "relayguardctl: stats: %s: %s\n", tmp,
		    strerror(errno));
		free(tmp);
		return (-1);
	}
	ok = fputs(text, fp) >= 0 && fflush(fp) == 0 &&
	    fchmod(fileno(fp), 0644) == 0 && fsync(fileno(fp)) == 0;
	saved = errno;
	if (fclose(fp) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && rename(tmp, path) < 0) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		fprintf(stderr, "relayguardctl: stats: %s: %s\n", path,
		    strerror(saved));
		(void) unlink(tmp);
	}
	free(tmp);
	return (ok ? 0 : -1);
}

/* cmd_stats - print the daemon's counters */
int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"prometheus", no_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf reply = STRBUF_INIT;
	const char *conf = NULL, *sock = NULL, *body, *output = NULL;
	struct strbuf text = STRBUF_INIT;
	enum ctlproto_answer answer;
	enum ctl_ask ret;
	char    err[512];
	int     ch, prom = 0, status;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:po:", longopts, NULL)) != -1) {
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
		case 'o':
			output = optarg;
			break;
		default:
			return (ctl_usage("stats", NULL));
		}
	}
	if (optind != argc) {
		return (ctl_usage("stats", NULL));
	}
	ret = ctl_control_ask("stats", conf, sock, prom ?
	    CTLPROTO_STATS_PROMETHEUS : CTLPROTO_STATS, &reply, &answer, err,
	    sizeof(err));
	if (ret == CTL_ASK_CONFIG)
		return (CTL_EX_CONFIG);
	if (ret == CTL_ASK_UNREACHABLE) {
		fprintf(stderr, "relayguardctl: stats: cannot reach the "
		    "daemon: %s\n", err);
		status = CTL_EX_UNAVAILABLE;
	} else if (ret == CTL_ASK_REFUSED) {
		fprintf(stderr, "relayguardctl: stats: %s", strbuf_str(&reply));
		status = CTL_EX_SOFTWARE;
	} else {
		body = strchr(strbuf_str(&reply), '\n');
		strbuf_puts(&text, body ? body + 1 : "");
		status = CTL_EX_OK;
	}
	if (output != NULL && prom) {
		if (status != CTL_EX_OK)
			strbuf_free(&text);
		strbuf_printf(&text, "# HELP relayguard_up Whether relayguardctl "
		    "reached the daemon.\n# TYPE relayguard_up gauge\n"
		    "relayguard_up %d\n", status == CTL_EX_OK);
	}
	if (output != NULL && (status == CTL_EX_OK || prom)) {
		if (write_atomic(output, strbuf_str(&text)) < 0 &&
		    status == CTL_EX_OK)
			status = CTL_EX_IOERR;
	} else if (output == NULL)
		fputs(strbuf_str(&text), stdout);
	strbuf_free(&text);
	strbuf_free(&reply);
	return (status);
}
