/*
 * NAME
 *	eval 3
 * SUMMARY
 *	evaluate one SMTP stage against the compiled rules
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	void	rules_evaluate(struct rules_session *s, enum rules_stage stage,
 *		struct rules_result *res, struct rules_trace *trace)
 *	const char *rules_stage_name(enum rules_stage s)
 *	const char *rules_verdict_name(enum rules_verdict v)
 *	const char *rules_name_verified(const struct rules_session *s)
 * DESCRIPTION
 *	rules_evaluate() (for rules_eval(), session.c) runs the block of
 *	a stage top to bottom over the session's facts; the first
 *	rule whose conditions all hold decides (spec section 2.1). A
 *	condition on an absent fact is false and its "not" true. Facts
 *	are derived from the values as set on demand, once per call (or
 *	once per message, for the sender, kept in the session):
 *	domains normalised, recipient and sender through rcpt_parse()
 *	(spec section 3), client-name only when verified.
 *
 *	Session state: an "accept" at connect or helo trusts the rest of
 *	the connection (until the next HELO), at mail the message (until
 *	rules_session_end_message()). With delay-reject, a refusal at
 *	connect, helo or mail is kept and returned at every RCPT; while
 *	one is pending the later non-RCPT stages run no rules.
 *
 *	A failed table lookup makes its rule yield the on-error action
 *	(section 2.3); with on-error accept the stage is permitted, as
 *	by "permit". When {client_resolve} is TEMP and the answer would
 *	be a reject that a rule on client-name could have prevented (a
 *	permit, accept or check on client-name before the deciding rule,
 *	an accept on client-name in an earlier stage, or a "not
 *	client-name" condition in the deciding rule), the answer is a
 *	tempfail instead.
 *
 *	A condition on rcpt or rcpt-domain of a routed recipient is
 *	answered over its readings (routed.c, spec section 3):
 *	eval_cond() says at once whether it holds for a rule that
 *	refuses (some reading matches; with "not", some reading does
 *	not) and for one that permits (every reading matches; with
 *	"not", none does). Uncertain readings satisfy every refusal and
 *	no permit. A check of rcpt or rcpt-domain looks every reading up:
 *	the first reading whose entry refuses decides, and an OK for a
 *	routed recipient counts as DUNNO (spec section 4).
 *
 *	The result's relay flag is set for a permitted recipient (RCPT,
 *	verdict CONTINUE or ACCEPT) unless it is unqualified or the
 *	deciding rule showed it local: a permit with a positive
 *	condition on rcpt, rcpt-domain or rcpt-mailer, or a check of one
 *	of those facts that returned OK.
 *
 *	Reply templates are expanded here: values that come from the
 *	client are sanitised (control characters dropped, bytes above
 *	127 replaced by '?', each value at most 256 bytes); a '%' that
 *	does not start %{macro} is text. The text is not %-escaped: the caller does that
 *	for smfi_setreply().
 * THREADS
 *	A session is used by one thread at a time; any number of
 *	sessions may evaluate the same rules at once.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/domain.h"
#include "common/rcpt.h"
#include "common/xalloc.h"
#include "rules/identity.h"
#include "rules/owner.h"
#include "rules/rules_int.h"

#define VALUE_MAX	256		/* longest client value in a reply */

/* Facts derived from the raw values, on demand. */
struct ctx {
	const struct rules *r;
	enum rules_stage stage;
	struct rules_trace *trace;
	int     have_rcpt, have_readings;
	int     rcpt_dom_ok;
	uint64_t memo_have;		/* bit n: memo_v[n] is known */
	signed char memo_v[RULES_MEMO_MAX];
	int     mv_rcpt_state, mv_sender_state;	/* 0 not yet, 1, -1 absent */
	struct rules_session *s;
	/* The identity (identity.c), derived on first use. */
	int     id_state;		/* 0 not yet, 1, -1 absent, -2 error */
	enum identity_source id_src;
	/* What the deciding ownership condition found, for its reply. */
	enum owner_verdict owner;
	int     owner_fact;
	/* The first warn rule that matched (rules_result). */
	const struct rule *warn_rule;
	enum rules_verdict warn_verdict;
	struct rcpt rcpt;
	const char *rcpt_domp;
	/* Not cleared per call: valid only where the flags above say. */
	struct mbox_val mv_rcpt, mv_sender;
	struct store_error err;
	char    rcpt_base[RCPT_ARG_MAX + 1];
	char    rcpt_dom[DOMAIN_MAX + 1];
	/* A routed rcpt's readings (spec section 3), made on first use. */
	struct readings rd;
	char    id[IDENTITY_MAX];	/* valid when id_state is 1 */
	struct store_error id_err;	/* valid when id_state is -2 */
};

/* rules_stage_name - "connect", ... */
const char *
rules_stage_name(enum rules_stage s)
{
	return ((unsigned) s < RULES_NSTAGES ? rules_stage_names[s] : "?");
}

/* rules_verdict_name - "continue", "accept", ... */
const char *
rules_verdict_name(enum rules_verdict v)
{
	static const char *const names[] = {
		"continue", "accept", "reject", "tempfail", "discard",
	};

	return ((unsigned) v <= RULES_DISCARD ? names[v] : "?");
}

/* FACT - a fact of the evaluated session as set; NULL when absent */
#define FACT(c, id)	((c)->s->v[RULES_FACT_##id])

/* CLIENT - the client address of the evaluated session, or NULL */
#define CLIENT(c)	((c)->s->has_client ? &(c)->s->client : NULL)

static int uses_identity(int);
static const char *get_string(struct ctx *, int);

/*
 * fact_value - a fact as set (the client as text), or derived for the
 * identity; NULL when absent
 */
static const char *
fact_value(struct ctx *c, int fact)
{
	if (uses_identity(fact))
		return (get_string(c, fact));
	if (fact == RULES_FACT_CLIENT)
		return (c->s->has_client ? c->s->client_text : NULL);
	return (c->s->v[fact]);
}

/*
 * rules_name_verified - the client's host name when verified (spec
 * section 2.2): not bracketed, not "unknown", not empty, and
 * {client_resolve} OK when the MTA sent it; else NULL
 */
const char *
rules_name_verified(const struct rules_session *s)
{
	const char *n = s->v[RULES_FACT_CLIENT_NAME];
	const char *res = s->v[RULES_FACT_CLIENT_RESOLVE];

	if (n == NULL || n[0] == '\0' || n[0] == '[' || strcasecmp(n, "unknown") == 0)
		return (NULL);
	if (res != NULL && strcasecmp(res, "OK") != 0)
		return (NULL);
	return (n);
}

/* nonempty - a present, non-empty value */
static const char *
nonempty(const char *s)
{
	return (s != NULL && *s != '\0' ? s : NULL);
}

/*
 * canon_fact - a domain from rcpt_parse(), already normalised: only
 * address literals are rewritten to the form set items use.
 */
static int
canon_fact(const char *d, const char **out, char *buf, size_t len)
{
	if (d == NULL)
		return (0);
	if (d[0] != '[') {
		*out = d;
		return (1);
	}
	if (rules_domain_canon(d, buf, len) < 0)
		return (0);
	*out = buf;
	return (1);
}

