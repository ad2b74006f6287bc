/*
 * NAME
 *	check_identity - tests for rules/identity.c
 * DESCRIPTION
 *	Certificate names in the forms both MTAs pass, and the order of
 *	the identity's sources: auth, then a grant's user, then the
 *	certificate; a failed grant lookup is an error, not a stranger.
 *	The certificate map (cert-identity): fingerprint, subject, then
 *	CN; a certificate not in it names nobody; a map that cannot be
 *	read is an error; the setting's own errors.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "rules/identity.h"
#include "rules/rules.h"
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

static const char certs_text[] =
	"AA:BB:CC                         alice\n"
	"/C=US/O=Example/CN=bob.example   bob\n"
	"carol.example                    carol, other\n";

/* certs - compile the certificate map into dir; its path in path */
static void
certs(const char *dir, char *path, size_t len)
{
	char    err[256], *text = strdup(certs_text);

	snprintf(path, len, "%s/certs.lmdb", dir);
	ck_assert_int_eq(store_compile_values("certs", text, strlen(text),
	    path, STORE_VALUES_OWNERS, NULL, NULL, err, sizeof(err)), 0);
	free(text);
}

static const struct {
	const char *label, *fp, *subject;
	int     want;
	const char *id;
}       maps[] = {
	{"fingerprint, any case", "aa:bb:cc", "/CN=zed", 1, "alice"},
	{"whole subject", "11:22", "/C=US/O=Example/CN=bob.example", 1, "bob"},
	{"the CN, first owner", NULL, "/C=US/O=Other/CN=carol.example", 1,
	"carol"},
	{"Postfix passes the CN alone", NULL, "carol.example", 1, "carol"},
	{"not in the map: no identity, not the CN", "11:22", "/CN=dave", 0,
	""},
	{"no certificate", NULL, NULL, 0, ""},
};

/* test_cert_map - hit by fingerprint, subject or CN; a miss is none */
START_TEST(test_cert_map)
{
	char    dir[256], path[300], out[IDENTITY_MAX];
	struct identity_in in;
	enum identity_source src;
	struct store_error e;
	struct store *m;
	char    err[256];

	scratch_make(dir, sizeof(dir), "certmap");
	certs(dir, path, sizeof(path));
	ck_assert_int_eq(store_open(path, 0, &m, err, sizeof(err)), 0);
	memset(&in, 0, sizeof(in));
	in.cert_mapped = 1;
	in.cert_map = m;
	in.cert_fp = maps[_i].fp;
	in.cert_subject = maps[_i].subject;
	ck_assert_msg(identity_derive(&in, out, sizeof(out), &src, &e) ==
	    maps[_i].want, "%s", maps[_i].label);
	ck_assert_str_eq(out, maps[_i].id);
	if (maps[_i].want)
		ck_assert_int_eq(src, IDENTITY_CERT);
	/* A SASL login still comes first. */
	in.auth = "sasl-user";
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 1);
	ck_assert_str_eq(out, "sasl-user");
	store_close(m);
	scratch_remove(dir);
}
END_TEST

/* test_cert_map_error - a map that cannot answer is an error */
START_TEST(test_cert_map_error)
{
	char    out[IDENTITY_MAX];
	struct identity_in in;
	enum identity_source src;
	struct store_error e;

	memset(&in, 0, sizeof(in));
	in.cert_mapped = 1;		/* configured, not open */
	in.cert_subject = "/CN=carol.example";
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "cert-identity"));
	/* with nothing to look up, nothing fails */
	in.cert_subject = NULL;
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 0);
	in.auth = "alice";
	in.cert_subject = "/CN=carol.example";
	ck_assert_int_eq(identity_derive(&in, out, sizeof(out), &src, &e), 1);
}
END_TEST

/* session_id - the identity of a session with these cert facts */
static int
session_id(struct rules *r, const char *fp, const char *subject,
	const char *verify, char *out, size_t len)
{
	struct rules_session *s = rules_session_new(r, 0);
	struct rules_result res;
	const char *source;
	struct addr a;
	int     rc;

	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);
	rules_session_set_client(s, &a);
	rules_eval(s, RULES_CONNECT, &res, NULL);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CERT_FINGERPRINT, fp),
	    0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CERT_SUBJECT,
	    subject), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_VERIFY, verify), 0);
	out[0] = '\0';
	rc = rules_identity(s, RULES_RCPT, out, len, &source);
	rules_session_free(s);
	return (rc);
}

/* test_cert_setting - cert-identity in a configuration */
START_TEST(test_cert_setting)
{
	struct strbuf errs = STRBUF_INIT, conf = STRBUF_INIT;
	char    dir[256], path[300], out[IDENTITY_MAX];
	struct rules *r;

	scratch_make(dir, sizeof(dir), "certset");
	certs(dir, path, sizeof(path));
	strbuf_printf(&conf, "cert-identity <certs>\n"
	    "table certs \"%s\"\n"
	    "rcpt {\n permit identity-source = cert\n}\n", path);
	r = rules_load_string("cert.conf", strbuf_str(&conf), &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	ck_assert_int_eq(session_id(r, "AA:BB:CC", "/CN=x", NULL, out,
	    sizeof(out)), 1);
	ck_assert_str_eq(out, "alice");
	ck_assert_int_eq(session_id(r, "AA:BB:CC", "/CN=x", "OK", out,
	    sizeof(out)), 1);
	/* a certificate the MTA could not verify names nobody */
	ck_assert_int_eq(session_id(r, "AA:BB:CC", "/CN=x", "FAIL", out,
	    sizeof(out)), 0);
	ck_assert_int_eq(session_id(r, NULL, "/CN=dave", NULL, out,
	    sizeof(out)), 0);
	rules_unref(r);
	/* the table gone: the identity cannot be known */
	ck_assert_int_eq(unlink(path), 0);
	r = rules_load_string("cert.conf", strbuf_str(&conf), &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	ck_assert_int_eq(session_id(r, NULL, "/CN=dave", NULL, out,
	    sizeof(out)), -1);
	rules_unref(r);
	strbuf_free(&conf);
	strbuf_free(&errs);
	scratch_remove(dir);
}
END_TEST

static const struct {
	const char *conf, *want;
}       bad_settings[] = {
	{"cert-identity <nosuch>\n", "unknown table <nosuch>"},
	{"cert-identity certs\n", "a table <name> after cert-identity"},
	{"list l { a }\ncert-identity <l>\n", "not the list <l>"},
	{"table g dynamic \"/nonexistent/g.lmdb\"\ncert-identity <g>\n",
	"<g> is dynamic"},
};

/* test_cert_setting_errors - what cert-identity refuses */
START_TEST(test_cert_setting_errors)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("bad.conf", bad_settings[_i].conf,
	    &errs);

	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(strbuf_str(&errs), bad_settings[_i].want) != NULL,
	    "want \"%s\" in: %s", bad_settings[_i].want, strbuf_str(&errs));
	strbuf_free(&errs);
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
	tcase_add_loop_test(tc, test_cert_map, 0, sizeof(maps) /
	    sizeof(maps[0]));
	tcase_add_test(tc, test_cert_map_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("cert-identity");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_test(tc, test_cert_setting);
	tcase_add_loop_test(tc, test_cert_setting_errors, 0,
	    sizeof(bad_settings) / sizeof(bad_settings[0]));
	suite_add_tcase(s, tc);
	return (s);
}
