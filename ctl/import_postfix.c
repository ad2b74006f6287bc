/*
 * NAME
 *	import_postfix - translate a Postfix relay policy
 * SYNOPSIS
 *	#include "ctl/import_postfix.h"
 *
 *	int	import_postfix(struct imp *imp, const char *confdir)
 * DESCRIPTION
 *	Reads the configuration in confdir through "postconf -c DIR -n"
 *	(what is set), "postconf -c DIR -x PARAM..." (the values in
 *	effect, defaults and $names expanded) and "postconf -c DIR -P"
 *	(master.cf -o overrides per service), and fills imp.
 *
 *	Postfix evaluates, at RCPT time when smtpd_delay_reject = yes,
 *	smtpd_client_restrictions, smtpd_helo_restrictions,
 *	smtpd_sender_restrictions, smtpd_relay_restrictions and
 *	smtpd_recipient_restrictions in this order; a recipient passes
 *	when every list passes, a "permit" ends only its own list. Each
 *	list goes to the relayguard block of the earliest stage that
 *	knows every fact it uses (client: connect, helo: helo, sender
 *	and SASL: mail, recipient: rcpt), where a permit also ends only
 *	that block. When two lists meet in one block (relay and
 *	recipient restrictions always do), the earlier one is written as
 *	a gate: its refusals guarded by the negation of the permits
 *	before them. That needs permits that are single conditions
 *	(permit_mynetworks, permit_sasl_authenticated, ...) and tables
 *	that never say OK; anything else is reported untranslatable.
 *
 *	The rcpt block ends in an explicit refusal of foreign relay: when
 *	the lists fall through, reject_unauth_destination has passed, so
 *	the recipient is local or a gate's permit held; the tail permits
 *	exactly that and refuses the rest.
 *
 *	A service of master.cf whose -o overrides change a restriction
 *	list gets its own copy of the affected block, guarded by
 *	"daemon = NAME" (its milter_macro_daemon_name), followed by
 *	"permit daemon = NAME" so that the main rules do not apply to it.
 *	Tables cannot be guarded, so such a copy must not use them.
 * DIAGNOSTICS
 *	Returns 0, or -1 when postconf could not be run; everything else
 *	is recorded in imp.
 * BUGS
 *	Lookup tables are read from their source files (hash:, lmdb:,
 *	cdb:, btree:, dbm:, texthash: PATH; cidr: PATH itself);
 *	regexp:, pcre:, SQL and LDAP tables are not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "ctl/import.h"
#include "ctl/import_postfix.h"

/* The restriction lists, in Postfix's order of evaluation. */
enum pf_list {
	PL_CLIENT,
	PL_HELO,
	PL_SENDER,
	PL_RELAY,
	PL_RECIPIENT,
	PL_NLISTS,
};

static const char *const list_param[PL_NLISTS] = {
	"smtpd_client_restrictions",
	"smtpd_helo_restrictions",
	"smtpd_sender_restrictions",
	"smtpd_relay_restrictions",
	"smtpd_recipient_restrictions",
};

static const enum rules_stage list_stage[PL_NLISTS] = {
	RULES_CONNECT, RULES_HELO, RULES_MAIL, RULES_RCPT, RULES_RCPT,
};

/* One translated restriction. */
enum ent_kind {
	E_ATOM,				/* permit when cond holds */
	E_PERMIT_LOCAL,			/* permit_auth_destination */
	E_UNAUTH,			/* reject/defer_unauth_destination */
	E_CHECK,			/* check FACT <table> (and a second) */
	E_PERMIT,
	E_REJECT,
	E_DEFER,
	E_RCPT_REJECT,			/* reject when cond holds */
};

struct ent {
	enum ent_kind kind;
	const char *cond;		/* E_ATOM, E_RCPT_REJECT */
	const char *fact;		/* E_CHECK */
	const char *fact2;		/* E_CHECK: a second lookup, or NULL */
	const char *table;		/* E_CHECK */
	int	permits;		/* E_CHECK: the table can say OK */
	int	tempfail;		/* E_UNAUTH: defer_unauth_destination */
	enum rules_stage need;
	const char *what;		/* "param: restriction" for messages */
};

struct plist {
	struct ent *e;
	size_t	n;
	char   *what;			/* the parameter, for messages */
};

struct pf {
	struct imp *imp;
	const char *dir;
	char  **name, **value;		/* postconf -x results */
	size_t	n;
	char  **strings;		/* kept for the life of the import */
	size_t	nstrings;
	int	have_mynetworks;
	int	have_local;
};

/* keep - a string that lives as long as the import */
static const char *
keep(struct pf *pf, char *s)
{
	pf->strings = xreallocarray(pf->strings, pf->nstrings + 1,
	    sizeof(*pf->strings));
	pf->strings[pf->nstrings++] = s;
	return (s);
}

/* concat3 - a new string a b c */
static char *
concat3(const char *a, const char *b, const char *c)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_printf(&sb, "%s%s%s", a, b, c);
	return (strbuf_detach(&sb));
}

#define concat(a, b)	concat3((a), (b), "")

/* run - run argv, its standard output into out; exit status or -1 */
static int
run(char *const argv[], struct strbuf *out)
{
	char    buf[4096];
	ssize_t n;
	pid_t   pid;
	int     fd[2], st;

	if (pipe(fd) < 0)
		return (-1);
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return (-1);
	}
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "relayguardctl: import: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		strbuf_append(out, buf, (size_t) n);
	}
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return (-1);
	strbuf_puts(out, "");
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* postconf - run postconf -c DIR with args; 0 or -1 (error recorded) */
static int
postconf(struct pf *pf, const char *const args[], size_t nargs,
	struct strbuf *out)
{
	char  **argv = xcalloc(nargs + 4, sizeof(*argv));
	size_t  i;
	int     st;

