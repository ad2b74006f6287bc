/*
 * NAME
 *	cmd_watch - relayguardctl watch: grant relay access from a POP/IMAP log
 * SYNOPSIS
 *	relayguardctl watch [-c conf] [-t table] [-u user] [-s] [--ttl 30m]
 *		[--format dovecot|courier|cyrus|qpopper|uw-imap|regex:PROG:RE]
 *		[--ignore PREFIX|@FILE]... [--grant-loopback] [--once]
 *		[--state FILE] LOGFILE|-|--journal [--journal-file FILE]...
 *		[--unit UNIT]... [--identifier ID]...
 * DESCRIPTION
 *	Follows LOGFILE as tail -F does and grants every address that
 *	logs in successfully (spec section 5), until the login's own time
 *	plus the TTL; each new login refreshes the grant. Which lines are
 *	logins is decided by common/loginlog.c, strictly: the syslog
 *	header must parse, the program tag must be the POP/IMAP server's,
 *	and the message must start with its login message. Everything
 *	else is ignored and counted.
 *
 *	It starts at the end of the file (-s: at the start), waits for a
 *	file that does not exist yet, survives rotation (the name now
 *	points at another file: the rest of the old one is read, then the
 *	new one from its start) and truncation (the file shrank: read
 *	again from the start). "-" reads standard input to its end;
 *	--once reads LOGFILE to its end and exits.
 *
 *	--state FILE keeps the position (device, inode, offset past the
 *	last whole line, that line's length and hash) and the latest line
 *	time seen, so that a restart resumes there: no line is missed,
 *	and none is read twice unless the file changed under it (then it
 *	is read from its start, and a login read again grants the same
 *	expiry, login time plus TTL, so nothing is extended). A file
 *	rotated by rename while watch was stopped is found as LOGFILE.1
 *	and its rest read first; one truncated meanwhile (copytruncate)
 *	is read from its start.
 *
 *	--journal reads the systemd journal (--journal-file: journal
 *	files) instead, filtered on _SYSTEMD_UNIT (--unit, set by journald,
 *	not forgeable) and/or SYSLOG_IDENTIFIER (--identifier, chosen by
 *	the sender); SYSLOG_IDENTIFIER is the program tag, MESSAGE the
 *	message, and the time the earlier of the entry's received and
 *	source times. --state then keeps the journal cursor.
 *
 *	With --state, the counters are written to STATE.stats (atomically,
 *	whenever the input has been read to its end); "watch --stats STATE
 *	[--prometheus]" prints them.
 *
 *	No grant is made for a login older than the TTL, for a login
 *	line without a timestamp, for loopback addresses (unless
 *	--grant-loopback) or for addresses inside an --ignore prefix
 *	(@FILE: one prefix per line, # comments). A login of the same
 *	user from the same address less than a minute after the last grant
 *	written for them is counted ("refreshed"), not written again: the
 *	grant then ends up to a minute before login time plus TTL, never
 *	after.
 * DIAGNOSTICS
 *	One line on stderr per grant and per refused grant; the counters
 *	on SIGUSR1 and at the end. A failed grant is reported and
 *	watching goes on. Exit 0 at the end of "-" or --once, 64 usage,
 *	66 an --ignore file cannot be read, 74 the table cannot be opened.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "common/addr.h"
#include "common/loginlog.h"
#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_watch_usage[] =
	"watch [-c conf] [-t table] [-u user] [-s] [--ttl 30m] "
	"[--format dovecot|courier|cyrus|qpopper|uw-imap|regex:PROG:RE] "
	"[--ignore PREFIX|@FILE]... [--grant-loopback] [--once] "
	"[--state FILE] LOGFILE|-|--journal [--journal-file FILE]... "
	"[--unit UNIT]... [--identifier ID]... | "
	"watch --stats STATEFILE [--prometheus]";

/* What happened to the lines read. */
struct watch_counts {
	unsigned long long lines;	/* complete lines read */
	unsigned long long other;	/* not a login line: ignored */
	unsigned long long refused;	/* login message, bad fields */
	unsigned long long old;		/* login older than the TTL */
	unsigned long long untimed;	/* login without a timestamp */
	unsigned long long ignored;	/* address in the ignore list */
	unsigned long long granted;
	unsigned long long cached;	/* granted less than a minute ago */
	unsigned long long errors;	/* the grant failed */
	unsigned long long overlong;	/* lines dropped whole (stats) */
};

/*
 * The grants written lately, so that a client that logs in again and
 * again (every IMAP connection logs a login) costs one table write a
 * minute, not one per line. A slot is overwritten by any other grant
 * that hashes to it.
 */
#define CACHE_SLOTS	65536
#define CACHE_SLACK	60		/* seconds a refresh may be skipped */

struct cache_slot {
	struct addr a;
	char	user[LOGINLOG_USER_MAX];
	time_t	expiry;			/* 0: empty */
};

