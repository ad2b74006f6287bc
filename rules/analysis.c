/*
 * NAME
 *	analysis 3
 * SUMMARY
 *	prove from the rules alone that a stranger cannot relay
 * SYNOPSIS
 *	#include "rules/rules.h"
 *
 *	struct rules_analysis *rules_analyse(const struct rules *r)
 *	size_t	rules_analysis_count(const struct rules_analysis *a)
 *	int	rules_analysis_finding(const struct rules_analysis *a,
 *		size_t i, struct rules_finding *f)
 *	int	rules_analysis_open(const struct rules_analysis *a)
 *	void	rules_analysis_format(const struct rules_analysis *a,
 *		const struct rules *r, struct strbuf *out)
 *	void	rules_analysis_free(struct rules_analysis *a)
 * DESCRIPTION
 *	rules_analyse() asks whether a stranger can get a recipient in a
 *	foreign domain permitted, and reports other findings.
 *
 *	A stranger connects from an address that is in no narrow entry
 *	(at most 2^24 IPv4 or 2^120 IPv6 addresses in one run: a /8) of a set
 *	that can help it (a set tested positively by permit, accept or
 *	check, or negated by a refusal), with a verified host name (or
 *	none) in no such set, in no client or client-name table entry,
 *	with no grant, not authenticated and without a client
 *	certificate. It picks every other fact: the listener (daemon),
 *	TLS or not, any HELO or none, any sender, and for a recipient in
 *	a foreign domain (one matched by no domain item of any set, and
 *	in no table) a plain or a routed form, with rcpt-mailer smtp,
 *	esmtp or relay. Tables looked up by helo, sender, sender-domain,
 *	daemon or rcpt-mailer may hold any entry: their answer is free.
 *
 *	The values a fact can take are reduced to the finitely many
 *	membership patterns the configuration's sets can tell apart (for
 *	addresses, the runs between the boundaries of every address set;
 *	for names, every item and a fresh value), so the search below is
 *	exact for sets without regular expressions. It replays the
 *	engine's stage semantics: the first matching rule of a block
 *	decides; a refusal or discard at any stage ends the hope of a
 *	permit (with or without delay-reject); an accept at connect, helo
 *	or mail accepts every recipient; a stage with no matching rule
 *	passes; the stranger may skip HELO. A check rule's table answer
 *	is OK, a refusal or nothing; an OK for a routed recipient counts
 *	as DUNNO.
 *
 *	Forgeable facts are helo, sender, sender-domain and the tables
 *	looked up by them. A path that needs one of them to match
 *	something is a weak permit: an open relay for anyone who guesses
 *	the value, unless its deciding rule is marked weak-ok. A path
 *	that needs none is an open relay. Each is reported with its
 *	deciding rule and a witness session, printed as a relayguardctl
 *	explain command line that replays to a permit.
 *
 *	Warnings: rules shadowed by an earlier rule whose conditions are
 *	a subset of theirs, lists and tables never used, TLS facts in the
 *	helo block (absent at the first EHLO) and a bare permit
 *	tls-verified. (What on-error accept turns into a permit is
 *	rules_warnings()'s, in rules.c.)
 * DIAGNOSTICS
 *	rules_analysis_open() counts the open and weak findings (and a
 *	search that ran out of its budget, which proves nothing).
 * BUGS
 *	A regular expression in a set is matched against the concrete
 *	values the search tries; values only a regular expression would
 *	tell apart are not generated.
 * THREADS
 *	rules_analyse() reads the rules only; any number may run at once.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/domain.h"
#include "common/rcpt.h"
#include "common/xalloc.h"
#include "rules/rules_int.h"

#define AN_MAX_FIND	8		/* findings of one kind */
#define AN_BUDGET	4000000UL	/* block evaluations */
#define AN_MAX_CAND	200000		/* candidate values of one fact */

#define FRESH_DOMAIN	"stranger.invalid"
#define FRESH_LOCAL	"stranger"

/* The stranger's choices. */
enum var_id {
	V_CLIENT, V_CNAME, V_DAEMON, V_TLS, V_HELO, V_SENDER, V_RCPT,
	V_NFIXED,
};

/* A condition as the search sees it: (kind, fact or flag, set or table). */
struct atom {
	int     kind;
	int     id;
	const void *obj;
	int     var;			/* -1: always false for a stranger */
};

/* One value a variable can take. */
struct cand {
	signed char *val;		/* per atom: 1 holds (for this var) */
	int     outcome;		/* table vars: 0 none, 1 OK, 2 refuse */
	int     nondef;			/* matches something (forgeable vars) */
	int     skip;			/* V_HELO: no HELO at all */
	int     routed;			/* V_RCPT */
	char   *text;			/* value, NULL absent */
	char   *mailer;			/* V_RCPT */
};

struct var {
	enum rules_stage stage;
	int     forgeable;
	int     fact;			/* table vars */
	const struct table *table;	/* table vars */
	struct cand *c;
	size_t  n, cap;
	size_t *allowed;		/* indices the current phase tries */
	size_t  nallowed;
};

struct arule {
	const struct rule *r;
	int    *atom;			/* per condition */
	int     check_atom;		/* ACT_CHECK: the table's atom */
};

struct finding {
	enum rules_finding_kind kind;
	char   *where;
	char   *message;
	const struct rule *rule;
	int     has_witness;
	char   *w[RULES_WITNESS_NFIELDS];
	int     tls, no_helo;
	char   *note;
	char   *explain;
};

struct rules_analysis {
	struct finding *f;
	size_t  n;
	int     open;
};

/* The search state. */
struct an {
	const struct rules *r;
	struct atom *atoms;
	size_t  natoms;
	struct var *vars;
	size_t  nvars;
	struct arule *blocks[RULES_NSTAGES];
	size_t  nblock[RULES_NSTAGES];
	int    *stagevars[RULES_NSTAGES];
	size_t  nstagevars[RULES_NSTAGES];
	size_t *choice;
	int    *trust;			/* per atom: trusting(its set) */
	char    foreign[DOMAIN_MAX + 1];
	int     phase;			/* 1 strong, 2 weak */
	unsigned long evals;
	int     stop, incomplete;
	size_t  nopen, nweak, nweakok;
	struct rules_analysis *out;
};

/* add_finding - append a finding; returns it */
static struct finding *
add_finding(struct rules_analysis *a, enum rules_finding_kind kind,
	const char *where, const char *msg)
{
	struct finding *f;

	a->f = xreallocarray(a->f, a->n + 1, sizeof(*a->f));
	f = &a->f[a->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->where = xstrdup(where);
	f->message = xstrdup(msg);
	if (kind == RULES_FINDING_OPEN || kind == RULES_FINDING_WEAK)
		a->open++;
	return (f);
}

/* atom_find - the atom of a condition, made on first use */
static int
atom_find(struct an *an, int kind, int id, const void *obj)
{
	size_t  i;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].kind == kind && an->atoms[i].id == id &&
		    an->atoms[i].obj == obj)
			return ((int) i);
	an->atoms = xreallocarray(an->atoms, an->natoms + 1,
	    sizeof(*an->atoms));
	an->atoms[an->natoms].kind = kind;
	an->atoms[an->natoms].id = id;
	an->atoms[an->natoms].obj = obj;
	an->atoms[an->natoms].var = -2;	/* assigned later */
	return ((int) an->natoms++);
}

