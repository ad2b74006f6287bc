/*
 * NAME
 *	store_guard - survive a table file changed in place while mapped
 * SYNOPSIS
 *	#include "store/store_int.h"
 *
 *	void store_guard_init(void)
 *	int store_guard_call(fn, arg)
 *	void store_guard_assert(env, msg)
 * DESCRIPTION
 *	LMDB reads a table through a shared memory map of its file. When
 *	something other than relayguardctl truncates the file or writes
 *	over it in place (truncate(1), cp over it, a restore tool), a
 *	reader touching a page beyond the new end of file gets SIGBUS,
 *	one following a garbage page number may get SIGSEGV, and LMDB may
 *	fail one of its own assertions on a garbage page and abort(). Any
 *	of these would take the daemon, and every MTA using it, down.
 *
 *	store_guard_call() runs fn(arg) with a per-thread recovery point.
 *	While it runs, SIGBUS and SIGSEGV on this thread, and LMDB's
 *	assertion callback (store_guard_assert(), installed on every
 *	environment), jump back to it and it returns STORE_GUARD_FAULT
 *	instead of fn's result. fn must hold no lock it does not release
 *	by itself and own nothing that its caller cannot find in arg
 *	after a fault: the caller aborts the read transaction it left and
 *	marks the environment stale, so that the next lookup reopens the
 *	file (or reports it broken). Read transactions live in our own
 *	heap; aborting one after a fault touches no mapped page.
 *
 *	Outside a guarded call, the handlers pass the signal on to the
 *	handler they replaced (a sanitizer's, say), or restore the
 *	default action so that the faulting instruction, run again, kills
 *	the process as before: a bug in our code is not hidden.
 *
 *	store_guard_init() installs the two handlers, once per process.
 *	The handlers use SA_NODEFER, so that leaving one with siglongjmp()
 *	needs no signal mask restored and sigsetjmp() no system call.
 * BUGS
 *	A fault inside LMDB while it holds one of its own mutexes would
 *	leave that mutex held. Read transactions hold none while they
 *	read the map (the reader-table mutex is released before the meta
 *	page is read), and write transactions are never guarded.
 * THREADS
 *	Any number of threads may run guarded calls at once. The
 *	recovery point is per thread (a __thread pointer): a fault is
 *	taken back to the guarded call of the thread that faulted, and
 *	a guarded call inside another restores the outer one. SIGBUS and
 *	SIGSEGV are synchronous, so the handler runs on the faulting
 *	thread. store_guard_init() may be called from any thread, any
 *	number of times: pthread_once() installs the handlers once, and
 *	the replaced handlers (old_bus, old_segv) are written only then
 *	and only read afterwards. No lock is taken: a handler must not.
 */
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <pthread.h>

#include "store/store_int.h"

/* The recovery point of the guarded call running on this thread. */
static __thread sigjmp_buf *guard_jb;

static struct sigaction old_bus;
static struct sigaction old_segv;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

/* guard_chain - not ours: the replaced handler, or the default action */
static void
guard_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}

	/*
	 * Returning runs the faulting instruction again, which now gets
	 * the default action: the process dies with the original signal.
	 * A signal sent by kill() or raise() is raised again instead.
	 */
	signal(sig, SIG_DFL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

/* guard_handler - SIGBUS, SIGSEGV: back to the recovery point, if any */
static void
guard_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = guard_jb;

	/* Only a fault of this thread's own reads, not kill -BUS. */
	if (jb == NULL || si == NULL || si->si_code <= 0) {
		guard_chain(sig, si, uc);
		return;
	}
	guard_jb = NULL;
	siglongjmp(*jb, 1);
}

/* guard_install - install the handlers (once) */
static void
guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGBUS, &sa, &old_bus);
	(void) sigaction(SIGSEGV, &sa, &old_segv);
}

/* store_guard_init - install the fault handlers, once per process */
void
store_guard_init(void)
{
	(void) pthread_once(&guard_once, guard_install);
}

/* store_guard_assert - LMDB's assertion callback */
void
store_guard_assert(MDB_env *env, const char *msg)
{
	sigjmp_buf *jb = guard_jb;

	(void) env;
	(void) msg;

	/* Unguarded (a write transaction): LMDB aborts, as it would. */
	if (jb != NULL) {
		guard_jb = NULL;
		siglongjmp(*jb, 1);
	}
}

/* store_guard_call - fn(arg) with a recovery point (see above) */
int
store_guard_call(int (*fn) (void *), void *arg)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile outer = guard_jb;
	int     rc;

	if (sigsetjmp(jb, 0) != 0) {
		guard_jb = outer;
		return (STORE_GUARD_FAULT);
	}
	guard_jb = &jb;
	rc = fn(arg);
	guard_jb = outer;
	return (rc);
}
