/*
 * NAME
 *	relayguardctl - relayguard administration tool
 * SYNOPSIS
 *	relayguardctl COMMAND [ARGS...]
 *	relayguardctl help
 * DESCRIPTION
 *	Dispatches to the subcommands listed in commands.h (one per
 *	ctl/cmd_*.c). See relayguardctl(8).
 * DIAGNOSTICS
 *	Exit status 64 for an unknown command; otherwise the subcommand's.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

struct command {
	const char *name;
	int     (*run) (int, char **);
	const char *usage;
};

static const struct command commands[] = {
#define CMD(n)	{ #n, cmd_##n, cmd_##n##_usage },
#include "commands.h"
#undef CMD
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* usage - list the subcommands */
static void
usage(FILE *fp)
{
	size_t  i;

	fprintf(fp, "usage: relayguardctl COMMAND [ARGS...]\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "       relayguardctl %s\n", commands[i].usage);
}

int
main(int argc, char **argv)
{
	size_t  i;

	if (argc < 2) {
		usage(stderr);
		return (CTL_EX_USAGE);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return (CTL_EX_OK);
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return (commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "relayguardctl: unknown command: %s\n", argv[1]);
	usage(stderr);
	return (CTL_EX_USAGE);
}
