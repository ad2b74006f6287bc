#ifndef RG_RULES_H
#define RG_RULES_H

/*
 * rules - the relayguard configuration: load, evaluate, explain
 *
 * rules_load() parses and compiles a configuration file (spec section
 * 2) into an immutable struct rules shared read-only by every thread.
 * A reload loads a new one and swaps it in; sessions keep a reference
 * to the rules they started with (rules_ref/rules_unref).
 *
 * rules_eval() decides one SMTP stage of one session. The same call
 * serves the daemon and "relayguardctl explain" (which passes a trace).
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <time.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/fact_list.h"

struct rules;
struct redis_conf;
struct rules_session;
struct rules_trace;		/* see rules_trace_*() */

enum rules_stage {
	RULES_CONNECT,
	RULES_HELO,
	RULES_MAIL,
	RULES_RCPT,
	RULES_NSTAGES,
};

enum rules_verdict {
	RULES_CONTINUE,		/* permitted so far (or no rule matched) */
	RULES_ACCEPT,		/* trust the rest of the connection/message */
	RULES_REJECT,
	RULES_TEMPFAIL,
	RULES_DISCARD,
};

enum rules_on_error {
	RULES_ON_ERROR_TEMPFAIL,
	RULES_ON_ERROR_REJECT,
	RULES_ON_ERROR_ACCEPT,
};

/* Daemon settings from the file; NULL or -1 when not set there. */
struct rules_settings {
	const char *socket;
	const char *control;
	const char *user;
	enum rules_on_error on_error;
	int	delay_reject;		/* default 1 */
	const char *recipient_delimiter;	/* NULL: none */
	int	log_level;		/* enum log_level, default info */
	int	open_relay_allow;	/* open-relay allow: findings of
					 * rules_analyse() only warn */
	int	milter_timeout;		/* seconds, default 30 */
	int	max_connections;	/* default 512 */
	const char *blocks;		/* the account blocks table,
					 * default RULES_BLOCKS_DEFAULT;
					 * RULES_IN_REDIS: in redis */
	const char *limit_state;	/* counters' file, "none",
					 * RULES_IN_REDIS, or NULL:
					 * RULES_LIMIT_STATE_DEFAULT */
	const struct redis_conf *redis;	/* the redis section, or NULL */
	const char *policy;		/* the policy door's socket, or NULL */
	int	policy_permit_dunno;	/* policy-permit dunno: a permit
					 * answers DUNNO, not OK */
	int	milter_connect_reply;	/* default 1; 0: the milter door
					 * waives its connect reply too
					 * (with delay-reject yes) */
};

#define RULES_BLOCKS_DEFAULT	"/var/lib/relayguard/blocks.lmdb"
#define RULES_LIMIT_STATE_DEFAULT	"/var/lib/relayguard/limits.lmdb"
/* "blocks redis", "limit-state redis": kept in the redis section's server */
#define RULES_IN_REDIS	"redis"

#define RULES_MILTER_TIMEOUT_DEFAULT	30
#define RULES_MAX_CONNECTIONS_DEFAULT	512

/*
 * The facts of a session: one row each in fact_list.h. A session keeps
 * bounded private copies of them (rules_session_set()); the engine
 * reads only what its stage may know.
 */
enum rules_fact {
#define RULES_FACT_ENUM(id, name, macro, sent, stage, item, lookup, scope, \
	    from) RULES_FACT_##id,
	RULES_FACT_LIST(RULES_FACT_ENUM)
#undef RULES_FACT_ENUM
	RULES_NFACTS,
};

enum rules_fact_scope {
	RULES_SCOPE_CONNECTION,
	RULES_SCOPE_MESSAGE,		/* cleared when a message ends */
	RULES_SCOPE_RECIPIENT,		/* also replaced by each RCPT */
};

struct rules_fact_info {
	const char *name;		/* "client-name" */
	const char *macro;		/* "{daemon_name}", or NULL */
	unsigned sent;			/* RULES_FACT_AT() bits: where the MTA
					 * is asked for the macro */
	enum rules_stage stage;		/* first stage that knows it */
	enum rules_fact_scope scope;
	enum rules_fact from;		/* derived from; itself when given */
	int	matchable;		/* rules may test it */
};

/* rules_fact_info - a fact's row; rules_fact_by_name - NULL if unknown */
extern const struct rules_fact_info *rules_fact_info(enum rules_fact);
extern int rules_fact_by_name(const char *name, enum rules_fact *out);

