/*
 * NAME
 *	limit_redis 3
 * SUMMARY
 *	the shared rate-counter engine: counters kept in Redis
 * SYNOPSIS
 *	#include "store/limit.h"
 *
 *	int	limit_redis_open(const struct redis_conf *conf, int readonly,
 *		struct limit_store **out, char *err, size_t errlen)
 * DESCRIPTION
 *	The counters of "limit-state redis" live in the Redis of the
 *	configuration's redis section, so that every host with the same
 *	section counts one subject's recipients together. Key layout
 *	(relayguard.conf(5)), with P the section's prefix:
 *
 *	P "limit:" SUBJECT	hash: one field per limit NAME, its value
 *				"DENIALS NWIN" then "COUNT PERIOD TAT FRAC"
 *				for each window (TAT in microseconds since
 *				the epoch, FRAC in 1/COUNT microseconds:
 *				limit_gcra.c), with a PEXPIRE at the time
 *				every window of every limit is full again
 *				(plus a second for clocks that differ).
 *
 *	One hash per subject makes "reset SUBJECT" one DEL and "limits
 *	SUBJECT" one HGETALL; "limits" and "reset" of everyone SCAN the
 *	prefix.
 *
 *	A take or a give is one server-side Lua script, so concurrent
 *	hosts never interleave inside a decision. The script is loaded
 *	with SCRIPT LOAD when the store first needs it and run with
 *	EVALSHA; a server that answers NOSCRIPT (restarted, failed over,
 *	SCRIPT FLUSH) gets it loaded again and the call is retried once.
 *	The script implements limit_gcra.c's arithmetic: the windows of
 *	the key are made those of the limit (same count and period keep
 *	their state), denials restart at 0 when every window is full,
 *	and the take is charged to every window when all allow it, to
 *	none otherwise. Lua's numbers are doubles, exact up to 2^53: the
 *	largest value it handles is a TAT plus a period (about 2^51 in
 *	microseconds for this century), and integer division is
 *	corrected by its remainder, so every step is exact. The script
 *	returns its verdict and the state it found; the answer (what is
 *	left in each window, when a refused take would pass) is computed
 *	from that state by limit_gcra_take(), the local engine's code,
 *	and a verdict that differs from the script's is an error. So
 *	answers do not depend on where the counters live.
 *
 *	The caller's clock is the clock of the counters (now is passed
 *	in): hosts that share counters must keep their clocks in step
 *	(NTP); a host whose clock runs ahead spends its subjects' budget
 *	early, never more of it.
 *
 *	Read-only (explain): takes and gives are made on a private copy
 *	of the keys read from Redis, never written back.
 *
 *	flush does nothing: Redis is the durable copy.
 * DIAGNOSTICS
 *	Every operation that gets no answer (connection, timeout, the
 *	breaker open) returns -1: the rule then yields on-error, never a
 *	permit. Nothing is logged.
 * THREADS
 *	Every operation may be called from any thread (redis.c's pool).
 *	The script's SHA is guarded by a mutex; the read-only copy by
 *	another.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "store/limit.h"
#include "store/redis_int.h"

#define FIELD_MAX	(32 + LIMIT_WINDOWS_MAX * 80)
#define ARGS_MAX	(4 + 2 * LIMIT_WINDOWS_MAX)

/*
 * The script. KEYS[1] the subject's hash; ARGV: the limit's name, "take"
 * or "give", now, n, the number of windows, then count and period of
 * each. Returns {verdict, denials, tat1, frac1, ...}: the verdict of a
 * take (1 taken, 0 refused; a give: 1), the denials after it, and the
 * state it found (windows conformed to the limit).
 */