/* var_new - a variable */
static int
var_new(struct an *an, enum rules_stage stage, int forgeable)
{
	struct var *v;

	an->vars = xreallocarray(an->vars, an->nvars + 1, sizeof(*an->vars));
	v = &an->vars[an->nvars];
	memset(v, 0, sizeof(*v));
	v->stage = stage;
	v->forgeable = forgeable;
	v->fact = -1;
	return ((int) an->nvars++);
}

/* atom_var - which variable decides an atom (-1: false for a stranger) */
static int
atom_var(struct an *an, struct atom *at)
{
	/*
	 * A stranger has no identity (no login, no grant, no verified
	 * certificate): "blocked" is false, and an ownership condition,
	 * which only refuses, is taken not to: the analysis never counts
	 * on a refusal that might not happen.
	 */
	if (at->kind == COND_OWNER || at->kind == COND_BLOCKED)
		return (-1);
	if (at->kind == COND_FLAG) {
		switch (at->id) {
		case FLAG_TLS:
			return (V_TLS);
		case FLAG_ROUTED:
		case FLAG_UNQUALIFIED:
			return (V_RCPT);
		default:
			return (-1);	/* auth, tls-verified */
		}
	}
	if (at->kind == COND_SET) {
		switch (at->id) {
		case RULES_FACT_CLIENT:
			return (V_CLIENT);
		case RULES_FACT_CLIENT_NAME:
			return (V_CNAME);
		case RULES_FACT_DAEMON:
			return (V_DAEMON);
		case RULES_FACT_HELO:
			return (V_HELO);
		case RULES_FACT_SENDER:
		case RULES_FACT_SENDER_DOMAIN:
			return (V_SENDER);
		case RULES_FACT_RCPT:
		case RULES_FACT_RCPT_DOMAIN:
		case RULES_FACT_RCPT_MAILER:
			return (V_RCPT);
		default:
			return (-1);	/* auth, certificates */
		}
	}
	/* Tables: the stranger is in none that name clients or recipients. */
	switch (at->id) {
	case RULES_FACT_HELO:
	case RULES_FACT_SENDER:
	case RULES_FACT_SENDER_DOMAIN:
	case RULES_FACT_DAEMON:
	case RULES_FACT_RCPT_MAILER:
		{
			int     v = var_new(an, rules_facts_tab[at->id].stage,
			    at->id != RULES_FACT_DAEMON && at->id != RULES_FACT_RCPT_MAILER);
			struct cand *c;
			int     o;

			an->vars[v].fact = at->id;
			an->vars[v].table = at->obj;
			an->vars[v].c = xcalloc(3, sizeof(struct cand));
			for (o = 0; o < 3; o++) {
				c = &an->vars[v].c[o];
				c->outcome = o;
				c->nondef = o != 0;
			}
			an->vars[v].n = 3;
			return (v);
		}
	default:
		return (-1);
	}
}

/*
 * Candidate values. add_cand computes the value's atom vector with
 * fill() and keeps it only when no earlier value had the same vector.
 */
struct gen {
	struct an *an;
	int     var;
	signed char *tmp;
	size_t  tried;
};

/* vec_same - do two candidates agree on the atoms of var? */
static int
vec_same(const struct an *an, int var, const signed char *a,
	const signed char *b)
{
	size_t  i;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == var && a[i] != b[i])
			return (0);
	return (1);
}

/* keep_cand - add the vector in g->tmp unless known; returns it or NULL */
static struct cand *
keep_cand(struct gen *g, const char *text)
{
	struct var *v = &g->an->vars[g->var];
	struct cand *c;
	size_t  i;
	int     nz = 0;

	for (i = 0; i < v->n; i++)
		if (!v->c[i].skip && vec_same(g->an, g->var, v->c[i].val, g->tmp))
			return (NULL);
	for (i = 0; i < g->an->natoms; i++)
		if (g->an->atoms[i].var == g->var && g->tmp[i])
			nz = 1;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 8;
		v->c = xreallocarray(v->c, v->cap, sizeof(*v->c));
	}
	c = &v->c[v->n++];
	memset(c, 0, sizeof(*c));
	c->val = xmalloc(g->an->natoms ? g->an->natoms : 1);
	memcpy(c->val, g->tmp, g->an->natoms);
	c->nondef = nz;
	c->text = text ? xstrdup(text) : NULL;
	return (c);
}

/* mbox_of - a mailbox value as the engine builds it; 0 when absent */
static int
mbox_of(const char *text, const char *delim, struct rcpt *rc,
	struct mbox_val *mv, char *base, size_t baselen, char *dom)
{
	const char *d;

	rcpt_parse(text, rc);
	memset(mv, 0, sizeof(*mv));
	dom[0] = '\0';
	if (rc->malformed)
		return (0);
	if (rc->rcpt_domain != NULL && rules_domain_canon(rc->rcpt_domain, dom,
	    DOMAIN_MAX + 1) < 0)
		dom[0] = '\0';
	if (rc->null_sender) {
		mv->null = 1;
		mv->text = "<>";
		return (1);
	}
	if (rc->local == NULL || rc->local[0] == '\0')
		return (0);
	if (rcpt_strip_extension(rc->local, delim, base, baselen) != 1)
		base[0] = '\0';
	mv->local = rc->local;
	mv->local_base = base[0] ? base : NULL;
	d = dom[0] ? dom : NULL;
	mv->domain = d;
	mv->text = rc->mailbox;
	mbox_prepare(mv);
	return (1);
}

/* trusting - can membership in this set help a client? */
static int
trusting(const struct an *an, const void *set)
{
	size_t  s, i, j;
	const struct arule *ar;

	for (s = 0; s < RULES_NSTAGES; s++)
		for (i = 0; i < an->nblock[s]; i++) {
			ar = &an->blocks[s][i];
			for (j = 0; j < ar->r->nconds; j++) {
				const struct cond *cd = &ar->r->conds[j];
				int     refuse = ar->r->action == ACT_REJECT ||
				ar->r->action == ACT_TEMPFAIL ||
				ar->r->action == ACT_DISCARD;

				if (cd->kind == COND_SET && cd->set == set &&
				    cd->neg == refuse)
					return (1);
			}
		}
	return (0);
}

#define NARROW4	((uint32_t) 1 << 24)
#define NARROW6	((unsigned __int128) 1 << 120)

/* addr_v4, addr_v6 - an address from a number */
static void
addr_v4(struct addr *a, uint32_t v)
{
	memset(a, 0, sizeof(*a));
	a->family = ADDR_V4;
	a->bytes[0] = (uint8_t) (v >> 24);
	a->bytes[1] = (uint8_t) (v >> 16);
	a->bytes[2] = (uint8_t) (v >> 8);
	a->bytes[3] = (uint8_t) v;
}

static void
addr_v6(struct addr *a, unsigned __int128 v)
{
	int     i;

	memset(a, 0, sizeof(*a));
	a->family = ADDR_V6;
	for (i = 15; i >= 0; i--, v >>= 8)
		a->bytes[i] = (uint8_t) v;
}

/* The address sets of the client, and which of them trust. */
struct csets {
	const struct set **set;
	int    *trust;
	size_t  n;
};

