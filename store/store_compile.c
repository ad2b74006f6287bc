/*
 * NAME
 *	store_compile - build an LMDB table from Postfix access(5) text
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_compile(srcname, text, len, dst, hooks, stats, err, errlen)
 *	int store_compile_values(srcname, text, len, dst, values, hooks,
 *		stats, err, errlen)
 * DESCRIPTION
 *	The source is Postfix access(5) text: "key value" per logical
 *	line; a line whose first non-blank character is '#' is a comment;
 *	blank lines are ignored; a line that starts with white space
 *	continues the previous logical line (joined with one space). Keys
 *	are lowercased; IPv6 address keys are written in their compressed
 *	form (an IPv4-mapped one as the IPv4 address); a shortened IPv6
 *	network such as 2001:db8:6 is kept as written (lookups cut the
 *	compressed address at each ':', store.c), with a warning when a
 *	field has a leading zero, which no lookup produces; CIDR keys
 *	(192.0.2.0/24, 2001:db8::/32) go to their own database, keyed by
 *	family, length and network, beside the list of lengths present,
 *	so that a lookup probes one key per length (store.c). Every value
 *	must pass store_action_parse(), except in a login map
 *	(STORE_VALUES_OWNERS, Postfix's smtpd_sender_login_maps), whose
 *	values are lists of owners: not empty, no control characters. A
 *	key given twice keeps its first value, with a warning, as
 *	postmap(1) does.
 *
 *	Every error is reported, as "SRC:LINE: error: message", and
 *	nothing is written when there is one.
 *
 *	Atomic replacement. An existing table is rewritten in place in
 *	ONE LMDB write transaction: its databases are emptied (mdb_drop)
 *	and refilled with the sorted keys (MDB_APPEND). Readers in other
 *	processes and threads see the old table or the new one, whichever
 *	transaction they started in, and need not reopen anything; a
 *	compile that fails or is killed never commits, so the old table
 *	stays. This avoids the lock-file trap of write-temp-then-rename:
 *	LMDB keeps the latest transaction id in PATH-lock, so a new data
 *	file renamed over a table that daemons hold open would be read
 *	through the old file's lock state, possibly through the wrong meta
 *	page.
 *
 *	Only when the table does not exist, or is not a readable LMDB file
 *	(truncated, corrupt; then no reader can have it open), is it built
 *	as PATH.tmp.PID with its own lock file, committed twice (so that
 *	both LMDB meta pages describe the complete table, whatever lock
 *	state a reader meets), and renamed over PATH after the stale
 *	PATH-lock is removed. Readers notice the new inode (store.c).
 *	A file that is a valid LMDB database of another program (e.g. a
 *	postmap-built .lmdb file) is never overwritten.
 * DIAGNOSTICS
 *	Returns 0 written, 1 errors in the text (nothing written), -1
 *	system or LMDB error (err; the old table intact).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "store/store_int.h"

/* One key/value pair; key and val point into the text or a join. */
struct ent {
	const char *key;
	const char *val;
	unsigned klen;
	unsigned vlen;
	unsigned line;
};

/* A CIDR key in its binary form. */
struct cent {
	uint8_t	key[18];
	unsigned klen;
	const char *val;
	unsigned vlen;
	unsigned line;
};

struct compile {
	const char *src;
	const struct store_compile_hooks *hooks;
	struct store_compile_stats *st;
	struct ent *ents;
	size_t	nents, aents;
	struct cent *cents;
	size_t	ncents, acents;
	char  **joins;			/* joined continuation lines */
	size_t	njoins, ajoins;
	uint8_t	have[2][129];		/* prefix lengths present */
	unsigned last_pct;
	const char *phase;
	enum store_values values;
};

/* check_owners - a login map value: owner names; 0, or -1 with why */
static int
check_owners(const char *val, char *why, size_t whylen)
{
	const char *p;

	for (p = val; *p; p++)
		if ((unsigned char) *p < 0x20 && *p != '\t') {
			snprintf(why, whylen, "control character in owners");
			return (-1);
		}
	if (val[strspn(val, ", \t")] == 0) {
		snprintf(why, whylen, "no owner named");
		return (-1);
	}
	return (0);
}

