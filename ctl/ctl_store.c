/*
 * NAME
 *	ctl_store - helpers shared by the table and grant subcommands
 * SYNOPSIS
 *	#include "ctl/ctl_store.h"
 *
 *	const char *ctl_table_path(cmd, conf, table, dynamic)
 *	int ctl_parse_ttl(text, seconds)
 * DESCRIPTION
 *	See ctl_store.h.
 * BUGS
 *	XXX Table names given with -c conf need the configuration parser
 *	of rules/: until it is wired in, TABLE must be a path (anything
 *	with a '/', or a file that exists), and -c is refused for names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl_store.h"

/* ctl_table_path - resolve a table argument (see ctl_store.h) */
const char *
ctl_table_path(const char *cmd, const char *conf, const char *table,
	int dynamic)
{
	if (table == NULL) {
		if (conf == NULL && dynamic)
			return (CTL_DEFAULT_GRANTS);
		fprintf(stderr, "relayguardctl: %s: no table given\n", cmd);
		return (NULL);
	}
	if (conf == NULL || strchr(table, '/') != NULL ||
	    access(table, F_OK) == 0)
		return (table);
	fprintf(stderr, "relayguardctl: %s: %s: table names from a "
	    "configuration file are not supported yet; give the table's "
	    "path\n", cmd, table);
	return (NULL);
}

/* ctl_parse_ttl - parse a duration (see ctl_store.h) */
int
ctl_parse_ttl(const char *s, time_t *out)
{
	char   *end;
	long long n;
	long long mult = 1;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case 0:
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return (-1);
	}
	if (*end != 0 && end[1] != 0)
		return (-1);
	if (n <= 0 || n > 10LL * 366 * 86400 / mult)
		return (-1);
	*out = (time_t) (n * mult);
	return (0);
}
