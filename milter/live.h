#ifndef RG_MILTER_LIVE_H
#define RG_MILTER_LIVE_H

/*
 * live - the daemon's current rule set, its reload, and its counters
 */
#include "common/ctlproto.h"
#include "common/strbuf.h"
#include "rules/rules.h"

struct stats;

extern void live_init(const char *conf, int force_debug);
extern const char *live_conf_path(void);
extern struct rules *live_load(struct strbuf *errs, struct strbuf *warns);

/* live_log_warnings - log each line of text as a warning */
extern void live_log_warnings(const char *text);
extern void live_set(struct rules *);
extern struct rules *live_get(void);
extern int live_reload(const char *why, struct strbuf *errs);
extern struct stats *live_stats(void);
extern void live_apply_log_level(const struct rules *);

/*
 * live_set_quiet - the stages the milter door leaves unanswered
 * (RULES_QUIET() bits, rules_quiet_stages() of the configuration the
 * daemon starts with); set once before smfi_main(), never later: a
 * milter connection is negotiated once (filter.c). live_quiet - them.
 */
extern void live_set_quiet(unsigned);
extern unsigned live_quiet(void);

#endif