/* diag - report one diagnostic */
static void
diag(struct compile *c, unsigned line, const char *kind, const char *fmt,
	...) __attribute__((format(printf, 4, 5)));

static void
diag(struct compile *c, unsigned line, const char *kind, const char *fmt,
	...)
{
	char    msg[1024];
	char    full[1200];
	va_list ap;
	char   *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Keys and values quoted from the text must not reach a terminal
	 * or log with their control characters (ESC sequences, CR). */
	for (p = msg; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	if (strcmp(kind, "error") == 0)
		c->st->errors++;
	if (c->hooks != NULL && c->hooks->diag != NULL) {
		snprintf(full, sizeof(full), "%s:%u: %s: %s", c->src, line,
		    kind, msg);
		c->hooks->diag(c->hooks->arg, full);
	}
}

/* progress - report progress, at most once per percent */
static void
progress(struct compile *c, const char *phase, size_t done, size_t total)
{
	unsigned pct = total ? (unsigned) ((done * 100) / total) : 100;

	if (c->hooks == NULL || c->hooks->progress == NULL)
		return;
	if (phase != c->phase || pct != c->last_pct) {
		c->phase = phase;
		c->last_pct = pct;
		c->hooks->progress(c->hooks->arg, phase, pct);
	}
}

/* shown - a key fit for a message */
static int
shown_len(unsigned n)
{
	return ((int) (n > 80 ? 80 : n));
}

/*
 * v6_field_zero_padded - is key a shortened IPv6 address (hex fields
 * and ':' only) with a field such as "0db8", which the compressed text
 * of an address never has?
 */
static int
v6_field_zero_padded(const char *key)
{
	const char *f;
	size_t  n;

	if (key[strspn(key, "0123456789abcdef:")] != 0)
		return (0);
	for (f = key; *f != 0; f += n + (f[n] == ':')) {
		n = strcspn(f, ":");
		if (n > 4)
			return (0);
		if (n > 1 && f[0] == '0')
			return (1);
	}
	return (0);
}

/* add_entry - classify and keep one key/value pair */
static void
add_entry(struct compile *c, char *key, unsigned klen, char *val,
	unsigned vlen, unsigned line)
{
	enum store_action act;
	char    code[4], xcode[16], why[256];
	const char *text;
	char   *slash;
	struct prefix pfx;
	struct addr a;
	unsigned i;

	for (i = 0; i < klen; i++)
		key[i] = (char) tolower((unsigned char) key[i]);
	if (klen > STORE_KEY_MAX) {
		diag(c, line, "error", "key longer than %d bytes",
		    STORE_KEY_MAX);
		return;
	}
	if (vlen >= STORE_VALUE_MAX) {
		diag(c, line, "error", "value longer than %d bytes",
		    STORE_VALUE_MAX - 1);
		return;
	}
	if (c->values == STORE_VALUES_OWNERS ?
	    check_owners(val, why, sizeof(why)) < 0 :
	    store_action_parse(val, &act, code, xcode, &text, why,
	    sizeof(why)) < 0) {
		diag(c, line, "error", "%.*s: %s", shown_len(klen), key, why);
		return;
	}

	if ((slash = strchr(key, '/')) != NULL) {
		char    unbr[STORE_KEY_MAX + 1];

		/* cidr_table(5) allows "[2001:db8::]/32" */
		if (key[0] == '[' && slash > key + 1 && slash[-1] == ']')
			snprintf(unbr, sizeof(unbr), "%.*s%s",
			    (int) (slash - key - 2), key + 1, slash);
		else
			snprintf(unbr, sizeof(unbr), "%s", key);
		slash = strchr(unbr, '/');
		*slash = 0;
		i = addr_parse(unbr, &a) == 0 && unbr[0] != '[';
		*slash = '/';
		if (i) {
			if (prefix_parse(unbr, &pfx, why, sizeof(why)) < 0) {
				diag(c, line, "error", "bad CIDR key %.*s: %s",
				    shown_len(klen), key, why);
				return;
			}
			if (c->ncents == c->acents) {
				c->acents = c->acents ? 2 * c->acents : 1024;
				c->cents = xreallocarray(c->cents, c->acents,
				    sizeof(*c->cents));
			}
			struct cent *ce = &c->cents[c->ncents++];

			memset(ce->key, 0, sizeof(ce->key));
			ce->key[0] = (uint8_t) pfx.addr.family;
			ce->key[1] = (uint8_t) pfx.len;
			ce->klen = STORE_CIDR_KEYLEN(pfx.addr.family);
			memcpy(ce->key + 2, pfx.addr.bytes, ce->klen - 2);
			ce->val = val;
			ce->vlen = vlen;
			ce->line = line;
			c->have[pfx.addr.family == ADDR_V6][pfx.len] = 1;
			return;
		}
	} else if (strchr(key, ':') != NULL && key[0] != '[' &&
	    addr_parse(key, &a) == 0) {
		/* Lookups use the canonical form: so must the key. */
		char    canon[ADDR_STRLEN];
		size_t  n;

		addr_format(&a, canon, sizeof(canon));
		n = strlen(canon);
		if (n <= klen) {
			memcpy(key, canon, n);
			key[n] = 0;
		} else {
			/*
			 * Longer than the text ("::a:b" is "::0.10.0.11"):
			 * keep a copy with the joined lines, freed with them.
			 */
			if (c->njoins == c->ajoins) {
				c->ajoins = c->ajoins ? 2 * c->ajoins : 16;
				c->joins = xreallocarray(c->joins, c->ajoins,
				    sizeof(*c->joins));
			}
			key = c->joins[c->njoins++] = xstrdup(canon);
		}
		klen = (unsigned) n;
	} else if (strchr(key, ':') != NULL && v6_field_zero_padded(key)) {
		diag(c, line, "warning", "%.*s: an IPv6 network key with a "
		    "leading zero never matches (client addresses are looked "
		    "up in compressed form, cut at each ':'): write %s",
		    shown_len(klen), key, "fields without leading zeros");
	}
	if (c->nents == c->aents) {
		c->aents = c->aents ? 2 * c->aents : 4096;
		c->ents = xreallocarray(c->ents, c->aents, sizeof(*c->ents));
	}
	c->ents[c->nents].key = key;
	c->ents[c->nents].klen = klen;
	c->ents[c->nents].val = val;
	c->ents[c->nents].vlen = vlen;
	c->ents[c->nents].line = line;
	c->nents++;
}

/* logical_line - split "key value" (NUL-terminated, writable) */
static void
logical_line(struct compile *c, char *s, size_t n, unsigned line)
{
	char   *key, *val;
	size_t  klen;

	while (n > 0 && isspace((unsigned char) s[n - 1]))
		n--;
	s[n] = 0;
	key = s;
	klen = strcspn(key, " \t\r");
	val = key + klen;
	while (*val == ' ' || *val == '\t' || *val == '\r')
		val++;
	if (*val == 0) {
		diag(c, line, "error", "expected \"key whitespace value\", "
		    "got only \"%.*s\"", shown_len((unsigned) klen), key);
		return;
	}
	key[klen] = 0;
	add_entry(c, key, (unsigned) klen, val,
	    (unsigned) (s + n - val), line);
}

/* join - the text of a logical line that has continuation lines */
static char *
join(struct compile *c, const char *start, const char *end)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = start, *e, *q;

	while (p < end) {
		e = memchr(p, '\n', (size_t) (end - p));
		if (e == NULL)
			e = end;
		q = p;
		while (q < e && isspace((unsigned char) *q))
			q++;
		if (q < e && *q != '#') {
			size_t  n = (size_t) (e - q);

			while (n > 0 && isspace((unsigned char) q[n - 1]))
				n--;
			if (sb.len > 0)
				strbuf_putc(&sb, ' ');
			strbuf_append(&sb, q, n);
		}
		p = e + 1;
	}
	if (c->njoins == c->ajoins) {
		c->ajoins = c->ajoins ? 2 * c->ajoins : 16;
		c->joins = xreallocarray(c->joins, c->ajoins,
		    sizeof(*c->joins));
	}
	c->joins[c->njoins++] = strbuf_detach(&sb);
	return (c->joins[c->njoins - 1]);
}

