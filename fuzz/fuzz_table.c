/*
 * NAME
 *	fuzz_table - libFuzzer target for the access-table compiler
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	The input is Postfix access(5) text. The first byte chooses what
 *	is fuzzed: store_action_parse() on the rest as one value (even
 *	bytes), or store_compile() of the rest into an LMDB table in a
 *	scratch directory on /dev/shm (odd bytes). It checks:
 *
 *	1. store_action_parse(): a reject carries no code or a 5NN one, a
 *	   tempfail none or 4NN, an enhanced code of the same class, and
 *	   the free text points inside the value; a refusal says why.
 *	2. store_compile() returns 0 exactly when it reported no error,
 *	   1 with at least one, and never -1 (the scratch table is always
 *	   writable: -1 would be a compiler fault). Every diagnostic reads
 *	   "fuzz.txt:LINE: error|warning: ..." with LINE within the text.
 *	3. After a successful compile, every plain or IPv6 address key of
 *	   the text (IPv6 in its compressed form, IPv4-mapped as IPv4; not
 *	   CIDR keys or literals) is found by
 *	   store_lookup(STORE_EXACT), lowercased, with the value of its
 *	   first line, as access(5) reads the text: a line starting with
 *	   white space continues the logical line, and blank lines and
 *	   lines whose first non-blank is '#' are ignored (they do not end
 *	   a logical line either).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "store/store.h"

int     LLVMFuzzerInitialize(int *, char ***);
int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char scratch[64];
static char table_path[80];
static const char *cur_input;
static unsigned cur_lines;
static int n_errors;

/* fail - report a broken property and abort */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_table: property failed: %s\n  detail: %s\n"
	    "  input:\n%s\n", what, detail ? detail : "", cur_input);
	abort();
}

/* remove_scratch - at exit: the table, its lock file, the directory */
static void
remove_scratch(void)
{
	char    lock[sizeof(table_path) + 8];

	snprintf(lock, sizeof(lock), "%s-lock", table_path);
	(void) unlink(table_path);
	(void) unlink(lock);
	(void) rmdir(scratch);
}

/* LLVMFuzzerInitialize - a scratch directory in memory */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	strcpy(scratch, "/dev/shm/fuzz_table.XXXXXX");
	if (mkdtemp(scratch) == NULL) {
		perror("fuzz_table: mkdtemp");
		exit(1);
	}
	snprintf(table_path, sizeof(table_path), "%s/t.lmdb", scratch);
	atexit(remove_scratch);
	return (0);
}

/* on_diag - property 2 for one diagnostic */
static void
on_diag(void *arg, const char *msg)
{
	const char *p;
	char   *end;
	unsigned long line;

	(void) arg;
	if (strncmp(msg, "fuzz.txt:", 9) != 0)
		fail("diagnostic without the source name", msg);
	line = strtoul(msg + 9, &end, 10);
	if (end == msg + 9 || line < 1 || line > cur_lines + 1)
		fail("diagnostic line number out of range", msg);
	if (strncmp(end, ": error: ", 9) == 0)
		n_errors++;
	else if (strncmp(end, ": warning: ", 11) != 0)
		fail("diagnostic is neither error nor warning", msg);
	for (p = msg; *p; p++)
		if ((unsigned char) *p < 0x20 && *p != '\t')
			fail("control character in a diagnostic", msg);
}

/* check_action - property 1 */
static void
check_action(const char *value)
{
	enum store_action act;
	char    code[4] = "x", xcode[16] = "x", err[256] = "";
	const char *text = NULL;
	char    want = 0;

	if (store_action_parse(value, &act, code, xcode, &text, err,
		sizeof(err)) < 0) {
		if (err[0] == '\0')
			fail("action refused without a reason", value);
		return;
	}
	if (act == STORE_REJECT)
		want = '5';
	else if (act == STORE_TEMPFAIL)
		want = '4';
	if (want && code[0] != '\0' && (code[0] != want || strlen(code) != 3))
		fail("reply code does not fit the action", code);
	if (want && xcode[0] != '\0' && xcode[0] != want)
		fail("enhanced code does not fit the action", xcode);
	if ((act == STORE_REJECT || act == STORE_TEMPFAIL ||
		act == STORE_DISCARD) && (text == NULL || text < value ||
		text > value + strlen(value)))
		fail("free text outside the value", value);
}

/* next_line - [*s, *e) of the physical line at p; returns after it */
static const char *
next_line(const char *p, const char **e)
{
	*e = strchr(p, '\n');
	if (*e == NULL)
		*e = p + strlen(p);
	return (**e ? *e + 1 : *e);
}

/* blank_or_comment - access(5): nothing, or '#' first */
static int
blank_or_comment(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char) *s))
		s++;
	return (s == e || *s == '#');
}

