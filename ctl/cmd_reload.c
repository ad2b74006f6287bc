/*
 * NAME
 *	cmd_reload - relayguardctl reload
 * SYNOPSIS
 *	relayguardctl reload [-c conf] [--socket S] [-P pidfile]
 * DESCRIPTION
 *	Asks the running daemon to load its configuration again, over
 *	the control socket, and reports the result: "reloaded", or every
 *	error of the refused file (the daemon keeps its running rules).
 *
 *	When the control socket cannot be reached, sends SIGUSR1 to the
 *	pid in the pid file (default /run/relayguard/relayguard.pid)
 *	instead, only when the file is locked, that pid has it open and
 *	runs relayguard (signal_daemon()); the result is then only in the
 *	daemon's log.
 * DIAGNOSTICS
 *	Exit status 0 reloaded (or signalled); 78 the daemon refused the
 *	configuration; 69 the daemon cannot be reached; 64 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"

const char cmd_reload_usage[] =
	"reload [-c conf] [--socket S] [-P pidfile]";

/* holds_file - has process pid the file st open? 1 yes, 0 no, -1 error */
static int
holds_file(long pid, const struct stat *st)
{
	char    dir[64], fd[64 + 256];
	struct dirent *de;
	struct stat fst;
	DIR    *d;
	int     found = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	if ((d = opendir(dir)) == NULL)
		return (-1);
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", dir, de->d_name);
		if (stat(fd, &fst) == 0 && fst.st_dev == st->st_dev &&
		    fst.st_ino == st->st_ino)
			found = 1;
	}
	closedir(d);
	return (found);
}

/* is_relayguard - is /proc/PID/exe a program named relayguard? */
static int
is_relayguard(long pid, char *exe, size_t len)
{
	char    link[64];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%ld/exe", pid);
	if ((n = readlink(link, exe, len - 1)) < 0) {
		snprintf(exe, len, "(%s)", strerror(errno));
		return (0);
	}
	exe[n] = 0;
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	/* An upgrade may have replaced the binary under the daemon. */
	return (strcmp(base, "relayguard") == 0 ||
	    strcmp(base, "relayguard (deleted)") == 0);
}

/*
 * signal_daemon - SIGUSR1 to the daemon of the pid file, only when it
 * really is one: the file is locked (relayguard holds a flock() on it
 * for its life), the pid in it has the file open, and its program is
 * relayguard. Anything else could be a stale file naming a pid that
 * has been reused, and SIGUSR1 kills most programs. 0, or -1 with the
 * reason in why.
 */
static int
signal_daemon(const char *pidfile, long *pid, char *why, size_t whylen)
{
	struct stat st;
	char    buf[32], exe[PATH_MAX];
	char   *end;
	ssize_t n;
	int     fd, r;

	fd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "pid file %s: %s", pidfile,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "pid file %s: not a regular file",
		    pidfile);
		goto fail;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		snprintf(why, whylen, "pid file %s is not locked: no "
		    "relayguard holds it (a stale file?)", pidfile);
		goto fail;
	}
	if (errno != EWOULDBLOCK) {
		snprintf(why, whylen, "pid file %s: lock: %s", pidfile,
		    strerror(errno));
		goto fail;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	errno = 0;
	*pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != 0) ||
	    *pid <= 1) {
		snprintf(why, whylen, "pid file %s: no pid in it", pidfile);
		goto fail;
	}
	if ((r = holds_file(*pid, &st)) <= 0) {
		snprintf(why, whylen, "pid %ld of %s %s", *pid, pidfile,
		    r < 0 ? "cannot be checked (not running, or not ours: "
		    "run as root)" : "does not hold that file");
		goto fail;
	}
	if (!is_relayguard(*pid, exe, sizeof(exe))) {
		snprintf(why, whylen, "pid %ld of %s runs %s, not relayguard",
		    *pid, pidfile, exe);
		goto fail;
	}
	close(fd);
	if (kill((pid_t) *pid, SIGUSR1) < 0) {
		snprintf(why, whylen, "pid %ld: %s", *pid, strerror(errno));
		return (-1);
	}
	return (0);
fail:
	close(fd);
	return (-1);
}

/* cmd_reload - reload the daemon's configuration */
int
cmd_reload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"pidfile", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf reply = STRBUF_INIT;
	const char *conf = NULL, *sock = NULL, *pidfile = RG_DEFAULT_PIDFILE;
	const char *body;
	enum ctlproto_answer answer;
	enum ctl_ask ret;
	char    err[512], why[PATH_MAX + 256];
	int     ch, status;
	long    pid = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:P:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			return (ctl_usage("reload", NULL));
		}
	}
	if (optind != argc) {
		return (ctl_usage("reload", NULL));
	}
	ret = ctl_control_ask("reload", conf, sock, CTLPROTO_RELOAD, &reply,
	    &answer, err, sizeof(err));
	if (ret == CTL_ASK_CONFIG)
		return (CTL_EX_CONFIG);
	if (ret == CTL_ASK_OK) {
		printf("reloaded\n");
		status = CTL_EX_OK;
	} else if (ret == CTL_ASK_REFUSED) {
		body = strchr(strbuf_str(&reply), '\n');
		fprintf(stderr, "relayguardctl: reload: %.*s\n",
		    body ? (int) (body - reply.s) : (int) reply.len, reply.s);
		if (body && body[1])
			fputs(body + 1, stderr);
		status = answer == CTLPROTO_ERR_CONFIG ? CTL_EX_CONFIG :
		    CTL_EX_SOFTWARE;
	} else if (signal_daemon(pidfile, &pid, why, sizeof(why)) == 0) {
		printf("control socket unreachable (%s); sent SIGUSR1 to pid "
		    "%ld: see the daemon's log for the result\n", err, pid);
		status = CTL_EX_OK;
	} else {
		fprintf(stderr, "relayguardctl: reload: cannot reach the "
		    "daemon: %s; not signalled: %s\n", err, why);
		status = CTL_EX_UNAVAILABLE;
	}
	strbuf_free(&reply);
	return (status);
}
