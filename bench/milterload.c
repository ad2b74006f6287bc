/*
 * NAME
 *	milterload - drive a milter as an MTA would, check every answer,
 *	and measure it
 * SYNOPSIS
 *	milterload -s socket -f scenario [-c connections]
 *		[-n sessions | -d seconds] [-t timeout] [-l label]
 *		[-r resultfile] [-v] [-x]
 * DESCRIPTION
 *	milterload is the MTA side of the milter protocol (version 6).
 *	Each thread opens one milter connection per SMTP session, as
 *	Postfix and Sendmail do, and sends option negotiation, the macros
 *	the milter asked for, CONNECT, HELO, MAIL, one RCPT per recipient,
 *	ABORT and QUIT. It honours the stages the milter asked to skip
 *	(SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT) and
 *	does not wait for a reply where the milter negotiated no reply
 *	(SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL, SMFIP_NR_RCPT). The
 *	content stages (DATA, headers, body, end of message) are never
 *	sent: the session ends after the recipients with ABORT, as when
 *	the client resets or quits.
 *
 *	Macros: when the milter requested macro lists in its negotiation
 *	reply, only those macros are sent, for their stages, and only the
 *	ones that have a value. When it requested none, the defaults of
 *	Postfix are sent: connect "j {daemon_name} {daemon_addr} v _",
 *	helo "{tls_version} {cipher} {cipher_bits} {cert_subject}
 *	{cert_issuer}", mail "i {auth_type} {auth_authen} {auth_author}
 *	{mail_addr} {mail_host} {mail_mailer}", rcpt "i {rcpt_addr}
 *	{rcpt_host} {rcpt_mailer}". Values come from the session (see
 *	below); macro= fields add or override any macro.
 *
 *	Every answer is compared with the scenario while the load runs.
 *	A recipient's answer is the milter's reply to its RCPT, or, when
 *	an earlier stage ended the message or the connection (accept,
 *	reject, tempfail, discard), that earlier reply: that is what the
 *	SMTP client would see. Any wrong answer, protocol error or I/O
 *	error fails the run.
 *
 *	-s socket	unix:/path, local:/path, /path, inet:port@host,
 *			inet6:port@host (host may be a name or address)
 *	-f scenario	the sessions (format below); "-" reads stdin
 *	-c N		concurrent connections (threads), default 1
 *	-n N		run N sessions in total (default: each scenario
 *			line once)
 *	-d SECONDS	run for this long instead (sessions cycle through
 *			the scenario)
 *	-t SECONDS	reply timeout, default 10
 *	-l label	label for the result record
 *	-r file		append one line of key=value results to file
 *	-v		print each session's answers and what each
 *			connection negotiated
 *	-x		expect continue for every recipient and check no
 *			stage on its own, whatever the scenario says: runs
 *			a scenario written for relayguard against a no-op
 *			milter, so both see the same sessions
 *
 * SCENARIO FORMAT
 *	One session per line; blank lines and lines starting with # are
 *	ignored. A line is a list of fields KEY=VALUE separated by white
 *	space; a value may be double-quoted ("a b", with \" and \\).
 *
 *	client=ADDR	IPv4 or IPv6 address (family 4 or 6), "unix"
 *			(family L, a local client) or "unknown" (family
 *			U, no address). Default 192.0.2.1.
 *	port=N		client port, default 54321
 *	name=HOST	the MTA's client host name; default "[ADDR]",
 *			what MTAs pass for an unresolved client
 *	helo=NAME	HELO argument, default client.bench.test
 *	from=<ADDR>	MAIL FROM argument, default <>
 *	auth=USER	SASL login: sets {auth_authen} and {auth_type}
 *	auth-type=MECH	default PLAIN
 *	daemon=NAME	{daemon_name}, default milterload
 *	mailer=NAME	{rcpt_mailer} for the rcpt= fields after it,
 *			default smtp
 *	macro=STAGE:NAME=VALUE
 *			a macro for STAGE (connect, helo, mail, rcpt),
 *			e.g. macro=connect:{client_resolve}=TEMP
 *	expect-connect=E, expect-helo=E, expect-mail=E
 *			the expected reply of that stage (default: not
 *			checked on its own; recipients show its effect)
 *	rcpt=<ADDR>[=E]	a recipient and its expected answer (default
 *			continue); at least one per session
 *
 *	An expectation E is one of continue, accept, discard, reject,
 *	tempfail, reject:NNN or tempfail:NNN (the SMTP code must be NNN;
 *	a plain reject counts as 550 and a plain tempfail as 451, the
 *	MTAs' defaults), or NNN alone (5NN reject, 4NN tempfail).
 *	Example:
 *
 *	client=203.0.113.9 helo=x.example from=<a@x.example> \
 *		rcpt=<u%evil.example@example.com>=reject:554
 *
 *	(one line in the file; the backslash is only for this page).
 * OUTPUT
 *	sessions/s, recipients/s, and per stage (open = socket connect
 *	and option negotiation, connect, helo, mail, rcpt, and the whole
 *	session) the count and latency percentiles p50, p99, p99.9 and
 *	the maximum, in microseconds, from sending a command to reading
 *	its reply. Stages without a reply are not timed.
 * DIAGNOSTICS
 *	Exit status 0 when every answer was right and no error occurred,
 *	1 on wrong answers or errors (the first ones are printed), 64 on
 *	a usage error, 65 on a scenario syntax error, 66 when the
 *	scenario cannot be read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "common/xalloc.h"
#include "bench/mlscenario.h"

static const char *const stage_names[NSTAGES] = {
	"open", "connect", "helo", "mail", "rcpt", "session",
};

 /*
  * Macro stages of the negotiation reply (SMFIM_*) and the command
  * each one precedes.
  */