/*
 * free4, free6 - the first address in [lo, hi] in no narrow run of a
 * trusting set: 1 and *out, or 0 when there is none.
 */
static int
free4(const struct csets *cs, uint32_t lo, uint32_t hi, uint32_t *out)
{
	const struct range4 *r;
	uint32_t x = lo;
	size_t  i;
	int     moved;

	do {
		moved = 0;
		for (i = 0; i < cs->n; i++) {
			if (!cs->trust[i] || (r = set_run4(cs->set[i], x)) == NULL ||
			    r->hi - r->lo >= NARROW4)
				continue;
			if (r->hi >= hi)
				return (0);
			x = r->hi + 1;
			moved = 1;
		}
	} while (moved);
	*out = x;
	return (1);
}

static int
free6(const struct csets *cs, unsigned __int128 lo, unsigned __int128 hi,
	unsigned __int128 *out)
{
	const struct range6 *r;
	unsigned __int128 x = lo;
	size_t  i;
	int     moved;

	do {
		moved = 0;
		for (i = 0; i < cs->n; i++) {
			if (!cs->trust[i] || (r = set_run6(cs->set[i], x)) == NULL ||
			    r->hi - r->lo >= NARROW6)
				continue;
			if (r->hi >= hi)
				return (0);
			x = r->hi + 1;
			moved = 1;
		}
	} while (moved);
	*out = x;
	return (1);
}

/* client_try - one candidate client address (not checked here) */
static void
client_try(struct gen *g, const struct addr *a)
{
	struct an *an = g->an;
	char    buf[ADDR_STRLEN];
	size_t  i;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == V_CLIENT)
			g->tmp[i] = (signed char) set_match_addr(an->atoms[i].obj, a);
	keep_cand(g, addr_format(a, buf, sizeof(buf)));
}

/* u32_cmp, u128_cmp - for qsort */
static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	return (x < y ? -1 : x > y);
}

static int
u128_cmp(const void *a, const void *b)
{
	unsigned __int128 x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return (x < y ? -1 : x > y);
}

/* all_narrow - a trusting set whose runs are all narrow */
static int
all_narrow(const struct set *set)
{
	size_t  i;

	for (i = 0; i < set->n4; i++)
		if (set->v4[i].hi - set->v4[i].lo >= NARROW4)
			return (0);
	for (i = 0; i < set->n6; i++)
		if (set->v6[i].hi - set->v6[i].lo >= NARROW6)
			return (0);
	return (1);
}

/*
 * gen_client - the stranger's addresses. Every set answers the same
 * within a run between the boundaries of the sets, so one address of
 * each run stands for all of it: the first one in no narrow run of a
 * trusting set. A trusting set with narrow runs only adds no
 * boundaries (it answers "no" for every stranger), so a list of
 * 100,000 trusted networks costs a walk, not a sort. Documentation
 * addresses are tried first, for readable witnesses.
 */
static void
gen_client(struct an *an, struct gen *g)
{
	struct csets cs = {NULL, NULL, 0};
	size_t  i, j, n4 = 0, n6 = 0;
	uint32_t *b4, x4;
	unsigned __int128 *b6, x6;
	struct addr a;
	int     skip;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == V_CLIENT) {
			cs.set = xreallocarray(cs.set, cs.n + 1, sizeof(*cs.set));
			cs.trust = xreallocarray(cs.trust, cs.n + 1,
			    sizeof(*cs.trust));
			cs.set[cs.n] = an->atoms[i].obj;
			cs.trust[cs.n] = an->trust[i];
			if (!(cs.trust[cs.n] && all_narrow(cs.set[cs.n]))) {
				n4 += 2 * cs.set[cs.n]->n4;
				n6 += 2 * cs.set[cs.n]->n6;
			}
			cs.n++;
		}
	addr_parse("198.51.100.7", &a);
	x4 = ((uint32_t) a.bytes[0] << 24) | ((uint32_t) a.bytes[1] << 16) |
	    ((uint32_t) a.bytes[2] << 8) | a.bytes[3];
	if (free4(&cs, x4, x4, &x4))
		client_try(g, &a);
	addr_parse("2001:db8:ffff::7", &a);
	for (i = 0, x6 = 0; i < 16; i++)
		x6 = (x6 << 8) | a.bytes[i];
	if (free6(&cs, x6, x6, &x6))
		client_try(g, &a);
	b4 = xcalloc(n4 + 1, sizeof(*b4));
	b6 = xcalloc(n6 + 1, sizeof(*b6));
	n4 = n6 = 0;
	b4[n4++] = 0;
	b6[n6++] = 0;
	for (i = 0; i < cs.n; i++) {
		skip = cs.trust[i] && all_narrow(cs.set[i]);
		for (j = 0; !skip && j < cs.set[i]->n4; j++) {
			b4[n4++] = cs.set[i]->v4[j].lo;
			if (cs.set[i]->v4[j].hi != UINT32_MAX)
				b4[n4++] = cs.set[i]->v4[j].hi + 1;
		}
		for (j = 0; !skip && j < cs.set[i]->n6; j++) {
			b6[n6++] = cs.set[i]->v6[j].lo;
			if (cs.set[i]->v6[j].hi != ~(unsigned __int128) 0)
				b6[n6++] = cs.set[i]->v6[j].hi + 1;
		}
	}
	qsort(b4, n4, sizeof(*b4), u32_cmp);
	qsort(b6, n6, sizeof(*b6), u128_cmp);
	for (i = 0, j = 0; i < n4; i++)
		if (j == 0 || b4[i] != b4[j - 1])
			b4[j++] = b4[i];
	n4 = j;
	for (i = 0; i < n4 && g->tried++ < AN_MAX_CAND; i++)
		if (free4(&cs, b4[i], i + 1 < n4 ? b4[i + 1] - 1 : UINT32_MAX,
		    &x4)) {
			addr_v4(&a, x4);
			client_try(g, &a);
		}
	for (i = 0, j = 0; i < n6; i++)
		if (j == 0 || b6[i] != b6[j - 1])
			b6[j++] = b6[i];
	n6 = j;
	for (i = 0; i < n6 && g->tried++ < AN_MAX_CAND; i++)
		if (free6(&cs, b6[i], i + 1 < n6 ? b6[i + 1] - 1 :
		    ~(unsigned __int128) 0, &x6)) {
			addr_v6(&a, x6);
			client_try(g, &a);
		}
	free(b4);
	free(b6);
	free(cs.set);
	free(cs.trust);
}

/* name_vec - the atoms of var for a domain value (NULL: absent) */
static void
name_vec(struct an *an, int var, const char *dom, signed char *tmp)
{
	char    canon[DOMAIN_MAX + 1];
	size_t  i;
	int     ok = dom != NULL && rules_domain_canon(dom, canon,
	    sizeof(canon)) >= 0;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == var)
			tmp[i] = (signed char) (ok && set_match_domain(
			    an->atoms[i].obj, canon));
}

/* string_vec - the same for a string fact */
static void
string_vec(struct an *an, int var, const char *s, signed char *tmp)
{
	size_t  i;

	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == var)
			tmp[i] = (signed char) (s != NULL && set_match_string(
			    an->atoms[i].obj, s));
}

/*
 * only_self - does the vector just computed hold atom self and no
 * other atom of its variable?
 */