/*
 * Grants waiting for their write: one transaction (one disk sync) for
 * up to BATCH of them, made when the batch is full and whenever the
 * log has been read to its end, so a backlog is read fast and a live
 * login is granted at once.
 */
#define BATCH		1024

struct pending {
	char	user[LOGINLOG_USER_MAX];
	char	prog[LOGINLOG_PROG_MAX];
	time_t	when;
};

struct watch {
	struct store *s;
	struct cache_slot *cache;
	struct store_grant_req *req;	/* BATCH of them */
	struct pending *pend;		/* BATCH, parallel to req */
	size_t	npend;
	struct loginlog *fmt;
	time_t	ttl;
	const char *path;
	int	fd;
	int	is_stdin;
	struct stat st;			/* of fd */
	off_t	off;			/* read so far from fd */
	struct loginlog_lines lines;
	unsigned long long line_end;	/* offset past the last whole line */
	size_t	line_len;		/* its length, without the newline */
	uint32_t line_hash;		/* and its hash (line_hash()) */
	time_t	last_when;		/* latest line time seen */
	const char *state;		/* --state file, or NULL */
	unsigned long long saved_end;	/* what save_state() wrote last */
	ino_t	saved_ino;
	struct prefix *ignore;
	size_t	nignore;
	struct watch_counts n;
	struct watch_counts saved_n;	/* what save_stats() wrote last */
	int	stats_saved;
};

static volatile sig_atomic_t want_counts;

/* on_usr1 - print the counters at the next chance */
static void
on_usr1(int sig)
{
	(void) sig;
	want_counts = 1;
}

/* print_counts - the counters, one line */
static void
print_counts(const struct watch *w)
{
	fprintf(stderr, "relayguardctl: watch: lines=%llu granted=%llu "
	    "refreshed=%llu other=%llu refused=%llu old=%llu untimed=%llu "
	    "ignored=%llu errors=%llu overlong=%llu\n", w->n.lines,
	    w->n.granted, w->n.cached,
	    w->n.other, w->n.refused, w->n.old, w->n.untimed, w->n.ignored,
	    w->n.errors, w->lines.dropped);
}

/*
 * The counters, for "watch --stats". Each row: the name in the stats
 * file, the Prometheus metric and its reason label (NULL: none).
 */
static const struct stat_row {
	const char *key, *metric, *reason;
	size_t	off;
} stat_rows[] = {
	{"lines", "relayguard_watch_lines_total", NULL,
	offsetof(struct watch_counts, lines)},
	{"granted", "relayguard_watch_grants_total", NULL,
	offsetof(struct watch_counts, granted)},
	{"refreshed", "relayguard_watch_refreshed_total", NULL,
	offsetof(struct watch_counts, cached)},
	{"other", "relayguard_watch_other_total", NULL,
	offsetof(struct watch_counts, other)},
	{"refused", "relayguard_watch_refused_total", "fields",
	offsetof(struct watch_counts, refused)},
	{"old", "relayguard_watch_refused_total", "old",
	offsetof(struct watch_counts, old)},
	{"untimed", "relayguard_watch_refused_total", "untimed",
	offsetof(struct watch_counts, untimed)},
	{"ignored", "relayguard_watch_refused_total", "ignored",
	offsetof(struct watch_counts, ignored)},
	{"errors", "relayguard_watch_refused_total", "error",
	offsetof(struct watch_counts, errors)},
	{"overlong", "relayguard_watch_overlong_total", NULL,
	offsetof(struct watch_counts, overlong)},
};

#define STAT_ROWS	(sizeof(stat_rows) / sizeof(stat_rows[0]))
#define STAT_FIELD(c, r) \
	((unsigned long long *) (void *) ((char *) (c) + (r)->off))

/*
 * save_stats - write the counters to STATE.stats, through a temporary
 * file and rename(2): a reader sees the old counters or the new ones.
 */
static void
save_stats(struct watch *w)
{
	char    path[4096], tmp[4200];
	FILE   *fp;
	size_t  i;
	int     bad = 0;

	if (w->state == NULL)
		return;
	w->n.overlong = w->lines.dropped;
	/* following a quiet log: nothing new to write every 200 ms */
	if (w->stats_saved && memcmp(&w->n, &w->saved_n, sizeof(w->n)) == 0)
		return;
	snprintf(path, sizeof(path), "%s.stats", w->state);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", tmp,
		    strerror(errno));
		return;
	}
	for (i = 0; i < STAT_ROWS; i++)
		if (fprintf(fp, "%s %llu\n", stat_rows[i].key,
		    *STAT_FIELD(&w->n, &stat_rows[i])) < 0)
			bad = 1;
	if (fprintf(fp, "updated %lld\n", (long long) time(NULL)) < 0)
		bad = 1;
	if (fclose(fp) != 0 || bad || rename(tmp, path) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", path,
		    strerror(errno));
		(void) unlink(tmp);
		return;
	}
	w->saved_n = w->n;
	w->stats_saved = 1;
}

