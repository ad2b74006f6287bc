/*
 * NAME
 *	control_client 3
 * SUMMARY
 *	ask the running daemon over its control socket
 * SYNOPSIS
 *	#include "ctl/control_client.h"
 *
 *	int	ctl_socket_ask(const char *path, const char *line,
 *		struct strbuf *reply, char *err, size_t errlen)
 *	enum ctl_ask ctl_control_ask_line(const char *cmd,
 *		const char *conf, const char *sock, const char *line,
 *		struct strbuf *reply, enum ctlproto_answer *answer,
 *		char *err, size_t errlen)
 *	enum ctl_ask ctl_control_ask(const char *cmd, const char *conf,
 *		const char *sock, enum ctlproto_request req,
 *		struct strbuf *reply, enum ctlproto_answer *answer,
 *		char *err, size_t errlen)
 * DESCRIPTION
 *	ctl_socket_ask() is the one exchange every subcommand that talks
 *	to a socket makes: connect, one request line, the whole answer,
 *	each step bounded by CTL_SOCKET_TIMEOUT seconds.
 *
 *	ctl_control_ask() picks the daemon's control socket and asks it
 *	one request of common/ctlproto.h (see milter/control.c for the
 *	protocol); ctl_control_ask_line() one request line with
 *	arguments.
 * DIAGNOSTICS
 *	See control_client.h. Only a configuration that does not load is
 *	printed here; every other failure is the caller's to report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "rules/rules.h"

/* ctl_socket_ask - one request line, the whole answer */
int
ctl_socket_ask(const char *path, const char *line, struct strbuf *reply,
	char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = {CTL_SOCKET_TIMEOUT, 0};
	struct strbuf req = STRBUF_INIT;
	char    buf[4096];
	ssize_t n;
	int     fd, ret = -1;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	/* Before connect(): a full backlog blocks it for SO_SNDTIMEO. */
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	strbuf_printf(&req, "%s\n", line);
	if (write(fd, req.s, req.len) != (ssize_t) req.len) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_append(reply, buf, (size_t) n);
	if (n < 0) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(fd);
	strbuf_free(&req);
	return (ret);
}

/* control_socket - the control socket to talk to; NULL: printed error */
static char *
control_socket(const char *cmd, const char *conf, const char *sock)
{
	struct strbuf errs = STRBUF_INIT;
	const struct rules_settings *set;
	struct rules *r;
	char   *res;

	if (sock != NULL)
		return (xstrdup(sock));
	if (conf == NULL && access(RG_DEFAULT_CONF, F_OK) == 0)
		conf = RG_DEFAULT_CONF;
	if (conf == NULL)
		return (xstrdup(RG_DEFAULT_CONTROL));
	if ((r = rules_load_flags(conf,
	    RULES_LOAD_NO_TABLES | RULES_LOAD_NO_LISTS, &errs)) == NULL) {
		fputs(strbuf_str(&errs), stderr);
		fprintf(stderr, "relayguardctl: %s: %s: configuration error; "
		    "use --socket\n", cmd, conf);
		strbuf_free(&errs);
		return (NULL);
	}
	set = rules_settings(r);
	res = xstrdup(set && set->control ? set->control : RG_DEFAULT_CONTROL);
	rules_unref(r);
	strbuf_free(&errs);
	return (res);
}

/* ctl_control_ask_line - one request line to the daemon, the whole answer */
enum ctl_ask
ctl_control_ask_line(const char *cmd, const char *conf, const char *sock,
	const char *line, struct strbuf *reply, enum ctlproto_answer *answer,
	char *err, size_t errlen)
{
	const char *path;
	enum ctl_ask ret = CTL_ASK_UNREACHABLE;
	char   *spec;

	*answer = CTLPROTO_ANSWER_OTHER;
	if ((spec = control_socket(cmd, conf, sock)) == NULL)
		return (CTL_ASK_CONFIG);
	if ((path = ctlproto_socket_path(spec)) == NULL || *path != '/')
		snprintf(err, errlen, "%s: not a unix:/path control socket",
		    spec);
	else if (ctl_socket_ask(path, line, reply, err, errlen) == 0) {
		if (reply->len == 0)
			snprintf(err, errlen, "%s: the daemon closed the "
			    "connection without an answer", path);
		else {
			*answer = ctlproto_answer_parse(strbuf_str(reply));
			ret = ctlproto_answer_ok(*answer) ? CTL_ASK_OK :
			    CTL_ASK_REFUSED;
		}
	}
	free(spec);
	return (ret);
}

/* ctl_control_ask - one request to the daemon, the whole answer */
enum ctl_ask
ctl_control_ask(const char *cmd, const char *conf, const char *sock,
	enum ctlproto_request req, struct strbuf *reply,
	enum ctlproto_answer *answer, char *err, size_t errlen)
{
	return (ctl_control_ask_line(cmd, conf, sock,
	    ctlproto_request_line(req), reply, answer, err, errlen));
}
