/*
 * NAME
 *	limit_gcra 3
 * SUMMARY
 *	rate-limit arithmetic (GCRA) and the counter store's calls
 * SYNOPSIS
 *	#include "store/limit.h"
 *
 *	int	limit_gcra_take(struct limit_tat *st,
 *		const struct limit_window *win, size_t nwin, int64_t now,
 *		unsigned n, struct limit_answer *ans)
 *	void	limit_gcra_give(struct limit_tat *st,
 *		const struct limit_window *win, size_t nwin, int64_t now,
 *		unsigned n)
 *	void	limit_gcra_info(const struct limit_tat *st,
 *		const struct limit_window *win, size_t nwin, int64_t now,
 *		struct limit_info *out)
 *	int	limit_gcra_idle(const struct limit_tat *st, size_t nwin,
 *		int64_t now)
 *	void	limit_gcra_conform(struct limit_window *have,
 *		struct limit_tat *st, size_t *nhave,
 *		const struct limit_window *win, size_t nwin)
 *	int	limit_window_parse(const char *text,
 *		struct limit_window *w, char *err, size_t errlen)
 *	void	limit_window_format(const struct limit_window *w,
 *		char *buf, size_t len)
 *	void	limit_info_line(const struct limit_info *i, size_t w,
 *		int64_t now, char *buf, size_t len)
 *
 *	int	limit_take(), limit_give(), limit_peek(), limit_list(),
 *		limit_flush(); long limit_reset(); void limit_close()
 * DESCRIPTION
 *	The generic cell rate algorithm: a window of count units per
 *	period P spaces units T = P / count apart. Its whole state is
 *	one time, the theoretical arrival time (TAT) of the next unit.
 *	A take of n units at now computes
 *
 *		tat' = max(tat, now) + n * T
 *
 *	and is allowed when tat' - P <= now; it then stores tat'. So
 *	count units pass at once from an idle key, the count+1-th is
 *	refused, and one more passes every T after that: a sliding
 *	window with no boundary at which a client can double its rate,
 *	in one timestamp per key per window. A token bucket refilled
 *	continuously gives the same answers but needs two numbers (tokens
 *	and the time of the last refill); a fixed window counter lets
 *	2 * count pass across a window boundary. GCRA is also one
 *	comparison and one store on a server that holds the counters for
 *	several hosts.
 *
 *	T is kept exact as q + r / count microseconds (q, r the quotient
 *	and remainder of P in microseconds by count), and a TAT as
 *	microseconds plus a fraction in 1/count: no rounding ever moves
 *	a boundary, so the count-th unit at the same instant passes and
 *	the next one is refused, whatever P / count is.
 *
 *	A take is all or nothing across the windows of a limit: every
 *	window must allow it, then every window is charged. A give
 *	returns units (a counted recipient that a later rule refused);
 *	a TAT never goes below now, so giving cannot bank credit.
 *
 *	limit_take() and the other limit_*() calls go through the
 *	store's vtable.
 * DIAGNOSTICS
 *	limit_window_parse() returns -1 with the reason in err.
 * THREADS
 *	The arithmetic is pure: the caller serialises access to a state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/limit.h"

/* period_us - the window's period in microseconds */
static int64_t
period_us(const struct limit_window *w)
{
	return ((int64_t) w->period * LIMIT_US);
}

/* tat_add - t + n * T of window w */
static struct limit_tat
tat_add(struct limit_tat t, const struct limit_window *w, unsigned n)
{
	int64_t p = period_us(w);
	uint64_t q = (uint64_t) (p / w->count), r = (uint64_t) (p % w->count);
	uint64_t f = t.frac + (uint64_t) n * r;

	t.tat += (int64_t) ((uint64_t) n * q + f / w->count);
	t.frac = (uint32_t) (f % w->count);
	return (t);
}

/* tat_sub - t - n * T of window w */
static struct limit_tat
tat_sub(struct limit_tat t, const struct limit_window *w, unsigned n)
{
	int64_t p = period_us(w);
	int64_t q = p / w->count, r = p % w->count;
	int64_t f = (int64_t) t.frac - (int64_t) n * r, borrow = 0;

	if (f < 0) {
		borrow = (-f + w->count - 1) / w->count;
		f += borrow * w->count;
	}
	t.tat -= (int64_t) n * q + borrow;
	t.frac = (uint32_t) f;
	return (t);
}

/* tat_after - is t later than now? */
static int
tat_after(const struct limit_tat *t, int64_t now)
{
	return (t->tat > now || (t->tat == now && t->frac > 0));
}