/*
 * show_stats - "watch --stats STATE": the counters a running or past
 * watch wrote to STATE.stats, as "name value" lines or in Prometheus'
 * text format. Returns an exit code.
 */
static int
show_stats(const char *state, int prom)
{
	struct watch_counts c;
	char    path[4096], line[256], key[64];
	unsigned long long val, seen = 0;
	long long updated = 0;
	const char *last = "";
	FILE   *fp;
	size_t  i;
	int     lineno = 0, n;

	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s.stats", state);
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", path,
		    strerror(errno));
		return (CTL_EX_NOINPUT);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (sscanf(line, "%63s %llu%n", key, &val, &n) != 2 ||
		    line[n] != '\n' || line[strspn(line, "abcdefghijklmnopq"
		    "rstuvwxyz")] != ' ') {
			fprintf(stderr, "relayguardctl: watch: %s:%d: not "
			    "\"name number\"\n", path, lineno);
			fclose(fp);
			return (CTL_EX_DATAERR);
		}
		if (strcmp(key, "updated") == 0) {
			updated = (long long) val;
			continue;
		}
		for (i = 0; i < STAT_ROWS; i++)
			if (strcmp(key, stat_rows[i].key) == 0)
				break;
		if (i == STAT_ROWS) {
			fprintf(stderr, "relayguardctl: watch: %s:%d: unknown "
			    "counter %s\n", path, lineno, key);
			fclose(fp);
			return (CTL_EX_DATAERR);
		}
		*STAT_FIELD(&c, &stat_rows[i]) = val;
		seen |= 1ULL << i;
	}
	fclose(fp);
	if (seen != (1ULL << STAT_ROWS) - 1) {
		fprintf(stderr, "relayguardctl: watch: %s: counters missing\n",
		    path);
		return (CTL_EX_DATAERR);
	}
	for (i = 0; i < STAT_ROWS; i++) {
		val = *STAT_FIELD(&c, &stat_rows[i]);
		if (!prom) {
			printf("%s %llu\n", stat_rows[i].key, val);
			continue;
		}
		if (strcmp(last, stat_rows[i].metric) != 0)
			printf("# TYPE %s counter\n", stat_rows[i].metric);
		last = stat_rows[i].metric;
		if (stat_rows[i].reason != NULL)
			printf("%s{reason=\"%s\"} %llu\n", stat_rows[i].metric,
			    stat_rows[i].reason, val);
		else
			printf("%s %llu\n", stat_rows[i].metric, val);
	}
	if (prom)
		printf("# TYPE relayguard_watch_updated_seconds gauge\n"
		    "relayguard_watch_updated_seconds %lld\n", updated);
	else
		printf("updated %lld\n", updated);
	return (fflush(stdout) == 0 ? CTL_EX_OK : CTL_EX_IOERR);
}

/* iso - a time as ISO 8601 UTC into buf */
static const char *
iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == (time_t) -1 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
	return (buf);
}

/* ignored - is the address loopback-excluded or in the ignore list? */
static int
ignored(const struct watch *w, const struct addr *a)
{
	size_t  i;

	for (i = 0; i < w->nignore; i++)
		if (prefix_contains(&w->ignore[i], a))
			return (1);
	return (0);
}

/* line_hash - FNV-1a of a line, to know it again after a restart */
static uint32_t
line_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char) *p++) * 16777619u;
	return (h);
}

