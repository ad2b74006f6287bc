/*
 * NAME
 *	set 3
 * SUMMARY
 *	compiled item sets: addresses, domains, mailboxes, strings
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	struct set *set_build(enum item_type type,
 *		const struct set_item *items, size_t n, size_t *bad,
 *		char *err, size_t errlen)
 *	void	set_free(struct set *set)
 *	int	set_item_check(enum item_type type,
 *		const struct set_item *item, char *err, size_t errlen)
 *	int	set_match_addr(const struct set *set, const struct addr *a)
 *	int	set_match_domain(const struct set *set, const char *dom)
 *	int	set_match_mailbox(const struct set *set,
 *		const struct mbox_val *m)
 *	int	set_match_string(const struct set *set, const char *s)
 *	int	rules_domain_canon(const char *in, char *out, size_t outlen)
 * DESCRIPTION
 *	A set is built once at load time and only read afterwards, so
 *	any number of threads may match against it at once.
 *
 *	Address sets are sorted, merged ranges per family, searched by
 *	bisection: a list of 100,000 networks costs 17 compares. Domain,
 *	mailbox and string sets are open-addressing hash sets, each with
 *	a bit filter (8 bits a key) that answers most misses without
 *	touching the table; a domain
 *	matches an item ".example.com" by walking its parent labels,
 *	so the cost is one probe per label.
 *
 *	Item syntax (spec section 2.2):
 *	address: 192.0.2.7, 192.0.2.0/24, 2001:db8::/32.
 *	domain: example.com (exact), .example.com (subdomains only),
 *	[192.0.2.1] (address literal, kept in canonical form).
 *	mailbox: user@example.com, user@, @example.com, example.com,
 *	@.example.com or .example.com (subdomains), <>.
 *	string: exact text, case-sensitive.
 *	domain, mailbox and string sets also take /regex/ and /regex/i
 *	(POSIX extended), matched against the normalised text.
 *	rules_rx_check() refuses what can stall a match (backreferences,
 *	patterns over RX_PATTERN_MAX bytes, intervals adding more than
 *	RX_COST_MAX copies); a text over RX_SUBJECT_MAX bytes is given
 *	to no regex and the match is SET_UNCERTAIN.
 *
 *	set_item_check() validates one item for a type; set_build()
 *	validates every item and compiles the set.
 *
 *	rules_domain_canon() normalises a domain fact or item the same
 *	way on both sides: domain_normalise(), and address literals
 *	rewritten to their canonical address text.
 * DIAGNOSTICS
 *	set_build() returns NULL when an item is bad: *bad is its index
 *	and err says why. set_item_check() returns 0 or -1 with err.
 *	Matchers return 1 or 0, and SET_UNCERTAIN when only a regex
 *	could have matched a text too long for it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/domain.h"
#include "common/xalloc.h"
#include "rules/rules_int.h"

/*
 * rules_hash - hash of a NUL-terminated string, eight bytes a step
 * (the hot path hashes every fact value against every set).
 */
uint32_t
rules_hash(const char *s)
{
	size_t  n = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
	uint32_t r;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	r = (uint32_t) h;
	return (r ? r : 1);
}

#define hash_str(s)	rules_hash(s)

/*
 * hset_insert - add a key, which the set takes over: a duplicate is
 * kept once and the second copy freed here.
 */
static void
hset_insert(struct hset *hs, char *key)
{
	uint32_t h;
	size_t  i;

	if (hs->slots == NULL || (hs->count + 1) * 2 > hs->mask + 1) {
		struct hset_slot *old = hs->slots;
		size_t  oldn = old ? hs->mask + 1 : 0;
		size_t  n = oldn ? oldn * 2 : 16;
		size_t  j;

		hs->slots = xcalloc(n, sizeof(*hs->slots));
		hs->mask = n - 1;
		for (j = 0; j < oldn; j++) {
			if (old[j].key == NULL)
				continue;
			i = old[j].hash & hs->mask;
			while (hs->slots[i].key != NULL)
				i = (i + 1) & hs->mask;
			hs->slots[i] = old[j];
		}
		free(old);
	}
	h = hash_str(key);
	for (i = h & hs->mask; hs->slots[i].key != NULL; i = (i + 1) & hs->mask)
		if (hs->slots[i].hash == h && strcmp(hs->slots[i].key, key) == 0) {
			free(key);
			return;
		}
	hs->slots[i].hash = h;
	hs->slots[i].key = key;
	hs->count++;
}

