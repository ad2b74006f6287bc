#ifndef RG_MILTER_CONTROL_H
#define RG_MILTER_CONTROL_H

/*
 * control - the daemon's control socket (spec section 7)
 */
#include <sys/types.h>

extern int control_listen(const char *spec, uid_t uid, gid_t gid,
	char *err, size_t errlen);
extern int control_start(void);
extern void control_cleanup(void);
extern const char *control_spec_path(const char *spec);

#endif
