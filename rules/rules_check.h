#ifndef RG_RULES_CHECK_H
#define RG_RULES_CHECK_H

/*
 * rules_check - what a loaded configuration will meet in the daemon
 * (rules_check.c): shared by "relayguard -n" and "relayguardctl check"
 */
#include "common/strbuf.h"
#include "rules/rules.h"

/*
 * rules_check - append warning lines ("SOURCE: warning: ...\n") about
 * the daemon's user, tables, lock files and configuration files to
 * warnings, and the line "SOURCE: configuration OK: N rules, N lists,
 * N tables\n" to summary. user NULL means the configuration's "user"
 * setting; "" means none. Returns the number of warnings; cannot fail.
 */
extern int rules_check(const struct rules *r, const char *user,
	struct strbuf *warnings, struct strbuf *summary);

#endif
