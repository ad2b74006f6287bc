/*
 * NAME
 *	policy 3
 * SUMMARY
 *	the Postfix policy delegation door into the engine
 * SYNOPSIS
 *	#include "milter/policy.h"
 *
 *	int	policy_listen(const char *spec, uid_t uid, gid_t gid,
 *		int max_conns, int timeout, char *err, size_t errlen)
 *	int	policy_start(void)
 *	void	policy_cleanup(void)
 * DESCRIPTION
 *	Postfix's smtpd asks a policy service once per recipient
 *	(check_policy_service in a restriction list) over a connection it
 *	keeps for many requests and SMTP sessions. This door answers
 *	those requests with the same engine, rules, tables, grants, log
 *	lines and counters as the milter door.
 *
 *	policy_listen() binds spec, before the daemon drops privileges:
 *	"unix:/path" (or "/path"; mode 0660, given to uid:gid, a stale
 *	socket file replaced, one another process answers on refused),
 *	"inet:PORT@HOST" or "inet6:PORT@HOST" (as the milter socket is
 *	written). At most max_conns connections are served at once; more
 *	are closed at once (and counted in the log). A request must come
 *	whole within timeout seconds of its first byte (milter-timeout);
 *	a connection idle between requests longer than POLICY_IDLE
 *	seconds, more than Postfix's smtpd_policy_service_max_idle
 *	default of 300, is closed. Returns 0, or -1 with a message in err.
 *
 *	policy_start() serves the socket: a thread accepts, and each
 *	connection has a thread of its own that reads requests (several
 *	may arrive before the first is answered) and writes one answer
 *	per request, in order (policy/policy.h).
 *
 *	A request whose protocol_state is not RCPT answers DUNNO: the
 *	rules decide recipients, and an earlier stage's decision is given
 *	at each RCPT, as delay-reject does. The first request of a message
 *	(a new "instance" on the connection) starts an engine session
 *	under the rules current then, with quiet connect, HELO and MAIL
 *	stages, sets every fact the request carries and runs connect,
 *	HELO (when there is a helo_name), MAIL and RCPT; later requests of
 *	the same instance set the recipient and queue id and run RCPT.
 *	policy-permit says what a permit answers (OK or DUNNO; re-read
 *	at each message, so a reload changes it).
 *
 *	policy_cleanup() removes a Unix socket file.
 * DIAGNOSTICS
 *	A malformed request (a line that is not name=value, a NUL byte, a
 *	request over POLICY_REQUEST_MAX bytes or POLICY_ATTR_MAX
 *	attributes, another request type) or one that stalls for timeout
 *	seconds closes its connection with one warning and no answer, as
 *	the protocol asks; Postfix then retries and, failing again,
 *	applies smtpd_policy_service_default_action (451). An internal
 *	error answers a tempfail. Nothing is ever turned into a permit.
 * THREADS
 *	A connection and its engine session belong to its thread; the
 *	rules are shared read-only (live.c) and the counters are atomic.
 *	The number of connections is an atomic counter.
 */
#define _GNU_SOURCE	/* struct ucred, accept4 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/ctlproto.h"
#include "common/log.h"
#include "milter/live.h"
#include "milter/policy.h"
#include "milter/report.h"
#include "milter/stats.h"
#include "policy/policy.h"

#define POLICY_IDLE	330		/* seconds between two requests */
#define POLICY_LOG_EVERY 10		/* seconds between refusal reports */

static int listen_fd = -1;
static char unix_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
static int max_live;
static int request_timeout;
static int nlive;			/* atomic */
static long refused;			/* atomic: over max_conns */
static time_t last_report;		/* atomic */

/* One policy connection. */
struct pconn {
	int	fd;
	char	peer[96];
	char	in[2 * POLICY_REQUEST_MAX];
	size_t	inlen;
	struct policy_request req;
	char	instance[128];	/* the message rs decides */
	struct rules_session *rs;	/* NULL: none yet */
};

