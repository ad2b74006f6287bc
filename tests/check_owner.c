/*
 * NAME
 *	check_owner - tests for rules/owner.c (Postfix sender login maps)
 * DESCRIPTION
 *	Each case is one decision of one of Postfix's four restrictions
 *	over the login map below, with the answer Postfix's smtpd gives
 *	and the key that must have been found. A second table checks the
 *	owner list splitting on its own.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "rules/owner.h"
#include "tests/check_timeout.h"

Suite  *owner_suite(void);

/* The login map, as Postfix text would hold it (keys lowercased). */
static const struct {
	const char *key, *owners;
}       map[] = {
	{"alice@example.com", "alice"},
	{"bob@example.com", "bob, Robert"},
	{"shared@example.com", "alice bob,carol"},
	{"@corp.example", "corp-admin"},
	{"carol@corp.example", "carol"},
	{"erin", "erin"},		/* local part: local domains only */
	{"dan+list@example.com", "dan-lists"},
	{"dan@example.com", "dan"},
	{"owner-x@example.com", "ox"},
	{"x-request@example.com", "xr"},
	{"postmaster@example.com", "pm"},
	{"mailer@example.com", "m"},
	{"tab@example.com", "\tpadded\t, ,other "},
	{"nobody@example.com", ""},
	{"Zed@example.com", "zed"},	/* never found: keys are lowercase */
};

/* map_lookup - the test map; "fail" keys are lookup errors */
static int
map_lookup(void *arg, const char *key, char *val, size_t vallen, char *err,
	size_t errlen)
{
	size_t  i;

	(void) arg;
	if (strstr(key, "fail") != NULL) {
		snprintf(err, errlen, "table unavailable");
		return (-1);
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].key, key) == 0) {
			snprintf(val, vallen, "%s", map[i].owners);
			return (1);
		}
	return (0);
}

/* map_local - local.test is ours */
static int
map_local(void *arg, const char *domain)
{
	(void) arg;
	return (strcmp(domain, "local.test") == 0);
}

#define MIS	OWNER_MISMATCH
#define AUT	OWNER_AUTHENTICATED
#define KNO	OWNER_KNOWN
#define UNA	OWNER_UNAUTHENTICATED
#define PASS	OWNER_PASS
#define NOWN	OWNER_NOT_OWNED
#define NLOG	OWNER_NOT_LOGGED_IN
#define ERR	OWNER_ERROR

