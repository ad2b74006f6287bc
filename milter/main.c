/*
 * NAME
 *	relayguard - relay-control milter (not built yet)
 * DESCRIPTION
 *	The daemon is being written; until then this program says so and
 *	exits, so that "make run" never pretends to filter mail.
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "relayguard: the milter daemon is not built yet; "
	    "nothing is listening\n");
	return (69);
}