/* bind_unix - a listening Unix socket at path; -1 with err */
static int
bind_unix(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int     fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "policy socket %s: path too long", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "policy socket %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "policy socket %s: exists and is "
			    "not a socket; refusing to replace it", path);
			close(fd);
			return (-1);
		}
		if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0 ||
		    errno != ECONNREFUSED) {
			snprintf(err, errlen, "policy socket %s: in use by "
			    "another process (another relayguard?), or cannot "
			    "tell; refusing to start", path);
			close(fd);
			return (-1);
		}
		(void) unlink(path);
	}
	if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 ||
	    listen(fd, 128) < 0) {
		snprintf(err, errlen, "policy socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if ((uid != (uid_t) -1 || gid != (gid_t) -1) &&
	    chown(path, uid, gid) < 0)
		log_warning("policy socket %s: chown: %s", path,
		    strerror(errno));
	if (chmod(path, 0660) < 0)
		log_warning("policy socket %s: chmod: %s", path,
		    strerror(errno));
	snprintf(unix_path, sizeof(unix_path), "%s", path);
	return (fd);
}

/* bind_inet - a listening TCP socket for "inet:PORT@HOST"; -1 with err */
static int
bind_inet(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char    port[16], host[256];
	const char *at, *p = strchr(spec, ':') + 1;
	size_t  hl;
	int     fd = -1, on = 1, rc;

	if ((at = strchr(p, '@')) == NULL || at == p ||
	    (size_t) (at - p) >= sizeof(port) || (hl = strlen(at + 1)) == 0 ||
	    hl >= sizeof(host)) {
		snprintf(err, errlen, "policy socket %s: not unix:PATH, "
		    "inet:PORT@HOST or inet6:PORT@HOST", spec);
		return (-1);
	}
	memcpy(port, p, (size_t) (at - p));
	port[at - p] = '\0';
	/* inet6:PORT@[::1]: the brackets are not part of the address */
	if (at[1] == '[' && at[hl] == ']')
		snprintf(host, sizeof(host), "%.*s", (int) hl - 2, at + 2);
	else
		snprintf(host, sizeof(host), "%s", at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "policy socket %s: %s", spec,
		    gai_strerror(rc));
		return (-1);
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "policy socket %s: %s", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return (fd);
}

/* policy_listen - bind the policy socket */
int
policy_listen(const char *spec, uid_t uid, gid_t gid, int max_conns,
	int timeout, char *err, size_t errlen)
{
	const char *path;

	if ((path = ctlproto_socket_path(spec)) != NULL)
		listen_fd = bind_unix(path, uid, gid, err, errlen);
	else if (strncmp(spec, "inet:", 5) == 0 ||
	    strncmp(spec, "inet6:", 6) == 0)
		listen_fd = bind_inet(spec, err, errlen);
	else {
		snprintf(err, errlen, "policy socket %s: not unix:PATH, "
		    "inet:PORT@HOST or inet6:PORT@HOST", spec);
		return (-1);
	}
	max_live = max_conns > 0 ? max_conns : RULES_MAX_CONNECTIONS_DEFAULT;
	request_timeout = timeout > 0 ? timeout : RULES_MILTER_TIMEOUT_DEFAULT;
	return (listen_fd < 0 ? -1 : 0);
}

/* policy_cleanup - remove the Unix socket file */
void
policy_cleanup(void)
{
	if (listen_fd >= 0 && unix_path[0])
		(void) unlink(unix_path);
}

/* peer_name - who is on the other end, for the log */
static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ucred cred;
	struct addr a;
	char    text[ADDR_STRLEN];

	if (getpeername(fd, (struct sockaddr *) &ss, &sl) == 0 &&
	    addr_from_sockaddr((struct sockaddr *) &ss, &a) == 0) {
		snprintf(buf, len, "[%s]", addr_format(&a, text, sizeof(text)));
		return;
	}
	sl = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0)
		snprintf(buf, len, "pid %ld", (long) cred.pid);
	else
		snprintf(buf, len, "unknown");
}

/* session_end - forget the message's engine session */
static void
session_end(struct pconn *pc)
{
	rules_session_free(pc->rs);
	pc->rs = NULL;
	pc->instance[0] = '\0';
}

/* set_fact - one fact of the request into the session */
static int
set_fact(void *ctx, enum rules_fact fact, const char *v)
{
	return (rules_session_set(((struct pconn *) ctx)->rs, fact, v));
}

