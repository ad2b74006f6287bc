/*
 * NAME
 *	notify 3
 * SUMMARY
 *	service state for systemd (Type=notify)
 * SYNOPSIS
 *	#include "milter/notify.h"
 *
 *	void	notify_ready(const char *fmt, ...)
 *	void	notify_reloading(void)
 *	void	notify_stopping(void)
 * DESCRIPTION
 *	notify_ready() tells the service manager that the daemon is
 *	ready (READY=1), with a STATUS= line made from fmt; main.c calls
 *	it once the configuration is loaded and the milter socket is
 *	bound and listening, and live.c after every reload, accepted or
 *	refused (the daemon keeps running either way).
 *
 *	notify_reloading() sends RELOADING=1 when a reload starts;
 *	notify_stopping() sends STOPPING=1 when a stop signal arrives.
 *
 *	Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
 * DIAGNOSTICS
 *	None: a message the manager does not get changes nothing for
 *	mail, so errors of sd_notify(3) are ignored.
 * THREADS
 *	Safe: sd_notify() opens its own socket on every call.
 */
#include <stdarg.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "milter/notify.h"

/* notify_ready - READY=1 and a status line */
void
notify_ready(const char *fmt, ...)
{
	char    status[512];
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	(void) sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

/* notify_reloading - RELOADING=1 */
void
notify_reloading(void)
{
	(void) sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

/* notify_stopping - STOPPING=1 */
void
notify_stopping(void)
{
	(void) sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
