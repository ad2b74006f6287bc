/*
 * NAME
 *	relayguard 8
 * SUMMARY
 *	relay-control milter daemon
 * SYNOPSIS
 *	relayguard [-c conf] [-p socket] [-u user] [-P pidfile] [-f] [-n] [-v]
 *	relayguard -h | -V
 * DESCRIPTION
 *	Loads the configuration (-c, else /etc/relayguard/relayguard.conf
 *	when it exists, else the embedded default), opens and locks the
 *	pid file (a second daemon with the same one stops here), binds the
 *	milter socket (mode 0660 for a Unix socket; one nobody listens on
 *	is replaced, one a process answers on makes it refuse to start)
 *	and the control socket, daemonizes unless -f, writes its pid into
 *	the locked file, tells systemd it is ready (notify.c), drops to the
 *	configured user, and runs libmilter's main loop. Missing
 *	directories are made root's.
 *	Command-line flags override the file's settings. See
 *	doc/relayguard.8.
 * DIAGNOSTICS
 *	Exit status 0 (stopped cleanly, -h, -V, or -n and the
 *	configuration is good), 64 usage, 78 configuration error, 1 start-up failure or
 *	a stop that libmilter did not finish within STOP_GRACE seconds.
 *	The configuration's warnings (rules_check(), as relayguardctl
 *	check prints them) go to standard error with -n and to the log at
 *	start; they change no exit status.
 * THREADS
 *	parse_options(), setup() and start() run on the main thread
 *	before any other thread exists, so the file's statics (pidfile,
 *	pidfile_fd, pidfile_written, main_thread) are written then and
 *	only read afterwards. start() starts the control socket thread
 *	and the connection gate thread (milter/conngate.c); run() starts
 *	the thread of smfi_main() (libmilter's listener, workers and its
 *	own signal thread). The main thread then waits for signals
 *	(SIGUSR1 reloads; SIGTERM, SIGINT and SIGHUP stop: smfi_stop(),
 *	then at most STOP_GRACE seconds for libmilter before _exit(1)).
 *	Every signal is blocked before the first thread starts, so only
 *	the sigwait callers see them. milter_done is an atomic, written
 *	by the milter thread; milter_ret is read only after
 *	pthread_join().
 *
 *	Threads get THREAD_STACK of stack unless they ask otherwise
 *	(thread_stack_default(), first thing in main()). libmilter starts
 *	its workers with the default attributes, and starts and ends them
 *	as the load changes; with glibc's default of 8 MiB, only a few
 *	stacks fit its cache of freed stacks, so each new worker was an
 *	mmap() and each ended one an munmap(), whose TLB flush reaches
 *	every CPU running the daemon. No code here recurses; its largest
 *	frames are the two 64 KiB read buffers of a configuration load,
 *	which leaves most of the 1 MiB to the libraries it calls (LMDB,
 *	hiredis and the resolver it uses on a reconnect, syslog).
 */
/* For pthread_setattr_default_np(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "common/ctlproto.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/version.h"
#include "common/xalloc.h"
#include "milter/conngate.h"
#include "milter/control.h"
#include "milter/filter.h"
#include "milter/limits.h"
#include "milter/live.h"
#include "milter/notify.h"
#include "milter/policy.h"
#include "rules/rules.h"
#include "rules/rules_check.h"
#include "store/redis.h"


#define THREAD_STACK	(1024 * 1024)	/* bytes; see THREADS above */
#define EX_USAGE_	64
#define EX_CONFIG_	78

static const char *pidfile;
static int pidfile_written;

/* usage - the synopsis, on fp; exit with status */
static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: relayguard [-c conf] [-p socket] [-u user] "
	    "[-P pidfile] [-f] [-n] [-v]\n"
	    "       relayguard -h | -V\n");
	if (status == 0)
		fprintf(fp, "relayguard %s: relay-control milter; see "
		    "relayguard(8)\n", RG_VERSION);
	exit(status);
}

/*
 * ensure_dir - make the directory of path when missing, 0755 and owned
 * by whoever we are (root): never by the user we become, who could
 * then put links where root writes the pid file on the next start.
 * Only the sockets themselves are given to that user.
 */
static void
ensure_dir(const char *path)
{
	char    buf[PATH_MAX];
	const char *dir;
	struct stat sb;

	if (path == NULL || strlen(path) >= sizeof(buf))
		return;
	strcpy(buf, path);
	dir = dirname(buf);
	if (stat(dir, &sb) == 0)
		return;
	if (mkdir(dir, 0755) < 0)
		log_warning("mkdir %s: %s", dir, strerror(errno));
}