/*
 * set_facts - the request's facts (all, or a recipient's); a value cut
 * or dropped is worth a warning, out of memory breaks the session (the
 * engine then tempfails and report_result() says so)
 */
static void
set_facts(struct pconn *pc, int all)
{
	if (policy_request_facts(&pc->req, all, set_fact, pc) == 1)
		log_warning("policy client %s: a value too long or not valid "
		    "was cut or dropped", pc->peer);
}

/*
 * session_begin - the first request of a message: a session under the
 * current rules, every stage before RCPT quiet; its facts; connect,
 * HELO (when the client sent one) and MAIL. Returns 0, or -1 without
 * rules or memory.
 */
static int
session_begin(struct pconn *pc, const char *instance)
{
	struct rules_result res;
	struct rules *r;
	int     stage;

	session_end(pc);
	if ((r = live_get()) == NULL)
		return (-1);
	pc->rs = rules_session_new(r, RULES_QUIET_ALL);
	rules_unref(r);
	if (pc->rs == NULL)
		return (-1);
	stats_inc(live_stats(), STATS_SESSIONS);
	snprintf(pc->instance, sizeof(pc->instance), "%s", instance);
	set_facts(pc, 1);
	for (stage = RULES_CONNECT; stage < RULES_RCPT; stage++) {
		if (stage == RULES_HELO &&
		    rules_session_get(pc->rs, RULES_FACT_HELO) == NULL)
			continue;
		(void) rules_eval(pc->rs, (enum rules_stage) stage, &res, NULL);
		report_result(pc->rs, (enum rules_stage) stage, &res);
	}
	return (0);
}

/* answer - decide one request; the action line into buf */
static void
answer(struct pconn *pc, char *buf, size_t len)
{
	const struct rules_settings *set;
	struct rules_result res;
	const char *state = policy_request_get(&pc->req, "protocol_state");
	const char *instance = policy_request_get(&pc->req, "instance");

	if (state == NULL || strcmp(state, "RCPT") != 0) {
		snprintf(buf, len, "action=DUNNO");
		return;
	}
	if (instance == NULL)
		instance = "";
	if (pc->rs == NULL || *instance == '\0' ||
	    strcmp(instance, pc->instance) != 0) {
		if (session_begin(pc, instance) < 0) {
			log_error("policy client %s: internal error: no rules "
			    "or no session; answering tempfail", pc->peer);
			stats_inc(live_stats(), STATS_INTERNAL_ERRORS);
			session_end(pc);
			snprintf(buf, len, "action=451 4.3.0 Temporary "
			    "internal error");
			return;
		}
	} else
		set_facts(pc, 0);
	(void) rules_eval(pc->rs, RULES_RCPT, &res, NULL);
	report_result(pc->rs, RULES_RCPT, &res);
	set = rules_settings(rules_session_rules(pc->rs));
	policy_action(buf, len, &res, set && set->policy_permit_dunno ?
	    POLICY_PERMIT_DUNNO : POLICY_PERMIT_OK);
}

/*
 * send_answer - one answer, in one send(): it is short, the socket
 * blocks, and no signal reaches this thread, so anything but the whole
 * answer sent means the connection is broken
 */
static int
send_answer(int fd, const char *s, size_t n)
{
	ssize_t w;

	do
		w = send(fd, s, n, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return (w == (ssize_t) n ? 0 : -1);
}

/*
 * fill - read more of the next request. Returns 1 with more bytes, 0
 * when the connection ended or timed out (logged when a request was
 * under way), -1 on a request that outgrew its bound (logged).
 */
static int
fill(struct pconn *pc)
{
	struct pollfd pfd;
	ssize_t n;
	int     r;

	if (pc->inlen > POLICY_REQUEST_MAX) {
		log_warning("policy client %s: malformed request: longer than "
		    "%d bytes; closing the connection", pc->peer,
		    POLICY_REQUEST_MAX);
		return (-1);
	}
	pfd.fd = pc->fd;
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, (pc->inlen ? request_timeout : POLICY_IDLE) *
		    1000);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		if (pc->inlen)
			log_warning("policy client %s: no whole request within "
			    "%d s; closing the connection", pc->peer,
			    request_timeout);
		else
			log_debug("policy client %s: idle for %d s; closing "
			    "the connection", pc->peer, POLICY_IDLE);
		return (0);
	}
	do
		n = read(pc->fd, pc->in + pc->inlen, sizeof(pc->in) - pc->inlen);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (pc->inlen)
			log_warning("policy client %s: connection closed in the "
			    "middle of a request", pc->peer);
		return (0);
	}
	pc->inlen += (size_t) n;
	return (1);
}

