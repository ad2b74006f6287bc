/*
 * NAME
 *	conngate 3
 * SUMMARY
 *	bound the milter connections libmilter has to carry
 * SYNOPSIS
 *	#include "milter/conngate.h"
 *
 *	int	conngate_init(int max_conns, int first_timeout, char *err,
 *		size_t errlen)
 *	int	accept(int fd, struct sockaddr *addr, socklen_t *len)
 *	int	conngate_start(void)
 * DESCRIPTION
 *	libmilter accepts every connection to the milter socket and gives
 *	each a worker thread that waits (smfi_settimeout(), by default two
 *	hours) for the first packet; it has no limit. Anyone who can reach
 *	the socket (a loopback inet: socket, or a Unix socket the group
 *	can open) could hold a thousand silent connections and starve the
 *	MTA's real ones. So connections pass a gate before libmilter sees
 *	them:
 *
 *	conngate_init(), called after smfi_opensocket() and before any
 *	thread, finds libmilter's listening socket, keeps a duplicate of
 *	it for the gate, and puts an eventfd in its place under the same
 *	descriptor number: libmilter's listener now waits on the eventfd.
 *
 *	The gate thread (conngate_start(), after daemonize()) accepts
 *	every connection itself into a waiting room. A connection leaves
 *	the room when it sends its first bytes (an MTA sends its option
 *	negotiation at once): it is queued for libmilter and the eventfd
 *	is raised; one that closes first is closed here. One that stays silent for first_timeout seconds
 *	is closed; when max_conns connections wait, the oldest is closed
 *	to make room. A silent client therefore costs a descriptor and a
 *	slot for a while, never a libmilter worker, and cannot keep a real
 *	MTA out.
 *
 *	libmilter calls accept() on what it believes is its listening
 *	socket; this file defines accept(), which the dynamic linker binds
 *	libmilter's call to (the program's definition comes first). On the
 *	gate's descriptor it hands over the next queued connection, with
 *	its peer address; on any other descriptor it is the system call.
 *	Before a connection is handed over, the ones handed over before
 *	are counted (a descriptor still open on the same socket inode is
 *	live): with max_conns live, the new one is closed instead.
 *
 *	Refusals are logged at most once per 10 seconds, with counts.
 * DIAGNOSTICS
 *	conngate_init() and conngate_start() return 0, or -1 (with a
 *	message in err for init). With max_conns 0 nothing is set up and
 *	accept() is the system call.
 * BUGS
 *	A client that sends its negotiation and then stays silent holds a
 *	libmilter slot until libmilter's check for idle sessions (every 10
 *	minutes, sessions idle longer than milter-timeout); max_conns
 *	bounds how many.
 * THREADS
 *	The gate thread owns the waiting room; the queue and the list of
 *	live connections are shared with libmilter's listener under mu.
 */
/*
 * No _GNU_SOURCE: with it, <sys/socket.h> declares accept() with a
 * transparent union that a definition cannot match.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "milter/conngate.h"

#define GATE_LOG_EVERY	10		/* seconds between refusal reports */