/* check_keys - property 3 over the logical lines of text */
static void
check_keys(const char *text)
{
	struct store *st;
	struct store_error serr;
	char    err[256], val[STORE_VALUE_MAX], line[8192], key[STORE_KEY_MAX + 2];
	char    seen[64][STORE_KEY_MAX + 2];
	const char *p, *e, *q, *qe, *next, *v;
	size_t  n, k, nseen = 0, i;
	int     rc, dup;
	struct addr a;

	if (store_open(table_path, 0, &st, err, sizeof(err)) != 0)
		fail("cannot open the compiled table", err);
	for (p = text; *p; p = next) {
		next = next_line(p, &e);
		if (blank_or_comment(p, e) || isspace((unsigned char) *p))
			continue;
		/* The logical line: this one and its continuations, joined. */
		n = 0;
		for (q = p, qe = e;;) {
			while (q < qe && isspace((unsigned char) *q))
				q++;
			while (qe > q && isspace((unsigned char) qe[-1]))
				qe--;
			if (q < qe && *q != '#') {
				if (n > 0 && n < sizeof(line) - 1)
					line[n++] = ' ';
				for (; q < qe && n < sizeof(line) - 1; q++)
					line[n++] = *q;
			}
			/* Comment and blank lines do not end it (access(5)). */
			if (!*next)
				break;
			qe = strchr(next, '\n');
			if (!isspace((unsigned char) *next) &&
			    !blank_or_comment(next, qe ? qe : next + strlen(next)))
				break;
			q = next;
			next = next_line(q, &qe);
		}
		line[n] = '\0';
		if (n >= sizeof(line) - 1)
			return;
		k = strcspn(line, " \t\r");
		for (v = line + k; *v == ' ' || *v == '\t' || *v == '\r'; v++)
			;
		if (k == 0 || k > STORE_KEY_MAX || *v == '\0')
			continue;
		memcpy(key, line, k);
		key[k] = '\0';
		for (i = 0; i < k; i++)
			key[i] = (char) tolower((unsigned char) key[i]);
		/*
		 * An IPv6 address key is stored in its compressed form, an
		 * IPv4-mapped one as the IPv4 address (store_compile.c), and
		 * then collides with that key: first line wins.
		 */
		if (strchr(key, ':') != NULL && key[0] != '[' &&
		    strchr(key, '/') == NULL && addr_parse(key, &a) == 0)
			addr_format(&a, key, sizeof(key));
		else if (strpbrk(key, "/:[") != NULL)
			continue;
		/* The first line of a key wins. */
		for (i = dup = 0; i < nseen; i++)
			if (strcmp(seen[i], key) == 0)
				dup = 1;
		if (dup || nseen == 64)
			continue;
		strcpy(seen[nseen++], key);
		memset(&serr, 0, sizeof(serr));
		rc = store_lookup(st, STORE_EXACT, key, NULL, val, sizeof(val),
		    NULL, 0, &serr);
		if (rc < 0)
			fail("lookup error in a fresh table", serr.msg);
		if (rc == 0)
			fail("compiled key not found", key);
		if (strcmp(val, v) != 0)
			fail("compiled key has another value", key);
	}
	store_close(st);
}

/* LLVMFuzzerTestOneInput - one value or one table */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_compile_hooks hooks = {on_diag, NULL, NULL};
	struct store_compile_stats stats;
	char    err[256] = "";
	char   *text, *copy;
	size_t  len, i;
	int     rc;

	if (size == 0)
		return (0);
	len = size - 1;
	text = malloc(len + 1);
	copy = malloc(len + 1);
	if (text == NULL || copy == NULL)
		abort();
	memcpy(text, data + 1, len);
	text[len] = '\0';
	memcpy(copy, text, len + 1);
	cur_input = copy;

	if ((data[0] & 1) == 0) {
		check_action(text);
	} else {
		for (cur_lines = 0, i = 0; i < len; i++)
			cur_lines += text[i] == '\n';
		n_errors = 0;
		memset(&stats, 0, sizeof(stats));
		rc = store_compile("fuzz.txt", text, len, table_path, &hooks,
		    &stats, err, sizeof(err));
		if (rc < 0)
			fail("store_compile failed on a writable table", err);
		if (rc == 0 && n_errors != 0)
			fail("compile wrote a table despite errors", NULL);
		if (rc == 1 && (n_errors == 0 || stats.errors == 0))
			fail("compile refused the text without an error", NULL);
		/* Text with NUL bytes is refused or cut: keys are C strings. */
		if (rc == 0 && memchr(copy, '\0', len) == NULL)
			check_keys(copy);
	}
	free(text);
	free(copy);
	return (0);
}
