#ifndef RG_RULES_INT_H
#define RG_RULES_INT_H

/*
 * rules_int - the compiled rule set, shared by the files of rules/
 *
 * Nothing here is part of the contract with the daemon (rules.h is).
 * A struct rules is built by the parser (parse.c), never changed after
 * rules_load() returns, and read by the evaluator (eval.c) from any
 * number of threads at once. Only the reference count and the per-rule
 * statistics counters change after load, and they are atomics.
 */
#include <regex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/domain.h"
#include "common/rcpt.h"
#include "common/strbuf.h"
#include "rules/limits.h"
#include "rules/rules.h"
#include "store/limit.h"
#include "store/store.h"

/* Item types: what the items of a set are, decided by the fact. */
enum item_type {
	ITEM_ADDRESS,
	ITEM_DOMAIN,
	ITEM_MAILBOX,
	ITEM_STRING,
	ITEM_NTYPES,
	ITEM_NONE = ITEM_NTYPES,	/* a fact no rule may test */
};

enum flag_id {
	FLAG_AUTH,
	FLAG_TLS,
	FLAG_TLS_VERIFIED,
	FLAG_ROUTED,
	FLAG_UNQUALIFIED,
	FLAG_NFLAGS,
};

/* The clause registry: one entry per fact (fact_list.h). */
struct fact_def {
	const char *name;
	enum rules_fact id;
	enum rules_stage stage;		/* first stage that knows it */
	enum item_type type;		/* ITEM_NONE: rules cannot test it */
	enum store_fact sfact;		/* lookup order in tables */
};

struct flag_def {
	const char *name;
	enum flag_id id;
	enum rules_stage stage;
};

extern const struct fact_def rules_facts_tab[RULES_NFACTS];
extern const struct flag_def rules_flags_tab[FLAG_NFLAGS];
extern const char *const rules_item_type_names[ITEM_NTYPES];
extern const char *const rules_stage_names[RULES_NSTAGES];

extern const struct fact_def *rules_fact_find(const char *);
extern const struct flag_def *rules_flag_find(const char *);

/* A string hash set (open addressing), keys owned by the rule set. */
struct hset_slot {
	uint32_t hash;
	const char *key;
};

struct hset {
	struct hset_slot *slots;
	size_t  mask;			/* size - 1; 0 slots when empty */
	size_t  count;
	uint64_t *filter;		/* one bit per hash: a probe that
					 * misses mostly stops here, in cache */
	uint32_t fmask;			/* filter bits - 1 */
};

struct range4 {
	uint32_t lo, hi;
};

struct range6 {
	unsigned __int128 lo, hi;
};

struct rx {
	regex_t re;
	char   *src;
};

/*
 * A compiled set. Domain sets hold exact names and names whose
 * subdomains match; mailbox sets add full mailboxes, local parts and
 * the null sender; string sets hold exact strings. Regexes serve the
 * domain, mailbox and string types.
 */
struct set {
	enum item_type type;
	struct range4 *v4;
	size_t  n4;
	struct range6 *v6;
	size_t  n6;
	struct hset exact;		/* domains, strings */
	struct hset sub;		/* ".example.com" stored as "example.com" */
	struct hset mbox;		/* "user@example.com" */
	struct hset local;		/* "user" from "user@" */
	int     null;			/* "<>" */
	struct rx *rx;
	size_t  nrx;
};

/* Longest "local@domain" the matcher builds. */
#define RCPT_MAX_BOX	1100

/* A fact's value as the matcher sees it. */
struct mbox_val {
	const char *local;		/* lowercased */
	const char *local_base;		/* without extension, or NULL */
	const char *domain;		/* normalised; NULL if none */
	const char *text;		/* "local@domain", for regexes */
	int     null;
	/* Filled by mbox_prepare(), so that each string is hashed once
	 * per evaluation however many sets it is matched against. */
	char    full[RCPT_MAX_BOX];	/* "local@domain" or "" */
	char    full_base[RCPT_MAX_BOX];	/* "base@domain" or "" */
	uint32_t h_local, h_base, h_full, h_full_base, h_domain;
};

