/*
 * NAME
 *	ctl_store - helpers shared by the table and grant subcommands
 * SYNOPSIS
 *	#include "ctl/ctl_store.h"
 *
 *	const char *ctl_table_path(cmd, conf, table, dynamic, buf, len)
 *	int ctl_table_option(opts, opt, arg)
 *	int ctl_grants_open(cmd, opts, write, store)
 *	int ctl_parse_ttl(text, seconds)
 * DESCRIPTION
 *	ctl_table_path() resolves a TABLE argument. Without -c conf it is
 *	a path. With -c conf, a name of a "table" statement of that
 *	configuration (a path, anything with a '/', still works); the
 *	configuration's "user" becomes the owner of files created as
 *	root unless -u was given, and its recipient-delimiter is
 *	returned through ctl_conf_delimiter() for query. For the grant
 *	commands with no -t, the configuration's only dynamic table is
 *	used: that of -c conf, or of the default configuration file when
 *	it exists, else /var/lib/relayguard/popauth.lmdb. The
 *	configuration is loaded without opening its table files. A
 *	"dynamic redis" table has no path: ctl_grants_open() hands out a
 *	handle on the configuration's Redis instead.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"
#include "ctl/ctl_store.h"
#include "store/redis.h"
#include "store/store.h"

static char *conf_delimiter;
static int owner_given;
static struct store *redis_table;	/* the table found is in Redis */

/* ctl_owner_given - -u was given: the configuration's user yields */
void
ctl_owner_given(const char *user)
{
	store_set_owner(user);
	owner_given = 1;
}

/* ctl_owner_from - the configuration's user owns new files, unless -u */
void
ctl_owner_from(const struct rules *r)
{
	const char *user = rules_settings(r)->user;

	/* store_set_owner() keeps the pointer */
	if (user != NULL && !owner_given)
		store_set_owner(xstrdup(user));
}

/* ctl_table_option - -c, -t and -u, shared by the table commands */
int
ctl_table_option(struct ctl_table_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'c':
		o->conf = arg;
		return (1);
	case 't':
		o->table = arg;
		return (1);
	case 'u':
		ctl_owner_given(arg);
		return (1);
	default:
		return (0);
	}
}

/* ctl_grants_open - resolve and open the grant table of the options */
int
ctl_grants_open(const char *cmd, const struct ctl_table_opts *o, int write,
	struct store **s)
{
	const char *path;
	char    err[512], buf[PATH_MAX];
	int     rc;

	if ((path = ctl_table_path(cmd, o->conf, o->table, 1, buf,
	    sizeof(buf))) == NULL)
		return (CTL_EX_CONFIG);
	if (redis_table != NULL) {
		*s = redis_table;
		redis_table = NULL;
		return (0);
	}
	rc = write ? store_open_write(path, 1, s, err, sizeof(err)) :
	    store_open(path, 1, s, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, err);
		return (CTL_EX_IOERR);
	}
	return (0);
}

/* ctl_table_redis - is the table ctl_table_path() found last in Redis? */
int
ctl_table_redis(void)
{
	return (redis_table != NULL);
}

/* ctl_conf_delimiter - the recipient-delimiter of the configuration */
const char *
ctl_conf_delimiter(void)
{
	return (conf_delimiter);
}

/* copy_path - path into buf; NULL after a diagnostic when too long */
static const char *
copy_path(const char *cmd, const char *path, char *buf, size_t len)
{
	if (strlen(path) >= len) {
		fprintf(stderr, "relayguardctl: %s: %s: path too long\n", cmd,
		    path);
		return (NULL);
	}
	return (strcpy(buf, path));
}

/* ctl_table_path - resolve a table argument (see ctl_store.h) */
const char *
ctl_table_path(const char *cmd, const char *conf, const char *table,
	int dynamic, char *buf, size_t len)
{
	const struct rules_settings *set;
	struct rules *r;
	const char *name, *path, *found = NULL;
	size_t  i;
	int     dyn, nfound = 0;

	if (table != NULL && (conf == NULL || strchr(table, '/') != NULL))
		return (copy_path(cmd, table, buf, len));
	if (table == NULL && conf == NULL &&
	    access(RG_DEFAULT_CONF, F_OK) < 0) {
		if (dynamic)
			return (copy_path(cmd, RG_DEFAULT_GRANTS, buf, len));
		fprintf(stderr, "relayguardctl: %s: no table given\n", cmd);
		return (NULL);
	}
	if ((r = ctl_rules_load_flags(conf,
	    RULES_LOAD_NO_TABLES | RULES_LOAD_NO_LISTS)) == NULL)
		return (NULL);
	for (i = 0; rules_table_info(r, i, &name, &path, &dyn) == 0; i++) {
		if (table != NULL ? strcmp(name, table) == 0 : dyn == dynamic) {
			found = path;
			nfound++;
			store_close(redis_table);
			redis_table = NULL;
			if (store_is_redis(rules_table_store(r, i)))
				redis_table = store_dup(rules_table_store(r,
				    i));
			if (table != NULL)
				break;
		}
	}
	if (nfound == 1 && dyn != dynamic && table != NULL) {
		fprintf(stderr, "relayguardctl: %s: %s: table %s is %s\n", cmd,
		    ctl_rules_name(conf), table, dynamic ? "not dynamic" :
		    "dynamic");
		found = NULL;
	} else if (nfound == 0) {
		if (table != NULL)
			fprintf(stderr, "relayguardctl: %s: %s: no table named "
			    "%s\n", cmd, ctl_rules_name(conf), table);
		else
			fprintf(stderr, "relayguardctl: %s: %s: no %s table; "
			    "give one with -t\n", cmd, ctl_rules_name(conf),
			    dynamic ? "dynamic" : "static");
	} else if (nfound > 1) {
		fprintf(stderr, "relayguardctl: %s: %s: several %s tables; "
		    "name one with -t\n", cmd, ctl_rules_name(conf),
		    dynamic ? "dynamic" : "static");
		found = NULL;
	}
	if (found != NULL)
		found = copy_path(cmd, found, buf, len);
	if (found == NULL) {
		store_close(redis_table);
		redis_table = NULL;
	} else {
		set = rules_settings(r);
		ctl_owner_from(r);
		if (set->recipient_delimiter != NULL && conf_delimiter == NULL)
			conf_delimiter = xstrdup(set->recipient_delimiter);
	}
	rules_unref(r);
	return (found);
}

/* ctl_ttl_arg - a --ttl argument, or a diagnostic */
int
ctl_ttl_arg(const char *cmd, const char *arg, time_t *out)
{
	if (ctl_parse_ttl(arg, out) == 0)
		return (0);
	fprintf(stderr, "relayguardctl: %s: bad TTL: %s\n", cmd, arg);
	return (-1);
}

/* ctl_parse_ttl - parse a duration (see ctl_store.h) */
int
ctl_parse_ttl(const char *s, time_t *out)
{
	char   *end;
	long long n;
	long long mult = 1;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case 0:
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return (-1);
	}
	if (*end != 0 && end[1] != 0)
		return (-1);
	if (n <= 0 || n > 10LL * 366 * 86400 / mult)
		return (-1);
	*out = (time_t) (n * mult);
	return (0);
}