/* cache_slot - the slot of a grant */
static struct cache_slot *
cache_slot(struct watch *w, const struct addr *a, const char *user)
{
	uint32_t h = 2166136261u;
	size_t  i;

	for (i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	for (; *user; user++)
		h = (h ^ (unsigned char) *user) * 16777619u;
	return (&w->cache[h % CACHE_SLOTS]);
}

/* flush - write the pending grants, then log them */
static void
flush(struct watch *w)
{
	char    abuf[ADDR_STRLEN], t1[32], t2[32], err[512];
	size_t  i;
	int     rc;

	if (w->npend == 0)
		return;
	rc = store_grant_many(w->s, w->req, w->npend, err, sizeof(err));
	for (i = 0; i < w->npend; i++) {
		addr_format(&w->req[i].addr, abuf, sizeof(abuf));
		if (rc < 0) {
			w->n.errors++;
			cache_slot(w, &w->req[i].addr, w->pend[i].user)->expiry = 0;
			fprintf(stderr, "relayguardctl: watch: %s user=%s: not "
			    "granted: %s\n", abuf, w->pend[i].user, err);
			continue;
		}
		w->n.granted++;
		fprintf(stderr, "relayguardctl: watch: grant %s user=%s "
		    "server=%s login=%s until=%s\n", abuf, w->pend[i].user,
		    w->pend[i].prog, iso(w->pend[i].when, t1, sizeof(t1)),
		    iso(w->req[i].expiry, t2, sizeof(t2)));
	}
	w->npend = 0;
}

static void on_event(struct watch *, enum loginlog_verdict,
	const struct loginlog_event *, const char *, const char *, time_t);

/* on_line - grant the address of one log line, if it is a login */
static void
on_line(const char *line, size_t len, unsigned long long off, void *arg)
{
	struct watch *w = arg;
	struct loginlog_event ev;
	enum loginlog_verdict v;
	const char *why;
	char    where[64] = "";
	time_t  now = time(NULL);

	w->n.lines++;
	w->line_end = off;
	if (w->state != NULL) {
		w->line_len = len;
		w->line_hash = line_hash(line, len);
	}
	v = loginlog_parse(w->fmt, line, len, now, &ev, &why);
	if (v == LOGINLOG_REFUSED)
		snprintf(where, sizeof(where), "line ending at offset %llu",
		    off);
	on_event(w, v, &ev, why, where, now);
}

/* on_event - count, log and grant what the parser made of a line */
static void
on_event(struct watch *w, enum loginlog_verdict v,
	const struct loginlog_event *evp, const char *why, const char *where,
	time_t now)
{
	struct loginlog_event ev = *evp;
	struct cache_slot *slot;
	char    abuf[ADDR_STRLEN], t1[32];
	time_t  start;

	switch (v) {
	case LOGINLOG_OTHER:
		if (ev.when > w->last_when)
			w->last_when = ev.when;
		w->n.other++;
		return;
	case LOGINLOG_REFUSED:
		w->n.refused++;
		fprintf(stderr, "relayguardctl: watch: refused: %s %s (%s, "
		    "%s): %s\n", loginlog_name(w->fmt), where, ev.prog,
		    iso(ev.when, t1, sizeof(t1)), why);
		return;
	case LOGINLOG_LOGIN:
		break;
	}
	if (ev.when > w->last_when)
		w->last_when = ev.when;
	addr_format(&ev.addr, abuf, sizeof(abuf));
	if (ev.when == (time_t) -1) {
		w->n.untimed++;
		fprintf(stderr, "relayguardctl: watch: refused: %s user=%s "
		    "server=%s: the line has no timestamp\n", abuf, ev.user,
		    ev.prog);
		return;
	}
	/* A line from the future counts from now, not from its time. */
	start = ev.when < now ? ev.when : now;
	if (start + w->ttl <= now) {
		w->n.old++;			/* counted, not logged */
		return;
	}
	if (ignored(w, &ev.addr)) {
		w->n.ignored++;
		fprintf(stderr, "relayguardctl: watch: ignored: %s user=%s "
		    "server=%s login=%s: in the ignore list\n", abuf, ev.user,
		    ev.prog, iso(ev.when, t1, sizeof(t1)));
		return;
	}
	slot = cache_slot(w, &ev.addr, ev.user);
	if (slot->expiry != 0 && addr_cmp(&slot->a, &ev.addr) == 0 &&
	    strcmp(slot->user, ev.user) == 0 &&
	    start + w->ttl <= slot->expiry + CACHE_SLACK) {
		w->n.cached++;
		return;
	}
	slot->a = ev.addr;
	memcpy(slot->user, ev.user, sizeof(slot->user));
	slot->expiry = start + w->ttl;
	memcpy(w->pend[w->npend].user, ev.user, sizeof(ev.user));
	memcpy(w->pend[w->npend].prog, ev.prog, sizeof(ev.prog));
	w->pend[w->npend].when = ev.when;
	w->req[w->npend].addr = ev.addr;
	w->req[w->npend].user = w->pend[w->npend].user;
	w->req[w->npend].expiry = start + w->ttl;
	if (++w->npend == BATCH)
		flush(w);
}

/*
 * save_state - write "dev ino offset last-time" to the --state file,
 * through a temporary file and rename(2), so that a crash leaves the
 * old state or the new one. The offset is that past the last whole
 * line read, so a restart never skips a line; a line read twice
 * grants the same expiry again (login time plus TTL), so nothing is
 * extended.
 */
static void
save_state(struct watch *w)
{
	char    tmp[4096];
	FILE   *fp;

	if (w->state == NULL || w->is_stdin || (w->saved_end == w->line_end &&
	    w->saved_ino == w->st.st_ino && w->saved_end != 0))
		return;
	w->saved_end = w->line_end;
	w->saved_ino = w->st.st_ino;
	snprintf(tmp, sizeof(tmp), "%s.tmp", w->state);
	if ((fp = fopen(tmp, "w")) == NULL ||
	    fprintf(fp, "%llu %llu %llu %lld %zu %lu\n",
	    (unsigned long long) w->st.st_dev,
	    (unsigned long long) w->st.st_ino, w->line_end,
	    (long long) w->last_when, w->line_len,
	    (unsigned long) w->line_hash) < 0 || fclose(fp) != 0 ||
	    rename(tmp, w->state) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", w->state,
		    strerror(errno));
		if (fp != NULL)
			(void) unlink(tmp);
	}
}

