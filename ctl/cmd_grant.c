/*
 * NAME
 *	cmd_grant - relayguardctl grant: grant relay access for a while
 * SYNOPSIS
 *	relayguardctl grant [-c conf] [-t table] ADDRESS [--ttl 30m]
 *		[--user NAME]
 *	relayguardctl grant --socket SOCKET ADDRESS [--user NAME]
 * DESCRIPTION
 *	Adds or refreshes a grant for ADDRESS in a dynamic table (spec
 *	section 5). The table is -t (a path, or a table name with -c),
 *	by default /var/lib/relayguard/popauth.lmdb; it is created when
 *	missing. --ttl is a number with an optional unit s, m, h, d or w
 *	(default 30m).
 *
 *	With --socket, asks "relayguardctl grantd" listening there to make
 *	the grant instead (its TTL and table): no write access to the
 *	table is needed, only to the socket. For POP/IMAP servers'
 *	post-login scripts.
 * DIAGNOSTICS
 *	Exit 0 granted; 65 bad address or TTL; 74 the table could not be
 *	written (it is unchanged); 69 grantd cannot be reached or refused
 *	(its reason on stderr); 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "common/addr.h"
#include "common/ctlproto.h"
#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_grant_usage[] =
	"grant [-c conf] [-t table] [-u user] [--socket SOCKET] ADDRESS "
	"[--ttl 30m] [--user NAME]";

/* grant_socket - ask grantd at path; the exit status */
static int
grant_socket(const char *path, const char *addr, const char *user)
{
	struct strbuf req = STRBUF_INIT, reply = STRBUF_INIT;
	char    err[512];
	int     status = CTL_EX_UNAVAILABLE;

	strbuf_printf(&req, "%s %s %s", GRANTPROTO_GRANT, addr,
	    user ? user : "");
	if (strlen(path) >= sizeof(((struct sockaddr_un *) 0)->sun_path) ||
	    req.len + 1 >= GRANTPROTO_LINE_MAX || strchr(addr, ' ') ||
	    (user && strpbrk(user, " \r\n"))) {
		fprintf(stderr, "relayguardctl: grant: bad socket, address or "
		    "user\n");
		status = CTL_EX_DATAERR;
	} else if (ctl_socket_ask(path, strbuf_str(&req), &reply, err,
	    sizeof(err)) < 0)
		fprintf(stderr, "relayguardctl: grant: %s\n", err);
	else if (strcmp(strbuf_str(&reply), GRANTPROTO_OK "\n") == 0)
		status = CTL_EX_OK;
	else if (reply.len == 0)
		fprintf(stderr, "relayguardctl: grant: %s: no answer\n", path);
	else
		fprintf(stderr, "relayguardctl: grant: %s: %.*s\n", path,
		    (int) strcspn(reply.s, "\n"), reply.s);
	strbuf_free(&req);
	strbuf_free(&reply);
	return (status);
}

/* cmd_grant - relayguardctl grant */
int
cmd_grant(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"user", required_argument, NULL, 'U'},
		{"socket", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	const char *user = NULL, *sock = NULL;
	struct store *s;
	struct addr a;
	time_t  ttl = 30 * 60;
	char    err[512];
	int     c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:u:", longopts, NULL)) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'T':
			if (ctl_parse_ttl(optarg, &ttl) < 0) {
				fprintf(stderr, "relayguardctl: grant: bad TTL: "
				    "%s\n", optarg);
				return (CTL_EX_DATAERR);
			}
			break;
		case 'U':
			user = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	if (sock != NULL)
		return (grant_socket(sock, argv[optind], user));
	if (addr_parse(argv[optind], &a) < 0) {
		fprintf(stderr, "relayguardctl: grant: not an address: %s\n",
		    argv[optind]);
		return (CTL_EX_DATAERR);
	}
	if ((rc = ctl_grants_open("grant", &to, 1, &s)) != 0)
		return (rc);
	rc = store_grant(s, &a, user, time(NULL) + ttl, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: grant: %s\n", err);
		return (CTL_EX_IOERR);
	}
	return (CTL_EX_OK);

usage:
	return (ctl_usage("grant", NULL));
}