static int
only_self(const struct gen *g, int self)
{
	size_t  i;

	for (i = 0; i < g->an->natoms; i++)
		if (g->an->atoms[i].var == g->var && (int) i != self && g->tmp[i])
			return (0);
	return (1);
}

/*
 * items_each - call fn for every domain-like value a set names. With
 * stop, the walk ends at the first value that matches no other set of
 * the variable (see gen_names()).
 */
static void
items_each(const struct set *set, int sub_prefix,
	void (*fn)(struct gen *, const char *), struct gen *g, int stop,
	int self)
{
	char    buf[DOMAIN_MAX + 40];
	size_t  i;

	if (set->exact.count)
		for (i = 0; i <= set->exact.mask && g->tried < AN_MAX_CAND; i++)
			if (set->exact.slots[i].key) {
				g->tried++;
				fn(g, set->exact.slots[i].key);
				if (stop && only_self(g, self))
					return;
			}
	if (set->sub.count)
		for (i = 0; i <= set->sub.mask && g->tried < AN_MAX_CAND; i++)
			if (set->sub.slots[i].key) {
				g->tried++;
				snprintf(buf, sizeof(buf), "%s%s", sub_prefix ?
				    FRESH_LOCAL "." : "", set->sub.slots[i].key);
				fn(g, buf);
				if (stop && only_self(g, self))
					return;
			}
}

/*
 * simple_set - a set that tells values apart only by exact items: no
 * subdomain items, no regular expressions, no local part that the
 * generated values use.
 */
static int
simple_set(const struct set *set)
{
	size_t  i;

	if (set->nrx || set->sub.count)
		return (0);
	for (i = 0; set->local.count && i <= set->local.mask; i++)
		if (set->local.slots[i].key &&
		    strcmp(set->local.slots[i].key, FRESH_LOCAL) == 0)
			return (0);
	return (1);
}

/* try_cname - a client name: kept unless a trusting set has it */
static void
try_cname(struct gen *g, const char *name)
{
	struct an *an = g->an;
	size_t  i;

	name_vec(an, V_CNAME, name, g->tmp);
	for (i = 0; i < an->natoms; i++)
		if (an->atoms[i].var == V_CNAME && g->tmp[i] && an->trust[i])
			return;
	keep_cand(g, name);
}

/* try_helo - a HELO name */
static void
try_helo(struct gen *g, const char *name)
{
	name_vec(g->an, V_HELO, name, g->tmp);
	keep_cand(g, name);
}

/* try_daemon - a listener name */
static void
try_daemon(struct gen *g, const char *name)
{
	string_vec(g->an, V_DAEMON, name, g->tmp);
	keep_cand(g, name);
}

/* try_sender - a MAIL FROM path */
static void
try_sender(struct gen *g, const char *text)
{
	struct an *an = g->an;
	const char *delim = an->r->settings.recipient_delimiter;
	struct rcpt rc;
	struct mbox_val mv;
	char    base[RCPT_ARG_MAX + 1], dom[DOMAIN_MAX + 1];
	int     ok;
	size_t  i;

	ok = mbox_of(text, delim, &rc, &mv, base, sizeof(base), dom);
	for (i = 0; i < an->natoms; i++) {
		if (an->atoms[i].var != V_SENDER)
			continue;
		if (an->atoms[i].id == RULES_FACT_SENDER)
			g->tmp[i] = (signed char) (ok && set_match_mailbox(
			    an->atoms[i].obj, &mv));
		else
			g->tmp[i] = (signed char) (!rc.malformed && dom[0] &&
			    set_match_domain(an->atoms[i].obj, dom));
	}
	rcpt_free(&rc);
	keep_cand(g, text);
}

/* sender_from_domain - "stranger@DOMAIN" */
static void
sender_from_domain(struct gen *g, const char *dom)
{
	char    buf[DOMAIN_MAX + 40];

	if (dom[0] == '[')
		return;
	snprintf(buf, sizeof(buf), FRESH_LOCAL "@%s", dom);
	try_sender(g, buf);
}

/* gen_names - client-name, daemon, helo and sender values */
static void
gen_names(struct an *an, struct gen *g, int var)
{
	const struct set *set;
	char    buf[RCPT_ARG_MAX + 1];
	size_t  i, j, bigsz = 0;
	int     big = -1, early;

	switch (var) {
	case V_CNAME:
		try_cname(g, NULL);
		try_cname(g, FRESH_DOMAIN);
		break;
	case V_DAEMON:
		try_daemon(g, NULL);
		try_daemon(g, FRESH_LOCAL);
		break;
	case V_HELO:
		try_helo(g, FRESH_DOMAIN);
		break;
	case V_SENDER:
		try_sender(g, FRESH_LOCAL "@" FRESH_DOMAIN);
		try_sender(g, "<>");
		break;
	}
	/*
	 * Only the membership patterns matter. When every other set of the
	 * variable is simple, a value of the largest set that is in another
	 * set is an exact item of that other set and is generated from it,
	 * with its whole pattern: the largest set's walk may stop at its
	 * first value in no other set. A list of 100,000 domains then costs
	 * a few probes instead of 100,000.
	 */
	for (i = 0; i < an->natoms; i++) {
		size_t  sz;

		if (an->atoms[i].var != var || an->atoms[i].kind != COND_SET)
			continue;
		set = an->atoms[i].obj;
		sz = set->exact.count + set->sub.count;
		if (big < 0 || sz > bigsz) {
			big = (int) i;
			bigsz = sz;
		}
	}
	for (i = 0, early = big >= 0; early && i < an->natoms; i++)
		if (an->atoms[i].var == var && an->atoms[i].kind == COND_SET &&
		    (int) i != big && an->atoms[i].obj != an->atoms[big].obj &&
		    !simple_set(an->atoms[i].obj))
			early = 0;
	for (i = 0; i < an->natoms; i++) {
		int     stop;

		if (an->atoms[i].var != var || an->atoms[i].kind != COND_SET)
			continue;
		set = an->atoms[i].obj;
		stop = early && (int) i == big;
		switch (var) {
		case V_CNAME:
			/* Names in a trusting set are no stranger's. */
			if (!an->trust[i])
				items_each(set, 1, try_cname, g, stop, (int) i);
			break;
		case V_DAEMON:
			items_each(set, 0, try_daemon, g, stop, (int) i);
			break;
		case V_HELO:
			items_each(set, 1, try_helo, g, stop, (int) i);
			break;
		case V_SENDER:
			items_each(set, 1, sender_from_domain, g, stop, (int) i);
			if (an->atoms[i].id != RULES_FACT_SENDER)
				break;
			for (j = 0; set->mbox.count && j <= set->mbox.mask &&
			    g->tried < AN_MAX_CAND; j++)
				if (set->mbox.slots[j].key) {
					g->tried++;
					try_sender(g, set->mbox.slots[j].key);
				}
			for (j = 0; set->local.count && j <= set->local.mask &&
			    g->tried < AN_MAX_CAND; j++)
				if (set->local.slots[j].key) {
					g->tried++;
					snprintf(buf, sizeof(buf), "%s@" FRESH_DOMAIN,
					    set->local.slots[j].key);
					try_sender(g, buf);
				}
			break;
		}
	}
}

/*
 * pick_foreign - a domain no domain item of any set names: the
 * stranger's destination.
 */
