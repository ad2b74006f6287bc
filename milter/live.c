/*
 * NAME
 *	live 3
 * SUMMARY
 *	the current rule set, swapped atomically on reload
 * SYNOPSIS
 *	#include "milter/live.h"
 *
 *	void	live_init(const char *conf, int force_debug)
 *	const char *live_conf_path(void)
 *	struct rules *live_load(struct strbuf *errs, struct strbuf *warns)
 *	void	live_set(struct rules *r)
 *	struct rules *live_get(void)
 *	int	live_reload(const char *why, struct strbuf *errs)
 *	struct stats *live_stats(void)
 *	void	live_apply_log_level(const struct rules *r)
 *	void	live_set_quiet(unsigned quiet)
 *	unsigned live_quiet(void)
 * DESCRIPTION
 *	live_init() records the -c argument (NULL: the default file when
 *	it exists, else the embedded default) and whether -v forces the
 *	debug log level, and makes the counters.
 *
 *	live_conf_path() is the file the next load reads, or NULL for
 *	the embedded default; without -c it is decided again at every
 *	reload, so that installing /etc/relayguard/relayguard.conf and
 *	reloading picks it up.
 *
 *	live_load() loads that configuration and runs the relay analysis
 *	(rules_analyse()) on it: errors, and an open relay unless the file
 *	says open-relay allow, go to errs; other findings to warns.
 *
 *	live_set() installs r (taking over the caller's reference) as the
 *	rule set for new sessions and drops the old one's reference;
 *	sessions still running hold their own references and finish
 *	under the old rules. live_set(NULL) at shutdown drops the last.
 *
 *	live_get() returns a new reference to the current rules (NULL
 *	only before the first live_set()).
 *
 *	live_reload() loads the configuration again. On success it swaps
 *	the new rules in and logs "reload accepted"; on error it logs
 *	"reload refused" with every error, keeps the old rules, appends
 *	the errors to errs (which may be NULL) and returns -1. Reloads
 *	from the signal thread and the control thread are serialised.
 *	Changed socket, control and user settings are logged as waiting
 *	for the next start.
 *
 *	live_stats() is the daemon's counters.
 *
 *	live_set_quiet() records, once before the milter threads start,
 *	the stages the milter door leaves unanswered (no-reply mode, see
 *	filter.c); live_quiet() returns them.
 * THREADS
 *	The current pointer is read and replaced under a mutex held only
 *	for a pointer copy and a reference count.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "milter/limits.h"
#include "policy/policy.h"
#include "milter/live.h"
#include "milter/notify.h"
#include "milter/stats.h"

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rules *live_rules;
static const char *live_conf;
static int live_debug;
static struct stats *live_counters;
static unsigned live_quiet_stages;	/* fixed before the threads start */

/* live_set_quiet - the milter door's quiet stages, before smfi_main() */
void
live_set_quiet(unsigned quiet)
{
	live_quiet_stages = quiet;
}

/* live_quiet - the milter door's quiet stages */
unsigned
live_quiet(void)
{
	return (live_quiet_stages);
}

/* live_init - remember where the configuration comes from */
void
live_init(const char *conf, int force_debug)
{
	live_conf = conf;
	live_debug = force_debug;
	if (live_counters == NULL)
		live_counters = stats_new();
}

/*
 * default_conf - the default file. The test build of the daemon
 * (RG_TEST_HOOKS, build/tests/relayguard-test) takes it from
 * RELAYGUARD_TEST_DEFAULT_CONF, so that tests of the embedded default
 * never depend on the machine's /etc; the installed daemon has no such
 * hook.
 */
static const char *
default_conf(void)
{
#ifdef RG_TEST_HOOKS
	const char *t = getenv("RELAYGUARD_TEST_DEFAULT_CONF");

	if (t != NULL && *t != '\0')
		return (t);
#endif
	return (RG_DEFAULT_CONF);
}

/* live_conf_path - the file to load, or NULL for the embedded default */
const char *
live_conf_path(void)
{
	if (live_conf != NULL)
		return (live_conf);
	if (access(default_conf(), F_OK) == 0)
		return (default_conf());
	return (NULL);
}

/*
 * load_trimmed - rules_load(), then hand the memory the parser used
 * back to the system: glibc keeps freed heap otherwise, and the parse
 * of large lists costs more than the compiled sets that remain. The
 * relay analysis runs on every load: an open relay is refused like a
 * syntax error (its findings go to errs) unless the file says
 * open-relay allow; warnings go to warns.
 */
static struct rules *
load_trimmed(const char *path, struct strbuf *errs, struct strbuf *warns)
{
	struct rules *r = rules_load(path, errs);
	struct rules_analysis *a;
	struct strbuf sb = STRBUF_INIT;

	if (r != NULL && mlimits_attach(r, errs) < 0) {
		rules_unref(r);
		r = NULL;
	}
	if (r != NULL) {
		a = rules_analyse(r);
		rules_analysis_format(a, r, &sb);
		if (rules_analysis_open(a) && !rules_settings(r)->open_relay_allow) {
			strbuf_puts(errs, strbuf_str(&sb));
			rules_unref(r);
			r = NULL;
		} else if (warns != NULL) {
			strbuf_puts(warns, strbuf_str(&sb));
			if (rules_settings(r)->policy != NULL)
				policy_rules_warnings(r, warns);
		}
		rules_analysis_free(a);
		strbuf_free(&sb);
	}
	(void) malloc_trim(0);
	return (r);
}