/* get_rcpt, get_sender - parse on first use */
static struct rcpt *
get_rcpt(struct ctx *c)
{
	if (FACT(c, RCPT) == NULL || c->stage < RULES_RCPT)
		return (NULL);
	if (!c->have_rcpt) {
		const char *d = c->r->settings.recipient_delimiter;

		rcpt_parse(FACT(c, RCPT), &c->rcpt);
		c->have_rcpt = 1;
		if (rcpt_strip_extension(c->rcpt.local ? c->rcpt.local : "", d,
		    c->rcpt_base, sizeof(c->rcpt_base)) != 1)
			c->rcpt_base[0] = '\0';
		c->rcpt_dom_ok = canon_fact(c->rcpt.rcpt_domain, &c->rcpt_domp,
		    c->rcpt_dom, sizeof(c->rcpt_dom));
	}
	return (&c->rcpt);
}

/* get_readings - a routed rcpt's readings, made on first use */
static const struct readings *
get_readings(struct ctx *c)
{
	struct rcpt *m = get_rcpt(c);

	if (m == NULL)
		return (NULL);
	if (!c->have_readings) {
		readings_build(FACT(c, RCPT), m, &c->rd);
		c->have_readings = 1;
	}
	return (&c->rd);
}

static struct rcpt *
get_sender(struct ctx *c)
{
	struct sender_cache *sc = &c->s->snd;

	if (FACT(c, SENDER) == NULL || c->stage < RULES_MAIL)
		return (NULL);
	if (!sc->have) {
		const char *d = c->r->settings.recipient_delimiter;

		sc->have = 1;
		rcpt_parse(FACT(c, SENDER), &sc->r);
		if (rcpt_strip_extension(sc->r.local ? sc->r.local : "", d,
		    sc->base, sizeof(sc->base)) != 1)
			sc->base[0] = '\0';
		sc->dom_ok = canon_fact(sc->r.rcpt_domain, &sc->domp, sc->dom,
		    sizeof(sc->dom));
	}
	return (&sc->r);
}

/* dom_cached - a domain fact normalised, through the session cache */
static const char *
dom_cached(struct dom_cache *dc, const char *raw)
{
	if (raw == NULL)
		return (NULL);
	if (!dc->have) {
		dc->ok = rules_domain_canon(raw, dc->canon, sizeof(dc->canon)) >= 0;
		dc->have = 1;
	}
	return (dc->ok ? dc->canon : NULL);
}

/* get_domain - a domain fact, normalised; NULL when absent */
static const char *
get_domain(struct ctx *c, int fact)
{
	struct rcpt *m;

	switch (fact) {
	case RULES_FACT_CLIENT_NAME:
		return (dom_cached(&c->s->cn, rules_name_verified(c->s)));
	case RULES_FACT_HELO:
		if (c->stage < RULES_HELO)
			return (NULL);
		return (dom_cached(&c->s->helo, nonempty(FACT(c, HELO))));
	case RULES_FACT_SENDER_DOMAIN:
		if ((m = get_sender(c)) == NULL || m->malformed)
			return (NULL);
		return (c->s->snd.dom_ok ? c->s->snd.domp : NULL);
	case RULES_FACT_RCPT_DOMAIN:
		if ((m = get_rcpt(c)) == NULL || m->malformed)
			return (NULL);
		return (c->rcpt_dom_ok ? c->rcpt_domp : NULL);
	}
	return (NULL);
}

/* get_mailbox - sender or rcpt as a mailbox; NULL when absent */
static const struct mbox_val *
get_mailbox(struct ctx *c, int fact)
{
	struct mbox_val *mv;
	struct rcpt *m;
	int     snd = fact == RULES_FACT_SENDER;
	int    *state = snd ? &c->mv_sender_state : &c->mv_rcpt_state;

	if (*state)
		return (*state > 0 ? (snd ? &c->mv_sender : &c->mv_rcpt) : NULL);
	*state = -1;
	m = snd ? get_sender(c) : get_rcpt(c);
	if (m == NULL || m->malformed)
		return (NULL);
	mv = snd ? &c->mv_sender : &c->mv_rcpt;
	mv->null = 0;
	mv->local = mv->local_base = mv->domain = NULL;
	if (m->null_sender) {
		mv->null = 1;
		mv->text = "<>";
		*state = 1;
		return (mv);
	}
	if (m->local == NULL || m->local[0] == '\0')
		return (NULL);
	mv->local = m->local;
	mv->local_base = snd ? (c->s->snd.base[0] ? c->s->snd.base : NULL) :
	    (c->rcpt_base[0] ? c->rcpt_base : NULL);
	mv->domain = snd ? (c->s->snd.dom_ok ? c->s->snd.domp : NULL) :
	    (c->rcpt_dom_ok ? c->rcpt_domp : NULL);
	mv->text = m->mailbox;
	mbox_prepare(mv);
	*state = 1;
	return (mv);
}

/*
 * session_identity - the identity of a session from what stage may
 * know (identity_derive()): 1, 0 absent, -1 a grant lookup failed
 */
static int
session_identity(const struct rules_session *s, enum rules_stage stage,
	char *out, size_t outlen, enum identity_source *src,
	struct store_error *err)
{
	const char *verify = rules_session_get(s, RULES_FACT_VERIFY);
	struct identity_in in;

	memset(&in, 0, sizeof(in));
	if (stage >= RULES_MAIL)
		in.auth = rules_session_get(s, RULES_FACT_AUTH);
	if (stage >= RULES_HELO && (verify == NULL ||
	    strcasecmp(verify, "OK") == 0))
		in.cert_subject = rules_session_get(s, RULES_FACT_CERT_SUBJECT);
	if (stage >= RULES_HELO && (verify == NULL ||
	    strcasecmp(verify, "OK") == 0))
		in.cert_fp = rules_session_get(s, RULES_FACT_CERT_FINGERPRINT);
	if (s->r->cert_map != NULL) {
		in.cert_mapped = 1;
		in.cert_map = s->r->cert_map->store;
	}
	in.client = rules_session_client(s);
	in.grants = s->r->grants;
	in.ngrants = s->r->ngrants;
	in.now = time(NULL);
	return (identity_derive(&in, out, outlen, src, err));
}

/* rules_identity - the identity of a session at a stage (rules.h) */
int
rules_identity(const struct rules_session *s, enum rules_stage stage,
	char *out, size_t outlen, const char **source)
{
	enum identity_source src;
	struct store_error err;
	int     rc = session_identity(s, stage, out, outlen, &src, &err);

	*source = rc > 0 ? identity_source_name(src) : NULL;
	return (rc);
}

/*
 * get_identity - derive the identity once per evaluation, from what
 * this stage may know: 1 (c->id, c->id_src), 0 absent, -1 a grant
 * lookup failed (c->err).
 */
static int
get_identity(struct ctx *c)
{
	int     rc;

	if (c->id_state == 0) {
		rc = session_identity(c->s, c->stage, c->id, sizeof(c->id),
		    &c->id_src, &c->id_err);
		c->id_state = rc > 0 ? 1 : rc == 0 ? -1 : -2;
	}
	if (c->id_state == -2) {
		c->err = c->id_err;
		return (-1);
	}
	return (c->id_state > 0);
}

/* uses_identity - does fact need the identity derived? */
static int
uses_identity(int fact)
{
	return (fact == RULES_FACT_IDENTITY ||
	    fact == RULES_FACT_IDENTITY_SOURCE);
}

