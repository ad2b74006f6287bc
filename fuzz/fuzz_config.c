/*
 * NAME
 *	fuzz_config - libFuzzer target for the configuration parser
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Feeds arbitrary text to rules_load_string() and checks the
 *	contract of rules/rules.h, not only that nothing crashes:
 *
 *	1. It returns rules exactly when it reported no error.
 *	2. Every error line has the form "file:line:col: error: message"
 *	   (line and column 0 for an error about a whole file) and holds
 *	   no control character (errors reach terminals and logs).
 *	3. Loaded rules evaluate: every stage of a session with ordinary
 *	   facts gives a verdict whose reply code fits it (5NN for reject,
 *	   4NN for tempfail, none for a permit), an enhanced code of the
 *	   same class, and a reply text without control characters.
 *
 *	The parser opens the files a configuration names (include, list
 *	files, tables), so the text is named as a file in a scratch
 *	directory holding a few small files the fuzzer may name
 *	(inc.conf, list.txt, loop.conf), and inputs naming an absolute
 *	path or ".." are skipped: a fuzzer must not read /dev/zero.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"

int     LLVMFuzzerInitialize(int *, char ***);
int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fail - report a broken property and abort */
static void
fail(const char *what, const char *in, const char *detail)
{
	fprintf(stderr, "fuzz_config: property failed: %s\n  detail: %s\n"
	    "  input:\n%s\n", what, detail ? detail : "", in);
	abort();
}

static char scratch[64];
static char conf_name[96];

static const char *const files[][2] = {
	{"inc.conf", "list inc { 192.0.2.0/24 example.org }\n"},
	{"list.txt", "# a list file\n198.51.100.0/24\n2001:db8::/32\n"},
	{"loop.conf", "include \"loop.conf\"\n"},
};

#define NFILES	(sizeof(files) / sizeof(files[0]))

/* file_path - scratch/name */
static void
file_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch, name);
}

/* remove_scratch - at exit: the files and the directory */
static void
remove_scratch(void)
{
	char    path[128];
	size_t  i;

	for (i = 0; i < NFILES; i++) {
		file_path(path, sizeof(path), files[i][0]);
		(void) unlink(path);
	}
	(void) rmdir(scratch);
}

/* LLVMFuzzerInitialize - a scratch directory with a few files */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char    path[128];
	FILE   *fp;
	size_t  i;

	(void) argc;
	(void) argv;
	strcpy(scratch, "/tmp/fuzz_config.XXXXXX");
	if (mkdtemp(scratch) == NULL) {
		perror("fuzz_config: scratch directory");
		exit(1);
	}
	atexit(remove_scratch);
	for (i = 0; i < NFILES; i++) {
		file_path(path, sizeof(path), files[i][0]);
		if ((fp = fopen(path, "w")) == NULL ||
		    fputs(files[i][1], fp) == EOF || fclose(fp) != 0) {
			perror(path);
			exit(1);
		}
	}
	file_path(conf_name, sizeof(conf_name), "fuzz.conf");
	return (0);
}

/* has_control - a control character other than the line's newline? */
static int
has_control(const char *s, size_t len)
{
	size_t  i;

	for (i = 0; i < len; i++)
		if (((unsigned char) s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return (1);
	return (0);
}

/* check_errors - property 2 on each line of errs */
static void
check_errors(const char *errs, const char *in)
{
	const char *line, *nl, *p;
	char   *end;
	long    num;
	int     field;

	for (line = errs; *line; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			fail("error text does not end with a newline", in, line);
		if (has_control(line, (size_t) (nl - line)))
			fail("control character in an error line", in, line);
		/* file:line:col: error: - the file name may hold ':'. */
		p = strstr(line, ": error: ");
		if (p == NULL || p > nl)
			fail("error line without \": error: \"", in, line);
		for (field = 0; field < 2; field++) {
			while (p > line && p[-1] >= '0' && p[-1] <= '9')
				p--;
			num = strtol(p, &end, 10);
			if (num < 0 || (*end != ':'))
				fail("error line without file:line:col", in, line);
			if (p == line || p[-1] != ':')
				fail("error line without file:line:col", in, line);
			p--;
		}
		if (p == line)
			fail("error line without a file name", in, line);
	}
}

/* check_result - property 3 for one stage's answer */
static void
check_result(const struct rules_result *res, const char *in)
{
	char    want;
	size_t  len = strnlen(res->text, sizeof(res->text));

	if (len == sizeof(res->text))
		fail("reply text not terminated", in, NULL);
	if (has_control(res->text, len))
		fail("control character in a reply", in, res->text);
	switch (res->verdict) {
	case RULES_CONTINUE:
	case RULES_ACCEPT:
		if (res->code[0] != '\0')
			fail("reply code on a permit", in, res->code);
		return;
	case RULES_REJECT:
		want = '5';
		break;
	case RULES_TEMPFAIL:
		want = '4';
		break;
	case RULES_DISCARD:
		return;
	default:
		fail("verdict out of range", in, NULL);
		return;
	}
	if (res->code[0] != want || strlen(res->code) != 3 ||
	    strspn(res->code, "0123456789") != 3)
		fail("reply code does not fit the verdict", in, res->code);
	if (res->xcode[0] != want || res->xcode[1] != '.')
		fail("enhanced status code does not fit the verdict", in,
		    res->xcode);
}

/* LLVMFuzzerTestOneInput - load one configuration, evaluate it */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *rules;
	struct rules_session *sess;
	struct rules_result res;
	char   *in;
	int     stage;

	in = malloc(size + 1);
	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	if (strstr(in, "\"/") != NULL || strstr(in, "..") != NULL) {
		free(in);
		return (0);
	}

	rules = rules_load_string(conf_name, in, &errs);
	if (rules == NULL && errs.len == 0)
		fail("load failed without an error", in, NULL);
	if (rules != NULL && errs.len != 0)
		fail("load succeeded with errors", in, errs.s);
	if (errs.len != 0)
		check_errors(errs.s, in);

	if (rules != NULL) {
		if (rules_settings(rules) == NULL)
			fail("no settings", in, NULL);
		if ((sess = rules_session_new(rules, 0)) == NULL ||
		    rules_session_set(sess, RULES_FACT_CLIENT,
		    "203.0.113.9") != 0 ||
		    rules_session_set(sess, RULES_FACT_CLIENT_NAME,
		    "mail.example.org") != 0 ||
		    rules_session_set(sess, RULES_FACT_CLIENT_RESOLVE, "OK") ||
		    rules_session_set(sess, RULES_FACT_HELO,
		    "mail.example.org") != 0 ||
		    rules_session_set(sess, RULES_FACT_SENDER,
		    "<user@example.org>") != 0 ||
		    rules_session_set(sess, RULES_FACT_RCPT,
		    "<user%evil.example@example.com>") != 0)
			abort();
		for (stage = RULES_CONNECT; stage < RULES_NSTAGES; stage++) {
			memset(&res, 0, sizeof(res));
			rules_eval(sess, (enum rules_stage) stage, &res, NULL);
			check_result(&res, in);
		}
		rules_session_free(sess);
		rules_unref(rules);
	}
	strbuf_free(&errs);
	free(in);
	return (0);
}
