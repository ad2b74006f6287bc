/*
 * NAME
 *	relayguardctl - relayguard administration tool
 * SYNOPSIS
 *	relayguardctl COMMAND [ARGS...]
 *	relayguardctl COMMAND --help | -h
 *	relayguardctl help [COMMAND]
 *	relayguardctl --version | -V
 * DESCRIPTION
 *	Dispatches to the subcommands listed in commands.h (one per
 *	ctl/cmd_*.c). See relayguardctl(8).
 *
 *	"help COMMAND", and COMMAND with -h as its first argument or
 *	--help before any "--", print that command's usage on stdout
 *	instead of running it.
 * DIAGNOSTICS
 *	Exit status 64 for an unknown command; 0 for help; otherwise the
 *	subcommand's.
 */
#include <stdio.h>
#include <string.h>

#include "common/version.h"
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
	fprintf(fp, "       relayguardctl help [COMMAND]\n"
	    "       relayguardctl COMMAND --help\n");
}

/* find - the command named name, or NULL */
static const struct command *
find(const char *name)
{
	size_t  i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return (&commands[i]);
	return (NULL);
}

/* ctl_usage - a subcommand's usage error (see ctl.h) */
int
ctl_usage(const char *cmd, const char *msg)
{
	const struct command *c = find(cmd);

	if (msg != NULL)
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, msg);
	fprintf(stderr, "usage: relayguardctl %s\n", c ? c->usage : cmd);
	return (CTL_EX_USAGE);
}

/* command_help - one command's usage on stdout */
static int
command_help(const struct command *c)
{
	printf("usage: relayguardctl %s\n", c->usage);
	printf("See relayguardctl(8), section on \"%s\".\n", c->name);
	return (CTL_EX_OK);
}

/* wants_help - -h first, or --help before any "--" */
static int
wants_help(int argc, char **argv)
{
	int     i;

	if (argc > 2 && strcmp(argv[2], "-h") == 0)
		return (1);
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return (1);
	return (0);
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return (CTL_EX_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("relayguardctl %s\n", RG_VERSION);
		return (CTL_EX_OK);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		if (argc > 2) {
			if ((c = find(argv[2])) != NULL)
				return (command_help(c));
			fprintf(stderr, "relayguardctl: help: unknown command: "
			    "%s\n", argv[2]);
			usage(stderr);
			return (CTL_EX_USAGE);
		}
		usage(stdout);
		return (CTL_EX_OK);
	}
	if ((c = find(argv[1])) != NULL)
		return (wants_help(argc, argv) ? command_help(c) :
		    c->run(argc - 1, argv + 1));
	fprintf(stderr, "relayguardctl: unknown command: %s\n", argv[1]);
	usage(stderr);
	return (CTL_EX_USAGE);
}