/* filter_bit - the filter bit of a hash (other bits than the slot's) */
static uint32_t
filter_bit(uint32_t h, uint32_t fmask)
{
	return ((h * 2654435761u) >> 7 ^ h >> 19) & fmask;
}

/* hset_finish - build the filter once every key is in */
static void
hset_finish(struct hset *hs)
{
	size_t  bits = 1024, i;
	uint32_t b;

	if (hs->count == 0)
		return;
	while (bits < hs->count * 8 && bits < ((size_t) 1 << 31))
		bits *= 2;
	hs->filter = xcalloc(bits / 64, sizeof(*hs->filter));
	hs->fmask = (uint32_t) (bits - 1);
	for (i = 0; i <= hs->mask; i++) {
		if (hs->slots[i].key == NULL)
			continue;
		b = filter_bit(hs->slots[i].hash, hs->fmask);
		hs->filter[b / 64] |= (uint64_t) 1 << (b % 64);
	}
}

/* hset_has_h - is key (whose hash is h) in the set? */
static int
hset_has_h(const struct hset *hs, const char *key, uint32_t h)
{
	uint32_t b;
	size_t  i;

	if (hs->count == 0)
		return (0);
	if (hs->filter != NULL) {
		b = filter_bit(h, hs->fmask);
		if ((hs->filter[b / 64] & ((uint64_t) 1 << (b % 64))) == 0)
			return (0);
	}
	for (i = h & hs->mask; hs->slots[i].key != NULL; i = (i + 1) & hs->mask)
		if (hs->slots[i].hash == h && strcmp(hs->slots[i].key, key) == 0)
			return (1);
	return (0);
}

/* hset_has - is key in the set? */
static int
hset_has(const struct hset *hs, const char *key)
{
	if (hs->count == 0)
		return (0);
	return (hset_has_h(hs, key, hash_str(key)));
}

/* hset_free - free the slots and the keys */
static void
hset_free(struct hset *hs)
{
	size_t  i;

	if (hs->slots == NULL)
		return;
	for (i = 0; i <= hs->mask; i++)
		free((void *) (uintptr_t) hs->slots[i].key);
	free(hs->slots);
	free(hs->filter);
	hs->slots = NULL;
	hs->filter = NULL;
}

/* rules_domain_canon - normalise a domain, canonical address literals */
int
rules_domain_canon(const char *in, char *out, size_t outlen)
{
	struct addr a;
	char    buf[ADDR_STRLEN];
	int     n;

	n = domain_normalise(in, out, outlen);
	if (n < 0)
		return (-1);
	if (out[0] == '[') {
		if (addr_parse(out, &a) < 0)
			return (-1);
		addr_format(&a, buf, sizeof(buf));
		n = snprintf(out, outlen, "[%s]", buf);
		if (n < 0 || (size_t) n >= outlen)
			return (-1);
	}
	return (n);
}

/* local_ok - is this a plausible (lowercased) local part item? */
static int
local_ok(const char *s, size_t len)
{
	size_t  i;

	if (len == 0 || len > 64 * 4)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char) s[i] <= ' ' || s[i] == '@' || s[i] == '<' ||
		    s[i] == '>' || s[i] == 0x7f)
			return (0);
	return (1);
}

