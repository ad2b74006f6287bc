#ifndef RG_MILTER_FILTER_H
#define RG_MILTER_FILTER_H

/*
 * filter - the libmilter callbacks
 */
#include <libmilter/mfapi.h>

extern struct smfiDesc filter_desc;

/*
 * filter_set_noreply - HELO and MAIL get no reply (SMFIP_NR_HELO,
 * SMFIP_NR_MAIL); their decisions are delivered at RCPT. Call once,
 * before smfi_main(), never later (see filter.c).
 */
extern void filter_set_noreply(int);
extern int filter_get_noreply(void);

#endif