/* parse - split the text into logical lines */
static void
parse(struct compile *c, char *text, size_t len)
{
	char   *p = text, *end = text + len, *e, *q;
	char   *lstart = NULL, *lend = NULL;	/* current logical line */
	unsigned lline = 0, line = 0;
	int     joined = 0;

	text[len] = 0;
	while (p < end) {
		line++;
		e = memchr(p, '\n', (size_t) (end - p));
		if (e == NULL)
			e = end;
		if ((line & 0xffff) == 0)
			progress(c, "reading", (size_t) (p - text), len);
		for (q = p; q < e && isspace((unsigned char) *q); q++)
			;
		if (q == e || *q == '#') {
			/* blank or comment */
		} else if (q != p) {
			if (lstart == NULL)
				diag(c, line, "error", "continuation line "
				    "without a preceding key");
			else {
				lend = e;
				joined = 1;
			}
		} else {
			if (lstart != NULL) {
				if (joined)
					lstart = join(c, lstart, lend);
				logical_line(c, lstart, joined ?
				    strlen(lstart) : (size_t) (lend - lstart),
				    lline);
			}
			lstart = p;
			lend = e;
			lline = line;
			joined = 0;
		}
		p = e + 1;
	}
	if (lstart != NULL) {
		if (joined)
			lstart = join(c, lstart, lend);
		logical_line(c, lstart, joined ? strlen(lstart) :
		    (size_t) (lend - lstart), lline);
	}
	c->st->lines = line;
}

