/*
 * NAME
 *	relayguard 8
 * SUMMARY
 *	relay-control milter daemon
 * SYNOPSIS
 *	relayguard [-c conf] [-p socket] [-u user] [-P pidfile] [-f] [-n] [-v]
 * DESCRIPTION
 *	Loads the configuration (-c, else /etc/relayguard/relayguard.conf
 *	when it exists, else the embedded default), binds the milter
 *	socket (mode 0660 for a Unix socket, a stale one is replaced) and
 *	the control socket, daemonizes unless -f, writes the pid file,
 *	drops to the configured user, and runs libmilter's main loop.
 *	Command-line flags override the file's settings. See
 *	doc/relayguard.8.
 *
 *	Threads: the main thread waits for signals (SIGUSR1 reloads;
 *	SIGTERM, SIGINT and SIGHUP stop: smfi_stop(), then at most
 *	STOP_GRACE seconds for libmilter before _exit(1)); a thread runs
 *	smfi_main() (libmilter's listener, workers and its own signal
 *	thread); the control socket thread. Every signal is blocked before
 *	the first thread starts, so only the sigwait callers see them.
 * DIAGNOSTICS
 *	Exit status 0 (stopped cleanly, or -n and the configuration is
 *	good), 64 usage, 78 configuration error, 1 start-up failure or
 *	a stop that libmilter did not finish within STOP_GRACE seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "milter/control.h"
#include "milter/filter.h"
#include "milter/live.h"
#include "rules/rules.h"

#ifndef RG_VERSION
#define RG_VERSION "0.1"
#endif

#define DEFAULT_SOCKET	"unix:/run/relayguard/relayguard.sock"
#define DEFAULT_CONTROL	"unix:/run/relayguard/control.sock"
#define DEFAULT_PIDFILE	"/run/relayguard/relayguard.pid"

#define EX_USAGE_	64
#define EX_CONFIG_	78

static const char *pidfile;
static int pidfile_written;

/* usage - the synopsis */
static void
usage(void)
{
	fprintf(stderr, "usage: relayguard [-c conf] [-p socket] [-u user] "
	    "[-P pidfile] [-f] [-n] [-v]\n");
	exit(EX_USAGE_);
}

/* unix_path - the file of a Unix socket spec, or NULL */
static const char *
unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return (spec + 5);
	if (strncmp(spec, "local:", 6) == 0)
		return (spec + 6);
	if (*spec == '/')
		return (spec);
	return (NULL);
}

/* ensure_dir - make the directory of path when missing, owned by uid */
static void
ensure_dir(const char *path, uid_t uid, gid_t gid)
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
	if (mkdir(dir, 0755) < 0) {
		log_warning("mkdir %s: %s", dir, strerror(errno));
		return;
	}
	if (uid != (uid_t) -1 && chown(dir, uid, gid) < 0)
		log_warning("chown %s: %s", dir, strerror(errno));
}

