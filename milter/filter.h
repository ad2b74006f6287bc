#ifndef RG_MILTER_FILTER_H
#define RG_MILTER_FILTER_H

/*
 * filter - the libmilter callbacks
 */
#include <libmilter/mfapi.h>

extern struct smfiDesc filter_desc;

#endif
