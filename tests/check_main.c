/*
 * NAME
 *	check_main - run every relayguard test suite
 * SYNOPSIS
 *	check_relayguard
 * DESCRIPTION
 *	Runs the suites listed in suites.h, which the Makefile makes from
 *	the names of tests/check_*.c: check_foo.c exports foo_suite().
 *	All suites share one runner, so the last line is one summary.
 *
 *	Check's environment variables select what runs: CK_RUN_SUITE=addr,
 *	CK_RUN_CASE=... (Check's own), and CK_EXCLUDE_SUITE=integration (a
 *	space- or comma-separated list, applied here: the Check 0.15.2 of
 *	Debian 12 does not honour it).
 * DIAGNOSTICS
 *	Exit status 0 when every test passed, 1 otherwise.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#define SUITE(n)	extern Suite *n##_suite(void);
#include "suites.h"
#undef SUITE

/* excluded - is the suite named in CK_EXCLUDE_SUITE? */
static int
excluded(const char *name)
{
	const char *x = getenv("CK_EXCLUDE_SUITE");
	size_t  n = strlen(name), len;

	while (x != NULL && *x != '\0') {
		x += strspn(x, " ,");
		len = strcspn(x, " ,");
		if (len == n && strncmp(x, name, n) == 0)
			return (1);
		x += len;
	}
	return (0);
}

int
main(void)
{
	SRunner *sr;
	int     failed;

	sr = srunner_create(NULL);
#define SUITE(n)	if (!excluded(#n)) srunner_add_suite(sr, n##_suite());
#include "suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