static void
pick_foreign(struct an *an)
{
	const struct set *sets[2 * RULES_MEMO_MAX];
	size_t  nsets = 0, i, k;
	int     hit;

	for (i = 0; i < an->natoms && nsets < 2 * RULES_MEMO_MAX; i++) {
		const struct set *s;

		if (an->atoms[i].kind != COND_SET)
			continue;
		s = an->atoms[i].obj;
		if (s->type == ITEM_DOMAIN || s->type == ITEM_MAILBOX)
			sets[nsets++] = s;
	}
	for (k = 0; k < 1000; k++) {
		/* A fresh top-level name too, for sets naming .invalid. */
		if (k == 0)
			snprintf(an->foreign, sizeof(an->foreign), "foreign.invalid");
		else
			snprintf(an->foreign, sizeof(an->foreign),
			    "foreign.invalid%zu", k);
		for (i = 0, hit = 0; i < nsets && !hit; i++) {
			struct set tmp = *sets[i];

			tmp.nrx = 0;	/* regexes do not make a domain ours */
			hit = set_match_domain(&tmp, an->foreign);
		}
		if (!hit)
			return;
	}
}

/* try_rcpt - one recipient form with one mailer */
static void
try_rcpt(struct gen *g, const char *local, int routed, const char *mailer)
{
	struct an *an = g->an;
	struct rcpt rc;
	struct mbox_val mv;
	struct cand *c;
	char    text[RCPT_ARG_MAX + 1], base[RCPT_ARG_MAX + 1];
	char    dom[DOMAIN_MAX + 1];
	int     ok;
	size_t  i;

	if (routed)
		snprintf(text, sizeof(text), "%s%%%s@%s", local, an->foreign,
		    an->foreign);
	else
		snprintf(text, sizeof(text), "%s@%s", local, an->foreign);
	ok = mbox_of(text, an->r->settings.recipient_delimiter, &rc, &mv, base,
	    sizeof(base), dom);
	for (i = 0; i < an->natoms; i++) {
		struct atom *at = &an->atoms[i];

		if (at->var != V_RCPT)
			continue;
		if (at->kind == COND_FLAG)
			g->tmp[i] = (signed char) (at->id == FLAG_ROUTED && routed);
		else if (at->id == RULES_FACT_RCPT)
			g->tmp[i] = (signed char) (!routed && ok &&
			    set_match_mailbox(at->obj, &mv));
		else if (at->id == RULES_FACT_RCPT_DOMAIN)
			g->tmp[i] = (signed char) set_match_domain(at->obj,
			    an->foreign);
		else
			g->tmp[i] = (signed char) set_match_string(at->obj, mailer);
	}
	rcpt_free(&rc);
	if ((c = keep_cand(g, text)) != NULL) {
		c->routed = routed;
		c->mailer = xstrdup(mailer);
	}
}

/* gen_rcpt - the foreign recipients */
static void
gen_rcpt(struct an *an, struct gen *g)
{
	static const char *const mailers[] = {"smtp", "esmtp", "relay"};
	const struct set *set;
	size_t  i, j, m;

	pick_foreign(an);
	for (m = 0; m < 3; m++) {
		try_rcpt(g, FRESH_LOCAL, 0, mailers[m]);
		try_rcpt(g, FRESH_LOCAL, 1, mailers[m]);
		for (i = 0; i < an->natoms; i++) {
			if (an->atoms[i].var != V_RCPT ||
			    an->atoms[i].kind != COND_SET ||
			    an->atoms[i].id != RULES_FACT_RCPT)
				continue;
			set = an->atoms[i].obj;
			for (j = 0; set->local.count && j <= set->local.mask &&
			    g->tried < AN_MAX_CAND; j++)
				if (set->local.slots[j].key) {
					g->tried++;
					try_rcpt(g, set->local.slots[j].key, 0,
					    mailers[m]);
				}
		}
	}
}

/* gen_fixed - candidates of the fixed variables */
static void
gen_fixed(struct an *an)
{
	struct gen g;
	struct cand *c;
	int     v;

	g.an = an;
	g.tmp = xcalloc(an->natoms ? an->natoms : 1, 1);
	for (v = 0; v < V_NFIXED; v++) {
		memset(g.tmp, 0, an->natoms);
		g.var = v;
		g.tried = 0;
		switch (v) {
		case V_CLIENT:
			gen_client(an, &g);
			break;
		case V_TLS:
			keep_cand(&g, NULL);
			{
				size_t  i;

				for (i = 0; i < an->natoms; i++)
					if (an->atoms[i].var == V_TLS)
						g.tmp[i] = 1;
			}
			if ((c = keep_cand(&g, "tls")) != NULL)
				c->nondef = 0;
			break;
		case V_HELO:
			gen_names(an, &g, v);
			/* No HELO: the helo block never runs. */
			{
				struct var *hv = &an->vars[V_HELO];

				hv->c = xreallocarray(hv->c, hv->n + 1,
				    sizeof(*hv->c));
				c = &hv->c[hv->n++];
				hv->cap = hv->n;
				memset(c, 0, sizeof(*c));
				c->val = xcalloc(an->natoms ? an->natoms : 1, 1);
				c->skip = 1;
			}
			break;
		case V_RCPT:
			gen_rcpt(an, &g);
			break;
		default:
			gen_names(an, &g, v);
			break;
		}
		if (v != V_HELO && v != V_SENDER) {
			size_t  i;

			for (i = 0; i < an->vars[v].n; i++)
				an->vars[v].c[i].nondef = 0;
		}
	}
	free(g.tmp);
}

/* allow_phase - which candidates the phase tries */
static void
allow_phase(struct an *an, int phase)
{
	struct var *v;
	size_t  i, k, ndef;

	for (k = 0; k < an->nvars; k++) {
		v = &an->vars[k];
		free(v->allowed);
		v->allowed = xcalloc(v->n ? v->n : 1, sizeof(*v->allowed));
		v->nallowed = 0;
		for (i = 0, ndef = 0; i < v->n; i++)
			ndef += !v->c[i].nondef;
		for (i = 0; i < v->n; i++)
			if (phase == 2 || !v->forgeable || !v->c[i].nondef ||
			    ndef == 0)
				v->allowed[v->nallowed++] = i;
	}
}

/* aval - an atom's value under the current choice */
static int
aval(const struct an *an, int atom)
{
	const struct atom *at = &an->atoms[atom];
	const struct var *v;

	if (at->var < 0)
		return (0);
	v = &an->vars[at->var];
	if (at->kind == COND_TABLE) {
		if (at->id == RULES_FACT_HELO && an->vars[V_HELO].c[an->choice[V_HELO]].skip)
			return (0);
		return (v->c[an->choice[at->var]].outcome != 0);
	}
	return (v->c[an->choice[at->var]].val[atom]);
}

enum outcome {
	OUT_CONT, OUT_ACCEPT, OUT_REFUSE,
};