/* ent_cmp - key order, then source order */
static int
ent_cmp(const void *va, const void *vb)
{
	const struct ent *a = va, *b = vb;
	int     d = store_key_cmp(a->key, a->klen, b->key, b->klen);

	if (d != 0)
		return (d);
	return (a->line < b->line ? -1 : a->line > b->line);
}

/* cent_cmp - key order, then source order */
static int
cent_cmp(const void *va, const void *vb)
{
	const struct cent *a = va, *b = vb;
	int     d = store_key_cmp(a->key, a->klen, b->key, b->klen);

	if (d != 0)
		return (d);
	return (a->line < b->line ? -1 : a->line > b->line);
}

/* dedupe - keep the first of equal keys, warn about the others */
static void
dedupe(struct compile *c)
{
	size_t  i, o;

	for (i = o = 0; i < c->nents; i++) {
		if (o > 0 && store_key_cmp(c->ents[o - 1].key,
			c->ents[o - 1].klen, c->ents[i].key,
			c->ents[i].klen) == 0) {
			diag(c, c->ents[i].line, "warning", "duplicate key "
			    "\"%.*s\" ignored (first given at line %u)",
			    shown_len(c->ents[i].klen), c->ents[i].key,
			    c->ents[o - 1].line);
			c->st->duplicates++;
			continue;
		}
		c->ents[o++] = c->ents[i];
	}
	c->nents = o;
	for (i = o = 0; i < c->ncents; i++) {
		if (o > 0 && c->cents[o - 1].klen == c->cents[i].klen &&
		    memcmp(c->cents[o - 1].key, c->cents[i].key,
			c->cents[i].klen) == 0) {
			diag(c, c->cents[i].line, "warning", "duplicate CIDR "
			    "key ignored (first given at line %u)",
			    c->cents[o - 1].line);
			c->st->duplicates++;
			continue;
		}
		c->cents[o++] = c->cents[i];
	}
	c->ncents = o;
}

/* put_lengths - write the list of prefix lengths of one family */
static int
put_lengths(struct store_env *e, MDB_txn *txn, const char *name,
	const uint8_t *have, int max)
{
	uint8_t lens[129];
	MDB_val k, v;
	int     n = 0, l, rc;

	for (l = max; l >= 0; l--)
		if (have[l])
			lens[n++] = (uint8_t) l;
	k.mv_data = UNCONST(name);
	k.mv_size = strlen(name);
	if (n == 0) {
		rc = mdb_del(txn, e->dbi_meta, &k, NULL);
		return (rc == MDB_NOTFOUND ? 0 : rc);
	}
	v.mv_data = lens;
	v.mv_size = (size_t) n;
	return (mdb_put(txn, e->dbi_meta, &k, &v, 0));
}

