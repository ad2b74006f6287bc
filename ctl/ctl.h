#ifndef RG_CTL_H
#define RG_CTL_H

/*
 * ctl - relayguardctl subcommands
 *
 * Each ctl/cmd_NAME.c defines
 *
 *	int cmd_NAME(int argc, char **argv);	argv[0] is "NAME"
 *	const char cmd_NAME_usage[];		"NAME [-c conf] ARGS"
 *
 * and the Makefile lists them in commands.h; main.c dispatches. A
 * subcommand returns the process exit status (sysexits(3) values for
 * usage and configuration errors) and prints its own diagnostics as
 * "relayguardctl: NAME: message"; usage errors through ctl_usage().
 * The default paths are those of common/ctlproto.h.
 */
#include "common/ctlproto.h"

/* Exit statuses shared by the subcommands (sysexits.h values). */
#define CTL_EX_OK	0
#define CTL_EX_USAGE	64
#define CTL_EX_DATAERR	65
#define CTL_EX_NOINPUT	66
#define CTL_EX_SOFTWARE	70
#define CTL_EX_IOERR	74
#define CTL_EX_TEMPFAIL	75
#define CTL_EX_CONFIG	78

/*
 * ctl_usage - for a usage error of subcommand cmd: msg (when not NULL)
 * as "relayguardctl: CMD: msg", then its usage line, on stderr.
 * Returns CTL_EX_USAGE.
 */
extern int ctl_usage(const char *cmd, const char *msg);

#define CMD(n) \
	extern int cmd_##n(int, char **); \
	extern const char cmd_##n##_usage[];
#include "commands.h"
#undef CMD

#endif
