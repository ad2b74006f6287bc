/*
 * NAME
 *	check_redis - tests for store/redis*.c that need no server: the
 *	section's settings, the password file, the cache, the parser's
 *	redis section, and a server that is not there (breaker, events)
 * DESCRIPTION
 *	redis.test and sentinel.test run real servers.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "store/redis_int.h"
#include "store/store.h"
#include "tests/check_timeout.h"

Suite  *redis_suite(void);

#define NCASES(t)	((int) (sizeof(t) / sizeof((t)[0])))

static const struct {
	const char *name, *value;
	int	ok;
}       set_cases[] = {
	{"server", "127.0.0.1", 1},
	{"server", "127.0.0.1:6380", 1},
	{"server", "[::1]:6380", 1},
	{"server", "::1", 1},
	{"server", "redis.example", 1},
	{"server", "127.0.0.1:0", 0},
	{"server", "127.0.0.1:65536", 0},
	{"server", "127.0.0.1:x", 0},
	{"server", "[::1", 0},
	{"server", "", 0},
	{"sentinel", "127.0.0.1:26379", 1},
	{"master", "mymaster", 1},
	{"master", "my master", 0},
	{"master", "", 0},
	{"database", "0", 1},
	{"database", "15", 1},
	{"database", "-1", 0},
	{"database", "x", 0},
	{"prefix", "", 1},
	{"prefix", "rg:", 1},
	{"prefix", "a b", 0},
	{"user", "relayguard", 1},
	{"connect-timeout", "500ms", 1},
	{"connect-timeout", "2s", 1},
	{"connect-timeout", "2", 1},
	{"connect-timeout", "0", 0},
	{"connect-timeout", "61s", 0},
	{"command-timeout", "250ms", 1},
	{"command-timeout", "fast", 0},
	{"cache-ttl", "60s", 1},
	{"cache-ttl", "0", 1},
	{"cache-ttl", "1500ms", 0},
	{"cache-negative", "1s", 1},
	{"cache-size", "1000", 1},
	{"cache-size", "0", 0},
	{"password", "secret", 0},
	{"frobnicate", "yes", 0},
};

START_TEST(test_conf_set)
{
	struct redis_conf *c = redis_conf_new();
	char    err[256] = "";
	int     rc;

	rc = redis_conf_set(c, set_cases[_i].name, set_cases[_i].value, NULL,
	    err, sizeof(err));
	ck_assert_msg((rc == 0) == set_cases[_i].ok, "%s %s: rc %d (%s)",
	    set_cases[_i].name, set_cases[_i].value, rc, err);
	if (rc < 0)
		ck_assert_msg(err[0] != 0, "no message");
	redis_conf_free(c);
}
END_TEST

START_TEST(test_conf_defaults)
{
	struct redis_conf *c = redis_conf_new();
	char    err[256];

	ck_assert_int_eq(redis_conf_set(c, "server", "[2001:db8::1]:7000",
	    NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(c->servers[0].host, "2001:db8::1");
	ck_assert_int_eq(c->servers[0].port, 7000);
	ck_assert_int_eq(redis_conf_set(c, "sentinel", "192.0.2.1", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(c->sentinels[0].port, 26379);
	ck_assert_str_eq(c->prefix, "relayguard:");
	ck_assert_int_eq(c->command_ms, 250);
	redis_conf_free(c);
}
END_TEST

static const struct {
	const char *label;
	const char *lines[4][2];
	int	ok;
}       check_cases[] = {
	{"servers", {{"server", "127.0.0.1"}}, 1},
	{"sentinels", {{"master", "m"}, {"sentinel", "127.0.0.1"}}, 1},
	{"nothing", {{"database", "1"}}, 0},
	{"sentinel without master", {{"sentinel", "127.0.0.1"}}, 0},
	{"master without sentinel", {{"master", "m"}}, 0},
	{"both", {{"server", "127.0.0.1"}, {"master", "m"},
	    {"sentinel", "127.0.0.1"}}, 0},
};

START_TEST(test_conf_check)
{
	struct redis_conf *c = redis_conf_new();
	char    err[256] = "";
	int     i;

	for (i = 0; i < 4 && check_cases[_i].lines[i][0] != NULL; i++)
		ck_assert_int_eq(redis_conf_set(c, check_cases[_i].lines[i][0],
		    check_cases[_i].lines[i][1], NULL, err, sizeof(err)), 0);
	ck_assert_msg((redis_conf_check(c, err, sizeof(err)) == 0) ==
	    check_cases[_i].ok, "%s: %s", check_cases[_i].label, err);
	redis_conf_free(c);
}
END_TEST

static const struct {
	const char *label;
	const char *content;
	mode_t	mode;
	const char *want;		/* NULL: accepted; else in the error */
}       pw_cases[] = {
	{"0600", "s3cret\n", 0600, NULL},
	{"0640", "s3cret\n", 0640, NULL},
	{"0400 no newline", "s3cret", 0400, NULL},
	{"readable by others", "s3cret\n", 0644, "lets others read"},
	{"writable by group", "s3cret\n", 0660, "lets others read"},
	{"empty", "\n", 0600, "empty first line"},
};

