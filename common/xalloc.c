/*
 * NAME
 *	xalloc 3
 * SUMMARY
 *	memory allocation that aborts on failure
 * SYNOPSIS
 *	#include "common/xalloc.h"
 *
 *	void	*xmalloc(size_t len)
 *	void	*xcalloc(size_t n, size_t len)
 *	void	*xrealloc(void *ptr, size_t len)
 *	void	*xreallocarray(void *ptr, size_t n, size_t len)
 *	char	*xstrdup(const char *str)
 *	char	*xstrndup(const char *str, size_t len)
 * DESCRIPTION
 *	These are malloc(3) and friends that never return NULL. A zero
 *	length is rounded up to one byte so that the result can always be
 *	passed to free(3). xreallocarray() checks n * len for overflow.
 * DIAGNOSTICS
 *	On failure, one line is written to stderr and the process aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* oom - report allocation failure and abort */
static void
oom(size_t len)
{
	fprintf(stderr, "relayguard: fatal: out of memory allocating %zu bytes\n",
	    len);
	abort();
}

/* xmalloc - allocate or die */
void *
xmalloc(size_t len)
{
	void   *p;

	if ((p = malloc(len ? len : 1)) == NULL)
		oom(len);
	return (p);
}

/* xcalloc - allocate zeroed memory or die */
void *
xcalloc(size_t n, size_t len)
{
	void   *p;

	if ((p = calloc(n ? n : 1, len ? len : 1)) == NULL)
		oom(n * len);
	return (p);
}

/* xrealloc - resize or die */
void *
xrealloc(void *ptr, size_t len)
{
	void   *p;

	if ((p = realloc(ptr, len ? len : 1)) == NULL)
		oom(len);
	return (p);
}

/* xreallocarray - resize an array, checking the multiplication */
void *
xreallocarray(void *ptr, size_t n, size_t len)
{
	if (len != 0 && n > SIZE_MAX / len)
		oom(SIZE_MAX);
	return (xrealloc(ptr, n * len));
}

/* xstrdup - copy a string or die */
char *
xstrdup(const char *str)
{
	return (xstrndup(str, strlen(str)));
}

/* xstrndup - copy at most len bytes of a string, always terminated */
char *
xstrndup(const char *str, size_t len)
{
	char   *p;
	const char *end;

	if ((end = memchr(str, '\0', len)) != NULL)
		len = (size_t) (end - str);
	p = xmalloc(len + 1);
	memcpy(p, str, len);
	p[len] = '\0';
	return (p);
}