/*
 * Regular expressions (set.c): a pattern is at most RX_PATTERN_MAX
 * bytes and costs at most RX_COST_MAX (rules_rx_check()); a text
 * longer than RX_SUBJECT_MAX is matched by no regex: the match is
 * SET_UNCERTAIN, which holds in a refusing rule and not in a permit.
 */
#define RX_PATTERN_MAX	256
#define RX_COST_MAX	64
#define RX_SUBJECT_MAX	256
#define SET_UNCERTAIN	2		/* set_match_*(): cannot tell */

/* set.c */
struct set_item {
	const char *text;
	int     regex;
	int     icase;
};
extern struct set *set_build(enum item_type, const struct set_item *, size_t,
	size_t *bad, char *err, size_t errlen);
extern void set_free(struct set *);
extern int set_match_addr(const struct set *, const struct addr *);
/* set_run4, set_run6 - the network run of a set holding v, or NULL */
extern const struct range4 *set_run4(const struct set *, uint32_t v);
extern const struct range6 *set_run6(const struct set *,
	unsigned __int128 v);
extern int set_match_domain(const struct set *, const char *);
extern int set_match_mailbox(const struct set *, const struct mbox_val *);
extern void mbox_prepare(struct mbox_val *);
extern uint32_t rules_hash(const char *);
extern int set_match_string(const struct set *, const char *);
extern int set_item_check(enum item_type, const struct set_item *,
	char *err, size_t errlen);
extern int rules_domain_canon(const char *in, char *out, size_t outlen);
extern int rules_rx_check(const char *, size_t *at, char *err, size_t errlen);

/*
 * routed.c: the readings of a recipient (spec section 3). A reading is
 * one mailbox the MTA may deliver the address as: local is "" for a
 * source-route hop, domain canonical or NULL (none).
 */
#define READINGS_MAX	16

struct reading {
	char   *local;
	char   *domain;
	int     hop;			/* a source-route hop: domain only */
};

struct readings {
	size_t  n;
	int     uncertain;		/* some reading cannot be known */
	struct reading r[READINGS_MAX];
};

struct rcpt;
extern void readings_build(const char *arg, const struct rcpt *,
	struct readings *);
extern void readings_free(struct readings *);

struct source_pos {
	const char *file;		/* interned in the rule set */
	int     line, col;
};

/* A named list: items are kept as text and compiled per item type. */
struct list {
	char   *name;
	struct source_pos pos;
	struct set_item *items;
	struct source_pos *item_pos;
	size_t  nitems;
	struct set *compiled[ITEM_NTYPES];
	int     failed[ITEM_NTYPES];
};

struct table {
	char   *name;
	struct source_pos pos;
	char   *path;
	int     dynamic;
	int     redis;			/* "dynamic redis": no file */
	struct store *store;
};

enum action {
	ACT_PERMIT,
	ACT_ACCEPT,
	ACT_REJECT,
	ACT_TEMPFAIL,
	ACT_DISCARD,
	ACT_CHECK,
	ACT_NACTIONS,
};

extern const char *const rules_action_names[ACT_NACTIONS];

enum cond_kind {
	COND_FLAG,
	COND_SET,
	COND_TABLE,
	COND_OWNER,			/* [MODE] sender not owned-by FACT in <t> */
	COND_BLOCKED,			/* FACT blocked */
};

struct cond {
	enum cond_kind kind;
	int     neg;
	int     id;			/* enum rules_fact or enum flag_id */
	int     mode;			/* COND_OWNER: enum owner_mode */
	const struct set *set;		/* COND_SET */
	struct table *table;		/* COND_TABLE */
	char   *text;			/* "client in <trusted>" */
	int     memo;			/* slot shared by the conditions on the
					 * same fact and set or table, whose
					 * answer is computed once per
					 * evaluation; -1 none */
};

/* Distinct (fact, set or table) pairs remembered per evaluation. */
#define RULES_MEMO_MAX	64

struct reply {
	int     given;
	char    code[4];
	char    xcode[16];
	char   *text;			/* template with %{macro} */
};

/*
 * A rate limit on a rule (limits.c): the rule's conditions hold, then
 * the rule decides only when its subject is over the limit; under it,
 * the recipient is counted (and given back if the RCPT is refused).
 */