/* lower_dup - lowercased copy of len bytes */
static char *
lower_dup(const char *s, size_t len)
{
	char   *d = xstrndup(s, len);
	char   *p;

	for (p = d; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return (d);
}

/* parse_domain_item - "example.com" or ".example.com"; sets *sub */
static char *
parse_domain_item(const char *text, int *sub, char *err, size_t errlen)
{
	char    buf[DOMAIN_MAX + 1];

	*sub = 0;
	if (text[0] == '.' && text[1] != '\0') {
		*sub = 1;
		text++;
	}
	if (text[0] == '.' || strstr(text, "..") != NULL ||
	    rules_domain_canon(text, buf, sizeof(buf)) < 0) {
		snprintf(err, errlen, "not a domain");
		return (NULL);
	}
	if (*sub && buf[0] == '[') {
		snprintf(err, errlen, "an address literal has no subdomains");
		return (NULL);
	}
	if (strchr(buf, '/') != NULL) {
		snprintf(err, errlen, "not a domain");
		return (NULL);
	}
	return (xstrdup(buf));
}

/*
 * rules_rx_check - refuse what can make a regular expression slow:
 * backreferences (matching them is exponential, and glibc serialises
 * the matches of one regex), patterns over RX_PATTERN_MAX bytes, and
 * bounded repetition that makes the automaton large (glibc copies
 * what an interval repeats, and the copies multiply when intervals
 * nest or follow each other): an interval {m,n} adds (n - 1) copies
 * of what it repeats, an atom or bracket expression counts 1 and a
 * group what it holds, and the copies added in the whole pattern must
 * stay within RX_COST_MAX. "*", "+", "?" and alternation add no
 * copies and cost little on a subject of RX_SUBJECT_MAX bytes.
 * *at (when not NULL) is the byte offset of the culprit.
 * Returns 0, or -1 with err.
 */
int
rules_rx_check(const char *re, size_t *at, char *err, size_t errlen)
{
	double  sum[RX_PATTERN_MAX + 1], cur[RX_PATTERN_MAX + 1], last = 0;
	double  atoms = 0, last2;
	size_t  i, n = strlen(re), depth = 0, j, start;
	unsigned long lo, hi;
	char   *end;

	if (at != NULL)
		*at = 0;
	if (n > RX_PATTERN_MAX) {
		snprintf(err, errlen, "regular expression longer than %d "
		    "bytes", RX_PATTERN_MAX);
		return (-1);
	}
	sum[0] = cur[0] = 0;
	for (i = 0; i < n; i++) {
		start = i;
		switch (re[i]) {
		case '\\':
			if (re[i + 1] >= '1' && re[i + 1] <= '9') {
				if (at != NULL)
					*at = i;
				snprintf(err, errlen, "backreference \\%c: "
				    "backreferences are not supported (they can "
				    "make one match take minutes)", re[i + 1]);
				return (-1);
			}
			if (re[i + 1] != '\0')
				i++;
			cur[depth] += last = 1;
			break;
		case '[':
			/* A bracket expression: "]" first is literal, and
			 * [:class:], [.x.], [=x=] hold their own "]". */
			j = i + 1;
			if (re[j] == '^')
				j++;
			if (re[j] == ']')
				j++;
			for (; j < n && re[j] != ']'; j++)
				if (re[j] == '[' && (re[j + 1] == ':' ||
				    re[j + 1] == '.' || re[j + 1] == '=')) {
					char    d = re[j + 1];

					for (j += 2; j + 1 < n && !(re[j] == d &&
					    re[j + 1] == ']'); j++)
						 /* void */ ;
					j++;
				}
			i = j < n ? j : n - 1;
			cur[depth] += last = 1;
			break;
		case '(':
			depth++;
			sum[depth] = cur[depth] = 0;
			last = 0;
			break;
		case ')':
			if (depth == 0) {
				cur[depth] += last = 1;
				break;
			}
			last = sum[depth] + cur[depth];
			depth--;
			cur[depth] += last;
			break;
		case '|':
			sum[depth] += cur[depth];
			cur[depth] = last = 0;
			break;
		case '*':
		case '+':
		case '?':
			break;
		case '{':
			if (re[i + 1] < '0' || re[i + 1] > '9') {
				cur[depth] += last = 1;
				break;
			}
			lo = hi = strtoul(re + i + 1, &end, 10);
			if (*end == ',')
				hi = end[1] >= '0' && end[1] <= '9' ?
				    strtoul(end + 1, &end, 10) : (end++, lo + 1);
			if (hi < lo)
				hi = lo;
			if (hi > 1000000)
				hi = 1000000;	/* far over the limit anyway */
			cur[depth] += last * (double) (hi > 0 ? hi - 1 : 0);
			last *= (double) (hi > 0 ? hi : 1);
			i = *end == '}' ? (size_t) (end - re) : i;
			break;
		case '^':
		case '$':
			last = 0;
			break;
		default:
			cur[depth] += last = 1;
			break;
		}
		if (re[start] != '{' && re[start] != '(' && re[start] != ')' &&
		    re[start] != '|' && re[start] != '^' && re[start] != '$' &&
		    re[start] != '*' && re[start] != '+' && re[start] != '?')
			atoms++;
		for (j = 0, last2 = 0; j <= depth; j++)
			last2 += sum[j] + cur[j];
		if (last2 - atoms > RX_COST_MAX || last > RX_COST_MAX +
		    RX_PATTERN_MAX) {
			if (at != NULL)
				*at = start;
			snprintf(err, errlen, "repetition too large: its "
			    "intervals add more than %d copies of what they "
			    "repeat (use smaller {m,n} bounds, or fewer nested "
			    "ones)", RX_COST_MAX);
			return (-1);
		}
	}
	return (0);
}

/* add_item - check one item and, when set is not NULL, add it */
static int
add_item(struct set *set, enum item_type type, const struct set_item *it,
	char *err, size_t errlen)
{
	struct prefix pfx;
	const char *at;
	char   *s;
	int     sub, flags, rc;
	char    perr[128];

	if (it->regex) {
		regex_t re;

		if (type == ITEM_ADDRESS) {
			snprintf(err, errlen, "a regular expression cannot "
			    "match an address (use a network, e.g. 192.0.2.0/24)");
			return (-1);
		}
		if (rules_rx_check(it->text, NULL, err, errlen) < 0)
			return (-1);
		flags = REG_EXTENDED | REG_NOSUB | (it->icase ? REG_ICASE : 0);
		if ((rc = regcomp(&re, it->text, flags)) != 0) {
			regerror(rc, &re, perr, sizeof(perr));
			snprintf(err, errlen, "bad regular expression /%s/: %s",
			    it->text, perr);
			return (-1);
		}
		if (set == NULL) {
			regfree(&re);
			return (0);
		}
		set->rx = xreallocarray(set->rx, set->nrx + 1, sizeof(*set->rx));
		set->rx[set->nrx].re = re;
		set->rx[set->nrx].src = xstrdup(it->text);
		set->nrx++;
		return (0);
	}
	switch (type) {
	case ITEM_ADDRESS:
		if (prefix_parse(it->text, &pfx, perr, sizeof(perr)) < 0) {
			snprintf(err, errlen, "not an address or network (%s)",
			    perr[0] ? perr : "bad syntax");
			return (-1);
		}
		if (set == NULL)
			return (0);
		if (pfx.addr.family == ADDR_V4) {
			uint32_t a = ((uint32_t) pfx.addr.bytes[0] << 24) |
			((uint32_t) pfx.addr.bytes[1] << 16) |
			((uint32_t) pfx.addr.bytes[2] << 8) | pfx.addr.bytes[3];
			uint32_t m = pfx.len == 0 ? 0 :
			(uint32_t) (0xffffffffu << (32 - pfx.len));

			set->v4 = xreallocarray(set->v4, set->n4 + 1,
			    sizeof(*set->v4));
			set->v4[set->n4].lo = a & m;
			set->v4[set->n4].hi = (a & m) | ~m;
			set->n4++;
		} else {
			unsigned __int128 a = 0, m;
			int     i;

			for (i = 0; i < 16; i++)
				a = (a << 8) | pfx.addr.bytes[i];
			m = pfx.len == 0 ? 0 :
			    ~(unsigned __int128) 0 << (128 - pfx.len);
			set->v6 = xreallocarray(set->v6, set->n6 + 1,
			    sizeof(*set->v6));
			set->v6[set->n6].lo = a & m;
			set->v6[set->n6].hi = (a & m) | ~m;
			set->n6++;
		}
		return (0);
	case ITEM_DOMAIN:
		if ((s = parse_domain_item(it->text, &sub, err, errlen)) == NULL)
			return (-1);
		if (set == NULL)
			free(s);
		else
			hset_insert(sub ? &set->sub : &set->exact, s);
		return (0);
	case ITEM_MAILBOX:
		if (strcmp(it->text, "<>") == 0) {
			if (set)
				set->null = 1;
			return (0);
		}
		if ((at = strrchr(it->text, '@')) == NULL || at == it->text) {
			/* "example.com" or "@example.com": any user there */
			const char *d = at ? at + 1 : it->text;

			if ((s = parse_domain_item(d, &sub, err, errlen)) == NULL) {
				snprintf(err, errlen, "not a mailbox "
				    "(user@domain, user@, @domain or <>)");
				return (-1);
			}
			if (set == NULL)
				free(s);
			else
				hset_insert(sub ? &set->sub : &set->exact, s);
			return (0);
		}
		if (!local_ok(it->text, (size_t) (at - it->text))) {
			snprintf(err, errlen, "not a mailbox "
			    "(user@domain, user@, @domain or <>)");
			return (-1);
		}
		if (at[1] == '\0') {
			s = lower_dup(it->text, (size_t) (at - it->text));
			if (set == NULL)
				free(s);
			else
				hset_insert(&set->local, s);
			return (0);
		} else {
			char    dom[DOMAIN_MAX + 1];
			char   *loc;
			size_t  n;

			if (rules_domain_canon(at + 1, dom, sizeof(dom)) < 0 ||
			    at[1] == '.') {
				snprintf(err, errlen, "not a mailbox: "
				    "bad domain after @");
				return (-1);
			}
			if (set == NULL)
				return (0);
			loc = lower_dup(it->text, (size_t) (at - it->text));
			n = strlen(loc) + strlen(dom) + 2;
			s = xmalloc(n);
			snprintf(s, n, "%s@%s", loc, dom);
			free(loc);
			hset_insert(&set->mbox, s);
			return (0);
		}
	case ITEM_STRING:
		if (it->text[0] == '\0') {
			snprintf(err, errlen, "empty string item");
			return (-1);
		}
		if (set)
			hset_insert(&set->exact, xstrdup(it->text));
		return (0);
	default:
		snprintf(err, errlen, "unknown item type");
		return (-1);
	}
}

/* set_item_check - validate one item for a type */
int
set_item_check(enum item_type type, const struct set_item *it, char *err,
	size_t errlen)
{
	return (add_item(NULL, type, it, err, errlen));
}

/* cmp4, cmp6 - order ranges by start */
static int
cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;

	return (x->lo < y->lo ? -1 : x->lo > y->lo);
}

