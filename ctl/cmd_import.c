/*
 * NAME
 *	cmd_import - relayguardctl import: translate an MTA's relay policy
 * SYNOPSIS
 *	relayguardctl import postfix [-C CONFIG_DIR] [-o OUT] [-d TABLE_DIR]
 *		[--partial]
 *	relayguardctl import sendmail [ACCESS_FILE] [--cw LOCAL_HOST_NAMES]
 *		[--relay-domains FILE] [--blocklist-recipients] [-o OUT]
 *		[-d TABLE_DIR] [--partial]
 * DESCRIPTION
 *	Reads the relay policy of a Postfix configuration directory
 *	(default /etc/postfix; import_postfix.c) or of Sendmail's access
 *	source, local-host-names and relay-domains (defaults
 *	/etc/mail/access, /etc/mail/local-host-names,
 *	/etc/mail/relay-domains; import_sendmail.c) and writes an
 *	equivalent relayguard configuration to OUT (default standard
 *	output), commented, with the relayguardctl compile commands for
 *	its tables in its header. Tables are to be compiled into
 *	TABLE_DIR (default /var/lib/relayguard). With -o, the compile
 *	commands are also printed on standard output, one per line,
 *	ready for sh.
 *
 *	Whatever has no relayguard equivalent is listed, naming the
 *	exact parameter or file and line; without --partial nothing is
 *	written then. With --partial the list stands at the top of the
 *	output. OUT is replaced atomically, and only when there was no
 *	error. The output is the same for the same input.
 * DIAGNOSTICS
 *	Exit 0 written; 65 untranslatable input without --partial, or an
 *	error (a table source that cannot be read, a broken entry); 64
 *	usage; 73 OUT cannot be written. Messages go to standard error as
 *	"relayguardctl: import: ...".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "ctl/ctl.h"
#include "ctl/import.h"
#include "ctl/import_postfix.h"
#include "ctl/import_sendmail.h"

const char cmd_import_usage[] =
	"import postfix [-C CONFIG_DIR] [-o OUT] [-d TABLE_DIR] [--partial]\n"
	"       relayguardctl import sendmail [ACCESS_FILE] [--cw FILE] "
	"[--relay-domains FILE] [--blocklist-recipients] [-o OUT] [-d TABLE_DIR] "
	"[--partial]";

#define CTL_EX_CANTCREAT	73

enum {
	OPT_PARTIAL = 256, OPT_CW, OPT_RELAY_DOMAINS, OPT_BLOCKLIST,
};

static const struct option longopts[] = {
	{"partial", no_argument, NULL, OPT_PARTIAL},
	{"cw", required_argument, NULL, OPT_CW},
	{"relay-domains", required_argument, NULL, OPT_RELAY_DOMAINS},
	{"blocklist-recipients", no_argument, NULL, OPT_BLOCKLIST},
	{NULL, 0, NULL, 0},
};

/* print_lines - each line of text to stderr with a prefix */
static void
print_lines(const char *prefix, const char *text, int strip)
{
	const char *p, *nl;

	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (strip && strncmp(p, "#   ", 4) == 0)
			p += 4;
		fprintf(stderr, "relayguardctl: import: %s%.*s\n", prefix,
		    (int) (nl - p), p);
	}
}

/* write_out - the output to path, atomically; 0 or -1 */
static int
write_out(const char *path, const struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	FILE   *fp;
	int     fd, saved;

	strbuf_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.s)) < 0)
		goto fail;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto fail_unlink;
	}
	if (fwrite(out->s, 1, out->len, fp) != out->len || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		fclose(fp);
		goto fail_unlink;
	}
	if (fchmod(fileno(fp), 0644) != 0 || fclose(fp) != 0)
		goto fail_unlink;
	if (rename(tmp.s, path) != 0)
		goto fail_unlink;
	strbuf_free(&tmp);
	return (0);
fail_unlink:
	saved = errno;
	unlink(tmp.s);
	errno = saved;
fail:
	fprintf(stderr, "relayguardctl: import: %s: %s\n", path,
	    strerror(errno));
	strbuf_free(&tmp);
	return (-1);
}

