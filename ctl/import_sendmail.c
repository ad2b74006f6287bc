/*
 * NAME
 *	import_sendmail - translate Sendmail's access database and classes
 * SYNOPSIS
 *	#include "ctl/import_sendmail.h"
 *
 *	int	import_sendmail(struct imp *imp, const char *access,
 *		const char *cw, const char *relay_domains, int blocklist)
 * DESCRIPTION
 *	Reads the text source of Sendmail's access database
 *	(FEATURE(`access_db'), without delay_checks), local-host-names
 *	(class w) and relay-domains (class R), and writes what the cf
 *	rulesets decide with them:
 *
 *	connect	Connect: and untagged entries for the client's host name
 *		and address (address prefixes such as 192.168.1 included):
 *		REJECT, DISCARD and ERROR refuse, OK and RELAY end the
 *		connect checks (a table "connect").
 *	mail	From: and untagged entries for the sender (address,
 *		domain, user@): the same actions (a table "from").
 *	rcpt	To: and untagged entries for the recipient: RELAY
 *		permits, and, when blocklist (FEATURE(`blocklist_recipients')),
 *		refusals (a table "to"); then mail for a domain in
 *		class w or R (R with its subdomains) is accepted, an
 *		authenticated client relays, a client whose Connect: or
 *		untagged entry says RELAY relays (a table "relay-clients"),
 *		a client whose host name is in class R relays; everything
 *		else is refused with "Relaying denied".
 *
 *	The tables' sources are written into the table directory as
 *	NAME.access when the import succeeds.
 * DIAGNOSTICS
 *	Returns 0, or -1 when the access source cannot be read; every
 *	problem is recorded in imp with file and line.
 * BUGS
 *	OK on a To: entry accepts a local recipient that other checks
 *	would refuse; relayguard has no such checks, so it is dropped
 *	with a note. QUARANTINE:, SKIP and tags other than Connect:,
 *	From: and To: are reported untranslatable.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "ctl/import.h"
#include "ctl/import_sendmail.h"
#include "store/store.h"

enum sm_table {
	SM_CONNECT,
	SM_FROM,
	SM_TO,
	SM_RELAY,
	SM_NTABLES,
};

static const char *const sm_names[SM_NTABLES] = {
	"connect", "from", "to", "relay-clients",
};

struct sm {
	struct imp *imp;
	int	blocklist;		/* FEATURE(`blocklist_recipients') */
	const char *file;
	struct strbuf text[SM_NTABLES];
	int	n[SM_NTABLES];
};

/* is_address - a key that names a client address (or a prefix) */
static int
is_address(const char *k)
{
	if (strncasecmp(k, "IPv6:", 5) == 0)
		return (1);
	return (k[0] && strspn(k, "0123456789.") == strlen(k));
}

/*
 * value - the access(5) value for a Sendmail action; NULL when it has
 * none (recorded). relay says what RELAY means here.
 */
static char *
value(struct sm *sm, size_t line, const char *key, const char *v,
	const char *relay)
{
	struct strbuf sb = STRBUF_INIT;
	enum store_action act;
	const char *text;
	char    code[4], xcode[16], err[256];

	if (strcasecmp(v, "OK") == 0)
		return (xstrdup("OK"));
	if (strcasecmp(v, "RELAY") == 0)
		return (xstrdup(relay));
	if (strncasecmp(v, "REJECT", 6) == 0 && v[6] == 0)
		return (xstrdup("REJECT"));
	if (strcasecmp(v, "DISCARD") == 0)
		return (xstrdup("DISCARD"));
	if (strncasecmp(v, "ERROR:", 6) == 0) {
		/* ERROR:"550 text", ERROR:550 text, ERROR:5.7.1:550 text */
		const char *p = v + 6, *q;
		char    xc[16] = "";

		if (*p == '"')
			p++;
		if (isdigit((unsigned char) p[0]) && p[1] == '.' &&
		    (q = strchr(p, ':')) != NULL && (size_t) (q - p) < sizeof(xc)) {
			memcpy(xc, p, (size_t) (q - p));
			xc[q - p] = 0;
			p = q + 1;
		}
		if (!(p[0] == '4' || p[0] == '5') || !isdigit((unsigned char) p[1]) ||
		    !isdigit((unsigned char) p[2])) {
			imp_untranslatable(sm->imp, "%s:%zu: %s %s: no SMTP reply "
			    "code in the ERROR: action", sm->file, line, key, v);
			return (NULL);
		}
		strbuf_append(&sb, p, 3);
		p += 3;
		while (*p == ' ' || *p == ':')
			p++;
		if (xc[0])
			strbuf_printf(&sb, " %s", xc);
		strbuf_printf(&sb, " %s", p);
		if (sb.len && sb.s[sb.len - 1] == '"')
			sb.s[--sb.len] = 0;
		if (store_action_parse(strbuf_str(&sb), &act, code, xcode, &text,
		    err, sizeof(err)) < 0) {
			imp_untranslatable(sm->imp, "%s:%zu: %s %s: %s", sm->file,
			    line, key, v, err);
			strbuf_free(&sb);
			return (NULL);
		}
		return (strbuf_detach(&sb));
	}
	imp_untranslatable(sm->imp, "%s:%zu: %s %s: action not translated "
	    "(OK, RELAY, REJECT, DISCARD and ERROR: are)", sm->file, line,
	    key, v);
	return (NULL);
}

