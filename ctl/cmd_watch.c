/*
 * NAME
 *	cmd_watch - relayguardctl watch: grant relay access from a POP/IMAP log
 * SYNOPSIS
 *	relayguardctl watch [-c conf] [-t table] [-u user] [-s] [--ttl 30m]
 *		[--format dovecot|courier|cyrus|qpopper|regex:RE] LOGFILE
 * DESCRIPTION
 *	Follows LOGFILE as tail -F does and grants every address that
 *	logs in successfully (spec section 5); each new login refreshes
 *	the grant. It starts at the end of the file (-s: at the start),
 *	survives rotation (the name now points at another file: the rest
 *	of the old one is read, then the new one from its start) and
 *	truncation (the file shrank: read again from the start).
 *
 *	Formats (the default is dovecot):
 *	dovecot	"imap-login: Login: user=<u>, ... rip=ADDR" (and pop3-login)
 *	courier	"LOGIN, user=u, ip=[ADDR]"
 *	cyrus	"login: host [ADDR] u ... User logged in"
 *	qpopper	"Stats: u N N N N host ADDR"
 *	regex:RE	a POSIX extended regular expression whose first
 *		subexpression is the address and whose second, if any, is
 *		the user.
 * DIAGNOSTICS
 *	Runs until killed. Lines whose address does not parse are
 *	skipped; a failed grant is reported on stderr and watching goes
 *	on. Exit 64 usage, 66 LOGFILE cannot be opened at start, 74 the
 *	table cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_watch_usage[] =
	"watch [-c conf] [-t table] [-u user] [-s] [--ttl 30m] "
	"[--format dovecot|courier|cyrus|qpopper|regex:RE] LOGFILE";

#define ADDR_RE	"([0-9A-Fa-f.:]+)"

static const struct {
	const char *name;
	const char *re;
	int	addr;			/* subexpression of the address */
	int	user;			/* of the user, 0 none */
} formats[] = {
	{"dovecot", "(imap|pop3)-login: Login: user=<([^>]*)>.*[ ,]rip=" ADDR_RE,
	3, 2},
	{"courier", "LOGIN, user=([^,]*), ip=\\[([^]]*)\\]", 2, 1},
	{"cyrus", "login: [^ ]* \\[" ADDR_RE "\\] ([^ ]+) .*User logged in",
	1, 2},
	{"qpopper", "Stats: ([^ ]+) [0-9]+ [0-9]+ [0-9]+ [0-9]+ [^ ]+ " ADDR_RE,
	2, 1},
};

struct watch {
	struct store *s;
	regex_t re;
	int	addr_sub;
	int	user_sub;
	time_t	ttl;
	const char *path;
	int	fd;
	struct stat st;			/* of fd */
	off_t	off;			/* read so far from fd */
	char   *buf;			/* an incomplete line */
	size_t	len, cap;
};

/* grant_line - grant the address of one log line, if it is a login */
static void
grant_line(struct watch *w, char *line)
{
	regmatch_t m[10];
	struct addr a;
	char    abuf[ADDR_STRLEN], ubuf[STORE_USER_MAX];
	char    err[512];
	int     n;

	if (regexec(&w->re, line, 10, m, 0) != 0 ||
	    m[w->addr_sub].rm_so < 0)
		return;
	n = (int) (m[w->addr_sub].rm_eo - m[w->addr_sub].rm_so);
	if (n <= 0 || n >= (int) sizeof(abuf))
		return;
	memcpy(abuf, line + m[w->addr_sub].rm_so, (size_t) n);
	abuf[n] = 0;
	if (addr_parse(abuf, &a) < 0)
		return;
	ubuf[0] = 0;
	if (w->user_sub > 0 && m[w->user_sub].rm_so >= 0) {
		n = (int) (m[w->user_sub].rm_eo - m[w->user_sub].rm_so);
		if (n >= (int) sizeof(ubuf))
			n = (int) sizeof(ubuf) - 1;
		memcpy(ubuf, line + m[w->user_sub].rm_so, (size_t) n);
		ubuf[n] = 0;
	}
	if (store_grant(w->s, &a, ubuf, time(NULL) + w->ttl, err,
	    sizeof(err)) < 0)
		fprintf(stderr, "relayguardctl: watch: %s\n", err);
}

