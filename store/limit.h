#ifndef RG_STORE_LIMIT_H
#define RG_STORE_LIMIT_H

/*
 * limit - rate counters behind a small interface (issue 16)
 *
 * A counter store keeps, for each key, one GCRA state per window of a
 * rate limit ("100 per hour and 500 per day"). A key is a pair:
 * the subject that is counted (an identity, or a client network) and
 * the name of the limit (the rule's label), so that one subject has
 * one counter per limit and "reset SUBJECT" clears them all.
 *
 * The interface is a vtable so that another engine (a shared server
 * for several hosts) can stand in for the local one; every engine
 * implements the same arithmetic (limit_gcra_*() below), so answers do
 * not depend on where the counters live.
 *
 * Times are microseconds since the epoch (int64_t): callers pass now,
 * so that tests inject time and nothing here reads a clock.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <stdint.h>

#define LIMIT_WINDOWS_MAX	4	/* windows of one limit */
#define LIMIT_SUBJECT_MAX	256	/* longest subject, bytes */
#define LIMIT_NAME_MAX		80	/* longest limit name, bytes */
#define LIMIT_COUNT_MAX		1000000	/* most admitted per window */
#define LIMIT_PERIOD_MAX	(31 * 86400)	/* longest window, seconds */
#define LIMIT_US		INT64_C(1000000)

/* One window: at most count in any period seconds (count >= 1). */
struct limit_window {
	uint32_t count;
	uint32_t period;
};

/*
 * The GCRA state of one window: the theoretical arrival time of the
 * next unit, tat + frac / count microseconds. Fractions keep the
 * arithmetic exact whatever period / count is.
 */
struct limit_tat {
	int64_t	tat;
	uint32_t frac;
};

struct limit_key {
	const char *subject;		/* "alice@example.com", "192.0.2.0/24" */
	const char *name;		/* the limit: its rule's label */
};

/* What a take answered. */
struct limit_answer {
	int	allowed;		/* 1: taken; 0: refused, nothing taken */
	int	window;			/* refused: the window that refuses
					 * longest; -1 when allowed */
	int64_t	again;			/* refused: first time the same take
					 * would be allowed; allowed: 0 */
	uint32_t left[LIMIT_WINDOWS_MAX];	/* what each window still
					 * admits at now, after this take */
	unsigned long denials;		/* refusals of this key since its
					 * counters were last empty,
					 * this one included */
};

/* One key's state, as peek and list report it. */
struct limit_info {
	char	subject[LIMIT_SUBJECT_MAX + 1];
	char	name[LIMIT_NAME_MAX + 1];
	size_t	nwin;
	struct limit_window win[LIMIT_WINDOWS_MAX];
	uint32_t left[LIMIT_WINDOWS_MAX];	/* admitted now, per window */
	int64_t	next[LIMIT_WINDOWS_MAX];	/* when the window admits one
						 * more (<= now: it does) */
	int64_t	empty[LIMIT_WINDOWS_MAX];	/* when it is back to count */
	unsigned long denials;
};

struct limit_store;

/*
 * The engine's operations. Every one returns 0 on success and -1 on
 * an error (message in err when the operation takes one; the engine's
 * counters are then unchanged), except where said.
 */
struct limit_ops {
	/*
	 * take - admit n units under every window of win at now, or none:
	 * all windows must allow, then all are charged at once.
	 * Returns 0 with the answer in *ans, or -1 (out of memory, too
	 * many keys, a key too long, a server that did not answer).
	 */
	int	(*take) (struct limit_store *, const struct limit_key *,
		const struct limit_window *win, size_t nwin, int64_t now,
		unsigned n, struct limit_answer *ans);
	/*
	 * give - return n units taken earlier (a recipient that was
	 * counted and then refused by a later rule). Returns 0 or -1.
	 */
	int	(*give) (struct limit_store *, const struct limit_key *,
		const struct limit_window *win, size_t nwin, int64_t now,
		unsigned n);
	/* peek - *out for key at now. Returns 1 found, 0 none, -1 error. */
	int	(*peek) (struct limit_store *, const struct limit_key *,
		int64_t now, struct limit_info *out);
	/*
	 * reset - forget every counter of subject (NULL: every counter).
	 * Returns the number of keys removed, or -1.
	 */
	long	(*reset) (struct limit_store *, const char *subject);
	/*
	 * list - call fn for each live key of subject (NULL: all), in no
	 * particular order; fn returns non-zero to stop and must not call
	 * the store. Returns 0 or -1.
	 */
	int	(*list) (struct limit_store *, const char *subject, int64_t now,
		int (*fn) (const struct limit_info *, void *), void *arg);
	/*
	 * flush - make the counters durable (the local engine writes what
	 * changed since the last flush to its file). Returns 0, or -1 with
	 * a message in err; counters in memory are kept either way.
	 */
	int	(*flush) (struct limit_store *, int64_t now, char *err,
		size_t errlen);
	/* close - free the store; does not flush. */
	void	(*close) (struct limit_store *);
};