struct rule_limit {
	struct limit_window win[LIMIT_WINDOWS_MAX];
	size_t  nwin;
	char   *name;			/* the counters' name: the rule's label */
	char   *text;			/* "limit 100/hour 500/day per identity" */
	unsigned long block_after;	/* report when refused this often; 0 */
	int     block_ttl;		/* seconds of the block asked for */
};

/*
 * "networks K/PERIOD [per identity] [except SET] [block [for T]]"
 * (spread.c): the rule decides when its identity has come from more
 * than K distinct client networks (/24, /64) within PERIOD; a new
 * network that takes it over K blocks the identity when asked.
 */
struct rule_spread {
	unsigned max;			/* K */
	uint32_t period;		/* seconds */
	int     block;			/* block the identity when exceeded */
	int     block_ttl;		/* seconds of that block */
	char   *name;			/* the key's name: the rule's label */
	char   *text;			/* "networks 3/hour" */
};

#define SPREAD_REPLY_TEMPFAIL	"451 4.7.1 %{identity}: logins from too " \
	"many networks, try again later"
#define SPREAD_REPLY_REJECT	"554 5.7.1 %{identity}: logins from too " \
	"many networks; contact your postmaster"

#define LIMIT_REPLY_TEMPFAIL	"451 4.7.1 Too many recipients, try again later"
#define LIMIT_REPLY_REJECT	"554 5.7.1 Too many recipients"

/* Counted recipients of one RCPT, settled when its answer is known. */
#define LIMIT_HELD_MAX	16		/* limit rules in the rcpt block */

struct limit_held {
	size_t  n;
	const struct rule_limit *lim[LIMIT_HELD_MAX];
	char    subject[LIMIT_SUBJECT_MAX + 1];
	int     identity;		/* subject is an identity, not a network */
	int64_t now;
};

struct rule {
	enum action action;
	enum rules_stage stage;
	struct cond *conds;
	size_t  nconds;
	int     check_fact;		/* ACT_CHECK */
	struct table *check_table;	/* ACT_CHECK */
	struct reply reply;
	char   *where;			/* "file:line" */
	char   *name;			/* name "LABEL", or NULL */
	char   *text;			/* the rule as written */
	int     shows_local;		/* a positive rcpt condition/check */
	int     weak_ok;		/* weak-ok: a permit on forgeable
					 * facts is intended (analysis.c) */
	int     warn;		/* warn: log and count, decide nothing */
	int     name_helps;		/* an earlier rule could permit on
					 * client-name (section 2.3) */
	struct rule_limit *limit;	/* NULL: none */
	struct rule_spread *spread;	/* NULL: none */
	atomic_ulong matched;
	atomic_ulong stats[RULES_NSTAT];
	atomic_ulong warned[RULES_NSTAT];	/* warn: what it would have done */
};

struct block {
	struct rule **rules;
	size_t  nrules;
	int     accept_on_name;		/* an accept rule tests client-name */
};

struct rules {
	atomic_int refs;
	char   *source;
	struct rules_settings settings;
	char   *set_socket, *set_control, *set_user, *set_delim;
	char   *set_blocks;
	char   *set_limit_state;
	struct rules_limits limits;	/* attached by the owner; not owned */
	char   *set_policy;
	char   *set_cert_identity;	/* cert-identity <NAME>, or NULL */
	struct source_pos cert_identity_pos;
	struct table *cert_map;		/* that table, once resolved */
	struct block blocks[RULES_NSTAGES];
	struct list **lists;
	size_t  nlists;
	struct table **tables;
	size_t  ntables;
	struct redis_conf *redis;	/* the redis section, or NULL */
	struct source_pos redis_pos;
	struct set **inline_sets;
	size_t  ninline;
	char  **files;			/* interned file names */
	size_t  nfiles;
	int     wants_blocks;		/* a rule tests "blocked" */
	struct store *block_store;	/* account blocks, when a rule asks */
	struct store **grants;		/* the dynamic tables, for identity */
	size_t  ngrants;
	struct rule **all_rules;	/* in file order, for stats */
	size_t  nall;
};