/* get_string - a string fact (its value as set); NULL when absent */
static const char *
get_string(struct ctx *c, int fact)
{
	if (rules_facts_tab[fact].stage > c->stage)
		return (NULL);
	if (uses_identity(fact))
		return (get_identity(c) <= 0 ? NULL :
		    fact == RULES_FACT_IDENTITY ? c->id :
		    identity_source_name(c->id_src));
	return (nonempty(c->s->v[fact]));
}

/* get_flag - 1 or 0 */
static int
get_flag(struct ctx *c, int flag)
{
	struct rcpt *m;

	if (rules_flags_tab[flag].stage > c->stage)
		return (0);
	switch (flag) {
	case FLAG_AUTH:
		return (nonempty(FACT(c, AUTH)) != NULL);
	case FLAG_TLS:
		return (nonempty(FACT(c, TLS_VERSION)) != NULL);
	case FLAG_TLS_VERIFIED:
		if (FACT(c, VERIFY) != NULL)
			return (strcasecmp(FACT(c, VERIFY), "OK") == 0);
		return (nonempty(FACT(c, CERT_SUBJECT)) != NULL);
	case FLAG_ROUTED:
		return ((m = get_rcpt(c)) != NULL && m->routed);
	case FLAG_UNQUALIFIED:
		return ((m = get_rcpt(c)) != NULL && m->unqualified);
	}
	return (0);
}

/* sanitise - append a client value: no control bytes, bounded */
static void
sanitise(struct strbuf *sb, const char *v, size_t max)
{
	size_t  n = 0;

	for (; *v && n < max; v++, n++) {
		unsigned char ch = (unsigned char) *v;

		if (ch < ' ' || ch == 0x7f)
			continue;
		strbuf_putc(sb, ch >= 0x80 ? '?' : ch);
	}
	if (*v)
		strbuf_puts(sb, "...");
}

/* strip_angles - "<a@b>" -> "a@b" into buf */
static const char *
strip_angles(const char *v, char *buf, size_t len)
{
	size_t  n;

	if (v == NULL)
		return ("");
	n = strlen(v);
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		n -= 2;
		if (n >= len)
			n = len - 1;
		memcpy(buf, v + 1, n);
		buf[n] = '\0';
		return (buf);
	}
	return (v);
}

/* fact_text - a fact's value for traces; "" when absent */
static void
fact_text(struct ctx *c, int fact, char *buf, size_t len)
{
	const struct addr *a;
	const char *s = NULL;
	const struct mbox_val *mv;
	struct strbuf sb = STRBUF_INIT;

	switch (rules_facts_tab[fact].type) {
	case ITEM_ADDRESS:
		if ((a = CLIENT(c)) != NULL &&
		    len >= ADDR_STRLEN) {
			addr_format(a, buf, len);
			return;
		}
		break;
	case ITEM_DOMAIN:
		s = get_domain(c, fact);
		break;
	case ITEM_MAILBOX:
		if ((mv = get_mailbox(c, fact)) != NULL)
			s = mv->text;
		break;
	case ITEM_STRING:
		s = get_string(c, fact);
		break;
	default:
		break;
	}
	if (s == NULL) {
		snprintf(buf, len, "absent");
		return;
	}
	sanitise(&sb, s, 100);
	snprintf(buf, len, "%s", strbuf_str(&sb));
	strbuf_free(&sb);
}

