#ifndef RG_CTL_STORE_H
#define RG_CTL_STORE_H

/*
 * ctl_store - helpers shared by the table and grant subcommands
 */
#include <time.h>

/* Where grants live when neither -t nor -c names a table. */
#define CTL_DEFAULT_GRANTS	"/var/lib/relayguard/popauth.lmdb"

/*
 * ctl_table_path - the file of TABLE: a path as given; a table name
 * when conf is set (resolved through the configuration). dynamic says
 * which kind of table the caller wants. Prints a diagnostic as
 * "relayguardctl: CMD: ..." and returns NULL when it cannot resolve.
 */
extern const char *ctl_table_path(const char *cmd, const char *conf,
	const char *table, int dynamic);

/*
 * ctl_parse_ttl - "90", "90s", "30m", "2h", "1d", "1w" to seconds.
 * Returns 0, or -1 when malformed, zero or above ten years.
 */
extern int ctl_parse_ttl(const char *, time_t *);

#endif
