/*
 * NAME
 *	redis_conf - the redis section of the configuration
 * SYNOPSIS
 *	#include "store/redis.h"
 *
 *	struct redis_conf *redis_conf_new(void)
 *	void	redis_conf_free(conf)
 *	int	redis_conf_set(conf, name, value, base, err, errlen)
 *	int	redis_conf_check(conf, err, errlen)
 * DESCRIPTION
 *	The settings of a redis section, one "NAME VALUE" line at a time:
 *
 *	server HOST[:PORT]	a server (6379); several are tried in order
 *				and the first that is a master is used
 *	sentinel HOST[:PORT]	a sentinel (26379), with master NAME
 *	master NAME		the master's name in the sentinels
 *	database N		SELECT N (0)
 *	prefix TEXT		put before every key ("relayguard:")
 *	user NAME		ACL user for AUTH (none: AUTH PASSWORD)
 *	password-file PATH	the password, first line
 *	connect-timeout T	T as 500ms, 2s (500ms)
 *	command-timeout T	(250ms)
 *	cache-ttl T		the longest a positive answer is kept (60s);
 *				0 turns the cache off
 *	cache-negative T	how long a negative answer is kept (1s)
 *	cache-size N		entries before the cache is emptied (100000)
 * DIAGNOSTICS
 *	Errors are returned in the caller's buffer; none holds the
 *	password.
 * THREADS
 *	A section is built by one thread and read-only afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "store/redis_int.h"

#define PASSWORD_MAX	512

/* redis_conf_new - a section with the defaults */
struct redis_conf *
redis_conf_new(void)
{
	struct redis_conf *c = xcalloc(1, sizeof(*c));

	snprintf(c->prefix, sizeof(c->prefix), "relayguard:");
	c->connect_ms = 500;
	c->command_ms = 250;
	c->cache_ttl = 60;
	c->cache_negative = 1;
	c->cache_size = 100000;
	return (c);
}

/* redis_conf_free - release a section, the password wiped first */
void
redis_conf_free(struct redis_conf *c)
{
	if (c == NULL)
		return;
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c);
}

/* parse_host - "host", "host:port", "[v6]:port"; 0 or -1 */
static int
parse_host(const char *v, int defport, struct redis_host *h)
{
	const char *colon, *end;
	char   *e;
	long    port = defport;
	size_t  n;

	if (*v == '[') {
		if ((end = strchr(v, ']')) == NULL)
			return (-1);
		v++;
		n = (size_t) (end - v);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != 0 && colon == NULL)
			return (-1);
	} else {
		colon = strrchr(v, ':');
		if (colon != NULL && strchr(v, ':') != colon)
			colon = NULL;		/* a bare IPv6 address */
		n = colon != NULL ? (size_t) (colon - v) : strlen(v);
	}
	if (n == 0 || n >= sizeof(h->host))
		return (-1);
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &e, 10);
		if (errno != 0 || e == colon + 1 || *e != 0 || port < 1 ||
		    port > 65535)
			return (-1);
	}
	memcpy(h->host, v, n);
	h->host[n] = 0;
	h->port = (int) port;
	return (0);
}

/* parse_ms - "250ms", "2s", "2" (seconds); 0 or -1 */
static int
parse_ms(const char *v, int max_ms, int *out)
{
	char   *e;
	long    n;

	if (*v < '0' || *v > '9')
		return (-1);
	errno = 0;
	n = strtol(v, &e, 10);
	if (errno != 0 || n > max_ms)
		return (-1);
	if (strcmp(e, "ms") != 0) {
		if (*e != 0 && strcmp(e, "s") != 0)
			return (-1);
		n *= 1000;
	}
	if (n > max_ms)
		return (-1);
	*out = (int) n;
	return (0);
}

/* parse_int - a decimal in [lo, hi]; 0 or -1 */
static int
parse_int(const char *v, long lo, long hi, int *out)
{
	char   *e;
	long    n;

	errno = 0;
	n = strtol(v, &e, 10);
	if (errno != 0 || e == v || *e != 0 || n < lo || n > hi)
		return (-1);
	*out = (int) n;
	return (0);
}

/*
 * read_password - the first line of a root-only file. Refused: not a
 * regular file, owned by another user than root or us, readable or
 * writable by others, or group-writable.
 */