/* copy - bounded string copy that always terminates */
static void
copy(char *dst, size_t len, const char *src)
{
	size_t  n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A reply being written: out[0..len), at most cap bytes and a NUL. */
struct text {
	char   *out;
	size_t  len, cap;
};

/* put_clean - append a value: no control bytes, at most max of it */
static void
put_clean(struct text *t, const char *v, size_t max)
{
	size_t  n = 0;

	for (; *v && n < max && t->len < t->cap; v++, n++) {
		unsigned char ch = (unsigned char) *v;

		if (ch < ' ' || ch == 0x7f)
			continue;
		t->out[t->len++] = (char) (ch >= 0x80 ? '?' : ch);
	}
	if (*v && n >= max)
		for (v = "..."; *v && t->len < t->cap; v++)
			t->out[t->len++] = *v;
	t->out[t->len] = '\0';
}

/* expand - a reply template with %{macros} into out */
static void
expand(struct ctx *c, const char *tp, const char *where, char *out,
	size_t outlen)
{
	struct text t = {out, 0, outlen - 1};
	char    buf[RCPT_ARG_MAX + 1];
	const struct reply_macro *m;
	const char *e, *v, *lit;
	size_t  n;

	out[0] = '\0';
	while (*tp) {
		/* Template text is checked at load: copy it up to a macro. */
		for (lit = tp; *tp && !(tp[0] == '%' && tp[1] == '{' &&
		    strchr(tp, '}') != NULL); tp++)
			 /* void */ ;
		n = (size_t) (tp - lit);
		if (n > t.cap - t.len)
			n = t.cap - t.len;
		memcpy(t.out + t.len, lit, n);
		t.len += n;
		t.out[t.len] = '\0';
		if (*tp == '\0')
			break;
		e = strchr(tp, '}');
		n = (size_t) (e - tp - 2);
		v = "";
		m = rules_reply_macro(tp + 2, n);	/* checked at load */
		if (m == NULL)
			v = "";
		else if (m->fact == REPLY_MACRO_RULE)
			v = where;
		else if ((v = fact_value(c, m->fact)) == NULL ||
		    *v == '\0')
			v = m->absent;
		else if (rules_facts_tab[m->fact].type == ITEM_MAILBOX)
			v = strip_angles(v, buf, sizeof(buf));
		put_clean(&t, v, VALUE_MAX);
		tp = e + 1;
	}
}

/* set_default_reply - the stage default for a verdict */
static void
set_default_reply(struct decision *d, enum rules_stage stage)
{
	if (d->verdict == RULES_TEMPFAIL) {
		snprintf(d->code, sizeof(d->code), "451");
		snprintf(d->xcode, sizeof(d->xcode), "4.7.1");
		snprintf(d->tmpl, sizeof(d->tmpl), "Try again later");
	} else if (d->verdict == RULES_REJECT) {
		snprintf(d->code, sizeof(d->code), "554");
		snprintf(d->xcode, sizeof(d->xcode), "5.7.1");
		snprintf(d->tmpl, sizeof(d->tmpl), "%s", stage == RULES_RCPT ?
		    "<%{rcpt}>: Relay access denied" : "Access denied");
	} else {
		d->code[0] = d->xcode[0] = d->tmpl[0] = '\0';
	}
	d->is_tmpl = 1;
}

/* on_error - the decision for a failed lookup */
static void
on_error(struct ctx *c, const struct rule *rule, struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->set = 1;
	d->rule = rule;
	d->lookup_error = 1;
	snprintf(d->error, sizeof(d->error), "%s", c->err.msg);
	d->error_first = c->err.first;
	switch (c->r->settings.on_error) {
	case RULES_ON_ERROR_ACCEPT:
		d->verdict = RULES_CONTINUE;
		break;
	case RULES_ON_ERROR_REJECT:
		d->verdict = RULES_REJECT;
		set_default_reply(d, rule->stage);
		break;
	default:
		d->verdict = RULES_TEMPFAIL;
		snprintf(d->code, sizeof(d->code), "451");
		snprintf(d->xcode, sizeof(d->xcode), "4.3.0");
		snprintf(d->tmpl, sizeof(d->tmpl), "Temporary lookup failure");
		d->is_tmpl = 0;
		break;
	}
}

/*
 * table_lookup - a fact in a table: 1 found (value in val), 0 not
 * found or fact absent (*absent set), -1 error (c->err).
 */
static int
table_lookup(struct ctx *c, const struct table *t, int fact, char *val,
	size_t vallen, char *matched, size_t mlen, int *absent)
{
	const struct fact_def *fd = &rules_facts_tab[fact];
	const char *key = NULL;
	const struct mbox_val *mv;
	const struct addr *a;

	*absent = 0;
	memset(&c->err, 0, sizeof(c->err));
	if (t->store == NULL) {
		snprintf(c->err.msg, sizeof(c->err.msg), "table %s is not open",
		    t->name);
		return (-1);
	}
	if (fd->type == ITEM_ADDRESS) {
		if ((a = CLIENT(c)) == NULL) {
			*absent = 1;
			return (0);
		}
		if (t->dynamic)
			return (store_grant_match(t->store, a, time(NULL),
			    &c->err));
		return (store_lookup_addr(t->store, a, val, vallen,
		    matched, mlen, &c->err));
	}
	switch (fd->type) {
	case ITEM_DOMAIN:
		key = get_domain(c, fact);
		break;
	case ITEM_MAILBOX:
		if ((mv = get_mailbox(c, fact)) != NULL)
			key = mv->text;
		break;
	default:
		key = get_string(c, fact);
		break;
	}
	if (key == NULL || *key == '\0') {
		*absent = 1;
		return (0);
	}
	return (store_lookup(t->store, fd->sfact, key,
	    c->r->settings.recipient_delimiter, val, vallen, matched, mlen,
	    &c->err));
}

/* is_routed_rcpt - a fact with readings: rcpt or rcpt-domain, routed */
static int
is_routed_rcpt(struct ctx *c, int fact)
{
	struct rcpt *m;

	return ((fact == RULES_FACT_RCPT || fact == RULES_FACT_RCPT_DOMAIN) &&
	    (m = get_rcpt(c)) != NULL && m->routed);
}

/*
 * reading_lookup - one reading of a routed rcpt in a table, in the
 * lookup order of the fact (a source-route hop by its domain):
 * 1 found (val, matched), 0 not, -1 error (c->err)
 */
static int
reading_lookup(struct ctx *c, const struct table *t, int fact,
	const struct reading *r, char *val, size_t vallen, char *matched,
	size_t mlen)
{
	char    key[RCPT_MAX_BOX];

	memset(&c->err, 0, sizeof(c->err));
	if (t->store == NULL) {
		snprintf(c->err.msg, sizeof(c->err.msg), "table %s is not open",
		    t->name);
		return (-1);
	}
	if (fact == RULES_FACT_RCPT_DOMAIN || r->hop) {
		if (r->domain == NULL)
			return (0);
		return (store_lookup(t->store, STORE_DOMAIN, r->domain, NULL,
		    val, vallen, matched, mlen, &c->err));
	}
	if (r->domain != NULL)
		snprintf(key, sizeof(key), "%s@%s", r->local, r->domain);
	else
		snprintf(key, sizeof(key), "%s", r->local);
	return (store_lookup(t->store, STORE_MAILBOX, key,
	    c->r->settings.recipient_delimiter, val, vallen, matched, mlen,
	    &c->err));
}

/* reading_in_set - one reading of a routed rcpt in a set: 1, 0 or
 * SET_UNCERTAIN */
static int
reading_in_set(struct ctx *c, int fact, const struct set *set,
	const struct reading *r)
{
	struct mbox_val mv;
	char    base[RCPT_ARG_MAX + 1];
	char    text[RCPT_MAX_BOX];

	if (fact == RULES_FACT_RCPT_DOMAIN)
		return (r->domain != NULL ? set_match_domain(set, r->domain) : 0);
	memset(&mv, 0, offsetof(struct mbox_val, full));
	mv.local = r->local;
	if (rcpt_strip_extension(r->local, c->r->settings.recipient_delimiter,
	    base, sizeof(base)) == 1)
		mv.local_base = base;
	mv.domain = r->domain;
	if (r->domain != NULL)
		snprintf(text, sizeof(text), "%s@%s", r->local, r->domain);
	else
		snprintf(text, sizeof(text), "%s", r->local);
	mv.text = text;
	mbox_prepare(&mv);
	return (set_match_mailbox(set, &mv));
}

/*
 * routed_cond - a condition on a routed rcpt over its readings. Sets
 * *any (some reading matches) and *all (every reading does); an
 * uncertain address has a reading that may match anything or nothing,
 * so *any is 1 and *all 0. Returns 0, or -1 when a lookup failed.
 */
static int
routed_cond(struct ctx *c, const struct cond *cd, int *any, int *all)
{
	const struct readings *rd = get_readings(c);
	char    val[STORE_VALUE_MAX];
	size_t  i;
	int     v;

	*any = rd->uncertain;
	*all = !rd->uncertain && rd->n > 0;
	for (i = 0; i < rd->n; i++) {
		if (cd->kind == COND_TABLE) {
			v = reading_lookup(c, cd->table, cd->id, &rd->r[i], val,
			    sizeof(val), NULL, 0);
			if (v < 0)
				return (-1);
		} else
			v = reading_in_set(c, cd->id, cd->set, &rd->r[i]);
		*any |= v != 0;
		*all &= v == 1;
	}
	return (0);
}

/*
 * What a condition's answer means depends on the rule (spec section 3):
 * a rule that refuses needs it to hold for some reading of a routed
 * recipient, one that permits for every reading. eval_cond() answers
 * both at once.
 */
#define HOLD_REFUSE	1		/* holds in a reject, tempfail, discard */
#define HOLD_PERMIT	2		/* holds in a permit or accept */

/* owner_lookup - one key of a login map (owner.c's callback) */
static int
owner_lookup(void *arg, const char *key, char *val, size_t vallen,
	char *err, size_t errlen)
{
	struct ctx *c = ((void **) arg)[0];
	const struct table *t = ((void **) arg)[1];
	int     rc;

	if (t->store == NULL) {
		snprintf(err, errlen, "table %s is not open", t->name);
		return (-1);
	}
	rc = store_lookup(t->store, STORE_EXACT, key, NULL, val, vallen, NULL,
	    0, &c->err);
	if (rc < 0)
		snprintf(err, errlen, "%s", c->err.msg);
	return (rc);
}

/*
 * eval_owner - "[MODE] sender not owned-by FACT in <logins>": 1 the
 * sender is refused (c->owner says why), 0 not, -1 lookup error.
 */
static int
eval_owner(struct ctx *c, const struct cond *cd)
{
	const void *arg[2] = {c, cd->table};
	struct owner_map m;
	const char *who, *sender;
	char    err[sizeof(c->err.msg)];
	enum owner_verdict v;

	sender = rules_session_get(c->s, RULES_FACT_SENDER);
	if (c->stage < RULES_MAIL || sender == NULL)
		return (0);
	if (uses_identity(cd->id) && get_identity(c) < 0)
		return (-1);
	who = get_string(c, cd->id);
	m.lookup = owner_lookup;
	m.is_local = NULL;
	m.delims = c->r->settings.recipient_delimiter;
	m.arg = (void *) (uintptr_t) arg;
	memset(&c->err, 0, sizeof(c->err));
	v = owner_check((enum owner_mode) cd->mode, sender, who, &m,
	    NULL, 0, err, sizeof(err));
	if (v == OWNER_ERROR) {
		snprintf(c->err.msg, sizeof(c->err.msg), "%s", err);
		return (-1);
	}
	if (v == OWNER_PASS)
		return (0);
	c->owner = v;
	c->owner_fact = cd->id;
	return (1);
}

/* eval_blocked - "FACT blocked": 1 blocked, 0 not (or absent), -1 error */
static int
eval_blocked(struct ctx *c, const struct cond *cd)
{
	const char *who;

	if (uses_identity(cd->id) && get_identity(c) < 0)
		return (-1);
	if ((who = get_string(c, cd->id)) == NULL)
		return (0);
	memset(&c->err, 0, sizeof(c->err));
	if (c->r->block_store == NULL) {
		snprintf(c->err.msg, sizeof(c->err.msg), "%s: the blocks "
		    "table cannot be opened", c->r->settings.blocks);
		return (-1);
	}
	return (store_block_find(c->r->block_store, who, time(NULL), NULL,
	    &c->err));
}

/* eval_cond - HOLD_REFUSE | HOLD_PERMIT bits, or -1 lookup error */
static int
eval_cond(struct ctx *c, const struct cond *cd)
{
	const struct fact_def *fd;
	const struct mbox_val *mv;
	const char *s;
	char    val[STORE_VALUE_MAX];
	int     v = 0, absent, any, all;

	if (cd->kind == COND_FLAG) {
		v = get_flag(c, cd->id);
		return ((cd->neg ? !v : v) ? HOLD_REFUSE | HOLD_PERMIT : 0);
	}
	if (cd->kind == COND_OWNER || cd->kind == COND_BLOCKED) {
		v = cd->kind == COND_OWNER ? eval_owner(c, cd) :
		    eval_blocked(c, cd);
		if (v < 0)
			return (-1);
		return ((cd->neg ? !v : v) ? HOLD_REFUSE | HOLD_PERMIT : 0);
	}
	/* An identity that cannot be known is an error, not an absence. */
	if (uses_identity(cd->id) && get_identity(c) < 0)
		return (-1);
	if (cd->memo >= 0 && (c->memo_have & ((uint64_t) 1 << cd->memo))) {
		v = c->memo_v[cd->memo];
		if (v < 0)
			return (-1);
		any = v & 1;
		all = (v >> 1) & 1;
		goto out;
	}
	if (is_routed_rcpt(c, cd->id)) {
		v = routed_cond(c, cd, &any, &all);
		goto done;
	}
	if (cd->kind == COND_TABLE) {
		v = table_lookup(c, cd->table, cd->id, val, sizeof(val), NULL, 0,
		    &absent);
		any = all = v > 0;
		goto done;
	}
	fd = &rules_facts_tab[cd->id];
	if (cd->set == NULL)
		return (0);		/* cannot happen after a good load */
	switch (fd->type) {
	case ITEM_ADDRESS:
		v = CLIENT(c) != NULL &&
		    set_match_addr(cd->set, CLIENT(c));
		break;
	case ITEM_DOMAIN:
		v = (s = get_domain(c, cd->id)) != NULL ?
		    set_match_domain(cd->set, s) : 0;
		break;
	case ITEM_MAILBOX:
		v = (mv = get_mailbox(c, cd->id)) != NULL ?
		    set_match_mailbox(cd->set, mv) : 0;
		break;
	case ITEM_STRING:
		v = (s = get_string(c, cd->id)) != NULL ?
		    set_match_string(cd->set, s) : 0;
		break;
	default:
		break;
	}
	/* A text too long for a regex: cannot tell, refusals hold. */
	any = v != 0;
	all = v == 1;
	v = 0;
done:
	if (cd->memo >= 0) {
		c->memo_have |= (uint64_t) 1 << cd->memo;
		c->memo_v[cd->memo] = (signed char) (v < 0 ? -1 :
		    any | all << 1);
	}
	if (v < 0)
		return (-1);
out:
	/* "not" flips which side is safe: not C refuses unless C is sure. */
	if (cd->neg)
		return ((!all ? HOLD_REFUSE : 0) | (!any ? HOLD_PERMIT : 0));
	return ((any ? HOLD_REFUSE : 0) | (all ? HOLD_PERMIT : 0));
}

/* count - bump a rule's statistics */
static void
count(const struct rule *rule, enum rules_stat_verdict st)
{
	struct rule *r = (struct rule *) (uintptr_t) rule;

	/* A warn rule decides nothing: it counts what it would have done. */
	if (rule->warn) {
		atomic_fetch_add_explicit(&r->warned[st], 1,
		    memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&r->matched, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->stats[st], 1, memory_order_relaxed);
}

/*
 * owner_reply - Postfix's reply for a sender login mismatch, the
 * default of a refusing rule whose ownership condition held.
 */
static void
owner_reply(struct ctx *c, struct decision *d)
{
	if (d->verdict == RULES_REJECT)
		snprintf(d->code, sizeof(d->code), "553");
	snprintf(d->tmpl, sizeof(d->tmpl), c->owner == OWNER_NOT_LOGGED_IN ?
	    "<%%{sender}>: Sender address rejected: not logged in" :
	    "<%%{sender}>: Sender address rejected: not owned by user %%{%s}",
	    c->owner_fact == RULES_FACT_AUTH ? "auth" : "identity");
}

/* refuses_blocked - does rule hold on "FACT blocked" (not negated)? */
static int
refuses_blocked(const struct rule *rule)
{
	size_t  j;

	for (j = 0; j < rule->nconds; j++)
		if (rule->conds[j].kind == COND_BLOCKED && !rule->conds[j].neg)
			return (1);
	return (0);
}

/* blocked_reply - the default reply of a rule on a blocked identity */
static void
blocked_reply(const struct rule *rule, struct decision *d)
{
	size_t  j;

	for (j = 0; j < rule->nconds; j++)
		if (rule->conds[j].kind == COND_BLOCKED && !rule->conds[j].neg) {
			snprintf(d->tmpl, sizeof(d->tmpl), "%%{%s}: account "
			    "blocked; contact your postmaster",
			    rule->conds[j].id == RULES_FACT_AUTH ? "auth" :
			    "identity");
			return;
		}
}

/*
 * warned - a warn rule would have decided d: note it (the first one
 * goes into the result, for the daemon's log) and let the next rule
 * run. Returns 1 when the rule was a warn rule.
 */
static int
warned(struct ctx *c, const struct rule *rule, struct decision *d)
{
	if (!rule->warn)
		return (0);
	if (c->warn_rule == NULL) {
		c->warn_rule = rule;
		c->warn_verdict = d->verdict;
	}
	if (c->trace)
		trace_add(c->trace, c->stage, rule->where, rule->text,
		    RULES_TRACE_NOTE,
		    "warn: would %s%s; nothing done", d->verdict ==
		    RULES_CONTINUE ? "permit" : rules_verdict_name(d->verdict),
		    d->lookup_error ? " (lookup error)" : "");
	memset(d, 0, sizeof(*d));
	d->verdict = RULES_CONTINUE;
	return (1);
}

/* readings_text - a routed rcpt's readings, for traces */
static void
readings_text(struct ctx *c, char *buf, size_t len)
{
	const struct readings *rd = get_readings(c);
	struct strbuf sb = STRBUF_INIT;
	size_t  i;

	for (i = 0; i < rd->n; i++) {
		const struct reading *r = &rd->r[i];

		if (i > 0)
			strbuf_puts(&sb, ", ");
		if (r->hop)
			strbuf_printf(&sb, "@%s:", r->domain);
		else if (r->domain != NULL)
			strbuf_printf(&sb, "%s@%s", r->local, r->domain);
		else
			strbuf_puts(&sb, r->local);
	}
	if (rd->uncertain)
		strbuf_puts(&sb, rd->n ? ", and one that cannot be known" :
		    "none that can be known (malformed)");
	buf[0] = '\0';
	if (len > 0) {
		struct strbuf clean = STRBUF_INIT;

		sanitise(&clean, strbuf_str(&sb), len > 4 ? len - 4 : 0);
		snprintf(buf, len, "%s", strbuf_str(&clean));
		strbuf_free(&clean);
	}
	strbuf_free(&sb);
}

/* rule_refuses - a reject, tempfail or discard */
static int
rule_refuses(const struct rule *rule)
{
	return (rule->action == ACT_REJECT || rule->action == ACT_TEMPFAIL ||
	    rule->action == ACT_DISCARD);
}

/* cond_failed - why a condition did not hold, for traces */
static void
cond_failed(struct ctx *c, const struct rule *rule, const struct cond *cd)
{
	char    val[200], rds[400];

	if (c->trace == NULL)
		return;
	if (cd->kind != COND_FLAG && is_routed_rcpt(c, cd->id)) {
		readings_text(c, rds, sizeof(rds));
		trace_add(c->trace, c->stage, rule->where, rule->text,
		    RULES_TRACE_NO_MATCH, "\"%s\" is false (rcpt is routed; readings: %s; "
		    "in a rule that %s it must hold for %s reading)", cd->text,
		    rds, rule->action == ACT_CHECK ? "may refuse" :
		    rule_refuses(rule) ? "refuses" : "permits",
		    rule->action == ACT_CHECK || rule_refuses(rule) ? "some" :
		    "every");
		return;
	}
	if (cd->kind == COND_FLAG)
		snprintf(val, sizeof(val), "%s", get_flag(c, cd->id) ? "yes" : "no");
	else
		fact_text(c, cd->id, val, sizeof(val));
	trace_add(c->trace, c->stage, rule->where, rule->text, RULES_TRACE_NO_MATCH,
	    "\"%s\" is false (%s: %s)", cd->text,
	    cd->kind == COND_FLAG ? rules_flags_tab[cd->id].name :
	    rules_facts_tab[cd->id].name, val);
}

/*
 * check_lookup - the check of a routed rcpt, reading by reading (spec
 * section 3): the first reading the table refuses decides; an OK
 * counts as DUNNO for a routed recipient (section 4), so nothing else
 * does. Readings that cannot be known are not looked up. Returns 1
 * found (val, matched: the deciding entry), 0 no refusal, -1 error.
 */
static int
check_lookup(struct ctx *c, const struct rule *rule, char *val,
	size_t vallen, char *matched, size_t mlen)
{
	const struct readings *rd = get_readings(c);
	enum store_action act;
	const char *text;
	char    code[4], xcode[16], err[200];
	size_t  i;
	int     rc;

	for (i = 0; i < rd->n; i++) {
		rc = reading_lookup(c, rule->check_table, rule->check_fact,
		    &rd->r[i], val, vallen, matched, mlen);
		if (rc != 1) {
			if (rc < 0)
				return (-1);
			continue;
		}
		if (store_action_parse(val, &act, code, xcode, &text, err,
		    sizeof(err)) < 0 || (act != STORE_DUNNO && act != STORE_OK))
			return (1);	/* a refusal, or a bad value: on-error */
	}
	return (0);
}

/* do_check - a check rule: 1 decided (d filled), 0 go on */
static int
do_check(struct ctx *c, const struct rule *rule, struct decision *d,
	int permit_ok)
{
	enum store_action act;
	const char *text = "";
	char    val[STORE_VALUE_MAX], matched[STORE_KEY_MAX];
	char    code[4] = "", xcode[16] = "", err[200], rds[400];
	int     rc, absent = 0, routed;

	matched[0] = '\0';
	if (uses_identity(rule->check_fact) && get_identity(c) < 0) {
		if (c->trace)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_ERROR, "identity: lookup failed: %s",
			    c->err.msg);
		on_error(c, rule, d);
		return (1);
	}
	if ((routed = is_routed_rcpt(c, rule->check_fact)) != 0)
		rc = check_lookup(c, rule, val, sizeof(val), matched,
		    sizeof(matched));
	else
		rc = table_lookup(c, rule->check_table, rule->check_fact, val,
		    sizeof(val), matched, sizeof(matched), &absent);
	if (rc < 0) {
		if (c->trace)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_ERROR, "lookup failed: %s", c->err.msg);
		on_error(c, rule, d);
		return (1);
	}
	if (rc == 0) {
		if (c->trace && routed) {
			readings_text(c, rds, sizeof(rds));
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_DUNNO, "%s is routed; no reading is refused by "
			    "the table (readings: %s)",
			    rules_facts_tab[rule->check_fact].name, rds);
		} else if (c->trace)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_DUNNO, absent ? "%s is absent" : "%s not found",
			    rules_facts_tab[rule->check_fact].name);
		return (0);
	}
	if (store_action_parse(val, &act, code, xcode, &text, err,
	    sizeof(err)) < 0) {
		snprintf(c->err.msg, sizeof(c->err.msg), "table %.60s: bad "
		    "value for %.60s: %.100s", rule->check_table->name, matched,
		    err);
		c->err.first = 0;
		if (c->trace)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_ERROR, "%s", c->err.msg);
		on_error(c, rule, d);
		return (1);
	}
	if (act == STORE_DUNNO || (act == STORE_OK && c->stage == RULES_RCPT &&
	    get_rcpt(c) != NULL && get_rcpt(c)->routed) ||
	    (act == STORE_OK && !permit_ok)) {
		if (c->trace)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_DUNNO, "%s -> %s%s", matched, val,
			    act != STORE_OK ? "" : !permit_ok ? " (the rule's "
			    "conditions hold only for a refusal: a routed "
			    "recipient's readings do not all satisfy them)" :
			    " (an OK for a routed recipient counts as DUNNO)");
		return (0);
	}
	memset(d, 0, sizeof(*d));
	d->set = 1;
	d->rule = rule;
	switch (act) {
	case STORE_OK:
		d->verdict = RULES_CONTINUE;
		d->shows_local = rule->shows_local;
		break;
	case STORE_REJECT:
		d->verdict = RULES_REJECT;
		break;
	case STORE_TEMPFAIL:
		d->verdict = RULES_TEMPFAIL;
		break;
	default:
		d->verdict = RULES_DISCARD;
		break;
	}
	set_default_reply(d, c->stage);
	if (d->verdict == RULES_REJECT || d->verdict == RULES_TEMPFAIL) {
		char    cls = d->verdict == RULES_REJECT ? '5' : '4';

		if (code[0] == cls)
			snprintf(d->code, sizeof(d->code), "%s", code);
		if (xcode[0] == cls)
			snprintf(d->xcode, sizeof(d->xcode), "%s", xcode);
		if (*text) {
			snprintf(d->tmpl, sizeof(d->tmpl), "%s", text);
			d->is_tmpl = 0;
		}
	}
	if (c->trace && routed) {
		readings_text(c, rds, sizeof(rds));
		trace_add(c->trace, c->stage, rule->where, rule->text, RULES_TRACE_MATCH,
		    "%s -> %s (%s is routed: a refusal of any reading decides; "
		    "readings: %s)", matched, val,
		    rules_facts_tab[rule->check_fact].name, rds);
	} else if (c->trace)
		trace_add(c->trace, c->stage, rule->where, rule->text, RULES_TRACE_MATCH,
		    "%s -> %s", matched, val);
	return (1);
}