static const char gcra_lua[] =
	"local function idiv(a, b) "
	" local q = math.floor(a / b) local r = a - q * b "
	" if r < 0 then q = q - 1 r = r + b "
	" elseif r >= b then q = q + 1 r = r - b end "
	" return q, r end "
	"local now, n, nw = tonumber(ARGV[3]), tonumber(ARGV[4]), "
	" tonumber(ARGV[5]) "
	"local win, st, den = {}, {}, 0 "
	"for i = 1, nw do win[i] = {tonumber(ARGV[4 + 2 * i]), "
	" tonumber(ARGV[5 + 2 * i])} st[i] = {0, 0} end "
	"local v = redis.call('HGET', KEYS[1], ARGV[1]) "
	"if not v then if ARGV[2] == 'give' then return {1, 0} end else "
	" local f = {} for x in string.gmatch(v, '%S+') do "
	"  f[#f + 1] = tonumber(x) end "
	" den = f[1] "
	" for j = 0, f[2] - 1 do for i = 1, nw do "
	"  if win[i][1] == f[3 + 4 * j] and win[i][2] == f[4 + 4 * j] then "
	"   st[i] = {f[5 + 4 * j], f[6 + 4 * j]} end end end "
	"end "
	"local function after(s) "
	" return s[1] > now or (s[1] == now and s[2] > 0) end "
	"local idle, ok, nt, out = true, 1, {}, {} "
	"for i = 1, nw do if after(st[i]) then idle = false end "
	" out[2 * i + 1] = st[i][1] out[2 * i + 2] = st[i][2] end "
	"if idle then den = 0 end "
	"for i = 1, nw do "
	" local c, p = win[i][1], win[i][2] * 1000000 "
	" local q, r = idiv(p, c) "
	" if ARGV[2] == 'give' then "
	"  if after(st[i]) then "
	"   local f, b = st[i][2] - n * r, 0 "
	"   if f < 0 then b = idiv(-f + c - 1, c) f = f + b * c end "
	"   local t = {st[i][1] - n * q - b, f} "
	"   if after(t) then nt[i] = t else nt[i] = {now, 0} end "
	"  else nt[i] = st[i] end "
	" elseif n > c then ok = 0 else "
	"  local b = st[i] if not after(b) then b = {now, 0} end "
	"  local fq, fr = idiv(b[2] + n * r, c) "
	"  local t = b[1] + n * q + fq "
	"  nt[i] = {t, fr} "
	"  local lim = t - p "
	"  if not (lim < now or (lim == now and fr == 0)) then ok = 0 end "
	" end "
	"end "
	"if ok == 1 then st = nt else den = den + 1 end "
	"local val, last = string.format('%d %d', den, nw), now "
	"for i = 1, nw do "
	" val = val .. string.format(' %d %d %d %d', win[i][1], win[i][2], "
	"  st[i][1], st[i][2]) "
	" if st[i][1] + 1 > last then last = st[i][1] + 1 end end "
	"redis.call('HSET', KEYS[1], ARGV[1], val) "
	"local ms = math.floor((last - now) / 1000) + 1000 "
	"if redis.call('PTTL', KEYS[1]) < ms then "
	" redis.call('PEXPIRE', KEYS[1], ms) end "
	"out[1] = ok out[2] = den return out";

/* A key copied out of Redis for a read-only store. */
struct copy {
	struct copy *next;
	char   *key;			/* subject\0name */
	size_t	klen;
	unsigned long denials;
	size_t	nwin;
	struct limit_window win[LIMIT_WINDOWS_MAX];
	struct limit_tat st[LIMIT_WINDOWS_MAX];
};

struct lredis {
	struct limit_store base;
	struct redis_client *c;
	char	pfx[REDIS_KEY_MAX];		/* P "limit:" */
	pthread_mutex_t sha_mu;
	char	sha[48];			/* "" until loaded */
	int	readonly;
	pthread_mutex_t copy_mu;
	struct copy *copies;
};

/* One key's state as read from Redis. */
struct state {
	unsigned long denials;
	size_t	nwin;
	struct limit_window win[LIMIT_WINDOWS_MAX];
	struct limit_tat st[LIMIT_WINDOWS_MAX];
};

/* num - one decimal number of a field; 0, or -1 when there is none */
static int
num(const char **p, long long lo, long long hi, long long *out)
{
	char   *end;

	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (end == *p || errno != 0 || *out < lo || *out > hi ||
	    (*end != ' ' && *end != 0))
		return (-1);
	*p = end;
	return (0);
}

/* state_decode - a field's value; 0, or -1 when it is not ours */
static int
state_decode(const char *v, struct state *s)
{
	long long x[4];
	size_t  i, k;

	memset(s, 0, sizeof(*s));
	if (num(&v, 0, LONG_MAX, &x[0]) < 0 ||
	    num(&v, 1, LIMIT_WINDOWS_MAX, &x[1]) < 0)
		return (-1);
	s->denials = (unsigned long) x[0];
	s->nwin = (size_t) x[1];
	for (i = 0; i < s->nwin; i++) {
		for (k = 0; k < 4; k++)
			if (num(&v, k == 2 ? INT64_MIN / 2 : k == 3 ? 0 : 1,
			    k == 0 ? LIMIT_COUNT_MAX : k == 1 ?
			    LIMIT_PERIOD_MAX : k == 2 ? INT64_MAX / 2 :
			    LIMIT_COUNT_MAX - 1, &x[k]) < 0)
				return (-1);
		s->win[i].count = (uint32_t) x[0];
		s->win[i].period = (uint32_t) x[1];
		s->st[i].tat = x[2];
		s->st[i].frac = (uint32_t) x[3];
		if (s->st[i].frac >= s->win[i].count)
			return (-1);
	}
	return (*v == 0 ? 0 : -1);
}