/* access_ok - a default file that exists */
static int
access_ok(const char *path)
{
	return (access(path, F_OK) == 0);
}

/* cmd_import - import postfix|sendmail */
int
cmd_import(int argc, char **argv)
{
	struct strbuf out = STRBUF_INIT, src = STRBUF_INIT;
	struct imp imp;
	const char *confdir = "/etc/postfix", *outpath = NULL;
	const char *tabledir = "/var/lib/relayguard", *cw = NULL, *rd = NULL;
	const char *access = NULL, *mta;
	int     c, partial = 0, postfix, rc, status, blocklist = 0;

	if (argc < 2)
		return (ctl_usage("import", "postfix or sendmail?"));
	mta = argv[1];
	if (strcmp(mta, "postfix") != 0 && strcmp(mta, "sendmail") != 0)
		return (ctl_usage("import", "postfix or sendmail?"));
	postfix = mta[0] == 'p';
	optind = 1;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "C:o:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (!postfix)
				return (ctl_usage("import",
				    "-C is for postfix"));
			confdir = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'd':
			tabledir = optarg;
			break;
		case OPT_PARTIAL:
			partial = 1;
			break;
		case OPT_BLOCKLIST:
			if (postfix)
				return (ctl_usage("import",
				    "--blocklist-recipients is for sendmail"));
			blocklist = 1;
			break;
		case OPT_CW:
		case OPT_RELAY_DOMAINS:
			if (postfix)
				return (ctl_usage("import", "--cw and "
				    "--relay-domains are for sendmail"));
			if (c == OPT_CW)
				cw = optarg;
			else
				rd = optarg;
			break;
		default:
			return (ctl_usage("import", NULL));
		}
	}
	if (!postfix && optind < argc)
		access = argv[optind++];
	if (optind != argc)
		return (ctl_usage("import", "unexpected argument"));
	if (postfix) {
		strbuf_printf(&src, "the Postfix configuration in %s", confdir);
		imp_init(&imp, strbuf_str(&src), tabledir);
		rc = import_postfix(&imp, confdir);
	} else {
		if (access == NULL)
			access = "/etc/mail/access";
		if (cw == NULL && access_ok("/etc/mail/local-host-names"))
			cw = "/etc/mail/local-host-names";
		if (rd == NULL && access_ok("/etc/mail/relay-domains"))
			rd = "/etc/mail/relay-domains";
		strbuf_printf(&src, "the Sendmail access source %s", access);
		if (cw)
			strbuf_printf(&src, ",\n#   local-host-names %s", cw);
		if (rd)
			strbuf_printf(&src, ",\n#   relay-domains %s", rd);
		imp_init(&imp, strbuf_str(&src), tabledir);
		rc = import_sendmail(&imp, access, cw, rd, blocklist);
	}
	status = CTL_EX_OK;
	if (rc < 0 || imp.nerr) {
		print_lines("error: ", strbuf_str(&imp.errs), 0);
		status = CTL_EX_DATAERR;
	}
	if (imp.nuntrans) {
		print_lines(partial ? "not translated: " : "cannot translate: ",
		    strbuf_str(&imp.untrans), 1);
		if (!partial) {
			fprintf(stderr, "relayguardctl: import: %d item(s) "
			    "cannot be translated; nothing written (--partial "
			    "writes the rest)\n", imp.nuntrans);
			status = CTL_EX_DATAERR;
		}
	}
	if (status == CTL_EX_OK) {
		imp_output(&imp, &out);
		if (imp_write_generated(&imp) < 0)
			status = CTL_EX_CANTCREAT;
		else if (outpath == NULL)
			fputs(strbuf_str(&out), stdout);
		else if (write_out(outpath, &out) < 0)
			status = CTL_EX_CANTCREAT;
		else
			fputs(strbuf_str(&imp.compile), stdout);
	} else if (status == CTL_EX_DATAERR && imp.nerr)
		fprintf(stderr, "relayguardctl: import: nothing written\n");
	imp_free(&imp);
	strbuf_free(&out);
	strbuf_free(&src);
	return (status);
}
