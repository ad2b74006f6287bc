/*
 * NAME
 *	log 3
 * SUMMARY
 *	logging to syslog or standard error
 * SYNOPSIS
 *	#include "common/log.h"
 *
 *	void	log_open(const char *ident, int to_stderr, enum log_level level)
 *	void	log_set_level(enum log_level level)
 *	int	log_level_parse(const char *name, enum log_level *level)
 *	void	log_error(const char *fmt, ...)
 *	void	log_warning(const char *fmt, ...)
 *	void	log_info(const char *fmt, ...)
 *	void	log_debug(const char *fmt, ...)
 *	void	fatal(const char *fmt, ...)
 * DESCRIPTION
 *	log_open() sends messages to syslog with facility LOG_MAIL, or to
 *	standard error as "ident[pid]: level: message". Before log_open()
 *	messages go to standard error. Messages above the level are
 *	dropped. fatal() logs an error and exits with status 1; it is for
 *	start-up only, never for anything a client or a reload can cause.
 * THREADS
 *	Safe: one write(2)-sized fprintf per message, level read
 *	atomically.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_ident = "relayguard";
static int log_stderr = 1;
static atomic_int log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int level_prio[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

/* log_open - choose where messages go */
void
log_open(const char *ident, int to_stderr, enum log_level level)
{
	log_ident = ident;
	log_stderr = to_stderr;
	atomic_store(&log_level, level);
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_set_level - change the level, e.g. after a reload */
void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

/* log_get_level - the current level */
enum log_level
log_get_level(void)
{
	return ((enum log_level) atomic_load(&log_level));
}

/* log_level_parse - map a level name to its value; 0 or -1 */
int
log_level_parse(const char *name, enum log_level *level)
{
	size_t  i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level) i;
			return (0);
		}
	}
	return (-1);
}

/* log_vmsg - format and send one message */
static void __attribute__((format(printf, 2, 0)))
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char    buf[2048];

	if ((int) level > atomic_load(&log_level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_stderr)
		fprintf(stderr, "%s[%ld]: %s: %s\n", log_ident, (long) getpid(),
		    level_names[level], buf);
	else
		syslog(level_prio[level], "%s: %s", level_names[level], buf);
}

#define LOG_FN(name, level) \
void \
name(const char *fmt, ...) \
{ \
	va_list ap; \
 \
	va_start(ap, fmt); \
	log_vmsg(level, fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warning, LOG_LEVEL_WARNING)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

/* fatal - log an error and exit; start-up only */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
