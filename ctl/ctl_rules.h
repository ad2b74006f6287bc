#ifndef RG_CTL_RULES_H
#define RG_CTL_RULES_H

/*
 * ctl_rules - load the configuration for a relayguardctl subcommand
 */
#include "rules/rules.h"

/*
 * ctl_rules_load - load conf; NULL conf means the default file, or the
 * embedded default configuration when that file does not exist (as the
 * daemon does). Every error is printed on stderr, one per line.
 * Returns the rules (one reference) or NULL.
 */
extern struct rules *ctl_rules_load(const char *conf);

/*
 * ctl_rules_load_flags - ctl_rules_load() with RULES_LOAD_* flags:
 * RULES_LOAD_NO_TABLES for the settings and table paths only.
 */
extern struct rules *ctl_rules_load_flags(const char *conf, unsigned flags);

/* ctl_rules_name - the name ctl_rules_load() would use for conf */
extern const char *ctl_rules_name(const char *conf);

#endif