static int
cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	return (x->lo < y->lo ? -1 : x->lo > y->lo);
}

/* merge4, merge6 - sort and merge overlapping or adjacent ranges */
static void
merge4(struct set *set)
{
	size_t  i, o = 0;

	if (set->n4 == 0)
		return;
	qsort(set->v4, set->n4, sizeof(*set->v4), cmp4);
	for (i = 1; i < set->n4; i++) {
		if (set->v4[o].hi == UINT32_MAX ||
		    set->v4[i].lo <= set->v4[o].hi + 1) {
			if (set->v4[i].hi > set->v4[o].hi)
				set->v4[o].hi = set->v4[i].hi;
		} else
			set->v4[++o] = set->v4[i];
	}
	set->n4 = o + 1;
}

static void
merge6(struct set *set)
{
	const unsigned __int128 max = ~(unsigned __int128) 0;
	size_t  i, o = 0;

	if (set->n6 == 0)
		return;
	qsort(set->v6, set->n6, sizeof(*set->v6), cmp6);
	for (i = 1; i < set->n6; i++) {
		if (set->v6[o].hi == max || set->v6[i].lo <= set->v6[o].hi + 1) {
			if (set->v6[i].hi > set->v6[o].hi)
				set->v6[o].hi = set->v6[i].hi;
		} else
			set->v6[++o] = set->v6[i];
	}
	set->n6 = o + 1;
}