/* A saved position. */
struct saved {
	unsigned long long dev, ino, off;
	long long when;
	size_t	len;			/* of the line before off */
	unsigned long hash;
};

/* load_state - read the --state file; 0, or -1 when there is none */
static int
load_state(const char *path, struct saved *sv)
{
	FILE   *fp;
	int     n;

	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	n = fscanf(fp, "%llu %llu %llu %lld %zu %lu", &sv->dev, &sv->ino,
	    &sv->off, &sv->when, &sv->len, &sv->hash);
	fclose(fp);
	return (n == 6 ? 0 : -1);
}

/*
 * same_line - does fd still hold, just before off, the line the state
 * file remembers? A file truncated and written again to the same size
 * or more (copytruncate while watch was stopped) does not.
 */
static int
same_line(int fd, const struct saved *sv)
{
	char   *buf;
	ssize_t r;
	int     same;

	if (sv->off == 0)
		return (1);
	if (sv->len + 1 > sv->off || sv->len > LOGINLOG_LINE_MAX)
		return (0);
	buf = xmalloc(sv->len + 1);
	r = pread(fd, buf, sv->len + 1, (off_t) (sv->off - sv->len - 1));
	same = r == (ssize_t) sv->len + 1 && buf[sv->len] == '\n' &&
	    line_hash(buf, sv->len) == (uint32_t) sv->hash;
	free(buf);
	return (same);
}

/* drain - read what fd holds now; 1 at end of file, 0 else */
static int
drain(struct watch *w)
{
	char    chunk[65536];
	ssize_t r;

	for (;;) {
		r = read(w->fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			flush(w);
			save_state(w);
			save_stats(w);
			return (1);
		}
		w->off += r;
		loginlog_lines_feed(&w->lines, chunk, (size_t) r, on_line, w);
		if (want_counts) {
			want_counts = 0;
			print_counts(w);
		}
	}
}

