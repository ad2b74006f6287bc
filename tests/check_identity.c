/*
 * NAME
 *	check_identity - tests for rules/identity.c
 * DESCRIPTION
 *	Certificate names in the forms both MTAs pass, and the order of
 *	the identity's sources: auth, then a grant's user, then the
 *	certificate; a failed grant lookup is an error, not a stranger.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/identity.h"
#include "tests/check_scratch.h"
#include "tests/check_timeout.h"

Suite  *identity_suite(void);

static const struct {
	const char *subject, *cn;	/* cn NULL: none */
}       cns[] = {
	{"alice", "alice"},
	{"mail.example.com", "mail.example.com"},
	{"/C=US/O=Example/CN=alice@example.com", "alice@example.com"},
	{"/C=US/O=Example/CN=Alice Smith/emailAddress=a@example.com",
	"Alice Smith"},
	{"CN=bob,O=Example,C=US", "bob"},
	{"O=Example, CN=carol ", "carol"},
	{"/CN=ca/CN=leaf", "leaf"},
	{"/C=US/O=NoName", NULL},
	{"O=Example,C=US", NULL},
	{"/C=US/OCN=x", NULL},
	{"", NULL},
	{"bad\001name", NULL},
};

/* test_cert_cn - one subject */
START_TEST(test_cert_cn)
{
	char    out[IDENTITY_MAX];
	int     rc = identity_cert_cn(cns[_i].subject, out, sizeof(out));

	if (cns[_i].cn == NULL)
		ck_assert_msg(rc == 0, "%s: got %s", cns[_i].subject, out);
	else {
		ck_assert_msg(rc == 1, "%s: no CN", cns[_i].subject);
		ck_assert_str_eq(out, cns[_i].cn);
	}
}
END_TEST

/* test_derive - the sources in order */
START_TEST(test_derive)
{
	char    dir[256], path[300], err[256], out[IDENTITY_MAX];
	struct store *g[2];
	struct store_error e;
	struct identity_in in;
	enum identity_source src;
	struct addr a, b;

	scratch_make(dir, sizeof(dir), "ident");
	snprintf(path, sizeof(path), "%s/g.lmdb", dir);
	ck_assert_int_eq(store_open_write(path, 1, &g[1], err, sizeof(err)), 0);
	g[0] = NULL;
	ck_assert_int_eq(addr_parse("192.0.2.9", &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.10", &b), 0);
	ck_assert_int_eq(store_grant(g[1], &a, "pop-user", 2000, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_grant(g[1], &b, NULL, 2000, err, sizeof(err)),
	    0);

	memset(&in, 0, sizeof(in));
	in.grants = g;
	in.ngrants = 2;
	in.now = 1000;
	in.client = &a;
	in.cert_subject = "/CN=certname";
	in.auth = "sasl-user";
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 1);
	ck_assert_str_eq(out, "sasl-user");
	ck_assert_str_eq(identity_source_name(src), "auth");
	in.auth = "";
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 1);
	ck_assert_str_eq(out, "pop-user");
	ck_assert_str_eq(identity_source_name(src), "grant");
	in.now = 2000;			/* the grant has expired */
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 1);
	ck_assert_str_eq(out, "certname");
	ck_assert_str_eq(identity_source_name(src), "cert");
	in.now = 1000;
	in.client = &b;			/* a grant without a user */
	in.cert_subject = NULL;
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 0);
	ck_assert_ptr_null(identity_source_name(src));
	in.client = NULL;
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 0);
	store_close(g[1]);

	/* A table that cannot answer: an error, never a stranger. */
	snprintf(path, sizeof(path), "%s/b.lmdb", dir);
	ck_assert_int_eq(store_block_open(path, 1, &g[1], err, sizeof(err)),
	    0);
	in.client = &a;
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), -1);
	ck_assert_str_ne(e.msg, "");
	store_close(g[1]);
	scratch_remove(dir);
}
END_TEST

Suite  *
identity_suite(void)
{
	Suite  *s = suite_create("identity");
	TCase  *tc;

	tc = tcase_create("identity_cert_cn");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_cert_cn, 0, sizeof(cns) / sizeof(cns[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("identity_derive");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_test(tc, test_derive);
	suite_add_tcase(s, tc);
	return (s);
}
