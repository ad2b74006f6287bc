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
 * when conf is set (resolved through the configuration, whose user and
 * recipient-delimiter are then used). TABLE NULL: the only table of
 * that kind in the configuration (conf, or the default file when it
 * exists), or CTL_DEFAULT_GRANTS for dynamic tables. dynamic says
 * which kind of table the caller wants. Prints a diagnostic as
 * "relayguardctl: CMD: ..." and returns NULL when it cannot resolve.
 * The result stays valid until the next call.
 */
extern const char *ctl_table_path(const char *cmd, const char *conf,
	const char *table, int dynamic);

/*
 * ctl_parse_ttl - "90", "90s", "30m", "2h", "1d", "1w" to seconds.
 * Returns 0, or -1 when malformed, zero or above ten years.
 */
extern int ctl_parse_ttl(const char *, time_t *);

/* ctl_owner_given - -u USER: use it, whatever the configuration says */
extern void ctl_owner_given(const char *user);

/* ctl_conf_delimiter - recipient-delimiter of the last configuration */
extern const char *ctl_conf_delimiter(void);

#endif
