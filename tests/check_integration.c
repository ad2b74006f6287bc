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
 *
 *	Nothing passes by not running. Without RG_INTEGRATION, every
 *	script the Makefile saw when it built this runner (scripts.h)
 *	must be found under $RG_TOP, or a test named after the missing
 *	one fails; with it, a substring that matches nothing fails.
 *
 *	Skips are counted, not hidden. A script that leaves out a part
 *	prints a line "SKIP: what: why" (lib.sh: rg_skip) and goes on;
 *	one that cannot run at all prints such a line and exits 77. Both
 *	pass, and every SKIP line is appended, with the script's name, to
 *	$RG_BUILD/tests/skipped, which check_main prints and counts after
 *	the summary. Skipping is for a part that this build makes
 *	redundant (the fuzzers and valgrind under SANITIZE=1), never for
 *	a missing dependency: a script fails when a tool mk/deps.sh
 *	installs is missing. RG_NO_SKIP=1 makes every skip a failure.
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
#include "tests/check_timeout.h"

Suite  *integration_suite(void);

#define RG_SKIP_STATUS	77		/* the script skipped itself */

/* Every tests/integration/NAME.test the Makefile saw at build time. */
static const char *const known[] = {
#define SCRIPT(n)	n,
#include "scripts.h"
#undef SCRIPT
	NULL
};

static glob_t scripts;
static size_t *selected;		/* indexes into scripts.gl_pathv */
static const char **missing;		/* known scripts the glob missed */
static const char *only;		/* RG_INTEGRATION */

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

/* record_skips - copy the script's SKIP lines to $RG_BUILD/tests/skipped */
static int
record_skips(const char *log, const char *name, const char *build)
{
	char    path[PATH_MAX], line[1024];
	FILE   *in, *out = NULL;
	int     n = 0;

	if ((in = fopen(log, "r")) == NULL)
		return (0);
	snprintf(path, sizeof(path), "%s/tests/skipped", build);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "SKIP: ", 6) != 0)
			continue;
		if (out == NULL && (out = fopen(path, "a")) == NULL)
			break;
		line[strcspn(line, "\n")] = '\0';
		fprintf(out, "%s: %s\n", name, line + 6);
		n++;
	}
	fclose(in);
	if (out != NULL)
		fclose(out);
	return (n);
}

START_TEST(test_script)
{
	const char *script = scripts.gl_pathv[selected[_i]];
	const char *build = getenv("RG_BUILD");
	char    dir[PATH_MAX], log[PATH_MAX];
	pid_t   pid;
	int     status, fd, skips;

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
	skips = record_skips(log, basename_of(script), build);
	if (WIFEXITED(status) && WEXITSTATUS(status) == RG_SKIP_STATUS) {
		ck_assert_msg(skips > 0, "%s exited %d (skipped) without a "
		    "\"SKIP: what: why\" line; log: %s", basename_of(script),
		    RG_SKIP_STATUS, log);
		status = 0;
	}
	if (skips > 0 && getenv("RG_NO_SKIP") != NULL &&
	    strcmp(getenv("RG_NO_SKIP"), "1") == 0) {
		fprintf(stderr, "integration: %s skipped parts and RG_NO_SKIP=1\n",
		    basename_of(script));
		ck_abort_msg("%s skipped %d part(s) (RG_NO_SKIP=1); log: %s",
		    basename_of(script), skips, log);
	}
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

/* test_missing - a script the runner was built with is not there */
START_TEST(test_missing)
{
	ck_abort_msg("%s: not found under $RG_TOP/tests/integration (RG_TOP=%s)",
	    missing[_i], getenv("RG_TOP") ? getenv("RG_TOP") : "(unset)");
}
END_TEST

/* test_none_selected - RG_INTEGRATION matches no script */
START_TEST(test_none_selected)
{
	ck_abort_msg("RG_INTEGRATION=%s matches no tests/integration/*.test",
	    only);
}
END_TEST

/* found - did the glob find the script NAME? */
static int
found(const char *name)
{
	size_t  i;

	for (i = 0; i < scripts.gl_pathc; i++)
		if (strcmp(basename_of(scripts.gl_pathv[i]), name) == 0)
			return (1);
	return (0);
}

Suite *
integration_suite(void)
{
	Suite  *s = suite_create("integration");
	TCase  *tc = tcase_create("scripts");
	const char *top = getenv("RG_TOP");
	char    pattern[PATH_MAX];
	size_t  i, n, nmissing = 0;

	/* Each script may take minutes on a loaded machine. */
	tcase_set_timeout(tc, RG_TIMEOUT_SCRIPT);
	only = getenv("RG_INTEGRATION");
	snprintf(pattern, sizeof(pattern), "%s/tests/integration/*.test",
	    top ? top : ".");
	if (glob(pattern, 0, NULL, &scripts) != 0)
		scripts.gl_pathc = 0;
	/* Keep only the selected scripts, in glob's sorted order. */
	selected = xcalloc(scripts.gl_pathc, sizeof(*selected));
	for (i = n = 0; i < scripts.gl_pathc; i++)
		if (only == NULL || strstr(basename_of(scripts.gl_pathv[i]), only))
			selected[n++] = i;
	tcase_add_loop_test(tc, test_script, 0, (int) n);
	missing = xcalloc(sizeof(known) / sizeof(known[0]), sizeof(*missing));
	if (only == NULL) {
		for (i = 0; known[i] != NULL; i++)
			if (!found(known[i]))
				missing[nmissing++] = known[i];
		tcase_add_loop_test(tc, test_missing, 0, (int) nmissing);
	} else if (n == 0)
		tcase_add_test(tc, test_none_selected);
	suite_add_tcase(s, tc);
	return (s);
}