	argv[0] = xstrdup("postconf");
	argv[1] = xstrdup("-c");
	argv[2] = xstrdup(pf->dir);
	for (i = 0; i < nargs; i++)
		argv[3 + i] = xstrdup(args[i]);
	st = run(argv, out);
	for (i = 0; i < nargs + 3; i++)
		free(argv[i]);
	free(argv);
	if (st != 0) {
		imp_error(pf->imp, "postconf -c %s %s failed (exit %d): is %s "
		    "a Postfix configuration directory?", pf->dir, args[0], st,
		    pf->dir);
		return (-1);
	}
	return (0);
}

/* get - the value of a parameter from the postconf -x run */
static const char *
get(const struct pf *pf, const char *name)
{
	size_t  i;

	for (i = 0; i < pf->n; i++)
		if (strcmp(pf->name[i], name) == 0)
			return (pf->value[i]);
	return ("");
}

/* parse_params - "name = value" lines into pf */
static void
parse_params(struct pf *pf, char *text)
{
	char   *line, *next, *eq, *end;

	for (line = text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		if ((eq = strstr(line, " = ")) == NULL) {
			if ((end = strstr(line, " =")) == NULL || end[2])
				continue;
			*end = 0;
			eq = end;
			eq[1] = 0;
			pf->name = xreallocarray(pf->name, pf->n + 1,
			    sizeof(*pf->name));
			pf->value = xreallocarray(pf->value, pf->n + 1,
			    sizeof(*pf->value));
			pf->name[pf->n] = xstrdup(line);
			pf->value[pf->n++] = xstrdup("");
			continue;
		}
		*eq = 0;
		pf->name = xreallocarray(pf->name, pf->n + 1, sizeof(*pf->name));
		pf->value = xreallocarray(pf->value, pf->n + 1,
		    sizeof(*pf->value));
		pf->name[pf->n] = xstrdup(line);
		pf->value[pf->n++] = xstrdup(eq + 3);
	}
}

/* next_token - the next word of a Postfix list (commas and blanks) */
static char *
next_token(char **cp)
{
	char   *s = *cp, *start;

	s += strspn(s, " \t,\r\n");
	if (*s == 0)
		return (NULL);
	start = s;
	s += strcspn(s, " \t,\r\n");
	if (*s)
		*s++ = 0;
	*cp = s;
	return (start);
}

/* is_table - a "type:name" lookup table reference */
static int
is_table(const char *s)
{
	const char *c = strchr(s, ':');

	return (c != NULL && c != s && s[0] != '[' && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789_") == (size_t) (c - s));
}

/*
 * table_source - the access(5) source of a Postfix table reference,
 * or NULL after recording why it cannot be read
 */
static const char *
table_source(struct pf *pf, const char *what, const char *ref)
{
	static const char *const types[] = {
		"hash", "lmdb", "cdb", "btree", "dbm", "texthash", "cidr",
	};
	const char *colon = strchr(ref, ':');
	size_t  i, tlen = (size_t) (colon - ref);

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == tlen && strncmp(ref, types[i], tlen) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		imp_untranslatable(pf->imp, "%s: table type \"%.*s:\" "
		    "cannot be read (hash, lmdb, cdb, btree, dbm, texthash "
		    "and cidr can)", what, (int) tlen, ref);
		return (NULL);
	}
	if (colon[1] != '/') {
		imp_error(pf->imp, "%s: %s: not an absolute path", what, ref);
		return (NULL);
	}
	return (colon + 1);
}

/* add_list_item - one item for a list statement */
static void
add_item(struct strbuf *sb, const char *item)
{
	if (sb->len)
		strbuf_putc(sb, ' ');
	strbuf_puts(sb, item);
}

/* mynetworks - the "list mynetworks" statement */
static void
mynetworks(struct pf *pf)
{
	struct strbuf items = STRBUF_INIT;
	char   *val = xstrdup(get(pf, "mynetworks")), *cp = val, *tok;

	while ((tok = next_token(&cp)) != NULL) {
		char    buf[256];
		const char *src;

		if (tok[0] == '!') {
			imp_untranslatable(pf->imp, "mynetworks: %s: negated "
			    "items are not translated", tok);
			continue;
		}
		if (tok[0] == '/' || is_table(tok)) {
			src = tok[0] == '/' ? tok : table_source(pf,
			    keep(pf, concat("mynetworks: ", tok)), tok);
			if (src)
				imp_list_items(pf->imp, "mynetworks", src, &items);
			/* XXX a cidr: table's values are not looked at */
			continue;
		}
		if (tok[0] == '[') {
			/* [2001:db8::]/32 -> 2001:db8::/32 */
			char   *close = strchr(tok, ']');

			if (close == NULL) {
				imp_error(pf->imp, "mynetworks: %s: no ]", tok);
				continue;
			}
			snprintf(buf, sizeof(buf), "%.*s%s",
			    (int) (close - tok - 1), tok + 1, close + 1);
			add_item(&items, buf);
		} else
			add_item(&items, tok);
	}
	free(val);
	if (items.len) {
		strbuf_printf(&pf->imp->lists, "list mynetworks { %s }"
		    "    # mynetworks\n", strbuf_str(&items));
		pf->have_mynetworks = 1;
	}
	strbuf_free(&items);
}

/* domains_from - append the domains of one parameter to items */
static void
domains_from(struct pf *pf, const char *param, int subdomains,
	struct strbuf *items)
{
	char   *val = xstrdup(get(pf, param)), *cp = val, *tok;