/*
 * rules_fact_uses - call fn with the place ("file:line") and the text
 * of each rule of r that reads fact f (a condition on it or a check of
 * it), in stage order; fn returns non-zero to stop. Returns the number
 * of rules it was called for.
 */
extern size_t rules_fact_uses(const struct rules *r, enum rules_fact f,
	int (*fn) (const char *where, const char *text, void *), void *arg);

/*
 * Bounds of a fact's copy. A callback argument (HELO, MAIL, RCPT, the
 * host name) longer than RULES_ARG_MAX is cut there: still longer than
 * anything rcpt_parse() or domain_normalise() accepts, so it stays
 * malformed. A macro value longer than RULES_MACRO_MAX is dropped
 * (absent), because a cut string could match a rule the whole one
 * would not.
 */
#define RULES_ARG_MAX	4096
#define RULES_MACRO_MAX	1024

/* What the MTA must be told at a stage (rules_result.answer). */
enum rules_answer {
	RULES_ANSWER_CONTINUE,		/* go on */
	RULES_ANSWER_NOREPLY,		/* a quiet stage: say nothing now */
	RULES_ANSWER_ACCEPT_CONNECTION,	/* stop asking for this connection */
	RULES_ANSWER_ACCEPT_MESSAGE,	/* stop asking for this message */
	RULES_ANSWER_REJECT,		/* with code, xcode and text */
	RULES_ANSWER_TEMPFAIL,		/* with code, xcode and text */
	RULES_ANSWER_DISCARD,		/* discard the message */
};

/* The line a daemon logs for a stage (rules_result.event). */
enum rules_event {
	RULES_EVENT_NONE,
	RULES_EVENT_ACCEPT,
	RULES_EVENT_RELAY,
	RULES_EVENT_REJECT,
	RULES_EVENT_TEMPFAIL,
	RULES_EVENT_DISCARD,
};

#define RULES_REPLY_MAX		512
#define RULES_WHERE_MAX		300

/* The answer for one stage. */
struct rules_result {
	enum rules_verdict verdict;
	char	code[4];		/* "554"; "" for CONTINUE/ACCEPT */
	char	xcode[16];		/* "5.7.1" */
	char	text[RULES_REPLY_MAX];	/* expanded and sanitised: no control
					 * characters, bounded; NOT %-escaped */
	char	rule[RULES_WHERE_MAX];	/* "file:line" of the deciding rule, ""
					 * when no rule decided */
	int	relay;			/* RCPT permitted for a destination no
					 * rule showed to be local */
	int	lookup_error;		/* a lookup failed; on-error decided */
	char	error[256];		/* the lookup error, when lookup_error */
	int	error_first;		/* first failure of that table: log it */
	enum rules_answer answer;	/* what the MTA must be told */
	enum rules_event event;		/* what the daemon logs */
	int	internal_error;		/* the session is broken (out of
					 * memory): the answer is a tempfail */
	int	warned;			/* a rule marked warn matched: */
	enum rules_verdict warn_verdict;	/* what it would have done */
	char	warn_rule[RULES_WHERE_MAX];	/* "file:line" (the first) */
	int	blocked;		/* the refusal came from a rule on a
					 * blocked identity ("identity
					 * blocked"), for the stats */
	char	identity[128];		/* at RCPT: the identity, or "" */
	const char *identity_source;	/* "auth", "grant", "cert"; NULL */
};

/*
 * rules_load - parse and compile a configuration. path NULL loads the
 * embedded default (spec section 6). Every error is appended to errs as
 * one line "file:line:col: error: message\n". Tables are opened but a
 * missing table file is not a load error (lookups yield on-error).
 * Returns the rules (one reference, owned by the caller) or NULL.
 */
extern struct rules *rules_load(const char *path, struct strbuf *errs);

/*
 * rules_load_flags - rules_load() with flags. RULES_LOAD_NO_TABLES
 * parses and checks the file but opens no table file: the settings
 * and rules_table_info() (every table's name and path) are there, for
 * a tool that only wants those. Every table lookup of such rules fails
 * (on-error decides): never evaluate them.
 */
#define RULES_LOAD_NO_TABLES	0x01
/*
 * RULES_LOAD_NO_LISTS does not read the files of "list NAME file":
 * those lists are empty. For tools that want the settings and the
 * tables' paths of a configuration whose lists hold a hundred thousand
 * entries (relayguardctl grant, once per login, must not parse them).
 * Never evaluate such rules either.
 */