/* set_build - validate and compile items into a set */
struct set *
set_build(enum item_type type, const struct set_item *items, size_t n,
	size_t *bad, char *err, size_t errlen)
{
	struct set *set = xcalloc(1, sizeof(*set));
	size_t  i;

	set->type = type;
	for (i = 0; i < n; i++) {
		if (add_item(set, type, &items[i], err, errlen) < 0) {
			*bad = i;
			set_free(set);
			return (NULL);
		}
	}
	merge4(set);
	merge6(set);
	hset_finish(&set->exact);
	hset_finish(&set->sub);
	hset_finish(&set->mbox);
	hset_finish(&set->local);
	return (set);
}

/* set_free - release a set; NULL-safe */
void
set_free(struct set *set)
{
	size_t  i;

	if (set == NULL)
		return;
	free(set->v4);
	free(set->v6);
	hset_free(&set->exact);
	hset_free(&set->sub);
	hset_free(&set->mbox);
	hset_free(&set->local);
	for (i = 0; i < set->nrx; i++) {
		regfree(&set->rx[i].re);
		free(set->rx[i].src);
	}
	free(set->rx);
	free(set);
}

/* set_run4 - the IPv4 run of the set holding v, or NULL */
const struct range4 *
set_run4(const struct set *set, uint32_t v)
{
	size_t  lo = 0, hi = set->n4, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->v4[mid].hi < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < set->n4 && set->v4[lo].lo <= v ? &set->v4[lo] : NULL);
}

