/*
 * NAME
 *	rules_check 3
 * SUMMARY
 *	what a loaded configuration will meet when the daemon runs it
 * SYNOPSIS
 *	#include "rules/rules_check.h"
 *
 *	int	rules_check(const struct rules *r, const char *user,
 *		struct strbuf *warnings, struct strbuf *summary)
 * DESCRIPTION
 *	"relayguard -n" and "relayguardctl check" both call this after
 *	rules_load(), so that they say the same things.
 *
 *	rules_check() appends to summary the line
 *
 *	SOURCE: configuration OK: N rules, N lists, N tables
 *
 *	and to warnings one line "SOURCE: warning: ..." for each thing
 *	that loads but will not work in the running daemon:
 *
 *	- user (the "user" setting, or the caller's override when not
 *	  NULL; "" means none) names no account: the daemon refuses to
 *	  start as root.
 *	- a table file does not exist (a static table's lookups yield
 *	  on-error until it is compiled; a dynamic table holds no grants
 *	  until relayguardctl grant or watch makes it), or its directory
 *	  does not exist;
 *	- the user cannot read a table file, cannot search a directory
 *	  above it, or can neither write the table's lock file (PATH-lock)
 *	  nor create it in the table's directory (LMDB readers write their
 *	  reader slot there);
 *	- the user cannot read the configuration file, an included file
 *	  or a list file: the daemon reads them as that user when it
 *	  reloads, so every reload would be refused;
 *	- the lines of rules_warnings() ("file:line: warning: ..."):
 *	  rules that on-error accept turns into a permit.
 *
 *	The daemon reads tables and reloads as user; without a user it
 *	runs as whoever starts it, so the checks are made for the
 *	effective user id (none when that is root: root reads everything).
 * DIAGNOSTICS
 *	Returns the number of warnings. This function cannot fail.
 * BUGS
 *	Permissions are judged from the mode bits, owner and group (the
 *	user's primary and supplementary groups): ACLs, capabilities and
 *	mandatory access control (AppArmor, SELinux) are not consulted.
 *	Systemd sandboxing of the service (ReadOnlyPaths, ProtectSystem)
 *	is not seen either.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules/rules_check.h"
#include "rules/rules_int.h"

#define MAX_GROUPS	256

/* Who the daemon will be when it reads files. */
struct who {
	const char *name;	/* for messages */
	uid_t   uid;
	gid_t   groups[MAX_GROUPS];
	int     ngroups;
};

/* in_group - is gid one of who's groups? */
static int
in_group(const struct who *w, gid_t gid)
{
	int     i;

	for (i = 0; i < w->ngroups; i++)
		if (w->groups[i] == gid)
			return (1);
	return (0);
}

/* may - may who do mode (R_OK, W_OK, X_OK bits) to what sb describes? */
static int
may(const struct who *w, const struct stat *sb, int mode)
{
	int     shift;

	if (w->uid == 0)
		return (1);
	if (sb->st_uid == w->uid)
		shift = 6;
	else if (in_group(w, sb->st_gid))
		shift = 3;
	else
		shift = 0;
	return ((((unsigned) sb->st_mode >> shift) & (unsigned) mode) ==
	    (unsigned) mode);
}

/*
 * dir_search - can who reach entries of dir (every directory from the
 * root down to dir searchable)? On failure the directory that stops
 * who is in bad.
 */