/* drain - read what fd holds now and grant from complete lines */
static void
drain(struct watch *w)
{
	char    chunk[65536];
	ssize_t r;
	char   *p, *nl;

	for (;;) {
		r = read(w->fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		w->off += r;
		if (w->len + (size_t) r + 1 > w->cap) {
			w->cap = (w->len + (size_t) r + 1) * 2;
			w->buf = xrealloc(w->buf, w->cap);
		}
		memcpy(w->buf + w->len, chunk, (size_t) r);
		w->len += (size_t) r;
		w->buf[w->len] = 0;
		p = w->buf;
		while ((nl = memchr(p, '\n', w->len - (size_t) (p - w->buf))) !=
		    NULL) {
			*nl = 0;
			grant_line(w, p);
			p = nl + 1;
		}
		w->len -= (size_t) (p - w->buf);
		memmove(w->buf, p, w->len);
		/* A line longer than 64 KiB is no login line: drop it. */
		if (w->len > 65536)
			w->len = 0;
	}
}

/* reopen - open the log by name; 0, or -1 when it is not there */
static int
reopen(struct watch *w, int at_end)
{
	int     fd = open(w->path, O_RDONLY);

	if (fd < 0)
		return (-1);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	(void) fstat(fd, &w->st);
	w->off = at_end ? lseek(fd, 0, SEEK_END) : 0;
	w->len = 0;
	return (0);
}

/* follow - read forever, noticing rotation and truncation */
static void
follow(struct watch *w)
{
	struct stat now;

	for (;;) {
		drain(w);
		if (fstat(w->fd, &w->st) == 0 && w->st.st_size < w->off) {
			/* truncated: start over */
			(void) lseek(w->fd, 0, SEEK_SET);
			w->off = 0;
			w->len = 0;
			continue;
		}
		if (stat(w->path, &now) == 0 && (now.st_ino != w->st.st_ino ||
		    now.st_dev != w->st.st_dev)) {
			/* rotated: finish the old file, then the new one */
			drain(w);
			if (reopen(w, 0) == 0)
				continue;
		}
		usleep(200000);
	}
}

/* cmd_watch - relayguardctl watch */
int
cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	const char *format = "dovecot", *path;
	const char *re = NULL;
	struct watch w;
	char    err[512];
	size_t  i;
	int     c, rc, from_start = 0;

	memset(&w, 0, sizeof(w));
	w.ttl = 30 * 60;
	w.fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:st:u:", longopts, NULL)) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 's':
			from_start = 1;
			break;
		case 'T':
			if (ctl_parse_ttl(optarg, &w.ttl) < 0) {
				fprintf(stderr, "relayguardctl: watch: bad TTL: "
				    "%s\n", optarg);
				return (CTL_EX_USAGE);
			}
			break;
		case 'F':
			format = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	if (strncmp(format, "regex:", 6) == 0) {
		re = format + 6;
		w.addr_sub = 1;
		w.user_sub = 2;
	} else {
		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (strcmp(format, formats[i].name) == 0)
				break;
		if (i == sizeof(formats) / sizeof(formats[0])) {
			fprintf(stderr, "relayguardctl: watch: unknown format: "
			    "%s\n", format);
			return (CTL_EX_USAGE);
		}
		re = formats[i].re;
		w.addr_sub = formats[i].addr;
		w.user_sub = formats[i].user;
	}
	if ((rc = regcomp(&w.re, re, REG_EXTENDED)) != 0) {
		regerror(rc, &w.re, err, sizeof(err));
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", re, err);
		return (CTL_EX_USAGE);
	}
	if (w.re.re_nsub < (size_t) w.addr_sub) {
		fprintf(stderr, "relayguardctl: watch: %s: no subexpression "
		    "for the address\n", re);
		regfree(&w.re);
		return (CTL_EX_USAGE);
	}
	if (w.re.re_nsub < (size_t) w.user_sub)
		w.user_sub = 0;
	w.path = argv[optind];
	if (reopen(&w, !from_start) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", w.path,
		    strerror(errno));
		regfree(&w.re);
		return (CTL_EX_NOINPUT);
	}
	if ((path = ctl_table_path("watch", to.conf, to.table, 1)) == NULL) {
		regfree(&w.re);
		return (CTL_EX_CONFIG);
	}
	if (store_open_write(path, 1, &w.s, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s\n", err);
		regfree(&w.re);
		return (CTL_EX_IOERR);
	}
	follow(&w);
	return (CTL_EX_SOFTWARE);

usage:
	fprintf(stderr, "usage: relayguardctl %s\n", cmd_watch_usage);
	return (CTL_EX_USAGE);
}