/* reads_routed - does a rule look at the readings of a routed rcpt? */
static int
reads_routed(struct ctx *c, const struct rule *rule)
{
	size_t  j;

	for (j = 0; j < rule->nconds; j++)
		if (rule->conds[j].kind != COND_FLAG &&
		    is_routed_rcpt(c, rule->conds[j].id))
			return (1);
	return (0);
}

/*
 * counted - the counting part of a rule whose conditions hold: a rate
 * limit or a networks count. 1 the rule decides (over; also for a
 * rule with neither), 0 it does not, -1 error (c->err).
 */
static int
counted(struct ctx *c, const struct rule *rule)
{
	if (rule->limit != NULL)
		return (limit_rule_check(c->s, rule, c->trace, c->err.msg,
		    sizeof(c->err.msg)));
	if (rule->spread != NULL)
		return (spread_rule_check(c->s, rule, c->trace, c->err.msg,
		    sizeof(c->err.msg)));
	return (1);
}

/* run_block - the first matching rule of the stage's block decides */
static void
run_block(struct ctx *c, struct decision *d)
{
	const struct block *b = &c->r->blocks[c->stage];
	const struct rule *rule;
	char    rds[400];
	size_t  i, j;
	int     v, hold, need;

	memset(d, 0, sizeof(*d));
	d->verdict = RULES_CONTINUE;
	for (i = 0; i < b->nrules; i++) {
		rule = b->rules[i];
		/*
		 * A check may refuse or permit: should it ever take
		 * conditions, the refusal side lets it look the table up
		 * and only the permit side lets an OK decide (do_check).
		 */
		need = rule->action == ACT_CHECK || rule_refuses(rule) ?
		    HOLD_REFUSE : HOLD_PERMIT;
		c->owner = OWNER_PASS;
		hold = HOLD_REFUSE | HOLD_PERMIT;
		for (j = 0, v = 1; j < rule->nconds; j++) {
			if ((v = eval_cond(c, &rule->conds[j])) < 0)
				break;
			hold &= v;
			if ((v = (hold & need) != 0) == 0)
				break;
		}
		if (v < 0) {
			if (c->trace)
				trace_add(c->trace, c->stage, rule->where,
				    rule->text, RULES_TRACE_ERROR, "\"%s\": lookup failed: %s",
				    rule->conds[j].text, c->err.msg);
			on_error(c, rule, d);
			count(rule, RULES_STAT_ERROR);
			if (warned(c, rule, d))
				continue;
			return;
		}
		if (v == 0) {
			cond_failed(c, rule, &rule->conds[j]);
			continue;
		}
		if ((v = counted(c, rule)) != 1) {
			if (v == 0)
				continue;
			if (c->trace)
				trace_add(c->trace, c->stage, rule->where,
				    rule->text, RULES_TRACE_ERROR, "%s",
				    c->err.msg);
			on_error(c, rule, d);
			count(rule, RULES_STAT_ERROR);
			if (warned(c, rule, d))
				continue;
			return;
		}
		if (rule->action == ACT_CHECK) {
			if (!do_check(c, rule, d, (hold & HOLD_PERMIT) != 0))
				continue;
			count(rule, d->lookup_error ? RULES_STAT_ERROR :
			    d->verdict == RULES_CONTINUE ? RULES_STAT_PERMIT :
			    d->verdict == RULES_REJECT ? RULES_STAT_REJECT :
			    d->verdict == RULES_TEMPFAIL ? RULES_STAT_TEMPFAIL :
			    RULES_STAT_DISCARD);
			if (warned(c, rule, d))
				continue;
			return;
		}
		if (c->trace && reads_routed(c, rule)) {
			readings_text(c, rds, sizeof(rds));
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_MATCH, "all conditions hold (rcpt is routed: in a "
			    "rule that %s they must hold for %s reading; "
			    "readings: %s)", rule_refuses(rule) ? "refuses" :
			    "permits", rule_refuses(rule) ? "some" : "every",
			    rds);
		} else if (c->trace && rule->limit == NULL &&
		    rule->spread == NULL)
			trace_add(c->trace, c->stage, rule->where, rule->text,
			    RULES_TRACE_MATCH, rule->nconds ? "all conditions hold" :
			    "no conditions");
		d->set = 1;
		d->rule = rule;
		switch (rule->action) {
		case ACT_PERMIT:
			d->verdict = RULES_CONTINUE;
			d->shows_local = rule->shows_local;
			count(rule, RULES_STAT_PERMIT);
			break;
		case ACT_ACCEPT:
			d->verdict = RULES_ACCEPT;
			count(rule, RULES_STAT_ACCEPT);
			break;
		case ACT_REJECT:
		case ACT_TEMPFAIL:
			d->verdict = rule->action == ACT_REJECT ? RULES_REJECT :
			    RULES_TEMPFAIL;
			set_default_reply(d, c->stage);
			if (!rule->reply.given && c->owner != OWNER_PASS)
				owner_reply(c, d);
			else if (!rule->reply.given)
				blocked_reply(rule, d);
			if (rule->reply.given) {
				snprintf(d->code, sizeof(d->code), "%s",
				    rule->reply.code);
				snprintf(d->xcode, sizeof(d->xcode), "%s",
				    rule->reply.xcode);
				snprintf(d->tmpl, sizeof(d->tmpl), "%s",
				    rule->reply.text);
			}
			count(rule, rule->action == ACT_REJECT ? RULES_STAT_REJECT :
			    RULES_STAT_TEMPFAIL);
			break;
		default:
			d->verdict = RULES_DISCARD;
			count(rule, RULES_STAT_DISCARD);
			break;
		}
		if (warned(c, rule, d))
			continue;
		return;
	}
	if (c->trace)
		trace_add(c->trace, c->stage, "", "", RULES_TRACE_NOTE, b->nrules ?
		    "no rule matched: the stage is permitted" :
		    "no %s block: the stage is permitted",
		    rules_stage_names[c->stage]);
}