#define RULES_LOAD_NO_LISTS	0x02
extern struct rules *rules_load_flags(const char *path, unsigned flags,
	struct strbuf *errs);

/* rules_load_string - as rules_load(), from text named name. */
extern struct rules *rules_load_string(const char *name, const char *text,
	struct strbuf *errs);

/* rules_default_text - the embedded default configuration. */
extern const char *rules_default_text(void);

/* rules_ref, rules_unref - reference counting; unref is NULL-safe. */
extern struct rules *rules_ref(struct rules *);
extern void rules_unref(struct rules *);

/* rules_settings - valid while the caller holds a reference. */
extern const struct rules_settings *rules_settings(const struct rules *);

/*
 * rules_identity - the identity fact of session s as stage knows it
 * (the SASL login, else a grant's user, else the verified certificate's
 * CN; rules/identity.h), copied to out (outlen bytes), its source
 * ("auth", "grant", "cert") in *source. The engine derives it anew at
 * each evaluation; this is for code outside an evaluation (a rate
 * limit's subject, a log). Returns 1, 0 absent (*source NULL), -1 a
 * grant table could not be read (fail closed: not a stranger).
 */
extern int rules_identity(const struct rules_session *s,
	enum rules_stage stage, char *out, size_t outlen,
	const char **source);

/*
 * rules_blocks_open - the blocks table at path (NULL: the configuration's
 * "blocks" setting; RULES_IN_REDIS: in the redis section's server), as
 * store_block_open() opens it. Returns 0, or -1 with a message in err.
 */
struct store;
extern int rules_blocks_open(const struct rules *, const char *path,
	int writable, struct store **out, char *err, size_t errlen);

/*
 * rules_block_add - block identity in the blocks table at path (NULL:
 * the configuration's "blocks" setting) for ttl seconds (0: until
 * unblocked) with reason, and revoke its grants in every dynamic table
 * of the configuration; *revoked gets how many. For the daemon's
 * automatic blocks; the caller logs. Returns 0, or -1 with a message
 * in err (the block may be made and some grants left when a grant
 * table fails).
 */
extern int rules_block_add(const struct rules *, const char *path,
	const char *identity, time_t ttl, const char *reason, size_t *revoked,
	char *err, size_t errlen);

/* rules_source - the file name given to rules_load, or "(default)". */
extern const char *rules_source(const struct rules *);

/*
 * Sessions: one SMTP session's facts and engine state (delayed
 * refusals, accepts, discards).
 *
 * quiet has a bit RULES_QUIET(stage) for each stage before RCPT whose
 * answer the MTA does not wait for: what such a stage decides is
 * delivered at the next RCPT (a refusal at each RCPT, as delay-reject
 * does; an accept or a discard of the message at the first). The
 * milter's no-reply mode is rules_quiet_stages(); a policy door that
 * is asked only at RCPT passes every stage before it.
 */
#define RULES_QUIET(stage)	(1u << (stage))
#define RULES_QUIET_ALL		(RULES_QUIET(RULES_CONNECT) | \
	RULES_QUIET(RULES_HELO) | RULES_QUIET(RULES_MAIL))

/*
 * rules_quiet_stages - the stages the milter door leaves unanswered
 * under r: HELO and MAIL with delay-reject yes (their refusals wait
 * for RCPT anyway), and connect too with milter-connect-reply no;
 * none with delay-reject no.
 */
extern unsigned rules_quiet_stages(const struct rules *);

/* rules_session_new - takes its own reference; NULL when out of memory */
extern struct rules_session *rules_session_new(struct rules *, unsigned quiet);

/* rules_session_free - NULL-safe; drops the reference. */
extern void rules_session_free(struct rules_session *);

/* rules_session_rules - the rules this session runs under. */
extern struct rules *rules_session_rules(const struct rules_session *);

/*
 * rules_session_set - set one fact to a bounded private copy of value
 * (NULL: absent); everything derived from the fact is forgotten.
 * RULES_FACT_CLIENT takes an address as text ("unix" or an invalid
 * address: absent). Returns 0 when stored whole or absent; 1 when the
 * value was cut (an argument longer than RULES_ARG_MAX), dropped (a
 * macro longer than RULES_MACRO_MAX, an invalid address) or the fact
 * cannot be set (a derived one); -1 when out of memory: the fact is
 * absent and the session broken (every later answer that the MTA
 * waits for is a tempfail).
 */
extern int rules_session_set(struct rules_session *, enum rules_fact,
	const char *value);