/* tat_base - max(t, now) */
static struct limit_tat
tat_base(const struct limit_tat *t, int64_t now)
{
	struct limit_tat b = {now, 0};

	return (tat_after(t, now) ? *t : b);
}

/* tat_ceil - the first whole microsecond at or after t */
static int64_t
tat_ceil(const struct limit_tat *t)
{
	return (t->tat + (t->frac > 0));
}

/* left_at - units window w admits at now with its TAT at t */
static uint32_t
left_at(const struct limit_tat *t, const struct limit_window *w,
	int64_t now)
{
	int64_t s;

	if (!tat_after(t, now))
		return (w->count);
	/*
	 * (now + P - tat) in 1/count microseconds, over T = P in those.
	 * now < tat <= now + P after a take, so this is at most P * count:
	 * 31 days * 10^6 * 10^6 fits in 63 bits.
	 */
	if (t->tat - now > period_us(w))
		return (0);
	s = (now + period_us(w) - t->tat) * (int64_t) w->count - t->frac;
	if (s <= 0)
		return (0);
	s /= period_us(w);
	return (s > w->count ? w->count : (uint32_t) s);
}

/* limit_gcra_take - charge n units to every window, or none */
int
limit_gcra_take(struct limit_tat *st, const struct limit_window *win,
	size_t nwin, int64_t now, unsigned n, struct limit_answer *ans)
{
	struct limit_tat nt[LIMIT_WINDOWS_MAX];
	size_t  i;
	int64_t lim, again;

	ans->allowed = 1;
	ans->window = -1;
	ans->again = 0;
	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++) {
		nt[i] = tat_add(tat_base(&st[i], now), &win[i], n);
		lim = nt[i].tat - period_us(&win[i]);
		if (lim < now || (lim == now && nt[i].frac == 0))
			continue;
		again = lim + (nt[i].frac > 0);
		if (ans->allowed || again > ans->again) {
			ans->again = again;
			ans->window = (int) i;
		}
		ans->allowed = 0;
	}
	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++) {
		if (ans->allowed)
			st[i] = nt[i];
		ans->left[i] = left_at(&st[i], &win[i], now);
	}
	return (ans->allowed);
}

/* limit_gcra_give - return n units; a TAT never goes below now */
void
limit_gcra_give(struct limit_tat *st, const struct limit_window *win,
	size_t nwin, int64_t now, unsigned n)
{
	struct limit_tat t;
	size_t  i;

	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++) {
		if (!tat_after(&st[i], now))
			continue;
		t = tat_sub(st[i], &win[i], n);
		st[i] = tat_base(&t, now);
	}
}

/* limit_gcra_info - each window's state at now */
void
limit_gcra_info(const struct limit_tat *st, const struct limit_window *win,
	size_t nwin, int64_t now, struct limit_info *out)
{
	struct limit_tat b, nx;
	size_t  i;

	out->nwin = nwin;
	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++) {
		out->win[i] = win[i];
		out->left[i] = left_at(&st[i], &win[i], now);
		b = tat_base(&st[i], now);
		nx = tat_add(b, &win[i], 1);
		out->next[i] = tat_ceil(&nx) - period_us(&win[i]);
		if (out->next[i] < now)
			out->next[i] = now;
		out->empty[i] = tat_ceil(&b);
	}
}

/* limit_gcra_conform - a key's windows made those of the limit */
void
limit_gcra_conform(struct limit_window *have, struct limit_tat *st,
	size_t *nhave, const struct limit_window *win, size_t nwin)
{
	struct limit_tat nst[LIMIT_WINDOWS_MAX];
	size_t  i, j;

	if (*nhave == nwin && memcmp(have, win, nwin * sizeof(*win)) == 0)
		return;
	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++) {
		nst[i].tat = 0;
		nst[i].frac = 0;
		for (j = 0; j < *nhave; j++)
			if (have[j].count == win[i].count &&
			    have[j].period == win[i].period)
				nst[i] = st[j];
	}
	memcpy(have, win, i * sizeof(*win));
	memcpy(st, nst, i * sizeof(*st));
	*nhave = i;
}

/* limit_gcra_idle - 1 when every window is full again at now */
int
limit_gcra_idle(const struct limit_tat *st, size_t nwin, int64_t now)
{
	size_t  i;

	for (i = 0; i < nwin && i < LIMIT_WINDOWS_MAX; i++)
		if (tat_after(&st[i], now))
			return (0);
	return (1);
}

static const struct unit {
	const char *name;
	uint32_t secs;
} units[] = {
	{"s", 1}, {"sec", 1}, {"second", 1}, {"seconds", 1},
	{"m", 60}, {"min", 60}, {"minute", 60}, {"minutes", 60},
	{"h", 3600}, {"hour", 3600}, {"hours", 3600},
	{"d", 86400}, {"day", 86400}, {"days", 86400},
	{"w", 604800}, {"week", 604800}, {"weeks", 604800},
};

