#ifndef RG_CTL_CONTROL_CLIENT_H
#define RG_CTL_CONTROL_CLIENT_H

/*
 * control_client - relayguardctl's side of the daemon's control socket
 * (and the one way the subcommands talk to a socket)
 */
#include "common/ctlproto.h"
#include "common/strbuf.h"

/* Exit status when the daemon cannot be reached (EX_UNAVAILABLE). */
#define CTL_EX_UNAVAILABLE	69

/* Seconds a subcommand waits for a socket: to connect, send, read. */
#define CTL_SOCKET_TIMEOUT	60

/*
 * ctl_socket_ask - connect to the Unix socket path, send line and a
 * newline, and read everything the peer writes until it closes into
 * reply; each step waits at most CTL_SOCKET_TIMEOUT seconds. Returns
 * 0, or -1 with "PATH: reason" in err.
 */
extern int ctl_socket_ask(const char *path, const char *line,
	struct strbuf *reply, char *err, size_t errlen);

/* What ctl_control_ask() got. */
enum ctl_ask {
	CTL_ASK_OK,			/* an "ok" answer */
	CTL_ASK_REFUSED,		/* an "error" answer, or one unknown */
	CTL_ASK_UNREACHABLE,		/* no answer; the reason in err */
	CTL_ASK_CONFIG,			/* the configuration did not load */
};

/*
 * ctl_control_ask - one request to the running daemon. The socket is
 * sock when given (--socket), else the "control" setting of conf (or
 * of the default file when it exists), else RG_DEFAULT_CONTROL. A
 * configuration that does not load is reported on stderr as
 * "relayguardctl: CMD: ..." (CTL_ASK_CONFIG). The answer, status line
 * and body, is appended to reply; *answer says which status line it
 * was (CTLPROTO_ANSWER_OTHER when there was none).
 */
extern enum ctl_ask ctl_control_ask(const char *cmd, const char *conf,
	const char *sock, enum ctlproto_request req, struct strbuf *reply,
	enum ctlproto_answer *answer, char *err, size_t errlen);

#endif