/* key_make - P "limit:" SUBJECT into buf; 0, or -1 when too long */
static int
key_make(const struct lredis *s, const char *subject, char *buf,
	size_t len)
{
	size_t  pl = strlen(s->pfx), sl = strlen(subject);

	if (sl == 0 || sl > LIMIT_SUBJECT_MAX || pl + sl >= len)
		return (-1);
	memcpy(buf, s->pfx, pl);
	memcpy(buf + pl, subject, sl + 1);
	return (0);
}

/* A script call: its arguments and what it answered. */
struct call {
	struct lredis *s;
	const char *argv[ARGS_MAX + 4];
	size_t	argl[ARGS_MAX + 4];
	int	argc;
	long long verdict;
	struct state found;
};

/* script_load - SCRIPT LOAD into s->sha */
static int
script_load(redisContext *ctx, struct lredis *s, char *err, size_t errlen)
{
	redisReply *r;

	if ((r = redis_cmd(ctx, err, errlen, "SCRIPT LOAD %s", gcra_lua)) ==
	    NULL)
		return (-1);
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(s->sha)) {
		freeReplyObject(r);
		snprintf(err, errlen, "redis: SCRIPT LOAD: unexpected reply");
		return (-1);
	}
	pthread_mutex_lock(&s->sha_mu);
	memcpy(s->sha, r->str, r->len + 1);
	pthread_mutex_unlock(&s->sha_mu);
	freeReplyObject(r);
	return (0);
}

/* call_read - the script's answer into q; 0 or -1 */
static int
call_read(struct call *q, const redisReply *r, char *err, size_t errlen)
{
	size_t  i, nw = (size_t) (q->argc - 9) / 2;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		goto bad;
	q->verdict = r->element[0]->integer;
	memset(&q->found, 0, sizeof(q->found));
	q->found.denials = (unsigned long) r->element[1]->integer;
	if (r->elements == 2)		/* a give of a key that is not there */
		return (0);
	if (r->elements != 2 + 2 * nw)
		goto bad;
	q->found.nwin = nw;
	for (i = 0; i < nw; i++) {
		if (r->element[2 + 2 * i]->type != REDIS_REPLY_INTEGER ||
		    r->element[3 + 2 * i]->type != REDIS_REPLY_INTEGER)
			goto bad;
		q->found.st[i].tat = r->element[2 + 2 * i]->integer;
		q->found.st[i].frac = (uint32_t) r->element[3 + 2 * i]->integer;
	}
	return (0);
bad:
	snprintf(err, errlen, "redis: the counters' script: unexpected reply");
	return (-1);
}

/* call_fn - EVALSHA, loading the script first, or again once on NOSCRIPT */
static int
call_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct call *q = arg;
	redisReply *r;
	char    sha[48];
	int     loaded = 0, rc;

	for (;;) {
		pthread_mutex_lock(&q->s->sha_mu);
		memcpy(sha, q->s->sha, sizeof(sha));
		pthread_mutex_unlock(&q->s->sha_mu);
		if (sha[0] == 0) {
			if (script_load(ctx, q->s, err, errlen) < 0)
				return (-1);
			loaded = 1;
			continue;
		}
		q->argv[1] = sha;
		q->argl[1] = strlen(sha);
		r = redisCommandArgv(ctx, q->argc, q->argv, q->argl);
		if (r == NULL) {
			snprintf(err, errlen, "redis: %s", ctx->errstr[0] ?
			    ctx->errstr : "connection error");
			return (-1);
		}
		if (r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0 && !loaded) {
			freeReplyObject(r);
			if (script_load(ctx, q->s, err, errlen) < 0)
				return (-1);
			loaded = 1;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "redis: %s", r->str);
			freeReplyObject(r);
			return (-1);
		}
		rc = call_read(q, r, err, errlen);
		freeReplyObject(r);
		return (rc);
	}
}

