#ifndef RG_CTL_STORE_H
#define RG_CTL_STORE_H

/*
 * ctl_store - helpers shared by the table and grant subcommands
 */
#include <time.h>

/*
 * ctl_table_path - the file of TABLE, into buf (len bytes): a path as
 * given; a table name when conf is set (resolved through the
 * configuration, whose user and recipient-delimiter are then used).
 * TABLE NULL: the only table of that kind in the configuration (conf,
 * or the default file when it exists), or RG_DEFAULT_GRANTS for
 * dynamic tables. dynamic says which kind of table the caller wants.
 * The configuration is read without opening any table. Returns buf,
 * or NULL after printing "relayguardctl: CMD: ..." when it cannot
 * resolve or the path does not fit.
 */
extern const char *ctl_table_path(const char *cmd, const char *conf,
	const char *table, int dynamic, char *buf, size_t len);

/*
 * ctl_parse_ttl - "90", "90s", "30m", "2h", "1d", "1w" to seconds.
 * Returns 0, or -1 when malformed, zero or above ten years.
 */
extern int ctl_parse_ttl(const char *, time_t *);

/*
 * ctl_ttl_arg - a --ttl argument of subcommand cmd: 0, or -1 after
 * "relayguardctl: CMD: bad TTL: ARG" on stderr
 */
extern int ctl_ttl_arg(const char *cmd, const char *arg, time_t *);

/* ctl_owner_given - -u USER: use it, whatever the configuration says */
extern void ctl_owner_given(const char *user);

/* ctl_owner_from - the "user" of a configuration, unless -u was given */
struct rules;
extern void ctl_owner_from(const struct rules *);

/* The -c conf, -t table and -u user options every table command takes. */
struct ctl_table_opts {
	const char *conf;
	const char *table;
};

/*
 * ctl_table_option - take getopt's opt if it is -c, -t or -u; returns 1
 * when it was one of them, 0 when the caller must handle it.
 */
extern int ctl_table_option(struct ctl_table_opts *, int opt,
	const char *arg);

/*
 * ctl_grants_open - resolve the dynamic table of the options and open
 * it, for writing when write is set. Prints "relayguardctl: CMD: ..."
 * on failure. Returns 0, or the exit status (CTL_EX_CONFIG when the
 * table cannot be resolved, CTL_EX_IOERR when it cannot be opened).
 */
struct store;

/*
 * ctl_table_redis - is the table the last ctl_table_path() found a
 * "dynamic redis" one (its path is no file: ctl_grants_open() opens it)?
 */
extern int ctl_table_redis(void);
extern int ctl_grants_open(const char *cmd, const struct ctl_table_opts *,
	int write, struct store **);

/* ctl_conf_delimiter - recipient-delimiter of the last configuration */
extern const char *ctl_conf_delimiter(void);

#endif
