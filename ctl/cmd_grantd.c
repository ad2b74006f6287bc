/*
 * NAME
 *	cmd_grantd - relayguardctl grantd: a socket that may only grant
 * SYNOPSIS
 *	relayguardctl grantd [-c conf] [-t table] [-u user] [--ttl 30m]
 *		[--group GROUP] [--ignore PREFIX]... [--grant-loopback]
 *		SOCKET
 * DESCRIPTION
 *	Listens on the Unix socket SOCKET (mode 0660, group GROUP) and
 *	grants relay access for the requests it receives, so that a POP
 *	or IMAP server's post-login script can grant without root and
 *	without write access to the table: whoever can connect may add a
 *	grant of the server's TTL for one address, and nothing else (no
 *	revoke, no TTL of its choice, no other table, no file).
 *
 *	A request is one line, "grant ADDRESS USER" (USER may be empty);
 *	the answer one line, "ok" or "error: reason". The address must be
 *	a plain IPv4 or IPv6 address outside loopback (unless
 *	--grant-loopback) and the --ignore prefixes, the user name of
 *	letters, digits and . _ @ + - only. Every grant and refusal is
 *	logged on stderr with the peer's uid and pid. A client that does
 *	not send its line within 5 seconds is dropped.
 *
 *	"relayguardctl grant --socket SOCKET ADDRESS --user NAME" is the
 *	client.
 * DIAGNOSTICS
 *	Runs until killed. Exit 64 usage, 71 the socket cannot be made,
 *	74 the table cannot be opened.
 */
#define _GNU_SOURCE	/* struct ucred, accept4 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/ctlproto.h"
#include "common/loginlog.h"
#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

#define CTL_EX_OSERR	71

const char cmd_grantd_usage[] =
	"grantd [-c conf] [-t table] [-u user] [--ttl 30m] [--group GROUP] "
	"[--ignore PREFIX]... [--grant-loopback] SOCKET";

/* safe_user - letters, digits and . _ @ + - only, or empty */
static int
safe_user(const char *u)
{
	size_t  n = strspn(u, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-");

	return (u[n] == 0 && n < LOGINLOG_USER_MAX);
}

/* plain_addr - only the characters of an IPv4 or IPv6 address */
static int
plain_addr(const char *a)
{
	size_t  n = strspn(a, "0123456789abcdefABCDEF.:");

	return (n > 0 && a[n] == 0);
}

/* serve - answer one client */
static void
serve(int fd, struct store *s, time_t ttl, const struct prefix *ign,
	size_t nign)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct pollfd pfd;
	struct addr a;
	char    line[GRANTPROTO_LINE_MAX], err[512], abuf[ADDR_STRLEN];
	char   *sp, *addr, *user;
	const char *why = NULL;
	size_t  len = 0, i, args;
	ssize_t r;
	time_t  deadline = time(NULL) + 5;

	memset(&cred, 0, sizeof(cred));
	(void) getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (time(NULL) >= deadline || poll(&pfd, 1, 1000) < 0)
			return;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		r = read(fd, line + len, sizeof(line) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t) r;
	}
	line[len] = 0;
	if ((sp = strchr(line, '\n')) == NULL) {
		why = "no complete request line";
		goto refuse;
	}
	*sp = 0;
	if ((args = ctlproto_args(line, GRANTPROTO_GRANT)) == 0) {
		why = "unknown request";
		goto refuse;
	}
	addr = line + args;
	user = strchr(addr, ' ');
	if (user != NULL)
		*user++ = 0;
	else
		user = "";
	if (!plain_addr(addr) || addr_parse(addr, &a) < 0) {
		why = "not an address";
		goto refuse;
	}
	if (!safe_user(user)) {
		why = "bad user name";
		goto refuse;
	}
	for (i = 0; i < nign; i++)
		if (prefix_contains(&ign[i], &a)) {
			why = "address in the ignore list";
			goto refuse;
		}
	if (store_grant(s, &a, user, time(NULL) + ttl, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: grantd: %s\n", err);
		why = "the grant failed";
		goto refuse;
	}
	fprintf(stderr, "relayguardctl: grantd: grant %s user=%s for uid=%d "
	    "pid=%d ttl=%llds\n", addr_format(&a, abuf, sizeof(abuf)), user,
	    (int) cred.uid, (int) cred.pid, (long long) ttl);
	(void) !write(fd, GRANTPROTO_OK "\n", strlen(GRANTPROTO_OK "\n"));
	return;

refuse:
	fprintf(stderr, "relayguardctl: grantd: refused for uid=%d pid=%d: "
	    "%s\n", (int) cred.uid, (int) cred.pid, why);
	snprintf(err, sizeof(err), "%s %s\n", GRANTPROTO_ERROR, why);
	(void) !write(fd, err, strlen(err));
}

/* cmd_grantd - relayguardctl grantd */
int
cmd_grantd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"group", required_argument, NULL, 'G'},
		{"ignore", required_argument, NULL, 'I'},
		{"grant-loopback", no_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	struct sockaddr_un sun;
	struct prefix *ign = NULL;
	struct store *s = NULL;
	struct group *gr;
	size_t  nign = 0;
	time_t  ttl = 30 * 60;
	const char *group = NULL, *sock;
	char    err[512];
	int     c, rc, fd = -1, loopback = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:u:", longopts, NULL)) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'T':
			if (ctl_parse_ttl(optarg, &ttl) < 0) {
				fprintf(stderr, "relayguardctl: grantd: bad TTL: "
				    "%s\n", optarg);
				return (CTL_EX_USAGE);
			}
			break;
		case 'G':
			group = optarg;
			break;
		case 'I':
			ign = xreallocarray(ign, nign + 1, sizeof(*ign));
			if (prefix_parse(optarg, &ign[nign], err,
			    sizeof(err)) < 0) {
				fprintf(stderr, "relayguardctl: grantd: --ignore "
				    "%s: %s\n", optarg, err);
				free(ign);
				return (CTL_EX_USAGE);
			}
			nign++;
			break;
		case 'L':
			loopback = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	sock = argv[optind];
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "relayguardctl: grantd: %s: path too long\n",
		    sock);
		free(ign);
		return (CTL_EX_USAGE);
	}
	if (!loopback) {
		ign = xreallocarray(ign, nign + 2, sizeof(*ign));
		(void) prefix_parse("127.0.0.0/8", &ign[nign++], NULL, 0);
		(void) prefix_parse("::1", &ign[nign++], NULL, 0);
	}
	if ((rc = ctl_grants_open("grantd", &to, 1, &s)) != 0) {
		free(ign);
		return (rc);
	}
	rc = CTL_EX_OSERR;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock, strlen(sock));
	(void) unlink(sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 ||
	    chmod(sock, 0660) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "relayguardctl: grantd: %s: %s\n", sock,
		    strerror(errno));
		goto out;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			fprintf(stderr, "relayguardctl: grantd: no group %s\n",
			    group);
			goto out;
		}
		if (chown(sock, (uid_t) -1, gr->gr_gid) < 0) {
			fprintf(stderr, "relayguardctl: grantd: %s: %s\n", sock,
			    strerror(errno));
			goto out;
		}
	}
	(void) signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int     cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "relayguardctl: grantd: accept: %s\n",
			    strerror(errno));
			sleep(1);
			continue;
		}
		serve(cfd, s, ttl, ign, nign);
		close(cfd);
	}

out:
	if (fd >= 0)
		close(fd);
	store_close(s);
	free(ign);
	return (rc);

usage:
	free(ign);
	return (ctl_usage("grantd", NULL));
}
