/*
 * NAME
 *	store_safe - open a table's files as root without following links
 * SYNOPSIS
 *	#include "store/store_int.h"
 *
 *	int store_dir_check(path, err, errlen)
 *	int store_safe_open(path, lockpath, writable, sf, err, errlen)
 *	void store_safe_close(sf)
 *	void store_fix_owner_fd(fd, datafile)
 *	int store_owner_uid(uid)
 * DESCRIPTION
 *	The directory of a table may belong to the daemon's user, and
 *	relayguardctl (grant, revoke, purge, compile, watch) and the
 *	daemon's start run as root. Whoever owns the directory can put a
 *	symbolic link where the table, its lock file PATH-lock or a
 *	temporary file will be, and root would create, truncate, write
 *	and chown whatever the link names. So, when the process runs as
 *	root, no file of a table is opened or created by a name whose
 *	last component may be a link: each is opened with openat() and
 *	O_NOFOLLOW on the directory, and ownership is changed with
 *	fchown()/fchmod() on the opened descriptor.
 *
 *	LMDB opens its files by name (PATH and PATH-lock; the lock file
 *	with O_CREAT, and it truncates and initialises a lock file no
 *	other process has open). store_safe_open() therefore opens both
 *	itself, refuses links, anything but a regular file and a lock
 *	file with other hard links, and makes a private directory (mode
 *	0700, beside the table, else in /tmp) holding two links to
 *	/proc/self/fd/N of the descriptors it opened. sf->lmdbpath names
 *	the first through /proc/self/fd of the private directory, so
 *	LMDB opens exactly the inodes checked, whatever happens to the
 *	names meanwhile; its "-lock" suffix lands on the second link.
 *	store_safe_close() removes the links and the directory once
 *	mdb_env_open() has returned.
 *
 *	store_dir_check() refuses, for a process running as root, a table
 *	directory that someone other than root and the table owner (the
 *	user of store_set_owner()) could write: one owned by another user,
 *	or writable by its group or by others.
 * DIAGNOSTICS
 *	0 on success; -1 with a message naming the file and the problem.
 * BUGS
 *	Needs /proc (Linux). Not run for other users: a user can only
 *	be made to write what it could write anyway. A link planted in
 *	place of a temporary file is removed or refused, never followed;
 *	a regular file swapped in place of one may be renamed into the
 *	table's place, which its owner could have done directly.
 * THREADS
 *	Thread-safe; store_owner_uid() reads the owner set before any
 *	table is opened (store_set_owner()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "store/store_int.h"

/* split_path - the directory and last component of path (malloc'ed) */
static void
split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*dir = xstrdup(".");
		*base = path;
	} else if (slash == path) {
		*dir = xstrdup("/");
		*base = slash + 1;
	} else {
		*dir = xmalloc((size_t) (slash - path) + 1);
		memcpy(*dir, path, (size_t) (slash - path));
		(*dir)[slash - path] = 0;
		*base = slash + 1;
	}
}

/* store_dir_check - refuse a table directory others could write (root) */
int
store_dir_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	const char *base;
	char   *dir;
	uid_t   owner;
	int     have_owner, fd, rc = -1;

	if (geteuid() != 0)
		return (0);
	split_path(path, &dir, &base);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: table directory: %s", dir,
		    strerror(errno));
		goto out;
	}
	have_owner = store_owner_uid(&owner) == 0;
	if (st.st_uid != 0 && !(have_owner && st.st_uid == owner)) {
		snprintf(err, errlen, "%s: table directory owned by uid %ld, "
		    "neither root nor the table owner: refusing to write "
		    "tables there as root (chown root %s)", dir,
		    (long) st.st_uid, dir);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: table directory is writable by "
		    "its group or others (mode %04o): refusing to write "
		    "tables there as root (chmod go-w %s)", dir,
		    (unsigned) (st.st_mode & 07777), dir);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		(void) close(fd);
	free(dir);
	return (rc);
}

/* open_fail_msg - why a file of the table could not be opened */
static void
open_fail_msg(char *err, size_t errlen, const char *path, int e)
{
	if (e == ELOOP)
		snprintf(err, errlen, "%s: is a symbolic link; not followed "
		    "when running as root (link the directory instead)", path);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(e));
}