/* One write transaction of fill_once() (fill_txn() is guarded). */
struct fill_state {
	struct compile *c;
	struct store_env *e;
	MDB_txn *txn;			/* aborted by the caller after a fault */
	int     rc;
};

/*
 * fill_txn - write every entry in one transaction. It runs under
 * store_guard_call(): dropping the old keys and allocating pages read
 * the old table, and a table damaged in place (truncate, cp over it)
 * faults there; the caller then builds a fresh file instead.
 */
static int
fill_txn(void *arg)
{
	struct fill_state *f = arg;
	struct compile *c = f->c;
	struct store_env *e = f->e;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t  i, total = c->nents + c->ncents;
	int     rc;

	/* A write transaction's cursors end with it: no close on errors. */
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &f->txn)) != 0) {
		f->txn = NULL;
		goto out;
	}
	if ((rc = mdb_drop(f->txn, e->dbi_keys, 0)) != 0 ||
	    (rc = mdb_drop(f->txn, e->dbi_cidr, 0)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(f->txn, e->dbi_keys, &cur)) != 0)
		goto out;
	for (i = 0; i < c->nents; i++) {
		k.mv_data = UNCONST(c->ents[i].key);
		k.mv_size = c->ents[i].klen;
		v.mv_data = UNCONST(c->ents[i].val);
		v.mv_size = c->ents[i].vlen;
		if ((rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND)) != 0)
			goto out;
		if ((i & 0x3fff) == 0)
			progress(c, "writing", i, total);
	}
	mdb_cursor_close(cur);
	if ((rc = mdb_cursor_open(f->txn, e->dbi_cidr, &cur)) != 0)
		goto out;
	for (i = 0; i < c->ncents; i++) {
		k.mv_data = c->cents[i].key;
		k.mv_size = c->cents[i].klen;
		v.mv_data = UNCONST(c->cents[i].val);
		v.mv_size = c->cents[i].vlen;
		if ((rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND)) != 0)
			goto out;
		if ((i & 0x3fff) == 0)
			progress(c, "writing", c->nents + i, total);
	}
	mdb_cursor_close(cur);
	if ((rc = put_lengths(e, f->txn, STORE_META_LEN4, c->have[0], 32)) ||
	    (rc = put_lengths(e, f->txn, STORE_META_LEN6, c->have[1], 128)))
		goto out;
	progress(c, "committing", 100, 100);
	rc = mdb_txn_commit(f->txn);
	f->txn = NULL;
out:
	if (f->txn != NULL) {
		mdb_txn_abort(f->txn);
		f->txn = NULL;
	}
	f->rc = rc;
	return (0);
}

/*
 * fill_once - write every entry in one transaction: 0, -1 error, or
 * -2 when the old table is damaged (rebuild it beside and rename).
 */
static int
fill_once(struct compile *c, struct store *s, int *mdbrc, char *err,
	size_t errlen)
{
	struct store_env *e = s->e;
	struct fill_state f;
	int     rc;

	if (store_env_rdlock(s, err, errlen) != 0) {
		store_env_unlock(s);
		return (-1);
	}
	/* Slots of dead readers would pin the old pages for ever. */
	(void) mdb_reader_check(e->env, NULL);
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.e = e;
	if (store_guard_call(fill_txn, &f) == STORE_GUARD_FAULT) {
		if (f.txn != NULL)
			mdb_txn_abort(f.txn);
		store_fault_msg(err, errlen, e->path);
		store_env_unlock(s);
		*mdbrc = MDB_CORRUPTED;
		return (-2);
	}
	store_env_unlock(s);
	if ((rc = f.rc) == 0)
		return (0);
	store_mdb_err(err, errlen, e->path, "write", rc);
	*mdbrc = rc;
	return (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND) ? -2 : -1;
}