/* uncertain_dns - turn a reject into a tempfail (spec section 2.3) */
static void
uncertain_dns(struct ctx *c, struct decision *d)
{
	int     s, helps;

	if (d->verdict != RULES_REJECT || d->rule == NULL ||
	    FACT(c, CLIENT_RESOLVE) == NULL ||
	    strcasecmp(FACT(c, CLIENT_RESOLVE), "TEMP") != 0)
		return;
	helps = d->rule->name_helps;
	for (s = 0; s < (int) d->rule->stage; s++)
		helps |= c->r->blocks[s].accept_on_name;
	if (!helps)
		return;
	d->verdict = RULES_TEMPFAIL;
	snprintf(d->code, sizeof(d->code), "451");
	snprintf(d->xcode, sizeof(d->xcode), "4.7.25");
	snprintf(d->tmpl, sizeof(d->tmpl), "Client host name lookup failed "
	    "temporarily; try again later");
	d->is_tmpl = 0;
	if (c->trace)
		trace_add(c->trace, c->stage, d->rule->where, "", RULES_TRACE_NOTE,
		    "client host name lookup failed temporarily and a "
		    "client-name rule could have permitted: tempfail "
		    "instead of reject");
}

/* fill - the result from a decision */
static void
fill(struct ctx *c, const struct decision *d, struct rules_result *res)
{
	res->verdict = d->verdict;
	if (d->rule)
		copy(res->rule, sizeof(res->rule), d->rule->where);
	if (d->verdict == RULES_REJECT || d->verdict == RULES_TEMPFAIL) {
		copy(res->code, sizeof(res->code), d->code);
		copy(res->xcode, sizeof(res->xcode), d->xcode);
		if (d->is_tmpl)
			expand(c, d->tmpl, res->rule, res->text,
			    sizeof(res->text));
		else {
			struct text t = {res->text, 0, sizeof(res->text) - 1};

			put_clean(&t, d->tmpl, sizeof(res->text));
		}
	}
	res->lookup_error = d->lookup_error;
	if (d->lookup_error) {
		copy(res->error, sizeof(res->error), d->error);
		res->error_first = d->error_first;
	}
	res->blocked = !d->lookup_error && d->rule != NULL &&
	    (d->verdict == RULES_REJECT || d->verdict == RULES_TEMPFAIL) &&
	    refuses_blocked(d->rule);
}