/* run - the script for key k: "take" or "give" n at now; 0 or -1 */
static int
run(struct lredis *s, const char *mode, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n,
	struct call *q)
{
	char    key[REDIS_KEY_MAX], nums[4 + 2 * LIMIT_WINDOWS_MAX][24];
	char    err[256];
	size_t  i;
	int     a = 0;

	if (nwin == 0 || nwin > LIMIT_WINDOWS_MAX ||
	    strlen(k->name) > LIMIT_NAME_MAX ||
	    key_make(s, k->subject, key, sizeof(key)) < 0)
		return (-1);
	for (i = 0; i < nwin; i++)
		if (win[i].count < 1 || win[i].count > LIMIT_COUNT_MAX ||
		    win[i].period < 1 || win[i].period > LIMIT_PERIOD_MAX)
			return (-1);
	memset(q, 0, sizeof(*q));
	q->s = s;
#define ARG(str) do { q->argv[a] = (str); q->argl[a] = strlen(str); a++; \
	} while (0)
	ARG("EVALSHA");
	ARG("");			/* the SHA, filled in by call_fn() */
	ARG("1");
	ARG(key);
	ARG(k->name);
	ARG(mode);
	snprintf(nums[0], sizeof(nums[0]), "%" PRId64, now);
	snprintf(nums[1], sizeof(nums[1]), "%u", n);
	snprintf(nums[2], sizeof(nums[2]), "%zu", nwin);
	ARG(nums[0]);
	ARG(nums[1]);
	ARG(nums[2]);
	for (i = 0; i < nwin; i++) {
		snprintf(nums[3 + 2 * i], sizeof(nums[0]), "%u", win[i].count);
		snprintf(nums[4 + 2 * i], sizeof(nums[0]), "%u",
		    win[i].period);
		ARG(nums[3 + 2 * i]);
		ARG(nums[4 + 2 * i]);
	}
#undef ARG
	q->argc = a;
	return (redis_run(s->c, call_fn, q, err, sizeof(err)));
}

/* copy_find - the private copy of key (copy_mu held); NULL: none yet */
static struct copy *
copy_find(struct lredis *s, const char *key, size_t klen)
{
	struct copy *c;

	for (c = s->copies; c != NULL; c = c->next)
		if (c->klen == klen && memcmp(c->key, key, klen) == 0)
			return (c);
	return (NULL);
}

/* A read of one field. */
struct hget_q {
	const char *key, *field;
	int	found;
	struct state st;
};

/* hget_fn - HGET one field and decode it */
static int
hget_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct hget_q *q = arg;
	redisReply *r;

	if ((r = redis_cmd(ctx, err, errlen, "HGET %s %s", q->key,
	    q->field)) == NULL)
		return (-1);
	q->found = r->type == REDIS_REPLY_STRING &&
	    state_decode(r->str, &q->st) == 0;
	freeReplyObject(r);
	return (0);
}

/* fetch - key k's state from Redis: 1 found, 0 none, -1 error */
static int
fetch(struct lredis *s, const struct limit_key *k, struct state *st)
{
	struct hget_q q;
	char    key[REDIS_KEY_MAX], err[256];

	if (key_make(s, k->subject, key, sizeof(key)) < 0 ||
	    strlen(k->name) > LIMIT_NAME_MAX)
		return (-1);
	q.key = key;
	q.field = k->name;
	if (redis_run(s->c, hget_fn, &q, err, sizeof(err)) < 0)
		return (-1);
	*st = q.st;
	return (q.found);
}