/* serve - one connection, request after request */
static void
serve(struct pconn *pc)
{
	char    out[POLICY_ACTION_MAX + 2], err[128];
	size_t  end, n;

	for (;;) {
		if ((end = policy_request_end(pc->in, pc->inlen)) == 0) {
			if (fill(pc) <= 0)
				return;
			continue;
		}
		if (policy_request_parse(&pc->req, pc->in, end, err,
		    sizeof(err)) < 0) {
			log_warning("policy client %s: malformed request: %s; "
			    "closing the connection", pc->peer, err);
			return;
		}
		answer(pc, out, sizeof(out) - 2);
		n = strlen(out);
		out[n++] = '\n';
		out[n++] = '\n';
		if (send_answer(pc->fd, out, n) < 0) {
			log_debug("policy client %s: write: %s", pc->peer,
			    strerror(errno));
			return;
		}
		memmove(pc->in, pc->in + end, pc->inlen - end);
		pc->inlen -= end;
	}
}

/* conn_thread - serve one connection, then free it */
static void *
conn_thread(void *arg)
{
	struct pconn *pc = arg;

	serve(pc);
	session_end(pc);
	close(pc->fd);
	free(pc);
	__atomic_sub_fetch(&nlive, 1, __ATOMIC_SEQ_CST);
	return (NULL);
}

/* refuse - over max-connections: close, and report now and then */
static void
refuse(int fd)
{
	time_t  now = time(NULL), last;
	long    n;

	close(fd);
	n = __atomic_add_fetch(&refused, 1, __ATOMIC_SEQ_CST);
	last = __atomic_load_n(&last_report, __ATOMIC_SEQ_CST);
	if (now - last < POLICY_LOG_EVERY ||
	    !__atomic_compare_exchange_n(&last_report, &last, now, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	n = __atomic_exchange_n(&refused, 0, __ATOMIC_SEQ_CST);
	log_warning("policy connection limit: refused %ld over "
	    "max-connections %d", n, max_live);
}

/* accept_thread - one thread per connection, at most max_live */
static void *
accept_thread(void *arg)
{
	pthread_attr_t attr;
	pthread_t tid;
	struct pconn *pc;
	int     fd;

	(void) arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != ECONNABORTED) {
				log_warning("policy socket: accept: %s",
				    strerror(errno));
				sleep(1);
			}
			continue;
		}
		if (__atomic_add_fetch(&nlive, 1, __ATOMIC_SEQ_CST) > max_live) {
			__atomic_sub_fetch(&nlive, 1, __ATOMIC_SEQ_CST);
			refuse(fd);
			continue;
		}
		/* Out of memory: this connection fails, not the daemon. */
		if ((pc = calloc(1, sizeof(*pc))) == NULL) {
			log_error("policy socket: out of memory; closing a "
			    "connection");
			close(fd);
			__atomic_sub_fetch(&nlive, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		pc->fd = fd;
		peer_name(fd, pc->peer, sizeof(pc->peer));
		if (pthread_create(&tid, &attr, conn_thread, pc) != 0) {
			log_warning("policy socket: cannot start a thread for "
			    "%s; closing it", pc->peer);
			close(fd);
			free(pc);
			__atomic_sub_fetch(&nlive, 1, __ATOMIC_SEQ_CST);
		}
	}
	return (NULL);
}

/* policy_start - serve the policy socket from a thread */
int
policy_start(void)
{
	pthread_t tid;

	if (listen_fd < 0)
		return (0);
	if (pthread_create(&tid, NULL, accept_thread, NULL) != 0)
		return (-1);
	(void) pthread_detach(tid);
	return (0);
}