/* live_load - load the configuration */
struct rules *
live_load(struct strbuf *errs, struct strbuf *warns)
{
	return (load_trimmed(live_conf_path(), errs, warns));
}

/* live_apply_log_level - follow the file's log-level unless -v */
void
live_apply_log_level(const struct rules *r)
{
	const struct rules_settings *s = rules_settings(r);

	if (live_debug)
		log_set_level(LOG_LEVEL_DEBUG);
	else if (s != NULL && s->log_level >= 0)
		log_set_level((enum log_level) s->log_level);
}

/* live_set - install new rules; the old ones go with their last user */
void
live_set(struct rules *r)
{
	struct rules *old;

	pthread_mutex_lock(&live_lock);
	old = live_rules;
	live_rules = r;
	pthread_mutex_unlock(&live_lock);
	rules_unref(old);
}

/* live_get - a reference to the current rules */
struct rules *
live_get(void)
{
	struct rules *r;

	pthread_mutex_lock(&live_lock);
	r = live_rules ? rules_ref(live_rules) : NULL;
	pthread_mutex_unlock(&live_lock);
	return (r);
}

/* live_stats - the counters */
struct stats *
live_stats(void)
{
	return (live_counters);
}

/* log_errors - log each line of errs */
static void
log_errors(const char *text)
{
	const char *nl;

	while (text && *text) {
		nl = strchr(text, '\n');
		log_error("%.*s", nl ? (int) (nl - text) : (int) strlen(text),
		    text);
		text = nl ? nl + 1 : NULL;
	}
}

/* live_log_warnings - log each line of text as a warning */
void
live_log_warnings(const char *text)
{
	const char *nl;

	while (text && *text) {
		nl = strchr(text, '\n');
		log_warning("%.*s", nl ? (int) (nl - text) : (int) strlen(text),
		    text);
		text = nl ? nl + 1 : NULL;
	}
}

/* differs - 1 when two optional settings differ */
static int
differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

/* warn_restart - say which changed settings wait for a restart */
static void
warn_restart(const struct rules *nr)
{
	struct rules *old = live_get();
	const struct rules_settings *o, *n;

	if (old == NULL)
		return;
	o = rules_settings(old);
	n = rules_settings(nr);
	if (o != NULL && n != NULL) {
		if (differs(o->socket, n->socket))
			log_warning("reload: the socket setting changes at the "
			    "next start, not now");
		if (differs(o->policy, n->policy))
			log_warning("reload: the policy setting changes at the "
			    "next start, not now");
		if (differs(o->control, n->control))
			log_warning("reload: the control setting changes at "
			    "the next start, not now");
		if (differs(o->user, n->user))
			log_warning("reload: the user setting changes at the "
			    "next start, not now");
		if (o->milter_connect_reply != n->milter_connect_reply)
			log_warning("reload: the milter-connect-reply setting "
			    "changes at the next start, not now");
		if (live_quiet() != 0 && !n->delay_reject)
			log_warning("reload: delay-reject no takes full effect "
			    "at the next start; until then refusals decided "
			    "at HELO or MAIL are answered at RCPT (the MTA "
			    "was told not to wait for those answers)");
	}
	rules_unref(old);
}

/* live_reload - load again and swap, or keep the old rules */
int
live_reload(const char *why, struct strbuf *errs)
{
	struct strbuf e = STRBUF_INIT, w = STRBUF_INIT;
	struct rules *r;
	const char *path;
	int     ret = 0;

	pthread_mutex_lock(&reload_lock);
	notify_reloading();
	path = live_conf_path();
	if ((r = load_trimmed(path, &e, &w)) == NULL) {
		log_error("reload (%s) refused: %s has errors; "
		    "keeping the running configuration", why,
		    path ? path : "(default)");
		log_errors(strbuf_str(&e));
		if (errs != NULL)
			strbuf_puts(errs, strbuf_str(&e));
		stats_inc(live_counters, STATS_RELOADS_REFUSED);
		notify_ready("running: reload (%s) refused, %s has errors; "
		    "the previous configuration stays", why,
		    path ? path : "(default)");
		ret = -1;
	} else {
		warn_restart(r);
		live_log_warnings(strbuf_str(&w));
		live_apply_log_level(r);
		live_set(r);
		stats_inc(live_counters, STATS_RELOADS);
		log_info("reload (%s) accepted: configuration %s", why,
		    rules_source(r));
		notify_ready("running: configuration %s (reloaded by %s)",
		    rules_source(r), why);
	}
	pthread_mutex_unlock(&reload_lock);
	strbuf_free(&e);
	strbuf_free(&w);
	return (ret);
}