#define NMACSTAGES	(SMFIM_LAST + 1)
static const char macro_cmd[NMACSTAGES] = {
	SMFIC_CONNECT, SMFIC_HELO, SMFIC_MAIL, SMFIC_RCPT, SMFIC_DATA,
	SMFIC_BODYEOB, SMFIC_EOH,
};
static const char *const default_macros[NMACSTAGES] = {
	"j {daemon_name} {daemon_addr} v _",
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host}"
	" {mail_mailer}",
	"i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	"", "", "",
};

 /*
  * Latency histogram: log-linear buckets of nanoseconds, 32 sub-buckets
  * per power of two (about 3% resolution), one per thread and stage,
  * merged at the end.
  */
#define HIST_SUB_BITS	5
#define HIST_SUB	(1 << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

struct worker {
	pthread_t tid;
	int     id;
	uint64_t sessions;
	uint64_t rcpts;
	uint64_t errors;
	uint64_t wrong;
	struct hist hist[NSTAGES];
	/* Per-connection negotiation state. */
	int     fd;
	uint32_t pflags;
	char   *symlist[NMACSTAGES];	/* requested names, or NULL */
	int     asked;			/* the milter requested macros */
	/* I/O buffers. */
	char   *wbuf;
	size_t  wlen, wcap;
	char    rbuf[8192];
	size_t  rstart, rend;
	char    reply[1024];		/* text of the last reply */
	char    qid[32];
};

/* Options. */
static const char *opt_socket;
static const char *opt_scenario;
static const char *opt_label = "milterload";
static const char *opt_result;
static int opt_conns = 1;
static uint64_t opt_count;
static double opt_duration;
static int opt_timeout = 10;
static int opt_verbose;
static int opt_all_continue;

static struct session *sessions;
static size_t nsessions;

static struct sockaddr_storage milter_addr;
static socklen_t milter_addrlen;

static atomic_uint_fast64_t next_session;
static struct timespec deadline;
static atomic_int stop_now;

#define MAX_REPORTS	10
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int nreports;

/* now_ns - monotonic time in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec);
}

/* hist_index - the bucket of a value */
static int
hist_index(uint64_t v)
{
	int     e;

	if (v < HIST_SUB)
		return ((int) v);
	e = 63 - __builtin_clzll(v);		/* e >= HIST_SUB_BITS */
	return ((e - HIST_SUB_BITS + 1) * HIST_SUB +
	    (int) ((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1)));
}

/* hist_value - the middle of a bucket */
static uint64_t
hist_value(int idx)
{
	int     e, sub;
	uint64_t lo;

	if (idx < HIST_SUB)
		return ((uint64_t) idx);
	e = idx / HIST_SUB + HIST_SUB_BITS - 1;
	sub = idx % HIST_SUB;
	lo = ((uint64_t) (HIST_SUB + sub)) << (e - HIST_SUB_BITS);
	return (lo + (((uint64_t) 1 << (e - HIST_SUB_BITS)) >> 1));
}

/* hist_add - record one value */
static void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

/* hist_merge - add histogram src into dst */
static void
hist_merge(struct hist *dst, const struct hist *src)
{
	int     i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* hist_pct - the value below which fraction q of the values lie */
static uint64_t
hist_pct(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	int     i;

	if (h->count == 0)
		return (0);
	want = (uint64_t) (q * (double) h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			uint64_t v = hist_value(i);

			return (v > h->max ? h->max : v);
		}
	}
	return (h->max);
}

