#ifndef RG_CTL_BLOCK_H
#define RG_CTL_BLOCK_H

/*
 * ctl_block - what block, unblock and blocks share
 */
#include <stddef.h>
#include <time.h>

struct store;

/*
 * ctl_blocks_open - open the blocks table: -t PATH as given, else the
 * "blocks" setting of -c conf (or of the default configuration file
 * when it exists), else RULES_BLOCKS_DEFAULT. Read-write (created when
 * missing) when write is set. Prints "relayguardctl: CMD: ..." on
 * failure. Returns 0, or the exit status.
 */
extern int ctl_blocks_open(const char *cmd, const char *conf,
	const char *path, int write, struct store **);

/* ctl_time_text - "2026-12-02T03:00:00Z", or "never" for 0 */
extern const char *ctl_time_text(time_t, char *buf, size_t len);

#endif