	while ((tok = next_token(&cp)) != NULL) {
		struct strbuf keys = STRBUF_INIT;
		char   *kp, *k;
		const char *src;

		if (tok[0] == '!') {
			imp_untranslatable(pf->imp, "%s: %s: negated items are "
			    "not translated", param, tok);
			continue;
		}
		if (tok[0] == '/' || is_table(tok)) {
			src = tok[0] == '/' ? tok : table_source(pf,
			    keep(pf, concat3(param, ": ", tok)), tok);
			if (src == NULL || imp_list_items(pf->imp, param, src,
			    &keys) < 0) {
				strbuf_free(&keys);
				continue;
			}
		} else
			strbuf_puts(&keys, tok);
		for (kp = keys.s; kp && (k = next_token(&kp)) != NULL;) {
			add_item(items, k);
			if (subdomains && k[0] != '.') {
				strbuf_puts(items, " .");
				strbuf_puts(items, k);
			}
		}
		strbuf_free(&keys);
	}
	free(val);
}

/* local_domains - the "list local" statement: what Postfix delivers or relays to */
static void
local_domains(struct pf *pf)
{
	static const char *const params[] = {
		"mydestination", "virtual_alias_domains",
		"virtual_mailbox_domains", "relay_domains",
	};
	struct strbuf items = STRBUF_INIT;
	const char *pdms = get(pf, "parent_domain_matches_subdomains");
	size_t  i;
	int     sub = strstr(pdms, "relay_domains") != NULL;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		domains_from(pf, params[i], i == 3 && sub, &items);
	/* Address literals of this host are local to Postfix. */
	for (i = 0; i < 2; i++) {
		const char *p = i == 0 ? "inet_interfaces" : "proxy_interfaces";
		char   *val = xstrdup(get(pf, p)), *cp = val, *tok;

		while ((tok = next_token(&cp)) != NULL) {
			char    buf[300];

			if (strcmp(tok, "all") == 0) {
				imp_note(pf->imp, "%s = all: the address literals "
				    "of this host (user@[192.0.2.1]) are not in "
				    "<local>; add them", p);
				continue;
			}
			if (strcmp(tok, "loopback-only") == 0 ||
			    strcmp(tok, "localhost") == 0)
				tok = "127.0.0.1";
			if (tok[0] == '[')
				snprintf(buf, sizeof(buf), "%s", tok);
			else
				snprintf(buf, sizeof(buf), "[%s]", tok);
			add_item(&items, buf);
		}
		free(val);
	}
	if (items.len) {
		strbuf_printf(&pf->imp->lists, "list local { %s }    # "
		    "mydestination, virtual_alias_domains, "
		    "virtual_mailbox_domains, relay_domains%s, interfaces\n",
		    strbuf_str(&items), sub ? " (and subdomains)" : "");
		pf->have_local = 1;
	}
	strbuf_free(&items);
}