/* add - one entry for a generated table */
static void
add(struct sm *sm, enum sm_table t, const char *key, const char *val)
{
	strbuf_printf(&sm->text[t], "%s\t%s\n", key, val);
	sm->n[t]++;
}

/* entry - one "key value" line of the access source */
static void
entry(struct sm *sm, size_t line, char *key, char *v)
{
	const char *tag = NULL;
	char   *colon, *val, *k;

	if ((colon = strchr(key, ':')) != NULL &&
	    strncasecmp(key, "IPv6:", 5) != 0) {
		*colon = 0;
		tag = key;
		key = colon + 1;
		if (strcasecmp(tag, "Connect") != 0 &&
		    strcasecmp(tag, "From") != 0 && strcasecmp(tag, "To") != 0) {
			imp_untranslatable(sm->imp, "%s:%zu: tag %s: not "
			    "translated (Connect:, From:, To: and untagged "
			    "entries are)", sm->file, line, tag);
			return;
		}
	}
	k = strncasecmp(key, "IPv6:", 5) == 0 ? key + 5 : key;
	if (*k == 0) {
		imp_error(sm->imp, "%s:%zu: empty key", sm->file, line);
		return;
	}
	if (tag == NULL || strcasecmp(tag, "Connect") == 0) {
		if (tag != NULL || is_address(key) || strchr(key, '@') == NULL) {
			if ((val = value(sm, line, key, v, "OK")) != NULL) {
				add(sm, SM_CONNECT, k, val);
				if (strcasecmp(v, "RELAY") == 0)
					add(sm, SM_RELAY, k, "OK");
				free(val);
			}
		}
	}
	if (tag != NULL && strcasecmp(tag, "Connect") == 0)
		return;
	if (is_address(key)) {
		if (tag != NULL)
			imp_untranslatable(sm->imp, "%s:%zu: %s:%s: an address "
			    "in a %s: entry is not translated", sm->file, line,
			    tag, key, tag);
		return;
	}
	if (tag == NULL || strcasecmp(tag, "From") == 0) {
		if ((val = value(sm, line, key, v, "OK")) != NULL) {
			add(sm, SM_FROM, key, val);
			free(val);
		}
	}
	if (tag == NULL || strcasecmp(tag, "To") == 0) {
		if (strcasecmp(v, "OK") == 0) {
			imp_note(sm->imp, "%s:%zu: %s%s%s OK: no relay "
			    "decision; dropped", sm->file, line, tag ? tag : "",
			    tag ? ":" : "", key);
			return;
		}
		if (strcasecmp(v, "RELAY") != 0 && !sm->blocklist) {
			/* Without blocklist_recipients the cf ignores it. */
			if (tag != NULL)
				imp_note(sm->imp, "%s:%zu: %s:%s %s: refusals of "
				    "recipients need FEATURE(`blocklist_"
				    "recipients') (--blocklist-recipients); "
				    "dropped", sm->file, line, tag, key, v);
			return;
		}
		if ((val = value(sm, line, key, v, "OK")) != NULL) {
			add(sm, SM_TO, key, val);
			free(val);
		}
	}
}