/* run_block - the engine's first-match rule for one stage */
static enum outcome
run_block(struct an *an, enum rules_stage stage, const struct rule **dec)
{
	const struct arule *ar;
	size_t  i, j;
	int     ok, o;

	*dec = NULL;
	for (i = 0; i < an->nblock[stage]; i++) {
		ar = &an->blocks[stage][i];
		if (ar->r->warn)
			continue;	/* decides nothing */
		for (j = 0, ok = 1; j < ar->r->nconds && ok; j++)
			ok = aval(an, ar->atom[j]) ^ ar->r->conds[j].neg;
		/* A limit or networks rule refuses only over its count: a
		 * stranger under it passes, so it never blocks a witness. */
		if (!ok || ar->r->limit != NULL || ar->r->spread != NULL)
			continue;
		switch (ar->r->action) {
		case ACT_CHECK:
			o = 0;
			if (an->atoms[ar->check_atom].var >= 0 &&
			    !(ar->r->check_fact == RULES_FACT_HELO &&
			    an->vars[V_HELO].c[an->choice[V_HELO]].skip))
				o = an->vars[an->atoms[ar->check_atom].var].c[
				    an->choice[an->atoms[ar->check_atom].var]].outcome;
			if (o == 1 && stage == RULES_RCPT &&
			    an->vars[V_RCPT].c[an->choice[V_RCPT]].routed)
				o = 0;	/* OK for a routed recipient: DUNNO */
			if (o == 0)
				continue;
			*dec = ar->r;
			return (o == 1 ? OUT_CONT : OUT_REFUSE);
		case ACT_PERMIT:
			*dec = ar->r;
			return (OUT_CONT);
		case ACT_ACCEPT:
			*dec = ar->r;
			return (OUT_ACCEPT);
		default:
			*dec = ar->r;
			return (OUT_REFUSE);
		}
	}
	return (OUT_CONT);
}

/* shq - append a value quoted for the shell when it needs it */
static void
shq(struct strbuf *sb, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789@%._:/+=-,", *p))
			break;
	if (*p == '\0' && *s != '\0') {
		strbuf_puts(sb, s);
		return;
	}
	strbuf_putc(sb, '\'');
	for (p = s; *p; p++)
		if (*p == '\'')
			strbuf_puts(sb, "'\\''");
		else
			strbuf_putc(sb, *p);
	strbuf_putc(sb, '\'');
}

/* witness - fill a finding's witness from the current choice */
static void
witness(struct an *an, struct finding *f)
{
	const struct cand *c;
	struct strbuf sb = STRBUF_INIT, note = STRBUF_INIT;
	size_t  k;

	f->has_witness = 1;
	c = &an->vars[V_CLIENT].c[an->choice[V_CLIENT]];
	f->w[RULES_WITNESS_CLIENT] = xstrdup(c->text);
	c = &an->vars[V_CNAME].c[an->choice[V_CNAME]];
	f->w[RULES_WITNESS_CLIENT_NAME] = c->text ? xstrdup(c->text) : NULL;
	c = &an->vars[V_DAEMON].c[an->choice[V_DAEMON]];
	f->w[RULES_WITNESS_DAEMON] = c->text ? xstrdup(c->text) : NULL;
	f->tls = an->vars[V_TLS].c[an->choice[V_TLS]].text != NULL;
	c = &an->vars[V_HELO].c[an->choice[V_HELO]];
	f->no_helo = c->skip;
	f->w[RULES_WITNESS_HELO] = c->text ? xstrdup(c->text) : NULL;
	c = &an->vars[V_SENDER].c[an->choice[V_SENDER]];
	f->w[RULES_WITNESS_SENDER] = xstrdup(c->text);
	c = &an->vars[V_RCPT].c[an->choice[V_RCPT]];
	f->w[RULES_WITNESS_RCPT] = xstrdup(c->text);
	f->w[RULES_WITNESS_RCPT_MAILER] = xstrdup(c->mailer);

	strbuf_puts(&sb, "relayguardctl explain");
	if (strcmp(an->r->source, "(default)") != 0) {
		strbuf_puts(&sb, " -c ");
		shq(&sb, an->r->source);
	}
	strbuf_puts(&sb, " --client ");
	shq(&sb, f->w[RULES_WITNESS_CLIENT]);
	if (f->w[RULES_WITNESS_CLIENT_NAME]) {
		strbuf_puts(&sb, " --client-name ");
		shq(&sb, f->w[RULES_WITNESS_CLIENT_NAME]);
	}
	if (f->w[RULES_WITNESS_DAEMON]) {
		strbuf_puts(&sb, " --daemon ");
		shq(&sb, f->w[RULES_WITNESS_DAEMON]);
	}
	if (f->tls)
		strbuf_puts(&sb, " --tls");
	if (f->no_helo)
		strbuf_puts(&sb, " --no-helo");
	else {
		strbuf_puts(&sb, " --helo ");
		shq(&sb, f->w[RULES_WITNESS_HELO]);
	}
	strbuf_puts(&sb, " --sender ");
	shq(&sb, f->w[RULES_WITNESS_SENDER]);
	strbuf_puts(&sb, " --rcpt ");
	shq(&sb, f->w[RULES_WITNESS_RCPT]);
	strbuf_puts(&sb, " --rcpt-mailer ");
	shq(&sb, f->w[RULES_WITNESS_RCPT_MAILER]);
	f->explain = strbuf_detach(&sb);

	for (k = V_NFIXED; k < an->nvars; k++) {
		const struct var *v = &an->vars[k];
		int     o = v->c[an->choice[k]].outcome;
		const char *val = NULL;

		if (o == 0)
			continue;
		switch (v->fact) {
		case RULES_FACT_HELO:
			val = f->w[RULES_WITNESS_HELO];
			break;
		case RULES_FACT_SENDER:
		case RULES_FACT_SENDER_DOMAIN:
			val = f->w[RULES_WITNESS_SENDER];
			break;
		case RULES_FACT_DAEMON:
			val = f->w[RULES_WITNESS_DAEMON];
			break;
		default:
			val = f->w[RULES_WITNESS_RCPT_MAILER];
			break;
		}
		if (val == NULL)
			continue;
		if (note.len)
			strbuf_puts(&note, "; ");
		strbuf_printf(&note, "table <%s> has %s entry for %s %s",
		    v->table->name, o == 1 ? "an OK" : "a refusing",
		    rules_facts_tab[v->fact].name, val);
	}
	if (note.len) {
		strbuf_puts(&note, "");
		f->note = strbuf_detach(&note);
	} else
		strbuf_free(&note);
}

/* known - has a finding of this kind (or open) this deciding rule? */
static int
known(const struct an *an, const struct rule *dec, enum rules_finding_kind k)
{
	size_t  i;

	for (i = 0; i < an->out->n; i++) {
		const struct finding *f = &an->out->f[i];

		if (f->rule == dec && f->has_witness && (f->kind == k ||
		    f->kind == RULES_FINDING_OPEN))
			return (1);
	}
	return (0);
}

/* forged - does the current path need a forgeable fact to match? */
static int
forged(const struct an *an)
{
	size_t  k;

	for (k = 0; k < an->nvars; k++)
		if (an->vars[k].forgeable && an->vars[k].c[an->choice[k]].nondef)
			return (1);
	return (0);
}