/* add_ent - append one entry */
static struct ent *
add_ent(struct plist *pl, enum ent_kind kind, enum rules_stage need,
	const char *what)
{
	struct ent *e;

	pl->e = xreallocarray(pl->e, pl->n + 1, sizeof(*pl->e));
	e = &pl->e[pl->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->need = need;
	e->what = what;
	return (e);
}

/* Restrictions that are no relay decision: the MTA keeps them. */
static const char *const mta_kept[] = {
	"reject_unknown_recipient_domain", "reject_unknown_sender_domain",
	"reject_non_fqdn_sender", "reject_non_fqdn_helo_hostname",
	"reject_invalid_helo_hostname", "reject_unknown_helo_hostname",
	"reject_unknown_client_hostname",
	"reject_unknown_reverse_client_hostname", "reject_unlisted_recipient",
	"reject_unlisted_sender", "reject_unverified_recipient",
	"reject_unverified_sender", "reject_multi_recipient_bounce",
	"reject_non_fqdn_hostname", "reject_invalid_hostname",
	"reject_unknown_hostname", "reject_unknown_address",
};

/* parse_list - translate one restriction list */
static void
parse_list(struct pf *pf, const char *what, const char *value,
	struct plist *pl)
{
	char   *val = xstrdup(value), *cp = val, *tok;
	const char *w;
	struct ent *e;
	size_t  i;

	pl->what = xstrdup(what);
	while ((tok = next_token(&cp)) != NULL) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_printf(&sb, "%s: %s", what, tok);
		w = keep(pf, strbuf_detach(&sb));
		if (strcmp(tok, "permit_mynetworks") == 0) {
			if (!pf->have_mynetworks)
				continue;	/* an empty mynetworks permits nobody */
			e = add_ent(pl, E_ATOM, RULES_CONNECT, w);
			e->cond = "client in <mynetworks>";
		} else if (strcmp(tok, "permit_sasl_authenticated") == 0) {
			e = add_ent(pl, E_ATOM, RULES_MAIL, w);
			e->cond = "auth";
		} else if (strcmp(tok, "permit_tls_all_clientcerts") == 0) {
			e = add_ent(pl, E_ATOM, RULES_HELO, w);
			e->cond = "tls-verified";
		} else if (strcmp(tok, "permit_tls_clientcerts") == 0) {
			imp_untranslatable(pf->imp, "%s: relay_clientcerts lists "
			    "certificate fingerprints, which the MTA does not "
			    "pass to a milter; with --partial this becomes "
			    "\"permit tls-verified\" (every certificate the MTA "
			    "verifies): restrict smtpd_tls_CAfile to the CA of "
			    "your clients, or write cert-subject rules", w);
			e = add_ent(pl, E_ATOM, RULES_HELO, w);
			e->cond = "tls-verified";
		} else if (strcmp(tok, "reject_unauth_destination") == 0 ||
		    strcmp(tok, "defer_unauth_destination") == 0) {
			e = add_ent(pl, E_UNAUTH, RULES_RCPT, w);
			e->tempfail = tok[0] == 'd';
		} else if (strcmp(tok, "permit_auth_destination") == 0) {
			add_ent(pl, E_PERMIT_LOCAL, RULES_RCPT, w);
		} else if (strcmp(tok, "reject_non_fqdn_recipient") == 0) {
			e = add_ent(pl, E_RCPT_REJECT, RULES_RCPT, w);
			e->cond = "unqualified";
			imp_note(pf->imp, "%s: only recipients without a domain "
			    "are refused; a domain without a dot "
			    "(user@localhost) is not seen", w);
		} else if (strcmp(tok, "reject_unauth_pipelining") == 0) {
			imp_note(pf->imp, "%s: dropped: a protocol check, not a "
			    "relay decision; keep it in the MTA if wanted", w);
		} else if (strcmp(tok, "permit") == 0) {
			add_ent(pl, E_PERMIT, RULES_CONNECT, w);
			break;		/* nothing after it is reached */
		} else if (strcmp(tok, "reject") == 0) {
			add_ent(pl, E_REJECT, RULES_CONNECT, w);
			break;
		} else if (strcmp(tok, "defer") == 0) {
			add_ent(pl, E_DEFER, RULES_CONNECT, w);
			break;
		} else if (strcmp(tok, "dunno") == 0) {
			continue;
		} else if (strcmp(tok, "check_client_access") == 0 ||
			    strcmp(tok, "check_helo_access") == 0 ||
			    strcmp(tok, "check_sender_access") == 0 ||
			    strcmp(tok, "check_recipient_access") == 0 ||
			    strcmp(tok, "check_ccert_access") == 0) {
			char   *ref = next_token(&cp);
			const char *src, *name;
			int     permits;

			if (ref == NULL) {
				imp_error(pf->imp, "%s: no table after it", w);
				break;
			}
			sb = (struct strbuf) STRBUF_INIT;
			strbuf_printf(&sb, "%s %s", w, ref);
			w = keep(pf, strbuf_detach(&sb));
			if (strcmp(tok, "check_ccert_access") == 0) {
				imp_untranslatable(pf->imp, "%s: the keys are "
				    "certificate fingerprints, which the MTA does "
				    "not pass to a milter", w);
				continue;
			}
			if (strncmp(ref, "static:", 7) == 0) {
				/* A constant action, e.g. static:OK. */
				const char *v = ref + 7;

				if (strcasecmp(v, "OK") == 0 ||
				    strcasecmp(v, "RELAY") == 0) {
					add_ent(pl, E_PERMIT, RULES_CONNECT, w);
					break;
				}
				if (strncasecmp(v, "REJECT", 6) == 0) {
					add_ent(pl, E_REJECT, RULES_CONNECT, w);
					break;
				}
				if (strcasecmp(v, "DUNNO") == 0)
					continue;
				imp_untranslatable(pf->imp, "%s: static value "
				    "not translated", w);
				continue;
			}
			if (!is_table(ref)) {
				imp_untranslatable(pf->imp, "%s: not a lookup "
				    "table (a restriction class?)", w);
				continue;
			}
			if ((src = table_source(pf, w, ref)) == NULL)
				continue;
			if ((name = imp_table(pf->imp, w, src, &permits)) == NULL)
				continue;
			if (strstr(src, "pop") != NULL ||
			    strstr(src, "drac") != NULL)
				imp_note(pf->imp, "%s: if a POP/IMAP-before-SMTP "
				    "daemon maintains this table, declare it "
				    "dynamic and feed it with relayguardctl watch "
				    "or grant instead of compiling it", w);
			if (tok[6] == 'c') {
				e = add_ent(pl, E_CHECK, RULES_CONNECT, w);
				/* Postfix looks up the name first. */
				e->fact = "client-name";
				e->fact2 = "client";
			} else if (tok[6] == 'h') {
				e = add_ent(pl, E_CHECK, RULES_HELO, w);
				e->fact = "helo";
			} else if (tok[6] == 's') {
				e = add_ent(pl, E_CHECK, RULES_MAIL, w);
				e->fact = "sender";
			} else {
				e = add_ent(pl, E_CHECK, RULES_RCPT, w);
				e->fact = "rcpt";
			}
			e->table = name;
			e->permits = permits;
		} else {
			for (i = 0; i < sizeof(mta_kept) / sizeof(mta_kept[0]); i++)
				if (strcmp(tok, mta_kept[i]) == 0)
					break;
			if (i < sizeof(mta_kept) / sizeof(mta_kept[0])) {
				imp_note(pf->imp, "%s: needs what only the MTA "
				    "knows (DNS, its address tables): keep it in "
				    "the MTA's restrictions; relayguard does not "
				    "repeat it", w);
				continue;
			}
			imp_untranslatable(pf->imp, "%s: no relayguard "
			    "equivalent", w);
		}
	}
	free(val);
}

/* Output of one block: rules with an optional daemon guard. */
struct emit {
	struct pf *pf;
	enum rules_stage stage;
	const char *guard;		/* "daemon = NAME" or NULL */
	const char *who;		/* for messages */
};

/* rule - one rule: action, conditions joined with "and", reply */
static void
rule(const struct emit *em, const char *action, const char *c1,
	const char *c2, const char *reply)
{
	struct strbuf sb = STRBUF_INIT;
	const char *conds[3];
	size_t  i, n = 0;

	if (em->guard)
		conds[n++] = em->guard;
	if (c1 && *c1)
		conds[n++] = c1;
	if (c2 && *c2)
		conds[n++] = c2;
	strbuf_puts(&sb, action);
	for (i = 0; i < n; i++)
		strbuf_printf(&sb, "%s%s", i ? " and " : " ", conds[i]);
	if (reply)
		strbuf_printf(&sb, " \"%s\"", reply);
	imp_rule(em->pf->imp, em->stage, "%s", strbuf_str(&sb));
	strbuf_free(&sb);
}

