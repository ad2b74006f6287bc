/*
 * NAME
 *	check_scratch - scratch directories for the table tests
 * SYNOPSIS
 *	#include "tests/check_scratch.h"
 *
 *	void scratch_make(dir, len, tag)
 *	void scratch_remove(dir)
 * DESCRIPTION
 *	Under $TMPDIR (default /tmp); both fail the running test when the
 *	directory cannot be made or removed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/check_scratch.h"

/* scratch_make - a fresh directory */
void
scratch_make(char *dir, size_t len, const char *tag)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, len, "%s/rg%s.XXXXXX", t ? t : "/tmp", tag);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* scratch_remove - the directory and its files */
void
scratch_remove(const char *dir)
{
	char    cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