START_TEST(test_password_file)
{
	struct redis_conf *c = redis_conf_new();
	char    path[] = "/tmp/rg-redis-pw.XXXXXX", err[256] = "";
	int     fd, rc;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, pw_cases[_i].content,
	    strlen(pw_cases[_i].content)),
	    (ssize_t) strlen(pw_cases[_i].content));
	close(fd);
	ck_assert_int_eq(chmod(path, pw_cases[_i].mode), 0);
	rc = redis_conf_set(c, "password-file", path, NULL, err, sizeof(err));
	unlink(path);
	if (pw_cases[_i].want == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", pw_cases[_i].label, err);
		ck_assert_str_eq(c->password, "s3cret");
	} else {
		ck_assert_msg(rc < 0, "%s: accepted", pw_cases[_i].label);
		ck_assert_msg(strstr(err, pw_cases[_i].want) != NULL,
		    "%s: %s", pw_cases[_i].label, err);
		ck_assert_msg(strstr(err, "s3cret") == NULL, "password shown");
	}
	redis_conf_free(c);
}
END_TEST

START_TEST(test_password_file_symlink)
{
	struct redis_conf *c = redis_conf_new();
	char    dir[] = "/tmp/rg-redis-pwd.XXXXXX", file[64], link_[64];
	char    err[256];
	FILE   *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pw", dir);
	snprintf(link_, sizeof(link_), "%s/link", dir);
	ck_assert_ptr_nonnull(fp = fopen(file, "w"));
	fputs("s3cret\n", fp);
	fclose(fp);
	chmod(file, 0600);
	ck_assert_int_eq(symlink(file, link_), 0);
	ck_assert_int_lt(redis_conf_set(c, "password-file", link_, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_lt(redis_conf_set(c, "password-file", dir, NULL, err,
	    sizeof(err)), 0);
	unlink(link_);
	unlink(file);
	rmdir(dir);
	redis_conf_free(c);
}
END_TEST

START_TEST(test_cache)
{
	struct redis_cache *c = redis_cache_new(3);

	ck_assert_int_eq(redis_cache_get(c, "a", 0), -1);
	redis_cache_put(c, "a", 1, 1000);
	redis_cache_put(c, "b", 0, 1000);
	ck_assert_int_eq(redis_cache_get(c, "a", 999), 1);
	ck_assert_int_eq(redis_cache_get(c, "b", 999), 0);
	/* expired: gone */
	ck_assert_int_eq(redis_cache_get(c, "a", 1000), -1);
	ck_assert_int_eq(redis_cache_get(c, "a", 0), -1);
	redis_cache_put(c, "a", 1, 2000);
	redis_cache_del(c, "a", 1);
	ck_assert_int_eq(redis_cache_get(c, "a", 0), -1);
	/* a key is matched whole, not by prefix */
	redis_cache_put(c, "ab", 1, 2000);
	redis_cache_del(c, "abc", 3);
	redis_cache_del(c, "a", 1);
	ck_assert_int_eq(redis_cache_get(c, "ab", 0), 1);
	redis_cache_flush(c);
	ck_assert_int_eq(redis_cache_get(c, "ab", 0), -1);
	redis_cache_put(c, "x", 1, 2000);
	redis_cache_put(c, "y", 1, 2000);
	redis_cache_put(c, "z", 1, 2000);
	ck_assert_int_eq(redis_cache_get(c, "x", 0), 1);
	/* full: emptied before w goes in */
	redis_cache_put(c, "w", 0, 2000);
	ck_assert_int_eq(redis_cache_get(c, "x", 0), -1);
	ck_assert_int_eq(redis_cache_get(c, "w", 0), 0);
	redis_cache_flush(c);
	ck_assert_int_eq(redis_cache_get(c, "z", 0), -1);
	redis_cache_free(c);
}
END_TEST

static const struct {
	const char *label;
	const char *text;
	const char *want;		/* NULL: loads; else in the errors */
}       parse_cases[] = {
	{"section after the table",
	    "table t dynamic redis\nredis {\n server 127.0.0.1:1\n}\n"
	    "rcpt {\n permit client in <t>\n}\n", NULL},
	{"section first, sentinels",
	    "redis {\n master m\n sentinel 127.0.0.1:1\n"
	    " sentinel \"127.0.0.1:2\"\n}\ntable t dynamic redis\n"
	    "rcpt {\n permit client in <t>\n}\n", NULL},
	{"no section", "table t dynamic redis\n", "no redis section"},
	{"two sections",
	    "redis {\n server 127.0.0.1\n}\nredis {\n server 127.0.0.1\n}\n",
	    "a second redis section"},
	{"unknown setting", "redis {\n server 127.0.0.1\n colour red\n}\n",
	    "unknown redis setting 'colour'"},
	{"no value", "redis {\n server\n}\n", "expected a value"},
	{"no server", "redis {\n database 2\n}\n", "no server"},
	{"no brace", "redis server 127.0.0.1\n", "expected '{' after redis"},
	{"unclosed", "redis {\n server 127.0.0.1\n", "closing the redis"},
	{"redis is not a path for a static table",
	    "redis {\n server 127.0.0.1\n}\ntable t redis\n",
	    "expected 'dynamic' or a quoted file name"},
};

START_TEST(test_parse)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;

	r = rules_load_string("t.conf", parse_cases[_i].text, &errs);
	if (parse_cases[_i].want == NULL) {
		ck_assert_msg(r != NULL, "%s: %s", parse_cases[_i].label,
		    strbuf_str(&errs));
		ck_assert(store_is_redis(rules_table_store(r, 0)));
		rules_unref(r);
	} else {
		ck_assert_msg(r == NULL, "%s: loaded", parse_cases[_i].label);
		ck_assert_msg(strstr(strbuf_str(&errs), parse_cases[_i].want) !=
		    NULL, "%s: %s", parse_cases[_i].label, strbuf_str(&errs));
	}
	strbuf_free(&errs);
}
END_TEST

static int ndown, nother;

/* count_events - redis_set_events() target */
static void
count_events(enum redis_event ev, const char *msg, void *arg)
{
	(void) msg;
	(void) arg;
	if (ev == REDIS_EVENT_DOWN)
		ndown++;
	else
		nother++;
}

/* ms_since - milliseconds since t0 */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * A server that is not there: every lookup is an error (never "not
 * granted"), the outage is reported once, and while the breaker is
 * open a lookup fails at once.
 */
START_TEST(test_no_server)
{
	struct redis_conf *c = redis_conf_new();
	struct store *s, *d;
	struct store_error e;
	struct addr a;
	struct timespec t0;
	char    err[256];
	int     i;

	ck_assert_int_eq(redis_conf_set(c, "server", "127.0.0.1:1", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_open_redis(c, "t", &s, err, sizeof(err)), 0);
	ck_assert_str_eq(store_path(s), "redis:relayguard:t");
	ck_assert_int_eq(addr_parse("192.0.2.7", &a), 0);
	ndown = nother = 0;
	redis_set_events(count_events, NULL);
	ck_assert_int_eq(store_grant_match(s, &a, time(NULL), &e), -1);
	ck_assert_msg(strstr(e.msg, "127.0.0.1:1") != NULL, "%s", e.msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(store_grant_match(s, &a, time(NULL), &e), -1);
	ck_assert_msg(ms_since(&t0) < 1000, "100 lookups: %ld ms",
	    ms_since(&t0));
	ck_assert_int_eq(ndown, 1);
	ck_assert_int_lt(store_grant(s, &a, "u", time(NULL) + 60, err,
	    sizeof(err)), 0);
	ck_assert_int_lt(store_revoke(s, &a, err, sizeof(err)), 0);
	d = store_dup(s);
	store_close(s);
	ck_assert_int_eq(store_grant_match(d, &a, time(NULL), &e), -1);
	store_close(d);
	redis_set_events(NULL, NULL);
	redis_conf_free(c);
}
END_TEST

Suite *
redis_suite(void)
{
	Suite  *s = suite_create("redis");
	TCase  *tc;

	tc = tcase_create("redis_conf_set");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_conf_set, 0, NCASES(set_cases));
	tcase_add_test(tc, test_conf_defaults);
	suite_add_tcase(s, tc);
	tc = tcase_create("redis_conf_check");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_conf_check, 0, NCASES(check_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("password_file");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_loop_test(tc, test_password_file, 0, NCASES(pw_cases));
	tcase_add_test(tc, test_password_file_symlink);
	suite_add_tcase(s, tc);
	tc = tcase_create("redis_cache");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_cache);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules_parse_redis");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_parse, 0, NCASES(parse_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("redis_no_server");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_test(tc, test_no_server);
	suite_add_tcase(s, tc);
	return (s);
}