static const struct {
	const char *label;
	enum owner_mode mode;
	const char *sender;
	const char *identity;		/* NULL: not logged in */
	const char *delims;
	enum owner_verdict want;
	const char *found;		/* key found; NULL: not checked */
}       cases[] = {
	/* reject_sender_login_mismatch */
	{"mis owner", MIS, "<alice@example.com>", "alice", "+", PASS, "alice@example.com"},
	{"mis other login", MIS, "<alice@example.com>", "bob", "+", NOWN, "alice@example.com"},
	{"mis unlisted logged in", MIS, "<who@else.example>", "alice", "+", NOWN, ""},
	{"mis listed not logged in", MIS, "<alice@example.com>", NULL, "+", NLOG, "alice@example.com"},
	{"mis unlisted not logged in", MIS, "<who@else.example>", NULL, "+", PASS, ""},
	{"mis empty login is none", MIS, "<alice@example.com>", "", "+", NLOG, NULL},
	{"mis null sender logged in", MIS, "<>", "bob", "+", PASS, ""},
	{"mis null sender stranger", MIS, "<>", NULL, "+", PASS, ""},
	{"mis lookup error", MIS, "<fail@example.com>", "alice", "+", ERR, NULL},
	{"mis lookup error stranger", MIS, "<fail@example.com>", NULL, "+", ERR, NULL},

	/* reject_authenticated_sender_login_mismatch */
	{"auth owner", AUT, "<bob@example.com>", "bob", "+", PASS, "bob@example.com"},
	{"auth second owner", AUT, "<bob@example.com>", "robert", "+", PASS, NULL},
	{"auth not owner", AUT, "<bob@example.com>", "alice", "+", NOWN, NULL},
	{"auth unlisted", AUT, "<who@else.example>", "alice", "+", NOWN, ""},
	{"auth stranger listed", AUT, "<alice@example.com>", NULL, "+", PASS, ""},
	{"auth stranger unlisted", AUT, "<who@else.example>", NULL, "+", PASS, ""},
	{"auth null sender", AUT, "<>", "alice", "+", PASS, ""},
	{"auth lookup error", AUT, "<fail@example.com>", "alice", "+", ERR, NULL},
	{"auth error not looked up for stranger", AUT, "<fail@example.com>", NULL, "+", PASS, NULL},

	/* reject_known_sender_login_mismatch */
	{"known owner", KNO, "<alice@example.com>", "alice", "+", PASS, NULL},
	{"known not owner", KNO, "<alice@example.com>", "bob", "+", NOWN, NULL},
	{"known unlisted passes", KNO, "<who@else.example>", "bob", "+", PASS, ""},
	{"known stranger listed", KNO, "<alice@example.com>", NULL, "+", NLOG, NULL},
	{"known stranger unlisted", KNO, "<who@else.example>", NULL, "+", PASS, ""},
	{"known null sender", KNO, "<>", NULL, "+", PASS, ""},
	{"known lookup error", KNO, "<fail@example.com>", "bob", "+", ERR, NULL},

	/* reject_unauthenticated_sender_login_mismatch */
	{"unauth stranger listed", UNA, "<alice@example.com>", NULL, "+", NLOG, NULL},
	{"unauth stranger unlisted", UNA, "<who@else.example>", NULL, "+", PASS, ""},
	{"unauth logged in not owner", UNA, "<alice@example.com>", "bob", "+", PASS, ""},
	{"unauth null sender", UNA, "<>", NULL, "+", PASS, ""},
	{"unauth lookup error", UNA, "<fail@example.com>", NULL, "+", ERR, NULL},
	{"unauth error not looked up logged in", UNA, "<fail@example.com>", "x", "+", PASS, NULL},

	/* Address extensions. */
	{"ext stripped", MIS, "<alice+tag@example.com>", "alice", "+", PASS, "alice@example.com"},
	{"ext stripped other login", MIS, "<alice+tag@example.com>", "bob", "+", NOWN, "alice@example.com"},
	{"ext full key first", MIS, "<dan+list@example.com>", "dan-lists", "+", PASS, "dan+list@example.com"},
	{"ext full key wins over base", MIS, "<dan+list@example.com>", "dan", "+", NOWN, "dan+list@example.com"},
	{"ext other tag uses base", MIS, "<dan+misc@example.com>", "dan", "+", PASS, "dan@example.com"},
	{"ext without delimiter set", MIS, "<alice+tag@example.com>", "alice", NULL, NOWN, ""},
	{"ext with other delimiter", MIS, "<alice-tag@example.com>", "alice", "+-", PASS, "alice@example.com"},
	{"ext dash not a delimiter", MIS, "<alice-tag@example.com>", "alice", "+", NOWN, ""},
	{"ext leading delimiter kept", MIS, "<+alice@example.com>", "alice", "+", NOWN, ""},
	{"ext owner- not split", MIS, "<owner-x@example.com>", "ox", "-", PASS, "owner-x@example.com"},
	{"ext owner- unlisted not split", MIS, "<owner-y@example.com>", NULL, "-", PASS, ""},
	{"ext -request not split", MIS, "<x-request@example.com>", "xr", "-", PASS, "x-request@example.com"},
	{"ext postmaster+x split", MIS, "<postmaster+x@example.com>", "pm", "+", PASS, "postmaster@example.com"},
	{"ext mailer-daemon not split", MIS, "<mailer-daemon@example.com>", "m", "-", NOWN, ""},
	{"ext mailer-x split", MIS, "<mailer-x@example.com>", "m", "-", PASS, "mailer@example.com"},
	{"ext stranger with tag", MIS, "<alice+tag@example.com>", NULL, "+", NLOG, "alice@example.com"},

	/* @domain entries. */
	{"at-domain owner", MIS, "<anyone@corp.example>", "corp-admin", "+", PASS, "@corp.example"},
	{"at-domain other", MIS, "<anyone@corp.example>", "carol", "+", NOWN, "@corp.example"},
	{"at-domain after address", MIS, "<carol@corp.example>", "carol", "+", PASS, "carol@corp.example"},
	{"at-domain address shadows", MIS, "<carol@corp.example>", "corp-admin", "+", NOWN, "carol@corp.example"},
	{"at-domain stranger", MIS, "<anyone@corp.example>", NULL, "+", NLOG, "@corp.example"},
	{"at-domain no subdomains", MIS, "<a@sub.corp.example>", NULL, "+", PASS, ""},

	/* Local domains: the local part alone. */
	{"local part for local domain", MIS, "<erin@local.test>", "erin", "+", PASS, "erin"},
	{"local part with extension", MIS, "<erin+x@local.test>", "erin", "+", PASS, "erin"},
	{"local part not for other domain", MIS, "<erin@else.example>", "erin", "+", NOWN, ""},
	{"local part stranger", MIS, "<erin@local.test>", NULL, "+", NLOG, "erin"},
	{"unqualified sender", MIS, "<erin>", "erin", "+", PASS, "erin"},

	/* Several owners, separators, case. */
	{"owners first", MIS, "<shared@example.com>", "alice", "+", PASS, NULL},
	{"owners middle", MIS, "<shared@example.com>", "bob", "+", PASS, NULL},
	{"owners last", MIS, "<shared@example.com>", "carol", "+", PASS, NULL},
	{"owners none", MIS, "<shared@example.com>", "dave", "+", NOWN, NULL},
	{"owners prefix is not owner", MIS, "<shared@example.com>", "ali", "+", NOWN, NULL},
	{"owners tabs and empty fields", MIS, "<tab@example.com>", "other", "+", PASS, NULL},
	{"owners padded", MIS, "<tab@example.com>", "padded", "+", PASS, NULL},
	{"owners empty list", MIS, "<nobody@example.com>", "nobody", "+", NOWN, "nobody@example.com"},
	{"case login", MIS, "<alice@example.com>", "ALICE", "+", PASS, NULL},
	{"case owner", MIS, "<bob@example.com>", "ROBERT", "+", PASS, NULL},
	{"case sender", MIS, "<Alice@EXAMPLE.com>", "alice", "+", PASS, "alice@example.com"},
	{"case sender key lowercased", MIS, "<Zed@example.com>", "zed", "+", NOWN, ""},

	/* Forms of the argument. */
	{"no brackets", MIS, "alice@example.com", "alice", "+", PASS, NULL},
	{"esmtp parameters", MIS, "<alice@example.com> SIZE=100", "bob", "+", NOWN, "alice@example.com"},
	{"trailing dot", MIS, "<alice@example.com.>", "alice", "+", PASS, "alice@example.com"},
	{"malformed logged in", MIS, "<alice@exa\001mple.com>", "alice", "+", NOWN, NULL},
	{"malformed stranger", MIS, "<alice@exa\001mple.com>", NULL, "+", NLOG, NULL},
	{"absent sender", MIS, NULL, "alice", "+", PASS, ""},
};

