/*
 * NAME
 *	check_block - tests for store/store_block.c and the grant user
 * DESCRIPTION
 *	Blocks made, found ignoring case, ended by time, removed and
 *	listed; a blocks table and a grants table refuse each other's
 *	calls; a grant's user is read back and every grant of one user is
 *	revoked at once (what a block does to the grants).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "store/store.h"
#include "tests/check_scratch.h"
#include "tests/check_timeout.h"

Suite  *block_suite(void);

static char dir[256];

/* setup, teardown - a fresh scratch directory for each test */
static void
setup(void)
{
	scratch_make(dir, sizeof(dir), "block");
}

static void
teardown(void)
{
	scratch_remove(dir);
}

/* open_blocks - the blocks table of the scratch directory */
static struct store *
open_blocks(int writable)
{
	struct store *s;
	char    path[300], err[256];

	snprintf(path, sizeof(path), "%s/blocks.lmdb", dir);
	ck_assert_msg(store_block_open(path, writable, &s, err,
	    sizeof(err)) == 0, "%s", err);
	return (s);
}

/* count_one - store_block_list() callback */
static int
count_one(const struct store_block_info *b, void *arg)
{
	int    *n = arg;

	ck_assert_str_ne(b->identity, "");
	(*n)++;
	return (0);
}

/* test_block_cycle - add, find, remove */
START_TEST(test_block_cycle)
{
	struct store *s = open_blocks(1);
	struct store_block_info b;
	struct store_error e;
	char    err[256];
	int     n = 0;

	ck_assert_int_eq(store_block_find(s, "alice", 1000, &b, &e), 0);
	ck_assert_int_eq(store_block_add(s, "Alice@Example.com", 1000, 0,
	    "password\nleaked", err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(s, "alice@example.COM", 5000, &b,
	    &e), 1);
	ck_assert_str_eq(b.identity, "alice@example.com");
	ck_assert_str_eq(b.reason, "password leaked");
	ck_assert_int_eq(b.since, 1000);
	ck_assert_int_eq(b.expiry, 0);
	ck_assert_int_eq(store_block_find(s, "bob", 5000, NULL, &e), 0);
	ck_assert_int_eq(store_block_find(s, NULL, 5000, NULL, &e), 0);

	/* A block with an end ends. */
	ck_assert_int_eq(store_block_add(s, "bob", 1000, 2000, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(s, "bob", 1999, NULL, &e), 1);
	ck_assert_int_eq(store_block_find(s, "bob", 2000, &b, &e), 0);
	ck_assert_int_eq(b.expiry, 2000);

	ck_assert_int_eq(store_block_list(s, count_one, &n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_block_remove(s, "ALICE@example.com", err,
	    sizeof(err)), 1);
	ck_assert_int_eq(store_block_remove(s, "alice@example.com", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(s, "alice@example.com", 5000, NULL,
	    &e), 0);
	ck_assert_int_eq(store_block_add(s, "", 1, 0, "x", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(store_block_add(s, "a\tb", 1, 0, "x", err,
	    sizeof(err)), -1);
	store_close(s);
}
END_TEST

/* test_block_missing - a reader before the first block sees none */
START_TEST(test_block_missing)
{
	struct store *s = open_blocks(0);
	struct store_error e;

	ck_assert_int_eq(store_block_find(s, "alice", 1, NULL, &e), 0);
	store_close(s);
}
END_TEST

/* test_block_kinds - a blocks table is no grants table and back */
START_TEST(test_block_kinds)
{
	struct store *s = open_blocks(1), *g;
	struct store_error e;
	struct addr a;
	char    path[300], err[256];

	ck_assert_int_eq(store_block_add(s, "alice", 1, 0, "x", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);
	ck_assert_int_eq(store_grant_match(s, &a, 1, &e), -1);
	store_close(s);
	snprintf(path, sizeof(path), "%s/grants.lmdb", dir);
	ck_assert_int_eq(store_open_write(path, 1, &g, err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(g, "alice", 1, NULL, &e), -1);
	store_close(g);
	ck_assert_int_eq(store_block_open(path, 0, &g, err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(g, "alice", 1, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "dynamic table, not a blocks one") !=
	    NULL, "%s", e.msg);
	store_close(g);
}
END_TEST

/* test_grant_user - a grant's user, and revoking a user's grants */
START_TEST(test_grant_user)
{
	struct store *g;
	struct store_grant_info gi;
	struct store_error e;
	struct addr a1, a2, a3;
	char    path[300], err[256];
	size_t  removed = 99;

	snprintf(path, sizeof(path), "%s/grants.lmdb", dir);
	ck_assert_int_eq(store_open_write(path, 1, &g, err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.1", &a1), 0);
	ck_assert_int_eq(addr_parse("192.0.2.2", &a2), 0);
	ck_assert_int_eq(addr_parse("2001:db8::3", &a3), 0);
	ck_assert_int_eq(store_grant(g, &a1, "alice", 100, err, sizeof(err)),
	    0);
	ck_assert_int_eq(store_grant(g, &a2, "Alice", 100, err, sizeof(err)),
	    0);
	ck_assert_int_eq(store_grant(g, &a3, "bob", 100, err, sizeof(err)), 0);
	ck_assert_int_eq(store_grant_find(g, &a2, 50, &gi, &e), 1);
	ck_assert_str_eq(gi.user, "Alice");
	ck_assert_str_eq(gi.addr, "192.0.2.2");
	ck_assert_int_eq(store_grant_find(g, &a2, 100, &gi, &e), 0);
	ck_assert_int_eq(store_revoke_user(g, "ALICE", &removed, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(removed, 2);
	ck_assert_int_eq(store_grant_match(g, &a1, 50, &e), 0);
	ck_assert_int_eq(store_grant_match(g, &a2, 50, &e), 0);
	ck_assert_int_eq(store_grant_find(g, &a3, 50, &gi, &e), 1);
	ck_assert_str_eq(gi.user, "bob");
	ck_assert_int_eq(store_revoke_user(g, "", &removed, err, sizeof(err)),
	    -1);
	store_close(g);
}
END_TEST

Suite  *
block_suite(void)
{
	Suite  *s = suite_create("block");
	TCase  *tc;

	tc = tcase_create("store_block");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_block_cycle);
	tcase_add_test(tc, test_block_missing);
	tcase_add_test(tc, test_block_kinds);
	suite_add_tcase(s, tc);
	tc = tcase_create("store_grant_user");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_grant_user);
	suite_add_tcase(s, tc);
	return (s);
}
