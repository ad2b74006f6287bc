#ifndef RG_CHECK_SCRATCH_H
#define RG_CHECK_SCRATCH_H

/*
 * check_scratch - a scratch directory for a test that writes tables
 */
#include <stddef.h>

/* scratch_make - make $TMPDIR/rgTAG.XXXXXX into dir (len bytes) */
extern void scratch_make(char *dir, size_t len, const char *tag);

/* scratch_remove - remove it and everything in it */
extern void scratch_remove(const char *dir);

#endif
