/*
 * NAME
 *	check_timeout - how long a Check test may run
 * SYNOPSIS
 *	#include "tests/check_timeout.h"
 *
 *	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
 * DESCRIPTION
 *	Every test case sets one of these right after tcase_create()
 *	(tests/integration/testsuite.test checks it). The figure is the
 *	limit for one test of the case (one loop iteration), in seconds,
 *	with room for a loaded 2-core machine: about ten times the worst
 *	seen under load. Check multiplies it by CK_TIMEOUT_MULTIPLIER,
 *	which make check sets to 2 under SANITIZE=1 and which a slower
 *	machine may raise further.
 *
 *	RG_TIMEOUT_FAST	computation only: well under a second idle
 *	RG_TIMEOUT_IO	files, LMDB and child processes: 1.5 s seen under
 *			load (store_compile, store_replace, store_map)
 *	RG_TIMEOUT_SLOW	threads and processes hammering one table:
 *			17.5 s seen for store_lookup:test_broken_in_place
 *			and 11.3 s for store_grant:test_concurrent_grants at
 *			a load average of 10 on 2 cores (Check's default of
 *			4 s failed them)
 *	RG_TIMEOUT_SCRIPT one integration script (check_integration.c):
 *			the longest take about two minutes idle
 *	RG_TIMEOUT_DEFAULT what check_main gives a test case that sets
 *			none (instead of Check's 4 s)
 */
#ifndef RG_CHECK_TIMEOUT_H
#define RG_CHECK_TIMEOUT_H

#define RG_TIMEOUT_FAST		30
#define RG_TIMEOUT_IO		60
#define RG_TIMEOUT_SLOW		240
#define RG_TIMEOUT_SCRIPT	900
#define RG_TIMEOUT_DEFAULT	60

#endif