#define RELAY_DENIED	"554 5.7.1 <%{rcpt}>: Relay access denied"
#define RELAY_DEFERRED	"454 4.7.1 <%{rcpt}>: Relay access denied"

/* unauth - the rules of reject/defer_unauth_destination */
static void
unauth(const struct emit *em, const struct ent *e, const char *negs)
{
	const char *act = e->tempfail ? "tempfail" : "reject";
	const char *reply = e->tempfail ? RELAY_DEFERRED : RELAY_DENIED;

	if (!em->pf->have_local) {
		rule(em, act, "not unqualified", negs, reply);
		return;
	}
	rule(em, act, "not rcpt-domain in <local> and not unqualified", negs,
	    reply);
}

/* check - the check rules of one table entry; 0, or -1 if it cannot be written */
static int
check(const struct emit *em, const struct ent *e)
{
	int     weak;

	if (em->guard) {
		imp_untranslatable(em->pf->imp, "%s: a table check in a list "
		    "that %s overrides cannot be limited to that service",
		    e->what, em->who);
		return (-1);
	}
	/*
	 * The relay policy permits by sender or HELO: keep it, marked
	 * weak-ok, an intended weak permit for the open-relay analysis.
	 */
	weak = e->permits && (strcmp(e->fact, "sender") == 0 ||
	    strcmp(e->fact, "helo") == 0);
	imp_rule(em->pf->imp, em->stage, "check %s <%s>%s    # %s%s", e->fact,
	    e->table, weak ? " weak-ok" : "", weak ? "weak: "
	    "the client chooses this value; " : "", e->what);
	if (e->fact2)
		imp_rule(em->pf->imp, em->stage, "check %s <%s>", e->fact2,
		    e->table);
	return (0);
}

/*
 * emit_gate - a list that another list follows in the same block:
 * its refusals, each guarded by the negations of the permits before
 * it. *negs receives those negations (for the tail). Returns 0, or -1
 * when the list cannot be written as a gate (recorded).
 */
static int
emit_gate(const struct emit *em, const struct plist *pl,
	struct strbuf *tail_atoms, int *have_unauth)
{
	struct strbuf negbuf = STRBUF_INIT, *negs = &negbuf;
	const struct ent *e;
	size_t  i;
	int     seen_unauth = 0;

	for (i = 0; i < pl->n; i++) {
		e = &pl->e[i];
		switch (e->kind) {
		case E_ATOM:
			if (negs->len)
				strbuf_puts(negs, " and ");
			strbuf_printf(negs, "not %s", e->cond);
			if (!seen_unauth && !*have_unauth)
				strbuf_printf(tail_atoms, "%s\n", e->cond);
			break;
		case E_UNAUTH:
			imp_rule(em->pf->imp, em->stage, "# %s", e->what);
			unauth(em, e, strbuf_str(negs));
			seen_unauth = 1;
			break;
		case E_RCPT_REJECT:
			rule(em, "reject", e->cond, strbuf_str(negs), NULL);
			break;
		case E_REJECT:
			rule(em, "reject", strbuf_str(negs), NULL, NULL);
			goto done;
		case E_DEFER:
			rule(em, "tempfail", strbuf_str(negs), NULL, NULL);
			goto done;
		case E_PERMIT:
			goto done;
		case E_CHECK:
			if (e->permits || negs->len) {
				imp_untranslatable(em->pf->imp, "%s: %s is followed "
				    "by another restriction list at the same "
				    "stage, and this table %s: relayguard cannot "
				    "go on with the next list after it",
				    e->what, pl->what, e->permits ?
				    "can say OK" : "comes after a permit");
				break;
			}
			check(em, e);
			break;
		case E_PERMIT_LOCAL:
			imp_untranslatable(em->pf->imp, "%s: permit_auth_"
			    "destination in %s, which another list follows at "
			    "the same stage, is not translated", e->what,
			    pl->what);
			break;
		}
	}
done:
	*have_unauth |= seen_unauth;
	strbuf_free(&negbuf);
	return (0);
}

/* gateable - whether a list can be written as a gate */
static int
gateable(const struct plist *pl)
{
	size_t  i;
	int     atoms = 0;

	for (i = 0; i < pl->n; i++) {
		switch (pl->e[i].kind) {
		case E_ATOM:
			atoms = 1;
			break;
		case E_CHECK:
			if (pl->e[i].permits || atoms)
				return (0);
			break;
		case E_PERMIT_LOCAL:
			return (0);
		default:
			break;
		}
	}
	return (1);
}

/*
 * emit_last - the last list of a block, written as it reads: permits
 * end the block. Returns whether it can fall through to the end.
 */