/* trace_result - the stage's answer, as trace steps */
static void
trace_result(struct ctx *c, const struct rules_result *res)
{
	if (c->trace == NULL)
		return;
	trace_add(c->trace, c->stage, res->rule, "", RULES_TRACE_RESULT, "%s%s%s",
	    res->verdict == RULES_CONTINUE ? "permit" :
	    rules_verdict_name(res->verdict),
	    res->lookup_error ? " (lookup error)" : "",
	    c->stage == RULES_RCPT && res->relay ? " (relay)" : "");
	if (res->code[0])
		trace_add(c->trace, c->stage, res->rule, "", RULES_TRACE_REPLY, "%s %s %s",
		    res->code, res->xcode, res->text);
}

/* rules_evaluate - the verdict of one stage, with the session's state */
void
rules_evaluate(struct rules_session *s, enum rules_stage stage,
	struct rules_result *res, struct rules_trace *trace)
{
	struct ctx c;
	struct decision d;
	int     i;

	memset(&c, 0, offsetof(struct ctx, mv_rcpt));
	c.err.msg[0] = '\0';
	c.err.first = 0;
	c.r = s->r;
	c.s = s;
	c.stage = stage;
	c.trace = trace;

	/* A new stage forgets what belonged to the one it replaces. */
	switch (stage) {
	case RULES_CONNECT:
		memset(s->pending, 0, sizeof(s->pending));
		s->accept_rule = NULL;
		s->discard = s->discard_msg = 0;
		break;
	case RULES_HELO:
		s->pending[RULES_HELO].set = s->pending[RULES_MAIL].set = 0;
		if (s->accept_rule && s->accept_stage >= RULES_HELO)
			s->accept_rule = NULL;
		break;
	case RULES_MAIL:
		s->pending[RULES_MAIL].set = 0;
		if (s->accept_rule && s->accept_stage >= RULES_MAIL)
			s->accept_rule = NULL;
		break;
	default:
		break;
	}