/*
 * fill - fill_once(), adopting a map another process grew
 * (MDB_MAP_RESIZED) or growing a map our estimate made too small
 * (MDB_MAP_FULL; the aborted transaction changed nothing).
 */
static int
fill(struct compile *c, struct store *s, char *err, size_t errlen)
{
	MDB_envinfo info;
	int     tries, rc, mdbrc;

	for (tries = 0; tries < 4; tries++) {
		mdbrc = 0;
		rc = fill_once(c, s, &mdbrc, err, errlen);
		if (rc == 0 || (mdbrc != MDB_MAP_RESIZED && mdbrc != MDB_MAP_FULL))
			return (rc);
		if (store_env_grow(s, 0, err, errlen) < 0)
			return (-1);
		if (mdbrc == MDB_MAP_FULL) {
			if (store_env_rdlock(s, err, errlen) != 0 ||
			    mdb_env_info(s->e->env, &info) != 0) {
				store_env_unlock(s);
				return (-1);
			}
			store_env_unlock(s);
			if (store_env_grow(s, 2 * info.me_mapsize, err,
			    errlen) < 0)
				return (-1);
		}
	}
	return (-1);
}

/* touch_meta - a second commit, so that both meta pages are current */
static int
touch_meta(struct store *s, char *err, size_t errlen)
{
	struct store_env *e = s->e;
	MDB_txn *txn;
	MDB_val k, v;
	int     rc;

	if (store_env_rdlock(s, err, errlen) != 0) {
		store_env_unlock(s);
		return (-1);
	}
	k.mv_data = UNCONST("built");
	k.mv_size = 5;
	v.mv_data = UNCONST("1");
	v.mv_size = 1;
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) == 0 &&
	    (rc = mdb_put(txn, e->dbi_meta, &k, &v, 0)) == 0)
		rc = mdb_txn_commit(txn);
	else if (txn != NULL)
		mdb_txn_abort(txn);
	store_env_unlock(s);
	if (rc != 0) {
		store_mdb_err(err, errlen, e->path, "write", rc);
		return (-1);
	}
	return (0);
}

/* sync_dir - make a rename durable */
static void
sync_dir(const char *path)
{
	char   *dir = xstrdup(path);
	char   *slash = strrchr(dir, '/');
	int     fd;

	if (slash == dir)
		slash[1] = 0;
	else if (slash != NULL)
		*slash = 0;
	else
		strcpy(dir, ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void) fsync(fd);
		(void) close(fd);
	}
	free(dir);
}

/* build_fresh - write a new file beside dst and rename it over dst */
static int
build_fresh(struct compile *c, const char *dst, size_t mapsize, char *err,
	size_t errlen)
{
	struct store *s;
	size_t  n = strlen(dst) + 40;
	char   *tmp = xmalloc(n);
	char   *tmplock = xmalloc(n + 5);
	char   *dstlock = xmalloc(n + 5);
	int     rc, fd, tfd;

	snprintf(tmp, n, "%s.tmp.%ld", dst, (long) getpid());
	snprintf(tmplock, n + 5, "%s-lock", tmp);
	snprintf(dstlock, n + 5, "%s-lock", dst);
	/* Whatever sits at these names is stale (or planted): not ours. */
	(void) unlink(tmp);
	(void) unlink(tmplock);
	if ((tfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		free(tmplock);
		free(dstlock);
		return (-1);
	}
	rc = store_open_env(tmp, 0, 1, mapsize, &s, err, errlen);
	if (rc == 0)
		rc = fill(c, s, err, errlen) == 0 ? touch_meta(s, err, errlen) :
		    -1;
	store_close(s);
	(void) unlink(tmplock);
	if (rc == 0) {
		store_fix_owner_fd(tfd, 1);
		/* The old lock file belongs to the old (unreadable) file. */
		if (unlink(dstlock) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", dstlock,
			    strerror(errno));
			rc = -1;
		} else if (rename(tmp, dst) < 0) {
			snprintf(err, errlen, "rename %s to %s: %s", tmp, dst,
			    strerror(errno));
			rc = -1;
		} else {
			/*
			 * A fresh, empty lock file, so that an unprivileged
			 * daemon need not create one in a directory it
			 * cannot write (LMDB initialises it on first open).
			 */
			if ((fd = open(dstlock, O_RDWR | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0660)) >= 0) {
				store_fix_owner_fd(fd, 0);
				(void) close(fd);
			}
			sync_dir(dst);
			store_env_mark_stale(dst);
		}
	}
	if (rc != 0)
		(void) unlink(tmp);
	(void) close(tfd);
	free(tmp);
	free(tmplock);
	free(dstlock);
	return (rc);
}