/* parse_access - the access source, entry by entry */
static void
parse_access(struct sm *sm, char *text)
{
	size_t  lineno = 0;
	char   *line, *next, *p, *key, *v;

	for (line = text; line && *line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		for (p = line; *p; p++)
			if ((unsigned char) *p < ' ' && *p != '\t' && *p != '\r') {
				imp_error(sm->imp, "%s:%zu: control character",
				    sm->file, lineno);
				return;
			}
		p = line + strspn(line, " \t\r");
		if (*p == 0 || *p == '#')
			continue;
		key = p;
		p += strcspn(p, " \t\r");
		if (*p == 0) {
			imp_error(sm->imp, "%s:%zu: %s: no action", sm->file,
			    lineno, key);
			continue;
		}
		*p++ = 0;
		v = p + strspn(p, " \t");
		p = v + strlen(v);
		while (p > v && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
			*--p = 0;
		if (*v == 0) {
			imp_error(sm->imp, "%s:%zu: %s: no action", sm->file,
			    lineno, key);
			continue;
		}
		entry(sm, lineno, key, v);
	}
}

/* class_items - the names of a class file, one or more per line */
static int
class_items(struct imp *imp, const char *what, const char *path, int sub,
	struct strbuf *items)
{
	char   *text, *line, *next, *p, *w;

	if ((text = imp_read_text(path)) == NULL) {
		imp_error(imp, "%s %s: %s", what, path, strerror(errno));
		return (-1);
	}
	for (line = text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = 0;
		if ((p = strchr(line, '#')) != NULL)
			*p = 0;
		for (p = line; (w = strtok(p, " \t\r")) != NULL; p = NULL) {
			if (items->len)
				strbuf_putc(items, ' ');
			strbuf_puts(items, w);
			if (sub && w[0] != '.' && w[0] != '[')
				strbuf_printf(items, " .%s", w);
		}
	}
	free(text);
	return (0);
}

/* import_sendmail - translate the access source and the classes */
int
import_sendmail(struct imp *imp, const char *access, const char *cw,
	const char *relay_domains, int blocklist)
{
	struct strbuf local = STRBUF_INIT, relay = STRBUF_INIT;
	const char *tname[SM_NTABLES] = {NULL};
	struct sm sm;
	char   *text;
	int     t;

	memset(&sm, 0, sizeof(sm));
	sm.imp = imp;
	sm.file = access;
	sm.blocklist = blocklist;
	if ((text = imp_read_text(access)) == NULL) {
		imp_error(imp, "access source %s: %s", access, strerror(errno));
		return (-1);
	}
	parse_access(&sm, text);
	free(text);
	if (cw)
		class_items(imp, "local-host-names", cw, 0, &local);
	if (relay_domains && class_items(imp, "relay-domains", relay_domains,
	    1, &relay) == 0 && relay.len)
		strbuf_printf(&imp->lists, "list relay-domains { %s }    # "
		    "%s: class R (and subdomains)\n", strbuf_str(&relay),
		    relay_domains);
	if (local.len)
		strbuf_printf(&imp->lists, "list local-host-names { %s }    # "
		    "%s: class w\n", strbuf_str(&local), cw);
	for (t = 0; t < SM_NTABLES; t++) {
		if (sm.n[t])
			tname[t] = imp_gen_table(imp, sm_names[t],
			    strbuf_detach(&sm.text[t]));
		strbuf_free(&sm.text[t]);
	}
	imp_note(imp, "the MTA must leave the relay decision to relayguard: "
	    "FEATURE(`promiscuous_relay') and INPUT_MAIL_FILTER(..., F=T); "
	    "drop FEATURE(`access_db') or keep it for what relayguard does "
	    "not decide");
	imp_note(imp, "class w also holds the host's own names and address "
	    "literals ([192.0.2.1]); add them to <local-host-names> if "
	    "clients use them");
	if (tname[SM_CONNECT]) {
		imp_rule(imp, RULES_CONNECT, "# Connect: and untagged entries "
		    "(host name first, then address)");
		imp_rule(imp, RULES_CONNECT, "check client-name <%s>",
		    tname[SM_CONNECT]);
		imp_rule(imp, RULES_CONNECT, "check client <%s>",
		    tname[SM_CONNECT]);
	}
	if (tname[SM_FROM]) {
		imp_rule(imp, RULES_MAIL, "# From: and untagged entries");
		imp_rule(imp, RULES_MAIL, "check sender <%s>", tname[SM_FROM]);
	}
	if (tname[SM_TO]) {
		imp_rule(imp, RULES_RCPT, "# To: and untagged entries (RELAY "
		    "relays to that destination)");
		imp_rule(imp, RULES_RCPT, "check rcpt <%s>", tname[SM_TO]);
	}
	imp_rule(imp, RULES_RCPT, "# mail for us: class w, class R");
	if (local.len)
		imp_rule(imp, RULES_RCPT, "permit rcpt-domain in "
		    "<local-host-names>");
	if (relay.len)
		imp_rule(imp, RULES_RCPT, "permit rcpt-domain in "
		    "<relay-domains>");
	imp_rule(imp, RULES_RCPT, "permit unqualified");
	imp_rule(imp, RULES_RCPT, "permit auth");
	if (tname[SM_RELAY]) {
		imp_rule(imp, RULES_RCPT, "# clients whose Connect: or "
		    "untagged entry says RELAY");
		imp_rule(imp, RULES_RCPT, "check client-name <%s>",
		    tname[SM_RELAY]);
		imp_rule(imp, RULES_RCPT, "check client <%s>", tname[SM_RELAY]);
	}
	if (relay.len)
		imp_rule(imp, RULES_RCPT, "permit client-name in "
		    "<relay-domains>    # hosts in class R may relay");
	imp_rule(imp, RULES_RCPT, "reject \"550 5.7.1 <%%{rcpt}>... "
	    "Relaying denied\"");
	strbuf_free(&local);
	strbuf_free(&relay);
	return (0);
}
