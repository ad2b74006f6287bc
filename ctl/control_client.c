/*
 * NAME
 *	control_client 3
 * SUMMARY
 *	ask the running daemon over its control socket
 * SYNOPSIS
 *	#include "ctl/control_client.h"
 *
 *	char	*control_client_socket(const char *cmd, const char *conf,
 *		const char *sock, int *status)
 *	int	control_client_request(const char *spec, const char *request,
 *		struct strbuf *reply, char *err, size_t errlen)
 * DESCRIPTION
 *	control_client_socket() decides which socket to use: sock when
 *	given (--socket), else the configuration's "control" setting
 *	(conf, or the default file when it exists), else the default
 *	unix:/run/relayguard/control.sock. A configuration that does not
 *	load is reported on stderr as "relayguardctl: CMD: ..." with
 *	*status set to 78 and NULL returned. The result is the caller's
 *	to free.
 *
 *	control_client_request() sends one request line and reads the
 *	whole answer into reply (see milter/control.c for the protocol).
 *	Returns 0 when the daemon answered "ok", 1 when it answered
 *	"error ..." (the status line and the body are in reply), -1 when
 *	it could not be reached (the reason in err).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "rules/rules.h"

/* control_client_socket - the control socket to talk to */
char *
control_client_socket(const char *cmd, const char *conf, const char *sock,
	int *status)
{
	struct strbuf errs = STRBUF_INIT;
	const struct rules_settings *set;
	struct rules *r;
	char   *res;

	*status = 0;
	if (sock != NULL)
		return (xstrdup(sock));
	if (conf == NULL && access(CTL_DEFAULT_CONF, F_OK) == 0)
		conf = CTL_DEFAULT_CONF;
	if (conf == NULL)
		return (xstrdup(CONTROL_DEFAULT_SOCKET));
	if ((r = rules_load(conf, &errs)) == NULL) {
		fputs(strbuf_str(&errs), stderr);
		fprintf(stderr, "relayguardctl: %s: %s: configuration error; "
		    "use --socket\n", cmd, conf);
		strbuf_free(&errs);
		*status = CTL_EX_CONFIG;
		return (NULL);
	}
	set = rules_settings(r);
	res = xstrdup(set && set->control ? set->control :
	    CONTROL_DEFAULT_SOCKET);
	rules_unref(r);
	strbuf_free(&errs);
	return (res);
}

/* control_client_request - one request, the whole answer */
int
control_client_request(const char *spec, const char *request,
	struct strbuf *reply, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = {60, 0};
	const char *path = spec;
	char    buf[4096];
	ssize_t n;
	int     fd;

	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: not a unix:/path control socket",
		    spec);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	(void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(buf, sizeof(buf), "%s\n", request);
	if (write(fd, buf, strlen(buf)) != (ssize_t) strlen(buf)) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_append(reply, buf, (size_t) n);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		return (-1);
	}
	if (reply->len == 0) {
		snprintf(err, errlen, "%s: the daemon closed the connection "
		    "without an answer", path);
		return (-1);
	}
	if (strncmp(strbuf_str(reply), "ok", 2) == 0 &&
	    (reply->s[2] == '\n' || reply->s[2] == ' '))
		return (0);
	return (1);
}
