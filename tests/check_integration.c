/*
 * NAME
 *	check_integration - run the integration scripts under Check
 * SYNOPSIS
 *	Suite *integration_suite(void)
 * DESCRIPTION
 *	Every tests/integration/NAME.test is a shell script that exits 0
 *	when it passes. Each runs in its own loop iteration with the
 *	environment
 *
 *	RG_TOP		the source tree
 *	RG_BUILD	the build directory (binaries, logs)
 *	RG_SANITIZE	1 when the binaries are built with sanitizers
 *
 *	and its output goes to $RG_BUILD/tests/integration/NAME.log, whose
 *	last lines are printed when it fails. RG_INTEGRATION=substring
 *	runs only the scripts whose names contain it.
 * BUGS
 *	The scripts start real MTAs and need root; they say so and fail
 *	when run as another user.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"

Suite  *integration_suite(void);

static glob_t scripts;
static size_t *selected;		/* indexes into scripts.gl_pathv */

/* basename_of - the file name without its directory */
static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return (s ? s + 1 : path);
}

/* print_tail - copy the last lines of a log to stderr */
static void
print_tail(const char *log, int lines)
{
	char    cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "tail -n %d '%s' >&2", lines, log);
	if (system(cmd) != 0)
		fprintf(stderr, "(cannot read %s)\n", log);
}

START_TEST(test_script)
{
	const char *script = scripts.gl_pathv[selected[_i]];
	const char *build = getenv("RG_BUILD");
	char    dir[PATH_MAX], log[PATH_MAX];
	pid_t   pid;
	int     status, fd;

	ck_assert_msg(build != NULL, "RG_BUILD is not set: run via make check");
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/tests/integration",
		build), (int) sizeof(dir));
	ck_assert_int_lt(snprintf(log, sizeof(log), "%s/%s.log", dir,
		basename_of(script)), (int) sizeof(log));
	(void) mkdir(dir, 0755);
	fprintf(stderr, "integration: %s ...\n", basename_of(script));

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execl("/bin/sh", "sh", script, (char *) 0);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "integration: %s FAILED; last lines of %s:\n",
		    basename_of(script), log);
		print_tail(log, 40);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s failed (status %d); log: %s", basename_of(script),
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
}
END_TEST

Suite *
integration_suite(void)
{
	Suite  *s = suite_create("integration");
	TCase  *tc = tcase_create("scripts");
	const char *top = getenv("RG_TOP");
	const char *only = getenv("RG_INTEGRATION");
	char    pattern[PATH_MAX];
	size_t  i, n;

	snprintf(pattern, sizeof(pattern), "%s/tests/integration/*.test",
	    top ? top : ".");
	if (glob(pattern, 0, NULL, &scripts) != 0)
		scripts.gl_pathc = 0;
	/* Keep only the selected scripts, in glob's sorted order. */
	selected = xcalloc(scripts.gl_pathc, sizeof(*selected));
	for (i = n = 0; i < scripts.gl_pathc; i++)
		if (only == NULL || strstr(basename_of(scripts.gl_pathv[i]), only))
			selected[n++] = i;
	tcase_set_timeout(tc, 900);
	tcase_add_loop_test(tc, test_script, 0, (int) n);
	suite_add_tcase(s, tc);
	return (s);
}
