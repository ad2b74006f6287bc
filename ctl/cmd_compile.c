/*
 * NAME
 *	cmd_compile - relayguardctl compile: build an LMDB table
 * SYNOPSIS
 *	relayguardctl compile [-q] [-u user] SRC [DST]
 * DESCRIPTION
 *	Compiles the Postfix access(5) file SRC into the table DST
 *	(default SRC.lmdb), replacing it atomically (store_compile.c).
 *	Every error is printed as "SRC:LINE: error: message" and nothing
 *	is written when there is one; duplicate keys are warnings. On a
 *	terminal, large sources show their progress. Run as root, the
 *	files are given to the group of the relayguard user (-u names
 *	another one), so that the daemon can use them.
 * DIAGNOSTICS
 *	Exit 0 written; 65 errors in SRC; 66 SRC unreadable; 74 the
 *	table could not be written; 64 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_compile_usage[] = "compile [-q] [-u user] SRC [DST]";

struct compile_ui {
	int	tty;
	int	shown;			/* a progress line is on screen */
	const char *src;
};

/* show_diag - print one diagnostic, after any progress line */
static void
show_diag(void *arg, const char *msg)
{
	struct compile_ui *ui = arg;

	if (ui->shown) {
		fputs("\r\033[K", stderr);
		ui->shown = 0;
	}
	fprintf(stderr, "%s\n", msg);
}

/* show_progress - one progress line on the terminal */
static void
show_progress(void *arg, const char *phase, unsigned pct)
{
	struct compile_ui *ui = arg;

	if (!ui->tty)
		return;
	fprintf(stderr, "\r\033[Krelayguardctl: compile: %s: %s %u%%",
	    ui->src, phase, pct);
	ui->shown = 1;
}

/* read_all - the whole file, with one spare byte */
static char *
read_all(const char *path, size_t *len)
{
	struct stat st;
	size_t  cap, n = 0;
	ssize_t r;
	char   *buf;
	int     fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return (NULL);
	cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t) st.st_size + 1 :
	    65536;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int     saved = errno;

			free(buf);
			close(fd);
			errno = saved;
			return (NULL);
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	close(fd);
	*len = n;
	return (buf);
}

/* cmd_compile - relayguardctl compile */
int
cmd_compile(int argc, char **argv)
{
	struct store_compile_hooks hooks;
	struct store_compile_stats st;
	struct compile_ui ui;
	const char *src, *dst;
	char   *defdst = NULL;
	char   *text;
	char    err[512];
	size_t  len;
	int     quiet = 0;
	int     c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "qu:")) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'u':
			ctl_owner_given(optarg);
			break;
		default:
			return (ctl_usage("compile", NULL));
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		return (ctl_usage("compile", NULL));
	}
	src = argv[optind];
	if (argc - optind == 2)
		dst = argv[optind + 1];
	else {
		defdst = xmalloc(strlen(src) + 6);
		sprintf(defdst, "%s.lmdb", src);
		dst = defdst;
	}
	if ((text = read_all(src, &len)) == NULL) {
		fprintf(stderr, "relayguardctl: compile: %s: %s\n", src,
		    strerror(errno));
		free(defdst);
		return (CTL_EX_NOINPUT);
	}
	memset(&ui, 0, sizeof(ui));
	ui.tty = !quiet && isatty(2) && len > (1 << 20);
	ui.src = src;
	hooks.diag = show_diag;
	hooks.progress = show_progress;
	hooks.arg = &ui;
	rc = store_compile(src, text, len, dst, &hooks, &st, err, sizeof(err));
	if (ui.shown)
		fputs("\r\033[K", stderr);
	free(text);
	if (rc == 1) {
		fprintf(stderr, "relayguardctl: compile: %s: %zu error%s, "
		    "%s not written\n", src, st.errors,
		    st.errors == 1 ? "" : "s", dst);
		rc = CTL_EX_DATAERR;
	} else if (rc < 0) {
		fprintf(stderr, "relayguardctl: compile: %s\n", err);
		rc = CTL_EX_IOERR;
	} else {
		if (ui.tty)
			fprintf(stderr, "relayguardctl: compile: %s: %zu keys "
			    "(%zu CIDR) written to %s\n", src, st.entries,
			    st.cidr, dst);
		rc = CTL_EX_OK;
	}
	free(defdst);
	return (rc);
}