/* A connection, waiting or queued. */
struct gate_conn {
	int	fd;
	time_t	since;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* A connection handed to libmilter. */
struct gate_live {
	int	fd;
	dev_t	dev;
	ino_t	ino;
};

static int gate_fd = -1;		/* libmilter's number: the eventfd */
static int real_fd = -1;		/* the listening socket */
static int max_live;
static int first_timeout;

static struct gate_conn *room;		/* gate thread only */
static int nroom;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct gate_conn *queue;		/* mu */
static int nqueue;
static struct gate_live *live;		/* mu */
static int nlive;

/* Refusal counts since the last report (mu). */
static long dropped_silent, dropped_full, refused_live;
static time_t last_report;

/* mono - a monotonic clock in seconds */
static time_t
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* report - log the refusals, at most once per GATE_LOG_EVERY (mu held) */
static void
report(int force)
{
	time_t  now = mono();

	if (dropped_silent + dropped_full + refused_live == 0)
		return;
	if (!force && now - last_report < GATE_LOG_EVERY)
		return;
	log_warning("connection limit: closed %ld silent for %d s, %ld "
	    "silent to make room, refused %ld over max-connections %d "
	    "(%d sessions, %d waiting for a first packet)", dropped_silent,
	    first_timeout, dropped_full, refused_live, max_live, nlive,
	    nroom);
	dropped_silent = dropped_full = refused_live = 0;
	last_report = now;
}

/* find_listener - libmilter's listening socket: the only one there is */
static int
find_listener(char *err, size_t errlen)
{
	struct dirent *de;
	DIR    *d;
	int     fd, found = -1, n = 0, on;
	socklen_t len;

	if ((d = opendir("/proc/self/fd")) == NULL) {
		snprintf(err, errlen, "/proc/self/fd: %s", strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		len = sizeof(on);
		on = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
		    on) {
			found = fd;
			n++;
		}
	}
	closedir(d);
	if (n != 1) {
		snprintf(err, errlen, "connection gate: %d listening sockets, "
		    "want exactly libmilter's", n);
		return (-1);
	}
	return (found);
}

/* conngate_init - put the gate between libmilter and its socket */
int
conngate_init(int max_conns, int timeout, char *err, size_t errlen)
{
	int     lfd, efd;

	if (max_conns <= 0)
		return (0);
	if ((lfd = find_listener(err, errlen)) < 0)
		return (-1);
	if ((real_fd = fcntl(lfd, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    fcntl(real_fd, F_SETFL, fcntl(real_fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    (efd = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    dup2(efd, lfd) < 0 || fcntl(lfd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "connection gate: %s", strerror(errno));
		return (-1);
	}
	(void) close(efd);
	gate_fd = lfd;
	max_live = max_conns;
	first_timeout = timeout > 0 ? timeout : 30;
	room = xcalloc((size_t) max_conns, sizeof(*room));
	queue = xcalloc((size_t) max_conns, sizeof(*queue));
	live = xcalloc((size_t) max_conns, sizeof(*live));
	return (0);
}

/* sweep - forget handed-over connections libmilter has closed (mu) */
static void
sweep(void)
{
	struct stat st;
	int     i, o;

	for (i = o = 0; i < nlive; i++) {
		if (fstat(live[i].fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    st.st_dev != live[i].dev || st.st_ino != live[i].ino)
			continue;
		live[o++] = live[i];
	}
	nlive = o;
}

/* room_drop - close waiting connection i */
static void
room_drop(int i)
{
	(void) close(room[i].fd);
	room[i] = room[--nroom];
}

/* hand_over - queue a connection that has spoken for libmilter */
static void
hand_over(struct gate_conn *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&mu);
	if (nqueue + nlive >= max_live)
		sweep();
	if (nqueue + nlive >= max_live) {
		refused_live++;
		report(0);
		pthread_mutex_unlock(&mu);
		(void) close(c->fd);
		return;
	}
	queue[nqueue++] = *c;
	pthread_mutex_unlock(&mu);
	if (write(gate_fd, &one, sizeof(one)) != sizeof(one))
		log_warning("connection gate: eventfd: %s", strerror(errno));
}

/* take_new - accept what is pending into the waiting room */
static void
take_new(time_t now)
{
	struct gate_conn c;
	int     i, oldest;

	for (;;) {
		memset(&c, 0, sizeof(c));
		c.addrlen = sizeof(c.addr);
		/*
		 * Blocking, as libmilter expects what accept() returns to
		 * be; the gate itself only polls it and peeks with
		 * MSG_DONTWAIT.
		 */
		c.fd = (int) syscall(SYS_accept4, real_fd, &c.addr,
		    &c.addrlen, SOCK_CLOEXEC);
		if (c.fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: the oldest silent go */
				if (nroom > 0) {
					room_drop(0);
					pthread_mutex_lock(&mu);
					dropped_full++;
					pthread_mutex_unlock(&mu);
					continue;
				}
				usleep(100000);
			}
			return;
		}
		c.since = now;
		if (nroom == max_live) {
			for (oldest = 0, i = 1; i < nroom; i++)
				if (room[i].since < room[oldest].since)
					oldest = i;
			room_drop(oldest);
			pthread_mutex_lock(&mu);
			dropped_full++;
			report(0);
			pthread_mutex_unlock(&mu);
		}
		room[nroom++] = c;
	}
}

/* gate_thread - the waiting room */
static void *
gate_thread(void *arg)
{
	struct pollfd *pfd;
	time_t  now;
	int     i, n, j;

	(void) arg;
	pfd = xcalloc((size_t) max_live + 1, sizeof(*pfd));
	for (;;) {
		pfd[0].fd = real_fd;
		pfd[0].events = POLLIN;
		for (i = 0; i < nroom; i++) {
			pfd[i + 1].fd = room[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		n = poll(pfd, (nfds_t) nroom + 1, 1000);
		if (n < 0 && errno != EINTR) {
			log_error("connection gate: poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		now = mono();
		/* Spoken: over to libmilter. Closed already: gone. */
		for (i = nroom - 1; n > 0 && i >= 0; i--) {
			char    b;

			if (pfd[i + 1].revents == 0)
				continue;
			if ((pfd[i + 1].revents & (POLLERR | POLLNVAL)) ||
			    recv(room[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
				(void) close(room[i].fd);
			else
				hand_over(&room[i]);
			room[i] = room[--nroom];
		}
		/* Silent too long. */
		for (j = 0, i = 0; i < nroom; ) {
			if (now - room[i].since >= first_timeout) {
				room_drop(i);
				j++;
			} else
				i++;
		}
		pthread_mutex_lock(&mu);
		dropped_silent += j;
		report(0);
		pthread_mutex_unlock(&mu);
		if (n > 0 && (pfd[0].revents & POLLIN))
			take_new(now);
	}
	return (NULL);
}

/* conngate_start - run the gate thread (after daemonize()) */
int
conngate_start(void)
{
	pthread_t tid;

	if (gate_fd < 0)
		return (0);
	if (pthread_create(&tid, NULL, gate_thread, NULL) != 0)
		return (-1);
	(void) pthread_detach(tid);
	return (0);
}

/*
 * accept - libmilter's accept(): the next connection that passed the
 * gate; the system call for any other descriptor.
 */
int
accept(int fd, struct sockaddr *restrict addr, socklen_t *restrict len)
{
	struct gate_conn c;
	uint64_t one;
	socklen_t n;

	if (gate_fd < 0 || fd != gate_fd)
		return ((int) syscall(SYS_accept4, fd, addr, len, 0));
	if (read(gate_fd, &one, sizeof(one)) != sizeof(one)) {
		errno = EAGAIN;
		return (-1);
	}
	pthread_mutex_lock(&mu);
	if (nqueue == 0) {
		pthread_mutex_unlock(&mu);
		errno = EAGAIN;
		return (-1);
	}
	c = queue[0];
	memmove(queue, queue + 1, (size_t) --nqueue * sizeof(*queue));
	if (nlive < max_live) {
		struct stat st;

		if (fstat(c.fd, &st) == 0) {
			live[nlive].fd = c.fd;
			live[nlive].dev = st.st_dev;
			live[nlive].ino = st.st_ino;
			nlive++;
		}
	}
	pthread_mutex_unlock(&mu);
	if (addr != NULL && len != NULL) {
		n = *len < c.addrlen ? *len : c.addrlen;
		memcpy(addr, &c.addr, n);
		*len = c.addrlen;
	}
	return (c.fd);
}
