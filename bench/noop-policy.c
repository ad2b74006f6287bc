/*
 * NAME
 *	noop-policy - a Postfix policy server that answers DUNNO
 * SYNOPSIS
 *	noop-policy -p socket [-f] [-P pidfile]
 * DESCRIPTION
 *	A server of Postfix's SMTPD access policy delegation protocol
 *	(check_policy_service) that reads each request, attribute lines
 *	up to an empty line, and answers "action=DUNNO" and an empty line
 *	without looking at it. It keeps every connection open for as
 *	many requests as the client sends, as Postfix expects, and
 *	answers pipelined requests in order. It is the ceiling of the
 *	policy door in the benchmarks: what an MTA costs with a policy
 *	server that does nothing.
 *
 *	-p socket	unix:/path, inet:port@host or inet6:port@host
 *			(libmilter's spelling, so that the benchmark
 *			scripts name both kinds of server alike)
 *	-f		stay in the foreground (the default is to detach)
 *	-P pidfile	write the process id there
 *
 *	One thread per connection. A Unix socket is made with mode 0666
 *	(the MTA runs as another user; the socket's directory guards
 *	it); a stale socket file at the path is removed first.
 * DIAGNOSTICS
 *	Runs until killed. Exit status 64 on a usage error, 69 when the
 *	socket cannot be opened, 70 when accept fails for good, 71 when
 *	it cannot detach, 73 when the pid file cannot be written. A
 *	request longer than 64 KiB closes its connection.
 * THREADS
 *	Threads share nothing but the listening socket.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench/nooputil.h"

#define REQUEST_MAX	65536		/* bytes of one request */

static const char answer[] = "action=DUNNO\n\n";

/* usage - print the synopsis and exit 64 */
static void
usage(void)
{
	fprintf(stderr, "usage: noop-policy -p socket [-f] [-P pidfile]\n");
	exit(64);
}

/* write_all - write len bytes of buf to fd; 0, or -1 with errno */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t) n;
	}
	return (0);
}

/*
 * serve - answer the requests of one client until it closes, errs or
 * sends an oversized request; closes the descriptor. The argument is
 * the descriptor cast to a pointer.
 */
static void *
serve(void *arg)
{
	int     fd = (int) (intptr_t) arg;
	char    in[8192], out[sizeof(answer) * 64];
	size_t  reqlen = 0, done, i;
	int     at_line_start = 1;
	ssize_t n;

	for (;;) {
		if ((n = read(fd, in, sizeof(in))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/*
		 * An empty line ends a request. Every request complete in
		 * this read is answered by one write, in order: a client
		 * that pipelines gets all its answers at once.
		 */
		done = 0;
		for (i = 0; i < (size_t) n; i++) {
			if (in[i] == '\n' && at_line_start) {
				memcpy(out + done * (sizeof(answer) - 1), answer,
				    sizeof(answer) - 1);
				reqlen = 0;
				if (++done == sizeof(out) / sizeof(answer)) {
					if (write_all(fd, out,
					    done * (sizeof(answer) - 1)) < 0)
						goto out;
					done = 0;
				}
			} else if (++reqlen > REQUEST_MAX)
				goto out;
			at_line_start = (in[i] == '\n');
		}
		if (done > 0 &&
		    write_all(fd, out, done * (sizeof(answer) - 1)) < 0)
			break;
	}
out:
	(void) close(fd);
	return (NULL);
}

/* open_unix - listen on a Unix socket at path; the descriptor or -1 */
static int
open_unix(const char *path)
{
	struct sockaddr_un sun;
	mode_t  old;
	int     fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return (-1);
	(void) unlink(path);
	old = umask(0);
	rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
	(void) umask(old);
	if (rc < 0 || listen(fd, 512) < 0) {
		(void) close(fd);
		return (-1);
	}
	return (fd);
}

/* open_inet - listen on port@host of family; the descriptor or -1 */
static int
open_inet(const char *spec, int family)
{
	struct addrinfo hints, *res;
	char    port[32];
	const char *at;
	int     fd, one = 1;

	if ((at = strchr(spec, '@')) == NULL || at == spec ||
	    (size_t) (at - spec) >= sizeof(port)) {
		errno = EINVAL;
		return (-1);
	}
	memcpy(port, spec, (size_t) (at - spec));
	port[at - spec] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(at + 1, port, &hints, &res) != 0) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) < 0) {
		freeaddrinfo(res);
		return (-1);
	}
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 512) < 0) {
		freeaddrinfo(res);
		(void) close(fd);
		return (-1);
	}
	freeaddrinfo(res);
	return (fd);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *pidfile = NULL;
	pthread_attr_t attr;
	pthread_t tid;
	int     foreground = 0, ch, lfd, fd;

	while ((ch = getopt(argc, argv, "fp:P:")) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'p':
			sock = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (sock == NULL || optind != argc)
		usage();

	if (strncmp(sock, "unix:", 5) == 0)
		lfd = open_unix(sock + 5);
	else if (strncmp(sock, "inet:", 5) == 0)
		lfd = open_inet(sock + 5, AF_INET);
	else if (strncmp(sock, "inet6:", 6) == 0)
		lfd = open_inet(sock + 6, AF_INET6);
	else if (sock[0] == '/')
		lfd = open_unix(sock);
	else
		usage();
	if (lfd < 0) {
		fprintf(stderr, "noop-policy: cannot open %s: %s\n", sock,
		    strerror(errno));
		return (69);
	}
	(void) signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "noop-policy: daemon: %s\n", strerror(errno));
		return (71);
	}
	if (pidfile)
		noop_pidfile("noop-policy", pidfile);

	(void) pthread_attr_init(&attr);
	(void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void) pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE)
					(void) sleep(1);
				continue;
			}
			fprintf(stderr, "noop-policy: accept: %s\n",
			    strerror(errno));
			return (70);
		}
		if (pthread_create(&tid, &attr, serve,
		    (void *) (intptr_t) fd) != 0)
			(void) close(fd);
	}
}