/* copy_get - the private copy of k, read from Redis when first used */
static struct copy *
copy_get(struct lredis *s, const struct limit_key *k)
{
	struct state st;
	struct copy *c;
	size_t  sl = strlen(k->subject), nl = strlen(k->name);
	char   *key = xmalloc(sl + nl + 2);
	int     rc;

	memcpy(key, k->subject, sl + 1);
	memcpy(key + sl + 1, k->name, nl + 1);
	if ((c = copy_find(s, key, sl + nl + 2)) != NULL) {
		free(key);
		return (c);
	}
	if ((rc = fetch(s, k, &st)) < 0) {
		free(key);
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->key = key;
	c->klen = sl + nl + 2;
	if (rc == 1) {
		c->denials = st.denials;
		c->nwin = st.nwin;
		memcpy(c->win, st.win, sizeof(c->win));
		memcpy(c->st, st.st, sizeof(c->st));
	}
	c->next = s->copies;
	s->copies = c;
	return (c);
}

/* copy_take - a take or give on the private copy; 0 or -1 */
static int
copy_take(struct lredis *s, int give, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n,
	struct limit_answer *ans)
{
	struct copy *c;

	if (nwin == 0 || nwin > LIMIT_WINDOWS_MAX)
		return (-1);
	pthread_mutex_lock(&s->copy_mu);
	if ((c = copy_get(s, k)) == NULL) {
		pthread_mutex_unlock(&s->copy_mu);
		return (-1);
	}
	limit_gcra_conform(c->win, c->st, &c->nwin, win, nwin);
	if (give)
		limit_gcra_give(c->st, win, nwin, now, n);
	else {
		if (limit_gcra_idle(c->st, c->nwin, now))
			c->denials = 0;
		if (!limit_gcra_take(c->st, win, nwin, now, n, ans))
			c->denials++;
		ans->denials = c->denials;
	}
	pthread_mutex_unlock(&s->copy_mu);
	return (0);
}

/* redis_take - the take operation */
static int
redis_take(struct limit_store *base, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n,
	struct limit_answer *ans)
{
	struct lredis *s = (struct lredis *) base;
	struct call q;

	if (s->readonly)
		return (copy_take(s, 0, k, win, nwin, now, n, ans));
	if (run(s, "take", k, win, nwin, now, n, &q) < 0)
		return (-1);
	/*
	 * The answer from the state the script found, by the local
	 * engine's code; it must agree with the script's verdict.
	 */
	if (q.found.nwin != nwin ||
	    limit_gcra_take(q.found.st, win, nwin, now, n, ans) !=
	    (q.verdict == 1))
		return (-1);
	ans->denials = q.found.denials;
	return (0);
}

/* redis_give - the give operation */
static int
redis_give(struct limit_store *base, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n)
{
	struct lredis *s = (struct lredis *) base;
	struct call q;

	if (s->readonly)
		return (copy_take(s, 1, k, win, nwin, now, n, NULL));
	return (run(s, "give", k, win, nwin, now, n, &q));
}

/* info_of - *out for subject and name from st at now */
static void
info_of(const char *subject, const char *name, const struct state *st,
	int64_t now, struct limit_info *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->subject, sizeof(out->subject), "%s", subject);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->denials = limit_gcra_idle(st->st, st->nwin, now) ? 0 :
	    st->denials;
	limit_gcra_info(st->st, st->win, st->nwin, now, out);
}

/* redis_peek - the peek operation */
static int
redis_peek(struct limit_store *base, const struct limit_key *k, int64_t now,
	struct limit_info *out)
{
	struct lredis *s = (struct lredis *) base;
	struct state st;
	struct copy *c;
	int     rc;

	if (s->readonly) {
		pthread_mutex_lock(&s->copy_mu);
		if ((c = copy_get(s, k)) == NULL)
			rc = -1;
		else if ((rc = c->nwin > 0) != 0) {
			st.denials = c->denials;
			st.nwin = c->nwin;
			memcpy(st.win, c->win, sizeof(st.win));
			memcpy(st.st, c->st, sizeof(st.st));
		}
		pthread_mutex_unlock(&s->copy_mu);
	} else
		rc = fetch(s, k, &st);
	if (rc == 1)
		info_of(k->subject, k->name, &st, now, out);
	return (rc);
}

/* A walk over subjects: list or reset. */
struct walk_q {
	struct lredis *s;
	const char *subject;		/* NULL: every subject */
	int64_t now;
	int	(*fn) (const struct limit_info *, void *);
	void   *arg;
	int	reset;
	long	count;
	int	stopped;
};

