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
 *
 *	Every test has a timeout (tests/check_timeout.h): a test case
 *	that sets none gets RG_TIMEOUT_DEFAULT seconds instead of Check's
 *	4 (CK_DEFAULT_TIMEOUT still overrides it), and Check multiplies
 *	every timeout by CK_TIMEOUT_MULTIPLIER for slow builds and busy
 *	machines.
 *
 *	The output ends with Check's summary and then a line
 *	"Skipped: N" followed by what was skipped and why
 *	($RG_BUILD/tests/skipped, written by check_integration.c): a
 *	green run with "Skipped: 0" ran everything.
 * DIAGNOSTICS
 *	Exit status 0 when every test passed, 1 otherwise; a selection
 *	(CK_RUN_SUITE, CK_RUN_CASE, CK_EXCLUDE_SUITE) that runs no test at
 *	all is a failure too.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_timeout.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

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

/* skips_path - $RG_BUILD/tests/skipped into buf, or NULL without RG_BUILD */
static const char *
skips_path(char *buf, size_t len)
{
	const char *build = getenv("RG_BUILD");

	if (build == NULL || *build == '\0' ||
	    snprintf(buf, len, "%s/tests/skipped", build) >= (int) len)
		return (NULL);
	return (buf);
}

/* print_skips - "Skipped: N" and the skipped parts, after the summary */
static void
print_skips(const char *path)
{
	char    line[1200];
	FILE   *fp;
	int     n = 0;

	if (path != NULL && (fp = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			n++;
		rewind(fp);
		printf("Skipped: %d\n", n);
		while (fgets(line, sizeof(line), fp) != NULL)
			printf("  skipped: %s", line);
		fclose(fp);
		return;
	}
	printf("Skipped: 0\n");
}

int
main(void)
{
	SRunner *sr;
	char    path[PATH_MAX];
	const char *skips;
	int     failed, ran;

	/* Before the suites make their test cases, which read it. */
	(void) setenv("CK_DEFAULT_TIMEOUT", STR(RG_TIMEOUT_DEFAULT), 0);
	if ((skips = skips_path(path, sizeof(path))) != NULL)
		(void) unlink(skips);

	sr = srunner_create(NULL);
#define SUITE(n)	if (!excluded(#n)) srunner_add_suite(sr, n##_suite());
#include "suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	ran = srunner_ntests_run(sr);
	srunner_free(sr);
	print_skips(skips);
	fflush(stdout);
	if (ran == 0) {
		fprintf(stderr, "check_relayguard: no test ran: CK_RUN_SUITE, "
		    "CK_RUN_CASE or CK_EXCLUDE_SUITE selects nothing\n");
		return (EXIT_FAILURE);
	}
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