/* write_pidfile - record our pid; a failure is only a warning */
static void
write_pidfile(const char *path)
{
	char    buf[32];
	int     fd, n;

	if (path == NULL || *path == 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || write(fd, buf, (size_t) n) != n) {
		log_warning("pid file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	pidfile_written = 1;
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
			deadline = time(NULL) + STOP_GRACE;
			(void) smfi_stop();
		}
	}
	if (__atomic_load_n(&milter_done, __ATOMIC_SEQ_CST))
		return;
	log_error("libmilter did not stop within %d seconds; exiting "
	    "without waiting for it", STOP_GRACE);
	control_cleanup();
	if (upath != NULL)
		(void) unlink(upath);
	if (pidfile_written)
		(void) unlink(pidfile);
	_exit(1);
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

int
main(int argc, char **argv)
{
	const char *conf = NULL, *opt_socket = NULL, *opt_user = NULL;
	const struct rules_settings *set;
	struct strbuf errs = STRBUF_INIT;
	struct passwd *pw = NULL;
	char   *sock, *user = NULL, *control;
	uid_t   uid = (uid_t) -1;
	gid_t   gid = (gid_t) -1;
	int     ch, foreground = 0, check = 0, verbose = 0, ready = -1;
	struct rules *r;
	const char *upath;
	char    err[512];
	sigset_t sigs;
	pthread_t tid;
	int     ret;

	pidfile = DEFAULT_PIDFILE;
	while ((ch = getopt(argc, argv, "c:p:u:P:fnvh")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'p':
			opt_socket = optarg;
			break;
		case 'u':
			opt_user = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	live_init(conf, verbose);
	if ((r = live_load(&errs)) == NULL) {
		print_errors(live_conf_path(), strbuf_str(&errs), 1);
		strbuf_free(&errs);
		return (EX_CONFIG_);
	}
	strbuf_free(&errs);
	if (check) {
		printf("configuration OK\n");
		rules_unref(r);
		return (0);
	}

	set = rules_settings(r);
	sock = xstrdup(opt_socket ? opt_socket :
	    set && set->socket ? set->socket : DEFAULT_SOCKET);
	if (opt_user)
		user = xstrdup(opt_user);
	else if (set && set->user)
		user = xstrdup(set->user);
	control = xstrdup(set && set->control ? set->control :
	    DEFAULT_CONTROL);

	log_open("relayguard", foreground, LOG_LEVEL_INFO);
	live_apply_log_level(r);
	live_set(r);

	/*
	 * With delay-reject, HELO and MAIL never refuse on the spot, so
	 * the MTA need not wait for their answers (filter.c).
	 */
	filter_set_noreply(set == NULL || set->delay_reject != 0);

	if (user && *user && (pw = getpwnam(user)) != NULL) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else if (user && *user && geteuid() == 0)
		fatal("user %s: no such user; refusing to run as root", user);

	/* Bind everything while still root. */
	if ((upath = unix_path(sock)) != NULL)
		ensure_dir(upath, uid, gid);
	if (control_spec_path(control))
		ensure_dir(control_spec_path(control), uid, gid);
	if (pidfile && *pidfile)
		ensure_dir(pidfile, uid, gid);
	if (smfi_register(filter_desc) != MI_SUCCESS)
		fatal("smfi_register failed");
	if (smfi_setconn(sock) != MI_SUCCESS)
		fatal("socket %s: not a milter socket specification", sock);
	if (smfi_opensocket(1) != MI_SUCCESS)
		fatal("socket %s: cannot open (in use, or no permission?)",
		    sock);
	if (upath != NULL) {
		if (uid != (uid_t) -1 && chown(upath, uid, gid) < 0)
			log_warning("chown %s: %s", upath, strerror(errno));
		if (chmod(upath, 0660) < 0)
			fatal("chmod %s: %s", upath, strerror(errno));
	}
	/* Filtering mail matters more than stats: go on without it. */
	if (control_listen(control, uid, gid, err, sizeof(err)) < 0) {
		log_error("%s; no control socket (SIGUSR1 still reloads)", err);
		free(control);
		control = xstrdup("none");
	}

	if (!foreground)
		ready = daemonize();
	write_pidfile(pidfile);
	drop_privileges(user, pw);

	/* Before any thread: only the sigwait threads take signals. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	main_thread = pthread_self();
	if (control_start() < 0)
		fatal("cannot start the control thread");

	r = live_get();
	log_info("starting relayguard %s: configuration %s, socket %s, "
	    "control %s, user %s, pid %ld", RG_VERSION, rules_source(r), sock,
	    control_spec_path(control) ? control : "none",
	    user && *user ? user : "(unchanged)", (long) getpid());
	rules_unref(r);
	if (ready >= 0) {
		if (write(ready, "", 1) < 0)
			log_warning("cannot tell the parent we run: %s",
			    strerror(errno));
		close(ready);
	}

	if (pthread_create(&tid, NULL, milter_thread, NULL) != 0)
		fatal("cannot start the milter thread");
	wait_signals(upath);
	(void) pthread_join(tid, NULL);
	ret = milter_ret;
	log_info("stopping relayguard (%s)", ret == MI_SUCCESS ? "signal" :
	    "milter main loop failed");
	control_cleanup();
	if (upath != NULL)
		(void) unlink(upath);
	if (pidfile_written)
		(void) unlink(pidfile);
	live_set(NULL);
	free(sock);
	free(user);
	free(control);
	return (ret == MI_SUCCESS ? 0 : 1);
}
