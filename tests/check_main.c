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
 *	Check's own environment variables select what runs:
 *	CK_RUN_SUITE=addr, CK_RUN_CASE=..., CK_EXCLUDE_SUITE=integration.
 * DIAGNOSTICS
 *	Exit status 0 when every test passed, 1 otherwise.
 */
#include <check.h>
#include <stdlib.h>

#define SUITE(n)	extern Suite *n##_suite(void);
#include "suites.h"
#undef SUITE

int
main(void)
{
	SRunner *sr;
	int     failed;

	sr = srunner_create(NULL);
#define SUITE(n)	srunner_add_suite(sr, n##_suite());
#include "suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
