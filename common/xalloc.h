#ifndef RG_XALLOC_H
#define RG_XALLOC_H

/*
 * xalloc - memory allocation that does not return on failure
 *
 * Out of memory is not a condition relayguard can recover from in a
 * meaningful way; these functions write one line to stderr and abort().
 * Every other error path in the project returns a code.
 */
#include <stddef.h>

extern void *xmalloc(size_t);
extern void *xcalloc(size_t, size_t);
extern void *xrealloc(void *, size_t);
extern void *xreallocarray(void *, size_t, size_t);
extern char *xstrdup(const char *);
extern char *xstrndup(const char *, size_t);

#endif
