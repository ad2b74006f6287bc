/*
 * NAME
 *	noop-milter - a libmilter filter that lets everything through
 * SYNOPSIS
 *	noop-milter -p socket [-f] [-s] [-r stages] [-P pidfile]
 * DESCRIPTION
 *	A milter that answers SMFIS_CONTINUE to every callback (connect,
 *	HELO, MAIL, RCPT, header, end of headers, body, end of message,
 *	abort, close). It is the baseline for the benchmarks (what an MTA
 *	costs with a milter that does nothing) and the stand-in that
 *	proves the integration harness before the real daemon exists.
 *
 *	-p socket	libmilter socket: unix:/path, inet:port@host,
 *			inet6:port@host
 *	-f		stay in the foreground (the default is to detach)
 *	-s		ask the MTA to skip the stages relayguard skips
 *			(headers, end of headers, body, unknown commands,
 *			DATA); by default no stage is skipped, so the MTA
 *			sends and waits for every callback
 *	-r stages	waive the replies of these stages, where the MTA
 *			offers it: any of c (connect, SMFIP_NR_CONN), h
 *			(HELO, SMFIP_NR_HELO) and m (MAIL, SMFIP_NR_MAIL).
 *			The MTA then sends those commands without waiting
 *			for an answer. "-s -r chm" is the fair ceiling of
 *			a relay filter: only RCPT is answered; "-s -r hm"
 *			waives what relayguard waives
 *	-P pidfile	write the process id there
 *
 *	Its threads get relayguard's stack size (1 MiB; see
 *	milter/main.c): libmilter starts and ends workers as the load
 *	changes, and with glibc's default of 8 MiB each of them costs an
 *	mmap() and an munmap(). The ceiling must not lose to relayguard
 *	on that alone.
 *
 *	A Unix socket is made with mode 0666: the MTA runs as another
 *	user, and the socket's directory is what guards it.
 * DIAGNOSTICS
 *	Exit status 0 after a clean stop (SIGTERM, SIGINT, SIGHUP, which
 *	libmilter's signal thread takes), 64 on a usage error, 69 when
 *	the socket cannot be opened.
 */
/* For pthread_setattr_default_np(). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "bench/nooputil.h"

static int skip_stages;			/* -s: request stage skips */
static unsigned long waive;		/* -r: SMFIP_NR_* wanted */

/*
 * The replies waived on every connection. The MTA offers the same
 * flags on each of its connections, so one value serves all; a
 * callback whose reply was waived must answer SMFIS_NOREPLY.
 */
static volatile unsigned long waived;

/* noop_negotiate - ask for no actions, the -s skips and the -r waivers */
static sfsistat
noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = 0;

	(void) ctx;
	(void) f0;
	(void) f2;
	(void) f3;
	if (skip_stages)
		want = SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY |
		    SMFIP_NOUNKNOWN | SMFIP_NODATA;
	want |= waive;
	*pf0 = 0;
	*pf1 = want & f1;
	waived = *pf1 & (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL);
	*pf2 = 0;
	*pf3 = 0;
	return (SMFIS_CONTINUE);
}

/* pass - continue, or no reply where the stage's reply is waived */
static sfsistat
pass(unsigned long nr_flag)
{
	return ((waived & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE);
}

/* noop_connect - continue (or no reply: -r c) */
static sfsistat
noop_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void) ctx;
	(void) host;
	(void) addr;
	return (pass(SMFIP_NR_CONN));
}

/* noop_helo - continue (or no reply: -r h) */
static sfsistat
noop_helo(SMFICTX *ctx, char *helo)
{
	(void) ctx;
	(void) helo;
	return (pass(SMFIP_NR_HELO));
}

/* noop_envfrom - continue (or no reply: -r m) */
static sfsistat
noop_envfrom(SMFICTX *ctx, char **argv)
{
	(void) ctx;
	(void) argv;
	return (pass(SMFIP_NR_MAIL));
}

/* noop_envrcpt - continue: the one reply always given */
static sfsistat
noop_envrcpt(SMFICTX *ctx, char **argv)
{
	(void) ctx;
	(void) argv;
	return (SMFIS_CONTINUE);
}

/* noop_header - continue */
static sfsistat
noop_header(SMFICTX *ctx, char *name, char *value)
{
	(void) ctx;
	(void) name;
	(void) value;
	return (SMFIS_CONTINUE);
}

/* noop_body - continue */
static sfsistat
noop_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void) ctx;
	(void) chunk;
	(void) len;
	return (SMFIS_CONTINUE);
}

/* noop_stage - continue (end of headers, end of message, abort, close) */
static sfsistat
noop_stage(SMFICTX *ctx)
{
	(void) ctx;
	return (SMFIS_CONTINUE);
}

static struct smfiDesc noop_desc = {
	.xxfi_name = "noop-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = noop_connect,
	.xxfi_helo = noop_helo,
	.xxfi_envfrom = noop_envfrom,
	.xxfi_envrcpt = noop_envrcpt,
	.xxfi_header = noop_header,
	.xxfi_eoh = noop_stage,
	.xxfi_body = noop_body,
	.xxfi_eom = noop_stage,
	.xxfi_abort = noop_stage,
	.xxfi_close = noop_stage,
	.xxfi_negotiate = noop_negotiate,
};

/* usage - print the synopsis and exit 64 */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: noop-milter -p socket [-f] [-s] [-r chm] [-P pidfile]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *pidfile = NULL;
	const char *r;
	int     foreground = 0, ch, rc;
	mode_t  old;
	pthread_attr_t a;

	/* Before smfi_main() starts any thread (see the header). */
	if (pthread_attr_init(&a) != 0 ||
	    pthread_attr_setstacksize(&a, 1024 * 1024) != 0 ||
	    pthread_setattr_default_np(&a) != 0) {
		fprintf(stderr, "noop-milter: cannot set the stack size\n");
		return (71);
	}
	(void) pthread_attr_destroy(&a);
	while ((ch = getopt(argc, argv, "fp:r:sP:")) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'p':
			sock = optarg;
			break;
		case 's':
			skip_stages = 1;
			break;
		case 'r':
			for (r = optarg; *r; r++) {
				if (*r == 'c')
					waive |= SMFIP_NR_CONN;
				else if (*r == 'h')
					waive |= SMFIP_NR_HELO;
				else if (*r == 'm')
					waive |= SMFIP_NR_MAIL;
				else
					usage();
			}
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (sock == NULL || optind != argc)
		usage();

	if (smfi_setconn((char *) (uintptr_t) sock) == MI_FAILURE ||
	    smfi_register(noop_desc) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: bad socket %s\n", sock);
		return (64);
	}
	old = umask(0);
	rc = smfi_opensocket(1);
	(void) umask(old);
	if (rc == MI_FAILURE) {
		fprintf(stderr, "noop-milter: cannot open %s\n", sock);
		return (69);
	}
	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "noop-milter: daemon: %s\n", strerror(errno));
		return (71);
	}
	if (pidfile)
		noop_pidfile("noop-milter", pidfile);
	return (smfi_main() == MI_SUCCESS ? 0 : 70);
}
