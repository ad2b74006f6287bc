#ifndef RG_MILTER_POLICY_H
#define RG_MILTER_POLICY_H

/*
 * policy - the daemon's Postfix policy delegation door
 */
#include <stddef.h>
#include <sys/types.h>

extern int policy_listen(const char *spec, uid_t uid, gid_t gid,
	int max_conns, int timeout, char *err, size_t errlen);
extern int policy_start(void);
extern void policy_cleanup(void);

#endif