/* set_run6 - the IPv6 run of the set holding v, or NULL */
const struct range6 *
set_run6(const struct set *set, unsigned __int128 v)
{
	size_t  lo = 0, hi = set->n6, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->v6[mid].hi < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < set->n6 && set->v6[lo].lo <= v ? &set->v6[lo] : NULL);
}

/* set_match_addr - is the address inside one of the networks? */
int
set_match_addr(const struct set *set, const struct addr *a)
{
	unsigned __int128 v6 = 0;
	int     i;

	if (a->family == ADDR_V4)
		return (set_run4(set, ((uint32_t) a->bytes[0] << 24) |
		    ((uint32_t) a->bytes[1] << 16) |
		    ((uint32_t) a->bytes[2] << 8) | a->bytes[3]) != NULL);
	for (i = 0; i < 16; i++)
		v6 = (v6 << 8) | a->bytes[i];
	return (set_run6(set, v6) != NULL);
}

/*
 * match_rx - does any regex match the text? 1, 0, or SET_UNCERTAIN
 * for a text longer than RX_SUBJECT_MAX, which no regex is run on
 */
static int
match_rx(const struct set *set, const char *s)
{
	size_t  i;

	if (strnlen(s, RX_SUBJECT_MAX + 1) > RX_SUBJECT_MAX)
		return (SET_UNCERTAIN);
	for (i = 0; i < set->nrx; i++)
		if (regexec(&set->rx[i].re, s, 0, NULL, 0) == 0)
			return (1);
	return (0);
}

/* match_dom - exact (hash h, 0: not known), then each parent */
static int
match_dom(const struct set *set, const char *dom, uint32_t h)
{
	const char *p;

	if (set->exact.count && hset_has_h(&set->exact, dom,
	    h ? h : hash_str(dom)))
		return (1);
	if (set->sub.count != 0)
		for (p = domain_parent(dom); p != NULL; p = domain_parent(p))
			if (hset_has(&set->sub, p))
				return (1);
	return (0);
}

/* set_match_domain - dom is normalised (rules_domain_canon) */
int
set_match_domain(const struct set *set, const char *dom)
{
	if (match_dom(set, dom, 0))
		return (1);
	return (set->nrx ? match_rx(set, dom) : 0);
}

/* join_box - "local@domain" into buf, "" when it does not fit */
static void
join_box(char *buf, size_t len, const char *local, const char *domain)
{
	size_t  ln = strlen(local), dn = strlen(domain);

	if (ln + dn + 2 > len) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, local, ln);
	buf[ln] = '@';
	memcpy(buf + ln + 1, domain, dn + 1);
}

/* mbox_prepare - the strings and hashes set_match_mailbox() probes */
void
mbox_prepare(struct mbox_val *m)
{
	m->full[0] = m->full_base[0] = '\0';
	if (m->null || m->local == NULL)
		return;
	m->h_local = hash_str(m->local);
	m->h_base = m->local_base ? hash_str(m->local_base) : 0;
	if (m->domain) {
		m->h_domain = hash_str(m->domain);
		join_box(m->full, sizeof(m->full), m->local, m->domain);
		m->h_full = hash_str(m->full);
		if (m->local_base) {
			join_box(m->full_base, sizeof(m->full_base),
			    m->local_base, m->domain);
			m->h_full_base = hash_str(m->full_base);
		}
	}
}

/* set_match_mailbox - local part with and without its extension */
int
set_match_mailbox(const struct set *set, const struct mbox_val *m)
{
	if (m->null)
		return (set->null ? 1 : set->nrx ? match_rx(set, "<>") : 0);
	if (m->local == NULL)
		return (0);
	if (set->local.count && (hset_has_h(&set->local, m->local, m->h_local) ||
	    (m->local_base && hset_has_h(&set->local, m->local_base,
	    m->h_base))))
		return (1);
	if (set->mbox.count && ((m->full[0] && hset_has_h(&set->mbox, m->full,
	    m->h_full)) || (m->full_base[0] && hset_has_h(&set->mbox,
	    m->full_base, m->h_full_base))))
		return (1);
	if (m->domain && match_dom(set, m->domain, m->h_domain))
		return (1);
	return (set->nrx && m->text ? match_rx(set, m->text) : 0);
}

/* set_match_string - exact text or a regex */
int
set_match_string(const struct set *set, const char *s)
{
	if (hset_has(&set->exact, s))
		return (1);
	return (set->nrx ? match_rx(set, s) : 0);
}