/* report - print one of the first problems (wrong answers, errors) */
static void
__attribute__((format(printf, 1, 2)))
report(const char *fmt,...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	if (nreports++ < MAX_REPORTS) {
		va_start(ap, fmt);
		fputs("milterload: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	} else if (nreports == MAX_REPORTS + 1) {
		fputs("milterload: (further problems not shown)\n", stderr);
	}
	pthread_mutex_unlock(&report_lock);
}

/* answer_str - format an answer for messages */
static const char *
answer_str(const struct answer *a, char *buf, size_t len)
{
	const char *k;

	switch (a->kind) {
	case SMFIR_CONTINUE:
		k = "continue";
		break;
	case SMFIR_ACCEPT:
		k = "accept";
		break;
	case SMFIR_DISCARD:
		k = "discard";
		break;
	case SMFIR_REJECT:
		k = "reject";
		break;
	case SMFIR_TEMPFAIL:
		k = "tempfail";
		break;
	default:
		k = "?";
		break;
	}
	if (a->code)
		snprintf(buf, len, "%s:%d", k, a->code);
	else
		snprintf(buf, len, "%s", k);
	return (buf);
}

/* answer_matches - does a reply meet an expectation */
static int
answer_matches(const struct answer *want, const struct answer *got)
{
	int     code = got->code;

	if (want->kind != got->kind)
		return (0);
	if (want->code == 0)
		return (1);
	if (code == 0 && got->kind == SMFIR_REJECT)
		code = 550;
	if (code == 0 && got->kind == SMFIR_TEMPFAIL)
		code = 451;
	return (want->code == code);
}

/* resolve_socket - parse the socket spec into milter_addr; exits on error */
static void
resolve_socket(const char *spec)
{
	const char *path = NULL;
	struct addrinfo hints, *res;
	char    port[16], host[256];
	const char *at, *colon;
	int     rc;

	memset(&milter_addr, 0, sizeof(milter_addr));
	if (spec[0] == '/')
		path = spec;
	else if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	if (path) {
		struct sockaddr_un *sun = (struct sockaddr_un *) &milter_addr;

		if (strlen(path) >= sizeof(sun->sun_path)) {
			fprintf(stderr, "milterload: socket path too long\n");
			exit(64);
		}
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		milter_addrlen = sizeof(*sun);
		return;
	}
	if ((colon = strchr(spec, ':')) == NULL ||
	    (at = strchr(colon, '@')) == NULL ||
	    (size_t) (at - colon - 1) >= sizeof(port) ||
	    strlen(at + 1) >= sizeof(host)) {
		fprintf(stderr, "milterload: bad socket: %s\n", spec);
		exit(64);
	}
	memcpy(port, colon + 1, (size_t) (at - colon - 1));
	port[at - colon - 1] = 0;
	snprintf(host, sizeof(host), "%s", at + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 :
	    strncmp(spec, "inet:", 5) == 0 ? AF_INET : AF_UNSPEC;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "milterload: %s: %s\n", spec, gai_strerror(rc));
		exit(64);
	}
	memcpy(&milter_addr, res->ai_addr, res->ai_addrlen);
	milter_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* wb_reserve - make room for len more bytes in the write buffer */
static void
wb_reserve(struct worker *w, size_t len)
{
	if (w->wlen + len > w->wcap) {
		w->wcap = 2 * (w->wlen + len);
		w->wbuf = xrealloc(w->wbuf, w->wcap);
	}
}

/* wb_put - append bytes */
static void
wb_put(struct worker *w, const void *p, size_t len)
{
	wb_reserve(w, len);
	memcpy(w->wbuf + w->wlen, p, len);
	w->wlen += len;
}

/* wb_str - append a string with its terminating null */
static void
wb_str(struct worker *w, const char *s)
{
	wb_put(w, s, strlen(s) + 1);
}

/* wb_begin - start a packet; returns its offset for wb_end */
static size_t
wb_begin(struct worker *w, char cmd)
{
	size_t  off = w->wlen;
	char    hdr[5] = {0, 0, 0, 0, cmd};

	wb_put(w, hdr, sizeof(hdr));
	return (off);
}

/* wb_end - fill in the length of the packet started at off */
static void
wb_end(struct worker *w, size_t off)
{
	uint32_t len = htonl((uint32_t) (w->wlen - off - 4));

	memcpy(w->wbuf + off, &len, 4);
}

/* wb_flush - send the write buffer; 0 or -1 */
static int
wb_flush(struct worker *w)
{
	size_t  done = 0;
	ssize_t n;

	while (done < w->wlen) {
		n = send(w->fd, w->wbuf + done, w->wlen - done,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += (size_t) n;
	}
	w->wlen = 0;
	return (0);
}

/* rb_packet - read one packet; 0 or -1 (the reason is in w->reply) */
static int
rb_packet(struct worker *w, char *cmd, const char **data, size_t *len)
{
	uint32_t plen;
	ssize_t n;

	for (;;) {
		if (w->rend - w->rstart >= 4) {
			memcpy(&plen, w->rbuf + w->rstart, 4);
			plen = ntohl(plen);
			if (plen == 0 || plen > sizeof(w->rbuf) - 4) {
				snprintf(w->reply, sizeof(w->reply),
				    "bad packet length %" PRIu32, plen);
				return (-1);
			}
			if (w->rend - w->rstart >= 4 + (size_t) plen) {
				*cmd = w->rbuf[w->rstart + 4];
				*data = w->rbuf + w->rstart + 5;
				*len = plen - 1;
				w->rstart += 4 + plen;
				return (0);
			}
		}
		if (w->rstart > 0) {
			memmove(w->rbuf, w->rbuf + w->rstart, w->rend - w->rstart);
			w->rend -= w->rstart;
			w->rstart = 0;
		}
		n = recv(w->fd, w->rbuf + w->rend, sizeof(w->rbuf) - w->rend, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(w->reply, sizeof(w->reply), "%s",
			    n == 0 ? "connection closed by milter" :
			    errno == EAGAIN || errno == EWOULDBLOCK ?
			    "reply timeout" : strerror(errno));
			return (-1);
		}
		w->rend += (size_t) n;
	}
}

/* read_answer - read the reply to a command; 0 or -1 */
static int
read_answer(struct worker *w, struct answer *a)
{
	const char *data;
	size_t  len;
	char    cmd;

	do {
		if (rb_packet(w, &cmd, &data, &len) < 0)
			return (-1);
	} while (cmd == SMFIR_PROGRESS);
	a->code = 0;
	w->reply[0] = 0;
	switch (cmd) {
	case SMFIR_CONTINUE:
	case SMFIR_ACCEPT:
	case SMFIR_DISCARD:
	case SMFIR_REJECT:
	case SMFIR_TEMPFAIL:
		a->kind = cmd;
		return (0);
	case SMFIR_REPLYCODE:
		snprintf(w->reply, sizeof(w->reply), "%.*s", (int) len, data);
		if (len < 4 || (data[0] != '4' && data[0] != '5') ||
		    data[1] < '0' || data[1] > '9' ||
		    data[2] < '0' || data[2] > '9' ||
		    (data[3] != ' ' && data[3] != '-' && data[3] != 0)) {
			snprintf(w->reply, sizeof(w->reply),
			    "bad reply code text: %.*s", (int) len, data);
			return (-1);
		}
		a->kind = data[0] == '4' ? SMFIR_TEMPFAIL : SMFIR_REJECT;
		a->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 +
		    (data[2] - '0');
		return (0);
	default:
		snprintf(w->reply, sizeof(w->reply),
		    "unexpected reply '%c' (0x%02x)", cmd, (unsigned char) cmd);
		return (-1);
	}
}

/* open_conn - connect to the milter and negotiate; 0 or -1 */
static int
open_conn(struct worker *w)
{
	struct timeval tv = {.tv_sec = opt_timeout};
	uint32_t opt[3];
	const char *data, *end;
	size_t  len, off;
	int     i, one = 1;
	char    cmd;

	w->rstart = w->rend = 0;
	w->wlen = 0;
	w->asked = 0;
	for (i = 0; i < NMACSTAGES; i++) {
		free(w->symlist[i]);
		w->symlist[i] = NULL;
	}
	if ((w->fd = socket(milter_addr.ss_family, SOCK_STREAM, 0)) < 0) {
		snprintf(w->reply, sizeof(w->reply), "socket: %s", strerror(errno));
		return (-1);
	}
	(void) setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void) setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (milter_addr.ss_family != AF_UNIX)
		(void) setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (connect(w->fd, (struct sockaddr *) &milter_addr, milter_addrlen) < 0) {
		snprintf(w->reply, sizeof(w->reply), "connect: %s", strerror(errno));
		return (-1);
	}
	off = wb_begin(w, SMFIC_OPTNEG);
	opt[0] = htonl(SMFI_PROT_VERSION);
	opt[1] = htonl(SMFI_CURR_ACTS);
	opt[2] = htonl(SMFI_CURR_PROT);
	wb_put(w, opt, sizeof(opt));
	wb_end(w, off);
	if (wb_flush(w) < 0) {
		snprintf(w->reply, sizeof(w->reply), "send: %s", strerror(errno));
		return (-1);
	}
	if (rb_packet(w, &cmd, &data, &len) < 0)
		return (-1);
	if (cmd != SMFIC_OPTNEG || len < MILTER_OPTLEN) {
		snprintf(w->reply, sizeof(w->reply),
		    "bad negotiation reply '%c', %zu bytes", cmd, len);
		return (-1);
	}
	memcpy(opt, data, sizeof(opt));
	if (ntohl(opt[0]) < 2 || ntohl(opt[0]) > SMFI_PROT_VERSION) {
		snprintf(w->reply, sizeof(w->reply),
		    "milter speaks protocol version %" PRIu32, ntohl(opt[0]));
		return (-1);
	}
	w->pflags = ntohl(opt[2]);
	if (w->pflags & ~(uint32_t) SMFI_CURR_PROT) {
		snprintf(w->reply, sizeof(w->reply),
		    "milter wants protocol flags we did not offer: 0x%" PRIx32,
		    w->pflags);
		return (-1);
	}
	/* The requested macros: (uint32 stage, "names\0")... */
	end = data + len;
	data += MILTER_OPTLEN;
	while (data < end) {
		uint32_t st;
		const char *nul;

		if (end - data < 5 ||
		    (nul = memchr(data + 4, 0, (size_t) (end - data - 4))) == NULL) {
			snprintf(w->reply, sizeof(w->reply),
			    "bad macro list in negotiation reply");
			return (-1);
		}
		memcpy(&st, data, 4);
		st = ntohl(st);
		if (st >= NMACSTAGES) {
			snprintf(w->reply, sizeof(w->reply),
			    "macro list for unknown stage %" PRIu32, st);
			return (-1);
		}
		free(w->symlist[st]);
		w->symlist[st] = xstrdup(data + 4);
		w->asked = 1;
		data = nul + 1;
	}
	if (opt_verbose) {
		printf("negotiated: version %" PRIu32 " actions 0x%" PRIx32
		    " protocol 0x%" PRIx32, ntohl(opt[0]), ntohl(opt[1]),
		    w->pflags);
		for (i = 0; i < NMACSTAGES; i++)
			if (w->symlist[i])
				printf(" macros[%d]=\"%s\"", i, w->symlist[i]);
		putchar('\n');
	}
	return (0);
}

/* macro_value - the value of a macro in a session, or NULL */
static const char *
macro_value(struct worker *w, const struct session *s, const struct rcpt *r,
    int stage, const char *name, char *buf, size_t len)
{
	size_t  i;

	for (i = 0; i < s->nmacros; i++)
		if (s->macros[i].stage == stage &&
		    strcmp(s->macros[i].name, name) == 0)
			return (s->macros[i].value);
	if (strcmp(name, "j") == 0)
		return ("mx.bench.test");
	if (strcmp(name, "v") == 0)
		return ("milterload 1");
	if (strcmp(name, "daemon_name") == 0)
		return (s->daemon);
	if (strcmp(name, "daemon_addr") == 0)
		return ("127.0.0.1");
	if (strcmp(name, "daemon_port") == 0)
		return ("25");
	if (strcmp(name, "_") == 0) {
		snprintf(buf, len, "%s [%s]", s->name, s->addr);
		return (buf);
	}
	if (strcmp(name, "client_addr") == 0)
		return (s->family == SMFIA_INET || s->family == SMFIA_INET6 ?
		    s->addr : NULL);
	if (strcmp(name, "client_port") == 0) {
		snprintf(buf, len, "%u", s->port);
		return (buf);
	}
	if (strcmp(name, "client_name") == 0 || strcmp(name, "client_ptr") == 0)
		return (s->name);
	if (strcmp(name, "client_resolve") == 0)
		return (s->name[0] == '[' || strcmp(s->name, "unknown") == 0 ?
		    "FAIL" : "OK");
	if (strcmp(name, "client_connections") == 0)
		return ("0");
	if (strcmp(name, "i") == 0)
		return (stage >= SMFIM_ENVFROM ? w->qid : NULL);
	if (strcmp(name, "auth_authen") == 0)
		return (s->auth);
	if (strcmp(name, "auth_type") == 0)
		return (s->auth ? s->auth_type : NULL);
	if (strcmp(name, "mail_addr") == 0 || strcmp(name, "mail_host") == 0 ||
	    strcmp(name, "rcpt_addr") == 0 || strcmp(name, "rcpt_host") == 0) {
		const char *a = name[0] == 'm' ? s->from : r ? r->addr : NULL;
		const char *at;
		size_t  alen;

		if (a == NULL)
			return (NULL);
		if (*a == '<')
			a++;
		alen = strcspn(a, ">");
		if (strstr(name, "host")) {
			if ((at = memchr(a, '@', alen)) == NULL)
				return (NULL);
			alen -= (size_t) (at + 1 - a);
			a = at + 1;
		}
		snprintf(buf, len, "%.*s", (int) alen, a);
		return (buf);
	}
	if (strcmp(name, "mail_mailer") == 0)
		return ("smtp");
	if (strcmp(name, "rcpt_mailer") == 0)
		return (r ? r->mailer : NULL);
	return (NULL);
}

/* put_macros - append the macro packet for a stage, if it has any */
static void
put_macros(struct worker *w, const struct session *s, const struct rcpt *r,
    int stage)
{
	const char *list = w->asked ? w->symlist[stage] : default_macros[stage];
	char    name[128], bare[128], buf[512];
	const char *p, *val;
	size_t  off = 0, n;
	int     any = 0;

	if (list == NULL)
		return;
	for (p = list; *p; p += n) {
		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if (n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = 0;
		if (n >= 2 && name[0] == '{' && name[n - 1] == '}')
			snprintf(bare, sizeof(bare), "%.*s", (int) n - 2, name + 1);
		else
			snprintf(bare, sizeof(bare), "%s", name);
		if ((val = macro_value(w, s, r, stage, bare, buf,
		    sizeof(buf))) == NULL)
			continue;
		if (!any) {
			off = wb_begin(w, SMFIC_MACRO);
			wb_put(w, &macro_cmd[stage], 1);
			any = 1;
		}
		wb_str(w, name);
		wb_str(w, val);
	}
	/* Scenario macros the default list does not name are sent too. */
	if (!w->asked) {
		size_t  i;

		for (i = 0; i < s->nmacros; i++) {
			if (s->macros[i].stage != stage)
				continue;
			snprintf(name, sizeof(name), "{%s}", s->macros[i].name);
			if (strstr(list, name) != NULL ||
			    (strlen(s->macros[i].name) == 1 &&
			    strchr(list, s->macros[i].name[0]) != NULL))
				continue;
			if (!any) {
				off = wb_begin(w, SMFIC_MACRO);
				wb_put(w, &macro_cmd[stage], 1);
				any = 1;
			}
			if (strlen(s->macros[i].name) > 1)
				wb_str(w, name);
			else
				wb_str(w, s->macros[i].name);
			wb_str(w, s->macros[i].value);
		}
	}
	if (any)
		wb_end(w, off);
}

/* put_connect - append the CONNECT packet */
static void
put_connect(struct worker *w, const struct session *s)
{
	size_t  off = wb_begin(w, SMFIC_CONNECT);
	uint16_t port = htons((uint16_t) s->port);

	wb_str(w, s->name);
	wb_put(w, &s->family, 1);
	if (s->family == SMFIA_UNIX) {
		port = 0;
		wb_put(w, &port, 2);
		wb_str(w, "/run/milterload/client.sock");
	} else if (s->family != SMFIA_UNKNOWN) {
		wb_put(w, &port, 2);
		wb_str(w, s->addr);
	}
	wb_end(w, off);
}

/* put_string_cmd - append a command whose data is one string */
static void
put_string_cmd(struct worker *w, char cmd, const char *arg)
{
	size_t  off = wb_begin(w, cmd);

	wb_str(w, arg);
	wb_end(w, off);
}

 /*
  * exchange - send what is in the write buffer (the stage's macros and
  * command) and read the answer unless the milter negotiated no reply.
  * Returns 0 or -1.
  */
static int
exchange(struct worker *w, enum stage st, uint32_t nr_flag, struct answer *got)
{
	uint64_t t0 = now_ns();

	if (wb_flush(w) < 0) {
		snprintf(w->reply, sizeof(w->reply), "send: %s", strerror(errno));
		return (-1);
	}
	if (w->pflags & nr_flag) {
		got->kind = SMFIR_CONTINUE;
		got->code = 0;
		return (0);
	}
	if (read_answer(w, got) < 0)
		return (-1);
	hist_add(&w->hist[st], now_ns() - t0);
	return (0);
}

static const struct answer none = {0, 0};

/* check - compare an answer with its expectation, count and report */
static void
check(struct worker *w, const struct session *s, const char *what,
    const struct answer *want, const struct answer *got)
{
	char    wb[32], gb[32];

	static const struct answer cont = {SMFIR_CONTINUE, 0};

	if (opt_verbose)
		printf("line %d %s: %s%s%s\n", s->line, what,
		    answer_str(got, gb, sizeof(gb)), w->reply[0] ? " " : "",
		    w->reply);
	if (opt_all_continue)
		want = strncmp(what, "rcpt", 4) == 0 ? &cont : &none;
	if (want->kind == 0 || answer_matches(want, got))
		return;
	w->wrong++;
	report("line %d: %s: want %s, got %s%s%s", s->line, what,
	    answer_str(want, wb, sizeof(wb)), answer_str(got, gb, sizeof(gb)),
	    w->reply[0] ? " " : "", w->reply);
}

/* ends_message - does an answer end the message (or the connection) */
static int
ends_message(const struct answer *a)
{
	return (a->kind != SMFIR_CONTINUE);
}

/* run_session - one SMTP session through the milter; 0 or -1 (error) */
static int
run_session(struct worker *w, const struct session *s, uint64_t seq)
{
	struct answer got, ended = {0, 0};
	char    what[600];
	size_t  i;
	uint64_t t0 = now_ns();
	int     mail_sent = 0;

	snprintf(w->qid, sizeof(w->qid), "%" PRIX64 "%02X", seq, w->id & 0xff);
	if (open_conn(w) < 0)
		goto fail;
	hist_add(&w->hist[ST_OPEN], now_ns() - t0);
	w->reply[0] = 0;

	/* CONNECT */
	got.kind = SMFIR_CONTINUE;
	got.code = 0;
	if (!(w->pflags & SMFIP_NOCONNECT)) {
		put_macros(w, s, NULL, SMFIM_CONNECT);
		put_connect(w, s);
		if (exchange(w, ST_CONNECT, SMFIP_NR_CONN, &got) < 0)
			goto fail;
	}
	check(w, s, "connect", &s->want[ST_CONNECT], &got);
	if (ends_message(&got))
		ended = got;

	/* HELO */
	if (ended.kind == 0) {
		got.kind = SMFIR_CONTINUE;
		got.code = 0;
		w->reply[0] = 0;
		if (!(w->pflags & SMFIP_NOHELO)) {
			put_macros(w, s, NULL, SMFIM_HELO);
			put_string_cmd(w, SMFIC_HELO, s->helo);
			if (exchange(w, ST_HELO, SMFIP_NR_HELO, &got) < 0)
				goto fail;
		}
		check(w, s, "helo", &s->want[ST_HELO], &got);
		if (ends_message(&got))
			ended = got;
	} else {
		check(w, s, "helo", &s->want[ST_HELO], &ended);
	}

	/* MAIL */
	if (ended.kind == 0) {
		got.kind = SMFIR_CONTINUE;
		got.code = 0;
		w->reply[0] = 0;
		mail_sent = 1;
		if (!(w->pflags & SMFIP_NOMAIL)) {
			put_macros(w, s, NULL, SMFIM_ENVFROM);
			put_string_cmd(w, SMFIC_MAIL, s->from);
			if (exchange(w, ST_MAIL, SMFIP_NR_MAIL, &got) < 0)
				goto fail;
		}
		check(w, s, "mail", &s->want[ST_MAIL], &got);
		if (ends_message(&got))
			ended = got;
	} else {
		check(w, s, "mail", &s->want[ST_MAIL], &ended);
	}

	/* RCPT, each one */
	for (i = 0; i < s->nrcpts; i++) {
		const struct rcpt *r = &s->rcpts[i];

		snprintf(what, sizeof(what), "rcpt %s", r->addr);
		if (ended.kind != 0) {
			check(w, s, what, &r->want, &ended);
			continue;
		}
		got.kind = SMFIR_CONTINUE;
		got.code = 0;
		w->reply[0] = 0;
		w->rcpts++;
		if (!(w->pflags & SMFIP_NORCPT)) {
			put_macros(w, s, r, SMFIM_ENVRCPT);
			put_string_cmd(w, SMFIC_RCPT, r->addr);
			if (exchange(w, ST_RCPT, SMFIP_NR_RCPT, &got) < 0)
				goto fail;
		}
		check(w, s, what, &r->want, &got);
		/* accept and discard end the message; reject and tempfail
		 * refuse only this recipient. */
		if (got.kind == SMFIR_ACCEPT || got.kind == SMFIR_DISCARD)
			ended = got;
	}

	/* The client resets and quits: ABORT then QUIT, no replies. */
	if (mail_sent) {
		size_t  off = wb_begin(w, SMFIC_ABORT);

		wb_end(w, off);
	}
	wb_end(w, wb_begin(w, SMFIC_QUIT));
	if (wb_flush(w) < 0) {
		snprintf(w->reply, sizeof(w->reply), "send: %s", strerror(errno));
		goto fail;
	}
	close(w->fd);
	w->fd = -1;
	hist_add(&w->hist[ST_SESSION], now_ns() - t0);
	return (0);

fail:
	w->errors++;
	report("line %d: error: %s", s->line, w->reply);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->wlen = 0;
	return (-1);
}

/* worker_main - run sessions until the count or the time is used up */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t i, fails = 0;
	struct timespec now;

	while (!atomic_load(&stop_now)) {
		i = atomic_fetch_add(&next_session, 1);
		if (opt_count && i >= opt_count)
			break;
		if (opt_duration > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec &&
			    now.tv_nsec >= deadline.tv_nsec))
				break;
		}
		if (run_session(w, &sessions[i % nsessions], i) < 0) {
			/* A milter that is down should not spin us for the
			 * whole duration. */
			if (++fails >= 100)
				atomic_store(&stop_now, 1);
		} else {
			fails = 0;
			w->sessions++;
		}
	}
	return (NULL);
}

