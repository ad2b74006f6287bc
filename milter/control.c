/*
 * NAME
 *	control 3
 * SUMMARY
 *	control socket: stats and reload for relayguardctl
 * SYNOPSIS
 *	#include "milter/control.h"
 *
 *	int	control_listen(const char *spec, uid_t uid, gid_t gid,
 *		char *err, size_t errlen)
 *	int	control_start(void)
 *	void	control_cleanup(void)
 *	const char *control_spec_path(const char *spec)
 * DESCRIPTION
 *	control_listen() binds the Unix socket named by spec
 *	("unix:/path" or "/path"; "" or "none" disables the socket),
 *	replacing a stale socket file, and gives it to uid:gid (-1: keep)
 *	with mode 0660. A socket another daemon answers on is left
 *	alone. It runs before the daemon drops privileges. Returns 0, or
 *	-1 with a message in err.
 *
 *	control_start() serves the socket from a thread of its own. One
 *	request per connection: a line "stats", "stats prometheus" or
 *	"reload". The answer is a status line, "ok" or "error MESSAGE",
 *	then the body (the counters; for a refused reload every error of
 *	the file, one per line), then the connection is closed. Only
 *	root and the daemon's own user may ask (SO_PEERCRED). The
 *	request and status lines are those of common/ctlproto.h.
 *
 *	control_cleanup() removes the socket file.
 *
 *	control_spec_path() is the file name in spec, or NULL when spec
 *	is not a Unix socket or disables the socket.
 * SECURITY
 *	Unix sockets only: a reload over the network is not a feature.
 * THREADS
 *	control_listen() and control_cleanup() run on the main thread,
 *	before control_start() and after the milter has stopped; they
 *	alone write control_fd and control_path. control_start() starts
 *	one detached thread that accepts and serves one client at a
 *	time, so requests never run concurrently with each other. They
 *	do run concurrently with libmilter's workers and the signal
 *	thread: the rules are taken with live_get() (a reference of
 *	their own, under live.c's mutex), the counters are atomics read
 *	by stats.c, and a reload goes through live_reload(), which
 *	serialises with a SIGUSR1 reload and swaps the rules under
 *	live.c's lock. Everything else a request uses (its line, its
 *	answer) is on that thread's stack.
 */
#define _GNU_SOURCE	/* struct ucred, accept4 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctlproto.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "milter/control.h"
#include "milter/live.h"
#include "milter/stats.h"

#define CONTROL_LINE_MAX	256

static int control_fd = -1;
static char control_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];

/* control_spec_path - the socket file named by spec, or NULL */
const char *
control_spec_path(const char *spec)
{
	if (spec == NULL || *spec == 0 || strcmp(spec, "none") == 0)
		return (NULL);
	return (ctlproto_socket_path(spec));
}

/* control_listen - bind the control socket */
int
control_listen(const char *spec, uid_t uid, gid_t gid, char *err,
	size_t errlen)
{
	struct sockaddr_un sun;
	const char *path;
	struct stat sb;
	int     fd;

	if (spec == NULL || *spec == 0 || strcmp(spec, "none") == 0)
		return (0);
	if ((path = control_spec_path(spec)) == NULL) {
		snprintf(err, errlen, "control socket %s: only unix:PATH is "
		    "supported", spec);
		return (-1);
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", spec);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and "
			    "is not a socket", path);
			return (-1);
		}
		/* A socket someone answers on belongs to another daemon. */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
		    connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
			close(fd);
			snprintf(err, errlen, "control socket %s: in use by "
			    "another daemon", path);
			return (-1);
		}
		if (fd >= 0)
			close(fd);
		(void) unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	if ((uid != (uid_t) -1 || gid != (gid_t) -1) &&
	    chown(path, uid, gid) < 0)
		log_warning("control socket %s: chown: %s", path,
		    strerror(errno));
	if (chmod(path, 0660) < 0)
		log_warning("control socket %s: chmod: %s", path,
		    strerror(errno));
	control_fd = fd;
	strcpy(control_path, path);
	return (0);
}

/* write_all - send a whole buffer; 0 or -1 */
static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		s += w;
		n -= (size_t) w;
	}
	return (0);
}

/* read_line - one request line, NUL-terminated without CR/LF; 0 or -1 */
static int
read_line(int fd, char *buf, size_t len)
{
	size_t  o = 0;
	ssize_t r;

	while (o + 1 < len) {
		if ((r = read(fd, buf + o, 1)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf[o] == '\n')
			break;
		o++;
	}
	buf[o] = 0;
	if (o > 0 && buf[o - 1] == '\r')
		buf[--o] = 0;
	return (o > 0 ? 0 : -1);
}

/* peer_allowed - root or our own user */
static int
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (0);
	return (cred.uid == 0 || cred.uid == geteuid());
}

/* answer - the status line of a */
static void
answer(struct strbuf *out, enum ctlproto_answer a)
{
	strbuf_puts(out, ctlproto_answer_line(a));
	strbuf_putc(out, '\n');
}

/* serve - answer one request */
static void
serve(int fd)
{
	struct strbuf out = STRBUF_INIT;
	struct strbuf errs = STRBUF_INIT;
	struct timeval tv = {5, 0};
	char    line[CONTROL_LINE_MAX];
	struct rules *r;

	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_allowed(fd)) {
		answer(&out, CTLPROTO_ERR_PERMISSION);
	} else if (read_line(fd, line, sizeof(line)) < 0) {
		answer(&out, CTLPROTO_ERR_EMPTY);
	} else {
		switch (ctlproto_request_parse(line)) {
		case CTLPROTO_STATS:
			r = live_get();
			answer(&out, CTLPROTO_OK);
			stats_format(live_stats(), r, &out);
			rules_unref(r);
			break;
		case CTLPROTO_STATS_PROMETHEUS:
			r = live_get();
			answer(&out, CTLPROTO_OK);
			stats_format_prometheus(live_stats(), r, &out);
			rules_unref(r);
			break;
		case CTLPROTO_RELOAD:
			if (live_reload("control socket", &errs) == 0)
				answer(&out, CTLPROTO_OK_RELOADED);
			else {
				answer(&out, CTLPROTO_ERR_CONFIG);
				strbuf_puts(&out, strbuf_str(&errs));
			}
			break;
		default:
			answer(&out, CTLPROTO_ERR_UNKNOWN);
			break;
		}
	}
	(void) write_all(fd, strbuf_str(&out), out.len);
	strbuf_free(&out);
	strbuf_free(&errs);
}

/* control_thread - accept and serve, one client at a time */
static void *
control_thread(void *arg)
{
	int     fd;

	(void) arg;
	for (;;) {
		if ((fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != ECONNABORTED) {
				log_warning("control socket: accept: %s",
				    strerror(errno));
				sleep(1);
			}
			continue;
		}
		serve(fd);
		close(fd);
	}
	return (NULL);
}

/* control_start - serve the socket from a thread */
int
control_start(void)
{
	pthread_t tid;

	if (control_fd < 0)
		return (0);
	if (pthread_create(&tid, NULL, control_thread, NULL) != 0)
		return (-1);
	(void) pthread_detach(tid);
	return (0);
}

/* control_cleanup - remove the socket file */
void
control_cleanup(void)
{
	if (control_fd >= 0 && control_path[0])
		(void) unlink(control_path);
}
