/*
 * NAME
 *	trace 3
 * SUMMARY
 *	what rules_eval() tried and why, for relayguardctl explain
 * SYNOPSIS
 *	#include "rules/rules.h"
 *
 *	struct rules_trace *rules_trace_new(void)
 *	void	rules_trace_free(struct rules_trace *t)
 *	size_t	rules_trace_count(const struct rules_trace *t)
 *	int	rules_trace_step(const struct rules_trace *t, size_t i,
 *		struct rules_trace_step *step)
 *	const char *rules_trace_outcome_name(enum rules_trace_outcome o)
 * DESCRIPTION
 *	A trace is a list of steps appended by the evaluator (trace_add(),
 *	internal): each rule tried with its outcome and the reason, notes
 *	on session state (accept, delayed refusals), and the answer of
 *	each stage ("result" and "reply" steps). Steps own copies of their
 *	strings, so a trace outlives the rules it was made with.
 * DIAGNOSTICS
 *	Allocation failure aborts. rules_trace_step() returns -1 for an
 *	index out of range.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "rules/rules_int.h"

struct step {
	enum rules_stage stage;
	char   *where;
	char   *text;
	enum rules_trace_outcome outcome;
	char   *detail;
};

struct rules_trace {
	struct step *v;
	size_t  n;
};

/* rules_trace_new - an empty trace */
struct rules_trace *
rules_trace_new(void)
{
	return (xcalloc(1, sizeof(struct rules_trace)));
}

/* rules_trace_free - NULL-safe */
void
rules_trace_free(struct rules_trace *t)
{
	size_t  i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].where);
		free(t->v[i].text);
		free(t->v[i].detail);
	}
	free(t->v);
	free(t);
}

/* rules_trace_outcome_name - "match", "no match", ... */
const char *
rules_trace_outcome_name(enum rules_trace_outcome o)
{
	static const char *const names[RULES_TRACE_NOUTCOMES] = {
		[RULES_TRACE_MATCH] = "match",
		[RULES_TRACE_NO_MATCH] = "no match",
		[RULES_TRACE_DUNNO] = "dunno",
		[RULES_TRACE_ERROR] = "error",
		[RULES_TRACE_SKIPPED] = "skipped",
		[RULES_TRACE_NOTE] = "note",
		[RULES_TRACE_RESULT] = "result",
		[RULES_TRACE_REPLY] = "reply",
	};

	return ((unsigned) o < RULES_TRACE_NOUTCOMES ? names[o] : "?");
}

/* trace_add - append a step */
void
trace_add(struct rules_trace *t, enum rules_stage stage, const char *where,
	const char *text, enum rules_trace_outcome outcome, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct step *s;
	va_list ap;

	if (t == NULL)
		return;
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	s = &t->v[t->n++];
	s->stage = stage;
	s->where = xstrdup(where ? where : "");
	s->text = xstrdup(text ? text : "");
	s->outcome = outcome;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	strbuf_puts(&sb, "");
	s->detail = strbuf_detach(&sb);
}

/* rules_trace_count - number of steps */
size_t
rules_trace_count(const struct rules_trace *t)
{
	return (t ? t->n : 0);
}

/* rules_trace_step - the i-th step */
int
rules_trace_step(const struct rules_trace *t, size_t i,
	struct rules_trace_step *out)
{
	if (t == NULL || i >= t->n)
		return (-1);
	out->stage = t->v[i].stage;
	out->where = t->v[i].where;
	out->text = t->v[i].text;
	out->outcome = t->v[i].outcome;
	out->detail = t->v[i].detail;
	return (0);
}
