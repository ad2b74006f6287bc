/*
 * NAME
 *	field 3
 * SUMMARY
 *	white-space separated, maybe quoted, fields of a line
 * SYNOPSIS
 *	#include "common/field.h"
 *
 *	char	*field_next(char **cp, int *open)
 * DESCRIPTION
 *	The field syntax of the line formats the tools read: the sessions
 *	of "relayguardctl compare" and the scenarios of the milter
 *	benchmark. A field is a run of characters other than blank and
 *	tab; double quotes group blanks (and are removed), and inside
 *	them \" and \\ stand for " and \. The line is cut in place.
 * DIAGNOSTICS
 *	*open tells the caller of a quote left open; what it means is the
 *	caller's to say.
 */
#include <stddef.h>

#include "common/field.h"

/* field_next - cut the next field from *cp; NULL at the end */
char   *
field_next(char **cp, int *open)
{
	char   *s = *cp, *out, *start;
	int     quoted = 0;

	*open = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 0)
		return (NULL);
	start = out = s;
	for (; *s; s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\')) {
			*out++ = *++s;
			continue;
		}
		if (!quoted && (*s == ' ' || *s == '\t'))
			break;
		*out++ = *s;
	}
	*open = quoted;
	if (*s)
		s++;
	*out = 0;
	*cp = s;
	return (start);
}