/* reopen - open the log by name; 0, or -1 when it is not there */
static int
reopen(struct watch *w, int at_end)
{
	int     fd = open(w->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return (-1);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	(void) fstat(fd, &w->st);
	w->off = at_end ? lseek(fd, 0, SEEK_END) : 0;
	if (w->off < 0)
		w->off = 0;
	loginlog_lines_reset(&w->lines, (unsigned long long) w->off);
	w->line_end = (unsigned long long) w->off;
	w->line_len = 0;
	w->line_hash = line_hash("", 0);
	return (0);
}

/*
 * resume - open the log where the --state file says the last run
 * stopped: the same file (device and inode) at the saved offset; a
 * file rotated by rename meanwhile is found as LOGFILE.1 and its rest
 * read first; a file truncated meanwhile (copytruncate) is read from
 * its start. Returns 1 resumed, 0 no usable state (the caller opens
 * as without --state), -1 the log is not there.
 */
static int
resume(struct watch *w)
{
	struct saved sv;
	char    old[4096];
	struct stat st;
	int     fd;

	if (load_state(w->state, &sv) < 0)
		return (0);
	w->last_when = (time_t) sv.when;
	snprintf(old, sizeof(old), "%s.1", w->path);
	if (stat(w->path, &st) == 0 && st.st_dev == sv.dev &&
	    st.st_ino == sv.ino) {
		if (reopen(w, 0) < 0)
			return (-1);
		if ((unsigned long long) w->st.st_size >= sv.off &&
		    same_line(w->fd, &sv)) {
			w->off = lseek(w->fd, (off_t) sv.off, SEEK_SET);
			loginlog_lines_reset(&w->lines, sv.off);
			w->line_end = sv.off;
			w->line_len = sv.len;
			w->line_hash = (uint32_t) sv.hash;
		}
		return (1);
	}
	/* rotated while we were away: the rest of the old file first */
	if (stat(old, &st) == 0 && st.st_dev == sv.dev &&
	    st.st_ino == sv.ino && (unsigned long long) st.st_size >= sv.off &&
	    (fd = open(old, O_RDONLY | O_NOCTTY)) >= 0) {
		if (same_line(fd, &sv)) {
			w->fd = fd;
			w->st = st;
			w->off = lseek(fd, (off_t) sv.off, SEEK_SET);
			loginlog_lines_reset(&w->lines, sv.off);
			drain(w);
			w->fd = -1;
		}
		close(fd);
	}
	return (reopen(w, 0) < 0 ? -1 : 1);
}

/* follow - read forever, noticing rotation and truncation */
static void
follow(struct watch *w)
{
	struct stat now;

	for (;;) {
		drain(w);
		if (want_counts) {
			want_counts = 0;
			print_counts(w);
		}
		if (fstat(w->fd, &w->st) == 0 && w->st.st_size < w->off) {
			/* truncated (copytruncate): start over */
			(void) lseek(w->fd, 0, SEEK_SET);
			w->off = 0;
			loginlog_lines_reset(&w->lines, 0);
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

/*
 * The systemd journal. Entries are read with sd-journal, filtered by
 * _SYSTEMD_UNIT (set by journald itself) and SYSLOG_IDENTIFIER (set by
 * the sender: any local user can log under any identifier), and each
 * one goes through loginlog_parse_msg() with SYSLOG_IDENTIFIER as the
 * program tag. The --state file holds "cursor CURSOR" then.
 */
#define JOURNAL_MAX	16		/* --unit, --identifier, files */

struct journal_opts {
	const char *units[JOURNAL_MAX];
	size_t	nunits;
	const char *idents[JOURNAL_MAX];
	size_t	nidents;
	const char *files[JOURNAL_MAX + 1];	/* NULL-terminated */
	size_t	nfiles;
};

/* field - a field's value of the current entry; 0, or -1 absent */
static int
field(sd_journal *j, const char *name, const char **val, size_t *len)
{
	const void *d;
	size_t  n, k = strlen(name);

	if (sd_journal_get_data(j, name, &d, &n) < 0 || n <= k ||
	    memcmp(d, name, k) != 0 || ((const char *) d)[k] != '=')
		return (-1);
	*val = (const char *) d + k + 1;
	*len = n - k - 1;
	return (0);
}

/*
 * entry_time - the entry's time: the earlier of the time journald
 * received it and the source's own time (_SOURCE_REALTIME_TIMESTAMP,
 * also a trusted field), so that a grant never lasts longer than the
 * login's time plus the TTL. (time_t) -1 when there is none.
 */
static time_t
entry_time(sd_journal *j)
{
	uint64_t usec = 0, src = 0;
	const char *v;
	size_t  n, i;
	int     have = sd_journal_get_realtime_usec(j, &usec) >= 0;

	if (field(j, "_SOURCE_REALTIME_TIMESTAMP", &v, &n) == 0 && n > 0 &&
	    n <= 19) {
		for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			src = src * 10 + (uint64_t) (v[i] - '0');
		if (i == n && (!have || src < usec)) {
			usec = src;
			have = 1;
		}
	}
	return (have ? (time_t) (usec / 1000000) : (time_t) -1);
}

/* on_entry - one journal entry */
static void
on_entry(struct watch *w, sd_journal *j)
{
	struct loginlog_event ev;
	enum loginlog_verdict v;
	const char *msg, *ident, *why;
	char    where[96] = "";
	size_t  mlen, ilen;
	char   *cur = NULL;
	time_t  now = time(NULL);

	w->n.lines++;
	if (field(j, "MESSAGE", &msg, &mlen) < 0) {
		w->n.other++;
		return;
	}
	if (field(j, "SYSLOG_IDENTIFIER", &ident, &ilen) < 0) {
		ident = "";
		ilen = 0;
	}
	v = loginlog_parse_msg(w->fmt, ident, ilen, msg, mlen, entry_time(j),
	    &ev, &why);
	if (v == LOGINLOG_REFUSED) {
		(void) sd_journal_get_cursor(j, &cur);
		snprintf(where, sizeof(where), "journal entry %.64s",
		    cur != NULL ? cur : "-");
		free(cur);
	}
	on_event(w, v, &ev, why, where, now);
}

/* save_cursor - write "cursor CURSOR" to the --state file, atomically */
static void
save_cursor(struct watch *w, sd_journal *j)
{
	char    tmp[4096], *cur = NULL;
	FILE   *fp = NULL;

	if (w->state == NULL || sd_journal_get_cursor(j, &cur) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", w->state);
	if ((fp = fopen(tmp, "w")) == NULL ||
	    fprintf(fp, "cursor %s\n", cur) < 0 || fclose(fp) != 0 ||
	    rename(tmp, w->state) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", w->state,
		    strerror(errno));
		(void) unlink(tmp);
	}
	free(cur);
}

/*
 * load_cursor - the cursor of the --state file into buf; 0, -1 none
 * (no file), -2 a file that holds no cursor (a log file's state).
 */
static int
load_cursor(const char *path, char *buf, size_t len)
{
	FILE   *fp;
	size_t  n;

	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	if (fgets(buf, (int) len, fp) == NULL ||
	    strncmp(buf, "cursor ", 7) != 0 ||
	    (n = strlen(buf)) < 9 || buf[n - 1] != '\n') {
		fclose(fp);
		return (-2);
	}
	fclose(fp);
	buf[n - 1] = 0;
	memmove(buf, buf + 7, n - 7);
	return (0);
}

/*
 * watch_journal - read the journal: from the saved cursor (the entry
 * after it), else from the start (-s) or from now on; to its end with
 * --once, else forever. Returns an exit code.
 */
static int
watch_journal(struct watch *w, struct journal_opts *jo,
	int from_start, int once)
{
	sd_journal *j = NULL;
	char    m[512], cursor[4096];
	size_t  i;
	int     r, seen = 0;

	r = jo->nfiles > 0 ? sd_journal_open_files(&j, jo->files, 0) :
	    sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0) {
		fprintf(stderr, "relayguardctl: watch: cannot open the "
		    "journal%s%s: %s\n", jo->nfiles ? " file " : "",
		    jo->nfiles ? jo->files[0] : "", strerror(-r));
		return (CTL_EX_NOINPUT);
	}
	/* The same field ORs, different fields AND. */
	for (i = 0; i < jo->nunits; i++) {
		snprintf(m, sizeof(m), "_SYSTEMD_UNIT=%s", jo->units[i]);
		if ((r = sd_journal_add_match(j, m, 0)) < 0)
			goto bad_match;
	}
	for (i = 0; i < jo->nidents; i++) {
		snprintf(m, sizeof(m), "SYSLOG_IDENTIFIER=%s", jo->idents[i]);
		if ((r = sd_journal_add_match(j, m, 0)) < 0)
			goto bad_match;
	}
	r = w->state != NULL ? load_cursor(w->state, cursor, sizeof(cursor)) :
	    -1;
	if (r == -2) {
		fprintf(stderr, "relayguardctl: watch: %s: no journal cursor "
		    "in this state file\n", w->state);
		sd_journal_close(j);
		return (CTL_EX_DATAERR);
	}
	if (r == 0) {
		if ((r = sd_journal_seek_cursor(j, cursor)) < 0) {
			fprintf(stderr, "relayguardctl: watch: %s: bad cursor: "
			    "%s\n", w->state, strerror(-r));
			sd_journal_close(j);
			return (CTL_EX_DATAERR);
		}
		/* the entry at the cursor was read last time */
		if (sd_journal_next(j) > 0 && sd_journal_test_cursor(j,
		    cursor) <= 0)
			(void) sd_journal_previous(j);
	} else if (from_start) {
		(void) sd_journal_seek_head(j);
	} else {
		(void) sd_journal_seek_tail(j);
		(void) sd_journal_previous(j);
	}
	for (;;) {
		while ((r = sd_journal_next(j)) > 0) {
			on_entry(w, j);
			seen = 1;
			if (w->npend == 0 && want_counts) {
				want_counts = 0;
				print_counts(w);
			}
		}
		flush(w);
		if (seen) {
			save_cursor(w, j);
			save_stats(w);
		}
		seen = 0;
		if (r < 0) {
			fprintf(stderr, "relayguardctl: watch: reading the "
			    "journal: %s\n", strerror(-r));
			sd_journal_close(j);
			return (CTL_EX_IOERR);
		}
		if (want_counts) {
			want_counts = 0;
			print_counts(w);
		}
		if (once)
			break;
		(void) sd_journal_wait(j, 1000000);
	}
	sd_journal_close(j);
	return (CTL_EX_OK);

bad_match:
	fprintf(stderr, "relayguardctl: watch: journal match %s: %s\n", m,
	    strerror(-r));
	sd_journal_close(j);
	return (CTL_EX_USAGE);
}

/* add_ignore - one --ignore argument: a prefix, or @FILE of them */
static int
add_ignore(struct watch *w, const char *arg)
{
	struct prefix p;
	char    err[256], line[512], *s, *e;
	FILE   *fp;
	int     lineno = 0, bad = 0;

	if (arg[0] != '@') {
		if (prefix_parse(arg, &p, err, sizeof(err)) < 0) {
			fprintf(stderr, "relayguardctl: watch: --ignore %s: %s\n",
			    arg, err);
			return (CTL_EX_USAGE);
		}
		w->ignore = xreallocarray(w->ignore, w->nignore + 1,
		    sizeof(*w->ignore));
		w->ignore[w->nignore++] = p;
		return (0);
	}
	if ((fp = fopen(arg + 1, "r")) == NULL) {
		fprintf(stderr, "relayguardctl: watch: %s: %s\n", arg + 1,
		    strerror(errno));
		return (CTL_EX_NOINPUT);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((s = strchr(line, '#')) != NULL)
			*s = 0;
		s = line + strspn(line, " \t\r\n");
		for (e = s + strlen(s); e > s && strchr(" \t\r\n", e[-1]); e--)
			;
		*e = 0;
		if (*s == 0)
			continue;
		if (prefix_parse(s, &p, err, sizeof(err)) < 0) {
			fprintf(stderr, "relayguardctl: watch: %s:%d: %s\n",
			    arg + 1, lineno, err);
			bad = 1;
			continue;
		}
		w->ignore = xreallocarray(w->ignore, w->nignore + 1,
		    sizeof(*w->ignore));
		w->ignore[w->nignore++] = p;
	}
	fclose(fp);
	return (bad ? CTL_EX_DATAERR : 0);
}

/* cmd_watch - relayguardctl watch */
int
cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'F'},
		{"ignore", required_argument, NULL, 'I'},
		{"grant-loopback", no_argument, NULL, 'L'},
		{"once", no_argument, NULL, 'O'},
		{"state", required_argument, NULL, 'S'},
		{"journal", no_argument, NULL, 'J'},
		{"journal-file", required_argument, NULL, 'j'},
		{"unit", required_argument, NULL, 'U'},
		{"identifier", required_argument, NULL, 'i'},
		{"stats", required_argument, NULL, 'X'},
		{"prometheus", no_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	const char *format = "dovecot";
	struct watch w;
	struct journal_opts jo;
	struct sigaction sa;
	char    err[512];
	int     c, rc = CTL_EX_OK, from_start = 0, loopback = 0, once = 0;
	int     waiting = 0, journal = 0, prom = 0;
	const char *stats = NULL;

	memset(&w, 0, sizeof(w));
	memset(&jo, 0, sizeof(jo));
	w.cache = xcalloc(CACHE_SLOTS, sizeof(*w.cache));
	w.req = xcalloc(BATCH, sizeof(*w.req));
	w.pend = xcalloc(BATCH, sizeof(*w.pend));
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
				rc = CTL_EX_USAGE;
				goto out;
			}
			break;
		case 'F':
			format = optarg;
			break;
		case 'I':
			if ((rc = add_ignore(&w, optarg)) != 0)
				goto out;
			break;
		case 'L':
			loopback = 1;
			break;
		case 'O':
			once = 1;
			break;
		case 'S':
			w.state = optarg;
			break;
		case 'J':
			journal = 1;
			break;
		case 'X':
			stats = optarg;
			break;
		case 'P':
			prom = 1;
			break;
		case 'j':
		case 'U':
		case 'i':
			if (jo.nfiles == JOURNAL_MAX || jo.nunits ==
			    JOURNAL_MAX || jo.nidents == JOURNAL_MAX) {
				fprintf(stderr, "relayguardctl: watch: at most "
				    "%d of each journal option\n", JOURNAL_MAX);
				goto usage;
			}
			if (strlen(optarg) > 256 || strchr(optarg, '\n')) {
				fprintf(stderr, "relayguardctl: watch: bad "
				    "journal argument: %s\n", optarg);
				goto usage;
			}
			if (c == 'j')
				jo.files[jo.nfiles++] = optarg;
			else if (c == 'U')
				jo.units[jo.nunits++] = optarg;
			else
				jo.idents[jo.nidents++] = optarg;
			journal = 1;
			break;
		default:
			goto usage;
		}
	}
	if (stats != NULL) {
		if (argc != optind || journal)
			goto usage;
		rc = show_stats(stats, prom);
		goto out;
	}
	if (argc - optind != (journal ? 0 : 1) || prom)
		goto usage;
	if (journal && jo.nunits + jo.nidents == 0) {
		fprintf(stderr, "relayguardctl: watch: --journal needs --unit "
		    "or --identifier\n");
		goto usage;
	}
	if (!loopback) {
		(void) add_ignore(&w, "127.0.0.0/8");
		(void) add_ignore(&w, "::1");
	}
	if (loginlog_new(format, &w.fmt, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: watch: %s\n", err);
		rc = CTL_EX_USAGE;
		goto out;
	}
	w.path = journal ? "journal" : argv[optind];
	w.is_stdin = strcmp(w.path, "-") == 0;
	if ((rc = ctl_grants_open("watch", &to, 1, &w.s)) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGUSR1, &sa, NULL);
	if (journal) {
		rc = watch_journal(&w, &jo, from_start, once);
		save_stats(&w);
		print_counts(&w);
		goto out;
	}
	if (w.is_stdin) {
		w.fd = STDIN_FILENO;
		drain(&w);
		print_counts(&w);
		goto out;
	}
	/* A log that does not exist yet is read from its start once it does. */
	c = w.state != NULL ? resume(&w) : 0;
	if (c == 0)
		c = reopen(&w, !from_start) == 0 ? 1 : -1;
	while (c < 0) {
		if (once) {
			fprintf(stderr, "relayguardctl: watch: %s: %s\n", w.path,
			    strerror(errno));
			rc = CTL_EX_NOINPUT;
			goto out;
		}
		if (!waiting)
			fprintf(stderr, "relayguardctl: watch: %s: %s; waiting "
			    "for it\n", w.path, strerror(errno));
		waiting = 1;
		usleep(200000);
		c = reopen(&w, 0) == 0 ? 1 : -1;
	}
	rc = CTL_EX_OK;
	/* A regular file opened non-blocking reads as usual; a FIFO too. */
	(void) fcntl(w.fd, F_SETFL, fcntl(w.fd, F_GETFL) & ~O_NONBLOCK);
	if (once) {
		drain(&w);
		print_counts(&w);
		goto out;
	}
	follow(&w);
	rc = CTL_EX_SOFTWARE;

out:
	if (w.fd >= 0 && !w.is_stdin)
		close(w.fd);
	store_close(w.s);
	loginlog_free(w.fmt);
	loginlog_lines_free(&w.lines);
	free(w.ignore);
	free(w.cache);
	free(w.req);
	free(w.pend);
	return (rc);

usage:
	rc = ctl_usage("watch", NULL);
	goto out;
}