/* walk_key - list or reset one subject's hash */
static int
walk_key(redisContext *ctx, struct walk_q *q, const char *key, char *err,
	size_t errlen)
{
	struct limit_info info;
	struct state st;
	redisReply *r;
	const char *subject = key + strlen(q->s->pfx);
	size_t  i;

	if (q->reset) {
		redisAppendCommand(ctx, "HLEN %s", key);
		redisAppendCommand(ctx, "DEL %s", key);
		for (i = 0; i < 2; i++) {
			if (redisGetReply(ctx, (void **) &r) != REDIS_OK) {
				snprintf(err, errlen, "redis: %s", ctx->errstr);
				return (-1);
			}
			if (i == 0 && r->type == REDIS_REPLY_INTEGER)
				q->count += (long) r->integer;
			freeReplyObject(r);
		}
		return (0);
	}
	if ((r = redis_cmd(ctx, err, errlen, "HGETALL %s", key)) == NULL)
		return (-1);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements &&
	    !q->stopped; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING ||
		    state_decode(r->element[i + 1]->str, &st) < 0 ||
		    limit_gcra_idle(st.st, st.nwin, q->now))
			continue;
		info_of(subject, r->element[i]->str, &st, q->now, &info);
		q->count++;
		if (q->fn(&info, q->arg) != 0)
			q->stopped = 1;
	}
	freeReplyObject(r);
	return (0);
}

/* walk_each - redis_scan()'s callback */
static int
walk_each(redisContext *ctx, const char *key, void *arg, char *err,
	size_t errlen)
{
	struct walk_q *q = arg;

	if (walk_key(ctx, q, key, err, errlen) < 0)
		return (-1);
	return (q->stopped);
}

/* walk_fn - one subject's key, or every key under the prefix */
static int
walk_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct walk_q *q = arg;
	char    key[REDIS_KEY_MAX];

	if (q->subject != NULL) {
		if (key_make(q->s, q->subject, key, sizeof(key)) < 0)
			return (0);	/* no such subject can be counted */
		return (walk_key(ctx, q, key, err, errlen));
	}
	return (redis_scan(ctx, q->s->pfx, walk_each, q, err, errlen));
}

/* walk - run q over Redis; 0 or -1 */
static int
walk(struct walk_q *q)
{
	char    err[256];

	return (redis_run(q->s->c, walk_fn, q, err, sizeof(err)));
}

/* redis_reset - the reset operation */
static long
redis_reset(struct limit_store *base, const char *subject)
{
	struct walk_q q;

	memset(&q, 0, sizeof(q));
	q.s = (struct lredis *) base;
	q.subject = subject;
	q.reset = 1;
	if (q.s->readonly || walk(&q) < 0)
		return (-1);
	return (q.count);
}

/* redis_list - the list operation */
static int
redis_list(struct limit_store *base, const char *subject, int64_t now,
	int (*fn) (const struct limit_info *, void *), void *arg)
{
	struct walk_q q;

	memset(&q, 0, sizeof(q));
	q.s = (struct lredis *) base;
	q.subject = subject;
	q.now = now;
	q.fn = fn;
	q.arg = arg;
	return (walk(&q));
}

/* redis_flush - nothing to do: Redis keeps the counters */
static int
redis_flush(struct limit_store *base, int64_t now, char *err, size_t errlen)
{
	(void) base;
	(void) now;
	(void) err;
	(void) errlen;
	return (0);
}

/* redis_close - free the store and its private copies */
static void
redis_close(struct limit_store *base)
{
	struct lredis *s = (struct lredis *) base;
	struct copy *c, *next;

	for (c = s->copies; c != NULL; c = next) {
		next = c->next;
		free(c->key);
		free(c);
	}
	redis_client_put(s->c);
	pthread_mutex_destroy(&s->sha_mu);
	pthread_mutex_destroy(&s->copy_mu);
	free(s);
}

static const struct limit_ops redis_ops = {
	.take = redis_take,
	.give = redis_give,
	.peek = redis_peek,
	.reset = redis_reset,
	.list = redis_list,
	.flush = redis_flush,
	.close = redis_close,
};

/* limit_redis_open - the shared engine (see limit.h) */
int
limit_redis_open(const struct redis_conf *conf, int readonly,
	struct limit_store **out, char *err, size_t errlen)
{
	struct lredis *s;

	*out = NULL;
	if (strlen(conf->prefix) + sizeof(REDIS_COUNTERS_WORD) + LIMIT_SUBJECT_MAX >=
	    REDIS_KEY_MAX) {
		snprintf(err, errlen, "redis: prefix too long for counters");
		return (-1);
	}
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &redis_ops;
	s->readonly = readonly;
	s->c = redis_client_get(conf);
	snprintf(s->pfx, sizeof(s->pfx), "%s%s", conf->prefix, REDIS_COUNTERS_WORD);
	pthread_mutex_init(&s->sha_mu, NULL);
	pthread_mutex_init(&s->copy_mu, NULL);
	*out = &s->base;
	return (0);
}