/*
 * session.c: one SMTP session (the facts as set, derived facts kept
 * until the fact they come from is set again, delayed refusals,
 * accepts and discards); eval.c decides its stages.
 */
/* A decision made by a block, or kept for a later RCPT. */
struct decision {
	int     set;
	enum rules_verdict verdict;
	const struct rule *rule;	/* NULL: nobody decided */
	char    code[4];
	char    xcode[16];
	char    tmpl[RULES_REPLY_MAX];
	int     is_tmpl;		/* tmpl holds %{macros} */
	int     lookup_error;
	char    error[256];
	int     error_first;
	int     shows_local;
};

/*
 * Facts that stay the same across the RCPTs of a message are derived
 * once and kept in the session until the fact they come from is set
 * again (forget()).
 */
struct sender_cache {
	int     have;			/* r is parsed (and must be freed) */
	struct rcpt r;
	char    base[RCPT_ARG_MAX + 1];
	char    dom[DOMAIN_MAX + 1];
	const char *domp;
	int     dom_ok;
};

struct dom_cache {
	int     have;			/* canon and ok are known */
	char    canon[DOMAIN_MAX + 1];
	int     ok;
};

struct rules_session {
	struct rules *r;
	unsigned quiet;			/* RULES_QUIET() bits */
	int     broken;			/* out of memory: tempfail */
	char   *v[RULES_NFACTS];	/* owned copies; NULL: absent */
	struct addr client;
	int     has_client;
	char    client_text[ADDR_STRLEN];
	struct decision pending[RULES_RCPT];	/* delayed refusals */
	const struct rule *accept_rule;
	enum rules_stage accept_stage;
	int     discard;		/* decided at connect or helo: every
					 * message of the connection */
	int     discard_msg;		/* decided at a quiet mail stage */
	struct sender_cache snd;
	struct dom_cache cn, helo;
	struct limit_held held;		/* this RCPT's counted recipient */
};


/* rules_evaluate - the verdict of a stage (eval.c) */
extern void rules_evaluate(struct rules_session *, enum rules_stage,
	struct rules_result *, struct rules_trace *);

/* rules_name_verified - the client's host name when verified, or NULL */
extern const char *rules_name_verified(const struct rules_session *);

/* limits.c */
extern int limit_rule_check(struct rules_session *, const struct rule *,
	struct rules_trace *, char *err, size_t errlen);
extern void limit_settle(struct rules_session *, int permitted,
	struct rules_trace *);
extern void limit_rule_free(struct rule_limit *);
/* limit_now - the attached clock, else the real one, in microseconds */
extern int64_t limit_now(const struct rules *);
/* limit_identity - the identity lowercased into buf: 1, 0 none, -1 error */
extern int limit_identity(const struct rules_session *, enum rules_stage,
	char *buf, size_t len);

/* spread.c */
extern int spread_rule_check(struct rules_session *, const struct rule *,
	struct rules_trace *, char *err, size_t errlen);
extern void spread_rule_free(struct rule_spread *);

/* parse.c; flags: RULES_LOAD_* and RULES_PARSE_FILE (name is a file) */
#define RULES_PARSE_FILE	0x100
extern struct rules *rules_parse(const char *name, const char *text,
	unsigned flags, struct strbuf *errs);
extern void rules_free(struct rules *);

/* reply.c: the %{macros} of reply templates */
#define REPLY_MACRO_RULE	(-1)	/* the deciding rule's "file:line" */

struct reply_macro {
	const char *name;		/* "client-name" */
	int     fact;			/* enum rules_fact, or REPLY_MACRO_RULE */
	const char *absent;		/* shown when absent or empty */
};

extern const struct reply_macro rules_reply_macros[];
extern const struct reply_macro *rules_reply_macro(const char *, size_t);

/* reply.c, compile.c */
extern int rules_reply_parse(const char *, int cls, struct reply *,
	char *err, size_t errlen);
extern void rules_finish(struct rules *);

/* eval.c helpers shared with trace.c */
struct rules_trace;
extern void trace_add(struct rules_trace *, enum rules_stage, const char *where,
	const char *text, enum rules_trace_outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