static int
emit_last(const struct emit *em, const struct plist *pl, int *have_unauth)
{
	const struct ent *e;
	size_t  i;

	for (i = 0; i < pl->n; i++) {
		e = &pl->e[i];
		switch (e->kind) {
		case E_ATOM:
			rule(em, "permit", e->cond, NULL, NULL);
			break;
		case E_PERMIT_LOCAL:
			if (em->pf->have_local)
				rule(em, "permit", "rcpt-domain in <local>", NULL,
				    NULL);
			rule(em, "permit", "unqualified", NULL, NULL);
			break;
		case E_UNAUTH:
			imp_rule(em->pf->imp, em->stage, "# %s", e->what);
			unauth(em, e, NULL);
			*have_unauth = 1;
			break;
		case E_RCPT_REJECT:
			rule(em, "reject", e->cond, NULL, NULL);
			break;
		case E_CHECK:
			check(em, e);
			break;
		case E_PERMIT:
			rule(em, "permit", NULL, NULL, NULL);
			return (0);
		case E_REJECT:
			rule(em, "reject", NULL, NULL, em->stage == RULES_RCPT ?
			    RELAY_DENIED : NULL);
			return (0);
		case E_DEFER:
			rule(em, "tempfail", NULL, NULL, NULL);
			return (0);
		}
	}
	return (1);
}

/* A set of restriction lists: the main ones, or a service's. */
struct lset {
	struct plist lists[PL_NLISTS];
	int	over[PL_NLISTS];	/* a service overrides this list */
	enum rules_stage at[PL_NLISTS];	/* the block it goes to */
	const char *guard;		/* "daemon = NAME", NULL for main */
	const char *who;
};

/* place - the block of each list: where every fact it uses is known */
static void
place(struct pf *pf, struct lset *ls, int delay)
{
	size_t  i;
	int     l;

	for (l = 0; l < PL_NLISTS; l++) {
		ls->at[l] = list_stage[l];
		for (i = 0; i < ls->lists[l].n; i++)
			if (ls->lists[l].e[i].need > ls->at[l])
				ls->at[l] = ls->lists[l].e[i].need;
		if (ls->at[l] != list_stage[l] && !delay)
			imp_untranslatable(pf->imp, "%s: uses facts of a later "
			    "stage while smtpd_delay_reject = no",
			    ls->lists[l].what);
	}
}

/* affected - whether a service's own lists land in block s */
static int
affected(const struct lset *ls, enum rules_stage s)
{
	int     l;

	for (l = 0; l < PL_NLISTS; l++)
		if (ls->over[l] && ls->at[l] == s && ls->lists[l].n > 0)
			return (1);
	return (0);
}

/*
 * emit_rest - the lists of one set in block s that are not shared
 * (shared[l]), gates first, the one list that cannot be a gate last;
 * then the rcpt tail or, for a service, the permit that skips the
 * main rules.
 */
static void
emit_rest(struct pf *pf, const struct lset *ls, enum rules_stage s,
	const int shared[PL_NLISTS], const struct strbuf *atoms0,
	int have_unauth)
{
	struct strbuf atoms = STRBUF_INIT;
	struct emit em = {pf, s, ls->guard, ls->who};
	int     l, last = -1, falls = 1, any = 0, nongate = 0;

	strbuf_puts(&atoms, strbuf_str(atoms0));
	for (l = 0; l < PL_NLISTS; l++) {
		if (ls->at[l] != s || ls->lists[l].n == 0 || shared[l])
			continue;
		if (!gateable(&ls->lists[l])) {
			if (nongate++)
				imp_untranslatable(pf->imp, "%s and %s: two lists "
				    "at the same stage whose permits are not single "
				    "conditions (tables that can say OK) cannot both "
				    "be translated", ls->lists[last].what,
				    ls->lists[l].what);
			last = l;
		} else if (last < 0 || gateable(&ls->lists[last]))
			last = l;
	}
	for (l = 0; l < PL_NLISTS; l++) {
		if (ls->at[l] != s || ls->lists[l].n == 0 || shared[l] ||
		    l == last)
			continue;
		any = 1;
		if (l > last)
			imp_note(pf->imp, "%s is checked before %s here: a "
			    "recipient both refuse gets the answer of the "
			    "former", ls->lists[l].what, ls->lists[last].what);
		imp_rule(pf->imp, s, "# %s (must pass, and so must the next)",
		    ls->lists[l].what);
		emit_gate(&em, &ls->lists[l], &atoms, &have_unauth);
	}
	if (last >= 0) {
		any = 1;
		imp_rule(pf->imp, s, "# %s", ls->lists[last].what);
		falls = emit_last(&em, &ls->lists[last], &have_unauth);
	}
	if (s == RULES_RCPT && falls) {
		/*
		 * The tail: the lists fell through, so the relay check
		 * passed; say so and refuse everything else.
		 */
		char   *a = atoms.s, *nl;

		if (!have_unauth)
			imp_untranslatable(pf->imp, "%s%sneither smtpd_relay_"
			    "restrictions nor smtpd_recipient_restrictions "
			    "refuses foreign relay (reject_unauth_destination):"
			    " an open relay is not imported", ls->who ?
			    ls->who : "", ls->who ? ": " : "");
		imp_rule(pf->imp, RULES_RCPT, "# the relay check passed: the "
		    "recipient is ours or a permit above held");
		for (; a && *a; a = nl + 1) {
			nl = strchr(a, '\n');
			*nl = 0;
			rule(&em, "permit", a, NULL, NULL);
		}
		if (pf->have_local)
			rule(&em, "permit", "rcpt-domain in <local>", NULL, NULL);
		rule(&em, "permit", "unqualified", NULL, NULL);
		rule(&em, "reject", NULL, NULL, RELAY_DENIED);
	} else if (ls->guard && any && falls)
		rule(&em, "permit", NULL, NULL, NULL);
	strbuf_free(&atoms);
}

/*
 * emit_all - every block: per block, the lists shared by the main set
 * and the services that have their own lists there, as gates; then
 * each such service's own part, guarded; then the main part.
 */