static int
dir_search(const struct who *w, const char *dir, char *bad, size_t badlen)
{
	char    buf[PATH_MAX];
	struct stat sb;
	size_t  i, len = strlen(dir);

	if (len >= sizeof(buf))
		return (1);
	for (i = 1; i <= len; i++) {
		if (i < len && dir[i] != '/')
			continue;
		memcpy(buf, dir, i);
		buf[i] = 0;
		if (stat(buf, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
		    !may(w, &sb, X_OK)) {
			snprintf(bad, badlen, "%s", buf);
			return (0);
		}
	}
	return (1);
}

/* parent - the directory part of path, in buf */
static const char *
parent(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return (".");
	if (slash == path)
		return ("/");
	snprintf(buf, len, "%.*s", (int) (slash - path), path);
	return (buf);
}

/* warn - one warning line */
static void
warn(struct strbuf *out, int *n, const struct rules *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
warn(struct strbuf *out, int *n, const struct rules *r, const char *fmt, ...)
{
	va_list ap;

	strbuf_printf(out, "%s: warning: ", r->source);
	va_start(ap, fmt);
	strbuf_vprintf(out, fmt, ap);
	va_end(ap);
	strbuf_putc(out, '\n');
	(*n)++;
}

/* check_file - a file the daemon reads when it (re)loads */
static void
check_file(const struct who *w, const struct rules *r, const char *what,
	const char *path, struct strbuf *out, int *n)
{
	char    dbuf[PATH_MAX], bad[PATH_MAX];
	const char *dir = parent(path, dbuf, sizeof(dbuf));
	struct stat sb;

	if (!dir_search(w, dir, bad, sizeof(bad)))
		warn(out, n, r, "%s %s: user %s cannot search directory %s; "
		    "every reload will be refused", what, path, w->name, bad);
	else if (stat(path, &sb) == 0 && !may(w, &sb, R_OK))
		warn(out, n, r, "%s %s: not readable by user %s (owner %ld, "
		    "group %ld, mode %04o); every reload will be refused",
		    what, path, w->name, (long) sb.st_uid, (long) sb.st_gid,
		    (unsigned) sb.st_mode & 07777);
}

/* check_table - a table file, its directory and its lock file */
static void
check_table(const struct who *w, const struct rules *r,
	const struct table *t, struct strbuf *out, int *n)
{
	char    dbuf[PATH_MAX], bad[PATH_MAX], lock[PATH_MAX + 8];
	const char *dir = parent(t->path, dbuf, sizeof(dbuf));
	const char *kind = t->dynamic ? "dynamic table" : "table";
	struct stat sb, db;

	if (stat(dir, &db) < 0 || !S_ISDIR(db.st_mode)) {
		warn(out, n, r, "%s %s: %s: directory %s does not exist%s",
		    kind, t->name, t->path, dir, t->dynamic ? "; grants "
		    "cannot be stored" : "; lookups yield on-error");
		return;
	}
	if (w != NULL && !dir_search(w, dir, bad, sizeof(bad))) {
		warn(out, n, r, "%s %s: %s: user %s cannot search directory "
		    "%s; lookups yield on-error", kind, t->name, t->path,
		    w->name, bad);
		return;
	}
	if (stat(t->path, &sb) < 0) {
		if (t->dynamic) {
			/* grant and watch make it and its lock file. */
			warn(out, n, r, "dynamic table %s: %s does not exist "
			    "yet: no grants until relayguardctl grant or watch "
			    "makes it", t->name, t->path);
			return;
		} else
			warn(out, n, r, "table %s: %s: %s (lookups yield "
			    "on-error until it is built)", t->name, t->path,
			    strerror(errno));
	} else if (w != NULL && !may(w, &sb, R_OK)) {
		warn(out, n, r, "%s %s: %s: not readable by user %s (owner "
		    "%ld, group %ld, mode %04o); lookups yield on-error", kind,
		    t->name, t->path, w->name, (long) sb.st_uid,
		    (long) sb.st_gid, (unsigned) sb.st_mode & 07777);
		return;
	}
	if (w == NULL)
		return;
	snprintf(lock, sizeof(lock), "%s-lock", t->path);
	if (stat(lock, &sb) == 0) {
		if (!may(w, &sb, R_OK | W_OK))
			warn(out, n, r, "%s %s: lock file %s: not writable by "
			    "user %s (owner %ld, group %ld, mode %04o); lookups "
			    "yield on-error", kind, t->name, lock, w->name,
			    (long) sb.st_uid, (long) sb.st_gid,
			    (unsigned) sb.st_mode & 07777);
	} else if (!may(w, &db, W_OK | X_OK))
		warn(out, n, r, "%s %s: lock file %s does not exist and user "
		    "%s cannot create it in %s; lookups yield on-error until "
		    "relayguardctl (as root) makes it", kind, t->name, lock,
		    w->name, dir);
}

/* who_init - the daemon's identity; 0, or -1 when there is none to check */
static int
who_init(struct who *w, const char *user, const struct rules *r,
	struct strbuf *out, int *n)
{
	struct passwd *pw;

	memset(w, 0, sizeof(*w));
	if (user == NULL || *user == 0) {
		if (geteuid() == 0)
			return (-1);
		w->name = "(current)";
		w->uid = geteuid();
		w->ngroups = getgroups(MAX_GROUPS, w->groups);
		if (w->ngroups < 0)
			w->ngroups = 0;
		if (w->ngroups < MAX_GROUPS)
			w->groups[w->ngroups++] = getegid();
		if ((pw = getpwuid(w->uid)) != NULL)
			w->name = pw->pw_name;
		return (0);
	}
	if ((pw = getpwnam(user)) == NULL) {
		warn(out, n, r, "user %s: no such user: the daemon refuses to "
		    "start as root", user);
		return (-1);
	}
	w->name = user;
	w->uid = pw->pw_uid;
	w->ngroups = MAX_GROUPS;
	if (getgrouplist(user, pw->pw_gid, w->groups, &w->ngroups) < 0)
		w->ngroups = MAX_GROUPS;
	return (0);
}

/* rules_check - warnings and the summary line */
int
rules_check(const struct rules *r, const char *user,
	struct strbuf *warnings, struct strbuf *summary)
{
	struct who who;
	const struct who *w;
	size_t  i;
	int     n = 0;

	if (user == NULL)
		user = r->settings.user;
	w = who_init(&who, user, r, warnings, &n) == 0 ? &who : NULL;
	if (w != NULL && strcmp(r->source, "(default)") != 0)
		for (i = 0; i < r->nfiles; i++)
			check_file(w, r, i == 0 ? "configuration file" :
			    "included or list file", r->files[i], warnings, &n);
	for (i = 0; i < r->ntables; i++)
		if (!r->tables[i]->redis)
			check_table(w, r, r->tables[i], warnings, &n);
	n += (int) rules_warnings(r, warnings);
	strbuf_printf(summary, "%s: configuration OK: %zu rule%s, %zu list%s, "
	    "%zu table%s\n", r->source, r->nall, r->nall == 1 ? "" : "s",
	    r->nlists, r->nlists == 1 ? "" : "s", r->ntables,
	    r->ntables == 1 ? "" : "s");
	return (n);
}