	if (s->accept_rule != NULL) {
		res->verdict = RULES_ACCEPT;
		snprintf(res->rule, sizeof(res->rule), "%s",
		    s->accept_rule->where);
		if (trace)
			trace_add(trace, stage, s->accept_rule->where,
			    s->accept_rule->text, RULES_TRACE_SKIPPED, "accepted at %s: "
			    "no rules run", rules_stage_names[s->accept_stage]);
		if (stage == RULES_RCPT)
			res->relay = get_rcpt(&c) == NULL || !c.rcpt.unqualified;
		trace_result(&c, res);
		goto out;
	}
	for (i = 0; i < (int) stage && i < RULES_RCPT; i++) {
		if (!s->pending[i].set)
			continue;
		if (stage == RULES_RCPT) {
			fill(&c, &s->pending[i], res);
			res->error_first = 0;
			if (trace)
				trace_add(trace, stage, res->rule, "", RULES_TRACE_NOTE,
				    "%s decided at %s, delivered now "
				    "(delay-reject)",
				    rules_verdict_name(res->verdict),
				    rules_stage_names[i]);
			trace_result(&c, res);
		} else {
			if (trace)
				trace_add(trace, stage, s->pending[i].rule ?
				    s->pending[i].rule->where : "", "", RULES_TRACE_SKIPPED,
				    "a %s from %s is pending (delay-reject): no "
				    "rules run", rules_verdict_name(
				    s->pending[i].verdict), rules_stage_names[i]);
			trace_result(&c, res);
		}
		goto out;
	}

	run_block(&c, &d);
	uncertain_dns(&c, &d);
	if ((d.verdict == RULES_REJECT || d.verdict == RULES_TEMPFAIL) &&
	    stage < RULES_RCPT && (s->r->settings.delay_reject ||
	    (s->quiet & RULES_QUIET(stage)) != 0)) {
		s->pending[stage] = d;
		res->verdict = RULES_CONTINUE;
		if (d.rule)
			snprintf(res->rule, sizeof(res->rule), "%s", d.rule->where);
		res->lookup_error = d.lookup_error;
		if (d.lookup_error) {
			snprintf(res->error, sizeof(res->error), "%s", d.error);
			res->error_first = d.error_first;
		}
		if (trace)
			trace_add(trace, stage, res->rule, "", RULES_TRACE_RESULT,
			    "%s delayed to each RCPT (delay-reject)",
			    rules_verdict_name(d.verdict));
		goto out;
	}
	fill(&c, &d, res);
	if (d.verdict == RULES_ACCEPT && stage < RULES_RCPT) {
		s->accept_rule = d.rule;
		s->accept_stage = stage;
	}
	if (stage == RULES_RCPT && (res->verdict == RULES_CONTINUE ||
	    res->verdict == RULES_ACCEPT))
		res->relay = !d.shows_local &&
		    !(get_rcpt(&c) != NULL && c.rcpt.unqualified);
	trace_result(&c, res);
	if (stage == RULES_RCPT)
		limit_settle(s, res->verdict == RULES_CONTINUE ||
		    res->verdict == RULES_ACCEPT, trace);
out:
	/* For the daemon's log line: who this recipient is sent by. */
	if (stage == RULES_RCPT && get_identity(&c) > 0) {
		copy(res->identity, sizeof(res->identity), c.id);
		res->identity_source = identity_source_name(c.id_src);
	}
	if (c.warn_rule != NULL) {
		res->warned = 1;
		res->warn_verdict = c.warn_verdict;
		copy(res->warn_rule, sizeof(res->warn_rule), c.warn_rule->where);
	}
	if (c.have_readings)
		readings_free(&c.rd);
	if (c.have_rcpt)
		rcpt_free(&c.rcpt);
}