/* worker_free - release a worker */
static void
worker_free(struct worker *w)
{
	int     i;

	for (i = 0; i < NMACSTAGES; i++)
		free(w->symlist[i]);
	free(w->wbuf);
	free(w);
}

/* usage - print the synopsis and exit 64 */
static void
usage(void)
{
	fprintf(stderr, "usage: milterload -s socket -f scenario [-c connections]\n"
	    "\t[-n sessions | -d seconds] [-t timeout] [-l label] [-r resultfile]"
	    " [-v] [-x]\n");
	exit(64);
}

/* print_results - the report on stdout and the result record */
static void
print_results(struct worker **ws, double secs)
{
	struct hist *h = xcalloc(NSTAGES, sizeof(*h));
	uint64_t nsess = 0, nrcpt = 0, nerr = 0, nwrong = 0;
	FILE   *fp = NULL;
	int     i, st;

	for (i = 0; i < opt_conns; i++) {
		nsess += ws[i]->sessions;
		nrcpt += ws[i]->rcpts;
		nerr += ws[i]->errors;
		nwrong += ws[i]->wrong;
		for (st = 0; st < NSTAGES; st++)
			hist_merge(&h[st], &ws[i]->hist[st]);
	}
	printf("%s: %d connections, %" PRIu64 " sessions, %" PRIu64
	    " recipients in %.2f s\n", opt_label, opt_conns, nsess, nrcpt, secs);
	printf("sessions/s %.1f  recipients/s %.1f  errors %" PRIu64
	    "  wrong answers %" PRIu64 "\n", (double) nsess / secs,
	    (double) nrcpt / secs, nerr, nwrong);
	printf("%-8s %10s %10s %10s %10s %10s\n", "stage", "count",
	    "p50 us", "p99 us", "p99.9 us", "max us");
	for (st = 0; st < NSTAGES; st++)
		printf("%-8s %10" PRIu64 " %10.1f %10.1f %10.1f %10.1f\n",
		    stage_names[st], h[st].count,
		    (double) hist_pct(&h[st], 0.50) / 1000.0,
		    (double) hist_pct(&h[st], 0.99) / 1000.0,
		    (double) hist_pct(&h[st], 0.999) / 1000.0,
		    (double) h[st].max / 1000.0);
	if (opt_result && (fp = fopen(opt_result, "a")) == NULL)
		fprintf(stderr, "milterload: %s: %s\n", opt_result, strerror(errno));
	if (fp) {
		fprintf(fp, "label=%s conns=%d sessions=%" PRIu64 " rcpts=%" PRIu64
		    " secs=%.3f sess_s=%.1f rcpt_s=%.1f errors=%" PRIu64
		    " wrong=%" PRIu64, opt_label, opt_conns, nsess, nrcpt, secs,
		    (double) nsess / secs, (double) nrcpt / secs, nerr, nwrong);
		for (st = 0; st < NSTAGES; st++)
			fprintf(fp, " %s_n=%" PRIu64 " %s_p50=%.1f %s_p99=%.1f"
			    " %s_p999=%.1f %s_max=%.1f", stage_names[st],
			    h[st].count, stage_names[st],
			    (double) hist_pct(&h[st], 0.50) / 1000.0,
			    stage_names[st],
			    (double) hist_pct(&h[st], 0.99) / 1000.0,
			    stage_names[st],
			    (double) hist_pct(&h[st], 0.999) / 1000.0,
			    stage_names[st], (double) h[st].max / 1000.0);
		fputc('\n', fp);
		fclose(fp);
	}
	free(h);
}

