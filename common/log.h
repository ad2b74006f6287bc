#ifndef RG_LOG_H
#define RG_LOG_H

/*
 * log - logging for the programs (never called from rules/ or store/)
 *
 * log_open() chooses syslog (facility mail) or standard error. Levels
 * follow the configuration's log-level setting. Every function is safe
 * to call from several threads at once.
 */
#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#define RG_PRINTF(f, a)	__attribute__((format(printf, f, a)))

extern void log_open(const char *ident, int to_stderr, enum log_level);
extern void log_set_level(enum log_level);
extern enum log_level log_get_level(void);
extern int log_level_parse(const char *, enum log_level *);
extern void log_error(const char *, ...) RG_PRINTF(1, 2);
extern void log_warning(const char *, ...) RG_PRINTF(1, 2);
extern void log_info(const char *, ...) RG_PRINTF(1, 2);
extern void log_debug(const char *, ...) RG_PRINTF(1, 2);
extern void fatal(const char *, ...) RG_PRINTF(1, 2)
	__attribute__((noreturn));

#endif