/*
 * Pid file. It is opened (never through a link), checked and locked
 * with flock() before any socket is touched, and stays open and locked
 * for the daemon's life: the lock survives daemonize()'s fork, a
 * second daemon with the same pid file stops before it could replace
 * the first one's sockets, and "relayguardctl reload" signals only a
 * pid whose file is locked (ctl/cmd_reload.c).
 */
static int pidfile_fd = -1;

/*
 * unix_socket_free - may we replace what is at path?
 *
 * libmilter removes an existing socket file before it binds, which
 * would silently take the socket away from a running relayguard. So a
 * socket someone answers on is refused (one daemon per socket), and so
 * is anything that is not a socket; a socket file nobody listens on is
 * stale and may go. Returns 0 (absent or stale) or -1 with err set.
 */
static int
unix_socket_free(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int     fd, ret = 0;

	if (lstat(path, &sb) < 0)
		return (0);
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "socket %s: exists and is not a socket; "
		    "refusing to replace it", path);
		return (-1);
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket %s: path too long", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket %s: %s", path, strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
		snprintf(err, errlen, "socket %s: another process (another "
		    "relayguard?) is listening on it; refusing to start "
		    "(one daemon per socket)", path);
		ret = -1;
	} else if (errno != ECONNREFUSED && errno != ENOENT) {
		/* EACCES and the like: we cannot tell, so do not take it. */
		snprintf(err, errlen, "socket %s: cannot tell whether it is "
		    "in use: %s", path, strerror(errno));
		ret = -1;
	}
	close(fd);
	return (ret);
}

/* pidfile_refuse - a fatal pid file problem, on stderr before detaching */
static void
pidfile_refuse(int to_stderr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void
pidfile_refuse(int to_stderr, const char *fmt, ...)
{
	char    msg[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_stderr)
		fprintf(stderr, "relayguard: %s\n", msg);
	fatal("%s", msg);
}

/* pidfile_lock - open and lock the pid file, or refuse to start */
static void
pidfile_lock(const char *path, int foreground)
{
	struct stat st;
	char    buf[32];
	ssize_t n;
	int     fd;

	if (path == NULL || *path == 0)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ELOOP)
		pidfile_refuse(!foreground, "pid file %s: is a symbolic link; "
		    "refusing to write through it (remove it)", path);
	if (fd < 0) {
		log_warning("pid file %s: %s; running without one", path,
		    strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid())
		pidfile_refuse(!foreground, "pid file %s: not a regular file "
		    "of uid %ld with one link (uid %ld, %ld links): refusing "
		    "it (remove it)", path, (long) geteuid(), (long) st.st_uid,
		    (long) st.st_nlink);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			pidfile_refuse(!foreground, "pid file %s: lock: %s",
			    path, strerror(errno));
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		pidfile_refuse(!foreground, "pid file %s is locked by a "
		    "running relayguard (pid %s): refusing to start a second "
		    "one", path, *buf ? buf : "unknown");
	}
	pidfile_fd = fd;
}