/* rules_session_set_client - the client address (NULL: none) */
extern void rules_session_set_client(struct rules_session *,
	const struct addr *);

/* rules_session_get - a fact as set (NULL: absent); client as text */
extern const char *rules_session_get(const struct rules_session *,
	enum rules_fact);

/* rules_session_client - the client address, or NULL */
extern const struct addr *rules_session_client(const struct rules_session *);

/*
 * rules_session_client_name - the client's host name as the MTA's
 * log shows it: the name when verified (spec section 2.2), else
 * "unknown"
 */
extern const char *rules_session_client_name(const struct rules_session *);

/*
 * rules_session_end_message - a message ended or was aborted: forget
 * its facts (scope message and recipient) and its engine state (a
 * delayed MAIL refusal, a message accept, a message discard).
 */
extern void rules_session_end_message(struct rules_session *);

/*
 * rules_session_pending - the verdict of a refusal decided at connect,
 * helo or mail and kept for the next RCPT (delay-reject), or
 * RULES_CONTINUE when none is pending.
 */
extern enum rules_verdict rules_session_pending(const struct rules_session *);

/*
 * rules_eval - decide one stage from the session's facts. With
 * delay-reject (or a quiet stage), a refusal decided at CONNECT, HELO
 * or MAIL is remembered and returned at each RCPT instead (the
 * earlier stage then yields CONTINUE). res->answer is what the MTA
 * must be told now and res->event the line to log. trace may be NULL;
 * when given, every rule tried is recorded in it.
 * Returns 0; the answer is in *res. This function cannot fail: errors
 * become the on-error verdict with lookup_error set.
 */
extern int rules_eval(struct rules_session *, enum rules_stage,
	struct rules_result *, struct rules_trace *);

/* rules_answer_name, rules_event_name - "accept message", "relay", ... */
extern const char *rules_answer_name(enum rules_answer);
extern const char *rules_event_name(enum rules_event);

/* rules_stage_name, rules_verdict_name - "connect", "reject", ... */
extern const char *rules_stage_name(enum rules_stage);
extern const char *rules_verdict_name(enum rules_verdict);

/*
 * Statistics (spec section 7): every rule counts how often it decided
 * and what. The counters are atomics, updated by rules_eval() without
 * locks; a reader sees each counter's current value.
 */
enum rules_stat_verdict {
	RULES_STAT_PERMIT,
	RULES_STAT_ACCEPT,
	RULES_STAT_REJECT,
	RULES_STAT_TEMPFAIL,
	RULES_STAT_DISCARD,
	RULES_STAT_ERROR,		/* a failed lookup: on-error decided */
	RULES_NSTAT,
};

/* rules_stat_name - "permit", "accept", ... */
extern const char *rules_stat_name(enum rules_stat_verdict);

struct rules_rule_stats {
	const char *where;		/* "file:line" */
	const char *name;		/* its name "LABEL", or NULL */
	const char *label;		/* name when it has one, else where:
					 * stable across edits above it */
	const char *text;		/* the rule as written */
	enum rules_stage stage;
	unsigned long matched;		/* times the rule decided */
	unsigned long count[RULES_NSTAT];
	int	warn;			/* marked warn: decides nothing */
	unsigned long warned[RULES_NSTAT];	/* what it would have done */
};

/* rules_rule_count - how many rules the configuration has */
extern size_t rules_rule_count(const struct rules *);

/*
 * rules_rule_stats - the i-th rule (stage order, then file order) and
 * its counters. The strings are valid while the caller holds a
 * reference. Returns 0, or -1 when i is out of range.
 */
extern int rules_rule_stats(const struct rules *, size_t i,
	struct rules_rule_stats *);

/* rules_list_count, rules_table_count - for summaries */
extern size_t rules_list_count(const struct rules *);
extern size_t rules_table_count(const struct rules *);

/*
 * rules_table_info - the i-th table: name, path, dynamic. Returns 0,
 * or -1 when i is out of range. Strings live as long as the rules.
 */
extern int rules_table_info(const struct rules *, size_t i,
	const char **name, const char **path, int *dynamic);

/*
 * rules_table_store - the i-th table's open handle (NULL when it could
 * not be opened or i is out of range), valid as long as the rules;
 * store_dup() it to keep it longer. A "dynamic redis" table's path
 * (rules_table_info()) is "redis": only its handle reaches it.
 */
struct store;
extern struct store *rules_table_store(const struct rules *, size_t i);

