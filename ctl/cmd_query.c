/*
 * NAME
 *	cmd_query - relayguardctl query: look keys up in a table
 * SYNOPSIS
 *	relayguardctl query [--as FACT] [-d delims] [-m] [-c conf] TABLE KEY...
 *	relayguardctl query [--as FACT] [-d delims] [-m] [-c conf] TABLE -
 * DESCRIPTION
 *	Prints the value of each key, as postmap -q does. Without --as the
 *	key is looked up exactly (lowercased); with --as client,
 *	client-name, helo, sender, sender-domain, rcpt or rcpt-domain it
 *	is looked up in the order the daemon uses for that fact (spec
 *	section 4). -d gives the recipient-delimiter characters used for
 *	sender and rcpt (default: the configuration's with -c, else
 *	none). With -c conf, TABLE may be the name of a table there.
 *
 *	With one KEY the value alone is printed. With several keys, or
 *	"-" (one key a line on standard input, for bulk checks), every
 *	found key prints "KEY<TAB>VALUE" and keys not found print nothing,
 *	as postmap -q - does, so the output of either tool can be fed to
 *	the same scripts. -m appends "<TAB>MATCHED", the table key that
 *	answered (e.g. 192.0.2.0/24 for the client 192.0.2.7).
 * DIAGNOSTICS
 *	Exit 0 every key found; 1 some key not found; 75 a lookup failed
 *	(missing or corrupt table, bad address); 64 usage.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_query_usage[] =
	"query [--as FACT] [-d delims] [-m] [-u user] [-c conf] TABLE KEY...|-";

static const struct {
	const char *name;
	enum store_fact fact;
} facts[] = {
	{"client", STORE_CLIENT},
	{"client-name", STORE_DOMAIN},
	{"helo", STORE_DOMAIN},
	{"sender", STORE_MAILBOX},
	{"sender-domain", STORE_DOMAIN},
	{"rcpt", STORE_MAILBOX},
	{"rcpt-domain", STORE_DOMAIN},
	{"exact", STORE_EXACT},
};

struct query {
	struct store *s;
	enum store_fact fact;
	const char *delims;
	int	bulk;
	int	show_match;
	int	notfound;
	int	failed;
};

/* query_one - look one key up and print the answer */
static void
query_one(struct query *q, const char *key)
{
	char    val[STORE_VALUE_MAX];
	char    matched[STORE_KEY_MAX + 1];
	struct store_error err;
	int     r;

	r = store_lookup(q->s, q->fact, key, q->delims, val, sizeof(val),
	    matched, sizeof(matched), &err);
	if (r < 0) {
		if (!q->failed || err.first)
			fprintf(stderr, "relayguardctl: query: %s\n", err.msg);
		q->failed = 1;
		return;
	}
	if (r == 0) {
		q->notfound = 1;
		return;
	}
	if (q->bulk) {
		fputs(key, stdout);
		putchar('\t');
	}
	fputs(val, stdout);
	if (q->show_match) {
		putchar('\t');
		fputs(matched, stdout);
	}
	putchar('\n');
}

/* cmd_query - relayguardctl query */
int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"as", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	struct query q;
	const char *conf = NULL, *path;
	char    err[512], buf[PATH_MAX];
	char   *line = NULL;
	size_t  cap = 0, i;
	ssize_t n;
	int     c;

	memset(&q, 0, sizeof(q));
	q.fact = STORE_EXACT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+a:c:d:mu:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
				if (strcmp(optarg, facts[i].name) == 0)
					break;
			if (i == sizeof(facts) / sizeof(facts[0])) {
				fprintf(stderr, "relayguardctl: query: unknown "
				    "fact: %s\n", optarg);
				return (CTL_EX_USAGE);
			}
			q.fact = facts[i].fact;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'd':
			q.delims = optarg;
			break;
		case 'm':
			q.show_match = 1;
			break;
		case 'u':
			ctl_owner_given(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2)
		goto usage;
	if ((path = ctl_table_path("query", conf, argv[optind], 0, buf,
	    sizeof(buf))) == NULL)
		return (CTL_EX_CONFIG);
	if (q.delims == NULL)
		q.delims = ctl_conf_delimiter();
	if (store_open(path, 0, &q.s, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: query: %s\n", err);
		return (CTL_EX_TEMPFAIL);
	}
	optind++;
	if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
		static char obuf[1 << 16];

		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		q.bulk = 1;
		while ((n = getline(&line, &cap, stdin)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' ||
				line[n - 1] == '\r'))
				line[--n] = 0;
			if (n > 0)
				query_one(&q, line);
		}
		free(line);
	} else {
		q.bulk = argc - optind > 1;
		for (; optind < argc; optind++)
			query_one(&q, argv[optind]);
	}
	fflush(stdout);
	store_close(q.s);
	if (q.failed)
		return (CTL_EX_TEMPFAIL);
	return (q.notfound ? 1 : CTL_EX_OK);

usage:
	return (ctl_usage("query", NULL));
}