/* pidfile_write - record our pid in the locked file */
static void
pidfile_write(const char *path)
{
	char    buf[32];
	int     n;

	if (pidfile_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
	if (ftruncate(pidfile_fd, 0) < 0 ||
	    pwrite(pidfile_fd, buf, (size_t) n, 0) != n) {
		log_warning("pid file %s: %s", path, strerror(errno));
		return;
	}
	pidfile_written = 1;
}

/* pidfile_remove - at exit: remove the file if it is still ours */
static void
pidfile_remove(const char *path)
{
	struct stat a, b;

	if (!pidfile_written)
		return;
	/* Emptied first: the directory may not let our user unlink it. */
	if (ftruncate(pidfile_fd, 0) < 0)
		log_debug("pid file %s: %s", path, strerror(errno));
	if (fstat(pidfile_fd, &a) == 0 && lstat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		(void) unlink(path);
}

/* daemonize - detach; the parent exits once the child is ready */
static int
daemonize(void)
{
	int     p[2], devnull;
	pid_t   pid;
	char    c;

	if (pipe(p) < 0)
		fatal("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		/* The child writes one byte when it runs; EOF means it died. */
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("setsid: %s", strerror(errno));
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	if (chdir("/") < 0)
		log_warning("chdir /: %s", strerror(errno));
	return (p[1]);
}

/* drop_privileges - become user; refuse to go on as root if we cannot */
static void
drop_privileges(const char *user, const struct passwd *pw)
{
	if (user == NULL || *user == 0) {
		if (geteuid() == 0)
			log_warning("running as root: set \"user\" in the "
			    "configuration or use -u");
		return;
	}
	if (geteuid() != 0) {
		if (pw == NULL || pw->pw_uid != geteuid())
			log_warning("not root: cannot become user %s; running "
			    "as uid %ld", user, (long) geteuid());
		return;
	}
	if (pw == NULL)
		fatal("user %s: no such user; refusing to run as root", user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		fatal("cannot become user %s: %s; refusing to run as root",
		    user, strerror(errno));
	if (pw->pw_uid != 0 && (setuid(0) == 0 || getuid() == 0 ||
	    geteuid() == 0))
		fatal("root privileges could be regained after switching to "
		    "%s; refusing to run", user);
}

/*
 * Stopping. libmilter's own signal thread also waits for SIGTERM, SIGINT
 * and SIGHUP, but the main thread waits for them too and the kernel
 * hands a signal sent to the process to its main thread first when that
 * thread waits for it, so the main thread normally sees the stop signal
 * and calls smfi_stop(). libmilter 8.17's worker pool can then hang
 * smfi_main() for good: its pool controller destroys the task-manager
 * mutex while the listener and workers still lock it, and a lock taken
 * across the destruction is never released (seen about once in 25 stops
 * under 128 busy connections). So smfi_main() runs in its own thread,
 * and the main thread gives it STOP_GRACE seconds after the signal
 * before it logs and _exit()s.
 */
#define STOP_GRACE	10

static pthread_t main_thread;
static volatile int milter_done;	/* smfi_main() returned (atomics) */
static int have_milter = 1;		/* 0: the policy door alone */
static int milter_ret = MI_FAILURE;

/* milter_thread - run libmilter's main loop; wake the main thread */
static void *
milter_thread(void *arg)
{
	(void) arg;
	milter_ret = smfi_main();
#ifdef RG_TEST_HOOKS
	/*
	 * Test build only (build/tests/relayguard-test): act as libmilter's
	 * hang (tests/integration/stop.test). The daemon that is installed
	 * has no such hook.
	 */
	if (getenv("RELAYGUARD_TEST_STOP_HANG") != NULL)
		for (;;)
			pause();
#endif
	__atomic_store_n(&milter_done, 1, __ATOMIC_SEQ_CST);
	(void) pthread_kill(main_thread, SIGUSR2);
	return (NULL);
}

/* wait_signals - reload on SIGUSR1, stop on SIGTERM/SIGINT/SIGHUP */
static void
wait_signals(const char *upath)
{
	struct timespec left;
	sigset_t set;
	time_t  deadline = 0;
	int     sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (!__atomic_load_n(&milter_done, __ATOMIC_SEQ_CST)) {
		if (deadline == 0) {
			sig = sigwaitinfo(&set, NULL);
		} else {
			left.tv_sec = deadline - time(NULL);
			left.tv_nsec = 0;
			if (left.tv_sec <= 0)
				break;
			sig = sigtimedwait(&set, NULL, &left);
		}
		if (sig < 0)
			continue;
		if (sig == SIGUSR1 && deadline == 0)
			(void) live_reload("SIGUSR1", NULL);
		else if ((sig == SIGTERM || sig == SIGINT || sig == SIGHUP) &&
		    deadline == 0) {
			log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" :
			    sig == SIGINT ? "SIGINT" : "SIGHUP");
			notify_stopping();
			if (!have_milter)
				return;
			deadline = time(NULL) + STOP_GRACE;
			(void) smfi_stop();
		}
	}
	if (__atomic_load_n(&milter_done, __ATOMIC_SEQ_CST))
		return;
	log_error("libmilter did not stop within %d seconds; exiting "
	    "without waiting for it", STOP_GRACE);
	mlimits_stop();
	control_cleanup();
	policy_cleanup();
	if (upath != NULL)
		(void) unlink(upath);
	pidfile_remove(pidfile);
	_exit(1);
}

/* log_check_warnings - what relayguard -n would warn about, logged */
static void
log_check_warnings(const struct rules *r, const char *user)
{
	struct strbuf warnings = STRBUF_INIT, summary = STRBUF_INIT;
	const char *s, *nl;

	(void) rules_check(r, user, &warnings, &summary);
	for (s = strbuf_str(&warnings); *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			break;
		log_warning("%.*s", (int) (nl - s), s);
	}
	strbuf_free(&warnings);
	strbuf_free(&summary);
}

/* print_errors - a refused configuration, on stderr or in the log */
static void
print_errors(const char *path, const char *errs, int to_stderr)
{
	const char *nl;

	if (to_stderr)
		fputs(errs, stderr);
	else
		while (errs && *errs) {
			nl = strchr(errs, '\n');
			log_error("%.*s", nl ? (int) (nl - errs) :
			    (int) strlen(errs), errs);
			errs = nl ? nl + 1 : NULL;
		}
	if (to_stderr)
		fprintf(stderr, "relayguard: %s: configuration refused\n",
		    path ? path : "(default)");
	else
		log_error("%s: configuration refused", path ? path : "(default)");
}

/*
 * redis_log - the Redis tables' events: an outage (and a new master)
 * is a warning, its end and the cache coming back are news.
 */
static void
redis_log(enum redis_event ev, const char *msg, void *arg)
{
	(void) arg;
	if (ev == REDIS_EVENT_UP || ev == REDIS_EVENT_CACHE_ON)
		log_info("%s", msg);
	else
		log_warning("%s", msg);
}

/* Command-line options. */
struct options {
	const char *conf;		/* -c, or NULL: live.c's default */
	const char *socket;		/* -p, or NULL: the configuration's */
	const char *user;		/* -u, or NULL: the configuration's */
	int     foreground;		/* -f */
	int     check;			/* -n */
	int     verbose;		/* -v */
};

/* What setup() prepares for start() and run(); run() frees it. */
struct daemon {
	char   *sock;			/* milter socket spec, or NULL: none */
	char   *policy;			/* policy door socket spec, or NULL */
	char   *user;			/* user to become, or NULL */
	char   *control;		/* control socket spec, or "none" */
	const char *upath;		/* a Unix milter socket's file, or NULL */
	struct passwd *pw;		/* user's entry, or NULL */
	uid_t   uid;			/* user's ids, or -1 */
	gid_t   gid;
	int     ready;			/* pipe to the waiting parent, or -1 */
};

/* parse_options - the command line into o and pidfile; exits on -h, -V */
static void
parse_options(int argc, char **argv, struct options *o)
{
	int     ch;

	memset(o, 0, sizeof(*o));
	pidfile = RG_DEFAULT_PIDFILE;
	while ((ch = getopt(argc, argv, "c:p:u:P:fnvhV")) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'p':
			o->socket = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("relayguard %s\n", RG_VERSION);
			exit(0);
		default:
			usage(stderr, EX_USAGE_);
		}
	}
	if (optind != argc)
		usage(stderr, EX_USAGE_);
}

/*
 * check_config - relayguard -n: the same output as relayguardctl check
 * (rules_check()'s warnings, the relay analysis's, the summary); frees
 * r and warns. Returns the exit status.
 */
static int
check_config(struct rules *r, const char *user, struct strbuf *warns)
{
	struct strbuf errs = STRBUF_INIT, summary = STRBUF_INIT;

	(void) rules_check(r, user, &errs, &summary);
	fputs(strbuf_str(&errs), stderr);
	fputs(strbuf_str(warns), stderr);
	fputs(strbuf_str(&summary), stdout);
	strbuf_free(&errs);
	strbuf_free(warns);
	strbuf_free(&summary);
	rules_unref(r);
	return (0);
}

/* daemon_names - sockets and user: the command line, else the file */
static void
daemon_names(struct daemon *d, const struct options *o,
	const struct rules_settings *set)
{
	memset(d, 0, sizeof(*d));
	d->uid = (uid_t) -1;
	d->gid = (gid_t) -1;
	d->ready = -1;
	/* With a policy door and no milter socket set, no milter door. */
	if (set && set->policy)
		d->policy = xstrdup(set->policy);
	if (o->socket || (set && set->socket) || d->policy == NULL)
		d->sock = xstrdup(o->socket ? o->socket :
		    set && set->socket ? set->socket : RG_DEFAULT_SOCKET);
	have_milter = d->sock != NULL;
	if (o->user)
		d->user = xstrdup(o->user);
	else if (set && set->user)
		d->user = xstrdup(set->user);
	d->control = xstrdup(set && set->control ? set->control :
	    RG_DEFAULT_CONTROL);
}

/* daemon_user - look the user up; refuse to run as root without it */
static void
daemon_user(struct daemon *d)
{
	const char *user = d->user;

	if (user && *user && (d->pw = getpwnam(user)) != NULL) {
		d->uid = d->pw->pw_uid;
		d->gid = d->pw->pw_gid;
	} else if (user && *user && geteuid() == 0)
		fatal("user %s: no such user; refusing to run as root", user);
}

/* claim - lock the pid file; refuse a milter socket that is in use */
static void
claim(struct daemon *d, int foreground)
{
	char    err[512];

	/* Before any socket is touched: one daemon per pid file. */
	if (pidfile && *pidfile)
		ensure_dir(pidfile);
	pidfile_lock(pidfile, foreground);

	/*
	 * One daemon per socket. The pid file is ours (we hold its lock),
	 * so a refusal here takes it away again.
	 */
	if (d->sock && (d->upath = ctlproto_socket_path(d->sock)) != NULL &&
	    unix_socket_free(d->upath, err, sizeof(err)) < 0) {
		if (pidfile_fd >= 0)
			(void) unlink(pidfile);
		fatal("%s", err);
	}
}

/*
 * milter_open - register with libmilter and open the milter socket.
 * libmilter waits milter-timeout for the MTA (its default is two
 * hours), and sees only connections that have spoken, at most
 * max-connections of them (milter/conngate.c).
 */
static void
milter_open(char *sock, const struct rules_settings *set)
{
	char    err[512];

	if (smfi_register(filter_desc) != MI_SUCCESS)
		fatal("smfi_register failed");
	if (smfi_setconn(sock) != MI_SUCCESS)
		fatal("socket %s: not a milter socket specification", sock);
	if (smfi_opensocket(1) != MI_SUCCESS)
		fatal("socket %s: cannot open (in use, or no permission?)",
		    sock);
	if (smfi_settimeout(set ? set->milter_timeout :
	    RULES_MILTER_TIMEOUT_DEFAULT) != MI_SUCCESS)
		fatal("smfi_settimeout failed");
	if (conngate_init(set ? set->max_connections :
	    RULES_MAX_CONNECTIONS_DEFAULT, set ? set->milter_timeout :
	    RULES_MILTER_TIMEOUT_DEFAULT, err, sizeof(err)) < 0)
		fatal("%s", err);
}

/*
 * bind_sockets - bind the milter, policy and control sockets while
 * still root
 */
static void
bind_sockets(struct daemon *d, const struct rules_settings *set)
{
	char    err[512];

	/* Bind everything while still root. */
	if (d->upath != NULL)
		ensure_dir(d->upath);
	if (control_spec_path(d->control))
		ensure_dir(control_spec_path(d->control));
	if (d->sock)
		milter_open(d->sock, set);
	if (d->upath != NULL) {
		if (d->uid != (uid_t) -1 && chown(d->upath, d->uid, d->gid) < 0)
			log_warning("chown %s: %s", d->upath, strerror(errno));
		if (chmod(d->upath, 0660) < 0)
			fatal("chmod %s: %s", d->upath, strerror(errno));
	}
	/* After the gate (milter_open): it takes the one listener there is. */
	if (d->policy) {
		if (ctlproto_socket_path(d->policy))
			ensure_dir(ctlproto_socket_path(d->policy));
		if (policy_listen(d->policy, d->uid, d->gid,
		    set->max_connections, set->milter_timeout, err,
		    sizeof(err)) < 0)
			fatal("%s", err);
	}
	/* Filtering mail matters more than stats: go on without it. */
	if (control_listen(d->control, d->uid, d->gid, err, sizeof(err)) < 0) {
		log_error("%s; no control socket (SIGUSR1 still reloads)", err);
		free(d->control);
		d->control = xstrdup("none");
	}
}

/*
 * setup - apply the loaded configuration r (whose reference live.c
 * takes), open the log, and bind the sockets; frees warns.
 */
static void
setup(const struct options *o, struct rules *r, struct strbuf *warns,
	struct daemon *d)
{
	const struct rules_settings *set = rules_settings(r);

	daemon_names(d, o, set);
	log_open("relayguard", o->foreground, LOG_LEVEL_INFO);
	live_log_warnings(strbuf_str(warns));
	strbuf_free(warns);
	live_apply_log_level(r);
	log_check_warnings(r, o->user);
	/*
	 * With delay-reject, HELO and MAIL never refuse on the spot, so
	 * the MTA need not wait for their answers (filter.c).
	 */
	live_set_quiet(rules_quiet_stages(r));
	live_set(r);

	daemon_user(d);
	claim(d, o->foreground);
	bind_sockets(d, set);
}

/* block_signals - before any thread: only the sigwait threads take them */
static void
block_signals(void)
{
	sigset_t sigs;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
}

/*
 * start - detach unless foreground, record the pid, become the user,
 * start the control and gate threads and say we are ready.
 */
static void
start(struct daemon *d, int foreground)
{
	struct rules *r;

	if (!foreground)
		d->ready = daemonize();
	pidfile_write(pidfile);
	drop_privileges(d->user, d->pw);
	block_signals();
	main_thread = pthread_self();
	if (control_start() < 0)
		fatal("cannot start the control thread");
	if (conngate_start() < 0)
		fatal("cannot start the connection gate thread");
	if (mlimits_run() < 0)
		fatal("cannot start the rate counter thread");
	if (policy_start() < 0)
		fatal("cannot start the policy door's thread");

	r = live_get();
	log_info("starting relayguard %s: configuration %s, socket %s, "
	    "control %s, user %s, pid %ld%s%s", RG_VERSION, rules_source(r),
	    d->sock ? d->sock : "none",
	    control_spec_path(d->control) ? d->control : "none",
	    d->user && *d->user ? d->user : "(unchanged)", (long) getpid(),
	    d->policy ? ", policy " : "", d->policy ? d->policy : "");
	notify_ready("running: configuration %s, socket %s%s%s",
	    rules_source(r), d->sock ? d->sock : "none",
	    d->policy ? ", policy " : "", d->policy ? d->policy : "");
	rules_unref(r);
	if (d->ready >= 0) {
		if (write(d->ready, "", 1) < 0)
			log_warning("cannot tell the parent we run: %s",
			    strerror(errno));
		close(d->ready);
	}
}

/*
 * run - libmilter's loop in its thread, signals here, until it stops;
 * then clean up and free d. Returns the exit status.
 */
static int
run(struct daemon *d)
{
	pthread_t tid;
	int     ret;

	if (have_milter && pthread_create(&tid, NULL, milter_thread, NULL) != 0)
		fatal("cannot start the milter thread");
	wait_signals(d->upath);
	if (have_milter) {
		(void) pthread_join(tid, NULL);
		ret = milter_ret;
	} else
		ret = MI_SUCCESS;
	log_info("stopping relayguard (%s)", ret == MI_SUCCESS ? "signal" :
	    "milter main loop failed");
	mlimits_stop();
	control_cleanup();
	policy_cleanup();
	if (d->upath != NULL)
		(void) unlink(d->upath);
	pidfile_remove(pidfile);
	live_set(NULL);
	free(d->sock);
	free(d->policy);
	free(d->user);
	free(d->control);
	return (ret == MI_SUCCESS ? 0 : 1);
}

/* thread_stack_default - the stack size of every thread started later */
static void
thread_stack_default(void)
{
	pthread_attr_t a;
	int     rc;

	if ((rc = pthread_attr_init(&a)) == 0) {
		if ((rc = pthread_attr_setstacksize(&a, THREAD_STACK)) == 0)
			rc = pthread_setattr_default_np(&a);
		(void) pthread_attr_destroy(&a);
	}
	/* Not fatal: threads then get the system's default. */
	if (rc != 0)
		log_warning("cannot set the threads' stack size: %s",
		    strerror(rc));
}

/* main - options, configuration, then setup, start and run */
int
main(int argc, char **argv)
{
	struct strbuf errs = STRBUF_INIT, warns = STRBUF_INIT;
	struct options o;
	struct daemon d;
	struct rules *r;

	thread_stack_default();
	parse_options(argc, argv, &o);
	redis_set_events(redis_log, NULL);
	live_init(o.conf, o.verbose);
	if ((r = live_load(&errs, &warns)) == NULL) {
		print_errors(live_conf_path(), strbuf_str(&errs), 1);
		strbuf_free(&errs);
		strbuf_free(&warns);
		return (EX_CONFIG_);
	}
	strbuf_free(&errs);
	if (o.check)
		return (check_config(r, o.user, &warns));
	/* Rate counters: opened as root, kept for the daemon's life. */
	if (mlimits_start(r, &errs) < 0) {
		print_errors(live_conf_path(), strbuf_str(&errs), 1);
		return (EX_CONFIG_);
	}
	setup(&o, r, &warns, &d);
	start(&d, o.foreground);
	return (run(&d));
}
