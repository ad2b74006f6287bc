/*
 * NAME
 *	check_redis - tests for store/redis*.c: the section's settings,
 *	the password file, the cache, the parser's redis section, a
 *	server that is not there (breaker, events), and, against a
 *	private redis-server, the counters (limit_redis.c)
 * DESCRIPTION
 *	redis.test and sentinel.test run real servers for the daemons.
 *	The counters' tests start one redis-server of their own for the
 *	whole tcase (an unchecked fixture) on a loopback port of
 *	20100-20199 reserved as tests/integration/lib.sh's rg_port does.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "store/limit.h"
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
	char    val[32];

	ck_assert_int_eq(redis_cache_get(c, "a", 0, NULL, 0), -1);
	redis_cache_put(c, "a", 1, 1000, NULL);
	redis_cache_put(c, "b", 0, 1000, NULL);
	ck_assert_int_eq(redis_cache_get(c, "a", 999, NULL, 0), 1);
	ck_assert_int_eq(redis_cache_get(c, "b", 999, NULL, 0), 0);
	/* expired: gone */
	ck_assert_int_eq(redis_cache_get(c, "a", 1000, NULL, 0), -1);
	ck_assert_int_eq(redis_cache_get(c, "a", 0, NULL, 0), -1);
	redis_cache_put(c, "a", 1, 2000, NULL);
	redis_cache_del(c, "a", 1);
	ck_assert_int_eq(redis_cache_get(c, "a", 0, NULL, 0), -1);
	/* a key is matched whole, not by prefix */
	redis_cache_put(c, "ab", 1, 2000, NULL);
	redis_cache_del(c, "abc", 3);
	redis_cache_del(c, "a", 1);
	ck_assert_int_eq(redis_cache_get(c, "ab", 0, NULL, 0), 1);
	redis_cache_flush(c);
	ck_assert_int_eq(redis_cache_get(c, "ab", 0, NULL, 0), -1);
	redis_cache_put(c, "x", 1, 2000, NULL);
	redis_cache_put(c, "y", 1, 2000, NULL);
	redis_cache_put(c, "z", 1, 2000, NULL);
	ck_assert_int_eq(redis_cache_get(c, "x", 0, NULL, 0), 1);
	/* full: emptied before w goes in */
	redis_cache_put(c, "w", 0, 2000, NULL);
	ck_assert_int_eq(redis_cache_get(c, "x", 0, NULL, 0), -1);
	ck_assert_int_eq(redis_cache_get(c, "w", 0, NULL, 0), 0);
	redis_cache_flush(c);
	ck_assert_int_eq(redis_cache_get(c, "z", 0, NULL, 0), -1);
	/* A found entry keeps its value; a second put replaces it. */
	redis_cache_put(c, "v", 1, 2000, "1 h alice");
	ck_assert_int_eq(redis_cache_get(c, "v", 0, val, sizeof(val)), 1);
	ck_assert_str_eq(val, "1 h alice");
	redis_cache_put(c, "v", 1, 2000, "2 h bob");
	ck_assert_int_eq(redis_cache_get(c, "v", 0, val, sizeof(val)), 1);
	ck_assert_str_eq(val, "2 h bob");
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
	{"counters and blocks in redis",
	    "limit-state redis\nblocks redis\ntable t dynamic redis\n"
	    "redis {\n server 127.0.0.1:1\n}\n", NULL},
	{"limit-state redis, no section", "limit-state redis\n",
	    "limit-state redis but there is no redis section"},
	{"blocks redis, no section", "blocks redis\n",
	    "blocks redis but there is no redis section"},
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

/* The private server of the counters' tests. */
static char srv_dir[128], srv_lock[192];
static int srv_port;
static pid_t srv_pid;
static struct redis_conf *srv_conf;

/* port_busy - does something listen on loopback port? */
static int
port_busy(int port)
{
	struct sockaddr_in sin;
	int     fd, busy;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t) port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	busy = connect(fd, (struct sockaddr *) &sin, sizeof(sin)) == 0;
	close(fd);
	return (busy);
}