/* unit_secs - seconds of a unit name, 0 when unknown */
static uint32_t
unit_secs(const char *s)
{
	size_t  i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].name, s) == 0)
			return (units[i].secs);
	return (0);
}

/* limit_window_parse - "100/hour", "20/10m" */
int
limit_window_parse(const char *text, struct limit_window *w, char *err,
	size_t errlen)
{
	unsigned long count, mult = 1;
	uint32_t secs;
	char   *end;

	if (!isdigit((unsigned char) *text))
		goto bad;
	errno = 0;
	count = strtoul(text, &end, 10);
	if (errno != 0 || *end != '/' || count < 1 || count > LIMIT_COUNT_MAX) {
		if (*end == '/')
			snprintf(err, errlen, "%s: the count must be 1 to %d",
			    text, LIMIT_COUNT_MAX);
		else
			goto bad;
		return (-1);
	}
	text = end + 1;
	if (isdigit((unsigned char) *text)) {
		mult = strtoul(text, &end, 10);
		text = end;
	}
	if ((secs = unit_secs(text)) == 0 || mult < 1 ||
	    mult * secs > LIMIT_PERIOD_MAX) {
		if (secs != 0) {
			snprintf(err, errlen, "window %s: at most 31 days",
			    text);
			return (-1);
		}
		goto bad;
	}
	w->count = (uint32_t) count;
	w->period = (uint32_t) (mult * secs);
	return (0);
bad:
	snprintf(err, errlen, "bad rate '%s' (expected COUNT/UNIT such as "
	    "100/hour or 20/10m; units second, minute, hour, day, week)", text);
	return (-1);
}

/* limit_window_format - "100/hour", "20/10m" */
void
limit_window_format(const struct limit_window *w, char *buf, size_t len)
{
	static const struct unit named[] = {
		{"week", 604800}, {"day", 86400}, {"hour", 3600},
		{"minute", 60}, {"second", 1},
	};
	size_t  i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (w->period % named[i].secs != 0)
			continue;
		if (w->period == named[i].secs)
			snprintf(buf, len, "%u/%s", w->count, named[i].name);
		else
			snprintf(buf, len, "%u/%u%c", w->count,
			    w->period / named[i].secs, named[i].name[0]);
		return;
	}
	snprintf(buf, len, "%u/%us", w->count, w->period);
}

/* secs - microseconds from now to t, rounded up to seconds (>= 0) */
static long long
secs(int64_t t, int64_t now)
{
	return (t <= now ? 0 : (long long) ((t - now + LIMIT_US - 1) /
	    LIMIT_US));
}

/* limit_info_line - one window of a key, as listed */
void
limit_info_line(const struct limit_info *i, size_t w, int64_t now,
	char *buf, size_t len)
{
	char    rate[40];

	limit_window_format(&i->win[w], rate, sizeof(rate));
	snprintf(buf, len, "%s %s %s left %u next %llds full %llds "
	    "refused %lu\n", i->subject, i->name, rate, i->left[w],
	    secs(i->next[w], now), secs(i->empty[w], now), i->denials);
}

/* limit_take - through the vtable */
int
limit_take(struct limit_store *s, const struct limit_key *k,
	const struct limit_window *w, size_t nw, int64_t now, unsigned n,
	struct limit_answer *ans)
{
	return (s->ops->take(s, k, w, nw, now, n, ans));
}

/* limit_give - through the vtable */
int
limit_give(struct limit_store *s, const struct limit_key *k,
	const struct limit_window *w, size_t nw, int64_t now, unsigned n)
{
	return (s->ops->give(s, k, w, nw, now, n));
}

/* limit_peek - through the vtable */
int
limit_peek(struct limit_store *s, const struct limit_key *k, int64_t now,
	struct limit_info *out)
{
	return (s->ops->peek(s, k, now, out));
}

/* limit_reset - through the vtable */
long
limit_reset(struct limit_store *s, const char *subject)
{
	return (s->ops->reset(s, subject));
}

/* limit_list - through the vtable */
int
limit_list(struct limit_store *s, const char *subject, int64_t now,
	int (*fn) (const struct limit_info *, void *), void *arg)
{
	return (s->ops->list(s, subject, now, fn, arg));
}

/* limit_flush - through the vtable */
int
limit_flush(struct limit_store *s, int64_t now, char *err, size_t errlen)
{
	return (s->ops->flush(s, now, err, errlen));
}

/* limit_close - through the vtable; NULL-safe */
void
limit_close(struct limit_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}