/* found - a path to a permit; dec NULL: the rcpt block ran out */
static void
found(struct an *an, const struct rule *dec, enum rules_stage stage)
{
	enum rules_finding_kind kind;
	struct finding *f;
	char    msg[1024], where[RULES_WHERE_MAX];
	const char *what;

	size_t  k;

	/* Stages after an accept never ran: their first values stand. */
	for (k = 0; k < an->nvars; k++)
		if (an->vars[k].stage > stage && an->vars[k].nallowed)
			an->choice[k] = an->vars[k].allowed[0];
	if (an->phase == 1)
		kind = RULES_FINDING_OPEN;
	else if (!forged(an))
		return;
	else if (dec != NULL && dec->weak_ok)
		kind = RULES_FINDING_WEAK_OK;
	else
		kind = RULES_FINDING_WEAK;
	if (known(an, dec, kind))
		return;
	what = kind == RULES_FINDING_OPEN ? "open relay" :
	    kind == RULES_FINDING_WEAK ? "weak permit" : "weak permit (weak-ok)";
	if (dec != NULL && dec->action == ACT_ACCEPT) {
		snprintf(where, sizeof(where), "%s", dec->where);
		snprintf(msg, sizeof(msg), "%s: \"%.300s\" accepts the %s of a "
		    "stranger, and with it every recipient in a foreign domain",
		    what, dec->text, stage == RULES_MAIL ? "message" :
		    "connection");
	} else if (dec != NULL) {
		snprintf(where, sizeof(where), "%s", dec->where);
		snprintf(msg, sizeof(msg), "%s: \"%.300s\" permits a "
		    "stranger's recipient in a foreign domain", what, dec->text);
	} else {
		snprintf(where, sizeof(where), "%s", an->r->source);
		snprintf(msg, sizeof(msg), "%s: %s, so a stranger's recipient "
		    "in a foreign domain is permitted", what,
		    an->nblock[RULES_RCPT] ? "no rule of the rcpt block refuses "
		    "it" : "there is no rcpt block");
	}
	if (kind == RULES_FINDING_WEAK)
		strncat(msg, " (it rests on forgeable facts; mark the rule "
		    "weak-ok if that is intended)", sizeof(msg) - strlen(msg) - 1);
	f = add_finding(an->out, kind, where, msg);
	f->rule = dec;
	witness(an, f);
	if (kind == RULES_FINDING_OPEN && ++an->nopen >= AN_MAX_FIND)
		an->stop = 1;
	if (kind == RULES_FINDING_WEAK && ++an->nweak >= AN_MAX_FIND)
		an->stop = 1;
	if (kind == RULES_FINDING_WEAK_OK)
		an->nweakok++;
}

static void enum_stage(struct an *, enum rules_stage, size_t);

/* eval_stage - run one stage under the current choice */
static void
eval_stage(struct an *an, enum rules_stage stage)
{
	const struct rule *dec;
	enum outcome o;

	if (++an->evals > AN_BUDGET) {
		an->incomplete = an->stop = 1;
		return;
	}
	if (stage == RULES_HELO && an->vars[V_HELO].c[an->choice[V_HELO]].skip) {
		o = OUT_CONT;
		dec = NULL;
	} else
		o = run_block(an, stage, &dec);
	if (o == OUT_REFUSE)
		return;
	if (o == OUT_ACCEPT || stage == RULES_RCPT) {
		found(an, dec, stage);
		return;
	}
	enum_stage(an, (enum rules_stage) (stage + 1), 0);
}

/* enum_stage - try every value of the stage's variables */
static void
enum_stage(struct an *an, enum rules_stage stage, size_t k)
{
	struct var *v;
	size_t  i;

	if (k == an->nstagevars[stage]) {
		eval_stage(an, stage);
		return;
	}
	v = &an->vars[an->stagevars[stage][k]];
	for (i = 0; i < v->nallowed && !an->stop; i++) {
		an->choice[an->stagevars[stage][k]] = v->allowed[i];
		enum_stage(an, stage, k + 1);
	}
}

/* same_cond - do two conditions test the same thing the same way? */
static int
same_cond(const struct arule *a, size_t i, const struct arule *b, size_t j)
{
	/* Inline sets are compiled once per use: compare the text too. */
	return ((a->atom[i] == b->atom[j] ||
	    strcmp(a->r->conds[i].text, b->r->conds[j].text) == 0) &&
	    a->r->conds[i].neg == b->r->conds[j].neg);
}