/*
 * rules_warnings - what loads but is probably not meant (today: rules
 * that a failed lookup turns into a permit under on-error accept),
 * appended to out as "file:line: warning: message\n" lines in file
 * order. Returns the number of warnings.
 */
extern size_t rules_warnings(const struct rules *, struct strbuf *out);

/*
 * Traces: what rules_eval() tried and why. A trace collects the steps
 * of every rules_eval() call it is passed to, in order. The strings a
 * step points to live as long as the trace.
 */
enum rules_trace_outcome {
	RULES_TRACE_MATCH,		/* "match" */
	RULES_TRACE_NO_MATCH,		/* "no match" */
	RULES_TRACE_DUNNO,		/* "dunno" */
	RULES_TRACE_ERROR,		/* "error" */
	RULES_TRACE_SKIPPED,		/* "skipped" */
	RULES_TRACE_NOTE,		/* "note" */
	RULES_TRACE_RESULT,		/* "result": the stage's verdict */
	RULES_TRACE_REPLY,		/* "reply": its reply */
	RULES_TRACE_NOUTCOMES,
};

/* rules_trace_outcome_name - "match", "no match", ... */
extern const char *rules_trace_outcome_name(enum rules_trace_outcome);

struct rules_trace_step {
	enum rules_stage stage;
	const char *where;		/* "file:line" or "" */
	const char *text;		/* the rule, or "" */
	enum rules_trace_outcome outcome;
	const char *detail;		/* why, in words */
};

/* rules_trace_new, rules_trace_free - free is NULL-safe */
extern struct rules_trace *rules_trace_new(void);
extern void rules_trace_free(struct rules_trace *);

/* rules_trace_count - the number of steps so far */
extern size_t rules_trace_count(const struct rules_trace *);

/* rules_trace_step - the i-th step; returns 0, or -1 out of range */
extern int rules_trace_step(const struct rules_trace *, size_t i,
	struct rules_trace_step *);

/*
 * The relay analysis (analysis.c): can a stranger get a recipient in a
 * foreign domain permitted? rules_analyse() never fails; its findings
 * live until rules_analysis_free().
 */
struct rules_analysis;

enum rules_finding_kind {
	RULES_FINDING_OPEN,		/* a stranger relays */
	RULES_FINDING_WEAK,		/* relays by forging helo or sender */
	RULES_FINDING_WEAK_OK,		/* the same, by a rule marked weak-ok */
	RULES_FINDING_WARNING,		/* anything else worth a look */
};

/* The witness session, as relayguardctl explain options. */
enum rules_witness_field {
	RULES_WITNESS_CLIENT,
	RULES_WITNESS_CLIENT_NAME,	/* NULL: none */
	RULES_WITNESS_DAEMON,		/* NULL: none */
	RULES_WITNESS_HELO,		/* NULL with no_helo */
	RULES_WITNESS_SENDER,
	RULES_WITNESS_RCPT,
	RULES_WITNESS_RCPT_MAILER,
	RULES_WITNESS_NFIELDS,
};

struct rules_finding {
	enum rules_finding_kind kind;
	const char *where;		/* "file:line", or the file */
	const char *message;
	int	has_witness;
	const char *witness[RULES_WITNESS_NFIELDS];
	int	tls;			/* --tls */
	int	no_helo;		/* --no-helo: the client sends no HELO */
	const char *note;		/* table entries the witness needs, or
					 * NULL */
	const char *explain;		/* the witness as a command line */
};

/* rules_analyse - analyse a loaded configuration (never NULL) */
extern struct rules_analysis *rules_analyse(const struct rules *);

/* rules_analysis_count, rules_analysis_finding - the findings; the
 * strings live as long as the analysis. finding returns 0, or -1 when
 * i is out of range. */
extern size_t rules_analysis_count(const struct rules_analysis *);
extern int rules_analysis_finding(const struct rules_analysis *, size_t i,
	struct rules_finding *);

/* rules_analysis_open - how many open or weak findings (0: proved safe) */
extern int rules_analysis_open(const struct rules_analysis *);

/*
 * rules_analysis_format - append every finding as lines
 * "file:line: error: ..." (or "warning:", and every one a warning with
 * open-relay allow), each witness on a line of its own.
 */
extern void rules_analysis_format(const struct rules_analysis *,
	const struct rules *, struct strbuf *);

/* rules_analysis_free - NULL-safe */
extern void rules_analysis_free(struct rules_analysis *);

#endif