/* check_regular - a regular file, and for a lock file one name only */
static int
check_regular(int fd, const char *path, int lock, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return (-1);
	}
	if (lock && st.st_nlink > 1) {
		snprintf(err, errlen, "%s: has %lu hard links; a lock file has "
		    "one: refusing it as root", path,
		    (unsigned long) st.st_nlink);
		return (-1);
	}
	return (0);
}

/* private_dir - a fresh directory only we can write, opened */
static int
private_dir(const char *dir, struct store_safe *sf)
{
	const char *bases[2];
	struct stat st;
	size_t  n;
	int     i;

	bases[0] = dir;
	bases[1] = "/tmp";
	for (i = 0; i < 2; i++) {
		n = strlen(bases[i]) + 32;
		sf->pdir = xmalloc(n);
		snprintf(sf->pdir, n, "%s/.relayguard-open.XXXXXX", bases[i]);
		if (mkdtemp(sf->pdir) != NULL)
			break;
		free(sf->pdir);
		sf->pdir = NULL;
	}
	if (sf->pdir == NULL)
		return (-1);
	sf->pfd = open(sf->pdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (sf->pfd < 0 || fstat(sf->pfd, &st) < 0 ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		if (sf->pfd >= 0)
			(void) close(sf->pfd);
		sf->pfd = -1;
		(void) rmdir(sf->pdir);
		free(sf->pdir);
		sf->pdir = NULL;
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/* store_safe_open - open a table's files by descriptor (see above) */
int
store_safe_open(const char *path, const char *lockpath, int writable,
	struct store_safe *sf, char *err, size_t errlen)
{
	const char *base, *lockbase;
	char    target[64];
	char   *dir;
	int     dfd;

	memset(sf, 0, sizeof(*sf));
	sf->pfd = sf->datafd = sf->lockfd = -1;
	split_path(path, &dir, &base);
	lockbase = strrchr(lockpath, '/') ? strrchr(lockpath, '/') + 1 :
	    lockpath;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	/* O_NONBLOCK: a FIFO planted as the table must not hang us. */
	sf->datafd = openat(dfd, base, (writable ? O_RDWR : O_RDONLY) |
	    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (sf->datafd < 0) {
		open_fail_msg(err, errlen, path, errno);
		goto fail;
	}
	if (check_regular(sf->datafd, path, 0, err, errlen) < 0)
		goto fail;
	sf->lockfd = openat(dfd, lockbase, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0660);
	if (sf->lockfd >= 0)
		sf->lock_made = 1;
	else if (errno == EEXIST)
		sf->lockfd = openat(dfd, lockbase, O_RDWR | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (sf->lockfd < 0) {
		open_fail_msg(err, errlen, lockpath, errno);
		goto fail;
	}
	if (check_regular(sf->lockfd, lockpath, 1, err, errlen) < 0)
		goto fail;
	if (private_dir(dir, sf) < 0) {
		snprintf(err, errlen, "%s: cannot make a private directory to "
		    "open it safely: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(target, sizeof(target), "/proc/self/fd/%d", sf->datafd);
	if (symlinkat(target, sf->pfd, "t") < 0)
		goto linkfail;
	snprintf(target, sizeof(target), "/proc/self/fd/%d", sf->lockfd);
	if (symlinkat(target, sf->pfd, "t-lock") < 0)
		goto linkfail;
	snprintf(sf->lmdbpath, sizeof(sf->lmdbpath), "/proc/self/fd/%d/t",
	    sf->pfd);
	(void) close(dfd);
	free(dir);
	return (0);

linkfail:
	snprintf(err, errlen, "%s: cannot open it safely: %s", path,
	    strerror(errno));
fail:
	if (dfd >= 0)
		(void) close(dfd);
	free(dir);
	store_safe_close(sf);
	return (-1);
}

/* store_safe_close - remove the private directory, close everything */
void
store_safe_close(struct store_safe *sf)
{
	if (sf->pfd >= 0) {
		(void) unlinkat(sf->pfd, "t", 0);
		(void) unlinkat(sf->pfd, "t-lock", 0);
		(void) close(sf->pfd);
		sf->pfd = -1;
	}
	if (sf->pdir != NULL) {
		(void) rmdir(sf->pdir);
		free(sf->pdir);
		sf->pdir = NULL;
	}
	if (sf->datafd >= 0)
		(void) close(sf->datafd);
	if (sf->lockfd >= 0)
		(void) close(sf->lockfd);
	sf->datafd = sf->lockfd = -1;
}
