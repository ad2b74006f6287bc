#ifndef RG_MILTER_CONNGATE_H
#define RG_MILTER_CONNGATE_H

/*
 * conngate - bound the milter connections libmilter has to carry
 */
#include <stddef.h>

extern int conngate_init(int max_conns, int first_timeout, char *err,
	size_t errlen);
extern int conngate_start(void);

#endif
