/*
 * NAME
 *	strbuf 3
 * SUMMARY
 *	growable string buffer
 * SYNOPSIS
 *	#include "common/strbuf.h"
 *
 *	struct strbuf sb = STRBUF_INIT;
 *	void	strbuf_append(struct strbuf *sb, const char *data, size_t len)
 *	void	strbuf_puts(struct strbuf *sb, const char *str)
 *	void	strbuf_putc(struct strbuf *sb, int ch)
 *	void	strbuf_printf(struct strbuf *sb, const char *fmt, ...)
 *	void	strbuf_reset(struct strbuf *sb)
 *	const char *strbuf_str(const struct strbuf *sb)
 *	char	*strbuf_detach(struct strbuf *sb)
 *	void	strbuf_free(struct strbuf *sb)
 * DESCRIPTION
 *	The buffer is always NUL-terminated after an append. strbuf_str()
 *	returns "" for a buffer that was never written. strbuf_detach()
 *	hands the string to the caller (free with free(3)) and leaves the
 *	buffer empty. strbuf_reset() empties the buffer but keeps memory.
 * DIAGNOSTICS
 *	Allocation failure aborts (xalloc(3)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

/* strbuf_grow - make room for len more bytes plus the NUL */
static void
strbuf_grow(struct strbuf *sb, size_t len)
{
	size_t  need = sb->len + len + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->s = xrealloc(sb->s, sb->cap);
}

/* strbuf_append - append len bytes */
void
strbuf_append(struct strbuf *sb, const char *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->s + sb->len, data, len);
	sb->len += len;
	sb->s[sb->len] = '\0';
}

/* strbuf_puts - append a string */
void
strbuf_puts(struct strbuf *sb, const char *str)
{
	strbuf_append(sb, str, strlen(str));
}

/* strbuf_putc - append one byte */
void
strbuf_putc(struct strbuf *sb, int ch)
{
	char    c = (char) ch;

	strbuf_append(sb, &c, 1);
}

/* strbuf_vprintf - append formatted text */
void
strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int     n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t) n);
	vsnprintf(sb->s + sb->len, (size_t) n + 1, fmt, ap);
	sb->len += (size_t) n;
}

/* strbuf_printf - append formatted text */
void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* strbuf_reset - empty the buffer, keep its memory */
void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
}

/* strbuf_str - the contents; "" when nothing was written */
const char *
strbuf_str(const struct strbuf *sb)
{
	return (sb->s ? sb->s : "");
}

/* strbuf_detach - hand the string to the caller */
char   *
strbuf_detach(struct strbuf *sb)
{
	char   *s = sb->s ? sb->s : xstrdup("");

	sb->s = NULL;
	sb->len = sb->cap = 0;
	return (s);
}

/* strbuf_free - release the memory; the buffer is empty afterwards */
void
strbuf_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}
