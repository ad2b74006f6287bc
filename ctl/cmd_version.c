/*
 * NAME
 *	cmd_version - relayguardctl version
 * SYNOPSIS
 *	relayguardctl version
 * DESCRIPTION
 *	Prints the program version (common/version.h), as
 *	"relayguardctl 0.1".
 */
#include <stdio.h>

#include "common/version.h"
#include "ctl/ctl.h"

const char cmd_version_usage[] = "version";

/* cmd_version - print the version */
int
cmd_version(int argc, char **argv)
{
	(void) argv;
	if (argc != 1) {
		return (ctl_usage("version", NULL));
	}
	printf("relayguardctl %s\n", RG_VERSION);
	return (CTL_EX_OK);
}
