#ifndef RG_CTL_CONTROL_CLIENT_H
#define RG_CTL_CONTROL_CLIENT_H

/*
 * control_client - relayguardctl's side of the daemon's control socket
 */
#include "common/strbuf.h"

#define CONTROL_DEFAULT_SOCKET	"unix:/run/relayguard/control.sock"
#define CONTROL_DEFAULT_PIDFILE	"/run/relayguard/relayguard.pid"

/* Exit status when the daemon cannot be reached (EX_UNAVAILABLE). */
#define CTL_EX_UNAVAILABLE	69

extern char *control_client_socket(const char *cmd, const char *conf,
	const char *sock, int *status);
extern int control_client_request(const char *spec, const char *request,
	struct strbuf *reply, char *err, size_t errlen);

#endif