/* warn - add a warning */
static void
warn(struct rules_analysis *a, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
warn(struct rules_analysis *a, const char *where, const char *fmt, ...)
{
	char    msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_finding(a, RULES_FINDING_WARNING, where, msg);
}

/* warnings - the findings that are not about relaying */
static void
warnings(struct an *an)
{
	const struct rules *r = an->r;
	const struct arule *ar, *er;
	char    where[RULES_WHERE_MAX];
	size_t  s, i, j, k, c;
	int     used, bare, tv;

	for (s = 0; s < RULES_NSTAGES; s++)
		for (i = 0; i < an->nblock[s]; i++) {
			ar = &an->blocks[s][i];
			/* Shadowed: an earlier non-check rule with a subset. */
			for (j = 0; j < i; j++) {
				er = &an->blocks[s][j];
				if (er->r->action == ACT_CHECK ||
				    er->r->limit != NULL || er->r->spread != NULL)
					continue;
				for (k = 0; k < er->r->nconds; k++) {
					for (c = 0; c < ar->r->nconds; c++)
						if (same_cond(er, k, ar, c))
							break;
					if (c == ar->r->nconds)
						break;
				}
				if (k == er->r->nconds) {
					warn(an->out, ar->r->where, "rule \"%.200s\" "
					    "can never match: \"%.200s\" at %s always "
					    "decides first", ar->r->text, er->r->text,
					    er->r->where);
					break;
				}
			}
			for (k = 0, bare = 0, tv = 0; k < ar->r->nconds; k++) {
				const struct cond *cd = &ar->r->conds[k];

				if (s == RULES_HELO && ((cd->kind == COND_FLAG &&
				    (cd->id == FLAG_TLS || cd->id == FLAG_TLS_VERIFIED)) ||
				    (cd->kind != COND_FLAG && (cd->id ==
				    RULES_FACT_CERT_SUBJECT || cd->id == RULES_FACT_CERT_ISSUER))))
					warn(an->out, ar->r->where, "\"%.200s\" in the "
					    "helo block: neither Postfix nor Sendmail "
					    "knows TLS at the first EHLO, only at the one "
					    "after STARTTLS; test it in mail or rcpt",
					    cd->text);
				if (cd->kind == COND_FLAG && cd->id ==
				    FLAG_TLS_VERIFIED && !cd->neg)
					tv = 1;
				else if (!(cd->kind == COND_FLAG && cd->id == FLAG_TLS))
					bare = -1;
			}
			if (tv && bare == 0 && (ar->r->action == ACT_PERMIT ||
			    ar->r->action == ACT_ACCEPT))
				warn(an->out, ar->r->where, "\"%.200s\": any "
				    "certificate a trusted CA signed relays; test "
				    "cert-subject or cert-issuer as well",
				    ar->r->text);
		}
	for (i = 0; i < r->nlists; i++) {
		const struct list *l = r->lists[i];

		for (k = 0, used = 0; k < ITEM_NTYPES; k++)
			used |= l->compiled[k] != NULL || l->failed[k];
		if (!used) {
			snprintf(where, sizeof(where), "%s:%d", l->pos.file,
			    l->pos.line);
			warn(an->out, where, "list <%s> is never used", l->name);
		}
	}
	for (i = 0; i < r->ntables; i++) {
		const struct table *tb = r->tables[i];

		/* The certificate map is used by the identity fact. */
		used = tb == r->cert_map;
		for (s = 0; s < RULES_NSTAGES && !used; s++)
			for (j = 0; j < an->nblock[s] && !used; j++) {
				ar = &an->blocks[s][j];
				used = ar->r->check_table == tb;
				for (k = 0; k < ar->r->nconds && !used; k++)
					used = ar->r->conds[k].table == tb;
			}
		if (!used) {
			snprintf(where, sizeof(where), "%s:%d", tb->pos.file,
			    tb->pos.line);
			warn(an->out, where, "table <%s> is never used by a rule%s",
			    tb->name, tb->dynamic ? " (grants in it permit "
			    "nothing)" : "");
		}
	}
}

/* build - atoms, rules and variables */
static void
build(struct an *an)
{
	const struct rules *r = an->r;
	struct arule *ar;
	size_t  s, i, j;
	int     v;

	for (v = 0; v < V_NFIXED; v++)
		var_new(an, v == V_CLIENT || v == V_CNAME || v == V_DAEMON ?
		    RULES_CONNECT : v == V_TLS || v == V_HELO ? RULES_HELO :
		    v == V_SENDER ? RULES_MAIL : RULES_RCPT,
		    v == V_HELO || v == V_SENDER);
	for (s = 0; s < RULES_NSTAGES; s++) {
		an->nblock[s] = r->blocks[s].nrules;
		an->blocks[s] = xcalloc(an->nblock[s] + 1, sizeof(struct arule));
		for (i = 0; i < an->nblock[s]; i++) {
			ar = &an->blocks[s][i];
			ar->r = r->blocks[s].rules[i];
			ar->atom = xcalloc(ar->r->nconds + 1, sizeof(int));
			for (j = 0; j < ar->r->nconds; j++) {
				const struct cond *cd = &ar->r->conds[j];

				ar->atom[j] = atom_find(an, cd->kind, cd->id,
				    cd->kind == COND_SET ? (const void *) cd->set :
				    cd->kind == COND_TABLE ? (const void *) cd->table :
				    NULL);
			}
			ar->check_atom = ar->r->action == ACT_CHECK ?
			    atom_find(an, COND_TABLE, ar->r->check_fact,
			    ar->r->check_table) : -1;
		}
	}
	an->trust = xcalloc(an->natoms + 1, sizeof(int));
	for (i = 0; i < an->natoms; i++) {
		an->atoms[i].var = atom_var(an, &an->atoms[i]);
		an->trust[i] = an->atoms[i].kind == COND_SET &&
		    trusting(an, an->atoms[i].obj);
	}
	gen_fixed(an);
	for (i = 0; i < an->nvars; i++) {
		s = an->vars[i].stage;
		an->stagevars[s] = xreallocarray(an->stagevars[s],
		    an->nstagevars[s] + 1, sizeof(int));
		an->stagevars[s][an->nstagevars[s]++] = (int) i;
	}
	an->choice = xcalloc(an->nvars, sizeof(*an->choice));
}

/* an_free - release the search state */
static void
an_free(struct an *an)
{
	size_t  s, i, j;

	for (s = 0; s < RULES_NSTAGES; s++) {
		for (i = 0; i < an->nblock[s]; i++)
			free(an->blocks[s][i].atom);
		free(an->blocks[s]);
		free(an->stagevars[s]);
	}
	for (i = 0; i < an->nvars; i++) {
		for (j = 0; j < an->vars[i].n; j++) {
			free(an->vars[i].c[j].val);
			free(an->vars[i].c[j].text);
			free(an->vars[i].c[j].mailer);
		}
		free(an->vars[i].c);
		free(an->vars[i].allowed);
	}
	free(an->vars);
	free(an->atoms);
	free(an->trust);
	free(an->choice);
}

/* rules_analyse - run the analysis */
struct rules_analysis *
rules_analyse(const struct rules *r)
{
	struct rules_analysis *a = xcalloc(1, sizeof(*a));
	struct an an;
	size_t  i;

	memset(&an, 0, sizeof(an));
	an.r = r;
	an.out = a;
	build(&an);
	for (an.phase = 1; an.phase <= 2; an.phase++) {
		allow_phase(&an, an.phase);
		an.stop = 0;
		for (i = 0; i < an.nvars; i++)
			if (an.vars[i].nallowed == 0)
				break;
		if (i == an.nvars)
			enum_stage(&an, RULES_CONNECT, 0);
		if (an.incomplete)
			break;
	}
	if (an.incomplete)
		add_finding(a, RULES_FINDING_OPEN, r->source, "the relay "
		    "analysis gave up after too many combinations: the "
		    "configuration is not proved safe (simplify it, or set "
		    "open-relay allow)");
	warnings(&an);
	an_free(&an);
	return (a);
}

/* rules_analysis_count - findings */
size_t
rules_analysis_count(const struct rules_analysis *a)
{
	return (a->n);
}

/* rules_analysis_finding - the i-th finding */
int
rules_analysis_finding(const struct rules_analysis *a, size_t i,
	struct rules_finding *out)
{
	const struct finding *f;
	int     k;

	if (i >= a->n)
		return (-1);
	f = &a->f[i];
	memset(out, 0, sizeof(*out));
	out->kind = f->kind;
	out->where = f->where;
	out->message = f->message;
	out->has_witness = f->has_witness;
	for (k = 0; k < RULES_WITNESS_NFIELDS; k++)
		out->witness[k] = f->w[k];
	out->tls = f->tls;
	out->no_helo = f->no_helo;
	out->note = f->note;
	out->explain = f->explain;
	return (0);
}

/* rules_analysis_open - open and weak findings */
int
rules_analysis_open(const struct rules_analysis *a)
{
	return (a->open);
}

/* rules_analysis_format - every finding as text lines */
void
rules_analysis_format(const struct rules_analysis *a, const struct rules *r,
	struct strbuf *out)
{
	const struct finding *f;
	size_t  i;
	int     allow = r->settings.open_relay_allow;

	for (i = 0; i < a->n; i++) {
		f = &a->f[i];
		strbuf_printf(out, "%s: %s: %s\n", f->where,
		    f->kind == RULES_FINDING_WARNING ||
		    f->kind == RULES_FINDING_WEAK_OK || allow ? "warning" :
		    "error", f->message);
		if (f->kind == RULES_FINDING_WEAK_OK)
			continue;	/* intended: the rule is named, enough */
		if (f->has_witness)
			strbuf_printf(out, "%s:   witness: %s\n", f->where,
			    f->explain);
		if (f->note)
			strbuf_printf(out, "%s:   when %s\n", f->where, f->note);
	}
	if (a->open && allow)
		strbuf_printf(out, "%s: warning: open relay allowed by "
		    "\"open-relay allow\"\n", r->source);
}

/* rules_analysis_free - NULL-safe */
void
rules_analysis_free(struct rules_analysis *a)
{
	size_t  i;
	int     k;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->f[i].where);
		free(a->f[i].message);
		for (k = 0; k < RULES_WITNESS_NFIELDS; k++)
			free(a->f[i].w[k]);
		free(a->f[i].note);
		free(a->f[i].explain);
	}
	free(a->f);
	free(a);
}
