/*
 * NAME
 *	check_rules_tables - tables and files the rules read
 * DESCRIPTION
 *	A table that cannot be opened fails every lookup as a temporary
 *	failure, flagged as the first one once; include and list files
 *	are found relative to the file that names them.
 */
#include <check.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_rules_util.h"

/* The first failure of a table is flagged once, then not. */
START_TEST(test_error_first)
{
	struct rules_session *s = rules_session_new(rt_rules(C_MISSING), 0);
	struct rt_facts f;
	struct rules_result res;
	struct addr a;
	int     firsts = 0, k;

	rt_facts_init(&f);
	ck_assert_int_eq(addr_parse("11.0.0.1", &a), 0);
	f.client = &a;
	f.rcpt = "<x@far.example>";
	for (k = 0; k < 3; k++) {
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_TEMPFAIL);
		ck_assert_int_eq(res.lookup_error, 1);
		firsts += res.error_first;
	}
	ck_assert_int_le(firsts, 1);
	rules_session_free(s);
}
END_TEST

/* rules_load from files: include and list files relative to the file. */
START_TEST(test_load_files)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	char    path[512], sub[512];
	FILE   *fp;

	snprintf(sub, sizeof(sub), "%s/conf.d", rt_tmpdir());
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/conf.d/nets.list", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("# office networks\n192.0.2.0/24\n\n  198.51.100.7   # one host\n",
	    fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/conf.d/rules.inc", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("permit client in <offices>\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/conf.d/lists.inc", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("list offices file \"nets.list\"\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/main.conf", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("include \"conf.d/lists.inc\"\nrcpt {\n"
	    "    include \"conf.d/rules.inc\"\n    reject\n}\n", fp);
	fclose(fp);
	r = rules_load(path, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	{
		struct rules_session *s = rules_session_new(r, 0);
		struct rt_facts f;
		struct rules_result res;
		struct addr a;
		char    want[600];

		rt_facts_init(&f);
		ck_assert_int_eq(addr_parse("198.51.100.7", &a), 0);
		f.client = &a;
		f.rcpt = "<x@far.example>";
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_CONTINUE);
		snprintf(want, sizeof(want), "%s/conf.d/rules.inc:1", rt_tmpdir());
		ck_assert_str_eq(res.rule, want);
		ck_assert_int_eq(addr_parse("198.51.100.8", &a), 0);
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_REJECT);
		rules_session_free(s);
	}
	rules_unref(r);
	strbuf_free(&errs);
}

/*
 * rules_load_flags(RULES_LOAD_NO_TABLES): the table's name and path
 * are there, no table is opened, and a lookup fails closed.
 */
START_TEST(test_load_no_tables)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r[2];
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	const char *name, *tpath;
	struct addr a;
	char    path[512], want[512];
	FILE   *fp;
	int     dyn, k;

	snprintf(path, sizeof(path), "%s/no-tables.conf", rt_tmpdir());
	snprintf(want, sizeof(want), "%s/client.lmdb", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "table clients \"%s\"\nrcpt {\n"
	    "    permit client in <clients>\n    reject\n}\n", want);
	fclose(fp);
	r[0] = rules_load_flags(path, 0, &errs);
	r[1] = rules_load_flags(path, RULES_LOAD_NO_TABLES, &errs);
	ck_assert_msg(r[0] != NULL && r[1] != NULL, "%s", strbuf_str(&errs));
	ck_assert_int_eq(rules_table_info(r[1], 0, &name, &tpath, &dyn), 0);
	ck_assert_str_eq(name, "clients");
	ck_assert_str_eq(tpath, want);
	ck_assert_int_eq(dyn, 0);
	ck_assert_int_eq(addr_parse("192.0.2.7", &a), 0);
	for (k = 0; k < 2; k++) {
		rt_facts_init(&f);
		f.client = &a;
		f.rcpt = "<x@far.example>";
		s = rules_session_new(r[k], 0);
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, k == 0 ? RULES_CONTINUE :
		    RULES_TEMPFAIL);
		ck_assert_int_eq(res.lookup_error, k);
		rules_session_free(s);
		rules_unref(r[k]);
	}
	strbuf_free(&errs);
}
END_TEST

/*
 * rules_load_flags(RULES_LOAD_NO_LISTS): list files are not read (a
 * missing one is no error), the lists are empty, the settings are
 * there; without the flag the same file is read.
 */
START_TEST(test_load_no_lists)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	struct addr a;
	char    path[512], list[512];
	FILE   *fp;
	int     k;

	snprintf(path, sizeof(path), "%s/no-lists.conf", rt_tmpdir());
	snprintf(list, sizeof(list), "%s/no-lists.cidr", rt_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "blocks \"/x/blocks.lmdb\"\nlist nets file \"%s\"\n"
	    "rcpt {\n    permit client in <nets>\n    reject\n}\n", list);
	fclose(fp);
	(void) unlink(list);
	ck_assert_ptr_null(rules_load_flags(path, 0, &errs));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&errs), "cannot read list file"));
	strbuf_free(&errs);
	ck_assert_ptr_nonnull(r = rules_load_flags(path, RULES_LOAD_NO_LISTS,
	    &errs));
	rules_unref(r);

	ck_assert_ptr_nonnull(fp = fopen(list, "w"));
	fprintf(fp, "192.0.2.0/24\n");
	fclose(fp);
	ck_assert_int_eq(addr_parse("192.0.2.7", &a), 0);
	for (k = 0; k < 2; k++) {
		r = rules_load_flags(path, k ? RULES_LOAD_NO_LISTS : 0, &errs);
		ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
		ck_assert_str_eq(rules_settings(r)->blocks, "/x/blocks.lmdb");
		rt_facts_init(&f);
		f.client = &a;
		f.rcpt = "<x@far.example>";
		s = rules_session_new(r, 0);
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		/* read: the client is in the list; not read: it is empty */
		ck_assert_int_eq(res.verdict, k ? RULES_REJECT : RULES_CONTINUE);
		rules_session_free(s);
		rules_unref(r);
	}
	strbuf_free(&errs);
}
END_TEST

/* rules_tables_tests - a missing table, include and list files */
void
rules_tables_tests(TCase *tc)
{
	tcase_add_test(tc, test_error_first);
	tcase_add_test(tc, test_load_files);
	tcase_add_test(tc, test_load_no_tables);
	tcase_add_test(tc, test_load_no_lists);
}