static void
emit_all(struct pf *pf, struct lset *main_set, struct lset *svc, size_t nsvc)
{
	size_t  k;
	int     s, l;

	for (s = RULES_CONNECT; s < RULES_NSTAGES; s++) {
		struct strbuf atoms = STRBUF_INIT;
		struct emit em = {pf, (enum rules_stage) s, NULL, NULL};
		int     shared[PL_NLISTS] = {0}, have_unauth = 0, naff = 0;

		for (k = 0; k < nsvc; k++)
			naff += affected(&svc[k], (enum rules_stage) s);
		if (s == RULES_RCPT) {
			imp_rule(pf->imp, RULES_RCPT, "# RCPT TO:<postmaster> is "
			    "accepted whatever the restrictions (RFC 5321 4.5.1)");
			rule(&em, "permit", "unqualified and rcpt = postmaster@",
			    NULL, NULL);
		}
		if (naff) {
			/* Lists no affected service overrides, as gates. */
			for (l = 0; l < PL_NLISTS; l++) {
				if ((int) main_set->at[l] != s ||
				    main_set->lists[l].n == 0 ||
				    !gateable(&main_set->lists[l]))
					continue;
				shared[l] = 1;
				for (k = 0; k < nsvc; k++)
					if (affected(&svc[k], (enum rules_stage) s) &&
					    (svc[k].over[l] ||
					    svc[k].at[l] != main_set->at[l]))
						shared[l] = 0;
				if (!shared[l])
					continue;
				imp_rule(pf->imp, (enum rules_stage) s, "# %s "
				    "(every service; must pass, and so must the "
				    "next)", main_set->lists[l].what);
				emit_gate(&em, &main_set->lists[l], &atoms,
				    &have_unauth);
			}
			for (k = 0; k < nsvc; k++)
				if (affected(&svc[k], (enum rules_stage) s))
					emit_rest(pf, &svc[k], (enum rules_stage) s,
					    shared, &atoms, have_unauth);
		}
		emit_rest(pf, main_set, (enum rules_stage) s, shared, &atoms,
		    have_unauth);
		strbuf_free(&atoms);
	}
}

/* expand - $name and ${name} in a master.cf -o value */
static char *
expand(struct pf *pf, const char *value)
{
	struct strbuf out = STRBUF_INIT, res = STRBUF_INIT, name = STRBUF_INIT;
	const char *p = value;

	while (*p) {
		const char *args[3];
		size_t  n;

		if (*p != '$') {
			strbuf_putc(&out, *p++);
			continue;
		}
		p++;
		strbuf_reset(&name);
		if (*p == '{') {
			n = strcspn(p + 1, "}");
			strbuf_append(&name, p + 1, n);
			p += n + 1 + (p[n + 1] == '}');
		} else {
			n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			strbuf_append(&name, p, n);
			p += n;
		}
		args[0] = "-x";
		args[1] = "-h";
		args[2] = strbuf_str(&name);
		strbuf_reset(&res);
		if (postconf(pf, args, 3, &res) == 0) {
			while (res.len && res.s[res.len - 1] == '\n')
				res.s[--res.len] = 0;
			strbuf_puts(&out, strbuf_str(&res));
		}
	}
	strbuf_free(&res);
	strbuf_free(&name);
	strbuf_puts(&out, "");
	return (strbuf_detach(&out));
}

/* free_lists - the entries of a set of lists */
static void
free_lists(struct plist lists[PL_NLISTS])
{
	int     l;

	for (l = 0; l < PL_NLISTS; l++) {
		free(lists[l].e);
		free(lists[l].what);
		lists[l].e = NULL;
		lists[l].what = NULL;
		lists[l].n = 0;
	}
}

/*
 * services - the master.cf services whose -o overrides change a list,
 * each as a set of lists (its own and the inherited ones); *nsvc gets
 * their number. The caller frees them with free_lists().
 */
