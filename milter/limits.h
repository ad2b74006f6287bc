#ifndef RG_MILTER_LIMITS_H
#define RG_MILTER_LIMITS_H

/*
 * limits - the daemon's rate counters (milter/limits.c)
 */
#include "common/strbuf.h"
#include "rules/rules.h"

extern int mlimits_start(struct rules *, struct strbuf *errs);
extern int mlimits_attach(struct rules *, struct strbuf *errs);
extern int mlimits_run(void);
extern void mlimits_stop(void);
extern void mlimits_list(const char *subject, struct strbuf *out);
extern void mlimits_reset(const char *subject, struct strbuf *out);

#endif