/* port_reserve - a free port of 20100-20199, locked as rg_port does */
static int
port_reserve(const char *base)
{
	char    locks[160], pid[256];
	int     i, port, fd;

	snprintf(locks, sizeof(locks), "%s/ports", base);
	(void) mkdir(locks, 0755);
	for (i = 0; i < 100; i++) {
		port = 20100 + (int) ((getpid() + i) % 100);
		snprintf(srv_lock, sizeof(srv_lock), "%s/%d", locks, port);
		if (mkdir(srv_lock, 0755) < 0)
			continue;	/* taken (a stale lock is left alone) */
		snprintf(pid, sizeof(pid), "%s/pid", srv_lock);
		if (port_busy(port)) {
			(void) rmdir(srv_lock);
			continue;
		}
		if ((fd = open(pid, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
			dprintf(fd, "%d\n", (int) getpid());
			close(fd);
		}
		return (port);
	}
	srv_lock[0] = 0;
	return (-1);
}

/* server_up - does the server answer PING? */
static int
server_up(void)
{
	redisContext *ctx = redisConnect("127.0.0.1", srv_port);
	redisReply *r;
	int     up = 0;

	if (ctx != NULL && !ctx->err &&
	    (r = redisCommand(ctx, "PING")) != NULL) {
		up = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
	}
	if (ctx != NULL)
		redisFree(ctx);
	return (up);
}

/* server_start - a private redis-server for the tcase */
static void
server_start(void)
{
	const char *base = access("/run/relayguard-test", W_OK) == 0 ||
	    mkdir("/run/relayguard-test", 0755) == 0 ?
	    "/run/relayguard-test" : "/tmp";
	char    port[32], pidfile[256], err[256];
	int     i;

	snprintf(srv_dir, sizeof(srv_dir), "%s/check-redis.%d", base,
	    (int) getpid());
	(void) mkdir(srv_dir, 0700);
	if ((srv_port = port_reserve(base)) < 0)
		return;
	snprintf(port, sizeof(port), "%d", srv_port);
	snprintf(pidfile, sizeof(pidfile), "%s/redis.pid", srv_dir);
	if ((srv_pid = fork()) == 0) {
		int     fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("redis-server", "redis-server", "--port", port,
		    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		    "--dir", srv_dir, "--pidfile", pidfile, "--daemonize", "no",
		    (char *) NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && srv_pid > 0 && !server_up(); i++)
		usleep(50000);
	if (srv_pid > 0 && waitpid(srv_pid, NULL, WNOHANG) != 0)
		srv_pid = srv_port = 0;	/* it died: the tests then fail */
	srv_conf = redis_conf_new();
	(void) redis_conf_set(srv_conf, "server", "127.0.0.1", NULL, err,
	    sizeof(err));
	snprintf(port, sizeof(port), "127.0.0.1:%d", srv_port);
	(void) redis_conf_set(srv_conf, "server", port, NULL, err,
	    sizeof(err));
	(void) redis_conf_set(srv_conf, "prefix", "ckt:", NULL, err,
	    sizeof(err));
}

/* server_stop - stop it and free the port */
static void
server_stop(void)
{
	char    pidfile[256];

	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		(void) waitpid(srv_pid, NULL, 0);
		srv_pid = 0;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/redis.pid", srv_dir);
	(void) unlink(pidfile);
	(void) rmdir(srv_dir);
	if (srv_lock[0]) {
		snprintf(pidfile, sizeof(pidfile), "%s/pid", srv_lock);
		(void) unlink(pidfile);
		(void) rmdir(srv_lock);
	}
	redis_conf_free(srv_conf);
	srv_conf = NULL;
}

/* admin - one command on a connection of the test's own */
static long long
admin(const char *cmd)
{
	redisContext *ctx = redisConnect("127.0.0.1", srv_port);
	redisReply *r;
	long long n = -1;

	ck_assert(ctx != NULL && !ctx->err);
	r = redisCommand(ctx, cmd);
	ck_assert(r != NULL);
	if (r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	freeReplyObject(r);
	redisFree(ctx);
	return (n);
}

/* redis_store - the counters in the private server, none kept */
static struct limit_store *
redis_store(int readonly)
{
	struct limit_store *s;
	char    err[256];

	ck_assert_msg(srv_port > 0 && server_up(), "no private redis-server");
	ck_assert_int_eq(limit_redis_open(srv_conf, readonly, &s, err,
	    sizeof(err)), 0);
	return (s);
}

/*
 * A sequence of takes and gives, at times in seconds after T0 (with
 * microseconds), on the local engine and in Redis: every answer and
 * every peek must be the same. Windows with periods that do not
 * divide evenly (7 per 10 s, 3 per 7 days) exercise the fractions; a
 * changed limit (the third window) keeps the windows it shares.
 */
#define T0	INT64_C(1764633600000000)	/* 2025-12-02, microseconds */
static const struct {
	int64_t at;			/* microseconds after T0 */
	int	op;			/* 't' take, 'g' give */
	unsigned n;
	int	nwin;			/* of win_seq below */
	const char *subject;
} seq[] = {
	{0, 't', 1, 2, "alice"}, {0, 't', 1, 2, "alice"},
	{1, 't', 3, 2, "alice"}, {2, 't', 2, 2, "alice"},
	{2, 't', 1, 2, "alice"}, {3, 'g', 1, 2, "alice"},
	{3, 't', 1, 2, "alice"}, {4, 't', 1, 2, "alice"},
	{1428571, 't', 1, 2, "alice"}, {1428572, 't', 1, 2, "alice"},
	{1428573, 't', 9, 2, "alice"}, {5000000, 't', 2, 2, "alice"},
	{5000000, 'g', 5, 2, "alice"}, {5000001, 't', 1, 3, "alice"},
	{5000002, 't', 1, 3, "alice"}, {9999999, 't', 4, 3, "alice"},
	{10000000, 't', 1, 3, "alice"}, {86400000000LL, 't', 1, 3, "alice"},
	{86400000001LL, 't', 1, 3, "alice"}, {86400000002LL, 't', 1, 3,
	"alice"}, {0, 't', 1, 2, "192.0.2.0/24"}, {1, 't', 8, 2,
	"192.0.2.0/24"}, {700000000000LL, 't', 1, 3, "alice"},
};
static const struct limit_window win_seq[] = {
	{7, 10}, {5, 60}, {3, 7 * 86400},
};

START_TEST(test_limit_same)
{
	struct limit_store *loc, *red;
	struct limit_answer a, b;
	struct limit_info pa, pb;
	struct limit_key k;
	char    err[256];
	size_t  i, w;
	int     ra, rb, refused = 0;

	red = redis_store(0);
	ck_assert_int_ge(limit_reset(red, NULL), 0);
	ck_assert_int_eq(limit_local_open(NULL, 0, &loc, err, sizeof(err)), 0);
	k.name = "seq";
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		k.subject = seq[i].subject;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (seq[i].op == 'g') {
			ck_assert_int_eq(limit_give(loc, &k, win_seq,
			    seq[i].nwin, T0 + seq[i].at, seq[i].n), 0);
			ck_assert_int_eq(limit_give(red, &k, win_seq,
			    seq[i].nwin, T0 + seq[i].at, seq[i].n), 0);
		} else {
			ck_assert_int_eq(limit_take(loc, &k, win_seq,
			    seq[i].nwin, T0 + seq[i].at, seq[i].n, &a), 0);
			ck_assert_int_eq(limit_take(red, &k, win_seq,
			    seq[i].nwin, T0 + seq[i].at, seq[i].n, &b), 0);
			ck_assert_msg(a.allowed == b.allowed &&
			    a.window == b.window && a.again == b.again &&
			    a.denials == b.denials, "step %zu: local %d/%d/%lld/"
			    "%lu, redis %d/%d/%lld/%lu", i, a.allowed, a.window,
			    (long long) a.again, a.denials, b.allowed, b.window,
			    (long long) b.again, b.denials);
			refused += !a.allowed;
			for (w = 0; w < (size_t) seq[i].nwin; w++)
				ck_assert_msg(a.left[w] == b.left[w],
				    "step %zu window %zu: left %u vs %u", i, w,
				    a.left[w], b.left[w]);
		}
		ra = limit_peek(loc, &k, T0 + seq[i].at, &pa);
		rb = limit_peek(red, &k, T0 + seq[i].at, &pb);
		ck_assert_int_eq(ra, 1);
		ck_assert_int_eq(rb, 1);
		ck_assert_uint_eq(pa.nwin, pb.nwin);
		ck_assert_uint_eq(pa.denials, pb.denials);
		for (w = 0; w < pa.nwin; w++) {
			ck_assert_uint_eq(pa.left[w], pb.left[w]);
			ck_assert_int_eq(pa.next[w], pb.next[w]);
			ck_assert_int_eq(pa.empty[w], pb.empty[w]);
		}
	}
	ck_assert_int_ge(refused, 5);
	/* The key expires by itself, no earlier than its windows are full. */
	ck_assert_int_gt(admin("PTTL ckt:limit:alice"), 0);
	limit_close(loc);
	limit_close(red);
}
END_TEST

/* A server that lost the script (SCRIPT FLUSH) gets it again. */
START_TEST(test_limit_noscript)
{
	struct limit_store *s = redis_store(0);
	struct limit_key k = {"bob", "ns"};
	struct limit_window w = {2, 3600};
	struct limit_answer a;
	int64_t now = T0;

	ck_assert_int_ge(limit_reset(s, "bob"), 0);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	ck_assert_int_eq(a.allowed, 1);
	(void) admin("SCRIPT FLUSH");
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	ck_assert_int_eq(a.allowed, 1);
	ck_assert_uint_eq(a.left[0], 0);
	(void) admin("SCRIPT FLUSH");
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	ck_assert_int_eq(a.allowed, 0);
	ck_assert_uint_eq(a.denials, 1);
	limit_close(s);
}
END_TEST

/* count_info - limit_list() callback: count, and check the subject */
static int
count_info(const struct limit_info *i, void *arg)
{
	int    *n = arg;

	ck_assert(strcmp(i->subject, "carol") == 0 ||
	    strcmp(i->subject, "2001:db8::/64") == 0);
	(*n)++;
	return (0);
}

/* list and reset, of one subject and of everyone */
START_TEST(test_limit_list_reset)
{
	struct limit_store *s = redis_store(0);
	struct limit_key k;
	struct limit_window w = {10, 60};
	struct limit_answer a;
	int64_t now = T0;
	int     n = 0;

	ck_assert_int_ge(limit_reset(s, NULL), 0);
	k.subject = "carol";
	k.name = "one";
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	k.name = "two";
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	k.subject = "2001:db8::/64";
	ck_assert_int_eq(limit_take(s, &k, &w, 1, now, 1, &a), 0);
	ck_assert_int_eq(limit_list(s, NULL, now, count_info, &n), 0);
	ck_assert_int_eq(n, 3);
	n = 0;
	ck_assert_int_eq(limit_list(s, "carol", now, count_info, &n), 0);
	ck_assert_int_eq(n, 2);
	n = 0;
	/* Idle counters are not listed. */
	ck_assert_int_eq(limit_list(s, "carol", now + 61 * LIMIT_US,
	    count_info, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(limit_reset(s, "carol"), 2);
	ck_assert_int_eq(limit_reset(s, "carol"), 0);
	ck_assert_int_eq(limit_reset(s, NULL), 1);
	ck_assert_int_eq(admin("EXISTS ckt:limit:2001:db8::/64"), 0);
	limit_close(s);
}
END_TEST

/* A read-only store (explain) counts on a copy, never in Redis. */
START_TEST(test_limit_readonly)
{
	struct limit_store *s = redis_store(0), *ro = redis_store(1);
	struct limit_key k = {"dave", "ro"};
	struct limit_window w = {2, 60};
	struct limit_answer a;
	struct limit_info i;

	ck_assert_int_ge(limit_reset(s, NULL), 0);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 1, &a), 0);
	ck_assert_int_eq(limit_take(ro, &k, &w, 1, T0, 1, &a), 0);
	ck_assert_int_eq(a.allowed, 1);
	ck_assert_uint_eq(a.left[0], 0);
	ck_assert_int_eq(limit_take(ro, &k, &w, 1, T0, 1, &a), 0);
	ck_assert_int_eq(a.allowed, 0);
	ck_assert_int_eq(limit_peek(s, &k, T0, &i), 1);
	ck_assert_uint_eq(i.left[0], 1);
	ck_assert_int_lt(limit_reset(ro, "dave"), 0);
	limit_close(ro);
	limit_close(s);
}
END_TEST

/* A Redis grant's user is the identity, cached with the grant. */
START_TEST(test_grant_user)
{
	struct store_grant_info g;
	struct store_error e;
	struct store *s;
	struct addr a, b;
	char    err[256];
	int     i;

	ck_assert_msg(srv_port > 0 && server_up(), "no private redis-server");
	ck_assert_int_eq(store_open_redis(srv_conf, "gu", &s, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.7", &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.8", &b), 0);
	ck_assert_int_eq(store_grant(s, &a, "frank@example.com",
	    time(NULL) + 60, err, sizeof(err)), 0);
	ck_assert_int_eq(store_grant(s, &b, NULL, time(NULL) + 60, err,
	    sizeof(err)), 0);
	/* Twice: from the server, then (once tracking is up) the cache. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(store_grant_find(s, &a, time(NULL), &g, &e), 1);
		ck_assert_str_eq(g.user, "frank@example.com");
		ck_assert_int_eq(store_grant_find(s, &b, time(NULL), &g, &e), 1);
		ck_assert_str_eq(g.user, "");
		usleep(200000);
	}
	ck_assert_int_eq(store_revoke(s, &a, err, sizeof(err)), 1);
	usleep(200000);
	ck_assert_int_eq(store_grant_find(s, &a, time(NULL), &g, &e), 0);
	store_close(s);
}
END_TEST

/* block_count - store_block_list() callback */
static int
block_count(const struct store_block_info *b, void *arg)
{
	ck_assert(strcmp(b->identity, "gina@example.com") == 0 ||
	    strcmp(b->identity, "hank") == 0);
	++*(int *) arg;
	return (0);
}

/* Blocks in Redis: set, seen, listed, removed, ended by their TTL. */
START_TEST(test_blocks)
{
	struct store_block_info b;
	struct store_error e;
	struct store *s;
	time_t  now = time(NULL);
	char    err[256];
	int     n = 0;

	ck_assert_msg(srv_port > 0 && server_up(), "no private redis-server");
	ck_assert_int_eq(store_block_open_redis(srv_conf, &s, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(s, "Gina@example.com", now, &b, &e),
	    0);
	ck_assert_int_eq(store_block_add(s, "Gina@example.com", now, 0,
	    "stolen\npassword", err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_add(s, "hank", now, now + 1, "test",
	    err, sizeof(err)), 0);
	ck_assert_int_lt(store_block_add(s, "ian", now, now - 1, "ended",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(s, "gina@EXAMPLE.com", now, &b, &e),
	    1);
	ck_assert_str_eq(b.identity, "gina@example.com");
	ck_assert_str_eq(b.reason, "stolen password");
	ck_assert_int_eq(b.since, now);
	ck_assert_int_eq(b.expiry, 0);
	ck_assert_int_eq(admin("TTL ckt:block:gina@example.com"), -1);
	ck_assert_int_eq(admin("TTL ckt:block:hank"), 1);
	ck_assert_int_eq(store_block_list(s, block_count, &n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_block_remove(s, "GINA@example.com", err,
	    sizeof(err)), 1);
	ck_assert_int_eq(store_block_remove(s, "gina@example.com", err,
	    sizeof(err)), 0);
	usleep(200000);
	ck_assert_int_eq(store_block_find(s, "gina@example.com", now, &b, &e),
	    0);
	/* hank's block ends with its key. */
	usleep(1300000);
	ck_assert_int_eq(admin("EXISTS ckt:block:hank"), 0);
	ck_assert_int_eq(store_block_find(s, "hank", time(NULL), &b, &e), 0);
	store_close(s);
}
END_TEST

/*
 * A block revokes the identity's grants in a Redis table whatever the
 * case they were granted in (logins compare ignoring case), and no one
 * else's.
 */
START_TEST(test_block_revokes_spellings)
{
	struct strbuf errs = STRBUF_INIT, conf = STRBUF_INIT;
	struct store_grant_info g;
	struct store_error e;
	struct rules *r;
	struct store *s;
	struct addr a[3];
	char    err[256];
	size_t  revoked = 0;
	int     i;
	static const char *const who[3] = {"Alice", "ALICE", "bob"};

	ck_assert_msg(srv_port > 0 && server_up(), "no private redis-server");
	strbuf_printf(&conf, "redis {\n server 127.0.0.1:%d\n prefix ckr\n}\n"
	    "blocks redis\ntable t dynamic redis\n"
	    "rcpt {\n permit client in <t>\n reject\n}\n", srv_port);
	r = rules_load_string("revoke.conf", strbuf_str(&conf), &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	ck_assert_int_eq(store_open_redis(rules_settings(r)->redis, "t", &s,
	    err, sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		char    ip[32];

		snprintf(ip, sizeof(ip), "192.0.2.%d", 20 + i);
		ck_assert_int_eq(addr_parse(ip, &a[i]), 0);
		ck_assert_int_eq(store_grant(s, &a[i], who[i], time(NULL) + 60,
		    err, sizeof(err)), 0);
	}
	ck_assert_msg(rules_block_add(r, NULL, "alice", 0, "test", &revoked,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(revoked, 2);
	usleep(200000);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(store_grant_find(s, &a[i], time(NULL), &g, &e),
		    i == 2);
	store_close(s);
	rules_unref(r);
	strbuf_free(&conf);
	strbuf_free(&errs);
}
END_TEST

/* No server: every take is an error, never an answer. */
START_TEST(test_limit_no_server)
{
	struct redis_conf *c = redis_conf_new();
	struct limit_store *s;
	struct limit_key k = {"erin", "x"};
	struct limit_window w = {5, 60};
	struct limit_answer a;
	struct limit_info i;
	struct store_error e;
	struct store *b;
	char    err[256];

	ck_assert_int_eq(redis_conf_set(c, "server", "127.0.0.1:1", NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(limit_redis_open(c, 0, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 1, &a), -1);
	ck_assert_int_eq(limit_give(s, &k, &w, 1, T0, 1), -1);
	ck_assert_int_eq(limit_peek(s, &k, T0, &i), -1);
	ck_assert_int_eq(limit_reset(s, "erin"), -1);
	limit_close(s);
	/* Nor is a block lookup "not blocked". */
	ck_assert_int_eq(store_block_open_redis(c, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_find(b, "erin", time(NULL), NULL, &e),
	    -1);
	ck_assert_int_lt(store_block_add(b, "erin", time(NULL), 0, "x", err,
	    sizeof(err)), 0);
	store_close(b);
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
	tcase_add_test(tc, test_limit_no_server);
	suite_add_tcase(s, tc);
	tc = tcase_create("limit_redis");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_unchecked_fixture(tc, server_start, server_stop);
	tcase_add_test(tc, test_limit_same);
	tcase_add_test(tc, test_limit_noscript);
	tcase_add_test(tc, test_limit_list_reset);
	tcase_add_test(tc, test_limit_readonly);
	tcase_add_test(tc, test_grant_user);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_block_revokes_spellings);
	suite_add_tcase(s, tc);
	return (s);
}