/* test_owner_check - one decision */
START_TEST(test_owner_check)
{
	struct owner_map m;
	char    found[256], err[256];
	enum owner_verdict v;

	m.lookup = map_lookup;
	m.is_local = map_local;
	m.delims = cases[_i].delims;
	m.arg = NULL;
	v = owner_check(cases[_i].mode, cases[_i].sender, cases[_i].identity,
	    &m, found, sizeof(found), err, sizeof(err));
	ck_assert_msg(v == cases[_i].want, "%s: got %d, want %d",
	    cases[_i].label, (int) v, (int) cases[_i].want);
	if (v == OWNER_ERROR)
		ck_assert_str_eq(err, "table unavailable");
	else if (cases[_i].found != NULL)
		ck_assert_msg(strcmp(found, cases[_i].found) == 0,
		    "%s: found \"%s\", want \"%s\"", cases[_i].label, found,
		    cases[_i].found);
}
END_TEST

static const struct {
	const char *owners, *identity;
	int     want;
}       lists[] = {
	{"a", "a", 1},
	{"a,b", "b", 1},
	{"a, b", "B", 1},
	{" a b ", "a", 1},
	{"ab", "a", 0},
	{"a", "ab", 0},
	{"", "a", 0},
	{",,, ", "a", 0},
	{"a\tb\nc", "c", 1},
	{"user@example.com", "USER@example.com", 1},
};

/* test_owner_listed - splitting the owner list */
START_TEST(test_owner_listed)
{
	ck_assert_int_eq(owner_listed(lists[_i].owners, lists[_i].identity),
	    lists[_i].want);
}
END_TEST

/* test_owner_no_local - without is_local no local-part key is tried */
START_TEST(test_owner_no_local)
{
	struct owner_map m = {map_lookup, NULL, "+", NULL};

	ck_assert_int_eq(owner_check(OWNER_MISMATCH, "<erin@local.test>",
	    "erin", &m, NULL, 0, NULL, 0), OWNER_NOT_OWNED);
	ck_assert_int_eq(owner_check(OWNER_MISMATCH, "<erin@local.test>",
	    NULL, &m, NULL, 0, NULL, 0), OWNER_PASS);
	ck_assert_str_eq(owner_mode_name(OWNER_KNOWN), "known");
}
END_TEST

Suite  *
owner_suite(void)
{
	Suite  *s = suite_create("owner");
	TCase  *tc;

	tc = tcase_create("owner_check");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_owner_check, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_owner_no_local);
	suite_add_tcase(s, tc);
	tc = tcase_create("owner_listed");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_owner_listed, 0,
	    sizeof(lists) / sizeof(lists[0]));
	suite_add_tcase(s, tc);
	return (s);
}
