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
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_grant_usage[] =
	"grant [-c conf] [-t table] [-u user] [--socket SOCKET] ADDRESS "
	"[--ttl 30m] [--user NAME]";

#define CTL_EX_UNAVAILABLE_GRANT	69

/* grant_socket - ask grantd at path; the exit status */
static int
grant_socket(const char *path, const char *addr, const char *user)
{
	struct sockaddr_un sun;
	char    req[512], reply[512];
	size_t  len = 0;
	ssize_t r;
	int     fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) || (size_t) snprintf(req,
	    sizeof(req), "grant %s %s\n", addr, user ? user : "") >=
	    sizeof(req) || strchr(addr, ' ') || (user && strpbrk(user,
	    " \r\n"))) {
		fprintf(stderr, "relayguardctl: grant: bad socket, address or "
		    "user\n");
		return (CTL_EX_DATAERR);
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t) strlen(req)) {
		fprintf(stderr, "relayguardctl: grant: %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return (CTL_EX_UNAVAILABLE_GRANT);
	}
	while (len < sizeof(reply) - 1 &&
	    (r = read(fd, reply + len, sizeof(reply) - 1 - len)) > 0)
		len += (size_t) r;
	close(fd);
	reply[len] = 0;
	if (strcmp(reply, "ok\n") == 0)
		return (CTL_EX_OK);
	reply[strcspn(reply, "\n")] = 0;
	fprintf(stderr, "relayguardctl: grant: %s: %s\n", path,
	    len ? reply : "no answer");
	return (CTL_EX_UNAVAILABLE_GRANT);
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
	fprintf(stderr, "usage: relayguardctl %s\n", cmd_grant_usage);
	return (CTL_EX_USAGE);
}