static struct lset *
services(struct pf *pf, char *text, int delay, size_t *nsvc)
{
	char   *line, *next, *svc = NULL;
	char  **names = NULL, **params = NULL, **values = NULL;
	struct lset *sets = NULL;
	size_t  n = 0, i, j;

	*nsvc = 0;
	for (line = text; line && *line; line = next) {
		char   *slash1, *slash2, *eq;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		if ((slash1 = strchr(line, '/')) == NULL ||
		    (slash2 = strchr(slash1 + 1, '/')) == NULL ||
		    (eq = strstr(slash2, " = ")) == NULL)
			continue;
		*slash2 = 0;
		*eq = 0;
		names = xreallocarray(names, n + 1, sizeof(*names));
		params = xreallocarray(params, n + 1, sizeof(*params));
		values = xreallocarray(values, n + 1, sizeof(*values));
		names[n] = line;	/* "service/type" */
		params[n] = slash2 + 1;
		values[n++] = eq + 3;
	}
	for (i = 0; i < n; i++) {
		struct lset *ls;
		struct strbuf g = STRBUF_INIT;
		const char *daemon = NULL;
		char   *who;
		int     changed = 0, l;

		if (svc && strcmp(svc, names[i]) == 0)
			continue;
		svc = names[i];
		for (j = 0; j < n; j++) {
			if (strcmp(names[j], svc) != 0)
				continue;
			if (strcmp(params[j], "milter_macro_daemon_name") == 0)
				daemon = values[j];
			for (l = 0; l < PL_NLISTS; l++)
				if (strcmp(params[j], list_param[l]) == 0)
					changed = 1;
			if (strcmp(params[j], "smtpd_delay_reject") == 0 ||
			    strcmp(params[j], "mynetworks") == 0 ||
			    strcmp(params[j], "smtpd_restriction_classes") == 0)
				imp_untranslatable(pf->imp, "master.cf %s: -o %s: "
				    "per-service value not translated", svc,
				    params[j]);
		}
		if (!changed)
			continue;
		who = xstrdup(svc);
		*strchr(who, '/') = 0;
		keep(pf, who);
		if (daemon == NULL) {
			daemon = who;
			imp_note(pf->imp, "master.cf %s: add -o "
			    "milter_macro_daemon_name=%s to this service: its "
			    "rules below are chosen by daemon = %s", svc, who,
			    who);
		}
		sets = xreallocarray(sets, *nsvc + 1, sizeof(*sets));
		ls = &sets[(*nsvc)++];
		memset(ls, 0, sizeof(*ls));
		ls->who = who;
		strbuf_puts(&g, "daemon = ");
		if (strspn(daemon, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(daemon))
			strbuf_puts(&g, daemon);
		else
			imp_quote(&g, daemon);
		ls->guard = keep(pf, strbuf_detach(&g));
		for (l = 0; l < PL_NLISTS; l++) {
			const char *v = NULL;
			char   *x, *what;
			struct strbuf sb = STRBUF_INIT;

			for (j = 0; j < n; j++)
				if (strcmp(names[j], svc) == 0 &&
				    strcmp(params[j], list_param[l]) == 0)
					v = values[j];
			if (v)
				strbuf_printf(&sb, "master.cf %s: -o %s", svc,
				    list_param[l]);
			else
				strbuf_printf(&sb, "%s (inherited by %s)",
				    list_param[l], who);
			ls->over[l] = v != NULL;
			what = strbuf_detach(&sb);
			x = v ? expand(pf, v) : xstrdup(get(pf, list_param[l]));
			parse_list(pf, what, x, &ls->lists[l]);
			free(x);
			free(what);
		}
		place(pf, ls, delay);
	}
	free(names);
	free(params);
	free(values);
	return (sets);
}

/* import_postfix - translate the Postfix configuration in dir */
int
import_postfix(struct imp *imp, const char *dir)
{
	static const char *const want[] = {
		"-x", "mynetworks", "mydestination", "relay_domains",
		"virtual_alias_domains", "virtual_mailbox_domains",
		"inet_interfaces", "proxy_interfaces",
		"parent_domain_matches_subdomains", "smtpd_delay_reject",
		"smtpd_client_restrictions", "smtpd_helo_restrictions",
		"smtpd_sender_restrictions", "smtpd_relay_restrictions",
		"smtpd_recipient_restrictions", "allow_untrusted_routing",
		"smtpd_restriction_classes", "smtpd_data_restrictions",
		"smtpd_end_of_data_restrictions", "permit_mx_backup_networks",
	};
	static const char *const setargs[] = {"-n"};
	static const char *const svcargs[] = {"-P"};
	struct strbuf out = STRBUF_INIT, set = STRBUF_INIT, svcout = STRBUF_INIT;
	struct lset main_set, *svc = NULL;
	struct pf pf;
	size_t  i, nsvc = 0;
	int     l, rc = -1, delay;

	memset(&pf, 0, sizeof(pf));
	memset(&main_set, 0, sizeof(main_set));
	pf.imp = imp;
	pf.dir = dir;
	if (postconf(&pf, setargs, 1, &set) < 0 ||
	    postconf(&pf, want, sizeof(want) / sizeof(want[0]), &out) < 0 ||
	    postconf(&pf, svcargs, 1, &svcout) < 0)
		goto out;
	parse_params(&pf, out.s);

	if (strcmp(get(&pf, "allow_untrusted_routing"), "yes") == 0)
		imp_untranslatable(imp, "allow_untrusted_routing = yes: "
		    "relayguard never lets a routed address through a "
		    "domain permit");
	for (i = 0; i < 3; i++) {
		static const char *const p[] = {"smtpd_restriction_classes",
		"smtpd_data_restrictions", "smtpd_end_of_data_restrictions"};

		if (*get(&pf, p[i]))
			imp_untranslatable(imp, "%s = %s: not translated", p[i],
			    get(&pf, p[i]));
	}
	if (*get(&pf, "permit_mx_backup_networks"))
		imp_untranslatable(imp, "permit_mx_backup_networks: needs DNS "
		    "MX lookups");
	delay = strcmp(get(&pf, "smtpd_delay_reject"), "no") != 0;
	imp->delay_reject = delay;
	mynetworks(&pf);
	local_domains(&pf);
	for (l = 0; l < PL_NLISTS; l++)
		parse_list(&pf, list_param[l], get(&pf, list_param[l]),
		    &main_set.lists[l]);
	place(&pf, &main_set, delay);
	imp_note(imp, "the MTA must leave the relay decision to relayguard: "
	    "smtpd_relay_restrictions = check_client_access static:OK, "
	    "reject; empty smtpd_client_restrictions, smtpd_helo_"
	    "restrictions, smtpd_sender_restrictions and smtpd_recipient_"
	    "restrictions (and their master.cf -o overrides) but for what "
	    "the notes below keep in the MTA; smtpd_milters, "
	    "milter_default_action = tempfail, milter_protocol = 6");
	/* Service rules first: they end with a permit for their daemon. */
	svc = services(&pf, svcout.s, delay, &nsvc);
	emit_all(&pf, &main_set, svc, nsvc);
	rc = 0;
out:
	free_lists(main_set.lists);
	for (i = 0; i < nsvc; i++)
		free_lists(svc[i].lists);
	free(svc);
	for (i = 0; i < pf.n; i++) {
		free(pf.name[i]);
		free(pf.value[i]);
	}
	free(pf.name);
	free(pf.value);
	for (i = 0; i < pf.nstrings; i++)
		free(pf.strings[i]);
	free(pf.strings);
	strbuf_free(&out);
	strbuf_free(&set);
	strbuf_free(&svcout);
	return (rc);
}