int
main(int argc, char **argv)
{
	struct worker **ws;
	uint64_t t0;
	double  secs;
	int     ch, i, rc, bad = 0;
	char   *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "c:d:f:l:n:r:s:t:vx")) != -1) {
		switch (ch) {
		case 'c':
			opt_conns = (int) strtol(optarg, &end, 10);
			if (*end || opt_conns < 1 || opt_conns > 4096)
				usage();
			break;
		case 'd':
			opt_duration = strtod(optarg, &end);
			if (*end || opt_duration <= 0)
				usage();
			break;
		case 'f':
			opt_scenario = optarg;
			break;
		case 'l':
			opt_label = optarg;
			break;
		case 'n':
			opt_count = strtoull(optarg, &end, 10);
			if (*end || opt_count == 0)
				usage();
			break;
		case 'r':
			opt_result = optarg;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case 't':
			opt_timeout = (int) strtol(optarg, &end, 10);
			if (*end || opt_timeout < 1)
				usage();
			break;
		case 'v':
			opt_verbose = 1;
			break;
		case 'x':
			opt_all_continue = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || opt_socket == NULL || opt_scenario == NULL ||
	    (opt_count && opt_duration > 0))
		usage();
	resolve_socket(opt_socket);
	sessions = scenario_load(opt_scenario, &nsessions);
	if (opt_count == 0 && opt_duration <= 0)
		opt_count = nsessions;

	ws = xcalloc((size_t) opt_conns, sizeof(*ws));
	t0 = now_ns();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (opt_duration > 0) {
		double  whole = (double) (long) opt_duration;

		deadline.tv_sec += (time_t) whole;
		deadline.tv_nsec += (long) ((opt_duration - whole) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	for (i = 0; i < opt_conns; i++) {
		ws[i] = xcalloc(1, sizeof(*ws[i]));
		ws[i]->id = i;
		ws[i]->fd = -1;
		if ((rc = pthread_create(&ws[i]->tid, NULL, worker_main, ws[i])) != 0) {
			fprintf(stderr, "milterload: pthread_create: %s\n",
			    strerror(rc));
			exit(71);
		}
	}
	for (i = 0; i < opt_conns; i++)
		pthread_join(ws[i]->tid, NULL);
	secs = (double) (now_ns() - t0) / 1e9;
	print_results(ws, secs);
	for (i = 0; i < opt_conns; i++) {
		if (ws[i]->errors || ws[i]->wrong)
			bad = 1;
		worker_free(ws[i]);
	}
	free(ws);
	scenario_free(sessions, nsessions);
	return (bad ? 1 : 0);
}