static int
read_password(const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	char    buf[PASSWORD_MAX + 2];
	ssize_t n;
	size_t  len;
	int     fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "password-file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "password-file %s: not a regular file",
		    path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "password-file %s: owned by uid %ld, "
		    "not by root", path, (long) st.st_uid);
		goto fail;
	}
	if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
		snprintf(err, errlen, "password-file %s: mode %04o lets others "
		    "read or change it (chmod 0640, group relayguard)", path,
		    (unsigned) st.st_mode & 07777);
		goto fail;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		snprintf(err, errlen, "password-file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	buf[n] = 0;
	len = strcspn(buf, "\r\n");
	if (len == 0 || len > PASSWORD_MAX) {
		snprintf(err, errlen, "password-file %s: %s", path, len == 0 ?
		    "empty first line" : "password longer than 512 bytes");
		explicit_bzero(buf, sizeof(buf));
		goto fail;
	}
	buf[len] = 0;
	if (*out != NULL) {
		explicit_bzero(*out, strlen(*out));
		free(*out);
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return (0);
fail:
	close(fd);
	return (-1);
}

/* redis_conf_set - one line of a redis section (see redis.h) */
int
redis_conf_set(struct redis_conf *c, const char *name, const char *v,
	const char *base, char *err, size_t errlen)
{
	struct redis_host *h;
	const char *slash;
	char    path[PATH_MAX];

	if (strcmp(name, "server") == 0 || strcmp(name, "sentinel") == 0) {
		int     sentinel = strcmp(name, "sentinel") == 0;
		int    *n = sentinel ? &c->nsentinels : &c->nservers;

		if (*n == REDIS_HOSTS_MAX) {
			snprintf(err, errlen, "more than %d %ss",
			    REDIS_HOSTS_MAX, name);
			return (-1);
		}
		h = sentinel ? &c->sentinels[*n] : &c->servers[*n];
		if (parse_host(v, sentinel ? 26379 : 6379, h) < 0) {
			snprintf(err, errlen, "%s: expected HOST, HOST:PORT or "
			    "[IPV6]:PORT, found '%s'", name, v);
			return (-1);
		}
		(*n)++;
		return (0);
	}
	if (strcmp(name, "master") == 0 || strcmp(name, "prefix") == 0 ||
	    strcmp(name, "user") == 0) {
		char   *dst = strcmp(name, "master") == 0 ? c->master :
		    strcmp(name, "prefix") == 0 ? c->prefix : c->user;

		if (strlen(v) >= REDIS_NAME_MAX || strpbrk(v, " \t\r\n") ||
		    (*v == 0 && dst != c->prefix)) {
			snprintf(err, errlen, "%s: a word of at most %d bytes",
			    name, REDIS_NAME_MAX - 1);
			return (-1);
		}
		snprintf(dst, REDIS_NAME_MAX, "%s", v);
		return (0);
	}
	if (strcmp(name, "database") == 0) {
		if (parse_int(v, 0, 65535, &c->database) < 0)
			goto badnum;
		return (0);
	}
	if (strcmp(name, "cache-size") == 0) {
		if (parse_int(v, 1, 10000000, &c->cache_size) < 0)
			goto badnum;
		return (0);
	}
	if (strcmp(name, "connect-timeout") == 0 ||
	    strcmp(name, "command-timeout") == 0) {
		int    *dst = strcmp(name, "connect-timeout") == 0 ?
		    &c->connect_ms : &c->command_ms;

		if (parse_ms(v, 60000, dst) < 0 || *dst == 0) {
			snprintf(err, errlen, "%s: expected a time such as "
			    "250ms or 2s (at most 60s), found '%s'", name, v);
			return (-1);
		}
		return (0);
	}
	if (strcmp(name, "cache-ttl") == 0 ||
	    strcmp(name, "cache-negative") == 0) {
		int     ms;

		if (parse_ms(v, 86400 * 1000, &ms) < 0 || ms % 1000 != 0) {
			snprintf(err, errlen, "%s: expected whole seconds such "
			    "as 60s, found '%s'", name, v);
			return (-1);
		}
		if (strcmp(name, "cache-ttl") == 0)
			c->cache_ttl = ms / 1000;
		else
			c->cache_negative = ms / 1000;
		return (0);
	}
	if (strcmp(name, "password-file") == 0) {
		if (v[0] != '/' && base != NULL &&
		    (slash = strrchr(base, '/')) != NULL) {
			snprintf(path, sizeof(path), "%.*s/%s",
			    (int) (slash - base), base, v);
			v = path;
		}
		return (read_password(v, &c->password, err, errlen));
	}
	snprintf(err, errlen, "unknown redis setting '%s' (expected server, "
	    "sentinel, master, database, prefix, user, password-file, "
	    "connect-timeout, command-timeout, cache-ttl, cache-negative or "
	    "cache-size)", name);
	return (-1);
badnum:
	snprintf(err, errlen, "%s: expected a number, found '%s'", name, v);
	return (-1);
}

/* redis_conf_check - servers, or master and sentinels (see redis.h) */
int
redis_conf_check(const struct redis_conf *c, char *err, size_t errlen)
{
	if (c->nservers > 0 && (c->nsentinels > 0 || c->master[0])) {
		snprintf(err, errlen, "redis: give servers, or a master and its "
		    "sentinels, not both");
		return (-1);
	}
	if (c->nservers == 0 && (c->nsentinels == 0 || !c->master[0])) {
		snprintf(err, errlen, "redis: %s", c->nsentinels > 0 ?
		    "sentinels need 'master NAME'" : c->master[0] ?
		    "'master' needs at least one sentinel" :
		    "no server (give 'server HOST:PORT', or 'master NAME' and "
		    "'sentinel HOST:PORT')");
		return (-1);
	}
	return (0);
}