/* Every engine's handle starts with this. */
struct limit_store {
	const struct limit_ops *ops;
};

/* Calls through the vtable; limit_close() is NULL-safe. */
extern int limit_take(struct limit_store *, const struct limit_key *,
	const struct limit_window *, size_t, int64_t now, unsigned n,
	struct limit_answer *);
extern int limit_give(struct limit_store *, const struct limit_key *,
	const struct limit_window *, size_t, int64_t now, unsigned n);
extern int limit_peek(struct limit_store *, const struct limit_key *,
	int64_t now, struct limit_info *);
extern long limit_reset(struct limit_store *, const char *subject);
extern int limit_list(struct limit_store *, const char *subject,
	int64_t now, int (*fn) (const struct limit_info *, void *), void *);
extern int limit_flush(struct limit_store *, int64_t now, char *err,
	size_t errlen);
extern void limit_close(struct limit_store *);

/*
 * limit_local_open - the local engine: counters in memory, shared by
 * the threads of the process (sharded locks), written to the LMDB file
 * path by limit_flush() and read back here, so that a restart keeps
 * them. path NULL: memory only. readonly: load the file but never
 * write it (explain). Returns 0, or -1 with a message in err.
 */
extern int limit_local_open(const char *path, int readonly,
	struct limit_store **out, char *err, size_t errlen);

/* limit_local_count - live keys in a local store (tests, stats). */
extern size_t limit_local_count(struct limit_store *);

/*
 * GCRA, for every engine. A window of count per period spaces units
 * T = period / count apart and lets up to count pass at once.
 *
 * limit_gcra_take - charge n units to the states st[0..nwin) at now if
 * every window allows it, filling ans (denials untouched). Returns 1
 * taken (st updated), 0 refused (st unchanged).
 */
extern int limit_gcra_take(struct limit_tat *st,
	const struct limit_window *win, size_t nwin, int64_t now,
	unsigned n, struct limit_answer *ans);

/* limit_gcra_give - return n units to st[0..nwin) at now. */
extern void limit_gcra_give(struct limit_tat *st,
	const struct limit_window *win, size_t nwin, int64_t now,
	unsigned n);

/* limit_gcra_info - left, next and empty of each window at now. */
extern void limit_gcra_info(const struct limit_tat *st,
	const struct limit_window *win, size_t nwin, int64_t now,
	struct limit_info *out);

/* limit_gcra_idle - 1 when every window of st is full again at now */
extern int limit_gcra_idle(const struct limit_tat *st, size_t nwin,
	int64_t now);

/*
 * limit_gcra_conform - make a key's windows have[0..*nhave) (states st)
 * those of the limit, win[0..nwin): a window with the same count and
 * period keeps its state, any other starts full (a changed limit is a
 * new limit). have and st hold LIMIT_WINDOWS_MAX; *nhave becomes nwin.
 */
extern void limit_gcra_conform(struct limit_window *have,
	struct limit_tat *st, size_t *nhave, const struct limit_window *win,
	size_t nwin);

/*
 * limit_redis_open - the shared engine: counters in the Redis of a
 * redis section (store/limit_redis.c), so that several hosts count
 * together. Nothing is connected here. readonly: takes and gives are
 * made on a private copy of what Redis holds and never written back
 * (explain). Returns 0, or -1 with a message in err.
 */
struct redis_conf;
extern int limit_redis_open(const struct redis_conf *, int readonly,
	struct limit_store **out, char *err, size_t errlen);

/*
 * limit_window_parse - "100/hour" (units second, minute, hour, day,
 * week, their plurals, or "N/30m"-style durations s m h d w). Returns 0,
 * or -1 with the reason in err.
 */
extern int limit_window_parse(const char *text, struct limit_window *,
	char *err, size_t errlen);

/*
 * limit_info_line - window w of i as relayguardctl limits prints it,
 * "SUBJECT LIMIT RATE left N next Ss full Ss refused N\n", into buf
 * (LIMIT_LINE_MAX bytes suffice)
 */
#define LIMIT_LINE_MAX	(LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 160)
extern void limit_info_line(const struct limit_info *i, size_t w,
	int64_t now, char *buf, size_t len);

/* limit_window_format - "100/hour" into buf (at least 32 bytes) */
extern void limit_window_format(const struct limit_window *, char *buf,
	size_t len);

#endif