/* store_compile - compile access(5) text into a table (see store.h) */
int
store_compile(const char *srcname, char *text, size_t len, const char *dst,
	const struct store_compile_hooks *hooks,
	struct store_compile_stats *stats, char *err, size_t errlen)
{
	return (store_compile_values(srcname, text, len, dst,
	    STORE_VALUES_ACTIONS, hooks, stats, err, errlen));
}

/* store_compile_values - compile a table of the given values (store.h) */
int
store_compile_values(const char *srcname, char *text, size_t len,
	const char *dst, enum store_values values,
	const struct store_compile_hooks *hooks,
	struct store_compile_stats *stats, char *err, size_t errlen)
{
	struct store_compile_stats dummy;
	struct compile c;
	struct store *s = NULL;
	struct stat st;
	size_t  i, total = 0, mapsize;
	int     rc;

	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	memset(&c, 0, sizeof(c));
	c.src = srcname;
	c.hooks = hooks;
	c.st = stats;
	c.last_pct = 1000;
	c.values = values;

	parse(&c, text, len);
	progress(&c, "sorting", 0, 1);
	if (c.nents > 1)
		qsort(c.ents, c.nents, sizeof(*c.ents), ent_cmp);
	if (c.ncents > 1)
		qsort(c.cents, c.ncents, sizeof(*c.cents), cent_cmp);
	progress(&c, "sorting", 1, 1);
	dedupe(&c);
	if (stats->errors > 0) {
		rc = 1;
		goto out;
	}
	stats->entries = c.nents + c.ncents;
	stats->cidr = c.ncents;
	if (store_dir_check(dst, err, errlen) < 0) {
		rc = -1;
		goto out;
	}

	/*
	 * The map must hold the old table (readers may still use it until
	 * the commit) and the new one, with room for page overhead.
	 */
	for (i = 0; i < c.nents; i++)
		total += c.ents[i].klen + c.ents[i].vlen + 16;
	for (i = 0; i < c.ncents; i++)
		total += c.cents[i].klen + c.cents[i].vlen + 16;
	mapsize = 2 * total + store_map_slack;
	if (lstat(dst, &st) == 0)
		mapsize += (size_t) st.st_size;
	mapsize = (mapsize + ((size_t) 1 << 20) - 1) & ~(((size_t) 1 << 20) - 1);
	if (mapsize < store_map_min)
		mapsize = store_map_min;

	/* A link is not followed (as root it is refused, store.c). */
	if (lstat(dst, &st) < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", dst, strerror(errno));
			rc = -1;
			goto out;
		}
		rc = build_fresh(&c, dst, mapsize, err, errlen);
		goto out;
	}
	rc = store_open_env(dst, 0, 1, mapsize, &s, err, errlen);
	if (rc < 0) {
		if (s == NULL || s->e->openkind != STORE_OPEN_BROKEN)
			goto out;
		rc = build_fresh(&c, dst, mapsize, err, errlen);
		goto out;
	}
	rc = fill(&c, s, err, errlen);
	if (rc == -2) {
		/* Corrupt pages under the old table: start afresh. */
		store_close(s);
		s = NULL;
		rc = build_fresh(&c, dst, mapsize, err, errlen);
	}

out:
	store_close(s);
	for (i = 0; i < c.njoins; i++)
		free(c.joins[i]);
	free(c.joins);
	free(c.ents);
	free(c.cents);
	return (rc);
}
